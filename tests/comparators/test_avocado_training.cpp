// Training the Avocado model (train/avocado_trainer.hpp) on synthetic data made by a random small
// Avocado model itself (N = 16): the loss falls by a large factor from another seed, in memory
// and window by window; a seed gives bit-identical parameters and progress; lazy Adam touches only
// the batch's columns, with a per-column step count; fit_new_region fits held-out positions with the
// network and Ct / As bit-identical; missing pairs (NaN targets) are never sampled.
#include <epilstm/train/avocado_trainer.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <vector>

using namespace epilstm;

namespace {

using model_f = avocado_model<float>;

avocado_config small_config()
{
    avocado_config c;
    c.celltypes = 2;
    c.assays = 3;
    c.celltype_factors = 3;
    c.assay_factors = 3;
    c.genome_25_factors = 3;
    c.genome_250_factors = 2;
    c.genome_5k_factors = 2;
    c.layers = 2;
    c.units = 16;
    return c;
}

std::vector<avocado_track> small_tracks() { return {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 2}}; }

const float nan_f = std::nanf("");

/// The generating model: three regions (two to train on, one held out), factors of order 1.
model_f generator()
{
    model_f g(small_config(), small_tracks());
    g.add_region(g.make_region("r0", "chr1", 0, 600 * 25, 600));
    g.add_region(g.make_region("r1", "chr2", 0, 500 * 25, 500));
    g.add_region(g.make_region("held", "chr3", 0, 400 * 25, 400));
    g.initialize(11);
    g.celltype_factors() *= 20;
    g.assay_factors() *= 20;
    for (index_t r = 0; r < 3; ++r) {
        g.region(r).genome_25 *= 20;
        g.region(r).genome_250 *= 20;
        g.region(r).genome_5k *= 20;
    }
    const auto& ow = g.layout().at("out/W");
    g.parameters().segment(ow.offset, ow.size()) *= 4;  // signal of order 1
    return g;
}

/// Region r's data from the generator: every 37th position missing in all tracks, and in region
/// 1 the pairs with i % 5 == t unobserved; their signal is NaN, so sampling one poisons the loss.
avocado_region_data<float> data_of(const model_f& g, index_t r)
{
    avocado_region_data<float> d;
    d.signal = g.reconstruct(r);
    const index_t n = d.signal.rows(), nt = d.signal.cols();
    d.missing.assign(static_cast<std::size_t>(n), 0);
    for (index_t i = 0; i < n; i += 37) {
        d.missing[static_cast<std::size_t>(i)] = 1;
        d.signal.row(i).setConstant(nan_f);
    }
    if (r == 1) {
        d.observed.assign(static_cast<std::size_t>(n * nt), 1);
        for (index_t i = 0; i < n; ++i) {
            d.observed[static_cast<std::size_t>(i * nt + i % 5)] = 0;
            d.signal(i, i % 5) = nan_f;
        }
    }
    return d;
}

/// A fresh model (seed 2) with an in-memory store of the two training regions.
struct setup {
    model_f model{small_config(), small_tracks()};
    avocado_memory_regions<float> store;
    explicit setup(const model_f& g, std::uint64_t seed = 2)
    {
        model.initialize(seed);
        detail::splitmix64 rng(seed + 100);
        for (index_t r = 0; r < 2; ++r) {
            const auto& gr = g.region(r);
            auto f = model.make_region(gr.name, gr.chrom, gr.start, gr.end, gr.positions());
            model_f::initialize_region(f, rng);
            store.add(std::move(f), data_of(g, r));
        }
    }
};

avocado_train_options fast_options()
{
    avocado_train_options o;
    o.adam.learning_rate = 1e-2;
    o.batch_size = 512;
    o.seed = 5;
    return o;
}

/// The MSE of the store's regions under the model (observed pairs only).
double store_loss(model_f& m, avocado_trainer<float>& tr, const avocado_memory_regions<float>& store)
{
    double s = 0;
    for (index_t r = 0; r < store.size(); ++r) {
        const index_t k = m.add_region(store.slot(r).factors);
        s += static_cast<double>(tr.loss(k, store.slot(r).data));
        m.take_region(k);
    }
    return s / static_cast<double>(store.size());
}

bool same(const model_f& a, const model_f& b)
{
    return a.parameters() == b.parameters() && a.celltype_factors() == b.celltype_factors() &&
           a.assay_factors() == b.assay_factors();
}

bool same_factors(const avocado_region<float>& a, const avocado_region<float>& b)
{
    return a.genome_25 == b.genome_25 && a.genome_250 == b.genome_250 && a.genome_5k == b.genome_5k;
}

}  // namespace

TEST_CASE("training from another seed lowers the loss by a large factor", "[avocado][training]")
{
    const model_f g = generator();
    for (index_t window : {index_t(0), index_t(1)}) {
        DYNAMIC_SECTION("window of " << window << " regions")
        {
            setup s(g);
            auto o = fast_options();
            o.window_regions = window;
            avocado_trainer<float> tr(s.model, o);
            const double before = store_loss(s.model, tr, s.store);
            double last = 0;
            for (int e = 0; e < 150; ++e) {
                const auto rep = tr.train_epoch(s.store);
                REQUIRE(std::isfinite(rep.loss));  // a NaN target (missing pair) would poison it
                last = rep.loss;
            }
            const double after = store_loss(s.model, tr, s.store);
            INFO("loss before " << before << ", last epoch " << last << ", after " << after);
            CHECK(after < before / 20);
            CHECK(s.model.regions().empty());  // the window's regions went back to the store
            CHECK(tr.epochs() == 150);
        }
    }
}

TEST_CASE("the same seed gives bit-identical parameters and progress", "[avocado][training]")
{
    const model_f g = generator();
    auto run = [&](std::uint64_t seed, std::vector<double>& losses) {
        auto s = std::make_unique<setup>(g);
        auto o = fast_options();
        o.seed = seed;
        o.window_regions = 1;
        o.progress_every = 3;
        avocado_trainer<float> tr(s->model, o);
        for (int e = 0; e < 3; ++e)
            tr.train_epoch(s->store, [&](const avocado_progress& p) { losses.push_back(p.loss); });
        return s;
    };
    std::vector<double> la, lb, lc;
    const auto a = run(5, la), b = run(5, lb), c = run(6, lc);
    CHECK(same(a->model, b->model));
    CHECK(la == lb);
    CHECK(la.size() > 6);
    for (index_t r = 0; r < 2; ++r) {
        CHECK(same_factors(a->store.slot(r).factors, b->store.slot(r).factors));
        CHECK(a->store.slot(r).moments.genome_25.m == b->store.slot(r).moments.genome_25.m);
    }
    CHECK_FALSE(same(a->model, c->model));
}

TEST_CASE("lazy Adam updates only the touched columns, with a per-column step count", "[avocado][training]")
{
    using matrix = Eigen::MatrixXf;
    const adam_options o{};
    matrix theta = matrix::Random(4, 6);
    const matrix start = theta;
    avocado_factor_gradient<float> g;
    g.values = matrix::Zero(4, 6);
    g.values.col(1) = Eigen::VectorXf::Random(4);
    g.values.col(4) = Eigen::VectorXf::Random(4);
    g.touched = {1, 4};
    avocado_factor_moments<float> s;
    s.reset(4, 6);
    avocado_lazy_adam_step(theta, g, s, o);
    for (index_t c : {0, 2, 3, 5}) {
        CHECK(theta.col(c) == start.col(c));
        CHECK(s.m.col(c).isZero());
        CHECK(s.steps[static_cast<std::size_t>(c)] == 0);
    }
    CHECK(s.steps[1] == 1);
    CHECK(s.steps[4] == 1);
    // Column 1 against epilstm::adam on that column alone (the same rule, first step).
    Eigen::VectorXf p = start.col(1), gc = g.values.col(1);
    adam<float> dense(4, o);
    dense.step(p, gc);
    CHECK(theta.col(1) == p);
    // Only column 4 again: its count is 2, column 1's stays 1 and column 1 does not move.
    const matrix mid = theta;
    g.values.col(1).setZero();
    g.touched = {4};
    avocado_lazy_adam_step(theta, g, s, o);
    CHECK(theta.col(1) == mid.col(1));
    CHECK(s.steps[1] == 1);
    CHECK(s.steps[4] == 2);
    CHECK(theta.col(4) != mid.col(4));

    // In the trainer: one step of 64 samples; the G25 columns not sampled are unchanged.
    const model_f gen = generator();
    setup st(gen);
    const auto before = st.store.slot(0).factors;
    avocado_memory_regions<float> one;
    one.add(before, st.store.slot(0).data);
    auto opt = fast_options();
    opt.batch_size = 64;
    const auto pairs = static_cast<double>(600 - 17) * 5;  // 17 positions (0, 37, ...) are missing
    opt.passes = 64 / pairs;                                 // exactly one step
    avocado_trainer<float> tr(st.model, opt);
    const auto rep = tr.train_epoch(one);
    REQUIRE(rep.steps == 1);
    // The same draws as the trainer (one region: the shuffle draws nothing).
    avocado_pair_sampler sampler;
    sampler.add(one.slot(0).data, 0, 5);
    REQUIRE(sampler.pairs() == static_cast<std::uint64_t>(pairs));
    detail::splitmix64 rng(opt.seed);
    std::vector<avocado_sample> batch;
    sampler.sample(rng, 64, batch);
    std::set<index_t> sampled;
    for (const auto& b : batch) sampled.insert(b.position);
    const auto& after = one.slot(0).factors;
    index_t moved = 0;
    for (index_t i = 0; i < 600; ++i) {
        if (sampled.count(i)) {
            moved += after.genome_25.col(i) != before.genome_25.col(i);
            CHECK(one.slot(0).moments.genome_25.steps[static_cast<std::size_t>(i)] == 1);
        } else {
            CHECK(after.genome_25.col(i) == before.genome_25.col(i));
            CHECK(one.slot(0).moments.genome_25.steps[static_cast<std::size_t>(i)] == 0);
        }
    }
    CHECK(moved == static_cast<index_t>(sampled.size()));
}

TEST_CASE("fit_new_region fits held-out positions with the network and Ct, As frozen", "[avocado][training]")
{
    model_f g = generator();
    const avocado_region_data<float> held = data_of(g, 2);
    // The generator's network, Ct and As, without the held-out region's factors.
    model_f frozen = g;
    const avocado_region<float> truth = frozen.take_region(2);
    const model_f reference = frozen;

    auto fresh = frozen.make_region("held", truth.chrom, truth.start, truth.end, truth.positions());
    detail::splitmix64 init(77);
    model_f::initialize_region(fresh, init);

    avocado_trainer<float> tr(frozen, fast_options());
    auto loss_of = [&](const avocado_region<float>& f) {
        const index_t k = frozen.add_region(f);
        const double l = static_cast<double>(tr.loss(k, held));
        frozen.take_region(k);
        return l;
    };
    const double untrained = loss_of(fresh);
    std::vector<double> epochs;
    avocado_epoch_report rep;
    const auto fitted =
        tr.fit_new_region(held, fresh, 150, 9, [&](const avocado_progress& p) { epochs.push_back(p.loss); }, &rep);
    const double after = loss_of(fitted);
    INFO("untrained " << untrained << ", fitted " << after << ", last epoch " << rep.loss);
    CHECK(after < untrained / 20);
    CHECK(epochs.size() == 150);
    CHECK(std::isfinite(rep.loss));
    CHECK(same(frozen, reference));          // network, Ct, As bit-identical
    CHECK(frozen.regions().size() == 2);     // the model holds what it held
    CHECK(tr.steps() == 0);                  // no training step was counted
    // Same seed, same region; the missing positions' G25 columns never move.
    const auto again = tr.fit_new_region(held, fresh, 150, 9);
    CHECK(same_factors(again, fitted));
    for (index_t i = 0; i < 400; i += 37) CHECK(fitted.genome_25.col(i) == fresh.genome_25.col(i));
    // A name the model holds, or data of another length, is refused and the model is unchanged.
    auto clash = frozen.make_region("r0", "chr1", 0, 400 * 25, 400);
    CHECK_THROWS_AS(tr.fit_new_region(held, clash, 1, 9), input_error);
    auto shorter = frozen.make_region("short", "chr1", 0, 300 * 25, 300);
    CHECK_THROWS_AS(tr.fit_new_region(held, shorter, 1, 9), shape_error);
    CHECK(frozen.regions().size() == 2);
}

TEST_CASE("missing pairs are never sampled", "[avocado][training]")
{
    const model_f g = generator();
    avocado_pair_sampler sampler;
    const auto d0 = data_of(g, 0), d1 = data_of(g, 1);
    sampler.add(d0, 3, 5);
    sampler.add(d1, 4, 5);
    const std::uint64_t expected = (600 - 17) * 5 + (500 - 14) * 4;
    REQUIRE(sampler.pairs() == expected);
    detail::splitmix64 rng(1);
    std::vector<avocado_sample> batch;
    std::set<std::pair<index_t, index_t>> seen;
    for (int k = 0; k < 40; ++k) {
        sampler.sample(rng, 4096, batch);
        REQUIRE(batch.size() == 4096);
        for (const auto& s : batch) {
            REQUIRE((s.region == 3 || s.region == 4));
            const auto& d = s.region == 3 ? d0 : d1;
            REQUIRE_FALSE(std::isnan(d.signal(s.position, s.track)));
            REQUIRE(d.missing[static_cast<std::size_t>(s.position)] == 0);
            if (s.region == 4) REQUIRE(s.track != s.position % 5);
            seen.insert({s.region * 100000 + s.position, s.track});
        }
    }
    CHECK(seen.size() == expected);  // 160k draws cover every one of the ~4.9k observed pairs

    // Bad masks are refused.
    auto bad = d0;
    bad.missing.pop_back();
    CHECK_THROWS_AS(sampler.add(bad, 0, 5), shape_error);
    CHECK_THROWS_AS(sampler.add(d0, 0, 4), shape_error);
    // No observed pair: no sample, no step.
    avocado_region_data<float> none;
    none.signal.setZero(10, 5);
    none.missing.assign(10, 1);
    avocado_pair_sampler empty;
    empty.add(none, 0, 5);
    empty.sample(rng, 16, batch);
    CHECK(batch.empty());
}
