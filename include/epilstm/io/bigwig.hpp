// Reading bigWig files (libBigWig), binned.
//
// This header deliberately does NOT include <bigWig.h>: libBigWig's `enum bwStatsType` puts the
// unscoped names `mean, average, stdev, dev, max, min, cov, coverage, sum, doesNotExist` into the
// global namespace (docs/DEPENDENCIES.md), which breaks unrelated code that includes it. The
// functions declared here are compiled once, in src/bigwig/bigwig.cpp, into the static library
// target `epilstm::bigwig` (built only when libBigWig is found); a program that uses this header
// links that target. See docs/store-format.md, "Why a compiled target".
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/io/genome.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace epilstm::io {

/// A bigWig opened for reading. Move-only; closes the file when destroyed.
class bigwig_file {
public:
    /// Opens `path`. Throws input_error "<origin>: bigWig <path> ..." when the file does not exist,
    /// cannot be read or is not a bigWig (truncated, another format). `origin` (e.g. a manifest
    /// line) prefixes the message when not empty.
    explicit bigwig_file(const std::filesystem::path& path, const std::string& origin = {});
    ~bigwig_file();
    bigwig_file(bigwig_file&&) noexcept;
    bigwig_file& operator=(bigwig_file&&) noexcept;
    bigwig_file(const bigwig_file&) = delete;
    bigwig_file& operator=(const bigwig_file&) = delete;

    const std::filesystem::path& path() const;
    /// The chromosomes listed in the file's header, in file order.
    const std::vector<chrom_size>& chroms() const;

    /// Means over bins [start + k*bin_size, start + (k+1)*bin_size), k = 0..n-1, of chromosome
    /// `chrom`: mean[k] is the mean value over the bases of bin k that some interval covers
    /// (bases no interval covers do not count) and covered[k] = 1; a bin with no covered base has
    /// mean[k] = 0 and covered[k] = 0. A chromosome the file does not list has no data. Reads the
    /// overlapping intervals (bwGetOverlappingIntervals), never per-base values. Throws
    /// input_error naming the file, chromosome and position of a NaN or infinite value.
    void read_bin_means(const std::string& chrom, std::int64_t start, index_t n, index_t bin_size, double* mean,
                        std::uint8_t* covered) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Throws input_error unless every chromosome `bw` lists is in `g` with the same size; the message
/// names the bigWig, the chromosome and both sizes (and the genome file). `origin` as above.
void check_bigwig_genome(const bigwig_file& bw, const genome& g, const std::string& origin = {});

}  // namespace epilstm::io
