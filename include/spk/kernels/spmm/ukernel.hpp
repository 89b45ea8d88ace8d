// SPDX-License-Identifier: Apache-2.0
// Microkernels of the block-sparse SpMM/SpMV: one 16-row value panel (format::panel_rows) of a
// BCR segment or BSR strip against its kept columns. No allocation, no policy: the drivers
// (bcr.hpp, bsr.hpp) own packing, strips, scatter, epilogues and threads.
#pragma once

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "spk/core/arch.hpp"
#include "spk/core/simd.hpp"
#include "spk/format/bcr.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::spmm {

/// Register tile per arch: MR tokens x 16 rows (NV = 16 / lanes vectors). Per kept column the
/// SpMM kernel loads NV weight vectors and MR broadcast activations for MR * NV FMAs, so each
/// weight load feeds MR FMAs. AVX-512 (32 zmm): MR = 16 -> 16 accumulators and the packed
/// activations of one column fill exactly one cache line; AVX2 (16 ymm): 6 x 2 = 12; SSE/NEON:
/// 3 x 4 = 12.
template <class Arch>
struct spmm_tile {
  static constexpr index_t lanes = static_cast<index_t>(xsimd::batch<float, Arch>::size);
  static constexpr index_t nv = format::panel_rows / lanes;
  static constexpr index_t mr = lanes >= 16 ? 16 : (lanes == 8 ? 6 : 3);
  static_assert(format::panel_rows % lanes == 0, "the 16-row panel must be whole vectors");
};

/// Columns of activations prefetched ahead in the SpMM kernel: the packed activation lines of
/// kept columns are scattered over L2, so the hardware prefetcher cannot predict them.
inline constexpr index_t spmm_prefetch_distance = 8;

/// tile[m * 16 + r] = sum over kept blocks b < nblk and t < span of
///   xp[(idx[b] * span + t) * MR + m] * w[(b * span + t) * 16 + r]
/// i.e. one 16-row panel times MR tokens. xp: activations packed [K][MR] (token panel);
/// w: the panel's values, 16 floats per kept column (64-byte aligned on AVX-512 when the
/// format's values are). span = 1 for BCR (idx = column), c for BSR (idx = block column).
template <class Arch, index_t MR>
inline void spmm_panel_ukernel(index_t nblk, const std::int32_t* __restrict idx, index_t span,
                               const float* __restrict w, const float* __restrict xp,
                               float* __restrict tile) {
  using vec = xsimd::batch<float, Arch>;
  constexpr index_t L = vec::size, NV = format::panel_rows / L, D = spmm_prefetch_distance;
  vec acc[MR][NV];
  SPK_UNROLL for (index_t m = 0; m < MR; ++m) SPK_UNROLL for (index_t v = 0; v < NV; ++v)
      acc[m][v] = vec(0.f);
  auto step = [&](const float* xc, const float* wc) {
    vec wv[NV];
    SPK_UNROLL for (index_t v = 0; v < NV; ++v) wv[v] = vec::load_unaligned(wc + v * L);
    SPK_UNROLL for (index_t m = 0; m < MR; ++m) {
      const vec xb(xc[m]);
      SPK_UNROLL for (index_t v = 0; v < NV; ++v) acc[m][v] = simd::fma(xb, wv[v], acc[m][v]);
    }
  };
  if (span == 1) {
    for (index_t b = 0; b < nblk; ++b) {
      if (b + D < nblk) __builtin_prefetch(xp + index_t(idx[b + D]) * MR);
      step(xp + index_t(idx[b]) * MR, w + b * format::panel_rows);
    }
  } else {
    for (index_t b = 0; b < nblk; ++b) {
      if (b + 2 < nblk) __builtin_prefetch(xp + index_t(idx[b + 2]) * span * MR);
      const float* xc = xp + index_t(idx[b]) * span * MR;
      const float* wc = w + b * span * format::panel_rows;
      for (index_t t = 0; t < span; ++t) step(xc + t * MR, wc + t * format::panel_rows);
    }
  }
  SPK_UNROLL for (index_t m = 0; m < MR; ++m) SPK_UNROLL for (index_t v = 0; v < NV; ++v) acc[m][v]
      .store_unaligned(tile + m * format::panel_rows + v * L);
}

/// out[r] = sum over kept columns of x[col] * w[col][r] for one 16-row panel (batch 1).
/// Memory-bound: per kept column it streams 64 bytes of values + 4 of index. Four columns in
/// flight (4 * NV independent accumulators) hide the FMA latency.
template <class Arch>
inline void spmv_panel_ukernel(index_t nblk, const std::int32_t* __restrict idx, index_t span,
                               const float* __restrict w, const float* __restrict x,
                               float* __restrict out) {
  using vec = xsimd::batch<float, Arch>;
  constexpr index_t L = vec::size, NV = format::panel_rows / L, P = format::panel_rows;
  vec acc[4][NV];
  SPK_UNROLL for (index_t u = 0; u < 4; ++u) SPK_UNROLL for (index_t v = 0; v < NV; ++v) acc[u][v] =
      vec(0.f);
  if (span == 1) {
    index_t b = 0;
    for (; b + 4 <= nblk; b += 4) {
      SPK_UNROLL for (index_t u = 0; u < 4; ++u) {
        const vec xb(x[idx[b + u]]);
        SPK_UNROLL for (index_t v = 0; v < NV; ++v) acc[u][v] =
            simd::fma(xb, vec::load_unaligned(w + (b + u) * P + v * L), acc[u][v]);
      }
    }
    for (; b < nblk; ++b) {
      const vec xb(x[idx[b]]);
      SPK_UNROLL for (index_t v = 0; v < NV; ++v) acc[0][v] =
          simd::fma(xb, vec::load_unaligned(w + b * P + v * L), acc[0][v]);
    }
  } else {
    for (index_t b = 0; b < nblk; ++b) {
      const float* xc = x + index_t(idx[b]) * span;
      const float* wc = w + b * span * P;
      index_t t = 0;
      for (; t + 4 <= span; t += 4) {
        SPK_UNROLL for (index_t u = 0; u < 4; ++u) {
          const vec xb(xc[t + u]);
          SPK_UNROLL for (index_t v = 0; v < NV; ++v) acc[u][v] =
              simd::fma(xb, vec::load_unaligned(wc + (t + u) * P + v * L), acc[u][v]);
        }
      }
      for (; t < span; ++t) {
        const vec xb(xc[t]);
        SPK_UNROLL for (index_t v = 0; v < NV; ++v) acc[0][v] =
            simd::fma(xb, vec::load_unaligned(wc + t * P + v * L), acc[0][v]);
      }
    }
  }
  SPK_UNROLL for (index_t v = 0; v < NV; ++v)((acc[0][v] + acc[1][v]) + (acc[2][v] + acc[3][v]))
      .store_unaligned(out + v * L);
}

}  // namespace kernels::spmm
SPK_END_NAMESPACE
