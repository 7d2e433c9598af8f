// Writing bigWig files of fixed-step bins (libBigWig), e.g. one latent feature per file for a
// genome browser. Like io/bigwig.hpp this header does not include <bigWig.h>; the code is compiled
// into the epilstm::bigwig target (src/bigwig/bigwig_writer.cpp).
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

/// Writes a bigWig to a temporary file beside `target` and renames it into place on commit(); a
/// writer destroyed without commit() removes the temporary file. Bins must come in the order of
/// `chroms` and, within a chromosome, by increasing start without overlap (what the format needs).
class bigwig_writer {
public:
    bigwig_writer(const std::filesystem::path& target, const std::vector<chrom_size>& chroms);
    ~bigwig_writer();
    bigwig_writer(const bigwig_writer&) = delete;
    bigwig_writer& operator=(const bigwig_writer&) = delete;

    /// n bins of `bin_size` bases starting at `start` on `chrom`, values[i] for bin i.
    void add_bins(const std::string& chrom, std::int64_t start, index_t bin_size, const float* values, index_t n);
    void commit();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace epilstm::io
