// SPDX-License-Identifier: Apache-2.0
// What the sparse drivers share: the nnz-balanced split of row strips into work items, the
// activation packing into token panels, and the tile store that applies the fused epilogue.
#pragma once

#include <algorithm>
#include <optional>

#include "spk/core/executor.hpp"
#include "spk/kernels/dense/gemm.hpp"
#include "spk/kernels/spmm/epilogue.hpp"
#include "spk/kernels/spmm/ukernel.hpp"
#include "spk/tune/active.hpp"
#include "spk/tune/classes.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::spmm::detail {

inline index_t round_up(index_t x, index_t m) { return (x + m - 1) / m * m; }

/// Work items for n strips on `threads`: one when serial (no split overhead), else up to four
/// per thread so the dynamic schedule can even out what the cost split misses. `per_thread`
/// (the tune table's items_per_thread, 1..4; 0 = 4) never exceeds the 4 workspaces are sized for.
inline index_t work_items(index_t n, int threads, int per_thread = 0) {
  const index_t k = per_thread > 0 ? std::min(per_thread, 4) : 4;
  return threads <= 1 ? std::min<index_t>(n, 1) : std::min<index_t>(n, k * index_t(threads));
}

/// The call's params: `prm`, or the active tune table's row of `kernel` for M tokens against
/// an N x K matrix of density `density_of()`.
template <class Arch, class DensityFn>
tune::spmm_params resolve_params(const std::optional<tune::spmm_params>& prm, const char* kernel,
                                 index_t m, index_t n, index_t k, const DensityFn& density_of) {
  return tune::params_for<tune::spmm_params>(
      prm ? &*prm : nullptr, tune::cpu_device<Arch>(), kernel,
      [&] { return tune::matmul_class(m, n, k); }, density_of);
}

/// First strip of item p of `parts` over strips [0, n), splitting the cost prefix(s) (monotone,
/// prefix(0) = 0; here: values stored before strip s, plus one unit per strip for its epilogue)
/// into equal shares. Binary search: no allocation per call.
template <class Prefix>
index_t split_point(index_t n, index_t parts, index_t p, const Prefix& prefix) {
  if (p <= 0) return 0;
  if (p >= parts) return n;
  const double target = double(prefix(n)) * double(p) / double(parts);
  index_t lo = 0, hi = n;
  while (lo < hi) {
    const index_t mid = (lo + hi) / 2;
    if (double(prefix(mid)) < target)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/// Packs X (M x K) into token panels [panel][K][MR] (zero tokens past M).
template <index_t MR>
void pack_tokens(const matrix_view<const float>& x, float* xp, executor& ex) {
  const index_t panels = (x.dim(0) + MR - 1) / MR, k = x.dim(1);
  ex.parallel_for(panels,
                  [&](index_t p) { dense::detail::pack_a_panel<MR>(x, p * MR, xp + p * MR * k); });
}

/// y[m0 + m][n0 + j] = epilogue(tile[m * ldt + j]) for m < mrows, j < ncols.
template <class Arch>
void store_tile(const float* tile, index_t ldt, index_t mrows, index_t ncols,
                const matrix_view<float>& y, index_t m0, index_t n0, const epilogue& e) {
  using vec = xsimd::batch<float, Arch>;
  constexpr index_t L = vec::size;
  const bool unit = y.stride(1) == 1;
  for (index_t m = 0; m < mrows; ++m) {
    const float* t = tile + m * ldt;
    float* yr = y.data() + (m0 + m) * y.stride(0);
    index_t j = 0;
    if (unit)
      for (; j + L <= ncols; j += L)
        detail::apply_vec<Arch>(e, vec::load_unaligned(t + j), m0 + m, n0 + j)
            .store_unaligned(yr + n0 + j);
    for (; j < ncols; ++j)
      yr[(n0 + j) * y.stride(1)] = detail::apply_scalar(e, t[j], m0 + m, n0 + j);
  }
}

}  // namespace kernels::spmm::detail
SPK_END_NAMESPACE
