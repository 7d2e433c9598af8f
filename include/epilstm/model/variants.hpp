// Epi-LSTM variants as types, on the CPU. The run-time ones and with_model_type are in
// model/dispatch.hpp (the one list: model/variant_list.hpp). Named aliases follow for the paper's
// model and the ablations of its supplement; the defaults are the paper's model (§3.4): softsign,
// layer norm, H = 110, paper decoder wiring, unidirectional.
#pragma once

#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/model/dispatch.hpp>
#include <epilstm/model/epi_lstm.hpp>

namespace epilstm {

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
