// main() of the parity tests: exits with 77 (ctest SKIP_RETURN_CODE) when the backend cannot run
// here, before any test runs, so a missing GPU never reads as a pass. Its own file because Catch2's
// implementation (CATCH_CONFIG_RUNNER) trips GCC 12's false -Wmaybe-uninitialized in <regex> under
// the sanitizers; tests/CMakeLists.txt silences that warning for this file only.
#define CATCH_CONFIG_RUNNER
#include "parity_case.hpp"

#include <catch2/catch.hpp>

#include <cstdio>

int main(int argc, char* argv[])
{
    using namespace epilstm::parity;
    if (!device_available()) {
        std::printf("parity: %s not available (no usable CUDA device); skipping\n", device_name().c_str());
        return 77;
    }
    std::printf("parity: running on %s\n", device_name().c_str());
    const int failed = Catch::Session().run(argc, argv);
    std::printf("parity: largest relative error %.3g (tolerance 1e-5)\n", largest_relative_error());
    return failed;
}
