// SPDX-License-Identifier: Apache-2.0
// Input packing of the kernel-group-sparse engine (conv.hpp): the geometry of the zero-padded
// stride phases every tap reads at a constant offset, and the per-channel packer that builds
// them from an NCDHW / NCHW image (any spatial strides).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "spk/core/conv_shape.hpp"
#include "spk/core/simd.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::kgs {

namespace detail {

using dims3 = std::array<index_t, 3>;

/// The packed-input geometry, S dims lifted to 3 (leading extents 1).
///
/// Packed layout, per channel c (stride `chan`): sd*sh*sw stride phases, each a Dq x Hq x Wq
/// block (`phase` floats) holding padded_input[a*sd + pd][b*sh + ph][e*sw + pw] (0 outside the
/// input). Output (od, oh, ow) at flat index q = od*plane + oh*Wq + ow reads tap (kd, kh, kw)
/// at q + tap_offset: (kd * dil_d) % sd picks the phase, (kd * dil_d) / sd shifts a plane; so a
/// tile of consecutive q is one unaligned vector load per tap for any stride and dilation. The
/// flat index skips nothing: positions with oh >= OH or ow >= OW are computed and dropped.
///
/// Column variants (variants > 1, small 3D planes; make_geometry): rows hold the W input columns
/// only (Wq = W, no pad column), and each phase is stored once per kernel column kw, a copy in
/// which the columns that tap's wrapped reads land on are zeroed (shift s = kw * dil - pad: the
/// last -s columns for s < 0, the first s for s > 0). A tap of column kw reads its own copy at
/// column ow + s; past a row's edge it reads the neighbouring row's zeroed columns, which is
/// exactly the padding. Every block (phase, variant) starts with `lead` = pad zero floats that
/// the reads of the first positions reach before it. The lanes of the pad columns are gone
/// (C3D conv4's 14-wide rows: 15 -> 14 positions), for `variants` times the packed input.
struct geometry {
  dims3 in{}, out{}, kernel{}, stride{}, pad{}, dil{}, q{};
  index_t plane = 0, phase = 0, chan = 0, channels = 0;  ///< phase = one block, lead included
  index_t runs = 1, run_len = 0, run_step = 0;           ///< flat runs of output positions
  index_t overhang = 0;  ///< zero floats taps may read past the last channel (shared pad rows)
  index_t variants = 1, lead = 0;  ///< column variants per phase; zeros before each block

  index_t tap_offset(index_t k) const noexcept {
    dims3 u{};
    const index_t kw = k % kernel[2];
    for (int d = 2; d >= 0; --d) u[d] = (k % kernel[d]) * dil[d], k /= kernel[d];
    const index_t ph =
        ((u[0] % stride[0]) * stride[1] + u[1] % stride[1]) * stride[2] + u[2] % stride[2];
    const index_t block = variants > 1 ? ph * variants + kw : ph;
    const index_t col = variants > 1 ? u[2] - pad[2] : u[2] / stride[2];  // >= -lead
    return block * phase + lead + (u[0] / stride[0]) * plane + (u[1] / stride[1]) * q[2] + col;
  }
  /// Columns [lo, hi) of the input that variant v holds (all W for variants == 1).
  std::array<index_t, 2> variant_columns(index_t v) const noexcept {
    if (variants == 1) return {0, in[2]};
    const index_t sh = v * dil[2] - pad[2];
    return {std::max<index_t>(sh, 0), in[2] + std::min<index_t>(sh, 0)};
  }
  /// True when some tap of dim d reads stride phase `ph` (a 1x1x1 stride-2 conv reads 1 of 8).
  bool phase_used(int d, index_t ph) const noexcept {
    for (index_t k = 0; k < kernel[d]; ++k)
      if ((k * dil[d]) % stride[d] == ph) return true;
    return false;
  }
  /// Kernel depths [lo, hi) whose taps of output plane od read an input plane; the others read
  /// depth padding only (the first and last planes of a 'same' 3D conv: one in three taps).
  std::array<index_t, 2> live_depths(index_t od) const noexcept {
    const index_t base = od * stride[0] - pad[0];
    index_t lo = 0, hi = kernel[0];
    while (lo < hi && base + lo * dil[0] < 0) ++lo;
    while (hi > lo && base + (hi - 1) * dil[0] >= in[0]) --hi;
    return {lo, hi};
  }
};

template <int S>
geometry make_geometry(const conv_shape<S>& s, index_t tile) {
  geometry g;
  for (int d = 0; d < 3; ++d) {
    const int sd = d - (3 - S);
    const bool lifted = sd < 0;
    g.in[d] = lifted ? 1 : s.in[sd], g.out[d] = lifted ? 1 : s.out[sd],
    g.kernel[d] = lifted ? 1 : s.kernel[sd];
    g.stride[d] = lifted ? 1 : s.params.stride[sd], g.pad[d] = lifted ? 0 : s.params.pad_begin[sd];
    g.dil[d] = lifted ? 1 : s.params.dilation[sd];
    const index_t padded = g.in[d] + g.pad[d] + (lifted ? 0 : s.params.pad_end[sd]);
    g.q[d] = (padded + g.stride[d] - 1) / g.stride[d];
  }
  // Column variants (see geometry) for 3D 'same' widths (OW = W) of kernels up to 3 columns,
  // where the shared pad column below is at least 1/16 of a row (W <= 15 p: C3D conv4's 14 and
  // conv5's 7, not conv3's 28): 7% / 12% fewer tile lanes there, for 3x the packed input (
  // 2.6 -> 7.7 MB on conv4b). Wider rows lose less than the copies cost in cache.
  const bool unit_strides = g.stride == dims3{1, 1, 1};
  if (unit_strides && S == 3 && g.q[0] > 1 && g.pad[2] >= 1 &&
      s.params.pad_end[S - 1] == g.pad[2] && (g.kernel[2] - 1) * g.dil[2] == 2 * g.pad[2] &&
      g.kernel[2] <= 3 && g.in[2] <= 15 * g.pad[2]) {
    g.variants = g.kernel[2], g.lead = g.pad[2], g.q[2] = g.in[2];
  } else if (unit_strides && S >= 2 && g.pad[2] >= 1 && s.params.pad_end[S - 1] == g.pad[2] &&
             g.pad[1] >= 1 && (g.kernel[2] - 1) * g.dil[2] >= g.pad[2]) {
    // Shared pad columns: with unit strides and the same width padding p >= 1 on both sides,
    // the right pad of a row doubles as the left pad of the next (row stride W + p, not
    // W + 2p), so p fewer dropped positions per output row (and every output column fits). A
    // tap that wraps past the last row of a plane reads the next plane's (or channel's) first
    // row, which is top padding (pad_h >= 1) or the zeroed tail: zeros either way.
    g.q[2] = g.in[2] + g.pad[2];
  }
  // Shared pad rows, the same between the planes of a 3D volume: the bottom pad rows of a plane
  // double as the top pad of the next (Hq = H + p, not H + 2p), p rows fewer dropped per output
  // plane (C3D conv4's 14 x 14 planes: 225 positions instead of 240, 5% fewer tiles). The
  // last plane's taps then reach p rows past the channel, into the next channel's first plane
  // (depth or top padding: zeros) or, after the last channel, into `overhang` zeros.
  if (g.stride == dims3{1, 1, 1} && S == 3 && g.q[0] > 1 && g.pad[1] >= 1 &&
      s.params.pad_end[S - 2] == g.pad[1] && (g.kernel[1] - 1) * g.dil[1] >= g.pad[1]) {
    g.q[1] = g.in[1] + g.pad[1];
    g.overhang = checked_mul(g.pad[1], g.q[2], "kgs packed input");
  }
  // The last block's reads run `lead` columns past its data too (into the next block's lead).
  g.overhang += g.lead;
  g.channels = s.in_channels;
  g.plane = checked_mul(g.q[1], g.q[2], "kgs packed input");
  g.phase =
      checked_add(checked_mul(g.q[0], g.plane, "kgs packed input"), g.lead, "kgs packed input");
  g.chan = checked_mul(g.phase, g.stride[0] * g.stride[1] * g.stride[2] * g.variants,
                       "kgs packed input");
  // One run over all output planes, or one run per plane: whichever costs fewer tiles, a
  // plane's weighted by the share of its depth taps that read input (runs per plane skip the
  // others, conv.hpp depth_classes: C3D conv4's 4 planes cost 3.33 planes of tiles, conv5's 2
  // cost 1.33).
  const index_t per_plane = (g.out[1] - 1) * g.q[2] + g.out[2];
  const index_t all = (g.out[0] - 1) * g.plane + per_plane;
  const auto tiles = [tile](index_t len) { return (len + tile - 1) / tile; };
  double plane_cost = 0;
  for (index_t od = 0; od < g.out[0]; ++od) {
    const auto live = g.live_depths(od);
    plane_cost += double(tiles(per_plane)) * double(live[1] - live[0]) / double(g.kernel[0]);
  }
  if (double(tiles(all)) < plane_cost)
    g.runs = 1, g.run_len = all, g.run_step = 0;
  else
    g.runs = g.out[0], g.run_len = per_plane, g.run_step = g.plane;
  return g;
}

/// Floats of packed input incl. the zeroed tail the last tile over-reads.
inline index_t packed_floats(const geometry& g, index_t tile) {
  return checked_add(checked_mul(g.channels, g.chan, "kgs packed input"),
                     checked_add(g.overhang, tile + 64, "kgs packed input"), "kgs packed input");
}

/// Row banding of a planar (depth-1) geometry: output rows are computed `rows` at a time from a
/// packed buffer holding only the band's packed rows (rows + halo per phase, the halo being the
/// taps' row reach), repacked per band. A band of a few hundred KB stays in L2 between its
/// packing and its tiles; the whole packed input of YOLOv4's 160-320 wide layers (3-13 MB) went
/// to L3 and back. Every band has the same layout (only the output rows of the last are fewer),
/// so one set of entry offsets serves all.
inline index_t band_halo(const geometry& g) noexcept {
  return (g.kernel[1] - 1) * g.dil[1] / g.stride[1];
}

/// Output rows per band for a packed band of at most `bytes`, or 0 when banding does not apply
/// (not planar, a band of fewer than 2 rows, or one band holding every row).
inline index_t band_rows(const geometry& g, double bytes) noexcept {
  if (g.q[0] != 1 || g.out[0] != 1 || g.runs != 1 || g.variants != 1) return 0;
  const double row_bytes = double(g.channels) * double(g.chan / g.plane) * double(g.q[2]) * 4.0;
  const index_t rows = index_t(bytes / row_bytes) - band_halo(g);
  return rows >= 2 && rows < g.out[1] ? rows : 0;
}

/// The geometry of the band of output rows [oh0, oh0 + rows) (the last band: fewer): its packed
/// rows are the whole geometry's rows [oh0, oh0 + rows + halo), i.e. the same input with the top
/// padding shifted by oh0 strides (negative past the first band).
inline geometry band_geometry(const geometry& g, index_t rows, index_t oh0) noexcept {
  geometry b = g;
  b.q[1] = rows + band_halo(g);
  b.pad[1] = g.pad[1] - oh0 * g.stride[1];
  b.out[1] = std::min(rows, g.out[1] - oh0);
  b.plane = b.q[1] * b.q[2], b.phase = b.plane, b.chan = b.phase * (g.chan / g.phase);
  b.runs = 1, b.run_step = 0, b.run_len = (b.out[1] - 1) * b.q[2] + b.out[2];
  return b;
}

/// The packed entries e < q whose source index e * stride + shift lies in [0, n): [lo, hi).
/// The same for every row of a stride phase, so pack_input computes it once per phase (two
/// divisions a row were half the packing time of YOLOv4's 20 x 20 layers).
struct row_span {
  index_t lo = 0, hi = 0;
};

inline row_span packed_row_span(index_t n, index_t stride, index_t shift, index_t q) {
  row_span sp;
  sp.lo = std::min(q, shift >= 0 ? index_t(0) : (-shift + stride - 1) / stride);
  sp.hi =
      std::max(sp.lo, std::min(q, n - shift <= 0 ? index_t(0) : (n - shift + stride - 1) / stride));
  return sp;
}

/// dst[e] = row[(e * stride + shift) * step] for e in sp, 0 for the rest of e < q. The interior
/// is one branch-free run (a memcpy for unit steps): packing is a tenth of a sparse 3x3 layer's
/// time when done element by element with bounds tests.
inline void pack_row(const float* row, index_t step, index_t stride, index_t shift, row_span sp,
                     index_t q, float* dst) {
  const index_t lo = sp.lo, hi = sp.hi;
  std::fill(dst, dst + lo, 0.f);
  if (stride == 1 && step == 1) {
    if (hi > lo) std::memcpy(dst + lo, row + lo + shift, std::size_t(hi - lo) * sizeof(float));
  } else if (stride == 2 && step == 1) {
    // Every other float of a dense row (a stride-2 phase): a constant stride the compiler
    // turns into vector permutes. The generic loop below runs element by element and was
    // 27-30% of YOLOv4's stride-2 3x3 layers (conv_1, conv_152) on one core.
    const float* __restrict src = row + shift;
    float* __restrict d = dst;
    for (index_t e = lo; e < hi; ++e) d[e] = src[2 * e];
  } else {
    for (index_t e = lo; e < hi; ++e) dst[e] = row[(e * stride + shift) * step];
  }
  std::fill(dst + hi, dst + q, 0.f);
}

#if XSIMD_WITH_AVX512F
/// Lanes l < 16 with 0 <= s0 + l < n.
inline __mmask16 lanes_in_range(index_t s0, index_t n) noexcept {
  const index_t lo = std::clamp<index_t>(-s0, 0, 16), hi = std::clamp<index_t>(n - s0, 0, 16);
  return __mmask16(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/// pack_row over `rows` rows (source rows `row_step` floats apart, packed rows q apart) for dense
/// rows (unit step) and stride 1 or 2, AVX-512: per 16 packed floats, zero-masked loads of the
/// in-range source lanes (the padding comes out as zeros: no fill, memcpy or bounds branch),
/// one permute picking the even lanes of two vectors for stride 2, a store masked to the row.
/// The masks depend on the column only, so they are computed once for rows of up to 512
/// packed floats (an 11-wide phase row of YOLOv4's 20 x 20 layers is then 4 instructions): the
/// row-by-row generic path cost ~20 cycles a row there, 24% of conv_152. Masked-off lanes never
/// fault, so the loads may start before a row or end past it; their addresses are formed as
/// integers, not as out-of-range pointers.
inline void pack_rows_avx512(const float* row, index_t row_step, index_t rows, index_t n,
                             index_t stride, index_t shift, index_t q, float* dst) noexcept {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const auto at = [](const float* r, index_t i) {
    return reinterpret_cast<const float*>(reinterpret_cast<std::uintptr_t>(r) +
                                          std::uintptr_t(i * index_t(sizeof(float))));
  };
  const auto store_mask = [q](index_t e0) {
    return __mmask16((1u << std::min<index_t>(q - e0, 16)) - 1u);
  };
  const auto row_chunk = [&](const float* r, index_t e0, __mmask16 m0, __mmask16 m1, __mmask16 ms,
                             float* d) {
    const index_t s0 = e0 * stride + shift;
    __m512 v = _mm512_maskz_loadu_ps(m0, at(r, s0));
    if (stride == 2) v = _mm512_permutex2var_ps(v, even, _mm512_maskz_loadu_ps(m1, at(r, s0 + 16)));
    _mm512_mask_storeu_ps(d + e0, ms, v);
  };
  if (q <= 16) {  // one chunk: masks in registers (the array loop below is 1.6x slower here)
    const __mmask16 m0 = lanes_in_range(shift, n), m1 = lanes_in_range(shift + 16, n),
                    ms = store_mask(0);
    for (index_t r = 0; r < rows; ++r, row += row_step, dst += q)
      row_chunk(row, 0, m0, m1, ms, dst);
    return;
  }
  constexpr index_t max_hoisted = 32;  // rows up to 512 packed floats: masks computed once
  const index_t chunks = (q + 15) / 16;
  if (chunks <= max_hoisted) {
    __mmask16 m0[max_hoisted], m1[max_hoisted], ms[max_hoisted];
    for (index_t k = 0; k < chunks; ++k) {
      const index_t s0 = 16 * k * stride + shift;
      m0[k] = lanes_in_range(s0, n), m1[k] = lanes_in_range(s0 + 16, n), ms[k] = store_mask(16 * k);
    }
    for (index_t r = 0; r < rows; ++r, row += row_step, dst += q)
      for (index_t k = 0; k < chunks; ++k) row_chunk(row, 16 * k, m0[k], m1[k], ms[k], dst);
    return;
  }
  for (index_t r = 0; r < rows; ++r, row += row_step, dst += q)
    for (index_t e0 = 0; e0 < q; e0 += 16) {
      const index_t s0 = e0 * stride + shift;
      row_chunk(row, e0, lanes_in_range(s0, n), lanes_in_range(s0 + 16, n), store_mask(e0), dst);
    }
}
#endif

/// Packs `rows` image rows (row_step floats apart, element step `step`) into consecutive packed
/// rows of q floats: the AVX-512 masked path where it applies, pack_row otherwise.
template <class Arch>
inline void pack_rows(const float* row, index_t row_step, index_t rows, index_t n, index_t step,
                      index_t stride, index_t shift, index_t q, float* dst) {
#if XSIMD_WITH_AVX512F
  if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) {
    if (step == 1 && (stride == 1 || stride == 2))
      return pack_rows_avx512(row, row_step, rows, n, stride, shift, q, dst);
  }
#endif
  const row_span sp = packed_row_span(n, stride, shift, q);
  for (index_t r = 0; r < rows; ++r, row += row_step, dst += q)
    pack_row(row, step, stride, shift, sp, q, dst);
}

/// Packs channels [c0, c1) of one image (spatial strides `ss`, channel stride cs) into `dst`;
/// a tile reads at most `over_read` floats past the last valid position of a phase.
template <class Arch>
void pack_input(const geometry& g, const float* img, index_t cs, const dims3& ss, index_t c0,
                index_t c1, index_t over_read, float* dst) {
  for (index_t c = c0; c < c1; ++c) {
    float* p = dst + c * g.chan;
    const float* src = img + c * cs;
    for (index_t pd = 0; pd < g.stride[0]; ++pd)
      for (index_t ph = 0; ph < g.stride[1]; ++ph)
        for (index_t pw = 0; pw < g.stride[2]; ++pw)
          for (index_t v = 0; v < g.variants; ++v, p += g.phase) {
            std::fill(p, p + g.lead, 0.f);
            float* blk = p + g.lead;
            if (!g.phase_used(0, pd) || !g.phase_used(1, ph) || !g.phase_used(2, pw)) {
              // Never read by a tap (packing it cost 8x the compute of R(2+1)D's downsample);
              // only the last tile of the previous phase over-reads its first < T floats.
              std::fill(blk, blk + std::min(g.phase - g.lead, over_read), 0.f);
              continue;
            }
            // Input columns [lo, hi) are kept (all but a variant's zeroed edge).
            const auto [lo, hi] = g.variant_columns(v);
            const index_t shift = g.variants > 1 ? -lo : pw - g.pad[2];
            // Packed rows [rs.lo, rs.hi) of each plane have an image row; the rest are padding.
            const row_span rs = packed_row_span(g.in[1], g.stride[1], ph - g.pad[1], g.q[1]);
            for (index_t a = 0; a < g.q[0]; ++a, blk += g.plane) {
              const index_t id = a * g.stride[0] + pd - g.pad[0];
              if (id < 0 || id >= g.in[0] || rs.hi == rs.lo) {
                std::fill(blk, blk + g.plane, 0.f);
                continue;
              }
              std::fill(blk, blk + rs.lo * g.q[2], 0.f);
              pack_rows<Arch>(
                  src + id * ss[0] + (rs.lo * g.stride[1] + ph - g.pad[1]) * ss[1] + lo * ss[2],
                  g.stride[1] * ss[1], rs.hi - rs.lo, hi - lo, ss[2], g.stride[2], shift, g.q[2],
                  blk + rs.lo * g.q[2]);
              std::fill(blk + rs.hi * g.q[2], blk + g.plane, 0.f);
            }
          }
  }
}

}  // namespace detail

}  // namespace kernels::kgs
SPK_END_NAMESPACE
