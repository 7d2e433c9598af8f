// A signal store's regions as a region_source for training and inference, with a small block cache.
//
// Streams read F positions at a time from B places of a region, while the store is compressed in
// chunks of thousands of positions: reading each frame straight from HDF5 would decompress a whole
// chunk for every F positions. The cache keeps the last `cache_blocks` blocks of `block_positions`
// positions (aligned like the store's chunks), so each chunk is decompressed about once per pass.
// Memory: cache_blocks · block_positions · D · 4 bytes, independent of the genome's length.
#pragma once

#include <epilstm/io/signal_store.hpp>
#include <epilstm/data/region_source.hpp>

#include <algorithm>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace epilstm::io {

namespace detail {

class block_cache {
public:
    block_cache(const signal_store& s, index_t block_positions, std::size_t capacity)
        : store_(s), block_(block_positions), capacity_(std::max<std::size_t>(capacity, 1))
    {
    }

    void read(index_t region, index_t first, index_t count, float* out, std::uint8_t* missing)
    {
        const index_t D = store_.tracks();
        while (count > 0) {
            const index_t b = first / block_, offset = first - b * block_;
            const entry& e = get(region, b);
            const index_t n = std::min(count, e.positions - offset);
            std::copy_n(e.signal.data() + offset * D, n * D, out);
            std::copy_n(e.missing.data() + offset, n, missing);
            first += n;
            count -= n;
            out += n * D;
            missing += n;
        }
    }

private:
    struct entry {
        index_t positions = 0;
        std::vector<float> signal;        // [positions, D]
        std::vector<std::uint8_t> missing;
    };
    using key = std::pair<index_t, index_t>;

    const entry& get(index_t region, index_t b)
    {
        const key k{region, b};
        if (auto it = index_.find(k); it != index_.end()) {
            lru_.splice(lru_.begin(), lru_, it->second);
            return it->second->second;
        }
        if (index_.size() >= capacity_) {
            index_.erase(lru_.back().first);
            lru_.pop_back();
        }
        const index_t n = std::min(block_, store_.regions()[static_cast<std::size_t>(region)].positions - b * block_);
        entry e;
        e.positions = n;
        e.signal.resize(static_cast<std::size_t>(n * store_.tracks()));
        store_.read_positions(region, b * block_, n, e.signal.data());
        e.missing = store_.read_missing(region, b * block_, n);
        lru_.emplace_front(k, std::move(e));
        index_[k] = lru_.begin();
        return lru_.front().second;
    }

    const signal_store& store_;
    index_t block_;
    std::size_t capacity_;
    std::list<std::pair<key, entry>> lru_;
    std::map<key, std::list<std::pair<key, entry>>::iterator> index_;
};

}  // namespace detail

/// The regions of `store` (all, or those named in `only`, in that order) as a region_source.
/// `streams` sizes the cache (two blocks per stream). The store must outlive the source; `chosen`
/// receives the store's index of each source region.
inline region_source<float> store_source(const signal_store& store, const std::vector<std::string>& only,
                                         index_t streams, std::vector<index_t>* chosen = nullptr,
                                         index_t block_positions = signal_store_writer::default_chunk_positions)
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
    auto cache = std::make_shared<detail::block_cache>(store, block_positions,
                                                       static_cast<std::size_t>(2 * std::max<index_t>(streams, 1)));
    src.read = [cache, ids](index_t r, index_t first, index_t count, float* out, std::uint8_t* miss) {
        cache->read(ids[static_cast<std::size_t>(r)], first, count, out, miss);
    };
    if (chosen) *chosen = ids;
    return src;
}

}  // namespace epilstm::io
