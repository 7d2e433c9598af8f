// The host-emulated device: the device backend's algorithm (lstm_layer.cuh, epi_lstm.cuh) run on
// the CPU through thrust's C++ system (thrust::cpp) and a plain host GEMM in place of cuBLAS.
//
// Compiled by g++ against the CUDA toolkit's CCCL headers (never Debian's libthrust; see
// docs/gpu.md). It exists so that CI, which has nvcc but no GPU, runs the very functors and call
// sequence the GPU runs and checks them against the CPU backend (tests/parity). It is not fast.
#pragma once

#include <epilstm/backend/buffer.hpp>
#include <epilstm/backend/kernels.hpp>
#include <epilstm/config.hpp>

// thrust's generic headers pull in its CUDA system unless told otherwise; epilstm::cuda_emulation
// (cmake/epilstmCuda.cmake) sets this on the command line, which is where it belongs.
#ifndef THRUST_DEVICE_SYSTEM
#define THRUST_DEVICE_SYSTEM THRUST_DEVICE_SYSTEM_CPP
#endif

#include <thrust/fill.h>
#include <thrust/for_each.h>
#include <thrust/functional.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/reduce.h>
#include <thrust/system/cpp/execution_policy.h>
#include <thrust/transform_reduce.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace epilstm::cuda {

/// Device tag: thrust::cpp algorithms on host memory. Same operations as cuda_device.
struct host_emulation {
    static constexpr const char* name = "host-emulated";
    /// Host memory, but kept behind the device interface (buffers, no Eigen) like a GPU's.
    static constexpr bool host_memory = true;
    template <class U> using vector = buffer<U, host_emulation>;

    static void* allocate(std::size_t bytes)
    {
        void* p = std::malloc(bytes ? bytes : 1);
        if (!p) throw std::bad_alloc();
        return p;
    }
    static void deallocate(void* p) noexcept { std::free(p); }

    template <class F> void for_each(index_t n, const F& f) const
    {
        if (n > 0) thrust::for_each_n(thrust::cpp::par, thrust::counting_iterator<index_t>(0), n, f);
    }
    template <class T> T sum(const T* x, index_t n) const { return thrust::reduce(thrust::cpp::par, x, x + n, T(0)); }
    template <class T> T sum_squares(const T* x, index_t n) const
    {
        return thrust::transform_reduce(thrust::cpp::par, x, x + n, kernels::square<T>{}, T(0), thrust::plus<T>());
    }
    template <class T> void fill(T* x, index_t n, T v) const
    {
        if (n > 0) thrust::fill_n(thrust::cpp::par, x, n, v);
    }
    template <class T> void copy(T* dst, const T* src, index_t n) const
    {
        if (n > 0) std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(T));
    }
    template <class T> void upload(T* dst, const T* host, index_t n) const { copy(dst, host, n); }
    template <class T> void download(T* host, const T* src, index_t n) const { copy(host, src, n); }
    void synchronize() const {}

    /// C = α op(A) op(B) + β C, column-major (cuBLAS's gemm). β = 0 ignores C's old contents.
    template <class T>
    void gemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* A, index_t lda,
              const T* B, index_t ldb, T beta, T* C, index_t ldc) const
    {
        for (index_t j = 0; j < n; ++j) {
            T* c = C + j * ldc;
            for (index_t i = 0; i < m; ++i) c[i] = beta == T(0) ? T(0) : beta * c[i];
            if (!trans_a) {
                for (index_t p = 0; p < k; ++p) {
                    const T b = alpha * (trans_b ? B[j + p * ldb] : B[p + j * ldb]);
                    const T* a = A + p * lda;
                    for (index_t i = 0; i < m; ++i) c[i] += a[i] * b;
                }
            } else {
                for (index_t i = 0; i < m; ++i) {
                    const T* a = A + i * lda;
                    T s = 0;
                    for (index_t p = 0; p < k; ++p) s += a[p] * (trans_b ? B[j + p * ldb] : B[p + j * ldb]);
                    c[i] += alpha * s;
                }
            }
        }
    }
};

}  // namespace epilstm::cuda
