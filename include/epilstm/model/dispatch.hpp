// The one place where a run-time model description becomes a type. The run-time variants are the
// product of the axes of the one list (model/variant_list.hpp), each built by runtime_model;
// with_model_type(cfg, f) calls f(std::type_identity<Model>{}) for the type that cfg names, so the
// rest of an application is written once as a generic lambda (`typename decltype(type)::type`).
// Free of Eigen: nvcc instantiates it for cuda_device (train/session.hpp).
#pragma once

#include <epilstm/backend/device.hpp>
#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/error.hpp>
#include <epilstm/model/autoencoder.hpp>
#include <epilstm/model/model_config.hpp>
#include <epilstm/model/variant_list.hpp>

#include <string>
#include <type_traits>

namespace epilstm {

/// The model type of one run-time combination (hidden size set at run time) on a device. The only
/// place the axes' tags become an epi_lstm type.
template <class Activation, class Normalization, class Wiring, class Encoder, class T = float,
          class Device = cpu_device>
using runtime_model = epi_lstm<cell_spec<Activation, Normalization>, Wiring, Encoder, T, Device>;

/// Calls f(std::type_identity<runtime_model<A, N, W, E, T, Device>>{}) for every run-time variant
/// (runtime_variant_count of them), in the order of for_each_runtime_variant.
template <class T = float, class Device = cpu_device, class F>
void for_each_runtime_model(F&& f)
{
    for_each_runtime_variant([&](auto a, auto n, auto w, auto e) {
        f(std::type_identity<runtime_model<typename decltype(a)::type, typename decltype(n)::type,
                                           typename decltype(w)::type, typename decltype(e)::type, T, Device>>{});
    });
}

/// Validates `cfg` (input_error "<source>: ..." when invalid) and calls f(std::type_identity<M>{})
/// for the run-time model type M on `Device` that it names.
template <class T = float, class Device = cpu_device, class F>
void with_model_type(const model_config& cfg, F&& f, const std::string& source = "model")
{
    validate_config(cfg, source);
    bool found = false;
    for_each_runtime_model<T, Device>([&](auto type) {
        using M = typename decltype(type)::type;
        if (!found && M::matches(cfg)) {
            found = true;
            f(type);
        }
    });
    if (!found) throw input_error(source + ": no epilstm model type matches this configuration");
}

}  // namespace epilstm
