// A per-position representation held in memory for the downstream evaluation, and the feature of
// a labelled locus: the mean representation over the bins its window overlaps (paper §3.6: "the
// representation of the promoter region", "of the window between promoter and enhancer").
//
// The representation is either the Epi-LSTM embedding (`epilstm embed`'s file,
// io/embedding_file.hpp) or, for the baselines, the transformed signal of a store
// (io/signal_store.hpp). A locus is used only when its window lies inside one region; others are
// counted by reason (chromosome absent, outside the regions) so that the report can say so.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/eval/labels.hpp>
#include <epilstm/io/hdf5.hpp>
#include <epilstm/io/signal_store.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace epilstm::eval {

using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// One region of a representation: rows[i] covers [start + i·bin_size, start + (i+1)·bin_size).
struct represented_region {
    std::string name, chrom;
    std::int64_t start = 0, end = 0, bin_size = 0;
    row_matrix rows;  ///< [positions, width]
};

struct representation {
    std::string source;
    index_t width = 0;
    std::vector<represented_region> regions;
};

/// Reads every region of an embedding file written by `epilstm embed`.
inline representation read_embedding_representation(const std::filesystem::path& path)
{
    const io::input_file f(path);
    if (!f.has_group("/regions") || !f.has_dataset("/regions/names"))
        throw input_error(path.string() + ": not an embedding file (no /regions/names; written by `epilstm embed`?)");
    representation r;
    r.source = path.string();
    for (const auto& name : f.read_strings("/regions/names")) {
        const std::string g = "/regions/" + name;
        represented_region reg;
        reg.name = name;
        reg.chrom = f.read_string_attribute(g, "chrom");
        reg.start = f.read_int_attribute(g, "start");
        reg.end = f.read_int_attribute(g, "end");
        reg.bin_size = f.read_int_attribute(g, "bin_size");
        reg.rows = f.read_matrix(g + "/embedding");
        // Coordinates first (0 <= start <= end, 1 <= bin_size <= 2^30), so nothing below overflows
        // (tests/fuzz/fuzz_hdf5_files).
        if (reg.start < 0 || reg.end < reg.start || reg.bin_size <= 0 || reg.bin_size > (std::int64_t(1) << 30))
            throw input_error(path.string() + ": " + g + ": coordinates start " + std::to_string(reg.start) + ", end " +
                              std::to_string(reg.end) + ", bin_size " + std::to_string(reg.bin_size) +
                              " (expected 0 <= start <= end and 1 <= bin_size <= 2^30)");
        if (reg.rows.rows() * reg.bin_size != reg.end - reg.start)
            throw input_error(path.string() + ": " + g + ": " + std::to_string(reg.rows.rows()) + " rows of " +
                              std::to_string(reg.bin_size) + " bp do not cover [" + std::to_string(reg.start) + ", " +
                              std::to_string(reg.end) + ")");
        if (r.width == 0) r.width = reg.rows.cols();
        if (reg.rows.cols() != r.width)
            throw input_error(path.string() + ": " + g + "/embedding is " + std::to_string(reg.rows.cols()) +
                              " wide, the first region " + std::to_string(r.width));
        r.regions.push_back(std::move(reg));
    }
    return r;
}

/// Reads the transformed signal of every region of a store ([positions, tracks] per region).
inline representation read_signal_representation(const io::signal_store& store)
{
    representation r;
    r.source = store.path().string();
    r.width = store.tracks();
    for (std::size_t k = 0; k < store.regions().size(); ++k) {
        const auto& ri = store.regions()[k];
        represented_region reg{ri.name, ri.chrom, ri.start, ri.end, ri.bin_size, row_matrix(ri.positions, r.width)};
        store.read_positions(static_cast<index_t>(k), 0, ri.positions, reg.rows.data());
        r.regions.push_back(std::move(reg));
    }
    return r;
}

/// Features of the usable loci of a label set.
struct locus_features {
    Eigen::MatrixXf x;                      ///< [kept, width]: mean representation over each window
    std::vector<std::size_t> kept;          ///< indices into label_set::loci, in order
    std::map<std::string, index_t> skipped; ///< reason → loci not used
};

/// Mean representation over the bins each locus window overlaps; a locus must lie in one region.
inline locus_features extract_features(const representation& rep, const label_set& labels)
{
    std::set<std::string> chroms;
    for (const auto& r : rep.regions) chroms.insert(r.chrom);
    locus_features out;
    std::vector<Eigen::VectorXf> rows;
    for (std::size_t k = 0; k < labels.loci.size(); ++k) {
        const locus& l = labels.loci[k];
        if (!chroms.count(l.chrom)) {
            ++out.skipped["chromosome " + l.chrom + " absent from the representation"];
            continue;
        }
        const represented_region* in = nullptr;
        for (const auto& r : rep.regions)
            if (r.chrom == l.chrom && l.start >= r.start && l.end <= r.end) {
                in = &r;
                break;
            }
        if (!in) {
            ++out.skipped["outside the embedded regions"];
            continue;
        }
        const index_t first = static_cast<index_t>((l.start - in->start) / in->bin_size);
        const index_t last = static_cast<index_t>((l.end - 1 - in->start) / in->bin_size);  // inclusive
        rows.push_back(in->rows.middleRows(first, last - first + 1).colwise().mean().transpose());
        out.kept.push_back(k);
    }
    out.x.resize(static_cast<index_t>(rows.size()), rep.width);
    for (std::size_t i = 0; i < rows.size(); ++i) out.x.row(static_cast<index_t>(i)) = rows[i].transpose();
    return out;
}

}  // namespace epilstm::eval
