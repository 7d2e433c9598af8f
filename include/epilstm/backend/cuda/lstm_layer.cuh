// One (layer-norm) LSTM layer over a frame of B streams on a device tag (cuda_device or
// host_emulation). The same equations, layout and parameter offsets as the CPU layer
// (backend/cpu/lstm_layer.hpp, whose header comment gives the forward and backward equations); the
// work is split differently:
//   per frame     pre_x = W X (one GEMM over all F·B columns) + b_x, LN_x per column;
//   per position  step = U h_prev (one GEMM [4H,H]×[H,B]), LN_h statistics per column, one kernel
//                 for gates and c̃ over H×B, LN_c statistics per column, one kernel for c and h
//                 (without layer norm: the GEMM and a single kernel);
//   backward      per position 1 kernel (no norm) or 4 kernels + the GEMM dh_carry = Uᵀ da_h; per
//                 frame LN_x backward and the weight gradients as GEMMs (dW = da_x Xᵀ,
//                 dU = da_h H_prevᵀ, bias and layer-norm γ/β sums as GEMVs against a ones vector).
// State never leaves the device; the host only issues launches.
#pragma once

#include <epilstm/backend/cuda/buffer.cuh>
#include <epilstm/backend/cuda/kernels.cuh>
#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/config.hpp>


namespace epilstm::cuda {

/// How a layer obtains c_prev (as cpu::cell_source).
enum class cell_source { carried, external };
/// Order in which positions are processed (as cpu::direction).
enum class direction { forward, reverse };

/// Offsets of one layer's tensors in the model's flat parameter buffer; -1 for absent LN tensors.
struct layer_offsets {
    index_t input_size = 0, hidden_size = 0;
    index_t W_x = 0, b_x = 0, W_h = 0, b_h = 0;
    index_t ln_x_gamma = -1, ln_x_beta = -1, ln_h_gamma = -1, ln_h_beta = -1, ln_c_gamma = -1, ln_c_beta = -1;
};

/// The offset rule of parameter_layout (model/parameter_layout.hpp): every tensor starts on a
/// multiple of 16 floats, in the order tensors are added. Kept free of Eigen so nvcc never sees
/// it; tests/parity checks that it gives the CPU model's offsets.
struct flat_layout {
    index_t size = 0;
    index_t add(index_t n)
    {
        size = (size + 15) / 16 * 16;
        const index_t o = size;
        size += n;
        return o;
    }
    /// One layer's tensors in MODEL-SPEC order (cpu::add_lstm_tensors).
    layer_offsets add_layer(index_t input, index_t hidden, bool norm)
    {
        layer_offsets o;
        o.input_size = input;
        o.hidden_size = hidden;
        o.W_x = add(4 * hidden * input);
        o.b_x = add(4 * hidden);
        o.W_h = add(4 * hidden * hidden);
        o.b_h = add(4 * hidden);
        if (norm) {
            o.ln_x_gamma = add(4 * hidden);
            o.ln_x_beta = add(4 * hidden);
            o.ln_h_gamma = add(4 * hidden);
            o.ln_h_beta = add(4 * hidden);
            o.ln_c_gamma = add(hidden);
            o.ln_c_beta = add(hidden);
        }
        return o;
    }
};

/// Per-frame device scratch of one layer (what backward needs, by column).
template <class T, class Device>
struct layer_cache {
    index_t positions = 0, batch = 0;
    buffer<T, Device> pre_x, xhat_x, inv_x, xhat_h, inv_h, gates, c_prev, chat, inv_c, c, phi_c, h_prev, h;
    buffer<T, Device> step, stats, h0, c0;                  // per-position scratch
    buffer<T, Device> da, da_h, dcn, prod, ones, dh_carry, dc_carry;  // backward

    void resize(index_t H, index_t F, index_t B, bool norm)
    {
        positions = F;
        batch = B;
        const index_t n = F * B;
        // (arrays, not braced lists: nvcc 13's front end rejects a range-for over a braced list)
        buffer<T, Device>* by_4h[] = {&pre_x, &gates, &da, &da_h};
        buffer<T, Device>* by_h[] = {&c_prev, &c, &phi_c, &h_prev, &h};
        buffer<T, Device>* by_hb[] = {&h0, &c0, &dh_carry, &dc_carry};
        for (auto* b : by_4h) b->resize(4 * H * n);
        for (auto* b : by_h) b->resize(H * n);
        for (auto* b : by_hb) b->resize(H * B);
        step.resize(4 * H * B);
        stats.resize(2 * n);
        if (norm) {
            buffer<T, Device>* ln_4h[] = {&xhat_x, &xhat_h, &prod};
            buffer<T, Device>* ln_n[] = {&inv_x, &inv_h, &inv_c};
            for (auto* b : ln_4h) b->resize(4 * H * n);
            for (auto* b : ln_n) b->resize(n);
            chat.resize(H * n);
            dcn.resize(H * n);
        }
    }
};

/// Inputs of a layer's forward pass (device pointers).
template <class T>
struct layer_inputs {
    const T* x = nullptr;           ///< [I, F·B]
    const T* h0 = nullptr;          ///< [H, B] or null (zeros)
    const T* c_external = nullptr;  ///< [H, F·B] for cell_source::external
    const index_t* lengths = nullptr;  ///< [B] valid positions per stream (device)
};

/// Gradients into a layer's outputs and where its input gradients go (device pointers).
template <class T>
struct layer_grads {
    const T* dh = nullptr;     ///< [H, F·B] or null
    const T* dc = nullptr;     ///< [H, F·B] or null
    T* dx = nullptr;           ///< [I, F·B] out, overwritten, or null
    T* dh0 = nullptr;          ///< [H, B] out, or null
    T* dc_external = nullptr;  ///< [H, F·B] out, written at every column (cell_source::external)
};

template <cell_spec_type Spec, class Device, class T = float>
class lstm_layer {
public:
    static constexpr bool norm = Spec::normalization::enabled;
    using cache = layer_cache<T, Device>;

    lstm_layer() = default;
    lstm_layer(layer_offsets o, cell_source s, direction d) : o_(o), source_(s), dir_(d) {}
    const layer_offsets& offsets() const { return o_; }

    void forward(const Device& dev, const T* p, const layer_inputs<T>& in, cache& k, index_t F, index_t B) const
    {
        const index_t H = o_.hidden_size, I = o_.input_size, n = F * B, H4 = 4 * H;
        k.resize(H, F, B, norm);
        const T eps = static_cast<T>(Spec::normalization::epsilon);

        // The parallel part: the whole frame's input projection, bias and LN_x.
        dev.gemm(false, false, H4, n, I, T(1), p + o_.W_x, H4, in.x, I, T(0), k.pre_x.data(), H4);
        dev.for_each(H4 * n, kernels::add_bias<T>{k.pre_x.data(), p + o_.b_x, H4});
        if constexpr (norm)
            dev.for_each(n, kernels::layer_norm_columns<T>{k.pre_x.data(), 0, nullptr, k.xhat_x.data(), k.inv_x.data(), 0,
                                                           H4, eps, k.pre_x.data(), p + o_.ln_x_gamma,
                                                           p + o_.ln_x_beta});

        if (in.h0)
            dev.copy(k.h0.data(), in.h0, H * B);
        else
            dev.fill(k.h0.data(), H * B, T(0));
        dev.fill(k.c0.data(), H * B, T(0));

        // The sequential part.
        for (index_t s = 0; s < F; ++s) {
            const index_t t = dir_ == direction::forward ? s : F - 1 - s;
            const index_t col = t * B, pc = (dir_ == direction::forward ? t - 1 : t + 1) * B;
            const T* h_src = s == 0 ? k.h0.data() : k.h.data() + pc * H;
            const T* c_src = source_ == cell_source::external ? in.c_external + col * H
                             : s == 0                         ? k.c0.data()
                                                              : k.c.data() + pc * H;
            dev.gemm(false, false, H4, B, H, T(1), p + o_.W_h, H4, h_src, H, T(0), k.step.data(), H4);
            if constexpr (norm)
                dev.for_each(B, kernels::layer_norm_columns<T>{k.step.data(), 0, p + o_.b_h, k.xhat_h.data(),
                                                               k.inv_h.data(), col, H4, eps, nullptr, nullptr, nullptr});
            dev.for_each(H * B, kernels::gates_forward<Spec, T>{
                                    k.step.data(), p + o_.b_h, norm ? k.xhat_h.data() : nullptr,
                                    norm ? p + o_.ln_h_gamma : nullptr, norm ? p + o_.ln_h_beta : nullptr,
                                    k.pre_x.data(), c_src, in.lengths, H, B, t, col, k.gates.data(),
                                    k.c_prev.data(), norm ? k.chat.data() : nullptr, k.c.data(), k.phi_c.data(),
                                    k.h.data()});
            if constexpr (norm) {
                dev.for_each(B, kernels::layer_norm_columns<T>{k.chat.data(), col, nullptr, k.chat.data(),
                                                               k.inv_c.data(), col, H, eps, nullptr, nullptr, nullptr});
                dev.for_each(H * B, kernels::cell_output<Spec, T>{k.chat.data(), p + o_.ln_c_gamma, p + o_.ln_c_beta,
                                                                  k.gates.data(), in.lengths, H, t, col, k.c.data(),
                                                                  k.phi_c.data(), k.h.data()});
            }
        }
        // h_prev of every column, for dU in backward.
        dev.for_each(H * n, kernels::gather_h_prev<T>{k.h.data(), k.h0.data(), H, B, F, dir_ == direction::reverse,
                                                      k.h_prev.data()});
    }

    /// Backpropagates through the frame in `k`; accumulates parameter gradients into `grad`.
    void backward(const Device& dev, const T* p, const layer_inputs<T>& in, const layer_grads<T>& g, cache& k,
                  T* grad) const
    {
        const index_t H = o_.hidden_size, I = o_.input_size, F = k.positions, B = k.batch, n = F * B, H4 = 4 * H;
        const bool carried = source_ == cell_source::carried;
        dev.fill(k.dh_carry.data(), H * B, T(0));
        dev.fill(k.dc_carry.data(), H * B, T(0));
        T* dc_ext_out = carried ? nullptr : g.dc_external;
        // Without layer norm da_h is da itself.
        T* da_h = norm ? k.da_h.data() : k.da.data();

        for (index_t s = F - 1; s >= 0; --s) {
            const index_t t = dir_ == direction::forward ? s : F - 1 - s;
            const index_t col = t * B;
            dev.for_each(H * B, kernels::output_backward<Spec, T>{
                                    k.dh_carry.data(), k.dc_carry.data(), g.dh, g.dc, k.gates.data(), k.phi_c.data(),
                                    k.c_prev.data(), in.lengths, H, t, col, carried, dc_ext_out, k.da.data(),
                                    norm ? k.dcn.data() : nullptr});
            if constexpr (norm) {
                dev.for_each(B, kernels::layer_norm_backward_stats<T>{k.dcn.data(), k.chat.data(), p + o_.ln_c_gamma, H,
                                                                      col, k.stats.data()});
                dev.for_each(H * B, kernels::cell_backward<Spec, T>{k.dcn.data(), k.chat.data(), p + o_.ln_c_gamma,
                                                                    k.inv_c.data(), k.stats.data(), k.gates.data(),
                                                                    k.c_prev.data(), H, col, carried,
                                                                    k.dc_carry.data(), dc_ext_out, k.da.data()});
                dev.for_each(B, kernels::layer_norm_backward_stats<T>{k.da.data(), k.xhat_h.data(), p + o_.ln_h_gamma,
                                                                      H4, col, k.stats.data()});
                dev.for_each(H4 * B, kernels::layer_norm_backward_apply<T>{k.da.data(), k.xhat_h.data(),
                                                                          p + o_.ln_h_gamma, k.inv_h.data(),
                                                                          k.stats.data(), H4, col, k.da_h.data()});
            }
            // dh_carry = Uᵀ da_h of this position.
            dev.gemm(true, false, H, B, H4, T(1), p + o_.W_h, H4, da_h + col * H4, H4, T(0), k.dh_carry.data(), H);
        }
        if (g.dh0) dev.copy(g.dh0, k.dh_carry.data(), H * B);

        // The parallel part: weight, bias and layer-norm parameter gradients of the whole frame.
        k.ones.resize(n);
        dev.fill(k.ones.data(), n, T(1));
        auto row_sums = [&](const T* m, index_t rows, index_t off) {  // grad[off..] += m · 1
            dev.gemm(false, false, rows, 1, n, T(1), m, rows, k.ones.data(), n, T(1), grad + off, rows);
        };
        dev.gemm(false, true, H4, H, n, T(1), da_h, H4, k.h_prev.data(), H, T(1), grad + o_.W_h, H4);
        row_sums(da_h, H4, o_.b_h);
        if constexpr (norm) {
            row_sums(k.dcn.data(), H, o_.ln_c_beta);
            dev.for_each(H * n, kernels::multiply<T>{k.dcn.data(), k.chat.data(), k.prod.data()});
            row_sums(k.prod.data(), H, o_.ln_c_gamma);
            row_sums(k.da.data(), H4, o_.ln_x_beta);
            row_sums(k.da.data(), H4, o_.ln_h_beta);
            dev.for_each(H4 * n, kernels::multiply<T>{k.da.data(), k.xhat_x.data(), k.prod.data()});
            row_sums(k.prod.data(), H4, o_.ln_x_gamma);
            dev.for_each(H4 * n, kernels::multiply<T>{k.da.data(), k.xhat_h.data(), k.prod.data()});
            row_sums(k.prod.data(), H4, o_.ln_h_gamma);
            // da_x = LN_x'(da), in place.
            dev.for_each(n, kernels::layer_norm_backward_stats<T>{k.da.data(), k.xhat_x.data(), p + o_.ln_x_gamma, H4,
                                                                  0, k.stats.data()});
            dev.for_each(H4 * n, kernels::layer_norm_backward_apply<T>{k.da.data(), k.xhat_x.data(), p + o_.ln_x_gamma,
                                                                      k.inv_x.data(), k.stats.data(), H4, 0,
                                                                      k.da.data()});
        }
        row_sums(k.da.data(), H4, o_.b_x);
        dev.gemm(false, true, H4, I, n, T(1), k.da.data(), H4, in.x, I, T(1), grad + o_.W_x, H4);
        if (g.dx) dev.gemm(true, false, I, n, H4, T(1), p + o_.W_x, H4, k.da.data(), H4, T(0), g.dx, I);
    }

private:
    layer_offsets o_{};
    cell_source source_ = cell_source::carried;
    direction dir_ = direction::forward;
};

}  // namespace epilstm::cuda
