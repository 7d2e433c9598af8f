// communicator (parallel/communicator.hpp) over an MPI communicator. Needs <mpi.h>: link MPI::MPI_CXX
// (CMake's FindMPI) next to epilstm::epilstm; nothing else in epilstm includes this header.
//
// sum() is a reduce-scatter and an all-gather built from MPI_Alltoallv and MPI_Allgatherv rather
// than MPI_Allreduce, whose order of additions is the implementation's choice (and, for some
// algorithms, not even the same on every rank). Element block c (n/P elements) is summed by rank c
// alone, in rank order, and handed to every rank as it is: the same bits everywhere, a function of
// the inputs and P only. Its traffic per rank is 2·(P−1)/P·n elements, as a ring all-reduce's.
#pragma once

#include <epilstm/parallel/communicator.hpp>

#include <mpi.h>

#include <climits>
#include <string>
#include <vector>

namespace epilstm {

class mpi_communicator final : public communicator {
public:
    /// Uses `comm` (not duplicated; it must outlive this object).
    explicit mpi_communicator(MPI_Comm comm = MPI_COMM_WORLD) : comm_(comm)
    {
        MPI_Comm_rank(comm_, &rank_);
        MPI_Comm_size(comm_, &size_);
    }
    int rank() const override { return rank_; }
    int size() const override { return size_; }
    void sum(float* x, index_t n) override { ordered_sum(x, n, MPI_FLOAT); }
    void sum(double* x, index_t n) override { ordered_sum(x, n, MPI_DOUBLE); }

    std::vector<std::string> all_gather(const std::string& bytes) override
    {
        const int mine = checked_int(static_cast<index_t>(bytes.size()));
        std::vector<int> counts(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
        check(MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_), "MPI_Allgather");
        index_t total = 0;
        for (int r = 0; r < size_; ++r) {
            displs[std::size_t(r)] = checked_int(total);
            total += counts[std::size_t(r)];
        }
        std::string all(static_cast<std::size_t>(total), '\0');
        check(MPI_Allgatherv(bytes.data(), mine, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, comm_),
              "MPI_Allgatherv");
        std::vector<std::string> out;
        for (int r = 0; r < size_; ++r)
            out.push_back(all.substr(static_cast<std::size_t>(displs[std::size_t(r)]),
                                     static_cast<std::size_t>(counts[std::size_t(r)])));
        return out;
    }

private:
    template <class T>
    void ordered_sum(T* x, index_t n, MPI_Datatype type)
    {
        if (size_ == 1 || n == 0) return;
        const auto P = static_cast<std::size_t>(size_);
        std::vector<int> send_counts(P), send_displs(P), recv_counts(P), recv_displs(P);
        for (std::size_t c = 0; c < P; ++c) {
            const auto [a, b] = rank_share(n, static_cast<int>(c), size_);
            send_counts[c] = checked_int(b - a);
            send_displs[c] = checked_int(a);
        }
        const auto [mine_a, mine_b] = rank_share(n, rank_, size_);
        const index_t mine = mine_b - mine_a;
        for (std::size_t r = 0; r < P; ++r) {
            recv_counts[r] = checked_int(mine);
            recv_displs[r] = checked_int(mine * static_cast<index_t>(r));
        }
        recv_.resize(static_cast<std::size_t>(mine) * P * sizeof(T));
        T* parts = reinterpret_cast<T*>(recv_.data());
        check(MPI_Alltoallv(x, send_counts.data(), send_displs.data(), type, parts, recv_counts.data(),
                            recv_displs.data(), type, comm_),
              "MPI_Alltoallv");
        // Rank order, element by element: ((x₀ + x₁) + x₂) + …
        for (std::size_t r = 1; r < P; ++r) {
            const T* part = parts + static_cast<index_t>(r) * mine;
            for (index_t i = 0; i < mine; ++i) parts[i] += part[i];
        }
        check(MPI_Allgatherv(parts, checked_int(mine), type, x, send_counts.data(), send_displs.data(), type, comm_),
              "MPI_Allgatherv");
    }

    static int checked_int(index_t v)
    {
        if (v > INT_MAX) throw error("epilstm: an MPI message of " + std::to_string(v) + " elements exceeds MPI's int counts");
        return static_cast<int>(v);
    }
    static void check(int rc, const char* what)
    {
        if (rc != MPI_SUCCESS) throw error(std::string("epilstm: ") + what + " failed (MPI error " + std::to_string(rc) + ")");
    }

    MPI_Comm comm_;
    int rank_ = 0, size_ = 1;
    std::vector<char> recv_;
};

}  // namespace epilstm
