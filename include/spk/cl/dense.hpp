// SPDX-License-Identifier: Apache-2.0
// OpenCL dense convolution as GEMM (kernels_cl/im2col.cl): im2col / vol2col on the device, the
// bias + activation epilogue, and the conv-as-GEMM driver that calls any GEMM enqueuer (CLBlast's
// in spk/cl/clblast.hpp). Layouts match spk::kernels::dense (NCHW / NCDHW, F x C/g x kernel).
#pragma once

#include <array>
#include <cstddef>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "spk/cl/codegen.hpp"
#include "spk/cl/kernels_generated.hpp"
#include "spk/cl/memory.hpp"
#include "spk/cl/runtime.hpp"
#include "spk/core/config.hpp"
#include "spk/core/conv_shape.hpp"
#include "spk/core/error.hpp"
#include "spk/core/tensor.hpp"
#include "spk/kernels/activation.hpp"

SPK_BEGIN_NAMESPACE
namespace cl {

/// Work-items per group along the output columns: fixed, so PoCL compiles one work-group
/// function per program instead of one per layer size (pitfall P7).
inline constexpr std::size_t im2col_local_size = 64;

/// Column-matrix floats of a conv problem: C * prod(kernel) rows x N * prod(out) columns
/// (all groups and all images at once).
template <int S>
std::size_t im2col_elements(const conv_shape<S>& s) {
  return std::size_t(checked_mul(checked_mul(s.in_channels, s.kernel_volume(), "im2col rows"),
                                 checked_mul(s.batch, s.out_volume(), "im2col cols"),
                                 "im2col workspace"));
}

/// Workspace floats of conv_dense: the column matrix, plus an F x N * prod(out) GEMM result
/// when batch > 1 (the epilogue then reorders it to N x F x out; with batch 1 the GEMM writes
/// the output directly).
template <int S>
std::size_t conv_dense_workspace_elements(const conv_shape<S>& s) {
  std::size_t n = im2col_elements(s);
  if (s.batch > 1)
    n += std::size_t(
        checked_mul(s.out_channels, checked_mul(s.batch, s.out_volume(), "cols"), "gemm result"));
  return n;
}

/// Per-stage device seconds of one dense conv run.
struct dense_conv_times {
  double im2col_s = 0;    ///< the lowering kernel
  double gemm_s = 0;      ///< end of im2col to end of the last GEMM: every GEMM kernel
                          ///< (CLBlast's pad/transpose helpers too) and the gaps between them
  double epilogue_s = 0;  ///< bias/activation/reorder (0 when it was skipped)
  double total_s() const noexcept { return im2col_s + gemm_s + epilogue_s; }
};

/// The events of one dense conv run, enqueued in this order on ctx.queue() (in-order).
struct dense_conv_events {
  ::cl::Event im2col;    ///< the lowering
  ::cl::Event gemm;      ///< the GEMM's last event (of the last group)
  ::cl::Event epilogue;  ///< null when skipped (batch 1, no bias, no activation)
  /// The event to wait on for the output.
  const ::cl::Event& last() const noexcept { return epilogue() ? epilogue : gemm; }
  /// Waits for the run, then reads the profiling timestamps.
  dense_conv_times times() const {
    dense_conv_times t;
    detail::translate("reading dense conv profiling info", [&] {
      last().wait();
      t.im2col_s = event_seconds(im2col);
      const cl_ulong lowered = im2col.getProfilingInfo<CL_PROFILING_COMMAND_END>();
      const cl_ulong gemm_end = gemm.getProfilingInfo<CL_PROFILING_COMMAND_END>();
      t.gemm_s = gemm_end > lowered ? double(gemm_end - lowered) * 1e-9 : 0.0;
      if (epilogue()) t.epilogue_s = event_seconds(epilogue);
    });
    return t;
  }
};

namespace detail {

/// The shape as the 3D geometry defines of im2col.cl (2D: depth 1, stride 1, no padding).
template <int S>
define_list im2col_defines(const conv_shape<S>& s) {
  static_assert(S == 2 || S == 3, "2D or 3D convolution");
  constexpr int lead = 3 - S;  // depth dim missing in 2D
  std::array<index_t, 3> in{1, 1, 1}, out{1, 1, 1}, k{1, 1, 1}, st{1, 1, 1}, pad{0, 0, 0},
      dil{1, 1, 1};
  for (int d = 0; d < S; ++d) {
    in[d + lead] = s.in[d], out[d + lead] = s.out[d], k[d + lead] = s.kernel[d];
    st[d + lead] = s.params.stride[d], pad[d + lead] = s.params.pad_begin[d];
    dil[d + lead] = s.params.dilation[d];
  }
  define_list defs{{"BATCH", std::to_string(s.batch)}, {"CIN", std::to_string(s.in_channels)}};
  const char* axes = "DHW";
  for (int d = 0; d < 3; ++d) {
    const std::string a(1, axes[d]);
    defs.push_back({"I" + a, std::to_string(in[d])});
    defs.push_back({"O" + a, std::to_string(out[d])});
    defs.push_back({"K" + a, std::to_string(k[d])});
    defs.push_back({"S" + a, std::to_string(st[d])});
    defs.push_back({"P" + a, std::to_string(pad[d])});
    defs.push_back({"D" + a, std::to_string(dil[d])});
  }
  return defs;
}

/// Raises unless every tensor of the problem has < 2^31 elements (the kernels index in int).
template <int S>
void require_int_indexable(const conv_shape<S>& s, const char* where) {
  const index_t lim = index_t(1) << 31;
  const index_t in =
      checked_mul(checked_mul(s.batch, s.in_channels, "input"), s.in_volume(), "input");
  const index_t out =
      checked_mul(checked_mul(s.batch, s.out_channels, "output"), s.out_volume(), "output");
  require(in < lim, where, "input elements", in, "< 2^31 (32-bit kernel indices)", errc::overflow);
  require(out < lim, where, "output elements", out, "< 2^31 (32-bit kernel indices)",
          errc::overflow);
  const index_t ws = index_t(conv_dense_workspace_elements(s));
  require(ws < lim, where, "workspace elements", ws, "< 2^31 (32-bit kernel indices)",
          errc::overflow);
}

inline std::size_t round_up(std::size_t n, std::size_t m) { return (n + m - 1) / m * m; }

template <int S>
::cl::Event lower(const context& ctx, const ::cl::Buffer& input, const conv_shape<S>& s,
                  const ::cl::Buffer& cols, const char* where) {
  require_int_indexable(s, where);
  require_elements<float>(input, std::size_t(s.batch * s.in_channels * s.in_volume()), where,
                          "input");
  require_elements<float>(cols, im2col_elements(s), where, "cols");
  static const std::string source = kernel_source("im2col");
  ::cl::Program program = get_program(ctx, source, im2col_defines(s));
  return translate("enqueueing im2col", [&] {
    ::cl::Kernel kernel(program, "im2col");
    kernel.setArg(0, input);
    kernel.setArg(1, cols);
    const std::size_t ncols = std::size_t(s.batch * s.out_volume());
    ::cl::Event ev;
    ctx.queue().enqueueNDRangeKernel(
        kernel, ::cl::NullRange,
        ::cl::NDRange(round_up(ncols, im2col_local_size), std::size_t(s.in_channels)),
        ::cl::NDRange(im2col_local_size, 1), nullptr, &ev);
    return ev;
  });
}

}  // namespace detail

/// Enqueues the conv2d lowering of every image and group: `cols` (C*KH*KW x N*OH*OW floats,
/// row-major) gets cols[(c*KH + kh)*KW + kw][n*OH*OW + oh*OW + ow] = in[n][c][ih][iw] (0 in
/// the padding), `input` holds the contiguous N x C x H x W tensor of `s` (make_conv_shape).
/// Group g's rows are [g*C/g*KH*KW, (g+1)*C/g*KH*KW). Returns the kernel's event.
inline ::cl::Event im2col(const context& ctx, const ::cl::Buffer& input, const conv2d_shape& s,
                          const ::cl::Buffer& cols) {
  return detail::lower<2>(ctx, input, s, cols, "spk::cl::im2col");
}

/// im2col for conv3d over a contiguous N x C x D x H x W input: rows ((c*KD + kd)*KH + kh)*KW
/// + kw, columns n*OD*OH*OW + (od*OH + oh)*OW + ow.
inline ::cl::Event vol2col(const context& ctx, const ::cl::Buffer& input, const conv3d_shape& s,
                           const ::cl::Buffer& cols) {
  return detail::lower<3>(ctx, input, s, cols, "spk::cl::vol2col");
}

/// Enqueues dst[n][f][o] = act(src[src_offset + f*batch*ovol + n*ovol + o] + bias[f]) for
/// o < ovol, f < filters, n < batch; bias may be nullptr; dst may be src (same offset 0) when
/// batch == 1, i.e. in place. Returns the event.
inline ::cl::Event conv_epilogue(const context& ctx, const ::cl::Buffer& src,
                                 std::size_t src_offset, std::size_t ovol, std::size_t batch,
                                 std::size_t filters, const ::cl::Buffer* bias,
                                 const ::cl::Buffer& dst, const kernels::activation& act) {
  constexpr const char* where = "spk::cl::conv_epilogue";
  kernels::check_activation(act, where);
  const std::size_t n = ovol * batch * filters;
  require(n < (std::size_t(1) << 31), where, "elements", n, "< 2^31 (32-bit kernel indices)",
          errc::overflow);
  require(src() != dst() || (batch == 1 && src_offset == 0), where, "dst", "src",
          "a separate buffer unless batch == 1 and src_offset == 0 (in place)");
  require(src_offset + n < (std::size_t(1) << 31), where, "src_offset", src_offset,
          "src_offset + elements < 2^31 (32-bit kernel indices)", errc::overflow);
  require_elements<float>(src, src_offset + n, where, "src");
  require_elements<float>(dst, n, where, "dst");
  if (bias) require_elements<float>(*bias, filters, where, "bias");
  if (n == 0) return ::cl::Event();
  define_list defs = activation_defines(act);
  defs.push_back({"HAS_BIAS", bias ? "1" : "0"});
  static const std::string source = kernel_source("im2col");
  ::cl::Program program = get_program(ctx, source, defs);
  return detail::translate("enqueueing conv_epilogue", [&] {
    ::cl::Kernel kernel(program, "conv_epilogue");
    kernel.setArg(0, cl_int(ovol));
    kernel.setArg(1, cl_int(batch));
    kernel.setArg(2, cl_int(filters));
    kernel.setArg(3, cl_int(src_offset));
    kernel.setArg(4, src);
    kernel.setArg(5, bias ? *bias : src);  // unread without HAS_BIAS
    kernel.setArg(6, dst);
    ::cl::Event ev;
    ctx.queue().enqueueNDRangeKernel(
        kernel, ::cl::NullRange,
        ::cl::NDRange(detail::round_up(ovol, im2col_local_size), filters, batch),
        ::cl::NDRange(im2col_local_size, 1, 1), nullptr, &ev);
    return ev;
  });
}

/// The conv-as-GEMM driver for S = 2 or 3: lowering, then per group g one
///   gemm(m = F/g, n = N*ovol, k = C/g*kvol, a = weights, a_off = g*m*k, lda = k,
///        b = cols, b_off = g*k*n, ldb = n, c, c_off = g*m*n, ldc = n) -> ::cl::Event
/// (row-major, no transposes, alpha 1, beta 0), then the epilogue. `weights` holds the
/// contiguous F x C/g x kernel tensor (= F x C/g*kvol), `input` the contiguous input of `s`,
/// `output` N x F x out, `bias` F floats or nullptr, `workspace` at least
/// conv_dense_workspace_elements(s) floats or nullptr (then allocated here and released once
/// the queue is done with it). Raises shape_mismatch for a small buffer, overflow for tensors
/// of 2^31 elements or more.
template <int S, class Gemm>
dense_conv_events conv_dense(const context& ctx, const ::cl::Buffer& weights,
                             const ::cl::Buffer& input, const conv_shape<S>& s,
                             const ::cl::Buffer* bias, const ::cl::Buffer& output,
                             const kernels::activation& act, const ::cl::Buffer* workspace,
                             Gemm&& gemm, const char* where) {
  kernels::check_activation(act, where);
  detail::require_int_indexable(s, where);
  const std::size_t g = std::size_t(s.params.groups), m = std::size_t(s.out_channels_per_group());
  const std::size_t k = std::size_t(s.in_channels_per_group() * s.kernel_volume());
  const std::size_t ov = std::size_t(s.out_volume()), n = std::size_t(s.batch) * ov;
  const std::size_t f = std::size_t(s.out_channels);
  require_elements<float>(weights, f * k, where, "weights");
  require_elements<float>(output, f * n, where, "output");
  if (bias) require_elements<float>(*bias, f, where, "bias");
  const std::size_t ws_need = conv_dense_workspace_elements(s);
  ::cl::Buffer ws = workspace ? *workspace : device_buffer<float>(ctx, ws_need);
  if (workspace) require_elements<float>(ws, ws_need, where, "workspace");

  dense_conv_events ev;
  ev.im2col = detail::lower<S>(ctx, input, s, ws, where);
  // Batch 1: the GEMM result F x ovol is already the NCHW output; batch > 1: F x N*ovol in the
  // workspace after the columns, reordered by the epilogue.
  const bool direct = s.batch == 1;
  const ::cl::Buffer& c = direct ? output : ws;
  const std::size_t c_base = direct ? 0 : im2col_elements(s);
  for (std::size_t gi = 0; gi < g; ++gi)
    ev.gemm = gemm(m, n, k, weights, gi * m * k, k, ws, gi * k * n, n, c, c_base + gi * m * n, n);
  if (!direct || bias || act.kind != kernels::act_kind::none) {
    ev.epilogue = conv_epilogue(ctx, c, c_base, ov, std::size_t(s.batch), f, bias, output, act);
  }
  return ev;
}

}  // namespace cl
SPK_END_NAMESPACE
