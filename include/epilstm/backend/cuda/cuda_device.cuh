// The CUDA device: thrust::cuda algorithms on one stream and cuBLAS for every GEMM. nvcc only.
//
// All work of a model is issued on the device's stream; kernels are asynchronous (par_nosync) and
// only reductions that return a value to the host (the loss, the gradient norm) and downloads wait.
// The stream is a blocking one, so it stays ordered with the legacy default stream as well.
#pragma once

#include <epilstm/backend/buffer.hpp>
#include <epilstm/backend/kernels.hpp>
#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <thrust/fill.h>
#include <thrust/for_each.h>
#include <thrust/functional.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/reduce.h>
#include <thrust/system/cuda/execution_policy.h>
#include <thrust/transform_reduce.h>

#include <string>
#include <type_traits>

namespace epilstm::cuda {

/// A CUDA runtime or cuBLAS failure (no device, out of memory, a launch error).
class cuda_error : public error {
public:
    using error::error;
};

namespace detail {
inline void check(cudaError_t e, const char* what)
{
    if (e != cudaSuccess) throw cuda_error(std::string("CUDA: ") + what + ": " + cudaGetErrorString(e));
}
inline void check(cublasStatus_t s, const char* what)
{
    if (s != CUBLAS_STATUS_SUCCESS)
        throw cuda_error(std::string("cuBLAS: ") + what + " failed (status " + std::to_string(static_cast<int>(s)) + ")");
}
}  // namespace detail

/// Number of usable CUDA devices; 0 when there is none or no working driver.
inline int device_count()
{
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();  // clear the sticky "no driver" error
        return 0;
    }
    return n;
}

/// Device tag: a CUDA device, a stream on it and a cuBLAS handle bound to that stream.
class cuda_device {
public:
    static constexpr const char* name = "cuda";
    /// GPU memory: host frames are staged (epi_lstm::stage), results downloaded.
    static constexpr bool host_memory = false;
    /// Parameters, gradients and workspace arrays.
    template <class U> using vector = buffer<U, cuda_device>;

    explicit cuda_device(int device = 0)
    {
        if (device_count() <= device)
            throw cuda_error("CUDA: no usable GPU (device " + std::to_string(device) + " requested, " +
                             std::to_string(device_count()) + " present)");
        detail::check(cudaSetDevice(device), "cudaSetDevice");
        detail::check(cudaStreamCreate(&stream_), "cudaStreamCreate");
        detail::check(cublasCreate(&blas_), "cublasCreate");
        detail::check(cublasSetStream(blas_, stream_), "cublasSetStream");
    }
    cuda_device(const cuda_device&) = delete;
    cuda_device& operator=(const cuda_device&) = delete;
    ~cuda_device()
    {
        if (blas_) cublasDestroy(blas_);
        if (stream_) cudaStreamDestroy(stream_);
    }

    cudaStream_t stream() const { return stream_; }
    cublasHandle_t blas() const { return blas_; }

    static void* allocate(std::size_t bytes)
    {
        void* p = nullptr;
        detail::check(cudaMalloc(&p, bytes ? bytes : 1), "cudaMalloc");
        return p;
    }
    static void deallocate(void* p) noexcept { cudaFree(p); }

    template <class F> void for_each(index_t n, const F& f) const
    {
        if (n > 0)
            thrust::for_each_n(thrust::cuda::par_nosync.on(stream_), thrust::counting_iterator<index_t>(0), n, f);
    }
    template <class T> T sum(const T* x, index_t n) const
    {
        return thrust::reduce(thrust::cuda::par.on(stream_), x, x + n, T(0));
    }
    template <class T> T sum_squares(const T* x, index_t n) const
    {
        return thrust::transform_reduce(thrust::cuda::par.on(stream_), x, x + n, kernels::square<T>{}, T(0),
                                        thrust::plus<T>());
    }
    template <class T> void fill(T* x, index_t n, T v) const
    {
        if (n > 0) thrust::fill_n(thrust::cuda::par_nosync.on(stream_), x, n, v);
    }
    template <class T> void copy(T* dst, const T* src, index_t n) const
    {
        if (n > 0)
            detail::check(cudaMemcpyAsync(dst, src, bytes<T>(n), cudaMemcpyDeviceToDevice, stream_), "copy on device");
    }
    /// Host → device, ordered on the stream (asynchronous when `host` is pinned).
    template <class T> void upload(T* dst, const T* host, index_t n) const
    {
        if (n > 0) detail::check(cudaMemcpyAsync(dst, host, bytes<T>(n), cudaMemcpyHostToDevice, stream_), "upload");
    }
    /// Device → host; waits for the copy.
    template <class T> void download(T* host, const T* src, index_t n) const
    {
        if (n > 0) detail::check(cudaMemcpyAsync(host, src, bytes<T>(n), cudaMemcpyDeviceToHost, stream_), "download");
        synchronize();
    }
    void synchronize() const { detail::check(cudaStreamSynchronize(stream_), "kernel execution"); }

    /// C = α op(A) op(B) + β C, column-major.
    template <class T>
    void gemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* A, index_t lda,
              const T* B, index_t ldb, T beta, T* C, index_t ldc) const
    {
        if (m == 0 || n == 0) return;
        const auto ta = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, tb = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
        if constexpr (std::is_same_v<T, float>)
            detail::check(cublasSgemm(blas_, ta, tb, int(m), int(n), int(k), &alpha, A, int(lda), B, int(ldb), &beta,
                                      C, int(ldc)),
                          "sgemm");
        else
            detail::check(cublasDgemm(blas_, ta, tb, int(m), int(n), int(k), &alpha, A, int(lda), B, int(ldb), &beta,
                                      C, int(ldc)),
                          "dgemm");
    }

private:
    template <class T> static std::size_t bytes(index_t n) { return static_cast<std::size_t>(n) * sizeof(T); }
    cudaStream_t stream_ = nullptr;
    cublasHandle_t blas_ = nullptr;
};

}  // namespace epilstm::cuda
