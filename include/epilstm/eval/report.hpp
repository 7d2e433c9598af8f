// The evaluation of `epilstm evaluate` (docs/evaluation.md) as one library call: fit and embed a
// list of representation methods (eval/method.hpp), then score each of them on
//
//   downstream classification   the label directory's tasks, XGBoost over cross-chromosome folds
//                               (eval/scoring.hpp); every method on the same loci and folds. First
//                               the held-out folds (chromosomes the model never saw), then all
//                               folds (mean per-fold AP ± SE), the paired per-fold comparison of
//                               the first method with each other one (t-interval, sign test, win
//                               counts), and with --seeds N the spread over N fold/XGBoost seeds
//   smoothness                  R²(k) along the genome (paper §4.4)
//   held-out reconstruction     the model's reconstruction of the held-out regions against PCA of
//                               the same width, PCA as wide as the decoder's input (h and c) and
//                               the per-track mean, fitted on the regions the model trained on
//   external score              Pearson r of each feature with a score track per position
//
// and write <out>/report.md (tables, plots, what was skipped and why), metrics.tsv, paired.tsv,
// seeds.tsv (N > 1), smoothness.tsv, reconstruction.tsv and score_correlation.tsv. The first method is the
// representation under evaluation (bold in the tables, the heatmap's feature). Plots are drawn by a
// plotter the caller provides (the CLI's draws with gnuplot); their data come from here. Reading
// annotation and score tracks (BED, bedGraph, bigWig, gzip) is the caller's too (track_readers).
//
// A task, fold or section that cannot be evaluated is listed under "Skipped, and why"; the rest
// goes on. Hard errors (unknown task, no label files, a method failing) throw.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/eval/cross_validation.hpp>
#include <epilstm/eval/method.hpp>
#include <epilstm/eval/pca.hpp>
#include <epilstm/eval/plot.hpp>
#include <epilstm/eval/reconstruction.hpp>
#include <epilstm/eval/representation.hpp>
#include <epilstm/eval/score_correlation.hpp>
#include <epilstm/eval/scoring.hpp>
#include <epilstm/eval/statistics.hpp>
#include <epilstm/eval/tasks.hpp>
#include <epilstm/eval/xgboost.hpp>
#include <epilstm/io/signal_store.hpp>
#include <epilstm/io/text_file.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace epilstm::eval {

// ---- inputs ----

/// The signal an evaluation runs on.
struct evaluation_data {
    representation store_signal;          ///< every region of the store (the reconstruction baselines' fit)
    representation signal;                ///< the store's signal over the evaluated regions
    std::set<std::string> heldout_chroms; ///< chromosomes the model was not trained on
    std::string heldout_source;           ///< where the list came from (report wording); "" = none
    std::set<std::string> validation_regions;  ///< regions the model validated on, not trained on (by name)
    representation heldout;               ///< the regions of store_signal on them
    std::vector<std::string> track_ids;
    std::set<std::string> cell_types;     ///< of the store's tracks (Roadmap ids, e.g. E116)
    std::vector<std::string> notes;       ///< for "Skipped, and why"

    /// The regions a method may learn from, the ones the model trained on: those not on a held-out
    /// chromosome and not validation regions.
    bool training(const represented_region& g) const
    {
        return heldout_chroms.count(g.chrom) == 0 && validation_regions.count(g.name) == 0;
    }
    /// The training filter in words.
    std::string training_phrase() const
    {
        std::string c, v;
        for (const auto& x : heldout_chroms) c += (c.empty() ? "" : ", ") + x;
        std::string out = heldout_chroms.empty() ? "every region (no held-out chromosome)" : "the regions not on " + c;
        if (!validation_regions.empty())
            out += (heldout_chroms.empty() ? ", except " : " and not ") + std::to_string(validation_regions.size()) +
                   " validation region(s)";
        return out;
    }
    region_filter training_filter() const
    {
        return [this](const represented_region& g) { return training(g); };
    }
};

/// Reads the store's signal; the evaluated regions are those of `regions` when given (an
/// embedding made from this store: checked, eval::signal_over), otherwise every region.
inline evaluation_data open_evaluation(const io::signal_store& store, const std::vector<std::string>& heldout_chroms,
                                       const representation* regions = nullptr, const std::string& regions_name = {},
                                       const std::string& store_name = {})
{
    evaluation_data d;
    d.store_signal = read_signal_representation(store);
    d.signal = regions ? signal_over(d.store_signal, *regions, regions_name,
                                     store_name.empty() ? store.path().string() : store_name)
                       : d.store_signal;
    d.heldout_chroms.insert(heldout_chroms.begin(), heldout_chroms.end());
    d.heldout = on_chromosomes(d.store_signal, d.heldout_chroms);
    d.track_ids = store.track_ids();
    for (const auto& t : store.track_metadata()) d.cell_types.insert(t.cell_type);
    for (const auto& c : d.heldout_chroms)
        if (std::none_of(d.store_signal.regions.begin(), d.store_signal.regions.end(),
                         [&](const auto& r) { return r.chrom == c; }))
            d.notes.push_back("--heldout-chroms " + c + ": no region of the store is on it");
    return d;
}

struct evaluation_options {
    index_t folds = 20;          ///< chromosome folds requested
    std::uint64_t seed = 1;      ///< of the fold assignment and XGBoost
    index_t seeds = 1;           ///< repeat folds and XGBoost with seeds seed .. seed + seeds − 1
    std::int64_t upstream = 2000;
    int threads = 2;             ///< XGBoost threads
    xgboost_options xgboost;     ///< the classifier (its nthread and seed come from threads and seed)
    std::vector<std::string> tasks = known_tasks();
    /// Smoothness lags in positions (25 bp .. 10 kb at 25 bp bins).
    std::vector<index_t> smoothness_lags{1, 2, 4, 10, 20, 40, 100, 200, 400};
};

/// The files an evaluation names in its report, and the optional annotation and score tracks.
struct evaluation_files {
    std::string representation;  ///< the evaluated representation (the first method's file)
    std::string store;
    std::filesystem::path labels_dir;
    std::string model;           ///< the checkpoint; empty: none given
    std::string provenance;      ///< how the representation was made (a sentence; may be empty)
    std::filesystem::path promoters, genes, score;  ///< empty: not given
};

/// Readers of annotation (BED) and score tracks: the caller's (formats, zlib, libBigWig).
struct track_readers {
    std::function<std::vector<interval>(const std::filesystem::path&)> intervals;
    /// Per-bin scores over the regions of a representation (NaN: no score).
    std::function<std::vector<std::vector<double>>(const std::filesystem::path&, const representation&)> bin_scores;
};

/// What a model adds besides its methods: the held-out reconstruction and the report's words.
struct model_parts {
    std::string description;            ///< describe_model (eval/model_method.hpp)
    std::uint64_t random_seed = 0;      ///< of the random-weights control
    std::optional<representation> reconstruction;  ///< of evaluation_data::heldout; empty: none held out
    index_t decoder_width = 0;  ///< decoder_input_width: the reconstruction also gets PCA of this width (0: not)
};

struct evaluation_inputs {
    evaluation_data data;
    evaluation_files files;
    evaluation_options options;
    std::optional<model_parts> model;   ///< empty: no model given
    /// Other methods' reconstructions of evaluation_data::heldout (name, [n, tracks] per held-out
    /// region, in its order): more rows of the reconstruction table (the comparators').
    std::vector<std::pair<std::string, representation>> other_reconstructions;
    track_readers readers;
    std::filesystem::path out;          ///< output directory
    std::function<void(const std::string&)> log;  ///< progress lines (optional)
};

/// What was computed (besides the files).
struct evaluation_result {
    std::vector<embedded_method> methods;
    std::vector<task_score> downstream;  ///< task × cell type × method, in report order (first seed)
    std::vector<std::vector<task_score>> per_seed;  ///< the same for each seed (per_seed[0] == downstream)
    std::vector<std::vector<double>> smoothness;  ///< per method with features
    std::vector<std::string> skipped;
};

// ---- pieces ----

namespace detail {

inline std::string fixed(double v, int digits = 3)
{
    if (std::isnan(v)) return "NA";
    char b[32];
    std::snprintf(b, sizeof b, "%.*f", digits, v);
    return b;
}

/// A task's name on a plot axis.
inline std::string short_task(const std::string& t)
{
    if (t == "gene_expression") return "expression";
    if (t == "promoter_enhancer") return "P-E pairs";
    if (t == "domain_boundary") return "domain bound.";
    if (t == "replication_timing") return "repl. timing";
    return t;
}

inline std::string bp_label(std::int64_t bp)
{
    return bp >= 1000 ? std::to_string(bp / 1000) + " kb" : std::to_string(bp) + " bp";
}

/// The report being written: markdown, the skipped list, plots.
struct report_builder {
    std::filesystem::path out, plots;
    const plotter* plot = nullptr;
    std::ostringstream md;
    std::vector<std::string> skipped;

    /// A plot line for the report: the image, or why there is none.
    template <class Plot>
    std::string image(const Plot& p, const std::string& alt)
    {
        const plot_result r = plot->draw(p);
        if (r.png.empty()) {
            skipped.push_back("plot '" + alt + "' not drawn: " + r.error);
            return "*(plot not drawn: " + r.error + ")*\n\n";
        }
        return "![" + alt + "](" + std::filesystem::relative(r.png, out).string() + ")\n\n";
    }
};

}  // namespace detail

/// Cell types of the label directory with signal in the store: the store names epigenomes by
/// Roadmap id (E116); label files are {cell}.{id}.*, so a label cell type has signal when its id
/// is among the store's.
inline std::set<std::string> cell_types_with_signal(const std::set<std::string>& store_cell_types,
                                                    const std::filesystem::path& labels_dir)
{
    std::set<std::string> out = store_cell_types;
    for (const auto& dir : {"expression", "pei", "tads"})
        for (const auto& p : detail::files_with_suffix(labels_dir / dir, "")) {
            const std::string n = p.filename().string();
            const auto a = n.find('.'), b = n.find('.', a + 1);
            if (a != std::string::npos && b != std::string::npos && store_cell_types.count(n.substr(a + 1, b - a - 1)))
                out.insert(n.substr(0, a));
        }
    return out;
}

/// The rows of metrics.tsv for one task score: one per fold, then `mean` and `pooled`, and
/// `heldout_pooled` when some folds are held out.
inline void write_metrics_rows(std::ostream& tsv, const task_score& s)
{
    using detail::fixed;
    for (const auto& f : s.cv.folds)
        tsv << s.task << '\t' << s.cell_type << '\t' << s.method << '\t' << f.fold << '\t' << f.test_chromosomes << '\t'
            << (f.heldout ? "yes" : "no") << '\t' << f.n_test << '\t' << f.test_positives << '\t' << f.n_train << '\t'
            << f.n_validation << '\t' << f.rounds << '\t' << fixed(f.ap, 6) << '\t' << fixed(f.auroc_value, 6) << '\t'
            << f.skipped << '\n';
    tsv << s.task << '\t' << s.cell_type << '\t' << s.method << "\tmean\t\t\t\t\t\t\t\t" << fixed(s.mean_ap, 6) << '\t'
        << fixed(s.mean_auroc, 6) << "\tover " << s.folds_scored << " scored folds; SE of the mean AP " << fixed(s.se_ap, 6)
        << '\n';
    tsv << s.task << '\t' << s.cell_type << '\t' << s.method << "\tpooled\t\t\t" << s.cv.pooled_n << "\t\t\t\t\t"
        << fixed(s.pooled_ap, 6) << '\t' << fixed(s.pooled_auroc, 6) << "\tall test predictions together\n";
    if (s.heldout_folds > 0)
        tsv << s.task << '\t' << s.cell_type << '\t' << s.method << "\theldout_pooled\t\tyes\t" << s.cv.heldout_pooled_n
            << '\t' << s.cv.heldout_pooled_positives << "\t\t\t\t" << fixed(s.heldout_pooled_ap, 6) << '\t'
            << fixed(s.heldout_pooled_auroc, 6) << "\tthe test predictions of the " << s.heldout_folds
            << " held-out fold(s) together\n";
}

inline const char* metrics_header()
{
    return "task\tcell_type\tmethod\tfold\ttest_chromosomes\theldout\tn_test\ttest_positives\tn_train\tn_validation\trounds"
           "\tAP\tAUROC\tnote\n";
}

/// Downstream classification of every label set by every method.
struct downstream_result {
    std::vector<task_score> scores;          ///< label set × method, in order
    std::vector<std::string> plotted_tasks;  ///< axis labels of the usable label sets
    std::vector<std::vector<double>> pooled_ap;  ///< [method][usable label set]
    std::vector<std::vector<double>> mean_ap, se_ap;  ///< [method][usable label set]: mean per-fold AP and its SE
    std::vector<std::string> notes;
    std::uint64_t seed = 0;                  ///< of the folds and XGBoost
};

/// Prepares each label set against `signal` (loci inside one region; folds, the chromosomes in
/// `heldout` in folds of their own) and scores it with every method. Fold skips are counted on the
/// first method (they depend on labels and folds only).
inline downstream_result score_downstream(const std::vector<label_set>& sets, const representation& signal,
                                          const std::vector<embedded_method>& methods, const evaluation_options& o,
                                          const std::set<std::string>& heldout = {},
                                          const std::function<void(const std::string&)>& log = {})
{
    xgboost_options xo = o.xgboost;
    xo.nthread = o.threads;
    xo.seed = o.seed;
    downstream_result out;
    out.seed = o.seed;
    out.pooled_ap.resize(methods.size());
    out.mean_ap.resize(methods.size());
    out.se_ap.resize(methods.size());
    for (const auto& set : sets) {
        const prepared_task t = prepare_task(set, signal, o.folds, o.seed, heldout);
        out.notes.insert(out.notes.end(), t.notes.begin(), t.notes.end());
        if (!t.usable()) {
            out.notes.push_back(t.what() + ": task skipped: " + t.skip_reason);
            continue;
        }
        out.plotted_tasks.push_back(detail::short_task(set.task) + " " + set.cell_type);
        std::map<std::string, index_t> fold_skips;
        for (std::size_t k = 0; k < methods.size(); ++k) {
            if (log)
                log(t.what() + ", " + methods[k].name + ": " + std::to_string(t.y.size()) + " loci (" +
                    std::to_string(t.positives) + " positive), " + std::to_string(t.folds.count) + " folds" +
                    (t.folds.heldout.empty() ? "" : " (" + std::to_string(t.folds.heldout.size()) + " held out)") +
                    ", seed " + std::to_string(o.seed));
            task_score s = score_task(t, methods[k].rep, xo, methods[k].name);
            if (k == 0)
                for (const auto& f : s.cv.folds)
                    if (!f.skipped.empty()) ++fold_skips[f.skipped];
            out.pooled_ap[k].push_back(s.pooled_ap);
            out.mean_ap[k].push_back(s.mean_ap);
            out.se_ap[k].push_back(s.se_ap);
            out.scores.push_back(std::move(s));
        }
        for (const auto& [reason, n] : fold_skips)
            out.notes.push_back(t.what() + ": " + std::to_string(n) + " of " + std::to_string(t.folds.count) +
                                " folds without per-fold metrics: " + reason);
        if (!heldout.empty() && t.folds.heldout.empty())
            out.notes.push_back(t.what() + ": no locus on a held-out chromosome: not in the held-out table");
    }
    return out;
}

/// One row of the paired comparison: the first method against `other` on one label set.
struct paired_row {
    std::string task, cell_type, method, other;
    paired_comparison folds;     ///< over the folds both scored
    double heldout_diff = std::numeric_limits<double>::quiet_NaN();  ///< held-out pooled AP, method − other
};

/// The first method against each other method, per label set (scores in score_downstream's order:
/// label set × method).
inline std::vector<paired_row> paired_rows(const std::vector<task_score>& scores, std::size_t n_methods)
{
    std::vector<paired_row> out;
    if (n_methods < 2) return out;
    for (std::size_t i = 0; i + n_methods <= scores.size(); i += n_methods) {
        const task_score& a = scores[i];
        for (std::size_t k = 1; k < n_methods; ++k) {
            const task_score& b = scores[i + k];
            paired_row r{a.task, a.cell_type, a.method, b.method, compare_paired(a.fold_aps(), b.fold_aps()),
                         a.heldout_pooled_ap - b.heldout_pooled_ap};
            out.push_back(std::move(r));
        }
    }
    return out;
}

/// Per other method, over the label sets: pairs won and lost by mean paired difference, folds won
/// and lost in all, the sign test on those, and pairs won and lost on held-out pooled AP.
struct paired_summary {
    std::string other;
    index_t pairs_won = 0, pairs_lost = 0, pairs = 0;
    index_t folds_won = 0, folds_lost = 0, folds_tied = 0;
    double sign_p = std::numeric_limits<double>::quiet_NaN();
    index_t heldout_won = 0, heldout_lost = 0, heldout_pairs = 0;
};

inline std::vector<paired_summary> summarize_paired(const std::vector<paired_row>& rows)
{
    std::vector<paired_summary> out;
    for (const auto& r : rows) {
        auto it = std::find_if(out.begin(), out.end(), [&](const auto& s) { return s.other == r.other; });
        if (it == out.end()) it = out.insert(out.end(), paired_summary{r.other});
        if (r.folds.n > 0) {
            ++it->pairs;
            it->pairs_won += r.folds.mean_diff > 0;
            it->pairs_lost += r.folds.mean_diff < 0;
        }
        it->folds_won += r.folds.wins;
        it->folds_lost += r.folds.losses;
        it->folds_tied += r.folds.ties;
        if (!std::isnan(r.heldout_diff)) {
            ++it->heldout_pairs;
            it->heldout_won += r.heldout_diff > 0;
            it->heldout_lost += r.heldout_diff < 0;
        }
    }
    for (auto& s : out) s.sign_p = sign_test_p(s.folds_won, s.folds_lost);
    return out;
}

namespace detail {

/// A parameter list as `name=value` words.
inline std::string parameter_line(const std::vector<std::pair<std::string, std::string>>& p)
{
    std::string out;
    for (const auto& [k, v] : p) out += (out.empty() ? "" : " ") + k + "=" + v;
    return out;
}

inline std::string fitted_on(const embedded_method& m, const evaluation_data& d)
{
    switch (m.scope) {
    case fit_scope::training_regions:
        return "fitted on " + std::to_string(m.fitted_regions) + " regions (" + std::to_string(m.fitted_positions) +
               " positions): " + d.training_phrase();
    case fit_scope::every_region:
        return "fitted on every evaluated region (" + std::to_string(m.fitted_regions) +
               "), held-out chromosomes included";
    case fit_scope::nothing: break;
    }
    return "nothing fitted here";
}

/// A p-value for a table: 4 decimals, "<0.0001" below that.
inline std::string pvalue(double p)
{
    if (std::isnan(p)) return "NA";
    return p < 1e-4 ? std::string("<0.0001") : fixed(p, 4);
}

inline std::string pm(double mean, double err, int digits = 3)
{
    if (std::isnan(mean)) return "NA";
    return fixed(mean, digits) + (std::isnan(err) ? "" : " ± " + fixed(err, digits));
}

inline void write_header(report_builder& r, const evaluation_inputs& in, const std::vector<embedded_method>& methods)
{
    const representation& primary = methods.front().rep;
    const std::int64_t bin = primary.regions.empty() ? 25 : primary.regions.front().bin_size;
    const evaluation_options& o = in.options;
    const evaluation_data& d = in.data;
    r.md << "# Epi-LSTM evaluation\n\n"
         << "Representation: `" << in.files.representation << "` (" << primary.width << " features per " << bin
         << " bp position, " << primary.regions.size() << " regions). Signal store: `" << in.files.store << "` ("
         << d.store_signal.width << " tracks).\n";
    if (in.model)
        r.md << "Model: `" << in.files.model << "` (" << in.model->description << "); random-weights control: the same "
             << "architecture initialized from seed " << in.model->random_seed << " (the trained model's), never trained.\n";
    if (!in.files.provenance.empty()) r.md << in.files.provenance << "\n";
    r.md << "Labels: `" << in.files.labels_dir.string() << "`.\n\n";
    std::string chroms;
    for (const auto& c : d.heldout_chroms) chroms += (chroms.empty() ? "" : ", ") + c;
    if (d.heldout_chroms.empty())
        r.md << "Held-out chromosomes: none (give --heldout-chroms, or a --model whose checkpoint records them).\n\n";
    else
        r.md << "Held-out chromosomes (not used to train the model; from " << d.heldout_source << "): " << chroms
             << ".\n\n";
    r.md << "Methods (the first is the representation under evaluation):\n\n";
    for (const auto& m : methods)
        r.md << "- **" << m.name << "**: " << m.description << "; " << fitted_on(m, d) << ".\n";
    xgboost_options xo = o.xgboost;
    xo.nthread = o.threads;
    xo.seed = o.seed;
    r.md << "\n## Downstream classification\n\n"
         << "For each task and cell type a fresh XGBoost classifier per fold (at most " << xo.max_rounds
         << " trees, early stopping after " << xo.early_stopping_rounds
         << " rounds without improvement of the average precision on the validation fold; " << xo.fallback_rounds
         << " trees when the validation fold holds one class) is trained on the mean representation of each labelled "
            "locus. Every XGBoost parameter is set (XGBoost " << xgboost_version() << ", C API names):\n\n"
         << "```\n" << parameter_line(xgboost_parameters(xo)) << "\n```\n\n"
         << "Folds are by chromosome (" << o.folds << " requested; with fewer chromosomes, one per chromosome; seed "
         << o.seed << "): fold *i* is tested, fold *i*+1 is the validation set, the others train. The held-out "
            "chromosomes fill folds of their own (a share of the folds proportional to their number), so a held-out "
            "fold tests loci the model never saw; its classifier, like every other, learns from the other folds' "
            "labels. Nothing is tuned on a test fold.\n\n"
         << "Loci: gene expression = promoter window " << o.upstream << " bp upstream of the TSS (strand-aware); "
            "promoter–enhancer = the window between the two elements; domain boundary = 40 kb bins of the regions with "
            "Hi-C domain calls, 1 when a domain starts or ends in the bin (a stand-in for the paper's FIREs); replication "
            "timing = 40 kb bins, early if the mean timing value is ≥ 0.\n\n"
         << "*Mean AP/AUROC* average the folds whose test chromosome(s) hold both classes (± the standard error over "
            "those folds); *pooled* metrics rank the test predictions of all folds together (every locus is tested once), "
            "the only number left when positives are few. AP is scikit-learn's average precision (not interpolated).\n\n";
}

inline std::string method_cell(const std::string& name, const std::vector<embedded_method>& methods)
{
    return name == methods.front().name ? "**" + name + "**" : name;
}

/// The report's first table: the held-out folds only.
inline void write_heldout(report_builder& r, const downstream_result& d, const std::vector<embedded_method>& methods,
                          const evaluation_data& data, const std::vector<paired_summary>& summary)
{
    r.md << "### On chromosomes the model never saw\n\n";
    if (data.heldout_chroms.empty()) {
        r.md << "Not computed: no held-out chromosomes (give --heldout-chroms, or a --model whose checkpoint records "
                "them).\n\n";
        r.skipped.push_back("downstream AP on held-out chromosomes: not computed (no held-out chromosomes)");
        return;
    }
    const bool any = std::any_of(d.scores.begin(), d.scores.end(), [](const auto& s) { return s.heldout_folds > 0; });
    if (!any) {
        r.md << "Not computed: no labelled locus lies on a held-out chromosome.\n\n";
        r.skipped.push_back("downstream AP on held-out chromosomes: no labelled locus on them");
        return;
    }
    r.md << "Test loci on the held-out chromosomes only (the folds made of them). *Pooled* ranks their test "
            "predictions together; *mean* averages the held-out folds that hold both classes (NA: the held-out "
            "loci, or every held-out fold, hold a single class).\n\n"
         << "| task | cell type | method | held-out loci | positives | held-out folds scored | mean AP | pooled AP | "
            "pooled AUROC |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& s : d.scores) {
        if (s.heldout_folds == 0) continue;
        r.md << "| " << s.task << " | " << s.cell_type << " | " << method_cell(s.method, methods) << " | "
             << s.heldout_loci << " | " << s.heldout_positives << " | " << s.heldout_folds_scored << "/"
             << s.heldout_folds << " | " << fixed(s.heldout_mean_ap) << " | " << fixed(s.heldout_pooled_ap) << " | "
             << fixed(s.heldout_pooled_auroc) << " |\n";
    }
    r.md << "\n";
    for (const auto& p : summary)
        if (p.heldout_pairs > 0)
            r.md << "- **" << methods.front().name << "** vs " << p.other << ": higher held-out pooled AP in "
                 << p.heldout_won << " of " << p.heldout_pairs << " task × cell-type pairs, lower in " << p.heldout_lost
                 << ".\n";
    r.md << "\n";
}

inline void write_downstream(report_builder& r, const downstream_result& d, const std::vector<embedded_method>& methods,
                             const std::set<std::string>& cells_with_signal)
{
    r.md << "### All folds\n\n";
    if (!d.plotted_tasks.empty()) {
        bar_plot p{r.plots / "downstream_ap", "Downstream classification: mean per-fold AP ± standard error over folds",
                   "mean AP over folds", d.plotted_tasks, {}, d.mean_ap, 0, 1, d.se_ap};
        for (const auto& m : methods) p.series.push_back(m.name);
        r.md << r.image(p, "mean per-fold AP per task and method");
    }
    r.md << "| task | cell type | method | loci | positives | folds scored | mean AP ± SE | mean AUROC | pooled AP | "
            "pooled AUROC |\n"
         << "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& s : d.scores)
        r.md << "| " << s.task << " | " << s.cell_type << (cells_with_signal.count(s.cell_type) ? "" : " †") << " | "
             << method_cell(s.method, methods) << " | " << s.loci << " | " << s.positives << " | " << s.folds_scored
             << "/" << s.folds << " | " << pm(s.mean_ap, s.se_ap) << " | " << fixed(s.mean_auroc) << " | "
             << fixed(s.pooled_ap) << " | " << fixed(s.pooled_auroc) << " |\n";
    r.md << "\n† no signal tracks of this cell type in the store: its labels are predicted from the other cell types' representation.\n\n"
         << "Per-fold numbers: `metrics.tsv` (one row per task × cell type × method × fold, plus `mean`, `pooled` and "
            "`heldout_pooled` rows).\n\n";
}

/// Paired per-fold differences of the first method against each other one; writes paired.tsv.
inline void write_paired(report_builder& r, const std::vector<paired_row>& rows,
                         const std::vector<paired_summary>& summary, const std::vector<embedded_method>& methods)
{
    const std::string first = methods.front().name;
    r.md << "### Paired per-fold comparison\n\n";
    if (rows.empty()) {
        r.md << "Not computed: one method only.\n\n";
        return;
    }
    r.md << "ΔAP = AP of **" << first << "** − AP of the other method on the same fold (same loci, labels and "
         << "folds), over the folds both scored; 95% Student-t interval of the mean ΔAP; won–lost–tied folds and the "
            "exact two-sided sign test on won vs lost.\n\n"
         << "| vs | task × cell-type pairs won–lost (mean ΔAP) | folds won–lost–tied | sign test p (all folds) | "
            "held-out pairs won–lost |\n|---|---:|---:|---:|---:|\n";
    for (const auto& s : summary)
        r.md << "| " << s.other << " | " << s.pairs_won << "–" << s.pairs_lost << " of " << s.pairs << " | "
             << s.folds_won << "–" << s.folds_lost << "–" << s.folds_tied << " | " << pvalue(s.sign_p) << " | "
             << (s.heldout_pairs ? std::to_string(s.heldout_won) + "–" + std::to_string(s.heldout_lost) + " of " +
                                       std::to_string(s.heldout_pairs)
                                 : std::string("—"))
             << " |\n";
    r.md << "\nFolds of different cell types share their chromosomes, so the all-folds sign test counts related "
            "folds; read it as a summary, the per-pair rows below as the evidence.\n\n"
         << "| task | cell type | vs | folds | mean ΔAP | 95% CI | won–lost–tied | sign test p |\n"
         << "|---|---|---|---:|---:|---|---:|---:|\n";
    std::ostringstream t;
    t << "task\tcell_type\tmethod\tother\tfolds\tmean_diff\tsd_diff\tci95_low\tci95_high\twins\tlosses\tties\tsign_p"
         "\theldout_pooled_diff\n";
    for (const auto& p : rows) {
        const paired_comparison& c = p.folds;
        r.md << "| " << p.task << " | " << p.cell_type << " | " << p.other << " | " << c.n << " | "
             << (std::isnan(c.mean_diff) ? "NA" : (c.mean_diff >= 0 ? "+" : "") + fixed(c.mean_diff)) << " | "
             << (std::isnan(c.ci_low) ? "NA" : "[" + fixed(c.ci_low) + ", " + fixed(c.ci_high) + "]") << " | " << c.wins
             << "–" << c.losses << "–" << c.ties << " | " << pvalue(c.sign_p) << " |\n";
        t << p.task << '\t' << p.cell_type << '\t' << p.method << '\t' << p.other << '\t' << c.n << '\t'
          << fixed(c.mean_diff, 6) << '\t' << fixed(c.sd_diff, 6) << '\t' << fixed(c.ci_low, 6) << '\t'
          << fixed(c.ci_high, 6) << '\t' << c.wins << '\t' << c.losses << '\t' << c.ties << '\t' << fixed(c.sign_p, 6)
          << '\t' << fixed(p.heldout_diff, 6) << '\n';
    }
    r.md << "\nAll rows: `paired.tsv`.\n\n";
    io::write_text_file(r.out / "paired.tsv", t.str());
}

/// Mean ± sd over the seeds of each label set × method; writes seeds.tsv.
inline void write_seeds(report_builder& r, const std::vector<downstream_result>& runs,
                        const std::vector<embedded_method>& methods)
{
    if (runs.size() < 2) return;
    r.md << "### Across seeds\n\n"
         << "The training-free parts repeated with " << runs.size() << " seeds (" << runs.front().seed << " … "
         << runs.back().seed << "): the fold assignment and XGBoost's seed (which changes nothing while subsample and "
            "colsample are 1, so the spread comes from the folds). Mean ± sample sd over the seeds; the tables above "
            "are seed " << runs.front().seed << ".\n\n"
         << "| task | cell type | method | mean AP | pooled AP | held-out pooled AP |\n|---|---|---|---:|---:|---:|\n";
    std::ostringstream t;
    t << "task\tcell_type\tmethod\tseed\tmean_ap\tpooled_ap\theldout_pooled_ap\n";
    const std::size_t n = runs.front().scores.size();
    for (const auto& run : runs)
        if (run.scores.size() != n) throw error("epilstm: evaluation: the seeds scored different label sets");
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<double> m, p, h;
        const task_score& s0 = runs.front().scores[i];
        for (const auto& run : runs) {
            const task_score& s = run.scores[i];
            m.push_back(s.mean_ap), p.push_back(s.pooled_ap), h.push_back(s.heldout_pooled_ap);
            t << s.task << '\t' << s.cell_type << '\t' << s.method << '\t' << run.seed << '\t' << fixed(s.mean_ap, 6)
              << '\t' << fixed(s.pooled_ap, 6) << '\t' << fixed(s.heldout_pooled_ap, 6) << '\n';
        }
        const mean_se a = mean_and_se(m), b = mean_and_se(p), c = mean_and_se(h);
        r.md << "| " << s0.task << " | " << s0.cell_type << " | " << method_cell(s0.method, methods) << " | "
             << pm(a.mean, a.sd) << " | " << pm(b.mean, b.sd) << " | " << pm(c.mean, c.sd) << " |\n";
        t << s0.task << '\t' << s0.cell_type << '\t' << s0.method << "\tmean\t" << fixed(a.mean, 6) << '\t'
          << fixed(b.mean, 6) << '\t' << fixed(c.mean, 6) << '\n'
          << s0.task << '\t' << s0.cell_type << '\t' << s0.method << "\tsd\t" << fixed(a.sd, 6) << '\t'
          << fixed(b.sd, 6) << '\t' << fixed(c.sd, 6) << '\n';
    }
    r.md << "\nEvery seed's numbers: `seeds.tsv`.\n\n";
    io::write_text_file(r.out / "seeds.tsv", t.str());
}

inline std::vector<std::vector<double>> write_smoothness(report_builder& r, const std::vector<embedded_method>& methods,
                                                         const std::vector<index_t>& lags,
                                                         const std::function<void(const std::string&)>& log)
{
    using detail::fixed;
    const representation& primary = methods.front().rep;
    const std::int64_t bin = primary.regions.empty() ? 25 : primary.regions.front().bin_size;
    std::vector<std::string> names;
    std::vector<std::vector<double>> r2;
    for (const auto& m : methods) {
        if (!m.has_features()) continue;
        if (log) log("smoothness of " + m.name);
        names.push_back(m.name);
        r2.push_back(smoothness_curve(m.rep, lags));
    }
    std::vector<double> x;
    for (auto l : lags) x.push_back(static_cast<double>(l * bin));
    r.md << "## Smoothness along the genome\n\n"
         << "R² of the features at x + k explained by a linear fit on the features at x (paper §4.4), pairs within "
            "a region; 1 = perfectly predictable from the neighbour k away.\n\n"
         << r.image(line_plot{r.plots / "smoothness", "Smoothness: R² of features at x+k from features at x",
                              "distance k (bp)", "R²", x, names, r2, true},
                    "smoothness curve")
         << "| k |";
    std::ostringstream st;
    st << "k_bp";
    for (const auto& n : names) r.md << " " << n << " |", st << '\t' << n;
    r.md << "\n|---:|";
    st << '\n';
    for (std::size_t j = 0; j < names.size(); ++j) r.md << "---:|";
    r.md << "\n";
    for (std::size_t i = 0; i < lags.size(); ++i) {
        r.md << "| " << bp_label(lags[i] * bin) << " |";
        st << lags[i] * bin;
        for (std::size_t j = 0; j < names.size(); ++j) r.md << " " << fixed(r2[j][i]) << " |", st << '\t' << fixed(r2[j][i], 6);
        r.md << "\n";
        st << '\n';
    }
    r.md << "\n";
    io::write_text_file(r.out / "smoothness.tsv", st.str());
    return r2;
}

inline void write_reconstruction(report_builder& r, const evaluation_inputs& in, index_t components)
{
    using detail::fixed;
    const evaluation_data& d = in.data;
    const evaluation_files& f = in.files;
    r.md << "## Reconstruction of held-out regions\n\n";
    const auto n_trained_on = std::count_if(d.store_signal.regions.begin(), d.store_signal.regions.end(),
                                            [&](const auto& g) { return d.training(g); });
    if (!in.model || !in.model->reconstruction) {
        const std::string why = !in.model ? "give --model" : "give --heldout-chroms (chromosomes not used for training)";
        r.md << "Not computed: " << why << ".\n\n";
        if (in.model) r.skipped.push_back("reconstruction quality: not computed: " + why);
        return;
    }
    if (n_trained_on == 0) {
        r.md << "Not computed: every region is on a held-out chromosome, nothing to fit the baselines on.\n\n";
        r.skipped.push_back("reconstruction quality: every region is held out");
        return;
    }
    const representation& heldout = d.heldout;
    if ((!f.promoters.empty() || !f.genes.empty()) && !in.readers.intervals)
        throw input_error("epilstm: evaluation: promoters or genes given without a reader of interval files");
    std::vector<std::vector<std::uint8_t>> prom_mask, gene_mask;
    if (!f.promoters.empty()) prom_mask = interval_masks(heldout, in.readers.intervals(f.promoters));
    if (!f.genes.empty()) gene_mask = interval_masks(heldout, in.readers.intervals(f.genes));
    auto pca_reconstruction = [&](index_t k) {
        const pca_model fit = fit_pca(d.store_signal, k, d.training_filter());
        representation rec{"pca reconstruction", d.store_signal.width, {}};
        for (const auto& g : heldout.regions)
            rec.regions.push_back({g.name, g.chrom, g.start, g.end, g.bin_size, fit.reconstruct(g.rows)});
        return std::pair{fit.mean, score_reconstruction(heldout, rec, prom_mask, gene_mask)};
    };
    const auto [mean, pca_q] = pca_reconstruction(components);
    std::vector<std::pair<std::string, reconstruction_quality>> q{
        {"epi-lstm", score_reconstruction(heldout, *in.model->reconstruction, prom_mask, gene_mask)}};
    for (const auto& [name, rec] : in.other_reconstructions)
        q.push_back({name, score_reconstruction(heldout, rec, prom_mask, gene_mask)});
    const std::size_t n_models = q.size();  // the rows before the baselines
    q.push_back({"pca (" + std::to_string(components) + " components)", pca_q});
    // PCA as wide as what the decoder receives (h and c: 2H), capped at the number of tracks.
    const index_t wide = std::min(in.model->decoder_width, d.store_signal.width);
    if (wide > components)
        q.push_back({"pca (" + std::to_string(wide) +
                         (wide < in.model->decoder_width
                              ? " components: every track; the decoder receives " + std::to_string(in.model->decoder_width) + ")"
                              : " components: the decoder's input width, h and c)"),
                     pca_reconstruction(wide).second});
    q.push_back({"per-track mean", score_reconstruction(heldout, constant_prediction(heldout, mean), prom_mask, gene_mask)});
    std::string chroms;
    for (const auto& c : d.heldout_chroms) chroms += (chroms.empty() ? "" : ", ") + c;
    r.md << "Regions on " << chroms << " (" << heldout.regions.size() << " regions, " << q[0].second.positions
         << " positions × " << d.store_signal.width << " tracks), which the model must not have seen in training. Baselines are "
            "fitted on the " << n_trained_on << " regions the model was trained on (" << d.training_phrase() << "). As in the ENCODE Imputation Challenge: MSE "
            "over every position and track, at promoters"
         << (f.promoters.empty() ? " (not computed: give --promoters)"
                                 : " (`" + f.promoters.filename().string() + "`, " + std::to_string(q[0].second.promoter_positions) + " positions)")
         << ", over gene bodies"
         << (f.genes.empty() ? " (not computed: give --genes)"
                             : " (`" + f.genes.filename().string() + "`, " + std::to_string(q[0].second.gene_body_positions) + " positions)")
         << ", at each track's top 1% observed positions, and the Pearson correlation of each track.\n\n"
         << "| predictor | MSE | MSE promoters | MSE gene bodies | MSE top 1% | mean Pearson r |\n|---|---:|---:|---:|---:|---:|\n";
    std::ostringstream rt;
    rt << "predictor\tmse\tmse_promoters\tmse_gene_bodies\tmse_top1";
    for (const auto& t : d.track_ids) rt << "\tpearson_" << t;
    rt << '\n';
    for (const auto& [name, s] : q) {
        double pr = 0;
        int np = 0;
        for (double v : s.pearson)
            if (!std::isnan(v)) pr += v, ++np;
        r.md << "| " << name << " | " << fixed(s.mse, 4) << " | " << fixed(s.mse_promoters, 4) << " | "
             << fixed(s.mse_gene_bodies, 4) << " | " << fixed(s.mse_top1, 4) << " | " << (np ? fixed(pr / np) : "NA (constant)")
             << " |\n";
        rt << name << '\t' << fixed(s.mse, 6) << '\t' << fixed(s.mse_promoters, 6) << '\t' << fixed(s.mse_gene_bodies, 6)
           << '\t' << fixed(s.mse_top1, 6);
        for (double v : s.pearson) rt << '\t' << fixed(v, 6);
        rt << '\n';
    }
    io::write_text_file(r.out / "reconstruction.tsv", rt.str());
    // The bars: every model's row and the first PCA.
    std::vector<std::string> bar_names;
    std::vector<std::vector<double>> bars;
    for (std::size_t k = 0; k <= n_models; ++k) bar_names.push_back(q[k].first), bars.push_back(q[k].second.pearson);
    r.md << "\n"
         << r.image(bar_plot{r.plots / "reconstruction_pearson", "Held-out reconstruction: Pearson r per track", "Pearson r",
                             d.track_ids, bar_names, bars},
                    "per-track Pearson correlation")
         << "Per-track numbers: `reconstruction.tsv`.\n\n";
}

inline void write_score_correlation(report_builder& r, const evaluation_inputs& in,
                                    const std::vector<embedded_method>& methods)
{
    using detail::fixed;
    const std::filesystem::path& score = in.files.score;
    r.md << "## Correlation with an external score\n\n";
    if (score.empty()) {
        r.md << "Not computed: give --score (a bigWig, bedGraph or BED track, e.g. conservation, GC content or CpG islands).\n\n";
        return;
    }
    const representation& primary = methods.front().rep;
    const std::int64_t bin = primary.regions.empty() ? 25 : primary.regions.front().bin_size;
    if (!in.readers.bin_scores) throw input_error("epilstm: evaluation: a score track given without a reader of score files");
    if (in.log) in.log("correlating features with " + score.string());
    const auto scores = in.readers.bin_scores(score, in.data.signal);
    index_t scored = 0;
    for (const auto& v : scores)
        for (double s : v) scored += !std::isnan(s);
    r.md << "Score: `" << score.string() << "` on " << scored << " positions"
         << (scored == 0 ? " (none: the score track does not cover the regions)" : "") << ". Pearson r of each latent feature with the score per "
         << bin << " bp position (BED: the fraction of the bin covered).\n\n"
         << "| method | features | max abs r | feature | top 3 features (r) |\n|---|---:|---:|---:|---|\n";
    std::ostringstream ct;
    ct << "method\tfeature\tpearson\n";
    index_t best_j = -1;
    for (std::size_t k = 0; k < methods.size(); ++k) {
        const embedded_method& m = methods[k];
        if (!m.has_features()) continue;
        const auto c = feature_correlations(m.rep, scores);
        std::vector<index_t> order(c.size());
        for (std::size_t j = 0; j < c.size(); ++j)
            order[j] = static_cast<index_t>(j), ct << m.name << '\t' << j << '\t' << fixed(c[j], 6) << '\n';
        std::sort(order.begin(), order.end(), [&](index_t a, index_t b) {
            const double x = std::isnan(c[a]) ? -1 : std::abs(c[a]), y = std::isnan(c[b]) ? -1 : std::abs(c[b]);
            return x > y;
        });
        r.md << "| " << m.name << " | " << c.size() << " | " << (order.empty() ? "NA" : fixed(std::abs(c[order[0]]))) << " | "
             << (order.empty() ? "" : std::to_string(order[0])) << " | ";
        for (std::size_t t = 0; t < std::min<std::size_t>(3, order.size()); ++t)
            r.md << (t ? ", " : "") << order[t] << " (" << fixed(c[order[t]]) << ")";
        r.md << " |\n";
        if (k == 0 && !order.empty() && !std::isnan(c[order[0]])) best_j = order[0];
    }
    io::write_text_file(r.out / "score_correlation.tsv", ct.str());
    r.md << "\nAll correlations: `score_correlation.tsv`.\n\n";
    if (best_j >= 0) {
        const auto h = feature_score_histogram(primary, best_j, scores, 60, 40);
        const std::string name = score.filename().string();
        r.md << r.image(heatmap_plot{r.plots / "feature_vs_score", "Latent feature " + std::to_string(best_j) + " vs " + name,
                                     methods.front().name + " feature " + std::to_string(best_j), name, h.counts, h.x_min,
                                     h.x_max, h.y_min, h.y_max},
                        "2D histogram of the most correlated feature against the score");
    }
}

}  // namespace detail

/// The whole evaluation: fits and embeds `methods` (the first is the representation under
/// evaluation) on in.data, scores them and writes the report and TSV files to in.out.
inline evaluation_result run_evaluation(const evaluation_inputs& in, const method_list& methods, const plotter& plot)
{
    if (methods.empty()) throw input_error("epilstm: the evaluation needs at least one representation method");
    if (in.options.seeds < 1) throw input_error("epilstm: --seeds must be at least 1, not " + std::to_string(in.options.seeds));
    namespace fs = std::filesystem;
    detail::report_builder r;
    r.out = in.out;
    r.plots = in.out / "plots";
    r.plot = &plot;
    fs::create_directories(r.plots);
    r.skipped = in.data.notes;
    if (!in.model)
        r.skipped.push_back("random-weights control and reconstruction quality: not computed (give --model, the "
                            "checkpoint the embedding was made with)");

    evaluation_result res;
    res.methods = fit_and_embed(methods, in.data.signal, in.data.training_filter(), [&](const representation_method& m) {
        if (in.log) in.log("fitting and embedding " + m.name());
    });

    // ---- downstream classification ----
    label_directory_options lo;
    lo.tasks = in.options.tasks;
    lo.upstream = in.options.upstream;
    std::vector<std::string> notes;
    const std::vector<label_set> sets = load_label_directory(in.files.labels_dir, in.data.signal, lo, notes);
    r.skipped.insert(r.skipped.end(), notes.begin(), notes.end());
    std::vector<downstream_result> runs;
    for (index_t k = 0; k < in.options.seeds; ++k) {
        evaluation_options o = in.options;
        o.seed = in.options.seed + static_cast<std::uint64_t>(k);
        runs.push_back(score_downstream(sets, in.data.signal, res.methods, o, in.data.heldout_chroms, in.log));
    }
    const downstream_result& down = runs.front();
    r.skipped.insert(r.skipped.end(), down.notes.begin(), down.notes.end());
    const std::vector<paired_row> paired = paired_rows(down.scores, res.methods.size());
    const std::vector<paired_summary> summary = summarize_paired(paired);

    std::ostringstream tsv;
    tsv << metrics_header();
    for (const auto& s : down.scores) write_metrics_rows(tsv, s);

    detail::write_header(r, in, res.methods);
    detail::write_heldout(r, down, res.methods, in.data, summary);
    detail::write_downstream(r, down, res.methods, cell_types_with_signal(in.data.cell_types, in.files.labels_dir));
    detail::write_paired(r, paired, summary, res.methods);
    detail::write_seeds(r, runs, res.methods);
    res.smoothness = detail::write_smoothness(r, res.methods, in.options.smoothness_lags, in.log);
    detail::write_reconstruction(r, in, res.methods.front().rep.width);
    detail::write_score_correlation(r, in, res.methods);

    r.md << "## Skipped, and why\n\n";
    if (r.skipped.empty()) r.md << "Nothing was skipped.\n";
    for (const auto& s : r.skipped) r.md << "- " << s << "\n";

    io::write_text_file(in.out / "metrics.tsv", tsv.str());
    io::write_text_file(in.out / "report.md", r.md.str());
    res.downstream = down.scores;
    for (auto& run : runs) res.per_seed.push_back(std::move(run.scores));
    res.skipped = std::move(r.skipped);
    return res;
}

}  // namespace epilstm::eval
