// The elementwise and per-column work of the model and of the device-generic LSTM layer, as functors
// over an index.
//
// Each functor is a plain struct of raw pointers with an EPILSTM_HD operator()(index_t). A device tag
// runs it over 0..n-1 (for_each): cuda_device with thrust::cuda on a stream, host_emulation with
// thrust::cpp, cpu_device with an OpenMP loop; so one definition serves the GPU, the host-emulated
// backend that CI runs and the CPU. Nothing here includes thrust, Eigen or Hana, and nothing
// branches on __CUDACC__.
//
// Layout (as on the CPU, backend/cpu/lstm_layer.hpp): matrices are column-major [rows, F·B], position
// t of stream b in column t·B + b. Functors named *_columns run one thread per column (the normalization
// reductions); the others run one thread per element of an [H, B] or [4H, B] block.
// Equations: MODEL-SPEC.md "Cell" and the header comment of backend/cpu/lstm_layer.hpp.
#pragma once

#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/cell/lstm_cell.hpp>
#include <epilstm/config.hpp>
#include <epilstm/policy/normalization.hpp>

#include <cmath>

namespace epilstm::kernels {

/// m[i] += b[i mod rows]: a bias added to every column.
template <class T> struct add_bias {
    T* m;
    const T* b;
    index_t rows;
    EPILSTM_HD void operator()(index_t i) const { m[i] += b[i % rows]; }
};

/// x[i] += y[i].
template <class T> struct add_to {
    T* x;
    const T* y;
    EPILSTM_HD void operator()(index_t i) const { x[i] += y[i]; }
};

/// out[i] = a[i] · b[i].
template <class T> struct multiply {
    const T* a;
    const T* b;
    T* out;
    EPILSTM_HD void operator()(index_t i) const { out[i] = a[i] * b[i]; }
};

namespace detail {
/// Column z read with its bias added (bias may be null): what a normalization's reduction reads.
template <class T> struct biased_column {
    const T* z;
    const T* bias;
    EPILSTM_HD T operator[](index_t r) const { return bias ? z[r] + bias[r] : z[r]; }
};
/// g = γ ⊙ dy of one column: what a normalization's backward reduction reads.
template <class T> struct scaled_column {
    const T* dy;
    const T* gamma;
    EPILSTM_HD T operator[](index_t r) const { return dy[r] * gamma[r]; }
};
}  // namespace detail

/// Normalization N of one column: x̂ = N(z) with z = src(:, src_col0 + j) (+ bias), written to
/// xhat(:, dst_col0 + j) and its scale (1/σ) to inv[dst_col0 + j]; when `out` is set also
/// out(:, dst_col0 + j) = γ ⊙ x̂ + β. src may alias xhat or out (each element is read before it is
/// written). The math is N's (policy/normalization.hpp).
template <class N, class T> struct normalize_columns {
    const T* src;
    index_t src_col0;
    const T* bias;  // may be null
    T* xhat;
    T* inv;
    index_t dst_col0;
    index_t rows;
    T eps;
    T* out;          // may be null
    const T* gamma;  // with out
    const T* beta;   // with out
    EPILSTM_HD void operator()(index_t j) const
    {
        const detail::biased_column<T> z{src + (src_col0 + j) * rows, bias};
        const auto st = N::forward_stats(z, rows, eps);
        inv[dst_col0 + j] = st.scale;
        T* x = xhat + (dst_col0 + j) * rows;
        T* o = out ? out + (dst_col0 + j) * rows : nullptr;
        for (index_t r = 0; r < rows; ++r) {
            const T xn = N::forward_apply(z[r], st);
            x[r] = xn;
            if (o) o[r] = xn * gamma[r] + beta[r];
        }
    }
};

/// Backward of normalization N, the per-column part: with g = γ ⊙ dy, stats[2j] = mean(g) (or what
/// N uses in its place) and stats[2j+1] = mean(g ⊙ x̂) over the column col0 + j.
template <class N, class T> struct normalize_backward_stats {
    const T* dy;
    const T* xhat;
    const T* gamma;
    index_t rows;
    index_t col0;
    T* stats;
    EPILSTM_HD void operator()(index_t j) const
    {
        const auto st = N::backward_stats(detail::scaled_column<T>{dy + (col0 + j) * rows, gamma},
                                          xhat + (col0 + j) * rows, rows);
        stats[2 * j] = st.mean_g;
        stats[2 * j + 1] = st.mean_gx;
    }
};

/// Backward of normalization N, elementwise: dz = N'(γ ⊙ dy) from the column statistics, over the
/// columns col0.. of [rows, ·] (index i covers rows × columns). dz may alias dy.
template <class N, class T> struct normalize_backward_apply {
    const T* dy;
    const T* xhat;
    const T* gamma;
    const T* inv;
    const T* stats;
    index_t rows;
    index_t col0;
    T* dz;
    EPILSTM_HD void operator()(index_t i) const
    {
        const index_t r = i % rows, j = i / rows, e = (col0 + j) * rows + r;
        dz[e] = N::backward_apply(dy[e] * gamma[r], xhat[e], inv[col0 + j],
                                  norm_grad_stats<T>{stats[2 * j], stats[2 * j + 1]});
    }
};

/// Per-position forward of the gates and the cell, one thread per (unit k, stream j) of the step's
/// [H, B] block at columns col0 + j:
///   a = LN_h(U h_prev + b_h) + pre_x   (no_norm: U h_prev + b_h + pre_x)
///   i, f, o = σ(a_i, a_f, a_o); g = φ(a_g); c̃ = f ⊙ c_prev + i ⊙ g.
/// With layer norm c̃ goes to `chat` for cell_output to normalize; without, c = c̃ and h = o ⊙ φ(c)
/// are finished here. Positions past a stream's end get h = c = 0.
template <class Spec, class T> struct gates_forward {
    static constexpr bool norm = Spec::normalization::enabled;
    const T* step;     // [4H, B] U h_prev
    const T* bh;       // [4H]
    const T* xhat_h;   // [4H, n] (norm) already normalized step + b_h
    const T* ln_h_gamma;
    const T* ln_h_beta;
    const T* pre_x;    // [4H, n]
    const T* c_src;    // [H, B] c_prev of this step's block
    const index_t* lengths;  // [B]
    index_t H, B, t, col0;
    T* gates;          // [4H, n]
    T* c_prev;         // [H, n]
    T* chat;           // [H, n] (norm) c̃
    T* c;              // [H, n]
    T* phi_c;          // [H, n]
    T* h;              // [H, n]
    EPILSTM_HD void operator()(index_t idx) const
    {
        const index_t k = idx % H, j = idx / H, cj = col0 + j, H4 = 4 * H;
        T a[4];
        for (int q = 0; q < 4; ++q) {
            const index_t r = q * H + k;
            if constexpr (norm)
                a[q] = xhat_h[cj * H4 + r] * ln_h_gamma[r] + ln_h_beta[r] + pre_x[cj * H4 + r];
            else
                a[q] = step[j * H4 + r] + bh[r] + pre_x[cj * H4 + r];
        }
        T gi, gf, gg, go, ct;
        lstm_cell<Spec>::gates(a[0], a[1], a[2], a[3], c_src[j * H + k], gi, gf, gg, go, ct);
        T* G = gates + cj * H4;
        G[k] = gi;
        G[H + k] = gf;
        G[2 * H + k] = gg;
        G[3 * H + k] = go;
        c_prev[cj * H + k] = c_src[j * H + k];
        if constexpr (norm) {
            chat[cj * H + k] = ct;
        } else {
            T ph, hh;
            lstm_cell<Spec>::output(go, ct, ph, hh);
            phi_c[cj * H + k] = ph;
            const bool pad = t >= lengths[j];
            c[cj * H + k] = pad ? T(0) : ct;
            h[cj * H + k] = pad ? T(0) : hh;
        }
    }
};

/// Normalized cells only: c = γ_c ⊙ ĉ + β_c (ĉ already normalized in chat), h = o ⊙ φ(c); one thread per
/// (unit, stream) of the step's block.
template <class Spec, class T> struct cell_output {
    const T* chat;
    const T* gamma;
    const T* beta;
    const T* gates;
    const index_t* lengths;
    index_t H, t, col0;
    T* c;
    T* phi_c;
    T* h;
    EPILSTM_HD void operator()(index_t idx) const
    {
        const index_t k = idx % H, j = idx / H, e = (col0 + j) * H + k;
        const T cc = chat[e] * gamma[k] + beta[k];
        T ph, hh;
        lstm_cell<Spec>::output(gates[(col0 + j) * 4 * H + 3 * H + k], cc, ph, hh);
        phi_c[e] = ph;
        const bool pad = t >= lengths[j];
        c[e] = pad ? T(0) : cc;
        h[e] = pad ? T(0) : hh;
    }
};

/// Shared tail of the per-position backward: from dc̃ to da_i, da_f, da_g and dc_prev.
template <class Spec, class T>
EPILSTM_HD inline void gates_backward_tail(T dct, const T* G, T cp, index_t H, index_t k, T* da, T* dc_prev_out)
{
    const T gi = G[k], gf = G[H + k], gg = G[2 * H + k];
    lstm_cell<Spec>::gates_backward(dct, gi, gf, gg, cp, da[k], da[H + k], da[2 * H + k]);
    if (dc_prev_out) *dc_prev_out = dct * gf;
}

/// Per-position backward from dh and dc to da_o and the gradient at c (before LN_c); without layer
/// norm it also finishes da_i, da_f, da_g and dc_prev. One thread per (unit, stream).
///   dh = dh_carry + dh_ext;  dc = dc_carry + dc_ext + dh ⊙ o ⊙ φ'(c);  da_o = dh ⊙ φ(c) ⊙ σ'(o)
template <class Spec, class T> struct output_backward {
    static constexpr bool norm = Spec::normalization::enabled;
    const T* dh_carry;  // [H, B]
    T* dc_carry;        // [H, B] read, and (carried, no norm) overwritten with dc_prev
    const T* dh_ext;    // [H, n] or null
    const T* dc_ext;    // [H, n] or null
    const T* gates;
    const T* phi_c;
    const T* c_prev;
    const index_t* lengths;
    index_t H, t, col0;
    bool carried;
    T* dc_external;     // [H, n] out (external cell source), or null
    T* da;              // [4H, n]
    T* dcn;             // [H, n] (norm) dL/dc before LN_c
    EPILSTM_HD void operator()(index_t idx) const
    {
        const index_t k = idx % H, j = idx / H, cj = col0 + j, e = cj * H + k;
        T dh = 0, dc = 0;
        if (t < lengths[j]) {
            dh = dh_carry[j * H + k] + (dh_ext ? dh_ext[e] : T(0));
            dc = dc_carry[j * H + k] + (dc_ext ? dc_ext[e] : T(0));
        }
        const T* G = gates + cj * 4 * H;
        const T go = G[3 * H + k], ph = phi_c[e];
        T* dA = da + cj * 4 * H;
        lstm_cell<Spec>::output_backward(dh, go, ph, dc, dA[3 * H + k]);
        if constexpr (norm) {
            dcn[e] = dc;
        } else {
            T* out = carried ? dc_carry + j * H + k : (dc_external ? dc_external + e : nullptr);
            gates_backward_tail<Spec>(dc, G, c_prev[e], H, k, dA, out);
        }
    }
};

/// Normalized cells only: dc̃ = LN_c'(dc) from the column statistics, then da_i, da_f, da_g and dc_prev.
template <class Spec, class T> struct cell_backward {
    const T* dcn;
    const T* chat;
    const T* gamma;
    const T* inv_c;
    const T* stats;  // [2B] of this step
    const T* gates;
    const T* c_prev;
    index_t H, col0;
    bool carried;
    T* dc_carry;
    T* dc_external;
    T* da;
    EPILSTM_HD void operator()(index_t idx) const
    {
        const index_t k = idx % H, j = idx / H, cj = col0 + j, e = cj * H + k;
        const T dct = Spec::normalization::backward_apply(dcn[e] * gamma[k], chat[e], inv_c[cj],
                                                          norm_grad_stats<T>{stats[2 * j], stats[2 * j + 1]});
        T* out = carried ? dc_carry + j * H + k : (dc_external ? dc_external + e : nullptr);
        gates_backward_tail<Spec>(dct, gates + cj * 4 * H, c_prev[e], H, k, da + cj * 4 * H, out);
    }
};

/// h_prev of every column of a frame: h at the previous position in processing order, or h0 (an
/// [H, B] buffer, zeros when the frame starts a stream) at the first one. Index over H × F·B.
template <class T> struct gather_h_prev {
    const T* h;
    const T* h0;
    index_t H, B, F;
    bool reverse;
    T* h_prev;
    EPILSTM_HD void operator()(index_t i) const
    {
        const index_t r = i % H, col = i / H, t = col / B, b = col % B;
        const index_t pt = reverse ? t + 1 : t - 1;
        h_prev[i] = (pt < 0 || pt >= F) ? h0[b * H + r] : h[(pt * B + b) * H + r];
    }
};

/// Loss weight of each column: 0 past a stream's end, else weight[j] (1 without weights).
template <class T> struct column_weights {
    const T* weight;  // may be null
    const index_t* lengths;
    index_t B;
    T* w;
    EPILSTM_HD void operator()(index_t j) const
    {
        const index_t t = j / B, b = j % B;
        w[j] = t < lengths[b] ? (weight ? weight[j] : T(1)) : T(0);
    }
};

/// x̂ = V h + v (V h already in rec): adds v, writes the column's weighted residual
/// resid = w_j (x̂ − x) (0 where w_j = 0; dL/dx̂ is the frame's loss scale times it) and the column's
/// weighted squared error. One pass over the [D, F·B] reconstruction serves the loss and its
/// gradient; the sum runs in 8 interleaved partial sums (epilstm::detail::column_sum), so it vectorizes.
template <class T> struct output_loss_columns {
    T* rec;
    const T* x;
    const T* v;
    const T* w;
    index_t D;
    T* loss;
    T* resid;
    EPILSTM_HD void operator()(index_t j) const
    {
        T* r = rec + j * D;
        const T* xj = x + j * D;
        T* out = resid + j * D;
        const T wj = w[j];
        const T s = epilstm::detail::column_sum<T>(D, [&](index_t d) {
            const T y = r[d] + v[d];
            r[d] = y;
            const T e = y - xj[d];
            out[d] = wj == T(0) ? T(0) : wj * e;
            return e * e;
        });
        loss[j] = wj == T(0) ? T(0) : wj * s;
    }
};

/// The hidden to carry to the next frame: h at each stream's last valid position, h0 (or 0) for a
/// stream with no position in this frame. Index over H × B.
template <class T> struct last_hidden {
    const T* h;
    const T* h0;  // may be null
    const index_t* lengths;
    index_t H, B;
    T* carry;
    EPILSTM_HD void operator()(index_t i) const
    {
        const index_t r = i % H, b = i / H, last = lengths[b] - 1;
        carry[i] = last >= 0 ? h[(last * B + b) * H + r] : (h0 ? h0[i] : T(0));
    }
};

/// out [rows_a + rows_b, n] = [a; b] (the bidirectional embedding and encoder cell).
template <class T> struct stack_rows {
    const T* a;
    const T* b;
    index_t ra, rb;
    T* out;
    EPILSTM_HD void operator()(index_t i) const
    {
        const index_t rows = ra + rb, r = i % rows, c = i / rows;
        out[i] = r < ra ? a[c * ra + r] : b[c * rb + r - ra];
    }
};

/// out [rows, n] = in[row0 .. row0 + rows) of an [in_rows, n] matrix.
template <class T> struct take_rows {
    const T* in;
    index_t in_rows, row0, rows;
    T* out;
    EPILSTM_HD void operator()(index_t i) const
    {
        const index_t r = i % rows, c = i / rows;
        out[i] = in[c * in_rows + row0 + r];
    }
};

/// h^d_0 = [h^e at each stream's last position; h^e_rev at its first] = [carry; rev_h(:, b)].
template <class T> struct decoder_h0 {
    const T* carry;   // [H, B]
    const T* rev_h;   // [H, n] or null (unidirectional)
    index_t H, E;
    T* out;           // [E, B]
    EPILSTM_HD void operator()(index_t i) const
    {
        const index_t r = i % E, b = i / E;
        out[i] = r < H ? carry[b * H + r] : rev_h[b * H + r - H];
    }
};

/// The gradient of h^d_0 flows back to the embedding at each stream's last position (forward part)
/// and first position (reverse part). Index over E × B; one writer per element.
template <class T> struct scatter_decoder_h0 {
    const T* d_h0;  // [E, B]
    const index_t* lengths;
    index_t H, E, B;
    T* d_embedding;  // [E, n]
    EPILSTM_HD void operator()(index_t i) const
    {
        const index_t r = i % E, b = i / E, last = lengths[b] - 1;
        if (last < 0) return;
        if (r < H)
            d_embedding[(last * B + b) * E + r] += d_h0[i];
        else
            d_embedding[b * E + r] += d_h0[i];
    }
};

/// Adam (PyTorch's rule, train/adam.hpp): m, v moments and θ −= lr/c1 · m / (√v / √c2 + ε).
template <class T> struct adam_update {
    T* p;
    const T* g;
    T* m;
    T* v;
    T b1, b2, step_size, inv_sqrt_c2, eps;
    EPILSTM_HD void operator()(index_t i) const
    {
        const T gi = g[i];
        const T mi = b1 * m[i] + (T(1) - b1) * gi;
        const T vi = b2 * v[i] + (T(1) - b2) * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        p[i] -= step_size * mi / (std::sqrt(vi) * inv_sqrt_c2 + eps);
    }
};

/// x[i] *= s.
template <class T> struct scale {
    T* x;
    T s;
    EPILSTM_HD void operator()(index_t i) const { x[i] *= s; }
};

/// x ↦ x², for the squared L2 norm of the gradient.
template <class T> struct square {
    EPILSTM_HD T operator()(T x) const { return x * x; }
};

}  // namespace epilstm::kernels
