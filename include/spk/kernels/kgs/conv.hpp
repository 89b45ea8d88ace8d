// SPDX-License-Identifier: Apache-2.0
// Kernel-group-sparse convolution driver (conv3d_kgs; the S-generic engine in detail:: also
// serves 2D block-punched convs): packs the input into zero-padded stride phases (pack.hpp) so
// every tap is a constant offset, walks flattened output tiles and, per filter block, the format's
// (channel, location) entries through the kgs microkernel; bias + optional ReLU on the way out.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "spk/core/buffer.hpp"
#include "spk/core/conv_shape.hpp"
#include "spk/core/executor.hpp"
#include "spk/format/kgs.hpp"
#include "spk/kernels/activation.hpp"
#include "spk/kernels/kgs/pack.hpp"
#include "spk/kernels/kgs/ukernel.hpp"
#include "spk/tune/active.hpp"
#include "spk/tune/classes.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::kgs {

namespace detail {

/// A run of valid outputs inside a tile: tile positions [t0, t0 + len) -> output offset `out`.
struct segment {
  index_t t0, len, out;
};

/// Valid-output segments of tile [q0, q0 + T) of run r (clipped to the run); returns the count.
/// Three divisions place q0; the walk then advances (od, oh, ow) by additions: the tile loop
/// calls this per filter block and tile, and a division pair per segment was ~4% of YOLOv4's
/// 20 x 20 layers.
inline int tile_segments(const geometry& g, index_t r, index_t q0, index_t T, segment* seg) {
  int n = 0;
  const index_t end = std::min(q0 + T, g.run_len);
  if (q0 >= end) return 0;
  const index_t flat = r * g.run_step + q0, rem = flat % g.plane;
  index_t od = flat / g.plane, oh = rem / g.q[2], ow = rem % g.q[2];
  for (index_t q = q0; q < end;) {
    if (oh >= g.out[1]) {  // bottom rows of the plane: to the next plane's first row
      q += g.plane - (oh * g.q[2] + ow), ++od, oh = 0, ow = 0;
    } else if (ow >= g.out[2]) {  // right pad columns: to the next row
      q += g.q[2] - ow, ++oh, ow = 0;
    } else {
      const index_t len = std::min(g.out[2] - ow, end - q);
      seg[n++] = {q - q0, len, (od * g.out[1] + oh) * g.out[2] + ow};
      q += len, ow += len;
    }
  }
  return n;
}

/// Positions [q0, q0 + len) of tile t of a run of `run_len` positions cut in `tiles` tiles of
/// T = NV * L. With `balance`, a last tile of a single vector is merged with the one before into
/// two tiles of two vectors: one vector feeds MR FMAs per MR broadcasts + 1 load and runs
/// load-bound, two run FMA-bound (YOLOv4's 10 x 10 planes: runs of 109 = 48 + 48 + 13, now
/// 48 + 32 + 29; 29.5 -> 28 FMA-port cycles an entry on AVX-512).
struct tile_span {
  index_t q0, len;
};

inline tile_span tile_of(index_t t, index_t tiles, index_t run_len, index_t T, index_t L,
                         bool balance) noexcept {
  const index_t last = tiles - 1;
  if (balance && tiles >= 2 && T >= 3 * L && run_len - last * T <= L && t >= last - 1) {
    const index_t split = (last - 1) * T + 2 * L;
    return t < last ? tile_span{(last - 1) * T, 2 * L} : tile_span{split, run_len - split};
  }
  return {t * T, std::min(T, run_len - t * T)};
}

/// Runs the microkernel for MR = mr (1..M, M = kgs_tile::mr) filters and NV vectors.
template <class Arch, int NV, int M = kgs_tile<Arch>::mr, class Store>
void ukernel_mr(int mr, index_t n, const std::int32_t* off, const float* w, index_t wstride,
                const float* in, const float* init, const Store& st) {
  if constexpr (M > 1)
    if (mr < M) return ukernel_mr<Arch, NV, M - 1>(mr, n, off, w, wstride, in, init, st);
  kgs_ukernel<Arch, M, NV>(n, off, w, wstride, in, init, st);
}

/// Runs the microkernel for mr filters over nv (1..kgs_tile::nv) vectors: the last tile of a
/// run computes only the vectors it needs (C3D conv4: 224 instead of 240 positions a plane).
template <class Arch>
void ukernel_dispatch(int mr, int nv, index_t n, const std::int32_t* off, const float* w,
                      index_t wstride, const float* in, const float* init, float* acc) {
  constexpr int NV = kgs_tile<Arch>::nv;
  const store_to_tile st{acc};
  if constexpr (NV >= 3)
    if (nv == 1) return ukernel_mr<Arch, 1>(mr, n, off, w, wstride, in, init, st);
  if constexpr (NV >= 3)
    if (nv == 2) return ukernel_mr<Arch, 2>(mr, n, off, w, wstride, in, init, st);
  ukernel_mr<Arch, NV>(mr, n, off, w, wstride, in, init, st);
}

/// ukernel_dispatch for a full tile of kgs_tile::mr filters over the entries widx[0..n) of a
/// depth class (off[] their offsets; weights w + widx[e] * wstride).
template <class Arch>
void ukernel_gather_dispatch(int nv, index_t n, const std::int32_t* off, const std::int32_t* widx,
                             const float* w, index_t wstride, const float* in, const float* init,
                             float* acc) {
  constexpr int M = kgs_tile<Arch>::mr, NV = kgs_tile<Arch>::nv;
  const store_to_tile st{acc};
  if constexpr (NV >= 3)
    if (nv == 1)
      return kgs_ukernel<Arch, M, 1, store_to_tile, true>(n, off, w, wstride, in, init, st, widx);
  if constexpr (NV >= 3)
    if (nv == 2)
      return kgs_ukernel<Arch, M, 2, store_to_tile, true>(n, off, w, wstride, in, init, st, widx);
  kgs_ukernel<Arch, M, NV, store_to_tile, true>(n, off, w, wstride, in, init, st, widx);
}

/// kgs_tail_across_filters for mr = 1..M filters and len = 1..kgs_tile::across_max positions.
template <class Arch, int M = kgs_tile<Arch>::mr>
void tail_across_mr(int mr, int len, index_t n, const std::int32_t* off, const float* w,
                    index_t wstride, const float* in, const float* init, float* dst) {
  static_assert(kgs_tile<Arch>::across_max == 4, "the switch below covers 1..4");
  if constexpr (M > 1)
    if (mr < M) return tail_across_mr<Arch, M - 1>(mr, len, n, off, w, wstride, in, init, dst);
  switch (len) {
    case 1:
      return kgs_tail_across_filters<Arch, M, 1>(n, off, w, wstride, in, init, dst);
    case 2:
      return kgs_tail_across_filters<Arch, M, 2>(n, off, w, wstride, in, init, dst);
    case 3:
      return kgs_tail_across_filters<Arch, M, 3>(n, off, w, wstride, in, init, dst);
    default:
      return kgs_tail_across_filters<Arch, M, 4>(n, off, w, wstride, in, init, dst);
  }
}

/// A full in-place tile (every position q0 + x a valid output) with its epilogue fused into the
/// microkernel's store, the activation fixed at compile time.
template <class Arch>
void store_direct_tile(const activation& act, float* out, index_t ostride, const float* bias,
                       int mr, index_t n, const std::int32_t* off, const float* w, index_t wstride,
                       const float* in, const float* init) {
  constexpr int NV = kgs_tile<Arch>::nv;
  switch (act.kind) {
    case act_kind::none:
      return ukernel_mr<Arch, NV>(mr, n, off, w, wstride, in, init,
                                  store_to_output<act_kind::none>{out, ostride, bias, 0.f});
    case act_kind::relu:
      return ukernel_mr<Arch, NV>(mr, n, off, w, wstride, in, init,
                                  store_to_output<act_kind::relu>{out, ostride, bias, 0.f});
    case act_kind::leaky_relu:
      return ukernel_mr<Arch, NV>(
          mr, n, off, w, wstride, in, init,
          store_to_output<act_kind::leaky_relu>{out, ostride, bias, act.alpha});
    case act_kind::mish:
      return ukernel_mr<Arch, NV>(mr, n, off, w, wstride, in, init,
                                  store_to_output<act_kind::mish>{out, ostride, bias, 0.f});
  }
}

/// Cache blocking of the reduction. The weights of all filter blocks for `chunk` channels
/// (entries x (gm + 1) x 4 bytes) are kept under ~384 KB so they stay in L2 while the tiles
/// stream by: C3D conv4b/conv5a hold 8 MB of weights, which otherwise come from L3 once per
/// tile. Inside a chunk, block-major order (a block's weights reused from L1 over all tiles)
/// when the chunk's packed input fits in L2, tile-major otherwise. More than one chunk keeps
/// partial sums per (filter block, tile) in the workspace.
struct schedule {
  index_t chunk = 0, chunks = 1, tiles = 0;  ///< channels per chunk, chunk count, tiles per run
  bool block_major = false;
  index_t partial = 0;  ///< floats of partial sums (0 with one chunk)
};

/// True when the conv reads its input in place: every kernel extent 1, stride 1 and no padding
/// (the packed extents equal the input's), so output position q reads input position q of each
/// channel (the 1x1 stride-1 conv, an SpMM of the weights with the C x HW input; packing would
/// only copy it). The input view must also be spatially dense; the driver checks that.
inline bool pointwise(const geometry& g) noexcept {
  return g.kernel == dims3{1, 1, 1} && g.stride == dims3{1, 1, 1} && g.q == g.in;
}

/// Depth classes. With one run per output plane (geometry::runs == out[0]), a plane some of whose
/// kernel depths read only depth padding (the first and last planes of a 'same' 3D conv) runs
/// over the entries whose depth reads input: class c lists, per filter block, the entries of
/// kernel depths [lo, hi) = ranges[c] (geometry::live_depths). C3D conv5's two 7 x 7 planes
/// skip a third of their FMAs, as do the first and last of conv4's four (a direct conv such as
/// oneDNN's skips them too). of_run: the class of each run, -1 when every depth reads input;
/// both empty when no plane has a dead depth.
struct depth_classes {
  std::vector<std::array<index_t, 2>> ranges;
  std::vector<int> of_run;
};

inline depth_classes make_depth_classes(const geometry& g) {
  constexpr std::size_t max_classes = 8;  // beyond, the lists would outweigh the offsets
  depth_classes dc;
  if (g.runs != g.out[0] || g.kernel[0] == 1) return dc;
  bool any = false;
  for (index_t od = 0; od < g.out[0]; ++od) {
    const auto live = g.live_depths(od);
    int c = -1;
    if (live[0] != 0 || live[1] != g.kernel[0]) {
      c = int(std::find(dc.ranges.begin(), dc.ranges.end(), live) - dc.ranges.begin());
      if (std::size_t(c) == dc.ranges.size()) dc.ranges.push_back(live);
      any = true;
    }
    dc.of_run.push_back(c);
  }
  if (!any || dc.ranges.size() > max_classes) return {};
  return dc;
}

/// L1 bytes a pointwise tile's input may take across a chunk (of 48 KB on Golden Cove / Zen 4).
inline constexpr double pointwise_l1_budget = 24.0 * 1024;

/// L2 bytes the schedule plans with: half of this machine's 2 MB L2 (Emerald Rapids; 1 MB on
/// Zen 4, where a tune table should halve it). Measured on YOLOv4's 512-1024 channel 3x3
/// layers: 384 KB chunked their weights 3-4 ways and the partial sums' round trips cost 10-20%
/// (0.60 -> 0.70 of the FLOP reduction at 1 MB; 1.5 MB was no better).
inline constexpr double default_l2_budget = 1024.0 * 1024;

/// Bytes of a packed row band (pack.hpp band_rows): half the L2 budget, the other half being the
/// weights' and the output's.
inline double band_budget(double l2_budget) noexcept { return l2_budget / 2; }

/// `l1_budget` replaces pointwise_l1_budget; `order` 1 forces block-major, 2 tile-major (the
/// tune table's kgs_params; 0 = the rules above).
template <class Arch, int S>
schedule make_schedule(const format::kgs<S>& w, const geometry& g, double l2_budget,
                       double l1_budget = pointwise_l1_budget, int order = 0) {
  using tile = kgs_tile<Arch>;
  const auto& grid = w.grid();
  schedule sc;
  sc.tiles = (g.run_len + tile::positions - 1) / tile::positions;
  const double per_channel =
      double(w.entries()) * double(grid.gm + 1) * 4.0 / double(grid.channels);
  index_t chunk =
      per_channel > 0 ? index_t(l2_budget / per_channel) / grid.gn * grid.gn : grid.channels;
  chunk = std::max(chunk, grid.gn);
  if (chunk >= grid.channels) chunk = grid.channels;
  sc.chunk = chunk, sc.chunks = (grid.channels + chunk - 1) / chunk;
  sc.block_major = double(chunk) * double(g.chan) * 4.0 <= l2_budget;
  // Pointwise: a tile's input across the chunk is chunk x T floats; when it fits in L1 next to
  // the weights, tile-major keeps it there across every filter block (few entries per block at
  // high sparsity make the L2 reload of block-major order dominate).
  // Unless the output outweighs an input that L2 holds: tile-major then writes each tile into
  // all F output rows in turn, a scattered store stream (1.4 vs 1.1 ns a 64-byte store on this
  // VM), while block-major writes a block's rows in sequence and re-reads only its entries
  // from L2 (MobileNet-V2 block_1_expand 16->96 @112 at 90 %: 1.9x, block_2_expand 1.6x;
  // YOLOv4 conv_15 64->64 @80: 1.3x; inputs past L2, as conv_2's 6.5 MB, lose 1.5x).
  if (pointwise(g) && double(chunk) * double(tile::positions) * 4.0 <= l1_budget) {
    const double in_bytes = double(g.channels) * double(g.chan) * 4.0;
    const double out_bytes = double(w.filters()) * double(g.out[0] * g.out[1] * g.out[2]) * 4.0;
    sc.block_major =
        in_bytes <= 2 * l2_budget && out_bytes >= in_bytes && out_bytes > l2_budget / 2;
  }
  if (order != 0) sc.block_major = order == 1;
  if (sc.chunks > 1) {
    const index_t subs = (grid.gm + tile::mr - 1) / tile::mr;
    sc.partial =
        checked_mul(checked_mul(grid.filter_blocks() * subs, g.runs * sc.tiles, "kgs workspace"),
                    tile::mr * tile::positions, "kgs workspace");
  }
  return sc;
}

/// The caller's workspace, carved. Packed path: `packed` holds the padded phases. Direct
/// (pointwise) path: the input is read in place, except the run's last partial tile, whose
/// positions are copied into `tail` (C x T floats, zero past the run) so that its vector loads
/// never read past the input tensor; `offs_tail` are its entry offsets. The offsets live in the
/// workspace (one-shot calls) or in a plan.
struct workspace_layout {
  float* packed = nullptr;
  float* tail = nullptr;
  const std::int32_t* offs = nullptr;
  const std::int32_t* offs_tail = nullptr;
  float* partial = nullptr;
};

inline index_t align16(index_t n) noexcept { return (n + 15) / 16 * 16; }

/// The depth classes' lists in an int32 buffer of class_ints: ptr[c * (blocks + 1) + i] ..
/// ptr[c * (blocks + 1) + i + 1] index the entries of class c in filter block i within off[]
/// (their offsets) and idx[] (their entry numbers, ascending); both padded with zeros past the
/// last class for the prefetch.
template <class P>
struct class_lists {
  P *ptr = nullptr, *off = nullptr, *idx = nullptr;
};

template <class Arch>
index_t class_list_len(index_t classes, index_t entries) {
  return checked_add(checked_mul(classes, entries, "kgs workspace"),
                     kgs_tile<Arch>::prefetch_distance + 16, "kgs workspace");
}

template <class Arch>
index_t class_ints(index_t classes, index_t blocks, index_t entries) {
  if (classes == 0) return 0;
  return align16(checked_add(classes * (blocks + 1), 2 * class_list_len<Arch>(classes, entries),
                             "kgs workspace"));
}

template <class Arch, class P>
class_lists<P> carve_class_lists(P* buf, index_t classes, index_t blocks, index_t entries) {
  class_lists<P> c{buf, buf + classes * (blocks + 1), nullptr};
  c.idx = c.off + class_list_len<Arch>(classes, entries);
  return c;
}

/// Floats of each workspace part; `floats` is the total. Independent of the thread count and of
/// whether the direct path is taken (it takes the larger of the two input parts).
struct workspace_plan {
  index_t input = 0, offs = 0, classes = 0, partial = 0, floats = 0;  ///< classes: class_ints
};

template <class Arch, int S>
workspace_plan plan_workspace(const format::kgs<S>& w, const geometry& g, const schedule& sc,
                              const depth_classes& dc) {
  constexpr index_t T = kgs_tile<Arch>::positions;
  workspace_plan p;
  p.input = packed_floats(g, T);
  if (pointwise(g)) p.input = std::max(p.input, checked_mul(g.channels, T, "kgs workspace") + 64);
  p.input = align16(p.input);
  p.offs =
      align16(checked_add(w.entries(), kgs_tile<Arch>::prefetch_distance + 16, "kgs workspace"));
  p.classes = class_ints<Arch>(index_t(dc.ranges.size()), w.grid().filter_blocks(), w.entries());
  p.partial = sc.partial;
  p.floats = checked_add(checked_add(p.input, 2 * p.offs + p.classes, "kgs workspace"), p.partial,
                         "kgs workspace");
  return p;
}

template <class Arch, int S>
index_t workspace_floats(const format::kgs<S>& w, const conv_shape<S>& s,
                         double l2_budget = default_l2_budget) {
  const geometry g = make_geometry<S>(s, kgs_tile<Arch>::positions);
  return plan_workspace<Arch>(w, g, make_schedule<Arch>(w, g, l2_budget), make_depth_classes(g))
      .floats;
}

/// Epilogue of one tile for activation kind K: out[f0 + m][segment] = act(acc[m][segment] +
/// bias[f0 + m]). K is a template argument so that each segment is one branch-free loop the
/// compiler vectorises (a runtime switch per vector, or a memcpy call per segment, cost C3D
/// conv1a -- ~20 entries a tile -- 25% of its time); Mish, which needs exp, runs on xsimd with a
/// scalar tail.
template <class Arch, index_t T, act_kind K>
void write_tile_kind(const float* acc, int mr, index_t f0, const float* bias, float alpha,
                     float* obase, index_t fstride, const segment* seg, int nseg) {
  using vec = xsimd::batch<float, Arch>;
  constexpr index_t L = index_t(vec::size);
  for (int m = 0; m < mr; ++m) {
    const float b = bias ? bias[f0 + m] : 0.f;
    const float* a = acc + index_t(m) * T;
    float* o = obase + (f0 + m) * fstride;
    for (int k = 0; k < nseg; ++k) {
      const float* __restrict src = a + seg[k].t0;
      float* __restrict dst = o + seg[k].out;
      const index_t len = seg[k].len;
      if constexpr (K == act_kind::none) {
        for (index_t x = 0; x < len; ++x) dst[x] = src[x] + b;
      } else if constexpr (K == act_kind::relu) {
        for (index_t x = 0; x < len; ++x) dst[x] = std::max(src[x] + b, 0.f);
      } else if constexpr (K == act_kind::leaky_relu) {
        for (index_t x = 0; x < len; ++x) {
          const float v = src[x] + b;
          dst[x] = v > 0.f ? v : alpha * v;
        }
      } else {
        index_t x = 0;
        for (; x + L <= len; x += L)
          apply_vec<act_kind::mish, Arch>(vec::load_unaligned(src + x) + vec(b), 0.f)
              .store_unaligned(dst + x);
        for (; x < len; ++x) dst[x] = float(mish_ref(double(src[x] + b)));
      }
    }
  }
}

template <class Arch, index_t T>
void write_tile_impl(const float* acc, int mr, index_t f0, const float* bias, const activation& act,
                     float* obase, index_t fstride, const segment* seg, int nseg) {
  switch (act.kind) {
    case act_kind::none:
      return write_tile_kind<Arch, T, act_kind::none>(acc, mr, f0, bias, 0.f, obase, fstride, seg,
                                                      nseg);
    case act_kind::relu:
      return write_tile_kind<Arch, T, act_kind::relu>(acc, mr, f0, bias, 0.f, obase, fstride, seg,
                                                      nseg);
    case act_kind::leaky_relu:
      return write_tile_kind<Arch, T, act_kind::leaky_relu>(acc, mr, f0, bias, act.alpha, obase,
                                                            fstride, seg, nseg);
    case act_kind::mish:
      return write_tile_kind<Arch, T, act_kind::mish>(acc, mr, f0, bias, 0.f, obase, fstride, seg,
                                                      nseg);
  }
}

/// Entry offsets into the packed input (or, direct, into the input image and the tail copy).
/// Tap offsets per location first (K divisions), then one multiply-add per entry: the entry loop
/// runs every call and a per-entry decomposition cost ~5 ms on C3D conv5a. On AVX-512 with at
/// most 32 locations (3x3, 3x3x3, 1x1) the tap table lives in two registers and 16 entries take
/// a permute and a multiply-add; the scalar loop was 4% of YOLOv4's 512-1024 channel layers.
template <class Arch, int S>
void entry_offsets(const format::kgs<S>& w, const geometry& g, std::int32_t cstride, index_t pad_to,
                   std::int32_t* offs) {
  alignas(64) std::int32_t tap[1024];
  const index_t K = w.grid().locations, E = w.entries();
  const bool small = K <= 1024;
  if (small)
    for (index_t k = 0; k < K; ++k) tap[k] = std::int32_t(g.tap_offset(k));
  const std::int32_t* ch = w.entry_channel().data();
  const std::uint16_t* lo = w.entry_location().data();
  index_t e = 0;
#if XSIMD_WITH_AVX512F
  if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) {
    if (K <= 32) {
      for (index_t k = K; k < 32; ++k) tap[k] = 0;
      const __m512i t0 = _mm512_load_si512(tap), t1 = _mm512_load_si512(tap + 16),
                    cs = _mm512_set1_epi32(cstride);
      for (; e + 16 <= E; e += 16) {
        const __m512i loc =
            _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(lo + e)));
        const __m512i c = _mm512_loadu_si512(ch + e);
        _mm512_storeu_si512(offs + e, _mm512_add_epi32(_mm512_mullo_epi32(c, cs),
                                                       _mm512_permutex2var_epi32(t0, loc, t1)));
      }
    }
  }
#endif
  for (; e < E; ++e)
    offs[e] = ch[e] * cstride + (small ? tap[lo[e]] : std::int32_t(g.tap_offset(lo[e])));
  for (e = E; e < pad_to; ++e) offs[e] = 0;
}

/// True when every spatial dim of `v` is dense (stride = the product of the dims after it; a
/// dim of extent 1 has any stride). Channel and batch strides are free.
template <class T, int R>
bool spatially_dense(const tensor_view<T, R>& v) noexcept {
  index_t dense_stride = 1;
  for (int d = R - 1; d >= 2; --d) {
    if (v.dim(d) != 1 && v.stride(d) != dense_stride) return false;
    dense_stride *= v.dim(d);
  }
  return true;
}

/// What the engine derives from the weights and the problem alone, no tensor data: geometry,
/// schedule, workspace carve-up, the direct path's tail and the channel stride `cstride` of
/// the entry offsets (the input's on the direct path, the packed buffer's otherwise). A plan
/// (conv_plan) keeps one, with its offsets, between calls.
template <int S>
struct engine_setup {
  conv_shape<S> s;
  activation act;
  tune::kgs_params tp;
  double l2_budget = default_l2_budget;
  geometry g, pg;  ///< the problem's; the packed buffer's (one row band when banded)
  schedule sc;
  workspace_plan wp;
  bool direct = false;  ///< 1x1 stride 1 read in place, for inputs of channel stride cstride
  std::int32_t cstride = 0;
  index_t banded = 0;  ///< rows per packed band (0: the whole input packed at once)
  index_t tail_q0 = 0, tail_len = 0;
  bool partial_tail = false, tail_across = false, has_tail = false;
  depth_classes dc;  ///< used on the packed, unbanded path (empty otherwise)
};

/// The setup of a problem whose weights and activation are checked, for an input that is
/// spatially dense (`in_dense`) with channel stride `in_cstride`.
template <class Arch, int S>
engine_setup<S> make_setup(const format::kgs<S>& w, const conv_shape<S>& s, const activation& act,
                           double l2_budget, const tune::kgs_params& tp, bool in_dense,
                           index_t in_cstride, const char* where) {
  using tile = kgs_tile<Arch>;
  constexpr index_t T = tile::positions;
  engine_setup<S> u;
  u.s = s, u.act = act, u.tp = tp, u.l2_budget = l2_budget;
  u.g = make_geometry<S>(s, T);
  const geometry& g = u.g;
  u.sc = make_schedule<Arch>(w, g, l2_budget,
                             tp.l1_kib > 0 ? 1024.0 * tp.l1_kib : pointwise_l1_budget, tp.order);
  // The classes' lists are reserved on every path (the workspace size does not depend on it).
  const depth_classes dc = make_depth_classes(g);
  u.wp = plan_workspace<Arch>(w, g, u.sc, dc);
  // Direct: read the input in place (int32 offsets must reach the last channel).
  u.direct =
      pointwise(g) && in_dense && g.runs == 1 &&
      (g.channels - 1) * in_cstride + g.run_len < index_t(std::numeric_limits<std::int32_t>::max());
  require(u.direct || packed_floats(g, T) < index_t(std::numeric_limits<std::int32_t>::max()),
          where, "input", packed_floats(g, T),
          "a packed input below 2^31 floats (int32 tap offsets)", errc::unsupported);
  // Tile-major layers whose packed input overflows L2 pack and compute in row bands (pack.hpp).
  u.banded =
      !u.direct && u.sc.chunks == 1 && !u.sc.block_major ? band_rows(g, band_budget(l2_budget)) : 0;
  u.pg = u.banded ? band_geometry(g, u.banded, 0) : g;
  // The direct path's last tile when the run ends inside it: up to across_max positions run
  // across the filters in place, whole vectors run in place; otherwise (has_tail) its positions
  // are copied into the workspace's tail, zero past the run, so that its vector loads stay
  // inside the input.
  u.tail_q0 = (u.sc.tiles - 1) * T, u.tail_len = g.run_len - u.tail_q0;
  u.partial_tail = u.direct && u.tail_len < T;
  u.tail_across = u.partial_tail && u.tail_len <= tile::across_max;
  u.has_tail = u.partial_tail && !u.tail_across && u.tail_len % tile::lanes != 0;
  u.cstride = std::int32_t(u.direct ? in_cstride : u.pg.chan);
  if (!u.direct && !u.banded) u.dc = dc;
  return u;
}

/// The entry offsets of setup `u`: `offs` (wp.offs ints) into the input or the packed buffer,
/// on the direct path with a tail copy `offs_tail` (wp.offs ints) into the copy, and the depth
/// classes' lists in `classes` (wp.classes ints).
template <class Arch, int S>
void setup_offsets(const format::kgs<S>& w, const engine_setup<S>& u, std::int32_t* offs,
                   std::int32_t* offs_tail, std::int32_t* classes) {
  const index_t pad_to = w.entries() + kgs_tile<Arch>::prefetch_distance;
  entry_offsets<Arch>(w, u.direct ? u.g : u.pg, u.cstride, pad_to, offs);
  if (u.has_tail)
    entry_offsets<Arch>(w, u.g, std::int32_t(kgs_tile<Arch>::positions), pad_to, offs_tail);
  const index_t nc = index_t(u.dc.ranges.size()), fb = w.grid().filter_blocks();
  if (nc == 0) return;
  const auto cl = carve_class_lists<Arch>(classes, nc, fb, w.entries());
  const index_t* eptr = w.entry_ptr().data();
  const std::uint16_t* loc = w.entry_location().data();
  // Depths [lo, hi) are the locations [lo, hi) * per_depth (kd is the outermost kernel dim).
  // Every entry is written and the count advanced by the test: the lists are rebuilt every
  // one-shot call, and a branch per entry (unpredictable at 67% kept) cost 20% of conv5a.
  const index_t per_depth = u.g.kernel[1] * u.g.kernel[2];
  std::int32_t n = 0;
  for (index_t c = 0; c < nc; ++c) {
    const auto [lo, hi] = u.dc.ranges[std::size_t(c)];
    const std::int32_t l0 = std::int32_t(lo * per_depth), l1 = std::int32_t(hi * per_depth);
    for (index_t i = 0; i < fb; ++i) {
      cl.ptr[c * (fb + 1) + i] = n;
      index_t e = eptr[i];
#if XSIMD_WITH_AVX512F
      if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) {
        const __m512i vl0 = _mm512_set1_epi32(l0), vl1 = _mm512_set1_epi32(l1),
                      step = _mm512_set1_epi32(16);
        __m512i ids = _mm512_add_epi32(
            _mm512_set1_epi32(std::int32_t(e)),
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
        for (; e + 16 <= eptr[i + 1]; e += 16, ids = _mm512_add_epi32(ids, step)) {
          const __m512i l =
              _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(loc + e)));
          const __mmask16 keep = _mm512_cmpge_epi32_mask(l, vl0) & _mm512_cmplt_epi32_mask(l, vl1);
          // Compress in registers, then a full store (the lists have 16 ints of slack).
          _mm512_storeu_si512(cl.off + n,
                              _mm512_maskz_compress_epi32(keep, _mm512_loadu_si512(offs + e)));
          _mm512_storeu_si512(cl.idx + n, _mm512_maskz_compress_epi32(keep, ids));
          n += std::int32_t(__builtin_popcount(keep));
        }
      }
#endif
      for (; e < eptr[i + 1]; ++e) {
        cl.off[n] = offs[e], cl.idx[n] = std::int32_t(e);
        n += std::int32_t(loc[e] >= l0 && loc[e] < l1);
      }
    }
    cl.ptr[c * (fb + 1) + fb] = n;
  }
  const index_t len = class_list_len<Arch>(nc, w.entries());
  std::fill(cl.off + n, cl.off + len, 0), std::fill(cl.idx + n, cl.idx + len, 0);
}

/// Runs setup `u` on views checked against u.s (the input laid out as u was made for), with
/// the entry offsets `offs` / `offs_tail` of setup_offsets. `workspace`: u.wp.floats floats.
template <class Arch, int S>
void run_setup(const format::kgs<S>& w, const engine_setup<S>& u,
               const tensor_view<const float, S + 2>& in, const float* bias,
               const tensor_view<float, S + 2>& out, executor& ex, float* workspace,
               const std::int32_t* offs, const std::int32_t* offs_tail,
               const std::int32_t* classes) {
  using tile = kgs_tile<Arch>;
  constexpr index_t T = tile::positions;
  const conv_shape<S>& s = u.s;
  const geometry &g = u.g, &pg = u.pg;
  const schedule& sc = u.sc;
  const activation& act = u.act;
  const tune::kgs_params& tp = u.tp;
  const bool direct = u.direct, partial_tail = u.partial_tail, tail_across = u.tail_across,
             has_tail = u.has_tail;
  const index_t banded = u.banded, tail_q0 = u.tail_q0, tail_len = u.tail_len;
  // Packed phases or (direct) the tail copy first, partial sums after the two offset arrays
  // (unused when the offsets live in a plan).
  const workspace_layout ws{workspace, workspace, offs, offs_tail,
                            workspace + u.wp.input + 2 * u.wp.offs + u.wp.classes};
  if (!direct) std::fill(ws.packed + pg.channels * pg.chan, ws.packed + packed_floats(pg, T), 0.f);

  dims3 ss{0, 0, 0};
  for (int d = 0; d < S; ++d) ss[d + 3 - S] = in.stride(d + 2);
  const sparsity::kgs_grid& grid = w.grid();
  const index_t fb = grid.filter_blocks(), gm = grid.gm, subs = (gm + tile::mr - 1) / tile::mr;
  const index_t per_thread = tp.items_per_thread > 0 ? tp.items_per_thread : 2;
  const index_t items =
      ex.concurrency() <= 1 ? 1 : std::min(fb, index_t(per_thread * ex.concurrency()));
  const float* wv = w.values();
  const index_t* eptr = w.entry_ptr().data();
  const std::int32_t* echan = w.entry_channel().data();
  const index_t ncls = index_t(u.dc.ranges.size());
  const class_lists<const std::int32_t> cl =
      ncls ? carve_class_lists<Arch>(classes, ncls, fb, w.entries())
           : class_lists<const std::int32_t>{};

  // Tiles [0, tiles) of geometry tg (the whole run, or a band whose outputs start out_shift
  // floats into each output channel) for all filter blocks. The direct path's tail tile exists
  // only unbanded (tiles == sc.tiles).
  const auto compute = [&](const float* img, float* obase, const geometry& tg, index_t tiles,
                           index_t out_shift) {
    const index_t nt = tg.runs * tiles;
    // Work item = a range of filter blocks (disjoint outputs and partial sums).
    ex.parallel_for(items, [&](index_t item) {
      const index_t i0 = item * fb / items, i1 = (item + 1) * fb / items;
      alignas(64) float acc[tile::mr * T];
      segment seg[T + 1];
      // The in-place SpMM (direct, one chunk): its full tiles need only the microkernel with
      // the fused epilogue, so they skip the general loop's per-tile bookkeeping (tile spans,
      // chunk bounds, tail flags: ~8% of MobileNet-V2's 90% sparse 1x1 layers, whose tiles
      // hold 3-15 entries). Tiles [0, full) here, the partial last tile below.
      const bool fast = direct && sc.chunks == 1;
      const index_t full = fast ? (partial_tail ? sc.tiles - 1 : sc.tiles) : 0;
      // ... and its last 1-4 positions (7 x 7, 14 x 14 planes) across the filters, written as
      // the one segment they are: no tile span or segment walk (tiles [0, done) done here).
      const index_t done = fast && tail_across ? sc.tiles : full;
      const auto direct_tile = [&](index_t i, index_t t) {
        const index_t e0 = eptr[i], n = eptr[i + 1] - e0, real = grid.filters_in(i);
        for (index_t m0 = 0; m0 < real; m0 += tile::mr) {
          const index_t f0 = i * gm + m0;
          store_direct_tile<Arch>(act, obase + f0 * out.stride(1) + t * T, out.stride(1),
                                  bias ? bias + f0 : nullptr,
                                  int(std::min<index_t>(tile::mr, real - m0)), n, ws.offs + e0,
                                  wv ? wv + e0 * gm + m0 : nullptr, gm, img + t * T, nullptr);
        }
      };
      const auto direct_across = [&](index_t i) {
        const index_t e0 = eptr[i], n = eptr[i + 1] - e0, real = grid.filters_in(i);
        const segment one{0, tail_len, tail_q0};
        for (index_t m0 = 0; m0 < real; m0 += tile::mr) {
          const int mr = int(std::min<index_t>(tile::mr, real - m0));
          tail_across_mr<Arch>(mr, int(tail_len), n, ws.offs + e0, wv ? wv + e0 * gm + m0 : nullptr,
                               gm, img + tail_q0, nullptr, acc);
          write_tile_impl<Arch, T>(acc, mr, i * gm + m0, bias, act, obase, out.stride(1), &one, 1);
        }
      };
      if (sc.block_major) {
        for (index_t i = i0; i < i1; ++i) {
          for (index_t t = 0; t < full; ++t) direct_tile(i, t);
          if (done > full) direct_across(i);
        }
      } else {
        for (index_t t = 0; t < full; ++t)
          for (index_t i = i0; i < i1; ++i) direct_tile(i, t);
        if (done > full)
          for (index_t i = i0; i < i1; ++i) direct_across(i);
      }
      for (index_t k = 0; k < sc.chunks; ++k) {
        const bool first = k == 0, last = k == sc.chunks - 1;
        const std::int32_t c0 = std::int32_t(k * sc.chunk),
                           c1 = std::int32_t(std::min(g.channels, (k + 1) * sc.chunk));
        const index_t outer = sc.block_major ? i1 - i0 : nt, inner = sc.block_major ? nt : i1 - i0;
        for (index_t xo = sc.block_major ? 0 : done; xo < outer; ++xo)
          for (index_t xi = sc.block_major ? done : 0; xi < inner; ++xi) {
            const index_t rt = sc.block_major ? xi : xo, i = i0 + (sc.block_major ? xo : xi);
            const index_t r = rt / tiles;
            const tile_span ts = tile_of(rt % tiles, tiles, tg.run_len, T, tile::lanes, !direct);
            const index_t q0 = ts.q0;
            // Entries of block i in channels [c0, c1): channels ascend within a block.
            const index_t e0 =
                sc.chunks == 1 ? eptr[i]
                               : std::lower_bound(echan + eptr[i], echan + eptr[i + 1], c0) - echan;
            const index_t e1 = sc.chunks == 1
                                   ? eptr[i + 1]
                                   : std::lower_bound(echan + e0, echan + eptr[i + 1], c1) - echan;
            const bool at_end = partial_tail && q0 == tail_q0;  // the direct path's last tile
            const bool at_tail = has_tail && at_end;            // ... read from the copy
            const bool across = tail_across && at_end;
            const float* tin = at_tail  ? ws.tail
                               : direct ? img + q0
                                        : ws.packed + r * tg.run_step + q0;
            const std::int32_t* toff = at_tail ? ws.offs_tail : ws.offs;
            // Full in-place tiles store straight to the output: no segments (their divisions
            // cost ~100 cycles a tile, a third of a sparse 1x1 tile's FMAs). So does a packed
            // tile that lies inside one output row (one segment of T positions; most tiles of
            // 56-224 wide planes), skipping the accumulator round trip (1-3% on C3D conv1a/2a).
            const bool in_place = last && direct && !at_end;
            const int nseg = last && !in_place ? tile_segments(tg, r, q0, ts.len, seg) : 0;
            for (int x = 0; x < nseg; ++x) seg[x].out += out_shift;
            // A plane of depth class dc runs its full filter tiles over the class's entries.
            const int dc = ncls ? u.dc.of_run[std::size_t(r)] : -1;
            const bool store_direct = (in_place || (nseg == 1 && seg[0].len == T)) && dc < 0;
            const index_t out_at = in_place ? q0 : store_direct ? seg[0].out : 0;
            const int nv = int((ts.len + tile::lanes - 1) / tile::lanes);
            const index_t real = grid.filters_in(i);
            for (index_t m0 = 0; m0 < real; m0 += tile::mr) {
              const int mr = int(std::min<index_t>(tile::mr, real - m0));
              float* part = ws.partial + ((i * subs + m0 / tile::mr) * nt + rt) * (tile::mr * T);
              const float* init = first ? nullptr : part;
              const index_t f0 = i * gm + m0;
              // The block's weights (null for a format without values: density 0).
              const float* wb = wv ? wv + e0 * gm + m0 : nullptr;
              if (store_direct) {
                // A full tile: position q0 + x is the output position out_at + x.
                store_direct_tile<Arch>(act, obase + f0 * out.stride(1) + out_at, out.stride(1),
                                        bias ? bias + f0 : nullptr, mr, e1 - e0, toff + e0, wb, gm,
                                        tin, init);
                continue;
              }
              if (dc >= 0 && mr == tile::mr) {
                // The class's entries of block i within [e0, e1) (entry numbers ascend).
                const std::int32_t* cp = cl.ptr + dc * (fb + 1) + i;
                index_t j0 = cp[0], j1 = cp[1];
                if (sc.chunks > 1) {
                  j0 = std::lower_bound(cl.idx + j0, cl.idx + j1, e0) - cl.idx;
                  j1 = std::lower_bound(cl.idx + j0, cl.idx + j1, e1) - cl.idx;
                }
                ukernel_gather_dispatch<Arch>(nv, j1 - j0, cl.off + j0, cl.idx + j0,
                                              wv ? wv + m0 : nullptr, gm, tin, init,
                                              last ? acc : part);
              } else if (across)
                tail_across_mr<Arch>(mr, int(ts.len), e1 - e0, toff + e0, wb, gm, tin, init,
                                     last ? acc : part);
              else
                ukernel_dispatch<Arch>(mr, nv, e1 - e0, toff + e0, wb, gm, tin, init,
                                       last ? acc : part);
              if (last)
                write_tile_impl<Arch, T>(acc, mr, f0, bias, act, obase, out.stride(1), seg, nseg);
            }
          }
      }
    });
  };

  const auto pack = [&](const float* img, const geometry& dst) {
    ex.parallel_for((g.channels + 15) / 16, [&](index_t cc) {
      const index_t c0 = cc * 16, c1 = std::min(g.channels, cc * 16 + 16);
      if (!direct) return pack_input<Arch>(dst, img, in.stride(1), ss, c0, c1, T, ws.packed);
      if (!has_tail) return;
      for (index_t c = c0; c < c1; ++c) {
        std::memcpy(ws.tail + c * T, img + c * in.stride(1) + tail_q0,
                    std::size_t(tail_len) * sizeof(float));
        std::fill(ws.tail + c * T + tail_len, ws.tail + (c + 1) * T, 0.f);
      }
    });
  };

  for (index_t n = 0; n < s.batch; ++n) {
    const float* img = in.data() + n * in.stride(0);
    float* obase = out.data() + n * out.stride(0);
    if (!banded) {
      if (!direct || has_tail) pack(img, g);  // the in-place path copies only a tail
      compute(img, obase, g, sc.tiles, 0);
      continue;
    }
    for (index_t oh0 = 0; oh0 < g.out[1]; oh0 += banded) {
      const geometry bg = band_geometry(g, banded, oh0);
      pack(img, bg);
      compute(img, obase, bg, (bg.run_len + T - 1) / T, oh0 * g.out[2]);
    }
  }
}

/// The weights against the problem: channels, groups, activation.
template <int S>
void check_kgs_problem(const format::kgs<S>& w, const conv_shape<S>& s, const activation& act,
                       const char* where) {
  require(
      w.channels() == s.in_channels, where, "input", s.in_channels,
      [&] { return "C == the weights' channels (" + std::to_string(w.channels()) + ")"; },
      errc::shape_mismatch);
  require(s.params.groups == 1, where, "groups", s.params.groups,
          "1 (grouped kgs convolution is not implemented)", errc::unsupported);
  check_activation(act, where);
}

template <int R>
void check_output_layout(const tensor_view<float, R>& out, const char* where) {
  require(spatially_dense(out), where, "output", "spatially strided view",
          "an output whose spatial dims are dense (channel and batch strides are free)",
          errc::unsupported);
}

/// The engine: out = act(conv(in, w) + bias) for S spatial dims; `where` names the API call.
template <class Arch, int S>
void conv_kgs_impl(const format::kgs<S>& w, const tensor_view<const float, S + 2>& in,
                   const float* bias, const tensor_view<float, S + 2>& out, const conv_params<S>& p,
                   const activation& act, executor& ex, float* workspace, const char* where,
                   double l2_budget = default_l2_budget, const tune::kgs_params& tp = {}) {
  const conv_shape<S> s = check_conv_activations<S>(in, w.filters(), w.kernel(), out, p, where);
  check_kgs_problem(w, s, act, where);
  check_output_layout(out, where);
  require(workspace != nullptr, where, "workspace", "nullptr", "a buffer of the workspace size");
  const engine_setup<S> u =
      make_setup<Arch, S>(w, s, act, l2_budget, tp, spatially_dense(in), in.stride(1), where);
  auto* offs = reinterpret_cast<std::int32_t*>(workspace + u.wp.input);  // 64-byte aligned
  setup_offsets<Arch, S>(w, u, offs, offs + u.wp.offs, offs + 2 * u.wp.offs);
  run_setup<Arch, S>(w, u, in, bias, out, ex, workspace, offs, offs + u.wp.offs,
                     offs + 2 * u.wp.offs);
}

/// The call's params: `prm`, or the active tune table's row for (kernel `where`, this problem).
template <class Arch, int S>
tune::kgs_params resolve_params(const std::optional<tune::kgs_params>& prm, const format::kgs<S>& w,
                                const conv_shape<S>& s, const char* where) {
  return tune::params_for<tune::kgs_params>(
      prm ? &*prm : nullptr, tune::cpu_device<Arch>(), where, [&] { return tune::kgs_class<S>(s); },
      [&] { return w.density(); });
}

/// The L2 budget of params `tp`: never below default_l2_budget, so the workspace stays within
/// workspace_floats(w, s) (more chunks would need partial sums that a single chunk does not).
inline double tuned_l2_budget(const tune::kgs_params& tp) {
  return std::max(default_l2_budget, 1024.0 * tp.l2_kib);
}

/// The public entry points: params resolved (shapes checked first), then the engine.
template <class Arch, int S>
void conv_kgs_tuned(const format::kgs<S>& w, const tensor_view<const float, S + 2>& in,
                    const float* bias, const tensor_view<float, S + 2>& out,
                    const conv_params<S>& p, const activation& act, executor& ex, float* workspace,
                    const char* where, const std::optional<tune::kgs_params>& prm) {
  tune::kgs_params tp{};
  if (prm) {
    tp = *prm;
  } else if (tune::active_table()->has(tune::cpu_device<Arch>(), where)) {
    const conv_shape<S> s = check_conv_activations<S>(in, w.filters(), w.kernel(), out, p, where);
    tp = resolve_params<Arch, S>(prm, w, s, where);
  }
  conv_kgs_impl<Arch, S>(w, in, bias, out, p, act, ex, workspace, where, tuned_l2_budget(tp), tp);
}

/// A prepared call: everything but the tensors fixed once (shape checks, tune lookup, geometry,
/// schedule, entry offsets), as an XNNPACK operator or a oneDNN primitive is. On MobileNet-V2's
/// 90% sparse 14 x 14 1x1 layers (6-9 us a call) that per-call work was ~7% of the time.
/// Holds a pointer to `w`, which must outlive the plan and stay unchanged; params come from
/// `prm` or the tune table active at construction.
template <class Arch, int S>
class conv_plan {
 public:
  conv_plan(const format::kgs<S>& w, const conv_shape<S>& s, const activation& act,
            const std::optional<tune::kgs_params>& prm, const char* where)
      : w_(&w), where_(where) {
    require(
        w.filters() == s.out_channels && w.kernel() == s.kernel, where, "shape",
        [&] { return "F " + std::to_string(s.out_channels) + ", kernel " + dims_string(s.kernel); },
        [&] {
          return "the weights' filters (" + std::to_string(w.filters()) + ") and kernel " +
                 dims_string(w.kernel());
        },
        errc::shape_mismatch);
    check_kgs_problem(w, s, act, where);
    const tune::kgs_params tp = resolve_params<Arch, S>(prm, w, s, where);
    // Made for the contiguous layout; run() takes another input layout through the full call.
    u_ = make_setup<Arch, S>(w, s, act, tuned_l2_budget(tp), tp, true, s.in_volume(), where);
    offs_ = aligned_buffer<std::int32_t>(2 * u_.wp.offs + u_.wp.classes);
    setup_offsets<Arch, S>(w, u_, offs_.data(), offs_.data() + u_.wp.offs,
                           offs_.data() + 2 * u_.wp.offs);
  }

  /// Floats of workspace run() needs (64-byte aligned; one buffer per concurrent run).
  index_t workspace_size() const noexcept { return u_.wp.floats; }
  const conv_shape<S>& shape() const noexcept { return u_.s; }

  /// out = act(conv(in, w) + bias) on tensors of the plan's shape; bias F floats or nullptr.
  void run(const tensor_view<const float, S + 2>& in, const float* bias,
           const tensor_view<float, S + 2>& out, executor& ex, float* workspace) const {
    const conv_shape<S>& s = u_.s;
    require_conv_tensors(s, in, out, where_);
    check_output_layout(out, where_);
    require(workspace != nullptr, where_, "workspace", "nullptr",
            "a buffer of workspace_size() floats");
    // The direct path's offsets hold the contiguous channel stride: another input layout
    // (a channel slice of a wider tensor, a spatially strided view) takes the full call.
    if (u_.direct && !(spatially_dense(in) && in.stride(1) == u_.cstride))
      return conv_kgs_impl<Arch, S>(*w_, in, bias, out, s.params, u_.act, ex, workspace, where_,
                                    u_.l2_budget, u_.tp);
    run_setup<Arch, S>(*w_, u_, in, bias, out, ex, workspace, offs_.data(),
                       offs_.data() + u_.wp.offs, offs_.data() + 2 * u_.wp.offs);
  }

 private:
  const format::kgs<S>* w_;
  const char* where_;
  engine_setup<S> u_;
  aligned_buffer<std::int32_t> offs_;
};

}  // namespace detail

/// Floats of workspace conv3d_kgs needs for weights `w` on problem `s` (packed input + tap
/// offsets; independent of the thread count).
template <class Arch = default_arch>
index_t conv3d_kgs_workspace_size(const format::kgs3d& w, const conv3d_shape& s) {
  return detail::workspace_floats<Arch, 3>(w, s);
}

/// Kernel-group-sparse conv3d, NCDHW: out = act(conv(in, w) + bias), bias F floats or nullptr,
/// act = ReLU when `relu`. Any stride, asymmetric padding and dilation, groups = 1 (unsupported
/// otherwise); output spatial dims dense (batch and channel strides free). Threads over chunks of
/// filter blocks. `workspace`: conv3d_kgs_workspace_size floats, 64-byte aligned. `prm`: cache
/// budgets, loop order, work split (std::nullopt: the active tune table's, spk/tune/active.hpp).
template <class Arch = default_arch>
void conv3d_kgs(const format::kgs3d& w, ncdhw_view<const float> in, const float* bias,
                ncdhw_view<float> out, const conv3d_params& p, bool relu, executor& ex,
                float* workspace, const std::optional<tune::kgs_params>& prm = std::nullopt) {
  detail::conv_kgs_tuned<Arch, 3>(w, in, bias, out, p, activation::from_relu(relu), ex, workspace,
                                  "conv3d_kgs", prm);
}

/// Convenience overload that allocates the workspace.
template <class Arch = default_arch>
void conv3d_kgs(const format::kgs3d& w, ncdhw_view<const float> in, const float* bias,
                ncdhw_view<float> out, const conv3d_params& p = {}, bool relu = false,
                executor& ex = default_executor(),
                const std::optional<tune::kgs_params>& prm = std::nullopt) {
  const conv3d_shape s =
      check_conv_activations<3>(in, w.filters(), w.kernel(), out, p, "conv3d_kgs");
  aligned_buffer<float> ws(conv3d_kgs_workspace_size<Arch>(w, s));
  conv3d_kgs<Arch>(w, in, bias, out, p, relu, ex, ws.data(), prm);
}

/// conv3d_kgs prepared for problem `s`: weights, activation and params fixed at construction,
/// run(in, bias, out, ex, workspace) per call (see detail::conv_plan for the contract).
template <class Arch = default_arch>
class conv3d_kgs_plan : public detail::conv_plan<Arch, 3> {
 public:
  conv3d_kgs_plan(const format::kgs3d& w, const conv3d_shape& s, bool relu = false,
                  const std::optional<tune::kgs_params>& prm = std::nullopt)
      : detail::conv_plan<Arch, 3>(w, s, activation::from_relu(relu), prm, "conv3d_kgs") {}
};

}  // namespace kernels::kgs
SPK_END_NAMESPACE
