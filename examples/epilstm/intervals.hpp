// Annotation and score tracks for `epilstm evaluate`: BED (chrom start end ...: value 1), bedGraph
// (chrom start end value), either gzip-compressed (.gz, when built with zlib), and bigWig.
#pragma once

#include <epilstm/eval/representation.hpp>
#include <epilstm/eval/score_correlation.hpp>

#include <filesystem>
#include <vector>

namespace epilstm::cli {

/// Reads a BED or bedGraph file (plain or .gz). `with_values`: the 4th column is the value (a
/// bedGraph); otherwise every interval has value 1. Errors name the file and line.
std::vector<eval::interval> read_intervals(const std::filesystem::path& path, bool with_values);

/// Per-bin scores of a track over the representation's regions: a bigWig (.bw/.bigWig: mean over
/// covered bases, NaN where none), a bedGraph (.bedGraph/.bdg[.gz]: likewise) or a BED (other
/// names: the fraction of each bin the intervals cover).
std::vector<std::vector<double>> read_bin_scores(const std::filesystem::path& path, const eval::representation& rep);

}  // namespace epilstm::cli
