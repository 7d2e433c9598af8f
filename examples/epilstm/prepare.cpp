// `epilstm prepare (--manifest tracks.tsv | --bigwig-dir DIR) --genome chrom.sizes
//                  [--regions regions.bed] [--bin-size 25] [--transform asinh|none]
//                  [--precision float32|float16] [--deflate-level 0-9] [--threads N] --out store.h5`
//
// Progress (one line per track checked and per region written) goes to stderr, the summary line to
// stdout. Every user error is an epilstm::error; nothing is written at --out unless all succeeds.
#include "prepare.hpp"

#include "../cli_checks.hpp"

#include <epilstm/data/transform.hpp>
#include <epilstm/io/prepare.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

namespace {

struct prepare_cli {
    std::string manifest;
    std::string bigwig_dir;
    std::string genome;
    std::string regions;
    long bin_size = 25;
    std::string transform = "asinh";
    std::string out;
    std::string precision = "float32";
    int deflate_level = 4;
    int threads = 0;
    bool quiet = false;
};

prepare_cli& options()
{
    static prepare_cli o;
    return o;
}

/// prepare keeps every bigWig open at once: raise the soft limit on open files to what that needs
/// (Debian's default soft limit is 1,024, and the paper's compendium has 1,014 tracks), or say
/// which limit is too low.
void ensure_open_files(std::size_t tracks)
{
    const rlim_t need = static_cast<rlim_t>(tracks) + 64;  // the store, HDF5, stdio, MPI's sockets
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY || r.rlim_cur >= need) return;
    if (r.rlim_max != RLIM_INFINITY && r.rlim_max < need)
        throw epilstm::input_error("prepare keeps all " + std::to_string(tracks) + " bigWigs open and needs about " +
                                   std::to_string(need) + " open files, but this process may open at most " +
                                   std::to_string(r.rlim_max) + " (the hard limit, ulimit -Hn); raise it "
                                   "(e.g. in /etc/security/limits.conf) and run again");
    r.rlim_cur = need;
    ::setrlimit(RLIMIT_NOFILE, &r);
}

}  // namespace

CLI::App* add_prepare_command(CLI::App& app)
{
    prepare_cli& o = options();
    auto* c = app.add_subcommand("prepare",
                                 "read bigWig tracks, bin them, transform them and write an HDF5 signal store "
                                 "(docs/store-format.md)");
    auto* man = c->add_option("--manifest", o.manifest,
                              "TSV: track_id, cell_type, assay, path (header optional, '#' comments; paths relative "
                              "to the manifest's folder)");
    auto* dir = c->add_option("--bigwig-dir", o.bigwig_dir,
                              "folder of EPIGENOME.ASSAY*.bigWig files (id EPIGENOME.ASSAY), sorted by name");
    man->excludes(dir);
    dir->excludes(man);
    c->add_option("--genome", o.genome, "chrom sizes file (chrom<TAB>size) of the bigWigs' genome build")->required();
    c->add_option("--regions", o.regions, "regions BED (chrom, start, end[, name]); default: whole chromosomes");
    c->add_option("--bin-size", o.bin_size, "bin size in bases")->check(epilstm::cli_checks::positive(o.bin_size))->capture_default_str();
    c->add_option("--transform", o.transform, "asinh | none")->capture_default_str();
    c->add_option("--out,-o", o.out, "signal store to write (HDF5)")->required();
    c->add_option("--precision", o.precision,
                  "float32 (exact) | float16 (half the size and the time to read back; relative error <= 2^-11, "
                  "docs/store-format.md)")
        ->capture_default_str();
    c->add_option("--deflate-level", o.deflate_level, "zlib level after shuffle: 1 (fast) .. 9 (small), 0 = uncompressed")
        ->check(CLI::Range(0, 9))
        ->capture_default_str();
    c->add_option("--threads", o.threads, "threads reading bigWigs and compressing chunks (0 = every core)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    c->add_flag("--quiet,-q", o.quiet, "no progress lines");
    return c;
}

int run_prepare_command()
{
    using namespace epilstm;
    const prepare_cli& o = options();
    if (o.manifest.empty() == o.bigwig_dir.empty())
        throw input_error("command line: give exactly one of --manifest tracks.tsv or --bigwig-dir DIR");
    io::prepare_options po;
    po.tracks = o.manifest.empty() ? io::tracks_from_directory(o.bigwig_dir) : io::read_track_manifest(o.manifest);
    ensure_open_files(po.tracks.size());
    po.genome = o.genome;
    if (!o.regions.empty()) po.regions = std::filesystem::path(o.regions);
    po.bin_size = o.bin_size;
    po.out = o.out;
    po.store.precision = io::parse_precision(o.precision, "command line: --precision");
    po.store.deflate_level = o.deflate_level;
    po.store.threads = o.threads;
    auto progress = [&](const std::string& line) {
        if (o.quiet) return;
        std::fprintf(stderr, "prepare: %s\n", line.c_str());
        std::fflush(stderr);
    };
    io::prepare_summary s;
    const bool known = data::with_transform(o.transform, [&](auto t) {
        s = io::prepare_signal_store<decltype(t)>(po, progress);
    });
    if (!known) throw input_error("command line: --transform '" + o.transform + "' is not one of: asinh, none");
    std::printf("wrote %s: %ld tracks, %ld regions, %ld positions (%ld missing in every track), bin %ld bp, %s, %s, %.1f s\n",
                s.out.c_str(), static_cast<long>(s.tracks), static_cast<long>(s.regions), static_cast<long>(s.positions),
                static_cast<long>(s.missing_positions), o.bin_size, o.transform.c_str(), o.precision.c_str(), s.seconds);
    return 0;
}
