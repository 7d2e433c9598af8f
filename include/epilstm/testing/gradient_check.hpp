// Central-difference gradient and Jacobian checks, usable by downstream code that writes its own
// cells or variants (run them in double precision).
#pragma once

#include <epilstm/config.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <functional>

namespace epilstm::testing {

/// Result of comparing an analytic gradient with central differences.
struct gradient_check_result {
    double max_relative_error = 0;  ///< max over entries of |a − n| / max(|a| + |n|, floor)
    double max_absolute_error = 0;
    index_t worst_index = -1;
    index_t checked = 0;
};

/// Compares `analytic` (dL/dv) with (L(v + h e_i) − L(v − h e_i)) / 2h for every i (or every
/// `stride`-th i). `loss` reads v; v is restored afterwards.
/// The relative error uses max(|a| + |n|, floor) as denominator so entries with tiny gradients
/// are judged by their absolute error against `floor`.
inline gradient_check_result check_gradient(const std::function<double()>& loss, Eigen::Ref<Eigen::VectorXd> v,
                                            const Eigen::Ref<const Eigen::VectorXd>& analytic, double h = 1e-6,
                                            double floor = 1e-7, index_t stride = 1)
{
    gradient_check_result r;
    for (index_t i = 0; i < v.size(); i += stride) {
        const double saved = v[i];
        v[i] = saved + h;
        const double lp = loss();
        v[i] = saved - h;
        const double lm = loss();
        v[i] = saved;
        const double numeric = (lp - lm) / (2 * h);
        const double abs_err = std::abs(numeric - analytic[i]);
        const double rel = abs_err / std::max(std::abs(numeric) + std::abs(analytic[i]), floor);
        if (rel > r.max_relative_error) {
            r.max_relative_error = rel;
            r.worst_index = i;
        }
        r.max_absolute_error = std::max(r.max_absolute_error, abs_err);
        ++r.checked;
    }
    return r;
}

}  // namespace epilstm::testing
