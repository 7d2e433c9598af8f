// Every run-time variant of the one list (model/variant_list.hpp) survives a checkpoint: written,
// read back and dispatched by with_model_type, it is the same type with the same parameters and
// the same outputs, bit for bit. The wiring is recorded (root attribute `wiring`): a checkpoint
// without it is the paper's model, an unknown value is refused.
#include <epilstm/io/checkpoint.hpp>
#include <epilstm/model/variants.hpp>

#include <catch2/catch.hpp>

#include "../support/scratch.hpp"

#include <H5Cpp.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace fs = std::filesystem;
namespace io = epilstm::io;
using namespace epilstm;
using Catch::Matchers::Contains;
using epilstm::testing::message_of;
using temp_dir = epilstm::testing::temp_dir;

namespace {

constexpr index_t D = 3, H = 4, F = 5;

/// One frame of B = 2 streams, the second ending early, with a carried hidden.
struct fixed_frame {
    Eigen::MatrixXf x = Eigen::MatrixXf(D, F * 2);
    Eigen::MatrixXf h0 = Eigen::MatrixXf(H, 2);
    index_t lengths[2] = {F, 3};
    frame_batch<float> batch;

    fixed_frame()
    {
        std::mt19937 rng(11);
        std::uniform_real_distribution<float> u(-1.f, 1.f);
        for (index_t i = 0; i < x.size(); ++i) x.data()[i] = std::asinh(3.f * u(rng));
        for (index_t i = 0; i < h0.size(); ++i) h0.data()[i] = 0.5f * u(rng);
        batch.positions = F;
        batch.batch = 2;
        batch.x = x.data();
        batch.lengths = lengths;
        batch.h0 = h0.data();
    }
};

struct outputs {
    float loss = 0;
    Eigen::VectorXf embedding, reconstruction;
};

template <class Model>
outputs run(const Model& m, const fixed_frame& f)
{
    typename Model::workspace ws;
    outputs o;
    o.loss = m.forward(ws, f.batch);
    o.embedding = ws.embedding;
    o.reconstruction = ws.reconstruction;
    return o;
}

bool same_bits(const Eigen::MatrixXf& a, const Eigen::MatrixXf& b)
{
    return a.rows() == b.rows() && a.cols() == b.cols() && (a.array() == b.array()).all();
}

/// A seeded model with every tensor moved off its initial values (γ ≠ 1, β ≠ 0).
template <class Model>
Model seeded_model(std::uint64_t seed)
{
    Model m(D, H, F);
    m.initialize(seed);
    std::mt19937 rng(static_cast<unsigned>(seed));
    std::uniform_real_distribution<float> jitter(-0.2f, 0.2f);
    for (const auto& t : m.layout().tensors())
        for (index_t i = 0; i < t.size(); ++i) m.parameters()[t.offset + i] += jitter(rng);
    return m;
}

/// Reads `path` the way the program does: the config, with_model_type on it, then the tensors.
template <class Fn>
void load(const fs::path& path, Fn&& f)
{
    const model_config cfg = io::read_checkpoint_config(path);
    with_model_type(
        cfg,
        [&](auto type) {
            using R = typename decltype(type)::type;
            const io::checkpoint ck = io::read_checkpoint(path, [](const model_config& c) { return R::layout_for(c); });
            R model(ck.config);
            model.parameters() = ck.params;
            f(model, ck);
        },
        path.string());
}

void set_string_attribute(const fs::path& path, const std::string& name, const std::string& value)
{
    H5::H5File file(path.string(), H5F_ACC_RDWR);
    if (file.attrExists(name)) file.removeAttr(name);
    const H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    H5::Attribute a = file.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
    const char* p = value.c_str();
    a.write(type, &p);
}

void remove_attribute(const fs::path& path, const std::string& name)
{
    H5::H5File file(path.string(), H5F_ACC_RDWR);
    file.removeAttr(name);
}

}  // namespace

TEST_CASE("the list has every combination of the four axes once", "[io][variants]")
{
    static_assert(runtime_variant_count == 16);
    static_assert(runtime_variant_count ==
                  runtime_activations::size * runtime_normalizations::size * runtime_wirings::size * runtime_encoders::size);
    std::set<std::tuple<std::string, std::string, std::string, bool>> seen;
    std::size_t visited = 0;
    for_each_runtime_model([&](auto type) {
        using M = typename decltype(type)::type;
        static_assert(std::is_same_v<typename M::scalar, float>);
        static_assert(!M::spec::has_static_hidden_size);
        const M m(D, H, F);
        const model_config& c = m.config();
        seen.emplace(c.activation, c.normalization, c.wiring, c.bidirectional);
        ++visited;
    });
    CHECK(visited == 16);
    CHECK(seen.size() == 16);
    CHECK(std::vector<std::string_view>(wiring_names.begin(), wiring_names.end()) ==
          std::vector<std::string_view>{"paper", "own_cell"});
    CHECK(runtime_variants_help() ==
          "activation {softsign, tanh} × normalization {layer_norm, none} × wiring {paper, own_cell} × "
          "encoder {unidirectional, bidirectional}: 16 variants");
    CHECK(choices_help(wiring_names) == "paper | own_cell");
}

TEST_CASE("every run-time variant saves and reloads to the same type, parameters and outputs", "[io][variants]")
{
    temp_dir dir;
    const fixed_frame frame;
    std::size_t checked = 0;
    for_each_runtime_model([&](auto type) {
        using M = typename decltype(type)::type;
        const std::uint64_t seed = 100 + checked;
        const M model = seeded_model<M>(seed);
        const model_config& cfg = model.config();
        const std::string name = cfg.activation + "/" + cfg.normalization + "/" + cfg.wiring + "/" +
                                 (cfg.bidirectional ? "bi" : "uni");
        INFO("variant " << name);
        CHECK(cfg.wiring == M::wiring::name);
        const fs::path path = dir / ("variant" + std::to_string(checked) + ".h5");
        io::write_checkpoint(path, cfg, model.layout(), model.parameters());

        CHECK(io::read_checkpoint_config(path) == cfg);
        const outputs want = run(model, frame);
        REQUIRE(want.loss > 0);
        bool loaded = false;
        load(path, [&](const auto& got, const io::checkpoint& ck) {
            using R = std::remove_cvref_t<decltype(got)>;
            loaded = true;
            CHECK(std::is_same_v<R, M>);
            CHECK(ck.config == cfg);
            CHECK(got.config() == cfg);
            CHECK(got.config().wiring == cfg.wiring);
            REQUIRE(got.parameters().size() == model.parameters().size());
            CHECK((got.parameters().array() == model.parameters().array()).all());
            const outputs out = run(got, frame);
            CHECK(out.loss == want.loss);
            CHECK(same_bits(out.embedding, want.embedding));
            CHECK(same_bits(out.reconstruction, want.reconstruction));
        });
        CHECK(loaded);
        ++checked;
    });
    CHECK(checked == 16);
}

TEST_CASE("the wiring changes the outputs, so losing it would be a silent change of model", "[io][variants]")
{
    // Same layout, same parameters: only the decoder's cell source differs.
    using paper = runtime_model<softsign, layer_norm, paper_wiring, unidirectional>;
    using own = runtime_model<softsign, layer_norm, own_cell_wiring, unidirectional>;
    const paper a = seeded_model<paper>(7);
    own b(D, H, F);
    REQUIRE(b.parameters().size() == a.parameters().size());
    b.parameters() = a.parameters();
    const fixed_frame frame;
    const outputs oa = run(a, frame), ob = run(b, frame);
    CHECK(same_bits(oa.embedding, ob.embedding));  // the encoders are the same
    CHECK_FALSE(same_bits(oa.reconstruction, ob.reconstruction));
    CHECK(oa.loss != ob.loss);
    // A configuration naming one wiring does not build the other.
    CHECK_FALSE(own::matches(a.config()));
    CHECK_THROWS_WITH(own(a.config()), Contains("wiring 'paper'"));
}

TEST_CASE("a checkpoint without the wiring attribute is the paper's model", "[io][variants]")
{
    temp_dir dir;
    const fixed_frame frame;

    SECTION("an epilstm checkpoint with the attribute removed")
    {
        using M = runtime_model<tanh_activation, no_norm, paper_wiring, bidirectional>;
        const M model = seeded_model<M>(3);
        const fs::path path = dir / "old.h5";
        io::write_checkpoint(path, model.config(), model.layout(), model.parameters());
        remove_attribute(path, "wiring");
        REQUIRE_FALSE(io::input_file(path).has_attribute("/", "wiring"));
        CHECK(io::read_checkpoint_config(path).wiring == "paper");
        bool loaded = false;
        load(path, [&](const auto& got, const io::checkpoint& ck) {
            loaded = true;
            CHECK(std::is_same_v<std::remove_cvref_t<decltype(got)>, M>);
            CHECK(ck.config == model.config());
            const outputs want = run(model, frame), out = run(got, frame);
            CHECK(out.loss == want.loss);
            CHECK(same_bits(out.reconstruction, want.reconstruction));
        });
        CHECK(loaded);
    }
    SECTION("a checkpoint written by the PyTorch reference (MODEL-SPEC attributes only)")
    {
        const fs::path fixture = fs::path(EPILSTM_SOURCE_DIR) / "tests/fixtures/parity/softsign_layer_norm.model.h5";
        REQUIRE(fs::exists(fixture));
        REQUIRE_FALSE(io::input_file(fixture).has_attribute("/", "wiring"));
        CHECK(io::read_checkpoint_config(fixture).wiring == "paper");
        bool loaded = false;
        load(fixture, [&](const auto& got, const io::checkpoint&) {
            loaded = true;
            CHECK(std::is_same_v<std::remove_cvref_t<decltype(got)>,
                                 runtime_model<softsign, layer_norm, paper_wiring, unidirectional>>);
        });
        CHECK(loaded);
    }
}

TEST_CASE("an unknown wiring is refused, naming the file and the allowed values", "[io][variants][errors]")
{
    temp_dir dir;
    using M = runtime_model<softsign, layer_norm, own_cell_wiring, unidirectional>;
    const M model = seeded_model<M>(5);
    const fs::path path = dir / "bogus.h5";
    io::write_checkpoint(path, model.config(), model.layout(), model.parameters());
    set_string_attribute(path, "wiring", "bogus");

    const std::string want = path.string() + ": checkpoint attributes: unknown wiring 'bogus' (allowed: 'paper', 'own_cell')";
    CHECK(message_of([&] { io::read_checkpoint_config(path); }) == want);
    CHECK(message_of([&] { io::read_checkpoint(path, M::layout_for); }) == want);
    CHECK_THROWS_AS(io::read_checkpoint_config(path), epilstm::input_error);
    CHECK(message_of([&] { load(path, [](const auto&, const io::checkpoint&) {}); }) == want);

    // Nor is one written: the previous file stays.
    model_config bad = model.config();
    bad.wiring = "bogus";
    const std::string before = epilstm::testing::slurp(path);
    CHECK_THROWS_WITH(io::write_checkpoint(path, bad, model.layout(), model.parameters()),
                      Contains(path.string()) && Contains("unknown wiring 'bogus'"));
    CHECK(epilstm::testing::slurp(path) == before);

    // And with_model_type refuses such a configuration by name.
    CHECK_THROWS_WITH(with_model_type(bad, [](auto) {}, "cfg"),
                      "cfg: unknown wiring 'bogus' (allowed: 'paper', 'own_cell')");
}
