// Compile-time description of a recurrent cell: φ, normalization and hidden size.
// An ablation is a new spec type (`rebind_activation`, ...), never a run-time flag.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/policy/activation.hpp>
#include <epilstm/policy/normalization.hpp>

namespace epilstm {

/// Marks a size fixed only at run time (like Eigen::Dynamic).
inline constexpr index_t dynamic_size = -1;

/// @tparam Activation    φ, applied to the candidate g and to the cell before the output gate
/// @tparam Normalization layer_norm or no_norm
/// @tparam HiddenSize    H, or dynamic_size to take it from the model_config at run time
/// @tparam Gate          gate nonlinearity (sigmoid in every published variant)
template <activation_policy Activation, normalization_policy Normalization, index_t HiddenSize = dynamic_size,
          activation_policy Gate = sigmoid>
struct cell_spec {
    static_assert(HiddenSize == dynamic_size || HiddenSize > 0, "epilstm: hidden size must be positive");
    using activation = Activation;
    using normalization = Normalization;
    using gate = Gate;
    static constexpr index_t hidden_size = HiddenSize;
    static constexpr bool has_static_hidden_size = HiddenSize != dynamic_size;

    template <class A> using rebind_activation = cell_spec<A, Normalization, HiddenSize, Gate>;
    template <class N> using rebind_normalization = cell_spec<Activation, N, HiddenSize, Gate>;
    template <index_t H> using rebind_hidden_size = cell_spec<Activation, Normalization, H, Gate>;
};

template <class S>
concept cell_spec_type = requires {
    typename S::activation;
    typename S::normalization;
    typename S::gate;
    { S::hidden_size };
};

}  // namespace epilstm
