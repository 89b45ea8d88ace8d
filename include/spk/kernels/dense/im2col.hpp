// SPDX-License-Identifier: Apache-2.0
// Column lowering for dense convolution: im2col (conv2d) and vol2col (conv3d) unfold one image's
// group of input channels into a matrix `cols`, so that the group's output is one GEMM:
// out[n][group g] (F/g x prod(out)) = W_g (F/g x C/g*prod(kernel)) * cols (C/g*prod(kernel) x
// prod(out)).
#pragma once

#include <algorithm>
#include <array>
#include <string>

#include "spk/core/checked.hpp"
#include "spk/core/conv_shape.hpp"
#include "spk/core/tensor.hpp"
#include "spk/kernels/dense/reference.hpp"  // detail::next_index

SPK_BEGIN_NAMESPACE
namespace kernels::dense {

/// Rows of the column matrix: C/groups * prod(kernel) (the weight row length of one filter).
template <int S>
index_t im2col_rows(const conv_shape<S>& s) noexcept {
  return s.in_channels_per_group() * s.kernel_volume();
}
/// Columns of the column matrix: prod(out), one per output position.
template <int S>
index_t im2col_cols(const conv_shape<S>& s) noexcept {
  return s.out_volume();
}
/// Elements of a dense column matrix (rows * cols), checked: the workspace a driver allocates.
template <int S>
index_t im2col_size(const conv_shape<S>& s) {
  return checked_mul(im2col_rows(s), im2col_cols(s), "im2col workspace");
}

namespace detail {

/// Output positions o in [0, out) whose tap o * stride + offset lies in [0, in), as [lo, hi).
inline void valid_outputs(index_t in, index_t out, index_t stride, index_t offset, index_t& lo,
                          index_t& hi) noexcept {
  lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;           // o * stride + offset >= 0
  hi = in - offset <= 0 ? 0 : (in - offset + stride - 1) / stride;  // o * stride + offset < in
  hi = std::min(hi, out);
  lo = std::min(lo, hi);
}

inline void zero_span(float* dst, index_t step, index_t count) noexcept {
  if (step == 1)
    std::fill_n(dst, count, 0.f);
  else
    for (index_t i = 0; i < count; ++i) dst[i * step] = 0.f;
}

template <int S>
void check_lowering(const tensor_view<const float, S + 2>& input, index_t batch_index,
                    index_t group, const conv_shape<S>& s, const matrix_view<float>& cols,
                    const char* where) {
  std::array<index_t, S + 2> want{};
  want[0] = s.batch, want[1] = s.in_channels;
  for (int d = 0; d < S; ++d) want[d + 2] = s.in[d];
  require_dims(input, want, where, "input");
  if (batch_index < 0 || batch_index >= s.batch)
    raise_arg(errc::out_of_range, where, "batch_index", batch_index,
              "in [0, " + std::to_string(s.batch) + ")");
  if (group < 0 || group >= s.params.groups)
    raise_arg(errc::out_of_range, where, "group", group,
              "in [0, " + std::to_string(s.params.groups) + ")");
  require_dims(cols, {im2col_rows(s), im2col_cols(s)}, where, "cols");
  require(input.data() != nullptr, where, "input", "nullptr", "a non-null data pointer");
  require(cols.data() != nullptr, where, "cols", "nullptr", "a non-null data pointer");
}

/// The lowering for S spatial dims (see im2col for the layout). Per row (c, k...), the outer
/// output dims are walked with an odometer and the innermost (width) dim as one span: the
/// output columns whose tap falls in the padding are zeroed, the rest copied with the input
/// stride * conv stride.
template <int S>
void lower_to_columns(const tensor_view<const float, S + 2>& input, index_t n, index_t g,
                      const conv_shape<S>& s, const matrix_view<float>& cols) {
  static_assert(S >= 2, "the outer odometer needs at least one non-innermost dim");
  constexpr int W = S - 1;  // innermost spatial dim
  const conv_params<S>& p = s.params;
  const index_t cg = s.in_channels_per_group(), ow_count = s.out[W];
  const index_t col_step = cols.stride(1), in_w_step = input.stride(W + 2);
  const index_t tap_step =
      p.stride[W] * in_w_step;  // input elements between adjacent output columns
  std::array<index_t, S - 1> out_outer{};
  for (int d = 0; d < W; ++d) out_outer[d] = s.out[d];

  index_t row = 0;
  for (index_t c = 0; c < cg; ++c) {
    const index_t plane = n * input.stride(0) + (g * cg + c) * input.stride(1);
    std::array<index_t, S> k{};
    do {
      const index_t w_offset = k[W] * p.dilation[W] - p.pad_begin[W];
      index_t lo = 0, hi = 0;
      valid_outputs(s.in[W], ow_count, p.stride[W], w_offset, lo, hi);
      float* dst_row = cols.data() + row * cols.stride(0);
      std::array<index_t, S - 1> o{};
      index_t col = 0;
      do {
        index_t src = plane;  // offsets, not pointers: a tap in the padding may lie before data()
        bool inside = true;
        for (int d = 0; d < W && inside; ++d) {
          const index_t x = o[d] * p.stride[d] - p.pad_begin[d] + k[d] * p.dilation[d];
          inside = x >= 0 && x < s.in[d];
          src += x * input.stride(d + 2);
        }
        float* dst = dst_row + col * col_step;
        if (!inside) {
          zero_span(dst, col_step, ow_count);
        } else {
          zero_span(dst, col_step, lo);
          const float* line = input.data() + src;
          if (col_step == 1 && tap_step == 1)  // stride-1 conv, contiguous rows: one memcpy
            std::copy_n(line + lo + w_offset, hi - lo, dst + lo);
          else
            for (index_t ow = lo; ow < hi; ++ow)
              dst[ow * col_step] = line[(ow * p.stride[W] + w_offset) * in_w_step];
          zero_span(dst + hi * col_step, col_step, ow_count - hi);
        }
        col += ow_count;
      } while (next_index(o, out_outer));
      ++row;
    } while (next_index(k, s.kernel));
  }
}

}  // namespace detail

/// Lowers image `batch_index`, channel group `group` of an NCHW input (any strides) for the
/// conv2d described by `s` (from make_conv_shape; the input dims must match it) into `cols`:
///   rows (C/g * KH * KW): row r = (c * KH + kh) * KW + kw, c in [0, C/g) relative to the
///                         group's first channel g * C/g — the same order as a weight row
///                         w[f][c][kh][kw] of a contiguous F x C/g x KH x KW tensor;
///   cols (OH * OW):       col = oh * OW + ow, the output position's row-major index;
///   cols(r, col) = in[n][g*C/g + c][oh*sh - pad_top + kh*dh][ow*sw - pad_left + kw*dw],
///                  or 0 where that tap falls in the padding.
/// `cols` may have any strides (a contiguous one is fastest); every element is written.
/// Raises shape_mismatch ('input', 'cols'), out_of_range ('batch_index', 'group').
inline void im2col(nchw_view<const float> input, index_t batch_index, index_t group,
                   const conv2d_shape& s, matrix_view<float> cols) {
  detail::check_lowering<2>(input, batch_index, group, s, cols, "im2col");
  detail::lower_to_columns<2>(input, batch_index, group, s, cols);
}

/// im2col for conv3d over an NCDHW input: rows C/g * KD * KH * KW with
/// r = ((c * KD + kd) * KH + kh) * KW + kw, cols OD * OH * OW with col = (od * OH + oh) * OW + ow,
/// cols(r, col) = in[n][g*C/g + c][od*sd - pd + kd*dd][oh*sh - ph + kh*dh][ow*sw - pw + kw*dw]
/// or 0 in the padding. Same contract and errors as im2col.
inline void vol2col(ncdhw_view<const float> input, index_t batch_index, index_t group,
                    const conv3d_shape& s, matrix_view<float> cols) {
  detail::check_lowering<3>(input, batch_index, group, s, cols, "vol2col");
  detail::lower_to_columns<3>(input, batch_index, group, s, cols);
}

}  // namespace kernels::dense
SPK_END_NAMESPACE
