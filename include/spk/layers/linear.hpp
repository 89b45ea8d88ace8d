// SPDX-License-Identifier: Apache-2.0
// layers::linear: torch.nn.Linear (y = x W^T + b) over a dense or sparse weight, with the
// kernels' fused activation / residual epilogue.
#pragma once

#include <vector>

#include "spk/layers/weight.hpp"

SPK_BEGIN_NAMESPACE
namespace layers {

class linear {
 public:
  /// W: out x in (dense or a format); bias: `out` values or empty.
  linear(weight w, std::vector<float> bias = {}) : w_(std::move(w)), b_(std::move(bias)) {
    require(b_.empty() || index_t(b_.size()) == w_.rows(), "linear", "bias.size", b_.size(),
            "0 or out_features (" + std::to_string(w_.rows()) + ")", errc::shape_mismatch);
  }
  index_t in_features() const { return w_.cols(); }
  index_t out_features() const { return w_.rows(); }
  const weight& w() const noexcept { return w_; }
  const float* bias() const noexcept { return b_.empty() ? nullptr : b_.data(); }

  /// y (M x out) = act(x W^T + b) (+ residual, M x out with leading dimension ldr).
  void forward(matrix_view<const float> x, matrix_view<float> y, activation act = activation::none,
               const float* residual = nullptr, index_t ldr = 0,
               executor& ex = default_executor()) const {
    epilogue e;
    e.bias = bias(), e.act = act, e.residual = residual,
    e.ldr = residual ? (ldr ? ldr : out_features()) : 0;
    w_.matmul(x, y, e, ex);
  }

 private:
  weight w_;
  std::vector<float> b_;
};

}  // namespace layers
SPK_END_NAMESPACE
