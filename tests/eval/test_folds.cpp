// eval/folds.hpp: no chromosome in two folds, and no test locus in the training or validation set.
#include <epilstm/eval/folds.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

using namespace epilstm::eval;

namespace {
std::vector<std::string> genome_loci()
{
    std::vector<std::string> chroms;
    for (int c = 1; c <= 22; ++c)
        for (int k = 0; k < 3 + c % 4; ++k) chroms.push_back("chr" + std::to_string(c));
    chroms.push_back("chrX");
    return chroms;
}
}  // namespace

TEST_CASE("each chromosome is in exactly one fold; folds are deterministic")
{
    const auto loci = genome_loci();
    const auto f = make_chromosome_folds(loci, 20, 7);
    CHECK(f.count == 20);
    CHECK(f.fold_of.size() == 23);
    std::multiset<std::string> seen;
    for (epilstm::index_t i = 0; i < f.count; ++i) {
        const auto cs = f.chromosomes(i);
        CHECK(!cs.empty());
        seen.insert(cs.begin(), cs.end());
    }
    for (const auto& c : seen) CHECK(seen.count(c) == 1);
    CHECK(seen.size() == 23);
    // Same seed, shuffled input → same folds; another seed → (here) different folds.
    auto rev = loci;
    std::reverse(rev.begin(), rev.end());
    CHECK(make_chromosome_folds(rev, 20, 7).fold_of == f.fold_of);
    CHECK(make_chromosome_folds(loci, 20, 8).fold_of != f.fold_of);
}

TEST_CASE("fewer chromosomes than folds: one fold per chromosome")
{
    const std::vector<std::string> loci{"chr2", "chr1", "chr2", "chr5", "chr9", "chr1"};
    const auto f = make_chromosome_folds(loci, 20, 1);
    CHECK(f.count == 4);
    for (epilstm::index_t i = 0; i < f.count; ++i) CHECK(f.chromosomes(i).size() == 1);
    CHECK_THROWS_AS(make_chromosome_folds(loci, 0, 1), epilstm::input_error);
}

TEST_CASE("no test locus is ever in the training or validation data")
{
    const auto loci = genome_loci();
    for (epilstm::index_t n : {3, 5, 20, 30}) {
        const auto f = make_chromosome_folds(loci, n, 3);
        std::vector<int> tested(loci.size(), 0);
        for (epilstm::index_t i = 0; i < f.count; ++i) {
            const auto s = split_fold(f, loci, i);
            CHECK(s.train.size() + s.validation.size() + s.test.size() == loci.size());
            std::set<std::string> test_chroms, other_chroms;
            for (auto k : s.test) {
                test_chroms.insert(loci[k]);
                ++tested[k];
            }
            for (auto k : s.train) other_chroms.insert(loci[k]);
            for (auto k : s.validation) other_chroms.insert(loci[k]);
            for (const auto& c : test_chroms) CHECK(other_chroms.count(c) == 0);
            std::set<std::size_t> t(s.test.begin(), s.test.end());
            for (auto k : s.train) CHECK(t.count(k) == 0);
            for (auto k : s.validation) CHECK(t.count(k) == 0);
            std::set<std::size_t> v(s.validation.begin(), s.validation.end());
            for (auto k : s.train) CHECK(v.count(k) == 0);
            CHECK(!s.validation.empty());
            CHECK(!s.train.empty());
        }
        // Every locus is tested exactly once over the folds.
        for (int c : tested) CHECK(c == 1);
    }
    const auto f = make_chromosome_folds(loci, 20, 3);
    CHECK_THROWS_AS(split_fold(f, loci, 20), epilstm::input_error);
    CHECK_THROWS_AS(split_fold(f, std::vector<std::string>{"chrUn"}, 0), epilstm::input_error);
}

TEST_CASE("held-out chromosomes get folds of their own")
{
    const auto loci = genome_loci();  // chr1..chr22, chrX: 23 chromosomes
    SECTION("no held-out chromosome among the loci: exactly the plain assignment")
    {
        const auto plain = make_chromosome_folds(loci, 20, 7);
        const auto f = make_chromosome_folds(loci, 20, 7, {"chrY"});
        CHECK(f.fold_of == plain.fold_of);
        CHECK(f.count == plain.count);
        CHECK(f.heldout.empty());
        CHECK(plain.heldout.empty());
    }
    SECTION("a few held out among many: no fold mixes the two kinds")
    {
        const std::set<std::string> held{"chr7", "chr8", "chr9", "chrX"};
        for (epilstm::index_t n : {3, 5, 10, 20, 30}) {
            const auto f = make_chromosome_folds(loci, n, 3, held);
            CHECK(f.count == std::min<epilstm::index_t>(n, 23));
            CHECK(f.fold_of.size() == 23);
            CHECK(!f.heldout.empty());
            // a share of the folds about proportional to 4 of 23 chromosomes, at least 1, at most 4
            CHECK(static_cast<epilstm::index_t>(f.heldout.size()) ==
                  std::clamp<epilstm::index_t>(std::llround(static_cast<double>(f.count) * 4.0 / 23.0), 1, 4));
            for (epilstm::index_t i = 0; i < f.count; ++i) {
                const auto cs = f.chromosomes(i);
                CHECK(!cs.empty());
                for (const auto& c : cs) CHECK(f.is_heldout(i) == (held.count(c) == 1));
            }
            // Test, validation and training data stay disjoint.
            for (epilstm::index_t i = 0; i < f.count; ++i) {
                const auto s = split_fold(f, loci, i);
                CHECK(s.train.size() + s.validation.size() + s.test.size() == loci.size());
                CHECK(!s.test.empty());
            }
        }
        // Deterministic, and the seed matters.
        CHECK(make_chromosome_folds(loci, 10, 3, held).fold_of == make_chromosome_folds(loci, 10, 3, held).fold_of);
        CHECK(make_chromosome_folds(loci, 10, 4, held).fold_of != make_chromosome_folds(loci, 10, 3, held).fold_of);
    }
    SECTION("one held out among three: one fold each")
    {
        const std::vector<std::string> few{"chr1", "chr2", "chr12", "chr12", "chr1"};
        const auto f = make_chromosome_folds(few, 4, 5, {"chr12"});
        CHECK(f.count == 3);
        CHECK(f.heldout == std::set<epilstm::index_t>{2});
        CHECK(f.fold_of.at("chr12") == 2);
    }
    SECTION("every chromosome held out: every fold is a held-out fold")
    {
        const std::vector<std::string> few{"chr1", "chr2", "chr3"};
        const auto f = make_chromosome_folds(few, 3, 5, {"chr1", "chr2", "chr3"});
        CHECK(f.fold_of == make_chromosome_folds(few, 3, 5).fold_of);
        CHECK(f.heldout.size() == 3);
    }
}
