// epilstm-ablation: the compile-time ablation study of issue #6 (item 8).
//
// The grid is one Hana expression (ablation/grid.hpp): activation {softsign, tanh} ×
// normalization {layer_norm, none} × hidden size {8, 16, 32} × encoder {uni, bi} = 24 epi_lstm
// types, each its own instantiation (the hidden size is static). Every variant is trained on the
// same regions of a signal store (every region not on --heldout-chrom), from the same seed, with
// the same shuffled frame schedule and the same budget, then measured on:
//
//   held-out MSE   masked reconstruction MSE over the held-out regions (what epi_lstm::forward
//                  computes: positions missing in every track excluded), --infer-streams streams
//   mAP            downstream average precision (eval/scoring.hpp, as `epilstm evaluate` scores: XGBoost,
//                  cross-chromosome folds): pooled AP of each task × cell type, averaged over the cell
//                  types of a task, then over the tasks (eval::summarize_tasks)
//   R² at 1 kb     smoothness (eval/smoothness.hpp, paper §4.4) of the representation of every region
//   positions/s    training throughput: positions in the loss per second of training wall time, and
//                  per CPU second of the process (steadier when the machine is shared)
//
// Each variant and the reference row (the store's transformed signal itself, no model) are
// representation methods (eval/method.hpp: eval::model_method, eval::signal_method). Writes
// <out>/ablation.tsv and <out>/ablation.md and prints the markdown table. A bad input ends with one
// line "epilstm-ablation: error: ..." and exit status 2.
#include <epilstm/ablation/grid.hpp>
#include <epilstm/eval/method.hpp>
#include <epilstm/eval/model_method.hpp>
#include <epilstm/eval/representation.hpp>
#include <epilstm/eval/scoring.hpp>
#include <epilstm/eval/tasks.hpp>
#include <epilstm/io/signal_store.hpp>
#include <epilstm/io/text_file.hpp>
#include <epilstm/io/store_source.hpp>
#include <epilstm/train/run.hpp>
#include <epilstm/train/trainer.hpp>

#include "../cli_checks.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace epilstm::ablation_study {
namespace {

namespace fs = std::filesystem;
namespace hana = boost::hana;
using clock_type = std::chrono::steady_clock;

/// The study: 2 activations × 2 normalizations × 3 hidden sizes × 2 encoders.
constexpr auto study_grid()
{
    return ablation::variant_grid<float>(hana::tuple_t<softsign, tanh_activation>, hana::tuple_t<layer_norm, no_norm>,
                                         hana::tuple_c<index_t, 8, 16, 32>,
                                         hana::tuple_t<unidirectional, bidirectional>);
}
static_assert(decltype(hana::length(study_grid()))::value == 24);

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

struct options {
    fs::path store, labels_dir, out;
    std::string heldout = "chr7";
    index_t epochs = 2;
    double positions = 0;  ///< training budget in positions; 0: --epochs full passes
    index_t batch = 32;
    double lr = 3e-3;
    index_t frame = 100;
    index_t infer_streams = 8;
    std::uint64_t seed = 1;
    int threads = 1;  ///< 2 threads gain little at these sizes and collapse on a busy machine (OpenMP spin-waits)
    index_t folds = 5;
    int max_rounds = 200;
    int early_stopping = 10;
    std::vector<std::string> tasks{"gene_expression", "domain_boundary", "replication_timing"};
    std::vector<std::string> variants;  ///< substrings; empty: every variant
};

/// What every variant shares: the data, the split, the prepared tasks.
struct study {
    std::unique_ptr<io::signal_store> store;
    std::string heldout_chrom;
    index_t tracks = 0, bin_size = 0, smooth_lag = 0;
    std::vector<std::string> train_regions, heldout_regions;
    region_source<float> train_src, heldout_src;
    double train_positions = 0, heldout_positions = 0;
    double baseline_mse = nan;  ///< per-track mean of the held-out positions
    eval::representation signal;
    std::vector<eval::label_set> sets;
    std::vector<eval::prepared_task> tasks;  ///< usable ones only
    std::vector<std::string> task_names;     ///< tasks with at least one usable label set, report order
    std::vector<std::string> notes;
    eval::xgboost_options xgb;
};

struct result {
    std::string name, activation, normalization, encoder;
    index_t hidden = 0, width = 0, parameters = 0;
    double trained_positions = 0, train_seconds = nan, train_rate = nan, train_cpu_rate = nan, train_mse = nan;
    double heldout_mse = nan, map = nan, smooth = nan, embed_seconds = nan, eval_seconds = nan;
    std::map<std::string, double> task_ap;       ///< pooled AP, mean over the task's cell types
    std::map<std::string, double> task_fold_ap;  ///< per-fold mean AP, mean over cell types
};

std::string fmt(double v, int digits)
{
    if (std::isnan(v)) return "NA";
    char b[48];
    std::snprintf(b, sizeof b, "%.*f", digits, v);
    return b;
}

double seconds_since(clock_type::time_point t0)
{
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// CPU seconds of the whole process (every thread): unlike wall time, barely moved by other work
/// on the machine, so the throughput of variants trained minutes apart stays comparable.
double cpu_seconds()
{
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}


study open_study(const options& o)
{
    study s;
    s.store = std::make_unique<io::signal_store>(o.store);
    s.heldout_chrom = o.heldout;
    const io::signal_store& st = *s.store;
    s.tracks = st.tracks();
    s.bin_size = st.bin_size();
    if (s.tracks <= 0) throw input_error(o.store.string() + ": the store has no tracks");
    if (s.bin_size <= 0 || 1000 % s.bin_size != 0)
        throw input_error(o.store.string() + ": bin size " + std::to_string(s.bin_size) +
                          " bp does not divide 1 kb (the smoothness lag)");
    s.smooth_lag = 1000 / s.bin_size;
    std::vector<index_t> heldout_ids;
    for (index_t r = 0; r < static_cast<index_t>(st.regions().size()); ++r) {
        const auto& ri = st.regions()[static_cast<std::size_t>(r)];
        if (ri.chrom == o.heldout) {
            s.heldout_regions.push_back(ri.name);
            s.heldout_positions += static_cast<double>(ri.positions);
            heldout_ids.push_back(r);
        } else {
            s.train_regions.push_back(ri.name);
            s.train_positions += static_cast<double>(ri.positions);
        }
    }
    if (s.heldout_regions.empty())
        throw input_error(o.store.string() + ": no region on " + o.heldout + " to hold out (--heldout-chrom)");
    if (s.train_regions.empty())
        throw input_error(o.store.string() + ": every region is on " + o.heldout + "; nothing left to train on");
    s.train_src = io::store_source(st, s.train_regions, o.batch);
    s.heldout_src = io::store_source(st, s.heldout_regions, o.infer_streams);
    s.signal = eval::read_signal_representation(st);

    // Per-track-mean baseline of the held-out positions (the bar a reconstruction has to clear).
    Eigen::VectorXd sum = Eigen::VectorXd::Zero(s.tracks), sq = Eigen::VectorXd::Zero(s.tracks);
    double n = 0;
    for (index_t r : heldout_ids) {
        const auto& rows = s.signal.regions[static_cast<std::size_t>(r)].rows;
        const auto miss = st.read_missing(r, 0, rows.rows());
        for (index_t i = 0; i < rows.rows(); ++i) {
            if (miss[static_cast<std::size_t>(i)]) continue;
            const Eigen::VectorXd x = rows.row(i).transpose().cast<double>();
            sum += x;
            sq += x.cwiseProduct(x);
            n += 1;
        }
    }
    if (n > 0) s.baseline_mse = (sq - sum.cwiseProduct(sum) / n).sum() / (n * static_cast<double>(s.tracks));

    // Labels: loaded and split into folds once; every variant is scored on the same loci and folds.
    eval::label_directory_options lo;
    lo.tasks = o.tasks;
    s.sets = eval::load_label_directory(o.labels_dir, s.signal, lo, s.notes);
    for (const auto& set : s.sets) {
        eval::prepared_task t = eval::prepare_task(set, s.signal, o.folds, o.seed);
        s.notes.insert(s.notes.end(), t.notes.begin(), t.notes.end());
        if (!t.usable()) {
            s.notes.push_back(t.what() + ": skipped: " + t.skip_reason);
            continue;
        }
        s.tasks.push_back(std::move(t));
    }
    for (const auto& name : o.tasks)
        for (const auto& t : s.tasks)
            if (t.set->task == name) {
                s.task_names.push_back(name);
                break;
            }
    if (s.tasks.empty())
        s.notes.push_back("no task could be cross-validated on these regions: mAP is NA for every variant");

    s.xgb.max_rounds = o.max_rounds;
    s.xgb.early_stopping_rounds = o.early_stopping;
    s.xgb.fallback_rounds = std::min(o.max_rounds, 100);
    s.xgb.nthread = o.threads;
    s.xgb.seed = o.seed;
    return s;
}

/// Downstream mAP and smoothness of a representation of every region.
void score_representation(const study& s, const eval::representation& rep, result& r)
{
    const auto t0 = clock_type::now();
    const eval::downstream_summary d = eval::summarize_tasks(eval::score_tasks(s.tasks, rep, s.xgb), s.task_names);
    r.task_ap = d.pooled_ap;
    r.task_fold_ap = d.fold_ap;
    r.map = d.map;
    r.smooth = eval::smoothness_curve(rep, {s.smooth_lag}).front();
    r.eval_seconds = seconds_since(t0);
}

/// The representation of every region by a method (eval/method.hpp) fitted on the training regions.
eval::representation embed_all(const study& s, eval::representation_method& m)
{
    m.fit(s.signal, [&](const eval::represented_region& g) { return g.chrom != s.heldout_chrom; });
    return m.embed(s.signal);
}

/// Trains, measures and scores one model type of the grid.
template <class M>
result run_variant(const study& s, const options& o)
{
    using spec = typename M::spec;
    result r;
    r.name = ablation::variant_name<M>();
    r.activation = spec::activation::name;
    r.normalization = spec::normalization::name;
    r.encoder = M::is_bidirectional ? "bi" : "uni";
    r.hidden = spec::hidden_size;

    M model(s.tracks, spec::hidden_size, o.frame);
    model.initialize(o.seed);
    r.width = model.embedding_size();
    // The number of trained parameters: the sum of the tensor sizes, not the flat buffer's length
    // (which includes each tensor's 16-float alignment padding).
    r.parameters = 0;
    for (const auto& t : model.layout().tensors()) r.parameters += t.size();

    // Training: the same shuffled schedule (a function of the seed and the regions) for every variant.
    train_options to;
    to.streams = o.batch;
    to.shuffle = true;
    to.seed = o.seed;
    to.adam.learning_rate = o.lr;
    trainer<M> tr(model, to);
    const auto t0 = clock_type::now();
    const double c0 = cpu_seconds();
    training_budget budget;
    budget.epochs = o.epochs;
    budget.positions = o.positions;
    budget_outcome trained;
    try {
        trained = train_within(tr, s.train_src, budget);
    } catch (const input_error& e) {
        throw input_error(o.store.string() + ": " + e.what());
    }
    const double seen = trained.positions;
    r.train_mse = trained.last_loss;
    r.train_seconds = seconds_since(t0);
    r.trained_positions = seen;
    r.train_rate = r.train_seconds > 0 ? seen / r.train_seconds : nan;
    const double cpu = cpu_seconds() - c0;
    r.train_cpu_rate = cpu > 0 ? seen / cpu : nan;

    // Held-out reconstruction.
    const auto t1 = clock_type::now();
    const pass_result held = reconstruction_loss(model, s.heldout_src, o.infer_streams);
    r.heldout_mse = held.weight > 0 ? held.loss : nan;

    // Representation of every region, then the downstream tasks and smoothness.
    eval::model_method<M> method(std::move(model), r.name, "the trained variant", o.infer_streams, r.name);
    const eval::representation emb = embed_all(s, method);
    r.embed_seconds = seconds_since(t1);
    score_representation(s, emb, r);
    return r;
}

bool selected(const std::string& name, const std::vector<std::string>& filters)
{
    if (filters.empty()) return true;
    for (const auto& f : filters)
        if (name.find(f) != std::string::npos) return true;
    return false;
}

std::string markdown_table(const study& s, const std::vector<result>& rows)
{
    std::ostringstream md;
    md << "| variant | E | parameters | held-out MSE | mAP |";
    for (const auto& t : s.task_names) md << " AP " << t << " |";
    md << " R² 1 kb | train positions/s | per CPU-s |\n|---|---:|---:|---:|---:|";
    for (std::size_t i = 0; i < s.task_names.size(); ++i) md << "---:|";
    md << "---:|---:|---:|\n";
    for (const auto& r : rows) {
        md << "| " << r.name << " | " << r.width << " | " << (r.parameters > 0 ? std::to_string(r.parameters) : "—")
           << " | " << fmt(r.heldout_mse, 4) << " | " << fmt(r.map, 3) << " |";
        for (const auto& t : s.task_names) md << " " << fmt(r.task_ap.at(t), 3) << " |";
        md << " " << fmt(r.smooth, 3) << " | " << (std::isnan(r.train_rate) ? "—" : fmt(r.train_rate, 0)) << " | "
           << (std::isnan(r.train_cpu_rate) ? "—" : fmt(r.train_cpu_rate, 0)) << " |\n";
    }
    return md.str();
}

std::string tsv_table(const study& s, const std::vector<result>& rows)
{
    std::ostringstream t;
    t << "variant\tactivation\tnormalization\thidden_size\tencoder\twidth\tparameters\ttrain_positions\ttrain_seconds"
         "\ttrain_positions_per_s\ttrain_positions_per_s_cpu\ttrain_mse\theldout_mse\tmap";
    for (const auto& n : s.task_names) t << "\tap_" << n;
    for (const auto& n : s.task_names) t << "\tfold_ap_" << n;
    t << "\tsmoothness_r2_1kb\tembed_seconds\teval_seconds\n";
    for (const auto& r : rows) {
        t << r.name << '\t' << r.activation << '\t' << r.normalization << '\t' << r.hidden << '\t' << r.encoder << '\t'
          << r.width << '\t' << r.parameters << '\t' << fmt(r.trained_positions, 0) << '\t' << fmt(r.train_seconds, 3)
          << '\t' << fmt(r.train_rate, 0) << '\t' << fmt(r.train_cpu_rate, 0) << '\t' << fmt(r.train_mse, 6) << '\t' << fmt(r.heldout_mse, 6) << '\t'
          << fmt(r.map, 6);
        for (const auto& n : s.task_names) t << '\t' << fmt(r.task_ap.at(n), 6);
        for (const auto& n : s.task_names) t << '\t' << fmt(r.task_fold_ap.at(n), 6);
        t << '\t' << fmt(r.smooth, 6) << '\t' << fmt(r.embed_seconds, 3) << '\t' << fmt(r.eval_seconds, 3) << '\n';
    }
    return t.str();
}

int run(const options& o)
{
#ifdef _OPENMP
    omp_set_num_threads(o.threads);
#endif
    const auto t_start = clock_type::now();
    std::vector<std::string> names;
    ablation::for_each_variant(study_grid(), [&](auto type) {
        names.push_back(ablation::variant_name<typename decltype(type)::type>());
    });
    std::size_t chosen = 0;
    for (const auto& n : names) chosen += selected(n, o.variants);
    if (chosen == 0) {
        std::string all;
        for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
        throw input_error("command line: --variants matches none of the grid's variants (" + all + ")");
    }

    std::fprintf(stderr, "ablation: reading %s and the labels of %s\n", o.store.c_str(), o.labels_dir.c_str());
    const study s = open_study(o);
    std::fprintf(stderr,
                 "ablation: %zu variants; training on %zu regions (%.0f positions), %s held out (%zu regions, %.0f "
                 "positions); %zu usable label sets; per-track-mean held-out MSE %.4f\n",
                 chosen, s.train_regions.size(), s.train_positions, o.heldout.c_str(), s.heldout_regions.size(),
                 s.heldout_positions, s.tasks.size(), s.baseline_mse);

    std::vector<result> rows;
    {
        result raw;
        raw.name = "signal (no model)";
        raw.width = s.tracks;
        eval::signal_method signal(raw.name);
        score_representation(s, embed_all(s, signal), raw);
        std::fprintf(stderr, "ablation: %-26s mAP %s  R² 1 kb %s  (%.1f s)\n", raw.name.c_str(), fmt(raw.map, 3).c_str(),
                     fmt(raw.smooth, 3).c_str(), raw.eval_seconds);
        rows.push_back(std::move(raw));
    }
    std::size_t done = 0;
    ablation::for_each_variant(study_grid(), [&](auto type) {
        using M = typename decltype(type)::type;
        if (!selected(ablation::variant_name<M>(), o.variants)) return;
        result r = run_variant<M>(s, o);
        ++done;
        std::fprintf(stderr,
                     "ablation: [%2zu/%zu] %-24s held-out MSE %s  mAP %s  R² 1 kb %s  %.0f positions/s (%.0f per CPU-s)  (train %.1f s, "
                     "embed %.1f s, eval %.1f s)\n",
                     done, chosen, r.name.c_str(), fmt(r.heldout_mse, 4).c_str(), fmt(r.map, 3).c_str(),
                     fmt(r.smooth, 3).c_str(), r.train_rate, r.train_cpu_rate, r.train_seconds, r.embed_seconds, r.eval_seconds);
        rows.push_back(std::move(r));
    });
    const double total = seconds_since(t_start);

    const std::string table = markdown_table(s, rows);
    std::ostringstream md;
    md << "# Epi-LSTM ablation\n\n"
       << "Store `" << o.store.string() << "` (" << s.tracks << " tracks, " << s.bin_size << " bp bins); trained on "
       << s.train_regions.size() << " region(s) (" << fmt(s.train_positions, 0) << " positions), " << o.heldout
       << " held out (" << s.heldout_regions.size() << " region(s), " << fmt(s.heldout_positions, 0) << " positions).\n\n"
       << "Training: seed " << o.seed << ", "
       << (o.positions > 0 ? fmt(o.positions, 0) + " positions" : std::to_string(o.epochs) + " epoch(s)") << ", "
       << o.batch << " streams per region, frame " << o.frame << ", Adam lr " << o.lr
       << ", shuffled schedule (the same for every variant), " << o.threads << " thread(s).\n"
       << "Held-out MSE: masked reconstruction MSE over the held-out regions (" << o.infer_streams
       << " streams per region); per-track-mean baseline **" << fmt(s.baseline_mse, 4) << "**.\n"
       << "mAP: XGBoost (max depth 6, up to " << o.max_rounds << " rounds, early stopping after " << o.early_stopping
       << ") on the window-mean representation, " << o.folds << " cross-chromosome folds (seed " << o.seed
       << "); pooled AP of each task × cell type, averaged over cell types, then over the tasks ("
       << [&] {
              std::string t;
              for (const auto& n : s.task_names) t += (t.empty() ? "" : ", ") + n;
              return t.empty() ? std::string("none usable") : t;
          }()
       << ").\nR² 1 kb: smoothness of the representation (paper §4.4) at a lag of " << s.smooth_lag
       << " positions, every region.\nTrain positions/s: positions in the loss per second of training wall time; "
          "per CPU-s: per CPU second of the process (less sensitive to other work on the machine).\n\n"
       << table << "\nTotal wall time " << fmt(total, 0) << " s.\n";
    if (!s.notes.empty()) {
        md << "\n## Notes\n\n";
        for (const auto& n : s.notes) md << "- " << n << "\n";
    }
    fs::create_directories(o.out);
    io::write_text_file(o.out / "ablation.tsv", tsv_table(s, rows));
    io::write_text_file(o.out / "ablation.md", md.str());
    std::printf("per-track-mean held-out MSE %s\n\n%s\n", fmt(s.baseline_mse, 4).c_str(), table.c_str());
    std::printf("ablation: %zu variants in %.0f s; wrote %s and %s\n", done, total, (o.out / "ablation.md").c_str(),
                (o.out / "ablation.tsv").c_str());
    return 0;
}

[[noreturn]] void fail(int status, const char* kind, const char* what)
{
    std::fprintf(stderr, "epilstm-ablation: %s: %s\n", kind, what);
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(status);
}

}  // namespace
}  // namespace epilstm::ablation_study

int main(int argc, char** argv)
{
    using namespace epilstm::ablation_study;
    using namespace epilstm::cli_checks;
    options o;
    CLI::App app{"epilstm-ablation — train and score every variant of a compile-time grid (activation × normalization "
                 "× hidden size × encoder) on the same data, seed and budget"};
    app.add_option("--store,-s", o.store, "signal store written by `epilstm prepare`")->required()->check(CLI::ExistingFile);
    app.add_option("--labels-dir,-l", o.labels_dir, "label directory laid out as pilot_labels_hg19")
        ->required()
        ->check(CLI::ExistingDirectory);
    app.add_option("--out,-o", o.out, "output directory (ablation.tsv, ablation.md)")->required();
    app.add_option("--heldout-chrom", o.heldout, "chromosome whose regions are held out of training")->capture_default_str();
    app.add_option("--epochs", o.epochs, "training passes over the training regions")->check(positive(o.epochs))->capture_default_str();
    app.add_option("--positions", o.positions, "training budget in positions instead of --epochs (stops mid-epoch)")
        ->check(positive(o.positions));
    app.add_option("--batch", o.batch, "streams per region during training")->check(positive(o.batch))->capture_default_str();
    app.add_option("--lr", o.lr, "Adam learning rate")->check(positive(o.lr))->capture_default_str();
    app.add_option("--frame-length", o.frame, "positions per frame")->check(positive(o.frame))->capture_default_str();
    app.add_option("--infer-streams", o.infer_streams, "streams per region for the held-out MSE and the embedding")
        ->check(positive(o.infer_streams))
        ->capture_default_str();
    app.add_option("--seed", o.seed, "seed of the weights, the training schedule, the folds and XGBoost")->capture_default_str();
    app.add_option("--threads", o.threads, "threads for training and XGBoost (1: the positions/s of every variant on one core)")->check(positive(o.threads))->capture_default_str();
    app.add_option("--folds", o.folds, "cross-chromosome folds")->check(in_range(o.folds, 3, 1000))->capture_default_str();
    app.add_option("--xgb-rounds", o.max_rounds, "XGBoost rounds at most")->check(positive(o.max_rounds))->capture_default_str();
    app.add_option("--xgb-early-stopping", o.early_stopping, "XGBoost rounds without a better validation AP before stopping")
        ->check(positive(o.early_stopping))
        ->capture_default_str();
    app.add_option("--tasks", o.tasks, "downstream tasks (gene_expression, promoter_enhancer, domain_boundary, replication_timing)")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("--variants", o.variants,
                   "run only the variants whose name contains one of these (e.g. H8/uni,tanh/none/H16); names are "
                   "activation/normalization/H<size>/<uni|bi>")
        ->delimiter(',');
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        std::fprintf(stderr, "epilstm-ablation: error: %s\n", epilstm::cli_checks::parse_error_message(e).c_str());
        return 2;
    }
    try {
        return run(o);
    } catch (const epilstm::error& e) {
        fail(2, "error", e.what());
    } catch (const std::filesystem::filesystem_error& e) {
        fail(2, "error", e.what());
    } catch (const std::exception& e) {
        fail(3, "internal error", e.what());
    }
}
