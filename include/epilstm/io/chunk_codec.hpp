// HDF5's chunk filters, done by us: shuffle, deflate and Fletcher-32 in HDF5's exact formats, and
// IEEE binary16 ("float16") values.
//
// The signal store at the compendium's width (D = 1,014 tracks) is tens to hundreds of gigabytes of
// compressed chunks. HDF5 runs its filter pipeline inside H5Dwrite/H5Dread, on the calling thread and
// under its global lock, so neither `prepare` (compression) nor training (decompression) could use a
// second core for it. The store writer and reader therefore move chunks with H5Dwrite_chunk /
// H5Dread_chunk and run the filters here, on any thread. The bytes are the ones HDF5's own filters
// produce and accept (tests/test_chunk_codec.cpp checks both directions through HDF5), so every
// HDF5 reader (h5py, h5dump, HDF5's own pipeline) reads a store written this way, and chunks written
// by HDF5 decode here.
//
// Pure functions on byte buffers; no HDF5. Needs zlib (ZLIB::ZLIB, which epilstm::hdf5 carries).
#pragma once

#include <epilstm/error.hpp>

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#if defined(__F16C__) || defined(__AVX__)
#include <immintrin.h>
#endif

namespace epilstm::io::codec {

// ---- float16 -------------------------------------------------------------------------------

/// The largest finite float16.
inline constexpr float half_max = 65504.0f;

/// float32 -> IEEE binary16 bits, rounded to nearest, ties to even (as F16C's VCVTPS2PH with
/// _MM_FROUND_TO_NEAREST_INT); |x| beyond half_max gives ±inf, NaN stays NaN.
inline std::uint16_t to_half(float f) noexcept
{
    std::uint32_t x;
    std::memcpy(&x, &f, 4);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    const std::uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0u));
    if (ax >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past 65504
    if (ax < 0x38800000u) {                                                     // below 2^-14: subnormal or zero
        if (ax < 0x33000000u) return static_cast<std::uint16_t>(sign);          // below half of 2^-24
        const std::uint32_t e = ax >> 23;
        const std::uint32_t m = (ax & 0x7fffffu) | 0x800000u;
        const std::uint32_t shift = 126u - e;  // 14..24: m >> shift is the subnormal mantissa
        std::uint32_t h = m >> shift;
        const std::uint32_t rest = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
        if (rest > half || (rest == half && (h & 1u))) ++h;
        return static_cast<std::uint16_t>(sign | h);
    }
    std::uint32_t h = ((ax >> 13) - (112u << 10));  // rebias exponent 127 -> 15
    const std::uint32_t rest = ax & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry into the exponent is right
    return static_cast<std::uint16_t>(sign | h);
}

/// IEEE binary16 bits -> float32 (exact).
inline float from_half(std::uint16_t h) noexcept
{
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    std::uint32_t x;
    if (e == 0x1fu) {
        x = sign | 0x7f800000u | (m << 13);
    } else if (e != 0) {
        x = sign | ((e + 112u) << 23) | (m << 13);
    } else if (m == 0) {
        x = sign;
    } else {  // subnormal: m * 2^-24
        const float v = static_cast<float>(m) * 5.9604644775390625e-8f;
        std::memcpy(&x, &v, 4);
        x |= sign;
    }
    float f;
    std::memcpy(&f, &x, 4);
    return f;
}

/// n values float16 -> float32 (F16C when the build has it, the same results either way).
inline void halves_to_floats(const std::uint16_t* in, float* out, std::size_t n) noexcept
{
    std::size_t i = 0;
#if defined(__F16C__)
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
#endif
    for (; i < n; ++i) out[i] = from_half(in[i]);
}

/// n values float32 -> float16, rounded to nearest even.
inline void floats_to_halves(const float* in, std::uint16_t* out, std::size_t n) noexcept
{
    std::size_t i = 0;
#if defined(__F16C__)
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT));
#endif
    for (; i < n; ++i) out[i] = to_half(in[i]);
}

// ---- chunk layout: track-major [D, ld] -> position-major rows ----------------------------------

namespace detail {
#if defined(__AVX__)
/// r[j] <- column j of the 8 x 8 matrix whose rows are r[0..7].
inline void transpose8(__m256* r) noexcept
{
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}
#endif

/// dst[i * D + d] = load(src, d * ld + i) for d < D, i < n, in blocks of 64 positions (the rows they
/// write stay in cache) and, with AVX, 8 x 8 register transposes. `load8(p)` loads 8 consecutive
/// values as floats (AVX builds only), `load1(p)` one.
template <class T, class Load8, class Load1>
void to_position_major(const T* src, std::ptrdiff_t ld, std::ptrdiff_t D, std::ptrdiff_t n, float* dst, Load8&& load8,
                       Load1&& load1) noexcept
{
    constexpr std::ptrdiff_t block = 64;
    for (std::ptrdiff_t i0 = 0; i0 < n; i0 += block) {
        const std::ptrdiff_t i1 = std::min(n, i0 + block);
        std::ptrdiff_t d = 0;
#if defined(__AVX__)
        for (; d + 8 <= D; d += 8) {
            std::ptrdiff_t i = i0;
            for (; i + 8 <= i1; i += 8) {
                __m256 r[8];
                for (int k = 0; k < 8; ++k) r[k] = load8(src + (d + k) * ld + i);
                transpose8(r);
                for (int k = 0; k < 8; ++k) _mm256_storeu_ps(dst + (i + k) * D + d, r[k]);
            }
            for (; i < i1; ++i)
                for (std::ptrdiff_t k = 0; k < 8; ++k) dst[i * D + d + k] = load1(src + (d + k) * ld + i);
        }
#else
        (void)load8;
#endif
        for (; d < D; ++d)
            for (std::ptrdiff_t i = i0; i < i1; ++i) dst[i * D + d] = load1(src + d * ld + i);
    }
}
}  // namespace detail

/// dst[i * D + d] = src[d * ld + i] for d < D, i < n: the first n positions of a track-major chunk
/// (row stride ld) as position-major rows.
inline void to_position_major(const float* src, std::ptrdiff_t ld, std::ptrdiff_t D, std::ptrdiff_t n, float* dst) noexcept
{
#if defined(__AVX__)
    auto load8 = [](const float* p) { return _mm256_loadu_ps(p); };
#else
    auto load8 = [](const float*) { return 0; };
#endif
    detail::to_position_major(src, ld, D, n, dst, load8, [](const float* p) { return *p; });
}

/// The same from float16 values, converted on the way (one pass instead of two).
inline void halves_to_position_major(const std::uint16_t* src, std::ptrdiff_t ld, std::ptrdiff_t D, std::ptrdiff_t n,
                                     float* dst) noexcept
{
#if defined(__AVX__) && defined(__F16C__)
    auto load8 = [](const std::uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); };
    auto load1 = [](const std::uint16_t* p) { return _cvtsh_ss(*p); };
    detail::to_position_major(src, ld, D, n, dst, load8, load1);
#else
    // No F16C: convert in bulk (scalar), then transpose.
    thread_local std::vector<float> tmp;
    tmp.resize(static_cast<std::size_t>(D * n));
    for (std::ptrdiff_t d = 0; d < D; ++d) halves_to_floats(src + d * ld, tmp.data() + d * n, static_cast<std::size_t>(n));
    to_position_major(tmp.data(), n, D, n, dst);
#endif
}

// ---- HDF5's filters --------------------------------------------------------------------------

/// HDF5's Fletcher-32 (H5_checksum_fletcher32): 16-bit big-endian words, sums folded every 360.
inline std::uint32_t fletcher32(const unsigned char* data, std::size_t bytes) noexcept
{
    std::size_t words = bytes / 2;
    std::uint32_t sum1 = 0, sum2 = 0;
    while (words) {
        std::size_t n = words > 360 ? 360 : words;
        words -= n;
        do {
            sum1 += (static_cast<std::uint32_t>(data[0]) << 8) | data[1];
            data += 2;
            sum2 += sum1;
        } while (--n);
        sum1 = (sum1 & 0xffffu) + (sum1 >> 16);
        sum2 = (sum2 & 0xffffu) + (sum2 >> 16);
    }
    if (bytes % 2) {
        sum1 += static_cast<std::uint32_t>(*data) << 8;
        sum2 += sum1;
        sum1 = (sum1 & 0xffffu) + (sum1 >> 16);
        sum2 = (sum2 & 0xffffu) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffffu) + (sum1 >> 16);
    sum2 = (sum2 & 0xffffu) + (sum2 >> 16);
    return (sum2 << 16) | sum1;
}

/// HDF5's shuffle: byte j of element i goes to out[j * n + i] (n = bytes / size; trailing bytes of
/// a partial element are copied as they are).
inline void shuffle(const unsigned char* in, unsigned char* out, std::size_t bytes, std::size_t size) noexcept
{
    const std::size_t n = size > 1 ? bytes / size : 0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < size; ++j) out[j * n + i] = in[i * size + j];
    std::memcpy(out + n * size, in + n * size, bytes - n * size);
}

/// The inverse of shuffle.
inline void unshuffle(const unsigned char* in, unsigned char* out, std::size_t bytes, std::size_t size) noexcept
{
    const std::size_t n = size > 1 ? bytes / size : 0;
    if (size == 2) {  // the float16 store: two planes
        const unsigned char *lo = in, *hi = in + n;
        for (std::size_t i = 0; i < n; ++i) {
            out[2 * i] = lo[i];
            out[2 * i + 1] = hi[i];
        }
    } else if (size == 4) {
        const unsigned char *p0 = in, *p1 = in + n, *p2 = in + 2 * n, *p3 = in + 3 * n;
        for (std::size_t i = 0; i < n; ++i) {
            out[4 * i] = p0[i];
            out[4 * i + 1] = p1[i];
            out[4 * i + 2] = p2[i];
            out[4 * i + 3] = p3[i];
        }
    } else {
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < size; ++j) out[i * size + j] = in[j * n + i];
    }
    std::memcpy(out + n * size, in + n * size, bytes - n * size);
}

/// A chunk filter pipeline in HDF5's order: shuffle, then deflate, then Fletcher-32.
struct pipeline {
    std::size_t element_size = 4;
    bool shuffle = false;
    int deflate = 0;  ///< zlib level 1..9; 0 = no deflate
    bool fletcher32 = false;
};

/// Applies `p` to a chunk's raw bytes, giving what H5Dwrite_chunk stores (filter mask 0).
inline std::vector<unsigned char> encode(const pipeline& p, const unsigned char* raw, std::size_t bytes)
{
    const unsigned char* src = raw;
    std::vector<unsigned char> shuffled, out;
    if (p.shuffle && p.element_size > 1) {
        shuffled.resize(bytes);
        shuffle(raw, shuffled.data(), bytes, p.element_size);
        src = shuffled.data();
    }
    if (p.deflate > 0) {
        uLongf out_len = compressBound(static_cast<uLong>(bytes));
        out.resize(out_len + (p.fletcher32 ? 4 : 0));
        if (compress2(out.data(), &out_len, src, static_cast<uLong>(bytes), p.deflate) != Z_OK)
            throw error("deflate of a " + std::to_string(bytes) + "-byte chunk failed (out of memory?)");
        out.resize(out_len);
    } else {
        out.assign(src, src + bytes);
    }
    if (p.fletcher32) {
        const std::uint32_t c = fletcher32(out.data(), out.size());
        for (int k = 0; k < 4; ++k) out.push_back(static_cast<unsigned char>(c >> (8 * k)));  // little-endian
    }
    return out;
}

/// Undoes `p` on a stored chunk (`stored`, as H5Dread_chunk gives it), writing exactly `bytes` raw
/// bytes to `raw`. `skipped` is H5Dread_chunk's filter mask (bit k: filter k of the pipeline was not
/// applied to this chunk). A damaged chunk (checksum, or a deflate stream that does not inflate to
/// `bytes`) is an io_error "<where>: checksum mismatch, ...". `stored` is used as scratch.
inline void decode(const pipeline& p, std::vector<unsigned char>& stored, unsigned skipped, unsigned char* raw,
                   std::size_t bytes, const std::string& where)
{
    const auto damaged = [&](const std::string& why) {
        return io_error(where + " failed: checksum mismatch, the file is damaged (" + why + ")");
    };
    unsigned k = 0;
    const bool sh = p.shuffle && !(skipped & (1u << k++));
    const bool de = p.deflate > 0 && !(skipped & (1u << k++));
    const bool fl = p.fletcher32 && !(skipped & (1u << k++));
    std::size_t len = stored.size();
    if (fl) {
        if (len < 4) throw damaged("a chunk of " + std::to_string(len) + " bytes cannot hold its Fletcher-32 checksum");
        len -= 4;
        std::uint32_t want = 0;
        for (int b = 0; b < 4; ++b) want |= static_cast<std::uint32_t>(stored[len + static_cast<std::size_t>(b)]) << (8 * b);
        const std::uint32_t got = fletcher32(stored.data(), len);
        // HDF5 before 1.6.3 wrote the two 16-bit halves byte-swapped; HDF5 accepts both, so do we.
        const std::uint32_t swapped = ((got & 0x00ff00ffu) << 8) | ((got & 0xff00ff00u) >> 8);
        if (want != got && want != swapped) throw damaged("Fletcher-32");
    }
    const bool unshuffling = sh && p.element_size > 1;
    const unsigned char* src = stored.data();
    thread_local std::vector<unsigned char> scratch;  // reused: a fresh 10 MB buffer per chunk costs page faults
    if (de) {
        unsigned char* dst = raw;
        if (unshuffling) {
            if (scratch.size() < bytes) scratch.resize(bytes);
            dst = scratch.data();
        }
        uLongf out_len = static_cast<uLongf>(bytes);
        const int rc = uncompress(dst, &out_len, src, static_cast<uLong>(len));
        if (rc != Z_OK || out_len != bytes) throw damaged("deflate stream: zlib code " + std::to_string(rc));
        src = dst;
        len = bytes;
    }
    if (len != bytes)
        throw damaged("the chunk holds " + std::to_string(len) + " bytes after its filters, expected " + std::to_string(bytes));
    if (unshuffling)
        unshuffle(src, raw, bytes, p.element_size);
    else if (src != raw)
        std::memcpy(raw, src, bytes);
}

}  // namespace epilstm::io::codec
