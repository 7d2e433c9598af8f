// Shared by the libFuzzer targets (tests/fuzz, docs/fuzzing.md): every reader under test takes a
// path, so each input is written to a file in a per-process scratch directory first; a reader
// must either return something that satisfies its documented promises or throw epilstm::error
// (the one-line message the CLI prints). Anything else (a crash, a sanitizer report, another
// exception type, a broken promise) stops the fuzzer with the input saved.
#pragma once

#include <epilstm/error.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

namespace epilstm::fuzz {

/// `<tmp>/epilstm-fuzz-<pid>/<name>` holding the bytes [data, data + size).
inline std::filesystem::path input_file(const std::string& name, const std::uint8_t* data, std::size_t size)
{
    static const std::filesystem::path dir = [] {
        auto d = std::filesystem::temp_directory_path() / ("epilstm-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        return d;
    }();
    const auto p = dir / name;
    std::ofstream os(p, std::ios::binary | std::ios::trunc);
    os.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return p;
}

/// A broken promise: print it and abort, so libFuzzer keeps the input.
[[noreturn]] inline void violated(const char* what)
{
    std::fprintf(stderr, "epilstm fuzz: promise broken: %s\n", what);
    std::abort();
}

#define EPILSTM_FUZZ_REQUIRE(cond) \
    do {                           \
        if (!(cond)) ::epilstm::fuzz::violated(#cond); \
    } while (0)

/// Runs f; epilstm::error is a correct answer to a bad input, any other exception is a bug.
template <class F>
void expect_result_or_error(F&& f)
{
    try {
        f();
    } catch (const epilstm::error& e) {
        if (std::string(e.what()).empty()) violated("an error with an empty message");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "epilstm fuzz: unexpected exception (not epilstm::error): %s\n", e.what());
        std::abort();
    }
}

}  // namespace epilstm::fuzz
