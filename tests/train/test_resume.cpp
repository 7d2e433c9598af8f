// Multi-region training: the epoch schedule (ordered or shuffled), and resuming a run stopped after
// any batch ends bit-identical to the uninterrupted run.
#include <epilstm/model/variants.hpp>
#include <epilstm/train/trainer.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <random>

using namespace epilstm;

namespace {

using rowmajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Three regions of different lengths held in memory, served through a region_source.
struct three_regions {
    std::vector<rowmajor> x;
    region_source<float> src;
    explicit three_regions(index_t D)
    {
        std::mt19937 rng(5);
        std::exponential_distribution<float> e(1.0f);
        for (index_t n : {230, 95, 410}) {
            rowmajor m(n, D);
            for (index_t i = 0; i < m.size(); ++i) m.data()[i] = std::asinh(e(rng));
            x.push_back(m);
        }
        src.tracks = D;
        src.names = {"a", "b", "c"};
        for (const auto& m : x) src.positions.push_back(m.rows());
        src.read = [this](index_t r, index_t first, index_t count, float* out, std::uint8_t* miss) {
            const auto& m = x[static_cast<std::size_t>(r)];
            std::memcpy(out, m.data() + first * m.cols(), sizeof(float) * static_cast<std::size_t>(count * m.cols()));
            std::memset(miss, 0, static_cast<std::size_t>(count));
        };
    }
};

bool same(const Eigen::VectorXf& a, const Eigen::VectorXf& b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(float) * std::size_t(a.size())) == 0;
}

}  // namespace

TEST_CASE("epoch schedules keep each region's frames in order", "[train][schedule]")
{
    const std::vector<index_t> frames{3, 1, 5};
    const auto plain = epoch_schedule(frames, false, 1, 0);
    REQUIRE(plain.size() == 9);
    CHECK(plain.front() == std::pair<index_t, index_t>{0, 0});
    CHECK(plain[3] == std::pair<index_t, index_t>{1, 0});
    for (long epoch : {0L, 1L}) {
        const auto s = epoch_schedule(frames, true, 42, epoch);
        REQUIRE(s.size() == 9);
        std::vector<index_t> next(3, 0);
        for (auto [r, k] : s) CHECK(k == next[static_cast<std::size_t>(r)]++);
        CHECK(next == frames);
        CHECK(s == epoch_schedule(frames, true, 42, epoch));  // a function of (seed, epoch)
    }
    CHECK(epoch_schedule(frames, true, 42, 0) != epoch_schedule(frames, true, 42, 1));
    CHECK(epoch_schedule(frames, true, 42, 0) != plain);
    // Runs of 2: every draw takes up to two consecutive frames of one region.
    const auto runs = epoch_schedule(frames, true, 7, 0, 2);
    REQUIRE(runs.size() == 9);
    std::vector<index_t> next(3, 0);
    for (std::size_t i = 0; i < runs.size();) {
        const auto [r, k] = runs[i];
        CHECK(k == next[static_cast<std::size_t>(r)]);
        const index_t take = std::min<index_t>(2, frames[static_cast<std::size_t>(r)] - k);
        for (index_t j = 0; j < take; ++j, ++i) CHECK(runs[i] == std::pair<index_t, index_t>{r, k + j});
        next[static_cast<std::size_t>(r)] += take;
    }
}

TEMPLATE_TEST_CASE("a run stopped after any batch resumes bit-identically", "[train][resume]", std::false_type,
                   std::true_type)
{
    const bool shuffle = TestType::value;
    const index_t D = 4;
    three_regions data(D);
    train_options o;
    o.streams = 3;
    o.shuffle = shuffle;
    o.seed = 17;
    o.shuffle_run = 2;
    using M = softsign_layer_norm<float>;

    M ref(D, 5, 20);
    ref.initialize(3);
    trainer<M> full(ref, o);
    double last_loss = 0;
    for (int e = 0; e < 2; ++e) last_loss = full.train_epoch(data.src).loss;

    for (long stop_after : {1L, 7L, 12L}) {  // of 13 batches (4 + 2 + 7 frames)
        M a(D, 5, 20);
        a.initialize(3);
        trainer<M> first(a, o);
        long batches = 0;
        const auto r = first.train_epoch(data.src, {}, [&](const trainer<M>&) { return ++batches < stop_after; });
        REQUIRE_FALSE(r.completed);
        REQUIRE(first.state().batch == stop_after);

        // A fresh model and trainer restored from what a checkpoint holds.
        M b(D, 5, 20);
        b.parameters() = a.parameters();
        trainer<M> second(b, o);
        second.optimizer().restore(first.optimizer().first_moment(), first.optimizer().second_moment(),
                                   first.optimizer().steps());
        second.restore(first.state());
        CHECK(second.train_epoch(data.src).completed);
        const double loss = second.train_epoch(data.src).loss;
        INFO("stopped after " << stop_after << " batches, shuffle " << shuffle);
        CHECK(same(b.parameters(), ref.parameters()));
        CHECK(loss == last_loss);
    }
}
