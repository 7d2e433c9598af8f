// Decoder wiring and encoder direction of an Epi-LSTM variant: plain tag structs without Eigen, so
// the CPU model (model/epi_lstm.hpp) and the device model (backend/cuda/, compiled by nvcc) share
// one definition.
#pragma once

namespace epilstm {

/// The paper's decoder: its cell state at t is the encoder's c^e_t (§3.2.1).
struct paper_wiring {
    static constexpr const char* name = "paper";
    static constexpr bool decoder_takes_encoder_cell = true;
};
/// Ablation: the decoder carries its own cell (c^d_0 = 0), a plain sequence autoencoder.
struct own_cell_wiring {
    static constexpr const char* name = "own_cell";
    static constexpr bool decoder_takes_encoder_cell = false;
};

/// One forward encoder; the representation is H wide.
struct unidirectional {
    static constexpr const char* name = "unidirectional";
    static constexpr bool is_bidirectional = false;
};
/// A forward and a reverse encoder (paper §3.4's bidirectional variant); the representation is
/// [h_fwd; h_rev], 2H wide, and the decoder has 2H units. The reverse encoder starts every frame
/// from zero (a stream cannot carry state from positions it has not read yet).
struct bidirectional {
    static constexpr const char* name = "bidirectional";
    static constexpr bool is_bidirectional = true;
};

}  // namespace epilstm
