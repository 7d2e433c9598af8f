// Threads for the CPU backend: OpenMP when the consumer compiles with -fopenmp (link
// epilstm::openmp), otherwise everything runs on the calling thread. The layers split work
// themselves (streams for the recurrence, columns or rows for the per-frame GEMMs) inside one
// parallel region, so Eigen's own GEMM threading -- which spin-waits between threads and collapses
// when a core is busy -- is never used: a GEMM called inside a parallel region runs single-threaded.
// The number of threads is omp_get_max_threads() (OMP_NUM_THREADS).
#pragma once

#include <epilstm/config.hpp>

#include <algorithm>
#include <utility>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace epilstm::cpu {

/// Threads the backend will use for work of `units` independent pieces (at most one per piece).
inline int threads_for(index_t units)
{
#ifdef _OPENMP
    const int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    return static_cast<int>(std::max<index_t>(1, std::min<index_t>(nt, units)));
#else
    (void)units;
    return 1;
#endif
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
