// Pieces shared by the subcommands of the `epilstm` program.
#pragma once

#include <epilstm/epilstm.hpp>
#include <epilstm/io/checkpoint.hpp>
#include <epilstm/io/matrix_file.hpp>
#include <epilstm/io/store_source.hpp>

#include <CLI/CLI.hpp>

#include "../cli_checks.hpp"
#include "process_group.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace epilstm::cli {

using cli_checks::in_range;
using cli_checks::non_negative;
using cli_checks::positive;


namespace fs = std::filesystem;
using rowmajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// A subcommand: its CLI11 app and what runs when it was chosen (returns the exit status).
struct command {
    CLI::App* app = nullptr;
    std::function<int()> run;
};

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

inline loaded_signal load_signal(const fs::path& path, index_t expected_tracks = -1)
{
    loaded_signal s;
    s.x = io::read_signal(path, "/signal", expected_tracks);
    s.missing = io::read_missing(path, s.x.rows());
    s.tracks = io::read_track_names(path);
    if (s.x.rows() == 0) throw input_error(path.string() + ": dataset /signal has no positions");
    return s;
}

/// Progress of long work: on a terminal one line rewritten in place (done/total, rate, loss,
/// ETA); otherwise a plain log line at most every `log_seconds`, so logs stay readable.
class progress_bar {
public:
    progress_bar(std::string what, std::string unit, double log_seconds = 30)
        : what_(std::move(what)), unit_(std::move(unit)), tty_(::isatty(STDERR_FILENO) != 0),
          log_every_(log_seconds), start_(clock::now()), last_(start_)
    {
    }

    /// `done` of `total` steps finished, `units` work units (e.g. positions) so far; the loss is
    /// shown unless it is NaN.
    void update(index_t done, index_t total, double units, double loss = std::numeric_limits<double>::quiet_NaN())
    {
        const auto now = clock::now();
        const double since = std::chrono::duration<double>(now - last_).count();
        const bool last = done >= total;
        if (quiet_ || (!last && since < (tty_ ? 0.2 : log_every_))) return;
        last_ = now;
        const double elapsed = std::chrono::duration<double>(now - start_).count();
        const double rate = elapsed > 0 ? units / elapsed : 0;
        const double eta = done > 0 ? elapsed * static_cast<double>(total - done) / static_cast<double>(done) : 0;
        char loss_text[32] = "";
        if (!std::isnan(loss)) std::snprintf(loss_text, sizeof loss_text, "  loss %.5f", loss);
        char line[256];
        std::snprintf(line, sizeof line, "%s: %3.0f%% (%ld/%ld)  %.0f %s/s%s  ETA %s", what_.c_str(),
                      total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0,
                      static_cast<long>(done), static_cast<long>(total), rate, unit_.c_str(), loss_text,
                      format_seconds(eta).c_str());
        if (tty_)
            std::fprintf(stderr, "\r%-100s%s", line, last ? "\n" : "");
        else
            std::fprintf(stderr, "%s\n", line);
        std::fflush(stderr);
    }

    /// Ends a line left open on a terminal (before printing anything else).
    void interrupt()
    {
        if (tty_ && !quiet_) std::fputc('\n', stderr);
    }

private:
    using clock = std::chrono::steady_clock;
    static std::string format_seconds(double s)
    {
        const long t = static_cast<long>(s + 0.5);
        char b[32];
        if (t >= 3600)
            std::snprintf(b, sizeof b, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
        else
            std::snprintf(b, sizeof b, "%ldm%02lds", t / 60, t % 60);
        return b;
    }
    std::string what_, unit_;
    bool tty_;
    bool quiet_ = process_rank() != 0;  // rank 0 reports for an MPI job (process_group.hpp)
    double log_every_;
    clock::time_point start_, last_;
};

/// MSE of predicting every track by its mean over the positions in the loss: the baseline a
/// reconstruction has to beat.
inline double per_track_mean_mse(const loaded_signal& s)
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

/// Model options shared by init and train.
struct model_options {
    index_t tracks = 0;
    index_t hidden = 16;
    index_t frame = 100;
    std::string activation = softsign::name;
    std::string normalization = layer_norm::name;
    std::string wiring = paper_wiring::name;
    bool bidirectional = false;
    std::uint64_t seed = 1;
};

inline void add_model_options(CLI::App* c, model_options& o)
{
    c->add_option("--hidden-size,-H", o.hidden, "hidden size H (the representation is H wide; 2H bidirectional)")
        ->check(positive(o.hidden))
        ->capture_default_str();
    c->add_option("--frame-length,-F", o.frame, "positions per frame F")->check(positive(o.frame))->capture_default_str();
    // The choices come from the one list of run-time variants (model/variant_list.hpp); config_from
    // checks the values, so a bad one is the library's one-line error naming the allowed values.
    c->add_option("--activation", o.activation, "cell activation φ: " + choices_help(activation_names))
        ->capture_default_str();
    c->add_option("--normalization", o.normalization, "cell normalization: " + choices_help(normalization_names))
        ->capture_default_str();
    c->add_option("--wiring", o.wiring,
                  "decoder wiring: " + choices_help(wiring_names) + " (" + paper_wiring::name +
                      ": the decoder's cell at t is the encoder's; " + own_cell_wiring::name +
                      ": the decoder carries its own cell)")
        ->capture_default_str();
    c->add_flag("--bidirectional", o.bidirectional, "bidirectional encoder variant");
    c->add_option("--seed", o.seed, "seed of the weight initialization (and of --shuffle)")->capture_default_str();
    c->footer("Model variants: " + runtime_variants_help() + ".");
}

inline model_config config_from(const model_options& o, index_t tracks)
{
    model_config c;
    c.input_size = tracks;
    c.hidden_size = o.hidden;
    c.frame_length = o.frame;
    c.activation = o.activation;
    c.normalization = o.normalization;
    c.bidirectional = o.bidirectional;
    c.wiring = o.wiring;
    validate_config(c, "command line");
    return c;
}

command add_init_command(CLI::App& app);
command add_reconstruct_command(CLI::App& app);
command add_train_command(CLI::App& app);
command add_embed_command(CLI::App& app);
command add_evaluate_command(CLI::App& app);  // with EPILSTM_HAVE_XGBOOST

}  // namespace epilstm::cli
