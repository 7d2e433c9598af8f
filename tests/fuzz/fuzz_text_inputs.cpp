// libFuzzer target: the text files a user hands to `epilstm prepare` and `epilstm evaluate` — chrom
// sizes, a regions BED, a track manifest and the five label formats. The first byte picks the
// reader, the rest is the file. Each result is checked against what the reader promises.
#include "fuzz_support.hpp"

#include <epilstm/eval/labels.hpp>
#include <epilstm/io/genome.hpp>
#include <epilstm/io/track_manifest.hpp>

#include <set>

using namespace epilstm;

namespace {

io::genome test_genome()
{
    io::genome g;
    g.path = "fuzz.sizes";
    g.chroms = {{"chr1", 249250621}, {"chr2", 243199373}, {"chrX", 155270560}, {"chrM", 16571}};
    return g;
}

void check_labels(const eval::label_set& s)
{
    for (const auto& l : s.loci) {
        EPILSTM_FUZZ_REQUIRE(l.label == 0 || l.label == 1);
        EPILSTM_FUZZ_REQUIRE(!l.chrom.empty());
        EPILSTM_FUZZ_REQUIRE(l.start <= l.end);
    }
    for (const auto& [reason, n] : s.dropped) EPILSTM_FUZZ_REQUIRE(n > 0 && !reason.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1) return 0;
    const int which = data[0] % 9;
    const auto path = fuzz::input_file("input_" + std::to_string(which) + ".txt", data + 1, size - 1);
    fuzz::expect_result_or_error([&] {
        switch (which) {
        case 0: {
            const io::genome g = io::read_chrom_sizes(path);
            EPILSTM_FUZZ_REQUIRE(!g.chroms.empty());
            std::set<std::string> names;
            for (const auto& c : g.chroms) {
                EPILSTM_FUZZ_REQUIRE(c.size > 0);
                EPILSTM_FUZZ_REQUIRE(names.insert(c.name).second);
            }
            break;
        }
        case 1: {
            const io::genome g = test_genome();
            for (const auto& r : io::read_bed_regions(path, g)) {
                const auto* c = g.find(r.chrom);
                EPILSTM_FUZZ_REQUIRE(c != nullptr);
                EPILSTM_FUZZ_REQUIRE(0 <= r.start && r.start < r.end && r.end <= c->size);
            }
            break;
        }
        case 2: {
            std::set<std::string> ids;
            for (const auto& t : io::read_track_manifest(path)) {
                EPILSTM_FUZZ_REQUIRE(!t.id.empty());
                EPILSTM_FUZZ_REQUIRE(ids.insert(t.id).second);
            }
            break;
        }
        case 3: check_labels(eval::load_bed_labels(path, eval::aggregation::window, "task", "CELL")); break;
        case 4: check_labels(eval::load_bed_labels(path, eval::aggregation::between_pair, "task", "CELL")); break;
        case 5: check_labels(eval::load_expression_labels(path, "CELL")); break;
        case 6: check_labels(eval::load_pei_labels(path, "CELL")); break;
        case 7: check_labels(eval::load_replication_timing_labels(path, "CELL")); break;
        case 8: {
            const std::vector<eval::locus> tiles{{"chr1", 0, 40000, 0, "t0"}, {"chr1", 40000, 80000, 0, "t1"},
                                                 {"chr2", 0, 40000, 0, "t2"}};
            check_labels(eval::load_domain_boundary_labels(path, "CELL", tiles));
            break;
        }
        }
    });
    return 0;
}
