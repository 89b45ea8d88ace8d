// SPDX-License-Identifier: Apache-2.0
// Per-layer prune ratios for the block-punched YOLOv4 rows, shaped like YOLObile's prune
// configs (research/papers.md §7.1: first conv dense, early layers 0.4-0.8, deep layers
// 0.85-0.96). The official yaml files were not available, so the ratio is a function of the
// layer's input plane (a proxy for depth) calibrated so that the weights of the zoo's YOLOv4
// layers compress 8.1x ("8x") and 13.9x ("14x") overall; yolov4_compression() recomputes it.
#pragma once

#include <string>

#include "zoo/zoo.hpp"

namespace spk_bench::zoo {

/// The two YOLObile operating points.
enum class yolobile_point { x8, x14 };

inline const char* to_string(yolobile_point p) {
  return p == yolobile_point::x8 ? "yolobile_8x" : "yolobile_14x";
}

/// Fraction of the layer's weights pruned at point `p` (0 = dense).
inline double yolobile_prune_ratio(const layer& l, yolobile_point p) {
  const bool x8 = p == yolobile_point::x8;
  if (std::string(l.name) == "conv_0") return 0.0;  // the stem stays dense
  if (l.F == 255) return x8 ? 0.80 : 0.85;          // detection heads
  const index_t plane = l.in[1];
  if (plane >= 160) return x8 ? 0.40 : 0.60;
  if (plane >= 80) return x8 ? 0.60 : 0.75;
  if (plane >= 40) return x8 ? 0.80 : 0.88;
  if (plane >= 20) return x8 ? 0.88 : 0.93;
  return x8 ? 0.91 : 0.95;
}

/// Overall weight compression (dense weights / kept weights) over the zoo's YOLOv4 layers.
inline double yolov4_compression(yolobile_point p) {
  double all = 0, kept = 0;
  for (const layer& l : model_layers("yolov4")) {
    const double w = double(l.F) * double(l.C) * double(l.kernel[1] * l.kernel[2]);
    all += w, kept += w * (1.0 - yolobile_prune_ratio(l, p));
  }
  return all / kept;
}

}  // namespace spk_bench::zoo
