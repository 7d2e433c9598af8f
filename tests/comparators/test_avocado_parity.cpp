// Parity of the Avocado model (model/avocado.hpp, read by io/avocado_checkpoint.hpp) with the
// independent PyTorch reference written from COMPARATORS-SPEC (tests/reference/avocado_reference.py)
// on the committed fixture tests/fixtures/avocado (see tests/fixtures/README.md): the same float32
// checkpoint must give the same embedding and reconstruction of every track at every position.
#include <epilstm/io/avocado_checkpoint.hpp>
#include <epilstm/io/hdf5.hpp>

#include <catch2/catch.hpp>

#include "../support/fixtures.hpp"

#include <filesystem>
#include <string>

using namespace epilstm;
namespace fs = std::filesystem;

namespace {

const fs::path fixtures = fs::path(EPILSTM_SOURCE_DIR) / "tests" / "fixtures" / "avocado";

using testing::max_rel;
using testing::read_double;
using testing::rowmajor_d;

template <class T>
void check_regions(double tolerance)
{
    const auto ck = io::read_avocado_checkpoint<T>(fixtures / "avocado.model.h5");
    const fs::path expected = fixtures / "avocado.expected.h5";
    REQUIRE(ck.model.regions().size() == 2);
    for (index_t r = 0; r < 2; ++r) {
        const std::string name = ck.model.region(r).name;
        INFO("region " << name);
        const rowmajor_d rec = ck.model.reconstruct(r, 64).template cast<double>();
        const rowmajor_d emb = ck.model.region_embedding(r).template cast<double>();
        CHECK(max_rel(rec, read_double(expected, "/regions/" + name + "/reconstruction")) <= tolerance);
        // The embedding is a copy of float32 values: exact in both types.
        CHECK(max_rel(emb, read_double(expected, "/regions/" + name + "/embedding")) == 0);
    }
}

}  // namespace

TEST_CASE("the fixture is read as the spec lays it out")
{
    const auto ck = io::read_avocado_checkpoint(fixtures / "avocado.model.h5");
    const avocado_config& c = ck.model.config();
    CHECK(c.celltypes == 2);
    CHECK(c.assays == 3);
    CHECK(c.input_size() == 3 + 4 + 3 + 2 + 2);
    CHECK(c.layers == 2);
    CHECK(c.units == 8);
    CHECK(ck.celltypes == std::vector<std::string>{"E003", "E017"});
    CHECK(ck.assays == std::vector<std::string>{"H3K27me3", "H3K4me3", "H3K9me3"});
    REQUIRE(ck.track_ids.size() == 5);
    CHECK(ck.track_ids[0] == "E017-H3K4me3");
    CHECK(ck.model.tracks()[0] == avocado_track{1, 1});
    CHECK(ck.model.tracks()[1] == avocado_track{0, 0});
    CHECK(ck.model.region(0).name == "chr1_pilot");
    CHECK(ck.model.region(0).chrom == "chr1");
    CHECK(ck.model.region(0).start == 100000);
    CHECK(ck.model.region(0).end == 100000 + 25 * 420);
    CHECK(ck.model.region(0).positions() == 420);
    CHECK(ck.model.region(0).genome_250.cols() == 43);  // Avocado's n/10+1, one above the minimum
    CHECK(ck.model.region(1).positions() == 37);
}

TEST_CASE("float32 reconstruction matches the PyTorch reference (<= 1e-5 relative)") { check_regions<float>(1e-5); }

TEST_CASE("float64 reconstruction matches the PyTorch reference (<= 1e-12 relative)") { check_regions<double>(1e-12); }
