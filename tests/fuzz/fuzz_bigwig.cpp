// libFuzzer target: bigWig tracks (`epilstm prepare`'s input, `evaluate --score`), read through
// epilstm's libBigWig wrapper (io/bigwig.hpp, src/bigwig/bigwig.cpp): open (header and chromosome
// list, which the wrapper checks before libBigWig trusts them) and list the chromosomes; with
// EPILSTM_FUZZ_BIGWIG_QUERIES=1 also read bin means as prepare does. The queries are off in CI:
// libBigWig 0.4.7 sizes its interval buffer by a data block's claimed item count, so a corrupt
// block asks for gigabytes (a failed allocation it handles, but libFuzzer stops at its memory
// limit); see docs/fuzzing.md. The input is the file. libBigWig itself is
// Debian's (uninstrumented), so coverage guides the fuzzer through our wrapper only; a crash
// inside libBigWig is still caught (deadly signal).
#include "fuzz_support.hpp"

#include <epilstm/io/bigwig.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace epilstm;

// A bigWig block may claim a huge item count; libBigWig's realloc then fails and it returns an
// error, as with glibc. ASan would abort on the request instead: let it return null like glibc.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
// libBigWig's own error paths leak (bwStrdup'ed chromosome names of a file it then refuses): its
// code, reported in docs/fuzzing.md; our wrapper's leaks are still reported.
extern "C" const char* __lsan_default_suppressions() { return "leak:libBigWig.so\n"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const bool queries = [] {
        const char* v = std::getenv("EPILSTM_FUZZ_BIGWIG_QUERIES");
        return v && std::strcmp(v, "1") == 0;
    }();
    const auto path = fuzz::input_file("input.bw", data, size);
    fuzz::expect_result_or_error([&] {
        const io::bigwig_file bw(path);
        std::size_t k = 0;
        for (const auto& c : bw.chroms()) {
            EPILSTM_FUZZ_REQUIRE(!c.name.empty());
            if (!queries || ++k > 4 || c.size <= 0) continue;
            const index_t n = static_cast<index_t>(std::min<std::int64_t>(40, (c.size + 24) / 25));
            std::vector<double> mean(static_cast<std::size_t>(n));
            std::vector<std::uint8_t> covered(static_cast<std::size_t>(n));
            bw.read_bin_means(c.name, 0, n, 25, mean.data(), covered.data());
            for (index_t i = 0; i < n; ++i)
                if (covered[static_cast<std::size_t>(i)]) EPILSTM_FUZZ_REQUIRE(std::isfinite(mean[static_cast<std::size_t>(i)]));
                else EPILSTM_FUZZ_REQUIRE(mean[static_cast<std::size_t>(i)] == 0);
        }
    });
    return 0;
}
