// SPDX-License-Identifier: Apache-2.0
// conv2d_fkw: the optimised pattern-sparse conv2d driver (NCHW). Packs the zero-padded input
// once per image (stride-2 columns split into phase planes), compiles each library pattern into
// steps, then runs R x V register tiles per (row band, filter group) work item on the executor.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>

#include "spk/core/buffer.hpp"
#include "spk/core/executor.hpp"
#include "spk/kernels/fkw/lanes.hpp"
#include "spk/kernels/fkw/reference.hpp"
#include "spk/kernels/fkw/ukernel.hpp"
#include "spk/kernels/kgs/pack.hpp"
#include "spk/tune/active.hpp"
#include "spk/tune/classes.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::fkw {

/// Packed input layout (see lanes.hpp). lane_strided applies where it exists (AVX-512, column
/// stride 1, not a flattened small plane, tap reach (kw-1)*dw <= 8); elsewhere the call runs
/// contiguous. automatic: lane-strided where it measured faster.
enum class fkw_layout { automatic, contiguous, lane_strided };

/// Kernel switches. The format's own switches (filter / kernel reorder) are chosen at build.
struct fkw_conv_options {
  bool relu = false;  ///< epilogue max(0, .) after the bias
  bool lre = true;    ///< kernel-level load-redundancy elimination (off: one load per tap)
  fkw_layout layout = fkw_layout::automatic;
};

namespace detail {

/// Tile shape and packed-input geometry of one call.
struct fkw_geometry {
  int R = 1, V = 1, SH = 1;  ///< tile rows, tile vectors, compile-time row stride (0: runtime)
  bool flat = false;         ///< small plane: one tile over the flattened padded plane
  bool lanes = false;        ///< lane-strided rows: segments of seg floats, V + halo vectors
  index_t halo = 0, seg = 0;
  index_t L = 1, tiles_y = 0, tiles_x = 0;
  index_t ld = 0, rows = 0, plane = 0, cstride = 0;  ///< packed row, rows, phase plane, channel
  index_t steps_floats = 0;                          ///< workspace floats for the step programs
  index_t run_cap = 0;  ///< kernels per pass of a run's steps (their inputs stay in L1)
};

/// L1 bytes the kernels of one pass over a run's steps may read (of 32-48 KB). A run's steps
/// (one per tap column) each walk all its kernels, so the inputs the first step loads must
/// still be in L1 for the others: a library where one pattern holds most kernels (one run of
/// ~72 kernels, 130 KB, on the VGG conv3_2 shape at 1/8) ran 1.4x slower than 8 even runs
/// until long runs were cut into passes of this size (single-pattern library: 36 -> 50
/// GFLOP/s on one Sapphire Rapids core; an even 8-pattern mix is unchanged).
inline constexpr double run_l1_budget = 24.0 * 1024;

/// Kernels per filter below which the automatic layout stays contiguous: VGG-16 conv1_1 (3
/// channels, < 1 kernel per filter at density 1/8) ran 1.4x slower lane-strided.
inline constexpr double lane_min_kernels_per_filter = 4;

inline double kernels_per_filter(const format::fkw& w) {
  return double(w.kernels()) / double(std::max<index_t>(1, w.filters()));
}

/// Register tiles per lane count. 32 vector registers (AVX-512): up to 16 accumulators; 16
/// registers (AVX2, SSE, NEON in xsimd 8.1): up to 8. Wide rows take many vectors and few rows,
/// narrow planes few vectors and many rows (more row reuse per loaded input row).
template <class Arch>
inline void pick_tile(fkw_geometry& g, index_t oh, index_t ow) {
  const index_t vecs = (ow + g.L - 1) / g.L;
  if (g.L >= 16) {
    if (vecs >= 7)
      g.R = 2, g.V = 7;
    else if (vecs >= 3)
      g.R = 4, g.V = 4;
    else if (vecs == 2)
      g.R = 7, g.V = 2;
    else
      g.R = oh > 7 ? 14 : 7, g.V = 1;
  } else {
    if (vecs >= 4)
      g.R = 2, g.V = 4;
    else if (vecs >= 2)
      g.R = 4, g.V = 2;
    else
      g.R = 7, g.V = 1;
  }
}

/// True when the driver instantiates the R x V tile for Arch (pick_item's list).
template <class Arch>
constexpr bool tile_instantiated(int R, int V) {
  if (float_lanes<Arch> >= 16)
    return (R == 2 && V == 7) || (R == 4 && V == 4) || (R == 7 && (V == 2 || V == 1)) ||
           (R == 14 && V == 1);
  return (R == 2 && V == 4) || (R == 4 && V == 2) || (R == 7 && V == 1);
}

/// The call's params: `prm`, or the active tune table's row for this problem.
template <class Arch>
tune::fkw_params resolve_params(const std::optional<tune::fkw_params>& prm, const format::fkw& w,
                                const conv2d_shape& s) {
  return tune::params_for<tune::fkw_params>(
      prm ? &*prm : nullptr, tune::cpu_device<Arch>(), "conv2d_fkw",
      [&] { return tune::fkw_class(s); }, [&] { return w.density(); });
}

/// Geometry for problem s; `prm` may replace pick_tile's tile (flattened planes keep theirs).
template <class Arch>
fkw_geometry plan(const conv2d_shape& s, const sparsity::pattern_library& lib,
                  const tune::fkw_params& prm = {}, fkw_layout layout = fkw_layout::automatic,
                  double kernels_per_filter = 0) {
  fkw_geometry g;
  g.L = float_lanes<Arch>;
  const index_t sh = s.params.stride[0], sw = s.params.stride[1], dh = s.params.dilation[0],
                dw = s.params.dilation[1], oh = s.out[0], ow = s.out[1];
  const index_t wp = s.in[1] + s.params.pad_begin[1] + s.params.pad_end[1];
  const index_t kh = lib.kh(), kw = lib.kw();
  // Flattened plane: output o = y * wp + x reads input o + r*dh*wp + s*dw (stride 1 only).
  const index_t flat_n = (oh - 1) * wp + ow;
  if (g.L >= 16 && sh == 1 && sw == 1 && 2 * ow <= g.L && flat_n <= 4 * g.L) {
    g.flat = true, g.R = 1, g.V = 4, g.SH = 1;
    g.tiles_y = g.tiles_x = 1;
    g.ld = wp;
    const index_t need = g.V * g.L + (kh - 1) * dh * wp + (kw - 1) * dw;
    g.rows = std::max(s.in[0] + s.params.pad_begin[0] + s.params.pad_end[0], (need + wp - 1) / wp);
  } else {
    pick_tile<Arch>(g, oh, ow);
    if (tile_instantiated<Arch>(prm.tile_rows, prm.tile_vecs))
      g.R = prm.tile_rows, g.V = prm.tile_vecs;
    g.SH = sh == 1 || sh == 2 ? int(sh) : 0;
    g.tiles_y = (oh + g.R - 1) / g.R;
    g.tiles_x = (ow + g.V * g.L - 1) / (g.V * g.L);
    // Rows start on a vector boundary (tap column 0 aligned). Aligning the centre column
    // instead (row offset L-1) measured 5-10% slower: wider rows, more L2 traffic.
    const index_t cols = g.tiles_x * g.V * g.L + (kw - 1) * dw / sw;
    g.ld = (cols + g.L - 1) / g.L * g.L;
    if (has_valign<Arch> && sw == 1 && (kw - 1) * dw <= max_lane_halo &&
        layout != fkw_layout::contiguous) {
      const index_t halo = (kw - 1) * dw, seg = (g.V + halo) * g.L, ld = g.tiles_x * seg;
      // automatic: not where the halo vectors make rows much wider than contiguous ones (one
      // segment per vector: 224-wide rows with a 14 x 1 tile are 2.8x wider and ran 1.8x
      // slower), nor where a filter has too few kernels to pay for the gathering store.
      if (layout == fkw_layout::lane_strided ||
          (2 * ld <= 3 * g.ld && kernels_per_filter >= lane_min_kernels_per_filter)) {
        g.lanes = true, g.halo = halo, g.seg = seg, g.ld = ld;
      }
    }
    g.rows = (g.tiles_y * g.R - 1) * sh + (kh - 1) * dh + 1;
  }
  {
    // One kernel's input under the tile: all phases, every row the taps reach, whole lines.
    const index_t halo = (kw - 1) * dw / sw + 1;
    const index_t win_rows = (g.R - 1) * sh + (kh - 1) * dh + 1;
    const index_t floats = g.flat    ? g.V * g.L + (kh - 1) * dh * wp + (kw - 1) * dw
                           : g.lanes ? win_rows * g.seg
                                     : sw * win_rows * ((g.V * g.L + halo + 15) / 16 * 16);
    g.run_cap = std::max<index_t>(1, index_t(run_l1_budget) / (floats * index_t(sizeof(float))));
  }
  g.plane = checked_mul(g.rows, g.ld, "conv2d_fkw packed plane");
  g.cstride = checked_mul(g.flat ? 1 : sw, g.plane, "conv2d_fkw packed channel");
  const index_t step_bytes =
      lib.size() * (kh * kw * index_t(sizeof(fkw_step)) + index_t(sizeof(index_t)));
  g.steps_floats = (step_bytes / 4 + 15) / 16 * 16;
  return g;
}

/// Compiles pattern p into steps: per tap column, with LRE (and unit row dilation, SH != 0) one
/// step per 3-row window of that column's taps; otherwise one step per tap.
inline index_t compile_pattern(sparsity::pattern_bits b, index_t kh, index_t kw,
                               const conv2d_shape& s, const fkw_geometry& g, bool lre,
                               fkw_step* out) {
  const index_t sw = g.flat ? 1 : s.params.stride[1], dh = s.params.dilation[0],
                dw = s.params.dilation[1];
  const auto pos = sparsity::pattern_positions(b);
  index_t n = 0;
  for (index_t col = 0; col < kw; ++col) {
    const index_t shift = col * dw;
    const index_t coff = g.flat    ? shift
                         : g.lanes ? shift * g.L  // packed vector g + shift (lanes.hpp)
                                   : (shift % sw) * g.plane + shift / sw;
    const bool windows = lre && dh == 1 && g.SH != 0;
    for (index_t b0 = 0; b0 < kh; b0 += windows ? 3 : 1) {
      fkw_step st;
      for (std::size_t j = 0; j < pos.size(); ++j) {
        const index_t r = pos[j] / kw, c = pos[j] % kw;
        if (c != col || r < b0 || r >= b0 + (windows ? 3 : 1)) continue;
        st.mask |= 1 << (r - b0);
        st.widx[r - b0] = std::int32_t(j);
      }
      if (!st.mask) continue;
      st.off = coff + b0 * dh * g.ld;
      out[n++] = st;
    }
  }
  return n;
}

/// Packs image n: packed[c][phase][q][j] = in[n][c][q - pt][j*sw + phase - pl] (0 outside).
/// The rows that hold input go through the kgs row packer (masked loads on AVX-512: the
/// scalar per-element bound checks were ~10 % of VGG-16 conv3_2 at 1/8); the rest are zeros.
template <class Arch>
void pack_channel(const nchw_view<const float>& in, index_t n, index_t c, const conv2d_shape& s,
                  const fkw_geometry& g, float* dst) {
  const index_t sw = g.flat ? 1 : s.params.stride[1];
  const index_t pt = s.params.pad_begin[0], pl = s.params.pad_begin[1];
  const index_t y0 = std::min(g.rows, pt), y1 = std::min(g.rows, pt + s.in[0]);
  const float* src = in.data() + n * in.stride(0) + c * in.stride(1);
#if XSIMD_WITH_AVX512F
  if constexpr (has_valign<Arch>) {
    if (g.lanes) {
      std::fill(dst, dst + y0 * g.ld, 0.f);
      const bool gather = lane_gather_fits(s.in[1], in.stride(3));
      for (index_t q = y0; q < y1; ++q) {
        const float* row = src + (q - pt) * in.stride(2);
        for (index_t tx = 0; tx < g.tiles_x; ++tx) {
          float* d = dst + q * g.ld + tx * g.seg;
          const index_t c0 = tx * g.V * g.L - pl;
          if (gather)
            pack_lane_segment(row, in.stride(3), s.in[1], c0, g.V, g.V + g.halo, d);
          else
            pack_lane_segment_scalar(row, in.stride(3), s.in[1], c0, g.V, g.V + g.halo, d);
        }
      }
      std::fill(dst + y1 * g.ld, dst + g.rows * g.ld, 0.f);
      return;
    }
  }
#endif
  for (index_t ph = 0; ph < sw; ++ph) {
    float* p = dst + ph * g.plane;
    std::fill(p, p + y0 * g.ld, 0.f);
    if (y1 > y0)
      kgs::detail::pack_rows<Arch>(src + (y0 - pt) * in.stride(2), in.stride(2), y1 - y0, s.in[1],
                                   in.stride(3), sw, ph - pl, g.ld, p + y0 * g.ld);
    std::fill(p + y1 * g.ld, p + g.rows * g.ld, 0.f);
  }
}

/// Everything a work item reads.
struct fkw_call {
  const format::fkw* w;
  const conv2d_shape* s;
  const fkw_geometry* g;
  const fkw_step* steps;  ///< pattern p's program: steps[p * kh*kw ...]
  const index_t* nsteps;  ///< per pattern
  const float* packed;    ///< packed image
  const float* bias;
  float* out;  ///< output image n, plane stride ostride, row stride ow
  index_t ostride;
  bool relu;
};

/// Bias + ReLU, then store one tile (rows past OH and lanes past OW are dropped).
template <class Arch, int R, int V>
SPK_FKW_INLINE void store_tile(xsimd::batch<float, Arch> (&acc)[R][V], const fkw_call& c, float* o,
                               index_t y0, index_t x0, float b) {
  using vec = xsimd::batch<float, Arch>;
  constexpr index_t L = index_t(vec::size);
  const index_t oh = c.s->out[0], ow = c.s->out[1];
  const vec vb(b), zero(0.f);
  alignas(64) float tmp[R * V * L];
  SPK_UNROLL for (int i = 0; i < R; ++i) SPK_UNROLL for (int v = 0; v < V; ++v) {
    acc[i][v] = acc[i][v] + vb;
    if (c.relu) acc[i][v] = xsimd::select(acc[i][v] > zero, acc[i][v], zero);
  }
  if (c.g->flat) {
    SPK_UNROLL for (int v = 0; v < V; ++v) acc[0][v].store_aligned(tmp + v * L);
    for (index_t y = 0; y < oh; ++y)
      for (index_t x = 0; x < ow; ++x) o[y * ow + x] = tmp[y * c.g->ld + x];
    return;
  }
#if XSIMD_WITH_AVX512F
  if constexpr (has_valign<Arch>) {
    if (c.g->lanes) {  // transpose each row's lanes back to columns (lanes.hpp)
      const index_t n = std::min<index_t>(V * L, ow - x0);
      SPK_UNROLL for (int i = 0; i < R; ++i) {
        if (y0 + i >= oh) break;
        SPK_UNROLL for (int v = 0; v < V; ++v) acc[i][v].store_aligned(tmp + (i * V + v) * L);
        store_lane_row<V>(tmp + i * V * L, o + (y0 + i) * ow + x0, n);
      }
      return;
    }
  }
#endif
  SPK_UNROLL for (int i = 0; i < R; ++i) {
    if (y0 + i >= oh) break;
    float* orow = o + (y0 + i) * ow;
    SPK_UNROLL for (int v = 0; v < V; ++v) {
      const index_t x = x0 + v * L;
      if (x + L <= ow) {
        acc[i][v].store_unaligned(orow + x);
      } else if (x < ow) {
        simd::store_first(orow + x, long(ow - x), acc[i][v]);
      }
    }
  }
}

/// Row band `ty` (R output rows) for stored filters [i0, i1).
template <class Arch, int R, int V, int SH>
void run_item(const fkw_call& c, index_t ty, index_t i0, index_t i1) {
  using vec = xsimd::batch<float, Arch>;
  constexpr index_t L = index_t(vec::size);
  const fkw_geometry& g = *c.g;
  const index_t kv = c.w->kh() * c.w->kw(), sh = c.s->params.stride[0], P = c.w->library().size();
  const index_t y0 = ty * R;
  fkw_tile_args a;
  a.ld = g.ld, a.cstride = g.cstride, a.nnz = c.w->library().nnz();
  a.index = c.w->index().data(), a.weight = c.w->weight().data();
  a.run_cap = g.run_cap;
  // Rows of the strided layout start on vector boundaries (ld, plane, tile origin are multiples
  // of L) when the packed buffer does; the flattened plane's rows do not.
  a.aligned_rows =
      !g.flat && reinterpret_cast<std::uintptr_t>(c.packed) % (sizeof(float) * std::size_t(L)) == 0;
  for (index_t i = i0; i < i1; ++i) {
    const index_t f = c.w->reorder()[std::size_t(i)];
    float* o = c.out + f * c.ostride;
    const float bias = c.bias ? c.bias[f] : 0.f;
    for (index_t tx = 0; tx < g.tiles_x; ++tx) {
      const index_t x0 = tx * V * L;
      a.in = c.packed + y0 * sh * g.ld + (g.lanes ? tx * g.seg : x0);
      vec acc[R][V];
      SPK_UNROLL for (int r = 0; r < R; ++r) SPK_UNROLL for (int v = 0; v < V; ++v) acc[r][v] =
          vec(0.f);
      // The runs of fkw::for_each_run, spelled out: a lambda capturing the tile gets
      // outlined by g++ once the steps are inlined, and the tile then lives on the stack. One
      // fkw_run call site for both orders: each site inlines every step variant (compile time).
      const index_t kb = c.w->offset()[std::size_t(i)], ke = c.w->offset()[std::size_t(i + 1)];
      const bool sorted = c.w->kernel_sorted();
      // sorted: pattern p's slots (the stride array is empty otherwise: no offset from null)
      const std::int32_t* st = sorted ? c.w->stride().data() + i * (P + 1) : nullptr;
      const std::uint8_t* kp = c.w->kernel_pattern().data();  // unsorted: slot patterns
      for (index_t k = kb, p = 0;;) {
        index_t rb, re, pat;
        if (sorted) {
          while (p < P && st[p + 1] == st[p]) ++p;
          if (p == P) break;
          rb = kb + st[p], re = kb + st[p + 1], pat = p++;
        } else {
          if (k >= ke) break;
          rb = k, pat = kp[k];
          while (++k < ke && kp[k] == pat) {
          }
          re = k;
        }
        fkw_run<Arch, R, V, SH>(acc, a, c.steps + pat * kv, c.nsteps[pat], rb, re, sh * g.ld);
      }
      store_tile<Arch, R, V>(acc, c, o, y0, x0, bias);
    }
  }
}

using item_fn = void (*)(const fkw_call&, index_t, index_t, index_t);

template <class Arch, int R, int V>
item_fn pick_sh(int sh) {
  if (sh == 1) return &run_item<Arch, R, V, 1>;
  if (sh == 2) return &run_item<Arch, R, V, 2>;
  return &run_item<Arch, R, V, 0>;
}

template <class Arch>
item_fn pick_item(const fkw_geometry& g) {
  if (g.flat) return &run_item<Arch, 1, 4, 1>;
  if constexpr (float_lanes<Arch> >= 16) {
    if (g.R == 2) return pick_sh<Arch, 2, 7>(g.SH);
    if (g.R == 4) return pick_sh<Arch, 4, 4>(g.SH);
    if (g.R == 7) return g.V == 2 ? pick_sh<Arch, 7, 2>(g.SH) : pick_sh<Arch, 7, 1>(g.SH);
    return pick_sh<Arch, 14, 1>(g.SH);
  } else {
    if (g.R == 2) return pick_sh<Arch, 2, 4>(g.SH);
    if (g.R == 4) return pick_sh<Arch, 4, 2>(g.SH);
    return pick_sh<Arch, 7, 1>(g.SH);
  }
}

}  // namespace detail

/// Floats of workspace conv2d_fkw needs for weights `w` on problem `s` (packed input of one
/// image + the pattern step programs).
/// `prm`: the tuned params (std::nullopt: the active tune table's; tune::fkw_params{}: the
/// built-in heuristics). Pass the same to the call as to the size query.
template <class Arch = default_arch>
index_t conv2d_fkw_workspace_size(const format::fkw& w, const conv2d_shape& s,
                                  const std::optional<tune::fkw_params>& prm = std::nullopt) {
  // Enough for either layout, so the size does not depend on the call's options.
  const auto tp = detail::resolve_params<Arch>(prm, w, s);
  index_t floats = 0;
  for (fkw_layout l : {fkw_layout::contiguous, fkw_layout::lane_strided}) {
    const auto g = detail::plan<Arch>(s, w.library(), tp, l, detail::kernels_per_filter(w));
    floats =
        std::max(floats, checked_add(checked_mul(s.in_channels, g.cstride, "conv2d_fkw workspace"),
                                     g.steps_floats + 16, "conv2d_fkw workspace"));
  }
  return floats;
}

/// Pattern-sparse conv2d: out = conv(in, w) + bias (then ReLU if o.relu), NCHW in and out
/// (any batch/channel/row strides on the input; output rows must be dense), FKW weights, any
/// stride and padding (stride 1, 2: row-reuse code; others: one load per tap), dilation,
/// groups = 1. Threads: work items = row bands x filter groups of equal kernel counts.
/// `workspace`: conv2d_fkw_workspace_size(w, s, prm) floats, 64-byte aligned. `prm`: tile and
/// work split (std::nullopt: looked up in the active tune table, see spk/tune/active.hpp).
template <class Arch = default_arch>
void conv2d_fkw(nchw_view<const float> in, const format::fkw& w, const float* bias,
                nchw_view<float> out, const conv2d_params& p, const fkw_conv_options& o,
                executor& ex, float* workspace,
                const std::optional<tune::fkw_params>& prm = std::nullopt) {
  const char* where = "conv2d_fkw";
  const conv2d_shape s = detail::check_conv2d_fkw(in, w, out, p, where);
  require(out.stride(3) == 1 && out.stride(2) == s.out[1], where, "output", "strided rows",
          "dense output planes (row stride == OW, unit column stride)", errc::unsupported);
  require(workspace != nullptr, where, "workspace", "nullptr", "conv2d_fkw_workspace_size floats");
  // The step programs are placed at its start (8-byte fields); 64 bytes lets the packed rows
  // take aligned loads, anything less on an 8-byte boundary runs the unaligned code.
  require(reinterpret_cast<std::uintptr_t>(workspace) % alignof(fkw_step) == 0, where, "workspace",
          "misaligned pointer", "an 8-byte aligned buffer (64-byte for the fastest path)");
  const tune::fkw_params tp = detail::resolve_params<Arch>(prm, w, s);
  const detail::fkw_geometry g =
      detail::plan<Arch>(s, w.library(), tp, o.layout, detail::kernels_per_filter(w));
  const index_t P = w.library().size(), kv = w.kh() * w.kw();
  auto* steps = new (workspace) fkw_step[std::size_t(P * kv)];
  auto* nsteps =
      new (reinterpret_cast<char*>(workspace) + P * kv * sizeof(fkw_step)) index_t[std::size_t(P)];
  for (index_t q = 0; q < P; ++q)
    nsteps[q] =
        detail::compile_pattern(w.library()[q], w.kh(), w.kw(), s, g, o.lre, steps + q * kv);
  float* packed = workspace + g.steps_floats;

  // Filter groups: one per thread x 4 (dynamic balance), contiguous in stored order with about
  // equal kernel counts (+1 per filter for its tile overhead).
  const int threads = ex.concurrency();
  const index_t F = w.filters();
  const index_t per_thread = tp.groups_per_thread > 0 ? tp.groups_per_thread : 4;
  const index_t groups =
      threads <= 1 ? 1 : std::min<index_t>({F, per_thread * index_t(threads), 64});
  index_t bounds[65] = {0};
  {
    const index_t total = w.kernels() + F;
    index_t gi = 1, acc = 0;
    for (index_t i = 0; i < F && gi < groups; ++i) {
      acc += w.offset()[std::size_t(i + 1)] - w.offset()[std::size_t(i)] + 1;
      if (acc * groups >= gi * total) bounds[gi++] = i + 1;
    }
    while (gi <= groups) bounds[gi++] = F;
  }
  const detail::item_fn item = detail::pick_item<Arch>(g);
  for (index_t n = 0; n < s.batch; ++n) {
    ex.parallel_for(s.in_channels, [&](index_t c) {
      detail::pack_channel<Arch>(in, n, c, s, g, packed + c * g.cstride);
    });
    const detail::fkw_call call{
        &w,    &s, &g, steps, nsteps, packed, bias, out.data() + n * out.stride(0), out.stride(1),
        o.relu};
    ex.parallel_for(g.tiles_y * groups, [&](index_t it) {
      const index_t ty = it / groups, gr = it % groups;
      if (bounds[gr] < bounds[gr + 1]) item(call, ty, bounds[gr], bounds[gr + 1]);
    });
  }
}

/// Convenience overload that allocates the workspace.
template <class Arch = default_arch>
void conv2d_fkw(nchw_view<const float> in, const format::fkw& w, const float* bias,
                nchw_view<float> out, const conv2d_params& p = {}, const fkw_conv_options& o = {},
                executor& ex = default_executor(),
                const std::optional<tune::fkw_params>& prm = std::nullopt) {
  const conv2d_shape s = detail::check_conv2d_fkw(in, w, out, p, "conv2d_fkw");
  const tune::fkw_params tp = detail::resolve_params<Arch>(prm, w, s);  // one lookup for both
  aligned_buffer<float> ws(conv2d_fkw_workspace_size<Arch>(w, s, tp));
  conv2d_fkw<Arch>(in, w, bias, out, p, o, ex, ws.data(), tp);
}

}  // namespace kernels::fkw
SPK_END_NAMESPACE
