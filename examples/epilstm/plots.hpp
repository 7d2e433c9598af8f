// PNG plots for `epilstm evaluate`, drawn by gnuplot (Debian gnuplot-nox, pngcairo terminal). Each
// plot leaves its data (.dat) and script (.gp) beside the PNG, so it can be redrawn or restyled.
// When gnuplot is missing or fails, the functions return the reason instead of a path; the report
// says so and everything else is still written. What to plot comes from the library's report
// (eval/report.hpp, eval/plot.hpp); gnuplot_plotter draws it.
#pragma once

#include <epilstm/eval/plot.hpp>

#include <Eigen/Core>

#include <filesystem>
#include <string>
#include <vector>

namespace epilstm::cli {

using plot_result = eval::plot_result;

/// Grouped bars: one group per `groups` label, one bar per series; values[s][g] (NaN: no bar);
/// errors[s][g] (when not empty) the half-length of each bar's error bar (NaN: none).
plot_result plot_bars(const std::filesystem::path& stem, const std::string& title, const std::string& ylabel,
                      const std::vector<std::string>& groups, const std::vector<std::string>& series,
                      const std::vector<std::vector<double>>& values, double ymin = 0, double ymax = 1,
                      const std::vector<std::vector<double>>& errors = {});

/// Lines over x (log scale when log_x): values[s][i] at x[i].
plot_result plot_lines(const std::filesystem::path& stem, const std::string& title, const std::string& xlabel,
                       const std::string& ylabel, const std::vector<double>& x, const std::vector<std::string>& series,
                       const std::vector<std::vector<double>>& values, bool log_x);

/// A 2D histogram counts[nx, ny] over [x_min, x_max] × [y_min, y_max], colour on a log scale.
plot_result plot_heatmap(const std::filesystem::path& stem, const std::string& title, const std::string& xlabel,
                         const std::string& ylabel, const Eigen::MatrixXd& counts, double x_min, double x_max,
                         double y_min, double y_max);

/// The report's plots drawn by the functions above.
class gnuplot_plotter final : public eval::plotter {
public:
    plot_result draw(const eval::bar_plot& p) const override
    {
        return plot_bars(p.stem, p.title, p.ylabel, p.groups, p.series, p.values, p.ymin, p.ymax, p.errors);
    }
    plot_result draw(const eval::line_plot& p) const override
    {
        return plot_lines(p.stem, p.title, p.xlabel, p.ylabel, p.x, p.series, p.values, p.log_x);
    }
    plot_result draw(const eval::heatmap_plot& p) const override
    {
        return plot_heatmap(p.stem, p.title, p.xlabel, p.ylabel, p.counts, p.x_min, p.x_max, p.y_min, p.y_max);
    }
};

}  // namespace epilstm::cli
