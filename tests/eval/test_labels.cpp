// eval/labels.hpp: the loaders' windows (strand-aware promoters, between-pair, 40 kb bins) and
// their errors.
#include <epilstm/eval/labels.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace epilstm::eval;
namespace fs = std::filesystem;

namespace {
fs::path write_tmp(const std::string& name, const std::string& text)
{
    const fs::path p = fs::temp_directory_path() / ("epilstm_eval_labels_" + std::to_string(::getpid()) + "_" + name);
    std::ofstream(p) << text;
    return p;
}
}  // namespace

TEST_CASE("expression labels: strand-aware promoter windows")
{
    const auto p = write_tmp("expr.tsv",
                             "gene_id\tchrom\ttss_1based\tstrand\tgene_biotype\texpressed\tpilot_region\n"
                             "g1\tchr1\t10001\t+\tprotein_coding\t1\tR\n"
                             "g2\tchr1\t20001\t-\tlincRNA\t0\tR\n");
    const auto s = load_expression_labels(p, "GM12878", 2000);
    REQUIRE(s.loci.size() == 2);
    CHECK(s.loci[0].start == 8000);  // TSS 0-based 10000, 2 kb upstream on +
    CHECK(s.loci[0].end == 10001);
    CHECK(s.loci[0].label == 1);
    CHECK(s.loci[1].start == 20000);  // upstream of a − strand gene is to the right
    CHECK(s.loci[1].end == 22001);
    CHECK(s.positives() == 1);
    fs::remove(p);
}

TEST_CASE("PEI labels: the window between enhancer and promoter")
{
    const auto p = write_tmp("pei.tsv",
                             "enhancer_chrom\tenhancer_start\tenhancer_end\tpromoter_chrom\tpromoter_start\tpromoter_end\tlabel\tr\tr\n"
                             "chr6\t1000\t1200\tchr6\t5000\t5400\t1\tA\tA\n"
                             "chr6\t9000\t9500\tchr6\t5000\t5400\t0\tA\tA\n"
                             "chr6\t5300\t5600\tchr6\t5000\t5400\t0\tA\tA\n"
                             "chr6\t1000\t1200\tchr7\t5000\t5400\t0\tA\tA\n");
    const auto s = load_pei_labels(p, "GM12878");
    REQUIRE(s.loci.size() == 3);
    CHECK((s.loci[0].start == 1200 && s.loci[0].end == 5000));
    CHECK((s.loci[1].start == 5400 && s.loci[1].end == 9000));
    CHECK((s.loci[2].start == 5000 && s.loci[2].end == 5600));  // overlapping: the union
    CHECK(s.dropped.at("enhancer and promoter on different chromosomes") == 1);
    fs::remove(p);
}

TEST_CASE("replication timing: points pooled into 40 kb bins, early = mean rt >= 0")
{
    const auto p = write_tmp("rt.bed",
                             "chr8\t100\t101\t0.5\tR\nchr8\t200\t201\t-0.2\tR\nchr8\t40000\t40001\t-0.1\tR\n");
    const auto s = load_replication_timing_labels(p, "GM12878", 40000);
    REQUIRE(s.loci.size() == 2);
    CHECK((s.loci[0].start == 0 && s.loci[0].end == 40000 && s.loci[0].label == 1));
    CHECK((s.loci[1].start == 40000 && s.loci[1].label == 0));
    fs::remove(p);
}

TEST_CASE("generic BED labels and their errors")
{
    const auto p = write_tmp("g.bed", "chr1\t100\t200\t1\tx\nchr1\t300\t400\t0\n");
    auto s = load_bed_labels(p, aggregation::point, "t", "c");
    CHECK((s.loci[0].start == 100 && s.loci[0].end == 101 && s.loci[0].name == "x"));
    s = load_bed_labels(p, aggregation::window, "t", "c");
    CHECK((s.loci[1].start == 300 && s.loci[1].end == 400 && s.loci[1].label == 0));
    const auto pair = write_tmp("pair.bed", "chr1\t100\t200\t500\t600\t1\n");
    s = load_bed_labels(pair, aggregation::between_pair, "t", "c");
    CHECK((s.loci[0].start == 200 && s.loci[0].end == 500));
    const auto bad = write_tmp("bad.bed", "chr1\t100\t200\t2\n");
    CHECK_THROWS_WITH(load_bed_labels(bad, aggregation::window, "t", "c"), Catch::Contains(":1: label '2'"));
    const auto empty_iv = write_tmp("bad2.bed", "chr1\t100\t200\t1\nchr1\t300\t300\t1\n");
    CHECK_THROWS_WITH(load_bed_labels(empty_iv, aggregation::window, "t", "c"), Catch::Contains(":2: interval"));
    CHECK_THROWS_AS(load_bed_labels("/nonexistent/x.bed", aggregation::window, "t", "c"), epilstm::input_error);
    for (const auto& f : {p, pair, bad, empty_iv}) fs::remove(f);
}

TEST_CASE("an empty chromosome field is an error naming the line (found by tests/fuzz/fuzz_text_inputs)")
{
    const auto rt = write_tmp("nochrom.rt.bed", "chr8\t100\t101\t0.5\tR\n\t200\t201\t0.1\tR\n");
    CHECK_THROWS_WITH(load_replication_timing_labels(rt, "c"), Catch::Contains(":2: empty chromosome name"));
    const auto bed = write_tmp("nochrom.bed", "\t100\t200\t1\n");
    CHECK_THROWS_WITH(load_bed_labels(bed, aggregation::window, "t", "c"), Catch::Contains(":1: empty chromosome name"));
    const auto dom = write_tmp("nochrom.domains.bed", "chr1\t0\t40000\n\t40000\t80000\n");
    const std::vector<locus> tiles{{"chr1", 0, 40000, 0, "t0"}};
    CHECK_THROWS_WITH(load_domain_boundary_labels(dom, "c", tiles), Catch::Contains(":2: empty chromosome name"));
    for (const auto& f : {rt, bed, dom}) fs::remove(f);
}

TEST_CASE("rows that cannot be scored (NaN, inf, empty, NA) are skipped and counted per file; garbage is an error")
{
    // Replication timing: real Koren et al. files have NaN rt values.
    const auto rt = write_tmp("nan.rt.bed", "chr8\t100\t101\t0.5\tR\nchr8\t200\t201\tNaN\tR\nchr8\t300\t301\t-inf\tR\n"
                                            "chr8\t400\t401\t\tR\nchr8\t40000\t40001\t-0.1\tR\nchr8\t40100\t40101\tNA\tR\n");
    const auto s = load_replication_timing_labels(rt, "GM12878", 40000);
    REQUIRE(s.loci.size() == 2);
    CHECK(s.loci[0].label == 1);  // the mean of the finite values only: 0.5
    CHECK(s.loci[1].label == 0);
    const std::string reason = rt.filename().string() + ": rows whose rt is NaN, infinite or empty (skipped)";
    REQUIRE(s.dropped.count(reason) == 1);
    CHECK(s.dropped.at(reason) == 4);
    const auto garbage = write_tmp("garbage.rt.bed", "chr8\t100\t101\t0.5x\tR\n");
    CHECK_THROWS_WITH(load_replication_timing_labels(garbage, "GM12878"), Catch::Contains(":1: rt '0.5x' is not a finite number"));

    // 0/1 labels: a missing label skips the row; "2" stays an error.
    const auto bed = write_tmp("na.bed", "chr1\t100\t200\t1\nchr1\t300\t400\tNA\nchr1\t500\t600\tnan\nchr1\t700\t800\t0\n");
    const auto b = load_bed_labels(bed, aggregation::window, "t", "c");
    CHECK(b.loci.size() == 2);
    CHECK(b.dropped.at(bed.filename().string() + ": rows whose label is NaN, infinite or empty (skipped)") == 2);
    const auto expr = write_tmp("na.expr.tsv", "g1\tchr1\t10001\t+\tprotein_coding\tNaN\tR\ng2\tchr1\t20001\t-\tlincRNA\t0\tR\n");
    const auto e = load_expression_labels(expr, "GM12878");
    CHECK(e.loci.size() == 1);
    CHECK(e.dropped.size() == 1);
    for (const auto& f : {rt, garbage, bed, expr}) fs::remove(f);
}
