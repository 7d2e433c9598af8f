// epilstm train: from an HDF5 signal matrix (in memory) or a signal store (out of core), with
// periodic atomic checkpoints, --resume, and a checkpoint on Ctrl-C.
#include "common.hpp"
#include "device.hpp"

#include <epilstm/train/run.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

namespace epilstm::cli {

namespace {

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void on_stop_signal(int) { stop_requested = 1; }

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
    bool resume = false;
    std::string init;
    double checkpoint_minutes = 10;
    std::string device = "cpu";
    model_options model_opts;
    CLI::App* app = nullptr;
};

/// The training data: a matrix in memory or a store read on demand.
struct training_data {
    std::unique_ptr<loaded_signal> matrix;
    std::unique_ptr<io::signal_store> store;
    region_source<float> source;
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
        d.source = io::store_source(*d.store, o.regions, o.batch);
        d.tracks = d.store->track_ids();
    } else {
        if (!o.regions.empty()) throw input_error("command line: --regions needs --store");
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

template <class M>
int train_model(M& model, const train_cli& o, const training_data& d, const io::checkpoint* resume)
{
    train_options to;
    to.streams = o.batch;
    to.clip_norm = o.clip;
    to.shuffle = o.shuffle;
    to.seed = o.model_opts.seed;
    to.adam.learning_rate = o.lr;
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
        to.streams = s.streams;
        to.shuffle = s.shuffle;
        to.seed = s.seed;
    }
    const auto session = open_session(o.device, model);
    auto& tr = *session;
    tr.start_training(to);
    if (resume) {
        if (resume->optimizer)
            tr.restore_optimizer(resume->optimizer->m.data(), resume->optimizer->v.data(), resume->optimizer->step);
        tr.restore(*resume->training);
    }

    const schedule_options sched{to.streams, to.shuffle, to.seed};
    io::optimizer_state st{Eigen::VectorXf(model.parameters().size()), Eigen::VectorXf(model.parameters().size()), 0};
    auto save = [&] {
        // Parameters and moments live on the session's device; the checkpoint is written from host copies.
        st.step = tr.download(model.parameters().data(), st.m.data(), st.v.data());
        const io::training_progress prog{&tr.state(), sched};
        io::write_checkpoint(o.model, model.config(), model.layout(), model.parameters(), &st,
                             d.tracks.empty() ? nullptr : &d.tracks, &prog);
    };
    std::cout << (resume ? "resuming " : "training ") << model.config().activation << "/"
              << model.config().normalization << "/" << model.config().wiring
              << (model.config().bidirectional ? "/bidirectional" : "")
              << " H=" << model.hidden_size() << " D=" << model.input_size() << " on " << d.positions << " positions in "
              << d.source.regions() << " region(s) of " << d.path.string() << ": epochs " << tr.state().epoch + 1
              << ".." << o.epochs << ", " << to.streams << " streams per region, frame " << model.frame_length()
              << (to.shuffle ? ", shuffled" : "") << ", device " << tr.device_name() << "\n";
    if (d.matrix) std::cout << "per-track-mean baseline MSE " << per_track_mean_mse(*d.matrix) << "\n";
    std::cout.flush();

    stop_signal_guard guard;
    const char* hook = std::getenv("EPILSTM_TEST_SIGINT_AFTER_BATCHES");
    const long test_sigint_after = hook ? std::atol(hook) : 0;
    long batches_seen = 0;
    std::optional<progress_bar> bar;
    double w0 = 0;
    run_callbacks cb;
    cb.save = save;
    cb.stop_requested = [] { return stop_requested != 0; };
    // Test hook: deliver a real SIGINT after a given number of batches, so the Ctrl-C path is
    // tested deterministically (tests/cli/test_pipeline.sh).
    cb.after_batch = [&] {
        if (test_sigint_after > 0 && ++batches_seen == test_sigint_after) std::raise(SIGINT);
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
    const run_outcome out = run_training(tr, d.source, run_options{static_cast<long>(o.epochs), o.checkpoint_minutes}, cb);
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
    std::cout << "done: " << o.epochs << " epochs; model " << o.model.string() << "\n";
    return 0;
}

int run_train(train_cli& o)
{
    if (o.matrix.empty() == o.store.empty())
        throw input_error("command line: give exactly one of --matrix X.h5 or --store S.h5");
    if (o.resume) {
        if (!fs::exists(o.model))
            throw input_error(o.model.string() + ": --resume needs an existing checkpoint at --model");
        int rc = 0;
        with_checkpoint(o.model, [&](auto& model, const io::checkpoint& ck) {
            if (!ck.training)
                throw input_error(o.model.string() +
                                  ": the checkpoint has no training progress (/training) to resume; use --init to "
                                  "start a new run from its weights");
            const auto d = open_data(o, model.input_size());
            check_tracks(o.model, ck.tracks, d);
            rc = train_model(model, o, d, &ck);
        });
        return rc;
    }
    int rc = 0;
    if (!o.init.empty()) {
        with_checkpoint(o.init, [&](auto& model, const io::checkpoint& ck) {
            const auto d = open_data(o, model.input_size());
            check_tracks(o.init, ck.tracks, d);
            rc = train_model(model, o, d, nullptr);
        });
        return rc;
    }
    const auto d = open_data(o, -1);
    const model_config cfg = config_from(o.model_opts, d.source.tracks);
    with_model_type(cfg, [&](auto type) {
        using M = typename decltype(type)::type;
        M model(cfg);
        model.initialize(o.model_opts.seed);
        rc = train_model(model, o, d, nullptr);
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
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    c->add_option("--batch,-B", o->batch, "streams per region; a minibatch is one frame of each")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    c->add_option("--lr", o->lr, "Adam learning rate")->check(CLI::PositiveNumber)->capture_default_str();
    c->add_option("--clip", o->clip, "global gradient-norm clip (0 disables)")->capture_default_str();
    c->add_flag("--shuffle", o->shuffle, "interleave the frame batches of different regions at random each epoch");
    c->add_option("--checkpoint-minutes", o->checkpoint_minutes,
                  "also write the checkpoint every this many minutes (0: only after each epoch)")
        ->capture_default_str();
    c->add_flag("--resume", o->resume, "continue the run saved in --model (optimizer and schedule state included)");
    c->add_option("--init", o->init, "start from the weights of this checkpoint");
    add_device_option(c, o->device);
    add_model_options(c, o->model_opts);
    return {c, [o] { return run_train(*o); }};
}

}  // namespace epilstm::cli
