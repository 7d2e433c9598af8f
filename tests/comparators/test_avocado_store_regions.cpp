// The out-of-core Avocado region store (io/avocado_store_regions.hpp): signal read from a signal
// store at checkout, factors and lazy-Adam moments kept in scratch files between windows. Training
// through it must be bit-identical to training the same regions held in memory, with any window.
#include <epilstm/io/avocado_store_regions.hpp>

#include <catch2/catch.hpp>

#include "../support/scratch.hpp"

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

using namespace epilstm;
namespace fs = std::filesystem;
using epilstm::testing::temp_dir;

namespace {

const std::vector<io::track_info> tracks = {{"E1.A", "E1", "A", "/x/E1.A.bigWig"},
                                            {"E1.B", "E1", "B", "/x/E1.B.bigWig"},
                                            {"E2.A", "E2", "A", "/x/E2.A.bigWig"},
                                            {"E2.B", "E2", "B", "/x/E2.B.bigWig"}};

struct spec {
    std::string name, chrom;
    std::int64_t start;
    index_t n;
};
const std::vector<spec> regions = {{"r0", "chrA", 0, 450}, {"r1", "chrA", 50000, 230}, {"r2", "chrB", 2500, 320}};

/// A store of smooth signals (a sum of two waves per track); position 17 of every region has no data.
fs::path write_store(const temp_dir& dir)
{
    io::genome g;
    g.path = "test.sizes";
    g.chroms = {{"chrA", 200000}, {"chrB", 50000}};
    const fs::path out = dir / "store.h5";
    io::signal_store_writer w(out, tracks, g, 25, "asinh", 128);
    const index_t D = static_cast<index_t>(tracks.size());
    for (std::size_t r = 0; r < regions.size(); ++r) {
        const auto& s = regions[r];
        w.begin_region(s.name, s.chrom, s.start, s.start + s.n * 25);
        std::vector<float> x(static_cast<std::size_t>(D * s.n));
        std::vector<std::uint8_t> h(static_cast<std::size_t>(D * s.n), 1);
        for (index_t d = 0; d < D; ++d)
            for (index_t i = 0; i < s.n; ++i) {
                const double t = static_cast<double>(i) / 40.0 + static_cast<double>(r);
                x[static_cast<std::size_t>(d * s.n + i)] =
                    static_cast<float>(1.0 + std::sin(t * (1 + d % 2)) + 0.5 * (d / 2) * std::cos(t));
                if (i == 17) h[static_cast<std::size_t>(d * s.n + i)] = 0, x[static_cast<std::size_t>(d * s.n + i)] = 0;
            }
        w.write_block(s.n, x.data(), h.data());
        w.end_region();
    }
    w.commit();
    return out;
}

avocado_model<float> small_model()
{
    avocado_config c;
    c.celltypes = 2;
    c.assays = 2;
    c.celltype_factors = 2;
    c.assay_factors = 2;
    c.genome_25_factors = 3;
    c.genome_250_factors = 2;
    c.genome_5k_factors = 2;
    c.layers = 1;
    c.units = 12;
    avocado_model<float> m(c, {{0, 0}, {0, 1}, {1, 0}, {1, 1}});
    m.initialize(5);
    return m;
}

avocado_train_options options(index_t window)
{
    avocado_train_options o;
    o.batch_size = 256;
    o.adam.learning_rate = 1e-2;
    o.window_regions = window;
    o.seed = 9;
    return o;
}

/// The same regions in memory: the store's data and the store-backed regions' initial factors.
avocado_memory_regions<float> in_memory(const io::signal_store& store, const io::avocado_store_regions<float>& backed,
                                        const std::vector<index_t>& ids)
{
    avocado_memory_regions<float> mem;
    for (std::size_t k = 0; k < ids.size(); ++k) {
        const auto& ri = store.regions()[static_cast<std::size_t>(ids[k])];
        avocado_region_data<float> d;
        Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows(ri.positions, store.tracks());
        store.read_positions(ids[k], 0, ri.positions, rows.data());
        d.signal = rows;
        d.missing = store.read_missing(ids[k], 0, ri.positions);
        mem.add(backed.factors(static_cast<index_t>(k)), std::move(d));
    }
    return mem;
}

}  // namespace

TEST_CASE("training through the store-backed regions equals training them in memory", "[avocado][io]")
{
    temp_dir dir;
    const io::signal_store store(write_store(dir));
    const std::vector<index_t> ids{0, 2};  // region 1 is not a training region
    for (index_t window : {0, 1}) {
        INFO("window " << window);
        avocado_model<float> a = small_model(), b = small_model();
        io::avocado_store_regions<float> backed(store, ids, a, 3, dir / ("scratch" + std::to_string(window)));
        avocado_memory_regions<float> mem = in_memory(store, backed, ids);
        avocado_trainer<float> ta(a, options(window)), tb(b, options(window));
        double first = 0, last = 0;
        for (int e = 0; e < 12; ++e) {
            const auto ra = ta.train_epoch(backed);
            const auto rb = tb.train_epoch(mem);
            CHECK(ra.loss == rb.loss);
            CHECK(ra.steps == rb.steps);
            if (e == 0) first = ra.loss;
            last = ra.loss;
        }
        CHECK(last < 0.5 * first);  // it trains
        CHECK(a.parameters() == b.parameters());
        CHECK(a.celltype_factors() == b.celltype_factors());
        CHECK(a.assay_factors() == b.assay_factors());
        CHECK(a.regions().empty());  // every region checked back in
        for (index_t k = 0; k < 2; ++k) {
            const auto g = backed.factors(k);
            const auto& h = mem.slot(k).factors;
            CHECK(g.name == h.name);
            CHECK(g.genome_25 == h.genome_25);
            CHECK(g.genome_250 == h.genome_250);
            CHECK(g.genome_5k == h.genome_5k);
        }
        // Moments survive the scratch file: a checkout gives them back exactly.
        const auto slot = backed.checkout(1);
        CHECK(slot.moments.genome_25.m == mem.slot(1).moments.genome_25.m);
        CHECK(slot.moments.genome_5k.v == mem.slot(1).moments.genome_5k.v);
        CHECK(slot.moments.genome_250.steps == mem.slot(1).moments.genome_250.steps);
        CHECK(slot.data.missing[17] == 1);
        CHECK(slot.data.signal.rows() == 320);
        backed.checkin(1, slot);
        avocado_model<float> out = small_model();
        backed.copy_into(out);
        REQUIRE(out.regions().size() == 2);
        CHECK(out.region(0).name == "r0");
        CHECK(out.region(1).name == "r2");
        CHECK(out.region(1).chrom == "chrB");
        CHECK(out.region(1).start == 2500);
        CHECK(out.region(1).genome_25 == mem.slot(1).factors.genome_25);
    }
}

TEST_CASE("store-backed regions: initial factors do not depend on the visit order, and the errors", "[avocado][io]")
{
    temp_dir dir;
    const io::signal_store store(write_store(dir));
    const avocado_model<float> m = small_model();
    io::avocado_store_regions<float> a(store, {0, 1, 2}, m, 3, dir / "a");
    io::avocado_store_regions<float> b(store, {2, 0}, m, 3, dir / "b");
    CHECK(a.factors(2).genome_25 == b.factors(0).genome_25);  // store region 2 either way
    CHECK(a.factors(0).genome_25 == b.factors(1).genome_25);
    CHECK(a.factors(0).genome_25.leftCols(230) != a.factors(1).genome_25);  // each region its own draw
    CHECK(a.factors(1).positions() == 230);
    CHECK(std::abs(a.factors(1).genome_25.maxCoeff()) <= 0.05f);

    auto slot = a.checkout(0);
    CHECK_THROWS_AS(a.checkout(0), error);  // already out
    a.checkin(0, slot);
    CHECK(fs::exists(dir / "a" / "avocado_region_0.bin"));
    // A damaged scratch file (another shape) is refused, naming it.
    {
        std::fstream f(dir / "a" / "avocado_region_0.bin", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(16);
        const std::uint64_t rows = 99;
        f.write(reinterpret_cast<const char*>(&rows), sizeof rows);
    }
    CHECK_THROWS_WITH(a.checkout(0), Catch::Contains("avocado_region_0.bin") && Catch::Contains("damaged"));
    // Factors of another shape are refused at checkin.
    auto other = a.checkout(1);
    other.factors.genome_25.resize(3, 10);
    CHECK_THROWS_AS(a.checkin(1, other), shape_error);
    CHECK_THROWS_AS(a.checkout(3), input_error);
    CHECK_THROWS_AS(io::avocado_store_regions<float>(store, {5}, m, 1, dir / "c"), input_error);
    {
        io::avocado_store_regions<float> gone(store, {1}, m, 1, dir / "d");
        gone.checkin(0, gone.checkout(0));
        CHECK(fs::exists(dir / "d" / "avocado_region_1.bin"));
    }
    CHECK_FALSE(fs::exists(dir / "d" / "avocado_region_1.bin"));  // the destructor removes its files
}
