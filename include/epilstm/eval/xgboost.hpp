// A gradient-boosted tree classifier for the downstream evaluation (paper §3.6): XGBoost through
// its C API. Every parameter that changes the model is set explicitly (xgboost_parameters), so
// results do not move with XGBoost's defaults (eta was 0.3 in the C API, base_score and
// tree_method change in XGBoost 2.0): the protocol we follow is Avocado's, via the scikit-learn
// wrapper, i.e. learning rate 0.1, max depth 6, up to 5000 trees, early stopping after 20 rounds
// on the validation fold; the rest are the values that wrapper used. The report prints the list.
//
// Early stopping watches the average precision (eval/metrics.hpp, scikit-learn's definition) of
// the validation set after each round; the test set is predicted with the trees up to the best
// round. The validation AP is computed here rather than by XGBoost's "aucpr", which interpolates
// differently. When the validation set is empty or holds one class, AP is undefined there: the
// model then trains `fallback_rounds` rounds and the result says so.
//
// Needs the target epilstm::xgboost (created by CMake when XGBoost is found).
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/eval/metrics.hpp>

#include <xgboost/c_api.h>

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace epilstm::eval {

struct xgboost_options {
    double eta = 0.1;              ///< learning rate (scikit-learn: learning_rate); the C API's default is 0.3
    int max_depth = 6;
    int max_rounds = 5000;         ///< at most this many trees
    int early_stopping_rounds = 20;///< stop after this many rounds without a better validation AP
    int fallback_rounds = 100;     ///< rounds when validation AP is undefined
    double subsample = 1, colsample_bytree = 1, colsample_bylevel = 1, colsample_bynode = 1;
    double min_child_weight = 1, gamma = 0, lambda = 1, alpha = 0, max_delta_step = 0, scale_pos_weight = 1;
    /// "hist" (default: histograms of max_bin quantile bins per feature) or "exact" (every split of
    /// every feature); see docs/evaluation.md for the choice.
    std::string tree_method = "hist";
    int max_bin = 256;             ///< bins per feature (hist only)
    double base_score = 0.5;       ///< the initial probability (XGBoost 2.0 estimates it unless set)
    int nthread = 2;
    std::uint64_t seed = 0;        ///< changes nothing while subsample and colsample_* are 1
};

/// The XGBoost library's version, "major.minor.patch" (as loaded at run time).
inline std::string xgboost_version()
{
    int major = 0, minor = 0, patch = 0;
    XGBoostVersion(&major, &minor, &patch);
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

/// Every parameter handed to XGBoosterSetParam, in order: the names of the XGBoost 1.7 C API
/// (doc/parameter.rst), values as strings. The report prints exactly this list.
inline std::vector<std::pair<std::string, std::string>> xgboost_parameters(const xgboost_options& o)
{
    auto num = [](double v) {  // the shortest decimal that reads back as v
        char b[32];
        for (int digits = 1; digits <= 17; ++digits) {
            std::snprintf(b, sizeof b, "%.*g", digits, v);
            if (std::strtod(b, nullptr) == v) break;
        }
        return std::string(b);
    };
    std::vector<std::pair<std::string, std::string>> p{
        {"booster", "gbtree"},
        {"objective", "binary:logistic"},
        {"eta", num(o.eta)},
        {"max_depth", std::to_string(o.max_depth)},
        {"min_child_weight", num(o.min_child_weight)},
        {"gamma", num(o.gamma)},
        {"lambda", num(o.lambda)},
        {"alpha", num(o.alpha)},
        {"max_delta_step", num(o.max_delta_step)},
        {"scale_pos_weight", num(o.scale_pos_weight)},
        {"subsample", num(o.subsample)},
        {"sampling_method", "uniform"},
        {"colsample_bytree", num(o.colsample_bytree)},
        {"colsample_bylevel", num(o.colsample_bylevel)},
        {"colsample_bynode", num(o.colsample_bynode)},
        {"tree_method", o.tree_method},
    };
    if (o.tree_method == "hist") p.emplace_back("max_bin", std::to_string(o.max_bin));
    p.insert(p.end(), {{"grow_policy", "depthwise"},
                       {"num_parallel_tree", "1"},
                       {"base_score", num(o.base_score)},
                       {"nthread", std::to_string(o.nthread)},
                       {"seed", std::to_string(o.seed)},
                       {"verbosity", "0"}});
    return p;
}

struct xgboost_result {
    std::vector<float> test_scores;  ///< P(label = 1) of each test row
    int rounds = 0;                  ///< trees used for the test predictions
    double validation_ap = std::numeric_limits<double>::quiet_NaN();
    bool early_stopping = false;     ///< false: validation AP undefined, fallback_rounds used
};

namespace detail {
inline void xgb_check(int status, const char* call)
{
    if (status != 0) throw error(std::string("epilstm: XGBoost ") + call + " failed: " + XGBGetLastError());
}

class xgb_matrix {
public:
    using rows_t = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    xgb_matrix(const rows_t& x, const std::vector<float>* labels)
    {
        xgb_check(XGDMatrixCreateFromMat(x.data(), static_cast<bst_ulong>(x.rows()), static_cast<bst_ulong>(x.cols()),
                                         std::numeric_limits<float>::quiet_NaN(), &h_),
                  "XGDMatrixCreateFromMat");
        if (labels)
            xgb_check(XGDMatrixSetFloatInfo(h_, "label", labels->data(), static_cast<bst_ulong>(labels->size())),
                      "XGDMatrixSetFloatInfo(label)");
    }
    xgb_matrix(const xgb_matrix&) = delete;
    xgb_matrix& operator=(const xgb_matrix&) = delete;
    ~xgb_matrix() { XGDMatrixFree(h_); }
    DMatrixHandle get() const { return h_; }

private:
    DMatrixHandle h_ = nullptr;
};

class xgb_booster {
public:
    explicit xgb_booster(DMatrixHandle train)
    {
        xgb_check(XGBoosterCreate(&train, 1, &h_), "XGBoosterCreate");
    }
    xgb_booster(const xgb_booster&) = delete;
    xgb_booster& operator=(const xgb_booster&) = delete;
    ~xgb_booster() { XGBoosterFree(h_); }
    void set(const char* k, const std::string& v) { xgb_check(XGBoosterSetParam(h_, k, v.c_str()), "XGBoosterSetParam"); }
    /// The booster's configuration as XGBoost holds it (XGBoosterSaveJsonConfig): every parameter it uses.
    std::string json_config() const
    {
        bst_ulong n = 0;
        const char* out = nullptr;
        xgb_check(XGBoosterSaveJsonConfig(h_, &n, &out), "XGBoosterSaveJsonConfig");
        return std::string(out, n);
    }
    void update(int iter, DMatrixHandle train) { xgb_check(XGBoosterUpdateOneIter(h_, iter, train), "XGBoosterUpdateOneIter"); }
    /// Probabilities from the trees of rounds [0, rounds).
    std::vector<float> predict(DMatrixHandle m, int rounds) const { return run(m, 0, 0, rounds); }
    /// Margins (log-odds) from the trees of rounds [begin, end), each call including the base score.
    std::vector<float> predict_margin(DMatrixHandle m, int begin, int end) const { return run(m, 1, begin, end); }

private:
    std::vector<float> run(DMatrixHandle m, int type, int begin, int end) const
    {
        const std::string cfg = R"({"type": )" + std::to_string(type) +
                                R"(, "training": false, "iteration_begin": )" + std::to_string(begin) +
                                R"(, "iteration_end": )" + std::to_string(end) + R"(, "strict_shape": false})";
        const bst_ulong* shape = nullptr;
        bst_ulong dim = 0;
        const float* out = nullptr;
        xgb_check(XGBoosterPredictFromDMatrix(h_, m, cfg.c_str(), &shape, &dim, &out), "XGBoosterPredictFromDMatrix");
        bst_ulong n = 1;
        for (bst_ulong i = 0; i < dim; ++i) n *= shape[i];
        return std::vector<float>(out, out + n);
    }

    BoosterHandle h_ = nullptr;
};

/// Sets every parameter of xgboost_parameters(o) on `b`.
inline void configure(xgb_booster& b, const xgboost_options& o)
{
    if (o.tree_method != "hist" && o.tree_method != "exact")
        throw input_error("epilstm: XGBoost tree_method '" + o.tree_method + "': expected hist or exact");
    for (const auto& [k, v] : xgboost_parameters(o)) b.set(k.c_str(), v);
}
}  // namespace detail

/// Trains a fresh classifier on (x_train, y_train), stopping early on the validation AP, and
/// predicts x_test. Rows are loci, columns features; labels are 0/1.
inline xgboost_result train_and_predict(const Eigen::MatrixXf& x_train, const std::vector<float>& y_train,
                                        const Eigen::MatrixXf& x_val, const std::vector<float>& y_val,
                                        const Eigen::MatrixXf& x_test, const xgboost_options& o = {})
{
    using rows_t = detail::xgb_matrix::rows_t;
    if (x_train.rows() == 0) throw input_error("epilstm: no training loci");
    const rows_t tr = x_train, va = x_val, te = x_test;
    detail::xgb_matrix dtrain(tr, &y_train);
    detail::xgb_matrix dval(va, &y_val);
    detail::xgb_matrix dtest(te, nullptr);
    detail::xgb_booster b(dtrain.get());
    detail::configure(b, o);

    xgboost_result r;
    const bool can_stop = va.rows() > 0 && !std::isnan(average_precision(std::vector<float>(va.rows(), 0.f), y_val)) &&
                          positive_rate(std::span<const float>(y_val)) < 1.0;
    r.early_stopping = can_stop;
    if (!can_stop) {
        for (int it = 0; it < o.fallback_rounds; ++it) b.update(it, dtrain.get());
        r.rounds = o.fallback_rounds;
    } else {
        // The validation ranking after round it + 1 comes from adding the new tree's margins to
        // those of the earlier trees: one tree predicted per round instead of all of them. Each
        // per-tree margin includes the base score, so the sum is shifted by a constant per round,
        // which changes no ranking and hence no AP.
        double best = -1;
        int best_rounds = 0;
        std::vector<float> margin(static_cast<std::size_t>(va.rows()), 0.f);
        for (int it = 0; it < o.max_rounds; ++it) {
            b.update(it, dtrain.get());
            const std::vector<float> tree = b.predict_margin(dval.get(), it, it + 1);
            for (std::size_t k = 0; k < margin.size(); ++k) margin[k] += tree[k];
            const double ap = average_precision(margin, y_val);
            if (ap > best) {
                best = ap;
                best_rounds = it + 1;
            } else if (it + 1 - best_rounds >= o.early_stopping_rounds) {
                break;
            }
        }
        r.rounds = best_rounds;
        r.validation_ap = best;
    }
    r.test_scores = te.rows() > 0 ? b.predict(dtest.get(), r.rounds) : std::vector<float>{};
    return r;
}

}  // namespace epilstm::eval
