// The Avocado comparator's model: multi-scale deep tensor factorization (Schreiber, Durham, Bilmes,
// Noble 2020, "Avocado: a multi-scale deep tensor factorization method learns a latent
// representation of the human epigenome", Genome Biology 21:81; code jmschrei/avocado,
// avocado/model.py). The contract is shared/docs/COMPARATORS-SPEC.md, section "Avocado".
//
// Tracks are (cell type c, assay a) pairs. For track t = (c, a) at position i of a region:
//
//   z   = [Ct[c], As[a], G25[i], G250[i / 10], G5k[i / 200]]        (integer division)
//   h_0 = relu(W_0 z + b_0),  h_k = relu(W_k h_(k-1) + b_k)  for k = 1..L-1
//   y   = w_out · h_(L-1) + b_out                                    (L = 0: y = w_out · z + b_out)
//
// and a minibatch of B (track, region, position) samples is one matrix Z [Zw, B] (a column per
// sample; Zw = Fc + Fa + F25 + F250 + F5k), so each layer is one GEMM. The loss is the mean over
// the batch of (y - target)^2; its backward, with r = y - target and δy = 2 r / B:
//
//   dw_out = δy h_(L-1)^T,  db_out = Σ δy,  δ_(L-1) = (w_out^T δy) ⊙ [h_(L-1) > 0]
//   dW_k = δ_k h_(k-1)^T (h_(-1) = Z),  db_k = δ_k 1,  δ_(k-1) = (W_k^T δ_k) ⊙ [h_(k-1) > 0]
//   dZ = W_0^T δ_0, whose column j is scattered (added) into the factor rows sample j read.
//
// Storage. The dense network lives in one flat vector carved by `parameter_layout`
// (cell/parameter_layout.hpp): "dense/<k>/W" [N, N_(k-1)], "dense/<k>/b" [N], ..., "out/W" [1, N],
// "out/b" [1], column-major in memory, the names being the checkpoint's dataset paths, so an
// optimizer treats it like Epi-LSTM's buffer. The factor matrices are held TRANSPOSED, one column
// per spec row: `celltype_factors()` is [Fc, C], column c = Ct[c]; a region's `genome_25` is
// [F25, n], column i = G25[i]; and so on. A gather of a factor row is then one contiguous column,
// and the memory of a [F, R] column-major matrix is byte for byte the checkpoint's row-major
// [R, F] dataset.
//
// Gradients (`avocado_gradients`): the dense part is flat in the same layout. Each factor matrix
// gets a dense gradient matrix of its own shape plus the sorted list of the columns (spec rows) the
// last backward touched. backward() first zeroes the columns the previous call touched, then
// scatter-adds, so after every call each gradient matrix is exactly ∂loss/∂factor of that batch
// (zero elsewhere) at O(batch) cost, not O(region); a trainer can update only the touched columns
// (Keras' sparse embedding gradient) or the whole matrix. The cost is memory: one gradient matrix
// as large as each factor matrix (whole-chromosome regions: consider sparse rows then).
//
// Initialization (Keras 2's defaults, which avocado/model.py uses): factors uniform(-0.05, 0.05)
// (keras Embedding's 'uniform'), dense weights glorot_uniform, i.e. uniform(-l, l) with
// l = sqrt(6 / (fan_in + fan_out)), biases 0. Draws come from detail::splitmix64 (one stream fixed
// by this repository, the same on every platform), in this order: the dense weights in layout order,
// each in flat (column-major) order, then Ct and As, then each region's G25, G250, G5k, each in
// memory order (= the spec matrix's row-major order).
//
// Driving it from a trainer:
//   avocado_model<float> m(cfg, tracks);              // tracks[t] = {cell type index, assay index}
//   m.add_region(m.make_region("chr1_0", "chr1", 0, 25 * n, n));
//   m.initialize(seed);
//   avocado_cache<float> cache;  auto grads = m.make_gradients();
//   m.forward(batch, cache);                           // predictions: cache.y [B]
//   float loss = m.backward(batch, targets, cache, grads);   // after forward on the same batch
//   // grads.dense (flat), grads.celltype / assay / regions[r].genome_* (.values, .touched)
// Scratch lives in the caller's cache (no hidden state, so call order between models is free); the
// model methods are const except the parameter accessors.
#pragma once

#include <epilstm/cell/parameter_layout.hpp>
#include <epilstm/config.hpp>
#include <epilstm/detail/random.hpp>
#include <epilstm/error.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace epilstm {

/// The sizes of an Avocado model (defaults: the paper's). All run-time.
struct avocado_config {
    index_t celltypes = 0;            ///< C, distinct cell types
    index_t assays = 0;               ///< A, distinct assays
    index_t celltype_factors = 32;    ///< Fc
    index_t assay_factors = 256;      ///< Fa
    index_t genome_25_factors = 25;   ///< F25
    index_t genome_250_factors = 40;  ///< F250
    index_t genome_5k_factors = 45;   ///< F5k
    index_t layers = 2;               ///< L hidden layers (0: the output reads z directly)
    index_t units = 2048;             ///< N units in every hidden layer

    /// F25 + F250 + F5k: the width of a position's representation.
    index_t embedding_size() const { return genome_25_factors + genome_250_factors + genome_5k_factors; }
    /// Fc + Fa + F25 + F250 + F5k: the width of z, the input of the first dense layer.
    index_t input_size() const { return celltype_factors + assay_factors + embedding_size(); }
    /// The width of the last hidden layer (the output layer's input).
    index_t last_width() const { return layers > 0 ? units : input_size(); }

    bool operator==(const avocado_config&) const = default;
};

/// Throws input_error "<context>: avocado <field> is <v>, expected >= 1" for a size out of range.
inline void validate_avocado_config(const avocado_config& c, std::string_view context)
{
    auto at_least = [&](index_t v, index_t lo, const char* what) {
        if (v < lo)
            throw input_error(std::string(context) + ": avocado " + what + " is " + std::to_string(v) + ", expected >= " +
                              std::to_string(lo));
    };
    at_least(c.celltypes, 1, "number of cell types");
    at_least(c.assays, 1, "number of assays");
    at_least(c.celltype_factors, 1, "cell-type factor width");
    at_least(c.assay_factors, 1, "assay factor width");
    at_least(c.genome_25_factors, 1, "25 bp genome factor width");
    at_least(c.genome_250_factors, 1, "250 bp genome factor width");
    at_least(c.genome_5k_factors, 1, "5 kbp genome factor width");
    at_least(c.layers, 0, "number of hidden layers");
    if (c.layers > 0) at_least(c.units, 1, "number of hidden units");
}

/// ⌊(n-1)/10⌋ + 1: the fewest G250 rows a region of n positions needs (0 for n = 0).
inline index_t avocado_rows_250(index_t n) { return n < 1 ? 0 : (n - 1) / 10 + 1; }
/// ⌊(n-1)/200⌋ + 1: the fewest G5k rows a region of n positions needs.
inline index_t avocado_rows_5k(index_t n) { return n < 1 ? 0 : (n - 1) / 200 + 1; }

/// The dense network's flat layout: "dense/<k>/W" [N, N_(k-1)], "dense/<k>/b" [N] for k = 0..L-1
/// (N_(-1) = input_size()), then "out/W" [1, last_width()], "out/b" [1].
inline parameter_layout avocado_dense_layout(const avocado_config& c)
{
    parameter_layout l;
    index_t in = c.input_size();
    for (index_t k = 0; k < c.layers; ++k) {
        l.add_matrix("dense/" + std::to_string(k) + "/W", c.units, in);
        l.add_vector("dense/" + std::to_string(k) + "/b", c.units);
        in = c.units;
    }
    l.add_matrix("out/W", 1, in);
    l.add_vector("out/b", 1);
    return l;
}

/// A track as the model sees it: indices into the sorted cell types and assays.
struct avocado_track {
    index_t celltype = 0;
    index_t assay = 0;
    bool operator==(const avocado_track&) const = default;
};

/// The store's tracks turned into the model's vocabulary (COMPARATORS-SPEC: cell types and assays
/// sorted by name in byte order, distinct).
struct avocado_track_map {
    std::vector<std::string> celltypes;  ///< [C] sorted, distinct
    std::vector<std::string> assays;     ///< [A] sorted, distinct
    std::vector<avocado_track> tracks;   ///< [T] in the store's track order
};

/// Builds the vocabulary from the store's /tracks/cell_type and /tracks/assay (same length, in
/// track order). input_error for lengths that differ, no track, or an empty name.
inline avocado_track_map make_avocado_track_map(const std::vector<std::string>& cell_type,
                                                const std::vector<std::string>& assay)
{
    if (cell_type.size() != assay.size())
        throw input_error("avocado: " + std::to_string(cell_type.size()) + " track cell types but " +
                          std::to_string(assay.size()) + " track assays; expected one of each per track");
    if (cell_type.empty()) throw input_error("avocado: no tracks; expected at least one (cell type, assay) track");
    for (std::size_t t = 0; t < cell_type.size(); ++t)
        if (cell_type[t].empty() || assay[t].empty())
            throw input_error("avocado: track " + std::to_string(t) + " has an empty " +
                              (cell_type[t].empty() ? "cell type" : "assay") + " name");
    avocado_track_map m;
    // std::string's operator< compares char_traits<char>, i.e. unsigned bytes: the spec's byte order.
    const std::set<std::string> c(cell_type.begin(), cell_type.end()), a(assay.begin(), assay.end());
    m.celltypes.assign(c.begin(), c.end());
    m.assays.assign(a.begin(), a.end());
    for (std::size_t t = 0; t < cell_type.size(); ++t) {
        const auto ci = std::lower_bound(m.celltypes.begin(), m.celltypes.end(), cell_type[t]) - m.celltypes.begin();
        const auto ai = std::lower_bound(m.assays.begin(), m.assays.end(), assay[t]) - m.assays.begin();
        m.tracks.push_back({static_cast<index_t>(ci), static_cast<index_t>(ai)});
    }
    return m;
}

/// One region's genome factors and where it lies (the store's region attributes).
template <class T>
struct avocado_region {
    using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    std::string name;
    std::string chrom;
    long start = 0;  ///< as in the store (bp, 0-based half-open)
    long end = 0;
    matrix genome_25;   ///< [F25, n]: column i = G25[i]
    matrix genome_250;  ///< [F250, m10], m10 >= avocado_rows_250(n)
    matrix genome_5k;   ///< [F5k, m200], m200 >= avocado_rows_5k(n)

    index_t positions() const { return genome_25.cols(); }
};

/// One sample of a minibatch: track t (hence (c, a)) at `position` of region `region`.
struct avocado_sample {
    index_t track = 0;
    index_t region = 0;
    index_t position = 0;
};

/// What forward keeps for backward, and backward's scratch. Owned by the caller.
template <class T>
struct avocado_cache {
    using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    using vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
    matrix z;               ///< [Zw, B] the gathered inputs
    std::vector<matrix> h;  ///< L matrices [N, B], after ReLU
    vector y;               ///< [B] predictions
    matrix delta, delta_prev;  ///< backward scratch
};

/// The gradient of one factor matrix: `values` has the factor's (transposed) shape and is zero
/// outside the columns listed in `touched` (sorted, distinct).
template <class T>
struct avocado_factor_gradient {
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> values;
    std::vector<index_t> touched;

    /// Zeroes the touched columns and forgets them (O(touched), not O(size)).
    void clear()
    {
        for (index_t c : touched) values.col(c).setZero();
        touched.clear();
    }
};

template <class T>
struct avocado_region_gradient {
    avocado_factor_gradient<T> genome_25, genome_250, genome_5k;
};

/// ∂loss/∂everything of one backward call. Make it with avocado_model::make_gradients().
template <class T>
struct avocado_gradients {
    Eigen::Matrix<T, Eigen::Dynamic, 1> dense;  ///< flat, the model's layout (padding stays 0)
    avocado_factor_gradient<T> celltype;        ///< [Fc, C]
    avocado_factor_gradient<T> assay;           ///< [Fa, A]
    std::vector<avocado_region_gradient<T>> regions;  ///< one per model region, same order
};

/// The Avocado model: dense network, cell-type and assay factors, and the genome factors of the
/// regions it has been given. T is float or double.
template <class T>
class avocado_model {
public:
    using scalar = T;
    using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    using vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
    using row_matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

    /// All parameters zero, no regions. input_error for a bad config or a track whose cell type
    /// or assay index is outside [0, C) or [0, A); no tracks is an error too.
    avocado_model(const avocado_config& cfg, std::vector<avocado_track> tracks)
        : cfg_(cfg), tracks_(std::move(tracks))
    {
        validate_avocado_config(cfg_, "avocado model");
        if (tracks_.empty()) throw input_error("avocado model: no tracks; expected at least one (cell type, assay) track");
        for (std::size_t t = 0; t < tracks_.size(); ++t) {
            const avocado_track& k = tracks_[t];
            if (k.celltype < 0 || k.celltype >= cfg_.celltypes || k.assay < 0 || k.assay >= cfg_.assays)
                throw input_error("avocado model: track " + std::to_string(t) + " is (cell type " + std::to_string(k.celltype) +
                                  ", assay " + std::to_string(k.assay) + "), expected indices below " +
                                  std::to_string(cfg_.celltypes) + " and " + std::to_string(cfg_.assays));
        }
        layout_ = avocado_dense_layout(cfg_);
        params_ = vector::Zero(layout_.size());
        celltype_ = matrix::Zero(cfg_.celltype_factors, cfg_.celltypes);
        assay_ = matrix::Zero(cfg_.assay_factors, cfg_.assays);
    }

    const avocado_config& config() const { return cfg_; }
    const parameter_layout& layout() const { return layout_; }
    const std::vector<avocado_track>& tracks() const { return tracks_; }
    index_t track_count() const { return static_cast<index_t>(tracks_.size()); }

    /// The dense network, flat (layout()).
    vector& parameters() { return params_; }
    const vector& parameters() const { return params_; }
    /// Ct transposed: [Fc, C], column c = cell type c's factors.
    matrix& celltype_factors() { return celltype_; }
    const matrix& celltype_factors() const { return celltype_; }
    /// As transposed: [Fa, A].
    matrix& assay_factors() { return assay_; }
    const matrix& assay_factors() const { return assay_; }

    const std::vector<avocado_region<T>>& regions() const { return regions_; }
    /// A region's factors, to read or train; its shapes must not change (add_region checks them once).
    avocado_region<T>& region(index_t r) { return regions_.at(static_cast<std::size_t>(r)); }
    const avocado_region<T>& region(index_t r) const { return regions_.at(static_cast<std::size_t>(r)); }
    /// The index of the region called `name`, or -1.
    index_t find_region(std::string_view name) const
    {
        for (std::size_t r = 0; r < regions_.size(); ++r)
            if (regions_[r].name == name) return static_cast<index_t>(r);
        return -1;
    }

    /// A region of n positions with zero factors of this model's widths and the fewest rows the
    /// spec allows (m10 = ⌊(n-1)/10⌋+1, m200 = ⌊(n-1)/200⌋+1).
    avocado_region<T> make_region(std::string name, std::string chrom, long start, long end, index_t n) const
    {
        if (n < 1) throw input_error("avocado region '" + name + "': " + std::to_string(n) + " positions, expected >= 1");
        avocado_region<T> r;
        r.name = std::move(name);
        r.chrom = std::move(chrom);
        r.start = start;
        r.end = end;
        r.genome_25 = matrix::Zero(cfg_.genome_25_factors, n);
        r.genome_250 = matrix::Zero(cfg_.genome_250_factors, avocado_rows_250(n));
        r.genome_5k = matrix::Zero(cfg_.genome_5k_factors, avocado_rows_5k(n));
        return r;
    }

    /// Adds a region and returns its index. shape_error when a factor width is not the model's or
    /// G250 / G5k have too few rows for n; input_error for an empty or repeated name.
    index_t add_region(avocado_region<T> r)
    {
        const std::string what = "avocado region '" + r.name + "'";
        if (r.name.empty()) throw input_error("avocado region: empty name");
        if (find_region(r.name) >= 0) throw input_error(what + ": the model already has a region of that name");
        const index_t n = r.positions();
        if (n < 1) throw shape_error(what + ": genome_25 has " + std::to_string(n) + " positions, expected >= 1");
        auto check = [&](const matrix& m, const char* name, index_t width, index_t min_rows) {
            if (m.rows() != width)
                throw shape_error(what + ": " + name + " has factor width " + std::to_string(m.rows()) + ", the model's is " +
                                  std::to_string(width));
            if (m.cols() < min_rows)
                throw shape_error(what + ": " + name + " has " + std::to_string(m.cols()) + " rows, expected at least " +
                                  std::to_string(min_rows) + " for " + std::to_string(n) + " positions");
        };
        check(r.genome_25, "genome_25", cfg_.genome_25_factors, n);
        check(r.genome_250, "genome_250", cfg_.genome_250_factors, avocado_rows_250(n));
        check(r.genome_5k, "genome_5k", cfg_.genome_5k_factors, avocado_rows_5k(n));
        regions_.push_back(std::move(r));
        return static_cast<index_t>(regions_.size()) - 1;
    }

    /// Removes region r and returns it (the regions after it move down one index). Gradients made
    /// before must be remade. input_error for an index out of range.
    avocado_region<T> take_region(index_t r)
    {
        checked_region(r, "take_region");
        avocado_region<T> out = std::move(regions_[static_cast<std::size_t>(r)]);
        regions_.erase(regions_.begin() + r);
        return out;
    }

    /// Keras' defaults (header comment) from one seed: dense, Ct, As, then every region's factors.
    void initialize(std::uint64_t seed)
    {
        detail::splitmix64 rng(seed);
        params_.setZero();
        for (const tensor_desc& t : layout_.tensors()) {
            if (t.rank != 2) continue;  // biases stay 0
            const double limit = std::sqrt(6.0 / static_cast<double>(t.rows + t.cols));
            for (index_t i = 0; i < t.size(); ++i) params_[t.offset + i] = static_cast<T>(rng.uniform(-limit, limit));
        }
        fill_factor(celltype_, rng);
        fill_factor(assay_, rng);
        for (auto& r : regions_) initialize_region(r, rng);
    }

    /// Draws a region's factors uniform(-0.05, 0.05): G25, G250, G5k, each in memory order.
    static void initialize_region(avocado_region<T>& r, detail::splitmix64& rng)
    {
        fill_factor(r.genome_25, rng);
        fill_factor(r.genome_250, rng);
        fill_factor(r.genome_5k, rng);
    }

    /// The same model in another scalar type.
    template <class U>
    avocado_model<U> cast() const
    {
        avocado_model<U> m(cfg_, tracks_);
        m.parameters() = params_.template cast<U>();
        m.celltype_factors() = celltype_.template cast<U>();
        m.assay_factors() = assay_.template cast<U>();
        for (const auto& r : regions_) {
            avocado_region<U> u;
            u.name = r.name;
            u.chrom = r.chrom;
            u.start = r.start;
            u.end = r.end;
            u.genome_25 = r.genome_25.template cast<U>();
            u.genome_250 = r.genome_250.template cast<U>();
            u.genome_5k = r.genome_5k.template cast<U>();
            m.add_region(std::move(u));
        }
        return m;
    }

    /// Zero gradients shaped like this model (with its current regions).
    avocado_gradients<T> make_gradients() const
    {
        avocado_gradients<T> g;
        g.dense = vector::Zero(layout_.size());
        g.celltype.values = matrix::Zero(celltype_.rows(), celltype_.cols());
        g.assay.values = matrix::Zero(assay_.rows(), assay_.cols());
        for (const auto& r : regions_) {
            avocado_region_gradient<T> rg;
            rg.genome_25.values = matrix::Zero(r.genome_25.rows(), r.genome_25.cols());
            rg.genome_250.values = matrix::Zero(r.genome_250.rows(), r.genome_250.cols());
            rg.genome_5k.values = matrix::Zero(r.genome_5k.rows(), r.genome_5k.cols());
            g.regions.push_back(std::move(rg));
        }
        return g;
    }

    /// input_error naming the first sample whose track, region or position is out of range.
    void check_batch(std::span<const avocado_sample> batch) const
    {
        for (std::size_t j = 0; j < batch.size(); ++j) {
            const avocado_sample& s = batch[j];
            auto bad = [&](const std::string& what) {
                throw input_error("avocado batch sample " + std::to_string(j) + ": " + what);
            };
            if (s.track < 0 || s.track >= track_count())
                bad("track " + std::to_string(s.track) + ", the model has " + std::to_string(track_count()) + " tracks");
            if (s.region < 0 || s.region >= static_cast<index_t>(regions_.size()))
                bad("region " + std::to_string(s.region) + ", the model has " + std::to_string(regions_.size()) + " regions");
            const index_t n = regions_[static_cast<std::size_t>(s.region)].positions();
            if (s.position < 0 || s.position >= n)
                bad("position " + std::to_string(s.position) + ", region '" + regions_[static_cast<std::size_t>(s.region)].name +
                    "' has " + std::to_string(n) + " positions");
        }
    }

    /// Predictions for a minibatch (cache.y [B]); keeps the activations in `cache` for backward.
    const vector& forward(std::span<const avocado_sample> batch, avocado_cache<T>& cache) const
    {
        check_batch(batch);
        const index_t B = static_cast<index_t>(batch.size());
        gather(batch, cache.z);
        cache.h.resize(static_cast<std::size_t>(cfg_.layers));
        const matrix* in = &cache.z;
        for (index_t k = 0; k < cfg_.layers; ++k) {
            matrix& h = cache.h[static_cast<std::size_t>(k)];
            h.resize(cfg_.units, B);
            h.noalias() = weight(k) * (*in);
            h = (h.colwise() + bias(k)).cwiseMax(T(0));
            in = &h;
        }
        cache.y.resize(B);
        cache.y.noalias() = in->transpose() * out_weight().transpose();
        cache.y.array() += params_[layout_.at("out/b").offset];
        return cache.y;
    }

    /// The MSE loss of the batch forward() was last called with, mean over samples of
    /// (y - target)^2, and its gradient in `grads` (dense overwritten; factor gradients: the
    /// previous call's touched columns zeroed, then this batch's scattered in). `grads` must come
    /// from make_gradients() of this model (same regions). shape_error on a size mismatch.
    T backward(std::span<const avocado_sample> batch, Eigen::Ref<const vector> targets, avocado_cache<T>& cache,
               avocado_gradients<T>& grads) const
    {
        const index_t B = static_cast<index_t>(batch.size());
        if (targets.size() != B)
            throw shape_error("avocado backward: " + std::to_string(targets.size()) + " targets for a batch of " +
                              std::to_string(B));
        if (cache.y.size() != B || cache.z.cols() != B ||
            static_cast<index_t>(cache.h.size()) != cfg_.layers)
            throw shape_error("avocado backward: the cache holds a forward pass of " + std::to_string(cache.y.size()) +
                              " samples, the batch has " + std::to_string(B) + "; call forward on this batch first");
        check_gradients(grads);
        if (B == 0) {
            clear_factor_gradients(grads);
            grads.dense.setZero();
            return T(0);
        }
        const vector r = cache.y - targets;
        const T loss = r.squaredNorm() / static_cast<T>(B);
        const Eigen::Matrix<T, 1, Eigen::Dynamic> dy = (T(2) / static_cast<T>(B)) * r.transpose();

        const matrix& last = cfg_.layers > 0 ? cache.h.back() : cache.z;
        const tensor_desc& ow = layout_.at("out/W");
        Eigen::Map<matrix>(grads.dense.data() + ow.offset, 1, ow.cols).noalias() = dy * last.transpose();
        grads.dense[layout_.at("out/b").offset] = dy.sum();

        cache.delta.resize(last.rows(), B);
        cache.delta.noalias() = out_weight().transpose() * dy;
        for (index_t k = cfg_.layers - 1; k >= 0; --k) {
            // δ_k = (incoming) ⊙ relu'(h_k), at the layer's output.
            cache.delta.array() *= (cache.h[static_cast<std::size_t>(k)].array() > T(0)).template cast<T>();
            const matrix& in = k > 0 ? cache.h[static_cast<std::size_t>(k - 1)] : cache.z;
            const tensor_desc& w = layout_.at("dense/" + std::to_string(k) + "/W");
            const tensor_desc& b = layout_.at("dense/" + std::to_string(k) + "/b");
            Eigen::Map<matrix>(grads.dense.data() + w.offset, w.rows, w.cols).noalias() = cache.delta * in.transpose();
            Eigen::Map<vector>(grads.dense.data() + b.offset, b.rows) = cache.delta.rowwise().sum();
            cache.delta_prev.resize(in.rows(), B);
            cache.delta_prev.noalias() = weight(k).transpose() * cache.delta;
            std::swap(cache.delta, cache.delta_prev);
        }
        scatter(batch, cache.delta, grads);  // cache.delta is now dZ [Zw, B]
        return loss;
    }

    /// [G25[i], G250[i/10], G5k[i/200]] of region r (embedding_size() values).
    vector embedding(index_t r, index_t i) const
    {
        const avocado_region<T>& g = checked_region(r, "embedding");
        if (i < 0 || i >= g.positions())
            throw input_error("avocado embedding: position " + std::to_string(i) + ", region '" + g.name + "' has " +
                              std::to_string(g.positions()) + " positions");
        vector e(cfg_.embedding_size());
        e << g.genome_25.col(i), g.genome_250.col(i / 10), g.genome_5k.col(i / 200);
        return e;
    }

    /// The whole region's representation, [n, embedding_size()], row i = embedding(r, i).
    row_matrix region_embedding(index_t r) const
    {
        const avocado_region<T>& g = checked_region(r, "embedding");
        const index_t n = g.positions(), f25 = cfg_.genome_25_factors, f250 = cfg_.genome_250_factors;
        row_matrix e(n, cfg_.embedding_size());
        for (index_t i = 0; i < n; ++i) {
            e.row(i).head(f25) = g.genome_25.col(i).transpose();
            e.row(i).segment(f25, f250) = g.genome_250.col(i / 10).transpose();
            e.row(i).tail(cfg_.genome_5k_factors) = g.genome_5k.col(i / 200).transpose();
        }
        return e;
    }

    /// The model's prediction of every track at every position of region r, [n, T] (column t =
    /// track t). Runs forward on chunks of about `batch_size` samples.
    row_matrix reconstruct(index_t r, index_t batch_size = 8192) const
    {
        const avocado_region<T>& g = checked_region(r, "reconstruction");
        const index_t n = g.positions(), nt = track_count();
        const index_t per = std::max<index_t>(1, batch_size / nt);  // positions per chunk
        row_matrix out(n, nt);
        avocado_cache<T> cache;
        std::vector<avocado_sample> batch;
        for (index_t p0 = 0; p0 < n; p0 += per) {
            const index_t p1 = std::min(n, p0 + per);
            batch.clear();
            for (index_t i = p0; i < p1; ++i)
                for (index_t t = 0; t < nt; ++t) batch.push_back({t, r, i});
            const vector& y = forward(batch, cache);
            // Samples are position-major, so the chunk's rows of `out` are y in order.
            Eigen::Map<row_matrix>(out.data() + p0 * nt, p1 - p0, nt) =
                Eigen::Map<const row_matrix>(y.data(), p1 - p0, nt);
        }
        return out;
    }

    /// Views of the dense tensors (column-major [out, in]).
    Eigen::Map<const matrix> weight(index_t k) const
    {
        const tensor_desc& t = layout_.at("dense/" + std::to_string(k) + "/W");
        return {params_.data() + t.offset, t.rows, t.cols};
    }
    Eigen::Map<const vector> bias(index_t k) const
    {
        const tensor_desc& t = layout_.at("dense/" + std::to_string(k) + "/b");
        return {params_.data() + t.offset, t.rows};
    }
    Eigen::Map<const matrix> out_weight() const
    {
        const tensor_desc& t = layout_.at("out/W");
        return {params_.data() + t.offset, t.rows, t.cols};
    }

private:
    static void fill_factor(matrix& m, detail::splitmix64& rng)
    {
        for (index_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<T>(rng.uniform(-0.05, 0.05));
    }

    const avocado_region<T>& checked_region(index_t r, const char* what) const
    {
        if (r < 0 || r >= static_cast<index_t>(regions_.size()))
            throw input_error(std::string("avocado ") + what + ": region " + std::to_string(r) + ", the model has " +
                              std::to_string(regions_.size()) + " regions");
        return regions_[static_cast<std::size_t>(r)];
    }

    void gather(std::span<const avocado_sample> batch, matrix& z) const
    {
        const index_t fc = cfg_.celltype_factors, fa = cfg_.assay_factors, f25 = cfg_.genome_25_factors,
                      f250 = cfg_.genome_250_factors, f5k = cfg_.genome_5k_factors;
        z.resize(cfg_.input_size(), static_cast<index_t>(batch.size()));
        for (std::size_t j = 0; j < batch.size(); ++j) {
            const avocado_sample& s = batch[j];
            const avocado_track& t = tracks_[static_cast<std::size_t>(s.track)];
            const avocado_region<T>& g = regions_[static_cast<std::size_t>(s.region)];
            auto col = z.col(static_cast<index_t>(j));
            col.segment(0, fc) = celltype_.col(t.celltype);
            col.segment(fc, fa) = assay_.col(t.assay);
            col.segment(fc + fa, f25) = g.genome_25.col(s.position);
            col.segment(fc + fa + f25, f250) = g.genome_250.col(s.position / 10);
            col.segment(fc + fa + f25 + f250, f5k) = g.genome_5k.col(s.position / 200);
        }
    }

    void check_gradients(const avocado_gradients<T>& g) const
    {
        bool ok = g.dense.size() == layout_.size() && g.celltype.values.rows() == celltype_.rows() &&
                  g.celltype.values.cols() == celltype_.cols() && g.assay.values.rows() == assay_.rows() &&
                  g.assay.values.cols() == assay_.cols() && g.regions.size() == regions_.size();
        for (std::size_t r = 0; ok && r < regions_.size(); ++r)
            ok = g.regions[r].genome_25.values.cols() == regions_[r].genome_25.cols() &&
                 g.regions[r].genome_250.values.cols() == regions_[r].genome_250.cols() &&
                 g.regions[r].genome_5k.values.cols() == regions_[r].genome_5k.cols() &&
                 g.regions[r].genome_25.values.rows() == regions_[r].genome_25.rows() &&
                 g.regions[r].genome_250.values.rows() == regions_[r].genome_250.rows() &&
                 g.regions[r].genome_5k.values.rows() == regions_[r].genome_5k.rows();
        if (!ok)
            throw shape_error("avocado backward: the gradients are not shaped like this model (" +
                              std::to_string(g.regions.size()) + " regions for " + std::to_string(regions_.size()) +
                              "); make them with make_gradients() after the last add_region");
    }

    static void clear_factor_gradients(avocado_gradients<T>& g)
    {
        g.celltype.clear();
        g.assay.clear();
        for (auto& r : g.regions) {
            r.genome_25.clear();
            r.genome_250.clear();
            r.genome_5k.clear();
        }
    }

    static void finish(avocado_factor_gradient<T>& g)
    {
        std::sort(g.touched.begin(), g.touched.end());
        g.touched.erase(std::unique(g.touched.begin(), g.touched.end()), g.touched.end());
    }

    void scatter(std::span<const avocado_sample> batch, const matrix& dz, avocado_gradients<T>& g) const
    {
        clear_factor_gradients(g);
        const index_t fc = cfg_.celltype_factors, fa = cfg_.assay_factors, f25 = cfg_.genome_25_factors,
                      f250 = cfg_.genome_250_factors, f5k = cfg_.genome_5k_factors;
        std::vector<char> region_used(regions_.size(), 0);
        for (std::size_t j = 0; j < batch.size(); ++j) {
            const avocado_sample& s = batch[j];
            const avocado_track& t = tracks_[static_cast<std::size_t>(s.track)];
            avocado_region_gradient<T>& rg = g.regions[static_cast<std::size_t>(s.region)];
            const auto col = dz.col(static_cast<index_t>(j));
            g.celltype.values.col(t.celltype) += col.segment(0, fc);
            g.celltype.touched.push_back(t.celltype);
            g.assay.values.col(t.assay) += col.segment(fc, fa);
            g.assay.touched.push_back(t.assay);
            rg.genome_25.values.col(s.position) += col.segment(fc + fa, f25);
            rg.genome_25.touched.push_back(s.position);
            rg.genome_250.values.col(s.position / 10) += col.segment(fc + fa + f25, f250);
            rg.genome_250.touched.push_back(s.position / 10);
            rg.genome_5k.values.col(s.position / 200) += col.segment(fc + fa + f25 + f250, f5k);
            rg.genome_5k.touched.push_back(s.position / 200);
            region_used[static_cast<std::size_t>(s.region)] = 1;
        }
        finish(g.celltype);
        finish(g.assay);
        for (std::size_t r = 0; r < regions_.size(); ++r)
            if (region_used[r]) {
                finish(g.regions[r].genome_25);
                finish(g.regions[r].genome_250);
                finish(g.regions[r].genome_5k);
            }
    }

    avocado_config cfg_;
    std::vector<avocado_track> tracks_;
    parameter_layout layout_;
    vector params_;
    matrix celltype_;
    matrix assay_;
    std::vector<avocado_region<T>> regions_;
};

}  // namespace epilstm
