// Parity with the independent PyTorch implementation (tests/reference/epilstm_reference.py) on the
// committed fixtures in tests/fixtures/parity: the same float32 weights and signal must give the
// same embedding, reconstruction, frame loss and parameter gradients.
#include <epilstm/io/checkpoint.hpp>
#include <epilstm/io/hdf5.hpp>
#include <epilstm/io/matrix_file.hpp>
#include <epilstm/model/variants.hpp>
#include <epilstm/train/trainer.hpp>

#include <catch2/catch.hpp>

#include "../support/fixtures.hpp"

#include <filesystem>
#include <string>

using namespace epilstm;
namespace fs = std::filesystem;

namespace {

const fs::path fixtures = fs::path(EPILSTM_SOURCE_DIR) / "tests" / "fixtures" / "parity";

using testing::max_rel;
using testing::read_double;
using testing::rowmajor_d;

template <class Model>
void check_variant(const std::string& name)
{
    const fs::path model_file = fixtures / (name + ".model.h5"), matrix_file = fixtures / (name + ".matrix.h5"),
                   expected_file = fixtures / (name + ".expected.h5");
    using MD = epi_lstm<typename Model::spec, typename Model::wiring, typename Model::encoder_direction, double>;
    const auto ck = io::read_checkpoint(model_file, [](const model_config& c) { return Model::layout_for(c); });
    const auto x = io::read_signal(matrix_file);
    const index_t N = x.rows(), D = x.cols(), H = ck.config.hidden_size, F = ck.config.frame_length;
    REQUIRE(D == ck.config.input_size);

    const rowmajor_d emb_expected = read_double(expected_file, "/embedding");
    const rowmajor_d rec_expected = read_double(expected_file, "/reconstruction");

    SECTION("float32 forward over the whole stream (≤ 1e-5 relative)")
    {
        Model m(ck.config);
        m.parameters() = ck.params;
        Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> emb(N, H), rec(N, D);
        run_model(m, signal_view<float>{x.data(), N, D, nullptr}, 1, emb.data(), rec.data());
        CHECK(max_rel(emb.cast<double>(), emb_expected) <= 1e-5);
        CHECK(max_rel(rec.cast<double>(), rec_expected) <= 1e-5);
    }

    SECTION("float64 forward, loss and gradients of the first frame (≤ 1e-9 relative)")
    {
        MD m(ck.config);
        m.parameters() = ck.params.template cast<double>();
        const rowmajor_d xd = x.cast<double>();
        rowmajor_d emb(N, H), rec(N, D);
        const auto pass = run_model(m, signal_view<double>{xd.data(), N, D, nullptr}, 1, emb.data(), rec.data());
        CHECK(max_rel(emb, emb_expected) <= 1e-9);
        CHECK(max_rel(rec, rec_expected) <= 1e-9);
        CHECK(pass.loss == Approx(read_double(expected_file, "/stream_loss")(0, 0)).epsilon(1e-9));

        frame_batch<double> fb;
        fb.positions = F;
        fb.batch = 1;
        const index_t lengths[] = {F};
        fb.lengths = lengths;
        fb.x = xd.data();
        typename MD::workspace ws;
        const double loss = m.forward(ws, fb);
        CHECK(loss == Approx(read_double(expected_file, "/frame0_loss")(0, 0)).epsilon(1e-10));
        Eigen::VectorXd grad = Eigen::VectorXd::Zero(m.parameters().size());
        m.backward(ws, fb, grad);
        for (const auto& t : m.layout().tensors()) {
            const rowmajor_d e = read_double(expected_file, "/grad/" + t.name);
            REQUIRE(e.size() == t.size());
            const Eigen::Map<const Eigen::MatrixXd> g(grad.data() + t.offset, t.rows, t.cols);
            const rowmajor_d got = g;  // column-major tensor viewed row-major below
            INFO("gradient of " << t.name);
            CHECK(max_rel(got.reshaped<Eigen::RowMajor>(e.rows(), e.cols()), e) <= 1e-9);
        }
    }
}

}  // namespace

TEST_CASE("softsign + layer norm matches the PyTorch reference", "[parity]")
{
    check_variant<softsign_layer_norm<float>>("softsign_layer_norm");
}
TEST_CASE("tanh + layer norm matches the PyTorch reference", "[parity]")
{
    check_variant<tanh_layer_norm<float>>("tanh_layer_norm");
}
TEST_CASE("softsign without normalization matches the PyTorch reference", "[parity]")
{
    check_variant<softsign_no_norm<float>>("softsign_none");
}
TEST_CASE("tanh without normalization matches the PyTorch reference", "[parity]")
{
    check_variant<tanh_no_norm<float>>("tanh_none");
}
