// Gradient clipping to a global L2 norm over all parameters (MODEL-SPEC: 1.0), as
// torch.nn.utils.clip_grad_norm_ does: g ← g · max_norm / (‖g‖ + 1e-6) when ‖g‖ > max_norm.
#pragma once

#include <Eigen/Core>

#include <cmath>

namespace epilstm {

/// Scales `grad` in place; returns the norm before clipping.
template <class T>
T clip_global_norm(Eigen::Ref<Eigen::Matrix<T, Eigen::Dynamic, 1>> grad, T max_norm)
{
    const T norm = grad.norm();
    const T coef = max_norm / (norm + T(1e-6));
    if (coef < T(1)) grad *= coef;
    return norm;
}

}  // namespace epilstm
