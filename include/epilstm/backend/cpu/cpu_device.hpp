// The CPU device tag: the operations every device offers the model (model/epi_lstm.hpp) and the
// device-generic LSTM layer (sequence/lstm_layer.hpp), implemented with Eigen and OpenMP, plus the
// CPU's tuned frame unroll (backend/cpu/lstm_layer.hpp) as its LSTM layer.
//
// The operation set is the same as cuda_device's and host_emulation's (backend/cuda/):
//   allocate, deallocate       raw memory for buffer<T, Device>
//   vector<U>                  the owning array type of parameters, gradients and workspaces
//   for_each(n, f)             f(i) for i in 0..n-1 (kernels from backend/kernels.hpp)
//   sum, sum_squares           reductions that return a value to the host
//   fill, copy, upload, download, synchronize
//   gemm                       C = α op(A) op(B) + β C, column-major (cuBLAS's argument order)
// Work is split over threads here (parallel.hpp: OpenMP when compiled with -fopenmp), never by
// Eigen's own GEMM threading. Every split gives each output element to exactly one thread, in a
// fixed order, so results do not depend on the number of threads' timing.
#pragma once

#include <epilstm/backend/cpu/lstm_layer.hpp>
#include <epilstm/backend/cpu/parallel.hpp>
#include <epilstm/config.hpp>

#include <Eigen/Core>

#include <cstdlib>
#include <cstring>
#include <new>

namespace epilstm {

struct cpu_device {
    static constexpr const char* name = "cpu";
    /// Device memory is host memory: frames need no staging, and host code may read buffers.
    static constexpr bool host_memory = true;

    /// Parameters, gradients and workspace arrays: Eigen vectors, so CPU code keeps Eigen's API.
    template <class U> using vector = Eigen::Matrix<U, Eigen::Dynamic, 1>;
    /// The CPU's own frame unroll (fused elementwise work, streams split over threads).
    template <class Spec, class U> using lstm_layer = cpu::lstm_layer<Spec, U>;

    static void* allocate(std::size_t bytes)
    {
        void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
        if (!p) throw std::bad_alloc();
        return p;
    }
    static void deallocate(void* p) noexcept { std::free(p); }

    /// f(i) for every i in [0, n), split into contiguous ranges over threads when n is large.
    template <class F> void for_each(index_t n, const F& f) const
    {
        const int nt = n >= parallel_threshold ? cpu::threads_for(n / (parallel_threshold / 2)) : 1;
        cpu::parallel_region(nt, [&](int tid, int nth) {
            const auto r = cpu::split_range(n, nth, tid);
            for (index_t i = r.first; i < r.second; ++i) f(i);
        });
    }
    template <class T> T sum(const T* x, index_t n) const
    {
        return n > 0 ? Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(x, n).sum() : T(0);
    }
    template <class T> T sum_squares(const T* x, index_t n) const
    {
        return n > 0 ? Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(x, n).squaredNorm() : T(0);
    }
    template <class T> void fill(T* x, index_t n, T v) const
    {
        if (n > 0) Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(x, n).setConstant(v);
    }
    template <class T> void copy(T* dst, const T* src, index_t n) const
    {
        if (n > 0 && dst != src) std::memmove(dst, src, static_cast<std::size_t>(n) * sizeof(T));
    }
    template <class T> void upload(T* dst, const T* host, index_t n) const { copy(dst, host, n); }
    template <class T> void download(T* host, const T* src, index_t n) const { copy(host, src, n); }
    void synchronize() const {}

    /// C = α op(A) op(B) + β C, column-major with leading dimensions (cuBLAS's gemm); β = 0 ignores
    /// C's old contents. Large products are split over threads by the longer side of C.
    template <class T>
    void gemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* A, index_t lda,
              const T* B, index_t ldb, T beta, T* C, index_t ldc) const
    {
        if (m == 0 || n == 0) return;
        using mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
        using stride = Eigen::OuterStride<>;
        const Eigen::Map<const mat, 0, stride> Am(A, trans_a ? k : m, trans_a ? m : k, stride(lda));
        const Eigen::Map<const mat, 0, stride> Bm(B, trans_b ? n : k, trans_b ? k : n, stride(ldb));
        Eigen::Map<mat, 0, stride> Cm(C, m, n, stride(ldc));
        const bool by_cols = n >= m;
        const index_t work = 2 * m * n * k;
        const int nt = work >= (index_t(1) << 21) ? cpu::threads_for(by_cols ? n / 16 : m / 16) : 1;
        cpu::parallel_region(nt, [&](int tid, int nth) {
            const auto r = cpu::split_range(by_cols ? n : m, nth, tid, 16);
            const index_t len = r.second - r.first;
            if (len <= 0) return;
            if (by_cols)
                product(Am, trans_a, Bm, trans_b, alpha, beta, Cm.middleCols(r.first, len), 0, r.first, len, by_cols);
            else
                product(Am, trans_a, Bm, trans_b, alpha, beta, Cm.middleRows(r.first, len), r.first, 0, len, by_cols);
        });
    }

private:
    static constexpr index_t parallel_threshold = index_t(1) << 12;

    /// Part [first, first + len) of C's columns (by_cols) or rows of α op(A) op(B) + β C.
    template <class AM, class BM, class CB, class T>
    static void product(const AM& A, bool ta, const BM& B, bool tb, T alpha, T beta, CB&& C, index_t row0,
                        index_t col0, index_t len, bool by_cols)
    {
        auto run = [&](const auto& opA, const auto& opB) {
            if (beta == T(0))
                C.noalias() = alpha * opA * opB;
            else {
                if (beta != T(1)) C *= beta;
                C.noalias() += alpha * opA * opB;
            }
        };
        // op(A) restricted to the rows of this part, op(B) to its columns.
        auto rowsA = [&](const auto& opA) { return opA.middleRows(row0, by_cols ? opA.rows() : len); };
        auto colsB = [&](const auto& opB) { return opB.middleCols(col0, by_cols ? len : opB.cols()); };
        if (!ta && !tb) run(rowsA(A), colsB(B));
        else if (ta && !tb) run(rowsA(A.transpose()), colsB(B));
        else if (!ta && tb) run(rowsA(A), colsB(B.transpose()));
        else run(rowsA(A.transpose()), colsB(B.transpose()));
    }
};

}  // namespace epilstm
