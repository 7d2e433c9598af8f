// Scores of one representation, shared by `epilstm evaluate` (eval/report.hpp) and the ablation
// study (examples/ablation): the downstream classification of a prepared task through
// cross-chromosome folds (per-fold, mean and pooled AP/AUROC), its summary over the cell types of
// each task, and the smoothness curve.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/eval/cross_validation.hpp>
#include <epilstm/eval/representation.hpp>
#include <epilstm/eval/smoothness.hpp>
#include <epilstm/eval/statistics.hpp>
#include <epilstm/eval/tasks.hpp>
#include <epilstm/eval/xgboost.hpp>

#include <Eigen/Core>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace epilstm::eval {

/// The downstream classification of one task (a label set of one cell type) by one representation.
struct task_score {
    std::string task, cell_type, method;
    index_t loci = 0, positives = 0;
    index_t folds_scored = 0;  ///< folds with per-fold metrics (both classes in the test fold)
    index_t folds = 0;
    double mean_ap = std::numeric_limits<double>::quiet_NaN();  ///< over the scored folds
    double mean_auroc = std::numeric_limits<double>::quiet_NaN();
    double pooled_ap = std::numeric_limits<double>::quiet_NaN();  ///< every fold's test predictions together
    double pooled_auroc = std::numeric_limits<double>::quiet_NaN();
    double se_ap = std::numeric_limits<double>::quiet_NaN();  ///< standard error of mean_ap over the scored folds
    /// The folds made of held-out chromosomes (eval/folds.hpp): loci the representation never saw.
    index_t heldout_folds = 0, heldout_folds_scored = 0, heldout_loci = 0, heldout_positives = 0;
    double heldout_mean_ap = std::numeric_limits<double>::quiet_NaN();  ///< over the scored held-out folds
    double heldout_pooled_ap = std::numeric_limits<double>::quiet_NaN();
    double heldout_pooled_auroc = std::numeric_limits<double>::quiet_NaN();
    cv_result cv;  ///< the per-fold results

    /// AP of each fold (NaN: no per-fold metrics), in fold order.
    std::vector<double> fold_aps() const
    {
        std::vector<double> v;
        for (const auto& f : cv.folds) v.push_back(f.skipped.empty() ? f.ap : std::numeric_limits<double>::quiet_NaN());
        return v;
    }
};

/// Cross-validates a fresh classifier per fold on the window means of `rep` over the task's loci.
/// A zero-width representation is the majority baseline: every test locus is scored by the
/// training positive rate, and its pooled AP is the positive rate and its AUROC 0.5 by definition
/// (pooling the folds' constants would turn their positive rates into a spurious ranking).
inline task_score score_task(const prepared_task& t, const representation& rep, const xgboost_options& xo,
                             std::string method = {})
{
    const Eigen::MatrixXf x = task_features(t, rep);
    task_score s;
    s.task = t.set->task;
    s.cell_type = t.set->cell_type;
    s.method = std::move(method);
    s.loci = static_cast<index_t>(t.y.size());
    s.positives = t.positives;
    s.folds = t.folds.count;
    s.cv = cross_validate(x, t.y, t.chroms, t.folds, xo);
    if (x.cols() == 0 && !std::isnan(s.cv.pooled_ap)) {
        s.cv.pooled_ap = static_cast<double>(t.positives) / static_cast<double>(t.y.size());
        s.cv.pooled_auroc = 0.5;
    }
    if (x.cols() == 0 && !std::isnan(s.cv.heldout_pooled_ap)) {
        s.cv.heldout_pooled_ap =
            static_cast<double>(s.cv.heldout_pooled_positives) / static_cast<double>(s.cv.heldout_pooled_n);
        s.cv.heldout_pooled_auroc = 0.5;
    }
    double sap = 0, sauc = 0, hap = 0;
    std::vector<double> aps;
    for (const auto& f : s.cv.folds) {
        if (f.heldout) {
            ++s.heldout_folds;
            s.heldout_loci += f.n_test;
            s.heldout_positives += f.test_positives;
        }
        if (f.skipped.empty()) {
            ++s.folds_scored;
            sap += f.ap;
            sauc += f.auroc_value;
            aps.push_back(f.ap);
            if (f.heldout) ++s.heldout_folds_scored, hap += f.ap;
        }
    }
    if (s.folds_scored > 0) {
        s.mean_ap = sap / static_cast<double>(s.folds_scored);
        s.mean_auroc = sauc / static_cast<double>(s.folds_scored);
        s.se_ap = mean_and_se(aps).se;
    }
    if (s.heldout_folds_scored > 0) s.heldout_mean_ap = hap / static_cast<double>(s.heldout_folds_scored);
    s.pooled_ap = s.cv.pooled_ap;
    s.pooled_auroc = s.cv.pooled_auroc;
    s.heldout_pooled_ap = s.cv.heldout_pooled_ap;
    s.heldout_pooled_auroc = s.cv.heldout_pooled_auroc;
    return s;
}

/// Scores of a representation summarized per task over its cell types (the ablation's mAP).
struct downstream_summary {
    std::map<std::string, double> pooled_ap;  ///< task → mean pooled AP over its cell types (NaN: none)
    std::map<std::string, double> fold_ap;    ///< task → mean over cell types of the mean AP over scored folds
    double map = std::numeric_limits<double>::quiet_NaN();  ///< mean of pooled_ap over the tasks that have one
};

/// Summarizes the scores of one representation over the tasks in `task_names` (report order):
/// NaN pooled APs and cell types without a scored fold are left out of the means.
inline downstream_summary summarize_tasks(const std::vector<task_score>& scores, const std::vector<std::string>& task_names)
{
    std::map<std::string, std::pair<double, int>> pooled, folds;
    for (const auto& s : scores) {
        if (!std::isnan(s.pooled_ap)) {
            pooled[s.task].first += s.pooled_ap;
            ++pooled[s.task].second;
        }
        if (s.folds_scored > 0) {
            folds[s.task].first += s.mean_ap;
            ++folds[s.task].second;
        }
    }
    downstream_summary out;
    double total = 0;
    int n = 0;
    for (const auto& name : task_names) {
        const auto& [sum, count] = pooled[name];
        out.pooled_ap[name] = count > 0 ? sum / count : std::numeric_limits<double>::quiet_NaN();
        out.fold_ap[name] =
            folds[name].second > 0 ? folds[name].first / folds[name].second : std::numeric_limits<double>::quiet_NaN();
        if (count > 0) {
            total += out.pooled_ap[name];
            ++n;
        }
    }
    if (n > 0) out.map = total / n;
    return out;
}

/// Scores `rep` on every task of `tasks` (usable ones), in order.
inline std::vector<task_score> score_tasks(const std::vector<prepared_task>& tasks, const representation& rep,
                                           const xgboost_options& xo, const std::string& method = {})
{
    std::vector<task_score> out;
    for (const auto& t : tasks) out.push_back(score_task(t, rep, xo, method));
    return out;
}

/// R²(k) of `rep` for each lag (in positions), pairs within a region (eval/smoothness.hpp).
inline std::vector<double> smoothness_curve(const representation& rep, const std::vector<index_t>& lags)
{
    std::vector<Eigen::Map<const row_matrix>> rows;
    for (const auto& g : rep.regions) rows.emplace_back(g.rows.data(), g.rows.rows(), g.rows.cols());
    return smoothness(rows, rep.width, lags);
}

}  // namespace epilstm::eval
