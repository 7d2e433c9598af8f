// eval/representation.hpp: features are window means; loci off the representation are counted.
#include <epilstm/eval/representation.hpp>

#include <catch2/catch.hpp>

using namespace epilstm::eval;

TEST_CASE("features average the bins a window overlaps; unusable loci are counted by reason")
{
    representation rep;
    rep.width = 2;
    represented_region r;
    r.name = "R";
    r.chrom = "chr1";
    r.start = 1000;
    r.end = 1100;
    r.bin_size = 25;
    r.rows.resize(4, 2);
    r.rows << 0, 10, 1, 11, 2, 12, 3, 13;
    rep.regions.push_back(r);

    label_set s;
    s.loci = {{"chr1", 1000, 1001, 1, "a"},  // bin 0
              {"chr1", 1010, 1060, 0, "b"},  // bins 0..2
              {"chr1", 1075, 1100, 1, "c"},  // bin 3
              {"chr2", 1000, 1010, 0, "d"},  // absent chromosome
              {"chr1", 1090, 1200, 1, "e"},  // runs past the region
              {"chr1", 10, 20, 0, "f"}};     // before it
    const auto f = extract_features(rep, s);
    REQUIRE(f.kept == std::vector<std::size_t>{0, 1, 2});
    CHECK(f.x(0, 0) == 0.f);
    CHECK(f.x(1, 0) == Approx(1.0));
    CHECK(f.x(1, 1) == Approx(11.0));
    CHECK(f.x(2, 1) == 13.f);
    CHECK(f.skipped.at("chromosome chr2 absent from the representation") == 1);
    CHECK(f.skipped.at("outside the embedded regions") == 2);
}
