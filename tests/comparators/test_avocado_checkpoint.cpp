// Tests for io/avocado_checkpoint.hpp: an exact round trip, the layout on disk, one test per
// validation error of the reader (each message names the file, the dataset and what was
// expected), the writer's refusals, and atomic writes.
#include <epilstm/io/avocado_checkpoint.hpp>

#include <catch2/catch.hpp>

#include "../support/scratch.hpp"

#include <H5Cpp.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace epilstm;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using epilstm::testing::message_of;
using epilstm::testing::slurp;
using temp_dir = epilstm::testing::temp_dir;

namespace {

avocado_config small_config()
{
    avocado_config c;
    c.celltypes = 2;
    c.assays = 2;
    c.celltype_factors = 2;
    c.assay_factors = 3;
    c.genome_25_factors = 2;
    c.genome_250_factors = 2;
    c.genome_5k_factors = 2;
    c.layers = 2;
    c.units = 4;
    return c;
}

io::avocado_checkpoint<float> small_checkpoint()
{
    const auto map = make_avocado_track_map({"K562", "GM12878", "K562"}, {"H3K4me3", "H3K4me3", "H3K27ac"});
    avocado_model<float> m(small_config(), map.tracks);
    m.add_region(m.make_region("chr1_a", "chr1", 1000, 1000 + 25 * 21, 21));    // m10 = 3
    m.add_region(m.make_region("chr2_b", "chr2", 0, 25 * 401, 401));            // m200 = 3
    m.initialize(77);
    for (const auto& t : m.layout().tensors())  // nonzero biases (the alignment padding stays 0)
        for (index_t i = t.offset; i < t.offset + t.size(); ++i) m.parameters()[i] += 0.001f * static_cast<float>(i % 7);
    return {{"t_k562_k4", "t_gm_k4", "t_k562_27ac"}, map.celltypes, map.assays, std::move(m)};
}

/// A valid file to break.
fs::path good_file(const temp_dir& d)
{
    const fs::path p = d / "good.h5";
    io::write_avocado_checkpoint(p, small_checkpoint());
    return p;
}

void replace_floats(const fs::path& p, const std::string& name, const std::vector<hsize_t>& dims,
                    const std::vector<float>& values)
{
    H5::H5File f(p.c_str(), H5F_ACC_RDWR);
    if (f.nameExists(name)) f.unlink(name);
    H5::DataSet ds = f.createDataSet(name, H5::PredType::IEEE_F32LE, H5::DataSpace(static_cast<int>(dims.size()), dims.data()));
    ds.write(values.data(), H5::PredType::NATIVE_FLOAT);
}

void replace_strings(const fs::path& p, const std::string& name, const std::vector<std::string>& values)
{
    H5::H5File f(p.c_str(), H5F_ACC_RDWR);
    if (f.nameExists(name)) f.unlink(name);
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    const hsize_t dims[1] = {values.size()};
    H5::DataSet ds = f.createDataSet(name, type, H5::DataSpace(1, dims));
    std::vector<const char*> ptrs;
    for (const auto& s : values) ptrs.push_back(s.c_str());
    ds.write(ptrs.data(), type);
}

void remove(const fs::path& p, const std::string& name)
{
    H5::H5File f(p.c_str(), H5F_ACC_RDWR);
    f.unlink(name);
}

void move(const fs::path& p, const std::string& from, const std::string& to)
{
    H5::H5File f(p.c_str(), H5F_ACC_RDWR);
    f.move(from, to);
}

std::string read_error(const fs::path& p)
{
    return message_of([&] { (void)io::read_avocado_checkpoint(p); });
}

}  // namespace

TEST_CASE("a checkpoint round-trips exactly")
{
    temp_dir d;
    const auto ck = small_checkpoint();
    const fs::path p = d / "a.h5";
    io::write_avocado_checkpoint(p, ck);
    const auto back = io::read_avocado_checkpoint(p);
    CHECK(back.track_ids == ck.track_ids);
    CHECK(back.celltypes == std::vector<std::string>{"GM12878", "K562"});
    CHECK(back.assays == std::vector<std::string>{"H3K27ac", "H3K4me3"});
    CHECK(back.model.config() == ck.model.config());
    CHECK(back.model.tracks() == ck.model.tracks());
    CHECK(back.model.parameters() == ck.model.parameters());
    CHECK(back.model.celltype_factors() == ck.model.celltype_factors());
    CHECK(back.model.assay_factors() == ck.model.assay_factors());
    REQUIRE(back.model.regions().size() == 2);
    for (index_t r = 0; r < 2; ++r) {
        const auto &a = back.model.region(r), &b = ck.model.region(r);
        CHECK(a.name == b.name);
        CHECK(a.chrom == b.chrom);
        CHECK(a.start == b.start);
        CHECK(a.end == b.end);
        CHECK(a.genome_25 == b.genome_25);
        CHECK(a.genome_250 == b.genome_250);
        CHECK(a.genome_5k == b.genome_5k);
    }
    CHECK(back.model.reconstruct(1) == ck.model.reconstruct(1));
    // The same bytes when written again.
    io::write_avocado_checkpoint(d / "b.h5", back);
    CHECK(io::read_avocado_checkpoint(d / "b.h5").model.parameters() == ck.model.parameters());
}

TEST_CASE("the layout on disk is the spec's: row-major factors, weights [out, in], track names")
{
    temp_dir d;
    const auto ck = small_checkpoint();
    const fs::path p = good_file(d);
    io::input_file f(p);
    CHECK(f.read_string_attribute("/", "format") == "avocado-checkpoint");
    CHECK(f.read_int_attribute("/", "version") == 1);
    CHECK(f.read_strings("/tracks/cell_type") == std::vector<std::string>{"K562", "GM12878", "K562"});
    CHECK(f.read_strings("/tracks/assay") == std::vector<std::string>{"H3K4me3", "H3K4me3", "H3K27ac"});
    const auto ct = f.read_matrix("/celltype_factors", 2, 2);
    CHECK(ct(1, 0) == ck.model.celltype_factors()(0, 1));  // row = cell type
    const auto g250 = f.read_matrix("/regions/chr1_a/genome_250", 3, 2);
    CHECK(g250(2, 1) == ck.model.region(0).genome_250(1, 2));
    const auto w0 = f.read_matrix("/dense/0/W", 4, 11);
    CHECK(w0(3, 10) == ck.model.weight(0)(3, 10));
    CHECK(w0(1, 7) == ck.model.weight(0)(1, 7));
    CHECK(f.read_matrix("/out/W", 1, 4)(0, 2) == ck.model.out_weight()(0, 2));
    CHECK(f.read_vector("/out/b", 1).size() == 1);
    CHECK(f.read_vector("/dense/1/b", 4) == ck.model.bias(1));
    CHECK(f.read_string_attribute("/regions/chr2_b", "chrom") == "chr2");
    CHECK(f.read_int_attribute("/regions/chr2_b", "end") == 25 * 401);
}

TEST_CASE("a missing dataset is named")
{
    temp_dir d;
    const fs::path p = good_file(d);
    remove(p, "/assay_factors");
    const std::string m = read_error(p);
    CHECK_THAT(m, Contains(p.string()) && Contains("dataset /assay_factors not found"));
}

TEST_CASE("a wrong format attribute is refused")
{
    temp_dir d;
    const fs::path p = d / "other.h5";
    {
        io::atomic_output_file out(p);
        out.write_string_attribute("/", "format", "epilstm-checkpoint");
        out.commit();
    }
    CHECK_THAT(read_error(p), Contains("is not an avocado checkpoint (attribute 'format' is 'epilstm-checkpoint'"));
}

TEST_CASE("/dense/0/W's input width must be the sum of the factor widths")
{
    temp_dir d;
    const fs::path p = good_file(d);
    replace_floats(p, "/dense/0/W", {4, 10}, std::vector<float>(40, 0.1f));
    const std::string m = read_error(p);
    CHECK_THAT(m, Contains(p.string()) && Contains("dataset /dense/0/W has shape [4, 10], expected [4, 11]") &&
                      Contains("cell type 2 + assay 3 + genome 2 + 2 + 2"));
}

TEST_CASE("a later layer whose input is not the previous layer's output")
{
    temp_dir d;
    const fs::path p = good_file(d);
    replace_floats(p, "/dense/1/W", {4, 5}, std::vector<float>(20, 0.1f));
    CHECK_THAT(read_error(p), Contains(p.string()) && Contains("dataset /dense/1/W has shape [4, 5], expected [4, 4]"));
}

TEST_CASE("/out/W must be [1, N]")
{
    temp_dir d;
    const fs::path p = good_file(d);
    replace_floats(p, "/out/W", {2, 4}, std::vector<float>(8, 0.1f));
    CHECK_THAT(read_error(p), Contains("dataset /out/W has shape [2, 4], expected [1, 4]"));
}

TEST_CASE("m10 too small for n")
{
    temp_dir d;
    const fs::path p = good_file(d);
    replace_floats(p, "/regions/chr1_a/genome_250", {2, 2}, std::vector<float>(4, 0.1f));
    CHECK_THAT(read_error(p), Contains(p.string()) &&
                                  Contains("dataset /regions/chr1_a/genome_250 has 2 rows, expected at least 3 "
                                           "(floor((n-1)/10)+1) for the 21 positions"));
}

TEST_CASE("m200 too small for n")
{
    temp_dir d;
    const fs::path p = good_file(d);
    replace_floats(p, "/regions/chr2_b/genome_5k", {2, 2}, std::vector<float>(4, 0.1f));
    CHECK_THAT(read_error(p), Contains("dataset /regions/chr2_b/genome_5k has 2 rows, expected at least 3 "
                                       "(floor((n-1)/200)+1) for the 401 positions"));
}

TEST_CASE("a region whose factor width differs from the first region's")
{
    temp_dir d;
    const fs::path p = good_file(d);
    replace_floats(p, "/regions/chr2_b/genome_25", {401, 3}, std::vector<float>(401 * 3, 0.1f));
    CHECK_THAT(read_error(p), Contains("dataset /regions/chr2_b/genome_25 has shape [401, 3], expected [*, 2]"));
}

TEST_CASE("a track whose cell type is not in /celltypes")
{
    temp_dir d;
    const fs::path p = good_file(d);
    replace_strings(p, "/tracks/cell_type", {"K562", "HepG2", "K562"});
    CHECK_THAT(read_error(p), Contains(p.string()) &&
                                  Contains("dataset /tracks/cell_type names 'HepG2' for track 1 ('t_gm_k4'), which is "
                                           "not in /celltypes"));
}

TEST_CASE("a track whose assay is not in /assays")
{
    temp_dir d;
    const fs::path p = good_file(d);
    replace_strings(p, "/tracks/assay", {"H3K4me3", "H3K4me3", "CTCF"});
    CHECK_THAT(read_error(p), Contains("dataset /tracks/assay names 'CTCF' for track 2"));
}

TEST_CASE("track lists of different lengths")
{
    temp_dir d;
    const fs::path p = good_file(d);
    replace_strings(p, "/tracks/assay", {"H3K4me3", "H3K4me3"});
    CHECK_THAT(read_error(p), Contains("/tracks/id has 3 tracks but /tracks/cell_type has 3 and /tracks/assay 2"));
}

TEST_CASE("/celltypes not sorted")
{
    temp_dir d;
    const fs::path p = good_file(d);
    replace_strings(p, "/celltypes", {"K562", "GM12878"});
    CHECK_THAT(read_error(p), Contains("dataset /celltypes is not sorted without repeats: 'K562' (index 0) then "
                                       "'GM12878' (index 1)"));
}

TEST_CASE("/celltype_factors with a row count other than /celltypes'")
{
    temp_dir d;
    const fs::path p = good_file(d);
    replace_floats(p, "/celltype_factors", {3, 2}, std::vector<float>(6, 0.1f));
    CHECK_THAT(read_error(p), Contains("dataset /celltype_factors has shape [3, 2], expected [2, *]"));
}

TEST_CASE("a non-finite value")
{
    temp_dir d;
    const fs::path p = good_file(d);
    std::vector<float> v(21 * 2, 0.1f);
    v[5] = std::numeric_limits<float>::quiet_NaN();
    replace_floats(p, "/regions/chr1_a/genome_25", {21, 2}, v);
    CHECK_THAT(read_error(p), Contains(p.string()) &&
                                  Contains("dataset /regions/chr1_a/genome_25 has a non-finite value (NaN) at row 2, "
                                           "column 1"));
    const fs::path q = good_file(d);
    std::vector<float> w(4, 0.1f);
    w[3] = std::numeric_limits<float>::infinity();
    replace_floats(q, "/dense/1/b", {4}, w);
    CHECK_THAT(read_error(q), Contains("dataset /dense/1/b has a non-finite value (+inf) at index 3"));
}

TEST_CASE("a missing region attribute")
{
    temp_dir d;
    const fs::path p = good_file(d);
    {
        H5::H5File f(p.c_str(), H5F_ACC_RDWR);
        f.openGroup("/regions/chr2_b").removeAttr("chrom");
    }
    CHECK_THAT(read_error(p), Contains("attribute 'chrom' of /regions/chr2_b is missing"));
}

TEST_CASE("no region at all")
{
    temp_dir d;
    const fs::path p = good_file(d);
    remove(p, "/regions/chr1_a");
    remove(p, "/regions/chr2_b");
    CHECK_THAT(read_error(p), Contains("group /regions is empty; expected at least one region"));
}

TEST_CASE("dense groups that are not numbered 0..L-1")
{
    temp_dir d;
    const fs::path p = good_file(d);
    move(p, "/dense/1", "/dense/2");
    CHECK_THAT(read_error(p), Contains("group /dense/1 not found; /dense has 2 members, expected groups named 0..1"));
}

TEST_CASE("the writer refuses names that do not fit the model, and leaves the previous file")
{
    temp_dir d;
    const fs::path p = good_file(d);
    const std::string before = slurp(p);
    auto ck = small_checkpoint();
    auto e1 = message_of([&] { io::write_avocado_checkpoint(p, ck.model, {"a", "b"}, ck.celltypes, ck.assays); });
    CHECK_THAT(e1, Contains(p.string()) && Contains("2 track ids for a model of 3 tracks"));
    auto e2 = message_of([&] { io::write_avocado_checkpoint(p, ck.model, ck.track_ids, {"K562", "GM12878"}, ck.assays); });
    CHECK_THAT(e2, Contains("the cell type list is not sorted"));
    ck.model.add_region(ck.model.make_region("bad/name", "chr3", 0, 25, 1));
    auto e3 = message_of([&] { io::write_avocado_checkpoint(p, ck); });
    CHECK_THAT(e3, Contains("region name 'bad/name' cannot be an HDF5 group name"));
    auto ck2 = small_checkpoint();
    ck2.model.region(0).genome_5k(0, 0) = std::numeric_limits<float>::quiet_NaN();
    auto e4 = message_of([&] { io::write_avocado_checkpoint(p, ck2); });
    CHECK_THAT(e4, Contains("region 'chr1_a' genome_5k has a non-finite value"));
    CHECK(slurp(p) == before);
    CHECK(d.entries() == std::vector<std::string>{"good.h5"});
}

TEST_CASE("a float64 model is written as float32 and read back in either type")
{
    temp_dir d;
    const auto ck = small_checkpoint();
    const avocado_model<double> md = ck.model.cast<double>();
    io::write_avocado_checkpoint(d / "d.h5", md, ck.track_ids, ck.celltypes, ck.assays);
    const auto back = io::read_avocado_checkpoint<double>(d / "d.h5");
    CHECK(back.model.parameters() == md.parameters());
    CHECK(back.model.region(1).genome_25 == md.region(1).genome_25);
    CHECK(io::read_avocado_checkpoint(d / "d.h5").model.parameters() == ck.model.parameters());
}
