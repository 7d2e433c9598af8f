// Inference over a region, for a model on any device: the region is split into B streams read
// frame by frame (data/frame_streams.hpp), each stream's encoder hidden carried across frames on
// the device (MODEL-SPEC "Autoencoder over one frame"); the representation (and, when asked, the
// reconstruction) of each frame comes back to the host stream by stream. Free of Eigen: nvcc
// compiles it for the GPU (train/session.hpp).
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/data/frame_batch.hpp>
#include <epilstm/data/frame_streams.hpp>
#include <epilstm/data/region_source.hpp>
#include <epilstm/error.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace epilstm {

/// Called after every frame batch: (batch index in the pass, batches in the pass, loss of that batch).
using progress_callback = std::function<void(index_t, index_t, double)>;

/// Mean loss over the frames of one pass, weighted by the number of positions in the loss.
struct pass_result {
    double loss = 0;
    double weight = 0;      ///< positions that entered the loss
    index_t frames = 0;
    bool completed = true;  ///< false when a batch hook stopped the epoch early
};

/// A column-major [rows, cols] block in host memory: one stream's part of a frame, one position
/// per column (equivalently cols rows of a row-major [cols, rows] matrix).
template <class T>
struct column_block {
    const T* values = nullptr;
    index_t row_count = 0, col_count = 0;
    const T* data() const { return values; }
    index_t rows() const { return row_count; }
    index_t cols() const { return col_count; }
};

/// Runs the model over region `region` of `src` as `streams` streams without training. Calls
/// sink(first_row, embedding [E, n] one column per position, reconstruction [D, n] or null) for each
/// stream's part of each frame batch, in order within each stream; returns the loss when
/// `reconstruct` is true.
template <class Model, class Sink>
pass_result run_region(const Model& model, const region_source<typename Model::scalar>& src, index_t region,
                       index_t streams, bool reconstruct, Sink&& sink, const progress_callback& progress = {})
{
    using T = typename Model::scalar;
    using device = typename Model::device;
    if (src.tracks != model.input_size())
        throw shape_error("epilstm: the signal has " + std::to_string(src.tracks) + " tracks but the model expects " +
                          std::to_string(model.input_size()));
    const auto& dev = model.dev();
    frame_streams<T> fs(src.reader(region), src.tracks, src.positions[static_cast<std::size_t>(region)], streams,
                        model.frame_length());
    fs.set_read_threads(src.read_threads());
    frame_batch<T> fb;
    typename Model::workspace ws;
    typename Model::vector carry;  // the hidden carried between frames, in device memory
    std::vector<T> emb_all, rec_all, emb, rec;
    const index_t E = model.embedding_size(), D = model.input_size(), H = model.hidden_size();
    pass_result r;
    for (index_t k = 0; k < fs.frames(); ++k) {
        fs.load(k, fb);
        fb.h0 = nullptr;
        frame_batch<T> df = model.stage(ws, fb);
        if (k > 0) df.h0 = carry.data();
        double loss = 0;
        if (reconstruct) {
            loss = model.forward(ws, df);
            r.loss += loss * ws.weight_sum;
            r.weight += ws.weight_sum;
        } else {
            model.encode(ws, df);
        }
        const index_t B = fb.batch, n = fb.positions * B;
        carry.resize(H * B);
        dev.copy(carry.data(), ws.carry.data(), H * B);
        const T* e_all = ws.embedding.data();
        const T* r_all = reconstruct ? ws.reconstruction.data() : nullptr;
        if constexpr (!device::host_memory) {
            emb_all.resize(static_cast<std::size_t>(E * n));
            dev.download(emb_all.data(), ws.embedding.data(), E * n);
            e_all = emb_all.data();
            if (reconstruct) {
                rec_all.resize(static_cast<std::size_t>(D * n));
                dev.download(rec_all.data(), ws.reconstruction.data(), D * n);
                r_all = rec_all.data();
            }
        }
        for (index_t b = 0; b < fs.streams(); ++b) {
            const index_t len = fb.lengths[b];
            if (len == 0) continue;
            emb.resize(static_cast<std::size_t>(E * len));
            if (reconstruct) rec.resize(static_cast<std::size_t>(D * len));
            for (index_t t = 0; t < len; ++t) {
                std::copy_n(e_all + (t * B + b) * E, E, emb.data() + t * E);
                if (reconstruct) std::copy_n(r_all + (t * B + b) * D, D, rec.data() + t * D);
            }
            const column_block<T> eb{emb.data(), E, len}, rb{rec.data(), D, len};
            sink(fs.row(k, b, 0), eb, reconstruct ? &rb : nullptr);
        }
        ++r.frames;
        if (progress) progress(k, fs.frames(), loss);
    }
    if (r.weight > 0) r.loss /= r.weight;
    return r;
}

namespace detail {

/// The weighted mean of `run(k)` (a pass_result) over regions k = 0..regions-1: reconstruction_loss
/// of a model here and of a session (train/session.hpp).
template <class RunRegion>
pass_result pooled_loss(index_t regions, RunRegion&& run)
{
    pass_result total;
    for (index_t k = 0; k < regions; ++k) {
        const pass_result p = run(k);
        total.loss += p.loss * p.weight;
        total.weight += p.weight;
        total.frames += p.frames;
    }
    if (total.weight > 0) total.loss /= total.weight;
    return total;
}

/// run_model of a model here and of a session: `run(src, reconstruct, sink)` runs region 0 of
/// `src`; the sink copies the representation [N, E] and the reconstruction [N, D] out, row-major.
template <class T, class RunRegion>
pass_result run_into(RunRegion&& run, const signal_view<T>& s, index_t E, index_t D, T* embedding, T* reconstruction)
{
    return run(single_region(s), reconstruction != nullptr,
               [&](index_t first, const column_block<T>& emb, const column_block<T>* rec) {
                   if (embedding) std::copy_n(emb.data(), E * emb.cols(), embedding + first * E);
                   if (rec) std::copy_n(rec->data(), D * rec->cols(), reconstruction + first * D);
               });
}

}  // namespace detail

/// The model's reconstruction loss over every region of `src` (each run as `streams` streams, the
/// hidden carried between frames): the mean over all positions in the loss, and their number.
template <class Model>
pass_result reconstruction_loss(const Model& model, const region_source<typename Model::scalar>& src, index_t streams)
{
    return detail::pooled_loss(src.regions(), [&](index_t k) {
        return run_region(model, src, k, streams, true, [](index_t, const auto&, const auto*) {});
    });
}

/// Runs the model over an in-memory signal as `streams` streams without training. Writes the
/// representation [N, E] and (when not null) the reconstruction [N, D], both row-major, and
/// returns the loss (when reconstructing).
template <class Model>
pass_result run_model(const Model& model, const signal_view<typename Model::scalar>& s, index_t streams,
                      typename Model::scalar* embedding, typename Model::scalar* reconstruction = nullptr,
                      const progress_callback& progress = {})
{
    return detail::run_into(
        [&](const auto& src, bool rec, const auto& sink) { return run_region(model, src, 0, streams, rec, sink, progress); },
        s, model.embedding_size(), model.input_size(), embedding, reconstruction);
}

}  // namespace epilstm
