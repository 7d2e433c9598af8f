// The signal store: writer/reader round trip, out-of-core hyperslab reads, validation of foreign,
// truncated and inconsistent files, and atomicity of a failed write.
#include <epilstm/io/signal_store.hpp>
#include <epilstm/io/store_source.hpp>

#include <catch2/catch.hpp>

#include "../support/damage.hpp"
#include "../support/scratch.hpp"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

namespace fs = std::filesystem;
using namespace epilstm;

using epilstm::testing::slurp;

namespace {

fs::path scratch(const std::string& name)
{
    static const epilstm::testing::temp_dir dir("epilstm_test_store");  // removed at exit
    return dir / name;
}


// Deterministic synthetic value of track d at position i of region r; -1 marks "no data".
float value(index_t r, index_t d, index_t i)
{
    if ((i + 3 * d + r) % 7 == 0) return -1;
    return static_cast<float>(r * 1000 + d * 10) + static_cast<float>(i) * 0.5f;
}

const std::vector<io::track_info> tracks = {
    {"E1.A", "E1", "A", "/x/E1.A.bigWig"}, {"E1.B", "E1", "B", "/x/E1.B.bigWig"}, {"E2.A", "E2", "A", "/x/E2.A.bigWig"}};

io::genome test_genome()
{
    io::genome g;
    g.path = "test.sizes";
    g.chroms = {{"chrA", 100000}, {"chrB", 5000}};
    return g;
}

struct spec {
    std::string name, chrom;
    std::int64_t start;
    index_t n;
};
const std::vector<spec> regions = {{"r1", "chrA", 1000, 10000}, {"chrB:0-250", "chrB", 0, 10}};

/// Writes the synthetic store, `block` positions per write_block; a position where every track
/// has no data is position 0 of region 1 in addition to the pattern (all three tracks forced).
void write_store(const fs::path& out, index_t block, bool commit = true, io::store_options opt = {})
{
    io::signal_store_writer w(out, tracks, test_genome(), 25, "asinh", opt);
    const index_t D = 3;
    for (std::size_t r = 0; r < regions.size(); ++r) {
        const auto& s = regions[r];
        w.begin_region(s.name, s.chrom, s.start, s.start + s.n * 25);
        for (index_t first = 0; first < s.n; first += block) {
            const index_t n = std::min(block, s.n - first);
            std::vector<float> x(static_cast<std::size_t>(D * n));
            std::vector<std::uint8_t> h(static_cast<std::size_t>(D * n));
            for (index_t d = 0; d < D; ++d)
                for (index_t i = 0; i < n; ++i) {
                    float v = value(static_cast<index_t>(r), d, first + i);
                    if (r == 1 && first + i == 0) v = -1;
                    h[static_cast<std::size_t>(d * n + i)] = v >= 0;
                    x[static_cast<std::size_t>(d * n + i)] = v >= 0 ? v : 0.0f;
                }
            index_t none = 0;  // positions with no data in any track: what write_block must report
            for (index_t i = 0; i < n; ++i) {
                bool any = false;
                for (index_t d = 0; d < D; ++d) any = any || h[static_cast<std::size_t>(d * n + i)] != 0;
                none += !any;
            }
            CHECK(w.write_block(n, x.data(), h.data()) == none);
        }
        w.end_region();
    }
    if (commit) w.commit();
}

}  // namespace

TEST_CASE("signal_store: round trip, attributes and out-of-core reads", "[signal_store]")
{
    const fs::path out = scratch("store.h5");
    write_store(out, 777);
    const io::signal_store s(out);
    CHECK(s.tracks() == 3);
    CHECK(s.track_ids() == std::vector<std::string>{"E1.A", "E1.B", "E2.A"});
    CHECK(s.track_metadata()[2].cell_type == "E2");
    CHECK(s.track_metadata()[1].assay == "B");
    CHECK(s.track_metadata()[0].path == "/x/E1.A.bigWig");
    CHECK(s.bin_size() == 25);
    CHECK(s.transform() == "asinh");
    CHECK(s.genome_path() == "test.sizes");
    REQUIRE(s.chroms().size() == 2);
    CHECK(s.chroms()[1].name == "chrB");
    CHECK(s.chroms()[1].size == 5000);
    REQUIRE(s.regions().size() == 2);
    CHECK(s.regions()[0].name == "r1");
    CHECK(s.regions()[0].chrom == "chrA");
    CHECK(s.regions()[0].start == 1000);
    CHECK(s.regions()[0].end == 1000 + 10000 * 25);
    CHECK(s.regions()[0].positions == 10000);
    CHECK(s.regions()[1].name == "chrB:0-250");
    CHECK(s.total_positions() == 10010);

    // Hyperslabs that cross chunk (4096) and block (777) boundaries, transposed to [count, D].
    for (const auto& [first, count] : {std::pair<index_t, index_t>{0, 1}, {4090, 20}, {777, 3000}, {9990, 10}, {5000, 0}}) {
        std::vector<float> x(static_cast<std::size_t>(count * 3), -5.f);
        s.read_positions(0, first, count, x.data());
        const auto miss = s.read_missing(0, first, count);
        REQUIRE(miss.size() == static_cast<std::size_t>(count));
        for (index_t i = 0; i < count; ++i) {
            bool any = false;
            for (index_t d = 0; d < 3; ++d) {
                const float v = value(0, d, first + i);
                CHECK(x[static_cast<std::size_t>(i * 3 + d)] == (v >= 0 ? v : 0.0f));
                any = any || v >= 0;
            }
            CHECK(miss[static_cast<std::size_t>(i)] == (any ? 0 : 1));
        }
    }
    const auto miss1 = s.read_missing(1, 0, 10);
    CHECK(miss1[0] == 1);
    const auto cov = s.track_coverage(0);
    REQUIRE(cov.size() == 3);
    for (index_t d = 0; d < 3; ++d) {
        double c = 0;
        for (index_t i = 0; i < 10000; ++i) c += value(0, d, i) >= 0;
        CHECK(cov[static_cast<std::size_t>(d)] == Approx(c / 10000).margin(1e-6));
    }

    std::vector<float> buf(30);
    CHECK_THROWS_AS(s.read_positions(0, 9995, 10, buf.data()), shape_error);
    CHECK_THROWS_AS(s.read_positions(2, 0, 1, buf.data()), shape_error);
    CHECK_THROWS_AS(s.read_missing(1, -1, 2), shape_error);
    fs::remove(out);
}

TEST_CASE("signal_store: foreign, truncated and inconsistent files name the file and what was expected",
          "[signal_store]")
{
    const fs::path good = scratch("good.h5");
    write_store(good, 4096);
    const std::string p = good.parent_path().string();

    SECTION("missing file")
    {
        CHECK_THROWS_WITH(io::signal_store(scratch("nope.h5")), Catch::Contains("nope.h5") && Catch::Contains("no such file"));
    }
    SECTION("not HDF5")
    {
        const fs::path f = scratch("text.h5");
        std::ofstream(f) << "not hdf5\n";
        CHECK_THROWS_WITH(io::signal_store(f), Catch::Contains("text.h5") && Catch::Contains("not an HDF5 file"));
    }
    SECTION("foreign HDF5 (no format attribute)")
    {
        const fs::path f = scratch("foreign.h5");
        {
            io::atomic_output_file o(f);
            o.write_vector("/signal", Eigen::VectorXf::Zero(4));
            o.commit();
        }
        CHECK_THROWS_WITH(io::signal_store(f), Catch::Contains("foreign.h5") && Catch::Contains("not an epilstm signal store") &&
                                                   Catch::Contains("'format'"));
    }
    SECTION("another format and another version")
    {
        const fs::path f = scratch("other.h5"), v = scratch("v2.h5");
        fs::copy_file(good, f, fs::copy_options::overwrite_existing);
        fs::copy_file(good, v, fs::copy_options::overwrite_existing);
        {
            H5::H5File h(f.c_str(), H5F_ACC_RDWR);
            h.removeAttr("format");
            H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
            const char* s = "epilstm-checkpoint";
            h.createAttribute("format", t, H5::DataSpace(H5S_SCALAR)).write(t, &s);
            H5::H5File h2(v.c_str(), H5F_ACC_RDWR);
            long long two = 2;
            h2.openAttribute("version").write(H5::PredType::NATIVE_LLONG, &two);
        }
        CHECK_THROWS_WITH(io::signal_store(f), Catch::Contains("other.h5") && Catch::Contains("epilstm-checkpoint") &&
                                                   Catch::Contains("epilstm-signal-store"));
        CHECK_THROWS_WITH(io::signal_store(v), Catch::Contains("v2.h5") && Catch::Contains("version 2"));
    }
    SECTION("truncated")
    {
        const std::string bytes = slurp(good);
        for (const double frac : {0.9, 0.5, 0.1}) {
            const fs::path f = scratch("truncated.h5");
            std::ofstream(f, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(double(bytes.size()) * frac));
            INFO("kept " << frac << " of " << bytes.size() << " bytes");
            try {
                io::signal_store s(f);
                // The metadata may survive a cut near the end; the signal must then fail to read.
                std::vector<float> x(10000 * 3);
                s.read_positions(0, 0, 10000, x.data());
                FAIL("a truncated store was read without an error");
            } catch (const epilstm::error& e) {
                CHECK_THAT(e.what(), Catch::Contains("truncated.h5"));
            }
        }
    }
    SECTION("signal shape disagrees with start/end")
    {
        const fs::path f = scratch("shape.h5");
        fs::copy_file(good, f, fs::copy_options::overwrite_existing);
        {
            H5::H5File h(f.c_str(), H5F_ACC_RDWR);
            long long end = 1000 + 9000 * 25;
            h.openDataSet("/regions/r1/signal").openAttribute("end").write(H5::PredType::NATIVE_LLONG, &end);
        }
        CHECK_THROWS_WITH(io::signal_store(f), Catch::Contains("shape.h5") && Catch::Contains("/regions/r1/signal") &&
                                                   Catch::Contains("[3, 10000]") && Catch::Contains("[3, 9000]"));
    }
    SECTION("a region listed in /regions/names but missing")
    {
        const fs::path f = scratch("noregion.h5");
        fs::copy_file(good, f, fs::copy_options::overwrite_existing);
        {
            H5::H5File h(f.c_str(), H5F_ACC_RDWR);
            h.unlink("/regions/r1/missing");
        }
        CHECK_THROWS_WITH(io::signal_store(f), Catch::Contains("noregion.h5") && Catch::Contains("/regions/r1/missing"));
    }
    fs::remove(good);
}

TEST_CASE("signal_store: a chunk damaged on disk is refused, naming the file and the dataset", "[signal_store][integrity]")
{
    for (const std::string ds : {"/regions/r1/signal", "/regions/r1/missing"}) {
        const fs::path out = scratch("damaged.h5");
        write_store(out, 4096);
        // Byte 40 of the first chunk: inside the deflated data, which the Fletcher-32 checksum covers.
        epilstm::testing::damage_dataset(out, ds, 40);
        const io::signal_store s(out);  // the metadata is intact
        std::vector<float> x(30);
        CHECK_THROWS_WITH((s.read_positions(0, 0, 10, x.data()), s.read_missing(0, 0, 10)),
                          Catch::Contains(out.string()) && Catch::Contains(ds) &&
                              Catch::Contains("checksum mismatch, the file is damaged"));
        CHECK_NOTHROW(s.read_positions(1, 0, 10, x.data()));  // another region's chunks are fine
        fs::remove(out);
    }
}

TEST_CASE("signal_store_writer: an unfinished write leaves the existing store untouched", "[signal_store]")
{
    const fs::path out = scratch("keep.h5");
    write_store(out, 4096);
    const std::string before = slurp(out);
    write_store(out, 1000, /*commit=*/false);
    CHECK(slurp(out) == before);
    try {
        io::signal_store_writer w(out, tracks, test_genome(), 25, "asinh");
        w.begin_region("r", "chrA", 0, 100);
        const fs::path tmp = w.temp_path();
        CHECK(fs::exists(tmp));
        CHECK_THROWS_AS(w.begin_region("s", "chrA", 0, 100), epilstm::error);
        throw std::runtime_error("abort");
    } catch (const std::runtime_error&) {
    }
    CHECK(slurp(out) == before);
    for (const auto& e : fs::directory_iterator(out.parent_path()))
        CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
    CHECK_THROWS_AS(io::signal_store_writer(out, tracks, test_genome(), 25, "asinh").begin_region("a/b", "chrA", 0, 25),
                    input_error);
    CHECK(slurp(out) == before);
    fs::remove(out);
}

TEST_CASE("a store's datasets record no modification time (the same input gives the same bytes)", "[signal_store]")
{
    const fs::path a = scratch("untimed_a.h5"), b = scratch("untimed_b.h5");
    write_store(a, 4096);
    sleep(1);  // HDF5's times have a resolution of one second
    write_store(b, 4096);
    std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
    const std::string bytes_a{std::istreambuf_iterator<char>(fa), {}}, bytes_b{std::istreambuf_iterator<char>(fb), {}};
    CHECK(bytes_a == bytes_b);
}

TEST_CASE("signal_store: float16 stores, threads and chunk sizes", "[signal_store][float16]")
{
    const fs::path ref = scratch("f32.h5");
    write_store(ref, 4096);
    const io::signal_store s32(ref);
    CHECK(s32.precision() == io::store_precision::float32);
    CHECK(s32.chunk_positions(0) == 4096);
    CHECK(s32.chunk_positions(1) == 10);  // a region shorter than a chunk is one chunk
    std::vector<float> want(10000 * 3), got(10000 * 3);
    s32.read_positions(0, 0, 10000, want.data());

    SECTION("float16: each value rounded to the nearest half; HDF5 reads the same floats")
    {
        const fs::path out = scratch("f16.h5");
        io::store_options opt;
        opt.precision = io::store_precision::float16;
        opt.chunk_positions = 1000;
        write_store(out, 777, true, opt);
        const io::signal_store s(out);
        CHECK(s.precision() == io::store_precision::float16);
        CHECK(s.chunk_positions(0) == 1000);
        s.read_positions(0, 0, 10000, got.data());
        for (std::size_t i = 0; i < want.size(); ++i)
            REQUIRE(got[i] == io::codec::from_half(io::codec::to_half(want[i])));
        // HDF5's own float16 -> float32 conversion, through its filter pipeline: the same values.
        H5::H5File f(out.string(), H5F_ACC_RDONLY);
        H5::DataSet ds = f.openDataSet("/regions/r1/signal");
        CHECK(ds.getDataType().getSize() == 2);
        std::vector<float> track_major(3 * 10000);
        ds.read(track_major.data(), H5::PredType::NATIVE_FLOAT);
        for (index_t d = 0; d < 3; ++d)
            for (index_t i = 0; i < 10000; ++i)
                REQUIRE(track_major[static_cast<std::size_t>(d * 10000 + i)] == got[static_cast<std::size_t>(i * 3 + d)]);
    }
    SECTION("a value beyond float16's range is refused, naming the region, track and position")
    {
        io::store_options opt;
        opt.precision = io::store_precision::float16;
        io::signal_store_writer w(scratch("big.h5"), tracks, test_genome(), 25, "none", opt);
        w.begin_region("r", "chrA", 0, 50);
        const std::vector<float> x = {1, 2, 3, 70000, 5, 6};
        const std::vector<std::uint8_t> h(6, 1);
        CHECK_THROWS_WITH(w.write_block(2, x.data(), h.data()),
                          Catch::Contains("region r, track 2, position 1: value 70000") && Catch::Contains("float32"));
    }
    SECTION("the bytes do not depend on the threads compressing; deflate 0 stores raw chunks")
    {
        for (const int threads : {1, 3}) {
            io::store_options opt;
            opt.threads = threads;
            const fs::path out = scratch("t" + std::to_string(threads) + ".h5");
            write_store(out, 4096, true, opt);
            CHECK(slurp(out) == slurp(ref));
        }
        io::store_options raw;
        raw.deflate_level = 0;
        raw.threads = 2;
        const fs::path out = scratch("raw.h5");
        write_store(out, 300, true, raw);
        const io::signal_store s(out);
        s.read_positions(0, 0, 10000, got.data());
        CHECK(got == want);
        CHECK(fs::file_size(out) > 10000 * 3 * 4);
    }
    SECTION("chunks HDF5 compressed itself are read the same way")
    {
        const fs::path out = scratch("rewritten.h5");
        write_store(out, 4096);
        {
            H5::H5File f(out.string(), H5F_ACC_RDWR);
            H5::DataSet ds = f.openDataSet("/regions/r1/signal");
            std::vector<float> track_major(3 * 10000);
            for (index_t d = 0; d < 3; ++d)
                for (index_t i = 0; i < 10000; ++i)
                    track_major[static_cast<std::size_t>(d * 10000 + i)] = want[static_cast<std::size_t>(i * 3 + d)] + 1.0f;
            ds.write(track_major.data(), H5::PredType::NATIVE_FLOAT);  // HDF5's own filter pipeline
        }
        const io::signal_store s(out);
        s.read_positions(0, 0, 10000, got.data());
        for (std::size_t i = 0; i < want.size(); ++i) REQUIRE(got[i] == want[i] + 1.0f);
    }
}

TEST_CASE("store_source: reads through the prefetching cache equal direct reads, in any order", "[signal_store][prefetch]")
{
    const fs::path out = scratch("source.h5");
    io::store_options opt;
    opt.chunk_positions = 512;
    write_store(out, 4096, true, opt);
    const io::signal_store s(out);
    for (const bool prefetch : {true, false}) {
        CAPTURE(prefetch);
        // 7 streams through region r1 (10000 positions, 20 blocks of 512) with a 2-stream cache: the
        // cache is far too small, so blocks are evicted, prefetched and read again.
        const auto src = io::store_source(s, {}, 2, nullptr, 0, prefetch);
        REQUIRE(src.names == std::vector<std::string>{"r1", "chrB:0-250"});
        const index_t frame = 97;
        std::vector<float> a(frame * 3), b(frame * 3);
        std::vector<std::uint8_t> ma(frame);
        for (index_t k = 0; k * frame < 10000 / 7; ++k)
            for (index_t st = 0; st < 7; ++st) {
                const index_t first = st * (10000 / 7) + k * frame;
                const index_t n = std::min(frame, 10000 - first);
                src.read(0, first, n, a.data(), ma.data());
                s.read_positions(0, first, n, b.data());
                REQUIRE(std::equal(a.begin(), a.begin() + n * 3, b.begin()));
                const auto mb = s.read_missing(0, first, n);
                REQUIRE(std::equal(mb.begin(), mb.end(), ma.begin()));
            }
        src.read(1, 0, 10, a.data(), ma.data());
        s.read_positions(1, 0, 10, b.data());
        CHECK(std::equal(a.begin(), a.begin() + 30, b.begin()));
    }
}

TEST_CASE("store_source: a damaged chunk met by the prefetch thread is reported to the reader", "[signal_store][prefetch][integrity]")
{
    const fs::path out = scratch("damaged_source.h5");
    io::store_options opt;
    opt.chunk_positions = 512;
    write_store(out, 4096, true, opt);
    // Damage the second chunk of r1 (positions 512..1023): the prefetcher decodes it while the
    // reader is still in the first.
    {
        H5::H5File f(out.string(), H5F_ACC_RDONLY);
        H5::DataSet ds = f.openDataSet("/regions/r1/signal");
        haddr_t addr = 0;
        hsize_t size = 0;
        const hsize_t off[2] = {0, 512};
        REQUIRE(H5Dget_chunk_storage_size(ds.getId(), off, &size) >= 0);
        hsize_t n = 0;
        H5::DataSpace all = ds.getSpace();
        REQUIRE(H5Dget_num_chunks(ds.getId(), all.getId(), &n) >= 0);
        for (hsize_t i = 0; i < n; ++i) {
            hsize_t o[2];
            unsigned mask = 0;
            haddr_t a = 0;
            hsize_t sz = 0;
            REQUIRE(H5Dget_chunk_info(ds.getId(), all.getId(), i, o, &mask, &a, &sz) >= 0);
            if (o[1] == 512) addr = a;
        }
        REQUIRE(addr > 0);
        std::fstream io(out, std::ios::in | std::ios::out | std::ios::binary);
        io.seekg(static_cast<std::streamoff>(addr + size / 2));
        const char c = static_cast<char>(io.get() ^ 0x40);
        io.seekp(static_cast<std::streamoff>(addr + size / 2));
        io.put(c);
    }
    const io::signal_store s(out);
    const auto src = io::store_source(s, {"r1"}, 1);
    std::vector<float> x(100 * 3);
    std::vector<std::uint8_t> m(100);
    for (index_t first = 0; first + 100 <= 512; first += 100) CHECK_NOTHROW(src.read(0, first, 100, x.data(), m.data()));
    CHECK_THROWS_WITH(src.read(0, 500, 100, x.data(), m.data()),
                      Catch::Contains(out.string()) && Catch::Contains("/regions/r1/signal") &&
                          Catch::Contains("checksum mismatch, the file is damaged"));
    CHECK_NOTHROW(src.read(0, 1024, 100, x.data(), m.data()));  // the chunks after it are fine
}
