// Avocado in the `epilstm` program (comparators.hpp; docs/comparators.md, "Avocado in the CLI"):
//   train --method avocado   the network, Ct, As and the training regions' genome factors
//   embed                    the genome factors of the chosen store regions (fitted for a region the
//                            checkpoint does not hold), optionally the reconstruction
//   reconstruct --region     COMPARATORS-SPEC's entry point: /embedding, /reconstruction of a stored region
//   impute                   a track (cell type, assay) of the checkpoint's vocabulary as a bigWig
#include "comparators.hpp"

#include <epilstm/io/avocado_checkpoint.hpp>
#include <epilstm/io/avocado_store_regions.hpp>
#include <epilstm/io/checksum.hpp>
#include <epilstm/io/embedding_file.hpp>
#include <epilstm/model/avocado.hpp>
#include <epilstm/train/avocado_trainer.hpp>
#ifdef EPILSTM_HAVE_BIGWIG
#include <epilstm/io/bigwig_writer.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace epilstm::cli {

struct avocado_train_cli {
    index_t layers = 2, units = 2048;
    std::vector<index_t> factors{32, 256, 25, 40, 45};
    double passes = 1.0;
    index_t window_regions = 0;  ///< > 0: out of core, this many regions in memory at once
};
struct avocado_embed_cli {
    index_t fit_epochs = 5;
    double fit_passes = 1.0;
    double fit_lr = 1e-3;
};

std::shared_ptr<avocado_train_cli> add_avocado_train_options(CLI::App* c)
{
    auto o = std::make_shared<avocado_train_cli>();
    c->add_option("--avocado-layers", o->layers, "avocado: hidden layers L of the dense network")
        ->check(non_negative(o->layers))
        ->capture_default_str();
    c->add_option("--avocado-units", o->units, "avocado: units N of each hidden layer")
        ->check(positive(o->units))
        ->capture_default_str();
    c->add_option("--avocado-factors", o->factors,
                  "avocado: factor widths Fc,Fa,F25,F250,F5k (default 32,256,25,40,45; the representation is "
                  "F25+F250+F5k wide)")
        ->delimiter(',')
        ->expected(5);
    c->add_option("--avocado-passes", o->passes,
                  "avocado: an epoch is ceil(passes x observed pairs / batch) steps (< 1: a random subsample of the pairs "
                  "each epoch)")
        ->check(in_range(o->passes, 1e-6, 1e6))
        ->capture_default_str();
    c->add_option("--avocado-window-regions", o->window_regions,
                  "avocado: train out of core, this many regions in memory at a time (their signal read from the store, "
                  "the other regions' genome factors and Adam moments in <model>.scratch/ between windows); 0: every "
                  "training region in memory")
        ->check(non_negative(o->window_regions))
        ->capture_default_str();
    return o;
}

std::shared_ptr<avocado_embed_cli> add_avocado_embed_options(CLI::App* c)
{
    auto o = std::make_shared<avocado_embed_cli>();
    c->add_option("--fit-epochs", o->fit_epochs,
                  "avocado: epochs of fitting the genome factors of a region the checkpoint does not hold")
        ->check(non_negative(o->fit_epochs))
        ->capture_default_str();
    c->add_option("--fit-passes", o->fit_passes,
                  "avocado: a fitting epoch is ceil(passes x the region's observed pairs / 4096) steps")
        ->check(in_range(o->fit_passes, 1e-6, 1e6))
        ->capture_default_str();
    c->add_option("--fit-lr", o->fit_lr, "avocado: Adam learning rate of fitting a region's genome factors")
        ->check(positive(o->fit_lr))
        ->capture_default_str();
    return o;
}

namespace {

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

/// Region `r` of the store as training data: signal [n, T] (already transformed) and its missing flags.
avocado_region_data<float> read_region_data(const io::signal_store& store, index_t r)
{
    const auto& ri = store.regions()[static_cast<std::size_t>(r)];
    avocado_region_data<float> d;
    d.signal.resize(ri.positions, store.tracks());
    store.read_positions(r, 0, ri.positions, d.signal.data());
    d.missing = store.read_missing(r, 0, ri.positions);
    return d;
}

/// Observed (position, track) pairs of a region of n positions: its non-missing positions (flags
/// `missing`, empty: none missing) times T.
std::uint64_t observed_pairs(const std::vector<std::uint8_t>& missing, index_t n, index_t tracks)
{
    const auto absent = static_cast<std::uint64_t>(std::count(missing.begin(), missing.end(), std::uint8_t{1}));
    return (static_cast<std::uint64_t>(n) - absent) * static_cast<std::uint64_t>(tracks);
}
std::uint64_t observed_pairs(const avocado_region_data<float>& d)
{
    return observed_pairs(d.missing, d.positions(), d.signal.cols());
}

std::string join_some(const std::vector<std::string>& names, std::size_t most = 6)
{
    std::string s;
    for (std::size_t i = 0; i < names.size() && i < most; ++i) s += (i ? ", " : "") + names[i];
    if (names.size() > most) s += ", ... (" + std::to_string(names.size()) + " in all)";
    return s;
}

/// The checkpoint's tracks must be the store's (ids, in order): one error naming both files.
void require_same_tracks(const fs::path& model, const io::avocado_checkpoint<float>& ck, const io::signal_store& store)
{
    if (ck.track_ids == store.track_ids()) return;
    std::string first;
    const std::size_t n = std::min(ck.track_ids.size(), store.track_ids().size());
    for (std::size_t i = 0; i < n && first.empty(); ++i)
        if (ck.track_ids[i] != store.track_ids()[i])
            first = "; track " + std::to_string(i) + " is '" + ck.track_ids[i] + "' in the checkpoint and '" +
                    store.track_ids()[i] + "' in the store";
    throw input_error(model.string() + ": the avocado checkpoint was trained on other tracks than " + store.path().string() +
                      " holds (/tracks/id: " + std::to_string(ck.track_ids.size()) + " vs " +
                      std::to_string(store.track_ids().size()) + " tracks" + first +
                      "); expected the same track ids in the same order");
}

/// The deterministic seed of fitting store region `r` (independent of which other regions are chosen).
std::uint64_t fit_seed(index_t r) { return 0x5eed0000a70cad00ull + static_cast<std::uint64_t>(r); }

/// A store region's genome factors under a checkpoint: the stored ones (coordinates checked) or
/// freshly fitted with the network, Ct and As frozen (added to ck.model either way; returns its index).
class region_factors {
public:
    region_factors(const fs::path& model, io::avocado_checkpoint<float>& ck, const io::signal_store& store,
                   index_t fit_epochs, double fit_passes, double fit_lr)
        : model_(model), ck_(ck), store_(store), fit_epochs_(fit_epochs), trainer_(ck.model, fit_options(fit_passes, fit_lr))
    {
    }

    static avocado_train_options fit_options(double passes, double lr)
    {
        avocado_train_options t;
        t.passes = passes;
        t.adam.learning_rate = lr;
        return t;
    }

    /// input_error (before any work) when a stored region of a chosen name lies elsewhere.
    void check(const std::vector<index_t>& ids) const
    {
        for (index_t r : ids) {
            const auto& ri = store_.regions()[static_cast<std::size_t>(r)];
            const index_t k = ck_.model.find_region(ri.name);
            if (k < 0) continue;
            const auto& g = ck_.model.region(k);
            if (g.chrom != ri.chrom || g.start != ri.start || g.end != ri.end || g.positions() != ri.positions)
                throw input_error(model_.string() + ": region /regions/" + ri.name + " of the checkpoint is " + g.chrom + ":" +
                                  std::to_string(g.start) + "-" + std::to_string(g.end) + " (" +
                                  std::to_string(g.positions()) + " positions) but " + store_.path().string() +
                                  " has it at " + ri.chrom + ":" + std::to_string(ri.start) + "-" + std::to_string(ri.end) +
                                  " (" + std::to_string(ri.positions) + " positions); expected the same coordinates");
        }
    }

    bool stored(index_t r) const { return ck_.model.find_region(store_.regions()[static_cast<std::size_t>(r)].name) >= 0; }

    /// The model index of store region r's factors; a fitted region is added to the model (pop() removes it).
    index_t get(index_t r)
    {
        const auto& ri = store_.regions()[static_cast<std::size_t>(r)];
        const index_t k = ck_.model.find_region(ri.name);
        if (k >= 0) return k;
        const avocado_region_data<float> data = read_region_data(store_, r);
        avocado_region<float> g = ck_.model.make_region(ri.name, ri.chrom, ri.start, ri.end, ri.positions);
        detail::splitmix64 rng(fit_seed(r));
        avocado_model<float>::initialize_region(g, rng);
        const auto t0 = clock_type::now();
        const double pairs = static_cast<double>(observed_pairs(data));
        progress_bar bar("fit " + ri.name, "pairs");
        avocado_epoch_report rep;
        avocado_region<float> fitted = trainer_.fit_new_region(
            data, std::move(g), static_cast<long>(fit_epochs_), fit_seed(r) ^ 0xf17ull,
            [&](const avocado_progress& p) {
                bar.update(static_cast<index_t>(p.epoch + 1), fit_epochs_, pairs * static_cast<double>(p.epoch + 1), p.loss);
            },
            &rep);
        std::printf("fitted %s (%ld positions, %.0f observed pairs): %ld epochs, last-epoch MSE %.6f, %.1f s\n",
                    ri.name.c_str(), static_cast<long>(ri.positions), pairs, static_cast<long>(fit_epochs_),
                    rep.loss, seconds_since(t0));
        std::fflush(stdout);
        ++fitted_;
        return ck_.model.add_region(std::move(fitted));
    }

    /// Removes the factors get() returned again if it fitted them (stored ones stay).
    void release(index_t k)
    {
        if (k >= stored_count_) ck_.model.take_region(k);
    }

    index_t fitted() const { return fitted_; }

private:
    const fs::path& model_;
    io::avocado_checkpoint<float>& ck_;
    const io::signal_store& store_;
    index_t fit_epochs_;
    avocado_trainer<float> trainer_;
    index_t fitted_ = 0;
    index_t stored_count_ = static_cast<index_t>(ck_.model.regions().size());
};

}  // namespace

int run_avocado_train(const train_request& r, const avocado_train_cli& o)
{
    if (r.store.empty())
        throw input_error("command line: --method avocado trains on the (cell type, assay) tracks of a store: give --store "
                          "S.h5 (a --matrix has no cell-type or assay labels)");
    if (r.hidden)
        throw input_error("command line: --hidden-size is not an avocado option: the representation is F25+F250+F5k wide, "
                          "set by --avocado-factors Fc,Fa,F25,F250,F5k");
    if (o.factors.size() != 5)
        throw input_error("command line: --avocado-factors takes 5 widths Fc,Fa,F25,F250,F5k, got " +
                          std::to_string(o.factors.size()));
    const io::signal_store store(r.store);
    std::vector<std::string> cell, assay;
    for (const auto& t : store.track_metadata()) {
        cell.push_back(t.cell_type);
        assay.push_back(t.assay);
    }
    avocado_track_map map;
    try {
        map = make_avocado_track_map(cell, assay);
    } catch (const input_error& e) {
        throw input_error(r.store.string() + ": /tracks/cell_type, /tracks/assay: " + e.what());
    }
    const std::vector<std::string> names = training_region_names(store, r);

    avocado_config cfg;
    cfg.celltypes = static_cast<index_t>(map.celltypes.size());
    cfg.assays = static_cast<index_t>(map.assays.size());
    cfg.celltype_factors = o.factors[0];
    cfg.assay_factors = o.factors[1];
    cfg.genome_25_factors = o.factors[2];
    cfg.genome_250_factors = o.factors[3];
    cfg.genome_5k_factors = o.factors[4];
    cfg.layers = o.layers;
    cfg.units = o.units;
    validate_avocado_config(cfg, "command line (--avocado-factors, --avocado-layers, --avocado-units)");

    // In memory (--avocado-window-regions 0): regions in the model first, so initialize() draws
    // dense, Ct, As, then each region's factors (model/avocado.hpp's order); then they move to the
    // region store the trainer windows over. Out of core: io::avocado_store_regions draws each
    // region's factors on first use and reads its signal when its window comes.
    avocado_model<float> model(cfg, map.tracks);
    std::uint64_t pairs = 0;
    double positions = 0;
    std::vector<index_t> ids;
    for (const auto& name : names) ids.push_back(store.region_index(name));
    std::unique_ptr<avocado_region_store<float>> regions;
    std::function<void(avocado_model<float>&)> copy_regions_into;
    const fs::path scratch = r.model.string() + ".scratch";
    if (o.window_regions == 0) {
        std::vector<avocado_region_data<float>> data;
        for (index_t k : ids) {
            const auto& ri = store.regions()[static_cast<std::size_t>(k)];
            data.push_back(read_region_data(store, k));
            pairs += observed_pairs(data.back());
            positions += static_cast<double>(ri.positions);
            model.add_region(model.make_region(ri.name, ri.chrom, ri.start, ri.end, ri.positions));
        }
        model.initialize(r.seed);
        auto mem = std::make_unique<avocado_memory_regions<float>>();
        for (std::size_t i = 0; i < names.size(); ++i) mem->add(model.take_region(0), std::move(data[i]));
        copy_regions_into = [m = mem.get()](avocado_model<float>& out) { m->copy_into(out); };
        regions = std::move(mem);
    } else {
        for (index_t k : ids) {
            const auto& ri = store.regions()[static_cast<std::size_t>(k)];
            pairs += observed_pairs(store.read_missing(k, 0, ri.positions), ri.positions, store.tracks());
            positions += static_cast<double>(ri.positions);
        }
        model.initialize(r.seed);
        auto backed = std::make_unique<io::avocado_store_regions<float>>(store, ids, model, r.seed, scratch);
        copy_regions_into = [b = backed.get()](avocado_model<float>& out) { b->copy_into(out); };
        regions = std::move(backed);
    }
    if (pairs == 0)
        throw input_error(r.store.string() + ": the training regions have no observed position (every position is flagged "
                          "missing); nothing to train on");

    avocado_train_options to;
    to.batch_size = r.batch.value_or(4096);
    to.adam.learning_rate = r.lr.value_or(1e-3);
    to.seed = r.seed;
    to.progress_every = 1;
    to.passes = o.passes;
    to.window_regions = o.window_regions;
    avocado_trainer<float> tr(model, to);
    const long steps_per_epoch =
        static_cast<long>(std::ceil(to.passes * static_cast<double>(pairs) / static_cast<double>(to.batch_size)));

    std::printf("training avocado on %s: %ld tracks (%ld cell types x %ld assays), %zu region(s), %.0f positions, "
                "%llu observed (track, position) pairs\n",
                r.store.c_str(), static_cast<long>(model.track_count()), static_cast<long>(cfg.celltypes),
                static_cast<long>(cfg.assays), names.size(), positions, static_cast<unsigned long long>(pairs));
    std::printf("network: %ld hidden layer(s) of %ld units on z of %ld (factors Fc %ld, Fa %ld, genome %ld+%ld+%ld = "
                "representation %ld), %ld dense parameters; epochs %ld, batch %ld pairs (%ld steps an epoch, passes %g), lr "
                "%g, seed %llu\n",
                static_cast<long>(cfg.layers), static_cast<long>(cfg.units), static_cast<long>(cfg.input_size()),
                static_cast<long>(cfg.celltype_factors), static_cast<long>(cfg.assay_factors),
                static_cast<long>(cfg.genome_25_factors), static_cast<long>(cfg.genome_250_factors),
                static_cast<long>(cfg.genome_5k_factors), static_cast<long>(cfg.embedding_size()),
                static_cast<long>(model.parameters().size()), static_cast<long>(r.epochs), static_cast<long>(to.batch_size),
                steps_per_epoch, to.passes, to.adam.learning_rate, static_cast<unsigned long long>(r.seed));
    if (!r.validation_regions.empty() || !r.heldout_chroms.empty())
        std::printf("not trained on: %zu validation region(s), the regions on %zu held-out chromosome(s) (embed fits "
                    "their genome factors)\n",
                    r.validation_regions.size(), r.heldout_chroms.size());
    std::fflush(stdout);

    for (index_t e = 1; e <= r.epochs; ++e) {
        progress_bar bar("epoch " + std::to_string(e) + "/" + std::to_string(r.epochs), "pairs");
        long done = 0;
        const auto t0 = clock_type::now();
        const avocado_epoch_report rep = tr.train_epoch(*regions, [&](const avocado_progress& p) {
            if (p.end_of_epoch) return;
            done += p.steps;
            bar.update(static_cast<index_t>(done), steps_per_epoch, static_cast<double>(done * to.batch_size), p.loss);
        });
        const double sec = seconds_since(t0);
        // The checkpoint: the network, Ct, As and every training region's factors.
        avocado_model<float> out = model;
        copy_regions_into(out);
        io::write_avocado_checkpoint(r.model, out, store.track_ids(), map.celltypes, map.assays);
        std::printf("epoch %ld/%ld  train MSE %.6f  (%.0f pairs/s, %.1f s)  checkpoint %s\n", static_cast<long>(e),
                    static_cast<long>(r.epochs), rep.loss, sec > 0 ? static_cast<double>(rep.samples) / sec : 0.0, sec,
                    r.model.c_str());
        std::fflush(stdout);
    }
    if (o.window_regions > 0) {  // the scratch files go with the store-backed regions, then their folder
        regions.reset();
        std::error_code ec;
        fs::remove(scratch, ec);
    }
    std::cout << "done: " << r.epochs << " epochs; model " << r.model.string() << "\n";
    return 0;
}

embed_result run_avocado_embed(const embed_request& r, const avocado_embed_cli& o, const io::signal_store& store)
{
    io::avocado_checkpoint<float> ck = io::read_avocado_checkpoint<float>(r.model);
    require_same_tracks(r.model, ck, store);
    const std::vector<index_t> ids = chosen_store_regions(store, r.regions);
    region_factors factors(r.model, ck, store, o.fit_epochs, o.fit_passes, o.fit_lr);
    factors.check(ids);

    const avocado_config& cfg = ck.model.config();
    const index_t E = cfg.embedding_size(), T = ck.model.track_count();
    const std::string checksum = io::file_checksum(r.model);
    io::embedding_writer w(r.out, E, store.bin_size(), fs::absolute(r.model).string(), fs::absolute(store.path()).string(), 1);
    w.record_model(1, checksum);
    std::optional<io::embedding_writer> rw;
    if (!r.reconstruction.empty()) {
        rw.emplace(r.reconstruction, T, store.bin_size(), fs::absolute(r.model).string(),
                   fs::absolute(store.path()).string(), 1);
        rw->record_model(1, checksum);
    }
    index_t stored = 0;
    double total = 0;
    for (index_t id : ids) {
        if (factors.stored(id)) ++stored;
        total += static_cast<double>(store.regions()[static_cast<std::size_t>(id)].positions);
    }
    std::printf("embedding %zu region(s) of %s with %s: %ld with stored genome factors, %ld fitted (%ld epochs each); "
                "%ld features\n",
                ids.size(), store.path().c_str(), r.model.c_str(), static_cast<long>(stored),
                static_cast<long>(ids.size()) - static_cast<long>(stored), static_cast<long>(o.fit_epochs),
                static_cast<long>(E));
    std::fflush(stdout);
    for (index_t id : ids) {
        const auto& ri = store.regions()[static_cast<std::size_t>(id)];
        const index_t k = factors.get(id);
        const auto emb = ck.model.region_embedding(k);
        w.begin_region(ri.name, ri.chrom, ri.start, ri.end, ri.bin_size, ri.positions);
        w.write_rows(0, emb.rows(), emb.data());
        if (rw) {
            const auto rec = ck.model.reconstruct(k);
            rw->begin_region(ri.name, ri.chrom, ri.start, ri.end, ri.bin_size, ri.positions);
            rw->write_rows(0, rec.rows(), rec.data());
        }
        factors.release(k);
    }
    w.commit();
    std::cout << "wrote " << r.out.string() << " (" << ids.size() << " regions, " << total << " positions, " << E
              << " features)\n";
    if (rw) {
        rw->commit();
        std::cout << "wrote " << r.reconstruction.string() << " (the reconstruction: " << T << " tracks)\n";
    }
    return {ids, E};
}

int run_avocado_reconstruct(const fs::path& model, const std::string& region, const fs::path& out)
{
    const io::avocado_checkpoint<float> ck = io::read_avocado_checkpoint<float>(model);
    const index_t k = ck.model.find_region(region);
    if (k < 0) {
        std::vector<std::string> names;
        for (const auto& g : ck.model.regions()) names.push_back(g.name);
        throw input_error(model.string() + ": no region named '" + region + "' in /regions; the checkpoint holds " +
                          join_some(names) + " (a region it was not trained on: `epilstm embed --store`)");
    }
    const auto emb = ck.model.region_embedding(k);
    const auto rec = ck.model.reconstruct(k);
    io::write_reconstruction(out, emb, rec);
    std::cout << "wrote " << out.string() << " (/embedding [" << emb.rows() << ", " << emb.cols() << "], /reconstruction ["
              << rec.rows() << ", " << rec.cols() << "]) of region " << region << "\n";
    return 0;
}

namespace {

struct impute_cli {
    fs::path model, store, out;
    std::string celltype, assay;
    std::vector<std::string> regions;
    index_t fit_epochs = 5;
    double fit_passes = 1.0;
    double fit_lr = 1e-3;
    bool transformed = false;
};

index_t name_index(const std::vector<std::string>& names, const std::string& name)
{
    const auto it = std::lower_bound(names.begin(), names.end(), name);
    return it != names.end() && *it == name ? static_cast<index_t>(it - names.begin()) : -1;
}

int run_impute(const impute_cli& o)
{
#ifndef EPILSTM_HAVE_BIGWIG
    (void)o;
    throw input_error("command line: impute writes a bigWig, which needs libBigWig; this epilstm was built without it "
                      "(install libbigwig-dev and rebuild)");
#else
    io::avocado_checkpoint<float> ck = io::read_avocado_checkpoint<float>(o.model);
    const index_t c = name_index(ck.celltypes, o.celltype), a = name_index(ck.assays, o.assay);
    if (c < 0)
        throw input_error(o.model.string() + ": --celltype '" + o.celltype +
                          "' is not a cell type of the checkpoint (/celltypes: " + join_some(ck.celltypes, 50) + ")");
    if (a < 0)
        throw input_error(o.model.string() + ": --assay '" + o.assay + "' is not an assay of the checkpoint (/assays: " +
                          join_some(ck.assays, 50) + ")");
    const io::signal_store store(o.store);
    require_same_tracks(o.model, ck, store);
    bool inverse_asinh = false;
    if (!o.transformed) {
        if (store.transform() == "asinh")
            inverse_asinh = true;
        else if (store.transform() != "none")
            throw input_error(o.store.string() + ": root attribute 'transform' is '" + store.transform() +
                              "', expected 'asinh' or 'none' (give --transformed to write the model's own units)");
    }
    std::vector<index_t> ids = chosen_store_regions(store, o.regions);
    sort_by_genome(store, ids);
    region_factors factors(o.model, ck, store, o.fit_epochs, o.fit_passes, o.fit_lr);
    factors.check(ids);

    for (std::size_t t = 0; t < ck.model.tracks().size(); ++t)
        if (ck.model.tracks()[t] == avocado_track{c, a}) {
            std::printf("note: %s observes (%s, %s) as track '%s': this is a reconstruction of an observed track\n",
                        o.store.c_str(), o.celltype.c_str(), o.assay.c_str(), store.track_ids()[t].c_str());
            break;
        }
    std::printf("imputing (%s, %s) over %zu region(s) of %s (%s)\n", o.celltype.c_str(), o.assay.c_str(), ids.size(),
                o.store.c_str(),
                o.transformed ? "in the model's units, the store's transformed signal"
                : inverse_asinh ? "as signal: sinh of the model's asinh-transformed prediction"
                                : "the store has no transform");
    std::fflush(stdout);

    io::bigwig_writer w(o.out, store.chroms());
    // A one-track model with the same parameters predicts (c, a), a track of the store or not; each
    // region's factors visit it in turn.
    avocado_model<float> one(ck.model.config(), {avocado_track{c, a}});
    one.parameters() = ck.model.parameters();
    one.celltype_factors() = ck.model.celltype_factors();
    one.assay_factors() = ck.model.assay_factors();
    double total = 0;
    for (index_t id : ids) {
        const auto& ri = store.regions()[static_cast<std::size_t>(id)];
        const index_t k = factors.get(id);
        one.add_region(ck.model.region(k));
        const auto y = one.reconstruct(0);
        one.take_region(0);
        factors.release(k);
        std::vector<float> v(static_cast<std::size_t>(y.rows()));
        for (index_t i = 0; i < y.rows(); ++i) {
            const float p = y(i, 0);
            v[static_cast<std::size_t>(i)] = inverse_asinh ? std::sinh(p) : p;
            if (!std::isfinite(v[static_cast<std::size_t>(i)]))
                throw input_error(o.model.string() + ": the prediction of (" + o.celltype + ", " + o.assay + ") at " +
                                  ri.name + " position " + std::to_string(i) + " is not finite (" + std::to_string(p) + ")");
        }
        w.add_bins(ri.chrom, ri.start, ri.bin_size, v.data(), static_cast<index_t>(v.size()));
        total += static_cast<double>(v.size());
    }
    w.commit();
    std::cout << "wrote " << o.out.string() << " (" << ids.size() << " regions, " << total << " bins of " << store.bin_size()
              << " bp; " << factors.fitted() << " region(s) fitted)\n";
    return 0;
#endif
}

}  // namespace

command add_impute_command(CLI::App& app)
{
    auto o = std::make_shared<impute_cli>();
    auto* c = app.add_subcommand("impute",
                                 "avocado: predict the track (cell type, assay) - any pair of the checkpoint's cell types and "
                                 "assays, observed or not - over a store's regions, as a bigWig");
    c->add_option("--model,-m", o->model, "avocado checkpoint")->required();
    c->add_option("--store,-s", o->store, "signal store (its regions and their coordinates; its tracks must be the model's)")
        ->required();
    c->add_option("--celltype", o->celltype, "cell type (one of the checkpoint's /celltypes)")->required();
    c->add_option("--assay", o->assay, "assay (one of the checkpoint's /assays)")->required();
    c->add_option("--out,-o", o->out, "bigWig to write")->required();
    c->add_option("--regions", o->regions, "store regions to predict (default: all), comma-separated")->delimiter(',');
    c->add_option("--fit-epochs", o->fit_epochs,
                  "epochs of fitting the genome factors of a region the checkpoint does not hold")
        ->check(non_negative(o->fit_epochs))
        ->capture_default_str();
    c->add_option("--fit-passes", o->fit_passes, "a fitting epoch is ceil(passes x the region's observed pairs / 4096) steps")
        ->check(in_range(o->fit_passes, 1e-6, 1e6))
        ->capture_default_str();
    c->add_option("--fit-lr", o->fit_lr, "Adam learning rate of fitting a region's genome factors")
        ->check(positive(o->fit_lr))
        ->capture_default_str();
    c->add_flag("--transformed", o->transformed,
                "write the model's prediction as is (the store's transformed units) instead of inverting the store's "
                "transform (asinh: sinh)");
    return {c, [o] { return run_impute(*o); }};
}

}  // namespace epilstm::cli
