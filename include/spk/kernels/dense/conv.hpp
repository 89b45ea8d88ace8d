// SPDX-License-Identifier: Apache-2.0
// spk's dense convolution (conv2d, conv3d): per image and group, im2col/vol2col then the packed
// GEMM  out_g (F/g x P) = W_g (F/g x C/g*KV) * cols (C/g*KV x P), with P the output volume.
// A 1x1, stride-1, unpadded conv skips im2col: the input plane already is the column matrix.
#pragma once

#include <algorithm>
#include <array>

#include "spk/core/conv_shape.hpp"
#include "spk/kernels/dense/gemm.hpp"
#include "spk/kernels/dense/im2col.hpp"
#include "spk/kernels/dense/reference.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::dense {

namespace detail {

/// True when dims [first, R) of v are dense row-major (so they flatten to one unit-stride axis).
template <class T, int R>
bool inner_dense(const tensor_view<T, R>& v, int first) {
  index_t s = 1;
  for (int d = R - 1; d >= first; --d) {
    if (v.dim(d) != 1 && v.stride(d) != s) return false;
    s *= v.dim(d);
  }
  return true;
}

/// Copies a strided view into dense row-major storage at dst.
template <int R>
void copy_to_dense(const tensor_view<const float, R>& v, float* dst) {
  std::array<index_t, R> idx{};
  do {
    index_t off = 0;
    for (int d = 0; d < R; ++d) off += idx[d] * v.stride(d);
    *dst++ = v.data()[off];
  } while (next_index(idx, v.dims()));
}

template <int S>
bool is_pointwise(const conv_shape<S>& s) {
  for (int d = 0; d < S; ++d)
    if (s.kernel[d] != 1 || s.params.stride[d] != 1 || s.params.pad_begin[d] != 0 || s.params.pad_end[d] != 0)
      return false;
  return true;
}

template <class Arch, int S>
index_t conv_dense_workspace(const conv_shape<S>& s, int threads) {
  const index_t fg = s.out_channels_per_group(), kg = s.in_channels_per_group() * s.kernel_volume();
  const index_t p = s.out_volume();
  index_t n = checked_mul(kg, p, "conv workspace (columns)");               // im2col matrix
  n = checked_add(n, checked_mul(fg * s.params.groups, kg, "conv workspace"), "conv workspace");  // weights copy
  n = checked_add(n, gemm_dense_workspace_size<Arch>(fg, p, kg, threads), "conv workspace");
  return checked_add(n, 128, "conv workspace");  // alignment slack
}

template <class Arch, int S>
void conv_dense_impl(const tensor_view<const float, S + 2>& in, const tensor_view<const float, S + 2>& w,
                     const float* bias, const tensor_view<float, S + 2>& out, const conv_params<S>& p,
                     executor& ex, float* workspace, const char* where) {
  std::array<index_t, S> ins{}, ks{};
  for (int d = 0; d < S; ++d) ins[d] = in.dim(d + 2), ks[d] = w.dim(d + 2);
  const conv_shape<S> s = make_conv_shape<S>(in.dim(0), in.dim(1), ins, w.dim(0), ks, p, where);
  std::array<index_t, S + 2> want_w{}, want_out{};
  want_w[0] = s.out_channels, want_w[1] = s.in_channels_per_group();
  want_out[0] = s.batch, want_out[1] = s.out_channels;
  for (int d = 0; d < S; ++d) want_w[d + 2] = s.kernel[d], want_out[d + 2] = s.out[d];
  require_dims(w, want_w, where, "weights");
  require_dims(out, want_out, where, "output");
  require(inner_dense(out, 2), where, "output", "spatially strided view",
          "an output whose spatial dims are dense (channel and batch strides are free)", errc::unsupported);
  require(workspace != nullptr, where, "workspace", "nullptr", "a buffer of the workspace size");

  const index_t groups = s.params.groups, fg = s.out_channels_per_group(), cg = s.in_channels_per_group();
  const index_t kg = cg * s.kernel_volume(), pv = s.out_volume();
  float* cols = workspace;
  float* wcopy = cols + detail::round_up(kg * pv, 16);
  float* gemm_ws = wcopy + detail::round_up(fg * groups * kg, 16);

  // The GEMM wants each group's filters as a (F/g x C/g*KV) row-major matrix.
  const float* wdata = w.data();
  index_t wld = w.stride(0);
  if (!inner_dense(w, 1)) {
    copy_to_dense(w, wcopy);
    wdata = wcopy, wld = kg;
  }
  const bool pointwise = is_pointwise(s) && inner_dense(in, 2);
  for (index_t n = 0; n < s.batch; ++n) {
    for (index_t g = 0; g < groups; ++g) {
      const auto a = matrix_view<const float>::unchecked(wdata + g * fg * wld, {fg, kg}, {wld, 1});
      matrix_view<const float> b;
      if (pointwise) {
        b = matrix_view<const float>::unchecked(in.data() + n * in.stride(0) + g * cg * in.stride(1), {kg, pv},
                                                {in.stride(1), 1});
      } else {
        auto colv = matrix_view<float>::unchecked(cols, {kg, pv}, {pv, 1});
        if constexpr (S == 2)
          im2col(in, n, g, s, colv);
        else
          vol2col(in, n, g, s, colv);
        b = colv;
      }
      float* cptr = out.data() + n * out.stride(0) + g * fg * out.stride(1);
      const auto c = matrix_view<float>::unchecked(cptr, {fg, pv}, {out.stride(1), 1});
      float beta = 0.f;
      if (bias) {  // C starts as the bias; the GEMM accumulates onto it.
        for (index_t f = 0; f < fg; ++f) std::fill(cptr + f * out.stride(1), cptr + f * out.stride(1) + pv, bias[g * fg + f]);
        beta = 1.f;
      }
      gemm_dense<Arch>(a, b, c, 1.f, beta, ex, gemm_ws);
    }
  }
}
}  // namespace detail

/// Floats of workspace conv2d_dense / conv3d_dense need for shape `s` on `threads` threads.
template <class Arch = default_arch, int S>
index_t conv_dense_workspace_size(const conv_shape<S>& s, int threads) {
  return detail::conv_dense_workspace<Arch>(s, threads);
}

/// Dense conv2d, NCHW in/out, weights F x C/g x KH x KW, optional bias (F floats). Any stride,
/// asymmetric padding, dilation and groups; output spatial dims must be dense (channel and
/// batch strides are free, so an output may be a channel slice of a concatenation).
template <class Arch = default_arch>
void conv2d_dense(nchw_view<const float> in, tensor_view<const float, 4> w, const float* bias,
                  nchw_view<float> out, const conv2d_params& p, executor& ex, float* workspace) {
  detail::conv_dense_impl<Arch, 2>(in, w, bias, out, p, ex, workspace, "conv2d_dense");
}
/// Convenience overload that allocates the workspace.
template <class Arch = default_arch>
void conv2d_dense(nchw_view<const float> in, tensor_view<const float, 4> w, const float* bias,
                  nchw_view<float> out, const conv2d_params& p = {}, executor& ex = default_executor()) {
  const auto s = make_conv_shape<2>(in.dim(0), in.dim(1), {in.dim(2), in.dim(3)}, w.dim(0), {w.dim(2), w.dim(3)}, p,
                                    "conv2d_dense");
  aligned_buffer<float> ws(conv_dense_workspace_size<Arch>(s, ex.concurrency()));
  conv2d_dense<Arch>(in, w, bias, out, p, ex, ws.data());
}

/// Dense conv3d, NCDHW in/out, weights F x C/g x KD x KH x KW; same generality as conv2d_dense.
template <class Arch = default_arch>
void conv3d_dense(ncdhw_view<const float> in, tensor_view<const float, 5> w, const float* bias,
                  ncdhw_view<float> out, const conv3d_params& p, executor& ex, float* workspace) {
  detail::conv_dense_impl<Arch, 3>(in, w, bias, out, p, ex, workspace, "conv3d_dense");
}
/// Convenience overload that allocates the workspace.
template <class Arch = default_arch>
void conv3d_dense(ncdhw_view<const float> in, tensor_view<const float, 5> w, const float* bias,
                  ncdhw_view<float> out, const conv3d_params& p = {}, executor& ex = default_executor()) {
  const auto s = make_conv_shape<3>(in.dim(0), in.dim(1), {in.dim(2), in.dim(3), in.dim(4)}, w.dim(0),
                                    {w.dim(2), w.dim(3), w.dim(4)}, p, "conv3d_dense");
  aligned_buffer<float> ws(conv_dense_workspace_size<Arch>(s, ex.concurrency()));
  conv3d_dense<Arch>(in, w, bias, out, p, ex, ws.data());
}

}  // namespace kernels::dense
SPK_END_NAMESPACE
