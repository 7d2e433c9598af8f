// Input transforms (MODEL-SPEC "Input transform"): a stateless policy applied to each raw track
// value before it is stored. `asinh_transform` is the paper's eq. (1) and the default;
// `identity_transform` keeps the raw values (for data that is already transformed).
//
// A transform is a struct with a `name` (written to the signal store's `transform` attribute) and
// a static `apply`. Values are transformed in double and rounded to float once, when stored.
#pragma once

#include <epilstm/config.hpp>

#include <cmath>
#include <string_view>

namespace epilstm::data {

/// x = asinh(v): compresses the heavy right tail of -log10 p signal, linear near 0 (asinh(0) = 0,
/// so a position with no data stays 0).
struct asinh_transform {
    static constexpr const char* name = "asinh";
    template <class T>
    EPILSTM_HD static T apply(T v)
    {
        using std::asinh;
        return asinh(v);
    }
};

/// x = v.
struct identity_transform {
    static constexpr const char* name = "none";
    template <class T>
    EPILSTM_HD static T apply(T v)
    {
        return v;
    }
};

/// Calls f(transform{}) with the transform called `name` ("asinh" or "none"); returns false when
/// there is no such transform (f is then not called).
template <class F>
bool with_transform(std::string_view name, F&& f)
{
    if (name == asinh_transform::name) {
        f(asinh_transform{});
        return true;
    }
    if (name == identity_transform::name) {
        f(identity_transform{});
        return true;
    }
    return false;
}

}  // namespace epilstm::data
