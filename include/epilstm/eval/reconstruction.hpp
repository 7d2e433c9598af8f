// Reconstruction quality on held-out regions, in the style of the ENCODE Imputation Challenge
// (Schreiber et al. 2023): mean squared error over every position and track, at promoters, over
// gene bodies and at the top 1% of each track's observed signal, and the Pearson correlation of
// each track between observed and predicted. The same scores for any predictor (the model, PCA
// of equal dimension, the per-track mean), so they can be compared.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/eval/representation.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace epilstm::eval {

/// A genomic interval with a value (BED: 1; bedGraph: its 4th column).
struct interval {
    std::string chrom;
    std::int64_t start = 0, end = 0;
    double value = 1;
};

/// For each region of `r`, a 0/1 mask of its bins that overlap at least one interval.
inline std::vector<std::vector<std::uint8_t>> interval_masks(const representation& r, const std::vector<interval>& iv)
{
    std::map<std::string, std::vector<const interval*>> by_chrom;
    for (const auto& i : iv) by_chrom[i.chrom].push_back(&i);
    std::vector<std::vector<std::uint8_t>> out;
    for (const auto& g : r.regions) {
        std::vector<std::uint8_t> m(static_cast<std::size_t>(g.rows.rows()), 0);
        const auto it = by_chrom.find(g.chrom);
        if (it != by_chrom.end())
            for (const interval* i : it->second) {
                const std::int64_t a = std::max(i->start, g.start), b = std::min(i->end, g.end);
                if (a >= b) continue;
                const std::int64_t first = (a - g.start) / g.bin_size, last = (b - 1 - g.start) / g.bin_size;
                for (std::int64_t k = first; k <= last; ++k) m[static_cast<std::size_t>(k)] = 1;
            }
        out.push_back(std::move(m));
    }
    return out;
}

struct reconstruction_quality {
    double mse = std::numeric_limits<double>::quiet_NaN();           ///< every position × track
    double mse_promoters = std::numeric_limits<double>::quiet_NaN(); ///< positions in the promoter mask
    double mse_gene_bodies = std::numeric_limits<double>::quiet_NaN();
    double mse_top1 = std::numeric_limits<double>::quiet_NaN();      ///< each track's top 1% observed positions
    std::vector<double> pearson;  ///< per track (NaN when a side is constant)
    index_t positions = 0, promoter_positions = 0, gene_body_positions = 0;
};

/// Scores `predicted` against `observed` (same regions and widths). `promoters`/`gene_bodies` are
/// masks from interval_masks (empty: that score stays NaN).
inline reconstruction_quality score_reconstruction(const representation& observed, const representation& predicted,
                                                   const std::vector<std::vector<std::uint8_t>>& promoters = {},
                                                   const std::vector<std::vector<std::uint8_t>>& gene_bodies = {})
{
    if (observed.regions.size() != predicted.regions.size() || observed.width != predicted.width)
        throw shape_error("epilstm: reconstruction of " + predicted.source + " does not match the shape of " +
                          observed.source);
    const index_t D = observed.width;
    reconstruction_quality q;
    double se = 0, se_p = 0, se_g = 0;
    std::vector<double> sx(D, 0), sy(D, 0), sxx(D, 0), syy(D, 0), sxy(D, 0);
    std::vector<std::vector<std::pair<float, float>>> by_track(static_cast<std::size_t>(D));  // (observed, sq. error)
    for (std::size_t r = 0; r < observed.regions.size(); ++r) {
        const auto& o = observed.regions[r].rows;
        const auto& p = predicted.regions[r].rows;
        if (o.rows() != p.rows()) throw shape_error("epilstm: region " + observed.regions[r].name + " differs in length");
        for (index_t i = 0; i < o.rows(); ++i) {
            double row = 0;
            for (index_t d = 0; d < D; ++d) {
                const double x = o(i, d), y = p(i, d), e = (x - y) * (x - y);
                row += e;
                sx[d] += x;
                sy[d] += y;
                sxx[d] += x * x;
                syy[d] += y * y;
                sxy[d] += x * y;
                by_track[static_cast<std::size_t>(d)].emplace_back(static_cast<float>(x), static_cast<float>(e));
            }
            se += row;
            if (!promoters.empty() && promoters[r][static_cast<std::size_t>(i)]) {
                se_p += row;
                ++q.promoter_positions;
            }
            if (!gene_bodies.empty() && gene_bodies[r][static_cast<std::size_t>(i)]) {
                se_g += row;
                ++q.gene_body_positions;
            }
            ++q.positions;
        }
    }
    if (q.positions == 0) return q;
    const double n = static_cast<double>(q.positions), Dd = static_cast<double>(D);
    q.mse = se / (n * Dd);
    if (q.promoter_positions > 0) q.mse_promoters = se_p / (static_cast<double>(q.promoter_positions) * Dd);
    if (q.gene_body_positions > 0) q.mse_gene_bodies = se_g / (static_cast<double>(q.gene_body_positions) * Dd);
    double se_top = 0, n_top = 0;
    const std::size_t top = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(0.01 * n)));
    for (index_t d = 0; d < D; ++d) {
        auto& v = by_track[static_cast<std::size_t>(d)];
        std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(top), v.end(),
                          [](const auto& a, const auto& b) { return a.first > b.first; });
        for (std::size_t k = 0; k < top; ++k) se_top += v[k].second;
        n_top += static_cast<double>(top);
        const double cov = sxy[d] / n - sx[d] / n * sy[d] / n;
        const double vx = sxx[d] / n - sx[d] / n * sx[d] / n, vy = syy[d] / n - sy[d] / n * sy[d] / n;
        // A constant side (the per-track mean) has no correlation; rounding leaves its variance a hair
        // above zero, so compare with the magnitude of the values.
        const double tiny = 1e-12 * std::max({1.0, sxx[d] / n, syy[d] / n});
        q.pearson.push_back(vx > tiny && vy > tiny ? cov / std::sqrt(vx * vy) : std::numeric_limits<double>::quiet_NaN());
    }
    q.mse_top1 = se_top / n_top;
    return q;
}

/// The per-track-mean predictor: every position of `r` predicted by `mean` [D].
inline representation constant_prediction(const representation& r, const Eigen::RowVectorXd& mean)
{
    representation out{"per-track mean", r.width, {}};
    for (const auto& g : r.regions) {
        row_matrix m(g.rows.rows(), r.width);
        m.rowwise() = mean.cast<float>();
        out.regions.push_back({g.name, g.chrom, g.start, g.end, g.bin_size, std::move(m)});
    }
    return out;
}

}  // namespace epilstm::eval
