// Principal components of a signal: the linear baseline of the evaluation. A representation users
// will ask about ("is the LSTM better than PCA with as many dimensions?") and a reconstruction
// baseline (project on k components, map back).
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/eval/representation.hpp>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <functional>

namespace epilstm::eval {

struct pca_model {
    Eigen::RowVectorXd mean;       ///< [D]
    Eigen::MatrixXd components;    ///< [D, k], orthonormal, by decreasing variance
    Eigen::VectorXd variance;      ///< [k] variance along each component

    index_t dimensions() const { return components.cols(); }
    /// Scores of rows [n, D] → [n, k].
    row_matrix project(const row_matrix& x) const
    {
        return ((x.cast<double>().rowwise() - mean) * components).cast<float>();
    }
    /// The rank-k approximation of rows [n, D] → [n, D].
    row_matrix reconstruct(const row_matrix& x) const
    {
        const Eigen::MatrixXd s = (x.cast<double>().rowwise() - mean) * components;
        return ((s * components.transpose()).rowwise() + mean).cast<float>();
    }
    /// The representation projected region by region (same regions, k wide).
    representation project(const representation& r) const
    {
        representation out{r.source + " (PCA)", dimensions(), {}};
        for (const auto& g : r.regions) out.regions.push_back({g.name, g.chrom, g.start, g.end, g.bin_size, project(g.rows)});
        return out;
    }
};

/// Fits the top-k principal components on every position of the regions `use` accepts (all when
/// `use` is empty), from the covariance accumulated in double precision.
inline pca_model fit_pca(const representation& r, index_t k,
                         const std::function<bool(const represented_region&)>& use = {})
{
    const index_t D = r.width;
    if (k < 1) throw input_error("epilstm: PCA needs at least one component");
    Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(D);
    Eigen::MatrixXd cross = Eigen::MatrixXd::Zero(D, D);
    double n = 0;
    for (const auto& g : r.regions) {
        if (use && !use(g)) continue;
        const Eigen::MatrixXd x = g.rows.cast<double>();
        sum += x.colwise().sum();
        cross.noalias() += x.transpose() * x;
        n += static_cast<double>(x.rows());
    }
    if (n < 2) throw input_error("epilstm: PCA of " + r.source + " needs at least two positions");
    pca_model m;
    m.mean = sum / n;
    const Eigen::MatrixXd cov = cross / n - m.mean.transpose() * m.mean;
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(cov);
    k = std::min(k, D);
    m.components.resize(D, k);
    m.variance.resize(k);
    for (index_t j = 0; j < k; ++j) {  // eigenvalues ascending: the last k, largest first
        m.components.col(j) = es.eigenvectors().col(D - 1 - j);
        m.variance[j] = std::max(0.0, es.eigenvalues()[D - 1 - j]);
    }
    return m;
}

}  // namespace epilstm::eval
