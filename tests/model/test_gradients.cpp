// Finite-difference gradient checks (float64) for every cell variant and wiring: parameters, the
// input Jacobian, padding (streams shorter than the frame) and the frame-boundary carry.
#include <epilstm/model/variants.hpp>
#include <epilstm/testing/gradient_check.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace epilstm;

namespace {

template <class Model>
void randomize(Model& m, std::uint64_t seed)
{
    m.initialize(seed);
    // Move γ, β away from 1, 0 so the layer-norm parameter paths are exercised.
    std::mt19937_64 rng(seed + 1);
    std::uniform_real_distribution<double> u(-0.3, 0.3);
    for (const auto& t : m.layout().tensors())
        if (t.name.find("/ln_") != std::string::npos)
            for (index_t i = 0; i < t.size(); ++i) m.parameters()[t.offset + i] += u(rng);
}

struct frame_data {
    index_t D, F, B;
    Eigen::MatrixXd x;      // [D, F·B]
    Eigen::VectorXd w;      // [F·B]
    Eigen::MatrixXd h0;     // [H, B]
    std::vector<index_t> lengths;
};

frame_data make_frame(index_t D, index_t H, index_t F, std::vector<index_t> lengths, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> e(1.0);
    std::uniform_real_distribution<double> u(-0.5, 0.5);
    frame_data f{D, F, static_cast<index_t>(lengths.size()), {}, {}, {}, lengths};
    f.x.resize(D, F * f.B);
    for (index_t i = 0; i < f.x.size(); ++i) f.x.data()[i] = std::asinh(e(rng));
    f.w = Eigen::VectorXd::Ones(F * f.B);
    f.w[1] = 0;  // one excluded position
    f.h0.resize(H, f.B);
    for (index_t i = 0; i < f.h0.size(); ++i) f.h0.data()[i] = u(rng);
    return f;
}

template <class Model>
void check_model_gradients()
{
    const index_t D = 3, H = 2, F = 5;
    Model m(D, H, F);
    randomize(m, 42);
    auto fd = make_frame(D, H, F, {5, 3, 5}, 7);
    frame_batch<double> fb;
    fb.positions = F;
    fb.batch = fd.B;
    fb.x = fd.x.data();
    fb.weight = fd.w.data();
    fb.lengths = fd.lengths.data();
    fb.h0 = fd.h0.data();  // a carried hidden from a previous frame: a constant for this frame

    typename Model::workspace ws;
    const double loss = m.forward(ws, fb);
    REQUIRE(std::isfinite(loss));
    REQUIRE(loss > 0);
    Eigen::VectorXd grad = Eigen::VectorXd::Zero(m.parameters().size());
    Eigen::MatrixXd dx(D, F * fd.B);
    m.backward(ws, fb, grad, dx.data());

    auto eval = [&] {
        typename Model::workspace w2;
        return m.forward(w2, fb);
    };
    const auto rp = testing::check_gradient(eval, m.parameters(), grad, 1e-5, 1e-3);
    INFO("parameter gradient: worst index " << rp.worst_index << " abs " << rp.max_absolute_error);
    CHECK(rp.max_relative_error <= 1e-6);

    // x is both the network's input and the loss target: the total derivative adds the target
    // term dL/dx_target = −dL/dx̂ (= −scale · d_out, the weighted residual forward left there).
    const Eigen::MatrixXd total =
        dx - m.output_gradient_scale(ws) * Eigen::Map<const Eigen::MatrixXd>(ws.d_out.data(), D, F * fd.B);
    Eigen::Map<Eigen::VectorXd> xv(fd.x.data(), fd.x.size());
    Eigen::Map<const Eigen::VectorXd> dxv(total.data(), total.size());
    const auto rx = testing::check_gradient(eval, xv, dxv, 1e-5, 1e-3);
    INFO("input Jacobian: worst index " << rx.worst_index << " abs " << rx.max_absolute_error);
    CHECK(rx.max_relative_error <= 1e-6);
    // Padding positions (stream 1 has 3 of 5) get no gradient.
    CHECK(dx.col(3 * 3 + 1).norm() == 0.0);
    CHECK(dx.col(4 * 3 + 1).norm() == 0.0);
}

}  // namespace

TEMPLATE_TEST_CASE("autoencoder gradients match central differences", "[model][gradient]",
                   (cell_spec<softsign, layer_norm>), (cell_spec<tanh_activation, layer_norm>),
                   (cell_spec<softsign, no_norm>), (cell_spec<tanh_activation, no_norm>),
                   (cell_spec<softsign, rms_norm>))
{
    SECTION("paper wiring") { check_model_gradients<epi_lstm<TestType, paper_wiring, unidirectional, double>>(); }
    SECTION("own-cell wiring") { check_model_gradients<epi_lstm<TestType, own_cell_wiring, unidirectional, double>>(); }
    SECTION("bidirectional") { check_model_gradients<epi_lstm<TestType, paper_wiring, bidirectional, double>>(); }
}
