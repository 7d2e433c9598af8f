// A signal store's regions as a region_source for training and inference: a block cache with a
// prefetch thread.
//
// Streams read F positions at a time from B places of a region, while the store is compressed in
// chunks of thousands of positions: reading each frame straight from HDF5 would decompress a whole
// chunk for every F positions. The cache keeps decoded blocks of `block_positions` positions
// (aligned like the store's chunks), so each chunk is decompressed about once per pass. When a read
// first reaches block b of a region, block b + 1 is queued for a background thread, which reads and
// decompresses it while the model computes (signal_store::read_positions is thread-safe); by the
// time the stream gets there it is usually ready. The block a stream has left (b - 1, once b + 1 is
// reached) is the first to be evicted. Capacity: two blocks per stream plus two, so memory is
// (2 · streams + 2) · block_positions · D · 4 bytes, independent of the genome's length.
//
// Without an HDF5 built thread-safe (H5is_library_threadsafe), or with prefetch off, blocks are read
// on the calling thread when first needed. Either way the values read are the same.
#pragma once

#include <epilstm/io/signal_store.hpp>
#include <epilstm/data/region_source.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace epilstm::io {

namespace detail {

/// Is the HDF5 library this program runs with safe to call from two threads at once?
inline bool hdf5_threadsafe()
{
    hbool_t ts = false;
    return H5is_library_threadsafe(&ts) >= 0 && ts;
}

class block_cache {
public:
    block_cache(const signal_store& s, index_t block_positions, std::size_t capacity, bool prefetch)
        : store_(s), block_(block_positions), capacity_(std::max<std::size_t>(capacity, 2)), prefetch_(prefetch)
    {
        if (prefetch_) worker_ = std::thread([this] { work(); });
    }
    ~block_cache()
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        if (worker_.joinable()) worker_.join();
    }
    block_cache(const block_cache&) = delete;
    block_cache& operator=(const block_cache&) = delete;

    void read(index_t region, index_t first, index_t count, float* out, std::uint8_t* missing)
    {
        const index_t D = store_.tracks();
        while (count > 0) {
            const index_t b = first / block_, offset = first - b * block_;
            const std::shared_ptr<const block> e = get(region, b);
            const index_t n = std::min(count, e->positions - offset);
            std::copy_n(e->signal.data() + offset * D, n * D, out);
            std::copy_n(e->missing.data() + offset, n, missing);
            first += n;
            count -= n;
            out += n * D;
            missing += n;
        }
    }

private:
    struct block {
        index_t positions = 0;
        std::vector<float> signal;  // [positions, D]
        std::vector<std::uint8_t> missing;
    };
    using key = std::pair<index_t, index_t>;
    enum class state { queued, loading, ready };
    struct slot {
        state st = state::queued;
        std::shared_ptr<const block> data;
        std::exception_ptr failure;
        long used = 0;      // tick of the last read (0: prefetched, never read)
        bool left = false;  // a stream has moved on to the next block: evict first
    };

    std::shared_ptr<const block> load(index_t region, index_t b) const
    {
        const index_t n = std::min(block_, store_.regions()[static_cast<std::size_t>(region)].positions - b * block_);
        std::shared_ptr<block> e = take_spare();
        e->positions = n;
        e->signal.resize(static_cast<std::size_t>(n * store_.tracks()));
        store_.read_positions(region, b * block_, n, e->signal.data());
        e->missing = store_.read_missing(region, b * block_, n);
        return e;
    }

    /// An evicted block's memory, or a new block: blocks are D × block_positions floats (16 MB at
    /// D = 1,014), and fresh ones cost page faults on every decode.
    std::shared_ptr<block> take_spare() const
    {
        std::lock_guard<std::mutex> lock(spare_mutex_);
        if (spare_.empty()) return std::make_shared<block>();
        std::shared_ptr<block> b = std::move(spare_.back());
        spare_.pop_back();
        return b;
    }

    bool exists(index_t region, index_t b) const
    {
        return b >= 0 && b * block_ < store_.regions()[static_cast<std::size_t>(region)].positions;
    }

    std::shared_ptr<const block> get(index_t region, index_t b)
    {
        std::unique_lock<std::mutex> lock(mutex_);
        const key k{region, b};
        auto it = slots_.find(k);
        const bool first_touch = it == slots_.end() || it->second.used == 0;
        while (true) {
            if (it == slots_.end() || it->second.st == state::queued) {
                // Not there, or queued but not started: load it here rather than wait for the worker.
                if (it == slots_.end()) it = insert(k);
                it->second.st = state::loading;
                lock.unlock();
                finish(k, lock);
                it = slots_.find(k);
            }
            done_.wait(lock, [&] {
                it = slots_.find(k);
                return it == slots_.end() || it->second.st == state::ready;
            });
            if (it != slots_.end()) break;  // else evicted meanwhile by another reader: load it again
        }
        slot& s = it->second;
        s.used = ++tick_;
        if (s.failure) {
            const std::exception_ptr f = s.failure;
            slots_.erase(it);  // a later read tries again (and fails the same way on a damaged file)
            std::rethrow_exception(f);
        }
        std::shared_ptr<const block> data = s.data;
        if (first_touch) {
            if (auto prev = slots_.find({region, b - 1}); prev != slots_.end()) prev->second.left = true;
            if (prefetch_ && exists(region, b + 1) && slots_.find({region, b + 1}) == slots_.end()) {
                insert({region, b + 1});
                queue_.push_back({region, b + 1});
                wake_.notify_one();
            }
        }
        return data;
    }

    /// Loads block k (its slot is `loading`, so nobody evicts it) with the lock released, then marks
    /// it ready under the re-acquired lock.
    void finish(const key& k, std::unique_lock<std::mutex>& lock)
    {
        std::shared_ptr<const block> data;
        std::exception_ptr failure;
        try {
            data = load(k.first, k.second);
        } catch (...) {
            failure = std::current_exception();
        }
        lock.lock();
        slot& s = slots_.find(k)->second;
        s.st = state::ready;
        s.data = std::move(data);
        s.failure = failure;
        done_.notify_all();
    }

    /// A new queued slot for k, evicting if full: blocks streams have left, then the least recently
    /// read, then (only if nothing else can go) prefetched ones; never a slot being loaded.
    std::map<key, slot>::iterator insert(const key& k)
    {
        while (slots_.size() >= capacity_) {
            auto victim = slots_.end();
            auto rank = [](const slot& s) { return std::make_pair(s.left ? 0 : s.used > 0 ? 1 : 2, s.used); };
            for (auto i = slots_.begin(); i != slots_.end(); ++i) {
                if (i->second.st != state::ready) continue;
                if (victim == slots_.end() || rank(i->second) < rank(victim->second)) victim = i;
            }
            if (victim == slots_.end()) break;  // everything is in flight: grow for a moment
            if (victim->second.data && victim->second.data.use_count() == 1) {  // copies are made under mutex_ only
                std::lock_guard<std::mutex> spare_lock(spare_mutex_);
                if (spare_.size() < 2) spare_.push_back(std::const_pointer_cast<block>(std::move(victim->second.data)));
            }
            slots_.erase(victim);
        }
        return slots_.emplace(k, slot{}).first;
    }

    void work()
    {
        silence_hdf5_errors();
        std::unique_lock<std::mutex> lock(mutex_);
        while (true) {
            wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (stop_) return;
            const key k = queue_.front();
            queue_.pop_front();
            auto it = slots_.find(k);
            if (it == slots_.end() || it->second.st != state::queued) continue;  // evicted, or taken by a reader
            it->second.st = state::loading;
            lock.unlock();
            finish(k, lock);
        }
    }

    const signal_store& store_;
    index_t block_;
    std::size_t capacity_;
    bool prefetch_;
    mutable std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::map<key, slot> slots_;
    std::deque<key> queue_;
    mutable std::mutex spare_mutex_;                       // taken inside mutex_ or alone, never the reverse
    mutable std::vector<std::shared_ptr<block>> spare_;
    long tick_ = 0;
    bool stop_ = false;
    std::thread worker_;
};

}  // namespace detail

/// The regions of `store` (all, or those named in `only`, in that order) as a region_source.
/// `streams` sizes the cache (two blocks per stream, plus two). The store must outlive the source;
/// `chosen` receives the store's index of each source region. `prefetch`: decode the block after
/// the one a stream is reading on a background thread (when HDF5 is thread-safe). Blocks default to
/// the store's chunks.
inline region_source<float> store_source(const signal_store& store, const std::vector<std::string>& only,
                                         index_t streams, std::vector<index_t>* chosen = nullptr,
                                         index_t block_positions = 0, bool prefetch = true)
{
    region_source<float> src;
    src.tracks = store.tracks();
    std::vector<index_t> ids;
    const auto& regions = store.regions();
    if (only.empty()) {
        for (index_t r = 0; r < static_cast<index_t>(regions.size()); ++r) ids.push_back(r);
    } else {
        for (const auto& name : only) {
            const index_t k = store.region_index(name);
            if (k < 0)
                throw input_error(store.path().string() + ": no region named '" + name + "' (the store has " +
                                  std::to_string(regions.size()) + " regions, e.g. '" +
                                  (regions.empty() ? std::string() : regions.front().name) + "')");
            ids.push_back(k);
        }
    }
    for (index_t r : ids) {
        src.names.push_back(regions[static_cast<std::size_t>(r)].name);
        src.positions.push_back(regions[static_cast<std::size_t>(r)].positions);
    }
    if (block_positions <= 0) {
        block_positions = ids.empty() ? 0 : store.chunk_positions(ids.front());
        if (block_positions <= 0) block_positions = signal_store_writer::default_chunk_positions;
    }
    auto cache = std::make_shared<detail::block_cache>(store, block_positions,
                                                       static_cast<std::size_t>(2 * std::max<index_t>(streams, 1) + 2),
                                                       prefetch && detail::hdf5_threadsafe());
    src.read = [cache, ids](index_t r, index_t first, index_t count, float* out, std::uint8_t* miss) {
        cache->read(ids[static_cast<std::size_t>(r)], first, count, out, miss);
    };
    // The cache takes its own lock and the store its own around HDF5; HDF5 itself must allow two
    // threads (Debian's does) for streams to be read at once.
    src.concurrent_reads = detail::hdf5_threadsafe();
    if (chosen) *chosen = ids;
    return src;
}

}  // namespace epilstm::io
