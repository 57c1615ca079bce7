// The multiplier registry: every method of NUMERICS.md section 2 as a policy type, in the order
// tables, menus and the package list them. Adding a method is a policy (its own header) plus
// one entry here and one enumerator in mul_spec.hpp; kernels never name a method.
#pragma once

#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "lmul/mul_exact.hpp"
#include "lmul/mul_float.hpp"
#include "lmul/mul_lmul.hpp"
#include "lmul/mul_mitchell.hpp"
#include "lmul/mul_spec.hpp"

namespace lmul {

using Policies = std::tuple<ExactMul, FloatMul, LMul, LMulFormula, Mitchell>;

namespace detail {
template <class... Ps> constexpr bool distinct_methods(std::tuple<Ps...>*) {
  constexpr Method m[] = {Ps::kMethod...};
  for (std::size_t i = 0; i < sizeof...(Ps); ++i)
    for (std::size_t j = i + 1; j < sizeof...(Ps); ++j)
      if (m[i] == m[j])
        return false;
  return true;
}
template <class... Ps> std::vector<Method> methods_of(std::tuple<Ps...>*) {
  return {Ps::kMethod...};
}
template <class... Ps> const char* name_of(Method m, std::tuple<Ps...>*) {
  const char* name = nullptr;
  (void)((m == Ps::kMethod ? (name = Ps::kName, true) : false) || ...);
  return name;
}
} // namespace detail
static_assert(detail::distinct_methods(static_cast<Policies*>(nullptr)),
              "two policies claim the same Method");

// Every method, in registry order.
inline std::vector<Method> all_methods() {
  return detail::methods_of(static_cast<Policies*>(nullptr));
}
// Every method but exact (the approximate multipliers), in registry order.
inline std::vector<Method> approximate_methods() {
  std::vector<Method> v;
  for (Method m : all_methods())
    if (m != Method::exact)
      v.push_back(m);
  return v;
}
// "'exact', 'float', ..." for messages and help texts.
std::string method_names();
const char* to_string(Method m);           // the method's name: "exact", "float", "lmul", ...
Method parse_method(const std::string& s); // throws std::invalid_argument listing the names

namespace detail {
template <class Fn, class P0, class... Ps>
decltype(auto) dispatch(const MulSpec& spec, Fn& f, std::tuple<P0, Ps...>*) {
  if constexpr (sizeof...(Ps) == 0) {
    if (spec.method != P0::kMethod)
      throw std::logic_error("multiplier registry: no policy for method " +
                             std::to_string(static_cast<int>(spec.method)));
    return f(P0(spec));
  } else {
    if (spec.method == P0::kMethod)
      return f(P0(spec));
    return dispatch(spec, f, static_cast<std::tuple<Ps...>*>(nullptr));
  }
}
} // namespace detail

// Calls f(policy) with the policy object for spec (one instantiation of f per method).
template <class Fn> decltype(auto) with_policy(const MulSpec& spec, Fn&& f) {
  return detail::dispatch(spec, f, static_cast<Policies*>(nullptr));
}

namespace detail {
template <class... Ps> std::variant<Ps...> policy_variant(std::tuple<Ps...>*);
}
// A policy chosen at run time and kept, for callers that use it many times on short runs
// (std::visit per use instead of building the policy again).
using AnyPolicy = decltype(detail::policy_variant(static_cast<Policies*>(nullptr)));
inline AnyPolicy make_policy(const MulSpec& spec) {
  return with_policy(spec, [](const auto& p) { return AnyPolicy(p); });
}

// The scalar reference of one multiplication: quantize both operands, then multiply.
float multiply(float a, float b, const MulSpec& spec);

} // namespace lmul
