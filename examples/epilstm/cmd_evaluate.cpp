// `epilstm evaluate`: does the representation capture the genome? The paper's downstream
// classification (§3.6–3.7), smoothness (§4.4), reconstruction quality on held-out regions and the
// correlation with an external score (§4.3), each for the representation and its baselines,
// written as report.md (tables and PNG plots) and TSV files a script can read.
//
// Methods, through the same folds and the same classifier (eval/cross_validation.hpp):
//   epi-lstm        the embedding (--embedding), averaged over each locus window
//   random-weights  the same architecture and seed, untrained (--model; embedded in memory): without
//                   it nobody can tell whether training added anything
//   raw-signal      the transformed signal of the store (--store), averaged the same way
//   pca             the signal projected on its first E principal components (E = representation
//                   width; fitted on every position of the store; projection and window mean commute)
//   majority        every test locus scored by the training positive rate (AP = positive rate)
// A task, fold or section that cannot be evaluated is listed in the report with the reason; the
// rest goes on.
#include "common.hpp"
#include "intervals.hpp"
#include "plots.hpp"

#include <epilstm/eval/cross_validation.hpp>
#include <epilstm/eval/embed.hpp>
#include <epilstm/eval/pca.hpp>
#include <epilstm/eval/reconstruction.hpp>
#include <epilstm/eval/representation.hpp>
#include <epilstm/eval/score_correlation.hpp>
#include <epilstm/eval/smoothness.hpp>
#include <epilstm/eval/tasks.hpp>
#include <epilstm/io/signal_store.hpp>
#include <epilstm/io/text_file.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

namespace epilstm::cli {
namespace {

struct evaluate_options {
    fs::path embedding, store, labels_dir, out, model, promoters, genes, score;
    std::vector<std::string> heldout_chroms;
    index_t folds = 20;
    index_t streams = 8;
    std::uint64_t seed = 1;
    std::int64_t upstream = 2000;
    int threads = 2;
    std::vector<std::string> tasks = eval::known_tasks();
};


std::string fmt(double v, int digits = 3)
{
    if (std::isnan(v)) return "NA";
    char b[32];
    std::snprintf(b, sizeof b, "%.*f", digits, v);
    return b;
}

/// A task's name on a plot axis.
std::string short_task(const std::string& t)
{
    if (t == "gene_expression") return "expression";
    if (t == "promoter_enhancer") return "P-E pairs";
    if (t == "domain_boundary") return "domain bound.";
    if (t == "replication_timing") return "repl. timing";
    return t;
}

std::string bp_label(std::int64_t bp) { return bp >= 1000 ? std::to_string(bp / 1000) + " kb" : std::to_string(bp) + " bp"; }

/// The regions of `r` on the given chromosomes.
eval::representation on_chromosomes(const eval::representation& r, const std::set<std::string>& chroms)
{
    eval::representation out{r.source, r.width, {}};
    for (const auto& g : r.regions)
        if (chroms.count(g.chrom)) out.regions.push_back(g);
    return out;
}

/// A plot line for the report: the image, or why there is none.
std::string image(const plot_result& p, const fs::path& out, const std::string& alt, std::vector<std::string>& skipped)
{
    if (p.png.empty()) {
        skipped.push_back("plot '" + alt + "' not drawn: " + p.error);
        return "*(plot not drawn: " + p.error + ")*\n\n";
    }
    return "![" + alt + "](" + fs::relative(p.png, out).string() + ")\n\n";
}

/// What --model adds: the untrained control and the held-out reconstructions.
struct model_results {
    std::optional<eval::representation> random;
    std::uint64_t random_seed = 0;
    std::string description;
    std::optional<eval::representation> reconstruction;  ///< of the held-out regions
};

model_results run_model_parts(const evaluate_options& o, const io::signal_store& store, const eval::representation& raw,
                              const eval::representation& heldout)
{
    model_results res;
    with_checkpoint(o.model, [&](auto& model, const io::checkpoint& ck) {
        using M = std::decay_t<decltype(model)>;
        if (model.input_size() != raw.width)
            throw shape_error(o.model.string() + ": the model expects " + std::to_string(model.input_size()) +
                              " tracks but " + o.store.string() + " has " + std::to_string(raw.width));
        if (!ck.tracks.empty() && ck.tracks != store.track_ids())
            throw input_error(o.model.string() + ": the model was trained on other tracks than " + o.store.string() +
                              " holds (compare /tracks of both files)");
        const auto& c = model.config();
        res.description = c.activation + ", " + c.normalization + ", H = " + std::to_string(c.hidden_size) +
                          (c.bidirectional ? ", bidirectional" : "") + ", frame " + std::to_string(c.frame_length);
        // The same architecture from the same seed as the trained model's initialization.
        res.random_seed = ck.training ? ck.schedule.seed : o.seed;
        M untrained(ck.config);
        untrained.initialize(res.random_seed);
        std::fprintf(stderr, "evaluate: embedding the random-weights control (%s, seed %llu)\n", res.description.c_str(),
                     static_cast<unsigned long long>(res.random_seed));
        res.random = eval::embed_representation(untrained, raw, o.streams, "random weights");
        if (heldout.regions.empty()) return;
        std::fprintf(stderr, "evaluate: reconstructing %zu held-out regions\n", heldout.regions.size());
        eval::representation rec{"epi-lstm reconstruction", raw.width, {}};
        for (const auto& g : heldout.regions) {
            eval::row_matrix x(g.rows.rows(), raw.width);
            const signal_view<float> view{g.rows.data(), g.rows.rows(), raw.width, nullptr};
            run_model(model, view, o.streams, nullptr, x.data());
            rec.regions.push_back({g.name, g.chrom, g.start, g.end, g.bin_size, std::move(x)});
        }
        res.reconstruction = std::move(rec);
    });
    return res;
}

int run_evaluate(const evaluate_options& o)
{
    fs::create_directories(o.out);
    const fs::path plots = o.out / "plots";
    fs::create_directories(plots);
    std::fprintf(stderr, "evaluate: reading %s and %s\n", o.embedding.c_str(), o.store.c_str());
    const eval::representation emb = eval::read_embedding_representation(o.embedding);
    const io::signal_store store(o.store);
    const eval::representation raw = eval::read_signal_representation(store);
    // Baselines over exactly the embedded regions, which must be the store's.
    eval::representation raw_emb{raw.source, raw.width, {}};
    for (const auto& g : emb.regions) {
        const auto it = std::find_if(raw.regions.begin(), raw.regions.end(), [&](const auto& r) { return r.name == g.name; });
        if (it == raw.regions.end() || it->chrom != g.chrom || it->start != g.start || it->end != g.end)
            throw input_error(o.embedding.string() + ": region " + g.name + " is not in " + o.store.string() +
                              " with the same coordinates (was the embedding made from this store?)");
        raw_emb.regions.push_back(*it);
    }
    const std::int64_t bin = emb.regions.empty() ? 25 : emb.regions.front().bin_size;

    std::vector<std::string> skipped;  // report lines
    const std::set<std::string> held(o.heldout_chroms.begin(), o.heldout_chroms.end());
    const eval::representation heldout = on_chromosomes(raw, held);
    auto trained_on = [&](const eval::represented_region& g) { return held.count(g.chrom) == 0; };
    const auto n_trained_on = std::count_if(raw.regions.begin(), raw.regions.end(), trained_on);
    for (const auto& c : held)
        if (std::none_of(raw.regions.begin(), raw.regions.end(), [&](const auto& r) { return r.chrom == c; }))
            skipped.push_back("--heldout-chroms " + c + ": no region of the store is on it");

    model_results mr;
    if (!o.model.empty()) mr = run_model_parts(o, store, raw_emb, heldout);
    else skipped.push_back("random-weights control and reconstruction quality: not computed (give --model, the checkpoint the embedding was made with)");

    std::fprintf(stderr, "evaluate: PCA of the signal (%ld components)\n", static_cast<long>(emb.width));
    const eval::pca_model pca = eval::fit_pca(raw_emb, emb.width);
    const eval::representation pca_rep = pca.project(raw_emb);

    struct method {
        std::string name;
        const eval::representation* rep;  // null: majority
    };
    std::vector<method> methods{{"epi-lstm", &emb}};
    if (mr.random) methods.push_back({"random-weights", &*mr.random});
    methods.push_back({"raw-signal", &raw_emb});
    methods.push_back({"pca", &pca_rep});
    methods.push_back({"majority", nullptr});

    // ---- downstream classification ----
    eval::label_directory_options lo;
    lo.tasks = o.tasks;
    lo.upstream = o.upstream;
    std::vector<std::string> notes;
    const std::vector<eval::label_set> sets = eval::load_label_directory(o.labels_dir, emb, lo, notes);
    skipped.insert(skipped.end(), notes.begin(), notes.end());

    // Cell types with signal: the store names epigenomes by Roadmap id (E116); label files are
    // {cell}.{id}.*, so a label cell type has signal when its id is among the store's.
    std::set<std::string> cells_with_signal;
    for (const auto& t : store.track_metadata()) cells_with_signal.insert(t.cell_type);
    for (const auto& dir : {"expression", "pei", "tads"})
        for (const auto& p : eval::detail::files_with_suffix(o.labels_dir / dir, "")) {
            const std::string n = p.filename().string();
            const auto a = n.find('.'), b = n.find('.', a + 1);
            if (a != std::string::npos && b != std::string::npos && cells_with_signal.count(n.substr(a + 1, b - a - 1)))
                cells_with_signal.insert(n.substr(0, a));
        }

    eval::xgboost_options xo;
    xo.nthread = o.threads;
    xo.seed = o.seed;

    std::ostringstream tsv;
    tsv << "task\tcell_type\tmethod\tfold\ttest_chromosomes\tn_test\ttest_positives\tn_train\tn_validation\trounds\tAP\tAUROC\tnote\n";
    struct summary_row {
        std::string task, cell, method;
        index_t loci = 0, positives = 0, folds_scored = 0, folds = 0;
        double mean_ap = NAN, mean_auroc = NAN, pooled_ap = NAN, pooled_auroc = NAN;
        bool signal = false;
    };
    std::vector<summary_row> summary;
    std::vector<std::string> plotted_tasks;
    std::map<std::string, std::vector<double>> plot_ap;  // method → pooled AP per plotted task

    for (const auto& set : sets) {
        const eval::prepared_task t = eval::prepare_task(set, emb, o.folds, o.seed);
        skipped.insert(skipped.end(), t.notes.begin(), t.notes.end());
        if (!t.usable()) {
            skipped.push_back(t.what() + ": task skipped: " + t.skip_reason);
            continue;
        }
        plotted_tasks.push_back(short_task(set.task) + " " + set.cell_type);
        std::map<std::string, index_t> fold_skips;
        for (const auto& m : methods) {
            std::fprintf(stderr, "evaluate: %s, %s: %zu loci (%ld positive), %ld folds\n", t.what().c_str(), m.name.c_str(),
                         t.y.size(), static_cast<long>(t.positives), static_cast<long>(t.folds.count));
            const Eigen::MatrixXf x = m.rep ? eval::task_features(t, *m.rep) : Eigen::MatrixXf(static_cast<index_t>(t.y.size()), 0);
            eval::cv_result cv = eval::cross_validate(x, t.y, t.chroms, t.folds, xo);
            if (!m.rep && !std::isnan(cv.pooled_ap)) {
                // The majority baseline ranks nothing: pooling its per-fold constants would turn the
                // folds' positive rates into a spurious ranking (AUROC below 0.5). Its pooled AP is
                // the positive rate and its AUROC 0.5 by definition.
                cv.pooled_ap = static_cast<double>(t.positives) / static_cast<double>(t.y.size());
                cv.pooled_auroc = 0.5;
            }
            summary_row s{set.task, set.cell_type, m.name, static_cast<index_t>(t.y.size()), t.positives, 0, t.folds.count};
            s.signal = cells_with_signal.count(set.cell_type) > 0;
            double sap = 0, sauc = 0;
            for (const auto& f : cv.folds) {
                tsv << set.task << '\t' << set.cell_type << '\t' << m.name << '\t' << f.fold << '\t' << f.test_chromosomes << '\t'
                    << f.n_test << '\t' << f.test_positives << '\t' << f.n_train << '\t' << f.n_validation << '\t' << f.rounds
                    << '\t' << fmt(f.ap, 6) << '\t' << fmt(f.auroc_value, 6) << '\t' << f.skipped << '\n';
                if (f.skipped.empty()) {
                    ++s.folds_scored;
                    sap += f.ap;
                    sauc += f.auroc_value;
                } else if (m.name == "epi-lstm") {
                    ++fold_skips[f.skipped];
                }
            }
            if (s.folds_scored > 0) {
                s.mean_ap = sap / static_cast<double>(s.folds_scored);
                s.mean_auroc = sauc / static_cast<double>(s.folds_scored);
            }
            s.pooled_ap = cv.pooled_ap;
            s.pooled_auroc = cv.pooled_auroc;
            tsv << set.task << '\t' << set.cell_type << '\t' << m.name << "\tmean\t\t\t\t\t\t\t" << fmt(s.mean_ap, 6) << '\t' << fmt(s.mean_auroc, 6) << "\tover " << s.folds_scored << " scored folds\n";
            tsv << set.task << '\t' << set.cell_type << '\t' << m.name << "\tpooled\t\t" << cv.pooled_n << "\t\t\t\t\t" << fmt(s.pooled_ap, 6) << '\t' << fmt(s.pooled_auroc, 6) << "\tall test predictions together\n";
            summary.push_back(s);
            plot_ap[m.name].push_back(s.pooled_ap);
        }
        for (const auto& [reason, n] : fold_skips)
            skipped.push_back(t.what() + ": " + std::to_string(n) + " of " + std::to_string(t.folds.count) + " folds without per-fold metrics: " + reason);
    }

    // ---- report.md ----
    std::ostringstream md;
    md << "# Epi-LSTM evaluation\n\n"
       << "Representation: `" << o.embedding.string() << "` (" << emb.width << " features per " << bin << " bp position, "
       << emb.regions.size() << " regions). Signal store: `" << o.store.string() << "` (" << raw.width << " tracks).\n";
    if (!o.model.empty())
        md << "Model: `" << o.model.string() << "` (" << mr.description << "); random-weights control: the same "
           << "architecture initialized from seed " << mr.random_seed << " (the trained model's), never trained.\n";
    md << "Labels: `" << o.labels_dir.string() << "`.\n\n"
       << "Methods: **epi-lstm** (the representation)"
       << (mr.random ? ", **random-weights** (the same network untrained: what training added is the difference)" : "")
       << ", **raw-signal** (the transformed signal averaged the same way), **pca** (the signal's first " << emb.width
       << " principal components), **majority** (every locus scored by the training positive rate: AP = positive rate, "
          "AUROC = 0.5).\n\n"
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
    if (!plotted_tasks.empty()) {
        std::vector<std::string> series;
        std::vector<std::vector<double>> values;
        for (const auto& m : methods) {
            series.push_back(m.name);
            values.push_back(plot_ap[m.name]);
        }
        md << image(plot_bars(plots / "downstream_ap", "Downstream classification: pooled average precision per task",
                              "pooled AP", plotted_tasks, series, values),
                    o.out, "pooled AP per task and method", skipped);
    }
    md << "| task | cell type | method | loci | positives | folds scored | mean AP | mean AUROC | pooled AP | pooled AUROC |\n"
       << "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& s : summary)
        md << "| " << s.task << " | " << s.cell << (s.signal ? "" : " †") << " | " << (s.method == "epi-lstm" ? "**epi-lstm**" : s.method)
           << " | " << s.loci << " | " << s.positives << " | " << s.folds_scored << "/" << s.folds << " | " << fmt(s.mean_ap)
           << " | " << fmt(s.mean_auroc) << " | " << fmt(s.pooled_ap) << " | " << fmt(s.pooled_auroc) << " |\n";
    md << "\n† no signal tracks of this cell type in the store: its labels are predicted from the other cell types' representation.\n\n"
       << "Per-fold numbers: `metrics.tsv` (one row per task × cell type × method × fold, plus `mean` and `pooled` rows).\n\n";

    // ---- smoothness (paper §4.4) ----
    {
        const std::vector<index_t> lags{1, 2, 4, 10, 20, 40, 100, 200, 400};  // 25 bp .. 10 kb at 25 bp bins
        auto rows_of = [](const eval::representation& r) {
            std::vector<Eigen::Map<const eval::row_matrix>> v;
            for (const auto& g : r.regions) v.emplace_back(g.rows.data(), g.rows.rows(), g.rows.cols());
            return v;
        };
        std::vector<std::string> names;
        std::vector<std::vector<double>> r2;
        for (const auto& m : methods) {
            if (!m.rep) continue;
            std::fprintf(stderr, "evaluate: smoothness of %s\n", m.name.c_str());
            names.push_back(m.name);
            r2.push_back(eval::smoothness(rows_of(*m.rep), m.rep->width, lags));
        }
        std::vector<double> x;
        for (auto l : lags) x.push_back(static_cast<double>(l * bin));
        md << "## Smoothness along the genome\n\n"
           << "R² of the features at x + k explained by a linear fit on the features at x (paper §4.4), pairs within "
              "a region; 1 = perfectly predictable from the neighbour k away.\n\n"
           << image(plot_lines(plots / "smoothness", "Smoothness: R² of features at x+k from features at x",
                               "distance k (bp)", "R²", x, names, r2, true),
                    o.out, "smoothness curve", skipped)
           << "| k |";
        std::ostringstream st;
        st << "k_bp";
        for (const auto& n : names) md << " " << n << " |", st << '\t' << n;
        md << "\n|---:|";
        st << '\n';
        for (std::size_t j = 0; j < names.size(); ++j) md << "---:|";
        md << "\n";
        for (std::size_t i = 0; i < lags.size(); ++i) {
            md << "| " << bp_label(lags[i] * bin) << " |";
            st << lags[i] * bin;
            for (std::size_t j = 0; j < names.size(); ++j) md << " " << fmt(r2[j][i]) << " |", st << '\t' << fmt(r2[j][i], 6);
            md << "\n";
            st << '\n';
        }
        md << "\n";
        io::write_text_file(o.out / "smoothness.tsv", st.str());
    }

    // ---- reconstruction quality on held-out regions ----
    md << "## Reconstruction of held-out regions\n\n";
    if (!mr.reconstruction) {
        const std::string why = o.model.empty() ? "give --model" : "give --heldout-chroms (chromosomes not used for training)";
        md << "Not computed: " << why << ".\n\n";
        if (!o.model.empty()) skipped.push_back("reconstruction quality: not computed: " + why);
    } else if (n_trained_on == 0) {
        md << "Not computed: every region is on a held-out chromosome, nothing to fit the baselines on.\n\n";
        skipped.push_back("reconstruction quality: every region is held out");
    } else {
        std::vector<eval::interval> prom, genes;
        std::vector<std::vector<std::uint8_t>> prom_mask, gene_mask;
        if (!o.promoters.empty()) prom_mask = eval::interval_masks(heldout, prom = read_intervals(o.promoters, false));
        if (!o.genes.empty()) gene_mask = eval::interval_masks(heldout, genes = read_intervals(o.genes, false));
        const eval::pca_model pca_fit = eval::fit_pca(raw, emb.width, trained_on);
        eval::representation pca_rec{"pca reconstruction", raw.width, {}};
        for (const auto& g : heldout.regions) pca_rec.regions.push_back({g.name, g.chrom, g.start, g.end, g.bin_size, pca_fit.reconstruct(g.rows)});
        const std::vector<std::pair<std::string, eval::reconstruction_quality>> q{
            {"epi-lstm", eval::score_reconstruction(heldout, *mr.reconstruction, prom_mask, gene_mask)},
            {"pca (" + std::to_string(emb.width) + " components)", eval::score_reconstruction(heldout, pca_rec, prom_mask, gene_mask)},
            {"per-track mean", eval::score_reconstruction(heldout, eval::constant_prediction(heldout, pca_fit.mean), prom_mask, gene_mask)}};
        std::string chroms;
        for (const auto& c : held) chroms += (chroms.empty() ? "" : ", ") + c;
        md << "Regions on " << chroms << " (" << heldout.regions.size() << " regions, " << q[0].second.positions
           << " positions × " << raw.width << " tracks), which the model must not have seen in training. Baselines are "
              "fitted on the other " << n_trained_on << " regions. As in the ENCODE Imputation Challenge: MSE "
              "over every position and track, at promoters" << (o.promoters.empty() ? " (not computed: give --promoters)" : " (`" + o.promoters.filename().string() + "`, " + std::to_string(q[0].second.promoter_positions) + " positions)")
           << ", over gene bodies" << (o.genes.empty() ? " (not computed: give --genes)" : " (`" + o.genes.filename().string() + "`, " + std::to_string(q[0].second.gene_body_positions) + " positions)")
           << ", at each track's top 1% observed positions, and the Pearson correlation of each track.\n\n"
           << "| predictor | MSE | MSE promoters | MSE gene bodies | MSE top 1% | mean Pearson r |\n|---|---:|---:|---:|---:|---:|\n";
        std::ostringstream rt;
        rt << "predictor\tmse\tmse_promoters\tmse_gene_bodies\tmse_top1";
        for (const auto& t : store.track_ids()) rt << "\tpearson_" << t;
        rt << '\n';
        for (const auto& [name, s] : q) {
            double pr = 0;
            int np = 0;
            for (double v : s.pearson)
                if (!std::isnan(v)) pr += v, ++np;
            md << "| " << name << " | " << fmt(s.mse, 4) << " | " << fmt(s.mse_promoters, 4) << " | " << fmt(s.mse_gene_bodies, 4)
               << " | " << fmt(s.mse_top1, 4) << " | " << (np ? fmt(pr / np) : "NA (constant)") << " |\n";
            rt << name << '\t' << fmt(s.mse, 6) << '\t' << fmt(s.mse_promoters, 6) << '\t' << fmt(s.mse_gene_bodies, 6) << '\t' << fmt(s.mse_top1, 6);
            for (double v : s.pearson) rt << '\t' << fmt(v, 6);
            rt << '\n';
        }
        io::write_text_file(o.out / "reconstruction.tsv", rt.str());
        std::vector<std::string> tracks = store.track_ids();
        md << "\n" << image(plot_bars(plots / "reconstruction_pearson", "Held-out reconstruction: Pearson r per track",
                                      "Pearson r", tracks, {"epi-lstm", q[1].first}, {q[0].second.pearson, q[1].second.pearson}),
                            o.out, "per-track Pearson correlation", skipped)
           << "Per-track numbers: `reconstruction.tsv`.\n\n";
    }

    // ---- correlation with an external score (paper §4.3, Fig. 4) ----
    md << "## Correlation with an external score\n\n";
    if (o.score.empty()) {
        md << "Not computed: give --score (a bigWig, bedGraph or BED track, e.g. conservation, GC content or CpG islands).\n\n";
    } else {
        std::fprintf(stderr, "evaluate: correlating features with %s\n", o.score.c_str());
        const auto scores = read_bin_scores(o.score, emb);
        index_t scored = 0;
        for (const auto& v : scores)
            for (double s : v) scored += !std::isnan(s);
        md << "Score: `" << o.score.string() << "` on " << scored << " positions" << (scored == 0 ? " (none: the score track does not cover the regions)" : "")
           << ". Pearson r of each latent feature with the score per " << bin << " bp position (BED: the fraction of the bin covered).\n\n"
           << "| method | features | max abs r | feature | top 3 features (r) |\n|---|---:|---:|---:|---|\n";
        std::ostringstream ct;
        ct << "method\tfeature\tpearson\n";
        index_t best_j = -1;
        for (const auto& m : methods) {
            if (!m.rep) continue;
            const auto r = eval::feature_correlations(*m.rep, scores);
            std::vector<index_t> order(r.size());
            for (std::size_t j = 0; j < r.size(); ++j) order[j] = static_cast<index_t>(j), ct << m.name << '\t' << j << '\t' << fmt(r[j], 6) << '\n';
            std::sort(order.begin(), order.end(), [&](index_t a, index_t b) {
                const double x = std::isnan(r[a]) ? -1 : std::abs(r[a]), y = std::isnan(r[b]) ? -1 : std::abs(r[b]);
                return x > y;
            });
            md << "| " << m.name << " | " << r.size() << " | " << (order.empty() ? "NA" : fmt(std::abs(r[order[0]]))) << " | "
               << (order.empty() ? "" : std::to_string(order[0])) << " | ";
            for (std::size_t k = 0; k < std::min<std::size_t>(3, order.size()); ++k)
                md << (k ? ", " : "") << order[k] << " (" << fmt(r[order[k]]) << ")";
            md << " |\n";
            if (m.name == "epi-lstm" && !order.empty() && !std::isnan(r[order[0]])) best_j = order[0];
        }
        io::write_text_file(o.out / "score_correlation.tsv", ct.str());
        md << "\nAll correlations: `score_correlation.tsv`.\n\n";
        if (best_j >= 0) {
            const auto h = eval::feature_score_histogram(emb, best_j, scores, 60, 40);
            md << image(plot_heatmap(plots / "feature_vs_score", "Latent feature " + std::to_string(best_j) + " vs " + o.score.filename().string(),
                                     "epi-lstm feature " + std::to_string(best_j), o.score.filename().string(), h.counts,
                                     h.x_min, h.x_max, h.y_min, h.y_max),
                        o.out, "2D histogram of the most correlated feature against the score", skipped);
        }
    }

    md << "## Skipped, and why\n\n";
    if (skipped.empty()) md << "Nothing was skipped.\n";
    for (const auto& s : skipped) md << "- " << s << "\n";

    io::write_text_file(o.out / "metrics.tsv", tsv.str());
    io::write_text_file(o.out / "report.md", md.str());
    std::printf("evaluate: report %s, metrics %s, plots %s\n", (o.out / "report.md").c_str(), (o.out / "metrics.tsv").c_str(),
                plots.c_str());
    return 0;
}

}  // namespace

command add_evaluate_command(CLI::App& app)
{
    auto o = std::make_shared<evaluate_options>();
    auto* c = app.add_subcommand("evaluate", "evaluate a representation against baselines: downstream classification "
                                             "(XGBoost, cross-chromosome folds), smoothness, held-out reconstruction, "
                                             "correlation with a score track; writes report.md, TSVs and plots");
    c->add_option("--embedding,-e", o->embedding, "embedding file written by `epilstm embed`")->required()->check(CLI::ExistingFile);
    c->add_option("--store,-s", o->store, "signal store written by `epilstm prepare` (baselines)")->required()->check(CLI::ExistingFile);
    c->add_option("--labels-dir,-l", o->labels_dir, "label directory laid out as pilot_labels_hg19")->required()->check(CLI::ExistingDirectory);
    c->add_option("--out,-o", o->out, "output directory")->required();
    c->add_option("--model,-m", o->model, "the checkpoint the embedding was made with: adds the random-weights control "
                                          "and the held-out reconstruction")->check(CLI::ExistingFile);
    c->add_option("--heldout-chroms", o->heldout_chroms, "chromosomes not used in training, for the reconstruction section")->delimiter(',');
    c->add_option("--promoters", o->promoters, "BED of promoter windows (.gz allowed) for the promoter MSE")->check(CLI::ExistingFile);
    c->add_option("--genes", o->genes, "BED of gene bodies (.gz allowed) for the gene-body MSE")->check(CLI::ExistingFile);
    c->add_option("--score", o->score, "per-position score to correlate with each feature: bigWig, bedGraph or BED (.gz allowed)")->check(CLI::ExistingFile);
    c->add_option("--folds", o->folds, "number of chromosome folds (fewer chromosomes: one fold each)")->check(CLI::PositiveNumber)->capture_default_str();
    c->add_option("--seed", o->seed, "seed of the fold assignment and XGBoost (and of the control when the checkpoint has none)")->capture_default_str();
    c->add_option("--upstream", o->upstream, "promoter window upstream of the TSS (bp)")->check(CLI::NonNegativeNumber)->capture_default_str();
    c->add_option("--streams", o->streams, "streams per region when embedding the control (as `epilstm embed --streams`)")->check(CLI::PositiveNumber)->capture_default_str();
    c->add_option("--threads", o->threads, "XGBoost threads")->check(CLI::PositiveNumber)->capture_default_str();
    c->add_option("--tasks", o->tasks, "tasks: gene_expression, promoter_enhancer, domain_boundary, replication_timing")->delimiter(',')->capture_default_str();
    return {c, [o] { return run_evaluate(*o); }};
}

}  // namespace epilstm::cli
