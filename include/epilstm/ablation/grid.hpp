// Grids of Epi-LSTM variants built at compile time with Boost.Hana (host only).
//
// variant_grid(activations, normalizations, encoders) is the cartesian product of the given policy
// types as a hana::tuple of hana::type<epi_lstm<...>>, so an ablation study is one expression and
// adding a policy adds a column of the study. The four-axis overload adds compile-time hidden
// sizes (hana::tuple_c<index_t, 8, 16, ...>, or any tuple of hana integral constants), each a
// cell_spec<A, N, H> with a static H. for_each_variant runs a generic lambda on each type, and
// variant_name names one ("softsign/layer_norm/H16/bidirectional").
#pragma once

#include <epilstm/model/epi_lstm.hpp>
#include <epilstm/model/variants.hpp>

#include <boost/hana.hpp>

#include <string>
#include <type_traits>

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
        return hana::type_c<runtime_model<A, N, paper_wiring, E, T>>;
    });
}

/// The product activations × normalizations × hidden sizes × encoders, in that order (the last
/// axis varies fastest), as epi_lstm types with a static hidden size, the paper's wiring and
/// scalar T. `sizes` holds integral constants, e.g. hana::tuple_c<index_t, 8, 16, 32>.
template <class T, class Activations, class Normalizations, class HiddenSizes, class Encoders>
constexpr auto variant_grid(Activations acts, Normalizations norms, HiddenSizes sizes, Encoders encs)
{
    return hana::transform(hana::cartesian_product(hana::make_tuple(acts, norms, sizes, encs)), [](auto combo) {
        using A = typename decltype(+hana::at_c<0>(combo))::type;
        using N = typename decltype(+hana::at_c<1>(combo))::type;
        constexpr auto h = std::remove_cvref_t<decltype(hana::at_c<2>(combo))>::value;
        static_assert(h > 0, "epilstm: a hidden size of the grid must be positive");
        using E = typename decltype(+hana::at_c<3>(combo))::type;
        return hana::type_c<epi_lstm<cell_spec<A, N, static_cast<index_t>(h)>, paper_wiring, E, T>>;
    });
}

/// Calls f(hana::type_c<Model>) for each model type of the grid.
template <class Grid, class F>
void for_each_variant(Grid grid, F&& f)
{
    hana::for_each(grid, f);
}

/// "activation/normalization/H<size>/direction" of a model type ("H" alone when H is set at run
/// time); "uni" and "bi" for the encoder direction. Unique within a grid of one wiring.
template <class Model>
std::string variant_name()
{
    using S = typename Model::spec;
    std::string n = std::string(S::activation::name) + "/" + S::normalization::name + "/H";
    if constexpr (S::has_static_hidden_size) n += std::to_string(S::hidden_size);
    n += Model::is_bidirectional ? "/bi" : "/uni";
    if constexpr (!Model::wiring::decoder_takes_encoder_cell) n += "/" + std::string(Model::wiring::name);
    return n;
}

}  // namespace epilstm::ablation
