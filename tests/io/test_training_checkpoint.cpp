// Resuming through a checkpoint file: stop a shuffled multi-region run mid-epoch, save parameters,
// Adam state and training progress, read them back into a fresh model, and finish: the result is
// bit-identical to the uninterrupted run.
#include <epilstm/io/checkpoint.hpp>
#include <epilstm/model/variants.hpp>
#include <epilstm/train/trainer.hpp>

#include <catch2/catch.hpp>

#include "../support/scratch.hpp"

#include <cstring>
#include <filesystem>
#include <random>

using namespace epilstm;
namespace fs = std::filesystem;

TEST_CASE("a run resumed from a checkpoint file ends bit-identical", "[io][checkpoint][resume]")
{
    using M = tanh_layer_norm<float>;
    using rowmajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const index_t D = 3, H = 4;
    std::mt19937 rng(9);
    std::normal_distribution<float> g(0.f, 1.f);
    std::vector<rowmajor> x;
    region_source<float> src;
    src.tracks = D;
    for (index_t n : {150, 61}) {
        rowmajor m(n, D);
        for (index_t i = 0; i < m.size(); ++i) m.data()[i] = g(rng);
        x.push_back(m);
        src.names.push_back("chr" + std::to_string(n));
        src.positions.push_back(n);
    }
    src.read = [&](index_t r, index_t first, index_t count, float* out, std::uint8_t* miss) {
        std::memcpy(out, x[std::size_t(r)].data() + first * D, sizeof(float) * std::size_t(count * D));
        std::memset(miss, 0, std::size_t(count));
    };
    train_options o;
    o.streams = 4;
    o.shuffle = true;
    o.seed = 123;

    M a(D, H, 10);
    a.initialize(1);
    trainer<M> first(a, o);
    first.train_epoch(src);
    int batches = 0;
    REQUIRE_FALSE(first.train_epoch(src, {}, [&](const trainer<M>&) { return ++batches < 3; }).completed);
    REQUIRE(first.state().carries.size() >= 1);

    const testing::temp_dir dir;
    const fs::path file = dir / "ck.h5";
    const io::optimizer_state opt{first.optimizer().first_moment(), first.optimizer().second_moment(),
                                  first.optimizer().steps()};
    const io::training_progress prog{&first.state(), schedule_options{o.streams, o.shuffle, o.seed}};
    io::write_checkpoint(file, a.config(), a.layout(), a.parameters(), &opt, nullptr, &prog);

    const auto ck = io::read_checkpoint(file, [](const model_config& c) { return M::layout_for(c); });
    REQUIRE(ck.training);
    CHECK(ck.training->epoch == 1);
    CHECK(ck.training->batch == 3);
    CHECK(ck.schedule.seed == 123);
    CHECK(ck.schedule.shuffle);
    CHECK(ck.schedule.streams == 4);
    CHECK(ck.training->carries.size() == first.state().carries.size());

    M b(ck.config);
    b.parameters() = ck.params;
    trainer<M> second(b, o);
    second.optimizer().restore(ck.optimizer->m, ck.optimizer->v, ck.optimizer->step);
    second.restore(*ck.training);
    CHECK(second.train_epoch(src).completed);

    // The uninterrupted reference: two whole epochs.
    M r2(D, H, 10);
    r2.initialize(1);
    trainer<M> t2(r2, o);
    t2.train_epoch(src);
    t2.train_epoch(src);
    CHECK(std::memcmp(b.parameters().data(), r2.parameters().data(), sizeof(float) * std::size_t(b.parameters().size())) == 0);
}

TEST_CASE("a checkpoint keeps the standardization, the mixing and the validation schedule", "[io][checkpoint]")
{
    using M = softsign_layer_norm<float>;
    M a(3, 4, 10);
    a.initialize(1);
    const testing::temp_dir dir;
    const fs::path file = dir / "ck.h5";
    training_state st;
    st.epoch = 4;
    st.lr_scale = 0.25;
    st.best_validation = 0.125;
    st.best_epoch = 2;
    st.epochs_since_best = 2;
    const io::training_progress prog{&st, schedule_options{8, false, 9, 5}};
    const track_standardization z{{0.5f, 1.f, -2.f}, {1.f, 2.f, 0.25f}};
    io::write_checkpoint(file, a.config(), a.layout(), a.parameters(), nullptr, nullptr, &prog, nullptr, &z);
    const auto ck = io::read_checkpoint(file, [](const model_config& c) { return M::layout_for(c); });
    CHECK(ck.standardization.mean == z.mean);
    CHECK(ck.standardization.sd == z.sd);
    CHECK(ck.schedule.mix_frames == 5);
    REQUIRE(ck.training);
    CHECK(ck.training->lr_scale == 0.25);
    CHECK(ck.training->best_validation == 0.125);
    CHECK(ck.training->best_epoch == 2);
    CHECK(ck.training->epochs_since_best == 2);

    // Without them: no standardization, by-region schedule, a fresh validation state.
    const fs::path plain = dir / "plain.h5";
    const training_state fresh;
    const io::training_progress p2{&fresh, schedule_options{8, false, 9}};
    io::write_checkpoint(plain, a.config(), a.layout(), a.parameters(), nullptr, nullptr, &p2);
    const auto c2 = io::read_checkpoint(plain, [](const model_config& c) { return M::layout_for(c); });
    CHECK(c2.standardization.empty());
    CHECK(c2.schedule.mix_frames == 0);
    CHECK(c2.training->best_validation < 0);

    // A standardization of the wrong width, or with sd 0, is refused on write.
    const track_standardization narrow{{0.f}, {1.f}}, zero{{0.f, 0.f, 0.f}, {1.f, 0.f, 1.f}};
    CHECK_THROWS_AS(io::write_checkpoint(dir / "bad.h5", a.config(), a.layout(), a.parameters(), nullptr, nullptr,
                                         nullptr, nullptr, &narrow),
                    input_error);
    CHECK_THROWS_AS(io::write_checkpoint(dir / "bad.h5", a.config(), a.layout(), a.parameters(), nullptr, nullptr,
                                         nullptr, nullptr, &zero),
                    input_error);
    CHECK_FALSE(fs::exists(dir / "bad.h5"));
}
