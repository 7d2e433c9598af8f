// Where training and inference read positions from: regions (chromosomes, pilot regions, or one
// in-memory signal) each read on demand, so a genome can stay on disk (io/store_source.hpp reads a
// signal store) while memory holds one frame batch per region in progress.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/data/frame_streams.hpp>
#include <epilstm/detail/parallel_for.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace epilstm {

/// A signal held in memory: [N, D] row-major with an optional all-missing mask.
template <class T = float>
struct signal_view {
    const T* data = nullptr;                 ///< [N, D] row-major
    index_t positions = 0;                   ///< N
    index_t tracks = 0;                      ///< D
    const std::uint8_t* missing = nullptr;   ///< [N] or null
};

/// Regions of positions, each read on demand.
template <class T = float>
struct region_source {
    index_t tracks = 0;
    std::vector<std::string> names;          ///< one per region
    std::vector<index_t> positions;          ///< positions of each region
    /// read(region, first, count, out [count, D] row-major, missing [count])
    std::function<void(index_t, index_t, index_t, T*, std::uint8_t*)> read;
    /// `read` may be called from several threads at once: a frame batch's streams are then read on
    /// detail::compute_threads() threads (data/frame_streams.hpp).
    bool concurrent_reads = false;

    index_t regions() const { return static_cast<index_t>(positions.size()); }
    /// Threads to read a frame batch's streams on (1 unless concurrent_reads).
    int read_threads() const { return concurrent_reads ? detail::compute_threads() : 1; }
    position_reader<T> reader(index_t region) const
    {
        return [this, region](index_t first, index_t count, T* out, std::uint8_t* miss) {
            read(region, first, count, out, miss);
        };
    }
};

/// One in-memory signal as a single region.
template <class T>
region_source<T> single_region(const signal_view<T>& s, std::string name = "signal")
{
    region_source<T> src;
    src.tracks = s.tracks;
    src.names = {std::move(name)};
    src.positions = {s.positions};
    auto r = memory_reader<T>(s.data, s.tracks, s.missing);
    src.read = [r](index_t, index_t first, index_t count, T* out, std::uint8_t* miss) { r(first, count, out, miss); };
    src.concurrent_reads = true;  // memcpy from memory
    return src;
}

}  // namespace epilstm
