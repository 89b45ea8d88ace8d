// SPDX-License-Identifier: Apache-2.0
// spk's dense convolution (conv2d, conv3d) as an implicit GEMM per image and group:
//   out_g (F/g x P) = W_g (F/g x C/g*KV) * cols (C/g*KV x P),   P = output volume,
// where the GEMM's B packer gathers each KC x NCB block of `cols` straight from the input
// (implicit im2col), so the column matrix — 115 MB for VGG conv1_2 — never exists in memory.
// A 1x1, stride-1, unpadded conv packs the input plane directly: it already is `cols`.
#pragma once

#include <algorithm>
#include <array>

#include "spk/core/conv_shape.hpp"
#include "spk/kernels/dense/gemm.hpp"
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

/// B packer for the implicit GEMM: row k of `cols` is (channel c, kernel tap t) with
/// k = c * KV + t; column j is the output position. Taps that fall in the padding read as 0.
template <int S, index_t NR>
struct conv_b_packer {
  const float* in;                 // image n, first channel of group g
  index_t cstride;                 // input channel stride
  std::array<index_t, S> sstride;  // input spatial strides
  const conv_shape<S>* s;

  void operator()(index_t k0, index_t kc, index_t n0, index_t cols, float* dst) const {
    alignas(64) float
        row[1024];  // one row of the block; cols <= NCB <= 1024 (static_assert'ed by caller)
    const index_t kvol = s->kernel_volume(), ow_n = s->out[S - 1], in_l = s->in[S - 1];
    const index_t st_l = s->params.stride[S - 1], ss_l = sstride[S - 1];
    for (index_t kk = 0; kk < kc; ++kk) {
      index_t c = (k0 + kk) / kvol, t = (k0 + kk) % kvol;
      std::array<index_t, S> off{};  // input coordinate of output 0 for this tap, per dim
      for (int d = S - 1; d >= 0; --d) {
        off[d] = (t % s->kernel[d]) * s->params.dilation[d] - s->params.pad_begin[d];
        t /= s->kernel[d];
      }
      fill_row(c, off, n0, cols, ow_n, in_l, st_l, ss_l, row);
      // Scatter the row into the NR-wide panels of the block, zero-padding the last panel.
      for (index_t j0 = 0; j0 < cols; j0 += NR) {
        float* p = dst + j0 * kc + kk * NR;
        const index_t w = std::min(NR, cols - j0);
        std::memcpy(p, row + j0, static_cast<std::size_t>(w) * sizeof(float));
        for (index_t j = w; j < NR; ++j) p[j] = 0.f;
      }
    }
  }

 private:
  /// row[0..cols) = input values of channel c at output positions n0.. for tap offsets `off`.
  /// Walks runs along the last output dim, where the input coordinate is linear.
  void fill_row(index_t c, const std::array<index_t, S>& off, index_t n0, index_t cols,
                index_t ow_n, index_t in_l, index_t st_l, index_t ss_l, float* row) const {
    for (index_t j = n0; j < n0 + cols;) {
      index_t lead = j / ow_n;
      const index_t ow = j % ow_n, seg = std::min(ow_n - ow, n0 + cols - j);
      bool inside = true;
      index_t base = c * cstride;
      for (int d = S - 2; d >= 0; --d) {
        const index_t x = (lead % s->out[d]) * s->params.stride[d] + off[d];
        lead /= s->out[d];
        inside = inside && x >= 0 && x < s->in[d];
        base += x * sstride[d];
      }
      // Valid run: 0 <= (ow + t) * st_l + off_l < in_l  <=>  t in [lo, hi).
      index_t lo = 0, hi = 0;
      if (inside) {
        const index_t x0 = ow * st_l + off[S - 1];
        lo = x0 >= 0 ? 0 : std::min(seg, (-x0 + st_l - 1) / st_l);
        hi = x0 >= in_l ? 0 : std::min(seg, (in_l - x0 + st_l - 1) / st_l);
        hi = std::max(hi, lo);
        const float* src =
            in + base + (x0 + lo * st_l) * ss_l;  // first valid tap, never before the plane
        if (st_l == 1 && ss_l == 1) {
          std::memcpy(row + lo, src, static_cast<std::size_t>(hi - lo) * sizeof(float));
        } else {
          for (index_t t = lo; t < hi; ++t) row[t] = src[(t - lo) * st_l * ss_l];
        }
      }
      for (index_t t = 0; t < lo; ++t) row[t] = 0.f;
      for (index_t t = hi; t < seg; ++t) row[t] = 0.f;
      row += seg, j += seg;
    }
  }
};

template <int S>
bool is_pointwise(const conv_shape<S>& s) {
  for (int d = 0; d < S; ++d)
    if (s.kernel[d] != 1 || s.params.stride[d] != 1 || s.params.pad_begin[d] != 0 ||
        s.params.pad_end[d] != 0)
      return false;
  return true;
}

template <class Arch, int S>
index_t conv_dense_workspace(const conv_shape<S>& s, int threads) {
  const index_t fg = s.out_channels_per_group(), kg = s.in_channels_per_group() * s.kernel_volume();
  const index_t p = s.out_volume();
  (void)p;
  // A strided weight view is copied dense first; then the GEMM's packed A and B blocks.
  index_t n = checked_mul(fg * s.params.groups, kg, "conv workspace");
  n = checked_add(n, gemm_packed_workspace_size<Arch>(fg, kg, threads), "conv workspace");
  return checked_add(n, 64, "conv workspace");  // alignment slack
}

template <class Arch, int S>
void conv_dense_impl(const tensor_view<const float, S + 2>& in,
                     const tensor_view<const float, S + 2>& w, const float* bias,
                     const tensor_view<float, S + 2>& out, const conv_params<S>& p, executor& ex,
                     float* workspace, const char* where) {
  const conv_shape<S> s = check_conv_dense<S>(in, w, out, p, where);
  require(inner_dense(out, 2), where, "output", "spatially strided view",
          "an output whose spatial dims are dense (channel and batch strides are free)",
          errc::unsupported);
  require(workspace != nullptr, where, "workspace", "nullptr", "a buffer of the workspace size");

  const index_t groups = s.params.groups, fg = s.out_channels_per_group(),
                cg = s.in_channels_per_group();
  const index_t kg = cg * s.kernel_volume(), pv = s.out_volume();
  float* wcopy = workspace;
  float* gemm_ws = wcopy + round_up(fg * groups * kg, 16);

  // The GEMM wants each group's filters as a (F/g x C/g*KV) row-major matrix.
  const float* wdata = w.data();
  index_t wld = w.stride(0);
  if (!inner_dense(w, 1)) {
    copy_to_dense(w, wcopy);
    wdata = wcopy, wld = kg;
  }
  const bool pointwise = is_pointwise(s) && inner_dense(in, 2);
  constexpr index_t NR = gemm_tile<Arch>::nr;
  static_assert(gemm_blocking<Arch>::ncb <= 1024,
                "conv_b_packer's row buffer holds one NCB-wide row");
  for (index_t n = 0; n < s.batch; ++n) {
    for (index_t g = 0; g < groups; ++g) {
      const auto a = matrix_view<const float>::unchecked(wdata + g * fg * wld, {fg, kg}, {wld, 1});
      const float* in_ng = in.data() + n * in.stride(0) + g * cg * in.stride(1);
      float* cptr = out.data() + n * out.stride(0) + g * fg * out.stride(1);
      const auto c = matrix_view<float>::unchecked(cptr, {fg, pv}, {out.stride(1), 1});
      float beta = 0.f;
      if (bias) {  // C starts as the bias; the GEMM accumulates onto it.
        for (index_t f = 0; f < fg; ++f)
          std::fill(cptr + f * out.stride(1), cptr + f * out.stride(1) + pv, bias[g * fg + f]);
        beta = 1.f;
      }
      if (pointwise) {
        const auto b = matrix_view<const float>::unchecked(in_ng, {kg, pv}, {in.stride(1), 1});
        gemm_packed<Arch>(a, matrix_b_packer<NR>{b}, pv, c, 1.f, beta, ex, gemm_ws);
      } else {
        std::array<index_t, S> sstride{};
        for (int d = 0; d < S; ++d) sstride[d] = in.stride(d + 2);
        gemm_packed<Arch>(a, conv_b_packer<S, NR>{in_ng, in.stride(1), sstride, &s}, pv, c, 1.f,
                          beta, ex, gemm_ws);
      }
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
                  nchw_view<float> out, const conv2d_params& p = {},
                  executor& ex = default_executor()) {
  const auto s = make_conv_shape<2>(in.dim(0), in.dim(1), {in.dim(2), in.dim(3)}, w.dim(0),
                                    {w.dim(2), w.dim(3)}, p, "conv2d_dense");
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
                  ncdhw_view<float> out, const conv3d_params& p = {},
                  executor& ex = default_executor()) {
  const auto s = make_conv_shape<3>(in.dim(0), in.dim(1), {in.dim(2), in.dim(3), in.dim(4)},
                                    w.dim(0), {w.dim(2), w.dim(3), w.dim(4)}, p, "conv3d_dense");
  aligned_buffer<float> ws(conv_dense_workspace_size<Arch>(s, ex.concurrency()));
  conv3d_dense<Arch>(in, w, bias, out, p, ex, ws.data());
}

}  // namespace kernels::dense
SPK_END_NAMESPACE
