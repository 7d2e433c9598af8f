// Adam and global-norm clipping against closed-form values.
#include <epilstm/backend/cpu/cpu_device.hpp>
#include <epilstm/train/adam.hpp>
#include <epilstm/train/clip.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace epilstm;

TEST_CASE("adam's first steps follow the bias-corrected update", "[train][adam]")
{
    adam<double> opt(2, adam_options{0.1, 0.9, 0.999, 1e-8});
    Eigen::VectorXd p(2), g(2);
    p << 1.0, -2.0;
    g << 0.5, -4.0;
    opt.step(p, g);
    // After one step m̂ = g and v̂ = g², so each parameter moves by lr · sign(g) (up to ε).
    CHECK(p[0] == Approx(1.0 - 0.1).epsilon(1e-7));
    CHECK(p[1] == Approx(-2.0 + 0.1).epsilon(1e-7));
    const double p0 = p[0];
    g << 0.25, 0.0;
    opt.step(p, g);
    const double m0 = 0.9 * 0.05 + 0.1 * 0.25, v0 = 0.999 * 0.00025 + 0.001 * 0.0625;
    const double mhat = m0 / (1 - 0.81), vhat = v0 / (1 - 0.999 * 0.999);
    CHECK(p[0] == Approx(p0 - 0.1 * mhat / (std::sqrt(vhat) + 1e-8)).epsilon(1e-12));
    CHECK(opt.steps() == 2);
    const Eigen::VectorXd z3 = Eigen::VectorXd::Zero(3);
    CHECK_THROWS_AS(opt.restore(z3, z3, 1), shape_error);
}

TEST_CASE("clip_global_norm scales only gradients above the bound", "[train][clip]")
{
    Eigen::VectorXd g(2);
    g << 3.0, 4.0;
    CHECK(clip_global_norm<double>(g, 1.0) == Approx(5.0));
    CHECK(g.norm() == Approx(1.0).epsilon(1e-6));
    g << 0.3, 0.4;
    CHECK(clip_global_norm<double>(g, 1.0) == Approx(0.5));
    CHECK(g[0] == 0.3);
}
