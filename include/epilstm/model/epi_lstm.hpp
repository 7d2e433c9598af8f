// The Epi-LSTM autoencoder over one frame of B streams (MODEL-SPEC.md "Autoencoder over one frame";
// paper §3.2.1, Fig. 2):
//   encoder: h^e_0 = carried hidden, c^e_0 = 0;  (h^e_t, c^e_t) = cell_enc(x_t, h^e_{t-1}, c^e_{t-1})
//   decoder: h^d_0 = h^e_F;  h^d_t = cell_dec(h^e_t, h^d_{t-1}, c_prev = c^e_t)   (paper wiring)
//            x̂_t = V h^d_t + v
//   loss   : L = Σ_t w_t Σ_d (x_td − x̂_td)² / (D Σ_t w_t), w_t = 0 for excluded (all-missing) positions
// The representation of position t is h^e_t. The hidden carried to the next frame is h^e_F, with no
// gradient across the boundary (truncated BPTT).
//
// Variants are types: the cell spec (φ, normalization, H), the decoder wiring and the encoder
// direction are template parameters (model/variants.hpp names the common ones).
#pragma once

#include <epilstm/backend/cpu/lstm_layer.hpp>
#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/config.hpp>
#include <epilstm/detail/random.hpp>
#include <epilstm/error.hpp>
#include <epilstm/model/model_config.hpp>
#include <epilstm/model/parameter_layout.hpp>
#include <epilstm/model/wiring.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace epilstm {

/// One minibatch: one frame from each of B streams.
template <class T>
struct frame_batch {
    index_t positions = 0;        ///< F, the longest frame in the batch
    index_t batch = 0;            ///< B
    const T* x = nullptr;         ///< [D, F·B] column-major, position t of stream b in column t·B + b
    const T* weight = nullptr;    ///< [F·B] loss weight (0 excludes a position); null: 1 everywhere
    std::vector<index_t> lengths; ///< valid positions of each stream (≤ F); positions past it are padding
    const T* h0 = nullptr;        ///< [H, B] carried encoder hidden; null: zeros (start of the streams)
};

/// The Epi-LSTM autoencoder on the CPU.
/// @tparam Spec    cell_spec (φ, normalization, hidden size)
/// @tparam Wiring  paper_wiring | own_cell_wiring
/// @tparam Encoder unidirectional | bidirectional
/// @tparam T       float (training, inference) or double (gradient checks)
template <cell_spec_type Spec, class Wiring = paper_wiring, class Encoder = unidirectional, class T = float>
class epi_lstm {
public:
    using spec = Spec;
    using wiring = Wiring;
    using encoder_direction = Encoder;
    using scalar = T;
    using layer = cpu::lstm_layer<Spec, T>;
    using matrix = cpu::matrix<T>;
    using vector = cpu::vector<T>;
    static constexpr bool is_bidirectional = Encoder::is_bidirectional;
    static constexpr bool has_norm = Spec::normalization::enabled;

    /// Everything a frame's forward and backward pass need besides the parameters.
    struct workspace {
        cpu::lstm_cache<T> enc, enc_rev, dec;
        matrix embedding;       ///< [E, F·B] h^e_t (E = H, or 2H bidirectional)
        matrix enc_cell;        ///< [E, F·B] c^e_t (bidirectional only; else enc.c is used)
        matrix reconstruction;  ///< [D, F·B] x̂_t
        matrix dec_h0;          ///< [E, B]
        matrix carry;           ///< [H, B] h^e at each stream's last valid position
        // backward scratch
        matrix d_out, d_dec_h, d_embedding, d_enc_cell, d_dec_h0, d_split_h, d_split_c, d_x_rev, acc_out;
        std::vector<T> partial;  ///< per-thread partial sums of the loss
        T weight_sum = 0;
    };

    /// A model with D = input_size tracks; hidden_size must equal Spec's when that is static.
    explicit epi_lstm(index_t input_size, index_t hidden_size = Spec::hidden_size, index_t frame_length = 100)
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
        params_ = vector::Zero(layout_.size());
        initialize(0);
    }

    /// A model for a configuration read from a checkpoint or the command line; throws when the
    /// configuration names another variant than this type.
    explicit epi_lstm(const model_config& cfg) : epi_lstm(cfg.input_size, cfg.hidden_size, cfg.frame_length)
    {
        if (!matches(cfg))
            throw shape_error("epilstm: the model configuration (activation '" + cfg.activation + "', normalization '" +
                              cfg.normalization + "', wiring '" + cfg.wiring + "', bidirectional " +
                              (cfg.bidirectional ? "yes" : "no") + ") does not match this model type (" + cfg_.activation +
                              ", " + cfg_.normalization + ", " + cfg_.wiring + ", bidirectional " +
                              (is_bidirectional ? "yes" : "no") + ")");
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
    vector& parameters() { return params_; }
    const vector& parameters() const { return params_; }
    index_t input_size() const { return cfg_.input_size; }
    index_t hidden_size() const { return cfg_.hidden_size; }
    index_t embedding_size() const { return cfg_.embedding_size(); }
    index_t frame_length() const { return cfg_.frame_length; }

    /// MODEL-SPEC initialization: every weight and bias uniform(−1/√H, 1/√H) from `seed`, in layout
    /// order; layer-norm γ = 1, β = 0.
    void initialize(std::uint64_t seed)
    {
        detail::splitmix64 rng(seed);
        params_.setZero();
        for (const auto& t : layout_.tensors()) {
            const bool is_ln = t.name.find("/ln_") != std::string::npos;
            const bool is_gamma = is_ln && t.name.size() >= 5 && t.name.compare(t.name.size() - 5, 5, "gamma") == 0;
            if (is_ln) {
                params_.segment(t.offset, t.size()).setConstant(is_gamma ? T(1) : T(0));
                continue;
            }
            const double k = 1.0 / std::sqrt(static_cast<double>(cfg_.hidden_size));
            for (index_t i = 0; i < t.size(); ++i) params_[t.offset + i] = static_cast<T>(rng.uniform(-k, k));
        }
    }

    /// Forward pass of encoder and decoder; returns the masked MSE loss of the batch.
    T forward(workspace& ws, const frame_batch<T>& fb) const
    {
        encode(ws, fb);
        const index_t F = fb.positions, B = fb.batch, n = F * B, E = embedding_size(), D = cfg_.input_size;
        const T* p = params_.data();

        // h^d_0 = h^e at each stream's last position ([h_fwd(last); h_rev(first)] bidirectional).
        ws.dec_h0.resize(E, B);
        for (index_t b = 0; b < B; ++b) {
            ws.dec_h0.col(b).head(cfg_.hidden_size) = ws.carry.col(b);  // h0 itself for an empty stream
            if constexpr (is_bidirectional) ws.dec_h0.col(b).tail(cfg_.hidden_size) = ws.enc_rev.h.col(b);
        }
        cpu::lstm_frame_inputs<T> din;
        din.x = ws.embedding.data();
        din.h0 = ws.dec_h0.data();
        din.c_external = Wiring::decoder_takes_encoder_cell ? encoder_cell(ws).data() : nullptr;
        din.lengths = &fb.lengths;
        dec_.forward(p, din, ws.dec, F, B);

        // x̂ = V h^d + v and the masked MSE, by column ranges (one per thread).
        ws.reconstruction.resize(D, n);
        Eigen::Map<const matrix> X(fb.x, D, n);
        const auto V = Eigen::Map<const matrix>(p + out_W_, D, E);
        const auto v = Eigen::Map<const vector>(p + out_b_, D);
        const int nt = cpu::threads_for_recurrence(B, cfg_.hidden_size);
        ws.partial.assign(static_cast<std::size_t>(2 * nt), T(0));
        cpu::parallel_region(nt, [&](int tid, int nth) {
            const auto cr = cpu::split_range(n, nth, tid, 16);
            if (cr.second <= cr.first) return;
            auto R = ws.reconstruction.middleCols(cr.first, cr.second - cr.first);
            R.noalias() = V * ws.dec.h.middleCols(cr.first, cr.second - cr.first);
            R.colwise() += v;
            T total = 0, wsum = 0;
            for (index_t j = cr.first; j < cr.second; ++j) {
                const T w = position_weight(fb, j);
                if (w == T(0)) continue;
                wsum += w;
                total += w * (ws.reconstruction.col(j) - X.col(j)).squaredNorm();
            }
            ws.partial[static_cast<std::size_t>(2 * tid)] = total;
            ws.partial[static_cast<std::size_t>(2 * tid + 1)] = wsum;
        });
        T total = 0;
        ws.weight_sum = 0;
        for (int k = 0; k < nt; ++k) {
            total += ws.partial[static_cast<std::size_t>(2 * k)];
            ws.weight_sum += ws.partial[static_cast<std::size_t>(2 * k + 1)];
        }
        return ws.weight_sum > 0 ? total / (ws.weight_sum * static_cast<T>(D)) : T(0);
    }

    /// Runs only the encoder(s): fills ws.embedding [E, F·B] and ws.carry [H, B] (the hidden to pass
    /// as h0 of the next frame of the same streams).
    void encode(workspace& ws, const frame_batch<T>& fb) const
    {
        check_batch(fb);
        const index_t F = fb.positions, B = fb.batch, H = cfg_.hidden_size;
        const T* p = params_.data();
        cpu::lstm_frame_inputs<T> in;
        in.x = fb.x;
        in.h0 = fb.h0;
        in.lengths = &fb.lengths;
        enc_.forward(p, in, ws.enc, F, B);
        if constexpr (is_bidirectional) {
            cpu::lstm_frame_inputs<T> rin = in;
            rin.h0 = nullptr;
            enc_rev_.forward(p, rin, ws.enc_rev, F, B);
            ws.embedding.resize(2 * H, F * B);
            ws.embedding.topRows(H) = ws.enc.h;
            ws.embedding.bottomRows(H) = ws.enc_rev.h;
            ws.enc_cell.resize(2 * H, F * B);
            ws.enc_cell.topRows(H) = ws.enc.c;
            ws.enc_cell.bottomRows(H) = ws.enc_rev.c;
        } else {
            ws.embedding = ws.enc.h;
        }
        ws.carry.resize(H, B);
        for (index_t b = 0; b < B; ++b) {
            const index_t last = fb.lengths[static_cast<std::size_t>(b)] - 1;
            if (last >= 0)
                ws.carry.col(b) = ws.enc.h.col(last * B + b);
            else if (fb.h0)  // a stream with no position in this frame keeps its state
                ws.carry.col(b) = Eigen::Map<const matrix>(fb.h0, H, B).col(b);
            else
                ws.carry.col(b).setZero();
        }
    }

    /// Backward pass of the frame `forward` last ran in `ws`: accumulates dL/dθ into `grad`
    /// (same layout as parameters()); when dx is given, also writes dL/dx [D, F·B] there.
    void backward(workspace& ws, const frame_batch<T>& fb, vector& grad, T* dx = nullptr) const
    {
        if (grad.size() != params_.size()) grad = vector::Zero(params_.size());
        const index_t F = fb.positions, B = fb.batch, n = F * B, E = embedding_size(), D = cfg_.input_size,
                      H = cfg_.hidden_size;
        const T* p = params_.data();
        T* g = grad.data();

        // dL/dx̂ = 2 w (x̂ − x) / (D Σw) by columns; then dV, dv by rows and dh^d = Vᵀ dL/dx̂ by columns.
        Eigen::Map<const matrix> X(fb.x, D, n);
        ws.d_out.resize(D, n);
        ws.d_dec_h.resize(E, n);
        const T scale = ws.weight_sum > 0 ? T(2) / (ws.weight_sum * static_cast<T>(D)) : T(0);
        const auto V = Eigen::Map<const matrix>(p + out_W_, D, E);
        const int nt = cpu::threads_for_recurrence(B, cfg_.hidden_size);
        ws.acc_out.setZero(D, nt);  // per-thread Σ dL/dx̂ (the output bias gradient)
        cpu::parallel_region(nt, [&](int tid, int nth) {
            const auto cr = cpu::split_range(n, nth, tid, 16);
            auto acc = ws.acc_out.col(tid);
            for (index_t j = cr.first; j < cr.second; ++j) {
                const T w = position_weight(fb, j) * scale;
                if (w == T(0)) {
                    ws.d_out.col(j).setZero();
                } else {
                    ws.d_out.col(j) = w * (ws.reconstruction.col(j) - X.col(j));
                    acc += ws.d_out.col(j);
                }
            }
            if (cr.second > cr.first)
                ws.d_dec_h.middleCols(cr.first, cr.second - cr.first).noalias() =
                    V.transpose() * ws.d_out.middleCols(cr.first, cr.second - cr.first);
            cpu::barrier();
            const auto rr = cpu::split_range(D, nth, tid, 16);
            if (rr.second > rr.first)
                Eigen::Map<matrix>(g + out_W_, D, E).middleRows(rr.first, rr.second - rr.first).noalias() +=
                    ws.d_out.middleRows(rr.first, rr.second - rr.first) * ws.dec.h.transpose();
        });
        Eigen::Map<vector>(g + out_b_, D) += ws.acc_out.rowwise().sum();

        // Decoder: its input is the embedding, its initial hidden the last encoder hidden, its cell
        // (paper wiring) the encoder's cell.
        ws.d_embedding.resize(E, n);
        ws.d_dec_h0.resize(E, B);
        ws.d_enc_cell.setZero(E, n);
        cpu::lstm_frame_inputs<T> din;
        din.x = ws.embedding.data();
        din.h0 = ws.dec_h0.data();
        din.c_external = Wiring::decoder_takes_encoder_cell ? encoder_cell(ws).data() : nullptr;
        din.lengths = &fb.lengths;
        cpu::lstm_frame_grads<T> dg;
        dg.dh = ws.d_dec_h.data();
        dg.dx = ws.d_embedding.data();
        dg.dh0 = ws.d_dec_h0.data();
        dg.dc_external = Wiring::decoder_takes_encoder_cell ? ws.d_enc_cell.data() : nullptr;
        dec_.backward(p, din, dg, ws.dec, g);

        // h^d_0 is h^e at the last position (forward) / first position (reverse) of each stream.
        for (index_t b = 0; b < B; ++b) {
            const index_t last = fb.lengths[static_cast<std::size_t>(b)] - 1;
            if (last < 0) continue;  // empty stream: nothing in this frame depends on it
            ws.d_embedding.col(last * B + b).head(H) += ws.d_dec_h0.col(b).head(H);
            if constexpr (is_bidirectional) ws.d_embedding.col(b).tail(H) += ws.d_dec_h0.col(b).tail(H);
        }

        cpu::lstm_frame_inputs<T> in;
        in.x = fb.x;
        in.h0 = fb.h0;
        in.lengths = &fb.lengths;
        cpu::lstm_frame_grads<T> eg;
        if constexpr (is_bidirectional) {
            matrix& dx_rev = ws.d_x_rev;
            if (dx) dx_rev.resize(D, n);
            ws.d_split_h = ws.d_embedding.bottomRows(H);
            ws.d_split_c = ws.d_enc_cell.bottomRows(H);
            eg.dh = ws.d_split_h.data();
            eg.dc = ws.d_split_c.data();
            eg.dx = dx ? dx_rev.data() : nullptr;
            cpu::lstm_frame_inputs<T> rin = in;
            rin.h0 = nullptr;
            enc_rev_.backward(p, rin, eg, ws.enc_rev, g);
            ws.d_split_h = ws.d_embedding.topRows(H);
            ws.d_split_c = ws.d_enc_cell.topRows(H);
            eg.dh = ws.d_split_h.data();
            eg.dc = ws.d_split_c.data();
            eg.dx = dx;
            enc_.backward(p, in, eg, ws.enc, g);
            if (dx) Eigen::Map<matrix>(dx, D, n) += dx_rev;
        } else {
            eg.dh = ws.d_embedding.data();
            eg.dc = ws.d_enc_cell.data();
            eg.dx = dx;
            enc_.backward(p, in, eg, ws.enc, g);
        }
    }

private:
    static parameter_layout make_layout(const model_config& cfg, layer& enc, layer& enc_rev, layer& dec,
                                        index_t& out_W, index_t& out_b)
    {
        parameter_layout l;
        const index_t D = cfg.input_size, H = cfg.hidden_size, E = cfg.embedding_size();
        enc = layer(cpu::add_lstm_tensors(l, "encoder", D, H, has_norm), cpu::cell_source::carried,
                    cpu::direction::forward);
        if constexpr (is_bidirectional)
            enc_rev = layer(cpu::add_lstm_tensors(l, "encoder_reverse", D, H, has_norm), cpu::cell_source::carried,
                            cpu::direction::reverse);
        dec = layer(cpu::add_lstm_tensors(l, "decoder", E, E, has_norm),
                    Wiring::decoder_takes_encoder_cell ? cpu::cell_source::external : cpu::cell_source::carried,
                    cpu::direction::forward);
        out_W = l.add_matrix("decoder/out/W", D, E);
        out_b = l.add_vector("decoder/out/b", D);
        return l;
    }

    const matrix& encoder_cell(const workspace& ws) const
    {
        if constexpr (is_bidirectional)
            return ws.enc_cell;
        else
            return ws.enc.c;
    }

    static T position_weight(const frame_batch<T>& fb, index_t j)
    {
        const index_t t = j / fb.batch, b = j % fb.batch;
        if (t >= fb.lengths[static_cast<std::size_t>(b)]) return T(0);
        return fb.weight ? fb.weight[j] : T(1);
    }

    void check_batch(const frame_batch<T>& fb) const
    {
        if (fb.batch <= 0 || fb.positions <= 0 || fb.x == nullptr)
            throw shape_error("epilstm: empty frame batch");
        if (static_cast<index_t>(fb.lengths.size()) != fb.batch)
            throw shape_error("epilstm: frame batch has " + std::to_string(fb.lengths.size()) +
                              " stream lengths for " + std::to_string(fb.batch) + " streams");
        index_t longest = 0;
        for (auto l : fb.lengths) {
            if (l < 0 || l > fb.positions)
                throw shape_error("epilstm: a stream length of " + std::to_string(l) + " is outside 0.." +
                                  std::to_string(fb.positions));
            longest = std::max(longest, l);
        }
        if (longest != fb.positions)
            throw shape_error("epilstm: the longest stream of a frame batch must fill its " +
                              std::to_string(fb.positions) + " positions");
    }

    model_config cfg_;
    parameter_layout layout_;
    layer enc_, enc_rev_, dec_;
    index_t out_W_ = 0, out_b_ = 0;
    vector params_;
};

}  // namespace epilstm
