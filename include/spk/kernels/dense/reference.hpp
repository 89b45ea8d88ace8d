// SPDX-License-Identifier: Apache-2.0
// Dense reference kernels: conv2d, conv3d, GEMM and GEMV as plain loops accumulating in double.
// They are the oracles every optimised and sparse kernel is tested against: slow, obviously
// correct, general (any strides, padding, dilation, groups), and they validate every argument.
#pragma once

#include <array>
#include <string>

#include "spk/core/conv_shape.hpp"
#include "spk/core/tensor.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::dense {

namespace detail {

/// Steps `idx` through the box [0, ext) in row-major order; returns false once it wraps back to
/// all zeros. Drives the S-dimensional loops of the generic references and of im2col.
template <std::size_t S>
bool next_index(std::array<index_t, S>& idx, const std::array<index_t, S>& ext) noexcept {
  for (std::size_t d = S; d-- > 0;) {
    if (++idx[d] < ext[d]) return true;
    idx[d] = 0;
  }
  return false;
}

/// The convolution itself, for S spatial dims:
///   out[n][f][o] = bias[f] + sum_{c < C/g} sum_{k < kernel}
///                  in[n][g*C/g + c][o*stride - pad_begin + k*dilation] * w[f][c][k],
/// with g = f / (F/g) the group of filter f and taps outside the input counted as zero.
template <int S>
void conv_reference_loops(const tensor_view<const float, S + 2>& in,
                          const tensor_view<const float, S + 2>& w, const float* bias,
                          const tensor_view<float, S + 2>& out, const conv_shape<S>& s) {
  const index_t cg = s.in_channels_per_group(), fg = s.out_channels_per_group();
  const conv_params<S>& p = s.params;
  for (index_t n = 0; n < s.batch; ++n) {
    for (index_t f = 0; f < s.out_channels; ++f) {
      const index_t c_first = (f / fg) * cg;  // first input channel of f's group
      std::array<index_t, S> o{};
      do {
        double acc = 0;
        for (index_t c = 0; c < cg; ++c) {
          std::array<index_t, S> k{};
          do {
            index_t in_off = n * in.stride(0) + (c_first + c) * in.stride(1);
            index_t w_off = f * w.stride(0) + c * w.stride(1);
            bool inside = true;
            for (int d = 0; d < S && inside; ++d) {
              const index_t x = o[d] * p.stride[d] - p.pad_begin[d] + k[d] * p.dilation[d];
              inside = x >= 0 && x < s.in[d];
              in_off += x * in.stride(d + 2);
              w_off += k[d] * w.stride(d + 2);
            }
            if (inside) acc += double(in.data()[in_off]) * double(w.data()[w_off]);
          } while (next_index(k, s.kernel));
        }
        if (bias) acc += double(bias[f]);
        index_t out_off = n * out.stride(0) + f * out.stride(1);
        for (int d = 0; d < S; ++d) out_off += o[d] * out.stride(d + 2);
        out.data()[out_off] = static_cast<float>(acc);
      } while (next_index(o, s.out));
    }
  }
}

}  // namespace detail

/// Reference 2D convolution (cross-correlation, as in every DNN framework).
/// Layout contract: input N x C x H x W, weights F x C/groups x KH x KW, output N x F x OH x OW,
/// any (non-negative) strides; bias holds F values or is nullptr. Filter f reads the input
/// channels of its group g = f / (F/groups), i.e. [g*C/groups, (g+1)*C/groups). Every output
/// element is written (the output is never read) and must not overlap the input or weights.
/// Accumulates in double and rounds once to fp32.
/// Raises invalid_argument (bad sizes/params/null data) or shape_mismatch (weights dim 1 !=
/// C/groups, output dims != N x F x OH x OW) naming the argument.
inline void conv2d_reference(nchw_view<const float> input, tensor_view<const float, 4> weights,
                             const float* bias, nchw_view<float> output,
                             const conv2d_params& p = {}) {
  const conv2d_shape s = check_conv_dense<2>(input, weights, output, p, "conv2d_reference");
  detail::conv_reference_loops<2>(input, weights, bias, output, s);
}

/// Reference 3D convolution; conv2d_reference with a depth dim in front of H and W.
/// Layout contract: input N x C x D x H x W, weights F x C/groups x KD x KH x KW, output
/// N x F x OD x OH x OW, any strides; bias F values or nullptr. Same checks as conv2d.
inline void conv3d_reference(ncdhw_view<const float> input, tensor_view<const float, 5> weights,
                             const float* bias, ncdhw_view<float> output,
                             const conv3d_params& p = {}) {
  const conv3d_shape s = check_conv_dense<3>(input, weights, output, p, "conv3d_reference");
  detail::conv_reference_loops<3>(input, weights, bias, output, s);
}

/// Reference GEMM: C = alpha * A * B + beta * C with A M x K, B K x N, C M x N, any strides
/// (a transposed operand is a view with swapped strides). BLAS conventions: when beta == 0, C
/// is not read (it may hold NaN); when alpha == 0, A and B are not read. Empty sizes (M, N or
/// K = 0) are valid; C must not overlap A or B. Raises shape_mismatch naming 'b' (inner dims)
/// or 'c' (result dims).
inline void gemm_reference(matrix_view<const float> a, matrix_view<const float> b,
                           matrix_view<float> c, float alpha = 1, float beta = 0) {
  const char* where = "gemm_reference";
  const index_t m = a.dim(0), k = a.dim(1), n = b.dim(1);
  if (b.dim(0) != k)
    raise_arg(errc::shape_mismatch, where, "b", std::to_string(b.dim(0)) + "x" + std::to_string(n),
              "rows == a's cols (" + std::to_string(k) + ")");
  require_dims(c, {m, n}, where, "c");
  require(a.empty() || a.data() != nullptr, where, "a", "nullptr", "a non-null data pointer");
  require(b.empty() || b.data() != nullptr, where, "b", "nullptr", "a non-null data pointer");
  require(c.empty() || c.data() != nullptr, where, "c", "nullptr", "a non-null data pointer");
  for (index_t i = 0; i < m; ++i)
    for (index_t j = 0; j < n; ++j) {
      double acc = 0;
      if (alpha != 0)
        for (index_t l = 0; l < k; ++l) acc += double(a(i, l)) * double(b(l, j));
      double r = double(alpha) * acc;
      if (beta != 0) r += double(beta) * double(c(i, j));
      c(i, j) = static_cast<float>(r);
    }
}

/// Reference GEMV: y = alpha * A * x + beta * y with A M x K (any strides), x K contiguous
/// values, y M contiguous values. Same BLAS conventions as gemm_reference (beta == 0: y is not
/// read; alpha == 0: A and x are not read). x may be nullptr only when K == 0 or M == 0, y only
/// when M == 0.
inline void gemv_reference(matrix_view<const float> a, const float* x, float* y, float alpha = 1,
                           float beta = 0) {
  const char* where = "gemv_reference";
  const index_t m = a.dim(0), k = a.dim(1);
  require(a.empty() || a.data() != nullptr, where, "a", "nullptr", "a non-null data pointer");
  require(x != nullptr || a.empty(), where, "x", "nullptr", "a non-null pointer to K values");
  require(y != nullptr || m == 0, where, "y", "nullptr", "a non-null pointer to M values");
  for (index_t i = 0; i < m; ++i) {
    double acc = 0;
    if (alpha != 0)
      for (index_t l = 0; l < k; ++l) acc += double(a(i, l)) * double(x[l]);
    double r = double(alpha) * acc;
    if (beta != 0) r += double(beta) * double(y[i]);
    y[i] = static_cast<float>(r);
  }
}

}  // namespace kernels::dense
SPK_END_NAMESPACE
