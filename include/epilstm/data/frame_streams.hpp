// Walks a [positions × tracks] signal as B contiguous streams read F positions at a time
// (MODEL-SPEC "Autoencoder over one frame"; paper §3.2.1).
//
// Stream b covers rows [b·N/B, (b+1)·N/B), so stream lengths differ by at most one and a stream's
// last frame may be short (or, for the shorter streams, empty). Frame k of every stream forms one
// frame_batch; the caller carries each stream's encoder hidden from batch k to k+1
// (frame_batch::h0 ← workspace::carry) and the model resets the cell itself.
//
// Positions come from a position_reader, so the signal may live in memory or out of core (an HDF5
// store read by hyperslab): a frame batch holds B·F positions, whatever the genome's length.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/data/frame_batch.hpp>
#include <epilstm/detail/parallel_for.hpp>
#include <epilstm/error.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace epilstm {

/// Reads `count` positions starting at `first`: out [count, D] row-major; missing [count] (1 where
/// the position has no data in any track; the reader may leave it all zero when it has no mask).
template <class T>
using position_reader = std::function<void(index_t first, index_t count, T* out, std::uint8_t* missing)>;

/// A reader over an in-memory [N, D] row-major signal with an optional all-missing mask.
template <class T>
position_reader<T> memory_reader(const T* signal, index_t tracks, const std::uint8_t* missing = nullptr)
{
    return [=](index_t first, index_t count, T* out, std::uint8_t* miss) {
        std::memcpy(out, signal + first * tracks, sizeof(T) * static_cast<std::size_t>(count * tracks));
        if (missing)
            std::memcpy(miss, missing + first, static_cast<std::size_t>(count));
        else
            std::memset(miss, 0, static_cast<std::size_t>(count));
    };
}

namespace detail {
/// One frame batch's buffers, filled stream by stream: buffer [D, F·B] (column t·B + b is position t
/// of stream b) and weight [F·B] (0 at missing positions and past a stream's end, 1 elsewhere).
/// Only the columns past a stream's end are zeroed, not the whole buffer.
template <class T>
class frame_filler {
public:
    /// Fills the buffers for B streams of at most F positions of D tracks: read(b, rows [len, D]
    /// row-major, missing [len]) reads stream b's lengths[b] positions (never called when 0). With
    /// threads > 1 the streams are split into that many ranges read at once, so `read` must then be
    /// safe to call from several threads; the buffers do not depend on `threads`.
    template <class Read> void fill(index_t D, index_t F, index_t B, const index_t* lengths, Read&& read, int threads)
    {
        buffer_.resize(static_cast<std::size_t>(D * F * B));
        weight_.resize(static_cast<std::size_t>(F * B));
        const int parts = static_cast<int>(std::clamp<index_t>(threads, 1, std::max<index_t>(B, 1)));
        scratch_.resize(static_cast<std::size_t>(parts));
        epilstm::detail::parallel_for(parts, static_cast<std::size_t>(parts), [&](std::size_t p) {
            scratch& sc = scratch_[p];
            sc.rows.resize(static_cast<std::size_t>(D * F));
            sc.missing.resize(static_cast<std::size_t>(F));
            const index_t part = static_cast<index_t>(p);
            for (index_t b = B * part / parts; b < B * (part + 1) / parts; ++b) {
                const index_t len = lengths[b];
                if (len > 0) read(b, sc.rows.data(), sc.missing.data());
                for (index_t t = 0; t < F; ++t) {
                    const index_t j = t * B + b;
                    T* column = buffer_.data() + j * D;
                    if (t < len) {
                        std::copy_n(sc.rows.data() + t * D, D, column);
                        weight_[static_cast<std::size_t>(j)] = sc.missing[static_cast<std::size_t>(t)] ? T(0) : T(1);
                    } else {
                        std::fill_n(column, D, T(0));
                        weight_[static_cast<std::size_t>(j)] = T(0);
                    }
                }
            }
        });
    }

    const T* x() const { return buffer_.data(); }
    const T* weight() const { return weight_.data(); }

private:
    struct scratch {
        std::vector<T> rows;
        std::vector<std::uint8_t> missing;
    };
    std::vector<T> buffer_, weight_;
    std::vector<scratch> scratch_;  // one per part
};
}  // namespace detail

template <class T = float>
class frame_streams {
public:
    /// Streams over `positions` positions of `tracks` tracks delivered by `reader`.
    frame_streams(position_reader<T> reader, index_t tracks, index_t positions, index_t streams, index_t frame_length)
        : read_(std::move(reader)), D_(tracks), N_(positions), F_(frame_length)
    {
        if (tracks <= 0 || positions <= 0) throw shape_error("epilstm: the signal is empty (no positions or no tracks)");
        if (frame_length <= 0) throw shape_error("epilstm: frame length must be positive");
        if (streams <= 0) throw shape_error("epilstm: the number of streams (batch size) must be positive");
        B_ = std::min(streams, positions);
        start_.resize(static_cast<std::size_t>(B_) + 1);
        for (index_t b = 0; b <= B_; ++b) start_[static_cast<std::size_t>(b)] = b * N_ / B_;
        longest_ = 0;
        for (index_t b = 0; b < B_; ++b) longest_ = std::max(longest_, stream_length(b));
    }

    /// @param signal   [N, D] row-major (equivalently [D, N] column-major: one position per column)
    /// @param missing  [N] or null: 1 where a position has no data in any track (excluded from the loss)
    frame_streams(const T* signal, index_t tracks, index_t positions, index_t streams, index_t frame_length,
                  const std::uint8_t* missing = nullptr)
        : frame_streams(memory_reader<T>(signal, tracks, missing), tracks, positions, streams, frame_length)
    {
    }

    /// The number of frames a signal of `positions` positions has as `streams` streams of frames
    /// of `frame_length` (what frames() of such an object returns), without building one.
    static index_t frames_for(index_t positions, index_t streams, index_t frame_length)
    {
        const index_t B = std::min(streams, positions);
        const index_t longest = (positions + B - 1) / B;  // stream b has ⌊(b+1)N/B⌋ − ⌊bN/B⌋ positions
        return (longest + frame_length - 1) / frame_length;
    }

    index_t streams() const { return B_; }
    index_t frames() const { return (longest_ + F_ - 1) / F_; }
    index_t frame_length() const { return F_; }
    index_t stream_start(index_t b) const { return start_[static_cast<std::size_t>(b)]; }
    index_t stream_length(index_t b) const { return start_[static_cast<std::size_t>(b) + 1] - stream_start(b); }

    /// Signal row of position t of stream b in frame k.
    index_t row(index_t k, index_t b, index_t t) const { return stream_start(b) + k * F_ + t; }

    /// Streams read at once while a frame loads (1 by default). More than one needs a reader that is
    /// safe to call from several threads at once (region_source::concurrent_reads).
    void set_read_threads(int threads) { read_threads_ = std::max(threads, 1); }

    /// Fills `fb` (and the buffers it points into, owned by this object) with frame k of every
    /// stream. fb.h0 is left to the caller.
    void load(index_t k, frame_batch<T>& fb) { load(k, fb, 0, B_); }

    /// The same for streams [first, last) alone, as columns 0..last−first−1 of a batch of
    /// last − first streams (a data-parallel rank's share, parallel/communicator.hpp): only their
    /// positions are read, and fb.positions is the longest of them in frame k (0 when all of them
    /// have ended).
    void load(index_t k, frame_batch<T>& fb, index_t first, index_t last)
    {
        if (k < 0 || k >= frames())
            throw error("epilstm: frame " + std::to_string(k) + " is outside 0.." + std::to_string(frames() - 1));
        if (first < 0 || last > B_ || first > last)
            throw error("epilstm: streams " + std::to_string(first) + ".." + std::to_string(last) + " are outside 0.." +
                        std::to_string(B_));
        const index_t B = last - first;
        index_t F = 0;  // the longest of these streams in frame k (all B_ streams: min(F_, longest_ − k·F_))
        for (index_t b = first; b < last; ++b) F = std::max(F, std::clamp<index_t>(stream_length(b) - k * F_, 0, F_));
        fb.positions = F;
        fb.batch = B;
        lengths_.resize(static_cast<std::size_t>(B));
        for (index_t b = 0; b < B; ++b)
            lengths_[static_cast<std::size_t>(b)] = std::clamp<index_t>(stream_length(first + b) - k * F_, 0, F);
        fill_.fill(D_, F, B, lengths_.data(), [&](index_t b, T* rows, std::uint8_t* missing) {
            read_(row(k, first + b, 0), lengths_[static_cast<std::size_t>(b)], rows, missing);
        }, read_threads_);
        fb.x = fill_.x();
        fb.weight = fill_.weight();
        fb.lengths = lengths_.data();
    }

private:
    position_reader<T> read_;
    index_t D_, N_, F_, B_ = 0, longest_ = 0;
    std::vector<index_t> start_, lengths_;
    detail::frame_filler<T> fill_;
    int read_threads_ = 1;
};

}  // namespace epilstm
