// io::codec: HDF5's chunk filters done by us must produce and accept exactly HDF5's bytes, and the
// float16 conversion must round to nearest even. HDF5 itself is the reference: its (exported,
// internal) Fletcher-32, its filter pipeline on write and on read, and its float conversion.
#include <epilstm/io/chunk_codec.hpp>
#include <epilstm/io/hdf5.hpp>

#include <catch2/catch.hpp>

#include "../support/scratch.hpp"

#include <H5Cpp.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

// HDF5's own Fletcher-32 (src/H5checksum.c): exported by libhdf5, declared in no public header.
extern "C" std::uint32_t H5_checksum_fletcher32(const void* data, std::size_t len);

using namespace epilstm;

namespace {

std::vector<float> signal_like(std::size_t n, unsigned seed)
{
    std::mt19937 rng(seed);
    std::exponential_distribution<float> e(1.0f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = u(rng) < 0.3f ? 0.0f : std::asinh(e(rng) * 4.0f);  // sparse, asinh
    return v;
}

/// A [rows, cols] float32 dataset chunked [rows, cols] with the given filters, in file `path`.
H5::DataSet make_dataset(H5::H5File& f, const char* name, hsize_t rows, hsize_t cols, bool shuffle, int deflate)
{
    const hsize_t dims[2] = {rows, cols};
    H5::DSetCreatPropList dcpl;
    dcpl.setChunk(2, dims);
    if (shuffle) dcpl.setShuffle();
    if (deflate > 0) dcpl.setDeflate(deflate);
    dcpl.setFletcher32();
    return f.createDataSet(name, H5::PredType::IEEE_F32LE, H5::DataSpace(2, dims), dcpl);
}

}  // namespace

TEST_CASE("codec: fletcher32 is HDF5's, for every length and content", "[codec]")
{
    std::mt19937 rng(7);
    for (std::size_t len : {1u, 2u, 3u, 7u, 719u, 720u, 721u, 1440u, 100000u, 100001u}) {
        std::vector<unsigned char> b(len);
        for (auto& x : b) x = static_cast<unsigned char>(rng());
        CHECK(io::codec::fletcher32(b.data(), len) == H5_checksum_fletcher32(b.data(), len));
        std::fill(b.begin(), b.end(), 0xff);  // the largest sums: the 360-word folding must not overflow
        CHECK(io::codec::fletcher32(b.data(), len) == H5_checksum_fletcher32(b.data(), len));
    }
}

TEST_CASE("codec: shuffle and unshuffle are inverse, with HDF5's byte planes", "[codec]")
{
    for (std::size_t size : {2u, 4u, 8u}) {
        std::vector<unsigned char> in(size * 37 + size - 1), out(in.size()), back(in.size());
        for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<unsigned char>(i * 31 + 1);
        io::codec::shuffle(in.data(), out.data(), in.size(), size);
        CHECK(out[1] == in[size]);       // plane 0: byte 0 of each element
        CHECK(out[37] == in[1]);         // plane 1 starts at n = 37
        CHECK(out.back() == in.back());  // the partial element's bytes stay in place
        io::codec::unshuffle(out.data(), back.data(), out.size(), size);
        CHECK(back == in);
    }
}

TEST_CASE("codec: float16 rounds to nearest even and converts back exactly", "[codec][float16]")
{
    using io::codec::from_half;
    using io::codec::to_half;
    // Every finite half survives float -> half -> float, and from_half is the IEEE value.
    for (std::uint32_t h = 0; h < 0x10000u; ++h) {
        const std::uint16_t b = static_cast<std::uint16_t>(h);
        const unsigned e = (b >> 10) & 0x1fu, m = b & 0x3ffu;
        if (e == 0x1f) {
            CHECK((m == 0 ? std::isinf(from_half(b)) : std::isnan(from_half(b))));
            continue;
        }
        const double want = (b & 0x8000u ? -1.0 : 1.0) * (e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, static_cast<int>(e) - 25));
        REQUIRE(static_cast<double>(from_half(b)) == want);
        REQUIRE(to_half(from_half(b)) == b);
    }
    // Halfway between two halves: to the even one; just above: up.
    CHECK(to_half(1.0f + 0x1p-11f) == 0x3c00);               // 1 + half an ulp -> 1 (even)
    CHECK(to_half(1.0f + 3 * 0x1p-11f) == 0x3c02);           // 1 + 1.5 ulp -> 1 + 2 ulp (even)
    CHECK(to_half(std::nextafter(1.0f + 0x1p-11f, 2.0f)) == 0x3c01);
    CHECK(to_half(65504.0f) == 0x7bff);
    CHECK(to_half(65519.99f) == 0x7bff);
    CHECK(to_half(65520.0f) == 0x7c00);                      // rounds past the largest half: inf
    CHECK(to_half(0x1p-24f) == 0x0001);                      // smallest subnormal
    CHECK(to_half(0x1p-25f) == 0x0000);                      // half of it: ties to even (0)
    CHECK(to_half(std::nextafter(0x1p-25f, 1.0f)) == 0x0001);
    CHECK(to_half(3 * 0x1p-25f) == 0x0002);                  // 1.5 subnormal ulps -> 2 (even)
    CHECK(to_half(-2.5f) == 0xc100);
    CHECK(std::isnan(from_half(to_half(std::nanf("")))));
    // The relative error the store documents: at most 2^-11 in the normal range.
    const auto v = signal_like(100000, 3);
    std::vector<std::uint16_t> h(v.size());
    std::vector<float> back(v.size());
    io::codec::floats_to_halves(v.data(), h.data(), v.size());
    io::codec::halves_to_floats(h.data(), back.data(), v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        REQUIRE(h[i] == to_half(v[i]));  // the bulk (F16C when built with it) equals the scalar rule
        if (std::abs(v[i]) >= 0x1p-14f) REQUIRE(std::abs(back[i] - v[i]) <= std::abs(v[i]) * 0x1p-11f);
    }
}

TEST_CASE("codec: a chunk's positions as position-major rows, from float32 and from float16", "[codec]")
{
    // Sizes that are no multiple of the 8 x 8 tiles or the 64-position blocks; an offset start.
    for (const auto& [D, ld, off, n] : {std::array<std::ptrdiff_t, 4>{1014, 4096, 0, 4096}, {13, 300, 7, 150}, {8, 64, 0, 64},
                                        {5, 9, 2, 7}, {17, 1, 0, 1}}) {
        CAPTURE(D, ld, off, n);
        const auto v = signal_like(static_cast<std::size_t>(D * ld), 5);
        std::vector<std::uint16_t> h(v.size());
        io::codec::floats_to_halves(v.data(), h.data(), v.size());
        std::vector<float> a(static_cast<std::size_t>(n * D), -1.0f), b(a.size(), -1.0f);
        io::codec::to_position_major(v.data() + off, ld, D, n, a.data());
        io::codec::halves_to_position_major(h.data() + off, ld, D, n, b.data());
        for (std::ptrdiff_t i = 0; i < n; ++i)
            for (std::ptrdiff_t d = 0; d < D; ++d) {
                const std::size_t src = static_cast<std::size_t>(d * ld + off + i), dst = static_cast<std::size_t>(i * D + d);
                REQUIRE(a[dst] == v[src]);
                REQUIRE(b[dst] == io::codec::from_half(h[src]));
            }
    }
}

TEST_CASE("codec: chunks we encode read back through HDF5's pipeline, and HDF5's chunks decode here", "[codec][hdf5]")
{
    epilstm::testing::temp_dir dir("epilstm-test-codec");
    const hsize_t rows = 13, cols = 257;  // odd sizes: nothing lines up by accident
    const auto v = signal_like(rows * cols, 11);
    for (const auto& [shuffle, deflate] : {std::pair<bool, int>{true, 4}, {true, 1}, {false, 6}, {false, 0}}) {
        CAPTURE(shuffle, deflate);
        io::codec::pipeline p;
        p.element_size = 4;
        p.shuffle = shuffle;
        p.deflate = deflate;
        p.fletcher32 = true;
        H5::H5File f((dir / "c.h5").string(), H5F_ACC_TRUNC);
        // ours -> HDF5
        H5::DataSet ours = make_dataset(f, "ours", rows, cols, shuffle, deflate);
        const auto enc = io::codec::encode(p, reinterpret_cast<const unsigned char*>(v.data()), v.size() * 4);
        const hsize_t off[2] = {0, 0};
        REQUIRE(H5Dwrite_chunk(ours.getId(), H5P_DEFAULT, 0, off, enc.size(), enc.data()) >= 0);
        std::vector<float> got(v.size(), -1.0f);
        ours.read(got.data(), H5::PredType::NATIVE_FLOAT);  // HDF5 checks the checksum and inflates
        CHECK(got == v);
        // HDF5 -> ours, and HDF5 stores exactly the bytes we encode
        H5::DataSet theirs = make_dataset(f, "theirs", rows, cols, shuffle, deflate);
        theirs.write(v.data(), H5::PredType::NATIVE_FLOAT);
        hsize_t bytes = 0;
        REQUIRE(H5Dget_chunk_storage_size(theirs.getId(), off, &bytes) >= 0);
        std::vector<unsigned char> stored(bytes);
        std::uint32_t mask = 0;
        REQUIRE(H5Dread_chunk(theirs.getId(), H5P_DEFAULT, off, &mask, stored.data()) >= 0);
        CHECK(stored == enc);
        std::vector<float> dec(v.size());
        io::codec::decode(p, stored, mask, reinterpret_cast<unsigned char*>(dec.data()), dec.size() * 4, "test");
        CHECK(dec == v);
        // One flipped byte: refused as damaged, whichever filter notices.
        stored = enc;
        stored[stored.size() / 2] ^= 0x10;
        CHECK_THROWS_WITH(io::codec::decode(p, stored, 0, reinterpret_cast<unsigned char*>(dec.data()), dec.size() * 4, "f.h5: x"),
                          Catch::StartsWith("f.h5: x failed: checksum mismatch, the file is damaged"));
    }
}
