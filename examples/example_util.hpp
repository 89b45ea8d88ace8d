// SPDX-License-Identifier: Apache-2.0
// Helpers the whole-network examples share: best-of-N wall-clock timing, the VGG-16 conv stack
// (configuration D) and the 2x2 max-pool between its stages.
#pragma once

#include <algorithm>
#include <chrono>

#include "spk/core/tensor.hpp"

namespace spk_example {

using spk::index_t;

/// Best of `reps` timed calls of fn, in ms; `warmup` adds one untimed call first.
template <class F>
double best_ms(F&& fn, int reps = 3, bool warmup = false) {
  if (warmup) fn();
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    best = std::min(
        best,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

/// max |got - want| / max |want| over n values (max |got - want| when want is all zero).
inline double max_rel_diff(const float* got, const float* want, index_t n) {
  double err = 0, mag = 0;
  for (index_t i = 0; i < n; ++i) {
    err = std::max(err, double(got[i] > want[i] ? got[i] - want[i] : want[i] - got[i]));
    mag = std::max(mag, double(want[i] < 0 ? -want[i] : want[i]));
  }
  return mag > 0 ? err / mag : err;
}

struct vgg_conv_layer {
  const char* name;
  index_t c, f;
  bool pool_after;
};

/// VGG-16 conv layers, 3x3 pad 1 (Simonyan & Zisserman 2015, configuration D).
inline constexpr vgg_conv_layer vgg16[] = {
    {"conv1_1", 3, 64, false},   {"conv1_2", 64, 64, true},    {"conv2_1", 64, 128, false},
    {"conv2_2", 128, 128, true}, {"conv3_1", 128, 256, false}, {"conv3_2", 256, 256, false},
    {"conv3_3", 256, 256, true}, {"conv4_1", 256, 512, false}, {"conv4_2", 512, 512, false},
    {"conv4_3", 512, 512, true}, {"conv5_1", 512, 512, false}, {"conv5_2", 512, 512, false},
    {"conv5_3", 512, 512, true},
};

/// 2x2 stride-2 max-pool of a batch-1 NCHW tensor with even H and W.
inline spk::tensor<float, 4> maxpool2(const spk::tensor<float, 4>& x) {
  const index_t c = x.dim(1), h = x.dim(2) / 2, w = x.dim(3) / 2;
  spk::tensor<float, 4> y({1, c, h, w});
  auto xv = x.view();
  auto yv = y.view();
  for (index_t ch = 0; ch < c; ++ch)
    for (index_t i = 0; i < h; ++i)
      for (index_t j = 0; j < w; ++j)
        yv(0, ch, i, j) =
            std::max(std::max(xv(0, ch, 2 * i, 2 * j), xv(0, ch, 2 * i, 2 * j + 1)),
                     std::max(xv(0, ch, 2 * i + 1, 2 * j), xv(0, ch, 2 * i + 1, 2 * j + 1)));
  return y;
}

}  // namespace spk_example
