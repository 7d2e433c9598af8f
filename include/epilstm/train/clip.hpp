// Gradient clipping to a global L2 norm over all parameters (MODEL-SPEC: 1.0), as
// torch.nn.utils.clip_grad_norm_ does: g ← g · max_norm / (‖g‖ + 1e-6) when ‖g‖ > max_norm.
// On any device: one reduction (sum_squares) and, when clipping, one elementwise scale.
#pragma once

#include <epilstm/backend/device.hpp>
#include <epilstm/backend/kernels.hpp>
#include <epilstm/config.hpp>

#include <cmath>

namespace epilstm {

/// Scales the device array `grad` of n entries in place; returns the norm before clipping.
template <class Device, class T>
T clip_global_norm(const Device& dev, T* grad, index_t n, T max_norm)
{
    const T norm = std::sqrt(dev.sum_squares(grad, n));
    const T coef = max_norm / (norm + T(1e-6));
    if (coef < T(1)) dev.for_each(n, kernels::scale<T>{grad, coef});
    return norm;
}

/// The same for an array with data() and size() on a stateless device (an Eigen vector on the CPU).
template <class T, class V, class Device = cpu_device>
    requires requires(V& g) { g.data(); g.size(); }
T clip_global_norm(V& grad, T max_norm)
{
    return clip_global_norm(shared_device<Device>(), grad.data(), static_cast<index_t>(grad.size()), max_norm);
}

}  // namespace epilstm
