// eval/report.hpp: the evaluation driver iterates a list of methods. A tiny signal on four
// chromosomes whose track 0 marks the promoters of the expressed genes; a test method that reads
// exactly that track (centred on the training regions' mean) must classify perfectly, the
// majority baseline must score the positive rate, and the report and TSV files must name every
// method in order. chr4 is held out: its fold is scored on its own in the report's first table;
// the paired comparison, the seeds and the pinned XGBoost parameters are in the report.
#include <epilstm/eval/method.hpp>
#include <epilstm/eval/report.hpp>

#include "../support/scratch.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

using namespace epilstm;
using namespace epilstm::eval;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t bin = 25, region_bp = 100000;
const char* chroms[] = {"chr1", "chr2", "chr3", "chr4"};

/// 1-based TSS of gene i (10 per chromosome, + strand); genes with odd i are expressed.
std::int64_t tss(int i) { return 5000 + i * 9000 + 1; }

/// Track 0: 1 over the promoter window (2 kb upstream) of each expressed gene, else 0. Track 1: noise.
representation marked_signal()
{
    representation s{"test store", 2, {}};
    for (const char* c : chroms) {
        const index_t n = region_bp / bin;
        row_matrix rows = row_matrix::Zero(n, 2);
        for (index_t k = 0; k < n; ++k) rows(k, 1) = static_cast<float>(std::sin(0.37 * static_cast<double>(k) + c[3]));
        for (int i = 1; i < 10; i += 2) {
            const std::int64_t first = (tss(i) - 1 - 2000) / bin, last = (tss(i) - 1) / bin;
            for (std::int64_t k = first; k <= last; ++k) rows(k, 0) = 1;
        }
        s.regions.push_back({std::string("R_") + c, c, 0, region_bp, bin, std::move(rows)});
    }
    return s;
}

void write_labels(const fs::path& dir)
{
    fs::create_directories(dir / "expression");
    std::ofstream f(dir / "expression" / "TEST.E000.gene_expressed.dev.tsv");
    f << "gene_id\tchrom\ttss_1based\tstrand\tgene_biotype\texpressed\tpilot_region\n";
    for (const char* c : chroms)
        for (int i = 0; i < 10; ++i)
            f << "G_" << c << "_" << i << '\t' << c << '\t' << tss(i) << "\t+\tprotein_coding\t" << i % 2 << "\tR\n";
}

/// A trivial method: track 0 of the signal, minus its mean over the training regions.
class marker_method final : public representation_method {
public:
    std::string name() const override { return "marker"; }
    std::string description() const override { return "track 0, centred"; }
    index_t width() const override { return 1; }
    fit_scope scope() const override { return fit_scope::training_regions; }
    void fit(const representation& signal, const region_filter& training) override
    {
        double sum = 0, n = 0;
        for (const auto& g : signal.regions)
            if (!training || training(g)) sum += g.rows.col(0).cast<double>().sum(), n += static_cast<double>(g.rows.rows());
        mean_ = static_cast<float>(sum / n);
        ++fits;
    }
    represented_region embed_region(const represented_region& g) const override
    {
        row_matrix x = g.rows.col(0).array() - mean_;
        return {g.name, g.chrom, g.start, g.end, g.bin_size, std::move(x)};
    }
    float mean_ = 0;
    int fits = 0;
};

std::string slurp(const fs::path& p)
{
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("run_evaluation iterates the methods: a perfect feature, the raw signal and the majority baseline")
{
    epilstm::testing::temp_dir tmp("epilstm-eval-report");
    write_labels(tmp / "labels");

    evaluation_inputs in;
    in.data.store_signal = marked_signal();
    in.data.signal = in.data.store_signal;
    in.data.heldout_chroms = {"chr4"};  // not learned from by the methods (no model: no reconstruction)
    in.data.heldout = on_chromosomes(in.data.store_signal, in.data.heldout_chroms);
    in.data.track_ids = {"marker", "noise"};
    in.data.cell_types = {"E000"};
    in.files.representation = "marker.h5";
    in.files.store = "store.h5";
    in.files.labels_dir = tmp / "labels";
    in.options.folds = 4;
    in.options.seed = 5;
    in.options.threads = 1;
    in.options.tasks = {"gene_expression"};
    in.options.smoothness_lags = {1, 4};
    in.options.seeds = 2;
    in.data.heldout_source = "the test";
    in.out = tmp / "out";

    method_list methods;
    methods.push_back(std::make_unique<marker_method>());
    methods.push_back(std::make_unique<signal_method>());
    methods.push_back(std::make_unique<majority_method>());
    const evaluation_result res = run_evaluation(in, methods, no_plotter("drawing is off in this test"));

    // Fitted once, on the training regions only (chr1..chr3, 12,000 positions).
    const auto& marker = static_cast<const marker_method&>(*methods[0]);
    CHECK(marker.fits == 1);
    double expected = 0;
    for (int c = 0; c < 3; ++c) expected += in.data.signal.regions[static_cast<std::size_t>(c)].rows.col(0).cast<double>().sum();
    CHECK(marker.mean_ == Approx(expected / 12000.0));

    // One task × three methods, in the list's order.
    REQUIRE(res.downstream.size() == 3);
    CHECK(res.downstream[0].method == "marker");
    CHECK(res.downstream[1].method == "raw-signal");
    CHECK(res.downstream[2].method == "majority");
    for (const auto& s : res.downstream) {
        CHECK(s.loci == 40);
        CHECK(s.positives == 20);
        CHECK(s.folds == 4);
        CHECK(s.folds_scored == 4);  // every chromosome holds both classes
    }
    // The marker separates the classes: every fold and the pooled ranking are perfect.
    CHECK(res.downstream[0].mean_ap == Approx(1.0));
    CHECK(res.downstream[0].pooled_ap == Approx(1.0));
    CHECK(res.downstream[0].pooled_auroc == Approx(1.0));
    // The raw signal holds the marker too.
    CHECK(res.downstream[1].pooled_ap == Approx(1.0));
    // The majority baseline: AP = positive rate, AUROC 0.5.
    CHECK(res.downstream[2].pooled_ap == Approx(0.5));
    CHECK(res.downstream[2].pooled_auroc == 0.5);
    // Smoothness for the methods with features only.
    CHECK(res.smoothness.size() == 2);

    // chr4's fold is held out (a fold of its own): 10 loci, 5 positive, perfectly ranked by the marker.
    for (const auto& s : res.downstream) {
        CHECK(s.heldout_folds == 1);
        CHECK(s.heldout_folds_scored == 1);
        CHECK(s.heldout_loci == 10);
        CHECK(s.heldout_positives == 5);
        int held = 0;
        for (const auto& f : s.cv.folds) {
            held += f.heldout;
            CHECK(f.heldout == (f.test_chromosomes == "chr4"));
        }
        CHECK(held == 1);
    }
    CHECK(res.downstream[0].heldout_pooled_ap == Approx(1.0));
    CHECK(res.downstream[0].heldout_mean_ap == Approx(1.0));
    CHECK(res.downstream[2].heldout_pooled_ap == Approx(0.5));  // majority: the held-out positive rate
    CHECK(res.downstream[2].heldout_pooled_auroc == 0.5);
    CHECK(res.downstream[0].se_ap == Approx(0.0));
    // Two seeds: the same label sets and methods, each scored.
    REQUIRE(res.per_seed.size() == 2);
    CHECK(res.per_seed[1].size() == 3);
    CHECK(res.per_seed[1][0].mean_ap == Approx(1.0));

    // The files.
    const std::string metrics = slurp(in.out / "metrics.tsv");
    CHECK(metrics.starts_with(metrics_header()));
    CHECK(metrics.find("gene_expression\tTEST\tmarker\tpooled\t\t\t40\t\t\t\t\t1.000000\t1.000000\t") != std::string::npos);
    CHECK(metrics.find("gene_expression\tTEST\tmajority\tpooled\t\t\t40\t\t\t\t\t0.500000\t0.500000\t") != std::string::npos);
    CHECK(metrics.find("gene_expression\tTEST\tmarker\theldout_pooled\t\tyes\t10\t5\t\t\t\t1.000000\t1.000000\t") !=
          std::string::npos);
    // chr4 is fold 3 (the held-out folds come last): tested on its 10 loci, validated on fold 0, trained on the other two
    CHECK(metrics.find("\t3\tchr4\tyes\t10\t5\t20\t10\t") != std::string::npos);
    CHECK(std::count(metrics.begin(), metrics.end(), '\n') == 1 + 3 * (4 + 3));
    CHECK(slurp(in.out / "smoothness.tsv").starts_with("k_bp\tmarker\traw-signal\n25\t"));
    // Paired: the marker beats the majority on every fold by 0.5 (sign test 2/16); ties the raw signal.
    const std::string paired = slurp(in.out / "paired.tsv");
    CHECK(paired.find("gene_expression\tTEST\tmarker\tmajority\t4\t0.500000\t0.000000\t0.500000\t0.500000\t4\t0\t0\t"
                      "0.125000\t0.500000\n") != std::string::npos);
    CHECK(paired.find("gene_expression\tTEST\tmarker\traw-signal\t4\t0.000000\t0.000000\t0.000000\t0.000000\t0\t0\t4\tNA\t"
                      "0.000000\n") != std::string::npos);
    const std::string seeds = slurp(in.out / "seeds.tsv");
    CHECK(seeds.find("gene_expression\tTEST\tmarker\t5\t1.000000\t1.000000\t1.000000\n") != std::string::npos);
    CHECK(seeds.find("gene_expression\tTEST\tmarker\t6\t1.000000\t1.000000\t1.000000\n") != std::string::npos);
    CHECK(seeds.find("gene_expression\tTEST\tmajority\tsd\t0.000000\t0.000000\t0.000000\n") != std::string::npos);

    const std::string md = slurp(in.out / "report.md");
    CHECK(md.find("- **marker**: track 0, centred; fitted on 3 regions (12000 positions): the regions not on chr4.\n") !=
          std::string::npos);
    CHECK(md.find("- **raw-signal**: the transformed signal averaged the same way; nothing fitted here.") != std::string::npos);
    CHECK(md.find("Held-out chromosomes (not used to train the model; from the test): chr4.") != std::string::npos);
    // Every XGBoost parameter, as set.
    CHECK(md.find("booster=gbtree objective=binary:logistic eta=0.1 max_depth=6 min_child_weight=1 gamma=0 lambda=1 alpha=0 "
                  "max_delta_step=0 scale_pos_weight=1 subsample=1 sampling_method=uniform colsample_bytree=1 "
                  "colsample_bylevel=1 colsample_bynode=1 tree_method=hist max_bin=256 grow_policy=depthwise "
                  "num_parallel_tree=1 base_score=0.5 nthread=1 seed=5 verbosity=0") != std::string::npos);
    // The first table is the held-out one.
    const auto held_table = md.find("| task | cell type | method | held-out loci |");
    const auto all_table = md.find("| task | cell type | method | loci |");
    REQUIRE(held_table != std::string::npos);
    REQUIRE(all_table != std::string::npos);
    CHECK(held_table < all_table);
    CHECK(md.find("| task |") == held_table);
    CHECK(md.find("| gene_expression | TEST | **marker** | 10 | 5 | 1/1 | 1.000 | 1.000 | 1.000 |") != std::string::npos);
    CHECK(md.find("- **marker** vs majority: higher held-out pooled AP in 1 of 1 task × cell-type pairs, lower in 0.") !=
          std::string::npos);
    CHECK(md.find("Methods: ") == std::string::npos);
    CHECK(md.find("| gene_expression | TEST | **marker** | 40 | 20 | 4/4 | 1.000 ± 0.000 |") != std::string::npos);
    CHECK(md.find("| majority | 1–0 of 1 | 4–0–0 | 0.1250 | 1–0 of 1 |") != std::string::npos);
    CHECK(md.find("| gene_expression | TEST | majority | 4 | +0.500 | [0.500, 0.500] | 4–0–0 | 0.1250 |") != std::string::npos);
    CHECK(md.find("### Across seeds") != std::string::npos);
    CHECK(eval::detail::pvalue(1e-6) == "<0.0001");
    CHECK(eval::detail::pvalue(0.03125) == "0.0312");
    CHECK(eval::detail::pvalue(std::nan("")) == "NA");
    CHECK(md.find("| gene_expression | TEST | **marker** | 1.000 ± 0.000 | 1.000 ± 0.000 | 1.000 ± 0.000 |") != std::string::npos);
    CHECK(md.find("- plot 'mean per-fold AP per task and method' not drawn: drawing is off in this test") != std::string::npos);
    CHECK(md.find("- random-weights control and reconstruction quality: not computed") != std::string::npos);
    CHECK(md.find("## Correlation with an external score\n\nNot computed: give --score") != std::string::npos);
    CHECK_FALSE(fs::exists(in.out / "reconstruction.tsv"));

    // Without held-out chromosomes: the held-out table says why it is missing; one seed, no seeds.tsv.
    in.data.heldout_chroms.clear();
    in.data.heldout = on_chromosomes(in.data.store_signal, in.data.heldout_chroms);
    in.options.seeds = 1;
    in.out = tmp / "out-no-heldout";
    method_list two;
    two.push_back(std::make_unique<marker_method>());
    two.push_back(std::make_unique<majority_method>());
    const evaluation_result plain = run_evaluation(in, two, no_plotter("off"));
    CHECK(static_cast<const marker_method&>(*two[0]).mean_ == Approx((expected + in.data.signal.regions[3].rows.col(0).cast<double>().sum()) / 16000.0));
    REQUIRE(plain.downstream.size() == 2);
    CHECK(plain.downstream[0].heldout_folds == 0);
    CHECK(std::isnan(plain.downstream[0].heldout_pooled_ap));
    const std::string md2 = slurp(in.out / "report.md");
    CHECK(md2.find("### On chromosomes the model never saw\n\nNot computed: no held-out chromosomes") != std::string::npos);
    CHECK(md2.find("- **marker**: track 0, centred; fitted on 4 regions (16000 positions): every region (no held-out chromosome).") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(in.out / "seeds.tsv"));
    in.options.seeds = 0;
    CHECK_THROWS_AS(run_evaluation(in, two, no_plotter("off")), input_error);
    in.options.seeds = 1;

    // No method: an error, not an empty report.
    CHECK_THROWS_AS(run_evaluation(in, method_list{}, no_plotter()), input_error);
}

TEST_CASE("score_task and summarize_tasks: the ablation's mAP from the evaluation's scores")
{
    task_score a, b, c;
    a.task = "gene_expression", a.pooled_ap = 0.6, a.mean_ap = 0.5, a.folds_scored = 2;
    b.task = "gene_expression", b.pooled_ap = 0.8, b.mean_ap = 0.7, b.folds_scored = 3;
    c.task = "domain_boundary", c.pooled_ap = std::nan(""), c.folds_scored = 0;
    const downstream_summary d = summarize_tasks({a, b, c}, {"gene_expression", "domain_boundary"});
    CHECK(d.pooled_ap.at("gene_expression") == Approx(0.7));
    CHECK(d.fold_ap.at("gene_expression") == Approx(0.6));
    CHECK(std::isnan(d.pooled_ap.at("domain_boundary")));
    CHECK(std::isnan(d.fold_ap.at("domain_boundary")));
    CHECK(d.map == Approx(0.7));  // over the tasks with a pooled AP
}
