// Frame iteration: streams are contiguous, cover every position once, carry their hidden state
// across frames, and are independent of each other (batching B streams = running each alone).
#include <epilstm/data/frame_streams.hpp>
#include <epilstm/model/variants.hpp>
#include <epilstm/train/trainer.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

using namespace epilstm;

namespace {
Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> random_signal(index_t N, index_t D, unsigned seed)
{
    std::mt19937 rng(seed);
    std::exponential_distribution<double> e(1.0);
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> x(N, D);
    for (index_t i = 0; i < x.size(); ++i) x.data()[i] = std::asinh(e(rng));
    return x;
}
}  // namespace

TEST_CASE("frame_streams covers every position exactly once, short frames last", "[data][frames]")
{
    const index_t N = 23, D = 2, B = 3, F = 4;
    auto x = random_signal(N, D, 1);
    for (index_t r = 0; r < N; ++r) x(r, 0) = static_cast<double>(r);  // tag rows
    frame_streams<double> fs(x.data(), D, N, B, F);
    REQUIRE(fs.streams() == 3);
    CHECK(fs.stream_length(0) == 7);
    CHECK(fs.stream_length(1) == 8);
    CHECK(fs.stream_length(2) == 8);
    REQUIRE(fs.frames() == 2);
    std::vector<int> seen(static_cast<std::size_t>(N), 0);
    frame_batch<double> fb;
    for (index_t k = 0; k < fs.frames(); ++k) {
        fs.load(k, fb);
        CHECK(fb.positions == 4);
        for (index_t b = 0; b < B; ++b)
            for (index_t t = 0; t < fb.lengths[b]; ++t) {
                const auto row = static_cast<index_t>(fb.x[(t * B + b) * D]);
                CHECK(row == fs.row(k, b, t));
                ++seen[static_cast<std::size_t>(row)];
            }
    }
    CHECK(std::vector<index_t>(fb.lengths, fb.lengths + B) == std::vector<index_t>{3, 4, 4});
    for (int s : seen) CHECK(s == 1);
    // Padding positions are excluded from the loss.
    CHECK(fb.weight[3 * B + 0] == 0.0);
    CHECK(fb.weight[3 * B + 1] == 1.0);
}

TEST_CASE("frame_streams rejects empty input", "[data][frames]")
{
    std::vector<double> x(4, 0.0);
    CHECK_THROWS_AS(frame_streams<double>(x.data(), 2, 0, 1, 3), shape_error);
    CHECK_THROWS_AS(frame_streams<double>(x.data(), 2, 2, 0, 3), shape_error);
    CHECK_THROWS_AS(frame_streams<double>(x.data(), 2, 2, 1, 0), shape_error);
}

TEMPLATE_TEST_CASE("B streams in one batch equal each stream run alone (carry across frames)", "[data][carry]",
                   (softsign_layer_norm<double>), (bidirectional_epi_lstm<cell_spec<tanh_activation, no_norm>, double>))
{
    const index_t N = 23, D = 3, H = 4, F = 4, B = 3;
    TestType m(D, H, F);
    m.initialize(9);
    const auto x = random_signal(N, D, 2);
    const index_t E = m.embedding_size();
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> emb(N, E), rec(N, D);
    run_model(m, signal_view<double>{x.data(), N, D, nullptr}, B, emb.data(), rec.data());

    frame_streams<double> fs(x.data(), D, N, B, F);
    for (index_t b = 0; b < B; ++b) {
        const index_t s0 = fs.stream_start(b), len = fs.stream_length(b);
        Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> e1(len, E), r1(len, D);
        run_model(m, signal_view<double>{x.data() + s0 * D, len, D, nullptr}, 1, e1.data(), r1.data());
        CHECK((e1 - emb.middleRows(s0, len)).cwiseAbs().maxCoeff() < 1e-12);
        CHECK((r1 - rec.middleRows(s0, len)).cwiseAbs().maxCoeff() < 1e-12);
    }
}

TEST_CASE("the encoder hidden is carried to the next frame and the cell is reset", "[data][carry]")
{
    const index_t N = 10, D = 3, H = 4, F = 5;
    softsign_layer_norm<double> m(D, H, F);
    m.initialize(3);
    const auto x = random_signal(N, D, 4);
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> emb(N, H);
    run_model(m, signal_view<double>{x.data(), N, D, nullptr}, 1, emb.data());

    // Frame 2 by hand: h0 = h^e_5 of frame 1 (carried), c0 = 0.
    frame_batch<double> fb;
    fb.positions = F;
    fb.batch = 1;
    const index_t lengths[] = {F};
    fb.lengths = lengths;
    const Eigen::MatrixXd h0 = emb.row(F - 1).transpose();
    fb.h0 = h0.data();
    fb.x = x.data() + F * D;
    softsign_layer_norm<double>::workspace ws;
    m.encode(ws, fb);
    const Eigen::Map<const Eigen::MatrixXd> e(ws.embedding.data(), H, F);
    for (index_t t = 0; t < F; ++t) CHECK((e.col(t).transpose() - emb.row(F + t)).norm() < 1e-14);
    // Without the carry, the second frame differs.
    fb.h0 = nullptr;
    m.encode(ws, fb);
    CHECK((Eigen::Map<const Eigen::VectorXd>(ws.embedding.data(), H).transpose() - emb.row(F)).norm() > 1e-6);
}

TEST_CASE("frames_for agrees with frame_streams::frames", "[data][frames]")
{
    std::vector<double> x(2 * 1000, 0.0);
    for (index_t n : {1, 7, 99, 100, 101, 643, 1000})
        for (index_t b : {1, 3, 8, 64})
            for (index_t f : {1, 10, 100}) {
                frame_streams<double> fs(x.data(), 2, n, b, f);
                INFO("N " << n << " B " << b << " F " << f);
                CHECK(frame_streams<double>::frames_for(n, b, f) == fs.frames());
            }
}

TEST_CASE("frame batches read on several threads equal one thread's; a reused buffer's tail is zero",
          "[data][frames]")
{
    const index_t N = 61, D = 5, B = 7, F = 4;
    auto x = random_signal(N, D, 3);
    std::vector<std::uint8_t> missing(static_cast<std::size_t>(N), 0);
    for (index_t i = 0; i < N; i += 5) missing[static_cast<std::size_t>(i)] = 1;
    frame_streams<double> one(x.data(), D, N, B, F, missing.data());
    frame_streams<double> many(x.data(), D, N, B, F, missing.data());
    many.set_read_threads(3);
    REQUIRE(one.frames() == 3);  // streams of 8 and 9 positions: frame 2 is short, and empty for some
    frame_batch<double> a, b;
    for (index_t k = 0; k < one.frames(); ++k) {
        one.load(k, a);
        many.load(k, b);
        REQUIRE(a.positions == b.positions);
        const auto n = static_cast<std::size_t>(a.positions * B);
        CHECK(std::vector<double>(a.x, a.x + n * D) == std::vector<double>(b.x, b.x + n * D));
        CHECK(std::vector<double>(a.weight, a.weight + n) == std::vector<double>(b.weight, b.weight + n));
        for (index_t s = 0; s < B; ++s)
            for (index_t t = 0; t < a.positions; ++t) {
                const double* col = b.x + (t * B + s) * D;
                if (t >= b.lengths[s]) {  // past the stream's end: zeros and no loss, whatever was there
                    CHECK(b.weight[t * B + s] == 0.0);
                    for (index_t d = 0; d < D; ++d) CHECK(col[d] == 0.0);
                } else {
                    const index_t row = many.row(k, s, t);
                    CHECK(col[D - 1] == x(row, D - 1));
                    CHECK(b.weight[t * B + s] == (missing[static_cast<std::size_t>(row)] ? 0.0 : 1.0));
                }
            }
    }
    CHECK(std::count(b.lengths, b.lengths + B, index_t{0}) > 0);  // the last frame had ended streams

    // A reader that fails on one stream: the load reports it, on any number of threads.
    auto failing = [&](index_t first, index_t count, double* out, std::uint8_t* miss) {
        if (first >= 30 && first < 38) throw input_error("stream at row " + std::to_string(first) + " unreadable");
        memory_reader<double>(x.data(), D)(first, count, out, miss);
    };
    frame_streams<double> bad(failing, D, N, B, F);
    bad.set_read_threads(4);
    CHECK_THROWS_WITH(bad.load(0, b), Catch::Contains("unreadable"));
}
