// Classification metrics of the downstream evaluation (paper §3.6): average precision and AUROC.
//
// average_precision follows scikit-learn's `average_precision_score` exactly:
//   AP = Σ_n (R_n − R_{n−1}) · P_n
// over the distinct score thresholds taken from the highest down (tied scores form one threshold,
// so ties are neither optimistic nor pessimistic), with R_0 = 0. It is not the interpolated
// (trapezoidal or 11-point) area. auroc is the Mann–Whitney U statistic over all
// positive–negative pairs, a tie counting one half (= `roc_auc_score`).
// Both return NaN when the labels hold a single class: the metric is undefined there and the
// caller reports the fold as skipped rather than inventing a number.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace epilstm::eval {

namespace detail {
inline void check_metric_input(std::size_t scores, std::size_t labels, const char* what)
{
    if (scores != labels)
        throw shape_error(std::string("epilstm: ") + what + ": " + std::to_string(scores) + " scores but " +
                          std::to_string(labels) + " labels");
}

/// Indices of `scores` ordered by decreasing score (stable, so the result is deterministic).
template <class Score>
std::vector<std::size_t> order_descending(std::span<const Score> scores)
{
    std::vector<std::size_t> idx(scores.size());
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
    return idx;
}
}  // namespace detail

/// Average precision of `scores` (higher = more likely positive) for binary `labels` (non-zero =
/// positive), as scikit-learn computes it. NaN when there is no positive.
template <class Score, class Label>
double average_precision(std::span<const Score> scores, std::span<const Label> labels)
{
    detail::check_metric_input(scores.size(), labels.size(), "average_precision");
    double positives = 0;
    for (const Label& l : labels) positives += l != Label{} ? 1 : 0;
    if (positives == 0) return std::numeric_limits<double>::quiet_NaN();
    const auto idx = detail::order_descending(scores);
    double tp = 0, fp = 0, ap = 0, prev_recall = 0;
    for (std::size_t k = 0; k < idx.size(); ++k) {
        if (labels[idx[k]] != Label{})
            tp += 1;
        else
            fp += 1;
        // A threshold ends where the next score differs (or at the end).
        if (k + 1 < idx.size() && scores[idx[k + 1]] == scores[idx[k]]) continue;
        const double recall = tp / positives;
        ap += (recall - prev_recall) * (tp / (tp + fp));
        prev_recall = recall;
    }
    return ap;
}

/// Area under the ROC curve = P(score of a random positive > score of a random negative), ties
/// counting 1/2 (Mann–Whitney with average ranks). NaN when either class is absent.
template <class Score, class Label>
double auroc(std::span<const Score> scores, std::span<const Label> labels)
{
    detail::check_metric_input(scores.size(), labels.size(), "auroc");
    const std::size_t n = scores.size();
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    double pos = 0, rank_sum = 0;
    for (std::size_t k = 0; k < n;) {
        std::size_t e = k + 1;
        while (e < n && scores[idx[e]] == scores[idx[k]]) ++e;
        const double avg_rank = 0.5 * static_cast<double>(k + 1 + e);  // ranks k+1 .. e
        for (std::size_t j = k; j < e; ++j)
            if (labels[idx[j]] != Label{}) {
                pos += 1;
                rank_sum += avg_rank;
            }
        k = e;
    }
    const double neg = static_cast<double>(n) - pos;
    if (pos == 0 || neg == 0) return std::numeric_limits<double>::quiet_NaN();
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

/// Convenience overloads for vectors.
template <class Score, class Label>
double average_precision(const std::vector<Score>& scores, const std::vector<Label>& labels)
{
    return average_precision(std::span<const Score>(scores), std::span<const Label>(labels));
}
template <class Score, class Label>
double auroc(const std::vector<Score>& scores, const std::vector<Label>& labels)
{
    return auroc(std::span<const Score>(scores), std::span<const Label>(labels));
}

/// Fraction of positive labels: the average precision of the majority (constant-score) baseline.
template <class Label>
double positive_rate(std::span<const Label> labels)
{
    if (labels.empty()) return std::numeric_limits<double>::quiet_NaN();
    double p = 0;
    for (const Label& l : labels) p += l != Label{} ? 1 : 0;
    return p / static_cast<double>(labels.size());
}

}  // namespace epilstm::eval
