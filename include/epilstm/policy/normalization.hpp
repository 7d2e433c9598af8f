// Normalization policies: whether the cell applies layer normalization (Ba et al. 2016) to the
// input projection, the recurrent projection and the cell (MODEL-SPEC.md, "Cell").
#pragma once

namespace epilstm {

/// LN_x, LN_h over the 4H pre-activations and LN_c over the H cell values; ε = 1e-5, biased variance.
struct layer_norm {
    static constexpr const char* name = "layer_norm";
    static constexpr bool enabled = true;
    static constexpr double epsilon = 1e-5;
};

/// No normalization: a = W x + b_x + U h + b_h and c = c̃.
struct no_norm {
    static constexpr const char* name = "none";
    static constexpr bool enabled = false;
    static constexpr double epsilon = 0.0;
};

template <class N>
concept normalization_policy = requires {
    { N::name };
    { N::enabled };
};

}  // namespace epilstm
