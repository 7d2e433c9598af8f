// eval/xgboost.hpp: a learnable toy problem is learned, early stopping stops, one-class
// validation falls back to a fixed number of rounds, and every parameter the protocol pins is the
// one XGBoost uses (read back from the booster's own JSON configuration).
#include <epilstm/eval/xgboost.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <string>

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
/// The value of the first `"key":"value"` pair in XGBoost's JSON configuration (values are strings there).
std::string json_value(const std::string& json, const std::string& key)
{
    const std::string k = "\"" + key + "\":\"";
    const auto at = json.find(k);
    if (at == std::string::npos) return "<" + key + " not in the configuration>";
    const auto start = at + k.size();
    return json.substr(start, json.find('"', start) - start);
}
double json_number(const std::string& json, const std::string& key) { return std::stod(json_value(json, key)); }
}  // namespace

TEST_CASE("The pinned XGBoost parameters are the ones the booster runs with", "[xgboost]")
{
    std::mt19937 rng(3);
    Eigen::MatrixXf x;
    std::vector<float> y;
    make(200, rng, x, y);
    using rows_t = epilstm::eval::detail::xgb_matrix::rows_t;
    const rows_t xr = x;
    epilstm::eval::detail::xgb_matrix d(xr, &y);

    xgboost_options o;  // the protocol's defaults
    CHECK(o.eta == 0.1);
    CHECK(o.max_depth == 6);
    CHECK(o.max_rounds == 5000);
    CHECK(o.early_stopping_rounds == 20);
    o.nthread = 1;
    o.seed = 42;
    const auto params = xgboost_parameters(o);
    auto listed = [&](const std::string& k) {
        for (const auto& [name, value] : params)
            if (name == k) return value;
        return std::string("<not listed>");
    };
    CHECK(listed("eta") == "0.1");
    CHECK(listed("max_depth") == "6");
    CHECK(listed("lambda") == "1");
    CHECK(listed("objective") == "binary:logistic");
    CHECK(listed("tree_method") == "hist");
    CHECK(listed("max_bin") == "256");
    CHECK(listed("base_score") == "0.5");

    epilstm::eval::detail::xgb_booster b(d.get());
    epilstm::eval::detail::configure(b, o);
    b.update(0, d.get());  // the configuration is applied on the first round
    const std::string cfg = b.json_config();
    INFO(cfg);
    CHECK(json_number(cfg, "learning_rate") == Approx(0.1));  // "eta" is its alias
    CHECK(json_number(cfg, "max_depth") == 6);
    CHECK(json_number(cfg, "min_child_weight") == 1);
    CHECK(json_number(cfg, "min_split_loss") == 0);  // gamma
    CHECK(json_number(cfg, "reg_lambda") == 1);
    CHECK(json_number(cfg, "reg_alpha") == 0);
    CHECK(json_number(cfg, "max_delta_step") == 0);
    CHECK(json_number(cfg, "scale_pos_weight") == 1);
    CHECK(json_number(cfg, "subsample") == 1);
    CHECK(json_number(cfg, "colsample_bytree") == 1);
    CHECK(json_number(cfg, "colsample_bylevel") == 1);
    CHECK(json_number(cfg, "colsample_bynode") == 1);
    CHECK(json_value(cfg, "tree_method") == "hist");
    CHECK(json_number(cfg, "max_bin") == 256);
    CHECK(json_number(cfg, "base_score") == Approx(0.5));
    CHECK(json_value(cfg, "objective") == "binary:logistic");
    CHECK(json_number(cfg, "nthread") == 1);
    CHECK(json_number(cfg, "seed") == 42);

    // "exact" lists no max_bin; anything else is refused before XGBoost sees it.
    o.tree_method = "exact";
    for (const auto& [name, value] : xgboost_parameters(o)) CHECK(name != "max_bin");
    epilstm::eval::detail::xgb_booster e(d.get());
    epilstm::eval::detail::configure(e, o);
    e.update(0, d.get());
    CHECK(json_value(e.json_config(), "tree_method") == "exact");
    o.tree_method = "approx";
    CHECK_THROWS_AS(epilstm::eval::detail::configure(e, o), epilstm::input_error);
}

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
    epilstm::eval::detail::configure(b, o);
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
