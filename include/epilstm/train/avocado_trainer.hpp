// Training the Avocado comparator (model/avocado.hpp; COMPARATORS-SPEC "Avocado"; issue 12, 1b).
//
// Data. A region's training data is its signal [n, T] (position-major, asinh already applied, as
// the store gives it) and which (position, track) pairs are observed: a position whose store flag
// `missing` is 1 (no track has data) has no observed pair; optionally a per-pair mask [n * T]
// (row-major, 1 = observed) narrows it further. The observed pairs of the regions in memory are
// listed once per window (4 bytes a pair); a step draws B pairs uniformly with replacement from
// that list (detail::splitmix64, one stream seeded by options.seed, so a run is deterministic), so
// a missing pair is never drawn. One pass over a window is ceil(passes * pairs / B) steps.
//
// Optimizer. Adam with PyTorch's rule (train/adam.hpp, the same adam_options):
//   * the dense network: the flat parameter vector, dense Adam (epilstm::adam), one step a batch;
//   * the factors (Ct, As, and every region's G25, G250, G5k): lazy Adam. Only the columns (spec
//     rows) the batch touched are updated; their moments m, v are kept per column and are not
//     decayed on steps that skip the column (TensorFlow's LazyAdam, PyTorch's SparseAdam). The bias
//     correction uses a PER-COLUMN step count k (how many updates that column has had), not the
//     global step: a column's moments are an average of exactly k gradients from zero, so
//     1 - β^k is their correct correction, and a column's update then does not depend on how many
//     steps other regions took while its region was out of memory (windows) or on when a new
//     region was added. With the global step t a column first touched late would get m̂ = (1-β1) g,
//     v̂ = (1-β2) g², an update ≈ 3.2 lr instead of lr.
//
// Out of core. Genome factors and their moments travel with their region in an
// `avocado_region_slot` {factors, moments, data}. An `avocado_region_store` hands slots out
// (checkout) and takes them back (checkin); train_epoch keeps `window_regions` of them in memory
// at a time: checkout the window, add its regions to the model, run ceil(passes * pairs / B)
// steps, take the regions out again and check them in. `avocado_memory_regions` keeps every slot
// in memory (tests, small data). A store-backed one (io layer, since the train layer may not
// include io) loads the data in checkout from io::signal_store (read_positions over the region,
// read_missing) and reads/writes the factors and moments from a scratch HDF5 file (or the
// checkpoint's /regions group) in checkout / checkin; nothing else changes.
//
// New regions. fit_new_region(data, region) fits the genome factors of a region the network was
// not trained on, with the dense network, Ct and As frozen (bit-identical), the same sampling and
// lazy Adam with fresh moments of its own; returns the region (Avocado does this per chromosome).
#pragma once

#include <epilstm/backend/cpu/cpu_device.hpp>
#include <epilstm/backend/kernels.hpp>
#include <epilstm/config.hpp>
#include <epilstm/detail/random.hpp>
#include <epilstm/error.hpp>
#include <epilstm/model/avocado.hpp>
#include <epilstm/train/adam.hpp>
#include <epilstm/train/adam_options.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace epilstm {

/// One region's training data.
template <class T>
struct avocado_region_data {
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> signal;  ///< [n, T] position-major
    std::vector<std::uint8_t> missing;   ///< [n], 1 = no track observed (the store's flag); empty = none missing
    std::vector<std::uint8_t> observed;  ///< [n * T] row-major, 1 = observed; empty = every track where not missing

    index_t positions() const { return signal.rows(); }
};

/// Lazy Adam state of one factor matrix: moments of its shape and a step count per column.
template <class T>
struct avocado_factor_moments {
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> m, v;
    std::vector<std::int64_t> steps;

    bool empty() const { return m.size() == 0; }
    void reset(index_t rows, index_t cols)
    {
        m.setZero(rows, cols);
        v.setZero(rows, cols);
        steps.assign(static_cast<std::size_t>(cols), 0);
    }
    bool shaped_like(const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& f) const
    {
        return m.rows() == f.rows() && m.cols() == f.cols() && v.rows() == f.rows() && v.cols() == f.cols() &&
               steps.size() == static_cast<std::size_t>(f.cols());
    }
};

template <class T>
struct avocado_region_moments {
    avocado_factor_moments<T> genome_25, genome_250, genome_5k;
};

/// A region as a store hands it out: factors, their Adam state (empty: fresh zeros), its data.
template <class T>
struct avocado_region_slot {
    avocado_region<T> factors;
    avocado_region_moments<T> moments;
    avocado_region_data<T> data;
};

/// Where the training regions live between windows.
template <class T>
class avocado_region_store {
public:
    virtual ~avocado_region_store() = default;
    virtual index_t size() const = 0;
    /// Region r's slot (factors already initialized, e.g. avocado_model::initialize_region).
    virtual avocado_region_slot<T> checkout(index_t r) = 0;
    /// Takes region r back after training (the store writes factors and moments; may drop data).
    virtual void checkin(index_t r, avocado_region_slot<T> slot) = 0;
};

/// Every slot in memory; checkout / checkin move them out and back (no copy).
template <class T>
class avocado_memory_regions final : public avocado_region_store<T> {
public:
    /// Adds a region (factors initialized by the caller) and its data; returns its index.
    index_t add(avocado_region<T> factors, avocado_region_data<T> data)
    {
        slots_.push_back({std::move(factors), {}, std::move(data)});
        out_.push_back(0);
        return static_cast<index_t>(slots_.size()) - 1;
    }
    index_t size() const override { return static_cast<index_t>(slots_.size()); }
    avocado_region_slot<T> checkout(index_t r) override
    {
        check(r, "checkout");
        if (out_[static_cast<std::size_t>(r)]) throw error("avocado_memory_regions: region " + std::to_string(r) + " is already checked out");
        out_[static_cast<std::size_t>(r)] = 1;
        return std::move(slots_[static_cast<std::size_t>(r)]);
    }
    void checkin(index_t r, avocado_region_slot<T> slot) override
    {
        check(r, "checkin");
        slots_[static_cast<std::size_t>(r)] = std::move(slot);
        out_[static_cast<std::size_t>(r)] = 0;
    }
    /// Region r's slot (not while checked out).
    const avocado_region_slot<T>& slot(index_t r) const
    {
        check(r, "slot");
        return slots_[static_cast<std::size_t>(r)];
    }
    /// Copies every region's factors into `model` (e.g. before writing a checkpoint).
    void copy_into(avocado_model<T>& model) const
    {
        for (const auto& s : slots_) model.add_region(s.factors);
    }

private:
    void check(index_t r, const char* what) const
    {
        if (r < 0 || r >= size())
            throw input_error(std::string("avocado_memory_regions ") + what + ": region " + std::to_string(r) + ", the store has " +
                              std::to_string(size()));
    }
    std::vector<avocado_region_slot<T>> slots_;
    std::vector<char> out_;
};

struct avocado_train_options {
    adam_options adam{};           ///< dense and factor Adam (PyTorch's defaults)
    index_t batch_size = 4096;     ///< (position, track) pairs per step
    index_t window_regions = 0;    ///< regions in memory at once; 0 = all
    double passes = 1.0;           ///< steps per window visit = ceil(passes * observed pairs / batch)
    index_t progress_every = 0;    ///< report every N steps (0: only at the end of an epoch)
    std::uint64_t seed = 1;        ///< sampling (and window order) stream
};

/// What the progress callback gets.
struct avocado_progress {
    long epoch = 0;        ///< epochs finished before this one (fit: 0)
    long step = 0;         ///< steps taken so far (the trainer's total)
    long steps = 0;        ///< steps this report covers
    double loss = 0;       ///< mean batch loss over those steps
    bool end_of_epoch = false;
};
using avocado_progress_fn = std::function<void(const avocado_progress&)>;

/// What an epoch (or a fit) returns.
struct avocado_epoch_report {
    double loss = 0;     ///< mean batch loss over the epoch's steps
    long steps = 0;
    long samples = 0;
};

/// The observed (position, track) pairs of some regions, and uniform sampling over them.
class avocado_pair_sampler {
public:
    /// Adds a region's observed pairs (model region index `model_region`); input_error for a
    /// mask of the wrong length.
    template <class T>
    void add(const avocado_region_data<T>& d, index_t model_region, index_t tracks)
    {
        const index_t n = d.positions();
        if (d.signal.cols() != tracks)
            throw shape_error("avocado training data: signal has " + std::to_string(d.signal.cols()) + " tracks, the model has " +
                              std::to_string(tracks));
        if (!d.missing.empty() && static_cast<index_t>(d.missing.size()) != n)
            throw shape_error("avocado training data: missing has " + std::to_string(d.missing.size()) + " flags for " +
                              std::to_string(n) + " positions");
        if (!d.observed.empty() && static_cast<index_t>(d.observed.size()) != n * tracks)
            throw shape_error("avocado training data: observed has " + std::to_string(d.observed.size()) + " flags, expected " +
                              std::to_string(n * tracks));
        if (n * tracks > static_cast<index_t>(UINT32_MAX))
            throw input_error("avocado training data: a region of " + std::to_string(n) + " positions x " + std::to_string(tracks) +
                              " tracks is too large to sample; split it");
        std::vector<std::uint32_t> pairs;
        for (index_t i = 0; i < n; ++i) {
            if (!d.missing.empty() && d.missing[static_cast<std::size_t>(i)]) continue;
            for (index_t t = 0; t < tracks; ++t)
                if (d.observed.empty() || d.observed[static_cast<std::size_t>(i * tracks + t)])
                    pairs.push_back(static_cast<std::uint32_t>(i * tracks + t));
        }
        total_ += static_cast<std::uint64_t>(pairs.size());
        ends_.push_back(total_);
        regions_.push_back(model_region);
        pairs_.push_back(std::move(pairs));
        tracks_ = tracks;
    }
    std::uint64_t pairs() const { return total_; }
    /// B samples drawn uniformly with replacement from the observed pairs (empty if none).
    void sample(detail::splitmix64& rng, index_t batch, std::vector<avocado_sample>& out) const
    {
        out.clear();
        if (total_ == 0) return;
        out.reserve(static_cast<std::size_t>(batch));
        for (index_t j = 0; j < batch; ++j) {
            const std::uint64_t u = rng.next() % total_;
            const std::size_t w = static_cast<std::size_t>(std::upper_bound(ends_.begin(), ends_.end(), u) - ends_.begin());
            const std::uint64_t base = w == 0 ? 0 : ends_[w - 1];
            const std::uint32_t p = pairs_[w][static_cast<std::size_t>(u - base)];
            out.push_back({static_cast<index_t>(p % static_cast<std::uint32_t>(tracks_)), regions_[w],
                           static_cast<index_t>(p / static_cast<std::uint32_t>(tracks_))});
        }
    }

private:
    std::vector<std::vector<std::uint32_t>> pairs_;
    std::vector<std::uint64_t> ends_;
    std::vector<index_t> regions_;
    std::uint64_t total_ = 0;
    index_t tracks_ = 1;
};

/// One lazy Adam step of a factor matrix: only g.touched columns, per-column bias correction.
template <class T>
void avocado_lazy_adam_step(Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& theta, const avocado_factor_gradient<T>& g,
                            avocado_factor_moments<T>& s, const adam_options& o)
{
    const T b1 = static_cast<T>(o.beta1), b2 = static_cast<T>(o.beta2), eps = static_cast<T>(o.epsilon);
    for (index_t c : g.touched) {
        const std::int64_t k = ++s.steps[static_cast<std::size_t>(c)];
        const T c1 = static_cast<T>(1 - std::pow(o.beta1, static_cast<double>(k)));
        const T c2 = static_cast<T>(1 - std::pow(o.beta2, static_cast<double>(k)));
        const T step_size = static_cast<T>(o.learning_rate) / c1, inv_sqrt_c2 = T(1) / std::sqrt(c2);
        // The dense Adam's own element update (kernels::adam_update), on this column only.
        const kernels::adam_update<T> update{theta.col(c).data(), g.values.col(c).data(), s.m.col(c).data(),
                                             s.v.col(c).data(), b1, b2, step_size, inv_sqrt_c2, eps};
        for (index_t i = 0; i < theta.rows(); ++i) update(i);
    }
}

/// Trains an avocado_model held by reference (it must outlive the trainer).
template <class T>
class avocado_trainer {
public:
    using vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

    avocado_trainer(avocado_model<T>& model, avocado_train_options options = {})
        : model_(&model), opt_(options), rng_(options.seed), dense_(model.parameters().size(), options.adam)
    {
        if (opt_.batch_size < 1)
            throw input_error("avocado trainer: batch size " + std::to_string(opt_.batch_size) + ", expected >= 1");
        if (opt_.window_regions < 0)
            throw input_error("avocado trainer: window of " + std::to_string(opt_.window_regions) + " regions, expected >= 0");
        if (!(opt_.passes > 0))
            throw input_error("avocado trainer: passes " + std::to_string(opt_.passes) + ", expected > 0");
        celltype_.reset(model.celltype_factors().rows(), model.celltype_factors().cols());
        assay_.reset(model.assay_factors().rows(), model.assay_factors().cols());
    }

    const avocado_train_options& options() const { return opt_; }
    long steps() const { return step_; }
    long epochs() const { return epoch_; }
    /// Optimizer state of the parts always in memory (for a checkpoint).
    const adam<T, cpu_device>& dense_optimizer() const { return dense_; }
    const avocado_factor_moments<T>& celltype_moments() const { return celltype_; }
    const avocado_factor_moments<T>& assay_moments() const { return assay_; }

    /// One epoch: every region of `store` once, window by window (regions in an order shuffled
    /// from the seed each epoch), ceil(passes * pairs / B) steps per window. Regions the model
    /// already holds stay (they are not trained); the window's are appended and removed again.
    avocado_epoch_report train_epoch(avocado_region_store<T>& store, const avocado_progress_fn& progress = {})
    {
        const index_t R = store.size();
        std::vector<index_t> order(static_cast<std::size_t>(R));
        std::iota(order.begin(), order.end(), index_t(0));
        for (index_t i = R - 1; i > 0; --i)  // Fisher-Yates from the trainer's stream
            std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(rng_.next() % static_cast<std::uint64_t>(i + 1))]);
        const index_t W = opt_.window_regions > 0 ? opt_.window_regions : std::max<index_t>(R, 1);
        avocado_epoch_report rep;
        double loss_sum = 0;
        report_reset();
        for (index_t w0 = 0; w0 < R; w0 += W) {
            const index_t w1 = std::min(R, w0 + W);
            const index_t base = static_cast<index_t>(model_->regions().size());
            std::vector<avocado_region_slot<T>> slots;
            avocado_pair_sampler sampler;
            try {
                for (index_t w = w0; w < w1; ++w) {
                    slots.push_back(store.checkout(order[static_cast<std::size_t>(w)]));
                    avocado_region_slot<T>& s = slots.back();
                    prepare_moments(s);
                    model_->add_region(std::move(s.factors));
                    sampler.add(s.data, base + (w - w0), model_->track_count());
                }
                const long n = steps_for(sampler.pairs());
                auto grads = model_->make_gradients();
                for (long k = 0; k < n; ++k) {
                    const T loss = step(sampler, slots, base, grads, /*frozen=*/false);
                    loss_sum += static_cast<double>(loss);
                    ++rep.steps;
                    rep.samples += static_cast<long>(batch_.size());
                    report_step(loss, progress);
                }
            } catch (...) {
                give_back(store, slots, order, w0, base);
                throw;
            }
            give_back(store, slots, order, w0, base);
        }
        rep.loss = rep.steps > 0 ? loss_sum / static_cast<double>(rep.steps) : 0.0;
        ++epoch_;
        if (progress) progress({epoch_ - 1, step_, rep.steps, rep.loss, true});
        return rep;
    }

    /// Fits the genome factors of `region` (shapes of this model, factors initialized, a name the
    /// model does not hold) on `data` for `epochs` passes of ceil(passes * pairs / B) steps, with
    /// the network, Ct and As frozen and fresh Adam moments; its own sampling stream from `seed`.
    /// The model is unchanged on return. `report`, if given, receives the last epoch's figures.
    avocado_region<T> fit_new_region(const avocado_region_data<T>& data, avocado_region<T> region, long epochs,
                                     std::uint64_t seed, const avocado_progress_fn& progress = {},
                                     avocado_epoch_report* report = nullptr)
    {
        if (epochs < 0) throw input_error("avocado fit_new_region: " + std::to_string(epochs) + " epochs, expected >= 0");
        if (data.positions() != region.positions())
            throw shape_error("avocado fit_new_region: data has " + std::to_string(data.positions()) + " positions, region '" +
                              region.name + "' has " + std::to_string(region.positions()));
        const index_t r = model_->add_region(std::move(region));
        std::vector<avocado_region_slot<T>> slots(1);
        const detail::splitmix64 saved = rng_;  // the training stream is not consumed by a fit
        try {
            prepare_moments_for(slots[0], model_->region(r));
            avocado_pair_sampler sampler;
            sampler.add(data, r, model_->track_count());
            rng_ = detail::splitmix64(seed);
            auto grads = model_->make_gradients();
            const long n = steps_for(sampler.pairs());
            avocado_epoch_report rep;
            for (long e = 0; e < epochs; ++e) {
                double sum = 0;
                rep = {};
                for (long k = 0; k < n; ++k) {
                    sum += static_cast<double>(step(sampler, slots, r, grads, /*frozen=*/true, &data));
                    ++rep.steps;
                    rep.samples += static_cast<long>(batch_.size());
                }
                rep.loss = rep.steps > 0 ? sum / static_cast<double>(rep.steps) : 0.0;
                if (progress) progress({e, 0, rep.steps, rep.loss, true});
            }
            rng_ = saved;
            if (report) *report = rep;
        } catch (...) {
            rng_ = saved;
            model_->take_region(r);
            throw;
        }
        return model_->take_region(r);
    }

    /// The mean squared error over every observed pair of `data` for a model region (evaluation).
    T loss(index_t model_region, const avocado_region_data<T>& data, index_t chunk = 8192) const
    {
        avocado_pair_sampler{}.add(data, model_region, model_->track_count());  // the shape checks
        const auto y = model_->reconstruct(model_region, chunk);
        double sum = 0;
        long count = 0;
        const index_t nt = model_->track_count();
        for (index_t i = 0; i < data.positions(); ++i) {
            if (!data.missing.empty() && data.missing[static_cast<std::size_t>(i)]) continue;
            for (index_t t = 0; t < nt; ++t)
                if (data.observed.empty() || data.observed[static_cast<std::size_t>(i * nt + t)]) {
                    const double d = static_cast<double>(y(i, t)) - static_cast<double>(data.signal(i, t));
                    sum += d * d;
                    ++count;
                }
        }
        return count > 0 ? static_cast<T>(sum / static_cast<double>(count)) : T(0);
    }

private:
    long steps_for(std::uint64_t pairs) const
    {
        if (pairs == 0) return 0;
        return static_cast<long>(std::ceil(opt_.passes * static_cast<double>(pairs) / static_cast<double>(opt_.batch_size)));
    }

    void prepare_moments(avocado_region_slot<T>& s) { prepare_moments_for(s, s.factors); }
    static void prepare_moments_for(avocado_region_slot<T>& s, const avocado_region<T>& f)
    {
        auto fix = [](avocado_factor_moments<T>& m, const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& x, const char* what) {
            if (m.empty())
                m.reset(x.rows(), x.cols());
            else if (!m.shaped_like(x))
                throw shape_error(std::string("avocado trainer: saved ") + what + " moments are not shaped like the factors");
        };
        fix(s.moments.genome_25, f.genome_25, "genome_25");
        fix(s.moments.genome_250, f.genome_250, "genome_250");
        fix(s.moments.genome_5k, f.genome_5k, "genome_5k");
    }

    void give_back(avocado_region_store<T>& store, std::vector<avocado_region_slot<T>>& slots, const std::vector<index_t>& order,
                   index_t w0, index_t base)
    {
        // The window's regions are the model's last ones: take them back in reverse order.
        const index_t in_model = static_cast<index_t>(model_->regions().size()) - base;
        for (index_t k = in_model - 1; k >= 0; --k) slots[static_cast<std::size_t>(k)].factors = model_->take_region(base + k);
        for (std::size_t k = 0; k < slots.size(); ++k)
            store.checkin(order[static_cast<std::size_t>(w0) + k], std::move(slots[k]));
        slots.clear();
    }

    /// One step: sample, forward, backward, Adam. Frozen: only the region factors move.
    T step(const avocado_pair_sampler& sampler, std::vector<avocado_region_slot<T>>& slots, index_t base,
           avocado_gradients<T>& grads, bool frozen, const avocado_region_data<T>* data = nullptr)
    {
        sampler.sample(rng_, opt_.batch_size, batch_);
        targets_.resize(static_cast<index_t>(batch_.size()));
        for (std::size_t j = 0; j < batch_.size(); ++j) {
            const avocado_sample& s = batch_[j];
            const avocado_region_data<T>& d = data ? *data : slots[static_cast<std::size_t>(s.region - base)].data;
            targets_[static_cast<index_t>(j)] = d.signal(s.position, s.track);
        }
        model_->forward(batch_, cache_);
        const T loss = model_->backward(batch_, targets_, cache_, grads);
        if (!frozen) {
            dense_.step(model_->parameters(), grads.dense);
            avocado_lazy_adam_step(model_->celltype_factors(), grads.celltype, celltype_, opt_.adam);
            avocado_lazy_adam_step(model_->assay_factors(), grads.assay, assay_, opt_.adam);
        }
        for (std::size_t k = 0; k < slots.size(); ++k) {
            const index_t r = base + static_cast<index_t>(k);
            avocado_region<T>& f = model_->region(r);
            const auto& g = grads.regions[static_cast<std::size_t>(r)];
            avocado_lazy_adam_step(f.genome_25, g.genome_25, slots[k].moments.genome_25, opt_.adam);
            avocado_lazy_adam_step(f.genome_250, g.genome_250, slots[k].moments.genome_250, opt_.adam);
            avocado_lazy_adam_step(f.genome_5k, g.genome_5k, slots[k].moments.genome_5k, opt_.adam);
        }
        if (!frozen) ++step_;
        return loss;
    }

    void report_reset()
    {
        since_ = 0;
        since_sum_ = 0;
    }
    void report_step(T loss, const avocado_progress_fn& progress)
    {
        since_sum_ += static_cast<double>(loss);
        ++since_;
        if (progress && opt_.progress_every > 0 && since_ >= opt_.progress_every) {
            progress({epoch_, step_, since_, since_sum_ / static_cast<double>(since_), false});
            report_reset();
        }
    }

    avocado_model<T>* model_;
    avocado_train_options opt_;
    detail::splitmix64 rng_;
    adam<T, cpu_device> dense_;
    avocado_factor_moments<T> celltype_, assay_;
    avocado_cache<T> cache_;
    std::vector<avocado_sample> batch_;
    vector targets_;
    long step_ = 0, epoch_ = 0;
    long since_ = 0;
    double since_sum_ = 0;
};

}  // namespace epilstm
