// Mixed minibatches (data/segment_streams.hpp), per-track standardization
// (data/standardization.hpp, applied by sessions) and the validated run (train/run.hpp: best
// epoch, learning-rate decay, early stopping).
#include <epilstm/data/segment_streams.hpp>
#include <epilstm/data/standardization.hpp>
#include <epilstm/model/variants.hpp>
#include <epilstm/train/run.hpp>
#include <epilstm/train/session.hpp>
#include <epilstm/train/trainer.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <set>

using namespace epilstm;

namespace {

using rowmajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Regions of Gaussian signal with per-track offsets and scales (track d ~ N(2d, (d+1)²)), the
/// position index encoded in track 0's fractional part-free copy in `x` for checks.
struct regions {
    index_t D;
    std::vector<rowmajor> x;
    std::vector<std::vector<std::uint8_t>> missing;
    region_source<float> src;

    regions(index_t tracks, std::vector<index_t> lengths, unsigned seed) : D(tracks)
    {
        std::mt19937 rng(seed);
        std::normal_distribution<float> g(0.f, 1.f);
        src.tracks = D;
        for (std::size_t r = 0; r < lengths.size(); ++r) {
            rowmajor m(lengths[r], D);
            for (index_t i = 0; i < m.rows(); ++i)
                for (index_t d = 0; d < D; ++d) m(i, d) = 2.f * float(d) + float(d + 1) * g(rng);
            x.push_back(m);
            std::vector<std::uint8_t> miss(static_cast<std::size_t>(lengths[r]), 0);
            if (lengths[r] > 5) miss[3] = 1;  // one position without data
            missing.push_back(miss);
            src.names.push_back("region" + std::to_string(r));
            src.positions.push_back(lengths[r]);
        }
        src.read = [this](index_t r, index_t first, index_t count, float* out, std::uint8_t* miss) {
            std::memcpy(out, x[std::size_t(r)].data() + first * D, sizeof(float) * std::size_t(count * D));
            std::memcpy(miss, missing[std::size_t(r)].data() + first, std::size_t(count));
        };
    }
    regions(const regions&) = delete;
};

}  // namespace

TEST_CASE("segments cover every region exactly once, at most frames·F long", "[data][mixing]")
{
    const std::vector<index_t> positions{250, 7, 0, 1001};
    const auto segs = cut_segments(positions, 10, 3);
    std::vector<index_t> covered(positions.size(), 0);
    index_t expect_first = 0, last_region = -1;
    for (const auto& s : segs) {
        CHECK(s.length > 0);
        CHECK(s.length <= 30);
        if (s.region != last_region) expect_first = 0;
        CHECK(s.first == expect_first);  // contiguous, in order
        expect_first = s.first + s.length;
        last_region = s.region;
        covered[std::size_t(s.region)] += s.length;
    }
    CHECK(covered == positions);
    CHECK(segs.size() == 9 + 1 + 0 + 34);

    // Groups: every segment once, at most B per group, a function of (seed, epoch).
    const auto g1 = segment_groups(segs, 4, 7, 0), g1b = segment_groups(segs, 4, 7, 0), g2 = segment_groups(segs, 4, 7, 1);
    CHECK(g1 == g1b);
    CHECK(g1 != g2);
    std::size_t n = 0;
    std::set<std::pair<index_t, index_t>> seen;
    for (const auto& g : g1) {
        CHECK(g.size() <= 4);
        n += g.size();
        for (const auto& s : g) seen.insert({s.region, s.first});
    }
    CHECK(n == segs.size());
    CHECK(seen.size() == segs.size());
    // Mixed: the groups hold streams of several regions (by region, each would hold one).
    std::size_t mixed_groups = 0;
    for (const auto& g : g1) {
        std::set<index_t> rs;
        for (const auto& s : g) rs.insert(s.region);
        mixed_groups += rs.size() > 1;
    }
    CHECK(mixed_groups >= 3);
}

TEST_CASE("segment_loader puts each segment's frame k in its stream", "[data][mixing]")
{
    const regions data(3, {50, 23}, 1);
    const std::vector<segment> group{{0, 10, 25}, {1, 0, 23}, {0, 40, 10}};
    segment_loader<float> loader;
    frame_batch<float> fb;
    const index_t F = 10;
    REQUIRE(group_frames(group, F) == 3);
    loader.load(data.src, group, F, 2, fb);
    CHECK(fb.batch == 3);
    CHECK(fb.positions == 5);
    CHECK(fb.lengths[0] == 5);
    CHECK(fb.lengths[1] == 3);
    CHECK(fb.lengths[2] == 0);
    for (index_t b = 0; b < 2; ++b)
        for (index_t t = 0; t < fb.lengths[b]; ++t) {
            const auto& s = group[std::size_t(b)];
            for (index_t d = 0; d < 3; ++d)
                CHECK(fb.x[(t * 3 + b) * 3 + d] == data.x[std::size_t(s.region)](s.first + 2 * F + t, d));
        }
    CHECK_THROWS_AS(loader.load(data.src, group, F, 3, fb), error);
}

TEST_CASE("mixed training: bit-identical for a seed, and resumable mid-epoch", "[train][mixing]")
{
    using M = softsign_layer_norm<float>;
    const regions data(3, {180, 61, 95}, 2);
    train_options o;
    o.streams = 3;
    o.mix_frames = 2;
    o.seed = 5;
    auto run = [&](int stop_after) {
        M m(3, 4, 10);
        m.initialize(1);
        trainer<M> t(m, o);
        int n = 0;
        const pass_result p = t.train_epoch(data.src, {}, [&](const trainer<M>&) { return ++n != stop_after; });
        if (!p.completed) {
            // Restart from the saved state in a fresh trainer, as a checkpoint would.
            M m2(3, 4, 10);
            m2.parameters() = m.parameters();
            trainer<M> t2(m2, o);
            t2.optimizer().restore(t.optimizer().first_moment(), t.optimizer().second_moment(), t.optimizer().steps());
            t2.restore(t.state());
            CHECK(t2.train_epoch(data.src).completed);
            t2.train_epoch(data.src);
            return Eigen::VectorXf(m2.parameters());
        }
        t.train_epoch(data.src);
        return Eigen::VectorXf(m.parameters());
    };
    const Eigen::VectorXf a = run(-1), b = run(-1), c = run(4);
    CHECK(std::memcmp(a.data(), b.data(), sizeof(float) * std::size_t(a.size())) == 0);
    CHECK(std::memcmp(a.data(), c.data(), sizeof(float) * std::size_t(a.size())) == 0);
    // Another seed mixes differently.
    o.seed = 6;
    const Eigen::VectorXf d = run(-1);
    CHECK(std::memcmp(a.data(), d.data(), sizeof(float) * std::size_t(a.size())) != 0);
}

TEST_CASE("standardization: statistics of the positions with data, applied and undone", "[data][standardization]")
{
    const regions data(3, {400, 300}, 3);
    const track_standardization st = compute_standardization(data.src, 64);  // chunked reads
    REQUIRE(st.tracks() == 3);
    for (index_t d = 0; d < 3; ++d) {
        double s = 0, q = 0, n = 0;
        for (std::size_t r = 0; r < 2; ++r)
            for (index_t i = 0; i < data.x[r].rows(); ++i) {
                if (data.missing[r][std::size_t(i)]) continue;
                s += data.x[r](i, d);
                q += double(data.x[r](i, d)) * data.x[r](i, d);
                n += 1;
            }
        const double mu = s / n, sd = std::sqrt(q / n - mu * mu);
        CHECK(st.mean[std::size_t(d)] == Approx(mu).epsilon(1e-5));
        CHECK(st.sd[std::size_t(d)] == Approx(sd).epsilon(1e-5));
        CHECK(st.sd[std::size_t(d)] == Approx(double(d + 1)).epsilon(0.15));  // the generating scale
    }
    // Through a standardized source: mean 0, sd 1; a missing position reads as 0.
    const region_source<float> z = standardized(data.src, st);
    rowmajor rows(400, 3);
    std::vector<std::uint8_t> miss(400);
    z.read(0, 0, 400, rows.data(), miss.data());
    CHECK(miss[3] == 1);
    CHECK(rows.row(3).norm() == 0.0f);
    CHECK(rows(10, 2) == Approx((data.x[0](10, 2) - st.mean[2]) / st.sd[2]));
    std::vector<float> col(rows.row(10).data(), rows.row(10).data() + 3);
    st.undo(col.data(), 1);
    for (index_t d = 0; d < 3; ++d) CHECK(col[std::size_t(d)] == Approx(data.x[0](10, d)).margin(1e-5));

    track_standardization bad = st;
    bad.sd[1] = 0;
    CHECK_THROWS_AS(bad.check(3, "test"), input_error);
    CHECK_THROWS_AS(st.check(4, "test"), input_error);
}

TEST_CASE("a standardizing session is the model on standardized input, mapped back", "[train][standardization]")
{
    using M = softsign_layer_norm<float>;
    const regions data(3, {120}, 4);
    M m(3, 4, 10);
    m.initialize(2);
    typed_session<M> plain(m.config(), m.parameters().data()), standard(m.config(), m.parameters().data());
    const track_standardization st = compute_standardization(data.src);
    standard.set_standardization(st);
    CHECK_THROWS_AS(plain.set_standardization(track_standardization{{0.f}, {1.f}}), input_error);

    std::vector<float> emb_s(120 * 4), rec_s(120 * 3), emb_p(120 * 4), rec_p(120 * 3);
    auto collect = [](std::vector<float>& e, std::vector<float>& r) {
        return [&e, &r](index_t first, const column_block<float>& emb, const column_block<float>* rec) {
            std::copy_n(emb.data(), emb.rows() * emb.cols(), e.data() + first * emb.rows());
            std::copy_n(rec->data(), rec->rows() * rec->cols(), r.data() + first * rec->rows());
        };
    };
    model_session &std_s = standard, &plain_s = plain;  // the interface's defaults
    std_s.run_region(data.src, 0, 2, true, collect(emb_s, rec_s));
    plain_s.run_region(standardized(data.src, st), 0, 2, true, collect(emb_p, rec_p));
    CHECK(emb_s == emb_p);
    st.undo(rec_p.data(), 120);
    CHECK(rec_s == rec_p);
}

TEST_CASE("a validated run keeps the best epoch, decays the rate and stops early", "[train][validation]")
{
    using M = softsign_layer_norm<float>;
    const regions train(3, {200, 150}, 5), valid(3, {90}, 6);
    M m(3, 4, 10);
    m.initialize(3);
    typed_session<M> s(m.config(), m.parameters().data());
    train_options to;
    to.streams = 4;
    to.adam.learning_rate = 1e-2;
    s.start_training(to);

    run_options ro;
    ro.epochs = 10;
    ro.checkpoint_minutes = 0;
    ro.validation = &valid.src;
    ro.validation_streams = 2;
    ro.patience = 2;
    ro.lr_patience = 1;
    ro.lr_decay = 0.5;
    ro.min_improvement = 0.999;  // no epoch after the first can improve by 99.9 %: stop after epoch 3
    int saves = 0, bests = 0;
    std::vector<double> losses;
    run_callbacks cb;
    cb.save = [&] { ++saves; };
    cb.save_best = [&] { ++bests; };
    cb.validated = [&](long, double loss, bool, double) { losses.push_back(loss); };
    const run_outcome out = run_training(s, train.src, ro, cb);
    CHECK(out.how == run_outcome::status::early_stopped);
    CHECK(out.epoch == 3);
    CHECK(s.state().epoch == 3);
    CHECK(s.state().best_epoch == 1);
    CHECK(bests == 1);
    CHECK(saves == 3);
    CHECK(s.state().epochs_since_best == 2);
    CHECK(s.state().lr_scale == 0.25);
    REQUIRE(losses.size() == 3);
    CHECK(s.state().best_validation == losses[0]);
    // The validation loss is the session's reconstruction loss of the validation regions.
    CHECK(reconstruction_loss(s, valid.src, 2).loss == Approx(losses[2]).epsilon(1e-12));
    // Resuming an early-stopped run trains no more.
    CHECK(run_training(s, train.src, ro, cb).how == run_outcome::status::early_stopped);
    CHECK(s.state().epoch == 3);
}
