// Small text outputs (reports, TSV tables) written atomically: a reader never sees half a file,
// and a failed write leaves the previous file in place.
#pragma once

#include <epilstm/error.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace epilstm::io {

/// Writes `text` to a temporary file beside `path`, then renames it over `path`.
inline void write_text_file(const std::filesystem::path& path, std::string_view text)
{
    const std::filesystem::path tmp = std::filesystem::path(path.string() + ".tmp-" + std::to_string(::getpid()));
    {
        std::ofstream os(tmp, std::ios::binary);
        os.write(text.data(), static_cast<std::streamsize>(text.size()));
        os.flush();
        if (!os) {
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            throw io_error(path.string() + ": cannot write (disk full or not writable?)");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        throw io_error(path.string() + ": cannot replace: " + ec.message());
    }
}

}  // namespace epilstm::io
