// Minibatches that mix the genome (train_options::mix_frames > 0).
//
// By region (frame_streams.hpp), a minibatch is one frame of B contiguous streams of ONE region, so
// consecutive Adam steps see one 0.5–1 Mb region at a time. Mixed, every region is cut into
// segments of at most `frames` frames (region r of N positions into S = ⌈N / (frames·F)⌉ segments
// [s·N/S, (s+1)·N/S), so lengths differ by at most one); each epoch the segments of all regions are
// shuffled (a function of seed and epoch) and taken B at a time: a group of B streams from B places
// across the genome. A group runs its frames in order, each stream carrying its own encoder hidden
// from frame to frame exactly as by region (the hidden is reset at a segment's start, where a
// by-region stream starts too). The last group may have fewer than B streams.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/data/frame_batch.hpp>
#include <epilstm/data/frame_streams.hpp>
#include <epilstm/data/region_source.hpp>
#include <epilstm/detail/random.hpp>
#include <epilstm/error.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace epilstm {

/// Positions [first, first + length) of region `region`: one stream of a mixed minibatch.
struct segment {
    index_t region = 0, first = 0, length = 0;
    bool operator==(const segment&) const = default;
};

/// Every region cut into segments of at most frames · frame_length positions, in region order.
inline std::vector<segment> cut_segments(const std::vector<index_t>& positions, index_t frame_length, index_t frames)
{
    if (frame_length <= 0 || frames <= 0)
        throw shape_error("epilstm: segments need a positive frame length and frames per segment");
    const index_t most = frame_length * frames;
    std::vector<segment> out;
    for (std::size_t r = 0; r < positions.size(); ++r) {
        const index_t N = positions[r];
        if (N <= 0) continue;
        const index_t S = (N + most - 1) / most;
        for (index_t s = 0; s < S; ++s) {
            const index_t a = s * N / S, b = (s + 1) * N / S;
            out.push_back({static_cast<index_t>(r), a, b - a});
        }
    }
    return out;
}

/// The groups of one epoch: the segments shuffled (Fisher–Yates, seeded by seed and epoch) and
/// taken `streams` at a time.
inline std::vector<std::vector<segment>> segment_groups(std::vector<segment> segs, index_t streams,
                                                        std::uint64_t seed, long epoch)
{
    if (streams <= 0) throw shape_error("epilstm: the number of streams (batch size) must be positive");
    detail::splitmix64 rng(seed ^ (0xD1B54A32D192ED03ULL * static_cast<std::uint64_t>(epoch + 1)));
    for (std::size_t i = segs.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(rng.next() % static_cast<std::uint64_t>(i));
        std::swap(segs[i - 1], segs[j]);
    }
    std::vector<std::vector<segment>> groups;
    for (std::size_t i = 0; i < segs.size(); i += static_cast<std::size_t>(streams))
        groups.emplace_back(segs.begin() + static_cast<std::ptrdiff_t>(i),
                            segs.begin() + static_cast<std::ptrdiff_t>(std::min(segs.size(), i + std::size_t(streams))));
    return groups;
}

/// Frames of a group: its longest segment in frames.
inline index_t group_frames(const std::vector<segment>& group, index_t frame_length)
{
    index_t longest = 0;
    for (const auto& s : group) longest = std::max(longest, s.length);
    return (longest + frame_length - 1) / frame_length;
}

/// Loads frame k of a group's streams (stream b = segment b) from a region_source into a
/// frame_batch whose buffers it owns; fb.h0 is left to the caller.
template <class T = float>
class segment_loader {
public:
    void load(const region_source<T>& src, const std::vector<segment>& group, index_t frame_length, index_t k,
              frame_batch<T>& fb)
    {
        load(src, group, frame_length, k, fb, 0, static_cast<index_t>(group.size()));
    }

    /// The same for the group's streams [first, last) alone (a data-parallel rank's share), as
    /// columns 0..last−first−1; fb.positions is the longest of them in frame k (0 when all of
    /// them have ended).
    void load(const region_source<T>& src, const std::vector<segment>& group, index_t frame_length, index_t k,
              frame_batch<T>& fb, index_t first, index_t last)
    {
        const index_t D = src.tracks, B = last - first;
        const index_t frames = group_frames(group, frame_length);
        if (k < 0 || k >= frames)
            throw error("epilstm: frame " + std::to_string(k) + " is outside 0.." + std::to_string(frames - 1));
        if (first < 0 || last > static_cast<index_t>(group.size()) || first > last)
            throw error("epilstm: streams " + std::to_string(first) + ".." + std::to_string(last) +
                        " are outside the group of " + std::to_string(group.size()));
        index_t F = 0;  // the longest of these streams in frame k
        for (index_t b = first; b < last; ++b)
            F = std::max(F, std::clamp<index_t>(group[static_cast<std::size_t>(b)].length - k * frame_length, 0,
                                                frame_length));
        fb.positions = F;
        fb.batch = B;
        lengths_.resize(static_cast<std::size_t>(B));
        for (index_t b = 0; b < B; ++b)
            lengths_[static_cast<std::size_t>(b)] =
                std::clamp<index_t>(group[static_cast<std::size_t>(first + b)].length - k * frame_length, 0, F);
        fill_.fill(D, F, B, lengths_.data(), [&](index_t b, T* rows, std::uint8_t* missing) {
            const segment& s = group[static_cast<std::size_t>(first + b)];
            src.read(s.region, s.first + k * frame_length, lengths_[static_cast<std::size_t>(b)], rows, missing);
        }, src.read_threads());
        fb.x = fill_.x();
        fb.weight = fill_.weight();
        fb.lengths = lengths_.data();
    }

private:
    std::vector<index_t> lengths_;
    detail::frame_filler<T> fill_;
};

}  // namespace epilstm
