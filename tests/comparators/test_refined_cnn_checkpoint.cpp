// Tests for io/refined_cnn_checkpoint.hpp: the round trip of a full REFINED+CNN checkpoint and one
// test per invalid input, each checking that the message names the file and the dataset or
// attribute.
#include <epilstm/io/refined_cnn_checkpoint.hpp>

#include <catch2/catch.hpp>

#include "../support/scratch.hpp"

#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace io = epilstm::io;
using namespace epilstm;
using Catch::Matchers::Contains;
using epilstm::testing::message_of;
using temp_dir = epilstm::testing::temp_dir;

namespace {

const std::vector<std::string> five = {"E003-H3K4me3", "E003-H3K27ac", "E004-H3K4me3", "E004-H3K27ac", "E005-DNase"};
const refined_placement place3{3, {4, 0, 8, 2, 6}, 0.125};

refined_cnn<float> small_model()
{
    refined_cnn_config c;
    c.grid = 3;
    c.embedding = 3;
    c.channels1 = 2;
    c.channels2 = 4;
    refined_cnn<float> m(c);
    m.initialize(9);
    for (const tensor_desc& t : m.layout().tensors())
        if (t.rank == 1)
            for (index_t i = 0; i < t.size(); ++i) m.parameters()[t.offset + i] = 0.01f * static_cast<float>(i + 1);
    return m;
}

/// A checkpoint written by hand, each CNN part replaceable or left out, to make bad inputs.
struct raw_cnn_file {
    std::optional<long> embedding = 3, channels1 = 2, channels2 = 4;
    bool cnn_group = true;
    std::string skip;          ///< a tensor left out
    std::string wrong_shape;   ///< a tensor written one row short
    std::string non_finite;    ///< a tensor with a NaN

    void write(const fs::path& path) const
    {
        const refined_cnn<float> m = small_model();
        io::atomic_output_file out(path);
        io::write_refined_part(out, five, place3);
        if (cnn_group) {
            out.create_group("/cnn");
            if (embedding) out.write_int_attribute("/cnn", "embedding_size", *embedding);
            if (channels1) out.write_int_attribute("/cnn", "channels1", *channels1);
            if (channels2) out.write_int_attribute("/cnn", "channels2", *channels2);
            for (const tensor_desc& t : m.layout().tensors()) {
                if (t.name == skip) continue;
                Eigen::MatrixXf v = Eigen::Map<const Eigen::MatrixXf>(m.parameters().data() + t.offset, t.rows, t.cols);
                if (t.name == wrong_shape) v = Eigen::MatrixXf(v.topRows(t.rows - 1));
                if (t.name == non_finite) v(0, 0) = std::numeric_limits<float>::quiet_NaN();
                if (t.rank == 2)
                    out.write_matrix("/cnn/" + t.name, io::row_matrix(v));
                else
                    out.write_vector("/cnn/" + t.name, Eigen::Map<const Eigen::VectorXf>(v.data(), v.rows()));
            }
        }
        out.commit();
    }
};

std::string read_error(const raw_cnn_file& r, const temp_dir& dir)
{
    const fs::path path = dir / "bad.h5";
    r.write(path);
    return message_of([&] { (void)io::read_refined_cnn_checkpoint(path); });
}

}  // namespace

TEST_CASE("round trip of a REFINED+CNN checkpoint")
{
    temp_dir dir("epilstm-refined-cnn-ckpt");
    const refined_cnn<float> m = small_model();
    const fs::path path = dir / "rc.h5";
    io::write_refined_cnn_checkpoint(path, five, place3, m);
    const auto c = io::read_refined_cnn_checkpoint(path);
    CHECK(c.tracks == five);
    CHECK(c.placement.grid == 3);
    CHECK(c.placement.pixel == place3.pixel);
    CHECK(c.placement.cost == 0.125);
    CHECK(c.model.config().grid == 3);
    CHECK(c.model.config().embedding == 3);
    CHECK(c.model.config().channels1 == 2);
    CHECK(c.model.config().channels2 == 4);
    CHECK(c.model.parameters() == m.parameters());
    // the REFINED reader still reads the REFINED part of the full file
    CHECK(io::read_refined_checkpoint(path).placement.pixel == place3.pixel);
    // read as double: the same values, and the same embedding
    const auto d = io::read_refined_cnn_checkpoint<double>(path);
    CHECK(d.model.parameters() == m.parameters().cast<double>());
    Eigen::MatrixXf x = Eigen::MatrixXf::Random(9, 4);
    CHECK((d.model.embed(x.cast<double>()).cast<float>() - m.embed(x)).cwiseAbs().maxCoeff() < 1e-5f);
    // and a written-by-hand file with the same content reads the same
    raw_cnn_file{}.write(dir / "raw.h5");
    CHECK(io::read_refined_cnn_checkpoint(dir / "raw.h5").model.parameters() == m.parameters());
}

TEST_CASE("writing a REFINED+CNN checkpoint checks the grid and the parameters")
{
    temp_dir dir("epilstm-refined-cnn-ckpt");
    refined_cnn<float> m = small_model();
    const refined_placement place4{4, {4, 0, 8, 2, 6}, 0};
    CHECK_THAT(message_of([&] { io::write_refined_cnn_checkpoint(dir / "a.h5", five, place4, m); }),
               Contains("a.h5") && Contains("grid is 3") && Contains("placement's is 4"));
    m.parameters()[0] = std::numeric_limits<float>::infinity();
    CHECK_THAT(message_of([&] { io::write_refined_cnn_checkpoint(dir / "b.h5", five, place3, m); }), Contains("non-finite"));
    CHECK_FALSE(fs::exists(dir / "a.h5"));
    CHECK_FALSE(fs::exists(dir / "b.h5"));
}

TEST_CASE("reading a REFINED+CNN checkpoint: one clear error per bad input")
{
    temp_dir dir("epilstm-refined-cnn-ckpt");
    {
        io::write_refined_checkpoint(dir / "bad.h5", five, place3);  // the REFINED part only
        const std::string e = message_of([&] { (void)io::read_refined_cnn_checkpoint(dir / "bad.h5"); });
        CHECK_THAT(e, Contains("bad.h5") && Contains("group /cnn is missing"));
    }
    raw_cnn_file r;
    r.channels1.reset();
    CHECK_THAT(read_error(r, dir), Contains("bad.h5") && Contains("'channels1'") && Contains("missing"));
    r = {};
    r.embedding = 0;
    CHECK_THAT(read_error(r, dir), Contains("bad.h5") && Contains("'embedding_size'") && Contains("expected >= 1"));
    r = {};
    r.skip = "decoder/b";
    CHECK_THAT(read_error(r, dir), Contains("bad.h5") && Contains("/cnn/decoder/b is missing") && Contains("[36]"));
    r = {};
    r.wrong_shape = "encoder/W";
    CHECK_THAT(read_error(r, dir), Contains("bad.h5") && Contains("/cnn/encoder/W") && Contains("[2, 36]") &&
                                       Contains("expected [3, 36]"));
    r = {};
    r.channels2 = 5;  // the tensors were written for C2 = 4
    CHECK_THAT(read_error(r, dir), Contains("bad.h5") && Contains("/cnn/conv2/W") && Contains("expected [5, 18]"));
    r = {};
    r.embedding = std::int64_t(1) << 40;  // would overflow the layout / allocate terabytes (tests/fuzz)
    CHECK_THAT(read_error(r, dir), Contains("bad.h5") && Contains("embedding_size is 1099511627776, expected at most 65536"));
    r = {};
    r.non_finite = "output/W";
    CHECK_THAT(read_error(r, dir), Contains("bad.h5") && Contains("/cnn/output/W"));
}
