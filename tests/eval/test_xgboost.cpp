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

TEST_CASE("Early stopping's incremental validation ranking equals predicting with all trees each round")
{
    std::mt19937 rng(11);
    Eigen::MatrixXf xtr, xva, xte;
    std::vector<float> ytr, yva, yte;
    make(400, rng, xtr, ytr);
    make(200, rng, xva, yva);
    make(10, rng, xte, yte);
    xgboost_options o;
    o.nthread = 1;
    o.early_stopping_rounds = 15;
    const auto r = train_and_predict(xtr, ytr, xva, yva, xte, o);
    REQUIRE(r.early_stopping);

    // The same booster, evaluated the slow way: every round predicts the validation set from all trees.
    using rows_t = epilstm::eval::detail::xgb_matrix::rows_t;
    const rows_t tr = xtr, va = xva;
    epilstm::eval::detail::xgb_matrix dtrain(tr, &ytr), dval(va, &yva);
    epilstm::eval::detail::xgb_booster b(dtrain.get());
    b.set("objective", "binary:logistic");
    b.set("max_depth", "6");
    b.set("nthread", "1");
    b.set("seed", "0");
    b.set("verbosity", "0");
    double best = -1;
    int best_rounds = 0;
    for (int it = 0; it < 500; ++it) {
        b.update(it, dtrain.get());
        const double ap = average_precision(b.predict(dval.get(), it + 1), yva);
        if (ap > best) {
            best = ap;
            best_rounds = it + 1;
        } else if (it + 1 - best_rounds >= o.early_stopping_rounds) {
            break;
        }
    }
    CHECK(r.rounds == best_rounds);
    CHECK(r.validation_ap == Approx(best).epsilon(1e-12));
    CHECK(best_rounds > 1);  // the comparison covered more than one tree
}
