// SPDX-License-Identifier: Apache-2.0
// Correctness check of a kernel's output against spk's dense reference. The reference runs in
// double on one core at a few GFLOP/s, so big layers check an evenly spread subset of output
// channels (always the first and last: they sit in the first and the remainder tile) computed
// from the matching slice of the weights; error = max|out - ref| / max|ref| over those elements.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "spk/core/buffer.hpp"
#include "spk/kernels/dense/reference.hpp"
#include "zoo/zoo.hpp"

namespace spk_bench {

class reference_check {
 public:
  /// Computes reference outputs for `layer` with the given input/weights/bias (layouts as in
  /// layer_problem), limiting the reference work to about budget_flops (at least 2 channels).
  reference_check(const zoo::layer& l, const float* input, const float* weights, const float* bias,
                  double budget_flops) {
    using spk::index_t;
    // Output "channels": conv filters, GEMM columns of W (K x N), GEMV rows of W (N x K).
    const index_t channels = l.is_conv() ? l.F : l.N;
    const double per_channel = l.dense_flops() / double(channels);
    index_t k =
        std::min<index_t>(channels, std::max<index_t>(2, index_t(budget_flops / per_channel)));
    if (l.groups != 1) k = channels;  // a slice must keep whole groups; no grouped zoo layer is big
    for (index_t j = 0; j < k; ++j) chan_.push_back(k == 1 ? 0 : j * (channels - 1) / (k - 1));
    total_ = l.is_conv() ? l.batch * channels * volume(l.out()) : l.M * l.N;
    if (l.is_conv())
      conv(l, input, weights, bias);
    else
      gemm(l, input, weights);
  }

  /// max|out - ref| / max|ref| over the checked elements of `out` (a plain output of the
  /// layer); +inf if any checked element is not finite.
  double max_rel_err(const float* out) const {
    double err = 0, mag = 0;
    for (std::size_t i = 0; i < idx_.size(); ++i) {
      const double o = out[idx_[i]];
      if (!std::isfinite(o)) return std::numeric_limits<double>::infinity();
      err = std::max(err, std::abs(o - double(ref_[i])));
      mag = std::max(mag, std::abs(double(ref_[i])));
    }
    return mag > 0 ? err / mag : err;
  }
  /// Output elements checked / in total.
  spk::index_t checked() const { return spk::index_t(idx_.size()); }
  spk::index_t total() const { return total_; }

 private:
  static spk::index_t volume(const zoo::dims3& d) { return d[0] * d[1] * d[2]; }

  void conv(const zoo::layer& l, const float* input, const float* weights, const float* bias) {
    using spk::index_t;
    const index_t k = index_t(chan_.size()), fw = (l.C / l.groups) * volume(l.kernel);
    const zoo::dims3 o = l.out();
    const index_t ov = volume(o);
    spk::aligned_buffer<float> w(k * fw), b(k), r(l.batch * k * ov);
    for (index_t j = 0; j < k; ++j) {
      std::copy(weights + chan_[j] * fw, weights + (chan_[j] + 1) * fw, w.data() + j * fw);
      b[j] = bias ? bias[chan_[j]] : 0.f;
    }
    namespace d = spk::kernels::dense;
    if (l.op == zoo::op_kind::conv2d) {
      const auto s = l.conv2d_shape();
      d::conv2d_reference(spk::make_nchw<const float>(input, l.batch, l.C, l.in[1], l.in[2]),
                          spk::tensor_view<const float, 4>::contiguous(
                              w.data(), {k, l.C / l.groups, l.kernel[1], l.kernel[2]}),
                          b.data(), spk::make_nchw<float>(r.data(), l.batch, k, o[1], o[2]),
                          s.params);
    } else {
      const auto s = l.conv3d_shape();
      d::conv3d_reference(
          spk::make_ncdhw<const float>(input, l.batch, l.C, l.in[0], l.in[1], l.in[2]),
          spk::tensor_view<const float, 5>::contiguous(
              w.data(), {k, l.C / l.groups, l.kernel[0], l.kernel[1], l.kernel[2]}),
          b.data(), spk::make_ncdhw<float>(r.data(), l.batch, k, o[0], o[1], o[2]), s.params);
    }
    for (index_t n = 0; n < l.batch; ++n)
      for (index_t j = 0; j < k; ++j)
        for (index_t p = 0; p < ov; ++p) {
          idx_.push_back((n * l.F + chan_[j]) * ov + p);
          ref_.push_back(r[(n * k + j) * ov + p]);
        }
  }

  void gemm(const zoo::layer& l, const float* input, const float* weights) {
    using spk::index_t;
    const index_t k = index_t(chan_.size());
    // The W slice as a K x k matrix, gathered from W (K x N) or from the rows of W (N x K).
    spk::aligned_buffer<float> w(l.K * k), r(l.M * k);
    const bool gemv = l.op == zoo::op_kind::gemv;
    for (index_t kk = 0; kk < l.K; ++kk)
      for (index_t j = 0; j < k; ++j)
        w[kk * k + j] = gemv ? weights[chan_[j] * l.K + kk] : weights[kk * l.N + chan_[j]];
    spk::kernels::dense::gemm_reference(spk::make_matrix<const float>(input, l.M, l.K),
                                        spk::make_matrix<const float>(w.data(), l.K, k),
                                        spk::make_matrix<float>(r.data(), l.M, k));
    for (index_t m = 0; m < l.M; ++m)
      for (index_t j = 0; j < k; ++j) {
        idx_.push_back(m * l.N + chan_[j]);
        ref_.push_back(r[m * k + j]);
      }
  }

  std::vector<spk::index_t> chan_, idx_;
  std::vector<float> ref_;
  spk::index_t total_ = 0;
};

}  // namespace spk_bench
