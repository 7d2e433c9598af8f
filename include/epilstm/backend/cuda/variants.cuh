// Decoder wiring and encoder direction tags for device models, and the named variants.
//
// The device model reads only `decoder_takes_encoder_cell` and `is_bidirectional` from its tags,
// so the CPU model's tags (model/epi_lstm.hpp) work as well where that header may be included (g++
// code); these copies exist because .cu files must not include Eigen.
#pragma once

#include <epilstm/backend/cuda/epi_lstm.cuh>
#include <epilstm/cell/cell_spec.hpp>

namespace epilstm::cuda {

struct paper_wiring {
    static constexpr const char* name = "paper";
    static constexpr bool decoder_takes_encoder_cell = true;
};
struct own_cell_wiring {
    static constexpr const char* name = "own_cell";
    static constexpr bool decoder_takes_encoder_cell = false;
};
struct unidirectional {
    static constexpr const char* name = "unidirectional";
    static constexpr bool is_bidirectional = false;
};
struct bidirectional {
    static constexpr const char* name = "bidirectional";
    static constexpr bool is_bidirectional = true;
};

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
