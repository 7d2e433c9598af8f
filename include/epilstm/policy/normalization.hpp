// Normalization policies: what the cell applies to the input projection, the recurrent projection
// and the cell (MODEL-SPEC.md, "Cell": LN_x, LN_h over the 4H pre-activations, LN_c over the H cell
// values), with their forward and backward math.
//
// A normalization maps one column z of n values to x̂; the layer then applies its affine part
// y = γ ⊙ x̂ + β. The affine parameters and their gradients (dγ = Σ dy ⊙ x̂, dβ = Σ dy over the
// columns) are the same for every normalization and stay in the layers. Each policy splits its
// math into a per-column reduction and an elementwise map, forward and backward, so that a GPU runs
// the reductions one thread per column and the maps one thread per element, and the CPU maps a
// whole column at once (Eigen arrays):
//
//   forward_stats(z, n, ε)        → {shift, scale}       x̂  = forward_apply(z, stats)
//   backward_stats(g, x̂, n)       → {mean_g, mean_gx}    dz = backward_apply(g, x̂, scale, stats)
//   with g = γ ⊙ dy (dy = dL/dy), dz = dL/dz.
//
// The reductions read anything indexable with [r] (a pointer, a small view over z + bias); the
// maps take scalars (device kernels, EPILSTM_HD) or Eigen array expressions (the CPU layer). Every
// layer — the CPU's (backend/cpu/lstm_layer.hpp) and the device-generic one (sequence/lstm_layer.hpp,
// through backend/kernels.hpp) — calls these and nothing else, so a new normalization is one struct
// here (and, for the run-time CLI, one line in model/variant_list.hpp).
#pragma once

#include <epilstm/config.hpp>

#include <cmath>
#include <type_traits>

namespace epilstm {

namespace detail {
/// Σ_{r<n} f(r) in eight interleaved partial sums (lane r mod 8, then a fixed pairwise tree): no
/// serial dependence through one accumulator, and every device sums in the same order. Built by GCC
/// or Clang, the lanes are one vector, since GCC otherwise vectorizes the loop over r and then adds
/// each lane's terms one at a time; the tail is unrolled by lane so the accumulators stay in registers.
template <class T, class F> EPILSTM_HD T column_sum(index_t n, const F& f)
{
#if defined(__CUDACC__)  // nvcc (both passes): plain arrays; its front end takes no vector initializers
    T a[8] = {T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0)};
    index_t r = 0;
    for (; r + 8 <= n; r += 8)
        for (int l = 0; l < 8; ++l) a[l] += f(r + l);
#else
    typedef T lanes __attribute__((vector_size(8 * sizeof(T))));
    lanes a = {};
    index_t r = 0;
    for (; r + 8 <= n; r += 8) a += lanes{f(r), f(r + 1), f(r + 2), f(r + 3), f(r + 4), f(r + 5), f(r + 6), f(r + 7)};
#endif
    if (r < n)
        for (int l = 0; l < 8; ++l)
            if (r + l < n) a[l] += f(r + l);
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}
}  // namespace detail

/// Forward statistics of one column: x̂ = (z − shift) · scale.
template <class T> struct norm_stats {
    T shift;
    T scale;
};
/// Backward statistics of one column: mean(g) and mean(g ⊙ x̂).
template <class T> struct norm_grad_stats {
    T mean_g;
    T mean_gx;
};

/// Layer normalization (Ba et al. 2016), biased variance, ε = 1e-5:
///   μ = mean(z), σ² = mean((z − μ)²), x̂ = (z − μ) / sqrt(σ² + ε);
///   dz = (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)) / sqrt(σ² + ε).
struct layer_norm {
    static constexpr const char* name = "layer_norm";
    static constexpr bool enabled = true;
    static constexpr double epsilon = 1e-5;

    template <class T, class Z> EPILSTM_HD static norm_stats<T> forward_stats(const Z& z, index_t n, T eps)
    {
        const T mu = detail::column_sum<T>(n, [&](index_t r) { return T(z[r]); }) / static_cast<T>(n);
        const T v = detail::column_sum<T>(n, [&](index_t r) {
            const T d = z[r] - mu;
            return d * d;
        });
        return {mu, T(1) / std::sqrt(v / static_cast<T>(n) + eps)};
    }
    template <class X, class T> EPILSTM_HD static auto forward_apply(const X& z, const norm_stats<T>& s)
    {
        return (z - s.shift) * s.scale;
    }
    template <class G, class XH> EPILSTM_HD static auto backward_stats(const G& g, const XH& xhat, index_t n)
    {
        using T = std::remove_cvref_t<decltype(g[0] * xhat[0])>;
        const T mg = detail::column_sum<T>(n, [&](index_t r) { return T(g[r]); });
        const T mgx = detail::column_sum<T>(n, [&](index_t r) { return T(g[r] * xhat[r]); });
        return norm_grad_stats<T>{mg / static_cast<T>(n), mgx / static_cast<T>(n)};
    }
    template <class G, class XH, class T>
    EPILSTM_HD static auto backward_apply(const G& g, const XH& xhat, T scale, const norm_grad_stats<T>& s)
    {
        return (g - s.mean_g - xhat * s.mean_gx) * scale;
    }
};

/// Root-mean-square normalization (Zhang & Sennrich 2019), with the same γ and β as layer_norm:
///   r = sqrt(mean(z²) + ε), x̂ = z / r;  dz = (g − x̂ ⊙ mean(g ⊙ x̂)) / r.
/// Not one of the paper's variants (nor of the CLI's): a compile-time ablation, gradient-checked in
/// tests/model/test_gradients.cpp and checked against the device-generic layer in tests/parity.
struct rms_norm {
    static constexpr const char* name = "rms_norm";
    static constexpr bool enabled = true;
    static constexpr double epsilon = 1e-5;

    template <class T, class Z> EPILSTM_HD static norm_stats<T> forward_stats(const Z& z, index_t n, T eps)
    {
        const T v = detail::column_sum<T>(n, [&](index_t r) { return T(z[r] * z[r]); });
        return {T(0), T(1) / std::sqrt(v / static_cast<T>(n) + eps)};
    }
    template <class X, class T> EPILSTM_HD static auto forward_apply(const X& z, const norm_stats<T>& s)
    {
        return z * s.scale;
    }
    template <class G, class XH> EPILSTM_HD static auto backward_stats(const G& g, const XH& xhat, index_t n)
    {
        using T = std::remove_cvref_t<decltype(g[0] * xhat[0])>;
        const T mgx = detail::column_sum<T>(n, [&](index_t r) { return T(g[r] * xhat[r]); });
        return norm_grad_stats<T>{T(0), mgx / static_cast<T>(n)};
    }
    template <class G, class XH, class T>
    EPILSTM_HD static auto backward_apply(const G& g, const XH& xhat, T scale, const norm_grad_stats<T>& s)
    {
        return (g - xhat * s.mean_gx) * scale;
    }
};

/// No normalization: a = W x + b_x + U h + b_h and c = c̃ (the layers skip every normalization step
/// and allocate no γ, β).
struct no_norm {
    static constexpr const char* name = "none";
    static constexpr bool enabled = false;
    static constexpr double epsilon = 0.0;
};

/// name and enabled; an enabled normalization also has the four functions above.
template <class N>
concept normalization_policy = requires {
    { N::name };
    { N::enabled };
} && (!N::enabled || requires(const float* p, index_t n, norm_stats<float> s, norm_grad_stats<float> g) {
    { N::forward_stats(p, n, 1e-5f) };
    { N::forward_apply(1.0f, s) };
    { N::backward_stats(p, p, n) };
    { N::backward_apply(1.0f, 1.0f, 1.0f, g) };
});

}  // namespace epilstm
