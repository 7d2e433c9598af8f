// Smoothness of a representation along the genome (paper §4.4): how much of the representation at
// x + k is explained linearly by the representation at x.
//
//   R²(k) = 1 − Σ ‖z(x+k) − (B z(x) + b)‖² / Σ ‖z(x+k) − mean z‖²
//
// with B, b the least-squares fit over every pair (x, x+k) inside one region (pairs never span two
// regions). Computed from accumulated Gram matrices, so any genome length costs O(E²) memory.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace epilstm::eval {

/// Accumulates the pairs (z(x), z(x+k)) of one lag k, region by region.
class lagged_regression {
public:
    explicit lagged_regression(index_t width)
        : E_(width), xtx_(Eigen::MatrixXd::Zero(width + 1, width + 1)), xty_(Eigen::MatrixXd::Zero(width + 1, width)),
          ysum_(Eigen::VectorXd::Zero(width))
    {
    }

    /// Adds the pairs of a region: rows [n, E] (one row per position), lag in positions. Works in
    /// blocks of positions, each two matrix products.
    template <class Rows>
    void add_region(const Rows& rows, index_t lag)
    {
        if (rows.cols() != E_) throw shape_error("epilstm: smoothness: region width differs from the representation's");
        constexpr index_t block = 65536;
        const index_t pairs = rows.rows() - lag;
        Eigen::MatrixXd x, y;
        for (index_t first = 0; first < pairs; first += block) {
            const index_t m = std::min(block, pairs - first);
            x.resize(m, E_ + 1);
            x.leftCols(E_) = rows.middleRows(first, m).template cast<double>();
            x.col(E_).setOnes();
            y = rows.middleRows(first + lag, m).template cast<double>();
            xtx_.noalias() += x.transpose() * x;
            xty_.noalias() += x.transpose() * y;
            ysum_ += y.colwise().sum().transpose();
            yy_ += y.squaredNorm();
            n_ += m;
        }
    }

    index_t pairs() const { return n_; }

    /// R² of the fit; NaN without pairs or when z(x+k) does not vary.
    double r_squared() const
    {
        if (n_ < 2) return std::numeric_limits<double>::quiet_NaN();
        const Eigen::MatrixXd& a = xtx_;
        // A tiny ridge keeps constant features (e.g. saturated units) from making the system singular.
        const Eigen::MatrixXd reg = a + 1e-9 * a.diagonal().cwiseAbs().maxCoeff() * Eigen::MatrixXd::Identity(E_ + 1, E_ + 1);
        const Eigen::MatrixXd b = reg.ldlt().solve(xty_);
        const double n = static_cast<double>(n_);
        const double sst = yy_ - ysum_.squaredNorm() / n;
        // SSE = Σ‖y‖² − 2 tr(Bᵀ Xᵀ Y) + tr(Bᵀ XᵀX B)
        const double sse = yy_ - 2.0 * (b.cwiseProduct(xty_)).sum() + (b.cwiseProduct(a * b)).sum();
        if (!(sst > 0)) return std::numeric_limits<double>::quiet_NaN();
        return 1.0 - std::max(sse, 0.0) / sst;
    }

private:
    index_t E_;
    Eigen::MatrixXd xtx_, xty_;
    Eigen::VectorXd ysum_;
    double yy_ = 0;
    index_t n_ = 0;
};

/// R²(k) for each lag (in positions) over regions given as [n, E] row blocks.
template <class Region>
std::vector<double> smoothness(const std::vector<Region>& regions, index_t width, const std::vector<index_t>& lags)
{
    std::vector<double> out;
    for (index_t lag : lags) {
        if (lag <= 0) throw input_error("epilstm: smoothness lags must be positive (got " + std::to_string(lag) + ")");
        lagged_regression fit(width);
        for (const auto& r : regions) fit.add_region(r, lag);
        out.push_back(fit.r_squared());
    }
    return out;
}

}  // namespace epilstm::eval
