// gpu_bench: positions/s of the default Epi-LSTM (softsign, layer norm, paper wiring) on a CUDA GPU.
//
//   gpu_bench train|embed D H F B [seconds]
//
// train: one frame batch = forward + backward + gradient clipping + Adam, all on the device, with
//        the encoder hidden carried on the device from batch to batch;
// embed: the encoder alone (epilstm embed), carry on the device.
// The frame [D, F·B] is uploaded once (compute only); upload_gbs reports a pageable host→device copy
// of one frame for reference. Prints one key=value line. Timings: median of the steps run in
// `seconds` (default 3), after two warm-up steps.
#include <epilstm/cuda.cuh>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace epilstm;
using clk = std::chrono::steady_clock;
using device_t = cuda::cuda_device;
using model_t = epi_lstm<cell_spec<softsign, layer_norm>, paper_wiring, unidirectional, float, device_t>;

int main(int argc, char** argv)
{
    if (argc < 6) {
        std::fprintf(stderr, "usage: gpu_bench train|embed D H F B [seconds]\n");
        return 2;
    }
    const std::string mode = argv[1];
    const index_t D = std::atol(argv[2]), H = std::atol(argv[3]), F = std::atol(argv[4]), B = std::atol(argv[5]);
    const double budget = argc > 6 ? std::atof(argv[6]) : 3.0;
    if (cuda::device_count() == 0) {
        std::fprintf(stderr, "gpu_bench: no usable CUDA device; skipping\n");
        return 77;
    }
    try {
        device_t dev;
        model_t m(dev, D, H, F);
        std::mt19937 rng(1);
        const double k = 1.0 / std::sqrt(double(H));
        std::uniform_real_distribution<float> u(float(-k), float(k));
        std::vector<float> p(static_cast<std::size_t>(m.parameter_count()));
        for (auto& v : p) v = u(rng);
        m.set_parameters(p.data(), m.parameter_count());
        std::uniform_real_distribution<float> ux(0.f, 3.f);
        std::vector<float> x(static_cast<std::size_t>(D * F * B));
        for (auto& v : x) v = ux(rng);
        std::vector<index_t> lengths(static_cast<std::size_t>(B), F);
        frame_batch<float> hf{F, B, x.data(), nullptr, lengths.data(), nullptr};
        // train: the library's trainer (train/trainer.hpp), on a frame staged once; embed: the model.
        train_options to;
        to.streams = B;
        to.clip_norm = 1.0;
        trainer<model_t> tr(m, to);
        model_t::workspace ws;
        auto df = mode == "train" ? tr.stage(hf) : m.stage(ws, hf);
        dev.synchronize();
        const auto tu = clk::now();
        if (mode == "train")
            tr.stage(hf);
        else
            m.stage(ws, hf);
        dev.synchronize();
        const double upload_s = std::chrono::duration<double>(clk::now() - tu).count();

        buffer<float, device_t> carry;
        carry.resize(H * B);
        dev.fill(carry.data(), H * B, 0.f);
        df.h0 = carry.data();
        auto step = [&] {
            if (mode == "train") {
                tr.step_staged(df);
                dev.copy(carry.data(), tr.carry().data(), H * B);
            } else {
                m.encode(ws, df);
                dev.copy(carry.data(), ws.carry.data(), H * B);
            }
            dev.synchronize();
        };
        step();
        step();
        std::vector<double> ts;
        const auto start = clk::now();
        while (ts.size() < 3 || (std::chrono::duration<double>(clk::now() - start).count() < budget && ts.size() < 1000)) {
            const auto t0 = clk::now();
            step();
            ts.push_back(std::chrono::duration<double>(clk::now() - t0).count());
        }
        std::sort(ts.begin(), ts.end());
        const double n = double(F * B);
        cudaDeviceProp prop{};
        cudaGetDeviceProperties(&prop, 0);
        std::string gpu = prop.name;
        std::replace(gpu.begin(), gpu.end(), ' ', '_');
        std::printf("mode=gpu-%s gpu=%s D=%ld H=%ld F=%ld B=%ld pos_s=%.0f best_pos_s=%.0f step_ms=%.3f steps=%zu "
                    "upload_gbs=%.2f\n",
                    mode.c_str(), gpu.c_str(), long(D), long(H), long(F), long(B), n / ts[ts.size() / 2], n / ts[0],
                    1e3 * ts[ts.size() / 2], ts.size(), double(x.size() * sizeof(float)) / upload_s / 1e9);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gpu_bench: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
