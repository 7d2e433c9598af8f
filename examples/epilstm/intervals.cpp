#include "intervals.hpp"

#include <epilstm/error.hpp>
#include <epilstm/io/genome.hpp>

#ifdef EPILSTM_HAVE_BIGWIG
#include <epilstm/io/bigwig.hpp>
#endif
#ifdef EPILSTM_HAVE_ZLIB
#include <zlib.h>
#endif

#include <cmath>
#include <fstream>
#include <functional>
#include <string>

namespace epilstm::cli {
namespace {

namespace fs = std::filesystem;

bool ends_with_any(const fs::path& p, std::initializer_list<const char*> suffixes)
{
    std::string n = p.filename().string();
    for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* s : suffixes)
        if (n.ends_with(s)) return true;
    return false;
}

/// Calls f(line) for every line of a plain or gzip-compressed text file.
void for_each_line(const fs::path& path, const std::function<void(const std::string&)>& f)
{
    if (!fs::exists(path)) throw input_error(path.string() + ": no such file");
    if (ends_with_any(path, {".gz"})) {
#ifdef EPILSTM_HAVE_ZLIB
        gzFile g = gzopen(path.c_str(), "rb");
        if (!g) throw io_error(path.string() + ": cannot open");
        // Closed however this ends: a bad line throws out of f (tests/fuzz found the leak).
        struct closer {
            gzFile& g;
            ~closer()
            {
                if (g) gzclose(g);
            }
        } close_at_exit{g};
        std::string line;
        char buf[1 << 16];
        while (gzgets(g, buf, sizeof buf)) {
            line += buf;
            if (!line.empty() && line.back() == '\n') {
                line.pop_back();
                f(line);
                line.clear();
            }
        }
        int err = 0;
        const char* msg = gzerror(g, &err);
        const std::string what = err != Z_OK && err != Z_STREAM_END ? msg : "";
        gzclose(g);
        g = nullptr;
        if (!what.empty()) throw input_error(path.string() + ": not a readable gzip file (" + what + ")");
        if (!line.empty()) f(line);
        return;
#else
        throw input_error(path.string() + ": gzip-compressed input needs zlib, which this epilstm was built without "
                                          "(install zlib1g-dev and rebuild, or decompress the file)");
#endif
    }
    std::ifstream is(path);
    if (!is) throw io_error(path.string() + ": cannot open");
    std::string line;
    while (std::getline(is, line)) f(line);
}

}  // namespace

std::vector<eval::interval> read_intervals(const fs::path& path, bool with_values)
{
    std::vector<eval::interval> out;
    std::size_t no = 0;
    for_each_line(path, [&](const std::string& line) {
        ++no;
        if (line.empty() || line[0] == '#' || line.starts_with("track") || line.starts_with("browser")) return;
        auto f = io::detail::split_tabs(line);
        if (f.size() < 3) f = io::detail::split_blanks(line);
        const std::string where = path.string() + ":" + std::to_string(no) + ": ";
        if (f.size() < (with_values ? 4u : 3u))
            throw input_error(where + "expected " + (with_values ? "'chrom start end value'" : "'chrom start end ...'") +
                              ", got '" + line + "'");
        if (f[0].empty()) throw input_error(where + "empty chromosome name");
        eval::interval iv;
        iv.chrom = std::string(f[0]);
        if (!io::detail::parse_int64(f[1], iv.start) || !io::detail::parse_int64(f[2], iv.end) || iv.start < 0 ||
            iv.end <= iv.start) {
            if (out.empty() && no == 1) return;  // a header line
            throw input_error(where + "start/end '" + std::string(f[1]) + "', '" + std::string(f[2]) +
                              "' are not integers with 0 <= start < end");
        }
        if (with_values) {
            const std::string v(f[3]);
            std::size_t used = 0;
            try {
                iv.value = std::stod(v, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != v.size() || !std::isfinite(iv.value))
                throw input_error(where + "value '" + v + "' is not a finite number");
        }
        out.push_back(std::move(iv));
    });
    return out;
}

std::vector<std::vector<double>> read_bin_scores(const fs::path& path, const eval::representation& rep)
{
    if (ends_with_any(path, {".bw", ".bigwig"})) {
#ifdef EPILSTM_HAVE_BIGWIG
        io::bigwig_file bw(path);
        std::vector<std::vector<double>> out;
        for (const auto& g : rep.regions) {
            const auto n = static_cast<std::size_t>(g.rows.rows());
            std::vector<double> mean(n);
            std::vector<std::uint8_t> covered(n);
            bw.read_bin_means(g.chrom, g.start, g.rows.rows(), g.bin_size, mean.data(), covered.data());
            for (std::size_t k = 0; k < n; ++k)
                if (!covered[k]) mean[k] = std::nan("");
            out.push_back(std::move(mean));
        }
        return out;
#else
        throw input_error(path.string() + ": reading bigWig needs libBigWig, which this epilstm was built without");
#endif
    }
    const bool graph = ends_with_any(path, {".bedgraph", ".bdg", ".bedgraph.gz", ".bdg.gz"});
    // A BED: the fraction of each bin its elements cover (overlapping records counted once).
    if (!graph) return eval::bin_scores(rep, eval::covered_union(read_intervals(path, false)), eval::uncovered_bases::zero);
    return eval::bin_scores(rep, read_intervals(path, true), eval::uncovered_bases::missing);
}

}  // namespace epilstm::cli
