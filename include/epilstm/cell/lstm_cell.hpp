// One position of an LSTM cell: the equations between the (normalized) pre-activations and the
// cell's outputs, forward and backward, written once. Each function works on one unit (scalars:
// what the device kernels of backend/kernels.hpp call, EPILSTM_HD) or on a whole column of units
// at once (Eigen arrays: what the CPU layer backend/cpu/lstm_layer.hpp calls, vectorized), so the
// GPU, the host-emulated device and the CPU compute the same expressions.
//
// Forward (MODEL-SPEC.md "Cell"; paper §3.2, eq. 2), with a = [a_i; a_f; a_g; a_o]:
//   i = σ(a_i)  f = σ(a_f)  g = φ(a_g)  o = σ(a_o)           (gates)
//   c̃ = f ⊙ c_prev + i ⊙ g                                   (candidate cell; c = LN_c(c̃) or c̃)
//   h = o ⊙ φ(c)                                              (output)
// Backward, given dh and dc at this position (their sum over the recurrence and the outside):
//   da_o = dh ⊙ φ(c) ⊙ σ'(o) ;  dc ← dc + dh ⊙ o ⊙ φ'(c)     (output_backward)
//   with dc̃ = LN_c'(dc) (or dc):
//   da_i = dc̃ ⊙ g ⊙ σ'(i)  da_f = dc̃ ⊙ c_prev ⊙ σ'(f)  da_g = dc̃ ⊙ i ⊙ φ'(g)  dc_prev = dc̃ ⊙ f
//                                                             (gates_backward)
// Derivatives are taken through the cached outputs (σ'(i) from i, φ'(c) from φ(c)), so backward
// needs only what forward stored.
#pragma once

#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/config.hpp>

#include <type_traits>

namespace epilstm {

namespace detail {
/// P::value(x) for a scalar, P::array(x) for an Eigen array expression.
template <class P, class X> EPILSTM_HD auto activate(const X& x)
{
    if constexpr (std::is_arithmetic_v<X>)
        return P::value(x);
    else
        return P::array(x);
}
/// φ'(z) through y = φ(z): P::derivative_at(y) for a scalar, P::derivative_array(y) for an array.
template <class P, class Y> EPILSTM_HD auto derivative(const Y& y)
{
    if constexpr (std::is_arithmetic_v<Y>)
        return P::derivative_at(y);
    else
        return P::derivative_array(y);
}
}  // namespace detail

/// The LSTM cell of a cell_spec (its φ and gate nonlinearity). Outputs are passed as references
/// (scalars) or as writable Eigen array expressions.
template <cell_spec_type Spec>
struct lstm_cell {
    using act = typename Spec::activation;
    using gate = typename Spec::gate;

    /// i, f, g, o from the pre-activations, and c̃ = f ⊙ c_prev + i ⊙ g.
    template <class AI, class AF, class AG, class AO, class CP, class GI, class GF, class GG, class GO, class CT>
    EPILSTM_HD static void gates(const AI& a_i, const AF& a_f, const AG& a_g, const AO& a_o, const CP& c_prev,
                                 GI&& i, GF&& f, GG&& g, GO&& o, CT&& c_tilde)
    {
        i = detail::activate<gate>(a_i);
        f = detail::activate<gate>(a_f);
        g = detail::activate<act>(a_g);
        o = detail::activate<gate>(a_o);
        c_tilde = f * c_prev + i * g;
    }

    /// φ(c) and h = o ⊙ φ(c).
    template <class O, class C, class PC, class H>
    EPILSTM_HD static void output(const O& o, const C& c, PC&& phi_c, H&& h)
    {
        phi_c = detail::activate<act>(c);
        h = o * phi_c;
    }

    /// da_o = dh ⊙ φ(c) ⊙ σ'(o), and dc += dh ⊙ o ⊙ φ'(c).
    template <class DH, class O, class PC, class DC, class DAO>
    EPILSTM_HD static void output_backward(const DH& dh, const O& o, const PC& phi_c, DC&& dc, DAO&& da_o)
    {
        da_o = dh * phi_c * detail::derivative<gate>(o);
        dc += dh * o * detail::derivative<act>(phi_c);
    }

    /// da_i, da_f, da_g from dc̃ (dL/dc̃); dc_prev = dc̃ ⊙ f is left to the caller (it may not be needed).
    template <class DCT, class I, class F, class G, class CP, class DAI, class DAF, class DAG>
    EPILSTM_HD static void gates_backward(const DCT& dc_tilde, const I& i, const F& f, const G& g, const CP& c_prev,
                                          DAI&& da_i, DAF&& da_f, DAG&& da_g)
    {
        da_i = dc_tilde * g * detail::derivative<gate>(i);
        da_f = dc_tilde * c_prev * detail::derivative<gate>(f);
        da_g = dc_tilde * i * detail::derivative<act>(g);
    }
};

}  // namespace epilstm
