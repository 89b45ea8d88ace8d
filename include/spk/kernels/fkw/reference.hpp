// SPDX-License-Identifier: Apache-2.0
// Reference conv2d on an FKW layer: plain loops over stored filters, runs and kernel slots,
// accumulating in double. The oracle of the optimised FKW kernel beside the dense reference.
#pragma once

#include <algorithm>
#include <vector>

#include "spk/core/conv_shape.hpp"
#include "spk/format/fkw.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::fkw {

namespace detail {
/// Validates a conv2d call on FKW weights and returns its shape: input N x C x H x W, weights
/// filters x channels (groups must be 1), output N x F x OH x OW, non-null data.
inline conv2d_shape check_conv2d_fkw(const nchw_view<const float>& in, const format::fkw& w,
                                     const nchw_view<float>& out, const conv2d_params& p,
                                     const char* where) {
  require(p.groups == 1, where, "groups", p.groups, "1 (FKW layers are not grouped)",
          errc::unsupported);
  if (in.dim(1) != w.channels())
    raise_arg(errc::shape_mismatch, where, "input", in.dim(1),
              "channels == the fkw's channels (" + std::to_string(w.channels()) + ")");
  require(w.filters() >= 1, where, "weights.filters()", w.filters(), ">= 1");
  const conv2d_shape s = make_conv_shape<2>(in.dim(0), in.dim(1), {in.dim(2), in.dim(3)},
                                            w.filters(), {w.kh(), w.kw()}, p, where);
  require_dims(out, {s.batch, s.out_channels, s.out[0], s.out[1]}, where, "output");
  require(in.data() != nullptr, where, "input", "nullptr", "a non-null data pointer");
  require(out.data() != nullptr, where, "output", "nullptr", "a non-null data pointer");
  return s;
}
}  // namespace detail

/// Reference conv2d with FKW weights: out[n][f] = bias[f] + sum over f's kept kernels (c, p)
/// and p's positions (r, s) of w * in[n][c][y*sh - pt + r*dh][x*sw - pl + s*dw] (zero outside),
/// then max(0, .) when relu. Any stride, padding, dilation; groups must be 1. bias: F values or
/// nullptr. Raises shape_mismatch / invalid_argument / unsupported naming the argument.
inline void conv2d_fkw_reference(nchw_view<const float> in, const format::fkw& w, const float* bias,
                                 nchw_view<float> out, const conv2d_params& p = {},
                                 bool relu = false) {
  const conv2d_shape s = detail::check_conv2d_fkw(in, w, out, p, "conv2d_fkw_reference");
  const index_t nz = w.library().nnz(), kw = w.kw();
  std::vector<double> acc(static_cast<std::size_t>(s.out[0] * s.out[1]));
  for (index_t n = 0; n < s.batch; ++n)
    for (index_t i = 0; i < w.filters(); ++i) {
      const index_t f = w.reorder()[std::size_t(i)];
      std::fill(acc.begin(), acc.end(), bias ? double(bias[f]) : 0.0);
      w.for_each_run(i, [&](index_t pid, index_t b, index_t e) {
        const auto pos = sparsity::pattern_positions(w.library()[pid]);
        for (index_t k = b; k < e; ++k)
          for (index_t j = 0; j < nz; ++j) {
            const index_t c = w.index()[std::size_t(k)], r = pos[std::size_t(j)] / kw,
                          t = pos[std::size_t(j)] % kw;
            const double wv = w.weight()[std::size_t(k * nz + j)];
            for (index_t y = 0; y < s.out[0]; ++y) {
              const index_t iy = y * p.stride[0] - p.pad_begin[0] + r * p.dilation[0];
              if (iy < 0 || iy >= s.in[0]) continue;
              for (index_t x = 0; x < s.out[1]; ++x) {
                const index_t ix = x * p.stride[1] - p.pad_begin[1] + t * p.dilation[1];
                if (ix >= 0 && ix < s.in[1])
                  acc[std::size_t(y * s.out[1] + x)] += wv * double(in(n, c, iy, ix));
              }
            }
          }
      });
      for (index_t y = 0; y < s.out[0]; ++y)
        for (index_t x = 0; x < s.out[1]; ++x) {
          const double v = acc[std::size_t(y * s.out[1] + x)];
          out(n, f, y, x) = static_cast<float>(relu && v < 0 ? 0.0 : v);
        }
    }
}

}  // namespace kernels::fkw
SPK_END_NAMESPACE
