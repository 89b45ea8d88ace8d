// SPDX-License-Identifier: Apache-2.0
// Reference sparse kernels (the oracles): Y = epilogue(X W^T) for a sparse W (N x K, any spk
// block format or CSR) and activations X (M x K), plain loops over the format's kept entries
// accumulating in double. Same signatures as the optimised kernels, minus executor/workspace.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "spk/format/bcr.hpp"
#include "spk/format/bsr.hpp"
#include "spk/format/csr.hpp"
#include "spk/kernels/spmm/epilogue.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::spmm {

namespace detail {
template <class Format>
void spmm_reference_loops(const Format& w, const matrix_view<const float>& x,
                          const matrix_view<float>& y, const epilogue& e, const char* where) {
  check_spmm(w.rows(), w.cols(), x, y, e, where);
  const index_t m = x.dim(0), n = w.rows();
  std::vector<double> acc(static_cast<std::size_t>(m * n), 0.0);
  w.for_each([&](index_t r, index_t c, float v) {
    for (index_t t = 0; t < m; ++t) acc[t * n + r] += double(v) * double(x(t, c));
  });
  for (index_t t = 0; t < m; ++t)
    for (index_t r = 0; r < n; ++r) {
      double a = acc[t * n + r] + (e.bias ? double(e.bias[r]) : 0.0);
      if (e.act == activation::relu) a = a > 0 ? a : 0;
      if (e.act == activation::gelu) a = 0.5 * a * (1.0 + std::erf(a * 0.70710678118654752));
      if (e.residual) a += double(e.residual[t * e.ldr + r]);
      y(t, r) = float(a);
    }
}
}  // namespace detail

/// Y (M x N) = epilogue(X (M x K) * W^T), W = the BCR matrix (N x K).
inline void spmm_bcr_reference(const format::bcr& w, matrix_view<const float> x,
                               matrix_view<float> y, const epilogue& e = {}) {
  detail::spmm_reference_loops(w, x, y, e, "spmm_bcr_reference");
}
inline void spmm_bsr_reference(const format::bsr& w, matrix_view<const float> x,
                               matrix_view<float> y, const epilogue& e = {}) {
  detail::spmm_reference_loops(w, x, y, e, "spmm_bsr_reference");
}
inline void spmm_csr_reference(const format::csr& w, matrix_view<const float> x,
                               matrix_view<float> y, const epilogue& e = {}) {
  detail::spmm_reference_loops(w, x, y, e, "spmm_csr_reference");
}
/// y (N) = epilogue(W x), x K contiguous floats: the batch-1 case of the SpMM references.
template <class Format>
void spmv_reference(const Format& w, const float* x, float* y, const epilogue& e = {}) {
  detail::spmm_reference_loops(w, make_matrix<const float>(x, 1, w.cols()),
                               make_matrix<float>(y, 1, w.rows()), e, "spmv_reference");
}

}  // namespace kernels::spmm
SPK_END_NAMESPACE
