// The group of processes a data-parallel run spans (docs/distributed.md), as the trainer sees it: a
// rank, a size, an ordered sum and a gather. The MPI implementation is parallel/mpi_communicator.hpp
// (it needs <mpi.h>); this header is free of MPI and of Eigen, so the trainer (compiled by nvcc for
// the GPU too) depends on the interface alone, and a program without MPI runs a single process.
//
// Determinism: sum() adds the ranks' arrays in rank order, element by element
// (((x₀ + x₁) + x₂) + …), whatever the implementation's algorithm, and every rank receives the
// same bits. A run is then a function of its seed and its rank count alone, and the replicas of the
// parameters never drift apart.
//
// Failures: a rank that cannot go on (a store it cannot read, a checkpoint it cannot write) must not
// leave the others waiting in a collective. Every point where all ranks agree goes through agree():
// a rank passes its failure there, and every rank then throws the same rank_failure, which names
// the rank and its message (the `epilstm` program prints it once, from rank 0).
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace epilstm {

/// Another rank (or this one) failed at an agreement point; the message names the first such rank.
class rank_failure : public error {
public:
    using error::error;
};

class communicator {
public:
    virtual ~communicator() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    /// x ← Σ over ranks of every rank's x (n elements, the same n on every rank), added in rank
    /// order; every rank receives the same bits.
    virtual void sum(float* x, index_t n) = 0;
    virtual void sum(double* x, index_t n) = 0;
    /// Every rank's bytes (any length, possibly empty), in rank order, on every rank.
    virtual std::vector<std::string> all_gather(const std::string& bytes) = 0;
};

/// Streams [first, last) of `streams` that rank `rank` of `ranks` owns: contiguous, lengths
/// differing by at most one (the same split as frame_streams' positions over streams).
inline std::pair<index_t, index_t> rank_share(index_t streams, int rank, int ranks)
{
    return {streams * rank / ranks, streams * (rank + 1) / ranks};
}

/// The most values one agreement sums: every agreement exchanges the same message (a failure flag
/// and this many values), so a failing rank's agreement matches whichever one the others are at.
inline constexpr std::size_t agreement_values = 3;

/// The agreement every rank reaches at the same point: `values` summed over ranks (in rank order),
/// after a failure check. A non-empty `failure` on any rank makes every rank throw rank_failure
/// "rank R of P: <failure>" for the lowest failing rank R (and the count of others that failed).
template <std::size_t N>
std::array<double, N> agree(communicator& c, std::array<double, N> values, const std::string& failure = {})
{
    static_assert(N <= agreement_values);
    std::array<double, agreement_values + 1> all{};
    all[0] = failure.empty() ? 0.0 : 1.0;
    for (std::size_t i = 0; i < N; ++i) all[i + 1] = values[i];
    c.sum(all.data(), static_cast<index_t>(all.size()));
    if (all[0] > 0) {
        const std::vector<std::string> messages = c.all_gather(failure);
        int first = -1, failed = 0;
        for (std::size_t r = 0; r < messages.size(); ++r)
            if (!messages[r].empty()) {
                if (first < 0) first = static_cast<int>(r);
                ++failed;
            }
        std::string what = "rank " + std::to_string(first) + " of " + std::to_string(c.size()) + ": " +
                           messages[static_cast<std::size_t>(first)];
        if (failed > 1) what += " (and " + std::to_string(failed - 1) + " other rank(s) failed too)";
        throw rank_failure(what);
    }
    for (std::size_t i = 0; i < N; ++i) values[i] = all[i + 1];
    return values;
}

/// agree() with nothing to sum: every rank waits here, and a failure on any rank is thrown on all.
inline void agree(communicator& c, const std::string& failure = {}) { agree<1>(c, {0.0}, failure); }

/// Every rank's floats concatenated in rank order (the counts may differ between ranks).
inline std::vector<float> all_gather_floats(communicator& c, const float* x, index_t n)
{
    std::string bytes(static_cast<std::size_t>(n) * sizeof(float), '\0');
    if (n > 0) std::memcpy(bytes.data(), x, bytes.size());
    std::vector<float> out;
    for (const auto& part : c.all_gather(bytes)) {
        const std::size_t k = part.size() / sizeof(float), at = out.size();
        out.resize(at + k);
        if (k > 0) std::memcpy(out.data() + at, part.data(), k * sizeof(float));
    }
    return out;
}

/// FNV-1a over bytes: the digest replicas compare (parallel/replicas).
inline std::uint64_t digest_bytes(const void* data, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ULL)
{
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/// Throws rank_failure on every rank unless every rank's `digest` is the same (replicas of the
/// parameters that should be identical); `what` names the thing compared in the message.
inline void check_replicas(communicator& c, std::uint64_t digest, const std::string& what)
{
    std::string mine(sizeof digest, '\0');
    std::memcpy(mine.data(), &digest, sizeof digest);
    const auto all = c.all_gather(mine);
    for (std::size_t r = 1; r < all.size(); ++r)
        if (all[r] != all[0])
            throw rank_failure("ranks 0 and " + std::to_string(r) + " hold different " + what +
                               " (the replicas diverged; the reduction must give every rank the same bits)");
}

}  // namespace epilstm
