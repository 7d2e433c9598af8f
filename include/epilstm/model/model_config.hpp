// Run-time description of an Epi-LSTM model: what a checkpoint's root attributes hold
// (docs/MODEL-SPEC.md, "Parameter layout").
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <string>

namespace epilstm {

struct model_config {
    index_t input_size = 0;     ///< D, number of tracks
    index_t hidden_size = 0;    ///< H, size of the representation
    index_t frame_length = 100; ///< F, positions per frame
    std::string activation = "softsign";        ///< "softsign" | "tanh"
    std::string normalization = "layer_norm";  ///< "layer_norm" | "none"
    bool bidirectional = false;                 ///< encoder variant; the representation is then 2H wide

    /// Width of the representation (embedding) of one position.
    index_t embedding_size() const { return bidirectional ? 2 * hidden_size : hidden_size; }

    bool operator==(const model_config&) const = default;
};

}  // namespace epilstm
