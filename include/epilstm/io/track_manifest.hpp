// Track manifests: which bigWig holds which track. Either a TSV
//
//     track_id <TAB> cell_type <TAB> assay <TAB> path        (header line optional, '#' comments)
//
// whose relative paths are relative to the manifest's folder, or a folder of
// `EPIGENOME.ASSAY*.bigWig` files (e.g. E003.H3K4me3.pval.dev.bigWig -> id E003.H3K4me3, cell type
// E003, assay H3K4me3), sorted by file name. Track ids must be unique; the error names both lines
// (or both files). Whether each file exists and is a bigWig is checked when it is opened, and that
// error names `origin` (the manifest line).
#pragma once

#include <epilstm/error.hpp>
#include <epilstm/io/genome.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace epilstm::io {

/// One track of a manifest.
struct track_entry {
    std::string id;
    std::string cell_type;
    std::string assay;
    std::filesystem::path path;  ///< resolved (relative to the manifest's folder)
    std::string origin;          ///< "<manifest>:<line>", or the file's path for a folder scan
};

namespace detail {

/// Throws input_error when two entries share an id, naming both origins.
inline void require_unique_track_ids(const std::vector<track_entry>& tracks, const std::string& source)
{
    std::map<std::string, const track_entry*, std::less<>> seen;
    for (const auto& t : tracks) {
        const auto [it, fresh] = seen.emplace(t.id, &t);
        if (!fresh)
            throw input_error(source + ": duplicate track id '" + t.id + "' (" + it->second->origin + " and " + t.origin +
                              "); track ids must be unique");
    }
}

}  // namespace detail

/// Reads a manifest TSV (see the file comment). Paths are not opened here.
inline std::vector<track_entry> read_track_manifest(const std::filesystem::path& path)
{
    std::ifstream in = detail::open_text(path, "a track manifest (track_id<TAB>cell_type<TAB>assay<TAB>path)");
    const std::filesystem::path dir = path.parent_path();
    std::vector<track_entry> out;
    std::map<std::string, long, std::less<>> seen;
    std::string line;
    long no = 0;
    bool first_data_line = true;
    while (std::getline(in, line)) {
        ++no;
        if (detail::is_blank_or_comment(line)) continue;
        const std::string where = path.string() + ":" + std::to_string(no);
        const auto f = detail::split_tabs(line);
        if (first_data_line && !f.empty() && (f[0] == "track_id" || f[0] == "id")) {
            first_data_line = false;  // a header line
            continue;
        }
        first_data_line = false;
        if (f.size() != 4)
            throw input_error(where + ": expected 4 tab-separated columns (track_id, cell_type, assay, path), got " +
                              std::to_string(f.size()));
        for (std::size_t k = 0; k < 4; ++k)
            if (f[k].empty())
                throw input_error(where + ": column " + std::to_string(k + 1) + " (" +
                                  (k == 0 ? "track_id" : k == 1 ? "cell_type" : k == 2 ? "assay" : "path") + ") is empty");
        track_entry t;
        t.id = std::string(f[0]);
        t.cell_type = std::string(f[1]);
        t.assay = std::string(f[2]);
        std::filesystem::path p{std::string(f[3])};
        t.path = p.is_absolute() || dir.empty() ? p : dir / p;
        t.origin = where;
        if (const auto it = seen.find(t.id); it != seen.end())
            throw input_error(path.string() + ": duplicate track id '" + t.id + "' on lines " + std::to_string(it->second) +
                              " and " + std::to_string(no) + "; track ids must be unique");
        seen.emplace(t.id, no);
        out.push_back(std::move(t));
    }
    if (in.bad()) throw io_error(path.string() + ": read error");
    if (out.empty()) throw input_error(path.string() + ": no tracks (expected track_id<TAB>cell_type<TAB>assay<TAB>path lines)");
    return out;
}

/// A manifest made from the `EPIGENOME.ASSAY*.bigWig` (or `.bw`) files of `dir`, sorted by name.
inline std::vector<track_entry> tracks_from_directory(const std::filesystem::path& dir)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) throw input_error(dir.string() + ": no such directory (--bigwig-dir)");
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const auto ext = e.path().extension().string();
        if (ext == ".bigWig" || ext == ".bigwig" || ext == ".bw") files.push_back(e.path());
    }
    if (ec) throw io_error(dir.string() + ": cannot list the directory: " + ec.message());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw input_error(dir.string() + ": no *.bigWig files (expected EPIGENOME.ASSAY*.bigWig)");
    std::vector<track_entry> out;
    for (const auto& p : files) {
        const std::string name = p.filename().string();
        const auto dot1 = name.find('.');
        const auto dot2 = dot1 == std::string::npos ? std::string::npos : name.find('.', dot1 + 1);
        if (dot1 == 0 || dot2 == std::string::npos || dot2 == dot1 + 1)
            throw input_error(p.string() + ": file name is not EPIGENOME.ASSAY*.bigWig (e.g. E003.H3K4me3.pval.bigWig)");
        track_entry t;
        t.cell_type = name.substr(0, dot1);
        t.assay = name.substr(dot1 + 1, dot2 - dot1 - 1);
        t.id = t.cell_type + "." + t.assay;
        t.path = p;
        t.origin = p.string();
        out.push_back(std::move(t));
    }
    detail::require_unique_track_ids(out, dir.string());
    return out;
}

}  // namespace epilstm::io
