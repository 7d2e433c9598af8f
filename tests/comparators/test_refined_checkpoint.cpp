// Tests for io/refined_checkpoint.hpp: the round trip of the REFINED part (alone and with another
// group beside it, as the CNN will add), the layout on disk as h5py sees it, and one test per
// invalid input, each checking that the message names the file and the dataset or attribute.
#include <epilstm/io/refined_checkpoint.hpp>

#include <catch2/catch.hpp>

#include "../support/scratch.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace io = epilstm::io;
using epilstm::index_t;
using epilstm::refined_placement;
using Catch::Matchers::Contains;
using epilstm::testing::message_of;
using temp_dir = epilstm::testing::temp_dir;

namespace {

const std::vector<std::string> five = {"E003-H3K4me3", "E003-H3K27ac", "E004-H3K4me3", "E004-H3K27ac", "E005-DNase"};

/// A file with what write_refined_part writes, each part replaceable or left out, to make bad inputs.
struct raw_file {
    std::optional<std::string> format = "refined-cnn-checkpoint";
    std::optional<long> version = 1;
    std::optional<long> grid = 3;
    std::optional<std::vector<std::string>> tracks = five;
    std::optional<std::vector<long long>> pixel = std::vector<long long>{4, 0, 8, 2, 6};
    bool pixel_as_float = false;
    bool pixel_2d = false;

    void write(const fs::path& path) const
    {
        io::atomic_output_file out(path);
        if (format) out.write_string_attribute("/", "format", *format);
        if (version) out.write_int_attribute("/", "version", *version);
        if (grid) out.write_int_attribute("/", "grid_size", *grid);
        if (tracks) out.write_strings("/tracks/id", *tracks);
        if (pixel) {
            if (pixel_as_float) {
                Eigen::VectorXf v(static_cast<index_t>(pixel->size()));
                for (std::size_t i = 0; i < pixel->size(); ++i) v[static_cast<index_t>(i)] = static_cast<float>((*pixel)[i]);
                out.write_vector("/refined/pixel", v);
            } else {
                out.create_group("/refined");
                const hsize_t dims[2] = {pixel_2d ? 1 : pixel->size(), pixel->size()};
                H5::DataSpace space(pixel_2d ? 2 : 1, pixel_2d ? dims : dims + 1);
                H5::DataSet ds = out.h5().createDataSet("/refined/pixel", H5::PredType::STD_I64LE, space);
                ds.write(pixel->data(), H5::PredType::NATIVE_LLONG);
            }
        }
        out.commit();
    }
};

std::string read_error(const raw_file& r, const temp_dir& dir)
{
    const fs::path path = dir / "bad.h5";
    r.write(path);
    return message_of([&] { (void)io::read_refined_checkpoint(path); });
}

}  // namespace

TEST_CASE("round trip of the REFINED part")
{
    temp_dir dir("epilstm-refined-ckpt");
    const refined_placement p{3, {4, 0, 8, 2, 6}, 0.125};
    const fs::path path = dir / "r.h5";
    io::write_refined_checkpoint(path, five, p);
    const io::refined_checkpoint_part back = io::read_refined_checkpoint(path);
    CHECK(back.tracks == five);
    CHECK(back.placement.grid == 3);
    CHECK(back.placement.pixel == p.pixel);
    CHECK(back.placement.cost == 0.125);
    CHECK(dir.entries() == std::vector<std::string>{"r.h5"});  // no temporary file left

    // A larger grid than ⌈√T⌉ is allowed; so are no tracks at all.
    io::write_refined_checkpoint(path, five, refined_placement{4, {15, 0, 3, 12, 5}, 0});
    CHECK(io::read_refined_checkpoint(path).placement.pixel == std::vector<index_t>{15, 0, 3, 12, 5});
    io::write_refined_checkpoint(path, {}, refined_placement{1, {}, 0});
    CHECK(io::read_refined_checkpoint(path).tracks.empty());

    // Room for the CNN: other groups beside the REFINED part do not disturb the reader.
    {
        io::atomic_output_file out(path);
        io::write_refined_part(out, five, p);
        out.write_vector("/cnn/encoder/0/W", Eigen::VectorXf::Ones(4));
        out.commit();
    }
    CHECK(io::read_refined_checkpoint(path).placement.pixel == p.pixel);
}

TEST_CASE("h5py sees the documented layout")
{
    if (!fs::exists("/usr/bin/python3") || std::system("/usr/bin/python3 -c 'import h5py, numpy' >/dev/null 2>&1") != 0) {
        WARN("/usr/bin/python3 with h5py not found; skipping the h5py check");
        return;
    }
    temp_dir dir("epilstm-refined-ckpt");
    const fs::path path = dir / "r.h5";
    io::write_refined_checkpoint(path, five, refined_placement{3, {4, 0, 8, 2, 6}, 0.5});
    std::ostringstream py;
    py << "import h5py, numpy as np\n"
       << "f = h5py.File('" << path.string() << "', 'r')\n"
       << "a = dict(f.attrs)\n"
       << "assert a['format'] == 'refined-cnn-checkpoint' and a['version'] == 1 and a['grid_size'] == 3, a\n"
       << "p = f['refined/pixel'][()]\n"
       << "assert p.dtype == np.int64 and list(p) == [4, 0, 8, 2, 6], p\n"
       << "assert list(f['tracks/id'].asstr()[()]) == " << "['E003-H3K4me3', 'E003-H3K27ac', 'E004-H3K4me3', 'E004-H3K27ac', 'E005-DNase']\n"
       << "assert f['refined'].attrs['cost'] == 0.5\n";
    const fs::path script = dir / "check.py";
    std::ofstream(script) << py.str();
    const int status = std::system(("/usr/bin/python3 " + script.string()).c_str());
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("the writer refuses an invalid placement and leaves the previous file")
{
    temp_dir dir("epilstm-refined-ckpt");
    const fs::path path = dir / "r.h5";
    io::write_refined_checkpoint(path, five, refined_placement{3, {4, 0, 8, 2, 6}, 0});
    const std::string before = epilstm::testing::slurp(path);
    CHECK_THAT(message_of([&] { io::write_refined_checkpoint(path, five, refined_placement{3, {4, 0, 4, 2, 6}, 0}); }),
               Contains("r.h5: cannot write REFINED checkpoint: tracks 0 and 2 share pixel 4"));
    CHECK_THAT(message_of([&] { io::write_refined_checkpoint(path, five, refined_placement{3, {4, 0, 8}, 0}); }),
               Contains("the placement has 3 tracks, expected 5"));
    auto dup = five;
    dup[3] = dup[0];
    CHECK_THAT(message_of([&] { io::write_refined_checkpoint(path, dup, refined_placement{3, {4, 0, 8, 2, 6}, 0}); }),
               Contains("track id 'E003-H3K4me3' appears twice"));
    CHECK(epilstm::testing::slurp(path) == before);
    CHECK(dir.entries() == std::vector<std::string>{"r.h5"});
}

TEST_CASE("reader: format and attributes")
{
    temp_dir dir("epilstm-refined-ckpt");
    raw_file r;
    r.format.reset();
    CHECK_THAT(read_error(r, dir), Contains("bad.h5 is not a REFINED+CNN checkpoint (attribute 'format' missing)"));
    r = {};
    r.format = "epilstm-checkpoint";
    CHECK_THAT(read_error(r, dir), Contains("attribute 'format' is 'epilstm-checkpoint', expected 'refined-cnn-checkpoint'"));
    r = {};
    r.version = 2;
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: REFINED+CNN checkpoint version 2 is not supported"));
    r = {};
    r.grid.reset();
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: REFINED+CNN checkpoint attribute 'grid_size' missing"));
    r = {};
    r.grid = 0;
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: attribute 'grid_size' is 0, expected 1..4096"));
    r = {};
    r.grid = std::int64_t(1) << 62;  // g² would overflow (found by tests/fuzz/fuzz_hdf5_files)
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: attribute 'grid_size' is 4611686018427387904, expected 1..4096"));
}

TEST_CASE("reader: a grid smaller than ceil(sqrt(T))")
{
    temp_dir dir("epilstm-refined-ckpt");
    raw_file r;
    r.grid = 2;
    r.pixel = std::vector<long long>{0, 1, 2, 3, 3};
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: dataset /refined/pixel (grid_size 2): grid size 2 is too small for 5 tracks"));
}

TEST_CASE("reader: a pixel out of range")
{
    temp_dir dir("epilstm-refined-ckpt");
    raw_file r;
    r.pixel = std::vector<long long>{4, 0, 9, 2, 6};
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: dataset /refined/pixel (grid_size 3): track 2 has pixel 9, expected 0..8"));
    r.pixel = std::vector<long long>{4, -1, 8, 2, 6};
    CHECK_THAT(read_error(r, dir), Contains("track 1 has pixel -1, expected 0..8"));
}

TEST_CASE("reader: duplicate pixels")
{
    temp_dir dir("epilstm-refined-ckpt");
    raw_file r;
    r.pixel = std::vector<long long>{4, 0, 8, 0, 6};
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: dataset /refined/pixel (grid_size 3): tracks 1 and 3 share pixel 0"));
}

TEST_CASE("reader: as many pixels as tracks")
{
    temp_dir dir("epilstm-refined-ckpt");
    raw_file r;
    r.pixel = std::vector<long long>{4, 0, 8, 2};
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: dataset /refined/pixel has 4 pixels but /tracks/id has 5 tracks"));
}

TEST_CASE("reader: missing datasets, wrong type or rank, bad track ids")
{
    temp_dir dir("epilstm-refined-ckpt");
    raw_file r;
    r.pixel.reset();
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: dataset /refined/pixel is missing (int64 [5])"));
    r = {};
    r.tracks.reset();
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: dataset /tracks/id is missing"));
    r = {};
    r.pixel_as_float = true;
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: dataset /refined/pixel has element type float32, expected an integer type (int64)"));
    r = {};
    r.pixel_2d = true;
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: dataset /refined/pixel has shape [1, 5], expected [5]"));
    r = {};
    r.tracks = std::vector<std::string>{"a", "b", "", "d", "e"};
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: dataset /tracks/id: track 2 has an empty id"));
    r.tracks = std::vector<std::string>{"a", "b", "c", "a", "e"};
    CHECK_THAT(read_error(r, dir), Contains("bad.h5: dataset /tracks/id: track id 'a' appears twice"));
}
