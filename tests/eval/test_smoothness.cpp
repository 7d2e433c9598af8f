// Smoothness R²(k) against closed forms: an AR(1) process has R²(k) = ρ^{2k}; white noise ~0;
// a representation that is an exact linear function of its neighbour has R² = 1.
#include <epilstm/eval/smoothness.hpp>

#include <Eigen/QR>
#include <catch2/catch.hpp>

#include <random>

using namespace epilstm;

TEST_CASE("smoothness of an AR(1) representation is rho^(2k)", "[eval][smoothness]")
{
    const double rho = 0.9;
    std::mt19937_64 rng(3);
    std::normal_distribution<double> g(0.0, 1.0);
    std::vector<Eigen::MatrixXd> regions;
    for (int r = 0; r < 3; ++r) {
        Eigen::MatrixXd z(40000, 2);
        z.row(0) << g(rng), g(rng);
        for (index_t i = 1; i < z.rows(); ++i)
            z.row(i) = rho * z.row(i - 1) + std::sqrt(1 - rho * rho) * Eigen::RowVector2d(g(rng), g(rng));
        regions.push_back(z);
    }
    const auto r2 = eval::smoothness(regions, 2, {1, 4, 16});
    CHECK(r2[0] == Approx(std::pow(rho, 2)).margin(0.01));
    CHECK(r2[1] == Approx(std::pow(rho, 8)).margin(0.01));
    CHECK(r2[2] == Approx(std::pow(rho, 32)).margin(0.01));
}

TEST_CASE("white noise is not smooth and a linear recurrence is perfectly smooth", "[eval][smoothness]")
{
    std::mt19937_64 rng(4);
    std::normal_distribution<double> g(0.0, 1.0);
    Eigen::MatrixXd noise(20000, 3);
    for (index_t i = 0; i < noise.size(); ++i) noise.data()[i] = g(rng);
    CHECK(eval::smoothness(std::vector{noise}, 3, {1})[0] == Approx(0).margin(0.002));

    // z(x+1) = A z(x) + c exactly (a rotation): R² = 1.
    Eigen::MatrixXd z(500, 2);
    z.row(0) << 1.0, 0.0;
    const double a = 0.3;
    for (index_t i = 1; i < z.rows(); ++i)
        z.row(i) << std::cos(a) * z(i - 1, 0) - std::sin(a) * z(i - 1, 1) + 0.5,
            std::sin(a) * z(i - 1, 0) + std::cos(a) * z(i - 1, 1);
    CHECK(eval::smoothness(std::vector{z}, 2, {1})[0] == Approx(1.0).margin(1e-6));
}

TEST_CASE("pairs never span two regions", "[eval][smoothness]")
{
    eval::lagged_regression fit(1);
    fit.add_region(Eigen::MatrixXd::Constant(5, 1, 1.0), 2);
    fit.add_region(Eigen::MatrixXd::Constant(1, 1, 9.0), 2);  // too short for a pair
    CHECK(fit.pairs() == 3);
    CHECK_THROWS_AS(eval::smoothness(std::vector<Eigen::MatrixXd>{}, 1, {0}), input_error);
}

TEST_CASE("R² from shared Gram matrices equals a direct least-squares fit of the stacked pairs", "[eval][smoothness]")
{
    std::mt19937 rng(17);
    std::normal_distribution<double> g;
    std::vector<Eigen::MatrixXd> regions;
    for (index_t n : {300, 7, 180}) {  // the middle region is shorter than the largest lag
        Eigen::MatrixXd z(n, 3);
        z.row(0) << g(rng), g(rng), g(rng);
        for (index_t i = 1; i < n; ++i)
            for (index_t j = 0; j < 3; ++j) z(i, j) = 0.8 * z(i - 1, (j + 1) % 3) + 0.5 * g(rng) + 0.3 * j;
        regions.push_back(z);
    }
    const std::vector<index_t> lags{1, 3, 10};
    const auto r2 = eval::smoothness(regions, 3, lags);
    for (std::size_t k = 0; k < lags.size(); ++k) {
        std::vector<Eigen::RowVectorXd> xs, ys;
        for (const auto& z : regions)
            for (index_t i = 0; i + lags[k] < z.rows(); ++i) {
                Eigen::RowVectorXd x(4);
                x << z.row(i), 1.0;
                xs.push_back(x);
                ys.push_back(z.row(i + lags[k]));
            }
        Eigen::MatrixXd X(static_cast<index_t>(xs.size()), 4), Y(static_cast<index_t>(ys.size()), 3);
        for (std::size_t i = 0; i < xs.size(); ++i) X.row(static_cast<index_t>(i)) = xs[i], Y.row(static_cast<index_t>(i)) = ys[i];
        const Eigen::MatrixXd B = X.colPivHouseholderQr().solve(Y);
        const double sse = (Y - X * B).squaredNorm();
        const double sst = (Y.rowwise() - Y.colwise().mean()).squaredNorm();
        CHECK(r2[k] == Approx(1.0 - sse / sst).epsilon(1e-7));
    }
}
