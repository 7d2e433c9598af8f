// The downstream tasks of a label directory laid out as the shipped pilot_labels_hg19
// (../shared/data/pilot_labels_hg19/PROVENANCE.md), and a task made ready for cross-chromosome
// validation against a representation. Shared by `epilstm evaluate` and examples/ablation.
//
//   gene_expression     expression/{cell}.{id}.gene_expressed.dev.tsv   promoter window (strand-aware)
//   promoter_enhancer   pei/{cell}.{id}.ep_pairs.dev.tsv                window between the two elements
//   domain_boundary     tads/{cell}.{id}.arrowhead_domains.dev.bed      40 kb bins, 1 = holds a domain end
//   replication_timing  replication_timing/*.rt.dev.bed                 40 kb bins, 1 = early (rt ≥ 0)
//
// Nothing here throws for a task that cannot be evaluated: the reason is recorded so that the
// report can say what was skipped and why, and the other tasks go on.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/eval/folds.hpp>
#include <epilstm/eval/labels.hpp>
#include <epilstm/eval/representation.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace epilstm::eval {

/// The task names `load_label_directory` knows, in report order.
inline const std::vector<std::string>& known_tasks()
{
    static const std::vector<std::string> t{"gene_expression", "promoter_enhancer", "domain_boundary",
                                            "replication_timing"};
    return t;
}

struct label_directory_options {
    std::vector<std::string> tasks = known_tasks();
    std::int64_t upstream = 2000;      ///< promoter window upstream of the TSS (bp)
    std::int64_t bin = 40000;          ///< bin of the domain-boundary and replication-timing tasks (bp)
};

namespace detail {
inline std::vector<std::filesystem::path> files_with_suffix(const std::filesystem::path& dir, const std::string& suffix)
{
    std::vector<std::filesystem::path> out;
    if (!std::filesystem::is_directory(dir)) return out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().filename().string().ends_with(suffix)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}
/// The cell type of a pilot label file: its name up to the first '.'.
inline std::string cell_of(const std::filesystem::path& p)
{
    const std::string n = p.filename().string();
    return n.substr(0, n.find('.'));
}
}  // namespace detail

/// Loads every label file of the requested tasks. `rep` gives the regions that the 40 kb tasks
/// tile. Throws input_error for an unknown task name or when no label file is found at all (a
/// wrong directory); a requested task without files is noted in `notes`.
inline std::vector<label_set> load_label_directory(const std::filesystem::path& dir, const representation& rep,
                                                   const label_directory_options& o, std::vector<std::string>& notes)
{
    for (const auto& t : o.tasks)
        if (std::find(known_tasks().begin(), known_tasks().end(), t) == known_tasks().end()) {
            std::string k;
            for (const auto& n : known_tasks()) k += (k.empty() ? "" : ", ") + n;
            throw input_error("epilstm: unknown task '" + t + "' (known: " + k + ")");
        }
    auto want = [&](const std::string& t) { return std::find(o.tasks.begin(), o.tasks.end(), t) != o.tasks.end(); };
    std::vector<locus> tiles;
    for (const auto& r : rep.regions) tiles.push_back({r.chrom, r.start, r.end, 0, r.name});

    std::vector<label_set> sets;
    auto none = [&](const std::string& task, const std::filesystem::path& where) {
        notes.push_back(task + ": task skipped: no label file " + where.string());
    };
    if (want("gene_expression")) {
        const auto files = detail::files_with_suffix(dir / "expression", ".gene_expressed.dev.tsv");
        if (files.empty()) none("gene_expression", dir / "expression" / "*.gene_expressed.dev.tsv");
        for (const auto& p : files) sets.push_back(load_expression_labels(p, detail::cell_of(p), o.upstream));
    }
    if (want("promoter_enhancer")) {
        const auto files = detail::files_with_suffix(dir / "pei", ".ep_pairs.dev.tsv");
        if (files.empty()) none("promoter_enhancer", dir / "pei" / "*.ep_pairs.dev.tsv");
        for (const auto& p : files) sets.push_back(load_pei_labels(p, detail::cell_of(p)));
    }
    if (want("domain_boundary")) {
        const auto files = detail::files_with_suffix(dir / "tads", ".bed");
        if (files.empty()) none("domain_boundary", dir / "tads" / "*.bed");
        for (const auto& p : files) sets.push_back(load_domain_boundary_labels(p, detail::cell_of(p), tiles, o.bin));
    }
    if (want("replication_timing")) {
        const auto files = detail::files_with_suffix(dir / "replication_timing", ".bed");
        if (files.empty()) none("replication_timing", dir / "replication_timing" / "*.bed");
        for (const auto& p : files)
            // Koren 2012 LCL timing: the lymphoblastoid line of the pilot is GM12878 (PROVENANCE.md).
            sets.push_back(load_replication_timing_labels(
                p, detail::cell_of(p) == "LCL_Koren2012" ? "GM12878" : detail::cell_of(p), o.bin));
    }
    if (sets.empty())
        throw input_error(dir.string() + ": no label files found (expected expression/, pei/, tads/, "
                                         "replication_timing/ as in pilot_labels_hg19)");
    return sets;
}

/// A label set restricted to the loci a representation covers, with its folds.
struct prepared_task {
    const label_set* set = nullptr;
    locus_features reference;          ///< features of the representation it was prepared against
    std::vector<float> y;              ///< labels of the kept loci
    std::vector<std::string> chroms;   ///< chromosome of each kept locus
    chromosome_folds folds;
    index_t positives = 0;
    std::vector<std::string> notes;    ///< dropped records and skipped loci, with counts
    std::string skip_reason;           ///< non-empty: the task cannot be cross-validated

    bool usable() const { return skip_reason.empty(); }
    std::string what() const { return set->task + " / " + set->cell_type; }
};

/// Keeps the loci of `set` that lie inside one region of `rep`, then assigns their chromosomes to
/// folds (`heldout`: chromosomes the representation was not trained on, kept in folds of their
/// own, eval/folds.hpp). Skips (with the reason) a task with no loci, a single class, or fewer than
/// three chromosomes (train, validation and test need one each).
inline prepared_task prepare_task(const label_set& set, const representation& rep, index_t n_folds,
                                  std::uint64_t seed, const std::set<std::string>& heldout = {})
{
    prepared_task t;
    t.set = &set;
    for (const auto& [reason, n] : set.dropped)
        t.notes.push_back(t.what() + ": " + std::to_string(n) + " records dropped: " + reason);
    if (set.loci.empty()) {
        t.skip_reason = "no labelled loci";
        return t;
    }
    t.reference = extract_features(rep, set);
    for (const auto& [reason, n] : t.reference.skipped)
        t.notes.push_back(t.what() + ": " + std::to_string(n) + " of " + std::to_string(set.loci.size()) +
                          " loci skipped: " + reason);
    for (auto k : t.reference.kept) {
        t.y.push_back(static_cast<float>(set.loci[k].label));
        t.chroms.push_back(set.loci[k].chrom);
    }
    t.positives = static_cast<index_t>(std::count(t.y.begin(), t.y.end(), 1.f));
    if (t.y.empty()) {
        t.skip_reason = "no locus lies in the represented regions";
        return t;
    }
    if (t.positives == 0 || t.positives == static_cast<index_t>(t.y.size())) {
        t.skip_reason = "all " + std::to_string(t.y.size()) + " usable loci have label " + (t.positives == 0 ? "0" : "1");
        return t;
    }
    t.folds = make_chromosome_folds(t.chroms, n_folds, seed, heldout);
    if (t.folds.count < 3)
        t.skip_reason = "loci on " + std::to_string(t.folds.count) +
                        " chromosome(s); cross-chromosome validation needs 3 (train, validation, test)";
    return t;
}

/// Features of a prepared task's loci in another representation over the same regions.
inline Eigen::MatrixXf task_features(const prepared_task& t, const representation& rep)
{
    locus_features f = extract_features(rep, *t.set);
    if (f.kept != t.reference.kept)
        throw input_error(rep.source + " covers other regions than the representation the task was prepared on (" +
                          t.what() + ": loci usable in one are not in the other)");
    return std::move(f.x);
}

}  // namespace epilstm::eval
