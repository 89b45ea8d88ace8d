// SPDX-License-Identifier: Apache-2.0
// CSR SpMM / SpMV (the unstructured control): Y = epilogue(X W^T). SpMM vectorises over tokens
// (X packed transposed in panels of 4 vectors of tokens); SpMV is a scalar indexed dot product
// with four partial sums. Work items are nnz-balanced row ranges.
#pragma once

#include "spk/format/csr.hpp"
#include "spk/kernels/spmm/driver.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::spmm {

namespace detail {
/// Tokens per CSR SpMM panel: 4 vectors, so 4 independent FMA chains per kept weight.
template <class Arch>
inline constexpr index_t csr_tokens = 4 * index_t(xsimd::batch<float, Arch>::size);

/// Rows are grouped 16 at a time for the split (a row is too small a work unit).
inline auto csr_prefix(const format::csr& w) {
  return [&w](index_t g) { return w.row_ptr()[std::min(w.rows(), g * 16)] + g * 16; };
}
}  // namespace detail

template <class Arch = default_arch>
index_t spmm_csr_workspace_size(const format::csr& w, index_t m, int /*threads*/) {
  return checked_mul(detail::round_up(std::max<index_t>(m, 1), detail::csr_tokens<Arch>), w.cols(),
                     "spmm_csr workspace");
}

/// Y = epilogue(X W^T), X M x K, Y M x N, W N x K in CSR. Y is write-only.
template <class Arch = default_arch>
void spmm_csr(const format::csr& w, matrix_view<const float> x, matrix_view<float> y,
              const epilogue& e, executor& ex, float* ws) {
  using vec = xsimd::batch<float, Arch>;
  constexpr index_t L = vec::size, T = detail::csr_tokens<Arch>;
  detail::check_spmm(w.rows(), w.cols(), x, y, e, "spmm_csr");
  const index_t m = x.dim(0), k = w.cols(), n = w.rows();
  if (m == 0 || n == 0) return;
  require(ws != nullptr, "spmm_csr", "ws", "nullptr", "spmm_csr_workspace_size floats");
  const index_t tpanels = (m + T - 1) / T;
  // xt[panel][k][T]: token panel of X transposed (zero tokens past M).
  ex.parallel_for(tpanels, [&](index_t tp) {
    float* dst = ws + tp * k * T;
    for (index_t kk = 0; kk < k; ++kk)
      for (index_t t = 0; t < T; ++t) dst[kk * T + t] = tp * T + t < m ? x(tp * T + t, kk) : 0.f;
  });
  const index_t groups = (n + 15) / 16, parts = detail::work_items(groups, ex.concurrency());
  const auto prefix = detail::csr_prefix(w);
  ex.parallel_for(parts, [&](index_t part) {
    const index_t r0 = std::min(n, 16 * detail::split_point(groups, parts, part, prefix));
    const index_t r1 = std::min(n, 16 * detail::split_point(groups, parts, part + 1, prefix));
    alignas(64) float tile[T];
    for (index_t r = r0; r < r1; ++r)
      for (index_t tp = 0; tp < tpanels; ++tp) {
        const float* xt = ws + tp * k * T;
        vec a0(0.f), a1(0.f), a2(0.f), a3(0.f);
        for (index_t q = w.row_ptr()[r]; q < w.row_ptr()[r + 1]; ++q) {
          const vec wv(w.values()[q]);
          const float* xc = xt + index_t(w.col_idx()[q]) * T;
          a0 = simd::fma(wv, vec::load_aligned(xc), a0);
          a1 = simd::fma(wv, vec::load_aligned(xc + L), a1);
          a2 = simd::fma(wv, vec::load_aligned(xc + 2 * L), a2);
          a3 = simd::fma(wv, vec::load_aligned(xc + 3 * L), a3);
        }
        a0.store_aligned(tile), a1.store_aligned(tile + L), a2.store_aligned(tile + 2 * L),
            a3.store_aligned(tile + 3 * L);
        for (index_t t = 0; t < std::min(T, m - tp * T); ++t)
          y(tp * T + t, r) = detail::apply_scalar(e, tile[t], tp * T + t, r);
      }
  });
}

template <class Arch = default_arch>
void spmm_csr(const format::csr& w, matrix_view<const float> x, matrix_view<float> y,
              const epilogue& e = {}, executor& ex = default_executor()) {
  aligned_buffer<float> ws(spmm_csr_workspace_size<Arch>(w, x.dim(0), ex.concurrency()));
  spmm_csr<Arch>(w, x, y, e, ex, ws.data());
}

/// y (N) = epilogue(W x), batch 1. Per kept weight: 4 bytes of value, 4 of index, one
/// dependent load of x: index-latency bound (no SIMD: xsimd's gather is scalar).
template <class Arch = default_arch>
void spmv_csr(const format::csr& w, const float* x, float* y, const epilogue& e = {},
              executor& ex = default_executor()) {
  require(x != nullptr || w.cols() == 0, "spmv_csr", "x", "nullptr", "K floats");
  require(y != nullptr || w.rows() == 0, "spmv_csr", "y", "nullptr", "N floats");
  const index_t n = w.rows();
  const index_t groups = (n + 15) / 16, parts = detail::work_items(groups, ex.concurrency());
  const auto prefix = detail::csr_prefix(w);
  ex.parallel_for(parts, [&](index_t part) {
    const index_t r0 = std::min(n, 16 * detail::split_point(groups, parts, part, prefix));
    const index_t r1 = std::min(n, 16 * detail::split_point(groups, parts, part + 1, prefix));
    const std::int32_t* idx = w.col_idx();
    const float* v = w.values();
    for (index_t r = r0; r < r1; ++r) {
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      index_t q = w.row_ptr()[r];
      const index_t q1 = w.row_ptr()[r + 1];
      for (; q + 4 <= q1; q += 4) {
        s0 += v[q] * x[idx[q]], s1 += v[q + 1] * x[idx[q + 1]];
        s2 += v[q + 2] * x[idx[q + 2]], s3 += v[q + 3] * x[idx[q + 3]];
      }
      for (; q < q1; ++q) s0 += v[q] * x[idx[q]];
      y[r] = detail::apply_scalar(e, (s0 + s1) + (s2 + s3), 0, r);
    }
  });
}

}  // namespace kernels::spmm
SPK_END_NAMESPACE
