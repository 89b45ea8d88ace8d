// SPDX-License-Identifier: Apache-2.0
// Shape classes of each kernel's problems: the features a tune table row is keyed by. Kernel
// extents and strides are categorical; channel, filter, plane and token counts are half-octave
// buckets (log_bucket), so 56 and 64 channels differ but VGG's 512-channel layers share a class.
#pragma once

#include <algorithm>

#include "spk/core/conv_shape.hpp"
#include "spk/tune/table.hpp"

SPK_BEGIN_NAMESPACE
namespace tune {

/// conv2d_fkw: kh, kw, s (row stride), c, f, h, w (output rows / columns).
inline shape_class fkw_class(const conv2d_shape& s) {
  shape_class c;
  c.add("kh", int(s.kernel[0])).add("kw", int(s.kernel[1])).add("s", int(s.params.stride[0]));
  c.add("c", log_bucket(double(s.in_channels))).add("f", log_bucket(double(s.out_channels)));
  c.add("h", log_bucket(double(s.out[0]))).add("w", log_bucket(double(s.out[1])));
  return c;
}

/// The kernel-group engine (2D and 3D): kd, kh, kw, s (largest stride), c, f, o (output volume).
template <int S>
shape_class kgs_class(const conv_shape<S>& s) {
  shape_class c;
  index_t st = 1, vol = 1;
  for (int d = 0; d < S; ++d) st = std::max(st, s.params.stride[d]), vol *= s.out[d];
  c.add("kd", S == 3 ? int(s.kernel[0]) : 1)
      .add("kh", int(s.kernel[S - 2]))
      .add("kw", int(s.kernel[S - 1]));
  c.add("s", int(st))
      .add("c", log_bucket(double(s.in_channels)))
      .add("f", log_bucket(double(s.out_channels)));
  c.add("o", log_bucket(double(vol)));
  return c;
}

/// SpMM / SpMV / GEMM: m (tokens), n (output features), k (input features).
inline shape_class matmul_class(index_t m, index_t n, index_t k) {
  shape_class c;
  c.add("m", log_bucket(double(m))).add("n", log_bucket(double(n))).add("k", log_bucket(double(k)));
  return c;
}

}  // namespace tune
SPK_END_NAMESPACE
