// Run-time description of an Epi-LSTM model: what a checkpoint's root attributes hold
// (docs/MODEL-SPEC.md, "Parameter layout").
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <string>
#include <string_view>

namespace epilstm {

struct model_config {
    index_t input_size = 0;     ///< D, number of tracks
    index_t hidden_size = 0;    ///< H, size of the representation
    index_t frame_length = 100; ///< F, positions per frame
    std::string activation = "softsign";        ///< "softsign" | "tanh"
    std::string normalization = "layer_norm";  ///< "layer_norm" | "none"
    bool bidirectional = false;                 ///< encoder variant; the representation is then 2H wide

    /// Width of the representation (embedding) of one position.
    index_t embedding_size() const { return bidirectional ? 2 * hidden_size : hidden_size; }

    bool operator==(const model_config&) const = default;
};

/// Allowed values of model_config::activation and ::normalization.
inline constexpr std::string_view activation_names[] = {"softsign", "tanh"};
inline constexpr std::string_view normalization_names[] = {"layer_norm", "none"};

namespace detail {
template <std::size_t N>
bool is_one_of(const std::string& v, const std::string_view (&values)[N])
{
    for (auto a : values)
        if (v == a) return true;
    return false;
}
template <std::size_t N>
std::string allowed_list(const std::string_view (&values)[N])
{
    std::string s;
    for (std::size_t i = 0; i < N; ++i) s += (i ? ", '" : "'") + std::string(values[i]) + "'";
    return s;
}
}  // namespace detail

/// Throws input_error "<where>: <problem>" for a configuration no model type can take.
inline void validate_config(const model_config& cfg, const std::string& where)
{
    if (cfg.input_size <= 0)
        throw input_error(where + ": input_size is " + std::to_string(cfg.input_size) + ", expected > 0");
    if (cfg.hidden_size <= 0)
        throw input_error(where + ": hidden_size is " + std::to_string(cfg.hidden_size) + ", expected > 0");
    if (cfg.frame_length <= 0)
        throw input_error(where + ": frame_length is " + std::to_string(cfg.frame_length) + ", expected > 0");
    if (!detail::is_one_of(cfg.activation, activation_names))
        throw input_error(where + ": unknown activation '" + cfg.activation +
                          "' (allowed: " + detail::allowed_list(activation_names) + ")");
    if (!detail::is_one_of(cfg.normalization, normalization_names))
        throw input_error(where + ": unknown normalization '" + cfg.normalization +
                          "' (allowed: " + detail::allowed_list(normalization_names) + ")");
}

}  // namespace epilstm
