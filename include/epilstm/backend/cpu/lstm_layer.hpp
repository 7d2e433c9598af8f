// One LSTM layer over a frame of B parallel streams, on the CPU with Eigen: the cpu_device's tuned
// frame unroll. LN_x, LN_h, LN_c below stand for the cell's normalization N applied to a column and
// followed by γ ⊙ x̂ + β (layer_norm, rms_norm: the math, forward and backward, is N's own,
// policy/normalization.hpp; no_norm skips them).
//
// Forward, per position t (MODEL-SPEC.md "Cell"; Ba et al. 2016; Epi-LSTM paper §3.2, eq. 2):
//   a   = LN_x(W x_t + b_x) + LN_h(U h_prev + b_h)         (no_norm: a = W x_t + b_x + U h_prev + b_h)
//   i = σ(a_i)  f = σ(a_f)  g = φ(a_g)  o = σ(a_o)
//   c̃   = f ⊙ c_prev + i ⊙ g ;  c = LN_c(c̃)               (no_norm: c = c̃)
//   h   = o ⊙ φ(c)
// Backward (BPTT within the frame), per position in reverse processing order:
//   dh  = dh_ext + dh_carry          dc = dc_ext + dc_carry + dh ⊙ o ⊙ φ'(c)
//   dc̃  = LN_c'(dc)                  do = dh ⊙ φ(c)
//   di = dc̃ ⊙ g  df = dc̃ ⊙ c_prev  dg = dc̃ ⊙ i  dc_prev = dc̃ ⊙ f
//   da = [di σ'(i), df σ'(f), dg φ'(g), do σ'(o)]
//   da_h = LN_h'(da) ; dh_carry = Uᵀ da_h            (one small GEMM per position: the sequential part)
// and once per frame (the parallel part, one GEMM each):
//   da_x = LN_x'(da) for all positions ; dW += da_x Xᵀ ; dU += da_h H_prevᵀ ; dX = Wᵀ da_x.
//
// Layout: a frame is column-major [features, F·B], position t of stream b in column t·B + b, so the
// B columns of one position are contiguous and each step works on a [·, B] block.
// Scratch lives in lstm_cache, owned by the caller; the layer itself holds only offsets.
//
// Threads (backend/cpu/parallel.hpp; only with -fopenmp): one parallel region per pass. The frame's
// input projections (and layer norms) are split by columns, the recurrence by streams (each thread
// runs every position for its own streams, with no synchronization inside the loop), and the
// per-frame weight gradients by rows. Layer-norm parameter gradients are reduced once per frame from
// cached per-position gradients (da, dc), not inside the sequential loop.
#pragma once

#include <epilstm/backend/cpu/parallel.hpp>
#include <epilstm/backend/cpu/recurrent_gemm.hpp>
#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/cell/lstm_cell.hpp>
#include <epilstm/config.hpp>
#include <epilstm/cell/lstm_layer_types.hpp>

#include <Eigen/Core>

#include <string>
#include <vector>

namespace epilstm::cpu {

template <class T> using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <class T> using vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <class T> using row_vector = Eigen::Matrix<T, 1, Eigen::Dynamic>;

/// Per-frame scratch of one layer: every value the backward pass needs, by position.
template <class T>
struct lstm_cache {
    index_t positions = 0;  // F (columns of a block are positions·batch)
    index_t batch = 0;      // B
    matrix<T> pre_x;        // [4H, FB] W x + b_x, then normalized (γ x̂ + β) in place
    matrix<T> xhat_x;       // [4H, FB] (layer_norm) normalized W x + b_x before γ, β
    row_vector<T> inv_x;    // [FB]
    matrix<T> xhat_h;       // [4H, FB]
    row_vector<T> inv_h;    // [FB]
    matrix<T> gates;        // [4H, FB] i, f, g, o after their nonlinearities
    matrix<T> c_prev;       // [H, FB]
    matrix<T> chat;         // [H, FB] normalized c̃ before γ, β
    row_vector<T> inv_c;    // [FB]
    matrix<T> c;            // [H, FB] carried cell (after LN_c)
    matrix<T> phi_c;        // [H, FB]
    matrix<T> h_prev;       // [H, FB]
    matrix<T> h;            // [H, FB] output
    // backward scratch
    matrix<T> da;           // [4H, FB] gradient of a (becomes da_x in place)
    matrix<T> da_h;         // [4H, FB]
    matrix<T> step;         // [4H, B]
    matrix<T> u_t;          // [H, 4H] Uᵀ, made once per backward pass
    matrix<T> acc;          // [4H, 7·threads] per-thread sums for the bias and layer-norm γ, β gradients
    matrix<T> dh_carry, dc_carry, dh, dc, dct;  // [H, B] backward carries and per-step scratch

    void resize(index_t hidden, index_t positions_, index_t batch_, bool norm)
    {
        positions = positions_;
        batch = batch_;
        const index_t n = positions_ * batch_;
        pre_x.resize(4 * hidden, n);
        gates.resize(4 * hidden, n);
        c_prev.resize(hidden, n);
        c.resize(hidden, n);
        phi_c.resize(hidden, n);
        h_prev.resize(hidden, n);
        h.resize(hidden, n);
        da.resize(4 * hidden, n);
        da_h.resize(4 * hidden, n);
        step.resize(4 * hidden, batch_);
        dh_carry.resize(hidden, batch_);
        dc_carry.resize(hidden, batch_);
        dh.resize(hidden, batch_);
        dc.resize(hidden, batch_);
        dct.resize(hidden, batch_);
        if (norm) {
            xhat_x.resize(4 * hidden, n);
            inv_x.resize(n);
            xhat_h.resize(4 * hidden, n);
            inv_h.resize(n);
            chat.resize(hidden, n);
            inv_c.resize(n);
        }
    }
};


/// An LSTM layer of cell type Spec with scalar T. Holds only its offsets; parameters and gradients
/// are flat buffers passed in (the model owns them), scratch is an lstm_cache (the caller owns it).
template <cell_spec_type Spec, class T>
class lstm_layer {
public:
    using scalar = T;
    using act = typename Spec::activation;
    using gate = typename Spec::gate;
    using cell = lstm_cell<Spec>;  // the cell equations (cell/lstm_cell.hpp), here on whole columns
    using N = typename Spec::normalization;  // the normalization's math (policy/normalization.hpp)
    static constexpr bool norm = N::enabled;

    lstm_layer() = default;
    lstm_layer(lstm_offsets o, cell_source src, direction dir) : o_(o), source_(src), dir_(dir) {}

    index_t input_size() const { return o_.input_size; }
    index_t hidden_size() const { return o_.hidden_size; }
    cell_source source() const { return source_; }
    direction dir() const { return dir_; }
    const lstm_offsets& offsets() const { return o_; }

    using cache = lstm_cache<T>;

    /// Runs the layer over positions 0..F-1 (or F-1..0) of B streams. The device argument is the
    /// cpu_device (this layer is its tuned implementation of the frame unroll).
    template <class Device>
    void forward(const Device&, const T* params, const layer_inputs<T>& in, lstm_cache<T>& cache, index_t positions,
                 index_t batch) const
    {
        const index_t H = o_.hidden_size, I = o_.input_size, n = positions * batch;
        cache.resize(H, positions, batch, norm);
        const auto W = cmat(params, o_.W_x, 4 * H, I);
        const auto U = cmat(params, o_.W_h, 4 * H, H);
        const auto bx = cvec(params, o_.b_x, 4 * H);
        const auto bh = cvec(params, o_.b_h, 4 * H);
        Eigen::Map<const matrix<T>> X(in.x, I, n);

        const bool masked = has_padding(in.lengths, batch, positions);
        parallel_region(threads_for_recurrence(batch, H), [&](int tid, int nth) {
            // The parallel part: the input projections of the frame, one GEMM per thread's columns.
            const auto cr = split_range(n, nth, tid, 16);
            if (cr.second > cr.first) {
                const index_t c0 = cr.first, nc = cr.second - cr.first;
                auto P = cache.pre_x.middleCols(c0, nc);
                P.noalias() = W * X.middleCols(c0, nc);
                P.colwise() += bx;
                if constexpr (norm) {
                    const auto gamma = cvec(params, o_.ln_x_gamma, 4 * H).array();
                    const auto beta = cvec(params, o_.ln_x_beta, 4 * H).array();
                    for (index_t j = c0; j < c0 + nc; ++j) {
                        auto z = cache.pre_x.col(j);
                        const auto st = N::forward_stats(z.data(), 4 * H, eps());
                        cache.inv_x(j) = st.scale;
                        auto xh = cache.xhat_x.col(j).array();
                        xh = N::forward_apply(z.array(), st);
                        z.array() = xh * gamma + beta;
                    }
                }
            }
            barrier();
            // The sequential part, for this thread's streams [b0, b0 + nb).
            const auto br = split_range(batch, nth, tid);
            const index_t b0 = br.first, nb = br.second - br.first;
            if (nb <= 0) return;
            for (index_t s = 0; s < positions; ++s) {
                const index_t t = dir_ == direction::forward ? s : positions - 1 - s;
                const index_t col = t * batch + b0;
                auto h_prev = cache.h_prev.middleCols(col, nb);
                auto c_prev = cache.c_prev.middleCols(col, nb);
                if (s == 0) {
                    set_or_zero(h_prev, in.h0, H, batch, b0);
                    if (source_ == cell_source::carried) c_prev.setZero();
                } else {
                    const index_t pc = (dir_ == direction::forward ? t - 1 : t + 1) * batch + b0;
                    h_prev = cache.h.middleCols(pc, nb);
                    if (source_ == cell_source::carried) c_prev = cache.c.middleCols(pc, nb);
                }
                if (source_ == cell_source::external)
                    c_prev = Eigen::Map<const matrix<T>>(in.c_external + col * H, H, nb);

                // U h_prev, normalized, added to the precomputed input part.
                auto a = cache.step.middleCols(b0, nb);
                recurrent_product(U, h_prev, a);
                // Everything elementwise, one column (stream) at a time while it sits in L1.
                for (index_t j = 0; j < nb; ++j) {
                    const index_t cj = col + j;
                    auto z = a.col(j).array();
                    z += bh.array();
                    if constexpr (norm) {
                        const auto st = N::forward_stats(a.col(j).data(), 4 * H, eps());
                        cache.inv_h(cj) = st.scale;
                        auto xh = cache.xhat_h.col(cj).array();
                        xh = N::forward_apply(z, st);
                        z = xh * cvec(params, o_.ln_h_gamma, 4 * H).array() + cvec(params, o_.ln_h_beta, 4 * H).array() +
                            cache.pre_x.col(cj).array();
                    } else {
                        z += cache.pre_x.col(cj).array();
                    }
                    auto gcol = cache.gates.col(cj);
                    auto cc = cache.c.col(cj).array();
                    cell::gates(z.head(H), z.segment(H, H), z.segment(2 * H, H), z.tail(H), c_prev.col(j).array(),
                                gcol.head(H).array(), gcol.segment(H, H).array(), gcol.segment(2 * H, H).array(),
                                gcol.tail(H).array(), cc);
                    if constexpr (norm) {
                        const auto st = N::forward_stats(cache.c.col(cj).data(), H, eps());
                        cache.inv_c(cj) = st.scale;
                        auto xh = cache.chat.col(cj).array();
                        xh = N::forward_apply(cc, st);
                        cc = xh * cvec(params, o_.ln_c_gamma, H).array() + cvec(params, o_.ln_c_beta, H).array();
                    }
                    cell::output(gcol.tail(H).array(), cc, cache.phi_c.col(cj).array(), cache.h.col(cj).array());
                }

                if (masked) {
                    // Padding positions (past a stream's end) hold a zero state, so that a reverse
                    // layer starts each stream's last frame from zero and nothing leaks between streams.
                    for (index_t b = b0; b < b0 + nb; ++b)
                        if (t >= in.lengths[b]) {
                            cache.h.col(t * batch + b).setZero();
                            cache.c.col(t * batch + b).setZero();
                        }
                }
            }
        });
    }

    /// Backpropagates through the frame that `forward` last ran into `cache`, accumulating parameter
    /// gradients into `grad` (same layout as the parameters).
    template <class Device>
    void backward(const Device&, const T* params, const layer_inputs<T>& in, const layer_grads<T>& g,
                  lstm_cache<T>& cache, T* grad) const
    {
        const index_t H = o_.hidden_size, I = o_.input_size, B = cache.batch, F = cache.positions, n = F * B;
        const auto U = cmat(params, o_.W_h, 4 * H, H);
        const bool masked = has_padding(in.lengths, B, F);
        Eigen::Map<const matrix<T>> X(in.x, I, n);

        // Per-thread accumulators (columns of cache.acc): LN β (LN_x and LN_h both see dy = da),
        // LN_x γ, LN_h γ, b_x, b_h, LN_c β, LN_c γ; summed into grad after the parallel region.
        const int nt = threads_for_recurrence(B, H);
        cache.acc.setZero(4 * H, 7 * nt);
        cache.u_t = U.transpose();  // Uᵀ with contiguous columns for dh_carry = Uᵀ da_h at every step
        parallel_region(nt, [&](int tid, int nth) {
            auto acc = cache.acc.middleCols(7 * tid, 7);
            enum { a_b = 0, a_gx, a_gh, a_bx, a_bh, a_cb, a_cg };
            // The sequential part (BPTT), for this thread's streams [b0, b0 + nb).
            const auto br = split_range(B, nth, tid);
            const index_t b0 = br.first, nb = br.second - br.first;
            if (nb > 0) {
                auto dh_carry = cache.dh_carry.middleCols(b0, nb), dc_carry = cache.dc_carry.middleCols(b0, nb);
                auto dh = cache.dh.middleCols(b0, nb), dc = cache.dc.middleCols(b0, nb),
                     dct = cache.dct.middleCols(b0, nb);
                dh_carry.setZero();
                dc_carry.setZero();
                for (index_t s = F - 1; s >= 0; --s) {
                    const index_t t = dir_ == direction::forward ? s : F - 1 - s;
                    const index_t col = t * B + b0;
                    const bool carried = source_ == cell_source::carried;
                    // Everything elementwise, one column (stream) at a time while it sits in L1.
                    for (index_t j = 0; j < nb; ++j) {
                        const index_t cj = col + j;
                        auto dhj = dh.col(j).array();
                        auto dcj = dc.col(j).array();
                        if (masked && t >= in.lengths[b0 + j]) {
                            dhj.setZero();
                            dcj.setZero();
                        } else {
                            dhj = dh_carry.col(j).array();
                            if (g.dh) dhj += Eigen::Map<const vector<T>>(g.dh + cj * H, H).array();
                            dcj = dc_carry.col(j).array();
                            if (g.dc) dcj += Eigen::Map<const vector<T>>(g.dc + cj * H, H).array();
                        }
                        const auto Gj = cache.gates.col(cj);
                        const auto phj = cache.phi_c.col(cj).array();
                        auto daj = cache.da.col(cj);

                        // h = o ⊙ φ(c)
                        const auto go = Gj.tail(H).array();
                        cell::output_backward(dhj, go, phj, dcj, daj.tail(H).array());
                        auto dctj = dct.col(j).array();
                        if constexpr (norm) {
                            const auto xh = cache.chat.col(cj).array();
                            acc.col(a_cb).head(H).array() += dcj;
                            acc.col(a_cg).head(H).array() += dcj * xh;
                            dctj = dcj * cvec(params, o_.ln_c_gamma, H).array();  // g = γ ⊙ dc, then dc̃ in place
                            const auto st = N::backward_stats(dct.col(j).data(), cache.chat.col(cj).data(), H);
                            dctj = N::backward_apply(dctj, xh, cache.inv_c(cj), st);
                        } else {
                            dctj = dcj;
                        }
                        // c̃ = f ⊙ c_prev + i ⊙ g
                        const auto gi = Gj.head(H).array(), gf = Gj.segment(H, H).array(),
                                   gg = Gj.segment(2 * H, H).array();
                        cell::gates_backward(dctj, gi, gf, gg, cache.c_prev.col(cj).array(), daj.head(H).array(),
                                             daj.segment(H, H).array(), daj.segment(2 * H, H).array());
                        if (carried)
                            dc_carry.col(j).array() = dctj * gf;
                        else if (g.dc_external)
                            Eigen::Map<vector<T>>(g.dc_external + cj * H, H).array() = dctj * gf;

                        auto dahj = cache.da_h.col(cj).array();
                        if constexpr (norm) {
                            const auto xh = cache.xhat_h.col(cj).array();
                            dahj = daj.array() * cvec(params, o_.ln_h_gamma, 4 * H).array();  // g, then da_h
                            const auto st = N::backward_stats(cache.da_h.col(cj).data(), cache.xhat_h.col(cj).data(), 4 * H);
                            dahj = N::backward_apply(dahj, xh, cache.inv_h(cj), st);
                        } else {
                            dahj = daj.array();
                        }
                        acc.col(a_bh).array() += dahj;
                    }
                    auto dah = cache.da_h.middleCols(col, nb);
                    recurrent_product(cache.u_t, dah, dh_carry);
                }
                if (g.dh0) Eigen::Map<matrix<T>>(g.dh0, H, B).middleCols(b0, nb) = dh_carry;
            }
            barrier();

            // The parallel part. dU += da_h H_prevᵀ by rows; da_x = LN_x'(da) by columns, in place,
            // with the LN β, γ and b_x sums taken while each column is in cache.
            const auto rr = split_range(4 * H, nth, tid, 16);
            const index_t r0 = rr.first, nr = rr.second - rr.first;
            if (nr > 0)
                mat(grad, o_.W_h, 4 * H, H).middleRows(r0, nr).noalias() +=
                    cache.da_h.middleRows(r0, nr) * cache.h_prev.transpose();
            if constexpr (norm) {
                const auto cr = split_range(n, nth, tid, 16);
                const auto gamma = cvec(params, o_.ln_x_gamma, 4 * H).array();
                for (index_t j = cr.first; j < cr.second; ++j) {
                    auto dy = cache.da.col(j);
                    const auto xh = cache.xhat_x.col(j);
                    acc.col(a_b) += dy;
                    acc.col(a_gx).array() += dy.array() * xh.array();
                    acc.col(a_gh).array() += dy.array() * cache.xhat_h.col(j).array();
                    dy.array() *= gamma;  // g = γ ⊙ dy, then da_x in place
                    const auto st = N::backward_stats(dy.data(), xh.data(), 4 * H);
                    dy.array() = N::backward_apply(dy.array(), xh.array(), cache.inv_x(j), st);
                    acc.col(a_bx) += dy;
                }
                barrier();
            }
            // dW += da_x Xᵀ and b_x by rows; dX = Wᵀ da_x by columns.
            if (nr > 0) {
                const auto da_r = cache.da.middleRows(r0, nr);
                mat(grad, o_.W_x, 4 * H, I).middleRows(r0, nr).noalias() += da_r * X.transpose();
            }
            if (g.dx) {
                const auto cr = split_range(n, nth, tid, 16);
                if (cr.second > cr.first) {
                    const index_t c0 = cr.first, nc = cr.second - cr.first;
                    Eigen::Map<matrix<T>>(g.dx, I, n).middleCols(c0, nc).noalias() =
                        cmat(params, o_.W_x, 4 * H, I).transpose() * cache.da.middleCols(c0, nc);
                }
            }
        });
        for (int k = 0; k < nt; ++k) {
            const auto acc = cache.acc.middleCols(7 * k, 7);
            vec(grad, o_.b_h, 4 * H) += acc.col(4);
            if constexpr (norm) {
                vec(grad, o_.ln_x_beta, 4 * H) += acc.col(0);
                vec(grad, o_.ln_h_beta, 4 * H) += acc.col(0);
                vec(grad, o_.ln_x_gamma, 4 * H) += acc.col(1);
                vec(grad, o_.ln_h_gamma, 4 * H) += acc.col(2);
                vec(grad, o_.b_x, 4 * H) += acc.col(3);
                vec(grad, o_.ln_c_beta, H) += acc.col(5).head(H);
                vec(grad, o_.ln_c_gamma, H) += acc.col(6).head(H);
            } else {
                vec(grad, o_.b_x, 4 * H) += acc.col(4);  // da_x = da_h = da without normalization
            }
        }
    }

private:
    static constexpr T eps() { return static_cast<T>(N::epsilon); }

    static bool has_padding(const index_t* lengths, index_t batch, index_t positions)
    {
        if (!lengths) return false;
        for (index_t b = 0; b < batch; ++b)
            if (lengths[b] < positions) return true;
        return false;
    }
    /// m = columns [b0, b0 + m.cols()) of the [rows, cols] matrix at src, or zero when src is null.
    template <class M> static void set_or_zero(M&& m, const T* src, index_t rows, index_t cols, index_t b0)
    {
        if (src)
            m = Eigen::Map<const matrix<T>>(src, rows, cols).middleCols(b0, m.cols());
        else
            m.setZero();
    }
    static Eigen::Map<const matrix<T>> cmat(const T* p, index_t off, index_t r, index_t c) { return {p + off, r, c}; }
    static Eigen::Map<matrix<T>> mat(T* p, index_t off, index_t r, index_t c) { return {p + off, r, c}; }
    static Eigen::Map<const vector<T>> cvec(const T* p, index_t off, index_t r) { return {p + off, r}; }
    static Eigen::Map<vector<T>> vec(T* p, index_t off, index_t r) { return {p + off, r}; }

    lstm_offsets o_{};
    cell_source source_ = cell_source::carried;
    direction dir_ = direction::forward;
};

}  // namespace epilstm::cpu
