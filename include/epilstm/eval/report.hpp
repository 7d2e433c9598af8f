// The evaluation of `epilstm evaluate` (docs/evaluation.md) as one library call: fit and embed a
// list of representation methods (eval/method.hpp), then score each of them on
//
//   downstream classification   the label directory's tasks, XGBoost over cross-chromosome folds
//                               (eval/scoring.hpp); every method on the same loci and folds
//   smoothness                  R²(k) along the genome (paper §4.4)
//   held-out reconstruction     the model's reconstruction of the held-out regions against PCA of
//                               the same width and the per-track mean, fitted on the other regions
//   external score              Pearson r of each feature with a score track per position
//
// and write <out>/report.md (tables, plots, what was skipped and why), metrics.tsv,
// smoothness.tsv, reconstruction.tsv and score_correlation.tsv. The first method is the
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
#include <epilstm/eval/tasks.hpp>
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
    representation heldout;               ///< the regions of store_signal on them
    std::vector<std::string> track_ids;
    std::set<std::string> cell_types;     ///< of the store's tracks (Roadmap ids, e.g. E116)
    std::vector<std::string> notes;       ///< for "Skipped, and why"

    /// The regions a method may learn from: those not on a held-out chromosome.
    bool training(const represented_region& g) const { return heldout_chroms.count(g.chrom) == 0; }
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
    std::int64_t upstream = 2000;
    int threads = 2;             ///< XGBoost threads
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
};

struct evaluation_inputs {
    evaluation_data data;
    evaluation_files files;
    evaluation_options options;
    std::optional<model_parts> model;   ///< empty: no model given
    track_readers readers;
    std::filesystem::path out;          ///< output directory
    std::function<void(const std::string&)> log;  ///< progress lines (optional)
};

/// What was computed (besides the files).
struct evaluation_result {
    std::vector<embedded_method> methods;
    std::vector<task_score> downstream;  ///< task × cell type × method, in report order
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

/// The rows of metrics.tsv for one task score: one per fold, then `mean` and `pooled`.
inline void write_metrics_rows(std::ostream& tsv, const task_score& s)
{
    using detail::fixed;
    for (const auto& f : s.cv.folds)
        tsv << s.task << '\t' << s.cell_type << '\t' << s.method << '\t' << f.fold << '\t' << f.test_chromosomes << '\t'
            << f.n_test << '\t' << f.test_positives << '\t' << f.n_train << '\t' << f.n_validation << '\t' << f.rounds
            << '\t' << fixed(f.ap, 6) << '\t' << fixed(f.auroc_value, 6) << '\t' << f.skipped << '\n';
    tsv << s.task << '\t' << s.cell_type << '\t' << s.method << "\tmean\t\t\t\t\t\t\t" << fixed(s.mean_ap, 6) << '\t'
        << fixed(s.mean_auroc, 6) << "\tover " << s.folds_scored << " scored folds\n";
    tsv << s.task << '\t' << s.cell_type << '\t' << s.method << "\tpooled\t\t" << s.cv.pooled_n << "\t\t\t\t\t"
        << fixed(s.pooled_ap, 6) << '\t' << fixed(s.pooled_auroc, 6) << "\tall test predictions together\n";
}

inline const char* metrics_header()
{
    return "task\tcell_type\tmethod\tfold\ttest_chromosomes\tn_test\ttest_positives\tn_train\tn_validation\trounds\tAP\tAUROC"
           "\tnote\n";
}

/// Downstream classification of every label set by every method.
struct downstream_result {
    std::vector<task_score> scores;          ///< label set × method, in order
    std::vector<std::string> plotted_tasks;  ///< axis labels of the usable label sets
    std::vector<std::vector<double>> pooled_ap;  ///< [method][usable label set]
    std::vector<std::string> notes;
};

/// Prepares each label set against `signal` (loci inside one region; folds) and scores it with
/// every method. Fold skips are counted on the first method (they depend on labels and folds only).
inline downstream_result score_downstream(const std::vector<label_set>& sets, const representation& signal,
                                          const std::vector<embedded_method>& methods, const evaluation_options& o,
                                          const std::function<void(const std::string&)>& log = {})
{
    xgboost_options xo;
    xo.nthread = o.threads;
    xo.seed = o.seed;
    downstream_result out;
    out.pooled_ap.resize(methods.size());
    for (const auto& set : sets) {
        const prepared_task t = prepare_task(set, signal, o.folds, o.seed);
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
                    std::to_string(t.positives) + " positive), " + std::to_string(t.folds.count) + " folds");
            task_score s = score_task(t, methods[k].rep, xo, methods[k].name);
            if (k == 0)
                for (const auto& f : s.cv.folds)
                    if (!f.skipped.empty()) ++fold_skips[f.skipped];
            out.pooled_ap[k].push_back(s.pooled_ap);
            out.scores.push_back(std::move(s));
        }
        for (const auto& [reason, n] : fold_skips)
            out.notes.push_back(t.what() + ": " + std::to_string(n) + " of " + std::to_string(t.folds.count) +
                                " folds without per-fold metrics: " + reason);
    }
    return out;
}

namespace detail {

inline void write_header(report_builder& r, const evaluation_inputs& in, const std::vector<embedded_method>& methods)
{
    const representation& primary = methods.front().rep;
    const std::int64_t bin = primary.regions.empty() ? 25 : primary.regions.front().bin_size;
    const evaluation_options& o = in.options;
    r.md << "# Epi-LSTM evaluation\n\n"
         << "Representation: `" << in.files.representation << "` (" << primary.width << " features per " << bin
         << " bp position, " << primary.regions.size() << " regions). Signal store: `" << in.files.store << "` ("
         << in.data.store_signal.width << " tracks).\n";
    if (in.model)
        r.md << "Model: `" << in.files.model << "` (" << in.model->description << "); random-weights control: the same "
             << "architecture initialized from seed " << in.model->random_seed << " (the trained model's), never trained.\n";
    r.md << "Labels: `" << in.files.labels_dir.string() << "`.\n\nMethods: ";
    for (std::size_t k = 0; k < methods.size(); ++k)
        r.md << (k ? ", " : "") << "**" << methods[k].name << "** (" << methods[k].description << ")";
    r.md << ".\n\n"
         << "## Downstream classification\n\n"
         << "For each task and cell type an XGBoost classifier (max depth 6, up to 5000 trees, early stopping after 20 rounds "
            "without improvement of the average precision on the validation fold) is trained on the mean representation of "
            "each labelled locus. Folds are by chromosome (" << o.folds << " requested; with fewer chromosomes, one per chromosome; seed "
         << o.seed << "): fold *i* is tested, fold *i*+1 is the validation set, the others train a fresh classifier.\n\n"
         << "Loci: gene expression = promoter window " << o.upstream << " bp upstream of the TSS (strand-aware); "
            "promoter–enhancer = the window between the two elements; domain boundary = 40 kb bins of the regions with "
            "Hi-C domain calls, 1 when a domain starts or ends in the bin (a stand-in for the paper's FIREs); replication "
            "timing = 40 kb bins, early if the mean timing value is ≥ 0.\n\n"
         << "*Mean AP/AUROC* average the folds whose test chromosome(s) hold both classes; *pooled* metrics rank the "
            "test predictions of all folds together (every locus is tested once), the only number left when positives are "
            "few. AP is scikit-learn's average precision (not interpolated).\n\n";
}

inline void write_downstream(report_builder& r, const downstream_result& d, const std::vector<embedded_method>& methods,
                             const std::set<std::string>& cells_with_signal)
{
    using detail::fixed;
    if (!d.plotted_tasks.empty()) {
        bar_plot p{r.plots / "downstream_ap", "Downstream classification: pooled average precision per task", "pooled AP",
                   d.plotted_tasks, {}, d.pooled_ap};
        for (const auto& m : methods) p.series.push_back(m.name);
        r.md << r.image(p, "pooled AP per task and method");
    }
    r.md << "| task | cell type | method | loci | positives | folds scored | mean AP | mean AUROC | pooled AP | pooled AUROC |\n"
         << "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& s : d.scores)
        r.md << "| " << s.task << " | " << s.cell_type << (cells_with_signal.count(s.cell_type) ? "" : " †") << " | "
             << (s.method == methods.front().name ? "**" + s.method + "**" : s.method) << " | " << s.loci << " | "
             << s.positives << " | " << s.folds_scored << "/" << s.folds << " | " << fixed(s.mean_ap) << " | "
             << fixed(s.mean_auroc) << " | " << fixed(s.pooled_ap) << " | " << fixed(s.pooled_auroc) << " |\n";
    r.md << "\n† no signal tracks of this cell type in the store: its labels are predicted from the other cell types' representation.\n\n"
         << "Per-fold numbers: `metrics.tsv` (one row per task × cell type × method × fold, plus `mean` and `pooled` rows).\n\n";
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
    const pca_model pca_fit = fit_pca(d.store_signal, components, d.training_filter());
    representation pca_rec{"pca reconstruction", d.store_signal.width, {}};
    for (const auto& g : heldout.regions)
        pca_rec.regions.push_back({g.name, g.chrom, g.start, g.end, g.bin_size, pca_fit.reconstruct(g.rows)});
    const std::vector<std::pair<std::string, reconstruction_quality>> q{
        {"epi-lstm", score_reconstruction(heldout, *in.model->reconstruction, prom_mask, gene_mask)},
        {"pca (" + std::to_string(components) + " components)", score_reconstruction(heldout, pca_rec, prom_mask, gene_mask)},
        {"per-track mean", score_reconstruction(heldout, constant_prediction(heldout, pca_fit.mean), prom_mask, gene_mask)}};
    std::string chroms;
    for (const auto& c : d.heldout_chroms) chroms += (chroms.empty() ? "" : ", ") + c;
    r.md << "Regions on " << chroms << " (" << heldout.regions.size() << " regions, " << q[0].second.positions
         << " positions × " << d.store_signal.width << " tracks), which the model must not have seen in training. Baselines are "
            "fitted on the other " << n_trained_on << " regions. As in the ENCODE Imputation Challenge: MSE "
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
    r.md << "\n"
         << r.image(bar_plot{r.plots / "reconstruction_pearson", "Held-out reconstruction: Pearson r per track", "Pearson r",
                             d.track_ids, {"epi-lstm", q[1].first}, {q[0].second.pearson, q[1].second.pearson}},
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
    downstream_result down = score_downstream(sets, in.data.signal, res.methods, in.options, in.log);
    r.skipped.insert(r.skipped.end(), down.notes.begin(), down.notes.end());

    std::ostringstream tsv;
    tsv << metrics_header();
    for (const auto& s : down.scores) write_metrics_rows(tsv, s);

    detail::write_header(r, in, res.methods);
    detail::write_downstream(r, down, res.methods, cell_types_with_signal(in.data.cell_types, in.files.labels_dir));
    res.smoothness = detail::write_smoothness(r, res.methods, in.options.smoothness_lags, in.log);
    detail::write_reconstruction(r, in, res.methods.front().rep.width);
    detail::write_score_correlation(r, in, res.methods);

    r.md << "## Skipped, and why\n\n";
    if (r.skipped.empty()) r.md << "Nothing was skipped.\n";
    for (const auto& s : r.skipped) r.md << "- " << s << "\n";

    io::write_text_file(in.out / "metrics.tsv", tsv.str());
    io::write_text_file(in.out / "report.md", r.md.str());
    res.downstream = std::move(down.scores);
    res.skipped = std::move(r.skipped);
    return res;
}

}  // namespace epilstm::eval
