// Adam (Kingma & Ba 2015) over a flat parameter array on any device, with PyTorch's update rule
// (bias-corrected moments, ε added to the bias-corrected √v̂) so that runs can be compared:
//   m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g²,  θ ← θ − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
// One elementwise kernel (backend/kernels.hpp: adam_update) run by the device's for_each. The
// optimizer owns its moments in device memory; a checkpoint saves them (io/checkpoint.hpp).
#pragma once

#include <epilstm/backend/device.hpp>
#include <epilstm/backend/kernels.hpp>
#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/train/adam_options.hpp>

#include <cmath>
#include <string>

namespace epilstm {

template <class T = float, class Device = cpu_device>
class adam {
public:
    using vector = typename Device::template vector<T>;

    adam() = default;
    /// Zero moments for `size` parameters on `dev`.
    adam(Device& dev, index_t size, adam_options o = {}) : dev_(&dev), opt_(o)
    {
        m_.resize(size);
        v_.resize(size);
        dev.fill(m_.data(), size, T(0));
        dev.fill(v_.data(), size, T(0));
    }
    /// The same on a stateless device's shared instance (the CPU).
    adam(index_t size, adam_options o = {})
        requires is_stateless_device<Device>
        : adam(shared_device<Device>(), size, o)
    {
    }

    /// θ ← θ − lr · m̂ / (√v̂ + ε) on device arrays of size() entries.
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
    /// step() on arrays with data() and size() (Eigen vectors on the CPU, buffers elsewhere).
    template <class P, class G>
        requires requires(P& p, const G& g) { p.data(); g.data(); p.size(); g.size(); }
    void step(P& params, const G& grad)
    {
        if (static_cast<index_t>(params.size()) != size() || static_cast<index_t>(grad.size()) != size())
            throw shape_error("epilstm: adam state has " + std::to_string(size()) + " entries but got " +
                              std::to_string(params.size()) + " parameters and " + std::to_string(grad.size()) +
                              " gradients");
        step(params.data(), grad.data());
    }

    index_t size() const { return static_cast<index_t>(m_.size()); }
    long steps() const { return t_; }
    const adam_options& options() const { return opt_; }
    adam_options& options() { return opt_; }
    /// The moments in device memory.
    const vector& first_moment() const { return m_; }
    const vector& second_moment() const { return v_; }
    /// Host copies of the moments (size() entries each), e.g. for a checkpoint.
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
    /// restore() from host arrays with data() and size(), checked against size().
    template <class M, class V>
        requires requires(const M& m, const V& v) { m.data(); v.data(); m.size(); v.size(); }
    void restore(const M& m, const V& v, long steps)
    {
        if (static_cast<index_t>(m.size()) != size() || static_cast<index_t>(v.size()) != size())
            throw shape_error("epilstm: saved optimizer state has " + std::to_string(m.size()) +
                              " entries but the model has " + std::to_string(size()) + " parameters");
        restore(m.data(), v.data(), steps);
    }

private:
    Device* dev_ = nullptr;
    adam_options opt_{};
    vector m_, v_;
    long t_ = 0;
};

}  // namespace epilstm
