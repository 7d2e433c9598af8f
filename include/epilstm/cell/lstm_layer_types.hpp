// What every LSTM layer implementation shares, whatever device runs it: where its tensors sit in
// the model's flat parameter buffer (one layout rule, MODEL-SPEC "Parameter layout"), how it gets
// c_prev, the order it walks a frame, and the pointers it reads and writes. Free of Eigen and of
// any device, so the CPU layer (backend/cpu/lstm_layer.hpp) and the device-generic layer
// (sequence/lstm_layer.hpp, compiled by nvcc too) use the same definitions.
#pragma once

#include <epilstm/cell/parameter_layout.hpp>
#include <epilstm/config.hpp>

#include <string>

namespace epilstm {

/// How a layer obtains c_prev at each position.
enum class cell_source {
    carried,   ///< its own c from the previous position (c_0 = 0)
    external,  ///< a given [H, F·B] matrix: the paper's decoder takes the encoder's c_t
};

/// Order in which positions are processed.
enum class direction { forward, reverse };

/// Offsets of one LSTM layer's tensors inside a model's flat parameter buffer; −1 for absent
/// layer-norm tensors.
struct lstm_offsets {
    index_t input_size = 0, hidden_size = 0;
    index_t W_x = 0, b_x = 0, W_h = 0, b_h = 0;
    index_t ln_x_gamma = -1, ln_x_beta = -1, ln_h_gamma = -1, ln_h_beta = -1, ln_c_gamma = -1, ln_c_beta = -1;
};

/// Adds the tensors of one layer under `prefix` (e.g. "encoder"), in MODEL-SPEC order:
/// W_x [4H, I], b_x [4H], W_h [4H, H], b_h [4H], then (layer norm) γ, β of LN_x, LN_h [4H] and LN_c [H].
inline lstm_offsets add_lstm_tensors(parameter_layout& layout, const std::string& prefix, index_t input,
                                     index_t hidden, bool norm)
{
    lstm_offsets o;
    o.input_size = input;
    o.hidden_size = hidden;
    o.W_x = layout.add_matrix(prefix + "/W_x", 4 * hidden, input);
    o.b_x = layout.add_vector(prefix + "/b_x", 4 * hidden);
    o.W_h = layout.add_matrix(prefix + "/W_h", 4 * hidden, hidden);
    o.b_h = layout.add_vector(prefix + "/b_h", 4 * hidden);
    if (norm) {
        o.ln_x_gamma = layout.add_vector(prefix + "/ln_x/gamma", 4 * hidden);
        o.ln_x_beta = layout.add_vector(prefix + "/ln_x/beta", 4 * hidden);
        o.ln_h_gamma = layout.add_vector(prefix + "/ln_h/gamma", 4 * hidden);
        o.ln_h_beta = layout.add_vector(prefix + "/ln_h/beta", 4 * hidden);
        o.ln_c_gamma = layout.add_vector(prefix + "/ln_c/gamma", hidden);
        o.ln_c_beta = layout.add_vector(prefix + "/ln_c/beta", hidden);
    }
    return o;
}

/// Inputs of a layer's forward pass over one frame (pointers in the device's memory).
template <class T>
struct layer_inputs {
    const T* x = nullptr;              ///< [I, F·B] column-major, position t of stream b in column t·B + b
    const T* h0 = nullptr;             ///< [H, B] initial hidden (null: zeros)
    const T* c_external = nullptr;     ///< [H, F·B] for cell_source::external
    const index_t* lengths = nullptr;  ///< [B] valid positions of each stream (≤ F)
};

/// Gradients flowing into a layer's outputs, and where the gradients of its inputs go.
template <class T>
struct layer_grads {
    const T* dh = nullptr;     ///< [H, F·B] dL/dh_t from outside the recurrence (null: zero)
    const T* dc = nullptr;     ///< [H, F·B] dL/dc_t from outside (paper decoder → encoder; null: zero)
    T* dx = nullptr;           ///< [I, F·B] out, overwritten: dL/dx (null: not computed)
    T* dh0 = nullptr;          ///< [H, B] out: dL/dh_0 (null: not computed)
    T* dc_external = nullptr;  ///< [H, F·B] out, overwritten: dL/dc_external (cell_source::external)
};

}  // namespace epilstm
