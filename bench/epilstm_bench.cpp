// epilstm_bench: positions/s of one training step or one embedding pass of the default Epi-LSTM
// (softsign, layer norm, paper wiring), and the SGEMM ceiling at the model's own GEMM shapes.
//
//   epilstm_bench train|embed|sgemm  D H F B  [seconds]
//
// Threads: OMP_NUM_THREADS (Eigen's GEMMs and our threads over streams, when built with
// EPILSTM_OPENMP) and OPENBLAS_NUM_THREADS (when built with EPILSTM_USE_OPENBLAS).
// Prints one line of key=value pairs (compare.sh parses it). Never asserted anywhere.
//
// FLOPs counted (GEMMs only; elementwise, layer norm, loss and Adam are not counted), per position:
//   forward  = 2·4H·D (encoder input) + 2·4H·H (encoder recurrent) + 2·4H·H (decoder input)
//            + 2·4H·H (decoder recurrent) + 2·D·H (output layer)
//   backward = 2·forward − 2·4H·D   (a weight gradient and an input gradient per GEMM, except the
//              encoder's input gradient dX, which training does not compute — nor does PyTorch)
//   train    = forward + backward;   embed = 2·4H·D + 2·4H·H (encoder forward only)
#include <epilstm/model/epi_lstm.hpp>
#include <epilstm/model/variants.hpp>
#include <epilstm/train/adam.hpp>
#include <epilstm/train/clip.hpp>
#include <epilstm/train/trainer.hpp>

#include <Eigen/Core>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

using namespace epilstm;
using clk = std::chrono::steady_clock;
using model_t = softsign_layer_norm<float>;
using mat = Eigen::MatrixXf;

namespace {

double seconds_since(clk::time_point t0) { return std::chrono::duration<double>(clk::now() - t0).count(); }

double peak_rss_mib()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

int threads()
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

struct flops {
    double fwd, train, embed;
};
flops count(double D, double H)
{
    const double g = 4 * H;
    const double fwd = 2 * g * D + 3 * (2 * g * H) + 2 * D * H;
    return {fwd, fwd + (2 * fwd - 2 * g * D), 2 * g * D + 2 * g * H};
}

double cpu_seconds()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}
double g_cpu_per_run = 0;  // process CPU seconds per timed run (all threads): robust to other load

// Times `f` repeatedly for about `budget` seconds (at least 3 runs after one warm-up); returns the
// median and the best time of one run.
template <class Fn> std::pair<double, double> time_runs(Fn&& f, double budget)
{
    f();  // warm-up (allocations, caches)
    std::vector<double> ts;
    const auto start = clk::now();
    const double cpu0 = cpu_seconds();
    while (ts.size() < 3 || (seconds_since(start) < budget && ts.size() < 1000)) {
        const auto t0 = clk::now();
        f();
        ts.push_back(seconds_since(t0));
    }
    g_cpu_per_run = (cpu_seconds() - cpu0) / static_cast<double>(ts.size());
    std::sort(ts.begin(), ts.end());
    return {ts[ts.size() / 2], ts.front()};
}

// Seconds for one product C = A·B (or += A·Bᵀ) at the given shape, best of several.
double gemm_seconds(index_t m, index_t k, index_t n, bool transposed_b, double budget)
{
    mat A = mat::Random(m, k), B = transposed_b ? mat::Random(n, k) : mat::Random(k, n), C = mat::Zero(m, n);
    auto r = time_runs(
        [&] {
            if (transposed_b)
                C.noalias() += A * B.transpose();
            else
                C.noalias() = A * B;
        },
        budget);
    return r.second;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 6) {
        std::fprintf(stderr, "usage: %s train|embed|sgemm D H F B [seconds]\n", argv[0]);
        return 2;
    }
    const std::string mode = argv[1];
    const index_t D = std::atol(argv[2]), H = std::atol(argv[3]), F = std::atol(argv[4]), B = std::atol(argv[5]);
    const double budget = argc > 6 ? std::atof(argv[6]) : 3.0;
    const index_t n = F * B;
    const flops fl = count(static_cast<double>(D), static_cast<double>(H));
#ifdef EIGEN_USE_BLAS
    const char* gemm_backend = "openblas";
#else
    const char* gemm_backend = "eigen";
#endif

    if (mode == "sgemm") {
        // The model's GEMMs at the shapes a training step / embedding runs them, each timed alone
        // (best of runs). Ceiling = FLOPs / Σ best times: what a step made only of these GEMMs
        // would achieve. Also the single large-GEMM peak (encoder input projection of a frame).
        const double b = budget / 12;
        const index_t G = 4 * H;
        // forward
        const double t_enc_in = gemm_seconds(G, D, n, false, b);
        const double t_rec = gemm_seconds(G, H, B, false, b) * static_cast<double>(F);  // per position
        const double t_dec_in = gemm_seconds(G, H, n, false, b);
        const double t_out = gemm_seconds(D, H, n, false, b);
        // backward: weight gradients (dW += dA·Xᵀ) and input gradients (Wᵀ·dA)
        const double t_dW_enc = gemm_seconds(G, n, D, true, b);
        const double t_dW_h = gemm_seconds(G, n, H, true, b);  // dU, dW_dec (×3 with dec input)
        const double t_dV = gemm_seconds(D, n, H, true, b);
        const double t_dx_dec = gemm_seconds(H, G, n, false, b);
        const double t_drec = gemm_seconds(H, G, B, false, b) * static_cast<double>(F);
        const double t_dh_out = gemm_seconds(H, D, n, false, b);
        const double t_fwd = t_enc_in + 2 * t_rec + t_dec_in + t_out;
        const double t_train = t_fwd + t_dW_enc + 3 * t_dW_h + t_dV + t_dx_dec + 2 * t_drec + t_dh_out;
        const double t_embed = t_enc_in + t_rec;
        const double pos = static_cast<double>(n);
        std::printf("mode=sgemm D=%ld H=%ld F=%ld B=%ld threads=%d gemm=%s train_ceiling_gflops=%.1f "
                    "embed_ceiling_gflops=%.1f peak_gflops=%.1f train_ceiling_pos_s=%.0f embed_ceiling_pos_s=%.0f\n",
                    D, H, F, B, threads(), gemm_backend, fl.train * pos / t_train / 1e9, fl.embed * pos / t_embed / 1e9,
                    2.0 * G * D * pos / t_enc_in / 1e9, pos / t_train, pos / t_embed);
        return 0;
    }

    model_t model(D, H, F);
    model.initialize(42);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(0.f, 3.f);  // asinh of -log10 p values: roughly 0..3
    std::vector<float> x(static_cast<std::size_t>(D * n));
    for (auto& v : x) v = u(rng);

    model_t::workspace ws;
    frame_batch<float> fb;
    fb.positions = F;
    fb.batch = B;
    fb.x = x.data();
    const std::vector<index_t> lengths(static_cast<std::size_t>(B), F);
    fb.lengths = lengths.data();
    model_t::vector carry;
    long frames = 0;

    std::pair<double, double> r;
    double flop_per_pos = 0;
    if (mode == "train") {
        train_options to;
        to.streams = B;
        trainer<model_t> tr(model, to);  // the library's training step: forward, backward, clip, Adam
        r = time_runs(
            [&] {
                tr.step(fb);
                carry = tr.carry();  // the next frame of the same streams starts from h^e_F
                fb.h0 = carry.data();
                ++frames;
            },
            budget);
        flop_per_pos = fl.train;
    } else if (mode == "embed") {
        r = time_runs(
            [&] {
                model.encode(ws, fb);
                carry = ws.carry;
                fb.h0 = carry.data();
                ++frames;
            },
            budget);
        flop_per_pos = fl.embed;
    } else {
        std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
        return 2;
    }
    const double pos = static_cast<double>(n);
    std::printf("mode=%s D=%ld H=%ld F=%ld B=%ld threads=%d gemm=%s pos_s=%.0f best_pos_s=%.0f gflops=%.1f "
                "frames=%ld peak_rss_mib=%.1f cpu_s_per_step=%.4f\n",
                mode.c_str(), D, H, F, B, threads(), gemm_backend, pos / r.first, pos / r.second,
                flop_per_pos * pos / r.first / 1e9, frames, peak_rss_mib(), g_cpu_per_run);
    return 0;
}
