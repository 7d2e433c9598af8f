// The frame unroll of one LSTM layer (normalized, N = Spec::normalization, or plain) over B streams, written once over a device's
// operations (gemm, for_each with the kernels of backend/kernels.hpp, fill, copy): what
// cuda_device and host_emulation run, and what any device without a tuned layer of its own gets
// (the CPU names its fused layer, backend/cpu/lstm_layer.hpp, which computes the same equations;
// tests/parity checks the two against each other). Same layout and parameter offsets
// (cell/lstm_layer_types.hpp); the equations are in the header comment of backend/cpu/lstm_layer.hpp.
// The work is split as a GPU wants it:
//   per frame     pre_x = W X (one GEMM over all F·B columns) + b_x, LN_x per column;
//   per position  step = U h_prev (one GEMM [4H,H]×[H,B]), LN_h statistics per column, one kernel
//                 for gates and c̃ over H×B, LN_c statistics per column, one kernel for c and h
//                 (without layer norm: the GEMM and a single kernel);
//   backward      per position 1 kernel (no norm) or 4 kernels + the GEMM dh_carry = Uᵀ da_h; per
//                 frame LN_x backward and the weight gradients as GEMMs (dW = da_x Xᵀ,
//                 dU = da_h H_prevᵀ, bias and layer-norm γ/β sums as GEMVs against a ones vector).
// State never leaves the device; the host only issues launches.
#pragma once

#include <epilstm/backend/buffer.hpp>
#include <epilstm/backend/kernels.hpp>
#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/cell/lstm_layer_types.hpp>
#include <epilstm/config.hpp>


namespace epilstm::sequence {

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

template <cell_spec_type Spec, class Device, class T = float>
class lstm_layer {
public:
    using N = typename Spec::normalization;
    static constexpr bool norm = N::enabled;
    using cache = layer_cache<T, Device>;

    lstm_layer() = default;
    lstm_layer(lstm_offsets o, cell_source s, direction d) : o_(o), source_(s), dir_(d) {}
    const lstm_offsets& offsets() const { return o_; }

    void forward(const Device& dev, const T* p, const layer_inputs<T>& in, cache& k, index_t F, index_t B) const
    {
        const index_t H = o_.hidden_size, I = o_.input_size, n = F * B, H4 = 4 * H;
        k.resize(H, F, B, norm);
        const T eps = static_cast<T>(N::epsilon);

        // The parallel part: the whole frame's input projection, bias and LN_x.
        dev.gemm(false, false, H4, n, I, T(1), p + o_.W_x, H4, in.x, I, T(0), k.pre_x.data(), H4);
        dev.for_each(H4 * n, kernels::add_bias<T>{k.pre_x.data(), p + o_.b_x, H4});
        if constexpr (norm)
            dev.for_each(n, kernels::normalize_columns<N, T>{k.pre_x.data(), 0, nullptr, k.xhat_x.data(), k.inv_x.data(), 0,
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
                dev.for_each(B, kernels::normalize_columns<N, T>{k.step.data(), 0, p + o_.b_h, k.xhat_h.data(),
                                                               k.inv_h.data(), col, H4, eps, nullptr, nullptr, nullptr});
            dev.for_each(H * B, kernels::gates_forward<Spec, T>{
                                    k.step.data(), p + o_.b_h, norm ? k.xhat_h.data() : nullptr,
                                    norm ? p + o_.ln_h_gamma : nullptr, norm ? p + o_.ln_h_beta : nullptr,
                                    k.pre_x.data(), c_src, in.lengths, H, B, t, col, k.gates.data(),
                                    k.c_prev.data(), norm ? k.chat.data() : nullptr, k.c.data(), k.phi_c.data(),
                                    k.h.data()});
            if constexpr (norm) {
                dev.for_each(B, kernels::normalize_columns<N, T>{k.chat.data(), col, nullptr, k.chat.data(),
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
                dev.for_each(B, kernels::normalize_backward_stats<N, T>{k.dcn.data(), k.chat.data(), p + o_.ln_c_gamma, H,
                                                                      col, k.stats.data()});
                dev.for_each(H * B, kernels::cell_backward<Spec, T>{k.dcn.data(), k.chat.data(), p + o_.ln_c_gamma,
                                                                    k.inv_c.data(), k.stats.data(), k.gates.data(),
                                                                    k.c_prev.data(), H, col, carried,
                                                                    k.dc_carry.data(), dc_ext_out, k.da.data()});
                dev.for_each(B, kernels::normalize_backward_stats<N, T>{k.da.data(), k.xhat_h.data(), p + o_.ln_h_gamma,
                                                                      H4, col, k.stats.data()});
                dev.for_each(H4 * B, kernels::normalize_backward_apply<N, T>{k.da.data(), k.xhat_h.data(),
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
            dev.for_each(n, kernels::normalize_backward_stats<N, T>{k.da.data(), k.xhat_x.data(), p + o_.ln_x_gamma, H4,
                                                                  0, k.stats.data()});
            dev.for_each(H4 * n, kernels::normalize_backward_apply<N, T>{k.da.data(), k.xhat_x.data(), p + o_.ln_x_gamma,
                                                                      k.inv_x.data(), k.stats.data(), H4, 0,
                                                                      k.da.data()});
        }
        row_sums(k.da.data(), H4, o_.b_x);
        dev.gemm(false, true, H4, I, n, T(1), k.da.data(), H4, in.x, I, T(1), grad + o_.W_x, H4);
        if (g.dx) dev.gemm(true, false, I, n, H4, T(1), p + o_.W_x, H4, k.da.data(), H4, T(0), g.dx, I);
    }

private:
    lstm_offsets o_{};
    cell_source source_ = cell_source::carried;
    direction dir_ = direction::forward;
};

}  // namespace epilstm::sequence
