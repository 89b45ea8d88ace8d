// SPDX-License-Identifier: Apache-2.0
// layers::weight: one weight matrix W (out x in, torch.nn.Linear's layout) held dense or in any
// sparse format (BCR, BSR, CSR), with y = epilogue(x W^T) and y = epilogue(W x) dispatched to
// the matching kernel. Every layer stores each of its matrices as a weight. A BCR/BSR weight
// runs dense where the tune table's crossover row says dense is faster at its density.
#pragma once

#include <memory>
#include <utility>
#include <variant>

#include "spk/kernels/dense/gemm.hpp"
#include "spk/kernels/spmm/spmm.hpp"
#include "spk/layers/crossover.hpp"

SPK_BEGIN_NAMESPACE
namespace layers {

using kernels::spmm::activation;
using kernels::spmm::epilogue;

/// A weight matrix, dense (a contiguous out x in tensor) or sparse. Not safe for concurrent
/// calls on the same object (it keeps a scratch workspace between calls, so the per-step
/// SpMV of a recurrent layer does not allocate).
class weight {
 public:
  using storage = std::variant<tensor<float, 2>, format::bcr, format::bsr, format::csr>;

  weight() : w_(tensor<float, 2>({0, 0})) {}
  /// Dense copy of `w` (out x in).
  explicit weight(matrix_view<const float> w) : w_(copy(w)) {}
  weight(format::bcr f) : w_(std::move(f)) {}  // NOLINT: a format is a weight
  weight(format::bsr f) : w_(std::move(f)) {}  // NOLINT
  weight(format::csr f) : w_(std::move(f)) {}  // NOLINT

  index_t rows() const {
    return std::visit([](const auto& w) { return rows_of(w); }, w_);
  }
  index_t cols() const {
    return std::visit([](const auto& w) { return cols_of(w); }, w_);
  }
  bool is_dense() const noexcept { return w_.index() == 0; }
  /// Forces the sparse or dense path of matmul (automatic: the tune table's crossover).
  void set_path(path_choice c) noexcept { choice_ = c; }
  /// True when matmul with M tokens runs the dense GEMM (a dense weight, or a BCR/BSR weight at
  /// or above the crossover density of the active tune table for this shape).
  bool will_run_dense(index_t m) const {
    if (w_.index() == 0) return true;
    if (w_.index() == 3) return choice_ == path_choice::dense;
    const char* k = w_.index() == 1 ? "spmm_bcr/dense" : "spmm_bsr/dense";
    return prefer_dense<default_arch>(
        choice_, k, [&] { return tune::matmul_class(m, rows(), cols()); }, density());
  }
  const storage& get() const noexcept { return w_; }
  /// The (pruned) dense matrix.
  tensor<float, 2> to_dense() const {
    return std::visit(
        [](const auto& w) -> tensor<float, 2> {
          if constexpr (std::is_same_v<std::decay_t<decltype(w)>, tensor<float, 2>>)
            return w;
          else
            return w.to_dense();
        },
        w_);
  }

  /// y (M x out) = epilogue(x (M x in) W^T). y must have a unit column stride.
  void matmul(matrix_view<const float> x, matrix_view<float> y, const epilogue& e = {},
              executor& ex = default_executor()) const {
    namespace sp = kernels::spmm;
    const int t = ex.concurrency();
    const index_t m = x.dim(0);
    switch (will_run_dense(m) ? 0 : w_.index()) {
      case 0: {
        const auto& d = dense();
        sp::detail::check_spmm(d.dim(0), d.dim(1), x, y, e, "weight::matmul");
        require(y.stride(1) == 1 || y.dim(1) <= 1, "weight::matmul", "y.stride(1)", y.stride(1),
                "1");
        const matrix_view<const float> wt(d.data(), {d.dim(1), d.dim(0)},
                                          {1, d.dim(1)});  // W^T: in x out
        float* ws = scratch(kernels::dense::gemm_dense_workspace_size(m, d.dim(0), d.dim(1), t));
        kernels::dense::gemm_dense(x, wt, y, 1.f, 0.f, ex, ws);
        sp::detail::store_tile<default_arch>(y.data(), y.stride(0), m, y.dim(1), y, 0, 0,
                                             e);  // epilogue in place
        return;
      }
      case 1:
        sp::spmm_bcr(std::get<1>(w_), x, y, e, ex,
                     scratch(sp::spmm_bcr_workspace_size(std::get<1>(w_), m, t)));
        return;
      case 2:
        sp::spmm_bsr(std::get<2>(w_), x, y, e, ex,
                     scratch(sp::spmm_bsr_workspace_size(std::get<2>(w_), m, t)));
        return;
      default:
        sp::spmm_csr(std::get<3>(w_), x, y, e, ex,
                     scratch(sp::spmm_csr_workspace_size(std::get<3>(w_), m, t)));
        return;
    }
  }

  /// y (out) = epilogue(W x) for one vector x (in): the recurrent step.
  void matvec(const float* x, float* y, const epilogue& e = {},
              executor& ex = default_executor()) const {
    namespace sp = kernels::spmm;
    switch (w_.index()) {
      case 0: {
        const auto& d = std::get<0>(w_);
        kernels::dense::gemv_dense(d.view(), x, y, 1.f, 0.f, ex);
        const auto yv = make_matrix<float>(y, 1, d.dim(0));
        sp::detail::store_tile<default_arch>(y, d.dim(0), 1, d.dim(0), yv, 0, 0, e);
        return;
      }
      case 1:
        sp::spmv_bcr(std::get<1>(w_), x, y, e, ex,
                     scratch(sp::spmv_bcr_workspace_size(std::get<1>(w_), ex.concurrency())));
        return;
      case 2:
        sp::spmv_bsr(std::get<2>(w_), x, y, e, ex);
        return;
      default:
        sp::spmv_csr(std::get<3>(w_), x, y, e, ex);
        return;
    }
  }

 private:
  static tensor<float, 2> copy(matrix_view<const float> w) {
    tensor<float, 2> t({w.dim(0), w.dim(1)});
    for (index_t i = 0; i < w.dim(0); ++i)
      for (index_t j = 0; j < w.dim(1); ++j) t.data()[i * w.dim(1) + j] = w(i, j);
    return t;
  }
  static index_t rows_of(const tensor<float, 2>& t) { return t.dim(0); }
  static index_t cols_of(const tensor<float, 2>& t) { return t.dim(1); }
  template <class F>
  static index_t rows_of(const F& f) {
    return f.rows();
  }
  template <class F>
  static index_t cols_of(const F& f) {
    return f.cols();
  }
  double density() const {
    if (density_ < 0)
      density_ = std::visit(
          [](const auto& w) -> double {
            if constexpr (std::is_same_v<std::decay_t<decltype(w)>, tensor<float, 2>>)
              return 1.0;
            else
              return w.density();
          },
          w_);
    return density_;
  }
  /// The dense matrix: the weight itself, or the format's expansion, made once.
  const tensor<float, 2>& dense() const {
    if (w_.index() == 0) return std::get<0>(w_);
    if (!dense_) dense_ = std::make_shared<tensor<float, 2>>(to_dense());
    return *dense_;
  }
  float* scratch(index_t n) const {
    if (ws_.size() < n) ws_ = aligned_buffer<float>(n);
    return ws_.data();
  }

  storage w_;
  path_choice choice_ = path_choice::automatic;
  mutable double density_ = -1;
  mutable std::shared_ptr<tensor<float, 2>> dense_;
  mutable aligned_buffer<float> ws_;
};

}  // namespace layers
SPK_END_NAMESPACE
