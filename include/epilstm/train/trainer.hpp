// Training and inference loops over a whole signal: B streams, frame by frame, carrying each
// stream's encoder hidden across frames (truncated BPTT, MODEL-SPEC "Loss and training defaults").
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/data/frame_streams.hpp>
#include <epilstm/model/epi_lstm.hpp>
#include <epilstm/train/adam.hpp>
#include <epilstm/train/clip.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <functional>

namespace epilstm {

/// A signal held in memory: [N, D] row-major with an optional all-missing mask.
template <class T = float>
struct signal_view {
    const T* data = nullptr;                 ///< [N, D] row-major
    index_t positions = 0;                   ///< N
    index_t tracks = 0;                      ///< D
    const std::uint8_t* missing = nullptr;   ///< [N] or null
};

struct train_options {
    index_t streams = 64;       ///< B: frames per minibatch
    double clip_norm = 1.0;     ///< global L2 norm; ≤ 0 disables clipping
    adam_options adam{};
};

/// Called after every frame batch: (frame index, number of frames, loss of that batch).
using progress_callback = std::function<void(index_t, index_t, double)>;

/// Mean loss over the frames of one pass, weighted by the number of positions in the loss.
struct pass_result {
    double loss = 0;
    double weight = 0;   ///< positions that entered the loss
    index_t frames = 0;
};

/// Owns the optimizer and the scratch of training one model.
template <class Model>
class trainer {
public:
    using T = typename Model::scalar;
    using vector = typename Model::vector;

    trainer(Model& m, train_options o = {})
        : model_(m), opt_(o), adam_(m.parameters().size(), o.adam), grad_(vector::Zero(m.parameters().size()))
    {
    }

    /// One pass over the signal with an Adam step per frame batch.
    pass_result train_epoch(const signal_view<T>& s, const progress_callback& progress = {})
    {
        check_signal(s);
        frame_streams<T> fs(s.data, s.tracks, s.positions, opt_.streams, model_.frame_length(), s.missing);
        frame_batch<T> fb;
        typename Model::matrix carry;
        pass_result r;
        for (index_t k = 0; k < fs.frames(); ++k) {
            fs.load(k, fb);
            fb.h0 = k == 0 ? nullptr : carry.data();
            const double loss = model_.forward(ws_, fb);
            grad_.setZero();
            model_.backward(ws_, fb, grad_);
            if (opt_.clip_norm > 0) clip_global_norm<T>(grad_, static_cast<T>(opt_.clip_norm));
            adam_.step(model_.parameters(), grad_);
            carry = ws_.carry;
            r.loss += loss * ws_.weight_sum;
            r.weight += ws_.weight_sum;
            ++r.frames;
            if (progress) progress(k, fs.frames(), loss);
        }
        if (r.weight > 0) r.loss /= r.weight;
        return r;
    }

    adam<T>& optimizer() { return adam_; }
    const train_options& options() const { return opt_; }

private:
    void check_signal(const signal_view<T>& s) const
    {
        if (s.tracks != model_.input_size())
            throw shape_error("epilstm: the signal has " + std::to_string(s.tracks) + " tracks but the model expects " +
                              std::to_string(model_.input_size()));
    }

    Model& model_;
    train_options opt_;
    adam<T> adam_;
    vector grad_;
    typename Model::workspace ws_;
};

/// Runs the model over the signal as `streams` streams without training. Writes the representation
/// [N, E] and (when not null) the reconstruction [N, D], both row-major, and returns the loss.
template <class Model>
pass_result run_model(const Model& model, const signal_view<typename Model::scalar>& s, index_t streams,
                      typename Model::scalar* embedding, typename Model::scalar* reconstruction = nullptr,
                      const progress_callback& progress = {})
{
    using T = typename Model::scalar;
    if (s.tracks != model.input_size())
        throw shape_error("epilstm: the signal has " + std::to_string(s.tracks) + " tracks but the model expects " +
                          std::to_string(model.input_size()));
    frame_streams<T> fs(s.data, s.tracks, s.positions, streams, model.frame_length(), s.missing);
    frame_batch<T> fb;
    typename Model::workspace ws;
    typename Model::matrix carry;
    const index_t E = model.embedding_size(), D = model.input_size();
    pass_result r;
    for (index_t k = 0; k < fs.frames(); ++k) {
        fs.load(k, fb);
        fb.h0 = k == 0 ? nullptr : carry.data();
        double loss = 0;
        if (reconstruction) {
            loss = model.forward(ws, fb);
            r.loss += loss * ws.weight_sum;
            r.weight += ws.weight_sum;
        } else {
            model.encode(ws, fb);
        }
        carry = ws.carry;
        for (index_t b = 0; b < fs.streams(); ++b)
            for (index_t t = 0; t < fb.lengths[static_cast<std::size_t>(b)]; ++t) {
                const index_t row = fs.row(k, b, t), j = t * fb.batch + b;
                if (embedding)
                    Eigen::Map<typename Model::vector>(embedding + row * E, E) = ws.embedding.col(j);
                if (reconstruction)
                    Eigen::Map<typename Model::vector>(reconstruction + row * D, D) = ws.reconstruction.col(j);
            }
        ++r.frames;
        if (progress) progress(k, fs.frames(), loss);
    }
    if (r.weight > 0) r.loss /= r.weight;
    return r;
}

}  // namespace epilstm
