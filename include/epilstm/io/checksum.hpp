// A content checksum of a file: FNV-1a 64 over its bytes, written "fnv1a64:<16 hex digits>".
// `epilstm embed` records the checksum of the checkpoint it embedded with; `epilstm evaluate`
// compares it with the --model it is given (io/embedding_file.hpp, eval/model_method.hpp). Not a
// cryptographic hash: it tells files apart, it does not authenticate them.
#pragma once

#include <epilstm/error.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace epilstm::io {

/// FNV-1a 64 of `bytes`, continuing from `h` (the offset basis by default).
inline std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t h = 14695981039346656037ull)
{
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

/// "fnv1a64:" and the 16 lower-case hex digits of h.
inline std::string format_fnv1a64(std::uint64_t h)
{
    char b[32];
    std::snprintf(b, sizeof b, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
    return b;
}

/// The checksum of the bytes of file `path`; io_error when it cannot be read.
inline std::string file_checksum(const std::filesystem::path& path)
{
    std::ifstream f(path, std::ios::binary);
    if (!f) throw io_error(path.string() + ": cannot open to compute its checksum");
    std::uint64_t h = 14695981039346656037ull;
    std::vector<char> buf(1 << 20);
    while (f) {
        f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        h = fnv1a64(std::string_view(buf.data(), static_cast<std::size_t>(f.gcount())), h);
    }
    if (f.bad()) throw io_error(path.string() + ": read failed while computing its checksum");
    return format_fnv1a64(h);
}

}  // namespace epilstm::io
