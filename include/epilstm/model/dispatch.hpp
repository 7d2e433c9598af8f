// The one place where a run-time model description becomes a type: with_model_type(cfg, f) calls
// f(std::type_identity<Model>{}) for the epi_lstm type that cfg names, so the rest of an
// application is written once as a generic lambda.
#pragma once

#include <epilstm/backend/device.hpp>
#include <epilstm/error.hpp>
#include <epilstm/model/autoencoder.hpp>
#include <epilstm/model/model_config.hpp>

#include <string>
#include <type_traits>

namespace epilstm {

namespace detail {
template <class T, class Device, class... Models> struct model_list {
    template <class F> static bool call(const model_config& cfg, F& f)
    {
        bool found = false;
        ((!found && Models::matches(cfg) ? (found = true, f(std::type_identity<Models>{}), 0) : 0), ...);
        return found;
    }
};
template <class T, class Device, class A, class N>
using by_encoder = model_list<T, Device, epi_lstm<cell_spec<A, N>, paper_wiring, unidirectional, T, Device>,
                              epi_lstm<cell_spec<A, N>, paper_wiring, bidirectional, T, Device>>;
}  // namespace detail

template <class T = float, class Device = cpu_device, class F>
void with_model_type(const model_config& cfg, F&& f, const std::string& source = "model")
{
    validate_config(cfg, source);
    const bool found = detail::by_encoder<T, Device, softsign, layer_norm>::call(cfg, f) ||
                       detail::by_encoder<T, Device, softsign, no_norm>::call(cfg, f) ||
                       detail::by_encoder<T, Device, tanh_activation, layer_norm>::call(cfg, f) ||
                       detail::by_encoder<T, Device, tanh_activation, no_norm>::call(cfg, f);
    if (!found) throw input_error(source + ": no epilstm model type matches this configuration");
}

}  // namespace epilstm
