// SPDX-License-Identifier: Apache-2.0
// Block-punched sparse convolution (YOLObile), NCHW, any kernel size: conv2d_punched and the
// FC form linear_punched. Both run the kernel-group engine of kernels/kgs in 2D: the bf filters
// of a block share every input vector load (bf FMAs per load), a 1x1 stride-1 conv reads its
// input in place (an SpMM), and bias + activation are fused into the store.
#pragma once

#include "spk/core/buffer.hpp"
#include "spk/format/punched.hpp"
#include "spk/kernels/activation.hpp"
#include "spk/kernels/kgs/conv.hpp"
#include "spk/tune/params.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::punched {

/// Floats of workspace conv2d_punched needs for weights `w` on problem `s` (packed input or,
/// for 1x1 stride-1 convs, one tile's tail copy; tap offsets; partial sums when the weights
/// outgrow L2). Independent of the thread count.
template <class Arch = default_arch>
index_t conv2d_punched_workspace_size(const format::punched& w, const conv2d_shape& s) {
  return kgs::detail::workspace_floats<Arch, 2>(w, s);
}

/// out = act(conv2d(in, w) + bias), NCHW. bias: F floats or nullptr. Any kernel size, stride,
/// asymmetric padding and dilation; groups = 1. Output spatial dims dense (batch and channel
/// strides free: writing into a concat's channel slice is fine). Threads over filter blocks.
/// `workspace`: conv2d_punched_workspace_size floats, 64-byte aligned, not shared between
/// concurrent calls. `prm`: cache budgets, loop order and work split (std::nullopt: the active
/// tune table's row of kernel conv2d_punched; linear_punched looks up the same kernel).
template <class Arch = default_arch>
void conv2d_punched(const format::punched& w, nchw_view<const float> in, const float* bias,
                    nchw_view<float> out, const conv2d_params& p, const activation& act,
                    executor& ex, float* workspace,
                    const std::optional<tune::kgs_params>& prm = std::nullopt) {
  kgs::detail::conv_kgs_tuned<Arch, 2>(w, in, bias, out, p, act, ex, workspace, "conv2d_punched",
                                       prm);
}

/// Convenience overload that allocates the workspace.
template <class Arch = default_arch>
void conv2d_punched(const format::punched& w, nchw_view<const float> in, const float* bias,
                    nchw_view<float> out, const conv2d_params& p = {}, const activation& act = {},
                    executor& ex = default_executor(),
                    const std::optional<tune::kgs_params>& prm = std::nullopt) {
  const conv2d_shape s =
      check_conv_activations<2>(in, w.filters(), w.kernel(), out, p, "conv2d_punched");
  aligned_buffer<float> ws(conv2d_punched_workspace_size<Arch>(w, s));
  conv2d_punched<Arch>(w, in, bias, out, p, act, ex, ws.data(), prm);
}

/// conv2d_punched prepared for problem `s`: weights, activation and params fixed at
/// construction, run(in, bias, out, ex, workspace) per call with workspace_size() floats. The
/// plan points at `w`, which must outlive it; params come from `prm` or the tune table active
/// at construction. For layers run many times, where the per-call checks, tune lookup and
/// offsets are a visible share (small sparse 1x1 layers).
template <class Arch = default_arch>
class conv2d_punched_plan : public kgs::detail::conv_plan<Arch, 2> {
 public:
  conv2d_punched_plan(const format::punched& w, const conv2d_shape& s, const activation& act = {},
                      const std::optional<tune::kgs_params>& prm = std::nullopt)
      : kgs::detail::conv_plan<Arch, 2>(w, s, act, prm, "conv2d_punched") {}
};

namespace detail {
/// x^T (C x M, unit column stride) as a 1 x C x 1 x M image: the FC layer is a 1x1 conv over
/// an M-long row of tokens, so tokens are the vector dimension.
template <class T>
nchw_view<T> as_token_row(const matrix_view<T>& m, const char* where, const char* arg) {
  require(
      m.dim(1) == 1 || m.stride(1) == 1, where, arg,
      [&] { return "column stride " + std::to_string(m.stride(1)); },
      "unit column stride (tokens contiguous)", errc::unsupported);
  return nchw_view<T>(m.data(), {1, m.dim(0), 1, m.dim(1)},
                      {m.dim(0) * m.stride(0), m.stride(0), m.dim(1), 1});
}
inline void check_linear(const format::punched& w, const char* where) {
  require(
      w.kernel()[0] == 1 && w.kernel()[1] == 1, where, "weights",
      [&] {
        return std::to_string(w.kernel()[0]) + "x" + std::to_string(w.kernel()[1]) + " kernel";
      },
      "a 1x1 (FC) block-punched format", errc::shape_mismatch);
}
}  // namespace detail

/// Floats of workspace linear_punched needs for M tokens.
template <class Arch = default_arch>
index_t linear_punched_workspace_size(const format::punched& w, index_t tokens) {
  return conv2d_punched_workspace_size<Arch>(
      w, make_conv_shape<2>(1, w.channels(), {1, tokens}, w.filters(), {1, 1}, conv2d_params{},
                            "linear_punched"));
}

/// FC layer on block-punched weights F x C (a 1x1 format): y^T = act(W x^T + bias), with
/// x^T C x M and y^T F x M (feature-major, tokens contiguous: the layout that lets one input
/// vector feed the block's bf filters). bias: F floats or nullptr.
template <class Arch = default_arch>
void linear_punched(const format::punched& w, matrix_view<const float> xt, const float* bias,
                    matrix_view<float> yt, const activation& act, executor& ex, float* workspace,
                    const std::optional<tune::kgs_params>& prm = std::nullopt) {
  const char* where = "linear_punched";
  detail::check_linear(w, where);
  conv2d_punched<Arch>(w, detail::as_token_row(xt, where, "xt"), bias,
                       detail::as_token_row(yt, where, "yt"), conv2d_params{}, act, ex, workspace,
                       prm);
}

/// Convenience overload that allocates the workspace.
template <class Arch = default_arch>
void linear_punched(const format::punched& w, matrix_view<const float> xt, const float* bias,
                    matrix_view<float> yt, const activation& act = {},
                    executor& ex = default_executor(),
                    const std::optional<tune::kgs_params>& prm = std::nullopt) {
  detail::check_linear(w, "linear_punched");
  aligned_buffer<float> ws(linear_punched_workspace_size<Arch>(w, xt.dim(1)));
  linear_punched<Arch>(w, xt, bias, yt, act, ex, ws.data(), prm);
}

}  // namespace kernels::punched
SPK_END_NAMESPACE
