// Cross-chromosome folds of the downstream evaluation (paper §3.7).
//
// Every chromosome belongs to exactly one fold, so loci of one chromosome are never split between
// training and test data (neighbouring loci share signal; splitting them would leak). Chromosomes
// are shuffled by a seed and dealt round-robin into N folds; with fewer chromosomes than N each
// chromosome is its own fold. For fold i the test set is fold i, the validation set (early
// stopping) is fold (i + 1) mod K, and the training set is every other fold: the three are
// disjoint by construction, and eval/folds tests check it.
//
// Chromosomes held out of the representation's training (a model's held-out chromosomes) are kept
// in folds of their own: no fold mixes a held-out chromosome with one the model was trained on, so
// the test predictions of a held-out fold are scores on loci the model never saw (the report's
// first table). They get a share of the K folds proportional to their share of the chromosomes
// (at least one, at most one per held-out chromosome). Without held-out chromosomes among the
// loci, or with nothing else, the assignment is exactly the plain one.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace epilstm::eval {

/// Which fold each chromosome is in.
struct chromosome_folds {
    std::map<std::string, index_t> fold_of;  ///< chromosome → fold in [0, count)
    index_t count = 0;                       ///< number of folds K
    std::set<index_t> heldout;               ///< folds made of held-out chromosomes only

    bool is_heldout(index_t f) const { return heldout.count(f) != 0; }

    /// Chromosomes of fold f, sorted.
    std::vector<std::string> chromosomes(index_t f) const
    {
        std::vector<std::string> out;
        for (const auto& [c, g] : fold_of)
            if (g == f) out.push_back(c);
        return out;
    }
};

/// Assigns the distinct chromosomes of `chroms` to min(n_folds, #chromosomes) folds,
/// deterministically from `seed` (the same set of chromosomes and seed give the same folds,
/// whatever the order or multiplicity of `chroms`). Chromosomes in `heldout` fill folds of their
/// own (see above); those folds are listed in chromosome_folds::heldout.
inline chromosome_folds make_chromosome_folds(const std::vector<std::string>& chroms, index_t n_folds,
                                              std::uint64_t seed, const std::set<std::string>& heldout = {})
{
    if (n_folds < 1) throw input_error("epilstm: the number of folds must be at least 1, not " + std::to_string(n_folds));
    const std::set<std::string> distinct(chroms.begin(), chroms.end());
    std::vector<std::string> trained, held;
    for (const auto& c : distinct) (heldout.count(c) ? held : trained).push_back(c);
    std::mt19937_64 rng(seed);
    // Fisher–Yates with our own draws: std::shuffle's use of the engine is implementation-defined.
    auto shuffle = [&](std::vector<std::string>& order) {
        for (std::size_t i = order.size(); i > 1; --i) {
            const std::size_t j = static_cast<std::size_t>(rng() % i);
            std::swap(order[i - 1], order[j]);
        }
    };
    chromosome_folds f;
    const index_t n = static_cast<index_t>(distinct.size());
    f.count = std::min<index_t>(n_folds, n);
    if (held.empty() || trained.empty()) {
        std::vector<std::string> order(distinct.begin(), distinct.end());
        shuffle(order);
        for (std::size_t i = 0; i < order.size(); ++i) f.fold_of[order[i]] = static_cast<index_t>(i) % f.count;
        if (!held.empty())
            for (index_t i = 0; i < f.count; ++i) f.heldout.insert(i);
        return f;
    }
    if (f.count < 2) f.count = 2;  // one chromosome of each kind: they must not share a fold
    const index_t nh = static_cast<index_t>(held.size()), nt = static_cast<index_t>(trained.size());
    index_t kh = static_cast<index_t>(std::llround(static_cast<double>(f.count) * static_cast<double>(nh) /
                                                   static_cast<double>(n)));
    kh = std::clamp<index_t>(kh, 1, std::min(nh, f.count - 1));
    const index_t kt = std::min(nt, f.count - kh);
    f.count = kt + kh;
    shuffle(trained);
    shuffle(held);
    for (std::size_t i = 0; i < trained.size(); ++i) f.fold_of[trained[i]] = static_cast<index_t>(i) % kt;
    for (std::size_t i = 0; i < held.size(); ++i) f.fold_of[held[i]] = kt + static_cast<index_t>(i) % kh;
    for (index_t i = kt; i < f.count; ++i) f.heldout.insert(i);
    return f;
}

/// Indices of loci for one fold.
struct fold_split {
    std::vector<std::size_t> train, validation, test;
};

/// The split for fold `i`: test = fold i, validation = fold (i + 1) mod K, train = the rest. With
/// K = 2 there is no fold left to train on beside the validation one, so validation is empty and
/// early stopping is off (the caller sees it); K = 1 gives no training data at all.
inline fold_split split_fold(const chromosome_folds& folds, const std::vector<std::string>& locus_chroms, index_t i)
{
    if (i < 0 || i >= folds.count)
        throw input_error("epilstm: fold " + std::to_string(i) + " out of range [0, " + std::to_string(folds.count) +
                          ")");
    const index_t val = folds.count > 2 ? (i + 1) % folds.count : -1;
    fold_split s;
    for (std::size_t k = 0; k < locus_chroms.size(); ++k) {
        const auto it = folds.fold_of.find(locus_chroms[k]);
        if (it == folds.fold_of.end())
            throw input_error("epilstm: locus " + std::to_string(k) + " is on chromosome " + locus_chroms[k] +
                              ", which is in no fold");
        if (it->second == i)
            s.test.push_back(k);
        else if (it->second == val)
            s.validation.push_back(k);
        else
            s.train.push_back(k);
    }
    return s;
}

}  // namespace epilstm::eval
