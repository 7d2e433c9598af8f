// Avocado training throughput (train/avocado_trainer.hpp), driven by bench/avocado_compare.sh:
//
//   avocado_bench C A N L B SECONDS [POSITIONS]
//
// The paper's widths (Fc 32, Fa 256, F25 25, F250 40, F5k 45), C x A tracks, N units in L hidden
// layers, one region of POSITIONS (default 20000) positions of random signal, batches of B
// (position, track) pairs, dense Adam on the network and lazy Adam on the factors. One warm-up
// step, then whole epochs of 2 steps until SECONDS have passed. Prints one key=value line:
// positions/s = training samples (pairs) per second.
#include <epilstm/train/avocado_trainer.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace epilstm;

int main(int argc, char** argv)
{
    if (argc < 7) {
        std::fprintf(stderr, "usage: avocado_bench C A N L B SECONDS [POSITIONS]\n");
        return 2;
    }
    avocado_config c;
    c.celltypes = std::atol(argv[1]);
    c.assays = std::atol(argv[2]);
    c.units = std::atol(argv[3]);
    c.layers = std::atol(argv[4]);
    const index_t B = std::atol(argv[5]);
    const double seconds = std::atof(argv[6]);
    const index_t n = argc > 7 ? std::atol(argv[7]) : 20000;

    std::vector<avocado_track> tracks;
    for (index_t i = 0; i < c.celltypes; ++i)
        for (index_t a = 0; a < c.assays; ++a) tracks.push_back({i, a});
    avocado_model<float> model(c, tracks);
    model.initialize(1);
    detail::splitmix64 rng(2);
    auto region = model.make_region("bench", "chr1", 0, 25L * n, n);
    avocado_model<float>::initialize_region(region, rng);
    avocado_region_data<float> data;
    data.signal.resize(n, model.track_count());
    for (index_t i = 0; i < data.signal.size(); ++i) data.signal.data()[i] = static_cast<float>(rng.uniform(0, 3));
    avocado_memory_regions<float> store;
    store.add(std::move(region), std::move(data));

    avocado_train_options o;
    o.batch_size = B;
    const double pairs = static_cast<double>(n) * static_cast<double>(model.track_count());
    o.passes = static_cast<double>(B) / pairs;  // 1 step per epoch (warm-up)
    {
        avocado_trainer<float> warm(model, o);
        warm.train_epoch(store);
    }
    o.passes = 2.0 * static_cast<double>(B) / pairs;  // 2 steps per epoch
    avocado_trainer<float> tr(model, o);
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    long samples = 0;
    double loss = 0, elapsed = 0;
    do {
        const auto rep = tr.train_epoch(store);
        samples += rep.samples;
        loss = rep.loss;
        elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    } while (elapsed < seconds);
    std::printf("impl=epilstm C=%ld A=%ld N=%ld L=%ld B=%ld steps=%ld seconds=%.3f positions_per_s=%.1f loss=%.4f\n",
                static_cast<long>(c.celltypes), static_cast<long>(c.assays), static_cast<long>(c.units),
                static_cast<long>(c.layers), static_cast<long>(B), tr.steps(), elapsed,
                static_cast<double>(samples) / elapsed, loss);
    return 0;
}
