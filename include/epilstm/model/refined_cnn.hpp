// The CNN autoencoder of the REFINED+CNN comparator (docs/COMPARATORS-SPEC.md, paper §3.3): the
// second half after model/refined.hpp has placed the T tracks on a g×g grid. Each position's image
// (g² pixels, one channel, empty pixels 0) is compressed to an E-wide bottleneck, the position's
// representation, and decoded back. Design and reasons: docs/comparators.md, "REFINED+CNN
// autoencoder".
//
//   x [g², B] ─ conv1 3×3 same, 1→C1, ReLU ─ conv2 3×3 same, C1→C2, ReLU ─ flatten [C2·g²]
//     ─ encoder dense → z [E] (linear: the embedding)
//     ─ decoder dense → [C2·g²], ReLU, unflatten to C2 maps ─ output conv 3×3 same, C2→1 (linear)
//     → reconstruction [g², B]
//   loss = Σ_b Σ_p m_p (r_pb − x_pb)² / (B · Σ_p m_p),  m_p = 1 on pixels that hold a track
//
// Memory layout (column-major, as everywhere in epilstm):
//  - a feature map batch is [C, g²·B]: column b·g² + p is pixel p (row-major, row·g + column) of
//    position b, so the input [g², B] is the same memory as [1, g²·B];
//  - a conv weight is [Cout, 9·Cin], column c·9 + k for input channel c and kernel tap
//    k = (dr + 1)·3 + (dc + 1), dr, dc ∈ {−1, 0, 1} (taps off the grid read 0: same padding);
//  - flatten is free: [C2, g²·B] read as [C2·g², B], feature index p·C2 + c.
// Convolutions run as im2col + one GEMM each (Eigen), forward and backward.
//
// Parameters live in one flat vector (cell/parameter_layout.hpp), tensors in this order:
//   conv1/W [C1, 9]  conv1/b [C1]  conv2/W [C2, 9·C1]  conv2/b [C2]
//   encoder/W [E, C2·g²]  encoder/b [E]  decoder/W [C2·g², E]  decoder/b [C2·g²]
//   output/W [1, 9·C2]  output/b [1]
#pragma once

#include <epilstm/cell/parameter_layout.hpp>
#include <epilstm/config.hpp>
#include <epilstm/detail/random.hpp>
#include <epilstm/error.hpp>
#include <epilstm/model/refined.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace epilstm {

/// The run-time shape of a REFINED CNN autoencoder.
struct refined_cnn_config {
    index_t grid = 5;        ///< g: images are g×g (g = ⌈√T⌉ from the placement)
    index_t embedding = 16;  ///< E: the bottleneck width (set like Epi-LSTM's hidden size)
    index_t channels1 = 8;   ///< C1: conv1's output channels
    index_t channels2 = 16;  ///< C2: conv2's output channels (and the decoder's maps)

    index_t pixels() const { return grid * grid; }
    index_t flat() const { return channels2 * pixels(); }
};

/// The largest E and C1, C2 validate_refined_cnn_config accepts (with g <= refined_max_grid no
/// parameter count computed from them overflows 64 bits).
inline constexpr index_t refined_cnn_max_embedding = index_t(1) << 16;
inline constexpr index_t refined_cnn_max_channels = index_t(1) << 12;

/// Throws input_error, prefixed by `where`, unless every size is positive and within its bound.
inline void validate_refined_cnn_config(const refined_cnn_config& c, const std::string& where)
{
    auto in_range = [&](index_t v, index_t max, const char* what) {
        if (v < 1) throw input_error(where + ": " + what + " is " + std::to_string(v) + ", expected >= 1");
        if (v > max)
            throw input_error(where + ": " + what + " is " + std::to_string(v) + ", expected at most " + std::to_string(max));
    };
    in_range(c.grid, refined_max_grid, "grid_size");
    in_range(c.embedding, refined_cnn_max_embedding, "embedding_size");
    in_range(c.channels1, refined_cnn_max_channels, "channels1");
    in_range(c.channels2, refined_cnn_max_channels, "channels2");
}

/// The loss mask of a placement: [g²], 1 on the pixels that hold a track, 0 on empty ones.
template <class T = float>
Eigen::Matrix<T, Eigen::Dynamic, 1> refined_pixel_mask(const refined_placement& p)
{
    validate_placement(p, -1, "epilstm: REFINED CNN mask");
    Eigen::Matrix<T, Eigen::Dynamic, 1> m = Eigen::Matrix<T, Eigen::Dynamic, 1>::Zero(p.pixels());
    for (index_t q : p.pixel) m[q] = T(1);
    return m;
}

template <class T = float>
class refined_cnn {
public:
    using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    using vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
    using map = Eigen::Map<matrix>;
    using cmap = Eigen::Map<const matrix>;

    /// What forward keeps for backward (B positions).
    struct cache {
        index_t batch = 0;
        matrix cols1;        ///< [9, g²B]     im2col of the input
        matrix h1;           ///< [C1, g²B]    after ReLU
        matrix cols2;        ///< [9·C1, g²B]  im2col of h1
        matrix h2;           ///< [C2, g²B]    after ReLU (= flattened [C2·g², B])
        matrix embedding;    ///< [E, B]
        matrix d;            ///< [C2·g², B]   decoder output after ReLU (= [C2, g²B])
        matrix cols3;        ///< [9·C2, g²B]  im2col of d
        matrix reconstruction;  ///< [g², B]
    };

    refined_cnn() : refined_cnn(refined_cnn_config{}) {}
    explicit refined_cnn(const refined_cnn_config& c) : cfg_(c), layout_(layout_for(c))
    {
        params_ = vector::Zero(layout_.size());
        build_neighbours();
    }

    /// The parameter layout of a network of shape `c` (validated), without building one: a reader
    /// checks a file's tensors against it before allocating anything.
    static parameter_layout layout_for(const refined_cnn_config& c)
    {
        validate_refined_cnn_config(c, "epilstm: REFINED CNN");
        const index_t C1 = c.channels1, C2 = c.channels2, E = c.embedding, F = c.flat();
        parameter_layout l;
        l.add_matrix("conv1/W", C1, 9);
        l.add_vector("conv1/b", C1);
        l.add_matrix("conv2/W", C2, 9 * C1);
        l.add_vector("conv2/b", C2);
        l.add_matrix("encoder/W", E, F);
        l.add_vector("encoder/b", E);
        l.add_matrix("decoder/W", F, E);
        l.add_vector("decoder/b", F);
        l.add_matrix("output/W", 1, 9 * C2);
        l.add_vector("output/b", 1);
        return l;
    }

    const refined_cnn_config& config() const { return cfg_; }
    const parameter_layout& layout() const { return layout_; }
    vector& parameters() { return params_; }
    const vector& parameters() const { return params_; }
    /// Number of parameters without the alignment padding of the flat buffer.
    index_t parameter_count() const
    {
        index_t n = 0;
        for (const tensor_desc& t : layout_.tensors()) n += t.size();
        return n;
    }

    /// Biases 0; weights uniform(−a, a) from one splitmix64 stream in layout order: He's
    /// a = √(6/fan_in) for the layers followed by a ReLU (conv1, conv2, decoder), LeCun's
    /// a = √(3/fan_in) for the linear ones (encoder, output), so activations keep their scale.
    void initialize(std::uint64_t seed)
    {
        detail::splitmix64 rng(seed);
        params_.setZero();
        for (const tensor_desc& t : layout_.tensors()) {
            if (t.rank != 2) continue;
            const bool relu_after = t.name != "encoder/W" && t.name != "output/W";
            const double limit = std::sqrt((relu_after ? 6.0 : 3.0) / static_cast<double>(t.cols));
            for (index_t i = 0; i < t.size(); ++i) params_[t.offset + i] = static_cast<T>(rng.uniform(-limit, limit));
        }
    }

    /// Encodes and decodes images [g², B]; returns the reconstruction [g², B]. `c` receives the
    /// embedding [E, B] and what backward needs.
    const matrix& forward(const Eigen::Ref<const matrix>& images, cache& c) const
    {
        const index_t P = cfg_.pixels(), B = images.cols(), C1 = cfg_.channels1, C2 = cfg_.channels2;
        if (images.rows() != P)
            throw shape_error("epilstm: REFINED CNN: images have " + std::to_string(images.rows()) + " pixels, expected " +
                              std::to_string(P) + " (grid " + std::to_string(cfg_.grid) + ")");
        c.batch = B;
        const matrix x = images;  // contiguous [g², B] = [1, g²B]
        im2col(x.data(), 1, B, c.cols1);
        c.h1.noalias() = tensor("conv1/W") * c.cols1;
        c.h1.colwise() += vec("conv1/b");
        c.h1 = c.h1.cwiseMax(T(0));
        im2col(c.h1.data(), C1, B, c.cols2);
        c.h2.noalias() = tensor("conv2/W") * c.cols2;
        c.h2.colwise() += vec("conv2/b");
        c.h2 = c.h2.cwiseMax(T(0));
        const cmap f(c.h2.data(), cfg_.flat(), B);
        c.embedding.noalias() = tensor("encoder/W") * f;
        c.embedding.colwise() += vec("encoder/b");
        c.d.noalias() = tensor("decoder/W") * c.embedding;
        c.d.colwise() += vec("decoder/b");
        c.d = c.d.cwiseMax(T(0));
        im2col(c.d.data(), C2, B, c.cols3);
        matrix out = tensor("output/W") * c.cols3;  // [1, g²B]
        out.array() += vec("output/b")[0];
        c.reconstruction = cmap(out.data(), P, B);
        return c.reconstruction;
    }

    /// The embedding [E, B] of images [g², B].
    matrix embed(const Eigen::Ref<const matrix>& images) const
    {
        cache c;
        forward(images, c);
        return std::move(c.embedding);
    }

    /// The masked MSE of a forward pass against `targets` [g², B] with `mask` [g²] (header
    /// comment), without gradients.
    T loss(const Eigen::Ref<const matrix>& targets, const Eigen::Ref<const vector>& mask, const cache& c) const
    {
        check_targets(targets, mask, c);
        const T denom = static_cast<T>(c.batch) * mask.sum();
        if (!(denom > T(0))) return T(0);
        return ((c.reconstruction - targets).array().square().colwise() * mask.array()).sum() / denom;
    }

    /// The masked MSE (as loss()) and its gradient with respect to every parameter into `grad`
    /// (resized to parameters().size(), padding 0), and, when given, with respect to the input
    /// images into `input_grad` [g², B] (the targets held fixed).
    T backward(const Eigen::Ref<const matrix>& targets, const Eigen::Ref<const vector>& mask, const cache& c, vector& grad,
               matrix* input_grad = nullptr) const
    {
        const T value = loss(targets, mask, c);
        const index_t P = cfg_.pixels(), B = c.batch, C1 = cfg_.channels1, C2 = cfg_.channels2, F = cfg_.flat();
        grad = vector::Zero(params_.size());
        const T denom = static_cast<T>(B) * mask.sum();
        // dL/dr = 2 m (r − x) / (B Σm)
        matrix dout(1, P * B);
        if (denom > T(0))
            map(dout.data(), P, B) = ((c.reconstruction - targets).array().colwise() * mask.array()).matrix() * (T(2) / denom);
        else
            dout.setZero();
        // output conv
        gtensor(grad, "output/W").noalias() = dout * c.cols3.transpose();
        gvec(grad, "output/b")[0] = dout.sum();
        matrix dcols = tensor("output/W").transpose() * dout;  // [9·C2, g²B]
        matrix dd(C2, P * B);
        col2im(dcols, C2, B, dd.data());
        dd.array() *= (cmap(c.d.data(), C2, P * B).array() > T(0)).template cast<T>();  // the decoder's ReLU ([C2·g², B] read as [C2, g²B])
        const cmap dd_flat(dd.data(), F, B);
        // decoder dense
        gtensor(grad, "decoder/W").noalias() = dd_flat * c.embedding.transpose();
        gvec(grad, "decoder/b") = dd_flat.rowwise().sum();
        const matrix dz = tensor("decoder/W").transpose() * dd_flat;  // [E, B]
        // encoder dense
        const cmap f(c.h2.data(), F, B);
        gtensor(grad, "encoder/W").noalias() = dz * f.transpose();
        gvec(grad, "encoder/b") = dz.rowwise().sum();
        matrix dh2(C2, P * B);
        map(dh2.data(), F, B).noalias() = tensor("encoder/W").transpose() * dz;
        dh2.array() *= (c.h2.array() > T(0)).template cast<T>();
        // conv2
        gtensor(grad, "conv2/W").noalias() = dh2 * c.cols2.transpose();
        gvec(grad, "conv2/b") = dh2.rowwise().sum();
        dcols.noalias() = tensor("conv2/W").transpose() * dh2;  // [9·C1, g²B]
        matrix dh1(C1, P * B);
        col2im(dcols, C1, B, dh1.data());
        dh1.array() *= (c.h1.array() > T(0)).template cast<T>();
        // conv1
        gtensor(grad, "conv1/W").noalias() = dh1 * c.cols1.transpose();
        gvec(grad, "conv1/b") = dh1.rowwise().sum();
        if (input_grad) {
            dcols.noalias() = tensor("conv1/W").transpose() * dh1;  // [9, g²B]
            input_grad->resize(P, B);
            col2im(dcols, 1, B, input_grad->data());
        }
        return value;
    }

    /// A view of tensor `name` of a flat vector laid out like parameters() (an Eigen map).
    map tensor_of(vector& flat, const std::string& name) const
    {
        const tensor_desc& t = layout_.at(name);
        return map(flat.data() + t.offset, t.rows, t.cols);
    }

private:
    cmap tensor(const std::string& name) const
    {
        const tensor_desc& t = layout_.at(name);
        return cmap(params_.data() + t.offset, t.rows, t.cols);
    }
    Eigen::Map<const vector> vec(const std::string& name) const
    {
        const tensor_desc& t = layout_.at(name);
        return Eigen::Map<const vector>(params_.data() + t.offset, t.rows);
    }
    map gtensor(vector& g, const std::string& name) const { return tensor_of(g, name); }
    Eigen::Map<vector> gvec(vector& g, const std::string& name) const
    {
        const tensor_desc& t = layout_.at(name);
        return Eigen::Map<vector>(g.data() + t.offset, t.rows);
    }

    void check_targets(const Eigen::Ref<const matrix>& targets, const Eigen::Ref<const vector>& mask, const cache& c) const
    {
        if (targets.rows() != cfg_.pixels() || targets.cols() != c.batch)
            throw shape_error("epilstm: REFINED CNN: targets are [" + std::to_string(targets.rows()) + ", " +
                              std::to_string(targets.cols()) + "], expected [" + std::to_string(cfg_.pixels()) + ", " +
                              std::to_string(c.batch) + "] like the forward pass");
        if (mask.size() != cfg_.pixels())
            throw shape_error("epilstm: REFINED CNN: the mask has " + std::to_string(mask.size()) + " entries, expected " +
                              std::to_string(cfg_.pixels()));
    }

    /// neighbour_[p·9 + k]: the pixel at tap k of pixel p, or −1 off the grid.
    void build_neighbours()
    {
        const index_t g = cfg_.grid;
        neighbour_.assign(static_cast<std::size_t>(9 * cfg_.pixels()), -1);
        for (index_t r = 0; r < g; ++r)
            for (index_t col = 0; col < g; ++col)
                for (index_t k = 0; k < 9; ++k) {
                    const index_t rr = r + k / 3 - 1, cc = col + k % 3 - 1;
                    if (rr >= 0 && rr < g && cc >= 0 && cc < g)
                        neighbour_[static_cast<std::size_t>((r * g + col) * 9 + k)] = rr * g + cc;
                }
    }

    /// in: [C, g²B] column-major → out [9·C, g²B], row c·9 + k = channel c at tap k (0 off the grid).
    void im2col(const T* in, index_t C, index_t B, matrix& out) const
    {
        const index_t P = cfg_.pixels();
        out.resize(9 * C, P * B);
        for (index_t b = 0; b < B; ++b)
            for (index_t p = 0; p < P; ++p) {
                T* o = out.data() + (b * P + p) * 9 * C;
                const index_t* nb = neighbour_.data() + p * 9;
                for (index_t ch = 0; ch < C; ++ch)
                    for (index_t k = 0; k < 9; ++k) o[ch * 9 + k] = nb[k] < 0 ? T(0) : in[(b * P + nb[k]) * C + ch];
            }
    }

    /// The adjoint of im2col: accumulates cols [9·C, g²B] into out [C, g²B] (overwritten).
    void col2im(const matrix& cols, index_t C, index_t B, T* out) const
    {
        const index_t P = cfg_.pixels();
        std::fill(out, out + C * P * B, T(0));
        for (index_t b = 0; b < B; ++b)
            for (index_t p = 0; p < P; ++p) {
                const T* s = cols.data() + (b * P + p) * 9 * C;
                const index_t* nb = neighbour_.data() + p * 9;
                for (index_t ch = 0; ch < C; ++ch)
                    for (index_t k = 0; k < 9; ++k)
                        if (nb[k] >= 0) out[(b * P + nb[k]) * C + ch] += s[ch * 9 + k];
            }
    }

    refined_cnn_config cfg_;
    parameter_layout layout_;
    vector params_;
    std::vector<index_t> neighbour_;
};

}  // namespace epilstm
