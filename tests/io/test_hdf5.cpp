// Tests for io/hdf5.hpp and io/matrix_file.hpp: round trips, every validation error, atomic writes,
// and (where /usr/bin/python3 has h5py) that h5py reads what we write.
#include <epilstm/io/hdf5.hpp>
#include <epilstm/io/matrix_file.hpp>

#include <catch2/catch.hpp>

#include "../support/scratch.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace io = epilstm::io;
using Catch::Matchers::Contains;

using epilstm::testing::message_of;
using epilstm::testing::slurp;
using temp_dir = epilstm::testing::temp_dir;

namespace {


io::row_matrix sample(epilstm::index_t rows, epilstm::index_t cols)
{
    io::row_matrix m(rows, cols);
    for (epilstm::index_t r = 0; r < rows; ++r)
        for (epilstm::index_t c = 0; c < cols; ++c) m(r, c) = static_cast<float>(r * 100 + c) + 0.25f;
    return m;
}

/// The raw contents of a float dataset in file order, and its dimensions.
std::vector<float> raw_dataset(const fs::path& file, const std::string& name, std::vector<hsize_t>& dims)
{
    H5::H5File f(file.c_str(), H5F_ACC_RDONLY);
    H5::DataSet ds = f.openDataSet(name);
    H5::DataSpace space = ds.getSpace();
    dims.assign(static_cast<std::size_t>(space.getSimpleExtentNdims()), 0);
    space.getSimpleExtentDims(dims.data());
    std::vector<float> buf(static_cast<std::size_t>(space.getSimpleExtentNpoints()));
    ds.read(buf.data(), H5::PredType::NATIVE_FLOAT);
    return buf;
}

/// Runs the program `python` with /usr/bin/python3 if it has h5py; returns the exit status, or -1
/// (after a WARN) when h5py is not available.
int run_python(const std::string& python, const temp_dir& dir)
{
    if (!fs::exists("/usr/bin/python3") || std::system("/usr/bin/python3 -c 'import h5py, numpy' >/dev/null 2>&1") != 0) {
        WARN("/usr/bin/python3 with h5py not found; skipping the h5py check");
        return -1;
    }
    const fs::path script = dir / "check.py";
    std::ofstream(script) << python;
    const int status = std::system(("/usr/bin/python3 " + script.string()).c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1000;
}


}  // namespace

TEST_CASE("a row-major matrix round-trips and is stored in file order", "[io][hdf5]")
{
    temp_dir dir;
    const fs::path file = dir / "m.h5";
    const io::row_matrix m = sample(3, 4);
    {
        io::atomic_output_file out(file);
        out.write_matrix("/group/sub/m", m);  // intermediate groups are created
        out.write_vector("v", Eigen::VectorXf::LinSpaced(5, 0.f, 4.f));
        out.commit();
    }
    std::vector<hsize_t> dims;
    const auto raw = raw_dataset(file, "/group/sub/m", dims);
    REQUIRE(dims == std::vector<hsize_t>{3, 4});
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c) CHECK(raw[static_cast<std::size_t>(r * 4 + c)] == m(r, c));

    const io::input_file in(file);
    CHECK(in.read_matrix("/group/sub/m") == m);
    CHECK(in.read_matrix("group/sub/m", 3, 4) == m);
    CHECK(in.read_vector("/v", 5) == Eigen::VectorXf::LinSpaced(5, 0.f, 4.f));
    CHECK(in.has("/group"));
    CHECK(in.has_group("/group/sub"));
    CHECK(in.has_dataset("/group/sub/m"));
    CHECK_FALSE(in.has_dataset("/group/sub"));
    CHECK_FALSE(in.has("/group/nothing/deeper"));
    CHECK_FALSE(in.has("/v/below_a_dataset"));
    CHECK(in.shape("/group/sub/m") == std::vector<hsize_t>{3, 4});
}

TEST_CASE("a column-major matrix or a block is written in logical order", "[io][hdf5]")
{
    temp_dir dir;
    const fs::path file = dir / "m.h5";
    Eigen::MatrixXf colmajor(2, 3);
    colmajor << 1, 2, 3, 4, 5, 6;
    const io::row_matrix big = sample(6, 7);
    {
        io::atomic_output_file out(file);
        out.write_matrix("a", colmajor);
        out.write_matrix("block", big.block(1, 2, 3, 4));
        out.commit();
    }
    const io::input_file in(file);
    CHECK(in.read_matrix("a") == io::row_matrix(colmajor));
    CHECK(in.read_matrix("block") == io::row_matrix(big.block(1, 2, 3, 4)));
}

TEST_CASE("compressed chunked datasets round-trip", "[io][hdf5]")
{
    temp_dir dir;
    const fs::path file = dir / "c.h5";
    const io::row_matrix m = sample(1000, 110);
    io::write_options opt;
    opt.compress = true;
    {
        io::atomic_output_file out(file);
        out.write_matrix("/m", m, opt);
        io::write_options chunk_only;
        chunk_only.chunk_rows = 7;
        out.write_matrix("/m2", m, chunk_only);
        out.write_matrix("/empty", io::row_matrix(0, 5), opt);
        out.write_int64_vector("/i64", {-3, 0, 1LL << 40});
        out.commit();
    }
    {
        H5::H5File f(file.c_str(), H5F_ACC_RDONLY);
        const H5::DSetCreatPropList dcpl = f.openDataSet("/m").getCreatePlist();
        CHECK(dcpl.getLayout() == H5D_CHUNKED);
        REQUIRE(dcpl.getNfilters() == 3);  // shuffle + deflate, then the Fletcher-32 checksum of the stored bytes
        unsigned flags = 0;
        std::size_t nelmts = 0;
        unsigned config = 0;
        char fname[32];
        CHECK(dcpl.getFilter(2, flags, nelmts, nullptr, sizeof fname, fname, config) == H5Z_FILTER_FLETCHER32);
        const H5::DSetCreatPropList dcpl2 = f.openDataSet("/m2").getCreatePlist();
        REQUIRE(dcpl2.getNfilters() == 1);  // uncompressed datasets are checksummed too
        CHECK(dcpl2.getFilter(0, flags, nelmts, nullptr, sizeof fname, fname, config) == H5Z_FILTER_FLETCHER32);
        hsize_t chunk[2] = {0, 0};
        dcpl2.getChunk(2, chunk);
        CHECK(chunk[0] == 7);
        CHECK(chunk[1] == 110);
        // int64 datasets (the store's /genome/size, REFINED's /refined/pixel) carry the checksum too.
        H5::DataSet i64 = f.openDataSet("/i64");
        REQUIRE(i64.getCreatePlist().getNfilters() == 1);
        CHECK(i64.getCreatePlist().getFilter(0, flags, nelmts, nullptr, sizeof fname, fname, config) == H5Z_FILTER_FLETCHER32);
        CHECK(i64.getDataType() == H5::PredType::STD_I64LE);
        long long back[3] = {0, 0, 0};
        i64.read(back, H5::PredType::NATIVE_LLONG);
        CHECK(back[0] == -3);
        CHECK(back[1] == 0);
        CHECK(back[2] == (1LL << 40));
    }
    const io::input_file in(file);
    CHECK(in.read_matrix("/m") == m);
    CHECK(in.read_matrix("/m2") == m);
    CHECK(in.read_matrix("/empty").rows() == 0);
    CHECK(in.read_matrix("/empty").cols() == 5);
}

TEST_CASE("no dataset records a modification time: the same content gives the same bytes", "[io][hdf5]")
{
    temp_dir dir;
    auto write = [&](const fs::path& file) {
        io::atomic_output_file out(file);
        io::write_options opt;
        opt.compress = true;
        out.write_matrix("/g/m", sample(40, 3), opt);
        out.write_matrix("/empty", io::row_matrix(0, 5));
        out.write_vector("/v", Eigen::VectorXf::Ones(4));
        out.write_int64_vector("/i64", {1, 2});
        out.write_uint8_vector("/u8", {0, 1});
        out.write_strings("/names", {"a", "b"});
        out.commit();
    };
    write(dir / "a.h5");
    // HDF5's times have a resolution of one second: written in another second, the bytes are the same.
    sleep(1);
    write(dir / "b.h5");
    std::ifstream a(dir / "a.h5", std::ios::binary), b(dir / "b.h5", std::ios::binary);
    const std::string bytes_a{std::istreambuf_iterator<char>(a), {}}, bytes_b{std::istreambuf_iterator<char>(b), {}};
    CHECK(bytes_a == bytes_b);
}

TEST_CASE("float64 datasets are converted to float", "[io][hdf5]")
{
    temp_dir dir;
    const fs::path file = dir / "d.h5";
    {
        io::atomic_output_file out(file);
        const double data[2][3] = {{1.5, -2.25, 3.0}, {4.0, 5.5, 1e-3}};
        const hsize_t dims[2] = {2, 3};
        out.h5().createDataSet("/d", H5::PredType::IEEE_F64LE, H5::DataSpace(2, dims)).write(data, H5::PredType::NATIVE_DOUBLE);
        out.commit();
    }
    const io::row_matrix m = io::input_file(file).read_matrix("/d", 2, 3);
    CHECK(m(0, 1) == -2.25f);
    CHECK(m(1, 2) == 1e-3f);
}

TEST_CASE("opening a missing, non-HDF5 or directory path fails with the file name", "[io][hdf5][errors]")
{
    temp_dir dir;
    const fs::path missing = dir / "nope.h5";
    CHECK_THROWS_AS(io::input_file(missing), epilstm::input_error);
    CHECK_THROWS_WITH(io::input_file(missing), Contains("nope.h5") && Contains("no such file"));

    const fs::path text = dir / "text.h5";
    std::ofstream(text) << "this is not HDF5\n";
    CHECK_THROWS_AS(io::input_file(text), epilstm::input_error);
    CHECK_THROWS_WITH(io::input_file(text), Contains("text.h5") && Contains("not an HDF5 file"));

    CHECK_THROWS_WITH(io::input_file(dir.path), Contains("is a directory"));
    CHECK_THROWS_WITH(io::read_signal(missing), Contains("nope.h5: no such file"));
}

TEST_CASE("reading a dataset validates existence, rank, type and dimensions", "[io][hdf5][errors]")
{
    temp_dir dir;
    const fs::path file = dir / "x.h5";
    {
        io::atomic_output_file out(file);
        out.write_matrix("/m", sample(4, 3));
        out.write_vector("/v", Eigen::VectorXf::Ones(4));
        out.create_group("/g/h");
        const hsize_t dims[2] = {2, 2};
        const int ints[4] = {1, 2, 3, 4};
        out.h5().createDataSet("/i", H5::PredType::STD_I32LE, H5::DataSpace(2, dims)).write(ints, H5::PredType::NATIVE_INT);
        out.h5().createDataSet("/scalar", H5::PredType::IEEE_F32LE, H5::DataSpace(H5S_SCALAR));
        out.commit();
    }
    const io::input_file in(file);
    const std::string f = file.string();

    SECTION("missing dataset")
    {
        CHECK_THROWS_AS(in.read_matrix("/nothing"), epilstm::input_error);
        CHECK(message_of([&] { in.read_matrix("/nothing"); }) == f + ": dataset /nothing not found");
        CHECK_THROWS_WITH(in.read_matrix("/a/b/c"), Contains("dataset /a/b/c not found") && Contains("/a does not exist"));
        CHECK_THROWS_WITH(in.read_vector("/m/x"), Contains("/m/x not found"));
        CHECK_THROWS_WITH(in.read_matrix("/g"), Contains(f + ": /g is a group, expected a dataset"));
    }
    SECTION("wrong rank")
    {
        CHECK_THROWS_AS(in.read_matrix("/v"), epilstm::input_error);
        CHECK(message_of([&] { in.read_matrix("/v", -1, 4); }) ==
              f + ": dataset /v has rank 1 (shape [4]), expected rank 2 with shape [*, 4]");
        CHECK_THROWS_WITH(in.read_vector("/m"), Contains("/m has rank 2 (shape [4, 3]), expected rank 1"));
        CHECK_THROWS_WITH(in.read_matrix("/scalar"), Contains("/scalar has rank 0"));
    }
    SECTION("integer element type")
    {
        CHECK_THROWS_AS(in.read_matrix("/i"), epilstm::input_error);
        CHECK(message_of([&] { in.read_matrix("/i"); }) ==
              f + ": dataset /i has element type int32, expected floating point (float32 or float64)");
    }
    SECTION("wrong dimensions")
    {
        CHECK_THROWS_AS(in.read_matrix("/m", 4, 5), epilstm::shape_error);
        CHECK(message_of([&] { in.read_matrix("/m", 4, 5); }) == f + ": dataset /m has shape [4, 3], expected [4, 5]");
        CHECK_THROWS_WITH(in.read_matrix("/m", 3), Contains("has shape [4, 3], expected [3, *]"));
        CHECK_THROWS_AS(in.read_vector("/v", 5), epilstm::shape_error);
        CHECK_THROWS_AS(in.read_uint8_vector("/v"), epilstm::input_error);
    }
}

TEST_CASE("attributes round-trip and are validated", "[io][hdf5]")
{
    temp_dir dir;
    const fs::path file = dir / "a.h5";
    {
        io::atomic_output_file out(file);
        out.write_vector("/v", Eigen::VectorXf::Zero(2));
        out.write_string_attribute("/", "name", "epi λ");
        out.write_string_attribute("/", "name", "replaced");  // an existing attribute is replaced
        out.write_int_attribute("/", "count", -12345678901L);
        out.write_float_attribute("/v", "scale", 0.125);
        out.write_string_array_attribute("/v", "labels", {"a", "", "ccc"});
        // A fixed-length, null-padded string (numpy 'S' dtype) and an h5py-style bool (int8 enum).
        H5::Group root = out.h5().openGroup("/");
        H5::StrType fixed(H5::PredType::C_S1, 8);
        fixed.setStrpad(H5T_STR_NULLPAD);
        const char text[8] = {'f', 'i', 'x', 'e', 'd', 0, 0, 0};
        root.createAttribute("fixed", fixed, H5::DataSpace(H5S_SCALAR)).write(fixed, text);
        H5::EnumType boolean(H5::PredType::NATIVE_INT8);
        std::int8_t no = 0, yes = 1;
        boolean.insert("FALSE", &no);
        boolean.insert("TRUE", &yes);
        root.createAttribute("flag", boolean, H5::DataSpace(H5S_SCALAR)).write(boolean, &yes);
        std::int8_t minus = -3;
        H5::EnumType signed_enum(H5::PredType::NATIVE_INT8);
        signed_enum.insert("MINUS", &minus);
        root.createAttribute("minus", signed_enum, H5::DataSpace(H5S_SCALAR)).write(signed_enum, &minus);
        out.commit();
    }
    const io::input_file in(file);
    CHECK(in.read_string_attribute("/", "name") == "replaced");
    CHECK(in.read_int_attribute("/", "count") == -12345678901L);
    CHECK(in.read_float_attribute("/v", "scale") == 0.125);
    CHECK(in.read_float_attribute("/", "count") == -12345678901.0);
    CHECK(in.read_string_array_attribute("/v", "labels") == std::vector<std::string>{"a", "", "ccc"});
    CHECK(in.read_string_attribute("/", "fixed") == "fixed");
    CHECK(in.read_string_array_attribute("/", "fixed") == std::vector<std::string>{"fixed"});
    CHECK(in.read_int_attribute("/", "flag") == 1);
    CHECK(in.read_int_attribute("/", "minus") == -3);
    CHECK(in.has_attribute("/", "name"));
    CHECK_FALSE(in.has_attribute("/", "other"));
    CHECK_FALSE(in.has_attribute("/nothing", "name"));

    const std::string f = file.string();
    CHECK(message_of([&] { in.read_int_attribute("/", "other"); }) == f + ": attribute 'other' of / is missing");
    CHECK(message_of([&] { in.read_int_attribute("/", "name"); }) == f + ": attribute 'name' of / has type string, expected an integer");
    CHECK_THROWS_WITH(in.read_string_attribute("/", "count"), Contains("has type int64, expected a string"));
    CHECK_THROWS_WITH(in.read_string_attribute("/v", "labels"), Contains("has 3 elements, expected one string"));
    CHECK_THROWS_WITH(in.read_string_attribute("/nothing", "x"), Contains(f + ": object /nothing not found"));
}

TEST_CASE("check_finite reports the first NaN or infinity with its row and column", "[io][hdf5][errors]")
{
    io::row_matrix m = sample(4, 5);
    CHECK_NOTHROW(io::check_finite(m, "X.h5", "/signal"));
    m(3, 0) = std::numeric_limits<float>::infinity();
    m(2, 4) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_AS(io::check_finite(m, "X.h5", "/signal"), epilstm::input_error);
    CHECK(message_of([&] { io::check_finite(m, "X.h5", "signal"); }) ==
          "X.h5: dataset /signal has a non-finite value (NaN) at row 2, column 4 (0-based); all values must be finite");
    m(2, 4) = 0;
    CHECK_THROWS_WITH(io::check_finite(m, "X.h5", "/signal"), Contains("(+inf) at row 3, column 0"));
    Eigen::VectorXf v = Eigen::VectorXf::Zero(6);
    v(4) = -std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(io::check_finite(v, "M.h5", "/b"), Contains("M.h5: dataset /b has a non-finite value (-inf) at index 4"));
}

TEST_CASE("read_signal validates the signal matrix", "[io][matrix_file]")
{
    temp_dir dir;
    const fs::path good = dir / "X.h5";
    const io::row_matrix signal = sample(100, 24);
    {
        io::atomic_output_file out(good);
        out.write_matrix("/signal", signal);
        out.write_string_array_attribute("/signal", "tracks", std::vector<std::string>(24, "E003-H3K4me3"));
        out.write_uint8_vector("/missing", std::vector<std::uint8_t>(100, 0));
        out.write_matrix("/other", sample(3, 2));
        out.commit();
    }
    CHECK(io::read_signal(good) == signal);
    CHECK(io::read_signal(good, "/signal", 24) == signal);
    CHECK(io::read_signal(good, "other") == sample(3, 2));
    CHECK(io::read_track_names(good).size() == 24);
    CHECK(io::read_track_names(good, "/other").empty());
    CHECK(io::read_missing(good, 100) == std::vector<std::uint8_t>(100, 0));

    SECTION("model mismatch")
    {
        CHECK_THROWS_AS(io::read_signal(good, "/signal", 25), epilstm::shape_error);
        CHECK(message_of([&] { io::read_signal(good, "/signal", 25); }) ==
              good.string() + ": dataset /signal has shape [100, 24] but the model expects 25 tracks (input_size)");
    }
    SECTION("NaN names file, dataset, row and column")
    {
        io::row_matrix bad = signal;
        bad(57, 13) = std::nanf("");
        const fs::path file = dir / "nan.h5";
        io::write_matrices(file, {{"/signal", bad}});
        CHECK_THROWS_AS(io::read_signal(file), epilstm::input_error);
        CHECK(message_of([&] { io::read_signal(file); }) ==
              file.string() + ": dataset /signal has a non-finite value (NaN) at row 57, column 13 (0-based); all values must be finite");
    }
    SECTION("missing dataset, wrong rank, integer type")
    {
        const fs::path file = dir / "bad.h5";
        {
            io::atomic_output_file out(file);
            out.write_vector("/signal", Eigen::VectorXf::Zero(10));
            const hsize_t dims[2] = {2, 3};
            const std::int64_t ints[6] = {};
            out.h5().createDataSet("/ints", H5::PredType::STD_I64LE, H5::DataSpace(2, dims)).write(ints, H5::PredType::NATIVE_INT64);
            out.commit();
        }
        CHECK_THROWS_WITH(io::read_signal(file, "/absent"), Contains(file.string() + ": dataset /absent not found"));
        CHECK_THROWS_AS(io::read_signal(file), epilstm::input_error);
        CHECK_THROWS_WITH(io::read_signal(file), Contains("dataset /signal has rank 1 (shape [10]), expected rank 2"));
        CHECK_THROWS_WITH(io::read_signal(file, "/ints"), Contains("/ints has element type int64, expected floating point"));
    }
}

TEST_CASE("track names and missing flags", "[io][matrix_file]")
{
    temp_dir dir;
    const fs::path file = dir / "X.h5";
    {
        io::atomic_output_file out(file);
        out.write_matrix("/signal", sample(5, 3));
        out.write_string_array_attribute("/signal", "tracks", {"E003-H3K4me3", "E003-H3K27ac", "E005-DNase"});
        out.write_uint8_vector("/missing", {0, 1, 0, 0, 1});
        out.write_matrix("/two", sample(5, 2));
        out.write_string_array_attribute("/two", "tracks", {"only one"});
        // h5py writes numpy bool arrays as an int8 enum
        H5::EnumType boolean(H5::PredType::NATIVE_INT8);
        std::int8_t no = 0, yes = 1;
        boolean.insert("FALSE", &no);
        boolean.insert("TRUE", &yes);
        const std::int8_t flags[3] = {1, 0, 1};
        const hsize_t dims[1] = {3};
        out.h5().createDataSet("/bools", boolean, H5::DataSpace(1, dims)).write(flags, boolean);
        out.commit();
    }
    CHECK(io::read_track_names(file) == std::vector<std::string>{"E003-H3K4me3", "E003-H3K27ac", "E005-DNase"});
    CHECK_THROWS_AS(io::read_track_names(file, "/two"), epilstm::shape_error);
    CHECK_THROWS_WITH(io::read_track_names(file, "/two"), Contains("attribute 'tracks' of /two has 1 names but the dataset has 2 columns"));
    CHECK(io::read_missing(file) == std::vector<std::uint8_t>{0, 1, 0, 0, 1});
    CHECK(io::read_missing(file, 3, "/bools") == std::vector<std::uint8_t>{1, 0, 1});
    CHECK_THROWS_AS(io::read_missing(file, 6), epilstm::shape_error);
    CHECK_THROWS_WITH(io::read_missing(file, 6), Contains("/missing has shape [5], expected [6]"));
    CHECK_THROWS_WITH(io::read_missing(file, -1, "/signal"), Contains("/signal has rank 2"));

    const fs::path bare = dir / "bare.h5";
    io::write_matrices(bare, {{"/signal", sample(2, 2)}});
    CHECK(io::read_missing(bare).empty());
    CHECK(io::read_track_names(bare).empty());
}

TEST_CASE("write_reconstruction and write_matrices", "[io][matrix_file]")
{
    temp_dir dir;
    const fs::path file = dir / "Y.h5";
    const io::row_matrix emb = sample(50, 11);
    Eigen::MatrixXf rec = Eigen::MatrixXf::Random(50, 4);  // column-major on purpose
    io::write_reconstruction(file, emb, rec);
    {
        const io::input_file in(file);
        CHECK(in.read_matrix("/embedding", 50, 11) == emb);
        CHECK(in.read_matrix("/reconstruction", 50, 4) == io::row_matrix(rec));
    }
    CHECK(dir.entries() == std::vector<std::string>{"Y.h5"});

    const fs::path bad = dir / "bad.h5";
    CHECK_THROWS_AS(io::write_reconstruction(bad, emb, sample(49, 4)), epilstm::shape_error);
    CHECK_THROWS_WITH(io::write_reconstruction(bad, emb, sample(49, 4)), Contains("/embedding has 50 rows but /reconstruction has 49"));
    CHECK_FALSE(fs::exists(bad));

    const fs::path many = dir / "many.h5";
    const Eigen::VectorXf vec = Eigen::VectorXf::LinSpaced(7, 1.f, 7.f);
    const Eigen::MatrixXd dbl = Eigen::MatrixXd::Constant(2, 2, 0.5);
    io::write_matrices(many, {{"/a/emb", emb}, {"/vec", vec}, {"/rec", rec}, {"/dbl", dbl}, {"/expr", emb * 2.f}});
    const io::input_file in(many);
    CHECK(in.read_matrix("/a/emb") == emb);
    CHECK(in.shape("/vec") == std::vector<hsize_t>{7});
    CHECK(in.read_vector("/vec") == vec);
    CHECK(in.read_matrix("/rec") == io::row_matrix(rec));
    CHECK(in.read_matrix("/dbl") == io::row_matrix::Constant(2, 2, 0.5f));
    CHECK(in.read_matrix("/expr") == io::row_matrix(emb * 2.f));
}

TEST_CASE("atomic_output_file never leaves a partial file at the target", "[io][hdf5][atomic]")
{
    temp_dir dir;
    const fs::path target = dir / "out.h5";

    SECTION("without commit nothing is left")
    {
        {
            io::atomic_output_file out(target);
            CHECK(out.temp_path().parent_path() == target.parent_path());
            CHECK_THAT(out.temp_path().filename().string(), Contains("out.h5.tmp-" + std::to_string(::getpid())));
            out.write_matrix("/m", sample(2, 2));
            CHECK(fs::exists(out.temp_path()));
            CHECK_FALSE(fs::exists(target));
        }
        CHECK(dir.entries().empty());
    }
    SECTION("commit renames over the target; the object is then closed")
    {
        io::atomic_output_file out(target);
        out.write_matrix("/m", sample(2, 2));
        out.commit();
        CHECK(dir.entries() == std::vector<std::string>{"out.h5"});
        CHECK(io::input_file(target).read_matrix("/m") == sample(2, 2));
        CHECK_THROWS_AS(out.write_vector("/v", Eigen::VectorXf::Zero(1)), epilstm::io_error);
        CHECK_THROWS_AS(out.commit(), epilstm::io_error);
    }
    SECTION("an exception midway leaves the previous file byte-identical")
    {
        io::write_matrices(target, {{"/signal", sample(10, 3)}});
        const std::string before = slurp(target);
        REQUIRE_FALSE(before.empty());

        // user code throwing between writes
        CHECK_THROWS_AS(
            [&] {
                io::atomic_output_file out(target);
                out.write_matrix("/embedding", sample(1000, 20));
                throw epilstm::error("injected");
            }(),
            epilstm::error);
        CHECK(slurp(target) == before);
        CHECK(dir.entries() == std::vector<std::string>{"out.h5"});

        // HDF5 failing on the second dataset (same name twice)
        CHECK_THROWS_AS(io::write_matrices(target, {{"/embedding", sample(100, 5)}, {"/embedding", sample(100, 5)}}),
                        epilstm::io_error);
        CHECK_THROWS_WITH(io::write_matrices(target, {{"/embedding", sample(100, 5)}, {"/embedding", sample(100, 5)}}),
                          Contains(target.string() + ": writing dataset /embedding failed"));
        CHECK(slurp(target) == before);
        CHECK(dir.entries() == std::vector<std::string>{"out.h5"});

        // a shape error before anything is written
        CHECK_THROWS_AS(io::write_reconstruction(target, sample(3, 2), sample(4, 2)), epilstm::shape_error);
        CHECK(slurp(target) == before);
        CHECK(dir.entries() == std::vector<std::string>{"out.h5"});
    }
    SECTION("unwritable targets")
    {
        CHECK_THROWS_AS(io::atomic_output_file(dir / "no-such-dir" / "x.h5"), epilstm::io_error);
        CHECK_THROWS_WITH(io::atomic_output_file(dir / "no-such-dir" / "x.h5"), Contains("does not exist"));
        CHECK_THROWS_AS(io::atomic_output_file(dir.path), epilstm::io_error);
        CHECK(dir.entries().empty());
    }
}

TEST_CASE("h5py reads the files we write", "[io][hdf5][python]")
{
    temp_dir dir;
    const fs::path file = dir / "Y.h5";
    io::write_reconstruction(file, sample(4, 3), sample(4, 2));
    {
        io::atomic_output_file out(dir / "attrs.h5");
        out.write_matrix("/signal", sample(2, 3));
        out.write_string_array_attribute("/signal", "tracks", {"a", "b", "c"});
        out.write_string_attribute("/", "s", "text");
        out.write_int_attribute("/", "i", 7);
        out.write_strings("/names", {"x", "yy"});
        out.commit();
    }
    std::ostringstream py;
    py << "import h5py, numpy as np, sys\n"
       << "f = h5py.File(sys.argv[0].replace('check.py', 'Y.h5'), 'r')\n"
       << "e = f['embedding']; r = f['reconstruction']\n"
       << "assert e.dtype == np.float32 and e.shape == (4, 3), (e.dtype, e.shape)\n"
       << "assert r.dtype == np.float32 and r.shape == (4, 2), (r.dtype, r.shape)\n"
       << "assert e[1, 2] == 102.25 and e[3, 0] == 300.25, e[()]\n"
       << "g = h5py.File(sys.argv[0].replace('check.py', 'attrs.h5'), 'r')\n"
       << "assert list(g['signal'].attrs['tracks']) == ['a', 'b', 'c'], g['signal'].attrs['tracks']\n"
       << "assert g.attrs['s'] == 'text' and g.attrs['i'] == 7, dict(g.attrs)\n"
       << "assert list(g['names'].asstr()[()]) == ['x', 'yy']\n";
    const int rc = run_python(py.str(), dir);
    if (rc >= 0) CHECK(rc == 0);
}
