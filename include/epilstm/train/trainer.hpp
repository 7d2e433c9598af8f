// Training and inference loops over a genome: each region (chromosome, pilot region, or a whole
// in-memory signal) is split into B contiguous streams read frame by frame, each stream carrying its
// encoder hidden across frames (truncated BPTT, MODEL-SPEC "Loss and training defaults").
//
// Positions are pulled through a region_source, so a genome can stay on disk (io/signal_store.hpp):
// memory holds one frame batch per region in progress, never a whole region.
//
// An epoch is a schedule of (region, frame) batches. Without shuffling, regions run one after the
// other; with shuffling, the batches of different regions are interleaved at random (each region's
// frames stay in order, so carries stay valid). The schedule is a function of (seed, epoch) alone,
// so a run stopped after any batch resumes bit-identically from training_state.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/data/frame_streams.hpp>
#include <epilstm/detail/random.hpp>
#include <epilstm/model/epi_lstm.hpp>
#include <epilstm/train/adam.hpp>
#include <epilstm/train/clip.hpp>
#include <epilstm/train/training_state.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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

    index_t regions() const { return static_cast<index_t>(positions.size()); }
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
    return src;
}

struct train_options {
    index_t streams = 64;       ///< B: streams per region, one frame of each per minibatch
    double clip_norm = 1.0;     ///< global L2 norm; ≤ 0 disables clipping
    bool shuffle = false;       ///< interleave the frame batches of different regions at random
    index_t shuffle_run = 40;   ///< consecutive frames of a region per draw when shuffling
    std::uint64_t seed = 0;     ///< seed of the shuffled schedule
    adam_options adam{};
};

/// Called after every frame batch: (batch index in the epoch, batches in the epoch, loss of that batch).
using progress_callback = std::function<void(index_t, index_t, double)>;

/// Mean loss over the frames of one pass, weighted by the number of positions in the loss.
struct pass_result {
    double loss = 0;
    double weight = 0;   ///< positions that entered the loss
    index_t frames = 0;
    bool completed = true;  ///< false when a batch hook stopped the epoch early
};

/// The (region, frame) batches of one epoch, in order. Shuffled, the epoch is a random interleaving
/// of runs of up to `run` consecutive frames of each region (each region's frames stay in order),
/// drawn with probability ∝ the frames a region has left; runs keep reads local to the store's
/// chunks (io/store_source.hpp) while the order across the genome changes every epoch.
inline std::vector<std::pair<index_t, index_t>> epoch_schedule(const std::vector<index_t>& frames_per_region,
                                                              bool shuffle, std::uint64_t seed, long epoch,
                                                              index_t run = 1)
{
    std::vector<std::pair<index_t, index_t>> s;
    index_t total = 0;
    for (auto f : frames_per_region) total += f;
    s.reserve(static_cast<std::size_t>(total));
    if (!shuffle) {
        for (std::size_t r = 0; r < frames_per_region.size(); ++r)
            for (index_t k = 0; k < frames_per_region[r]; ++k) s.emplace_back(static_cast<index_t>(r), k);
        return s;
    }
    detail::splitmix64 rng(seed ^ (0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(epoch + 1)));
    std::vector<index_t> next(frames_per_region.size(), 0);
    for (index_t left = total; left > 0;) {
        auto pick = static_cast<index_t>(rng.next() % static_cast<std::uint64_t>(left));
        for (std::size_t r = 0; r < frames_per_region.size(); ++r) {
            const index_t rem = frames_per_region[r] - next[r];
            if (pick < rem) {
                for (index_t i = 0; i < std::min(run, rem); ++i, --left) s.emplace_back(static_cast<index_t>(r), next[r]++);
                break;
            }
            pick -= rem;
        }
    }
    return s;
}

/// Owns the optimizer, the training state and the scratch of training one model.
template <class Model>
class trainer {
public:
    using T = typename Model::scalar;
    using vector = typename Model::vector;
    /// Called after each batch; return false to stop the epoch there (e.g. on Ctrl-C); the state
    /// then describes exactly where to resume.
    using batch_hook = std::function<bool(const trainer&)>;

    trainer(Model& m, train_options o = {})
        : model_(m), opt_(o), adam_(m.parameters().size(), o.adam), grad_(vector::Zero(m.parameters().size()))
    {
    }

    /// One pass over an in-memory signal (a single region) with an Adam step per frame batch.
    pass_result train_epoch(const signal_view<T>& s, const progress_callback& progress = {})
    {
        return train_epoch(single_region(s), progress);
    }

    /// One epoch over every region of `src` (or what is left of it when resuming mid-epoch).
    pass_result train_epoch(const region_source<T>& src, const progress_callback& progress = {},
                            const batch_hook& after_batch = {})
    {
        if (src.tracks != model_.input_size())
            throw shape_error("epilstm: the signal has " + std::to_string(src.tracks) +
                              " tracks but the model expects " + std::to_string(model_.input_size()));
        std::vector<index_t> frames;
        for (index_t r = 0; r < src.regions(); ++r)
            frames.push_back(
                frame_streams<T>::frames_for(src.positions[std::size_t(r)], opt_.streams, model_.frame_length()));
        const auto schedule = epoch_schedule(frames, opt_.shuffle, opt_.seed, state_.epoch, opt_.shuffle_run);
        const auto n = static_cast<index_t>(schedule.size());
        frame_batch<T> fb;
        pass_result r;
        r.completed = false;
        for (index_t i = state_.batch; i < n; ++i) {
            const auto [region, k] = schedule[static_cast<std::size_t>(i)];
            const std::string& name = src.names[static_cast<std::size_t>(region)];
            // Built per batch (cheap): memory holds one batch, however many regions are in progress.
            frame_streams<T> fs(src.reader(region), src.tracks, src.positions[std::size_t(region)], opt_.streams,
                                model_.frame_length());
            fs.load(k, fb);
            auto carry = state_.carries.find(name);
            if (k == 0 || carry == state_.carries.end()) {
                fb.h0 = nullptr;
            } else {
                carry_scratch_ = carry->second.template cast<T>();
                fb.h0 = carry_scratch_.data();
            }
            const double loss = model_.forward(ws_, fb);
            grad_.setZero();
            model_.backward(ws_, fb, grad_);
            if (opt_.clip_norm > 0) clip_global_norm<T>(grad_, static_cast<T>(opt_.clip_norm));
            adam_.step(model_.parameters(), grad_);
            if (k + 1 < fs.frames())
                state_.carries[name] = ws_.carry.template cast<float>();
            else
                state_.carries.erase(name);
            state_.loss_sum += loss * ws_.weight_sum;
            state_.weight_sum += ws_.weight_sum;
            ++state_.batch;
            ++r.frames;
            if (progress) progress(i, n, loss);
            if (after_batch && !after_batch(*this) && i + 1 < n) {
                r.loss = state_.weight_sum > 0 ? state_.loss_sum / state_.weight_sum : 0;
                r.weight = state_.weight_sum;
                return r;
            }
        }
        r.completed = true;
        r.loss = state_.weight_sum > 0 ? state_.loss_sum / state_.weight_sum : 0;
        r.weight = state_.weight_sum;
        state_ = training_state{state_.epoch + 1, 0, 0, 0, {}};
        return r;
    }

    adam<T>& optimizer() { return adam_; }
    const adam<T>& optimizer() const { return adam_; }
    const train_options& options() const { return opt_; }
    const training_state& state() const { return state_; }
    void restore(training_state s) { state_ = std::move(s); }
    Model& model() { return model_; }
    const Model& model() const { return model_; }

private:
    Model& model_;
    train_options opt_;
    adam<T> adam_;
    vector grad_;
    training_state state_;
    typename Model::workspace ws_;
    typename Model::matrix carry_scratch_;
};

/// Runs the model over region `region` of `src` as `streams` streams without training. Calls
/// sink(first_row, embedding [E, n] column per position, reconstruction [D, n] or null) for each
/// stream's part of each frame batch, in order within each stream; returns the loss when
/// `reconstruct` is true.
template <class Model, class Sink>
pass_result run_region(const Model& model, const region_source<typename Model::scalar>& src, index_t region,
                       index_t streams, bool reconstruct, Sink&& sink, const progress_callback& progress = {})
{
    using T = typename Model::scalar;
    if (src.tracks != model.input_size())
        throw shape_error("epilstm: the signal has " + std::to_string(src.tracks) + " tracks but the model expects " +
                          std::to_string(model.input_size()));
    frame_streams<T> fs(src.reader(region), src.tracks, src.positions[static_cast<std::size_t>(region)], streams,
                        model.frame_length());
    frame_batch<T> fb;
    typename Model::workspace ws;
    typename Model::matrix carry, emb, rec;
    const index_t E = model.embedding_size(), D = model.input_size();
    pass_result r;
    for (index_t k = 0; k < fs.frames(); ++k) {
        fs.load(k, fb);
        fb.h0 = k == 0 ? nullptr : carry.data();
        double loss = 0;
        if (reconstruct) {
            loss = model.forward(ws, fb);
            r.loss += loss * ws.weight_sum;
            r.weight += ws.weight_sum;
        } else {
            model.encode(ws, fb);
        }
        carry = ws.carry;
        for (index_t b = 0; b < fs.streams(); ++b) {
            const index_t len = fb.lengths[static_cast<std::size_t>(b)];
            if (len == 0) continue;
            emb.resize(E, len);
            if (reconstruct) rec.resize(D, len);
            for (index_t t = 0; t < len; ++t) {
                emb.col(t) = ws.embedding.col(t * fb.batch + b);
                if (reconstruct) rec.col(t) = ws.reconstruction.col(t * fb.batch + b);
            }
            sink(fs.row(k, b, 0), emb, reconstruct ? &rec : nullptr);
        }
        ++r.frames;
        if (progress) progress(k, fs.frames(), loss);
    }
    if (r.weight > 0) r.loss /= r.weight;
    return r;
}

/// Runs the model over an in-memory signal as `streams` streams without training. Writes the
/// representation [N, E] and (when not null) the reconstruction [N, D], both row-major, and
/// returns the loss (when reconstructing).
template <class Model>
pass_result run_model(const Model& model, const signal_view<typename Model::scalar>& s, index_t streams,
                      typename Model::scalar* embedding, typename Model::scalar* reconstruction = nullptr,
                      const progress_callback& progress = {})
{
    using M = typename Model::matrix;
    const index_t E = model.embedding_size(), D = model.input_size();
    return run_region(
        model, single_region(s), 0, streams, reconstruction != nullptr,
        [&](index_t first, const M& emb, const M* rec) {
            if (embedding) Eigen::Map<M>(embedding + first * E, E, emb.cols()) = emb;
            if (rec) Eigen::Map<M>(reconstruction + first * D, D, rec->cols()) = *rec;
        },
        progress);
}

}  // namespace epilstm
