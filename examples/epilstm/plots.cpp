#include "plots.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace epilstm::cli {
namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& s)
{
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
    }
    return o + "\"";
}

std::string num(double v)
{
    if (std::isnan(v)) return "NaN";
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
}

/// Writes data and script, runs gnuplot on the script.
plot_result draw(const fs::path& stem, const std::string& data, const std::string& script, int width = 1100)
{
    plot_result r;
    const fs::path dat = fs::path(stem.string() + ".dat"), gp = fs::path(stem.string() + ".gp"),
                   png = fs::path(stem.string() + ".png"), log = fs::path(stem.string() + ".gnuplot.log");
    {
        std::ofstream d(dat), g(gp);
        d << data;
        g << "set terminal pngcairo size " << width << ",620 font 'Sans,11' noenhanced\nset output " << quoted(png.string())
          << "\ndat = " << quoted(dat.string()) << "\n" << script;
        if (!d || !g) return {{}, "cannot write " + gp.string()};
    }
    const std::string cmd = "gnuplot " + quoted(gp.string()) + " >" + quoted(log.string()) + " 2>&1";
    const int rc = std::system(cmd.c_str());
    if (rc != 0) {
        std::ifstream l(log);
        std::stringstream ss;
        ss << l.rdbuf();
        std::string msg = ss.str();
        if (msg.find("not found") != std::string::npos || rc == 127 * 256)
            return {{}, "gnuplot is not installed (Debian: apt-get install gnuplot-nox); data and script: " + gp.string()};
        return {{}, "gnuplot failed on " + gp.string() + ": " + msg.substr(0, 300)};
    }
    std::error_code ec;
    fs::remove(log, ec);
    r.png = png;
    return r;
}

const char* palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#7f7f7f", "#9467bd", "#8c564b", "#e377c2"};

}  // namespace

plot_result plot_bars(const fs::path& stem, const std::string& title, const std::string& ylabel,
                      const std::vector<std::string>& groups, const std::vector<std::string>& series,
                      const std::vector<std::vector<double>>& values, double ymin, double ymax,
                      const std::vector<std::vector<double>>& errors)
{
    const bool with_errors = !errors.empty();
    std::ostringstream d;
    d << "group";
    for (const auto& s : series) d << '\t' << quoted(s) << (with_errors ? "\t" + quoted(s + " error") : "");
    d << '\n';
    for (std::size_t g = 0; g < groups.size(); ++g) {
        d << quoted(groups[g]);
        for (std::size_t s = 0; s < series.size(); ++s) {
            d << '\t' << num(values[s][g]);
            // gnuplot draws no error bar of length 0; a NaN would drop the bar itself
            if (with_errors) d << '\t' << num(std::isnan(errors[s][g]) ? 0.0 : errors[s][g]);
        }
        d << '\n';
    }
    std::ostringstream p;
    p << "set datafile separator '\\t'\nset title " << quoted(title) << "\nset ylabel " << quoted(ylabel)
      << "\nset yrange [" << ymin << ":" << ymax << "]\nset style data histograms\nset style histogram "
      << (with_errors ? "errorbars gap 1 lw 1" : "clustered gap 1")
      << "\nset style fill solid 0.85 border -1\nset boxwidth 0.9\nset grid ytics\nset key outside right top vertical"
      << "\nset xtics nomirror rotate by -35 left\nset bmargin 9\nplot ";
    for (std::size_t s = 0; s < series.size(); ++s) {
        const std::size_t col = with_errors ? 2 + 2 * s : s + 2;
        p << (s ? ", " : "") << "dat using " << col;
        if (with_errors) p << ":" << col + 1;
        p << (s == 0 ? ":xtic(1)" : "") << " title columnhead(" << col << ") lc rgb '" << palette[s % 8] << "'";
    }
    p << "\n";
    // Wide enough for every bar to stay readable: about 14 px per bar.
    const int width = std::max(1100, 320 + static_cast<int>(groups.size() * (series.size() + 1)) * 14);
    return draw(stem, d.str(), p.str(), width);
}

plot_result plot_lines(const fs::path& stem, const std::string& title, const std::string& xlabel,
                       const std::string& ylabel, const std::vector<double>& x, const std::vector<std::string>& series,
                       const std::vector<std::vector<double>>& values, bool log_x)
{
    std::ostringstream d;
    d << "x";
    for (const auto& s : series) d << '\t' << quoted(s);
    d << '\n';
    for (std::size_t i = 0; i < x.size(); ++i) {
        d << num(x[i]);
        for (std::size_t s = 0; s < series.size(); ++s) d << '\t' << num(values[s][i]);
        d << '\n';
    }
    std::ostringstream p;
    p << "set datafile separator '\\t'\nset title " << quoted(title) << "\nset xlabel " << quoted(xlabel)
      << "\nset ylabel " << quoted(ylabel) << "\nset yrange [0:1]\nset grid\nset key outside right top\n"
      << (log_x ? "set logscale x\n" : "") << "plot ";
    for (std::size_t s = 0; s < series.size(); ++s)
        p << (s ? ", " : "") << "dat using 1:" << s + 2 << " title columnhead with linespoints lw 2 pt 7 lc rgb '"
          << palette[s % 8] << "'";
    p << "\n";
    return draw(stem, d.str(), p.str());
}

plot_result plot_heatmap(const fs::path& stem, const std::string& title, const std::string& xlabel,
                         const std::string& ylabel, const Eigen::MatrixXd& counts, double x_min, double x_max,
                         double y_min, double y_max)
{
    const auto nx = counts.rows(), ny = counts.cols();
    const double dx = nx > 0 && x_max > x_min ? (x_max - x_min) / static_cast<double>(nx) : 1;
    const double dy = ny > 0 && y_max > y_min ? (y_max - y_min) / static_cast<double>(ny) : 1;
    std::ostringstream d;
    for (Eigen::Index i = 0; i < nx; ++i) {
        for (Eigen::Index j = 0; j < ny; ++j)
            d << num(x_min + (static_cast<double>(i) + 0.5) * dx) << '\t' << num(y_min + (static_cast<double>(j) + 0.5) * dy)
              << '\t' << num(counts(i, j) > 0 ? counts(i, j) : NAN) << '\n';
        d << '\n';
    }
    std::ostringstream p;
    p << "set datafile separator '\\t'\nset title " << quoted(title) << "\nset xlabel " << quoted(xlabel)
      << "\nset ylabel " << quoted(ylabel) << "\nset logscale cb\nset cblabel 'positions (25 bp bins)'\n"
      << "set palette defined (0 '#f7fbff', 1 '#6baed6', 2 '#08306b')\nset xrange [" << num(x_min) << ":" << num(x_max)
      << "]\nset yrange [" << num(y_min) << ":" << num(y_max) << "]\nset view map\n"
      << "plot dat using 1:2:3 with image notitle\n";
    return draw(stem, d.str(), p.str());
}

}  // namespace epilstm::cli
