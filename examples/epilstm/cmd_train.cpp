// epilstm train: from an HDF5 signal matrix (in memory) or a signal store (out of core), with
// periodic atomic checkpoints, --resume, and a checkpoint on Ctrl-C. Under mpirun, data-parallel
// over the ranks (docs/distributed.md): the same options, rank 0 writes the checkpoints.
#include "common.hpp"
#include "comparators.hpp"
#include "device.hpp"

#include <epilstm/train/run.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>

#include <unistd.h>

namespace epilstm::cli {

std::vector<std::string> training_region_names(const io::signal_store& store, const train_request& o)
{
    // --regions (default all) without the validation regions and without the regions on
    // --heldout-chroms (which nothing here reads).
    const auto& all = store.regions();
    auto find = [&](const std::string& name) {
        const index_t k = store.region_index(name);
        return k < 0 ? nullptr : &all[static_cast<std::size_t>(k)];
    };
    auto on_heldout = [&](const std::string& name) {
        const auto* r = find(name);
        return r && std::find(o.heldout_chroms.begin(), o.heldout_chroms.end(), r->chrom) != o.heldout_chroms.end();
    };
    for (const auto& v : o.validation_regions) {
        if (!find(v)) throw input_error(o.store.string() + ": --validation-regions: no region named '" + v + "' in the store");
        if (on_heldout(v))
            throw input_error("command line: validation region '" + v + "' is on a --heldout-chroms chromosome");
    }
    for (const auto& v : o.regions)
        if (!find(v)) throw input_error(o.store.string() + ": --regions: no region named '" + v + "' in the store");
    std::vector<std::string> chosen;
    if (o.regions.empty())
        for (const auto& r : all) chosen.push_back(r.name);
    else
        chosen = o.regions;
    std::vector<std::string> train;
    for (const auto& name : chosen)
        if (!on_heldout(name) &&
            std::find(o.validation_regions.begin(), o.validation_regions.end(), name) == o.validation_regions.end())
            train.push_back(name);
    if (train.empty())
        throw input_error(o.store.string() + ": no training region left after removing the validation regions and "
                          "the regions on --heldout-chroms");
    return train;
}

namespace {

/// Rank 0's line when the launcher ends an MPI job (on_stop_signal); `when` describes the last
/// checkpoint of `model`, empty when none has been written yet.
std::string job_end_note_for(const fs::path& model, int ranks, const std::string& when)
{
    return "epilstm: rank 0 of " + std::to_string(ranks) +
           ": SIGTERM: the MPI launcher is ending the job (as it does when a rank dies); " +
           (when.empty() ? "no checkpoint has been written yet"
                         : "the last checkpoint, " + model.string() + " (" + when +
                               "), is whole: continue with the same command and --resume") +
           "\n";
}

volatile std::sig_atomic_t stop_requested = 0;

// Rank 0 of an MPI job: what to tell the user when the launcher ends the job. A rank that dies
// (killed, out of memory, a lost node) cannot report anything; mpirun and srun then end the other
// ranks with SIGTERM, and rank 0, blocked in a collective, never reaches an agreement point. So the
// line (which checkpoint is the last, and how to go on) is prepared after every checkpoint and
// written by the handler with write(2), which is safe in a signal handler.
char job_end_note[2048];
volatile std::sig_atomic_t job_end_note_length = 0;

void set_job_end_note(const std::string& note)
{
    job_end_note_length = 0;  // the handler never sees a half-written note
    const std::size_t n = std::min(note.size(), sizeof job_end_note);
    std::memcpy(job_end_note, note.data(), n);
    job_end_note_length = static_cast<std::sig_atomic_t>(n);
}

extern "C" void on_stop_signal(int sig)
{
    stop_requested = 1;
    if (sig == SIGTERM && job_end_note_length > 0) {
        const auto n = static_cast<std::size_t>(job_end_note_length);
        job_end_note_length = 0;  // once
        if (::write(STDERR_FILENO, job_end_note, n) < 0) return;
    }
}

/// Installs SIGINT/SIGTERM handlers for its lifetime.
struct stop_signal_guard {
    using handler = void (*)(int);
    handler old_int, old_term;
    stop_signal_guard()
    {
        stop_requested = 0;
        old_int = std::signal(SIGINT, on_stop_signal);
        old_term = std::signal(SIGTERM, on_stop_signal);
    }
    ~stop_signal_guard()
    {
        std::signal(SIGINT, old_int);
        std::signal(SIGTERM, old_term);
    }
};

struct train_cli {
    fs::path matrix, store, model;
    std::vector<std::string> regions;
    index_t epochs = 10;
    index_t batch = 64;
    double lr = 1e-3;
    double clip = 1.0;
    bool shuffle = false;
    index_t mix_frames = 0;
    bool standardize = false;
    std::vector<std::string> validation_regions, heldout_chroms;
    long patience = 0, lr_patience = 0;
    double lr_decay = 0.5;
    fs::path best_model;
    bool resume = false;
    bool check_replicas = false;
    std::string init;
    double checkpoint_minutes = 10;
    std::string device = "cpu";
    std::string method = "epi-lstm";
    model_options model_opts;
    CLI::App* app = nullptr;
    std::shared_ptr<avocado_train_cli> avocado;
    std::shared_ptr<refined_cnn_train_cli> refined_cnn;
};

/// The training data: a matrix in memory or a store read on demand.
struct training_data {
    std::unique_ptr<loaded_signal> matrix;
    std::unique_ptr<io::signal_store> store;
    region_source<float> source;
    region_source<float> validation;  ///< no region: no validation
    std::vector<std::string> tracks;
    fs::path path;
    double positions = 0;
};

training_data open_data(const train_cli& o, index_t expected_tracks)
{
    training_data d;
    if (!o.store.empty()) {
        d.path = o.store;
        d.store = std::make_unique<io::signal_store>(o.store);
        if (expected_tracks > 0 && d.store->tracks() != expected_tracks)
            throw shape_error(o.store.string() + ": the store has " + std::to_string(d.store->tracks()) +
                              " tracks but the model expects " + std::to_string(expected_tracks));
        train_request r;
        r.store = o.store;
        r.regions = o.regions;
        r.validation_regions = o.validation_regions;
        r.heldout_chroms = o.heldout_chroms;
        const std::vector<std::string> train = training_region_names(*d.store, r);
        d.source = io::store_source(*d.store, train, o.batch);
        if (!o.validation_regions.empty()) d.validation = io::store_source(*d.store, o.validation_regions, 8);
        d.tracks = d.store->track_ids();
    } else {
        if (!o.regions.empty()) throw input_error("command line: --regions needs --store");
        if (!o.validation_regions.empty() || !o.heldout_chroms.empty())
            throw input_error("command line: --validation-regions and --heldout-chroms need --store");
        d.path = o.matrix;
        d.matrix = std::make_unique<loaded_signal>(load_signal(o.matrix, expected_tracks));
        d.source = single_region(d.matrix->view(), o.matrix.filename().string());
        d.tracks = d.matrix->tracks;
    }
    for (auto n : d.source.positions) d.positions += static_cast<double>(n);
    return d;
}

/// The checkpoint's track list must be the data's (same ids, same order) when both have one.
void check_tracks(const fs::path& model, const std::vector<std::string>& model_tracks, const training_data& d)
{
    if (model_tracks.empty() || d.tracks.empty()) return;
    for (std::size_t i = 0; i < std::min(model_tracks.size(), d.tracks.size()); ++i)
        if (model_tracks[i] != d.tracks[i])
            throw input_error(model.string() + ": track " + std::to_string(i) + " of the model is '" + model_tracks[i] +
                              "' but " + d.path.string() + " has '" + d.tracks[i] +
                              "' there (a model only continues on the track list it was trained on)");
}

/// `<dir>/<stem>.best<ext>` of the checkpoint path: where the best epoch's model goes by default.
fs::path default_best_path(const fs::path& model)
{
    return model.parent_path() / (model.stem().string() + ".best" + model.extension().string());
}

template <class M>
int train_model(M& model, const train_cli& o, const training_data& d, const io::checkpoint* resume,
                track_standardization standardization)
{
    train_options to;
    to.streams = o.batch;
    to.clip_norm = o.clip;
    to.shuffle = o.shuffle;
    to.mix_frames = o.mix_frames;
    to.seed = o.model_opts.seed;
    to.adam.learning_rate = o.lr;
    to.group = process_group();
    to.check_replicas = o.check_replicas;
    const bool root = process_rank() == 0;
    if (resume) {
        // The schedule must be the one the run started with, or the resumed run would differ.
        const auto& s = resume->schedule;
        auto differs = [&](const char* opt, bool d2) {
            if (o.app->count(opt) > 0 && d2)
                throw input_error(o.model.string() + ": this run was started with other " + opt +
                                  " (streams " + std::to_string(s.streams) + ", shuffle " + (s.shuffle ? "on" : "off") +
                                  ", seed " + std::to_string(s.seed) + "); resume with the same or omit it");
        };
        differs("--batch", s.streams != o.batch);
        differs("--shuffle", s.shuffle != o.shuffle);
        differs("--seed", s.seed != o.model_opts.seed);
        differs("--mix-frames", s.mix_frames != o.mix_frames);
        to.streams = s.streams;
        to.shuffle = s.shuffle;
        to.seed = s.seed;
        to.mix_frames = s.mix_frames;
    }
    const auto session = open_session(o.device, model);
    auto& tr = *session;
    tr.set_standardization(standardization);
    tr.start_training(to);
    if (resume) {
        if (resume->optimizer)
            tr.restore_optimizer(resume->optimizer->m.data(), resume->optimizer->v.data(), resume->optimizer->step);
        tr.resume_from(*resume->training);  // a rank takes its streams' carries
    }

    const schedule_options sched{to.streams, to.shuffle, to.seed, to.mix_frames};
    const fs::path best_path = o.best_model.empty() ? default_best_path(o.model) : o.best_model;
    // Recorded in the checkpoint (/provenance) for `evaluate` (a resumed run: its own).
    const io::training_provenance provenance{o.heldout_chroms, o.validation_regions};
    io::optimizer_state st{Eigen::VectorXf(model.parameters().size()), Eigen::VectorXf(model.parameters().size()), 0};
    auto save = [&] {
        // Every rank gathers (the carries of all streams), rank 0 writes: the replicas are equal.
        const training_state state = tr.checkpoint_state();
        if (!root) return;
        // Parameters and moments live on the session's device; the checkpoint is written from host copies.
        st.step = tr.download(model.parameters().data(), st.m.data(), st.v.data());
        const io::training_progress prog{&state, sched};
        io::write_checkpoint(o.model, model.config(), model.layout(), model.parameters(), &st,
                             d.tracks.empty() ? nullptr : &d.tracks, &prog, d.store ? &provenance : nullptr,
                             &standardization);
        if (to.group)
            set_job_end_note(job_end_note_for(o.model, to.group->size(),
                                              state.batch == 0 ? "after epoch " + std::to_string(state.epoch)
                                                               : "in epoch " + std::to_string(state.epoch + 1) +
                                                                     ", after batch " + std::to_string(state.batch)));
    };
    if (to.group && root)
        set_job_end_note(job_end_note_for(o.model, to.group->size(), resume ? "the one this run resumed from" : ""));
    // The best epoch's model: the checkpoint just written (parameters, moments and state), copied.
    auto save_best = [&] {
        if (!root) return;
        const fs::path tmp = best_path.string() + ".tmp";
        fs::copy_file(o.model, tmp, fs::copy_options::overwrite_existing);
        fs::rename(tmp, best_path);
    };
    std::cout << (resume ? "resuming " : "training ") << model.config().activation << "/"
              << model.config().normalization << "/" << model.config().wiring
              << (model.config().bidirectional ? "/bidirectional" : "")
              << " H=" << model.hidden_size() << " D=" << model.input_size() << " on " << d.positions << " positions in "
              << d.source.regions() << " region(s) of " << d.path.string() << ": epochs " << tr.state().epoch + 1
              << ".." << o.epochs << ", " << to.streams << " streams per region, frame " << model.frame_length()
              << (to.mix_frames > 0 ? ", mixed minibatches of " + std::to_string(to.mix_frames) + "-frame segments"
                                    : std::string(to.shuffle ? ", shuffled" : ""))
              << (standardization.empty() ? "" : ", tracks standardized") << ", device " << tr.device_name();
    if (to.group)
        std::cout << ", data-parallel over " << to.group->size() << " MPI ranks (" << to.streams / to.group->size()
                  << "–" << (to.streams + to.group->size() - 1) / to.group->size() << " streams each)";
    std::cout << "\n";
    if (d.validation.regions() > 0)
        std::cout << "validation on " << d.validation.regions() << " region(s); best model " << best_path.string()
                  << (o.patience > 0 ? ", early stopping after " + std::to_string(o.patience) + " epochs without improvement"
                                     : std::string())
                  << "\n";
    if (d.matrix) std::cout << "per-track-mean baseline MSE " << per_track_mean_mse(*d.matrix) << "\n";
    std::cout.flush();

    stop_signal_guard guard;
    const char* hook = std::getenv("EPILSTM_TEST_SIGINT_AFTER_BATCHES");
    const long test_sigint_after = hook ? std::atol(hook) : 0;
    // Test hook for a rank that dies (tests/cli/test_mpi.sh): "R:N" kills rank R after N batches.
    const char* kill_hook = std::getenv("EPILSTM_TEST_KILL_RANK_AFTER_BATCHES");
    long kill_after = 0;
    if (kill_hook && std::atoi(kill_hook) == process_rank() && std::strchr(kill_hook, ':'))
        kill_after = std::atol(std::strchr(kill_hook, ':') + 1);
    long batches_seen = 0;
    std::optional<progress_bar> bar;
    double w0 = 0;
    run_callbacks cb;
    cb.save = save;
    cb.stop_requested = [] { return stop_requested != 0; };
    // Test hook: deliver a real SIGINT after a given number of batches, so the Ctrl-C path is
    // tested deterministically (tests/cli/test_pipeline.sh).
    cb.after_batch = [&] {
        ++batches_seen;
        if (test_sigint_after > 0 && batches_seen == test_sigint_after) std::raise(SIGINT);
        if (kill_after > 0 && batches_seen == kill_after) std::raise(SIGKILL);
    };
    cb.epoch_begins = [&](long epoch) {
        bar.emplace("epoch " + std::to_string(epoch) + "/" + std::to_string(o.epochs), "positions");
        w0 = tr.state().weight_sum;
    };
    cb.batch_done = [&](index_t i, index_t n, double loss) { bar->update(i + 1, n, tr.state().weight_sum - w0, loss); };
    cb.epoch_done = [&](long epoch, const pass_result& r, double sec) {
        bar.reset();
        std::printf("epoch %ld/%ld  train MSE %.6f  (%.0f positions/s)  checkpoint %s\n", epoch,
                    static_cast<long>(o.epochs), r.loss, r.weight / sec, o.model.c_str());
        std::fflush(stdout);
    };
    cb.save_best = save_best;
    cb.validated = [&](long epoch, double loss, bool best, double lr_scale) {
        bar.reset();
        std::printf("epoch %ld  validation MSE %.6f%s  learning rate %.3g\n", epoch, loss,
                    best ? "  (best: saved)" : "", o.lr * lr_scale);
        std::fflush(stdout);
    };
    run_options ro{static_cast<long>(o.epochs), o.checkpoint_minutes};
    if (d.validation.regions() > 0) {
        ro.validation = &d.validation;
        ro.patience = o.patience;
        ro.lr_patience = o.lr_patience;
        ro.lr_decay = o.lr_decay;
    }
    const run_outcome out = run_training(tr, d.source, ro, cb);
    if (out.how == run_outcome::status::early_stopped) {
        std::cout << "early stop after epoch " << out.epoch << ": no improvement for " << o.patience
                  << " epochs; best epoch " << tr.state().best_epoch << " (validation MSE " << tr.state().best_validation
                  << "), model " << best_path.string() << "; last " << o.model.string() << "\n";
        return 0;
    }
    if (out.how == run_outcome::status::stopped_in_epoch) {
        bar->interrupt();
        std::cout << "interrupted in epoch " << out.epoch << " after " << tr.state().batch
                  << " batches: checkpoint saved to " << o.model.string()
                  << "; continue with the same command and --resume\n";
        return 130;
    }
    if (out.how == run_outcome::status::stopped_after_epoch) {
        std::cout << "interrupted after epoch " << out.epoch << ": checkpoint saved to " << o.model.string()
                  << "; continue with --resume\n";
        return 130;
    }
    std::cout << "done: " << o.epochs << " epochs; model " << o.model.string();
    if (d.validation.regions() > 0)
        std::cout << "; best epoch " << tr.state().best_epoch << " (validation MSE " << tr.state().best_validation
                  << "): " << best_path.string();
    std::cout << "\n";
    return 0;
}

/// train --method avocado|refined-cnn: the options only Epi-LSTM has are refused, the rest handed on.
int run_comparator_train(const train_cli& o)
{
    require_single_process(("train --method " + o.method).c_str());
    for (const char* opt : {"--resume", "--init", "--shuffle", "--mix-frames", "--standardize", "--patience",
                            "--lr-patience", "--lr-decay", "--best-model", "--checkpoint-minutes", "--clip", "--frame-length",
                            "--activation", "--normalization", "--wiring", "--bidirectional", "--device"})
        if (o.app->count(opt) > 0)
            throw input_error(std::string("command line: ") + opt + " is an epi-lstm option; --method " + o.method +
                              " does not take it");
    train_request r;
    r.matrix = o.matrix;
    r.store = o.store;
    r.model = o.model;
    r.regions = o.regions;
    r.validation_regions = o.validation_regions;
    r.heldout_chroms = o.heldout_chroms;
    r.epochs = o.epochs;
    if (o.app->count("--batch") > 0) r.batch = o.batch;
    if (o.app->count("--lr") > 0) r.lr = o.lr;
    if (o.app->count("--hidden-size") > 0) r.hidden = o.model_opts.hidden;
    r.seed = o.model_opts.seed;
    if (o.method == "avocado") return run_avocado_train(r, *o.avocado);
    return run_refined_cnn_train(r, *o.refined_cnn);
}

int run_train(train_cli& o)
{
    if (o.matrix.empty() == o.store.empty())
        throw input_error("command line: give exactly one of --matrix X.h5 or --store S.h5");
    if (o.method != "epi-lstm") return run_comparator_train(o);
    for (const char* opt : {"--avocado-layers", "--avocado-units", "--avocado-factors", "--avocado-passes",
                            "--avocado-window-regions", "--cnn-channels"})
        if (o.app->count(opt) > 0)
            throw input_error(std::string("command line: ") + opt + " needs --method " +
                              (opt[2] == 'a' ? "avocado" : "refined-cnn"));
    if (o.resume) {
        if (!fs::exists(o.model))
            throw input_error(o.model.string() + ": --resume needs an existing checkpoint at --model");
        int rc = 0;
        with_checkpoint(o.model, [&](auto& model, const io::checkpoint& ck) {
            if (!ck.training)
                throw input_error(o.model.string() +
                                  ": the checkpoint has no training progress (/training) to resume; use --init to "
                                  "start a new run from its weights");
            // The run's held-out chromosomes stay out of training, and its validation regions go on
            // validating, when resuming without the options.
            if (o.heldout_chroms.empty()) o.heldout_chroms = ck.provenance.heldout_chroms;
            if (o.validation_regions.empty()) o.validation_regions = ck.provenance.validation_regions;
            const auto d = open_data(o, model.input_size());
            check_tracks(o.model, ck.tracks, d);
            rc = train_model(model, o, d, &ck, ck.standardization);
        });
        return rc;
    }
    int rc = 0;
    if (!o.init.empty()) {
        with_checkpoint(o.init, [&](auto& model, const io::checkpoint& ck) {
            const auto d = open_data(o, model.input_size());
            check_tracks(o.init, ck.tracks, d);
            // The init model's standardization comes with its weights; else --standardize computes one.
            rc = train_model(model, o, d, nullptr,
                             !ck.standardization.empty() ? ck.standardization
                             : o.standardize             ? compute_standardization(d.source)
                                                         : track_standardization{});
        });
        return rc;
    }
    const auto d = open_data(o, -1);
    const model_config cfg = config_from(o.model_opts, d.source.tracks);
    with_model_type(cfg, [&](auto type) {
        using M = typename decltype(type)::type;
        M model(cfg);
        model.initialize(o.model_opts.seed);
        rc = train_model(model, o, d, nullptr, o.standardize ? compute_standardization(d.source) : track_standardization{});
    });
    return rc;
}

}  // namespace

command add_train_command(CLI::App& app)
{
    auto o = std::make_shared<train_cli>();
    auto* c = app.add_subcommand("train", "train a model on an HDF5 signal matrix or an out-of-core signal store");
    o->app = c;
    auto* m = c->add_option("--matrix,-x", o->matrix, "HDF5 file with /signal [N, D] float32 (and optional /missing [N])");
    auto* s = c->add_option("--store,-s", o->store, "signal store written by `epilstm prepare` (read frame by frame)");
    m->excludes(s);
    c->add_option("--regions", o->regions, "store regions to train on (default: all)")->delimiter(',');
    c->add_option("--model,-m", o->model, "checkpoint to write (atomically) and to read with --resume")->required();
    c->add_option("--epochs,-e", o->epochs, "epochs in total (a resumed run continues up to this)")
        ->check(positive(o->epochs))
        ->capture_default_str();
    c->add_option("--batch,-B", o->batch,
                  "epi-lstm: streams per region, a minibatch is one frame of each; avocado: observed (track, position) "
                  "pairs per minibatch (default 4096); refined-cnn: positions per minibatch (default 256)")
        ->check(positive(o->batch))
        ->capture_default_str();
    c->add_option("--lr", o->lr, "Adam learning rate (avocado, refined-cnn: default 1e-3)")->check(positive(o->lr))->capture_default_str();
    c->add_option("--clip", o->clip, "global gradient-norm clip (0 disables)")->capture_default_str();
    c->add_flag("--shuffle", o->shuffle, "interleave the frame batches of different regions at random each epoch");
    c->add_option("--mix-frames", o->mix_frames,
                  "mix the genome in every minibatch: cut regions into segments of at most this many frames, shuffle "
                  "them each epoch and take --batch of them per minibatch (0: --batch streams of one region)")
        ->check(non_negative(o->mix_frames))
        ->capture_default_str();
    c->add_flag("--standardize", o->standardize,
                "standardize every track (mean and sd of the training regions, stored in the checkpoint; "
                "reconstructions are mapped back)");
    c->add_option("--validation-regions", o->validation_regions,
                  "store regions left out of training: validation MSE after every epoch, the best epoch saved to "
                  "--best-model, learning-rate decay and early stopping (recorded in the checkpoint: evaluate fits no "
                  "baseline on them; --resume keeps them)")
        ->delimiter(',');
    c->add_option("--heldout-chroms", o->heldout_chroms,
                  "chromosomes whose regions are never trained or validated on (recorded in the checkpoint for evaluate; "
                  "--resume keeps them)")
        ->delimiter(',');
    c->add_option("--patience", o->patience, "with validation: stop after this many epochs without improvement (0: never)")
        ->check(non_negative(o->patience))
        ->capture_default_str();
    c->add_option("--lr-patience", o->lr_patience,
                  "with validation: multiply the learning rate by --lr-decay after every this many epochs without "
                  "improvement (0: constant rate)")
        ->check(non_negative(o->lr_patience))
        ->capture_default_str();
    c->add_option("--lr-decay", o->lr_decay, "learning-rate factor of --lr-patience")
        ->check(in_range(o->lr_decay, 1e-6, 1.0))
        ->capture_default_str();
    c->add_option("--best-model", o->best_model, "where the best epoch's checkpoint goes (default: <model>.best.h5)");
    c->add_option("--checkpoint-minutes", o->checkpoint_minutes,
                  "also write the checkpoint every this many minutes (0: only after each epoch)")
        ->capture_default_str();
    c->add_flag("--resume", o->resume, "continue the run saved in --model (optimizer and schedule state included)");
    c->add_flag("--check-replicas", o->check_replicas,
                "under mpirun: compare a digest of every rank's parameters after every step and stop with an error "
                "if they differ (a check of the data-parallel reduction; costs one small message per step)");
    c->add_option("--init", o->init, "start from the weights of this checkpoint");
    add_device_option(c, o->device);
    add_model_options(c, o->model_opts);
    c->add_option("--method", o->method,
                  "representation method: epi-lstm (the LSTM autoencoder), avocado (Avocado's tensor factorization) "
                  "or refined-cnn (REFINED placement + CNN autoencoder); docs/comparators.md")
        ->check(CLI::IsMember({"epi-lstm", "avocado", "refined-cnn"}))
        ->capture_default_str();
    o->avocado = add_avocado_train_options(c);
    o->refined_cnn = add_refined_cnn_train_options(c);
    return {c, [o] { return run_train(*o); }};
}

}  // namespace epilstm::cli
