// `epilstm prepare`'s pipeline against an independent computation: the shipped Roadmap pilot
// bigWigs binned and asinh-transformed by pyBigWig + numpy (tests/fixtures/prepare/make_fixture.py)
// must equal what prepare_signal_store writes, read back through signal_store.
#include <epilstm/io/prepare.hpp>

#include <catch2/catch.hpp>

#include "../support/scratch.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace fs = std::filesystem;
using namespace epilstm;

namespace {

fs::path scratch(const std::string& name)
{
    static const epilstm::testing::temp_dir dir("epilstm_test_prepare");  // removed at exit
    return dir / name;
}

fs::path shared_dir() { return fs::path(EPILSTM_SHARED_DIR) / "data"; }
fs::path fixture_dir() { return fs::path(EPILSTM_SOURCE_DIR) / "tests" / "fixtures" / "prepare"; }

bool have_shared_data()
{
    return fs::exists(shared_dir() / "roadmap_pilot_hg19" / "signal") && fs::exists(shared_dir() / "annotations_hg19");
}

io::prepare_options pilot_options(index_t bin, const fs::path& out)
{
    io::prepare_options o;
    o.tracks = io::tracks_from_directory(shared_dir() / "roadmap_pilot_hg19" / "signal");
    o.genome = shared_dir() / "annotations_hg19" / "hg19.chrom.sizes";
    o.regions = fixture_dir() / ("regions_bin" + std::to_string(bin) + ".bed");
    o.bin_size = bin;
    o.out = out;
    o.block_positions = 512;  // several blocks per region, and blocks that do not divide it
    return o;
}

/// Compares every region of `store` with /bin<bin>/<name> of the fixture.
void compare_with_fixture(const io::signal_store& store, index_t bin)
{
    const io::input_file expected(fixture_dir() / "expected.h5");
    REQUIRE(store.track_ids() == expected.read_strings("/tracks"));
    const index_t D = store.tracks();
    REQUIRE(D == 25);
    for (index_t r = 0; r < static_cast<index_t>(store.regions().size()); ++r) {
        const auto& reg = store.regions()[static_cast<std::size_t>(r)];
        const std::string g = "/bin" + std::to_string(bin) + "/" + reg.name;
        INFO("region " << reg.name);
        CHECK(reg.chrom == expected.read_string_attribute(g, "chrom"));
        CHECK(reg.start == expected.read_int_attribute(g, "start"));
        CHECK(reg.end == expected.read_int_attribute(g, "end"));
        const io::row_matrix want = expected.read_matrix(g + "/signal", D, reg.positions);  // [D, n]
        const auto has_data = expected.h5().openDataSet(g + "/has_data");
        std::vector<std::uint8_t> has(static_cast<std::size_t>(D * reg.positions));
        has_data.read(has.data(), H5::PredType::NATIVE_UINT8);

        // Read in odd-sized pieces (out of core), position-major.
        double max_err = 0;
        index_t mismatched_missing = 0;
        for (index_t first = 0; first < reg.positions; first += 333) {
            const index_t n = std::min<index_t>(333, reg.positions - first);
            std::vector<float> got(static_cast<std::size_t>(n * D));
            store.read_positions(r, first, n, got.data());
            const auto miss = store.read_missing(r, first, n);
            for (index_t i = 0; i < n; ++i) {
                bool any = false;
                for (index_t d = 0; d < D; ++d) {
                    max_err = std::max(max_err, std::abs(double(got[static_cast<std::size_t>(i * D + d)]) -
                                                         double(want(d, first + i))));
                    any = any || has[static_cast<std::size_t>(d * reg.positions + first + i)];
                }
                if (miss[static_cast<std::size_t>(i)] != (any ? 0 : 1)) ++mismatched_missing;
            }
        }
        CHECK(max_err <= 1e-6);
        CHECK(mismatched_missing == 0);
        const auto cov = store.track_coverage(r);
        for (index_t d = 0; d < D; ++d) {
            double c = 0;
            for (index_t i = 0; i < reg.positions; ++i) c += has[static_cast<std::size_t>(d * reg.positions + i)];
            CHECK(cov[static_cast<std::size_t>(d)] == Approx(c / double(reg.positions)).margin(1e-6));
        }
    }
}

}  // namespace

TEST_CASE("prepare: 25 bp bins + asinh of the pilot bigWigs match pyBigWig + numpy", "[prepare]")
{
    if (!have_shared_data()) {
        WARN("shared data not found at " << shared_dir() << "; skipped");
        return;
    }
    const fs::path out = scratch("bin25.h5");
    const auto s = io::prepare_signal_store<data::asinh_transform>(pilot_options(25, out), [](const std::string&) {});
    CHECK(s.tracks == 25);
    CHECK(s.regions == 2);
    CHECK(s.positions == 2000);
    CHECK(s.missing_positions == 160);
    const io::signal_store store(out);
    CHECK(store.bin_size() == 25);
    CHECK(store.transform() == "asinh");
    CHECK(store.regions()[0].name == "ENr231_head");
    CHECK(store.regions()[1].name == "ENm008_tail");
    CHECK(store.track_metadata()[0].cell_type == "E003");
    CHECK(store.track_metadata()[0].assay == "H3K27me3");
    compare_with_fixture(store, 25);
    fs::remove(out);
}

TEST_CASE("prepare: tracks read on several threads give the same store, and float16 stores the rounded values", "[prepare]")
{
    if (!have_shared_data()) {
        WARN("shared data not found at " << shared_dir() << "; skipped");
        return;
    }
    const fs::path one = scratch("threads1.h5"), three = scratch("threads3.h5"), half = scratch("half.h5");
    auto opt = pilot_options(25, one);
    opt.store.threads = 1;
    io::prepare_signal_store<data::asinh_transform>(opt, [](const std::string&) {});
    opt.out = three;
    opt.store.threads = 3;
    io::prepare_signal_store<data::asinh_transform>(opt, [](const std::string&) {});
    CHECK(epilstm::testing::slurp(one) == epilstm::testing::slurp(three));
    opt.out = half;
    opt.store.precision = io::store_precision::float16;
    opt.store.deflate_level = 1;
    io::prepare_signal_store<data::asinh_transform>(opt, [](const std::string&) {});
    const io::signal_store s1(one), sh(half);
    CHECK(sh.precision() == io::store_precision::float16);
    for (index_t r = 0; r < 2; ++r) {
        const index_t n = s1.regions()[static_cast<std::size_t>(r)].positions;
        std::vector<float> a(static_cast<std::size_t>(n * 25)), b(a.size());
        s1.read_positions(r, 0, n, a.data());
        sh.read_positions(r, 0, n, b.data());
        for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(b[i] == io::codec::from_half(io::codec::to_half(a[i])));
        CHECK(s1.read_missing(r, 0, n) == sh.read_missing(r, 0, n));
    }
}

TEST_CASE("prepare: 40 bp bins straddling the 25 bp intervals average the covered bases", "[prepare]")
{
    if (!have_shared_data()) {
        WARN("shared data not found at " << shared_dir() << "; skipped");
        return;
    }
    const fs::path out = scratch("bin40.h5");
    io::prepare_signal_store<data::asinh_transform>(pilot_options(40, out), [](const std::string&) {});
    const io::signal_store store(out);
    CHECK(store.bin_size() == 40);
    REQUIRE(store.regions().size() == 1);
    CHECK(store.regions()[0].start % 40 == 0);
    compare_with_fixture(store, 40);
    fs::remove(out);
}

TEST_CASE("prepare: the identity transform stores the raw values", "[prepare]")
{
    if (!have_shared_data()) {
        WARN("shared data not found at " << shared_dir() << "; skipped");
        return;
    }
    const fs::path a = scratch("asinh.h5"), b = scratch("raw.h5");
    io::prepare_signal_store<data::asinh_transform>(pilot_options(25, a), [](const std::string&) {});
    io::prepare_signal_store<data::identity_transform>(pilot_options(25, b), [](const std::string&) {});
    const io::signal_store sa(a), sb(b);
    CHECK(sb.transform() == "none");
    std::vector<float> xa(100 * 25), xb(100 * 25);
    sa.read_positions(0, 150, 100, xa.data());
    sb.read_positions(0, 150, 100, xb.data());
    for (std::size_t i = 0; i < xa.size(); ++i) CHECK(xa[i] == Approx(std::asinh(double(xb[i]))).margin(1e-6));
    fs::remove(a);
    fs::remove(b);
}

TEST_CASE("corrupt bigWigs are refused before libBigWig trusts their chromosome tree", "[prepare][bigwig]")
{
    // tests/fuzz/fuzz_bigwig found libBigWig 0.4.7 writing past its chromosome list (SEGV) and
    // asking for terabytes when a file's chromosome tree lies; src/bigwig/bigwig.cpp checks it first.
    const fs::path good = fs::path(EPILSTM_SOURCE_DIR) / "tests" / "fixtures" / "bigwig" / "tiny.bw";
    {
        const io::bigwig_file bw(good);
        REQUIRE(bw.chroms().size() == 2);
        CHECK(bw.chroms()[1].name == "chr2");
    }
    std::string bytes;
    {
        std::ifstream in(good, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    REQUIRE(bytes.size() == 610);
    auto put = [](std::string& b, std::size_t at, std::uint64_t v, int n) {
        for (int k = 0; k < n; ++k) b[at + static_cast<std::size_t>(k)] = static_cast<char>((v >> (8 * k)) & 0xff);
    };
    // The chromosome tree is at byte 128: header 32 bytes, then one leaf of two 12-byte items at 164.
    struct patch {
        const char* what;
        std::size_t at;
        std::uint64_t value;
        int bytes;
        const char* message;
    };
    const patch patches[] = {
        {"fewer chromosomes in the header than in the tree", 128 + 16, 1, 8, "holds more chromosomes than its header says"},
        {"key size 0", 128 + 8, 0, 4, "chromosome name size 0"},
        {"tree offset past the end", 8, 10000, 8, "beyond the end of the file"},
        {"an empty chromosome name", 164, 0, 4, "chromosome 0 has an empty name"},
        {"a chromosome id twice", 180, 0, 4, "chromosome id 0 listed twice"},
        {"an item count that the file cannot hold", 128 + 16, 1ull << 40, 8, "more than the file can hold"},
    };
    const fs::path dir = fs::temp_directory_path() / ("epilstm_bad_bw_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    for (const auto& p : patches) {
        INFO(p.what);
        std::string b = bytes;
        put(b, p.at, p.value, p.bytes);
        const fs::path f = dir / "bad.bw";
        std::ofstream(f, std::ios::binary | std::ios::trunc).write(b.data(), static_cast<std::streamsize>(b.size()));
        CHECK_THROWS_WITH(io::bigwig_file(f, "m.tsv:3"),
                          Catch::Contains("m.tsv:3: bigWig " + f.string() + ": corrupt or truncated bigWig") && Catch::Contains(p.message));
    }
    fs::remove_all(dir);
}
