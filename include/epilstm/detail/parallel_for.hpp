// parallel_for over std::threads, for I/O work that runs beside (not inside) the CPU backend's OpenMP
// regions: compressing and decompressing store chunks, reading bigWigs.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace epilstm::detail {

/// Calls fn(i) for i in [0, n) on up to `threads` threads (the calling thread is one of them), items
/// handed out one at a time in increasing order. After a call throws, no further item starts; when
/// every thread has stopped, the exception of the lowest failing item is rethrown -- the one a
/// sequential loop would have thrown, since every lower item had already started.
template <class Fn> void parallel_for(int threads, std::size_t n, Fn&& fn)
{
    const std::size_t workers = std::min<std::size_t>(n, static_cast<std::size_t>(std::max(threads, 1)));
    if (workers <= 1) {
        for (std::size_t i = 0; i < n; ++i) fn(i);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::vector<std::exception_ptr> errors(workers);
    std::vector<std::size_t> failed_item(workers, n);
    auto work = [&](std::size_t w) {
        std::size_t i = 0;
        try {
            while (!failed.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < n) fn(i);
        } catch (...) {
            errors[w] = std::current_exception();
            failed_item[w] = i;
            failed = true;
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(workers - 1);
    for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
    work(0);
    for (auto& t : pool) t.join();
    const auto first = std::min_element(failed_item.begin(), failed_item.end()) - failed_item.begin();
    if (errors[static_cast<std::size_t>(first)]) std::rethrow_exception(errors[static_cast<std::size_t>(first)]);
}

/// Threads to use when the caller asks for `requested` (0 = every core of the machine).
inline int resolve_threads(int requested)
{
    if (requested > 0) return requested;
    const unsigned hc = std::thread::hardware_concurrency();
    return hc == 0 ? 1 : static_cast<int>(hc);
}

/// Threads the program computes on here: omp_get_max_threads() (OMP_NUM_THREADS) in a build with
/// OpenMP, 1 inside an OpenMP parallel region (its threads are already busy) or without OpenMP. The
/// CPU backend splits its work over as many (backend/cpu/parallel.hpp), and so does the work between
/// its parallel regions (filling a frame batch).
inline int compute_threads()
{
#ifdef _OPENMP
    return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
    return 1;
#endif
}

}  // namespace epilstm::detail
