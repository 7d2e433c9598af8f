// Labelled loci of the downstream tasks (paper §3.6, §4.1) and the files they come from.
//
// A task is a list of loci, each a window [start, end) of one chromosome with a binary label. The
// aggregation rule says how a labelled element becomes that window, and the feature of a locus is
// the mean representation over the bins the window overlaps (eval/features.hpp):
//   point         one position: the bin holding `start`
//   window        [start, end) as given (e.g. a strand-aware promoter window of a TSS)
//   between_pair  two elements of one chromosome: the gap between them (for overlapping or
//                 touching elements, their union), as the paper does for promoter–enhancer pairs
// Loaders read the pilot_labels_hg19 files (../shared/data/pilot_labels_hg19/PROVENANCE.md) and a
// generic BED/TSV; malformed lines are input_errors naming the file and line. Records that can be
// parsed but not used (e.g. a pair across two chromosomes) are dropped and counted in `dropped`,
// so the report can say why.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/io/genome.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace epilstm::eval {

enum class aggregation { point, window, between_pair };

inline const char* to_string(aggregation a)
{
    switch (a) {
    case aggregation::point: return "point";
    case aggregation::window: return "window";
    case aggregation::between_pair: return "between-pair";
    }
    return "?";
}

/// One labelled locus: the window [start, end) of `chrom` whose representation is averaged.
struct locus {
    std::string chrom;
    std::int64_t start = 0;
    std::int64_t end = 0;
    int label = 0;  ///< 0 or 1
    std::string name;
};

/// A task's loci for one cell type.
struct label_set {
    std::string task;
    std::string cell_type;
    aggregation rule = aggregation::window;
    std::vector<locus> loci;
    std::map<std::string, index_t> dropped;  ///< reason → records dropped while loading

    index_t positives() const
    {
        index_t p = 0;
        for (const auto& l : loci) p += l.label != 0;
        return p;
    }
};

namespace detail {

using io::detail::split_tabs;  // one BED/TSV splitter for the whole library

/// Reads a tab-separated file line by line: f(fields, line number) for each non-empty line that
/// is not a comment ('#', "track", "browser") or the header (a first line whose `int_column` is
/// not a number).
template <class F>
void for_each_record(const std::filesystem::path& path, std::size_t min_fields, std::size_t int_column, F&& f)
{
    std::ifstream in(path);
    if (!in) throw input_error(path.string() + ": cannot open the label file");
    std::string line;
    std::size_t lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#' || line.rfind("track", 0) == 0 || line.rfind("browser", 0) == 0) continue;
        const auto fields = split_tabs(line);
        if (fields.size() < min_fields)
            throw input_error(path.string() + ":" + std::to_string(lineno) + ": expected at least " +
                              std::to_string(min_fields) + " tab-separated fields, found " +
                              std::to_string(fields.size()));
        if (lineno == 1) {
            std::int64_t v = 0;
            const auto s = fields[int_column];
            if (std::from_chars(s.data(), s.data() + s.size(), v).ec != std::errc{}) continue;  // a header
        }
        f(fields, lineno);
    }
}

/// A chromosome field: not empty (a line starting with a tab, say), else input_error naming the line.
inline std::string chrom_field(std::string_view s, const std::filesystem::path& path, std::size_t lineno)
{
    if (s.empty()) throw input_error(path.string() + ":" + std::to_string(lineno) + ": empty chromosome name");
    return std::string(s);
}

inline std::int64_t parse_int(std::string_view s, const std::filesystem::path& path, std::size_t lineno,
                              const char* what)
{
    std::int64_t v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc{} || r.ptr != s.data() + s.size())
        throw input_error(path.string() + ":" + std::to_string(lineno) + ": " + what + " '" + std::string(s) +
                          "' is not an integer");
    return v;
}

inline double parse_double(std::string_view s, const std::filesystem::path& path, std::size_t lineno,
                           const char* what)
{
    try {
        std::size_t used = 0;
        const double v = std::stod(std::string(s), &used);
        if (used == s.size() && std::isfinite(v)) return v;
    } catch (const std::exception&) {
    }
    throw input_error(path.string() + ":" + std::to_string(lineno) + ": " + what + " '" + std::string(s) +
                      "' is not a finite number");
}

/// A value that says "no value" rather than a malformed one: empty, ".", NA, NaN, null or an
/// infinity (any case). Rows with such a value cannot be scored: they are skipped and counted.
inline bool is_missing_value(std::string_view s)
{
    std::string l;
    for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* m : {"", ".", "na", "n/a", "nan", "-nan", "+nan", "null", "none", "inf", "+inf", "-inf",
                          "infinity", "+infinity", "-infinity"})
        if (l == m) return true;
    return false;
}

/// The reason under which label_set::dropped counts the unscorable rows of `path`.
inline std::string unscorable_reason(const std::filesystem::path& path, const char* what)
{
    return path.filename().string() + ": rows whose " + what + " is NaN, infinite or empty (skipped)";
}

inline int parse_label(std::string_view s, const std::filesystem::path& path, std::size_t lineno)
{
    if (s == "0") return 0;
    if (s == "1") return 1;
    throw input_error(path.string() + ":" + std::to_string(lineno) + ": label '" + std::string(s) +
                      "' is not 0 or 1");
}

inline void check_interval(std::int64_t s, std::int64_t e, const std::filesystem::path& path, std::size_t lineno)
{
    if (s < 0 || e <= s)
        throw input_error(path.string() + ":" + std::to_string(lineno) + ": interval [" + std::to_string(s) + ", " +
                          std::to_string(e) + ") is empty or negative");
}

}  // namespace detail

/// The window between two elements of one chromosome (their union when they overlap or touch).
inline std::pair<std::int64_t, std::int64_t> between(std::int64_t a_start, std::int64_t a_end, std::int64_t b_start,
                                                     std::int64_t b_end)
{
    const std::int64_t lo = std::min(a_end, b_end), hi = std::max(a_start, b_start);
    if (lo < hi) return {lo, hi};
    return {std::min(a_start, b_start), std::max(a_end, b_end)};
}

/// Generic labels. point / window: BED-like `chrom start end label [name]` (0-based, end
/// exclusive; a point uses `start`). between_pair: `chrom a_start a_end b_start b_end label [name]`.
inline label_set load_bed_labels(const std::filesystem::path& path, aggregation rule, std::string task,
                                 std::string cell_type)
{
    label_set s{std::move(task), std::move(cell_type), rule, {}, {}};
    const bool pair = rule == aggregation::between_pair;
    const std::size_t label_col = pair ? 5 : 3;
    detail::for_each_record(path, label_col + 1, 1, [&](const auto& f, std::size_t ln) {
        locus l;
        l.chrom = detail::chrom_field(f[0], path, ln);
        const auto a = detail::parse_int(f[1], path, ln, "start"), b = detail::parse_int(f[2], path, ln, "end");
        detail::check_interval(a, b, path, ln);
        if (pair) {
            const auto c = detail::parse_int(f[3], path, ln, "start"), d = detail::parse_int(f[4], path, ln, "end");
            detail::check_interval(c, d, path, ln);
            std::tie(l.start, l.end) = between(a, b, c, d);
        } else if (rule == aggregation::point) {
            l.start = a;
            l.end = a + 1;
        } else {
            l.start = a;
            l.end = b;
        }
        if (detail::is_missing_value(f[label_col])) {
            ++s.dropped[detail::unscorable_reason(path, "label")];
            return;
        }
        l.label = detail::parse_label(f[label_col], path, ln);
        if (f.size() > label_col + 1) l.name = std::string(f[label_col + 1]);
        s.loci.push_back(std::move(l));
    });
    return s;
}

/// Gene expression (expression/{cell}.{id}.gene_expressed.dev.tsv: gene_id, chrom, tss_1based,
/// strand, gene_biotype, expressed, region): the promoter window `upstream` bp upstream of the TSS
/// and the TSS itself, strand-aware: + strand [tss − upstream, tss], − strand [tss, tss + upstream].
inline label_set load_expression_labels(const std::filesystem::path& path, std::string cell_type,
                                        std::int64_t upstream = 2000)
{
    label_set s{"gene_expression", std::move(cell_type), aggregation::window, {}, {}};
    detail::for_each_record(path, 6, 2, [&](const auto& f, std::size_t ln) {
        locus l;
        l.name = std::string(f[0]);
        l.chrom = detail::chrom_field(f[1], path, ln);
        const std::int64_t tss = detail::parse_int(f[2], path, ln, "tss_1based") - 1;  // 0-based
        if (tss < 0) throw input_error(path.string() + ":" + std::to_string(ln) + ": TSS before the chromosome start");
        if (f[3] == "+") {
            l.start = std::max<std::int64_t>(0, tss - upstream);
            l.end = tss + 1;
        } else if (f[3] == "-") {
            l.start = tss;
            l.end = tss + upstream + 1;
        } else {
            throw input_error(path.string() + ":" + std::to_string(ln) + ": strand '" + std::string(f[3]) +
                              "' is not + or -");
        }
        if (detail::is_missing_value(f[5])) {
            ++s.dropped[detail::unscorable_reason(path, "label")];
            return;
        }
        l.label = detail::parse_label(f[5], path, ln);
        s.loci.push_back(std::move(l));
    });
    return s;
}

/// Promoter–enhancer interactions (pei/{cell}.{id}.ep_pairs.dev.tsv: enhancer chrom/start/end,
/// promoter chrom/start/end, label, …): the window between enhancer and promoter.
inline label_set load_pei_labels(const std::filesystem::path& path, std::string cell_type)
{
    label_set s{"promoter_enhancer", std::move(cell_type), aggregation::between_pair, {}, {}};
    detail::for_each_record(path, 7, 1, [&](const auto& f, std::size_t ln) {
        const auto es = detail::parse_int(f[1], path, ln, "enhancer_start"),
                   ee = detail::parse_int(f[2], path, ln, "enhancer_end");
        const auto ps = detail::parse_int(f[4], path, ln, "promoter_start"),
                   pe = detail::parse_int(f[5], path, ln, "promoter_end");
        detail::check_interval(es, ee, path, ln);
        detail::check_interval(ps, pe, path, ln);
        if (detail::is_missing_value(f[6])) {
            ++s.dropped[detail::unscorable_reason(path, "label")];
            return;
        }
        const int label = detail::parse_label(f[6], path, ln);
        if (f[0] != f[3]) {
            ++s.dropped["enhancer and promoter on different chromosomes"];
            return;
        }
        locus l;
        l.chrom = detail::chrom_field(f[0], path, ln);
        std::tie(l.start, l.end) = between(es, ee, ps, pe);
        l.label = label;
        l.name = std::string(f[0]) + ":" + std::to_string(es) + "-" + std::to_string(pe);
        s.loci.push_back(std::move(l));
    });
    return s;
}

/// Replication timing (replication_timing/*.rt.bed: chrom, start, end, rt, region): the points are
/// pooled into `bin`-bp bins (40 kb as in the paper); a bin is early (1) when the mean rt of its
/// points is ≥ 0, late (0) otherwise. The locus is the whole bin.
inline label_set load_replication_timing_labels(const std::filesystem::path& path, std::string cell_type,
                                                std::int64_t bin = 40000)
{
    label_set s{"replication_timing", std::move(cell_type), aggregation::window, {}, {}};
    std::map<std::pair<std::string, std::int64_t>, std::pair<double, int>> bins;
    detail::for_each_record(path, 4, 1, [&](const auto& f, std::size_t ln) {
        const auto a = detail::parse_int(f[1], path, ln, "start");
        if (a < 0) throw input_error(path.string() + ":" + std::to_string(ln) + ": negative start");
        if (detail::is_missing_value(f[3])) {
            ++s.dropped[detail::unscorable_reason(path, "rt")];
            return;
        }
        const double rt = detail::parse_double(f[3], path, ln, "rt");
        auto& b = bins[{detail::chrom_field(f[0], path, ln), a / bin}];
        b.first += rt;
        b.second += 1;
    });
    for (const auto& [key, sum] : bins) {
        locus l;
        l.chrom = key.first;
        l.start = key.second * bin;
        l.end = l.start + bin;
        l.label = sum.first / sum.second >= 0 ? 1 : 0;
        s.loci.push_back(std::move(l));
    }
    return s;
}

/// Chromatin-domain boundaries at `bin` bp (the paper's FIRE/TAD task at 40 kb; FIRE scores are not
/// shipped, so Hi-C domain calls stand in). `path` is a BED of domains (chrom, start, end, [region]);
/// `tiles` are the intervals to cut into bins (the represented regions: domain calls say nothing
/// about where no domain was called, so only intervals overlapped by at least one domain are
/// tiled). A bin is 1 when a domain start or end lies in it, 0 otherwise; the last, partial bin of
/// an interval is kept when it is at least half a bin long.
inline label_set load_domain_boundary_labels(const std::filesystem::path& path, std::string cell_type,
                                             const std::vector<locus>& tiles, std::int64_t bin = 40000)
{
    if (bin <= 0) throw input_error("epilstm: domain boundary bin size must be positive");
    label_set s{"domain_boundary", std::move(cell_type), aggregation::window, {}, {}};
    struct domain {
        std::string chrom;
        std::int64_t start, end;
    };
    std::vector<domain> domains;
    detail::for_each_record(path, 3, 1, [&](const auto& f, std::size_t ln) {
        const auto a = detail::parse_int(f[1], path, ln, "start"), b = detail::parse_int(f[2], path, ln, "end");
        detail::check_interval(a, b, path, ln);
        domains.push_back({detail::chrom_field(f[0], path, ln), a, b});
    });
    for (const auto& t : tiles) {
        bool overlapped = false;
        for (const auto& d : domains) overlapped |= d.chrom == t.chrom && d.start < t.end && d.end > t.start;
        if (!overlapped) continue;
        for (std::int64_t a = t.start; a + bin / 2 <= t.end; a += bin) {
            locus l;
            l.chrom = t.chrom;
            l.start = a;
            l.end = std::min(a + bin, t.end);
            for (const auto& d : domains)
                if (d.chrom == l.chrom && ((d.start >= l.start && d.start < l.end) || (d.end > l.start && d.end <= l.end)))
                    l.label = 1;
            s.loci.push_back(std::move(l));
        }
    }
    if (s.loci.empty() && !domains.empty()) s.dropped["domains outside every represented region"] = static_cast<index_t>(domains.size());
    return s;
}

}  // namespace epilstm::eval
