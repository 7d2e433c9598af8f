// Smoothness of a representation along the genome (paper §4.4): how much of the representation at
// x + k is explained linearly by the representation at x.
//
//   R²(k) = 1 − Σ ‖z(x+k) − (B z(x) + b)‖² / Σ ‖z(x+k) − mean z‖²
//
// with B, b the least-squares fit over every pair (x, x+k) inside one region (pairs never span two
// regions). Computed from accumulated Gram matrices, so any genome length costs O(E²) memory; each
// region's Gram matrix is formed once and shared by every lag.
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

    /// Adds the pairs of a region: rows [n, E] (one row per position), lag in positions.
    template <class Rows>
    void add_region(const Rows& rows, index_t lag)
    {
        if (rows.cols() != E_) throw shape_error("epilstm: smoothness: region width differs from the representation's");
        const Eigen::MatrixXd x = rows.template cast<double>();
        Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(E_, E_);
        gram.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());
        add_region(x, gram.selfadjointView<Eigen::Lower>(), lag);
    }

    /// Adds the pairs of a region given in double with its Gram matrix xᵀx (computed once for all
    /// lags: the pairs' own Gram is it minus the last `lag` rows', so each lag costs one product).
    void add_region(const Eigen::MatrixXd& x, const Eigen::MatrixXd& gram, index_t lag)
    {
        const index_t n = x.rows(), m = n - lag;
        if (m <= 0) return;
        const auto head = x.topRows(m), tail = x.bottomRows(lag), lead = x.topRows(lag), y = x.bottomRows(m);
        xtx_.topLeftCorner(E_, E_) += gram;
        xtx_.topLeftCorner(E_, E_).noalias() -= tail.transpose() * tail;
        const Eigen::VectorXd sx = head.colwise().sum().transpose();
        xtx_.col(E_).head(E_) += sx;
        xtx_.row(E_).head(E_) += sx.transpose();
        xtx_(E_, E_) += static_cast<double>(m);
        xty_.topRows(E_).noalias() += head.transpose() * y;
        const Eigen::VectorXd sy = y.colwise().sum().transpose();
        xty_.row(E_) += sy.transpose();
        ysum_ += sy;
        yy_ += gram.trace() - lead.squaredNorm();
        n_ += m;
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
    for (index_t lag : lags)
        if (lag <= 0) throw input_error("epilstm: smoothness lags must be positive (got " + std::to_string(lag) + ")");
    std::vector<lagged_regression> fits(lags.size(), lagged_regression(width));
    for (const auto& r : regions) {  // each region converted and its Gram matrix formed once
        if (r.cols() != width) throw shape_error("epilstm: smoothness: region width differs from the representation's");
        const Eigen::MatrixXd x = r.template cast<double>();
        Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(width, width);
        gram.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());
        gram = gram.selfadjointView<Eigen::Lower>();
        for (std::size_t k = 0; k < lags.size(); ++k) fits[k].add_region(x, gram, lags[k]);
    }
    std::vector<double> out;
    for (const auto& f : fits) out.push_back(f.r_squared());
    return out;
}

}  // namespace epilstm::eval
