// Epi-LSTM variants as types. The run-time ones are the product of the axes of the one list
// (model/variant_list.hpp), each built by runtime_model; with_model_type(cfg, f) is the one place a
// model_config becomes such a type. Named aliases follow for the paper's model and the ablations
// of its supplement; the defaults are the paper's model (§3.4): softsign, layer norm, H = 110,
// paper decoder wiring, unidirectional.
#pragma once

#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/error.hpp>
#include <epilstm/model/epi_lstm.hpp>
#include <epilstm/model/model_config.hpp>
#include <epilstm/model/variant_list.hpp>

#include <string>
#include <type_traits>

namespace epilstm {

/// The model type of one run-time combination (hidden size set at run time). The only place the
/// axes' tags become an epi_lstm type.
template <class Activation, class Normalization, class Wiring, class Encoder, class T = float>
using runtime_model = epi_lstm<cell_spec<Activation, Normalization>, Wiring, Encoder, T>;

/// Calls f(std::type_identity<runtime_model<A, N, W, E, T>>{}) for every run-time variant
/// (runtime_variant_count of them), in the order of for_each_runtime_variant.
template <class T = float, class F>
void for_each_runtime_model(F&& f)
{
    for_each_runtime_variant([&](auto a, auto n, auto w, auto e) {
        f(std::type_identity<runtime_model<typename decltype(a)::type, typename decltype(n)::type,
                                           typename decltype(w)::type, typename decltype(e)::type, T>>{});
    });
}

/// Validates `cfg` (input_error "<source>: ..." when invalid) and calls f(std::type_identity<M>{})
/// for the run-time model type M that it names, so the rest of an application is written once as a
/// generic lambda: `using M = typename decltype(type)::type;`.
template <class T = float, class F>
void with_model_type(const model_config& cfg, F&& f, const std::string& source = "model")
{
    validate_config(cfg, source);
    bool found = false;
    for_each_runtime_model<T>([&](auto type) {
        using M = typename decltype(type)::type;
        if (!found && M::matches(cfg)) {
            found = true;
            f(type);
        }
    });
    if (!found) throw input_error(source + ": no epilstm model type matches this configuration");
}

/// The paper's cell: softsign, layer norm, H = 110.
using epi_lstm_cell = cell_spec<softsign, layer_norm, 110>;

/// The paper's model, H = 110.
template <class T = float> using epi_lstm_default = epi_lstm<epi_lstm_cell, paper_wiring, unidirectional, T>;

/// The four cell ablations with a run-time hidden size (what the command-line program uses).
template <class T = float>
using softsign_layer_norm = epi_lstm<cell_spec<softsign, layer_norm>, paper_wiring, unidirectional, T>;
template <class T = float>
using tanh_layer_norm = epi_lstm<cell_spec<tanh_activation, layer_norm>, paper_wiring, unidirectional, T>;
template <class T = float>
using softsign_no_norm = epi_lstm<cell_spec<softsign, no_norm>, paper_wiring, unidirectional, T>;
template <class T = float>
using tanh_no_norm = epi_lstm<cell_spec<tanh_activation, no_norm>, paper_wiring, unidirectional, T>;

/// Bidirectional encoder (representation 2H wide).
template <class Spec = cell_spec<softsign, layer_norm>, class T = float>
using bidirectional_epi_lstm = epi_lstm<Spec, paper_wiring, bidirectional, T>;

/// Decoder with its own cell instead of the encoder's (wiring ablation).
template <class Spec = cell_spec<softsign, layer_norm>, class T = float>
using own_cell_epi_lstm = epi_lstm<Spec, own_cell_wiring, unidirectional, T>;

}  // namespace epilstm
