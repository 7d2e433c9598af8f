// eval/metrics.hpp: hand-computed cases and scikit-learn's numbers for random scores with ties
// (tests/fixtures/eval/metrics_sklearn.tsv, written by make_metrics_fixture.py).
#include <epilstm/eval/metrics.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using epilstm::eval::auroc;
using epilstm::eval::average_precision;

TEST_CASE("average precision and AUROC of hand-computed cases")
{
    // Perfect ranking.
    CHECK(average_precision(std::vector<double>{0.9, 0.8, 0.1}, std::vector<int>{1, 1, 0}) == Approx(1.0));
    CHECK(auroc(std::vector<double>{0.9, 0.8, 0.1}, std::vector<int>{1, 1, 0}) == Approx(1.0));
    // Reversed ranking: AP = (1/2)·(1/2) + (1/2)·(2/3)... sorted: 0.9(0), 0.8(1), 0.1(1)
    // thresholds: R=0.5,P=1/2 ; R=1,P=2/3 → AP = 0.5·0.5 + 0.5·(2/3) = 7/12.
    CHECK(average_precision(std::vector<double>{0.9, 0.8, 0.1}, std::vector<int>{0, 1, 1}) == Approx(7.0 / 12));
    CHECK(auroc(std::vector<double>{0.9, 0.8, 0.1}, std::vector<int>{0, 1, 1}) == Approx(0.0));
    // sklearn's docstring example: y = [0, 0, 1, 1], s = [0.1, 0.4, 0.35, 0.8] → AP 0.8333…, AUC 0.75.
    const std::vector<double> s{0.1, 0.4, 0.35, 0.8};
    const std::vector<int> y{0, 0, 1, 1};
    CHECK(average_precision(s, y) == Approx(0.8333333333333333));
    CHECK(auroc(s, y) == Approx(0.75));
    // All scores tied: one threshold, AP = positive rate, AUROC = 1/2.
    const std::vector<float> tied(5, 0.3f);
    const std::vector<int> y2{1, 0, 0, 1, 0};
    CHECK(average_precision(tied, y2) == Approx(0.4));
    CHECK(auroc(tied, y2) == Approx(0.5));
    // A tie across classes at the top: {0.9: +, 0.9: −, 0.2: +} → thresholds R=.5,P=.5 ; R=1,P=2/3.
    CHECK(average_precision(std::vector<double>{0.9, 0.9, 0.2}, std::vector<int>{1, 0, 1}) ==
          Approx(0.5 * 0.5 + 0.5 * 2.0 / 3));
    CHECK(auroc(std::vector<double>{0.9, 0.9, 0.2}, std::vector<int>{1, 0, 1}) == Approx(0.25));  // (½ + 0) / 2
}

TEST_CASE("metrics of a single class are NaN, mismatched sizes throw")
{
    CHECK(std::isnan(average_precision(std::vector<double>{0.1, 0.2}, std::vector<int>{0, 0})));
    CHECK(std::isnan(auroc(std::vector<double>{0.1, 0.2}, std::vector<int>{1, 1})));
    CHECK(std::isnan(auroc(std::vector<double>{}, std::vector<int>{})));
    CHECK_THROWS_AS(auroc(std::vector<double>{0.1}, std::vector<int>{1, 0}), epilstm::shape_error);
}

namespace {
std::vector<double> split_doubles(const std::string& s)
{
    std::vector<double> v;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) v.push_back(std::stod(item));
    return v;
}
}  // namespace

TEST_CASE("metrics agree with scikit-learn on random scores with ties")
{
    const auto path = std::filesystem::path(EPILSTM_SOURCE_DIR) / "tests" / "fixtures" / "eval" / "metrics_sklearn.tsv";
    std::ifstream in(path);
    REQUIRE(in);
    std::string line;
    int cases = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::stringstream ss(line);
        std::string id, n, ap, auc, labels, scores;
        std::getline(ss, id, '\t');
        std::getline(ss, n, '\t');
        std::getline(ss, ap, '\t');
        std::getline(ss, auc, '\t');
        std::getline(ss, labels, '\t');
        std::getline(ss, scores, '\t');
        const auto yd = split_doubles(labels);
        const std::vector<int> y(yd.begin(), yd.end());
        const auto s = split_doubles(scores);
        REQUIRE(y.size() == std::stoul(n));
        REQUIRE(s.size() == y.size());
        INFO("case " << id);
        CHECK(average_precision(s, y) == Approx(std::stod(ap)).epsilon(1e-12));
        CHECK(auroc(s, y) == Approx(std::stod(auc)).epsilon(1e-12));
        ++cases;
    }
    CHECK(cases == 40);
}
