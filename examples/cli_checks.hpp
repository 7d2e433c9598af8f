// Range checks of command-line values with one short message, shared by `epilstm` and
// `epilstm-ablation`: `--batch 0` answers "epilstm: error: --batch must be a positive integer (got 0)"
// instead of CLI11's "Value 0 not in range 0.000000 to 1797693134862315708…".
//
//   c->add_option("--batch", o.batch, "...")->check(positive(o.batch));
//
// The check's kind (integer or number) comes from the variable's type. CLI11 runs validators on the
// text before converting it, so the text is parsed here: "1.5" for an integer option, "abc", "nan"
// and "inf" are refused with the same message. parse_error_message() turns the ValidationError
// CLI11 throws ("--batch: must be …") into the line the programs print.
#pragma once

#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <type_traits>

namespace epilstm::cli_checks {

namespace detail {

/// The text as a T, or nothing when it is not one in full (integers: decimal digits with an
/// optional '-'; numbers: what strtod reads, finite).
template <class T>
std::optional<T> parse(const std::string& s)
{
    if (s.empty()) return std::nullopt;
    if constexpr (std::is_integral_v<T>) {
        T v{};
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
        return v;
    } else {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
        return static_cast<T>(v);
    }
}

template <class T>
std::string text(T v)
{
    std::ostringstream o;
    o << v;
    return o.str();
}

/// A validator that accepts a T for which ok(value) holds, else says "must be <what> (got <text>)".
template <class T, class Ok>
CLI::Validator check(std::string what, Ok ok)
{
    return CLI::Validator(
        [what, ok](std::string& s) -> std::string {
            const auto v = parse<T>(s);
            if (v && ok(*v)) return {};
            return "must be " + what + " (got " + (s.empty() ? std::string("nothing") : s) + ")";
        },
        what);
}

template <class T>
const char* kind()
{
    return std::is_integral_v<T> ? "integer" : "number";
}

}  // namespace detail

/// > 0.
template <class T>
CLI::Validator positive(const T&)
{
    return detail::check<T>(std::string("a positive ") + detail::kind<T>(), [](T v) { return v > T(0); });
}

/// >= 0.
template <class T>
CLI::Validator non_negative(const T&)
{
    return detail::check<T>(std::string("a non-negative ") + detail::kind<T>(), [](T v) { return v >= T(0); });
}

/// lo <= value <= hi.
template <class T>
CLI::Validator in_range(const T&, std::type_identity_t<T> lo, std::type_identity_t<T> hi)
{
    return detail::check<T>(std::string(std::is_integral_v<T> ? "an integer" : "a number") + " from " +
                                detail::text(lo) + " to " + detail::text(hi),
                            [lo, hi](T v) { return v >= lo && v <= hi; });
}

/// The message of a command-line error without its prefix: a range check's "--batch must be a
/// positive integer (got 0)", anything else CLI11's own text and "(see --help)".
inline std::string parse_error_message(const CLI::ParseError& e)
{
    std::string m = e.what();
    const auto k = m.find(": must be ");
    if (dynamic_cast<const CLI::ValidationError*>(&e) && k != std::string::npos) return m.erase(k, 1);
    return m + " (see --help)";
}

}  // namespace epilstm::cli_checks
