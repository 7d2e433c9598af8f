// The one list of run-time variants: the four axes a model_config chooses at run time, each a
// plain type list of tags with a static `name`. Everything that enumerates variants derives from
// it: the allowed names (validate_config and its messages), the command line's help and the
// dispatchers (with_model_type in model/variants.hpp, the CUDA program's session factory).
// Adding a tag to an axis adds it everywhere.
//
// Eigen-free and nvcc-safe: model/model_config.hpp includes it, and the device code includes that.
#pragma once

#include <epilstm/detail/type_list.hpp>
#include <epilstm/model/wiring.hpp>
#include <epilstm/policy/activation.hpp>
#include <epilstm/policy/normalization.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace epilstm {

/// φ of the cell (model_config::activation).
using runtime_activations = detail::type_list<softsign, tanh_activation>;
/// Layer norm or none (model_config::normalization).
using runtime_normalizations = detail::type_list<layer_norm, no_norm>;
/// Decoder wiring (model_config::wiring); the first is the paper's.
using runtime_wirings = detail::type_list<paper_wiring, own_cell_wiring>;
/// Encoder direction (model_config::bidirectional).
using runtime_encoders = detail::type_list<unidirectional, bidirectional>;

/// Number of run-time variants: the product of the axes' sizes.
inline constexpr std::size_t runtime_variant_count =
    runtime_activations::size * runtime_normalizations::size * runtime_wirings::size * runtime_encoders::size;

/// Calls f(std::type_identity<A>{}, std::type_identity<N>{}, std::type_identity<W>{},
/// std::type_identity<E>{}) for every combination of the axes, the last axis varying fastest.
template <class F>
constexpr void for_each_runtime_variant(F&& f)
{
    detail::for_each_type(runtime_activations{}, [&](auto a) {
        detail::for_each_type(runtime_normalizations{}, [&](auto n) {
            detail::for_each_type(runtime_wirings{}, [&](auto w) {
                detail::for_each_type(runtime_encoders{}, [&](auto e) { f(a, n, w, e); });
            });
        });
    });
}

/// The `name`s of a list's tags, in order.
template <class... Ts>
constexpr std::array<std::string_view, sizeof...(Ts)> names_of(detail::type_list<Ts...>)
{
    return {std::string_view(Ts::name)...};
}

/// Allowed values of model_config::activation, ::normalization and ::wiring, and the encoder names.
inline constexpr auto activation_names = names_of(runtime_activations{});
inline constexpr auto normalization_names = names_of(runtime_normalizations{});
inline constexpr auto wiring_names = names_of(runtime_wirings{});
inline constexpr auto encoder_names = names_of(runtime_encoders{});

namespace detail {
template <std::size_t N>
bool is_one_of(std::string_view v, const std::array<std::string_view, N>& values)
{
    for (auto a : values)
        if (v == a) return true;
    return false;
}
/// "'a', 'b'" (for error messages).
template <std::size_t N>
std::string allowed_list(const std::array<std::string_view, N>& values)
{
    std::string s;
    for (std::size_t i = 0; i < N; ++i) s += (i ? ", '" : "'") + std::string(values[i]) + "'";
    return s;
}
}  // namespace detail

/// "a | b" (for command-line help).
template <std::size_t N>
std::string choices_help(const std::array<std::string_view, N>& values)
{
    std::string s;
    for (std::size_t i = 0; i < N; ++i) s += (i ? " | " : "") + std::string(values[i]);
    return s;
}

/// One line naming every axis and its values, e.g. "activation {softsign, tanh} × normalization
/// {layer_norm, none} × wiring {paper, own_cell} × encoder {unidirectional, bidirectional}: 16 variants".
inline std::string runtime_variants_help()
{
    auto axis = [](const char* what, const auto& names) {
        std::string s = std::string(what) + " {";
        for (std::size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + std::string(names[i]);
        return s + "}";
    };
    return axis("activation", activation_names) + " × " + axis("normalization", normalization_names) + " × " +
           axis("wiring", wiring_names) + " × " + axis("encoder", encoder_names) + ": " +
           std::to_string(runtime_variant_count) + " variants";
}

}  // namespace epilstm
