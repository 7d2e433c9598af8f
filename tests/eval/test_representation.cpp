// eval/representation.hpp: features are window means; loci off the representation are counted.
#include <epilstm/eval/representation.hpp>
#include <epilstm/eval/score_correlation.hpp>
#include <epilstm/io/embedding_file.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <cmath>

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

TEST_CASE("bin scores: a BED's covered fraction counts overlapping records once; a bedGraph's mean", "[eval]")
{
    epilstm::eval::representation r;
    r.width = 1;
    r.regions.push_back({"r", "chr1", 1000, 1100, 25, epilstm::eval::row_matrix::Zero(4, 1)});
    using epilstm::eval::interval;
    // Bin 0 [1000, 1025) covered by two overlapping records; bin 1 half; bins 2-3 not at all.
    const std::vector<interval> bed{{"chr1", 990, 1020, 1}, {"chr1", 1005, 1025, 1}, {"chr1", 1030, 1042, 1},
                                    {"chr1", 1035, 1037, 1}, {"chr2", 1000, 1100, 1}};
    const auto u = epilstm::eval::covered_union(bed);
    REQUIRE(u.size() == 3);
    CHECK((u[0].start == 990 && u[0].end == 1025));
    CHECK((u[1].start == 1030 && u[1].end == 1042));
    const auto s = epilstm::eval::bin_scores(r, u, epilstm::eval::uncovered_bases::zero);
    REQUIRE(s.size() == 1);
    CHECK(s[0][0] == Approx(1.0));
    CHECK(s[0][1] == Approx(12.0 / 25));
    CHECK(s[0][2] == 0);
    // Without the union the overlaps add up (bin_scores' documented rule for values).
    CHECK(epilstm::eval::bin_scores(r, bed, epilstm::eval::uncovered_bases::zero)[0][0] == Approx(40.0 / 25));
    const std::vector<interval> graph{{"chr1", 1000, 1010, 2.0}, {"chr1", 1010, 1025, 4.0}, {"chr1", 1050, 1060, -1.0}};
    const auto g = epilstm::eval::bin_scores(r, graph, epilstm::eval::uncovered_bases::missing);
    CHECK(g[0][0] == Approx((10 * 2.0 + 15 * 4.0) / 25));
    CHECK(std::isnan(g[0][1]));
    CHECK(g[0][2] == Approx(-1.0));
}

TEST_CASE("an embedding file with impossible coordinates is refused before any arithmetic on them", "[eval]")
{
    // Found by tests/fuzz/fuzz_hdf5_files: end - start overflowed for start = 5.8e18, end = -9.2e18.
    const auto dir = std::filesystem::temp_directory_path() / ("epilstm_rep_coords_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = dir / "e.h5";
    {
        epilstm::io::embedding_writer w(file, 2, 25, "m.h5", "s.h5", 1);
        w.begin_region("r1", "chr1", 0, 100, 25, 4);
        const std::vector<float> rows(8, 1.f);
        w.write_rows(0, 4, rows.data());
        w.commit();
    }
    CHECK(read_embedding_representation(file).regions.size() == 1);
    {
        H5::H5File f(file.string(), H5F_ACC_RDWR);
        H5::Group g = f.openGroup("/regions/r1");
        g.removeAttr("start");
        const long long v = 5805770448205402274LL;
        g.createAttribute("start", H5::PredType::STD_I64LE, H5::DataSpace()).write(H5::PredType::NATIVE_LLONG, &v);
    }
    CHECK_THROWS_WITH(read_embedding_representation(file),
                      Catch::Contains("e.h5: /regions/r1: coordinates start 5805770448205402274, end 100") &&
                          Catch::Contains("expected 0 <= start <= end"));
    std::filesystem::remove_all(dir);
}
