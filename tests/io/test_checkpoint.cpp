// Tests for io/checkpoint.hpp: exact round trips (with and without optimizer state and track names),
// the row-major layout on disk, every validation error, atomic writes, and h5py compatibility.
#include <epilstm/io/checkpoint.hpp>

#include <catch2/catch.hpp>

#include "../support/damage.hpp"
#include "../support/scratch.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace io = epilstm::io;
using epilstm::index_t;
using epilstm::model_config;
using epilstm::parameter_layout;
using Catch::Matchers::Contains;

using epilstm::testing::message_of;
using epilstm::testing::slurp;
using temp_dir = epilstm::testing::temp_dir;

namespace {



/// The layout of MODEL-SPEC.md ("Parameter layout"), built here so these tests do not depend on the
/// model headers.
parameter_layout spec_layout(const model_config& cfg)
{
    parameter_layout l;
    const index_t h = cfg.hidden_size, d = cfg.input_size;
    for (const char* part : {"encoder", "decoder"}) {
        const std::string p = part;
        const index_t in = p == "encoder" ? d : h;
        l.add_matrix(p + "/W_x", 4 * h, in);
        l.add_vector(p + "/b_x", 4 * h);
        l.add_matrix(p + "/W_h", 4 * h, h);
        l.add_vector(p + "/b_h", 4 * h);
        if (cfg.normalization == "layer_norm") {
            for (const char* ln : {"ln_x", "ln_h"}) {
                l.add_vector(p + "/" + ln + "/gamma", 4 * h);
                l.add_vector(p + "/" + ln + "/beta", 4 * h);
            }
            l.add_vector(p + "/ln_c/gamma", h);
            l.add_vector(p + "/ln_c/beta", h);
        }
    }
    l.add_matrix("decoder/out/W", d, h);
    l.add_vector("decoder/out/b", d);
    return l;
}

/// A vector "b" [5] and a matrix "W" [3, 4] (at offset 16, after alignment padding).
parameter_layout tiny_layout(const model_config&)
{
    parameter_layout l;
    l.add_vector("b", 5);
    l.add_matrix("W", 3, 4);
    return l;
}

model_config tiny_config()
{
    model_config cfg;
    cfg.input_size = 3;
    cfg.hidden_size = 2;
    cfg.frame_length = 10;
    return cfg;
}

/// Random values in every tensor, zeros in the alignment padding (which is not stored).
Eigen::VectorXf random_params(const parameter_layout& l, unsigned seed)
{
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    Eigen::VectorXf p = Eigen::VectorXf::Zero(l.size());
    for (const auto& t : l.tensors())
        for (index_t i = 0; i < t.size(); ++i) p(t.offset + i) = u(gen);
    return p;
}

/// Writes a file with the given root attributes and a float32 [3, 4] "/W" (or int32 when
/// int_w), for crafting broken checkpoints.
void write_crafted(const fs::path& file, const std::vector<std::pair<std::string, std::string>>& strings,
                   const std::vector<std::pair<std::string, long>>& ints, bool int_w = false)
{
    io::atomic_output_file out(file);
    for (const auto& [k, v] : strings) out.write_string_attribute("/", k, v);
    for (const auto& [k, v] : ints) out.write_int_attribute("/", k, v);
    out.write_vector("/b", Eigen::VectorXf::Zero(5));
    if (int_w) {
        const hsize_t dims[2] = {3, 4};
        const int zeros[12] = {};
        out.h5().createDataSet("/W", H5::PredType::STD_I32LE, H5::DataSpace(2, dims)).write(zeros, H5::PredType::NATIVE_INT);
    } else {
        out.write_matrix("/W", io::row_matrix::Zero(3, 4));
    }
    out.commit();
}

const std::vector<std::pair<std::string, std::string>> good_strings = {
    {"format", "epilstm-checkpoint"}, {"activation", "softsign"}, {"normalization", "layer_norm"}};
const std::vector<std::pair<std::string, long>> good_ints = {
    {"version", 1}, {"input_size", 3}, {"hidden_size", 2}, {"frame_length", 10}};

}  // namespace

TEST_CASE("a checkpoint round-trips exactly", "[io][checkpoint]")
{
    temp_dir dir;
    const fs::path file = dir / "M.h5";
    model_config cfg;
    cfg.input_size = 7;
    cfg.hidden_size = 5;
    cfg.frame_length = 20;
    const parameter_layout layout = spec_layout(cfg);
    const Eigen::VectorXf params = random_params(layout, 1);

    SECTION("parameters only")
    {
        io::write_checkpoint(file, cfg, layout, params);
        const io::checkpoint ck = io::read_checkpoint(file, spec_layout);
        CHECK(ck.config == cfg);
        CHECK(ck.params == params);
        CHECK_FALSE(ck.optimizer.has_value());
        CHECK(ck.tracks.empty());
        CHECK(io::read_checkpoint_config(file) == cfg);
        CHECK(dir.entries() == std::vector<std::string>{"M.h5"});
    }
    SECTION("with optimizer state and track names")
    {
        io::optimizer_state opt;
        opt.m = random_params(layout, 2);
        opt.v = random_params(layout, 3).cwiseAbs();
        opt.step = 123456789012L;
        const std::vector<std::string> tracks = {"E003-H3K4me3", "E003-H3K27ac", "E003-DNase", "E005-H3K36me3",
                                                 "E005-H3K9me3", "E116-H3K4me1", "unicode-λ"};
        io::write_checkpoint(file, cfg, layout, params, &opt, &tracks);
        const io::checkpoint ck = io::read_checkpoint(file, spec_layout);
        CHECK(ck.config == cfg);
        CHECK(ck.params == params);
        REQUIRE(ck.optimizer.has_value());
        CHECK(ck.optimizer->m == opt.m);
        CHECK(ck.optimizer->v == opt.v);
        CHECK(ck.optimizer->step == opt.step);
        CHECK(ck.tracks == tracks);
    }
    SECTION("tanh, no normalization, bidirectional, own-cell wiring")
    {
        model_config other = cfg;
        other.activation = "tanh";
        other.normalization = "none";
        other.bidirectional = true;
        other.wiring = "own_cell";
        const parameter_layout l2 = spec_layout(other);
        const Eigen::VectorXf p2 = random_params(l2, 4);
        io::write_checkpoint(file, other, l2, p2);
        const io::checkpoint ck = io::read_checkpoint(file, spec_layout);
        CHECK(ck.config == other);
        CHECK(ck.params == p2);
        CHECK_FALSE(io::input_file(file).has("/encoder/ln_x"));
    }
}

TEST_CASE("a checkpoint whose bytes were damaged on disk is refused, naming the dataset", "[io][checkpoint][integrity]")
{
    temp_dir dir;
    const fs::path file = dir / "M.h5";
    model_config cfg;
    cfg.input_size = 7;
    cfg.hidden_size = 5;
    cfg.frame_length = 20;
    const parameter_layout layout = spec_layout(cfg);
    const Eigen::VectorXf params = random_params(layout, 3);
    const io::optimizer_state opt{random_params(layout, 4), random_params(layout, 5).cwiseAbs(), 9};
    for (const std::string ds : {"/encoder/W_x", "/decoder/out/b", "/optimizer/v"}) {
        io::write_checkpoint(file, cfg, layout, params, &opt);
        REQUIRE_NOTHROW(io::read_checkpoint(file, spec_layout));
        epilstm::testing::damage_dataset(file, ds);
        CHECK_THROWS_AS(io::read_checkpoint(file, spec_layout), epilstm::io_error);
        CHECK_THROWS_WITH(io::read_checkpoint(file, spec_layout),
                          Contains(file.string() + ": reading dataset " + ds + " failed: checksum mismatch"));
    }
}

TEST_CASE("a checkpoint records what training kept out: held-out chromosomes, validation regions",
          "[io][checkpoint][provenance]")
{
    temp_dir dir;
    const fs::path file = dir / "M.h5";
    model_config cfg;
    cfg.input_size = 3;
    cfg.hidden_size = 2;
    cfg.frame_length = 10;
    const parameter_layout layout = spec_layout(cfg);
    const Eigen::VectorXf params = random_params(layout, 7);
    auto write = [&](const io::training_provenance& p) {
        io::write_checkpoint(file, cfg, layout, params, nullptr, nullptr, nullptr, &p);
    };

    SECTION("absent: an older file reads as empty lists")
    {
        io::write_checkpoint(file, cfg, layout, params);
        CHECK_FALSE(io::input_file(file).has("/provenance"));
        CHECK(io::read_checkpoint_provenance(file) == io::training_provenance{});
        CHECK(io::read_checkpoint(file, spec_layout).provenance == io::training_provenance{});
    }
    SECTION("given: written as strings, read back in order by both readers")
    {
        const io::training_provenance p{{"chr7", "chrX", "chr10"}, {"ENm001", "ENr111"}};
        write(p);
        CHECK(io::input_file(file).read_strings("/provenance/heldout_chroms") == p.heldout_chroms);
        CHECK(io::input_file(file).read_strings("/provenance/validation_regions") == p.validation_regions);
        CHECK(io::read_checkpoint_provenance(file) == p);
        const io::checkpoint ck = io::read_checkpoint(file, spec_layout);
        CHECK(ck.provenance == p);
        CHECK(ck.params == params);  // nothing else changed
    }
    SECTION("given empty: the held-out list recorded as an empty dataset (none held out)")
    {
        write({});
        CHECK(io::input_file(file).has_dataset("/provenance/heldout_chroms"));
        CHECK_FALSE(io::input_file(file).has("/provenance/validation_regions"));
        CHECK(io::read_checkpoint_provenance(file) == io::training_provenance{});
    }
    SECTION("an empty name is refused and nothing is written")
    {
        CHECK_THROWS_WITH(write({{"chr7", ""}, {}}), Catch::Contains("an empty held-out chromosome name"));
        CHECK_THROWS_WITH(write({{"chr7"}, {"ENm001", ""}}), Catch::Contains("an empty validation region name"));
        CHECK_FALSE(fs::exists(file));
    }
}

TEST_CASE("matrices are stored row-major [rows, cols]", "[io][checkpoint]")
{
    temp_dir dir;
    const fs::path file = dir / "M.h5";
    const parameter_layout layout = tiny_layout(tiny_config());
    REQUIRE(layout.at("W").offset == 16);
    Eigen::VectorXf params = Eigen::VectorXf::Zero(layout.size());
    // W(r, c) = 10 r + c, stored column-major in the flat buffer
    Eigen::Map<Eigen::MatrixXf> w(params.data() + 16, 3, 4);
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c) w(r, c) = static_cast<float>(10 * r + c);
    params.head(5) << 1, 2, 3, 4, 5;
    io::write_checkpoint(file, tiny_config(), layout, params);

    H5::H5File f(file.c_str(), H5F_ACC_RDONLY);
    H5::DataSet ds = f.openDataSet("/W");
    CHECK(ds.getDataType() == H5::PredType::IEEE_F32LE);
    hsize_t dims[2] = {0, 0};
    REQUIRE(ds.getSpace().getSimpleExtentNdims() == 2);
    ds.getSpace().getSimpleExtentDims(dims);
    CHECK(dims[0] == 3);
    CHECK(dims[1] == 4);
    float raw[12];
    ds.read(raw, H5::PredType::NATIVE_FLOAT);
    const std::vector<float> expected = {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23};
    CHECK(std::vector<float>(raw, raw + 12) == expected);
    CHECK(f.openDataSet("/b").getSpace().getSimpleExtentNdims() == 1);

    const io::checkpoint ck = io::read_checkpoint(file, tiny_layout);
    CHECK(ck.params == params);
    CHECK(Eigen::Map<const Eigen::MatrixXf>(ck.params.data() + 16, 3, 4) == w);
}

TEST_CASE("reading a checkpoint reports every problem with the file and dataset", "[io][checkpoint][errors]")
{
    temp_dir dir;
    const fs::path file = dir / "M.h5";
    const std::string f = file.string();
    const model_config cfg = tiny_config();
    const parameter_layout layout = tiny_layout(cfg);

    SECTION("missing file")
    {
        CHECK_THROWS_AS(io::read_checkpoint(file, tiny_layout), epilstm::input_error);
        CHECK(message_of([&] { io::read_checkpoint(file, tiny_layout); }) == f + ": no such file");
    }
    SECTION("not an HDF5 file")
    {
        std::ofstream(file) << "{\"json\": true}";
        CHECK_THROWS_AS(io::read_checkpoint_config(file), epilstm::input_error);
        CHECK(message_of([&] { io::read_checkpoint_config(file); }) == f + ": not an HDF5 file");
    }
    SECTION("an HDF5 file without the attributes")
    {
        write_crafted(file, {}, {});
        CHECK_THROWS_AS(io::read_checkpoint(file, tiny_layout), epilstm::input_error);
        CHECK(message_of([&] { io::read_checkpoint(file, tiny_layout); }) ==
              f + " is not an epilstm checkpoint (attribute 'format' missing)");
    }
    SECTION("another format")
    {
        write_crafted(file, {{"format", "pytorch"}}, good_ints);
        CHECK(message_of([&] { io::read_checkpoint_config(file); }) ==
              f + " is not an epilstm checkpoint (attribute 'format' is 'pytorch', expected 'epilstm-checkpoint')");
    }
    SECTION("missing or unsupported version, missing size")
    {
        write_crafted(file, good_strings, {{"input_size", 3}, {"hidden_size", 2}, {"frame_length", 10}});
        CHECK(message_of([&] { io::read_checkpoint_config(file); }) == f + ": checkpoint attribute 'version' missing");
        write_crafted(file, good_strings, {{"version", 2}, {"input_size", 3}, {"hidden_size", 2}, {"frame_length", 10}});
        CHECK(message_of([&] { io::read_checkpoint_config(file); }) ==
              f + ": checkpoint version 2 is not supported (this build reads version 1)");
        write_crafted(file, good_strings, {{"version", 1}, {"input_size", 3}, {"frame_length", 10}});
        CHECK(message_of([&] { io::read_checkpoint_config(file); }) == f + ": checkpoint attribute 'hidden_size' missing");
        write_crafted(file, good_strings, {{"version", 1}, {"input_size", 0}, {"hidden_size", 2}, {"frame_length", 10}});
        CHECK_THROWS_WITH(io::read_checkpoint_config(file), Contains("input_size is 0, expected 1..16777216"));
        // Sizes whose layout would overflow 64 bits (found by tests/fuzz/fuzz_hdf5_files).
        write_crafted(file, good_strings,
                      {{"version", 1}, {"input_size", 3}, {"hidden_size", 6529656509733797887}, {"frame_length", 10}});
        CHECK_THROWS_WITH(io::read_checkpoint_config(file), Contains("hidden_size is 6529656509733797887, expected 1..65536"));
    }
    SECTION("unknown activation or normalization")
    {
        write_crafted(file, {{"format", "epilstm-checkpoint"}, {"activation", "relu"}, {"normalization", "layer_norm"}}, good_ints);
        CHECK_THROWS_AS(io::read_checkpoint(file, tiny_layout), epilstm::input_error);
        CHECK(message_of([&] { io::read_checkpoint(file, tiny_layout); }) ==
              f + ": checkpoint attributes: unknown activation 'relu' (allowed: 'softsign', 'tanh')");
        write_crafted(file, {{"format", "epilstm-checkpoint"}, {"activation", "tanh"}, {"normalization", "batch"}}, good_ints);
        CHECK_THROWS_WITH(io::read_checkpoint_config(file), Contains("unknown normalization 'batch' (allowed: 'layer_norm', 'none')"));
    }
    SECTION("bidirectional absent means false; other values are rejected")
    {
        write_crafted(file, good_strings, good_ints);
        CHECK_FALSE(io::read_checkpoint_config(file).bidirectional);
        CHECK(io::read_checkpoint(file, tiny_layout).params == Eigen::VectorXf::Zero(layout.size()));
        auto ints = good_ints;
        ints.emplace_back("bidirectional", 2);
        write_crafted(file, good_strings, ints);
        CHECK_THROWS_WITH(io::read_checkpoint_config(file), Contains("'bidirectional' is 2, expected 0 or 1"));
    }
    SECTION("wrong shape")
    {
        io::write_checkpoint(file, cfg, layout, random_params(layout, 5));
        const auto wider = [](const model_config&) {
            parameter_layout l;
            l.add_vector("b", 5);
            l.add_matrix("W", 3, 5);
            return l;
        };
        CHECK_THROWS_AS(io::read_checkpoint(file, wider), epilstm::shape_error);
        CHECK(message_of([&] { io::read_checkpoint(file, wider); }) == f + ": dataset /W has shape [3, 4], expected [3, 5]");
        const auto longer = [](const model_config&) {
            parameter_layout l;
            l.add_vector("b", 6);
            l.add_matrix("W", 3, 4);
            return l;
        };
        CHECK(message_of([&] { io::read_checkpoint(file, longer); }) == f + ": dataset /b has shape [5], expected [6]");
    }
    SECTION("missing dataset")
    {
        io::write_checkpoint(file, cfg, layout, random_params(layout, 6));
        const auto more = [](const model_config&) {
            parameter_layout l;
            l.add_vector("b", 5);
            l.add_matrix("W", 3, 4);
            l.add_matrix("decoder/out/W", 3, 2);
            return l;
        };
        CHECK_THROWS_AS(io::read_checkpoint(file, more), epilstm::input_error);
        CHECK(message_of([&] { io::read_checkpoint(file, more); }) ==
              f + ": dataset /decoder/out/W is missing (this model needs it, float32 [3, 2])");
    }
    SECTION("rank 1 where rank 2 is expected")
    {
        io::write_checkpoint(file, cfg, layout, random_params(layout, 7));
        const auto b_as_matrix = [](const model_config&) {
            parameter_layout l;
            l.add_matrix("b", 5, 1);
            l.add_matrix("W", 3, 4);
            return l;
        };
        CHECK_THROWS_AS(io::read_checkpoint(file, b_as_matrix), epilstm::input_error);
        CHECK(message_of([&] { io::read_checkpoint(file, b_as_matrix); }) ==
              f + ": dataset /b has rank 1 (shape [5]), expected rank 2 with shape [5, 1]");
    }
    SECTION("integer dataset")
    {
        write_crafted(file, good_strings, good_ints, /*int_w=*/true);
        CHECK_THROWS_AS(io::read_checkpoint(file, tiny_layout), epilstm::input_error);
        CHECK(message_of([&] { io::read_checkpoint(file, tiny_layout); }) ==
              f + ": dataset /W has element type int32, expected floating point (float32 or float64)");
    }
    SECTION("non-finite parameter")
    {
        Eigen::VectorXf p = random_params(layout, 8);
        Eigen::Map<Eigen::MatrixXf>(p.data() + 16, 3, 4)(2, 1) = std::nanf("");
        io::write_checkpoint(file, cfg, layout, p);
        CHECK_THROWS_AS(io::read_checkpoint(file, tiny_layout), epilstm::input_error);
        CHECK_THROWS_WITH(io::read_checkpoint(file, tiny_layout), Contains(f + ": dataset /W has a non-finite value (NaN) at row 2, column 1"));
    }
    SECTION("optimizer state of the wrong size or without step")
    {
        io::atomic_output_file out(file);
        for (const auto& [k, v] : good_strings) out.write_string_attribute("/", k, v);
        for (const auto& [k, v] : good_ints) out.write_int_attribute("/", k, v);
        out.write_vector("/b", Eigen::VectorXf::Zero(5));
        out.write_matrix("/W", io::row_matrix::Zero(3, 4));
        out.write_vector("/optimizer/m", Eigen::VectorXf::Zero(layout.size()));
        out.write_vector("/optimizer/v", Eigen::VectorXf::Zero(layout.size() - 1));
        out.commit();
        CHECK_THROWS_AS(io::read_checkpoint(file, tiny_layout), epilstm::shape_error);
        CHECK(message_of([&] { io::read_checkpoint(file, tiny_layout); }) ==
              f + ": dataset /optimizer/v has shape [27], expected [28]");
    }
    SECTION("track names that do not match input_size")
    {
        io::atomic_output_file out(file);
        for (const auto& [k, v] : good_strings) out.write_string_attribute("/", k, v);
        for (const auto& [k, v] : good_ints) out.write_int_attribute("/", k, v);
        out.write_vector("/b", Eigen::VectorXf::Zero(5));
        out.write_matrix("/W", io::row_matrix::Zero(3, 4));
        out.write_strings("/tracks", {"a", "b"});
        out.commit();
        CHECK_THROWS_AS(io::read_checkpoint(file, tiny_layout), epilstm::shape_error);
        CHECK(message_of([&] { io::read_checkpoint(file, tiny_layout); }) ==
              f + ": dataset /tracks has 2 names but the model has input_size 3");
    }
}

TEST_CASE("writing a checkpoint is atomic", "[io][checkpoint][atomic]")
{
    temp_dir dir;
    const fs::path file = dir / "M.h5";
    const std::string f = file.string();
    const model_config cfg = tiny_config();
    const parameter_layout layout = tiny_layout(cfg);
    io::write_checkpoint(file, cfg, layout, random_params(layout, 9));
    const std::string before = slurp(file);
    REQUIRE_FALSE(before.empty());
    const auto unchanged = [&] {
        CHECK(slurp(file) == before);
        CHECK(dir.entries() == std::vector<std::string>{"M.h5"});
    };

    SECTION("parameters of the wrong size")
    {
        const Eigen::VectorXf short_params = Eigen::VectorXf::Zero(layout.size() - 1);
        CHECK_THROWS_AS(io::write_checkpoint(file, cfg, layout, short_params), epilstm::shape_error);
        CHECK(message_of([&] { io::write_checkpoint(file, cfg, layout, short_params); }) ==
              f + ": cannot write checkpoint: the parameter vector has 27 elements, the layout expects 28");
        unchanged();
    }
    SECTION("optimizer state or track names that do not match")
    {
        io::optimizer_state opt;
        opt.m = Eigen::VectorXf::Zero(layout.size());
        opt.v = Eigen::VectorXf::Zero(3);
        CHECK_THROWS_AS(io::write_checkpoint(file, cfg, layout, random_params(layout, 10), &opt), epilstm::shape_error);
        const std::vector<std::string> tracks = {"only", "two"};
        CHECK_THROWS_AS(io::write_checkpoint(file, cfg, layout, random_params(layout, 10), nullptr, &tracks),
                        epilstm::shape_error);
        unchanged();
    }
    SECTION("unknown activation")
    {
        model_config bad = cfg;
        bad.activation = "relu";
        CHECK_THROWS_AS(io::write_checkpoint(file, bad, layout, random_params(layout, 11)), epilstm::input_error);
        CHECK_THROWS_WITH(io::write_checkpoint(file, bad, layout, random_params(layout, 11)),
                          Contains("unknown activation 'relu' (allowed: 'softsign', 'tanh')"));
        unchanged();
    }
    SECTION("HDF5 failing midway (two tensors with one name)")
    {
        parameter_layout dup = layout;
        dup.add_matrix("W", 2, 2);
        CHECK_THROWS_AS(io::write_checkpoint(file, cfg, dup, random_params(dup, 12)), epilstm::io_error);
        CHECK_THROWS_WITH(io::write_checkpoint(file, cfg, dup, random_params(dup, 12)),
                          Contains(f + ": writing dataset /W failed"));
        unchanged();
    }
    SECTION("a tensor without a name, found after several datasets were written")
    {
        parameter_layout nameless = layout;
        nameless.add_vector("", 3);
        CHECK_THROWS_AS(io::write_checkpoint(file, cfg, nameless, random_params(nameless, 13)), epilstm::input_error);
        unchanged();
    }
    SECTION("a successful rewrite replaces the file")
    {
        const Eigen::VectorXf p = random_params(layout, 14);
        io::write_checkpoint(file, cfg, layout, p);
        CHECK(slurp(file) != before);
        CHECK(io::read_checkpoint(file, tiny_layout).params == p);
        CHECK(dir.entries() == std::vector<std::string>{"M.h5"});
    }
}

TEST_CASE("h5py reads a checkpoint", "[io][checkpoint][python]")
{
    temp_dir dir;
    const fs::path file = dir / "M.h5";
    const model_config cfg = tiny_config();
    const parameter_layout layout = tiny_layout(cfg);
    Eigen::VectorXf params = Eigen::VectorXf::Zero(layout.size());
    Eigen::Map<Eigen::MatrixXf> w(params.data() + 16, 3, 4);
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c) w(r, c) = static_cast<float>(10 * r + c);
    params.head(5) << 1, 2, 3, 4, 5;
    io::optimizer_state opt;
    opt.m = Eigen::VectorXf::Constant(layout.size(), 0.5f);
    opt.v = Eigen::VectorXf::Constant(layout.size(), 0.25f);
    opt.step = 42;
    const std::vector<std::string> tracks = {"E003-H3K4me3", "E003-H3K27ac", "E005-DNase"};
    io::write_checkpoint(file, cfg, layout, params, &opt, &tracks);

    if (!fs::exists("/usr/bin/python3") || std::system("/usr/bin/python3 -c 'import h5py, numpy' >/dev/null 2>&1") != 0) {
        WARN("/usr/bin/python3 with h5py not found; skipping the h5py check");
        return;
    }
    std::ostringstream py;
    py << "import h5py, numpy as np, sys\n"
       << "f = h5py.File('" << file.string() << "', 'r')\n"
       << "a = dict(f.attrs)\n"
       << "assert a['format'] == 'epilstm-checkpoint', a\n"
       << "assert a['version'] == 1 and a['input_size'] == 3 and a['hidden_size'] == 2 and a['frame_length'] == 10, a\n"
       << "assert a['activation'] == 'softsign' and a['normalization'] == 'layer_norm' and a['bidirectional'] == 0, a\n"
       << "assert a['wiring'] == 'paper', a\n"
       << "W = f['W'][()]\n"
       << "assert W.dtype == np.float32 and W.shape == (3, 4), (W.dtype, W.shape)\n"
       << "assert (W == 10 * np.arange(3)[:, None] + np.arange(4)[None, :]).all(), W\n"
       << "assert (f['b'][()] == [1, 2, 3, 4, 5]).all()\n"
       << "assert f['optimizer/m'].shape == (28,) and f['optimizer'].attrs['step'] == 42\n"
       << "assert (f['optimizer/v'][()] == 0.25).all()\n"
       << "assert list(f['tracks'].asstr()[()]) == ['E003-H3K4me3', 'E003-H3K27ac', 'E005-DNase'], f['tracks'][()]\n";
    const fs::path script = dir / "check.py";
    std::ofstream(script) << py.str();
    const int status = std::system(("/usr/bin/python3 " + script.string()).c_str());
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
