// libFuzzer target: the annotation and score tracks of `epilstm evaluate` (examples/epilstm/
// intervals.cpp): a BED (--promoters, --genes, a BED --score) and a bedGraph score, plain or
// gzip-compressed. The first byte picks the form, the rest is the file. Intervals must be
// well-formed; per-bin scores must have one value per bin of every region, finite or NaN, and a
// BED's covered fraction must lie in [0, 1].
#include "fuzz_support.hpp"

#include "../../examples/epilstm/intervals.hpp"

#include <cmath>

using namespace epilstm;

namespace {

eval::representation two_regions()
{
    eval::representation r;
    r.source = "fuzz";
    r.width = 1;
    r.regions.push_back({"r1", "chr1", 1000, 1000 + 40 * 25, 25, eval::row_matrix::Zero(40, 1)});
    r.regions.push_back({"r2", "chr2", 0, 16 * 25, 25, eval::row_matrix::Zero(16, 1)});
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1) return 0;
    static const char* names[] = {"a.bed", "a.bedGraph", "a.bed.gz", "a.bedGraph.gz"};
    const int which = data[0] % 4;
    const bool values = which % 2 == 1;
    const auto path = fuzz::input_file(names[which], data + 1, size - 1);
    fuzz::expect_result_or_error([&] {
        for (const auto& iv : cli::read_intervals(path, values)) {
            EPILSTM_FUZZ_REQUIRE(!iv.chrom.empty());
            EPILSTM_FUZZ_REQUIRE(0 <= iv.start && iv.start < iv.end);
            if (!values) EPILSTM_FUZZ_REQUIRE(iv.value == 1);
        }
    });
    fuzz::expect_result_or_error([&] {
        const auto rep = two_regions();
        const auto scores = cli::read_bin_scores(path, rep);
        EPILSTM_FUZZ_REQUIRE(scores.size() == rep.regions.size());
        for (std::size_t r = 0; r < scores.size(); ++r) {
            EPILSTM_FUZZ_REQUIRE(static_cast<Eigen::Index>(scores[r].size()) == rep.regions[r].rows.rows());
            for (double s : scores[r]) {
                EPILSTM_FUZZ_REQUIRE(std::isnan(s) || std::isfinite(s));
                if (!values && !std::isnan(s)) EPILSTM_FUZZ_REQUIRE(s >= 0 && s <= 1 + 1e-12);
            }
        }
    });
    return 0;
}
