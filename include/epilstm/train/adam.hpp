// Adam (Kingma & Ba 2015) over a flat parameter vector, with PyTorch's defaults and update rule
// (bias-corrected moments, ε added to the bias-corrected √v̂) so that runs can be compared.
// The optimizer owns its state; a checkpoint saves it (io/checkpoint.hpp) to resume exactly.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <Eigen/Core>

#include <cmath>
#include <string>

namespace epilstm {

struct adam_options {
    double learning_rate = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-8;
};

template <class T = float>
class adam {
public:
    using vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

    adam() = default;
    adam(index_t size, adam_options o = {}) : opt_(o), m_(vector::Zero(size)), v_(vector::Zero(size)) {}

    /// θ ← θ − lr · m̂ / (√v̂ + ε), m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t).
    void step(Eigen::Ref<vector> params, const Eigen::Ref<const vector>& grad)
    {
        if (params.size() != m_.size() || grad.size() != m_.size())
            throw shape_error("epilstm: adam state has " + std::to_string(m_.size()) + " entries but got " +
                              std::to_string(params.size()) + " parameters and " + std::to_string(grad.size()) +
                              " gradients");
        ++t_;
        const T b1 = static_cast<T>(opt_.beta1), b2 = static_cast<T>(opt_.beta2);
        const T c1 = static_cast<T>(1 - std::pow(opt_.beta1, static_cast<double>(t_)));
        const T c2 = static_cast<T>(1 - std::pow(opt_.beta2, static_cast<double>(t_)));
        const T lr = static_cast<T>(opt_.learning_rate), eps = static_cast<T>(opt_.epsilon);
        m_ = b1 * m_ + (T(1) - b1) * grad;
        v_ = b2 * v_ + (T(1) - b2) * grad.cwiseAbs2();
        const T step_size = lr / c1;
        const T inv_sqrt_c2 = T(1) / std::sqrt(c2);
        params.array() -= step_size * m_.array() / (v_.array().sqrt() * inv_sqrt_c2 + eps);
    }

    const adam_options& options() const { return opt_; }
    adam_options& options() { return opt_; }
    const vector& first_moment() const { return m_; }
    const vector& second_moment() const { return v_; }
    long steps() const { return t_; }

    /// Restores saved state (from a checkpoint).
    void restore(vector m, vector v, long steps)
    {
        if (m.size() != m_.size() || v.size() != m_.size())
            throw shape_error("epilstm: saved optimizer state has " + std::to_string(m.size()) +
                              " entries but the model has " + std::to_string(m_.size()) + " parameters");
        m_ = std::move(m);
        v_ = std::move(v);
        t_ = steps;
    }

private:
    adam_options opt_{};
    vector m_, v_;
    long t_ = 0;
};

}  // namespace epilstm
