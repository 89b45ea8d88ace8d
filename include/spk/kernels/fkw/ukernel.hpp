// SPDX-License-Identifier: Apache-2.0
// FKW conv microkernel: one register tile of R output rows x V vectors of one filter, summed
// over the filter's kernel runs. Each pattern is compiled into "steps" (one per tap column and
// 3-row window); a step's code is specialised on its tap-row mask, so no per-kernel branch.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "spk/core/arch.hpp"
#include "spk/core/simd.hpp"

/// Forces inlining of the tile code: the accumulators must stay in registers across the step
/// switch; clang 14 and g++ 12 otherwise call the largest steps out of line and keep the tile
/// on the stack (a load and a store around every FMA).
#if defined(__GNUC__) || defined(__clang__)
#define SPK_FKW_INLINE inline __attribute__((always_inline))
#else
#define SPK_FKW_INLINE inline
#endif
/// clang 14 unrolls the per-kernel loop of a step and then spills the tile; keep it rolled.
#if defined(__clang__)
#define SPK_FKW_NO_UNROLL _Pragma("clang loop unroll(disable)")
#else
#define SPK_FKW_NO_UNROLL
#endif

SPK_BEGIN_NAMESPACE
namespace kernels::fkw {

/// One step of a pattern's program: the taps of one kernel column inside a window of up to 3
/// consecutive tap rows. `off` is the float offset of the window's first row and the column in
/// a channel's packed input (phase plane + row * ld + column shift); bit j of `mask` = tap row
/// j of the window is kept, and its weight is the kernel's value number widx[j].
struct fkw_step {
  index_t off = 0;
  std::int32_t mask = 0;
  std::int32_t widx[3] = {0, 0, 0};
};

/// What a tile needs besides its accumulators. Input: packed per channel (cstride floats
/// apart), rows ld floats apart; `in` points at the tile's first input row and column.
struct fkw_tile_args {
  const float* in = nullptr;
  index_t ld = 0, cstride = 0, nnz = 0;
  const std::int32_t* index = nullptr;  ///< FKW index array (channel per kernel slot)
  const float* weight = nullptr;        ///< FKW weight array
  index_t run_cap = 1 << 30;            ///< kernels per pass over a run's steps (L1 reuse)
  /// Every tile row (in + step offset - column shift) is vector-aligned: shifted multi-tap
  /// steps may use aligned loads + shifts (has_valign archs only).
  bool aligned_rows = false;
};

/// AVX-512: the tile rows start on a vector boundary, so column shifts can use valignd.
template <class Arch>
inline constexpr bool has_valign =
#if XSIMD_WITH_AVX512F
    std::is_base_of_v<xsimd::avx512f, Arch>;
#else
    false;
#endif

namespace detail {

/// True when input row q of a step window feeds some output row of an R-row tile at row
/// stride SH through a tap row of mask M (compile-time after unrolling).
template <int R, int SH, int M>
constexpr bool row_used(int q) {
  for (int r = 0; r < 3; ++r)
    if ((M >> r & 1) && q >= r && (q - r) % SH == 0 && (q - r) / SH < R) return true;
  return false;
}

/// Lanes [S, L) of lo followed by lanes [0, S) of hi: the vector at float offset S of an
/// aligned pair (AVX-512 valignd; only instantiated there).
template <int S, class Arch>
SPK_FKW_INLINE xsimd::batch<float, Arch> shift_pair(const xsimd::batch<float, Arch>& lo,
                                                    const xsimd::batch<float, Arch>& hi) {
#if XSIMD_WITH_AVX512F
  // The zero-masking form with a full mask is the same valignd; g++ 12's plain
  // _mm512_alignr_epi32 passes an "undefined" source that -Wmaybe-uninitialized reports.
  return _mm512_castsi512_ps(_mm512_maskz_alignr_epi32(__mmask16(0xFFFF), _mm512_castps_si512(hi),
                                                       _mm512_castps_si512(lo), S));
#else
  static_assert(S == 0, "shift_pair needs AVX-512");
  (void)hi;
  return lo;
#endif
}

/// Runs one step (mask M) over kernel slots [kb, ke): kernel-level load-redundancy elimination:
/// every input row of the window is loaded once (V vectors) and feeds each output row that
/// needs it, e.g. R = 4, stride 1, 3 taps in a column: 6 x V loads for 12 x V FMAs.
/// `prefetch`: touch the first line of each row of slot k + 2's tile (first step of a run only:
/// later steps hit L1). Prefetching every line of the tile cost more load slots than it saved.
template <class Arch, int R, int V, int SH, int M, int SHIFT = 0>
SPK_FKW_INLINE void step_rows(xsimd::batch<float, Arch> (&acc)[R][V], const fkw_tile_args& a,
                              const fkw_step& st, index_t kb, index_t ke, bool prefetch) {
  using vec = xsimd::batch<float, Arch>;
  constexpr int L = int(vec::size);
  constexpr int NQ = (R - 1) * SH + 3;
  // Few live integers: the loop walks the index array and one weight pointer per kept tap row
  // (each advanced by nnz), and reaches the window's rows by walking a row pointer. Indexing
  // wk[widx] off k * nnz and a precomputed q * ld per row kept ~16 integers live, more than
  // x86-64 has: the inner loop reloaded half of them from the stack (37% of the samples of
  // VGG conv3_2 on a Zen 2 core, against 19% on the FMAs).
  const float* base = a.in + st.off;
  const index_t ld = a.ld, cs = a.cstride, nnz = a.nnz;
  const float* wp0 = a.weight + kb * nnz + st.widx[0];
  const float* wp1 = a.weight + kb * nnz + st.widx[1];
  const float* wp2 = a.weight + kb * nnz + st.widx[2];
  const std::int32_t* ix = a.index + kb;
  const std::int32_t* const ix_end = a.index + ke;
  SPK_FKW_NO_UNROLL for (; ix != ix_end; ++ix) {
    const float* x = base + *ix * cs;
    if (prefetch && ix + 2 < ix_end) {
      const float* px = base + ix[2] * cs;
      SPK_UNROLL for (int q = 0; q < NQ; ++q) {
        if (row_used<R, SH, M>(q)) __builtin_prefetch(px, 0, 3);
        px += ld;
      }
    }
    const vec wr0((M & 1) ? *wp0 : 0.f), wr1((M & 2) ? *wp1 : 0.f), wr2((M & 4) ? *wp2 : 0.f);
    if constexpr ((M & 1) != 0) wp0 += nnz;
    if constexpr ((M & 2) != 0) wp1 += nnz;
    if constexpr ((M & 4) != 0) wp2 += nnz;
    SPK_UNROLL for (int q = 0; q < NQ; ++q) {
      if (row_used<R, SH, M>(q)) {
        vec xs[V];
        if constexpr (SHIFT > 0) {
          const float* xa = x - SHIFT;
          vec lo = vec::load_aligned(xa);
          SPK_UNROLL for (int v = 0; v < V; ++v) {
            const vec hi = vec::load_aligned(xa + (v + 1) * L);
            xs[v] = shift_pair<SHIFT>(lo, hi);
            lo = hi;
          }
        } else {
          SPK_UNROLL for (int v = 0; v < V; ++v) xs[v] = vec::load_unaligned(x + v * L);
        }
        SPK_UNROLL for (int v = 0; v < V; ++v) {
          const vec xv = xs[v];
          if ((M & 1) && (q - 0) % SH == 0 && (q - 0) / SH < R)
            acc[(q - 0) / SH][v] = simd::fma(wr0, xv, acc[(q - 0) / SH][v]);
          if ((M & 2) && q >= 1 && (q - 1) % SH == 0 && (q - 1) / SH < R)
            acc[(q - 1) / SH][v] = simd::fma(wr1, xv, acc[(q - 1) / SH][v]);
          if ((M & 4) && q >= 2 && (q - 2) % SH == 0 && (q - 2) / SH < R)
            acc[(q - 2) / SH][v] = simd::fma(wr2, xv, acc[(q - 2) / SH][v]);
        }
      }
      x += ld;
    }
  }
}

/// A single-tap step at a runtime row stride (strides other than 1 and 2): no row reuse.
template <class Arch, int R, int V>
SPK_FKW_INLINE void step_generic(xsimd::batch<float, Arch> (&acc)[R][V], const fkw_tile_args& a,
                                 const fkw_step& st, index_t kb, index_t ke, index_t row_step) {
  using vec = xsimd::batch<float, Arch>;
  constexpr int L = int(vec::size);
  SPK_FKW_NO_UNROLL for (index_t k = kb; k < ke; ++k) {
    const float* x = a.in + st.off + a.index[k] * a.cstride;
    const vec w(a.weight[k * a.nnz + st.widx[0]]);
    SPK_UNROLL for (int i = 0; i < R; ++i) SPK_UNROLL for (int v = 0; v < V; ++v) acc[i][v] =
        simd::fma(w, vec::load_unaligned(x + i * row_step + v * L), acc[i][v]);
  }
}

/// Runs step st with its mask fixed at compile time. SHIFT (the step's column shift, 0 = plain
/// unaligned loads) applies to multi-tap masks only: an unaligned 64-byte load always splits a
/// cache line, and one valignd per loaded vector pays for itself where the vector feeds 2-3
/// FMAs; single-tap steps measured even, so they keep the unaligned loads.
template <class Arch, int R, int V, int SH, int SHIFT>
SPK_FKW_INLINE void step_by_mask(xsimd::batch<float, Arch> (&acc)[R][V], const fkw_tile_args& a,
                                 const fkw_step& st, index_t kb, index_t ke, bool pf) {
  switch (st.mask) {
    case 1:
      return step_rows<Arch, R, V, SH, 1>(acc, a, st, kb, ke, pf);
    case 2:
      return step_rows<Arch, R, V, SH, 2>(acc, a, st, kb, ke, pf);
    case 3:
      return step_rows<Arch, R, V, SH, 3, SHIFT>(acc, a, st, kb, ke, pf);
    case 4:
      return step_rows<Arch, R, V, SH, 4>(acc, a, st, kb, ke, pf);
    case 5:
      return step_rows<Arch, R, V, SH, 5, SHIFT>(acc, a, st, kb, ke, pf);
    case 6:
      return step_rows<Arch, R, V, SH, 6, SHIFT>(acc, a, st, kb, ke, pf);
    default:
      return step_rows<Arch, R, V, SH, 7, SHIFT>(acc, a, st, kb, ke, pf);
  }
}

}  // namespace detail

/// Accumulates one run (slots [kb, ke), all of one pattern whose program is steps[0..n)) into
/// the R x V tile, in passes of at most a.run_cap kernels. SH = output-row stride in input rows (1
/// or 2; 0 = runtime `row_step`, where every step must be single-tap). The switch runs once per
/// step and run, never per kernel.
template <class Arch, int R, int V, int SH>
SPK_FKW_INLINE void fkw_run(xsimd::batch<float, Arch> (&acc)[R][V], const fkw_tile_args& a,
                            const fkw_step* steps, index_t nsteps, index_t kb_all, index_t ke_all,
                            index_t row_step) {
  for (index_t kb = kb_all; kb < ke_all; kb += a.run_cap) {  // passes of run_cap kernels
    const index_t ke = std::min(ke_all, kb + a.run_cap);
    for (index_t j = 0; j < nsteps; ++j) {
      const fkw_step& st = steps[j];
      const bool pf = j == 0;
      if constexpr (SH == 0) {
        detail::step_generic<Arch, R, V>(acc, a, st, kb, ke, row_step);
      } else if constexpr (has_valign<Arch>) {
        // Tap columns 1 and 2 (shift 1, 2 floats) of aligned rows: aligned loads + valignd.
        const index_t sft = a.aligned_rows ? st.off % index_t(xsimd::batch<float, Arch>::size) : 0;
        if (sft == 1)
          detail::step_by_mask<Arch, R, V, SH, 1>(acc, a, st, kb, ke, pf);
        else if (sft == 2)
          detail::step_by_mask<Arch, R, V, SH, 2>(acc, a, st, kb, ke, pf);
        else
          detail::step_by_mask<Arch, R, V, SH, 0>(acc, a, st, kb, ke, pf);
      } else {
        detail::step_by_mask<Arch, R, V, SH, 0>(acc, a, st, kb, ke, pf);
      }
    }
  }
}

}  // namespace kernels::fkw
SPK_END_NAMESPACE
