// Correlation of each latent feature with an external per-position score (paper §4.3: phyloP
// conservation and GC content; any bigWig/bedGraph/BED track works), and the 2D histogram of a
// feature against the score (paper Fig. 4).
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/eval/reconstruction.hpp>
#include <epilstm/eval/representation.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

namespace epilstm::eval {

/// How bases that no interval covers count.
enum class uncovered_bases {
    zero,     ///< as value 0: a BED of elements becomes the fraction of each bin they cover
    missing,  ///< not at all: a bin's score is the mean over its covered bases; a bin with none is NaN
};

/// The union of the intervals, per chromosome, each with value 1: what a BED of elements covers,
/// whether or not its records overlap (sorted by chromosome, then start).
inline std::vector<interval> covered_union(std::vector<interval> iv)
{
    std::sort(iv.begin(), iv.end(), [](const interval& a, const interval& b) {
        return std::tie(a.chrom, a.start, a.end) < std::tie(b.chrom, b.start, b.end);
    });
    std::vector<interval> out;
    for (auto& i : iv) {
        if (!out.empty() && out.back().chrom == i.chrom && i.start <= out.back().end) {
            out.back().end = std::max(out.back().end, i.end);
            continue;
        }
        i.value = 1;
        out.push_back(std::move(i));
    }
    return out;
}

/// The score of every bin of every region of `r`: the base-weighted mean of the interval values.
/// Overlapping intervals add up (for the fraction a BED covers, pass covered_union of it).
inline std::vector<std::vector<double>> bin_scores(const representation& r, const std::vector<interval>& iv,
                                                   uncovered_bases rule)
{
    std::map<std::string, std::vector<const interval*>> by_chrom;
    for (const auto& i : iv) by_chrom[i.chrom].push_back(&i);
    std::vector<std::vector<double>> out;
    for (const auto& g : r.regions) {
        const std::size_t n = static_cast<std::size_t>(g.rows.rows());
        std::vector<double> sum(n, 0), covered(n, 0);
        const auto it = by_chrom.find(g.chrom);
        if (it != by_chrom.end())
            for (const interval* i : it->second) {
                const std::int64_t a = std::max(i->start, g.start), b = std::min(i->end, g.end);
                for (std::int64_t k = a < b ? (a - g.start) / g.bin_size : 0; a < b; ++k) {
                    const std::int64_t lo = std::max(a, g.start + k * g.bin_size),
                                       hi = std::min(b, g.start + (k + 1) * g.bin_size);
                    if (lo >= hi) break;
                    sum[static_cast<std::size_t>(k)] += i->value * static_cast<double>(hi - lo);
                    covered[static_cast<std::size_t>(k)] += static_cast<double>(hi - lo);
                }
            }
        for (std::size_t k = 0; k < n; ++k) {
            if (rule == uncovered_bases::zero)
                sum[k] /= static_cast<double>(g.bin_size);
            else
                sum[k] = covered[k] > 0 ? sum[k] / covered[k] : std::numeric_limits<double>::quiet_NaN();
        }
        out.push_back(std::move(sum));
    }
    return out;
}

/// Pearson correlation of each column of `r` with the bin scores over the bins with a score.
inline std::vector<double> feature_correlations(const representation& r, const std::vector<std::vector<double>>& score)
{
    const index_t E = r.width;
    Eigen::VectorXd sx = Eigen::VectorXd::Zero(E), sxx = Eigen::VectorXd::Zero(E), sxy = Eigen::VectorXd::Zero(E);
    double n = 0, sy = 0, syy = 0;
    for (std::size_t g = 0; g < r.regions.size(); ++g)
        for (index_t i = 0; i < r.regions[g].rows.rows(); ++i) {
            const double y = score[g][static_cast<std::size_t>(i)];
            if (std::isnan(y)) continue;
            const Eigen::VectorXd x = r.regions[g].rows.row(i).transpose().cast<double>();
            sx += x;
            sxx += x.cwiseProduct(x);
            sxy += x * y;
            sy += y;
            syy += y * y;
            n += 1;
        }
    std::vector<double> out(static_cast<std::size_t>(E), std::numeric_limits<double>::quiet_NaN());
    if (n < 2) return out;
    const double vy = syy / n - (sy / n) * (sy / n);
    for (index_t j = 0; j < E; ++j) {
        const double vx = sxx[j] / n - (sx[j] / n) * (sx[j] / n);
        const double c = sxy[j] / n - (sx[j] / n) * (sy / n);
        if (vx > 0 && vy > 0) out[static_cast<std::size_t>(j)] = c / std::sqrt(vx * vy);
    }
    return out;
}

/// Counts of (feature j, score) pairs on an nx × ny grid spanning each side's range.
struct histogram_2d {
    double x_min = 0, x_max = 0, y_min = 0, y_max = 0;
    Eigen::MatrixXd counts;  ///< [nx, ny]
};

inline histogram_2d feature_score_histogram(const representation& r, index_t j,
                                            const std::vector<std::vector<double>>& score, index_t nx, index_t ny)
{
    if (j < 0 || j >= r.width) throw input_error("epilstm: feature " + std::to_string(j) + " out of range");
    histogram_2d h;
    h.x_min = h.y_min = std::numeric_limits<double>::infinity();
    h.x_max = h.y_max = -std::numeric_limits<double>::infinity();
    for (std::size_t g = 0; g < r.regions.size(); ++g)
        for (index_t i = 0; i < r.regions[g].rows.rows(); ++i) {
            const double y = score[g][static_cast<std::size_t>(i)];
            if (std::isnan(y)) continue;
            const double x = r.regions[g].rows(i, j);
            h.x_min = std::min(h.x_min, x), h.x_max = std::max(h.x_max, x);
            h.y_min = std::min(h.y_min, y), h.y_max = std::max(h.y_max, y);
        }
    h.counts = Eigen::MatrixXd::Zero(nx, ny);
    if (!(h.x_min <= h.x_max)) return h;  // no scored bin
    auto cell = [](double v, double lo, double hi, index_t n) {
        if (hi <= lo) return index_t{0};
        return std::min<index_t>(n - 1, static_cast<index_t>((v - lo) / (hi - lo) * static_cast<double>(n)));
    };
    for (std::size_t g = 0; g < r.regions.size(); ++g)
        for (index_t i = 0; i < r.regions[g].rows.rows(); ++i) {
            const double y = score[g][static_cast<std::size_t>(i)];
            if (std::isnan(y)) continue;
            h.counts(cell(r.regions[g].rows(i, j), h.x_min, h.x_max, nx), cell(y, h.y_min, h.y_max, ny)) += 1;
        }
    return h;
}

}  // namespace epilstm::eval
