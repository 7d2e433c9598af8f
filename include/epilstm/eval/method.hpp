// What `epilstm evaluate` compares: a representation method turns the transformed signal of a
// store into a per-position representation. Each method has a name, a width (features per
// position), is fitted on the store's training regions and then embeds any region, the held-out
// ones included:
//
//   raw-signal      the signal itself (signal_method)
//   pca             the signal projected on its first k principal components (pca_method)
//   epi-lstm        a trained model's embedding, read from `epilstm embed`'s file
//                   (embedding_file_method) or computed in memory (model_method, eval/model_method.hpp)
//   random-weights  the same architecture, untrained (random_weights_method, eval/model_method.hpp)
//   majority        no features: the classifier scores every locus by the training positive rate
//
// A comparator (Avocado, REFINED+CNN, ...) is one more implementation: fit() trains it on the
// training regions of the signal, embed_region() represents a region. The evaluation driver
// (eval/report.hpp) fits every method, embeds every evaluated region and scores the results.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/eval/pca.hpp>
#include <epilstm/eval/representation.hpp>
#include <epilstm/io/embedding_file.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace epilstm::eval {

/// Which regions of a signal a method may learn from (empty: every region).
using region_filter = std::function<bool(const represented_region&)>;

/// What a method's fit() learns from, for the report's "fitted on".
enum class fit_scope {
    nothing,           ///< fit() learns nothing from the signal (a file, a model trained elsewhere, the signal itself)
    training_regions,  ///< the regions fit()'s filter accepts
    every_region,      ///< every region given to fit(), held-out ones included
};

/// A way of representing the signal of a store, position by position.
class representation_method {
public:
    virtual ~representation_method() = default;

    /// The method's name in tables, plots and TSV files ("epi-lstm", "pca", ...).
    virtual std::string name() const = 0;
    /// A phrase for the report's list of methods ("the signal's first 16 principal components").
    virtual std::string description() const = 0;
    /// Features per position; final after fit(). 0: no features (the majority baseline).
    virtual index_t width() const = 0;
    /// What fit() learns from (the report says so).
    virtual fit_scope scope() const { return fit_scope::nothing; }
    /// Learns whatever the method learns from the regions of `signal` that `training` accepts;
    /// `signal` is the store's transformed signal ([positions, tracks] per region).
    virtual void fit(const representation& signal, const region_filter& training) = 0;
    /// The representation of one region of the signal ([positions, width()]); any region, not
    /// only those fit() learned from.
    virtual represented_region embed_region(const represented_region& signal) const = 0;
    /// Every region of `signal`, in order (by default region by region).
    virtual representation embed(const representation& signal) const
    {
        representation out{name(), width(), {}};
        out.regions.reserve(signal.regions.size());
        for (const auto& g : signal.regions) out.regions.push_back(embed_region(g));
        return out;
    }
};

using method_list = std::vector<std::unique_ptr<representation_method>>;

namespace detail {
/// A region with the coordinates of `g` and the given rows.
inline represented_region with_rows(const represented_region& g, row_matrix rows)
{
    return {g.name, g.chrom, g.start, g.end, g.bin_size, std::move(rows)};
}
}  // namespace detail

/// The transformed signal itself, one feature per track.
class signal_method final : public representation_method {
public:
    explicit signal_method(std::string name = "raw-signal") : name_(std::move(name)) {}
    std::string name() const override { return name_; }
    std::string description() const override { return "the transformed signal averaged the same way"; }
    index_t width() const override { return width_; }
    void fit(const representation& signal, const region_filter&) override { width_ = signal.width; }
    represented_region embed_region(const represented_region& g) const override
    {
        check_width(g);
        return g;
    }
    representation embed(const representation& signal) const override
    {
        for (const auto& g : signal.regions) check_width(g);
        return signal;  // the same rows; keeps the signal's source for error messages
    }

private:
    void check_width(const represented_region& g) const
    {
        if (g.rows.cols() != width_)
            throw shape_error("epilstm: " + name_ + ": region " + g.name + " has " + std::to_string(g.rows.cols()) +
                              " tracks, fitted on " + std::to_string(width_));
    }
    std::string name_;
    index_t width_ = 0;
};

/// The signal projected on its first k principal components (eval/pca.hpp).
class pca_method final : public representation_method {
public:
    /// Which regions the components are fitted on.
    enum class fit_on {
        training_regions,  ///< those fit()'s filter accepts (`epilstm evaluate`'s pca row: the
                           ///< regions the model was trained on)
        every_region,      ///< every region given to fit(), held-out ones included: an unsupervised
                           ///< projection of every evaluated position
    };

    explicit pca_method(index_t components, fit_on scope = fit_on::training_regions, std::string name = "pca")
        : k_(components), scope_(scope), name_(std::move(name))
    {
        if (k_ < 1) throw input_error("epilstm: PCA needs at least one component");
    }
    std::string name() const override { return name_; }
    std::string description() const override
    {
        return "the signal's first " + std::to_string(k_) + " principal components";
    }
    index_t width() const override { return fitted_ ? model_.dimensions() : k_; }
    fit_scope scope() const override
    {
        return scope_ == fit_on::every_region ? fit_scope::every_region : fit_scope::training_regions;
    }
    void fit(const representation& signal, const region_filter& training) override
    {
        model_ = fit_pca(signal, k_, scope_ == fit_on::every_region ? region_filter{} : training);
        source_ = signal.source + " (PCA)";
        fitted_ = true;
    }
    represented_region embed_region(const represented_region& g) const override
    {
        check_fitted();
        return detail::with_rows(g, model_.project(g.rows));
    }
    representation embed(const representation& signal) const override
    {
        check_fitted();
        representation out = model_.project(signal);
        out.source = source_;
        return out;
    }
    const pca_model& model() const { return model_; }

private:
    void check_fitted() const
    {
        if (!fitted_) throw input_error("epilstm: " + name_ + ": embed() before fit()");
    }
    index_t k_;
    fit_on scope_;
    std::string name_, source_;
    pca_model model_;
    bool fitted_ = false;
};

/// A representation computed elsewhere and read from `epilstm embed`'s file: it embeds the
/// regions the file holds (looked up by name, coordinates checked) and nothing else.
class embedding_file_method final : public representation_method {
public:
    explicit embedding_file_method(const std::filesystem::path& path, std::string name = "epi-lstm",
                                   std::string description = "the representation")
        : path_(path.string()), name_(std::move(name)), description_(std::move(description)),
          rep_(read_embedding_representation(path)), provenance_(io::read_embedding_provenance(path))
    {
        index();
    }
    /// The same, from a representation already in memory (`source` names it in errors).
    embedding_file_method(representation rep, std::string name, std::string description)
        : path_(rep.source), name_(std::move(name)), description_(std::move(description)), rep_(std::move(rep))
    {
        index();
    }
    std::string name() const override { return name_; }
    std::string description() const override { return description_; }
    index_t width() const override { return rep_.width; }
    void fit(const representation&, const region_filter&) override {}
    represented_region embed_region(const represented_region& g) const override
    {
        const auto it = by_name_.find(g.name);
        const represented_region* e = it == by_name_.end() ? nullptr : &rep_.regions[it->second];
        if (!e || e->chrom != g.chrom || e->start != g.start || e->end != g.end)
            throw input_error(path_ + ": holds no region " + g.name + " at " + g.chrom + ":" + std::to_string(g.start) +
                              "-" + std::to_string(g.end) + " (was the embedding made from this store?)");
        return *e;
    }
    representation embed(const representation& signal) const override
    {
        representation out = representation_method::embed(signal);
        out.source = rep_.source;
        return out;
    }
    /// What the file holds: its regions are the ones it can embed.
    const representation& file() const { return rep_; }
    /// How the file was made (model, its checksum, streams); empty for one built in memory.
    const io::embedding_provenance& provenance() const { return provenance_; }

private:
    void index()
    {
        for (std::size_t k = 0; k < rep_.regions.size(); ++k) by_name_.emplace(rep_.regions[k].name, k);
    }
    std::string path_, name_, description_;
    representation rep_;
    io::embedding_provenance provenance_;
    std::map<std::string, std::size_t> by_name_;
};

/// No features at all: every test locus is scored by its fold's training positive rate
/// (eval/cross_validation.hpp treats a zero-width representation so). AP = positive rate.
class majority_method final : public representation_method {
public:
    std::string name() const override { return "majority"; }
    std::string description() const override
    {
        return "every locus scored by the training positive rate: AP = positive rate, AUROC = 0.5";
    }
    index_t width() const override { return 0; }
    void fit(const representation&, const region_filter&) override {}
    represented_region embed_region(const represented_region& g) const override
    {
        return detail::with_rows(g, row_matrix(g.rows.rows(), 0));
    }
};

/// The store's signal over the regions of `regions` (a representation made from this store, e.g.
/// an embedding file), in that order. Throws when one of them is not in the store with the same
/// coordinates; `regions_name`/`store_name` name both in the message.
inline representation signal_over(const representation& store_signal, const representation& regions,
                                  const std::string& regions_name, const std::string& store_name)
{
    std::map<std::string, std::size_t> by_name;
    for (std::size_t k = 0; k < store_signal.regions.size(); ++k) by_name.emplace(store_signal.regions[k].name, k);
    representation out{store_signal.source, store_signal.width, {}};
    out.regions.reserve(regions.regions.size());
    for (const auto& g : regions.regions) {
        const auto it = by_name.find(g.name);
        const represented_region* s = it == by_name.end() ? nullptr : &store_signal.regions[it->second];
        if (!s || s->chrom != g.chrom || s->start != g.start || s->end != g.end)
            throw input_error(regions_name + ": region " + g.name + " is not in " + store_name +
                              " with the same coordinates (was the embedding made from this store?)");
        out.regions.push_back(*s);
    }
    return out;
}

/// The regions of `r` on the given chromosomes.
template <class Set>
representation on_chromosomes(const representation& r, const Set& chroms)
{
    representation out{r.source, r.width, {}};
    for (const auto& g : r.regions)
        if (chroms.count(g.chrom)) out.regions.push_back(g);
    return out;
}

/// A method's representation of every evaluated region.
struct embedded_method {
    std::string name, description;
    representation rep;
    fit_scope scope = fit_scope::nothing;
    index_t fitted_regions = 0;      ///< regions fit() learned from (0 for fit_scope::nothing)
    index_t fitted_positions = 0;
    bool has_features() const { return rep.width > 0; }
};

/// Fits each method on the regions of `signal` that `training` accepts, then embeds every region
/// of `signal`. `log` (optional) hears the name of each method before it is fitted. Records what
/// each one was fitted on (its scope, and how many regions and positions that is).
inline std::vector<embedded_method> fit_and_embed(const method_list& methods, const representation& signal,
                                                  const region_filter& training,
                                                  const std::function<void(const representation_method&)>& log = {})
{
    std::vector<embedded_method> out;
    for (const auto& m : methods) {
        if (log) log(*m);
        m->fit(signal, training);
        representation rep = m->embed(signal);
        if (rep.width != m->width() || rep.regions.size() != signal.regions.size())
            throw shape_error("epilstm: method " + m->name() + " gave a representation of " +
                              std::to_string(rep.regions.size()) + " regions, " + std::to_string(rep.width) +
                              " wide; expected " + std::to_string(signal.regions.size()) + " regions, " +
                              std::to_string(m->width()) + " wide");
        embedded_method e{m->name(), m->description(), std::move(rep), m->scope(), 0, 0};
        for (const auto& g : signal.regions)
            if (e.scope == fit_scope::every_region || (e.scope == fit_scope::training_regions && (!training || training(g))))
                ++e.fitted_regions, e.fitted_positions += static_cast<index_t>(g.rows.rows());
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace epilstm::eval
