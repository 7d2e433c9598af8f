// The one place where a run-time model description becomes a type: with_model_type(cfg, f) calls
// f(boost::hana::type_c<Model>) for the epi_lstm type that cfg names, so the rest of an application
// is written once as a generic lambda.
#pragma once

#include <epilstm/ablation/grid.hpp>
#include <epilstm/error.hpp>
#include <epilstm/model/model_config.hpp>

#include <string>

namespace epilstm {

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
