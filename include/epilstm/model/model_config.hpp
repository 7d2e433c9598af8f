// Run-time description of an Epi-LSTM model: what a checkpoint's root attributes hold
// (docs/MODEL-SPEC.md, "Parameter layout"). The allowed names come from the one list of run-time
// variants (model/variant_list.hpp).
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/model/variant_list.hpp>

#include <string>

namespace epilstm {

struct model_config {
    index_t input_size = 0;     ///< D, number of tracks
    index_t hidden_size = 0;    ///< H, size of the representation
    index_t frame_length = 100; ///< F, positions per frame
    std::string activation = softsign::name;      ///< "softsign" | "tanh"
    std::string normalization = layer_norm::name; ///< "layer_norm" | "none"
    bool bidirectional = false;                   ///< encoder variant; the representation is then 2H wide
    std::string wiring = paper_wiring::name;      ///< decoder wiring: "paper" | "own_cell"

    /// Width of the representation (embedding) of one position.
    index_t embedding_size() const { return bidirectional ? 2 * hidden_size : hidden_size; }

    bool operator==(const model_config&) const = default;
};

/// Throws input_error "<where>: <problem>" for a configuration no model type can take.
/// The largest sizes validate_config accepts.
inline constexpr index_t max_input_size = index_t(1) << 24;    ///< tracks D (16.8 million)
inline constexpr index_t max_hidden_size = index_t(1) << 16;   ///< H (65 536)
inline constexpr index_t max_frame_length = index_t(1) << 24;  ///< F positions per frame

inline void validate_config(const model_config& cfg, const std::string& where)
{
    // Upper bounds far above any real model, so that sizes computed from them (4H(D + H) weights,
    // F·streams frames) cannot overflow: a larger value comes from a damaged or foreign file.
    auto in_range = [&](index_t v, index_t max, const char* what) {
        if (v <= 0 || v > max)
            throw input_error(where + ": " + what + " is " + std::to_string(v) + ", expected 1.." + std::to_string(max));
    };
    in_range(cfg.input_size, max_input_size, "input_size");
    in_range(cfg.hidden_size, max_hidden_size, "hidden_size");
    in_range(cfg.frame_length, max_frame_length, "frame_length");
    if (!detail::is_one_of(cfg.activation, activation_names))
        throw input_error(where + ": unknown activation '" + cfg.activation +
                          "' (allowed: " + detail::allowed_list(activation_names) + ")");
    if (!detail::is_one_of(cfg.normalization, normalization_names))
        throw input_error(where + ": unknown normalization '" + cfg.normalization +
                          "' (allowed: " + detail::allowed_list(normalization_names) + ")");
    if (!detail::is_one_of(cfg.wiring, wiring_names))
        throw input_error(where + ": unknown wiring '" + cfg.wiring + "' (allowed: " + detail::allowed_list(wiring_names) +
                          ")");
}

}  // namespace epilstm
