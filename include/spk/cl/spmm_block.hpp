// SPDX-License-Identifier: Apache-2.0
// OpenCL block-sparse SpMM / SpMV (kernels_cl/spmm_block.cl): device copies of format::bcr and
// format::bsr (uploaded once), Y (M x N) = act(W X + bias) with X K x N and Y M x N row-major,
// and the N = 1 SpMV of the GRU / LSTM recurrent step. Buffer and host-memory entry points.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spk/cl/dense.hpp"  // detail::round_up
#include "spk/cl/kernels_generated.hpp"
#include "spk/cl/memory.hpp"
#include "spk/cl/runtime.hpp"
#include "spk/core/config.hpp"
#include "spk/core/error.hpp"
#include "spk/core/tensor.hpp"
#include "spk/format/bcr.hpp"
#include "spk/format/bsr.hpp"
#include "spk/kernels/spmm/epilogue.hpp"
#include "spk/tune/cl_device.hpp"
#include "spk/tune/classes.hpp"

SPK_BEGIN_NAMESPACE
namespace cl {

/// Launch tunables of the SpMM kernels (each distinct value is its own program / local size).
struct spmm_block_params {
  /// Columns of Y per work-item, one explicit vector (PoCL does not vectorise across
  /// work-items through the kernels' inner loops): 1, 2, 4, 8 or 16.
  int vector_width = 16;
  /// Work-group size along the strips (SpMM; along strips/panels for SpMV).
  int group_strips = 4;
  /// BCR SpMV only: one work-group of spmv_group_size items per strip, splitting the kept
  /// columns and reducing in local memory (the GPU-shaped variant), instead of one item per strip.
  bool spmv_group_reduce = false;
};

/// Every SpMM / SpMV entry point takes std::optional<spmm_block_params>: explicit params are
/// used as given; std::nullopt (the default) looks the call up in the active tune table
/// (kernels cl_spmm_bcr / cl_spmm_bsr / cl_spmv_bcr / cl_spmv_bsr, shape tune::matmul_class(n,
/// M, K), any density; generic tune::cl_params: wg0 = group_strips, vector_width, local_mem 2 =
/// spmv_group_reduce), falling back to spmm_block_params{}.
/// Default-constructed (or {}): look up; a spmm_block_params or a braced {vector_width,
/// group_strips, spmv_group_reduce} list: explicit.
struct spmm_params_opt {
  std::optional<spmm_block_params> value;
  spmm_params_opt() = default;
  spmm_params_opt(std::nullopt_t) {}
  spmm_params_opt(const spmm_block_params& p) : value(p) {}  // NOLINT: implicit by design
  spmm_params_opt(int vector_width, int group_strips = spmm_block_params{}.group_strips,
                  bool spmv_group_reduce = false)
      : value(spmm_block_params{vector_width, group_strips, spmv_group_reduce}) {}
};

/// Work-group size of the group-per-strip BCR SpMV (SPMV_WG in kernels_cl/spmm_block.cl).
inline constexpr std::size_t spmv_group_size = 16;

namespace detail {

/// int32 copy of a format's index_t array (the kernels index in int); raises overflow naming
/// the array for a value outside int32.
inline std::vector<cl_int> narrow_indices(const index_t* p, std::size_t n, const char* where,
                                          const char* what) {
  std::vector<cl_int> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    require(p[i] >= 0 && p[i] < (index_t(1) << 31), where, what, p[i], "in [0, 2^31)",
            errc::overflow);
    out[i] = cl_int(p[i]);
  }
  return out;
}

inline std::vector<cl_int> copy_indices(const std::int32_t* p, std::size_t n) {
  return std::vector<cl_int>(p, p + n);
}

}  // namespace detail

/// A format::bcr on the device (its arrays uploaded once, read-only). Tied to the context it
/// was made for. Cheap to copy (reference-counted buffers).
class device_bcr {
 public:
  device_bcr(const context& ctx, const format::bcr& w)
      : context_(ctx.get()()), rows_(w.rows()), cols_(w.cols()), bh_(w.bh()), strips_(w.strips()) {
    constexpr const char* where = "spk::cl::device_bcr";
    const index_t lim = index_t(1) << 31;
    require(rows_ < lim && cols_ < lim, where, "w.rows", rows_, "rows, cols < 2^31",
            errc::overflow);
    const std::size_t strips = std::size_t(strips_), segs = std::size_t(w.strip_seg()[strips_]);
    const std::size_t nrow = std::size_t(w.seg_row()[segs]), ncol = std::size_t(w.seg_col()[segs]);
    const std::size_t nval = std::size_t(w.seg_val()[segs]);
    require(nval < std::size_t(lim), where, "values", nval, "< 2^31 floats", errc::overflow);
    strip_seg_ = upload(ctx, detail::narrow_indices(w.strip_seg(), strips + 1, where, "strip_seg"));
    seg_row_ = upload(ctx, detail::narrow_indices(w.seg_row(), segs + 1, where, "seg_row"));
    seg_col_ = upload(ctx, detail::narrow_indices(w.seg_col(), segs + 1, where, "seg_col"));
    seg_val_ = upload(ctx, detail::narrow_indices(w.seg_val(), segs + 1, where, "seg_val"));
    row_idx_ = upload(ctx, detail::copy_indices(w.row_idx(), nrow));
    col_idx_ = upload(ctx, detail::copy_indices(w.col_idx(), ncol));
    values_ = upload(ctx, w.values(), nval);
  }

  index_t rows() const noexcept { return rows_; }
  index_t cols() const noexcept { return cols_; }
  index_t bh() const noexcept { return bh_; }
  index_t strips() const noexcept { return strips_; }
  cl_context context_handle() const noexcept { return context_; }
  const ::cl::Buffer& strip_seg() const noexcept { return strip_seg_; }
  const ::cl::Buffer& seg_row() const noexcept { return seg_row_; }
  const ::cl::Buffer& seg_col() const noexcept { return seg_col_; }
  const ::cl::Buffer& seg_val() const noexcept { return seg_val_; }
  const ::cl::Buffer& row_idx() const noexcept { return row_idx_; }
  const ::cl::Buffer& col_idx() const noexcept { return col_idx_; }
  const ::cl::Buffer& values() const noexcept { return values_; }

 private:
  cl_context context_;
  index_t rows_, cols_, bh_, strips_;
  ::cl::Buffer strip_seg_, seg_row_, seg_col_, seg_val_, row_idx_, col_idx_, values_;
};

/// A format::bsr on the device (uploaded once). Tied to its context; cheap to copy.
class device_bsr {
 public:
  device_bsr(const context& ctx, const format::bsr& w)
      : context_(ctx.get()()),
        rows_(w.rows()),
        cols_(w.cols()),
        r_(w.r()),
        c_(w.c()),
        strips_(w.strips()) {
    constexpr const char* where = "spk::cl::device_bsr";
    const index_t lim = index_t(1) << 31;
    require(rows_ < lim && cols_ < lim, where, "w.rows", rows_, "rows, cols < 2^31",
            errc::overflow);
    const std::size_t strips = std::size_t(strips_), nnzb = std::size_t(w.blk_ptr()[strips_]);
    const std::size_t nval = std::size_t(index_t(nnzb) * c_ * w.panels() * format::panel_rows);
    require(nval < std::size_t(lim), where, "values", nval, "< 2^31 floats", errc::overflow);
    blk_ptr_ = upload(ctx, detail::narrow_indices(w.blk_ptr(), strips + 1, where, "blk_ptr"));
    blk_idx_ = upload(ctx, detail::copy_indices(w.blk_idx(), nnzb));
    values_ = upload(ctx, w.values(), nval);
  }

  index_t rows() const noexcept { return rows_; }
  index_t cols() const noexcept { return cols_; }
  index_t r() const noexcept { return r_; }
  index_t c() const noexcept { return c_; }
  index_t strips() const noexcept { return strips_; }
  index_t panels() const noexcept { return (r_ + format::panel_rows - 1) / format::panel_rows; }
  cl_context context_handle() const noexcept { return context_; }
  const ::cl::Buffer& blk_ptr() const noexcept { return blk_ptr_; }
  const ::cl::Buffer& blk_idx() const noexcept { return blk_idx_; }
  const ::cl::Buffer& values() const noexcept { return values_; }

 private:
  cl_context context_;
  index_t rows_, cols_, r_, c_, strips_;
  ::cl::Buffer blk_ptr_, blk_idx_, values_;
};

namespace detail {

inline const char* spmm_act_name(kernels::spmm::activation a) noexcept {
  switch (a) {
    case kernels::spmm::activation::none:
      return "none";
    case kernels::spmm::activation::relu:
      return "relu";
    case kernels::spmm::activation::gelu:
      return "gelu";
  }
  return "?";
}

/// Shared argument checks of the four buffer entry points (M = w rows, K = w cols).
template <class W>
void check_spmm_buffers(const context& ctx, const W& w, const ::cl::Buffer& x, std::size_t n,
                        const ::cl::Buffer* bias, const ::cl::Buffer& y,
                        kernels::spmm::activation act, const char* where) {
  require(w.context_handle() == ctx.get()(), where, "w", "a device format of another context",
          "one uploaded for this context");
  require(act == kernels::spmm::activation::none || act == kernels::spmm::activation::relu ||
              act == kernels::spmm::activation::gelu,
          where, "act", static_cast<int>(act), "none, relu or gelu");
  const std::size_t m = std::size_t(w.rows()), k = std::size_t(w.cols());
  require(n < (std::size_t(1) << 31) && m * n < (std::size_t(1) << 31) &&
              k * n < (std::size_t(1) << 31),
          where, "n", n, "M * n and K * n < 2^31 (32-bit kernel indices)", errc::overflow);
  require_elements<float>(x, k * n, where, "x");
  require_elements<float>(y, m * n, where, "y");
  if (bias) require_elements<float>(*bias, m, where, "bias");
}

inline define_list spmm_defines(std::size_t n, const ::cl::Buffer* bias,
                                kernels::spmm::activation act, const spmm_block_params& prm,
                                bool spmv, const char* where) {
  const int v = prm.vector_width;
  require(v == 1 || v == 2 || v == 4 || v == 8 || v == 16, where, "params.vector_width", v,
          "1, 2, 4, 8 or 16");
  require(prm.group_strips >= 1 && prm.group_strips <= 256, where, "params.group_strips",
          prm.group_strips, "in [1, 256]");
  define_list d{{"NCOLS", std::to_string(n)},
                {"ACT", std::to_string(static_cast<int>(act))},
                {"HAS_BIAS", bias ? "1" : "0"}};
  if (!spmv) d.push_back({"SPMM_VEC", std::to_string(v)});  // the SpMV kernels ignore it
  return d;
}

/// (column vectors, strips) for SpMM, (strips) for SpMV, rounded up to whole groups.
inline void launch_dims(std::size_t n, std::size_t strips, const spmm_block_params& prm, bool spmv,
                        ::cl::NDRange& global, ::cl::NDRange& local) {
  const std::size_t gs = std::size_t(prm.group_strips);
  if (spmv) {
    global = ::cl::NDRange(round_up(strips, gs)), local = ::cl::NDRange(gs);
  } else {
    const std::size_t vecs =
        (n + std::size_t(prm.vector_width) - 1) / std::size_t(prm.vector_width);
    global = ::cl::NDRange(vecs, round_up(strips, gs)), local = ::cl::NDRange(1, gs);
  }
}

/// The params a call runs with (see spmm_params_opt).
inline spmm_block_params resolve_spmm_params(const context& ctx, const char* kernel, std::size_t n,
                                             index_t rows, index_t cols,
                                             const spmm_params_opt& given) {
  if (given.value) return *given.value;
  const tune::cl_params t = tune::cl_params_for<tune::cl_params>(
      tune::cl_ids_of(ctx.device()), kernel,
      [&] { return tune::matmul_class(index_t(n), rows, cols); }, tune::any_density);
  spmm_block_params p;
  if (t.vector_width) p.vector_width = t.vector_width;
  if (t.wg0) p.group_strips = t.wg0;
  if (t.local_mem) p.spmv_group_reduce = t.local_mem == 2;
  return p;
}

inline ::cl::Event enqueue(const context& ctx, const ::cl::Kernel& kernel,
                           const ::cl::NDRange& global, const ::cl::NDRange& local) {
  ::cl::Event ev;
  ctx.queue().enqueueNDRangeKernel(kernel, ::cl::NullRange, global, local, nullptr, &ev);
  return ev;
}

inline ::cl::Event run_bcr(const context& ctx, const device_bcr& w, const ::cl::Buffer& x,
                           std::size_t n, const ::cl::Buffer* bias, const ::cl::Buffer& y,
                           kernels::spmm::activation act, const spmm_params_opt& given, bool spmv) {
  const char* where = spmv ? "spk::cl::spmv_bcr" : "spk::cl::spmm_bcr";
  check_spmm_buffers(ctx, w, x, n, bias, y, act, where);
  const spmm_block_params prm =
      resolve_spmm_params(ctx, spmv ? "cl_spmv_bcr" : "cl_spmm_bcr", n, w.rows(), w.cols(), given);
  define_list defs = spmm_defines(n, bias, act, prm, spmv, where);
  if (n == 0 || w.rows() == 0) return ::cl::Event();
  defs.push_back({"BH", std::to_string(w.bh())});
  static const std::string source = kernel_source("spmm_block");
  ::cl::Program program = get_program(ctx, source, defs);
  return translate(spmv ? "enqueueing spmv_bcr" : "enqueueing spmm_bcr", [&] {
    const bool grouped = spmv && prm.spmv_group_reduce;
    ::cl::Kernel kernel(program, grouped ? "spmv_bcr_wg" : spmv ? "spmv_bcr" : "spmm_bcr");
    int a = 0;
    kernel.setArg(a++, cl_int(w.rows()));
    kernel.setArg(a++, cl_int(w.strips()));
    for (const ::cl::Buffer* b : {&w.strip_seg(), &w.seg_row(), &w.seg_col(), &w.seg_val(),
                                  &w.row_idx(), &w.col_idx(), &w.values(), &x})
      kernel.setArg(a++, *b);
    kernel.setArg(a++, bias ? *bias : x);  // unread without HAS_BIAS
    kernel.setArg(a++, y);
    ::cl::NDRange global, local;
    launch_dims(n, std::size_t(w.strips()), prm, spmv, global, local);
    if (grouped)
      global = ::cl::NDRange(std::size_t(w.strips()) * spmv_group_size),
      local = ::cl::NDRange(spmv_group_size);
    return enqueue(ctx, kernel, global, local);
  });
}

inline ::cl::Event run_bsr(const context& ctx, const device_bsr& w, const ::cl::Buffer& x,
                           std::size_t n, const ::cl::Buffer* bias, const ::cl::Buffer& y,
                           kernels::spmm::activation act, const spmm_params_opt& given, bool spmv) {
  const char* where = spmv ? "spk::cl::spmv_bsr" : "spk::cl::spmm_bsr";
  check_spmm_buffers(ctx, w, x, n, bias, y, act, where);
  const spmm_block_params prm =
      resolve_spmm_params(ctx, spmv ? "cl_spmv_bsr" : "cl_spmm_bsr", n, w.rows(), w.cols(), given);
  define_list defs = spmm_defines(n, bias, act, prm, spmv, where);
  if (n == 0 || w.rows() == 0) return ::cl::Event();
  defs.push_back({"BSR_R", std::to_string(w.r())});
  defs.push_back({"BSR_C", std::to_string(w.c())});
  static const std::string source = kernel_source("spmm_block");
  ::cl::Program program = get_program(ctx, source, defs);
  return translate(spmv ? "enqueueing spmv_bsr" : "enqueueing spmm_bsr", [&] {
    ::cl::Kernel kernel(program, spmv ? "spmv_bsr" : "spmm_bsr");
    kernel.setArg(0, cl_int(w.rows()));
    kernel.setArg(1, cl_int(w.strips()));
    kernel.setArg(2, w.blk_ptr());
    kernel.setArg(3, w.blk_idx());
    kernel.setArg(4, w.values());
    kernel.setArg(5, x);
    kernel.setArg(6, bias ? *bias : x);
    kernel.setArg(7, y);
    ::cl::NDRange global, local;
    launch_dims(n, std::size_t(w.strips() * w.panels()), prm, spmv, global, local);
    return enqueue(ctx, kernel, global, local);
  });
}

}  // namespace detail

/// Enqueues Y = act(W X + bias) on ctx.queue(): W the device BCR matrix (M x K), `x` K x n
/// row-major, `y` M x n row-major (every element written; rows of strips with several segments
/// are accumulated in place, so y must not alias x), `bias` M floats or nullptr, act none /
/// relu / gelu (kernels::spmm's epilogue, no residual). n is compiled into the program (one
/// build per distinct (n, BH, act, bias, vector width)). n == 0 enqueues nothing and returns a
/// null event. Raises shape_mismatch for a small buffer, invalid_argument for a format of
/// another context, an unknown activation or bad params, overflow past 2^31 elements.
inline ::cl::Event spmm_bcr(const context& ctx, const device_bcr& w, const ::cl::Buffer& x,
                            std::size_t n, const ::cl::Buffer* bias, const ::cl::Buffer& y,
                            kernels::spmm::activation act = kernels::spmm::activation::none,
                            spmm_params_opt params = std::nullopt) {
  return detail::run_bcr(ctx, w, x, n, bias, y, act, params, false);
}
/// spmm_bcr for a BSR matrix (n, r, c, act and bias compiled in).
inline ::cl::Event spmm_bsr(const context& ctx, const device_bsr& w, const ::cl::Buffer& x,
                            std::size_t n, const ::cl::Buffer* bias, const ::cl::Buffer& y,
                            kernels::spmm::activation act = kernels::spmm::activation::none,
                            spmm_params_opt params = std::nullopt) {
  return detail::run_bsr(ctx, w, x, n, bias, y, act, params, false);
}
/// y (M) = act(W x + bias), x K floats: one work-item per strip (BCR) or per 16-row panel of a
/// strip (BSR), the panel's rows in one float16 accumulator (measured faster on PoCL than the
/// work-group-per-strip reduction, params.spmv_group_reduce). Same errors as spmm_bcr.
inline ::cl::Event spmv_bcr(const context& ctx, const device_bcr& w, const ::cl::Buffer& x,
                            const ::cl::Buffer* bias, const ::cl::Buffer& y,
                            kernels::spmm::activation act = kernels::spmm::activation::none,
                            spmm_params_opt params = std::nullopt) {
  return detail::run_bcr(ctx, w, x, 1, bias, y, act, params, true);
}
inline ::cl::Event spmv_bsr(const context& ctx, const device_bsr& w, const ::cl::Buffer& x,
                            const ::cl::Buffer* bias, const ::cl::Buffer& y,
                            kernels::spmm::activation act = kernels::spmm::activation::none,
                            spmm_params_opt params = std::nullopt) {
  return detail::run_bsr(ctx, w, x, 1, bias, y, act, params, true);
}

namespace detail {
template <class W, class Run>
void spmm_host(const context& ctx, const W& w, matrix_view<const float> x, const float* bias,
               matrix_view<float> y, Run&& run, const char* where) {
  require(x.dim(0) == w.cols(), where, "x.rows", x.dim(0),
          "== weight cols (" + std::to_string(w.cols()) + ")", errc::shape_mismatch);
  require(y.dim(0) == w.rows() && y.dim(1) == x.dim(1), where, "y.dims",
          std::to_string(y.dim(0)) + "x" + std::to_string(y.dim(1)),
          std::to_string(w.rows()) + "x" + std::to_string(x.dim(1)), errc::shape_mismatch);
  if (y.empty()) return;
  const ::cl::Buffer dx = upload(ctx, pack<2>(x));
  const ::cl::Buffer dy = device_buffer<float>(ctx, std::size_t(y.size()));
  ::cl::Buffer db;
  if (bias) db = upload(ctx, bias, std::size_t(w.rows()));
  const ::cl::Event done = run(dx, std::size_t(x.dim(1)), bias ? &db : nullptr, dy);
  std::vector<float> host(std::size_t(y.size()));
  download(ctx, dy, host.data(), host.size(), &done);
  unpack<2>(host, y);
}
}  // namespace detail

/// Host-memory SpMM (blocking): x K x N, y M x N views (any strides), bias M floats or nullptr.
/// Raises shape_mismatch naming 'x.rows' or 'y.dims'.
inline void spmm_bcr(const context& ctx, const device_bcr& w, matrix_view<const float> x,
                     const float* bias, matrix_view<float> y,
                     kernels::spmm::activation act = kernels::spmm::activation::none,
                     spmm_params_opt params = std::nullopt) {
  detail::spmm_host(
      ctx, w, x, bias, y,
      [&](const ::cl::Buffer& dx, std::size_t n, const ::cl::Buffer* db, const ::cl::Buffer& dy) {
        return spmm_bcr(ctx, w, dx, n, db, dy, act, params);
      },
      "spk::cl::spmm_bcr");
}
inline void spmm_bsr(const context& ctx, const device_bsr& w, matrix_view<const float> x,
                     const float* bias, matrix_view<float> y,
                     kernels::spmm::activation act = kernels::spmm::activation::none,
                     spmm_params_opt params = std::nullopt) {
  detail::spmm_host(
      ctx, w, x, bias, y,
      [&](const ::cl::Buffer& dx, std::size_t n, const ::cl::Buffer* db, const ::cl::Buffer& dy) {
        return spmm_bsr(ctx, w, dx, n, db, dy, act, params);
      },
      "spk::cl::spmm_bsr");
}
/// Host-memory SpMV (blocking): x K floats, y M floats, bias M floats or nullptr.
inline void spmv_bcr(const context& ctx, const device_bcr& w, const float* x, const float* bias,
                     float* y, kernels::spmm::activation act = kernels::spmm::activation::none,
                     spmm_params_opt params = std::nullopt) {
  require(x != nullptr || w.cols() == 0, "spk::cl::spmv_bcr", "x", "nullptr", "K floats");
  require(y != nullptr || w.rows() == 0, "spk::cl::spmv_bcr", "y", "nullptr", "M floats");
  detail::spmm_host(
      ctx, w, make_matrix<const float>(x, w.cols(), 1), bias, make_matrix<float>(y, w.rows(), 1),
      [&](const ::cl::Buffer& dx, std::size_t, const ::cl::Buffer* db, const ::cl::Buffer& dy) {
        return spmv_bcr(ctx, w, dx, db, dy, act, params);
      },
      "spk::cl::spmv_bcr");
}
inline void spmv_bsr(const context& ctx, const device_bsr& w, const float* x, const float* bias,
                     float* y, kernels::spmm::activation act = kernels::spmm::activation::none,
                     spmm_params_opt params = std::nullopt) {
  require(x != nullptr || w.cols() == 0, "spk::cl::spmv_bsr", "x", "nullptr", "K floats");
  require(y != nullptr || w.rows() == 0, "spk::cl::spmv_bsr", "y", "nullptr", "M floats");
  detail::spmm_host(
      ctx, w, make_matrix<const float>(x, w.cols(), 1), bias, make_matrix<float>(y, w.rows(), 1),
      [&](const ::cl::Buffer& dx, std::size_t, const ::cl::Buffer* db, const ::cl::Buffer& dy) {
        return spmv_bsr(ctx, w, dx, db, dy, act, params);
      },
      "spk::cl::spmv_bsr");
}

}  // namespace cl
SPK_END_NAMESPACE
