// Genome description files: a chrom sizes table (`chrom<TAB>size`, as UCSC's hg19.chrom.sizes) and
// a regions BED (`chrom<TAB>start<TAB>end[<TAB>name ...]`, 0-based half-open). Both readers
// validate every line and report errors as "<file>:<line>: <what was expected>".
//
// Plain C++ (no HDF5, no libBigWig), so the CLI and the tests can check inputs before opening
// anything heavy.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace epilstm::io {

/// A chromosome and its length in bases.
struct chrom_size {
    std::string name;
    std::int64_t size = 0;
};

/// The chrom sizes a store is built against (genome build), in file order.
struct genome {
    std::filesystem::path path;
    std::vector<chrom_size> chroms;

    /// The chromosome called `name`, or nullptr.
    const chrom_size* find(std::string_view name) const
    {
        for (const auto& c : chroms)
            if (c.name == name) return &c;
        return nullptr;
    }
};

/// One line of a regions BED (coordinates as given, not yet aligned to a bin grid).
struct bed_region {
    std::string chrom;
    std::int64_t start = 0;
    std::int64_t end = 0;
    std::string name;  ///< 4th column, empty when absent
    long line = 0;     ///< 1-based line in the BED file; 0 for a region made from the genome
};

namespace detail {

/// Splits a line on tabs (a BED or TSV line; trailing '\r' removed first).
inline std::vector<std::string_view> split_tabs(std::string_view line)
{
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (true) {
        const std::size_t tab = line.find('\t', pos);
        out.push_back(line.substr(pos, tab == std::string_view::npos ? std::string_view::npos : tab - pos));
        if (tab == std::string_view::npos) break;
        pos = tab + 1;
    }
    return out;
}

/// Splits on runs of spaces or tabs (chrom sizes files are sometimes space separated).
inline std::vector<std::string_view> split_blanks(std::string_view line)
{
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        std::size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
        if (j > i) out.push_back(line.substr(i, j - i));
        i = j;
    }
    return out;
}

inline bool parse_int64(std::string_view s, std::int64_t& v)
{
    if (s.empty()) return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

inline bool is_blank_or_comment(std::string_view line)
{
    for (char c : line) {
        if (c == ' ' || c == '\t' || c == '\r') continue;
        return c == '#';
    }
    return true;
}

inline std::ifstream open_text(const std::filesystem::path& path, std::string_view what)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw input_error(path.string() + ": no such file (" + std::string(what) + ")");
    if (std::filesystem::is_directory(path, ec))
        throw input_error(path.string() + ": is a directory, expected " + std::string(what));
    std::ifstream in(path);
    if (!in) throw io_error(path.string() + ": cannot be read (check permissions)");
    return in;
}

}  // namespace detail

/// Reads a chrom sizes file: one `chrom size` per line (tab or space separated, extra columns
/// ignored, '#' comments and blank lines skipped). Sizes must be positive and names unique.
inline genome read_chrom_sizes(const std::filesystem::path& path)
{
    std::ifstream in = detail::open_text(path, "a chrom sizes file (chrom<TAB>size per line)");
    genome g;
    g.path = path;
    std::map<std::string, long, std::less<>> seen;
    std::string line;
    long no = 0;
    while (std::getline(in, line)) {
        ++no;
        if (detail::is_blank_or_comment(line)) continue;
        const std::string where = path.string() + ":" + std::to_string(no) + ": ";
        const auto f = detail::split_blanks(line);
        if (f.size() < 2) throw input_error(where + "expected 'chrom<TAB>size', got '" + line + "'");
        std::int64_t size = 0;
        if (!detail::parse_int64(f[1], size) || size <= 0)
            throw input_error(where + "chromosome size '" + std::string(f[1]) + "' is not a positive integer");
        const std::string name(f[0]);
        if (const auto it = seen.find(name); it != seen.end())
            throw input_error(where + "chromosome " + name + " is listed twice (first on line " +
                              std::to_string(it->second) + ")");
        seen.emplace(name, no);
        g.chroms.push_back({name, size});
    }
    if (in.bad()) throw io_error(path.string() + ": read error");
    if (g.chroms.empty()) throw input_error(path.string() + ": no chromosomes (expected 'chrom<TAB>size' lines)");
    return g;
}

/// Reads a regions BED and checks every region against `g`: the chromosome exists, 0 <= start,
/// end > start (an empty region is an error), end <= the chromosome's size. `track`, `browser` and
/// '#' lines are skipped.
inline std::vector<bed_region> read_bed_regions(const std::filesystem::path& path, const genome& g)
{
    std::ifstream in = detail::open_text(path, "a regions BED file (chrom<TAB>start<TAB>end[<TAB>name])");
    std::vector<bed_region> out;
    std::string line;
    long no = 0;
    while (std::getline(in, line)) {
        ++no;
        if (detail::is_blank_or_comment(line)) continue;
        const std::string_view lv(line);
        if (lv.rfind("track", 0) == 0 || lv.rfind("browser", 0) == 0) continue;
        const std::string where = path.string() + ":" + std::to_string(no) + ": ";
        auto f = detail::split_tabs(line);
        if (f.size() < 3) f = detail::split_blanks(line);
        if (f.size() < 3) throw input_error(where + "expected 'chrom<TAB>start<TAB>end[<TAB>name]', got '" + line + "'");
        bed_region r;
        r.chrom = std::string(f[0]);
        r.line = no;
        if (!detail::parse_int64(f[1], r.start) || r.start < 0)
            throw input_error(where + "start '" + std::string(f[1]) + "' is not a non-negative integer");
        if (!detail::parse_int64(f[2], r.end) || r.end < 0)
            throw input_error(where + "end '" + std::string(f[2]) + "' is not a non-negative integer");
        if (f.size() >= 4) r.name = std::string(f[3]);
        const std::string coords = r.chrom + ":" + std::to_string(r.start) + "-" + std::to_string(r.end);
        if (r.end <= r.start)
            throw input_error(where + "region " + coords + " is empty (end must be greater than start)");
        const chrom_size* c = g.find(r.chrom);
        if (!c)
            throw input_error(where + "chromosome " + r.chrom + " is not in the genome " + g.path.string());
        if (r.end > c->size)
            throw input_error(where + "region " + coords + " lies outside chromosome " + r.chrom + " (size " +
                              std::to_string(c->size) + " in " + g.path.string() + ")");
        out.push_back(std::move(r));
    }
    if (in.bad()) throw io_error(path.string() + ": read error");
    if (out.empty()) throw input_error(path.string() + ": no regions (expected 'chrom<TAB>start<TAB>end' lines)");
    return out;
}

/// One region per chromosome of `g`, in the genome's order (the default when no BED is given).
inline std::vector<bed_region> whole_chromosomes(const genome& g)
{
    std::vector<bed_region> out;
    for (const auto& c : g.chroms) out.push_back({c.name, 0, c.size, c.name, 0});
    return out;
}

}  // namespace epilstm::io
