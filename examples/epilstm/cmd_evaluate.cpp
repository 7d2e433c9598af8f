// `epilstm evaluate`: does the representation capture the genome? The paper's downstream
// classification (§3.6–3.7), smoothness (§4.4), reconstruction quality on held-out regions and the
// correlation with an external score (§4.3), each for the representation and its baselines,
// written as report.md (tables and PNG plots) and TSV files a script can read.
//
// This file parses the options and builds the list of methods; the evaluation and the report are
// the library's (eval/report.hpp), the methods eval/method.hpp and eval/model_method.hpp:
//   epi-lstm        the embedding (--embedding)
//   random-weights  the same architecture and seed, untrained (--model; embedded in memory): without
//                   it nobody can tell whether training added anything
//   raw-signal      the transformed signal of the store (--store)
//   pca             the signal projected on its first E principal components (E = representation
//                   width; fitted on the regions the model was trained on)
//   majority        every test locus scored by the training positive rate (AP = positive rate)
//   --compare NAME=FILE   a comparator's representation (`epilstm embed` of an avocado or refined-cnn
//                   checkpoint), and --compare-reconstruction its held-out reconstruction
// Plots are drawn with gnuplot (plots.cpp); BED, bedGraph and bigWig tracks are read by intervals.cpp.
#include "common.hpp"
#include "intervals.hpp"
#include "plots.hpp"

#include <epilstm/eval/embed.hpp>
#include <epilstm/eval/method.hpp>
#include <epilstm/eval/model_method.hpp>
#include <epilstm/eval/report.hpp>
#include <epilstm/io/signal_store.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

namespace epilstm::cli {
namespace {

struct evaluate_options {
    fs::path embedding, store, labels_dir, out, model, promoters, genes, score;
    std::vector<std::string> heldout_chroms, validation_regions;
    bool heldout_given = false, validation_given = false;
    index_t streams = 0;  ///< 0: the embedding's recorded stream count
    std::vector<std::string> compare, compare_reconstruction;  ///< NAME=FILE
    eval::evaluation_options eval;
};

struct named_file {
    std::string name;
    fs::path path;
};

/// --compare / --compare-reconstruction values: NAME=FILE, names distinct and not a built-in method's.
std::vector<named_file> parse_named_files(const std::vector<std::string>& values, const std::string& option)
{
    static const std::vector<std::string> reserved{"epi-lstm", "random-weights", "raw-signal", "pca", "majority"};
    std::vector<named_file> out;
    for (const auto& v : values) {
        const auto eq = v.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
            throw input_error("command line: " + option + " '" + v + "': expected NAME=FILE (e.g. avocado=avocado_embedding.h5)");
        named_file f{v.substr(0, eq), v.substr(eq + 1)};
        if (std::find(reserved.begin(), reserved.end(), f.name) != reserved.end())
            throw input_error("command line: " + option + " '" + v + "': the name '" + f.name +
                              "' is a built-in method's; choose another");
        for (const auto& g : out)
            if (g.name == f.name) throw input_error("command line: " + option + ": the name '" + f.name + "' is given twice");
        if (!fs::is_regular_file(f.path)) throw input_error(f.path.string() + ": " + option + " " + f.name + ": no such file");
        out.push_back(std::move(f));
    }
    return out;
}

int run_evaluate(const evaluate_options& o)
{
    auto log = [](const std::string& line) { std::fprintf(stderr, "evaluate: %s\n", line.c_str()); };
    log("reading " + o.embedding.string() + " and " + o.store.string());
    auto epi = std::make_unique<eval::embedding_file_method>(o.embedding);
    const std::vector<named_file> compare = parse_named_files(o.compare, "--compare");
    const std::vector<named_file> compare_rec = parse_named_files(o.compare_reconstruction, "--compare-reconstruction");
    for (const auto& r : compare_rec)
        if (std::none_of(compare.begin(), compare.end(), [&](const named_file& c) { return c.name == r.name; }))
            throw input_error("command line: --compare-reconstruction " + r.name + ": no --compare " + r.name +
                              "=EMBEDDING.h5 given (a comparator's reconstruction comes with its representation)");
    const io::signal_store store(o.store);
    // Held-out chromosomes (given, or the checkpoint's), streams (given, or the embedding's), the model check.
    const eval::evaluation_provenance prov = eval::resolve_evaluation_provenance(
        epi->provenance(), o.embedding, o.model,
        o.heldout_given ? std::optional(o.heldout_chroms) : std::nullopt, o.streams,
        o.validation_given ? std::optional(o.validation_regions) : std::nullopt);

    eval::evaluation_inputs in;
    in.data = eval::open_evaluation(store, prov.heldout_chroms, &epi->file(), o.embedding.string(), o.store.string());
    in.data.heldout_source = prov.heldout_source;
    in.data.validation_regions.insert(prov.validation_regions.begin(), prov.validation_regions.end());
    in.data.notes.insert(in.data.notes.end(), prov.notes.begin(), prov.notes.end());
    in.files = {o.embedding.string(), o.store.string(), o.labels_dir, o.model.string(), prov.summary,
                o.promoters, o.genes, o.score};
    in.options = o.eval;
    in.readers.intervals = [](const fs::path& p) { return read_intervals(p, false); };
    in.readers.bin_scores = [](const fs::path& p, const eval::representation& r) { return read_bin_scores(p, r); };
    in.out = o.out;
    in.log = log;

    // The methods, in report order.
    eval::method_list methods;
    methods.push_back(std::move(epi));
    if (!o.model.empty())
        with_checkpoint(o.model, [&](auto& model, const io::checkpoint& ck) {
            eval::check_model_fits_store(model.config(), ck.tracks, store, o.model.string(), o.store.string());
            eval::model_parts mp;
            mp.description = eval::describe_model(model.config());
            mp.decoder_width = eval::decoder_input_width(model.config());
            // The same architecture from the same seed as the trained model's initialization.
            mp.random_seed = ck.training ? ck.schedule.seed : o.eval.seed;
            methods.push_back(eval::random_weights_method(ck.config, mp.random_seed, prov.streams, "random-weights",
                                                          ck.standardization));
            if (!in.data.heldout.regions.empty()) {
                log("reconstructing " + std::to_string(in.data.heldout.regions.size()) + " held-out regions");
                mp.reconstruction = eval::reconstruct_representation(model, in.data.heldout, prov.streams,
                                                                     "epi-lstm reconstruction", ck.standardization);
            }
            in.model = std::move(mp);
        });
    // The comparators' representations (`epilstm embed` of an avocado or refined-cnn checkpoint).
    for (const auto& c : compare) {
        log("reading " + c.name + " from " + c.path.string());
        methods.push_back(std::make_unique<eval::embedding_file_method>(c.path, c.name, "the representation in `" +
                                                                                            c.path.filename().string() + "`"));
    }
    // Their reconstructions of the held-out regions (`embed --reconstruction-out`).
    for (const auto& c : compare_rec) {
        if (in.data.heldout.regions.empty()) break;
        const eval::embedding_file_method rec(c.path, c.name + " reconstruction", "");
        if (rec.width() != store.tracks())
            throw shape_error(c.path.string() + ": --compare-reconstruction " + c.name + " has " +
                              std::to_string(rec.width()) + " columns, the store " + std::to_string(store.tracks()) +
                              " tracks (expected a file written by `epilstm embed --reconstruction-out`)");
        in.other_reconstructions.emplace_back(c.name, rec.embed(in.data.heldout));
    }
    methods.push_back(std::make_unique<eval::signal_method>());
    methods.push_back(std::make_unique<eval::pca_method>(methods.front()->width(), eval::pca_method::fit_on::training_regions));
    methods.push_back(std::make_unique<eval::majority_method>());

    eval::run_evaluation(in, methods, gnuplot_plotter{});
    std::printf("evaluate: report %s, metrics %s, plots %s\n", (o.out / "report.md").c_str(), (o.out / "metrics.tsv").c_str(),
                (o.out / "plots").c_str());
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
    c->add_option("--model,-m", o->model, "the checkpoint the embedding was made with (checked against the checksum the "
                                          "embedding records): adds the random-weights control and the held-out "
                                          "reconstruction, and gives the held-out chromosomes it records")->check(CLI::ExistingFile);
    auto* heldout = c->add_option("--heldout-chroms", o->heldout_chroms,
                                  "chromosomes not used in training (default: those the --model checkpoint records): "
                                  "the first table scores loci on them only; baselines are not fitted on them; the "
                                  "reconstruction section")->delimiter(',');
    auto* validation = c->add_option("--validation-regions", o->validation_regions,
                                     "store regions the model validated on in training (default: those the --model "
                                     "checkpoint records): baselines are not fitted on them")->delimiter(',');
    c->add_option("--compare", o->compare,
                  "NAME=EMBEDDING.h5: another method's representation (`epilstm embed` of an avocado or refined-cnn "
                  "checkpoint) added to every table and plot; repeatable");
    c->add_option("--compare-reconstruction", o->compare_reconstruction,
                  "NAME=RECONSTRUCTION.h5: that method's reconstruction (`epilstm embed --reconstruction-out`), a row of "
                  "the held-out reconstruction table; repeatable");
    c->add_option("--promoters", o->promoters, "BED of promoter windows (.gz allowed) for the promoter MSE")->check(CLI::ExistingFile);
    c->add_option("--genes", o->genes, "BED of gene bodies (.gz allowed) for the gene-body MSE")->check(CLI::ExistingFile);
    c->add_option("--score", o->score, "per-position score to correlate with each feature: bigWig, bedGraph or BED (.gz allowed)")->check(CLI::ExistingFile);
    c->add_option("--folds", o->eval.folds, "number of chromosome folds (fewer chromosomes: one fold each)")->check(positive(o->eval.folds))->capture_default_str();
    c->add_option("--seed", o->eval.seed, "seed of the fold assignment and XGBoost (and of the control when the checkpoint has none)")->capture_default_str();
    c->add_option("--seeds", o->eval.seeds, "repeat the fold assignment and XGBoost with seeds seed .. seed+N-1 and report "
                                            "mean ± sd over them")->check(positive(o->eval.seeds))->capture_default_str();
    c->add_option("--upstream", o->eval.upstream, "promoter window upstream of the TSS (bp)")->check(non_negative(o->eval.upstream))->capture_default_str();
    c->add_option("--streams", o->streams, "streams per region when embedding the control and reconstructing (default: "
                                           "the embedding's recorded stream count, else 1 as `epilstm embed`)")->check(positive(o->streams));
    c->add_option("--threads", o->eval.threads, "XGBoost threads")->check(positive(o->eval.threads))->capture_default_str();
    c->add_option("--tasks", o->eval.tasks, "tasks: gene_expression, promoter_enhancer, domain_boundary, replication_timing")->delimiter(',')->capture_default_str();
    return {c, [o, heldout, validation] {
                o->heldout_given = heldout->count() > 0;
                o->validation_given = validation->count() > 0;
                return run_evaluate(*o);
            }};
}

}  // namespace epilstm::cli
