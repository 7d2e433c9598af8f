// eval/xgboost.hpp: a learnable toy problem is learned, early stopping stops, one-class
// validation falls back to a fixed number of rounds.
#include <epilstm/eval/xgboost.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace epilstm::eval;

namespace {
void make(int n, std::mt19937& rng, Eigen::MatrixXf& x, std::vector<float>& y)
{
    std::normal_distribution<float> g;
    x.resize(n, 3);
    y.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < 3; ++j) x(i, j) = g(rng);
        y[static_cast<std::size_t>(i)] = x(i, 0) + 0.5f * g(rng) > 0.8f ? 1.f : 0.f;
    }
}
}  // namespace

TEST_CASE("XGBoost learns a separable-ish problem and stops early on validation AP")
{
    std::mt19937 rng(5);
    Eigen::MatrixXf xtr, xva, xte;
    std::vector<float> ytr, yva, yte;
    make(300, rng, xtr, ytr);
    make(150, rng, xva, yva);
    make(150, rng, xte, yte);
    xgboost_options o;
    o.nthread = 1;
    const auto r = train_and_predict(xtr, ytr, xva, yva, xte, o);
    CHECK(r.early_stopping);
    CHECK(r.rounds >= 1);
    CHECK(r.rounds < 200);
    REQUIRE(r.test_scores.size() == 150);
    CHECK(average_precision(r.test_scores, yte) > 0.6);
    CHECK(auroc(r.test_scores, yte) > 0.8);

    std::vector<float> zeros(yva.size(), 0.f);
    o.fallback_rounds = 7;
    const auto f = train_and_predict(xtr, ytr, xva, zeros, xte, o);
    CHECK(!f.early_stopping);
    CHECK(f.rounds == 7);
}
