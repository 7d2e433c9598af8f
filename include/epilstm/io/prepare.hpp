// bigWigs -> signal store: the pipeline behind `epilstm prepare`.
//
//  1. the genome (chrom sizes) and the regions (a BED, or whole chromosomes) are read and checked;
//     each region is widened to the bin grid (start down, end up to a multiple of bin_size; the
//     last bin of a region that ends at a chromosome end not on the grid reaches past it and is
//     averaged over the bases that exist);
//  2. every bigWig is opened and its chromosome list checked against the genome;
//  3. each region is processed in blocks of positions: per track, the mean over covered bases of
//     each bin (bigwig_file::read_bin_means), then Transform::apply, no data -> 0 and flagged; the
//     block [D, block] is appended to the store. Tracks are read, and the block's chunks compressed,
//     on opt.store.threads threads; a block is compressed and written while the next is read, so
//     memory is 2 x D x block values. The store's bytes do not depend on the number of threads.
//
// Any error leaves an existing store at the output path untouched (signal_store_writer writes a
// temporary file and renames it on commit). Needs the compiled target epilstm::bigwig.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/data/transform.hpp>
#include <epilstm/detail/parallel_for.hpp>
#include <epilstm/error.hpp>
#include <epilstm/io/bigwig.hpp>
#include <epilstm/io/genome.hpp>
#include <epilstm/io/signal_store.hpp>
#include <epilstm/io/track_manifest.hpp>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace epilstm::io {

struct prepare_options {
    std::vector<track_entry> tracks;
    std::filesystem::path genome;                  ///< chrom sizes file
    std::optional<std::filesystem::path> regions;  ///< BED; whole chromosomes when empty
    index_t bin_size = 25;
    std::filesystem::path out;
    index_t block_positions = 16 * signal_store_writer::default_chunk_positions;  ///< positions per read/write block
    store_options store;  ///< chunking, compression, precision; store.threads also reads the bigWigs (0 = every core)
};

struct prepare_summary {
    index_t tracks = 0;
    index_t regions = 0;
    index_t positions = 0;
    index_t missing_positions = 0;  ///< positions with no data in any track
    double seconds = 0;
    std::filesystem::path out;
};

/// Regions of `bed` (or of `g`'s chromosomes) aligned to the bin grid and named: the BED's 4th
/// column when every region has one and they are unique (and usable as HDF5 names), otherwise
/// `chrom:start-end` of the aligned coordinates. Two regions with the same coordinates are an error
/// naming both BED lines.
inline std::vector<region_info> align_regions(const std::vector<bed_region>& bed, const std::optional<std::filesystem::path>& bed_path,
                                              index_t bin_size)
{
    if (bin_size <= 0) throw input_error("--bin-size " + std::to_string(bin_size) + " must be a positive number of bases");
    bool use_names = true;
    std::map<std::string, int, std::less<>> count;
    for (const auto& r : bed) {
        if (r.name.empty() || r.name == "." || r.name == "names" || r.name.find('/') != std::string::npos) use_names = false;
        ++count[r.name];
    }
    for (const auto& [n, c] : count)
        if (c > 1) use_names = false;
    std::vector<region_info> out;
    std::map<std::string, long, std::less<>> seen;
    for (const auto& r : bed) {
        region_info a;
        a.chrom = r.chrom;
        a.start = (r.start / bin_size) * bin_size;
        a.end = ((r.end + bin_size - 1) / bin_size) * bin_size;
        a.bin_size = bin_size;
        a.positions = static_cast<index_t>((a.end - a.start) / bin_size);
        a.name = use_names ? r.name : r.chrom + ":" + std::to_string(a.start) + "-" + std::to_string(a.end);
        if (const auto it = seen.find(a.name); it != seen.end()) {
            const std::string src = bed_path ? bed_path->string() : std::string("genome");
            throw input_error(src + ": regions on lines " + std::to_string(it->second) + " and " + std::to_string(r.line) +
                              " both cover " + a.name + " on the " + std::to_string(bin_size) +
                              " bp grid; regions must be distinct");
        }
        seen.emplace(a.name, r.line);
        out.push_back(std::move(a));
    }
    return out;
}

/// Runs the pipeline (see the file comment) with transform `Transform`. `progress(line)` receives a
/// human-readable line per track checked and per region written.
template <class Transform = data::asinh_transform, class Progress>
prepare_summary prepare_signal_store(const prepare_options& opt, Progress&& progress)
{
    const auto t0 = std::chrono::steady_clock::now();
    if (opt.tracks.empty()) throw input_error("no tracks to prepare");
    if (opt.bin_size <= 0) throw input_error("--bin-size " + std::to_string(opt.bin_size) + " must be a positive number of bases");
    detail::require_unique_track_ids(opt.tracks, "tracks");

    const genome g = read_chrom_sizes(opt.genome);
    const std::vector<bed_region> bed = opt.regions ? read_bed_regions(*opt.regions, g) : whole_chromosomes(g);
    const std::vector<region_info> regions = align_regions(bed, opt.regions, opt.bin_size);

    const index_t D = static_cast<index_t>(opt.tracks.size());
    std::vector<bigwig_file> files;
    files.reserve(opt.tracks.size());
    std::vector<track_info> infos;
    for (index_t d = 0; d < D; ++d) {
        const auto& t = opt.tracks[static_cast<std::size_t>(d)];
        files.emplace_back(t.path, t.origin);
        check_bigwig_genome(files.back(), g, t.origin);
        infos.push_back({t.id, t.cell_type, t.assay, t.path.string()});
        progress("track " + std::to_string(d + 1) + "/" + std::to_string(D) + " " + t.id + ": " + t.path.string() + " (" +
                 std::to_string(files.back().chroms().size()) + " chromosomes, genome build agrees)");
    }

    signal_store_writer w(opt.out, infos, g, opt.bin_size, Transform::name, opt.store);
    const int threads = epilstm::detail::resolve_threads(opt.store.threads);
    const index_t block = std::max<index_t>(1, opt.block_positions);
    // Two blocks in flight: while one is compressed and written (a background task; HDF5 is called
    // from it alone), the tracks of the next are read into the other.
    std::vector<float> values[2];
    std::vector<std::uint8_t> has[2];
    for (int k = 0; k < 2; ++k) {
        values[k].resize(static_cast<std::size_t>(D * block));
        has[k].resize(static_cast<std::size_t>(D * block));
    }
    std::future<index_t> writing;  // after the buffers: it is waited for before they go
    prepare_summary s;
    s.tracks = D;
    s.out = opt.out;
    int k = 0;
    for (std::size_t r = 0; r < regions.size(); ++r) {
        const region_info& reg = regions[r];
        w.begin_region(reg.name, reg.chrom, reg.start, reg.end);
        index_t region_missing = 0;
        for (index_t first = 0; first < reg.positions; first += block, k ^= 1) {
            const index_t n = std::min(block, reg.positions - first);
            const std::int64_t bstart = reg.start + static_cast<std::int64_t>(first) * opt.bin_size;
            epilstm::detail::parallel_for(threads, static_cast<std::size_t>(D), [&](std::size_t t) {
                const index_t d = static_cast<index_t>(t);
                thread_local std::vector<double> mean;
                mean.resize(static_cast<std::size_t>(n));
                std::uint8_t* h = has[k].data() + d * n;
                float* v = values[k].data() + d * n;
                files[t].read_bin_means(reg.chrom, bstart, n, opt.bin_size, mean.data(), h);
                // bigWig records span several bins (bedGraph runs), so neighbouring bins often share a
                // mean: transform each run once (asinh is a sixth of prepare's time otherwise).
                double last_in = 0;
                float last_out = static_cast<float>(Transform::apply(0.0));
                for (index_t i = 0; i < n; ++i) {
                    const double m = mean[static_cast<std::size_t>(i)];
                    if (m != last_in) {
                        last_in = m;
                        last_out = static_cast<float>(Transform::apply(m));
                    }
                    v[i] = h[i] ? last_out : 0.0f;
                }
            });
            if (writing.valid()) region_missing += writing.get();
            writing = std::async(std::launch::async, [&w, n, v = values[k].data(), h = has[k].data()] {
                return w.write_block(n, v, h);
            });
        }
        region_missing += writing.get();
        const auto cov = w.end_region();
        double mean_cov = 0;
        for (float c : cov) mean_cov += c;
        mean_cov /= static_cast<double>(D);
        s.positions += reg.positions;
        s.missing_positions += region_missing;
        progress("region " + std::to_string(r + 1) + "/" + std::to_string(regions.size()) + " " + reg.name + " " + reg.chrom +
                 ":" + std::to_string(reg.start) + "-" + std::to_string(reg.end) + ": " + std::to_string(reg.positions) +
                 " positions, " + std::to_string(region_missing) + " missing in every track, mean track coverage " +
                 std::to_string(mean_cov));
    }
    w.commit();
    s.regions = static_cast<index_t>(regions.size());
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return s;
}

}  // namespace epilstm::io
