// SPDX-License-Identifier: Apache-2.0
// Numerically stable element-wise pieces of the reference layers: row-wise LayerNorm (two-pass
// mean/variance in double), softmax (max subtracted before exp), GELU (exact erf form),
// sigmoid and tanh (saturating: no overflow for any finite input).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "spk/core/tensor.hpp"
#include "spk/kernels/spmm/epilogue.hpp"

SPK_BEGIN_NAMESPACE
namespace layers {

using kernels::spmm::gelu;

/// 1 / (1 + e^-x), evaluated on the side where exp cannot overflow.
inline float sigmoid(float x) noexcept {
  if (x >= 0) return 1.f / (1.f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.f + e);
}

/// Rows of x (M x N, in place) normalised to zero mean, unit variance, then * gamma + beta
/// (N values each; nullptr = 1 / 0). Mean and variance in double over the row, two passes.
inline void layer_norm(matrix_view<float> x, const float* gamma, const float* beta,
                       float eps = 1e-5f) {
  require(eps > 0.f, "layer_norm", "eps", eps, "> 0");
  const index_t n = x.dim(1);
  for (index_t i = 0; i < x.dim(0); ++i) {
    double mean = 0, var = 0;
    for (index_t j = 0; j < n; ++j) mean += x(i, j);
    mean /= double(std::max<index_t>(n, 1));
    for (index_t j = 0; j < n; ++j) var += (x(i, j) - mean) * (x(i, j) - mean);
    var /= double(std::max<index_t>(n, 1));
    const double inv = 1.0 / std::sqrt(var + double(eps));
    for (index_t j = 0; j < n; ++j) {
      const double v = (x(i, j) - mean) * inv;
      x(i, j) = float(v * (gamma ? gamma[j] : 1.f) + (beta ? beta[j] : 0.f));
    }
  }
}

/// In-place softmax of each row of x. Entries equal to -inf are masked (weight 0); a row that
/// is entirely -inf becomes all zeros rather than NaN.
inline void softmax_rows(matrix_view<float> x) {
  for (index_t i = 0; i < x.dim(0); ++i) {
    float mx = -INFINITY;
    for (index_t j = 0; j < x.dim(1); ++j) mx = std::max(mx, x(i, j));
    if (mx == -INFINITY) {
      for (index_t j = 0; j < x.dim(1); ++j) x(i, j) = 0.f;
      continue;
    }
    double sum = 0;
    for (index_t j = 0; j < x.dim(1); ++j) {
      const float e = std::exp(x(i, j) - mx);
      x(i, j) = e, sum += e;
    }
    const float inv = float(1.0 / sum);
    for (index_t j = 0; j < x.dim(1); ++j) x(i, j) *= inv;
  }
}

}  // namespace layers
SPK_END_NAMESPACE
