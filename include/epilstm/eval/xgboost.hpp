// A gradient-boosted tree classifier for the downstream evaluation (paper §3.6): XGBoost through
// its C API, with the paper's settings as defaults (max depth 6, up to 5000 trees, early stopping
// after 20 rounds without improvement) and every other XGBoost parameter at its default.
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
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace epilstm::eval {

struct xgboost_options {
    int max_depth = 6;
    int max_rounds = 5000;
    int early_stopping_rounds = 20;
    int fallback_rounds = 100;  ///< rounds when validation AP is undefined
    int nthread = 2;
    std::uint64_t seed = 0;
};

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
    b.set("objective", "binary:logistic");
    b.set("max_depth", std::to_string(o.max_depth));
    b.set("nthread", std::to_string(o.nthread));
    b.set("seed", std::to_string(o.seed));
    b.set("verbosity", "0");

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
