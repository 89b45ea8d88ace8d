// SPDX-License-Identifier: Apache-2.0
// BCR SpMM / SpMV drivers: Y (M x N) = epilogue(X (M x K) W^T) with W in format::bcr, the
// layout of torch.nn.Linear (X row-major tokens x features). Work items are nnz-balanced runs
// of row strips; within a strip, token panels of MR run over the strip's value panels.
#pragma once

#include "spk/format/bcr.hpp"
#include "spk/kernels/spmm/driver.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::spmm {

namespace detail {
/// One strip of a BCR matrix for MR tokens starting at m0 (mrows valid). `panel(seg, p, tile)`
/// fills tile[MR][16] for panel p of segment seg. A strip that is one full-height segment is
/// stored straight from the tiles; otherwise tiles scatter-add into acc[MR][hpad] (zeroed
/// here) at their kept rows and acc is stored once the strip's segments are done.
template <class Arch, index_t MR, class Panel>
void bcr_strip(const format::bcr& w, index_t s, const Panel& panel, const matrix_view<float>& y,
               index_t m0, index_t mrows, const epilogue& e, float* acc) {
  constexpr index_t P = format::panel_rows;
  alignas(64) float tile[MR * P];
  const index_t r0 = s * w.bh(), h = std::min(w.bh(), w.rows() - r0);
  const index_t g0 = w.strip_seg()[s], g1 = w.strip_seg()[s + 1];
  if (g1 - g0 == 1 && w.segment_full(g0, s)) {
    for (index_t p = 0; p * P < h; ++p) {
      panel(g0, p, tile);
      store_tile<Arch>(tile, P, mrows, std::min(P, h - p * P), y, m0, r0 + p * P, e);
    }
    return;
  }
  const index_t hpad = round_up(w.bh(), P);
  std::fill(acc, acc + MR * hpad, 0.f);
  for (index_t g = g0; g < g1; ++g) {
    const index_t a = w.seg_row()[g + 1] - w.seg_row()[g];
    const std::int32_t* rows = w.row_idx() + w.seg_row()[g];
    for (index_t p = 0; p * P < a; ++p) {
      panel(g, p, tile);
      const index_t valid = std::min(P, a - p * P);
      for (index_t m = 0; m < mrows; ++m)
        for (index_t l = 0; l < valid; ++l)
          acc[m * hpad + (rows[p * P + l] - r0)] += tile[m * P + l];
    }
  }
  store_tile<Arch>(acc, hpad, mrows, h, y, m0, r0, e);
}

template <class Arch>
index_t bcr_parts(const format::bcr& w, int threads, int per_thread = 0) {
  return work_items(w.strips(), threads, per_thread);
}
/// Cost prefix: values stored before strip s plus 16 per strip (its epilogue and stores).
inline auto bcr_prefix(const format::bcr& w) {
  return [&w](index_t s) { return w.seg_val()[w.strip_seg()[s]] + 16 * s; };
}
/// spmm_bcr with MR-token register tiles (MR <= spmm_tile::mr); the workspace layout is the
/// full-MR one spmm_bcr_workspace_size describes (packed tokens first, then the strip accs).
template <class Arch, index_t MR>
void spmm_bcr_run(const format::bcr& w, const matrix_view<const float>& x,
                  const matrix_view<float>& y, const epilogue& e, executor& ex, float* ws,
                  int per_thread) {
  constexpr index_t P = format::panel_rows;
  const index_t m = x.dim(0), k = w.cols();
  float* xp = ws;
  float* accs = ws + round_up(round_up(m, spmm_tile<Arch>::mr) * k, 16);
  pack_tokens<MR>(x, xp, ex);
  const index_t parts = bcr_parts<Arch>(w, ex.concurrency(), per_thread),
                tpanels = (m + MR - 1) / MR;
  const index_t hpad = round_up(w.bh(), P);
  const auto prefix = bcr_prefix(w);
  ex.parallel_for(parts, [&](index_t part) {
    const index_t s0 = split_point(w.strips(), parts, part, prefix);
    const index_t s1 = split_point(w.strips(), parts, part + 1, prefix);
    float* acc = accs + part * MR * hpad;
    for (index_t s = s0; s < s1; ++s)
      for (index_t tp = 0; tp < tpanels; ++tp) {
        const float* xpan = xp + tp * MR * k;
        auto panel = [&](index_t g, index_t p, float* tile) {
          const index_t b = w.seg_col()[g + 1] - w.seg_col()[g];
          spmm_panel_ukernel<Arch, MR>(b, w.col_idx() + w.seg_col()[g], 1,
                                       w.values() + w.seg_val()[g] + p * b * P, xpan, tile);
        };
        bcr_strip<Arch, MR>(w, s, panel, y, tp * MR, std::min(MR, m - tp * MR), e, acc);
      }
  });
}
}  // namespace detail

/// Floats of workspace spmm_bcr needs for M tokens on `threads` work threads.
template <class Arch = default_arch>
index_t spmm_bcr_workspace_size(const format::bcr& w, index_t m, int threads) {
  constexpr index_t MR = spmm_tile<Arch>::mr;
  const index_t xp =
      checked_mul(detail::round_up(std::max<index_t>(m, 1), MR), w.cols(), "spmm_bcr workspace");
  const index_t acc = MR * detail::round_up(w.bh(), format::panel_rows) *
                      std::max<index_t>(1, detail::bcr_parts<Arch>(w, threads));
  return checked_add(detail::round_up(xp, 16), acc, "spmm_bcr workspace");
}

/// Y = epilogue(X W^T). X: M x K (any strides), Y: M x N (unit column stride is the fast path),
/// W: N x K BCR. Every element of Y is written (Y is never read, except as e.residual).
/// `ws` holds spmm_bcr_workspace_size(w, M, ex.concurrency()) floats. `prm`: work split and
/// token tile (std::nullopt: the active tune table's, spk/tune/active.hpp).
template <class Arch = default_arch>
void spmm_bcr(const format::bcr& w, matrix_view<const float> x, matrix_view<float> y,
              const epilogue& e, executor& ex, float* ws,
              const std::optional<tune::spmm_params>& prm = std::nullopt) {
  detail::check_spmm(w.rows(), w.cols(), x, y, e, "spmm_bcr");
  const index_t m = x.dim(0);
  if (m == 0 || w.rows() == 0) return;
  require(ws != nullptr, "spmm_bcr", "ws", "nullptr", "spmm_bcr_workspace_size floats");
  const tune::spmm_params tp = detail::resolve_params<Arch>(prm, "spmm_bcr", m, w.rows(), w.cols(),
                                                            [&] { return w.density(); });
  constexpr index_t MR = spmm_tile<Arch>::mr;
  if (tp.half_tile == 1 && MR >= 2)
    return detail::spmm_bcr_run<Arch, MR / 2>(w, x, y, e, ex, ws, tp.items_per_thread);
  detail::spmm_bcr_run<Arch, MR>(w, x, y, e, ex, ws, tp.items_per_thread);
}

/// Convenience overload: allocates the workspace (not for hot loops).
template <class Arch = default_arch>
void spmm_bcr(const format::bcr& w, matrix_view<const float> x, matrix_view<float> y,
              const epilogue& e = {}, executor& ex = default_executor(),
              const std::optional<tune::spmm_params>& prm = std::nullopt) {
  aligned_buffer<float> ws(spmm_bcr_workspace_size<Arch>(w, x.dim(0), ex.concurrency()));
  spmm_bcr<Arch>(w, x, y, e, ex, ws.data(), prm);
}

/// Floats of workspace spmv_bcr needs.
template <class Arch = default_arch>
index_t spmv_bcr_workspace_size(const format::bcr& w, int threads) {
  return detail::round_up(w.bh(), format::panel_rows) *
         std::max<index_t>(1, detail::bcr_parts<Arch>(w, threads));
}

/// y (N) = epilogue(W x) for x (K), batch 1: the recurrent step of an RNN. Memory-bound: it
/// streams the values (64 bytes per kept column per panel) and 4-byte column indices once.
template <class Arch = default_arch>
void spmv_bcr(const format::bcr& w, const float* x, float* y, const epilogue& e, executor& ex,
              float* ws, const std::optional<tune::spmm_params>& prm = std::nullopt) {
  require(x != nullptr || w.cols() == 0, "spmv_bcr", "x", "nullptr", "K floats");
  require(y != nullptr || w.rows() == 0, "spmv_bcr", "y", "nullptr", "N floats");
  if (w.rows() == 0) return;
  require(ws != nullptr, "spmv_bcr", "ws", "nullptr", "spmv_bcr_workspace_size floats");
  constexpr index_t P = format::panel_rows;
  const auto yv = make_matrix<float>(y, 1, w.rows());
  const tune::spmm_params tp = detail::resolve_params<Arch>(prm, "spmv_bcr", 1, w.rows(), w.cols(),
                                                            [&] { return w.density(); });
  const index_t parts = detail::bcr_parts<Arch>(w, ex.concurrency(), tp.items_per_thread),
                hpad = detail::round_up(w.bh(), P);
  const auto prefix = detail::bcr_prefix(w);
  ex.parallel_for(parts, [&](index_t part) {
    const index_t s0 = detail::split_point(w.strips(), parts, part, prefix);
    const index_t s1 = detail::split_point(w.strips(), parts, part + 1, prefix);
    auto panel = [&](index_t g, index_t p, float* tile) {
      const index_t b = w.seg_col()[g + 1] - w.seg_col()[g];
      spmv_panel_ukernel<Arch>(b, w.col_idx() + w.seg_col()[g], 1,
                               w.values() + w.seg_val()[g] + p * b * P, x, tile);
    };
    for (index_t s = s0; s < s1; ++s)
      detail::bcr_strip<Arch, 1>(w, s, panel, yv, 0, 1, e, ws + part * hpad);
  });
}

template <class Arch = default_arch>
void spmv_bcr(const format::bcr& w, const float* x, float* y, const epilogue& e = {},
              executor& ex = default_executor(),
              const std::optional<tune::spmm_params>& prm = std::nullopt) {
  aligned_buffer<float> ws(spmv_bcr_workspace_size<Arch>(w, ex.concurrency()));
  spmv_bcr<Arch>(w, x, y, e, ex, ws.data(), prm);
}

}  // namespace kernels::spmm
SPK_END_NAMESPACE
