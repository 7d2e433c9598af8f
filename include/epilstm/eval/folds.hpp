// Cross-chromosome folds of the downstream evaluation (paper §3.7).
//
// Every chromosome belongs to exactly one fold, so loci of one chromosome are never split between
// training and test data (neighbouring loci share signal; splitting them would leak). Chromosomes
// are shuffled by a seed and dealt round-robin into N folds; with fewer chromosomes than N each
// chromosome is its own fold. For fold i the test set is fold i, the validation set (early
// stopping) is fold (i + 1) mod K, and the training set is every other fold: the three are
// disjoint by construction, and eval/folds tests check it.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <algorithm>
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
/// whatever the order or multiplicity of `chroms`).
inline chromosome_folds make_chromosome_folds(const std::vector<std::string>& chroms, index_t n_folds,
                                              std::uint64_t seed)
{
    if (n_folds < 1) throw input_error("epilstm: the number of folds must be at least 1, not " + std::to_string(n_folds));
    const std::set<std::string> distinct(chroms.begin(), chroms.end());
    std::vector<std::string> order(distinct.begin(), distinct.end());
    std::mt19937_64 rng(seed);
    // Fisher–Yates with our own draws: std::shuffle's use of the engine is implementation-defined.
    for (std::size_t i = order.size(); i > 1; --i) {
        const std::size_t j = static_cast<std::size_t>(rng() % i);
        std::swap(order[i - 1], order[j]);
    }
    chromosome_folds f;
    f.count = std::min<index_t>(n_folds, static_cast<index_t>(order.size()));
    for (std::size_t i = 0; i < order.size(); ++i) f.fold_of[order[i]] = static_cast<index_t>(i) % f.count;
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
