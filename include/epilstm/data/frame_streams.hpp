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
/// Puts `len` positions of stream b (rows [len, D] row-major, missing [len]) into columns t·B + b
/// of a frame buffer [D, F·B], with loss weight 0 at missing positions and 1 elsewhere.
template <class T>
void put_stream(const T* rows, const std::uint8_t* missing, index_t len, index_t D, index_t b, index_t B, T* buffer,
                T* weight)
{
    for (index_t t = 0; t < len; ++t) {
        const index_t j = t * B + b;
        std::copy_n(rows + t * D, D, buffer + j * D);
        weight[j] = missing[t] ? T(0) : T(1);
    }
}
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
        lengths_.assign(static_cast<std::size_t>(B), 0);
        buffer_.assign(static_cast<std::size_t>(D_ * F * B), T(0));
        weight_.assign(static_cast<std::size_t>(F * B), T(0));
        stream_.resize(static_cast<std::size_t>(D_ * F));
        missing_.resize(static_cast<std::size_t>(F));
        for (index_t b = 0; b < B; ++b) {
            const index_t len = std::clamp<index_t>(stream_length(first + b) - k * F_, 0, F);
            lengths_[static_cast<std::size_t>(b)] = len;
            if (len == 0) continue;
            read_(row(k, first + b, 0), len, stream_.data(), missing_.data());
            detail::put_stream(stream_.data(), missing_.data(), len, D_, b, B, buffer_.data(), weight_.data());
        }
        fb.x = buffer_.data();
        fb.weight = weight_.data();
        fb.lengths = lengths_.data();
    }

private:
    position_reader<T> read_;
    index_t D_, N_, F_, B_ = 0, longest_ = 0;
    std::vector<index_t> start_, lengths_;
    std::vector<T> buffer_, stream_, weight_;
    std::vector<std::uint8_t> missing_;
};

}  // namespace epilstm
