// The interface between the parity driver (test_parity.cpp: g++, the CPU model, Catch2) and the
// shared device body (device_body.inl), which is compiled once as .cpp against host_emulation and
// once as .cu against cuda_device. Plain std::vector only: no Eigen crosses into device code.
#pragma once

#include <epilstm/config.hpp>

#include <string>
#include <vector>

namespace epilstm::parity {

/// Variant id = 6·activation + 3·normalization + shape, with activation 0 softsign / 1 tanh,
/// normalization 0 layer_norm / 1 none, shape 0 paper wiring / 1 own-cell wiring / 2 bidirectional.
inline constexpr int variant_count = 12;

struct frame_input {
    index_t positions = 0, batch = 0;
    std::vector<float> x;             ///< [D, F·B]
    std::vector<float> weight;        ///< [F·B] or empty (no weights)
    std::vector<index_t> lengths;     ///< [B]
};

struct parity_input {
    int variant = 0;
    index_t D = 0, H = 0, F = 0;      ///< tracks, hidden size, frame length
    std::vector<float> params;        ///< the CPU model's flat parameters
    std::vector<frame_input> frames;  ///< consecutive frames of the same B streams (carry between)
    float clip_norm = 1.0f;           ///< per frame: clip, then one Adam step (lr below)
    double learning_rate = 1e-2;
};

struct frame_output {
    float loss = 0;
    std::vector<float> embedding, encoded, reconstruction, carry, grad, grad_norm, params;
};

struct parity_output {
    std::vector<index_t> offsets;     ///< every tensor offset of the device layout, in layout order
    std::vector<frame_output> frames;
    std::vector<float> adam_m, adam_v; ///< moments after the last step
};

/// Runs the input on the device backend of this executable (defined by device_body.inl).
parity_output run_device(const parity_input& in);
/// False when the backend cannot run here (no GPU); the test then exits with the skip code.
bool device_available();
std::string device_name();
/// The largest relative error the driver saw (test_parity.cpp).
double largest_relative_error();

}  // namespace epilstm::parity
