// The Epi-LSTM autoencoder over one frame of B streams, written once for every device
// (MODEL-SPEC.md "Autoencoder over one frame"; paper §3.2.1, Fig. 2):
//   encoder: h^e_0 = carried hidden, c^e_0 = 0;  (h^e_t, c^e_t) = cell_enc(x_t, h^e_{t-1}, c^e_{t-1})
//   decoder: h^d_0 = h^e_F;  h^d_t = cell_dec(h^e_t, h^d_{t-1}, c_prev = c^e_t)   (paper wiring)
//            x̂_t = V h^d_t + v
//   loss   : L = Σ_t w_t Σ_d (x_td − x̂_td)² / (D Σ_t w_t), w_t = 0 for excluded (all-missing) positions
// The representation of position t is h^e_t. The hidden carried to the next frame is h^e_F, with no
// gradient across the boundary (truncated BPTT).
//
// Variants are types: the cell spec (φ, normalization, H), the decoder wiring and the encoder
// direction are template parameters (model/variants.hpp lists the run-time ones). The device is a
// template parameter too: the model issues only the device's operations (gemm, for_each over the
// kernels of backend/kernels.hpp, fill, copy, sum) and runs each LSTM layer through the device's
// layer type (device_lstm_layer below). cpu_device (backend/cpu/cpu_device.hpp, the default),
// cuda_device and host_emulation (backend/cuda/) all run this one definition with the same flat
// parameter layout, so parameters, checkpoints and gradients are interchangeable.
//
// This header is free of Eigen (nvcc includes it); model/epi_lstm.hpp adds the CPU device.
#pragma once

#include <epilstm/backend/device.hpp>
#include <epilstm/backend/kernels.hpp>
#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/cell/lstm_layer_types.hpp>
#include <epilstm/cell/parameter_layout.hpp>
#include <epilstm/config.hpp>
#include <epilstm/data/frame_batch.hpp>
#include <epilstm/detail/random.hpp>
#include <epilstm/error.hpp>
#include <epilstm/model/model_config.hpp>
#include <epilstm/model/wiring.hpp>
#include <epilstm/sequence/lstm_layer.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace epilstm {

/// The LSTM layer a device runs: its own tuned one when it names one (`Device::lstm_layer<Spec, T>`,
/// as cpu_device does), else the device-generic frame unroll of sequence/lstm_layer.hpp.
template <class Spec, class Device, class T, class = void>
struct device_lstm_layer {
    using type = sequence::lstm_layer<Spec, Device, T>;
};
template <class Spec, class Device, class T>
struct device_lstm_layer<Spec, Device, T, std::void_t<typename Device::template lstm_layer<Spec, T>>> {
    using type = typename Device::template lstm_layer<Spec, T>;
};

/// The Epi-LSTM autoencoder.
/// @tparam Spec    cell_spec (φ, normalization, hidden size)
/// @tparam Wiring  paper_wiring | own_cell_wiring
/// @tparam Encoder unidirectional | bidirectional
/// @tparam T       float (training, inference) or double (gradient checks)
/// @tparam Device  cpu_device | cuda::cuda_device | cuda::host_emulation (any type with their operations)
template <cell_spec_type Spec, class Wiring = paper_wiring, class Encoder = unidirectional, class T = float,
          class Device = cpu_device>
class epi_lstm {
public:
    using spec = Spec;
    using wiring = Wiring;
    using encoder_direction = Encoder;
    using scalar = T;
    using device = Device;
    using layer = typename device_lstm_layer<Spec, Device, T>::type;
    /// The device's owning array (Eigen vector on the CPU, buffer<T, Device> elsewhere).
    using vector = typename Device::template vector<T>;
    static constexpr bool is_bidirectional = Encoder::is_bidirectional;
    static constexpr bool has_norm = Spec::normalization::enabled;

    /// Everything a frame's forward and backward pass need besides the parameters, in device memory.
    /// Matrices are flat, column-major: embedding [E, F·B] (h^e_t; E = H, or 2H bidirectional),
    /// reconstruction [D, F·B] (x̂_t), carry [H, B] (h^e at each stream's last valid position, the
    /// next frame's h0), d_out [D, F·B] (the weighted residual w_j (x̂ − x), written by forward;
    /// dL/dx̂ = output_gradient_scale(ws) · d_out).
    struct workspace {
        typename layer::cache enc, enc_rev, dec;
        vector embedding, enc_cell, reconstruction, dec_h0, carry, colw, colloss, ones;
        vector d_out, d_dec_h, d_embedding, d_enc_cell, d_dec_h0, d_split_h, d_split_c, d_x_rev;
        vector x, weight, h0;  // staging of host frames (stage())
        typename Device::template vector<index_t> lengths;
        T weight_sum = 0;
    };

    /// A model on `dev` with D = input_size tracks; hidden_size must equal Spec's when that is static.
    epi_lstm(Device& dev, index_t input_size, index_t hidden_size = Spec::hidden_size, index_t frame_length = 100)
        : dev_(&dev)
    {
        if constexpr (Spec::has_static_hidden_size) {
            if (hidden_size != Spec::hidden_size)
                throw shape_error("epilstm: this model type has hidden size " + std::to_string(Spec::hidden_size) +
                                  " but " + std::to_string(hidden_size) + " was requested");
        }
        if (input_size <= 0) throw shape_error("epilstm: input size (number of tracks) must be positive");
        if (hidden_size <= 0) throw shape_error("epilstm: hidden size must be positive");
        if (frame_length <= 0) throw shape_error("epilstm: frame length must be positive");
        cfg_.input_size = input_size;
        cfg_.hidden_size = hidden_size;
        cfg_.frame_length = frame_length;
        cfg_.activation = Spec::activation::name;
        cfg_.normalization = Spec::normalization::name;
        cfg_.bidirectional = is_bidirectional;
        cfg_.wiring = Wiring::name;
        layout_ = make_layout(cfg_, enc_, enc_rev_, dec_, out_W_, out_b_);
        params_.resize(layout_.size());
        initialize(0);
    }
    /// The same on the device's shared instance (stateless devices: the CPU, host emulation).
    explicit epi_lstm(index_t input_size, index_t hidden_size = Spec::hidden_size, index_t frame_length = 100)
        requires is_stateless_device<Device>
        : epi_lstm(shared_device<Device>(), input_size, hidden_size, frame_length)
    {
    }

    /// A model for a configuration read from a checkpoint or the command line; throws when the
    /// configuration names another variant than this type.
    epi_lstm(Device& dev, const model_config& cfg) : epi_lstm(dev, cfg.input_size, cfg.hidden_size, cfg.frame_length)
    {
        if (!matches(cfg))
            throw shape_error("epilstm: the model configuration (activation '" + cfg.activation + "', normalization '" +
                              cfg.normalization + "', wiring '" + cfg.wiring + "', bidirectional " +
                              (cfg.bidirectional ? "yes" : "no") + ") does not match this model type (" + cfg_.activation +
                              ", " + cfg_.normalization + ", " + cfg_.wiring + ", bidirectional " +
                              (is_bidirectional ? "yes" : "no") + ")");
    }
    explicit epi_lstm(const model_config& cfg)
        requires is_stateless_device<Device>
        : epi_lstm(shared_device<Device>(), cfg)
    {
    }

    /// True when `cfg` describes this variant (sizes aside when H is dynamic).
    static bool matches(const model_config& cfg)
    {
        return cfg.activation == Spec::activation::name && cfg.normalization == Spec::normalization::name &&
               cfg.wiring == Wiring::name && cfg.bidirectional == is_bidirectional &&
               (!Spec::has_static_hidden_size || cfg.hidden_size == Spec::hidden_size);
    }

    /// The parameter layout a configuration implies (what a checkpoint must contain).
    static parameter_layout layout_for(const model_config& cfg)
    {
        layer a, b, c;
        index_t w = 0, bb = 0;
        return make_layout(cfg, a, b, c, w, bb);
    }

    const model_config& config() const { return cfg_; }
    const parameter_layout& layout() const { return layout_; }
    /// The flat parameter buffer (MODEL-SPEC layout) in device memory.
    vector& parameters() { return params_; }
    const vector& parameters() const { return params_; }
    index_t parameter_count() const { return layout_.size(); }
    Device& dev() const { return *dev_; }
    index_t input_size() const { return cfg_.input_size; }
    index_t hidden_size() const { return cfg_.hidden_size; }
    index_t embedding_size() const { return cfg_.embedding_size(); }
    index_t frame_length() const { return cfg_.frame_length; }

    /// Copies n host parameters (e.g. another device's model's, or a checkpoint's) to the device.
    void set_parameters(const T* host, index_t n)
    {
        if (n != parameter_count())
            throw shape_error("epilstm: the model has " + std::to_string(parameter_count()) + " parameters but " +
                              std::to_string(n) + " were given");
        dev_->upload(params_.data(), host, n);
        dev_->synchronize();
    }
    /// Copies the parameters to host memory (parameter_count() entries).
    void get_parameters(T* host) const { dev_->download(host, params_.data(), parameter_count()); }

    /// MODEL-SPEC initialization: every weight and bias uniform(−1/√H, 1/√H) from `seed`, in layout
    /// order; layer-norm γ = 1, β = 0.
    void initialize(std::uint64_t seed)
    {
        detail::splitmix64 rng(seed);
        std::vector<T> host(static_cast<std::size_t>(layout_.size()), T(0));
        const double k = 1.0 / std::sqrt(static_cast<double>(cfg_.hidden_size));
        for (const auto& t : layout_.tensors()) {
            const bool is_ln = t.name.find("/ln_") != std::string::npos;
            const bool is_gamma = is_ln && t.name.size() >= 5 && t.name.compare(t.name.size() - 5, 5, "gamma") == 0;
            for (index_t i = 0; i < t.size(); ++i)
                host[static_cast<std::size_t>(t.offset + i)] =
                    is_ln ? (is_gamma ? T(1) : T(0)) : static_cast<T>(rng.uniform(-k, k));
        }
        set_parameters(host.data(), layout_.size());
    }

    /// A host frame in the device's memory: on a device with memory of its own, copies x, weight, h0
    /// and lengths into ws's staging buffers; on a host-memory device returns `fb` itself. Checks
    /// the shape rules (lengths within 0..F, the longest filling F).
    frame_batch<T> stage(workspace& ws, const frame_batch<T>& fb) const
    {
        check_batch(fb);
        if constexpr (Device::host_memory) {
            return fb;
        } else {
            const index_t n = fb.positions * fb.batch;
            frame_batch<T> d = fb;
            ws.x.resize(cfg_.input_size * n);
            dev_->upload(ws.x.data(), fb.x, cfg_.input_size * n);
            d.x = ws.x.data();
            if (fb.weight) {
                ws.weight.resize(n);
                dev_->upload(ws.weight.data(), fb.weight, n);
                d.weight = ws.weight.data();
            }
            if (fb.h0) {
                ws.h0.resize(cfg_.hidden_size * fb.batch);
                dev_->upload(ws.h0.data(), fb.h0, cfg_.hidden_size * fb.batch);
                d.h0 = ws.h0.data();
            }
            ws.lengths.resize(fb.batch);
            dev_->upload(ws.lengths.data(), fb.lengths, fb.batch);
            d.lengths = ws.lengths.data();
            return d;
        }
    }

    /// Runs only the encoder(s) on a frame in device memory: fills ws.embedding [E, F·B] and
    /// ws.carry [H, B] (the hidden to pass as h0 of the next frame of the same streams).
    void encode(workspace& ws, const frame_batch<T>& fb) const
    {
        if constexpr (Device::host_memory) check_batch(fb);
        const index_t F = fb.positions, B = fb.batch, n = F * B, H = cfg_.hidden_size;
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

    /// Encoder and decoder on a frame in device memory; returns the masked MSE of the frame (waits
    /// for the device).
    T forward(workspace& ws, const frame_batch<T>& fb) const
    {
        encode(ws, fb);
        const index_t F = fb.positions, B = fb.batch, n = F * B, E = embedding_size(), D = cfg_.input_size,
                      H = cfg_.hidden_size;
        const Device& dev = *dev_;
        const T* p = params_.data();
        // h^d_0 = h^e at each stream's last position ([h_fwd(last); h_rev(first)] bidirectional).
        ws.dec_h0.resize(E * B);
        dev.for_each(E * B, kernels::decoder_h0<T>{ws.carry.data(), is_bidirectional ? ws.enc_rev.h.data() : nullptr, H,
                                                   E, ws.dec_h0.data()});
        layer_inputs<T> din{ws.embedding.data(), ws.dec_h0.data(),
                            Wiring::decoder_takes_encoder_cell ? encoder_cell(ws) : nullptr, fb.lengths};
        dec_.forward(dev, p, din, ws.dec, F, B);

        // x̂ = V h^d + v and the masked MSE.
        ws.reconstruction.resize(D * n);
        dev.gemm(false, false, D, n, E, T(1), p + out_W_, D, ws.dec.h.data(), E, T(0), ws.reconstruction.data(), D);
        ws.colw.resize(n);
        dev.for_each(n, kernels::column_weights<T>{fb.weight, fb.lengths, B, ws.colw.data()});
        ws.colloss.resize(n);
        ws.d_out.resize(D * n);
        dev.for_each(n, kernels::output_loss_columns<T>{ws.reconstruction.data(), fb.x, p + out_b_, ws.colw.data(), D,
                                                        ws.colloss.data(), ws.d_out.data()});
        const T total = dev.sum(ws.colloss.data(), n);
        ws.weight_sum = dev.sum(ws.colw.data(), n);
        return ws.weight_sum > 0 ? total / (ws.weight_sum * static_cast<T>(D)) : T(0);
    }

    /// dL/dx̂ = this · ws.d_out: the mean squared error's derivative 2 / (Σ w_j · D). The weight is the
    /// frame's, or the whole minibatch's when data-parallel ranks share one step (the trainer sets
    /// ws.weight_sum before it calls backward).
    T output_gradient_scale(const workspace& ws) const
    {
        return ws.weight_sum > 0 ? T(2) / (ws.weight_sum * static_cast<T>(cfg_.input_size)) : T(0);
    }

    /// Backward pass of the frame `forward` last ran in `ws`: accumulates dL/dθ into the device
    /// array `grad` (parameter_count() entries, the parameters' layout); when dx is given, also
    /// writes dL/dx [D, F·B] there (through the network's input; the loss target's own term is
    /// −ws.d_out).
    void backward(workspace& ws, const frame_batch<T>& fb, T* grad, T* dx = nullptr) const
    {
        const index_t F = fb.positions, B = fb.batch, n = F * B, E = embedding_size(), D = cfg_.input_size,
                      H = cfg_.hidden_size;
        const Device& dev = *dev_;
        const T* p = params_.data();
        const T scale = output_gradient_scale(ws);

        // Output layer, with dL/dx̂ = scale · d_out (forward left the weighted residual in d_out):
        // dV += dL/dx̂ h^dᵀ, dv += Σ dL/dx̂, dh^d = Vᵀ dL/dx̂.
        dev.gemm(false, true, D, E, n, scale, ws.d_out.data(), D, ws.dec.h.data(), E, T(1), grad + out_W_, D);
        ws.ones.resize(n);
        dev.fill(ws.ones.data(), n, T(1));
        dev.gemm(false, false, D, 1, n, scale, ws.d_out.data(), D, ws.ones.data(), n, T(1), grad + out_b_, D);
        ws.d_dec_h.resize(E * n);
        dev.gemm(true, false, E, n, D, scale, p + out_W_, D, ws.d_out.data(), D, T(0), ws.d_dec_h.data(), E);

        // Decoder: its input is the embedding, its initial hidden the last encoder hidden, its cell
        // (paper wiring) the encoder's cell.
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
        // h^d_0 is h^e at the last position (forward) / first position (reverse) of each stream.
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
            if (dx) ws.d_x_rev.resize(D * n);
            layer_grads<T> eg{ws.d_split_h.data(), paper ? ws.d_split_c.data() : nullptr,
                              dx ? ws.d_x_rev.data() : nullptr, nullptr, nullptr};
            split(H);
            layer_inputs<T> rin{fb.x, nullptr, nullptr, fb.lengths};
            enc_rev_.backward(dev, p, rin, eg, ws.enc_rev, grad);
            split(0);
            eg.dx = dx;
            enc_.backward(dev, p, in, eg, ws.enc, grad);
            if (dx) dev.for_each(D * n, kernels::add_to<T>{dx, ws.d_x_rev.data()});
        } else {
            layer_grads<T> eg{ws.d_embedding.data(), paper ? ws.d_enc_cell.data() : nullptr, dx, nullptr, nullptr};
            enc_.backward(dev, p, in, eg, ws.enc, grad);
        }
    }

    /// backward() into a device array of parameter_count() entries (an Eigen vector on the CPU).
    template <class Grad>
        requires requires(Grad& g) { g.data(); g.size(); }
    void backward(workspace& ws, const frame_batch<T>& fb, Grad& grad, T* dx = nullptr) const
    {
        if (static_cast<index_t>(grad.size()) != parameter_count()) {
            grad.resize(parameter_count());
            dev_->fill(grad.data(), parameter_count(), T(0));
        }
        backward(ws, fb, grad.data(), dx);
    }

private:
    static parameter_layout make_layout(const model_config& cfg, layer& enc, layer& enc_rev, layer& dec,
                                        index_t& out_W, index_t& out_b)
    {
        parameter_layout l;
        const index_t D = cfg.input_size, H = cfg.hidden_size, E = cfg.embedding_size();
        enc = layer(add_lstm_tensors(l, "encoder", D, H, has_norm), cell_source::carried, direction::forward);
        if constexpr (is_bidirectional)
            enc_rev = layer(add_lstm_tensors(l, "encoder_reverse", D, H, has_norm), cell_source::carried,
                            direction::reverse);
        dec = layer(add_lstm_tensors(l, "decoder", E, E, has_norm),
                    Wiring::decoder_takes_encoder_cell ? cell_source::external : cell_source::carried,
                    direction::forward);
        out_W = l.add_matrix("decoder/out/W", D, E);
        out_b = l.add_vector("decoder/out/b", D);
        return l;
    }

    const T* encoder_cell(const workspace& ws) const
    {
        if constexpr (is_bidirectional)
            return ws.enc_cell.data();
        else
            return ws.enc.c.data();
    }

    /// The shape rules of a frame batch (its lengths must be readable on the host).
    static void check_batch(const frame_batch<T>& fb)
    {
        if (fb.batch <= 0 || fb.positions <= 0 || fb.x == nullptr || fb.lengths == nullptr)
            throw shape_error("epilstm: empty frame batch");
        index_t longest = 0;
        for (index_t b = 0; b < fb.batch; ++b) {
            const index_t l = fb.lengths[b];
            if (l < 0 || l > fb.positions)
                throw shape_error("epilstm: a stream length of " + std::to_string(l) + " is outside 0.." +
                                  std::to_string(fb.positions));
            longest = std::max(longest, l);
        }
        if (longest != fb.positions)
            throw shape_error("epilstm: the longest stream of a frame batch must fill its " +
                              std::to_string(fb.positions) + " positions");
    }

    Device* dev_;
    model_config cfg_;
    parameter_layout layout_;
    layer enc_, enc_rev_, dec_;
    index_t out_W_ = 0, out_b_ = 0;
    vector params_;
};

}  // namespace epilstm
