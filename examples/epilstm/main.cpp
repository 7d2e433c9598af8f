// The `epilstm` command-line program: init, train and reconstruct on HDF5 signal matrices.
//
// Every error a user can cause prints one line "epilstm: error: <file>: <what was expected>" and
// exits with status 2, leaving no partial output (outputs are written to a temporary file and
// renamed into place).
#include <epilstm/epilstm.hpp>
#include <epilstm/io/checkpoint.hpp>
#include <epilstm/io/matrix_file.hpp>

#include "prepare.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

namespace fs = std::filesystem;
using namespace epilstm;

namespace {

using rowmajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// A signal matrix read from an HDF5 file, with its optional all-missing mask and track names.
struct loaded_signal {
    rowmajor x;
    std::vector<std::uint8_t> missing;
    std::vector<std::string> tracks;

    signal_view<float> view() const
    {
        return {x.data(), x.rows(), x.cols(), missing.empty() ? nullptr : missing.data()};
    }
};

loaded_signal load_signal(const fs::path& path, index_t expected_tracks = -1)
{
    loaded_signal s;
    s.x = io::read_signal(path, "/signal", expected_tracks);
    s.missing = io::read_missing(path, s.x.rows());
    s.tracks = io::read_track_names(path);
    if (s.x.rows() == 0) throw input_error(path.string() + ": dataset /signal has no positions");
    return s;
}

/// Prints a one-line progress report on a terminal (rewritten in place) and nothing otherwise.
class progress_line {
public:
    explicit progress_line(std::string what) : what_(std::move(what)), tty_(::isatty(STDERR_FILENO) != 0) {}
    void operator()(index_t k, index_t n, double loss)
    {
        if (!tty_) return;
        const auto now = std::chrono::steady_clock::now();
        if (k + 1 < n && now - last_ < std::chrono::milliseconds(200)) return;
        last_ = now;
        std::fprintf(stderr, "\r%s: frame %ld/%ld  loss %.5f   ", what_.c_str(), static_cast<long>(k + 1),
                     static_cast<long>(n), loss);
        if (k + 1 == n) std::fputc('\n', stderr);
        std::fflush(stderr);
    }

private:
    std::string what_;
    bool tty_;
    std::chrono::steady_clock::time_point last_{};
};

/// MSE of predicting every track by its mean over the positions in the loss: the baseline a
/// reconstruction has to beat.
double per_track_mean_mse(const loaded_signal& s)
{
    const index_t N = s.x.rows(), D = s.x.cols();
    Eigen::VectorXd sum = Eigen::VectorXd::Zero(D);
    double n = 0;
    for (index_t r = 0; r < N; ++r) {
        if (!s.missing.empty() && s.missing[static_cast<std::size_t>(r)]) continue;
        sum += s.x.row(r).transpose().cast<double>();
        n += 1;
    }
    if (n == 0) return 0;
    const Eigen::VectorXd mean = sum / n;
    double se = 0;
    for (index_t r = 0; r < N; ++r) {
        if (!s.missing.empty() && s.missing[static_cast<std::size_t>(r)]) continue;
        se += (s.x.row(r).transpose().cast<double>() - mean).squaredNorm();
    }
    return se / (n * static_cast<double>(D));
}

template <class Model>
parameter_layout layout_of(const model_config& c)
{
    return Model::layout_for(c);
}

/// Reads a checkpoint and calls f(model, checkpoint) with the model type it names.
template <class F>
void with_checkpoint(const fs::path& path, F&& f)
{
    const model_config cfg = io::read_checkpoint_config(path);
    with_model_type(
        cfg,
        [&](auto type) {
            using M = typename decltype(type)::type;
            io::checkpoint ck = io::read_checkpoint(path, [](const model_config& c) { return M::layout_for(c); });
            M model(ck.config);
            model.parameters() = ck.params;
            f(model, ck);
        },
        path.string());
}

// ---- epilstm init ---------------------------------------------------------------------------------

struct model_options {
    index_t tracks = 0;
    index_t hidden = 16;
    index_t frame = 100;
    std::string activation = "softsign";
    std::string normalization = "layer_norm";
    bool bidirectional = false;
    std::uint64_t seed = 1;
};

void add_model_options(CLI::App* c, model_options& o)
{
    c->add_option("--hidden-size,-H", o.hidden, "hidden size H (the representation is H wide; 2H bidirectional)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    c->add_option("--frame-length,-F", o.frame, "positions per frame F")->check(CLI::PositiveNumber)->capture_default_str();
    c->add_option("--activation", o.activation, "cell activation φ: softsign | tanh")->capture_default_str();
    c->add_option("--normalization", o.normalization, "layer_norm | none")->capture_default_str();
    c->add_flag("--bidirectional", o.bidirectional, "bidirectional encoder variant");
    c->add_option("--seed", o.seed, "seed of the weight initialization")->capture_default_str();
}

model_config config_from(const model_options& o, index_t tracks)
{
    model_config c;
    c.input_size = tracks;
    c.hidden_size = o.hidden;
    c.frame_length = o.frame;
    c.activation = o.activation;
    c.normalization = o.normalization;
    c.bidirectional = o.bidirectional;
    validate_config(c, "command line");
    return c;
}

int run_init(const model_options& o, const std::string& matrix, const fs::path& out)
{
    index_t tracks = o.tracks;
    std::vector<std::string> names;
    if (!matrix.empty()) {
        const auto s = load_signal(matrix);
        if (tracks > 0 && tracks != s.x.cols())
            throw input_error(matrix + ": /signal has " + std::to_string(s.x.cols()) + " tracks but --tracks is " +
                              std::to_string(tracks));
        tracks = s.x.cols();
        names = s.tracks;
    }
    if (tracks <= 0) throw input_error("command line: give --tracks D or --matrix X.h5 to set the input size");
    const model_config cfg = config_from(o, tracks);
    with_model_type(cfg, [&](auto type) {
        using M = typename decltype(type)::type;
        M model(cfg);
        model.initialize(o.seed);
        io::write_checkpoint(out, cfg, model.layout(), model.parameters(), nullptr, names.empty() ? nullptr : &names);
        std::cout << "wrote " << out.string() << " (" << model.parameters().size() << " parameters, "
                  << cfg.activation << ", " << cfg.normalization << ", H=" << cfg.hidden_size << ", D=" << tracks
                  << ")\n";
    });
    return 0;
}

// ---- epilstm reconstruct -------------------------------------------------------------------------

int run_reconstruct(const fs::path& model_path, const fs::path& matrix, const fs::path& out)
{
    with_checkpoint(model_path, [&](auto& model, const io::checkpoint&) {
        const auto s = load_signal(matrix, model.input_size());
        rowmajor emb(s.x.rows(), model.embedding_size()), rec(s.x.rows(), model.input_size());
        progress_line progress("reconstruct");
        // MODEL-SPEC: the matrix is one stream.
        const auto r = run_model(model, s.view(), 1, emb.data(), rec.data(), std::ref(progress));
        io::write_reconstruction(out, emb, rec);
        std::cout << "reconstruction MSE " << r.loss << " over " << s.x.rows()
                  << " positions (per-track-mean baseline of this matrix: " << per_track_mean_mse(s) << "); wrote "
                  << out.string() << " (/embedding [" << emb.rows() << ", " << emb.cols() << "], /reconstruction ["
                  << rec.rows() << ", " << rec.cols() << "])\n";
    });
    return 0;
}

// ---- epilstm train -------------------------------------------------------------------------------

struct train_cli {
    fs::path matrix, model;
    index_t epochs = 10;
    index_t batch = 64;
    double lr = 1e-3;
    double clip = 1.0;
    bool resume = false;
    std::string init;
};

template <class M>
void train_model(M& model, const io::checkpoint* resume_from, const train_cli& o, const loaded_signal& s)
{
    train_options to;
    to.streams = o.batch;
    to.clip_norm = o.clip;
    to.adam.learning_rate = o.lr;
    trainer<M> tr(model, to);
    if (resume_from && resume_from->optimizer)
        tr.optimizer().restore(resume_from->optimizer->m, resume_from->optimizer->v, resume_from->optimizer->step);

    const double baseline = per_track_mean_mse(s);
    std::cout << "training " << model.config().activation << "/" << model.config().normalization
              << (model.config().bidirectional ? "/bidirectional" : "") << " H=" << model.hidden_size()
              << " D=" << model.input_size() << " on " << s.x.rows() << " positions (" << o.matrix.string() << "), "
              << o.epochs << " epochs, " << o.batch << " streams, frame " << model.frame_length() << "\n"
              << "per-track-mean baseline MSE " << baseline << "\n";
    for (index_t e = 0; e < o.epochs; ++e) {
        progress_line progress("epoch " + std::to_string(e + 1));
        const auto t0 = std::chrono::steady_clock::now();
        const auto r = tr.train_epoch(s.view(), std::ref(progress));
        const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        io::optimizer_state st{tr.optimizer().first_moment(), tr.optimizer().second_moment(), tr.optimizer().steps()};
        io::write_checkpoint(o.model, model.config(), model.layout(), model.parameters(), &st,
                             s.tracks.empty() ? nullptr : &s.tracks);
        std::printf("epoch %ld/%ld  train MSE %.6f  (%.0f positions/s)  checkpoint %s\n", static_cast<long>(e + 1),
                    static_cast<long>(o.epochs), r.loss, static_cast<double>(s.x.rows()) / sec, o.model.c_str());
        std::fflush(stdout);
    }
}

int run_train(const model_options& mo, const train_cli& o)
{
    if (o.resume) {
        if (!fs::exists(o.model))
            throw input_error(o.model.string() + ": --resume needs an existing checkpoint at --model");
        with_checkpoint(o.model, [&](auto& model, const io::checkpoint& ck) {
            const auto s = load_signal(o.matrix, model.input_size());
            train_model(model, &ck, o, s);
        });
        return 0;
    }
    if (!o.init.empty()) {
        with_checkpoint(o.init, [&](auto& model, const io::checkpoint&) {
            const auto s = load_signal(o.matrix, model.input_size());
            train_model(model, nullptr, o, s);
        });
        return 0;
    }
    const auto s = load_signal(o.matrix);
    const model_config cfg = config_from(mo, s.x.cols());
    with_model_type(cfg, [&](auto type) {
        using M = typename decltype(type)::type;
        M model(cfg);
        model.initialize(mo.seed);
        train_model(model, nullptr, o, s);
    });
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"epilstm " EPILSTM_VERSION_STRING
                 " — Epi-LSTM: an LSTM autoencoder representation of the epigenome (docs/MODEL-SPEC.md)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", EPILSTM_VERSION_STRING);

    model_options mo;
    std::string init_matrix;
    fs::path init_out;
    auto* init = app.add_subcommand("init", "write a randomly initialized model checkpoint");
    init->add_option("--tracks,-D", mo.tracks, "input size D (number of tracks); or take it from --matrix");
    init->add_option("--matrix", init_matrix, "HDF5 file whose /signal [N, D] sets D and the track names")
        ->check(CLI::ExistingFile);
    init->add_option("--out,-o", init_out, "checkpoint to write (HDF5)")->required();
    add_model_options(init, mo);

    fs::path rc_model, rc_matrix, rc_out;
    auto* rec = app.add_subcommand(
        "reconstruct", "run a model over /signal [N, D] of an HDF5 file as one stream; write /embedding and "
                       "/reconstruction");
    rec->add_option("--model,-m", rc_model, "model checkpoint (HDF5)")->required()->check(CLI::ExistingFile);
    rec->add_option("--matrix,-x", rc_matrix, "HDF5 file with /signal [N, D] float32, already transformed")
        ->required()
        ->check(CLI::ExistingFile);
    rec->add_option("--out,-o", rc_out, "output HDF5 file")->required();

    train_cli to;
    auto* train = app.add_subcommand("train", "train a model on /signal [N, D] of an HDF5 file");
    train->add_option("--matrix,-x", to.matrix, "HDF5 file with /signal [N, D] float32 (and optional /missing [N])")
        ->required()
        ->check(CLI::ExistingFile);
    train->add_option("--model,-m", to.model, "checkpoint to write after every epoch (and read with --resume)")
        ->required();
    train->add_option("--epochs,-e", to.epochs, "passes over the signal")->check(CLI::PositiveNumber)->capture_default_str();
    train->add_option("--batch,-B", to.batch, "streams per minibatch (one frame from each)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    train->add_option("--lr", to.lr, "Adam learning rate")->check(CLI::PositiveNumber)->capture_default_str();
    train->add_option("--clip", to.clip, "global gradient-norm clip (0 disables)")->capture_default_str();
    train->add_flag("--resume", to.resume, "continue from --model, optimizer state included");
    train->add_option("--init", to.init, "start from the weights of this checkpoint")->check(CLI::ExistingFile);
    add_model_options(train, mo);

    CLI::App* prep = add_prepare_command(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "epilstm: error: %s (see --help)\n", e.what());
        return 2;
    }

    try {
        if (*init) return run_init(mo, init_matrix, init_out);
        if (*rec) return run_reconstruct(rc_model, rc_matrix, rc_out);
        if (*train) return run_train(mo, to);
        if (*prep) return run_prepare_command();
    } catch (const epilstm::error& e) {
        std::fprintf(stderr, "epilstm: error: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "epilstm: internal error: %s\n", e.what());
        return 3;
    }
    return 0;
}
