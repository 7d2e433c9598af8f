// Activation policies. Each is a stateless struct with
//   value(z)              φ(z), scalar, usable from host and device code (EPILSTM_HD);
//   derivative_at(y)      φ'(z) expressed through the output y = φ(z), so that backward passes need
//                         only the cached outputs;
//   array(z)              the same as value for Eigen arrays (host only; a template, so nvcc never
//                         instantiates it in device code).
// Paper §3.4 uses softsign for the cell and candidate (φ) and sigmoid for the gates.
#pragma once

#include <epilstm/config.hpp>

#include <cmath>

namespace epilstm {

/// softsign(z) = z / (1 + |z|). Quadratic tails; the paper's default φ (§3.4).
struct softsign {
    static constexpr const char* name = "softsign";
    template <class T> EPILSTM_HD static T value(T z) { return z / (T(1) + (z < T(0) ? -z : z)); }
    // 1 / (1 + |z|)^2 == (1 - |y|)^2
    template <class T> EPILSTM_HD static T derivative_at(T y)
    {
        const T a = T(1) - (y < T(0) ? -y : y);
        return a * a;
    }
    template <class A> static auto array(const A& z) { return z / (z.abs() + typename A::Scalar(1)); }
    template <class A> static auto derivative_array(const A& y) { return (typename A::Scalar(1) - y.abs()).square(); }
};

/// Hyperbolic tangent, the usual LSTM φ; an ablation of Epi-LSTM.
struct tanh_activation {
    static constexpr const char* name = "tanh";
    template <class T> EPILSTM_HD static T value(T z) { return std::tanh(z); }
    template <class T> EPILSTM_HD static T derivative_at(T y) { return T(1) - y * y; }
    template <class A> static auto array(const A& z) { return z.tanh(); }
    template <class A> static auto derivative_array(const A& y) { return typename A::Scalar(1) - y.square(); }
};

/// Logistic sigmoid, used for the input, forget and output gates.
struct sigmoid {
    static constexpr const char* name = "sigmoid";
    template <class T> EPILSTM_HD static T value(T z) { return T(1) / (T(1) + std::exp(-z)); }
    template <class T> EPILSTM_HD static T derivative_at(T y) { return y * (T(1) - y); }
    template <class A> static auto array(const A& z) { return ((-z).exp() + typename A::Scalar(1)).inverse(); }
    template <class A> static auto derivative_array(const A& y) { return y * (typename A::Scalar(1) - y); }
};

/// True for the activation policies above (and any user type with the same members).
template <class A>
concept activation_policy = requires(float z) {
    { A::name };
    { A::value(z) };
    { A::derivative_at(z) };
};

}  // namespace epilstm
