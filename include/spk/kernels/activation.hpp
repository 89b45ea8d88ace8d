// SPDX-License-Identifier: Apache-2.0
// Pointwise activations the conv kernels fuse into their output store (ReLU, leaky ReLU, Mish
// as YOLOv4 uses them), in one vector form (xsimd, any arch) and one scalar form that the
// references use. Mish is written so that it neither overflows nor loses precision.
#pragma once

#include <cmath>
#include <xsimd/xsimd.hpp>

#include "spk/core/arch.hpp"
#include "spk/core/error.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels {

enum class act_kind { none, relu, leaky_relu, mish };

inline const char* to_string(act_kind k) noexcept {
  switch (k) {
    case act_kind::none:
      return "none";
    case act_kind::relu:
      return "relu";
    case act_kind::leaky_relu:
      return "leaky_relu";
    case act_kind::mish:
      return "mish";
  }
  return "?";
}

/// y = act(x). leaky_relu: x for x > 0, alpha * x otherwise (darknet's "leaky" is alpha 0.1).
/// mish: x * tanh(softplus(x)) (Misra 2019; YOLOv4's backbone activation).
struct activation {
  act_kind kind = act_kind::none;
  float alpha = 0.1f;

  static activation none() noexcept { return {}; }
  static activation relu() noexcept { return {act_kind::relu, 0.f}; }
  static activation leaky_relu(float a = 0.1f) noexcept { return {act_kind::leaky_relu, a}; }
  static activation mish() noexcept { return {act_kind::mish, 0.f}; }
  /// The old `bool relu` arguments of the conv drivers.
  static activation from_relu(bool relu) noexcept {
    return relu ? activation::relu() : activation::none();
  }
};

/// Mish in double: x * tanh(log1p(exp(x))), with tanh(softplus(x)) = n / (n + 2),
/// n = e^x (e^x + 2), which has no cancellation for x << 0 and is exactly 1 in float beyond
/// x = 20 (clamped there so e^2x cannot overflow). The scalar oracle of the vector form.
inline double mish_ref(double x) noexcept {
  if (x > 20.0) return x;
  const double e = std::exp(x), n = e * (e + 2.0);
  return x * n / (n + 2.0);
}

/// The references' form, in double (they accumulate in double and round once).
inline double apply_ref(const activation& a, double x) noexcept {
  switch (a.kind) {
    case act_kind::none:
      return x;
    case act_kind::relu:
      return x > 0.0 ? x : 0.0;
    case act_kind::leaky_relu:
      return x > 0.0 ? x : double(a.alpha) * x;
    case act_kind::mish:
      return mish_ref(x);
  }
  return x;
}

/// The vector form for a kind fixed at compile time (what the kernels' fused stores use: a
/// runtime switch per vector costs as much as a sparse tile's FMAs). Same formulas in float
/// (Mish: exp once, one division; a few ulp of float from mish_ref away from its zero at 0).
template <act_kind K, class Arch>
inline xsimd::batch<float, Arch> apply_vec(const xsimd::batch<float, Arch>& x,
                                           float alpha) noexcept {
  using vec = xsimd::batch<float, Arch>;
  if constexpr (K == act_kind::relu) return xsimd::max(x, vec(0.f));
  if constexpr (K == act_kind::leaky_relu) return xsimd::select(x > vec(0.f), x, x * vec(alpha));
  if constexpr (K == act_kind::mish) {
    const vec e = xsimd::exp(xsimd::min(x, vec(20.f)));
    const vec n = e * (e + vec(2.f));
    return xsimd::select(x > vec(20.f), x, x * n / (n + vec(2.f)));
  }
  return x;
}

/// The vector form for a kind known at run time.
template <class Arch>
inline xsimd::batch<float, Arch> apply_vec(const activation& a,
                                           const xsimd::batch<float, Arch>& x) noexcept {
  switch (a.kind) {
    case act_kind::none:
      return x;
    case act_kind::relu:
      return apply_vec<act_kind::relu, Arch>(x, a.alpha);
    case act_kind::leaky_relu:
      return apply_vec<act_kind::leaky_relu, Arch>(x, a.alpha);
    case act_kind::mish:
      return apply_vec<act_kind::mish, Arch>(x, a.alpha);
  }
  return x;
}

/// Raises invalid_argument naming `where` for a leaky slope that is not finite.
inline void check_activation(const activation& a, const char* where) {
  require(a.kind != act_kind::leaky_relu || std::isfinite(a.alpha), where, "activation.alpha",
          a.alpha, "a finite leaky-ReLU slope");
}

}  // namespace kernels
SPK_END_NAMESPACE
