// Training over a genome, for a model on any device: each region (chromosome, pilot region, or a
// whole in-memory signal) is split into B contiguous streams read frame by frame, each stream
// carrying its encoder hidden across frames (truncated BPTT, MODEL-SPEC "Loss and training
// defaults").
//
// Positions are pulled through a region_source (data/region_source.hpp), so a genome can stay on
// disk (io/store_source.hpp): memory holds one frame batch per region in progress, never a region.
//
// An epoch is a schedule of (region, frame) batches. Without shuffling, regions run one after the
// other; with shuffling, the batches of different regions are interleaved at random (each region's
// frames stay in order, so carries stay valid). With mix_frames > 0 a minibatch instead holds
// streams from B places across the genome (data/segment_streams.hpp): groups of B shuffled segments,
// each group's frames in order. The schedule is a function of (seed, epoch) alone,
// so a run stopped after any batch resumes bit-identically from training_state.
//
// Each batch is read on the host, staged to the model's device (epi_lstm::stage), and runs forward,
// backward, clipping and the Adam step there; only the carried hidden [H, B] comes back to the
// host (it is part of the training state a checkpoint saves). Free of Eigen: nvcc compiles it for
// the GPU (train/session.hpp).
//
// Data-parallel (train_options::group, parallel/communicator.hpp; docs/distributed.md): every rank
// runs the same schedule; each minibatch's B streams are split over the P ranks (rank_share), each
// rank reading and running only its own. The ranks' (loss·weight, weight) are summed first, so each
// rank's backward pass scales by the global weight and the ranks' gradients add up to the
// single-process gradient of the whole minibatch; that sum (rank order, the same bits on every
// rank) is clipped and stepped identically everywhere, so the replicas stay equal. A rank holds the
// carries of its own streams; checkpoint_state() gathers them into the single-process layout and
// resume_from() takes a rank's share of such a state, so a run resumes under another P.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/data/frame_streams.hpp>
#include <epilstm/data/region_source.hpp>
#include <epilstm/data/segment_streams.hpp>
#include <epilstm/detail/random.hpp>
#include <epilstm/error.hpp>
#include <epilstm/model/inference.hpp>
#include <epilstm/parallel/communicator.hpp>
#include <epilstm/train/adam.hpp>
#include <epilstm/train/adam_options.hpp>
#include <epilstm/train/clip.hpp>
#include <epilstm/train/training_state.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace epilstm {

struct train_options {
    index_t streams = 64;       ///< B: streams per region, one frame of each per minibatch
    double clip_norm = 1.0;     ///< global L2 norm; ≤ 0 disables clipping
    bool shuffle = false;       ///< interleave the frame batches of different regions at random
    index_t shuffle_run = 40;   ///< consecutive frames of a region per draw when shuffling
    /// > 0: minibatches mix the genome (data/segment_streams.hpp): regions cut into segments of at
    /// most this many frames, shuffled every epoch, B segments per minibatch (`shuffle` is then
    /// moot). 0: B streams of one region per minibatch.
    index_t mix_frames = 0;
    std::uint64_t seed = 0;     ///< seed of the shuffled schedule
    adam_options adam{};
    /// Data-parallel group (not owned; it must outlive the trainer); null: this process alone.
    communicator* group = nullptr;
    /// With a group: compare a digest of the parameters across ranks after every step (a check,
    /// one small all-gather per step; rank_failure when the replicas differ).
    bool check_replicas = false;
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

/// Owns the optimizer, the training state and the scratch of training one model (on its device).
template <class Model>
class trainer {
public:
    using T = typename Model::scalar;
    using device = typename Model::device;
    using vector = typename Model::vector;
    /// Called after each batch; return false to stop the epoch there (e.g. on Ctrl-C); the state
    /// then describes exactly where to resume.
    using batch_hook = std::function<bool(const trainer&)>;

    trainer(Model& m, train_options o = {})
        : model_(m), opt_(o), adam_(m.dev(), m.parameter_count(), o.adam), base_lr_(o.adam.learning_rate)
    {
        grad_.resize(m.parameter_count());
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
        // The epoch's batches: (carry key, frame k, frames of that key's streams) and how to load one.
        struct planned {
            index_t unit, k;
        };
        std::vector<planned> plan;
        std::vector<std::vector<segment>> groups;  // mixed
        std::vector<index_t> frames;               // by region
        if (opt_.mix_frames > 0) {
            groups = segment_groups(cut_segments(src.positions, model_.frame_length(), opt_.mix_frames), opt_.streams,
                                    opt_.seed, state_.epoch);
            for (std::size_t g = 0; g < groups.size(); ++g) {
                const index_t nf = group_frames(groups[g], model_.frame_length());
                frames.push_back(nf);
                for (index_t k = 0; k < nf; ++k) plan.push_back({static_cast<index_t>(g), k});
            }
        } else {
            for (index_t r = 0; r < src.regions(); ++r)
                frames.push_back(
                    frame_streams<T>::frames_for(src.positions[std::size_t(r)], opt_.streams, model_.frame_length()));
            for (const auto& [region, k] : epoch_schedule(frames, opt_.shuffle, opt_.seed, state_.epoch, opt_.shuffle_run))
                plan.push_back({region, k});
        }
        const auto n = static_cast<index_t>(plan.size());
        const auto& dev = model_.dev();
        const index_t H = model_.hidden_size();
        frame_batch<T> fb;
        segment_loader<T> mixed;
        std::optional<frame_streams<T>> by_region;
        index_t by_region_unit = -1;
        pass_result r;
        r.completed = false;
        communicator* const group = grouped() ? opt_.group : nullptr;
        for (index_t i = state_.batch; i < n; ++i) {
            const auto [unit, k] = plan[static_cast<std::size_t>(i)];
            const index_t unit_frames = frames[static_cast<std::size_t>(unit)];
            std::string name, failure;
            index_t first = 0, last = 0;  // this rank's streams of the unit (all of them alone)
            auto share = [&](index_t streams) {
                std::tie(first, last) = group ? rank_share(streams, group->rank(), group->size())
                                              : std::pair<index_t, index_t>{0, streams};
            };
            try {
                if (opt_.mix_frames > 0) {
                    name = "segment group " + std::to_string(unit);
                    const auto& g = groups[static_cast<std::size_t>(unit)];
                    share(static_cast<index_t>(g.size()));
                    if (last > first) mixed.load(src, g, model_.frame_length(), k, fb, first, last);
                } else {
                    name = src.names[static_cast<std::size_t>(unit)];
                    // Built when the region changes (cheap): memory holds one batch, however many
                    // regions are in progress; kept while batches come from the same region, so its
                    // buffers are reused. (It owns fb's buffers, so it lives until the step below.)
                    if (by_region_unit != unit) {
                        by_region.emplace(src.reader(unit), src.tracks, src.positions[std::size_t(unit)], opt_.streams,
                                          model_.frame_length());
                        by_region->set_read_threads(src.read_threads());
                        by_region_unit = unit;
                    }
                    share(by_region->streams());
                    if (last > first) by_region->load(k, fb, first, last);
                }
            } catch (const std::exception& e) {
                if (!group) throw;
                failure = e.what();  // every rank learns it at the step's agreement
            }
            auto carry = state_.carries.find(name);
            if (k == 0 || carry == state_.carries.end()) {
                fb.h0 = nullptr;
            } else {
                carry_host_.assign(carry->second.values.begin(), carry->second.values.end());
                fb.h0 = carry_host_.data();
            }
            // A rank whose streams have all ended in this frame has nothing to run (fb.positions 0).
            const bool mine = last > first && failure.empty() && fb.positions > 0;
            const double loss = group ? step_in_group(fb, mine, failure) : step(fb);
            if (k + 1 < unit_frames) {
                // Every stream of this rank keeps a carry column, as in one process. A rank whose
                // streams have all ended ran nothing: their carries pass through unchanged (what
                // kernels::last_hidden gives an ended stream: its h0, else zeros), so a gathered
                // checkpoint has one column per stream of the minibatch whatever P.
                const index_t cols = last - first;
                if (mine || !group) {
                    carry_host_.resize(static_cast<std::size_t>(H * cols));
                    if (cols > 0) dev.download(carry_host_.data(), ws_.carry.data(), H * cols);
                } else if (!fb.h0 || carry_host_.size() != static_cast<std::size_t>(H * cols)) {
                    carry_host_.assign(static_cast<std::size_t>(H * cols), T(0));
                }
                carry_state& c = state_.carries[name];
                c.rows = H;
                c.cols = cols;
                c.values.assign(carry_host_.begin(), carry_host_.end());
            } else {
                state_.carries.erase(name);
            }
            state_.loss_sum += loss * last_weight_;
            state_.weight_sum += last_weight_;
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
        state_ = state_.next_epoch();
        return r;
    }

    /// One optimization step on a host frame batch (fb.h0 the carried hidden, or null): stage,
    /// forward, backward, clipping and Adam on the model's device. Returns the frame's loss; the
    /// hidden to carry into the next frame of the same streams is then carry() [H, B] (device memory).
    double step(const frame_batch<T>& fb) { return step_staged(stage(fb)); }

    /// Copies a host frame batch to the model's device (into this trainer's workspace).
    frame_batch<T> stage(const frame_batch<T>& fb) { return model_.stage(ws_, fb); }

    /// step() on a frame already on the device (what stage() returned, h0 possibly replaced by a
    /// device pointer): forward, backward, clipping and Adam. A benchmark that times the device's
    /// compute alone stages once and calls this.
    double step_staged(const frame_batch<T>& df)
    {
        const auto& dev = model_.dev();
        const index_t P = model_.parameter_count();
        const double loss = model_.forward(ws_, df);
        last_weight_ = ws_.weight_sum;
        dev.fill(grad_.data(), P, T(0));
        model_.backward(ws_, df, grad_.data());
        clip_and_step();
        return loss;
    }

    /// The step of a data-parallel rank (train_options::group): `mine` when this rank has streams
    /// in the batch (then `fb` holds them), `failure` non-empty when it could not load them. Every
    /// rank calls it for every batch; returns the loss of the whole minibatch.
    double step_in_group(const frame_batch<T>& fb, bool mine, std::string failure)
    {
        communicator& g = *opt_.group;
        const auto& dev = model_.dev();
        const index_t P = model_.parameter_count();
        double lw = 0, w = 0;
        frame_batch<T> df;
        if (mine) {
            try {
                df = stage(fb);
                const double loss = model_.forward(ws_, df);
                w = ws_.weight_sum;
                lw = loss * w;
            } catch (const std::exception& e) {
                failure = e.what();
                mine = false;
            }
        }
        const auto total = agree<2>(g, {lw, w}, failure);  // throws rank_failure on every rank
        last_weight_ = total[1];
        dev.fill(grad_.data(), P, T(0));
        if (mine) {
            ws_.weight_sum = static_cast<T>(total[1]);  // the minibatch's weight: gradients add up
            model_.backward(ws_, df, grad_.data());
        }
        if constexpr (device::host_memory) {
            g.sum(grad_.data(), P);
        } else {
            host_.resize(static_cast<std::size_t>(P));
            dev.download(host_.data(), grad_.data(), P);
            g.sum(host_.data(), P);
            dev.upload(grad_.data(), host_.data(), P);
        }
        clip_and_step();
        if (opt_.check_replicas) check_replicas(g, parameter_digest(), "parameters");
        return total[1] > 0 ? total[0] / total[1] : 0.0;
    }

    /// FNV-1a digest of the parameters' bytes (a host copy when the device has its own memory).
    std::uint64_t parameter_digest() const
    {
        const index_t P = model_.parameter_count();
        if constexpr (device::host_memory)
            return digest_bytes(model_.parameters().data(), sizeof(T) * static_cast<std::size_t>(P));
        std::vector<T> h(static_cast<std::size_t>(P));
        model_.dev().download(h.data(), model_.parameters().data(), P);
        return digest_bytes(h.data(), sizeof(T) * h.size());
    }
    /// The carried hidden of the last step (or inference frame), [H, B] in device memory.
    const vector& carry() const { return ws_.carry; }

    adam<T, device>& optimizer() { return adam_; }
    const adam<T, device>& optimizer() const { return adam_; }
    const train_options& options() const { return opt_; }
    /// This rank's state (in a group: the carries of its own streams).
    const training_state& state() const { return state_; }
    /// Sets this rank's state (what state() returned).
    void restore(training_state s) { state_ = std::move(s); }

    /// The state a checkpoint saves: state() with every rank's carries gathered into the
    /// single-process layout. In a group it is collective (every rank calls it at the same batch).
    training_state checkpoint_state() const
    {
        if (!grouped()) return state_;
        training_state s = state_;
        for (auto& [name, c] : s.carries) {
            c.values = all_gather_floats(*opt_.group, c.values.data(), static_cast<index_t>(c.values.size()));
            c.cols = c.rows > 0 ? static_cast<index_t>(c.values.size()) / c.rows : 0;
        }
        return s;
    }
    /// Restores a state in the single-process layout (checkpoint_state's, from any P): this rank
    /// keeps the carry columns of its own streams.
    void resume_from(training_state s)
    {
        if (grouped())
            for (auto& [name, c] : s.carries) {
                const auto [a, b] = rank_share(c.cols, opt_.group->rank(), opt_.group->size());
                c.values = std::vector<float>(c.values.begin() + a * c.rows, c.values.begin() + b * c.rows);
                c.cols = b - a;
            }
        state_ = std::move(s);
    }
    Model& model() { return model_; }
    const Model& model() const { return model_; }

private:
    bool grouped() const { return opt_.group && opt_.group->size() > 1; }

    void clip_and_step()
    {
        const index_t P = model_.parameter_count();
        if (opt_.clip_norm > 0) clip_global_norm(model_.dev(), grad_.data(), P, static_cast<T>(opt_.clip_norm));
        adam_.options().learning_rate = base_lr_ * state_.lr_scale;  // the schedule's rate (train/run.hpp)
        adam_.step(model_.parameters().data(), grad_.data());
    }

    Model& model_;
    train_options opt_;
    adam<T, device> adam_;
    double base_lr_;
    vector grad_;
    training_state state_;
    typename Model::workspace ws_;
    std::vector<T> carry_host_, host_;
    double last_weight_ = 0;  // the weight in the loss of the last step (the whole minibatch's)
};

}  // namespace epilstm
