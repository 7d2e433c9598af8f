// The one place where a run-time model description becomes a type: with_model_type(cfg, f) calls
// f(boost::hana::type_c<Model>) for the epi_lstm type that cfg names, so the rest of an application
// is written once as a generic lambda.
#pragma once

#include <epilstm/ablation/grid.hpp>
#include <epilstm/error.hpp>
#include <epilstm/model/model_config.hpp>

#include <string>

namespace epilstm {

/// Allowed values of model_config::activation and ::normalization, for error messages and --help.
inline constexpr const char* activation_names = "softsign, tanh";
inline constexpr const char* normalization_names = "layer_norm, none";

/// Throws input_error naming `source` (a file or an option) when cfg names no known variant.
inline void validate_config(const model_config& cfg, const std::string& source)
{
    if (cfg.activation != softsign::name && cfg.activation != tanh_activation::name)
        throw input_error(source + ": unknown activation '" + cfg.activation + "' (expected one of: " +
                          activation_names + ")");
    if (cfg.normalization != layer_norm::name && cfg.normalization != no_norm::name)
        throw input_error(source + ": unknown normalization '" + cfg.normalization + "' (expected one of: " +
                          normalization_names + ")");
    if (cfg.input_size <= 0 || cfg.hidden_size <= 0 || cfg.frame_length <= 0)
        throw input_error(source + ": input_size, hidden_size and frame_length must be positive (got " +
                          std::to_string(cfg.input_size) + ", " + std::to_string(cfg.hidden_size) + ", " +
                          std::to_string(cfg.frame_length) + ")");
}

template <class T = float, class F>
void with_model_type(const model_config& cfg, F&& f, const std::string& source = "model")
{
    validate_config(cfg, source);
    bool found = false;
    ablation::for_each_variant(ablation::runtime_variants<T>(), [&](auto type) {
        using M = typename decltype(type)::type;
        if (!found && M::matches(cfg)) {
            found = true;
            f(type);
        }
    });
    if (!found) throw input_error(source + ": no epilstm model type matches this configuration");
}

}  // namespace epilstm
