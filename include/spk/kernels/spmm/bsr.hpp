// SPDX-License-Identifier: Apache-2.0
// BSR SpMM / SpMV drivers: Y = epilogue(X W^T) with W in format::bsr (r x c blocks). Same
// microkernels as BCR with span = c: one block-column index serves c consecutive columns.
#pragma once

#include "spk/format/bsr.hpp"
#include "spk/kernels/spmm/driver.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::spmm {

namespace detail {
/// One BSR strip for MR tokens: every panel is full-height (no scatter), stored with epilogue.
template <class Arch, index_t MR, class Panel>
void bsr_strip(const format::bsr& w, index_t s, const Panel& panel, const matrix_view<float>& y,
               index_t m0, index_t mrows, const epilogue& e) {
  constexpr index_t P = format::panel_rows;
  alignas(64) float tile[MR * P];
  const index_t r0 = s * w.r(), h = std::min(w.r(), w.rows() - r0);
  for (index_t p = 0; p * P < h; ++p) {
    panel(s, p, tile);
    store_tile<Arch>(tile, P, mrows, std::min(P, h - p * P), y, m0, r0 + p * P, e);
  }
}
inline auto bsr_prefix(const format::bsr& w) {
  return [&w](index_t s) { return w.blk_ptr()[s] * w.c() * w.panels() + s; };
}
/// Values of panel p of strip s.
inline const float* bsr_panel(const format::bsr& w, index_t s, index_t p) {
  const index_t nb = w.blk_ptr()[s + 1] - w.blk_ptr()[s];
  return w.values() + (w.blk_ptr()[s] * w.panels() + p * nb) * w.c() * format::panel_rows;
}
/// spmm_bsr with MR-token register tiles (MR <= spmm_tile::mr).
template <class Arch, index_t MR>
void spmm_bsr_run(const format::bsr& w, const matrix_view<const float>& x,
                  const matrix_view<float>& y, const epilogue& e, executor& ex, float* ws,
                  int per_thread) {
  const index_t m = x.dim(0), k = w.cols();
  pack_tokens<MR>(x, ws, ex);
  const index_t parts = work_items(w.strips(), ex.concurrency(), per_thread),
                tpanels = (m + MR - 1) / MR;
  const auto prefix = bsr_prefix(w);
  ex.parallel_for(parts, [&](index_t part) {
    const index_t s0 = split_point(w.strips(), parts, part, prefix);
    const index_t s1 = split_point(w.strips(), parts, part + 1, prefix);
    for (index_t s = s0; s < s1; ++s)
      for (index_t tp = 0; tp < tpanels; ++tp) {
        auto panel = [&](index_t st, index_t p, float* tile) {
          const index_t nb = w.blk_ptr()[st + 1] - w.blk_ptr()[st];
          spmm_panel_ukernel<Arch, MR>(nb, w.blk_idx() + w.blk_ptr()[st], w.c(),
                                       bsr_panel(w, st, p), ws + tp * MR * k, tile);
        };
        bsr_strip<Arch, MR>(w, s, panel, y, tp * MR, std::min(MR, m - tp * MR), e);
      }
  });
}
}  // namespace detail

template <class Arch = default_arch>
index_t spmm_bsr_workspace_size(const format::bsr& w, index_t m, int /*threads*/) {
  return checked_mul(detail::round_up(std::max<index_t>(m, 1), spmm_tile<Arch>::mr), w.cols(),
                     "spmm_bsr workspace");
}

/// Y = epilogue(X W^T), X M x K, Y M x N, W N x K in BSR. Y is write-only. `prm`: work split
/// and token tile (std::nullopt: the active tune table's, spk/tune/active.hpp).
template <class Arch = default_arch>
void spmm_bsr(const format::bsr& w, matrix_view<const float> x, matrix_view<float> y,
              const epilogue& e, executor& ex, float* ws,
              const std::optional<tune::spmm_params>& prm = std::nullopt) {
  detail::check_spmm(w.rows(), w.cols(), x, y, e, "spmm_bsr");
  const index_t m = x.dim(0);
  if (m == 0 || w.rows() == 0) return;
  require(ws != nullptr, "spmm_bsr", "ws", "nullptr", "spmm_bsr_workspace_size floats");
  const tune::spmm_params tp = detail::resolve_params<Arch>(prm, "spmm_bsr", m, w.rows(), w.cols(),
                                                            [&] { return w.density(); });
  constexpr index_t MR = spmm_tile<Arch>::mr;
  if (tp.half_tile == 1 && MR >= 2)
    return detail::spmm_bsr_run<Arch, MR / 2>(w, x, y, e, ex, ws, tp.items_per_thread);
  detail::spmm_bsr_run<Arch, MR>(w, x, y, e, ex, ws, tp.items_per_thread);
}

template <class Arch = default_arch>
void spmm_bsr(const format::bsr& w, matrix_view<const float> x, matrix_view<float> y,
              const epilogue& e = {}, executor& ex = default_executor(),
              const std::optional<tune::spmm_params>& prm = std::nullopt) {
  aligned_buffer<float> ws(spmm_bsr_workspace_size<Arch>(w, x.dim(0), ex.concurrency()));
  spmm_bsr<Arch>(w, x, y, e, ex, ws.data(), prm);
}

/// y (N) = epilogue(W x), batch 1; no workspace.
template <class Arch = default_arch>
void spmv_bsr(const format::bsr& w, const float* x, float* y, const epilogue& e = {},
              executor& ex = default_executor(),
              const std::optional<tune::spmm_params>& prm = std::nullopt) {
  require(x != nullptr || w.cols() == 0, "spmv_bsr", "x", "nullptr", "K floats");
  require(y != nullptr || w.rows() == 0, "spmv_bsr", "y", "nullptr", "N floats");
  if (w.rows() == 0) return;
  const auto yv = make_matrix<float>(y, 1, w.rows());
  const tune::spmm_params tp = detail::resolve_params<Arch>(prm, "spmv_bsr", 1, w.rows(), w.cols(),
                                                            [&] { return w.density(); });
  const index_t parts = detail::work_items(w.strips(), ex.concurrency(), tp.items_per_thread);
  const auto prefix = detail::bsr_prefix(w);
  ex.parallel_for(parts, [&](index_t part) {
    const index_t s0 = detail::split_point(w.strips(), parts, part, prefix);
    const index_t s1 = detail::split_point(w.strips(), parts, part + 1, prefix);
    auto panel = [&](index_t st, index_t p, float* tile) {
      const index_t nb = w.blk_ptr()[st + 1] - w.blk_ptr()[st];
      spmv_panel_ukernel<Arch>(nb, w.blk_idx() + w.blk_ptr()[st], w.c(),
                               detail::bsr_panel(w, st, p), x, tile);
    };
    for (index_t s = s0; s < s1; ++s) detail::bsr_strip<Arch, 1>(w, s, panel, yv, 0, 1, e);
  });
}

}  // namespace kernels::spmm
SPK_END_NAMESPACE
