// The Epi-LSTM autoencoder on a device tag: cuda_device (nvcc, cuBLAS) or host_emulation (g++,
// thrust::cpp; what CI runs). Same equations and flat parameter layout as the CPU model
// (model/epi_lstm.hpp, MODEL-SPEC.md "Autoencoder over one frame"), so parameters, checkpoints and
// gradients are interchangeable: set_parameters() takes the CPU model's parameters() verbatim.
//
// The wiring and encoder-direction tags are the CPU model's (paper_wiring, own_cell_wiring,
// unidirectional, bidirectional); they are plain structs, redeclared identically here when the
// CPU header is not included, so that nvcc never sees Eigen.
#pragma once

#include <epilstm/backend/cuda/buffer.cuh>
#include <epilstm/backend/cuda/kernels.cuh>
#include <epilstm/backend/cuda/lstm_layer.cuh>
#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace epilstm::cuda {

/// One minibatch in device memory: one frame of each of B streams (the layout of frame_batch).
template <class T>
struct device_frame {
    index_t positions = 0;            ///< F, the longest frame in the batch
    index_t batch = 0;                ///< B
    const T* x = nullptr;             ///< [D, F·B], position t of stream b in column t·B + b
    const T* weight = nullptr;        ///< [F·B] loss weights or null (1 everywhere)
    const T* h0 = nullptr;            ///< [H, B] carried encoder hidden or null (zeros)
    const index_t* lengths = nullptr; ///< [B] valid positions of each stream, in device memory
};

/// The same minibatch in host memory (the fields of frame_batch, without Eigen).
template <class T>
struct host_frame {
    index_t positions = 0;
    index_t batch = 0;
    const T* x = nullptr;
    const T* weight = nullptr;
    const T* h0 = nullptr;               ///< host [H, B] or null
    const index_t* lengths = nullptr;    ///< host [B]
};

template <cell_spec_type Spec, class Wiring, class Encoder, class Device, class T = float>
class epi_lstm {
public:
    using spec = Spec;
    using wiring = Wiring;
    using encoder_direction = Encoder;
    using device = Device;
    using scalar = T;
    using layer = lstm_layer<Spec, Device, T>;
    template <class U> using buf = buffer<U, Device>;
    static constexpr bool is_bidirectional = Encoder::is_bidirectional;
    static constexpr bool has_norm = Spec::normalization::enabled;

    /// Device scratch of one frame (forward and backward), plus staging for host frames.
    struct workspace {
        typename layer::cache enc, enc_rev, dec;
        buf<T> embedding, enc_cell, reconstruction, dec_h0, carry, colw, colloss, ones;
        buf<T> d_out, d_dec_h, d_embedding, d_enc_cell, d_dec_h0, d_split_h, d_split_c;
        buf<T> x, weight, h0;   // staging of host frames (stage())
        buf<index_t> lengths;
        T weight_sum = 0;
    };

    epi_lstm(Device& dev, index_t input_size, index_t hidden_size, index_t frame_length = 100)
        : dev_(&dev), D_(input_size), H_(hidden_size), F_(frame_length)
    {
        if constexpr (Spec::has_static_hidden_size) {
            if (hidden_size != Spec::hidden_size)
                throw shape_error("epilstm: this model type has hidden size " + std::to_string(Spec::hidden_size) +
                                  " but " + std::to_string(hidden_size) + " was requested");
        }
        if (input_size <= 0 || hidden_size <= 0 || frame_length <= 0)
            throw shape_error("epilstm: input size, hidden size and frame length must be positive");
        const index_t E = embedding_size();
        flat_layout l;
        enc_ = layer(l.add_layer(D_, H_, has_norm), cell_source::carried, direction::forward);
        if constexpr (is_bidirectional)
            enc_rev_ = layer(l.add_layer(D_, H_, has_norm), cell_source::carried, direction::reverse);
        dec_ = layer(l.add_layer(E, E, has_norm),
                     Wiring::decoder_takes_encoder_cell ? cell_source::external : cell_source::carried,
                     direction::forward);
        out_W_ = l.add(D_ * E);
        out_b_ = l.add(D_);
        params_.resize(l.size);
        dev_->fill(params_.data(), l.size, T(0));
    }

    index_t input_size() const { return D_; }
    index_t hidden_size() const { return H_; }
    index_t embedding_size() const { return is_bidirectional ? 2 * H_ : H_; }
    index_t frame_length() const { return F_; }
    index_t parameter_count() const { return params_.size(); }
    Device& dev() const { return *dev_; }
    /// Offsets of the encoder, reverse encoder and decoder tensors, and of V and v.
    const layer_offsets& encoder_offsets() const { return enc_.offsets(); }
    const layer_offsets& encoder_reverse_offsets() const { return enc_rev_.offsets(); }
    const layer_offsets& decoder_offsets() const { return dec_.offsets(); }
    index_t output_weight_offset() const { return out_W_; }
    index_t output_bias_offset() const { return out_b_; }

    /// Device pointer to the flat parameter buffer (the CPU model's layout).
    T* parameters() { return params_.data(); }
    const T* parameters() const { return params_.data(); }
    /// Copies n host parameters (e.g. a CPU model's parameters().data()) to the device.
    void set_parameters(const T* host, index_t n)
    {
        if (n != params_.size())
            throw shape_error("epilstm: the device model has " + std::to_string(params_.size()) +
                              " parameters but " + std::to_string(n) + " were given");
        dev_->upload(params_.data(), host, n);
        dev_->synchronize();
    }
    void get_parameters(T* host) const { dev_->download(host, params_.data(), params_.size()); }

    /// Uploads a host frame into ws's staging buffers; returns it as a device frame. Checks the
    /// shape rules of frame_batch (lengths within 0..F, the longest filling F).
    device_frame<T> stage(workspace& ws, const host_frame<T>& h) const
    {
        if (h.batch <= 0 || h.positions <= 0 || h.x == nullptr || h.lengths == nullptr)
            throw shape_error("epilstm: empty frame batch");
        index_t longest = 0;
        for (index_t b = 0; b < h.batch; ++b) {
            if (h.lengths[b] < 0 || h.lengths[b] > h.positions)
                throw shape_error("epilstm: a stream length of " + std::to_string(h.lengths[b]) + " is outside 0.." +
                                  std::to_string(h.positions));
            longest = std::max(longest, h.lengths[b]);
        }
        if (longest != h.positions)
            throw shape_error("epilstm: the longest stream of a frame batch must fill its " +
                              std::to_string(h.positions) + " positions");
        const index_t n = h.positions * h.batch;
        device_frame<T> d;
        d.positions = h.positions;
        d.batch = h.batch;
        ws.x.resize(D_ * n);
        dev_->upload(ws.x.data(), h.x, D_ * n);
        d.x = ws.x.data();
        if (h.weight) {
            ws.weight.resize(n);
            dev_->upload(ws.weight.data(), h.weight, n);
            d.weight = ws.weight.data();
        }
        if (h.h0) {
            ws.h0.resize(H_ * h.batch);
            dev_->upload(ws.h0.data(), h.h0, H_ * h.batch);
            d.h0 = ws.h0.data();
        }
        ws.lengths.resize(h.batch);
        dev_->upload(ws.lengths.data(), h.lengths, h.batch);
        d.lengths = ws.lengths.data();
        return d;
    }

    /// Encoder(s) only: ws.embedding [E, F·B] and ws.carry [H, B] (the next frame's h0).
    void encode(workspace& ws, const device_frame<T>& fb) const
    {
        const index_t F = fb.positions, B = fb.batch, n = F * B, H = H_;
        const Device& dev = *dev_;
        const T* p = params_.data();
        layer_inputs<T> in{fb.x, fb.h0, nullptr, fb.lengths};
        enc_.forward(dev, p, in, ws.enc, F, B);
        if constexpr (is_bidirectional) {
            layer_inputs<T> rin{fb.x, nullptr, nullptr, fb.lengths};
            enc_rev_.forward(dev, p, rin, ws.enc_rev, F, B);
            ws.embedding.resize(2 * H * n);
            dev.for_each(2 * H * n, kernels::stack_rows<T>{ws.enc.h.data(), ws.enc_rev.h.data(), H, H, ws.embedding.data()});
            ws.enc_cell.resize(2 * H * n);
            dev.for_each(2 * H * n, kernels::stack_rows<T>{ws.enc.c.data(), ws.enc_rev.c.data(), H, H, ws.enc_cell.data()});
        } else {
            ws.embedding.resize(H * n);
            dev.copy(ws.embedding.data(), ws.enc.h.data(), H * n);
        }
        ws.carry.resize(H * B);
        dev.for_each(H * B, kernels::last_hidden<T>{ws.enc.h.data(), fb.h0, fb.lengths, H, B, ws.carry.data()});
    }

    /// Encoder and decoder; returns the masked MSE of the frame (waits for the device).
    T forward(workspace& ws, const device_frame<T>& fb) const
    {
        encode(ws, fb);
        const index_t F = fb.positions, B = fb.batch, n = F * B, E = embedding_size(), D = D_, H = H_;
        const Device& dev = *dev_;
        const T* p = params_.data();
        ws.dec_h0.resize(E * B);
        dev.for_each(E * B, kernels::decoder_h0<T>{ws.carry.data(), is_bidirectional ? ws.enc_rev.h.data() : nullptr, H,
                                                   E, ws.dec_h0.data()});
        layer_inputs<T> din{ws.embedding.data(), ws.dec_h0.data(),
                            Wiring::decoder_takes_encoder_cell ? encoder_cell(ws) : nullptr, fb.lengths};
        dec_.forward(dev, p, din, ws.dec, F, B);

        ws.reconstruction.resize(D * n);
        dev.gemm(false, false, D, n, E, T(1), p + out_W_, D, ws.dec.h.data(), E, T(0), ws.reconstruction.data(), D);
        ws.colw.resize(n);
        dev.for_each(n, kernels::column_weights<T>{fb.weight, fb.lengths, B, ws.colw.data()});
        ws.colloss.resize(n);
        dev.for_each(n, kernels::output_loss_columns<T>{ws.reconstruction.data(), fb.x, p + out_b_, ws.colw.data(), D,
                                                        ws.colloss.data()});
        const T total = dev.sum(ws.colloss.data(), n);
        ws.weight_sum = dev.sum(ws.colw.data(), n);
        return ws.weight_sum > 0 ? total / (ws.weight_sum * static_cast<T>(D)) : T(0);
    }

    /// Backward pass of the frame `forward` last ran in ws: accumulates dL/dθ into the device
    /// buffer `grad` (parameter_count() entries, the parameters' layout).
    void backward(workspace& ws, const device_frame<T>& fb, T* grad) const
    {
        const index_t F = fb.positions, B = fb.batch, n = F * B, E = embedding_size(), D = D_, H = H_;
        const Device& dev = *dev_;
        const T* p = params_.data();
        const T scale = ws.weight_sum > 0 ? T(2) / (ws.weight_sum * static_cast<T>(D)) : T(0);

        // Output layer: dL/dx̂, dV += dL/dx̂ h^dᵀ, dv += Σ dL/dx̂, dh^d = Vᵀ dL/dx̂.
        ws.d_out.resize(D * n);
        dev.for_each(D * n, kernels::output_gradient<T>{ws.reconstruction.data(), fb.x, ws.colw.data(), scale, D,
                                                        ws.d_out.data()});
        dev.gemm(false, true, D, E, n, T(1), ws.d_out.data(), D, ws.dec.h.data(), E, T(1), grad + out_W_, D);
        ws.ones.resize(n);
        dev.fill(ws.ones.data(), n, T(1));
        dev.gemm(false, false, D, 1, n, T(1), ws.d_out.data(), D, ws.ones.data(), n, T(1), grad + out_b_, D);
        ws.d_dec_h.resize(E * n);
        dev.gemm(true, false, E, n, D, T(1), p + out_W_, D, ws.d_out.data(), D, T(0), ws.d_dec_h.data(), E);

        // Decoder.
        ws.d_embedding.resize(E * n);
        ws.d_dec_h0.resize(E * B);
        constexpr bool paper = Wiring::decoder_takes_encoder_cell;
        if constexpr (paper) {
            ws.d_enc_cell.resize(E * n);
            dev.fill(ws.d_enc_cell.data(), E * n, T(0));
        }
        layer_inputs<T> din{ws.embedding.data(), ws.dec_h0.data(), paper ? encoder_cell(ws) : nullptr, fb.lengths};
        layer_grads<T> dg{ws.d_dec_h.data(), nullptr, ws.d_embedding.data(), ws.d_dec_h0.data(),
                          paper ? ws.d_enc_cell.data() : nullptr};
        dec_.backward(dev, p, din, dg, ws.dec, grad);
        dev.for_each(E * B, kernels::scatter_decoder_h0<T>{ws.d_dec_h0.data(), fb.lengths, H, E, B,
                                                           ws.d_embedding.data()});

        // Encoder(s).
        layer_inputs<T> in{fb.x, fb.h0, nullptr, fb.lengths};
        if constexpr (is_bidirectional) {
            ws.d_split_h.resize(H * n);
            ws.d_split_c.resize(H * n);
            auto split = [&](index_t row0) {
                dev.for_each(H * n, kernels::take_rows<T>{ws.d_embedding.data(), E, row0, H, ws.d_split_h.data()});
                if (paper)
                    dev.for_each(H * n, kernels::take_rows<T>{ws.d_enc_cell.data(), E, row0, H, ws.d_split_c.data()});
            };
            layer_grads<T> eg{ws.d_split_h.data(), paper ? ws.d_split_c.data() : nullptr, nullptr, nullptr, nullptr};
            split(H);
            layer_inputs<T> rin{fb.x, nullptr, nullptr, fb.lengths};
            enc_rev_.backward(dev, p, rin, eg, ws.enc_rev, grad);
            split(0);
            enc_.backward(dev, p, in, eg, ws.enc, grad);
        } else {
            layer_grads<T> eg{ws.d_embedding.data(), paper ? ws.d_enc_cell.data() : nullptr, nullptr, nullptr, nullptr};
            enc_.backward(dev, p, in, eg, ws.enc, grad);
        }
    }

private:
    const T* encoder_cell(const workspace& ws) const
    {
        if constexpr (is_bidirectional)
            return ws.enc_cell.data();
        else
            return ws.enc.c.data();
    }

    Device* dev_;
    index_t D_, H_, F_;
    layer enc_, enc_rev_, dec_;
    index_t out_W_ = 0, out_b_ = 0;
    buf<T> params_;
};

}  // namespace epilstm::cuda
