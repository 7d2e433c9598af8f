// Tests for the REFINED CNN autoencoder (model/refined_cnn.hpp) and its trainer
// (train/refined_cnn_trainer.hpp): float64 central-difference gradients of every parameter and of
// the input on tiny sizes, the loss mask, column independence, the parameter count of the default
// shape, training on low-rank images, and bit-identical training from one seed.
#include <epilstm/model/refined_cnn.hpp>
#include <epilstm/testing/gradient_check.hpp>
#include <epilstm/train/refined_cnn_trainer.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

using namespace epilstm;

namespace {

using cnn_d = refined_cnn<double>;

refined_cnn_config tiny_config()
{
    refined_cnn_config c;
    c.grid = 3;
    c.embedding = 2;
    c.channels1 = 2;
    c.channels2 = 2;
    return c;
}

/// Pixels 1 and 5 of the 3×3 grid empty (7 tracks).
const refined_placement tiny_placement{3, {0, 2, 3, 4, 6, 7, 8}, 0};

/// Images [g², B] with values of order 1 on the occupied pixels and 0 on the empty ones.
Eigen::MatrixXd tiny_images(const Eigen::VectorXd& mask, index_t B, unsigned seed)
{
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> u(-1.5, 1.5);
    Eigen::MatrixXd x(mask.size(), B);
    for (index_t j = 0; j < B; ++j)
        for (index_t i = 0; i < mask.size(); ++i) x(i, j) = mask[i] * u(gen);
    return x;
}

/// A tiny model with weights of order 1 and biases away from 0 (so few ReLUs sit near a kink).
cnn_d tiny_model(std::uint64_t seed)
{
    cnn_d m(tiny_config());
    m.initialize(seed);
    std::mt19937 gen(static_cast<unsigned>(seed));
    std::uniform_real_distribution<double> u(0.1, 0.4);
    for (const tensor_desc& t : m.layout().tensors())
        if (t.rank == 1)
            for (index_t i = 0; i < t.size(); ++i) m.parameters()[t.offset + i] = u(gen);
    return m;
}

}  // namespace

TEST_CASE("REFINED CNN: central-difference gradient of every parameter (float64)")
{
    cnn_d m = tiny_model(3);
    const Eigen::VectorXd mask = refined_pixel_mask<double>(tiny_placement);
    const Eigen::MatrixXd x = tiny_images(mask, 4, 11);
    cnn_d::cache c;
    m.forward(x, c);
    Eigen::VectorXd grad;
    const double loss = m.backward(x, mask, c, grad);
    REQUIRE(loss > 0);
    REQUIRE(grad.size() == m.parameters().size());
    auto f = [&] {
        cnn_d::cache cc;
        m.forward(x, cc);
        return m.loss(x, mask, cc);
    };
    const auto r = testing::check_gradient(f, m.parameters(), grad, 1e-6, 1e-7);
    INFO("worst index " << r.worst_index << ", max abs error " << r.max_absolute_error);
    CHECK(r.checked == m.parameters().size());
    CHECK(r.max_relative_error < 1e-5);
    // every tensor gets a gradient (no tensor silently left out of backward)
    for (const tensor_desc& t : m.layout().tensors()) {
        INFO(t.name);
        CHECK(grad.segment(t.offset, t.size()).cwiseAbs().maxCoeff() > 0);
    }
    // the padding between tensors gets none
    index_t used = 0;
    for (const tensor_desc& t : m.layout().tensors()) used += grad.segment(t.offset, t.size()).size();
    CHECK(used == m.parameter_count());
}

TEST_CASE("REFINED CNN: central-difference gradient with respect to the input (targets fixed)")
{
    const cnn_d m = tiny_model(5);
    const Eigen::VectorXd mask = refined_pixel_mask<double>(tiny_placement);
    const Eigen::MatrixXd target = tiny_images(mask, 3, 17);
    Eigen::MatrixXd x = tiny_images(Eigen::VectorXd::Ones(9), 3, 19);  // the empty pixels' inputs too
    cnn_d::cache c;
    m.forward(x, c);
    Eigen::VectorXd grad;
    Eigen::MatrixXd dx;
    m.backward(target, mask, c, grad, &dx);
    REQUIRE(dx.rows() == 9);
    REQUIRE(dx.cols() == 3);
    Eigen::Map<Eigen::VectorXd> v(x.data(), x.size());
    const Eigen::VectorXd analytic = Eigen::Map<const Eigen::VectorXd>(dx.data(), dx.size());
    auto f = [&] {
        cnn_d::cache cc;
        m.forward(x, cc);
        return m.loss(target, mask, cc);
    };
    const auto r = testing::check_gradient(f, v, analytic, 1e-6, 1e-7);
    INFO("worst index " << r.worst_index << ", max abs error " << r.max_absolute_error);
    CHECK(r.max_relative_error < 1e-5);
    CHECK(analytic.cwiseAbs().maxCoeff() > 0);
}

TEST_CASE("REFINED CNN: the loss ignores empty pixels")
{
    const cnn_d m = tiny_model(7);
    const Eigen::VectorXd mask = refined_pixel_mask<double>(tiny_placement);
    REQUIRE(mask.sum() == 7);
    CHECK(mask[1] == 0);
    CHECK(mask[5] == 0);
    const Eigen::MatrixXd x = tiny_images(mask, 5, 23);
    cnn_d::cache c;
    m.forward(x, c);
    Eigen::VectorXd g1, g2;
    const double l1 = m.backward(x, mask, c, g1);
    // by its definition: the mean over the 7 occupied pixels of 5 positions
    double manual = 0;
    for (index_t j = 0; j < 5; ++j)
        for (index_t p = 0; p < 9; ++p)
            if (p != 1 && p != 5) manual += std::pow(c.reconstruction(p, j) - x(p, j), 2);
    CHECK(l1 == Approx(manual / 35).epsilon(1e-12));
    // what the targets say on the empty pixels changes neither the loss nor the gradient
    Eigen::MatrixXd y = x;
    y.row(1).setConstant(100);
    y.row(5).setConstant(-7);
    const double l2 = m.backward(y, mask, c, g2);
    CHECK(l2 == l1);
    CHECK((g2 - g1).cwiseAbs().maxCoeff() == 0);
    // while a change on an occupied pixel does
    y.row(0).array() += 1;
    CHECK(m.loss(y, mask, c) != l1);
    // an all-zero mask: loss 0, gradient 0
    const Eigen::VectorXd none = Eigen::VectorXd::Zero(9);
    CHECK(m.backward(x, none, c, g2) == 0);
    CHECK(g2.cwiseAbs().maxCoeff() == 0);
}

TEST_CASE("REFINED CNN: positions are independent columns; shapes are checked")
{
    const cnn_d m = tiny_model(9);
    const Eigen::VectorXd mask = refined_pixel_mask<double>(tiny_placement);
    const Eigen::MatrixXd x = tiny_images(mask, 6, 29);
    cnn_d::cache c;
    const Eigen::MatrixXd r = m.forward(x, c);
    REQUIRE(c.embedding.rows() == 2);
    REQUIRE(c.embedding.cols() == 6);
    REQUIRE(r.rows() == 9);
    REQUIRE(r.cols() == 6);
    CHECK((m.embed(x) - c.embedding).cwiseAbs().maxCoeff() == 0);
    for (index_t j = 0; j < 6; ++j) {
        cnn_d::cache one;
        m.forward(x.col(j), one);
        CHECK((one.embedding - c.embedding.col(j)).cwiseAbs().maxCoeff() < 1e-12);
        CHECK((one.reconstruction - r.col(j)).cwiseAbs().maxCoeff() < 1e-12);
    }
    CHECK_THROWS_AS(m.forward(Eigen::MatrixXd::Zero(8, 2), c), shape_error);
    m.forward(x, c);
    CHECK_THROWS_AS(m.loss(x.leftCols(2), mask, c), shape_error);
    CHECK_THROWS_AS(m.loss(x, Eigen::VectorXd::Ones(4), c), shape_error);
    refined_cnn_config bad = tiny_config();
    bad.embedding = 0;
    CHECK_THROWS_AS(cnn_d(bad), input_error);
}

TEST_CASE("REFINED CNN: the default shape at g = 5, E = 16 has 14609 parameters")
{
    refined_cnn_config c;
    c.grid = 5;
    c.embedding = 16;
    const refined_cnn<float> m(c);
    // conv1 8·9 + 8, conv2 16·72 + 16, encoder 16·400 + 16, decoder 400·16 + 400, output 144 + 1
    CHECK(m.parameter_count() == 80 + 1168 + 6416 + 6800 + 145);
    CHECK(m.parameter_count() == 14609);
    CHECK(m.parameters().size() >= m.parameter_count());
    // the same seed gives the same initialization; biases start at 0
    refined_cnn<float> a(c), b(c);
    a.initialize(4);
    b.initialize(4);
    CHECK(a.parameters() == b.parameters());
    CHECK(a.parameters().segment(a.layout().at("decoder/b").offset, 400).cwiseAbs().maxCoeff() == 0);
    b.initialize(5);
    CHECK(a.parameters() != b.parameters());
}

namespace {

/// Low-rank images: 22 tracks on a 5×5 grid, rank-3 signal plus a little noise; empty pixels 0.
struct low_rank_data {
    refined_placement placement;
    Eigen::MatrixXf images;
    Eigen::VectorXf mask;
};

low_rank_data make_low_rank(index_t n)
{
    low_rank_data d;
    d.placement.grid = 5;
    for (index_t t = 0; t < 22; ++t) d.placement.pixel.push_back(t < 12 ? t : t + 3);  // pixels 12..14 empty
    d.mask = refined_pixel_mask<float>(d.placement);
    std::mt19937 gen(41);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    Eigen::MatrixXf u(25, 3), z(3, n);
    for (index_t i = 0; i < u.size(); ++i) u.data()[i] = nd(gen);
    for (index_t i = 0; i < z.size(); ++i) z.data()[i] = nd(gen);
    d.images = u * z;
    for (index_t i = 0; i < d.images.size(); ++i) d.images.data()[i] += 0.05f * nd(gen);
    d.images.array().colwise() *= d.mask.array();
    return d;
}

/// The masked MSE of predicting each pixel by its mean over the positions.
double mean_baseline(const low_rank_data& d)
{
    const Eigen::VectorXf mean = d.images.rowwise().mean();
    const Eigen::MatrixXf r = d.images.colwise() - mean;
    return static_cast<double>((r.array().square().colwise() * d.mask.array()).sum()) /
           (static_cast<double>(d.images.cols()) * static_cast<double>(d.mask.sum()));
}

refined_cnn_config small_config()
{
    refined_cnn_config c;
    c.grid = 5;
    c.embedding = 4;
    c.channels1 = 4;
    c.channels2 = 8;
    return c;
}

}  // namespace

TEST_CASE("REFINED CNN: training on low-rank images lowers the loss well below the per-pixel mean")
{
    const low_rank_data d = make_low_rank(1500);
    const double baseline = mean_baseline(d);
    refined_cnn<float> m(small_config());
    m.initialize(1);
    const double before = refined_cnn_loss(m, d.images, d.mask);
    refined_cnn_train_options o;
    o.epochs = 25;
    o.batch_size = 64;
    o.seed = 3;
    o.adam.learning_rate = 3e-3;
    const refined_cnn_train_result r = train_refined_cnn(m, d.images, d.mask, o);
    const double after = refined_cnn_loss(m, d.images, d.mask);
    INFO("baseline " << baseline << ", before " << before << ", after " << after << ", last epoch "
                     << r.epoch_loss.back());
    REQUIRE(r.epoch_loss.size() == 25);
    CHECK(r.steps == 25 * ((1500 + 63) / 64));
    CHECK(after < 0.02 * baseline);  // about 0.003 × in practice
    CHECK(r.epoch_loss.back() < r.epoch_loss.front());
    CHECK(std::isfinite(after));
}

TEST_CASE("REFINED CNN: the same seed trains bit-identically")
{
    const low_rank_data d = make_low_rank(300);
    refined_cnn_train_options o;
    o.epochs = 3;
    o.batch_size = 50;
    o.seed = 8;
    auto run = [&](std::uint64_t shuffle_seed) {
        refined_cnn<float> m(small_config());
        m.initialize(2);
        refined_cnn_train_options oo = o;
        oo.seed = shuffle_seed;
        const auto r = train_refined_cnn(m, d.images, d.mask, oo);
        return std::make_pair(Eigen::VectorXf(m.parameters()), r.epoch_loss);
    };
    const auto a = run(8), b = run(8), c = run(9);
    CHECK(a.first == b.first);
    CHECK(a.second == b.second);
    CHECK(a.first != c.first);

    refined_cnn<float> m(small_config());
    CHECK_THROWS_AS(train_refined_cnn(m, Eigen::MatrixXf(d.images.topRows(24)), d.mask, o), shape_error);
    o.batch_size = 0;
    CHECK_THROWS_AS(train_refined_cnn(m, d.images, d.mask, o), input_error);
}
