// eval/statistics.hpp: Student-t quantiles against the standard table (scipy.stats.t.ppf values),
// the t CDF against a numerical integration of the density, the exact sign test against binomial
// sums done by hand, and a paired comparison worked out independently (Python, statistics.stdev).
#include <epilstm/eval/statistics.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace epilstm::eval;

TEST_CASE("Student-t quantiles and CDF")
{
    // t_{0.975}(df) from the standard table
    CHECK(student_t_quantile(0.975, 1) == Approx(12.706204736174698).epsilon(1e-9));
    CHECK(student_t_quantile(0.975, 2) == Approx(4.302652729749464).epsilon(1e-9));
    CHECK(student_t_quantile(0.975, 3) == Approx(3.182446305284263).epsilon(1e-9));
    CHECK(student_t_quantile(0.975, 4) == Approx(2.7764451051977987).epsilon(1e-9));
    CHECK(student_t_quantile(0.975, 5) == Approx(2.570581835636314).epsilon(1e-9));
    CHECK(student_t_quantile(0.975, 9) == Approx(2.2621571628540993).epsilon(1e-9));
    CHECK(student_t_quantile(0.975, 19) == Approx(2.093024054408263).epsilon(1e-9));
    CHECK(student_t_quantile(0.975, 100) == Approx(1.9839715184496334).epsilon(1e-9));
    CHECK(student_t_quantile(0.025, 4) == Approx(-2.7764451051977987).epsilon(1e-9));
    CHECK(student_t_quantile(0.5, 3) == 0);
    CHECK(std::isnan(student_t_quantile(1.0, 3)));
    CHECK(std::isnan(student_t_quantile(0.9, 0)));
    // Simpson integration of the density (Python, 200,000 intervals)
    CHECK(student_t_cdf(2.5, 7) == Approx(0.9795038907071321).epsilon(1e-10));
    CHECK(student_t_cdf(-1.3, 4) == Approx(0.1317257982356148).epsilon(1e-10));
    CHECK(incomplete_beta(2, 3, 0) == 0);
    CHECK(incomplete_beta(2, 3, 1) == 1);
    CHECK(incomplete_beta(1, 1, 0.3) == Approx(0.3));  // the uniform distribution
}

TEST_CASE("the exact two-sided sign test")
{
    CHECK(sign_test_p(8, 2) == Approx(2.0 * (1 + 10 + 45) / 1024));  // 0.109375
    CHECK(sign_test_p(2, 8) == sign_test_p(8, 2));
    CHECK(sign_test_p(5, 0) == Approx(2.0 / 32));
    CHECK(sign_test_p(17, 3) == Approx(2.0 * (1 + 20 + 190 + 1140) / 1048576.0));
    CHECK(sign_test_p(9, 9) == 1.0);  // capped at 1
    CHECK(sign_test_p(1, 0) == 1.0);
    CHECK(std::isnan(sign_test_p(0, 0)));
    // Large n stays finite: 600 of 1000.
    const double p = sign_test_p(600, 400);
    CHECK(p > 0);
    CHECK(p < 1e-9);
}

TEST_CASE("paired comparison of per-fold values")
{
    const std::vector<double> a{0.61, 0.70, 0.55, 0.80, 0.66, std::nan(""), 0.5};
    const std::vector<double> b{0.60, 0.64, 0.58, 0.71, 0.60, 0.9, std::nan("")};
    const paired_comparison c = compare_paired(a, b);
    CHECK(c.n == 5);  // the pairs with a NaN are left out
    CHECK(c.wins == 4);
    CHECK(c.losses == 1);
    CHECK(c.ties == 0);
    CHECK(c.mean_diff == Approx(0.038));
    CHECK(c.sd_diff == Approx(0.047644516998286375));
    CHECK(c.ci_low == Approx(-0.021158481468579543));
    CHECK(c.ci_high == Approx(0.09715848146857961));
    CHECK(c.sign_p == Approx(2.0 * 6 / 32));  // 4 : 1

    const paired_comparison t = compare_paired({0.5, 0.6}, {0.5, 0.4});
    CHECK(t.ties == 1);
    CHECK(t.wins == 1);
    CHECK(t.sign_p == 1.0);
    const paired_comparison one = compare_paired({0.7}, {0.6});
    CHECK(one.n == 1);
    CHECK(one.mean_diff == Approx(0.1));
    CHECK(std::isnan(one.ci_low));  // no interval from a single fold

    const mean_se m = mean_and_se({0.2, 0.4, std::nan(""), 0.9});
    CHECK(m.n == 3);
    CHECK(m.mean == Approx(0.5));
    CHECK(m.sd == Approx(std::sqrt(((0.09 + 0.01 + 0.16) / 2))));
    CHECK(m.se == Approx(m.sd / std::sqrt(3.0)));
    CHECK(std::isnan(mean_and_se({0.3}).se));
}
