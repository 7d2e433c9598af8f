// A training run: epochs of a model_session's trainer up to a target, a checkpoint after every
// epoch and every few minutes, and a clean stop (with a checkpoint) when asked, e.g. on Ctrl-C.
// With validation regions: the validation loss after every epoch, the best epoch kept, a
// reduce-on-plateau learning-rate schedule and early stopping, all in the training state (so a
// resumed run continues the same schedule).
// The policy lives here so that every front end (the `epilstm` program, a distributed driver, a
// user's own program) stops, saves and resumes the same way; the front end supplies the I/O
// through callbacks (how to save, how to report).
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/data/region_source.hpp>
#include <epilstm/error.hpp>
#include <epilstm/model/inference.hpp>
#include <epilstm/train/session.hpp>

#include <chrono>
#include <functional>

namespace epilstm {

struct run_options {
    long epochs = 10;                 ///< epochs in total (a resumed run continues up to this)
    double checkpoint_minutes = 10;   ///< also save every this many minutes (≤ 0: only after each epoch)
    /// Validation: when set, its reconstruction loss is measured after every epoch; the best epoch
    /// is kept (callbacks::save_best), the learning rate is multiplied by lr_decay after every
    /// lr_patience epochs without improvement, and the run stops after `patience` such epochs.
    const region_source<float>* validation = nullptr;
    index_t validation_streams = 8;
    long patience = 0;                ///< > 0: early stopping after this many epochs without improvement
    long lr_patience = 2;             ///< > 0: decay the learning rate after this many epochs without improvement
    double lr_decay = 0.5;
    double min_improvement = 1e-4;    ///< relative: an epoch improves when loss < best · (1 − this)
};

/// What a run calls; every member may be empty.
struct run_callbacks {
    std::function<void()> save;                  ///< write a checkpoint of the session's state now
    std::function<bool()> stop_requested;        ///< true: save and stop at the next batch boundary
    std::function<void()> after_batch;           ///< after every batch, before the stop check (tests)
    std::function<void(long epoch)> epoch_begins;             ///< epoch (1-based) is about to run
    std::function<void(index_t batch, index_t batches, double loss)> batch_done;  ///< progress
    std::function<void(long epoch, const pass_result&, double seconds)> epoch_done;
    std::function<void()> save_best;             ///< the epoch just validated is the best so far
    /// after validation: epoch, validation loss, whether it is the best, the learning-rate scale now
    std::function<void(long epoch, double loss, bool best, double lr_scale)> validated;
};

/// How a run ended, and in which (1-based) epoch.
struct run_outcome {
    enum class status { completed, stopped_in_epoch, stopped_after_epoch, early_stopped } how = status::completed;
    long epoch = 0;
};

/// The validation loss of `s` over `src`. In a data-parallel group, rank r validates the regions
/// k ≡ r (mod P) and the pooled sums are added (agree), so every rank gets the same figure.
inline pass_result validation_loss(model_session& s, const region_source<float>& src, index_t streams)
{
    communicator* g = s.group();
    if (!g || g->size() == 1) return reconstruction_loss(s, src, streams);
    double lw = 0, w = 0;
    std::string failure;
    try {
        for (index_t k = g->rank(); k < src.regions(); k += g->size()) {
            const pass_result r =
                s.run_region(src, k, streams, true, [](index_t, const column_block<float>&, const column_block<float>*) {});
            lw += r.loss * r.weight;
            w += r.weight;
        }
    } catch (const std::exception& e) {
        failure = e.what();
    }
    const auto total = agree<2>(*g, {lw, w}, failure);
    pass_result out;
    out.weight = total[1];
    out.loss = total[1] > 0 ? total[0] / total[1] : 0;
    return out;
}

/// Trains `s` (start_training already called; restored when resuming) on `src` until
/// s.state().epoch reaches o.epochs. Saves after every epoch, every o.checkpoint_minutes, and when
/// stop_requested() turns true (then returns stopped_*; the checkpoint resumes exactly there).
///
/// In a data-parallel group (s.group()) every rank runs this with the same arguments: a stop asked
/// on any rank stops every rank at the same batch, rank 0's clock decides the timed checkpoints,
/// and cb.save runs on every rank at the same points (it gathers the state, so it is collective;
/// the caller writes from rank 0 alone).
inline run_outcome run_training(model_session& s, const region_source<float>& src, const run_options& o,
                                const run_callbacks& cb)
{
    using clock = std::chrono::steady_clock;
    communicator* const group = s.group() && s.group()->size() > 1 ? s.group() : nullptr;
    auto save = [&] {
        if (cb.save) cb.save();
    };
    auto stop = [&] {
        const bool mine = cb.stop_requested && cb.stop_requested();
        if (!group) return mine;
        return agree<1>(*group, {mine ? 1.0 : 0.0})[0] > 0;
    };
    auto last_save = clock::now();
    const auto save_every = std::chrono::duration<double>(o.checkpoint_minutes * 60.0);
    if (o.validation && o.patience > 0 && s.state().epochs_since_best >= o.patience)
        return {run_outcome::status::early_stopped, s.state().epoch};  // a resumed run that had stopped
    while (s.state().epoch < o.epochs) {
        const long epoch = s.state().epoch + 1;
        if (cb.epoch_begins) cb.epoch_begins(epoch);
        const auto t0 = clock::now();
        bool saved_on_stop = false;
        const pass_result r = s.train_epoch(
            src,
            [&](index_t i, index_t n, double loss) {
                if (cb.batch_done) cb.batch_done(i, n, loss);
            },
            [&] {
                if (cb.after_batch) cb.after_batch();
                const bool due = o.checkpoint_minutes > 0 && clock::now() - last_save >= save_every;
                bool stop_now = cb.stop_requested && cb.stop_requested(), save_now = due;
                if (group) {  // one agreement per batch: a stop on any rank, a checkpoint on rank 0's clock
                    const auto a = agree<2>(*group, {stop_now ? 1.0 : 0.0, due && group->rank() == 0 ? 1.0 : 0.0});
                    stop_now = a[0] > 0;
                    save_now = a[1] > 0;
                }
                if (stop_now) {
                    save();
                    saved_on_stop = true;
                    return false;
                }
                if (save_now) {
                    save();
                    last_save = clock::now();
                }
                return true;
            });
        if (!r.completed) {
            if (!saved_on_stop) save();
            return {run_outcome::status::stopped_in_epoch, epoch};
        }
        const double seconds = std::chrono::duration<double>(clock::now() - t0).count();
        bool best = false, early = false;
        if (o.validation) {
            const pass_result v = validation_loss(s, *o.validation, o.validation_streams);
            training_state st = s.state();
            best = st.best_validation < 0 || v.loss < st.best_validation * (1 - o.min_improvement);
            if (best) {
                st.best_validation = v.loss;
                st.best_epoch = epoch;
                st.epochs_since_best = 0;
            } else {
                ++st.epochs_since_best;
                if (o.lr_patience > 0 && st.epochs_since_best % o.lr_patience == 0) st.lr_scale *= o.lr_decay;
                early = o.patience > 0 && st.epochs_since_best >= o.patience;
            }
            s.restore(st);
            if (cb.validated) cb.validated(epoch, v.loss, best, st.lr_scale);
        }
        save();
        if (best && cb.save_best) cb.save_best();
        last_save = clock::now();
        if (cb.epoch_done) cb.epoch_done(epoch, r, seconds);
        if (early) return {run_outcome::status::early_stopped, epoch};
        if (stop()) return {run_outcome::status::stopped_after_epoch, epoch};
    }
    return {run_outcome::status::completed, s.state().epoch};
}

/// A training budget: `epochs` full passes, or (positions > 0) this many positions in the loss,
/// stopping inside an epoch when it is reached; the same budget gives every model the same data.
struct training_budget {
    long epochs = 1;
    double positions = 0;
};

/// What a budgeted run did.
struct budget_outcome {
    double positions = 0;  ///< positions that entered the loss, over every epoch run
    double last_loss = 0;  ///< mean loss of the last (possibly partial) epoch
    long epochs = 0;       ///< epochs begun
};

/// Trains `tr` (a trainer<Model>, train/trainer.hpp) on `src` within budget `b`, with no checkpoints:
/// what a study that compares models at equal data (the ablation) runs. Throws input_error when
/// an epoch finds no position in the loss (it would never reach a position budget).
template <class Trainer>
budget_outcome train_within(Trainer& tr, const region_source<typename Trainer::T>& src, const training_budget& b)
{
    budget_outcome out;
    for (long epoch = 0;; ++epoch) {
        if (b.positions <= 0 && epoch >= b.epochs) break;
        const double before = out.positions;
        const pass_result p = tr.train_epoch(src, {}, [&](const Trainer& t) {
            return b.positions <= 0 || before + t.state().weight_sum < b.positions;
        });
        ++out.epochs;
        out.positions += p.weight;
        out.last_loss = p.loss;
        if (!p.completed || (b.positions > 0 && out.positions >= b.positions)) break;
        if (p.weight <= 0)
            throw input_error("the training regions hold no position in the loss (every position is missing)");
    }
    return out;
}

}  // namespace epilstm
