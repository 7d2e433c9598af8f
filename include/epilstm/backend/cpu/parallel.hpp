// Threads for the CPU backend: OpenMP when the consumer compiles with -fopenmp (link
// epilstm::openmp), otherwise everything runs on the calling thread. The layers split work
// themselves (streams for the recurrence, columns or rows for the per-frame GEMMs) inside one
// parallel region, so Eigen's own GEMM threading -- which spin-waits between threads and collapses
// when a core is busy -- is never used: a GEMM called inside a parallel region runs single-threaded.
// The number of threads is omp_get_max_threads() (OMP_NUM_THREADS).
//
// With OpenBLAS behind Eigen's products (link epilstm::openblas, which defines EIGEN_USE_BLAS and
// EPILSTM_OPENBLAS), a pthreads OpenBLAS would start its own threads for each GEMM called inside a
// parallel region: P threads each asking for P more. blas_single_threaded keeps OpenBLAS on the
// calling thread while a region runs, and gives its thread count back afterwards, so a product
// outside every region still uses OpenBLAS's threads.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/detail/parallel_for.hpp>

#include <algorithm>
#include <utility>

#ifdef _OPENMP
#include <omp.h>
#endif

#ifdef EPILSTM_OPENBLAS
extern "C" {
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);
int openblas_get_parallel(void);  // 0 sequential, 1 pthreads, 2 OpenMP
}
#endif

namespace epilstm::cpu {

/// While alive, OpenBLAS (its pthreads build) runs every product on the calling thread; a no-op
/// without EPILSTM_OPENBLAS and for OpenBLAS's sequential and OpenMP builds (the latter already runs
/// single-threaded inside an OpenMP region). Construct and destroy it outside parallel regions.
class blas_single_threaded {
public:
    blas_single_threaded()
    {
#ifdef EPILSTM_OPENBLAS
        if (openblas_get_parallel() == 1 && (before_ = openblas_get_num_threads()) > 1) openblas_set_num_threads(1);
#endif
    }
    ~blas_single_threaded()
    {
#ifdef EPILSTM_OPENBLAS
        if (before_ > 1) openblas_set_num_threads(before_);
#endif
    }
    blas_single_threaded(const blas_single_threaded&) = delete;
    blas_single_threaded& operator=(const blas_single_threaded&) = delete;

private:
    [[maybe_unused]] int before_ = 1;
};

/// Threads the backend will use for work of `units` independent pieces (at most one per piece).
inline int threads_for(index_t units)
{
    return static_cast<int>(std::max<index_t>(1, std::min<index_t>(epilstm::detail::compute_threads(), units)));
}

/// Threads for a layer's pass over B streams with 4H×H recurrent weights: one thread unless each
/// recurrent step carries enough work (≈ 0.5 MFLOP) to pay for waking threads -- a tiny model
/// (H = 16, B = 16) is faster on one thread, and much faster when the machine is busy.
inline int threads_for_recurrence(index_t batch, index_t hidden)
{
    return 2 * 4 * hidden * hidden * batch >= (index_t(1) << 19) ? threads_for(batch) : 1;
}

/// [begin, end) of part `i` of `parts` of [0, n), boundaries rounded to multiples of `align`.
inline std::pair<index_t, index_t> split_range(index_t n, int parts, int i, index_t align = 1)
{
    auto at = [&](int k) {
        if (k >= parts) return n;
        const index_t b = n * k / parts;
        return std::min(n, (b + align / 2) / align * align);
    };
    return {at(i), at(i + 1)};
}

/// Runs fn(thread, threads) on `threads` threads (one parallel region).
template <class Fn> void parallel_region(int threads, Fn&& fn)
{
#ifdef _OPENMP
    if (threads > 1) {
        const blas_single_threaded one_blas_thread_each;
#pragma omp parallel num_threads(threads)
        fn(omp_get_thread_num(), omp_get_num_threads());
        return;
    }
#endif
    (void)threads;
    fn(0, 1);
}

/// Waits for every thread of the enclosing parallel_region (no-op outside one).
inline void barrier()
{
#ifdef _OPENMP
#pragma omp barrier
#endif
}

}  // namespace epilstm::cpu
