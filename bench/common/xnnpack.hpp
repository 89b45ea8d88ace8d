// SPDX-License-Identifier: Apache-2.0
// XNNPACK's sparse NCHW 1x1 convolution (xnn_create_convolution2d_nchw_f32, which runs its SpMM
// micro-kernels on the zeros of the weights it is given) as a baseline for spk's sparse 1x1
// kernels on the same pruned weights. Built only where the bench found XNNPACK
// (SPK_BENCH_HAVE_XNNPACK); Debian 12's XNNPACK (git 2022-02) has SSE SpMM kernels only on x86.
#pragma once

#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#ifdef SPK_BENCH_HAVE_XNNPACK
#include <pthreadpool.h>
#include <xnnpack.h>
#endif

#include "spk/core/config.hpp"

namespace spk_bench {

#ifdef SPK_BENCH_HAVE_XNNPACK
inline constexpr bool have_xnnpack = true;

/// A prepared XNNPACK NCHW 1x1 stride-1 convolution: out[F][HW] = W[F][C] in[C][HW] + bias.
/// The operator packs W's non-zeros at creation; run() only computes.
class xnnpack_sparse_1x1 {
 public:
  /// threads 1 runs on the caller's thread (no pool).
  xnnpack_sparse_1x1(spk::index_t C, spk::index_t F, spk::index_t H, spk::index_t W,
                     const float* weights, const float* bias, const float* in, float* out,
                     int threads) {
    static const bool initialised = xnn_initialize(nullptr) == xnn_status_success;
    if (!initialised) throw std::runtime_error("xnn_initialize failed");
    if (threads > 1) pool_.reset(pthreadpool_create(size_t(threads)));
    xnn_operator_t op = nullptr;
    const xnn_status st = xnn_create_convolution2d_nchw_f32(
        0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, size_t(C), size_t(F), size_t(C), size_t(F), weights, bias,
        -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(), 0, &op);
    if (st != xnn_status_success)
      throw std::runtime_error("xnn_create_convolution2d_nchw_f32: status " + std::to_string(st));
    op_.reset(op);
    if (xnn_setup_convolution2d_nchw_f32(op, 1, size_t(H), size_t(W), in, out, pool_.get()) !=
        xnn_status_success)
      throw std::runtime_error("xnn_setup_convolution2d_nchw_f32 failed");
  }
  void run() {
    if (xnn_run_operator(op_.get(), pool_.get()) != xnn_status_success)
      throw std::runtime_error("xnn_run_operator failed");
  }

 private:
  struct op_deleter {
    void operator()(xnn_operator_t o) const { xnn_delete_operator(o); }
  };
  struct pool_deleter {
    void operator()(pthreadpool_t p) const { pthreadpool_destroy(p); }
  };
  std::unique_ptr<std::remove_pointer_t<pthreadpool_t>, pool_deleter> pool_;
  std::unique_ptr<std::remove_pointer_t<xnn_operator_t>, op_deleter> op_;
};
#else
inline constexpr bool have_xnnpack = false;
#endif

}  // namespace spk_bench
