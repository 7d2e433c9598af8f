// `epilstm evaluate`: the paper's downstream classification (§3.6–3.7) on the pilot labels, for the
// representation and its baselines, written as metrics.tsv and a report.md a biologist can read.
//
// Methods, all through the same folds and the same classifier (eval/cross_validation.hpp):
//   epi-lstm    the embedding (--embedding), averaged over each locus window
//   raw-signal  the transformed signal of the store (--store), averaged the same way
//   pca         the signal projected on its first E principal components (E = representation width;
//               PCA fitted on every position of the store; projection and window mean commute)
//   majority    every test locus scored by the training positive rate (AP = positive rate)
// A task or fold that cannot be evaluated is listed in the report with the reason; the rest goes on.
#include "common.hpp"

#include <epilstm/eval/cross_validation.hpp>
#include <epilstm/eval/labels.hpp>
#include <epilstm/eval/representation.hpp>
#include <epilstm/eval/smoothness.hpp>
#include <epilstm/io/signal_store.hpp>

#include <Eigen/Eigenvalues>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

namespace epilstm::cli {
namespace {

struct evaluate_options {
    fs::path embedding, store, labels_dir, out;
    index_t folds = 20;
    std::uint64_t seed = 1;
    std::int64_t upstream = 2000;
    int threads = 2;
    std::vector<std::string> tasks{"gene_expression", "promoter_enhancer", "replication_timing"};
};

/// Writes `text` to `path` atomically (temporary file, then rename).
void write_text(const fs::path& path, const std::string& text)
{
    const fs::path tmp = fs::path(path.string() + ".tmp-" + std::to_string(::getpid()));
    {
        std::ofstream os(tmp);
        os << text;
        if (!os) throw io_error(tmp.string() + ": cannot write");
    }
    fs::rename(tmp, path);
}

std::string fmt(double v, int digits = 3)
{
    if (std::isnan(v)) return "NA";
    char b[32];
    std::snprintf(b, sizeof b, "%.*f", digits, v);
    return b;
}

/// The cell type of a pilot label file: its name up to the first '.'.
std::string cell_of(const fs::path& p)
{
    const std::string n = p.filename().string();
    return n.substr(0, n.find('.'));
}

std::vector<fs::path> files_in(const fs::path& dir, const std::string& suffix)
{
    std::vector<fs::path> out;
    if (!fs::is_directory(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().ends_with(suffix)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

/// PCA of the signal: mean [D] and the top-k components [D, k].
std::pair<Eigen::RowVectorXd, Eigen::MatrixXd> fit_pca(const eval::representation& raw, index_t k)
{
    const index_t D = raw.width;
    Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(D);
    Eigen::MatrixXd cross = Eigen::MatrixXd::Zero(D, D);
    double n = 0;
    for (const auto& r : raw.regions) {
        const Eigen::MatrixXd x = r.rows.cast<double>();
        sum += x.colwise().sum();
        cross.noalias() += x.transpose() * x;
        n += static_cast<double>(x.rows());
    }
    const Eigen::RowVectorXd mean = sum / n;
    const Eigen::MatrixXd cov = cross / n - mean.transpose() * mean;
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(cov);
    k = std::min(k, D);
    // Eigenvalues ascending: the last k columns, largest first.
    Eigen::MatrixXd comps(D, k);
    for (index_t j = 0; j < k; ++j) comps.col(j) = es.eigenvectors().col(D - 1 - j);
    return {mean, comps};
}

struct method_features {
    std::string name;
    Eigen::MatrixXf x;  // rows aligned with the task's kept loci
};

int run_evaluate(const evaluate_options& o)
{
    fs::create_directories(o.out);
    std::fprintf(stderr, "evaluate: reading %s and %s\n", o.embedding.c_str(), o.store.c_str());
    const eval::representation emb = eval::read_embedding_representation(o.embedding);
    const io::signal_store store(o.store);
    const eval::representation raw = eval::read_signal_representation(store);
    const auto [pca_mean, pca_comps] = fit_pca(raw, emb.width);

    // The label sets to run.
    std::vector<eval::label_set> sets;
    std::vector<std::string> skipped;  // report lines
    auto want = [&](const std::string& t) { return std::find(o.tasks.begin(), o.tasks.end(), t) != o.tasks.end(); };
    if (want("gene_expression"))
        for (const auto& p : files_in(o.labels_dir / "expression", ".gene_expressed.dev.tsv"))
            sets.push_back(eval::load_expression_labels(p, cell_of(p), o.upstream));
    if (want("promoter_enhancer"))
        for (const auto& p : files_in(o.labels_dir / "pei", ".ep_pairs.dev.tsv"))
            sets.push_back(eval::load_pei_labels(p, cell_of(p)));
    if (want("replication_timing"))
        for (const auto& p : files_in(o.labels_dir / "replication_timing", ".bed"))
            // Koren 2012 LCL timing: the lymphoblastoid line of the pilot is GM12878 (PROVENANCE.md).
            sets.push_back(eval::load_replication_timing_labels(p, cell_of(p) == "LCL_Koren2012" ? "GM12878" : cell_of(p)));
    if (sets.empty()) throw input_error(o.labels_dir.string() + ": no label files found (expected expression/, pei/, replication_timing/ as in pilot_labels_hg19)");

    // Cell types with signal: track metadata of the store. Labels of other cell types are still
    // evaluated (the representation is of all tracks), but the report marks them.
    // The store names epigenomes by Roadmap id (E116); pilot label files are {cell}.{id}.*.
    std::set<std::string> cells_with_signal;
    for (const auto& t : store.track_metadata()) cells_with_signal.insert(t.cell_type);
    for (const auto& dir : {"expression", "pei", "tads"})
        for (const auto& p : files_in(o.labels_dir / dir, ".tsv")) {
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

    for (const auto& set : sets) {
        const std::string what = set.task + " / " + set.cell_type;
        for (const auto& [reason, n] : set.dropped) skipped.push_back(what + ": " + std::to_string(n) + " records dropped: " + reason);
        if (set.loci.empty()) {
            skipped.push_back(what + ": task skipped: no labelled loci");
            continue;
        }
        const eval::locus_features fe = eval::extract_features(emb, set);
        const eval::locus_features fr = eval::extract_features(raw, set);
        for (const auto& [reason, n] : fe.skipped)
            skipped.push_back(what + ": " + std::to_string(n) + " of " + std::to_string(set.loci.size()) + " loci skipped: " + reason);
        if (fe.kept != fr.kept) throw input_error(o.embedding.string() + " and " + o.store.string() + " cover different regions (loci usable in one are not in the other)");
        std::vector<float> y;
        std::vector<std::string> chroms;
        for (auto k : fe.kept) {
            y.push_back(static_cast<float>(set.loci[k].label));
            chroms.push_back(set.loci[k].chrom);
        }
        const index_t pos = static_cast<index_t>(std::count(y.begin(), y.end(), 1.f));
        if (y.empty()) {
            skipped.push_back(what + ": task skipped: no locus lies in the represented regions");
            continue;
        }
        if (pos == 0 || pos == static_cast<index_t>(y.size())) {
            skipped.push_back(what + ": task skipped: all " + std::to_string(y.size()) + " usable loci have label " + (pos == 0 ? "0" : "1"));
            continue;
        }
        const eval::chromosome_folds folds = eval::make_chromosome_folds(chroms, o.folds, o.seed);
        if (folds.count < 3) {
            skipped.push_back(what + ": task skipped: loci on " + std::to_string(folds.count) + " chromosome(s); cross-chromosome validation needs 3 (train, validation, test)");
            continue;
        }
        const Eigen::MatrixXf pca = ((fr.x.cast<double>().rowwise() - pca_mean) * pca_comps).cast<float>();
        const std::vector<method_features> methods{
            {"epi-lstm", fe.x}, {"raw-signal", fr.x}, {"pca", pca}, {"majority", Eigen::MatrixXf(fe.x.rows(), 0)}};
        std::map<std::string, index_t> fold_skips;
        for (const auto& m : methods) {
            std::fprintf(stderr, "evaluate: %s, %s: %zu loci (%ld positive), %ld folds\n", what.c_str(), m.name.c_str(), y.size(), static_cast<long>(pos), static_cast<long>(folds.count));
            const eval::cv_result cv = eval::cross_validate(m.x, y, chroms, folds, xo);
            summary_row s{set.task, set.cell_type, m.name, static_cast<index_t>(y.size()), pos, 0, folds.count};
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
        }
        for (const auto& [reason, n] : fold_skips)
            skipped.push_back(what + ": " + std::to_string(n) + " of " + std::to_string(folds.count) + " folds without per-fold metrics: " + reason);
    }

    // report.md
    std::ostringstream md;
    md << "# Epi-LSTM downstream evaluation\n\n"
       << "Representation: `" << o.embedding.string() << "` (" << emb.width << " features per 25 bp position, "
       << emb.regions.size() << " regions). Signal store: `" << o.store.string() << "` (" << raw.width << " tracks).\n"
       << "Labels: `" << o.labels_dir.string() << "`.\n\n"
       << "For each task and cell type an XGBoost classifier (max depth 6, up to 5000 trees, early stopping after 20 rounds "
          "without improvement of the average precision on the validation fold) is trained on the mean representation of "
          "each labelled locus. Folds are by chromosome (" << o.folds << " requested; with fewer chromosomes, one per chromosome; seed "
       << o.seed << "): fold *i* is tested, fold *i*+1 is the validation set, the others train a fresh classifier.\n\n"
       << "Loci: gene expression = promoter window " << o.upstream << " bp upstream of the TSS (strand-aware); "
          "promoter–enhancer = the window between the two elements; replication timing = 40 kb bins, early if the mean "
          "timing value is ≥ 0.\n\n"
       << "Methods: **epi-lstm** (the representation), **raw-signal** (the transformed signal averaged the same way), "
          "**pca** (the signal's first " << emb.width << " principal components), **majority** (every locus scored by the "
          "training positive rate: its AP is the positive rate).\n\n"
       << "*Mean AP/AUROC* average the folds whose test chromosome(s) hold both classes; *pooled* metrics rank the "
          "test predictions of all folds together (every locus is tested once), the only number left when positives are "
          "few. AP is scikit-learn's average precision (not interpolated).\n\n"
       << "## Summary\n\n"
       << "| task | cell type | method | loci | positives | folds scored | mean AP | mean AUROC | pooled AP | pooled AUROC |\n"
       << "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& s : summary)
        md << "| " << s.task << " | " << s.cell << (s.signal ? "" : " †") << " | " << s.method << " | " << s.loci << " | " << s.positives
           << " | " << s.folds_scored << "/" << s.folds << " | " << fmt(s.mean_ap) << " | " << fmt(s.mean_auroc) << " | "
           << fmt(s.pooled_ap) << " | " << fmt(s.pooled_auroc) << " |\n";
    md << "\n† no signal tracks of this cell type in the store: its labels are predicted from the other cell types' representation.\n\n"
       << "Per-fold numbers: `metrics.tsv` (one row per task × cell type × method × fold, plus `mean` and `pooled` rows).\n\n";

    // Smoothness (paper §4.4): R² of the representation at x + k explained linearly by that at x.
    {
        const std::vector<index_t> lags{1, 2, 4, 10, 20, 40, 100, 200, 400};  // 25 bp .. 10 kb at 25 bp bins
        auto rows_of = [](const eval::representation& r) {
            std::vector<Eigen::Map<const eval::row_matrix>> v;
            for (const auto& g : r.regions) v.emplace_back(g.rows.data(), g.rows.rows(), g.rows.cols());
            return v;
        };
        std::vector<eval::row_matrix> pca_rows;
        for (const auto& g : raw.regions)
            pca_rows.push_back(((g.rows.cast<double>().rowwise() - pca_mean) * pca_comps).cast<float>());
        const auto r_emb = eval::smoothness(rows_of(emb), emb.width, lags);
        const auto r_raw = eval::smoothness(rows_of(raw), raw.width, lags);
        const auto r_pca = eval::smoothness(pca_rows, emb.width, lags);
        md << "## Smoothness along the genome\n\n"
           << "R² of the features at x + k explained by a linear fit on the features at x (paper §4.4), pairs within "
              "a region; 1 = perfectly predictable from the neighbour k away.\n\n"
           << "| k | epi-lstm | raw-signal | pca |\n|---:|---:|---:|---:|\n";
        for (std::size_t i = 0; i < lags.size(); ++i) {
            const index_t bp = lags[i] * (emb.regions.empty() ? 25 : emb.regions.front().bin_size);
            md << "| " << (bp >= 1000 ? std::to_string(bp / 1000) + " kb" : std::to_string(bp) + " bp") << " | "
               << fmt(r_emb[i]) << " | " << fmt(r_raw[i]) << " | " << fmt(r_pca[i]) << " |\n";
        }
        md << "\n";
    }
    md << "## Skipped, and why\n\n";
    if (skipped.empty()) md << "Nothing was skipped.\n";
    for (const auto& s : skipped) md << "- " << s << "\n";

    write_text(o.out / "metrics.tsv", tsv.str());
    write_text(o.out / "report.md", md.str());
    std::printf("evaluate: report %s, metrics %s\n", (o.out / "report.md").c_str(), (o.out / "metrics.tsv").c_str());
    return 0;
}

}  // namespace

command add_evaluate_command(CLI::App& app)
{
    auto o = std::make_shared<evaluate_options>();
    auto* c = app.add_subcommand("evaluate", "downstream classification of labelled loci (paper §3.6–3.7): XGBoost on the "
                                             "representation and baselines, cross-chromosome folds; writes report.md and metrics.tsv");
    c->add_option("--embedding,-e", o->embedding, "embedding file written by `epilstm embed`")->required()->check(CLI::ExistingFile);
    c->add_option("--store,-s", o->store, "signal store written by `epilstm prepare` (baselines)")->required()->check(CLI::ExistingFile);
    c->add_option("--labels-dir,-l", o->labels_dir, "label directory laid out as pilot_labels_hg19")->required()->check(CLI::ExistingDirectory);
    c->add_option("--out,-o", o->out, "output directory")->required();
    c->add_option("--folds", o->folds, "number of chromosome folds (fewer chromosomes: one fold each)")->check(CLI::PositiveNumber)->capture_default_str();
    c->add_option("--seed", o->seed, "seed of the fold assignment and of XGBoost")->capture_default_str();
    c->add_option("--upstream", o->upstream, "promoter window upstream of the TSS (bp)")->check(CLI::NonNegativeNumber)->capture_default_str();
    c->add_option("--threads", o->threads, "XGBoost threads")->check(CLI::PositiveNumber)->capture_default_str();
    c->add_option("--tasks", o->tasks, "tasks: gene_expression, promoter_enhancer, replication_timing")->delimiter(',')->capture_default_str();
    return {c, [o] { return run_evaluate(*o); }};
}

}  // namespace epilstm::cli
