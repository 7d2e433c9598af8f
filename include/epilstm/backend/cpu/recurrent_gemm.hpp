// The recurrence's small product, C = A·B (all column-major), without packing A.
//
// Each step of the sequential loop multiplies the same recurrent weights U [4H × H] (or Uᵀ in the
// backward) by a narrow block of hidden states [H × streams]. A general GEMM packs A into its own
// layout on every call: at H = 110 that is 190 KB copied for a 3 MFLOP product, 100 times per
// frame. U's columns are already contiguous, so with AVX-512 this kernel reads them in place:
// 3 vectors of rows × 8 columns of C held in 24 registers, one broadcast of B per column and k.
// Without AVX-512 (or for other shapes of use) it is Eigen's product, as before.
#pragma once

#include <epilstm/config.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <type_traits>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace epilstm::cpu {

#if defined(__AVX512F__)
namespace detail {

template <class T> struct avx512;
template <> struct avx512<float> {
    using reg = __m512;
    using mask = __mmask16;
    static constexpr int lanes = 16;
    static reg zero() { return _mm512_setzero_ps(); }
    static reg load(const float* p, mask m) { return _mm512_maskz_loadu_ps(m, p); }
    static reg broadcast(float x) { return _mm512_set1_ps(x); }
    static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
    static void store(float* p, reg v, mask m) { _mm512_mask_storeu_ps(p, m, v); }
    static mask first(index_t n) { return n >= lanes ? mask(0xFFFF) : mask((1u << n) - 1u); }
};
template <> struct avx512<double> {
    using reg = __m512d;
    using mask = __mmask8;
    static constexpr int lanes = 8;
    static reg zero() { return _mm512_setzero_pd(); }
    static reg load(const double* p, mask m) { return _mm512_maskz_loadu_pd(m, p); }
    static reg broadcast(double x) { return _mm512_set1_pd(x); }
    static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_pd(a, b, c); }
    static void store(double* p, reg v, mask m) { _mm512_mask_storeu_pd(p, m, v); }
    static mask first(index_t n) { return n >= lanes ? mask(0xFF) : mask((1u << n) - 1u); }
};

/// C[rows i0.., NR columns] = A[i0.., :]·B[:, NR columns]: MV vectors of rows, the last masked by
/// `last` (rows past m are neither read nor written).
template <class T, int MV, int NR>
inline void recurrent_tile(index_t k, const T* A, index_t lda, const T* B, index_t ldb, T* C, index_t ldc,
                           typename avx512<T>::mask last)
{
    using V = avx512<T>;
    constexpr int L = V::lanes;
    typename V::reg acc[MV][NR];
    // The accumulators must stay in registers: every loop over MV or NR is unrolled completely.
#pragma GCC unroll 3
    for (int v = 0; v < MV; ++v)
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) acc[v][j] = V::zero();
    const typename V::mask full = V::first(L);
    for (index_t p = 0; p < k; ++p) {
        const T* a = A + p * lda;
        typename V::reg av[MV];
#pragma GCC unroll 3
        for (int v = 0; v < MV; ++v) av[v] = V::load(a + v * L, v == MV - 1 ? last : full);
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) {
            const typename V::reg b = V::broadcast(B[j * ldb + p]);
#pragma GCC unroll 3
            for (int v = 0; v < MV; ++v) acc[v][j] = V::fma(av[v], b, acc[v][j]);
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j)
#pragma GCC unroll 3
        for (int v = 0; v < MV; ++v) V::store(C + j * ldc + v * L, acc[v][j], v == MV - 1 ? last : full);
}

template <class T, int NR>
inline void recurrent_columns(index_t m, index_t k, const T* A, index_t lda, const T* B, index_t ldb, T* C, index_t ldc)
{
    using V = avx512<T>;
    constexpr int L = V::lanes;
    index_t i = 0;
    for (; i + 3 * L <= m; i += 3 * L) recurrent_tile<T, 3, NR>(k, A + i, lda, B, ldb, C + i, ldc, V::first(L));
    const index_t rest = m - i;
    if (rest == 0) return;
    const typename V::mask last = V::first(rest - (rest - 1) / L * L);
    if (rest > 2 * L)
        recurrent_tile<T, 3, NR>(k, A + i, lda, B, ldb, C + i, ldc, last);
    else if (rest > L)
        recurrent_tile<T, 2, NR>(k, A + i, lda, B, ldb, C + i, ldc, last);
    else
        recurrent_tile<T, 1, NR>(k, A + i, lda, B, ldb, C + i, ldc, last);
}

}  // namespace detail
#endif

/// c = a·b for column-major Eigen blocks (c's columns contiguous with any leading dimension); c must
/// not alias a or b. With AVX-512 the unpacked kernel above, otherwise Eigen's product.
template <class A, class B, class C> void recurrent_product(const A& a, const B& b, C&& c)
{
#if defined(__AVX512F__)
    using T = typename std::decay_t<C>::Scalar;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        const index_t m = a.rows(), k = a.cols(), n = b.cols();
        const T* pa = a.data();
        const T* pb = b.data();
        T* pc = c.data();
        const index_t lda = a.outerStride(), ldb = b.outerStride(), ldc = c.outerStride();
        index_t j = 0;
        for (; j + 8 <= n; j += 8) detail::recurrent_columns<T, 8>(m, k, pa, lda, pb + j * ldb, ldb, pc + j * ldc, ldc);
        for (; j < n; ++j) detail::recurrent_columns<T, 1>(m, k, pa, lda, pb + j * ldb, ldb, pc + j * ldc, ldc);
        return;
    }
#endif
    c.noalias() = a * b;
}

}  // namespace epilstm::cpu
