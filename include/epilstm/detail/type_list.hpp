// A list of types without a metaprogramming library: type_list<Ts...>, its size, and
// for_each_type(list, f), which calls f(std::type_identity<T>{}) for each T in order (so a generic
// lambda gets the type back as `typename decltype(tag)::type`). Eigen-free, usable from nvcc.
#pragma once

#include <cstddef>
#include <type_traits>

namespace epilstm::detail {

template <class... Ts>
struct type_list {
    static constexpr std::size_t size = sizeof...(Ts);
};

/// Calls f(std::type_identity<T>{}) for each T of the list, in order.
template <class... Ts, class F>
constexpr void for_each_type(type_list<Ts...>, F&& f)
{
    (f(std::type_identity<Ts>{}), ...);
}

}  // namespace epilstm::detail
