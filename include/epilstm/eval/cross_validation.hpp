// Cross-chromosome cross-validation of one task (paper §3.6–3.7): for each fold a fresh training
// set (every fold except the test fold and the next one), a fresh XGBoost classifier stopped early
// on the next fold, and AP/AUROC on the test fold. Folds whose test or training loci hold a single
// class are skipped with the reason. Besides the per-fold metrics, the test predictions of all
// folds (each locus is tested once) are pooled into one AP/AUROC: with few positives (the pilot's
// promoter–enhancer pairs) most single folds have none, and the pooled number is the one left.
// The predictions of the held-out folds (chromosomes the representation was not trained on,
// eval/folds.hpp) are also pooled on their own.
#pragma once

#include <epilstm/eval/folds.hpp>
#include <epilstm/eval/metrics.hpp>
#include <epilstm/eval/xgboost.hpp>

#include <Eigen/Core>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace epilstm::eval {

struct fold_result {
    index_t fold = 0;
    std::string test_chromosomes;  ///< comma-separated
    index_t n_test = 0, test_positives = 0, n_train = 0, n_validation = 0;
    double ap = std::numeric_limits<double>::quiet_NaN(), auroc_value = std::numeric_limits<double>::quiet_NaN();
    int rounds = 0;
    bool early_stopping = false;
    bool heldout = false;  ///< the test chromosomes are held out of the representation's training
    std::string skipped;  ///< non-empty: why this fold has no metrics
};

struct cv_result {
    std::vector<fold_result> folds;
    double pooled_ap = std::numeric_limits<double>::quiet_NaN(), pooled_auroc = std::numeric_limits<double>::quiet_NaN();
    index_t pooled_n = 0;
    /// The same over the held-out folds only (NaN when there are none or they hold one class).
    double heldout_pooled_ap = std::numeric_limits<double>::quiet_NaN(),
           heldout_pooled_auroc = std::numeric_limits<double>::quiet_NaN();
    index_t heldout_pooled_n = 0, heldout_pooled_positives = 0;
};

/// `x`: [loci, features] (empty columns: the majority baseline, which scores every test locus by
/// the training positive rate); `y`: 0/1; `chroms`: each locus's chromosome.
inline cv_result cross_validate(const Eigen::MatrixXf& x, const std::vector<float>& y,
                                const std::vector<std::string>& chroms, const chromosome_folds& folds,
                                const xgboost_options& o)
{
    auto take = [&](const std::vector<std::size_t>& idx, Eigen::MatrixXf& xs, std::vector<float>& ys) {
        xs.resize(static_cast<index_t>(idx.size()), x.cols());
        ys.resize(idx.size());
        for (std::size_t k = 0; k < idx.size(); ++k) {
            xs.row(static_cast<index_t>(k)) = x.row(static_cast<index_t>(idx[k]));
            ys[k] = y[idx[k]];
        }
    };
    cv_result out;
    std::vector<float> pooled_scores, pooled_labels, held_scores, held_labels;
    for (index_t f = 0; f < folds.count; ++f) {
        const fold_split s = split_fold(folds, chroms, f);
        fold_result r;
        r.fold = f;
        r.heldout = folds.is_heldout(f);
        for (const auto& c : folds.chromosomes(f)) r.test_chromosomes += (r.test_chromosomes.empty() ? "" : ",") + c;
        r.n_test = static_cast<index_t>(s.test.size());
        r.n_train = static_cast<index_t>(s.train.size());
        r.n_validation = static_cast<index_t>(s.validation.size());
        Eigen::MatrixXf xtr, xva, xte;
        std::vector<float> ytr, yva, yte;
        take(s.train, xtr, ytr);
        take(s.validation, xva, yva);
        take(s.test, xte, yte);
        for (float v : yte) r.test_positives += v != 0;
        const double train_rate = positive_rate(std::span<const float>(ytr));
        if (s.test.empty()) {
            r.skipped = "no test loci";
        } else if (s.train.empty()) {
            r.skipped = "no training loci";
        } else if (train_rate == 0 || train_rate == 1) {
            r.skipped = "training folds hold a single class";
        } else {
            std::vector<float> scores;
            if (x.cols() == 0) {
                scores.assign(s.test.size(), static_cast<float>(train_rate));
            } else {
                const xgboost_result m = train_and_predict(xtr, ytr, xva, yva, xte, o);
                scores = m.test_scores;
                r.rounds = m.rounds;
                r.early_stopping = m.early_stopping;
            }
            pooled_scores.insert(pooled_scores.end(), scores.begin(), scores.end());
            pooled_labels.insert(pooled_labels.end(), yte.begin(), yte.end());
            if (r.heldout) {
                held_scores.insert(held_scores.end(), scores.begin(), scores.end());
                held_labels.insert(held_labels.end(), yte.begin(), yte.end());
            }
            if (r.test_positives == 0 || r.test_positives == r.n_test)
                r.skipped = "test fold holds a single class (AP/AUROC undefined; its predictions are pooled)";
            else {
                r.ap = average_precision(scores, yte);
                r.auroc_value = auroc(scores, yte);
            }
        }
        out.folds.push_back(std::move(r));
    }
    out.pooled_n = static_cast<index_t>(pooled_labels.size());
    out.pooled_ap = average_precision(pooled_scores, pooled_labels);
    out.pooled_auroc = auroc(pooled_scores, pooled_labels);
    out.heldout_pooled_n = static_cast<index_t>(held_labels.size());
    for (float v : held_labels) out.heldout_pooled_positives += v != 0;
    // Undefined when the held-out loci hold one class (an AP of 1 for all-positive loci would rank nothing).
    if (out.heldout_pooled_positives > 0 && out.heldout_pooled_positives < out.heldout_pooled_n) {
        out.heldout_pooled_ap = average_precision(held_scores, held_labels);
        out.heldout_pooled_auroc = auroc(held_scores, held_labels);
    }
    return out;
}

}  // namespace epilstm::eval
