// How sure a comparison of two representations is: the paired per-fold differences of their APs
// (both scored on the same folds with the same labels), a Student-t confidence interval of the
// mean difference, the exact two-sided sign test on the folds won and lost, and the mean ± standard
// error of per-fold values. Used by the evaluation report (eval/report.hpp); no XGBoost, no I/O.
//
// The folds of one task are not independent samples of anything in a strict sense (they share the
// classifier's training loci), so the interval and the p-value are descriptions of the spread over
// folds, not guarantees; the sign test assumes nothing about the size of the differences.
#pragma once

#include <epilstm/config.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace epilstm::eval {

namespace detail {
/// Continued fraction of the regularized incomplete beta function (modified Lentz).
inline double beta_continued_fraction(double a, double b, double x)
{
    constexpr double tiny = 1e-300, eps = 1e-15;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (std::abs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 10000; ++m) {
        const double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
        d = 1 + aa * d;
        if (std::abs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (std::abs(c) < tiny) c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
        d = 1 + aa * d;
        if (std::abs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (std::abs(c) < tiny) c = tiny;
        d = 1 / d;
        const double del = d * c;
        h *= del;
        if (std::abs(del - 1) < eps) break;
    }
    return h;
}
}  // namespace detail

/// The regularized incomplete beta function I_x(a, b), a, b > 0, x in [0, 1].
inline double incomplete_beta(double a, double b, double x)
{
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
                                  b * std::log1p(-x));
    if (x < (a + 1) / (a + b + 2)) return front * detail::beta_continued_fraction(a, b, x) / a;
    return 1 - front * detail::beta_continued_fraction(b, a, 1 - x) / b;
}

/// P(T <= t) for Student's t with `df` degrees of freedom.
inline double student_t_cdf(double t, double df)
{
    const double tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t));
    return t >= 0 ? 1 - tail : tail;
}

/// The p-quantile of Student's t with `df` > 0 degrees of freedom (bisection on the CDF).
inline double student_t_quantile(double p, double df)
{
    if (!(p > 0 && p < 1) || !(df > 0)) return std::numeric_limits<double>::quiet_NaN();
    if (p == 0.5) return 0;
    if (p < 0.5) return -student_t_quantile(1 - p, df);
    double lo = 0, hi = 1;
    while (student_t_cdf(hi, df) < p) hi *= 2;
    for (int it = 0; it < 200 && hi - lo > 1e-13 * hi; ++it) {
        const double mid = 0.5 * (lo + hi);
        (student_t_cdf(mid, df) < p ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
}

/// The exact two-sided sign test: P(a split at least as uneven as wins : losses) under p = 1/2,
/// ties left out. NaN when there are no untied pairs.
inline double sign_test_p(index_t wins, index_t losses)
{
    const index_t n = wins + losses;
    if (n <= 0) return std::numeric_limits<double>::quiet_NaN();
    const index_t k = std::min(wins, losses);
    // sum_{i <= k} C(n, i) / 2^n, in logs so that large n stays finite
    double tail = 0;
    for (index_t i = 0; i <= k; ++i)
        tail += std::exp(std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(i) + 1) -
                         std::lgamma(static_cast<double>(n - i) + 1) - static_cast<double>(n) * std::log(2.0));
    return std::min(1.0, 2 * tail);
}

/// Mean and standard error (sample sd / √n) of the non-NaN values; se is NaN below two values.
struct mean_se {
    double mean = std::numeric_limits<double>::quiet_NaN(), se = std::numeric_limits<double>::quiet_NaN(),
           sd = std::numeric_limits<double>::quiet_NaN();
    index_t n = 0;
};

inline mean_se mean_and_se(const std::vector<double>& v)
{
    mean_se r;
    double sum = 0;
    for (double x : v)
        if (!std::isnan(x)) sum += x, ++r.n;
    if (r.n == 0) return r;
    r.mean = sum / static_cast<double>(r.n);
    if (r.n < 2) return r;
    double ss = 0;
    for (double x : v)
        if (!std::isnan(x)) ss += (x - r.mean) * (x - r.mean);
    r.sd = std::sqrt(ss / static_cast<double>(r.n - 1));
    r.se = r.sd / std::sqrt(static_cast<double>(r.n));
    return r;
}

/// The paired comparison of per-fold values a[i] and b[i] (pairs with a NaN left out): the mean
/// difference a − b, its two-sided `level` t-interval, the folds won (a > b), lost and tied, and
/// the sign test's p.
struct paired_comparison {
    index_t n = 0, wins = 0, losses = 0, ties = 0;
    double mean_diff = std::numeric_limits<double>::quiet_NaN(), sd_diff = std::numeric_limits<double>::quiet_NaN();
    double ci_low = std::numeric_limits<double>::quiet_NaN(), ci_high = std::numeric_limits<double>::quiet_NaN();
    double level = 0.95;
    double sign_p = std::numeric_limits<double>::quiet_NaN();
};

inline paired_comparison compare_paired(const std::vector<double>& a, const std::vector<double>& b, double level = 0.95)
{
    paired_comparison r;
    r.level = level;
    std::vector<double> d;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
        if (std::isnan(a[i]) || std::isnan(b[i])) continue;
        d.push_back(a[i] - b[i]);
        if (a[i] > b[i])
            ++r.wins;
        else if (a[i] < b[i])
            ++r.losses;
        else
            ++r.ties;
    }
    r.n = static_cast<index_t>(d.size());
    const mean_se m = mean_and_se(d);
    r.mean_diff = m.mean;
    r.sd_diff = m.sd;
    if (r.n >= 2) {
        const double t = student_t_quantile(0.5 + level / 2, static_cast<double>(r.n - 1));
        r.ci_low = m.mean - t * m.se;
        r.ci_high = m.mean + t * m.se;
    }
    r.sign_p = sign_test_p(r.wins, r.losses);
    return r;
}

}  // namespace epilstm::eval
