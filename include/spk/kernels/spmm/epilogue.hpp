// SPDX-License-Identifier: Apache-2.0
// Fused epilogues of the sparse kernels: y = act(acc + bias) + residual, applied while the
// register tile is stored (no second pass over y). GELU is the exact erf form BERT uses.
#pragma once

#include <cmath>
#include <string>
#include <xsimd/xsimd.hpp>

#include "spk/core/tensor.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::spmm {

enum class activation { none, relu, gelu };

/// y[m][n] = act(acc[m][n] + bias[n]) + residual[m * ldr + n]. bias: N values or nullptr;
/// residual: M x N row-major with leading dimension ldr, or nullptr (it may alias y only when
/// it is exactly y, i.e. y += ... in place).
struct epilogue {
  const float* bias = nullptr;
  activation act = activation::none;
  const float* residual = nullptr;
  index_t ldr = 0;
};

/// 0.5 x (1 + erf(x / sqrt 2)), scalar.
inline float gelu(float x) noexcept {
  return 0.5f * x * (1.f + std::erf(x * 0.70710678118654752f));
}

namespace detail {
template <class Arch>
inline xsimd::batch<float, Arch> gelu_vec(const xsimd::batch<float, Arch>& x) noexcept {
  using vec = xsimd::batch<float, Arch>;
  return vec(0.5f) * x * (vec(1.f) + xsimd::erf(x * vec(0.70710678118654752f)));
}
/// Epilogue on one vector: features n0..n0+L of token row m.
template <class Arch>
inline xsimd::batch<float, Arch> apply_vec(const epilogue& e, xsimd::batch<float, Arch> v,
                                           index_t m, index_t n0) noexcept {
  using vec = xsimd::batch<float, Arch>;
  if (e.bias) v += vec::load_unaligned(e.bias + n0);
  if (e.act == activation::relu) v = xsimd::max(v, vec(0.f));
  if (e.act == activation::gelu) v = gelu_vec<Arch>(v);
  if (e.residual) v += vec::load_unaligned(e.residual + m * e.ldr + n0);
  return v;
}
/// Shapes: x M x K, y M x N, W N x K. Raises shape_mismatch naming the argument.
inline void check_spmm(index_t n, index_t k, const matrix_view<const float>& x,
                       const matrix_view<float>& y, const epilogue& e, const char* where) {
  require(
      x.dim(1) == k, where, "x.cols", x.dim(1),
      [&] { return "== weight cols (" + std::to_string(k) + ")"; }, errc::shape_mismatch);
  require(
      y.dim(0) == x.dim(0) && y.dim(1) == n, where, "y.dims",
      [&] { return std::to_string(y.dim(0)) + "x" + std::to_string(y.dim(1)); },
      [&] { return std::to_string(x.dim(0)) + "x" + std::to_string(n); }, errc::shape_mismatch);
  require(x.empty() || x.data() != nullptr, where, "x", "nullptr", "a non-null data pointer");
  require(y.empty() || y.data() != nullptr, where, "y", "nullptr", "a non-null data pointer");
  require(!e.residual || e.ldr >= n, where, "epilogue.ldr", e.ldr,
          [&] { return ">= N (" + std::to_string(n) + ")"; });
}
inline float apply_scalar(const epilogue& e, float v, index_t m, index_t n) noexcept {
  if (e.bias) v += e.bias[n];
  if (e.act == activation::relu) v = v > 0.f ? v : 0.f;
  if (e.act == activation::gelu) v = gelu(v);
  if (e.residual) v += e.residual[m * e.ldr + n];
  return v;
}
}  // namespace detail

}  // namespace kernels::spmm
SPK_END_NAMESPACE
