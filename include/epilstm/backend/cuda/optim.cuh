// Adam and global-norm gradient clipping on a device tag, the same rules as train/adam.hpp and
// train/clip.hpp (PyTorch's), over the flat parameter and gradient buffers in device memory.
#pragma once

#include <epilstm/backend/cuda/buffer.cuh>
#include <epilstm/backend/cuda/kernels.cuh>
#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <cmath>
#include <string>

namespace epilstm::cuda {

/// Adam's hyper-parameters (the fields of epilstm::adam_options; train/adam.hpp is host-only).
struct adam_options {
    double learning_rate = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-8;
};

template <class Device, class T = float>
class adam {
public:
    adam(Device& dev, index_t size, adam_options o = {}) : dev_(&dev), opt_(o)
    {
        m_.resize(size);
        v_.resize(size);
        dev.fill(m_.data(), size, T(0));
        dev.fill(v_.data(), size, T(0));
    }

    /// θ ← θ − lr · m̂ / (√v̂ + ε) on device buffers of size() entries.
    void step(T* params, const T* grad)
    {
        ++t_;
        const T c1 = static_cast<T>(1 - std::pow(opt_.beta1, static_cast<double>(t_)));
        const T c2 = static_cast<T>(1 - std::pow(opt_.beta2, static_cast<double>(t_)));
        const T lr = static_cast<T>(opt_.learning_rate);
        dev_->for_each(size(), kernels::adam_update<T>{params, grad, m_.data(), v_.data(), static_cast<T>(opt_.beta1),
                                                       static_cast<T>(opt_.beta2), lr / c1, T(1) / std::sqrt(c2),
                                                       static_cast<T>(opt_.epsilon)});
    }

    index_t size() const { return m_.size(); }
    long steps() const { return t_; }
    const adam_options& options() const { return opt_; }
    const T* first_moment() const { return m_.data(); }
    const T* second_moment() const { return v_.data(); }
    /// Host copies of the moments (for a checkpoint).
    void get_moments(T* m, T* v) const
    {
        dev_->download(m, m_.data(), size());
        dev_->download(v, v_.data(), size());
    }
    /// Restores saved state from host arrays of size() entries.
    void restore(const T* m, const T* v, long steps)
    {
        dev_->upload(m_.data(), m, size());
        dev_->upload(v_.data(), v, size());
        dev_->synchronize();
        t_ = steps;
    }

private:
    Device* dev_;
    adam_options opt_;
    buffer<T, Device> m_, v_;
    long t_ = 0;
};

/// Scales the device gradient to a global L2 norm of at most max_norm (g · max_norm / (‖g‖ + 1e-6)
/// when larger, as torch.nn.utils.clip_grad_norm_); returns the norm before clipping.
template <class Device, class T>
T clip_global_norm(const Device& dev, T* grad, index_t n, T max_norm)
{
    const T norm = std::sqrt(dev.sum_squares(grad, n));
    const T coef = max_norm / (norm + T(1e-6));
    if (coef < T(1)) dev.for_each(n, kernels::scale<T>{grad, coef});
    return norm;
}

}  // namespace epilstm::cuda
