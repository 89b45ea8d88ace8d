// SPDX-License-Identifier: Apache-2.0
// CLBlast, the dense OpenCL baseline: row-major SGEMM / SGEMV wrappers on spk::cl::context and
// the dense conv2d / conv3d = im2col + CLBlast GEMM + bias/activation epilogue (spk/cl/dense.hpp).
// The only header that includes <clblast.h>; consumers must link CLBlast (CMake target `clblast`).
#pragma once

#if __has_include(<clblast.h>)
#define SPK_CL_HAVE_CLBLAST 1

#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

// CLBlast's header includes the OpenCL C API: the bindings' configuration (version macros)
// must come first, so this include stays in its own block ahead of <clblast.h>.
#include "spk/cl/opencl.hpp"
// clang-format off
#include <clblast.h>
// clang-format on

#include "spk/cl/dense.hpp"
#include "spk/cl/memory.hpp"
#include "spk/cl/runtime.hpp"
#include "spk/core/config.hpp"
#include "spk/core/conv_shape.hpp"
#include "spk/core/error.hpp"
#include "spk/core/tensor.hpp"
#include "spk/kernels/activation.hpp"

SPK_BEGIN_NAMESPACE
namespace cl {

/// CLBlast's name of a status code ("kInvalidLeadDimA"), or "unknown CLBlast status".
inline const char* clblast_status_name(clblast::StatusCode s) noexcept {
  using c = clblast::StatusCode;
#define SPK_CLBLAST_STATUS_(x) \
  case c::x:                   \
    return #x
  switch (s) {
    SPK_CLBLAST_STATUS_(kSuccess);
    SPK_CLBLAST_STATUS_(kOpenCLCompilerNotAvailable);
    SPK_CLBLAST_STATUS_(kTempBufferAllocFailure);
    SPK_CLBLAST_STATUS_(kOpenCLOutOfResources);
    SPK_CLBLAST_STATUS_(kOpenCLOutOfHostMemory);
    SPK_CLBLAST_STATUS_(kOpenCLBuildProgramFailure);
    SPK_CLBLAST_STATUS_(kInvalidValue);
    SPK_CLBLAST_STATUS_(kInvalidCommandQueue);
    SPK_CLBLAST_STATUS_(kInvalidMemObject);
    SPK_CLBLAST_STATUS_(kInvalidBinary);
    SPK_CLBLAST_STATUS_(kInvalidBuildOptions);
    SPK_CLBLAST_STATUS_(kInvalidProgram);
    SPK_CLBLAST_STATUS_(kInvalidProgramExecutable);
    SPK_CLBLAST_STATUS_(kInvalidKernelName);
    SPK_CLBLAST_STATUS_(kInvalidKernelDefinition);
    SPK_CLBLAST_STATUS_(kInvalidKernel);
    SPK_CLBLAST_STATUS_(kInvalidArgIndex);
    SPK_CLBLAST_STATUS_(kInvalidArgValue);
    SPK_CLBLAST_STATUS_(kInvalidArgSize);
    SPK_CLBLAST_STATUS_(kInvalidKernelArgs);
    SPK_CLBLAST_STATUS_(kInvalidLocalNumDimensions);
    SPK_CLBLAST_STATUS_(kInvalidLocalThreadsTotal);
    SPK_CLBLAST_STATUS_(kInvalidLocalThreadsDim);
    SPK_CLBLAST_STATUS_(kInvalidGlobalOffset);
    SPK_CLBLAST_STATUS_(kInvalidEventWaitList);
    SPK_CLBLAST_STATUS_(kInvalidEvent);
    SPK_CLBLAST_STATUS_(kInvalidOperation);
    SPK_CLBLAST_STATUS_(kInvalidBufferSize);
    SPK_CLBLAST_STATUS_(kInvalidGlobalWorkSize);
    SPK_CLBLAST_STATUS_(kNotImplemented);
    SPK_CLBLAST_STATUS_(kInvalidMatrixA);
    SPK_CLBLAST_STATUS_(kInvalidMatrixB);
    SPK_CLBLAST_STATUS_(kInvalidMatrixC);
    SPK_CLBLAST_STATUS_(kInvalidVectorX);
    SPK_CLBLAST_STATUS_(kInvalidVectorY);
    SPK_CLBLAST_STATUS_(kInvalidDimension);
    SPK_CLBLAST_STATUS_(kInvalidLeadDimA);
    SPK_CLBLAST_STATUS_(kInvalidLeadDimB);
    SPK_CLBLAST_STATUS_(kInvalidLeadDimC);
    SPK_CLBLAST_STATUS_(kInvalidIncrementX);
    SPK_CLBLAST_STATUS_(kInvalidIncrementY);
    SPK_CLBLAST_STATUS_(kInsufficientMemoryA);
    SPK_CLBLAST_STATUS_(kInsufficientMemoryB);
    SPK_CLBLAST_STATUS_(kInsufficientMemoryC);
    SPK_CLBLAST_STATUS_(kInsufficientMemoryX);
    SPK_CLBLAST_STATUS_(kInsufficientMemoryY);
    SPK_CLBLAST_STATUS_(kInsufficientMemoryTemp);
    SPK_CLBLAST_STATUS_(kInvalidBatchCount);
    SPK_CLBLAST_STATUS_(kInvalidOverrideKernel);
    SPK_CLBLAST_STATUS_(kMissingOverrideParameter);
    SPK_CLBLAST_STATUS_(kInvalidLocalMemUsage);
    SPK_CLBLAST_STATUS_(kNoHalfPrecision);
    SPK_CLBLAST_STATUS_(kNoDoublePrecision);
    SPK_CLBLAST_STATUS_(kInvalidVectorScalar);
    SPK_CLBLAST_STATUS_(kInsufficientMemoryScalar);
    SPK_CLBLAST_STATUS_(kDatabaseError);
    SPK_CLBLAST_STATUS_(kUnknownError);
    SPK_CLBLAST_STATUS_(kUnexpectedError);
  }
#undef SPK_CLBLAST_STATUS_
  return "unknown CLBlast status";
}

namespace detail {

/// Raises errc::opencl "spk::cl: <what> failed: CLBlast status <n> (<name>)" unless success.
inline void check_clblast(clblast::StatusCode s, const char* what) {
  if (s == clblast::StatusCode::kSuccess) return;
  std::ostringstream os;
  os << "spk::cl: " << what << " failed: CLBlast status " << static_cast<int>(s) << " ("
     << clblast_status_name(s) << ")";
  raise(errc::opencl, os.str());
}

/// Elements a row-major rows x cols operand with leading dimension ld at `offset` reaches.
inline std::size_t operand_extent(std::size_t offset, std::size_t rows, std::size_t cols,
                                  std::size_t ld) {
  return rows == 0 || cols == 0 ? 0 : offset + (rows - 1) * ld + cols;
}

}  // namespace detail

/// Enqueues C = alpha * op(A) * op(B) + beta * C on ctx.queue() with clblast::Gemm<float>,
/// row-major: op(A) m x k, op(B) k x n, C m x n; A is stored m x k (k x m when transpose_a)
/// with leading dimension lda, likewise B; offsets in floats. Returns CLBlast's event (that
/// of its last kernel: time a GEMM from the end of the previous command, see dense_conv_times).
/// m == 0 or n == 0: nothing is enqueued, a null event is returned. Raises invalid_argument
/// for k == 0 (CLBlast rejects it) or a leading dimension below the stored row length,
/// shape_mismatch for a buffer too small, opencl (with CLBlast's status name) otherwise.
/// The first call per context compiles CLBlast's GEMM program (~18 s on PoCL, then cached).
inline ::cl::Event gemm_clblast(const context& ctx, std::size_t m, std::size_t n, std::size_t k,
                                const ::cl::Buffer& a, std::size_t a_offset, std::size_t lda,
                                const ::cl::Buffer& b, std::size_t b_offset, std::size_t ldb,
                                const ::cl::Buffer& c, std::size_t c_offset, std::size_t ldc,
                                float alpha = 1.f, float beta = 0.f, bool transpose_a = false,
                                bool transpose_b = false) {
  constexpr const char* where = "spk::cl::gemm_clblast";
  if (m == 0 || n == 0) return ::cl::Event();
  require(k >= 1, where, "k", k, ">= 1 (CLBlast rejects an empty inner dimension)");
  const std::size_t a_rows = transpose_a ? k : m, a_cols = transpose_a ? m : k;
  const std::size_t b_rows = transpose_b ? n : k, b_cols = transpose_b ? k : n;
  require(lda >= a_cols, where, "lda", lda, ">= " + std::to_string(a_cols));
  require(ldb >= b_cols, where, "ldb", ldb, ">= " + std::to_string(b_cols));
  require(ldc >= n, where, "ldc", ldc, ">= n (" + std::to_string(n) + ")");
  require_elements<float>(a, detail::operand_extent(a_offset, a_rows, a_cols, lda), where, "a");
  require_elements<float>(b, detail::operand_extent(b_offset, b_rows, b_cols, ldb), where, "b");
  require_elements<float>(c, detail::operand_extent(c_offset, m, n, ldc), where, "c");
  cl_command_queue queue = ctx.queue()();
  cl_event event = nullptr;
  const auto tr = [](bool t) { return t ? clblast::Transpose::kYes : clblast::Transpose::kNo; };
  detail::check_clblast(
      clblast::Gemm<float>(clblast::Layout::kRowMajor, tr(transpose_a), tr(transpose_b), m, n, k,
                           alpha, a(), a_offset, lda, b(), b_offset, ldb, beta, c(), c_offset, ldc,
                           &queue, &event),
      "clblast::Gemm<float>");
  return ::cl::Event(event);  // takes over CLBlast's reference
}

/// Enqueues y = alpha * A * x + beta * y with clblast::Gemv<float>, A m x k row-major (leading
/// dimension lda), x k and y m contiguous floats at the given offsets. beta == 0: y is not read
/// (it is cleared first: CLBlast itself would multiply the old y by 0). Returns the GEMV's
/// event; m == 0 enqueues nothing, k == 0 is rejected. Same errors as gemm_clblast.
inline ::cl::Event gemv_clblast(const context& ctx, std::size_t m, std::size_t k,
                                const ::cl::Buffer& a, std::size_t a_offset, std::size_t lda,
                                const ::cl::Buffer& x, std::size_t x_offset, const ::cl::Buffer& y,
                                std::size_t y_offset, float alpha = 1.f, float beta = 0.f) {
  constexpr const char* where = "spk::cl::gemv_clblast";
  if (m == 0) return ::cl::Event();
  require(k >= 1, where, "k", k, ">= 1 (CLBlast rejects an empty inner dimension)");
  require(lda >= k, where, "lda", lda, ">= k (" + std::to_string(k) + ")");
  require_elements<float>(a, detail::operand_extent(a_offset, m, k, lda), where, "a");
  require_elements<float>(x, x_offset + k, where, "x");
  require_elements<float>(y, y_offset + m, where, "y");
  // CLBlast's GEMV computes beta * y even for beta == 0 (NaN in y would survive): BLAS
  // semantics need y cleared first.
  if (beta == 0.f)
    detail::translate("clearing y for gemv_clblast", [&] {
      ctx.queue().enqueueFillBuffer(y, 0.f, y_offset * sizeof(float), m * sizeof(float));
    });
  cl_command_queue queue = ctx.queue()();
  cl_event event = nullptr;
  detail::check_clblast(
      clblast::Gemv<float>(clblast::Layout::kRowMajor, clblast::Transpose::kNo, m, k, alpha, a(),
                           a_offset, lda, x(), x_offset, 1, beta, y(), y_offset, 1, &queue, &event),
      "clblast::Gemv<float>");
  return ::cl::Event(event);
}

/// Host-memory GEMM with gemm_reference's contract: C = alpha * A * B + beta * C, A M x K,
/// B K x N, C M x N, any strides (staged through contiguous copies); beta == 0: C not read.
/// Blocking. Raises shape_mismatch naming 'b' or 'c' like the reference.
inline void gemm_clblast(const context& ctx, matrix_view<const float> a, matrix_view<const float> b,
                         matrix_view<float> c, float alpha = 1.f, float beta = 0.f) {
  constexpr const char* where = "spk::cl::gemm_clblast";
  const index_t m = a.dim(0), k = a.dim(1), n = b.dim(1);
  require(b.dim(0) == k, where, "b", std::to_string(b.dim(0)) + "x" + std::to_string(n),
          "rows == a's cols (" + std::to_string(k) + ")", errc::shape_mismatch);
  require_dims(c, {m, n}, where, "c");
  if (m == 0 || n == 0) return;
  const std::vector<float> ha = detail::pack<2>(a), hb = detail::pack<2>(b);
  std::vector<float> hc = beta != 0.f ? detail::pack<2>(matrix_view<const float>(c))
                                      : std::vector<float>(std::size_t(m * n), 0.f);
  if (k == 0) {  // C = beta * C (CLBlast rejects k == 0)
    for (float& v : hc) v *= beta;
    detail::unpack<2>(hc, c);
    return;
  }
  const ::cl::Buffer da = upload(ctx, ha), db = upload(ctx, hb);
  const ::cl::Buffer dc = upload(ctx, hc, CL_MEM_READ_WRITE);
  const ::cl::Event done =
      gemm_clblast(ctx, std::size_t(m), std::size_t(n), std::size_t(k), da, 0, std::size_t(k), db,
                   0, std::size_t(n), dc, 0, std::size_t(n), alpha, beta);
  download(ctx, dc, hc.data(), hc.size(), &done);
  detail::unpack<2>(hc, c);
}

namespace detail {
inline ::cl::Event clblast_gemm_enqueue(const context& ctx, std::size_t m, std::size_t n,
                                        std::size_t k, const ::cl::Buffer& a, std::size_t a_off,
                                        std::size_t lda, const ::cl::Buffer& b, std::size_t b_off,
                                        std::size_t ldb, const ::cl::Buffer& c, std::size_t c_off,
                                        std::size_t ldc) {
  return gemm_clblast(ctx, m, n, k, a, a_off, lda, b, b_off, ldb, c, c_off, ldc);
}

template <int S>
dense_conv_events conv_dense_clblast(const context& ctx, const ::cl::Buffer& weights,
                                     const ::cl::Buffer& input, const conv_shape<S>& s,
                                     const ::cl::Buffer* bias, const ::cl::Buffer& output,
                                     const kernels::activation& act, const ::cl::Buffer* workspace,
                                     const char* where) {
  return conv_dense<S>(
      ctx, weights, input, s, bias, output, act, workspace,
      [&](std::size_t m, std::size_t n, std::size_t k, const ::cl::Buffer& a, std::size_t a_off,
          std::size_t lda, const ::cl::Buffer& b, std::size_t b_off, std::size_t ldb,
          const ::cl::Buffer& c, std::size_t c_off, std::size_t ldc) {
        return clblast_gemm_enqueue(ctx, m, n, k, a, a_off, lda, b, b_off, ldb, c, c_off, ldc);
      },
      where);
}

/// Host-memory staging shared by the 2D and 3D convenience overloads.
template <int S>
void conv_dense_clblast_host(const context& ctx, const tensor_view<const float, S + 2>& input,
                             const tensor_view<const float, S + 2>& weights, const float* bias,
                             const tensor_view<float, S + 2>& output, const conv_params<S>& p,
                             const kernels::activation& act, const char* where) {
  const conv_shape<S> s = check_conv_dense<S>(input, weights, output, p, where);
  kernels::check_activation(act, where);
  const ::cl::Buffer din = upload(ctx, pack<S + 2>(input));
  const ::cl::Buffer dw = upload(ctx, pack<S + 2>(weights));
  const ::cl::Buffer dout = device_buffer<float>(ctx, std::size_t(output.size()));
  ::cl::Buffer db;
  if (bias) db = upload(ctx, bias, std::size_t(s.out_channels));
  const dense_conv_events ev =
      conv_dense_clblast<S>(ctx, dw, din, s, bias ? &db : nullptr, dout, act, nullptr, where);
  std::vector<float> host(static_cast<std::size_t>(output.size()));
  download(ctx, dout, host.data(), host.size(), &ev.last());
  unpack<S + 2>(host, output);
}
}  // namespace detail

/// Dense conv2d on the device: im2col, one CLBlast GEMM per group (F/g x C/g*KH*KW by
/// C/g*KH*KW x N*OH*OW), then bias + activation (+ the N x F reorder when batch > 1). Buffers:
/// `weights` the contiguous F x C/g x KH x KW tensor, `input` N x C x H x W, `output`
/// N x F x OH x OW, `bias` F floats or nullptr, `workspace` conv_dense_workspace_elements(shape)
/// floats or nullptr (allocated per call). `shape` from make_conv_shape<2> (dims + params).
/// Returns the events (last() to wait on, times() for the im2col / GEMM / epilogue split).
inline dense_conv_events conv2d_dense_clblast(const context& ctx, const ::cl::Buffer& weights,
                                              const ::cl::Buffer& input, const conv2d_shape& shape,
                                              const ::cl::Buffer* bias, const ::cl::Buffer& output,
                                              const kernels::activation& act = {},
                                              const ::cl::Buffer* workspace = nullptr) {
  return detail::conv_dense_clblast<2>(ctx, weights, input, shape, bias, output, act, workspace,
                                       "spk::cl::conv2d_dense_clblast");
}

/// conv2d_dense_clblast for conv3d: weights F x C/g x KD x KH x KW, input N x C x D x H x W,
/// output N x F x OD x OH x OW; vol2col instead of im2col.
inline dense_conv_events conv3d_dense_clblast(const context& ctx, const ::cl::Buffer& weights,
                                              const ::cl::Buffer& input, const conv3d_shape& shape,
                                              const ::cl::Buffer* bias, const ::cl::Buffer& output,
                                              const kernels::activation& act = {},
                                              const ::cl::Buffer* workspace = nullptr) {
  return detail::conv_dense_clblast<3>(ctx, weights, input, shape, bias, output, act, workspace,
                                       "spk::cl::conv3d_dense_clblast");
}

/// Host-memory conv2d with conv2d_reference's signature (+ the context and an activation):
/// any strided views, blocking; same checks and errors as the reference.
inline void conv2d_dense_clblast(const context& ctx, nchw_view<const float> input,
                                 tensor_view<const float, 4> weights, const float* bias,
                                 nchw_view<float> output, const conv2d_params& p = {},
                                 const kernels::activation& act = {}) {
  detail::conv_dense_clblast_host<2>(ctx, input, weights, bias, output, p, act,
                                     "spk::cl::conv2d_dense_clblast");
}

/// Host-memory conv3d with conv3d_reference's signature (+ the context and an activation).
inline void conv3d_dense_clblast(const context& ctx, ncdhw_view<const float> input,
                                 tensor_view<const float, 5> weights, const float* bias,
                                 ncdhw_view<float> output, const conv3d_params& p = {},
                                 const kernels::activation& act = {}) {
  detail::conv_dense_clblast_host<3>(ctx, input, weights, bias, output, p, act,
                                     "spk::cl::conv3d_dense_clblast");
}

}  // namespace cl
SPK_END_NAMESPACE

#endif  // __has_include(<clblast.h>)
