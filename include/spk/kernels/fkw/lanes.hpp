// SPDX-License-Identifier: Apache-2.0
// The lane-strided packed layout of conv2d_fkw (AVX-512, unit column stride). A row is cut
// into x segments of V vectors (one register tile's width); inside a segment, output vector g
// lane l is column g + l * V, and packed vector u lane l holds padded column u + l * V. Tap
// column s of output vector g is then packed vector g + s * dw: every tap column loads whole,
// aligned vectors of the same rows. In the contiguous layout two of three tap columns load
// across a cache line (a split load takes two L1 accesses), which on Sapphire/Granite Rapids
// cost 25-40 % of VGG-16 conv3-5 at density 1/8. The price: halo vectors per segment instead
// of halo floats per row, a gathering pack and a gathering store.
#pragma once

#include <cstdint>
#include <limits>

#include "spk/core/arch.hpp"
#include "spk/core/simd.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::fkw::detail {

/// Packed vectors a lane-strided segment holds past its V tile vectors (the tap shifts).
inline constexpr index_t max_lane_halo = 8;

/// Epilogue gather indices of a V-vector segment: contiguous column m of the segment sits in
/// vector m % V, lane m / V of the tile row (16 lanes).
template <int V>
struct lane_store_table {
  std::int32_t idx[V * 16];
  constexpr lane_store_table() : idx{} {
    for (int m = 0; m < V * 16; ++m) idx[m] = (m % V) * 16 + m / V;
  }
};

/// True when packing a row of `w` columns `step` floats apart can use 32-bit gather indices.
inline bool lane_gather_fits(index_t w, index_t step) {
  return w <= 1 || step <= index_t(std::numeric_limits<std::int32_t>::max()) / (w - 1);
}

#if XSIMD_WITH_AVX512F
/// One segment of one row: dst vector u (u < nvec) lane l = src[c * step] with
/// c = c0 + u + l * V when 0 <= c < w, else 0. Needs
/// lane_gather_fits(w, step); masked-off lanes read nothing. dst need not be aligned (a
/// misaligned workspace runs the same code, slower).
inline void pack_lane_segment(const float* src, index_t step, index_t w, index_t c0, index_t V,
                              index_t nvec, float* dst) noexcept {
  const __m512i lane_col =
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(std::int32_t(V)));
  const __m512i zero = _mm512_setzero_si512(), width = _mm512_set1_epi32(std::int32_t(w)),
                vstep = _mm512_set1_epi32(std::int32_t(step));
  for (index_t u = 0; u < nvec; ++u) {
    const __m512i col = _mm512_add_epi32(lane_col, _mm512_set1_epi32(std::int32_t(c0 + u)));
    const __mmask16 in = _mm512_cmpge_epi32_mask(col, zero) & _mm512_cmplt_epi32_mask(col, width);
    const __m512i at = _mm512_mullo_epi32(_mm512_maskz_mov_epi32(in, col), vstep);
    _mm512_storeu_ps(dst + 16 * u, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), in, at, src, 4));
  }
}

/// The scalar form (rows too long for 32-bit gather indices).
inline void pack_lane_segment_scalar(const float* src, index_t step, index_t w, index_t c0,
                                     index_t V, index_t nvec, float* dst) noexcept {
  for (index_t u = 0; u < nvec; ++u)
    for (index_t l = 0; l < 16; ++l) {
      const index_t c = c0 + u + l * V;
      dst[16 * u + l] = c >= 0 && c < w ? src[c * step] : 0.f;
    }
}

/// Stores one tile row of a segment: `row` holds the V accumulator vectors (aligned, vector v
/// at row + 16 v); its first n (<= 16 V) contiguous columns go to out[0, n).
template <int V>
inline void store_lane_row(const float* row, float* out, index_t n) noexcept {
  static constexpr lane_store_table<V> table{};
  for (index_t k = 0; k < V && 16 * k < n; ++k) {
    const __m512i idx = _mm512_loadu_si512(table.idx + 16 * k);
    // The masked form with a full mask: g++ 12's plain gather passes an "undefined" source
    // that -Wmaybe-uninitialized reports.
    const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), __mmask16(0xFFFF), idx, row, 4);
    if (16 * k + 16 <= n)
      _mm512_storeu_ps(out + 16 * k, v);
    else
      _mm512_mask_storeu_ps(out + 16 * k, __mmask16((1u << (n - 16 * k)) - 1u), v);
  }
}
#endif

}  // namespace kernels::fkw::detail
SPK_END_NAMESPACE
