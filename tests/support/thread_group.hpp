// A communicator whose ranks are threads of the test process: the data-parallel trainer's logic
// (stream shares, ordered gradient sums, carries gathered and split, agreed failures) tested
// without MPI, in every build (the asan one included). Each rank computes the rank-order sum
// itself from the same inputs in the same order, so every rank gets the same bits, as promised by
// parallel/communicator.hpp.
#pragma once

#include <epilstm/parallel/communicator.hpp>

#include <barrier>
#include <cstring>
#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace epilstm::testing {

class thread_group {
public:
    explicit thread_group(int ranks) : slots_(static_cast<std::size_t>(ranks)), barrier_(ranks), ranks_(ranks) {}

    class member final : public communicator {
    public:
        member(thread_group& g, int rank) : g_(&g), rank_(rank) {}
        int rank() const override { return rank_; }
        int size() const override { return g_->ranks_; }
        void sum(float* x, index_t n) override { g_->sum(rank_, x, n); }
        void sum(double* x, index_t n) override { g_->sum(rank_, x, n); }
        std::vector<std::string> all_gather(const std::string& bytes) override { return g_->gather(rank_, bytes); }

    private:
        thread_group* g_;
        int rank_;
    };

    /// Runs body(member) on one thread per rank and waits; rethrows the first rank's exception.
    void run(const std::function<void(member&)>& body)
    {
        std::vector<std::exception_ptr> errors(static_cast<std::size_t>(ranks_));
        std::vector<std::thread> threads;
        for (int r = 0; r < ranks_; ++r)
            threads.emplace_back([&, r] {
                member m(*this, r);
                try {
                    body(m);
                } catch (...) {
                    errors[static_cast<std::size_t>(r)] = std::current_exception();
                }
            });
        for (auto& t : threads) t.join();
        for (auto& e : errors)
            if (e) std::rethrow_exception(e);
    }

private:
    template <class U>
    void sum(int rank, U* x, index_t n)
    {
        slots_[static_cast<std::size_t>(rank)].assign(reinterpret_cast<const char*>(x),
                                                      reinterpret_cast<const char*>(x + n));
        barrier_.arrive_and_wait();
        std::vector<U> acc(static_cast<std::size_t>(n)), part(static_cast<std::size_t>(n));
        for (int r = 0; r < ranks_; ++r) {
            std::memcpy(part.data(), slots_[static_cast<std::size_t>(r)].data(), sizeof(U) * part.size());
            for (std::size_t i = 0; i < part.size(); ++i) acc[i] = r == 0 ? part[i] : acc[i] + part[i];
        }
        barrier_.arrive_and_wait();  // every rank has read the slots before any rank reuses its own
        std::memcpy(x, acc.data(), sizeof(U) * acc.size());
    }
    std::vector<std::string> gather(int rank, const std::string& bytes)
    {
        slots_[static_cast<std::size_t>(rank)] = bytes;
        barrier_.arrive_and_wait();
        std::vector<std::string> out(slots_.begin(), slots_.end());
        barrier_.arrive_and_wait();
        return out;
    }

    std::vector<std::string> slots_;
    std::barrier<> barrier_;
    int ranks_;
};

}  // namespace epilstm::testing
