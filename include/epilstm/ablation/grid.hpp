// Grids of Epi-LSTM variants built at compile time with Boost.Hana (host only).
//
// variant_grid(activations, normalizations, encoders) is the cartesian product of the given policy
// types as a hana::tuple of hana::type<epi_lstm<...>>, so an ablation study is one expression and
// adding a policy adds a column of the study. for_each_variant runs a generic lambda on each type.
#pragma once

#include <epilstm/model/epi_lstm.hpp>

#include <boost/hana.hpp>

namespace epilstm::ablation {

namespace hana = boost::hana;

/// The product activations × normalizations × encoders, each a hana::tuple_t<...>, as epi_lstm types
/// with a run-time hidden size, the paper's wiring and scalar T.
template <class T, class Activations, class Normalizations, class Encoders>
constexpr auto variant_grid(Activations acts, Normalizations norms, Encoders encs)
{
    return hana::transform(hana::cartesian_product(hana::make_tuple(acts, norms, encs)), [](auto combo) {
        using A = typename decltype(+hana::at_c<0>(combo))::type;
        using N = typename decltype(+hana::at_c<1>(combo))::type;
        using E = typename decltype(+hana::at_c<2>(combo))::type;
        return hana::type_c<epi_lstm<cell_spec<A, N>, paper_wiring, E, T>>;
    });
}

/// Every variant the command-line program can build from a model_config.
template <class T = float>
constexpr auto runtime_variants()
{
    return variant_grid<T>(hana::tuple_t<softsign, tanh_activation>, hana::tuple_t<layer_norm, no_norm>,
                           hana::tuple_t<unidirectional, bidirectional>);
}

/// Calls f(hana::type_c<Model>) for each model type of the grid.
template <class Grid, class F>
void for_each_variant(Grid grid, F&& f)
{
    hana::for_each(grid, f);
}

}  // namespace epilstm::ablation
