// Decoder wiring and encoder direction tags for device models, and the named variants.
//
// The device model reads only `decoder_takes_encoder_cell` and `is_bidirectional` from its tags,
// which are the CPU model's own (model/wiring.hpp, free of Eigen so .cu files may include it).
#pragma once

#include <epilstm/backend/cuda/epi_lstm.cuh>
#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/model/wiring.hpp>

namespace epilstm::cuda {

// The tags are shared with the CPU model (model/wiring.hpp has no Eigen).
using epilstm::bidirectional;
using epilstm::own_cell_wiring;
using epilstm::paper_wiring;
using epilstm::unidirectional;

/// The paper's model (softsign, layer norm, paper wiring, unidirectional) with a run-time H.
template <class Device, class T = float>
using softsign_layer_norm = epi_lstm<cell_spec<softsign, layer_norm>, paper_wiring, unidirectional, Device, T>;
template <class Device, class T = float>
using tanh_layer_norm = epi_lstm<cell_spec<tanh_activation, layer_norm>, paper_wiring, unidirectional, Device, T>;
template <class Device, class T = float>
using softsign_no_norm = epi_lstm<cell_spec<softsign, no_norm>, paper_wiring, unidirectional, Device, T>;
template <class Device, class T = float>
using tanh_no_norm = epi_lstm<cell_spec<tanh_activation, no_norm>, paper_wiring, unidirectional, Device, T>;

}  // namespace epilstm::cuda
