// The interface between the parity driver (test_parity.cpp: g++, the CPU model, Catch2) and the
// shared device body (device_body.inl), which is compiled once as .cpp against host_emulation and
// once as .cu against cuda_device. Plain std::vector only: no Eigen crosses into device code.
#pragma once

#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/config.hpp>

#include <type_traits>

#include <string>
#include <vector>

namespace epilstm::parity {

/// Variant id = 3·cell + shape, with cell 0 softsign + layer_norm, 1 softsign + none, 2 tanh +
/// layer_norm, 3 tanh + none, 4 softsign + rms_norm (a compile-time normalization, not a CLI
/// variant), and shape 0 paper wiring / 1 own-cell wiring / 2 bidirectional.
inline constexpr int variant_count = 15;

/// Calls fn(std::type_identity<cell_spec<…>>{}) with the cell of variant v.
template <class Fn> decltype(auto) with_cell(int v, Fn&& fn)
{
    switch (v / 3) {
    case 0: return fn(std::type_identity<cell_spec<softsign, layer_norm>>{});
    case 1: return fn(std::type_identity<cell_spec<softsign, no_norm>>{});
    case 2: return fn(std::type_identity<cell_spec<tanh_activation, layer_norm>>{});
    case 3: return fn(std::type_identity<cell_spec<tanh_activation, no_norm>>{});
    default: return fn(std::type_identity<cell_spec<softsign, rms_norm>>{});
    }
}

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
