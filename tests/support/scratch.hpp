// Helpers shared by the tests that write files: a scratch directory removed afterwards, whole-file
// reads (to check that a failed write left a file byte-identical), and the message of an error.
#pragma once

#include <epilstm/error.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace epilstm::testing {

/// A fresh directory under temp_directory_path(), removed with everything in it.
struct temp_dir {
    std::filesystem::path path;
    explicit temp_dir(const std::string& prefix = "epilstm-test")
    {
        std::random_device rd;
        path = std::filesystem::temp_directory_path() /
               (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path);
    }
    ~temp_dir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    std::filesystem::path operator/(const std::string& name) const { return path / name; }
    /// The names in the directory, sorted.
    std::vector<std::string> entries() const
    {
        std::vector<std::string> names;
        for (const auto& e : std::filesystem::directory_iterator(path)) names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }
};

/// The bytes of a file.
inline std::string slurp(const std::filesystem::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The message of the epilstm::error f throws, or "<no exception>".
template <class F>
std::string message_of(F&& f)
{
    try {
        f();
    } catch (const epilstm::error& e) {
        return e.what();
    }
    return "<no exception>";
}

}  // namespace epilstm::testing
