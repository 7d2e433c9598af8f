// Central-difference gradient checks (float64) of the Avocado model's MSE loss with respect to
// every dense parameter and every factor entry (model/avocado.hpp), on tiny sizes: two regions,
// repeated positions and tracks in the batch (so scatter-add accumulation is exercised), and
// positions in more than one G250 / G5k row.
#include <epilstm/model/avocado.hpp>
#include <epilstm/testing/gradient_check.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <vector>

using namespace epilstm;

namespace {

using model_d = avocado_model<double>;

avocado_config tiny_config()
{
    avocado_config c;
    c.celltypes = 2;
    c.assays = 3;
    c.celltype_factors = 2;
    c.assay_factors = 3;
    c.genome_25_factors = 2;
    c.genome_250_factors = 2;
    c.genome_5k_factors = 2;
    c.layers = 2;
    c.units = 5;
    return c;
}

/// Five tracks over 2 cell types × 3 assays (one pair missing, as in a real store).
std::vector<avocado_track> tiny_tracks() { return {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 2}}; }

/// A tiny model with two regions (450 and 30 positions), values of order 1 so no ReLU sits at 0
/// by accident, and biases away from 0.
model_d tiny_model(std::uint64_t seed)
{
    model_d m(tiny_config(), tiny_tracks());
    m.add_region(m.make_region("r0", "chr1", 0, 450 * 25, 450));
    m.add_region(m.make_region("r1", "chr2", 1000, 1000 + 30 * 25, 30));
    m.initialize(seed);
    m.celltype_factors() *= 10;
    m.assay_factors() *= 10;
    for (index_t r = 0; r < 2; ++r) {
        m.region(r).genome_25 *= 10;
        m.region(r).genome_250 *= 10;
        m.region(r).genome_5k *= 10;
    }
    std::mt19937_64 rng(seed + 1);
    std::uniform_real_distribution<double> u(-0.3, 0.3);
    for (const auto& t : m.layout().tensors())
        if (t.rank == 1)
            for (index_t i = 0; i < t.size(); ++i) m.parameters()[t.offset + i] = u(rng);
    return m;
}

/// Pointers to every trainable value of the model, in a fixed order, so a flat vector can be
/// copied in and out.
std::vector<double*> all_values(model_d& m)
{
    std::vector<double*> p;
    auto add = [&](auto& x) {
        for (index_t i = 0; i < x.size(); ++i) p.push_back(x.data() + i);
    };
    add(m.parameters());
    add(m.celltype_factors());
    add(m.assay_factors());
    for (index_t r = 0; r < static_cast<index_t>(m.regions().size()); ++r) {
        add(m.region(r).genome_25);
        add(m.region(r).genome_250);
        add(m.region(r).genome_5k);
    }
    return p;
}

/// The analytic gradient flattened in all_values' order.
Eigen::VectorXd flatten(const avocado_gradients<double>& g)
{
    std::vector<double> v(g.dense.data(), g.dense.data() + g.dense.size());
    auto add = [&](const Eigen::MatrixXd& x) { v.insert(v.end(), x.data(), x.data() + x.size()); };
    add(g.celltype.values);
    add(g.assay.values);
    for (const auto& r : g.regions) {
        add(r.genome_25.values);
        add(r.genome_250.values);
        add(r.genome_5k.values);
    }
    return Eigen::Map<Eigen::VectorXd>(v.data(), static_cast<index_t>(v.size()));
}

std::vector<avocado_sample> tiny_batch()
{
    // Positions 0, 9, 10, 199, 200, 449 of r0 cover G250 rows 0, 0, 1, 19, 20, 44 and G5k rows
    // 0, 0, 0, 0, 1, 2; (track 1, r0, 9) appears twice.
    return {{0, 0, 0}, {1, 0, 9}, {2, 0, 10}, {3, 0, 199}, {4, 0, 200}, {1, 0, 449}, {1, 0, 9},
            {0, 1, 0}, {3, 1, 11}, {4, 1, 29}, {2, 1, 15}, {0, 0, 210}};
}

Eigen::VectorXd targets_for(index_t b, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n(0.5, 1.0);
    Eigen::VectorXd y(b);
    for (index_t i = 0; i < b; ++i) y[i] = n(rng);
    return y;
}

double loss_of(const model_d& m, const std::vector<avocado_sample>& batch, const Eigen::VectorXd& y)
{
    avocado_cache<double> cache;
    const auto& p = m.forward(batch, cache);
    return (p - y).squaredNorm() / static_cast<double>(batch.size());
}

}  // namespace

TEST_CASE("every dense parameter and factor entry matches central differences")
{
    model_d m = tiny_model(11);
    const auto batch = tiny_batch();
    const Eigen::VectorXd y = targets_for(static_cast<index_t>(batch.size()), 5);

    avocado_cache<double> cache;
    auto grads = m.make_gradients();
    m.forward(batch, cache);
    const double loss = m.backward(batch, y, cache, grads);
    CHECK(loss == Approx(loss_of(m, batch, y)).epsilon(1e-14));

    const Eigen::VectorXd analytic = flatten(grads);
    const std::vector<double*> ptrs = all_values(m);
    REQUIRE(static_cast<index_t>(ptrs.size()) == analytic.size());
    Eigen::VectorXd v(analytic.size());
    for (index_t i = 0; i < v.size(); ++i) v[i] = *ptrs[static_cast<std::size_t>(i)];
    const auto result = testing::check_gradient(
        [&] {
            for (index_t i = 0; i < v.size(); ++i) *ptrs[static_cast<std::size_t>(i)] = v[i];
            return loss_of(m, batch, y);
        },
        v, analytic, 1e-6, 1e-7);
    INFO("worst index " << result.worst_index << " of " << v.size() << ", analytic "
                        << (result.worst_index >= 0 ? analytic[result.worst_index] : 0.0));
    CHECK(result.checked == v.size());
    CHECK(result.max_relative_error < 1e-6);
    // Not vacuous: the dense part and the touched factor rows do carry gradient.
    CHECK(grads.dense.cwiseAbs().maxCoeff() > 1e-3);
    CHECK(grads.regions[0].genome_5k.values.col(2).cwiseAbs().maxCoeff() > 1e-6);
}

TEST_CASE("touched columns are exactly the factor rows the batch read")
{
    model_d m = tiny_model(3);
    const auto batch = tiny_batch();
    const Eigen::VectorXd y = targets_for(static_cast<index_t>(batch.size()), 6);
    avocado_cache<double> cache;
    auto g = m.make_gradients();
    m.forward(batch, cache);
    m.backward(batch, y, cache, g);
    CHECK(g.celltype.touched == std::vector<index_t>{0, 1});
    CHECK(g.assay.touched == std::vector<index_t>{0, 1, 2});
    CHECK(g.regions[0].genome_25.touched == std::vector<index_t>{0, 9, 10, 199, 200, 210, 449});
    CHECK(g.regions[0].genome_250.touched == std::vector<index_t>{0, 1, 19, 20, 21, 44});
    CHECK(g.regions[0].genome_5k.touched == std::vector<index_t>{0, 1, 2});
    CHECK(g.regions[1].genome_25.touched == std::vector<index_t>{0, 11, 15, 29});
    CHECK(g.regions[1].genome_250.touched == std::vector<index_t>{0, 1, 2});
    CHECK(g.regions[1].genome_5k.touched == std::vector<index_t>{0});
    // Columns outside the touched lists are zero.
    Eigen::MatrixXd rest = g.regions[0].genome_25.values;
    for (index_t c : g.regions[0].genome_25.touched) rest.col(c).setZero();
    CHECK(rest.isZero(0));
}

TEST_CASE("a second backward leaves exactly the second batch's gradient")
{
    model_d m = tiny_model(4);
    const auto first = tiny_batch();
    const std::vector<avocado_sample> second = {{2, 1, 3}, {0, 0, 401}};
    const Eigen::VectorXd y1 = targets_for(static_cast<index_t>(first.size()), 7), y2 = targets_for(2, 8);
    avocado_cache<double> cache;
    auto reused = m.make_gradients(), fresh = m.make_gradients();
    m.forward(first, cache);
    m.backward(first, y1, cache, reused);
    m.forward(second, cache);
    m.backward(second, y2, cache, reused);
    m.forward(second, cache);
    m.backward(second, y2, cache, fresh);
    CHECK(flatten(reused) == flatten(fresh));
    CHECK(reused.regions[0].genome_25.touched == std::vector<index_t>{401});
    CHECK(reused.regions[1].genome_5k.touched == std::vector<index_t>{0});
}

TEST_CASE("float forward agrees with double forward")
{
    const model_d md = tiny_model(9);
    const avocado_model<float> mf = md.cast<float>();
    const auto batch = tiny_batch();
    avocado_cache<double> cd;
    avocado_cache<float> cf;
    const Eigen::VectorXd yd = md.forward(batch, cd);
    const Eigen::VectorXd yf = mf.forward(batch, cf).cast<double>();
    CHECK((yd - yf).cwiseAbs().maxCoeff() <= 1e-5 * std::max(1.0, yd.cwiseAbs().maxCoeff()));
}

TEST_CASE("reconstruction and embedding are the forward of every track at every position")
{
    const model_d m = tiny_model(12);
    const auto rec = m.reconstruct(1, 7);  // chunks of one position (7 / 5 tracks)
    const auto emb = m.region_embedding(1);
    REQUIRE(rec.rows() == 30);
    REQUIRE(rec.cols() == 5);
    REQUIRE(emb.rows() == 30);
    REQUIRE(emb.cols() == 6);
    avocado_cache<double> cache;
    for (index_t i : {0, 9, 10, 29}) {
        CHECK(emb.row(i).transpose() == m.embedding(1, i));
        for (index_t t = 0; t < 5; ++t) {
            const std::vector<avocado_sample> one = {{t, 1, i}};
            CHECK(rec(i, t) == Approx(m.forward(one, cache)[0]).epsilon(1e-12));
        }
    }
    CHECK(m.embedding(1, 15).tail(2) == m.region(1).genome_5k.col(0));
    CHECK(m.embedding(1, 15).segment(2, 2) == m.region(1).genome_250.col(1));
}

TEST_CASE("the default sizes are the paper's and initialization follows Keras' defaults")
{
    const avocado_config d;
    CHECK(d.celltype_factors == 32);
    CHECK(d.assay_factors == 256);
    CHECK(d.embedding_size() == 110);
    CHECK(d.layers == 2);
    CHECK(d.units == 2048);
    CHECK(avocado_rows_250(1) == 1);
    CHECK(avocado_rows_250(10) == 1);
    CHECK(avocado_rows_250(11) == 2);
    CHECK(avocado_rows_5k(200) == 1);
    CHECK(avocado_rows_5k(201) == 2);

    avocado_config c = tiny_config();
    c.units = 64;
    avocado_model<float> m(c, tiny_tracks());
    m.add_region(m.make_region("r", "chr1", 0, 2500, 100));
    m.initialize(1);
    const auto& l = m.layout();
    for (const auto& t : l.tensors()) {
        const auto v = m.parameters().segment(t.offset, t.size());
        if (t.rank == 1) {
            CHECK(v.isZero(0));
        } else {
            const double limit = std::sqrt(6.0 / static_cast<double>(t.rows + t.cols));
            CHECK(v.cwiseAbs().maxCoeff() <= limit);
            CHECK(v.cwiseAbs().maxCoeff() > 0.5 * limit);
        }
    }
    CHECK(m.region(0).genome_25.cwiseAbs().maxCoeff() <= 0.05f);
    CHECK(m.assay_factors().cwiseAbs().maxCoeff() > 0.02f);
    avocado_model<float> again(c, tiny_tracks());
    again.add_region(again.make_region("r", "chr1", 0, 2500, 100));
    again.initialize(1);
    CHECK(again.parameters() == m.parameters());
    CHECK(again.region(0).genome_5k == m.region(0).genome_5k);
}

TEST_CASE("bad batches, tracks and regions are clear errors")
{
    model_d m = tiny_model(2);
    avocado_cache<double> cache;
    using Catch::Matchers::Contains;
    const std::vector<avocado_sample> bad_track = {{5, 0, 0}}, bad_region = {{0, 2, 0}}, bad_pos = {{0, 1, 30}};
    CHECK_THROWS_WITH(m.forward(bad_track, cache), Contains("sample 0: track 5, the model has 5 tracks"));
    CHECK_THROWS_WITH(m.forward(bad_region, cache), Contains("region 2, the model has 2 regions"));
    CHECK_THROWS_WITH(m.forward(bad_pos, cache), Contains("position 30, region 'r1' has 30 positions"));
    CHECK_THROWS_AS(model_d(tiny_config(), {{2, 0}}), input_error);
    CHECK_THROWS_WITH(m.add_region(m.make_region("r0", "chr1", 0, 25, 1)), Contains("already has a region"));
    auto r = m.make_region("short", "chr1", 0, 25 * 201, 201);
    r.genome_5k.resize(2, 1);
    CHECK_THROWS_WITH(m.add_region(r), Contains("genome_5k has 1 rows, expected at least 2 for 201 positions"));
    const std::vector<avocado_sample> ok = {{0, 0, 0}};
    m.forward(ok, cache);
    auto g = m.make_gradients();
    CHECK_THROWS_AS(m.backward(ok, Eigen::VectorXd::Zero(2), cache, g), shape_error);
}
