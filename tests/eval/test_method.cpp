// eval/method.hpp and eval/model_method.hpp: the representation methods `epilstm evaluate`
// compares. Widths and embeddings on a tiny synthetic signal; a method fitted on some regions
// embeds a region it was not fitted on; the model methods embed as eval::embed_representation does.
// The provenance an embedding file records (streams, the checkpoint's checksum) and how `evaluate`
// settles held-out chromosomes, streams and the model check from it.
#include <epilstm/eval/method.hpp>
#include <epilstm/eval/model_method.hpp>

#include <epilstm/io/checkpoint.hpp>
#include <epilstm/io/checksum.hpp>
#include <epilstm/io/embedding_file.hpp>

#include "../support/scratch.hpp"

#include <catch2/catch.hpp>

#include <fstream>

#include <cmath>
#include <set>
#include <string>

using namespace epilstm;
using namespace epilstm::eval;

namespace {

represented_region region(const std::string& name, const std::string& chrom, row_matrix rows)
{
    const auto n = static_cast<std::int64_t>(rows.rows());
    return {name, chrom, 1000, 1000 + 25 * n, 25, std::move(rows)};
}

/// Three regions × 50 positions × 3 tracks. On the training regions (chr1, chr2) only track 0
/// varies (0 .. 99); the held-out region (chr3) varies in every track.
representation tiny_signal()
{
    representation s{"tiny", 3, {}};
    row_matrix a(50, 3), b(50, 3), c(50, 3);
    for (index_t i = 0; i < 50; ++i) {
        a.row(i) << static_cast<float>(i), 1.f, 2.f;
        b.row(i) << static_cast<float>(i + 50), 1.f, 2.f;
        c.row(i) << static_cast<float>(2 * i), static_cast<float>(5 + i), static_cast<float>(-i);
    }
    s.regions = {region("A", "chr1", a), region("B", "chr2", b), region("H", "chr3", c)};
    return s;
}

const region_filter not_chr3 = [](const represented_region& g) { return g.chrom != "chr3"; };

model_config tiny_config(bool bidirectional = false)
{
    model_config c;
    c.input_size = 3;
    c.hidden_size = 4;
    c.frame_length = 10;
    c.bidirectional = bidirectional;
    return c;
}

}  // namespace

TEST_CASE("the raw signal is its own representation, one feature per track")
{
    const representation s = tiny_signal();
    signal_method m;
    CHECK(m.name() == "raw-signal");
    m.fit(s, not_chr3);
    CHECK(m.width() == 3);
    const represented_region h = m.embed_region(s.regions[2]);
    CHECK(h.name == "H");
    CHECK(h.rows == s.regions[2].rows);
    representation narrow{"narrow", 2, {region("N", "chr1", row_matrix::Zero(4, 2))}};
    CHECK_THROWS_AS(m.embed_region(narrow.regions[0]), shape_error);
}

TEST_CASE("PCA fitted on the training regions embeds the held-out region with the training components")
{
    const representation s = tiny_signal();
    pca_method m(1);
    CHECK(m.name() == "pca");
    CHECK(m.description() == "the signal's first 1 principal components");
    CHECK_THROWS_AS(m.embed_region(s.regions[0]), input_error);  // not fitted yet
    m.fit(s, not_chr3);
    CHECK(m.width() == 1);
    // Fitted on chr1 and chr2 only: mean of track 0 over 0..99, the only direction with variance.
    CHECK(m.model().mean[0] == Approx(49.5));
    CHECK(std::abs(m.model().components(0, 0)) == Approx(1.0));

    // chr3 was never seen: its projection is ±(x0 − 49.5), whatever its other tracks do.
    const represented_region h = m.embed_region(s.regions[2]);
    REQUIRE(h.rows.rows() == 50);
    REQUIRE(h.rows.cols() == 1);
    const double sign = m.model().components(0, 0) > 0 ? 1 : -1;
    for (index_t i = 0; i < 50; ++i) CHECK(h.rows(i, 0) == Approx(sign * (2.0 * static_cast<double>(i) - 49.5)));
    // The whole representation embeds every region the same way.
    const representation all = m.embed(s);
    REQUIRE(all.regions.size() == 3);
    CHECK(all.regions[2].rows == h.rows);

    // Fitted on every region (the evaluation's pca row), the held-out region moves the mean.
    pca_method every(1, pca_method::fit_on::every_region);
    every.fit(s, not_chr3);
    CHECK(every.model().mean[0] == Approx((4950.0 + 2450.0) / 150.0));
    // More components than tracks: as many as there are tracks.
    pca_method wide(5);
    wide.fit(s, not_chr3);
    CHECK(wide.width() == 3);
}

TEST_CASE("an embedding file embeds exactly its regions; the majority baseline has no features")
{
    const representation s = tiny_signal();
    representation file{"emb.h5", 2, {}};
    file.regions.push_back(region("B", "chr2", row_matrix::Constant(50, 2, 7.f)));
    file.regions.push_back(region("H", "chr3", row_matrix::Constant(50, 2, 9.f)));
    embedding_file_method e(file, "epi-lstm", "the representation");
    e.fit(s, not_chr3);
    CHECK(e.width() == 2);
    CHECK(e.embed_region(s.regions[2]).rows(0, 1) == 9.f);
    CHECK_THROWS_AS(e.embed_region(s.regions[0]), input_error);  // A is not in the file
    represented_region moved = s.regions[1];
    moved.start += 25;
    moved.end += 25;
    CHECK_THROWS_AS(e.embed_region(moved), input_error);  // B elsewhere

    majority_method maj;
    maj.fit(s, not_chr3);
    CHECK(maj.width() == 0);
    const represented_region z = maj.embed_region(s.regions[2]);
    CHECK(z.rows.rows() == 50);
    CHECK(z.rows.cols() == 0);

    // The store's signal over the file's regions, in the file's order; a region elsewhere is an error.
    const representation over = signal_over(s, file, "emb.h5", "store.h5");
    REQUIRE(over.regions.size() == 2);
    CHECK(over.regions[0].name == "B");
    CHECK(over.regions[1].rows == s.regions[2].rows);
    file.regions[0].start += 25;
    CHECK_THROWS_WITH(signal_over(s, file, "emb.h5", "store.h5"),
                      Catch::Contains("emb.h5: region B is not in store.h5 with the same coordinates"));
}

TEST_CASE("fit_and_embed fits each method on the training regions and embeds every region")
{
    const representation s = tiny_signal();
    method_list methods;
    methods.push_back(std::make_unique<signal_method>());
    methods.push_back(std::make_unique<pca_method>(1));
    methods.push_back(std::make_unique<majority_method>());
    std::vector<std::string> seen;
    const auto out = fit_and_embed(methods, s, not_chr3, [&](const representation_method& m) { seen.push_back(m.name()); });
    CHECK(seen == std::vector<std::string>{"raw-signal", "pca", "majority"});
    REQUIRE(out.size() == 3);
    CHECK(out[0].rep.width == 3);
    CHECK(out[1].rep.width == 1);
    CHECK(out[2].rep.width == 0);
    CHECK_FALSE(out[2].has_features());
    for (const auto& m : out) CHECK(m.rep.regions.size() == 3);
    const double sign = static_cast<const pca_method&>(*methods[1]).model().components(0, 0) > 0 ? 1 : -1;
    CHECK(out[1].rep.regions[2].rows(10, 0) == Approx(sign * (20.0 - 49.5)));
    CHECK(on_chromosomes(s, std::set<std::string>{"chr3"}).regions.size() == 1);

    // What each was fitted on, for the report.
    CHECK(out[0].scope == fit_scope::nothing);
    CHECK(out[0].fitted_regions == 0);
    CHECK(out[1].scope == fit_scope::training_regions);
    CHECK(out[1].fitted_regions == 2);
    CHECK(out[1].fitted_positions == 100);
    method_list every;
    every.push_back(std::make_unique<pca_method>(1, pca_method::fit_on::every_region));
    const auto e = fit_and_embed(every, s, not_chr3);
    CHECK(e[0].scope == fit_scope::every_region);
    CHECK(e[0].fitted_regions == 3);
    CHECK(e[0].fitted_positions == 150);
}

TEST_CASE("FNV-1a 64 checksums of files")
{
    // Reference values of FNV-1a 64 (the offset basis for the empty input; "a" from the published table).
    CHECK(io::fnv1a64("") == 14695981039346656037ull);
    CHECK(io::fnv1a64("a") == 0xaf63dc4c8601ec8cull);
    CHECK(io::fnv1a64("foobar") == 0x85944171f73967e8ull);
    CHECK(io::format_fnv1a64(0xaf63dc4c8601ec8cull) == "fnv1a64:af63dc4c8601ec8c");
    epilstm::testing::temp_dir tmp("epilstm-checksum");
    {
        std::ofstream f(tmp / "x.bin", std::ios::binary);
        f << "foobar";
    }
    CHECK(io::file_checksum(tmp / "x.bin") == "fnv1a64:85944171f73967e8");
    CHECK_THROWS_AS(io::file_checksum(tmp / "missing.bin"), io_error);
}

TEST_CASE("evaluate's provenance: the model check, the streams, the held-out chromosomes and validation regions")
{
    epilstm::testing::temp_dir tmp("epilstm-provenance");
    const model_config cfg = tiny_config();
    const std::vector<std::string> heldout{"chr3"};
    const io::training_provenance recorded{heldout, {"B"}};
    with_model_type(cfg, [&](auto type) {
        using M = typename decltype(type)::type;
        M m(cfg);
        m.initialize(1);
        io::write_checkpoint(tmp / "model.h5", cfg, m.layout(), m.parameters(), nullptr, nullptr, nullptr, &recorded);
        m.initialize(2);
        io::write_checkpoint(tmp / "other.h5", cfg, m.layout(), m.parameters());
    });
    const std::string sum = io::file_checksum(tmp / "model.h5");
    CHECK(sum != io::file_checksum(tmp / "other.h5"));

    auto write_embedding = [&](const std::filesystem::path& p, bool record) {
        io::embedding_writer w(p, 2, 25, (tmp / "model.h5").string(), "store.h5", 3);
        if (record) w.record_model(3, sum);
        w.begin_region("A", "chr1", 0, 50, 25, 2);
        const float rows[4] = {1, 2, 3, 4};
        w.write_rows(0, 2, rows);
        w.commit();
    };
    write_embedding(tmp / "new.h5", true);
    write_embedding(tmp / "old.h5", false);
    const io::embedding_provenance fresh = io::read_embedding_provenance(tmp / "new.h5");
    CHECK(fresh.streams == 3);
    CHECK(fresh.model_checksum == sum);
    CHECK(fresh.model == (tmp / "model.h5").string());
    CHECK(fresh.source == "store.h5");
    const io::embedding_provenance old = io::read_embedding_provenance(tmp / "old.h5");
    CHECK(old.streams == 0);
    CHECK(old.model_checksum.empty());
    // The file method exposes it.
    CHECK(embedding_file_method(tmp / "new.h5").provenance().streams == 3);

    SECTION("the right model: streams and held-out chromosomes from the files")
    {
        const auto p = resolve_evaluation_provenance(fresh, tmp / "new.h5", tmp / "model.h5", std::nullopt, 0);
        CHECK(p.streams == 3);
        CHECK(p.heldout_chroms == heldout);
        CHECK(p.heldout_source == "the checkpoint's /provenance/heldout_chroms");
        CHECK(p.validation_regions == recorded.validation_regions);
        CHECK_THAT(p.summary, Catch::Contains(sum));
        CHECK(p.notes.empty());
    }
    SECTION("options given override the files, with a note where they differ")
    {
        const auto p = resolve_evaluation_provenance(fresh, tmp / "new.h5", tmp / "model.h5",
                                                     std::vector<std::string>{"chr1"}, 5, std::vector<std::string>{"A"});
        CHECK(p.streams == 5);
        CHECK(p.heldout_chroms == std::vector<std::string>{"chr1"});
        CHECK(p.heldout_source == "--heldout-chroms");
        CHECK(p.validation_regions == std::vector<std::string>{"A"});
        REQUIRE(p.notes.size() == 3);
        CHECK_THAT(p.notes[0], Catch::Contains("made with 3 streams"));
        CHECK_THAT(p.notes[1], Catch::Contains("--validation-regions differs from the 1 regions the checkpoint records"));
        CHECK_THAT(p.notes[2], Catch::Contains("differs from the chromosomes the checkpoint records"));
    }
    SECTION("another model: an error naming both files")
    {
        CHECK_THROWS_AS(resolve_evaluation_provenance(fresh, tmp / "new.h5", tmp / "other.h5", std::nullopt, 0),
                        input_error);
        CHECK_THROWS_WITH(resolve_evaluation_provenance(fresh, tmp / "new.h5", tmp / "other.h5", std::nullopt, 0),
                          Catch::Contains((tmp / "other.h5").string() + ": not the checkpoint " +
                                          (tmp / "new.h5").string() + " was made with") &&
                              Catch::Contains(sum));
    }
    SECTION("an older embedding file: accepted, one stream, with notes")
    {
        const auto p = resolve_evaluation_provenance(old, tmp / "old.h5", tmp / "other.h5", std::nullopt, 0);
        CHECK(p.streams == 1);
        CHECK(p.heldout_chroms.empty());  // other.h5 records none
        CHECK(p.heldout_source.empty());
        CHECK(p.validation_regions.empty());
        REQUIRE(p.notes.size() == 2);
        CHECK_THAT(p.notes[0], Catch::Contains("records no checksum"));
        CHECK_THAT(p.notes[1], Catch::Contains("does not record its stream count"));
    }
    SECTION("no model: nothing checked, the embedding's streams")
    {
        const auto p = resolve_evaluation_provenance(fresh, tmp / "new.h5", {}, std::nullopt, 0);
        CHECK(p.streams == 3);
        CHECK(p.heldout_chroms.empty());
        CHECK(p.notes.empty());
    }
}

TEST_CASE("model methods embed as embed_representation does, region by region or all at once")
{
    const representation s = tiny_signal();
    const model_config cfg = tiny_config();

    // The control: the architecture initialized from the seed, never trained.
    const auto control = random_weights_method(cfg, 7, 2);
    CHECK(control->name() == "random-weights");
    CHECK(control->width() == 4);
    control->fit(s, not_chr3);
    const representation all = control->embed(s);
    REQUIRE(all.regions.size() == 3);
    CHECK(all.width == 4);
    // A region embedded alone (here the one on the held-out chromosome) is what embedding every
    // region gives for it.
    const represented_region h = control->embed_region(s.regions[2]);
    CHECK(h.rows == all.regions[2].rows);
    CHECK(h.rows.allFinite());

    Eigen::VectorXf seven, eight;
    representation direct;
    with_model_type(cfg, [&](auto type) {
        using M = typename decltype(type)::type;
        M m(cfg);
        m.initialize(7);
        seven = m.parameters();
        direct = embed_representation(m, s, 2);
        m.initialize(8);
        eight = m.parameters();
    });
    for (std::size_t k = 0; k < 3; ++k) CHECK(direct.regions[k].rows == all.regions[k].rows);

    // A trained model given by its parameters: seed 7's parameters give the control's embedding,
    // seed 8's another.
    const auto same = trained_model_method(cfg, seven, 2);
    CHECK(same->name() == "epi-lstm");
    CHECK(same->embed_region(s.regions[0]).rows == all.regions[0].rows);
    const auto other = trained_model_method(cfg, eight, 2);
    CHECK(other->embed_region(s.regions[0]).rows != all.regions[0].rows);
    CHECK_THROWS_AS(trained_model_method(cfg, Eigen::VectorXf::Zero(3), 2), shape_error);

    // Bidirectional: twice as wide.
    CHECK(random_weights_method(tiny_config(true), 7, 2)->width() == 8);
    CHECK(describe_model(tiny_config(true)) == "softsign, layer_norm, H = 4, bidirectional, frame 10");
}
