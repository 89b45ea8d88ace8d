// SPDX-License-Identifier: Apache-2.0
// One zoo layer made concrete: seeded input, weights and bias, output buffers, spk's dense
// kernel ready to call without allocation, the oneDNN baselines, and the reference check.
// Weight layouts: conv F x C/g x kernel (spk's), GEMM W K x N (y = x W), GEMV W N x K (y = W x,
// the row-major layout of an RNN's weight matrix, which is spk's GEMV fast path).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>

#include "common/check.hpp"
#include "common/onednn.hpp"
#include "spk/core/random.hpp"
#include "spk/kernels/dense/dense.hpp"
#include "zoo/zoo.hpp"

namespace spk_bench {

using spk::index_t;
namespace dense = spk::kernels::dense;

/// True for the layers oneDNN's Winograd covers: 2D 3x3, stride 1, no groups (zoo layers are
/// never dilated).
inline bool onednn_winograd_applicable(const zoo::layer& l) {
  if (l.op != zoo::op_kind::conv2d || l.groups != 1) return false;
  return l.kernel[1] == 3 && l.kernel[2] == 3 && l.stride[1] == 1 && l.stride[2] == 1;
}

class layer_problem {
 public:
  explicit layer_problem(const zoo::layer& l, std::uint64_t seed = 2080) : l_(l) {
    index_t nin, nw, nout;
    if (l.is_conv()) {
      const auto o = l.out();
      nin = l.batch * l.C * l.in[0] * l.in[1] * l.in[2];
      nw = l.F * (l.C / l.groups) * l.kernel[0] * l.kernel[1] * l.kernel[2];
      nout = l.batch * l.F * o[0] * o[1] * o[2];
    } else {
      nin = l.M * l.K, nw = l.K * l.N, nout = l.M * l.N;
    }
    input_ = spk::aligned_buffer<float>(nin);
    weights_ = spk::aligned_buffer<float>(nw);
    output_ = spk::aligned_buffer<float>(nout, std::numeric_limits<float>::quiet_NaN());
    spk::fill_uniform(input_.data(), nin, -1.f, 1.f, seed);
    // Unit-variance outputs: weights uniform in +-sqrt(3 / fan_in).
    const double fan_in = l.is_conv() ? double(nw) / double(l.F) : double(l.K);
    const float a = float(std::sqrt(3.0 / fan_in));
    spk::fill_uniform(weights_.data(), nw, -a, a, seed + 1);
    if (l.is_conv()) {
      bias_ = spk::aligned_buffer<float>(l.F);
      spk::fill_uniform(bias_.data(), l.F, -0.1f, 0.1f, seed + 2);
    }
  }

  const zoo::layer& layer() const { return l_; }
  const float* input() const { return input_.data(); }
  const float* weights() const { return weights_.data(); }
  index_t weight_count() const { return weights_.size(); }
  index_t input_size() const { return input_.size(); }
  /// F floats for convolutions, nullptr for GEMM/GEMV (no bias).
  const float* bias() const { return bias_.size() ? bias_.data() : nullptr; }
  index_t output_size() const { return output_.size(); }
  /// spk's output (NaN until a kernel ran).
  const float* output() const { return output_.data(); }

  /// Prepares spk's dense kernel on `ex` (workspace allocated here, once) and returns the call
  /// that computes output() from input() with `w` (weights in this problem's layout).
  std::function<void()> spk_dense(spk::executor& ex, const float* w = nullptr) {
    if (!w) w = weights_.data();
    const int threads = ex.concurrency();
    const zoo::layer& l = l_;
    float* in = input_.data();
    float* out = output_.data();
    if (l.op == zoo::op_kind::conv2d) {
      const auto s = l.conv2d_shape();
      ws_ = spk::aligned_buffer<float>(dense::conv_dense_workspace_size(s, threads));
      const auto vin = spk::make_nchw<const float>(in, l.batch, l.C, l.in[1], l.in[2]);
      const auto vw = spk::tensor_view<const float, 4>::contiguous(
          w, {l.F, l.C / l.groups, l.kernel[1], l.kernel[2]});
      const auto vout = spk::make_nchw<float>(out, l.batch, l.F, s.out[0], s.out[1]);
      return [vin, vw, vout, s, b = bias(), &ex, ws = ws_.data()] {
        dense::conv2d_dense(vin, vw, b, vout, s.params, ex, ws);
      };
    }
    if (l.op == zoo::op_kind::conv3d) {
      const auto s = l.conv3d_shape();
      ws_ = spk::aligned_buffer<float>(dense::conv_dense_workspace_size(s, threads));
      const auto vin = spk::make_ncdhw<const float>(in, l.batch, l.C, l.in[0], l.in[1], l.in[2]);
      const auto vw = spk::tensor_view<const float, 5>::contiguous(
          w, {l.F, l.C / l.groups, l.kernel[0], l.kernel[1], l.kernel[2]});
      const auto vout = spk::make_ncdhw<float>(out, l.batch, l.F, s.out[0], s.out[1], s.out[2]);
      return [vin, vw, vout, s, b = bias(), &ex, ws = ws_.data()] {
        dense::conv3d_dense(vin, vw, b, vout, s.params, ex, ws);
      };
    }
    // GEMM: y (M x N) = x (M x K) * W (K x N). GEMV: y (N x 1) = W (N x K) * x (K x 1).
    const bool gemv = l.op == zoo::op_kind::gemv;
    const auto a = gemv ? spk::make_matrix<const float>(w, l.N, l.K)
                        : spk::make_matrix<const float>(in, l.M, l.K);
    const auto b = gemv ? spk::make_matrix<const float>(in, l.K, 1)
                        : spk::make_matrix<const float>(w, l.K, l.N);
    const auto c =
        gemv ? spk::make_matrix<float>(out, l.N, 1) : spk::make_matrix<float>(out, l.M, l.N);
    ws_ = spk::aligned_buffer<float>(
        dense::gemm_dense_workspace_size(a.dim(0), b.dim(1), a.dim(1), threads));
    return [a, b, c, &ex, ws = ws_.data()] { dense::gemm_dense(a, b, c, 1.f, 0.f, ex, ws); };
  }

  /// oneDNN's default choice (convolution_auto: direct brgconv here; matmul for GEMM/GEMV),
  /// weights pre-packed and input loaded.
  std::unique_ptr<onednn_primitive> onednn_direct() const {
    std::unique_ptr<onednn_primitive> p;
    if (l_.op == zoo::op_kind::conv2d)
      p = onednn_conv<2>::create(l_.conv2d_shape(), dnnl::algorithm::convolution_auto, weights(),
                                 bias());
    else if (l_.op == zoo::op_kind::conv3d)
      p = onednn_conv<3>::create(l_.conv3d_shape(), dnnl::algorithm::convolution_auto, weights(),
                                 bias());
    else
      p = onednn_matmul::create(l_.M, l_.N, l_.K, weights(),
                                /*w_is_n_by_k=*/l_.op == zoo::op_kind::gemv);
    if (p) p->set_input(input());
    return p;
  }

  bool winograd_applicable() const { return onednn_winograd_applicable(l_); }
  /// oneDNN Winograd (F(2x2,3x3) here), or nullptr where not applicable or not implemented.
  std::unique_ptr<onednn_primitive> onednn_winograd() const {
    if (!winograd_applicable()) return nullptr;
    auto p = onednn_conv<2>::create(l_.conv2d_shape(), dnnl::algorithm::convolution_winograd,
                                    weights(), bias());
    if (p) p->set_input(input());
    return p;
  }

  /// Reference values for a subset of outputs (all when cheap) computed with weights `w`
  /// (default: the dense weights); compare any kernel's plain output against it.
  reference_check make_check(const float* w = nullptr, double budget_flops = 4e8) const {
    return reference_check(l_, input(), w ? w : weights(), bias(), budget_flops);
  }

 private:
  zoo::layer l_;
  spk::aligned_buffer<float> input_, weights_, bias_, output_, ws_;
};

/// The most recently used problem. Google Benchmark calls a benchmark function several times
/// (iteration-count search) and the variants of one layer are registered side by side, so one
/// cached problem avoids rebuilding the data per call while keeping a single layer in memory.
inline layer_problem& cached_problem(const zoo::layer& l) {
  static std::unique_ptr<layer_problem> p;
  if (!p || p->layer().full_name() != l.full_name()) {
    p.reset();  // free the previous layer's buffers first
    p = std::make_unique<layer_problem>(l);
  }
  return *p;
}

}  // namespace spk_bench
