// SPDX-License-Identifier: Apache-2.0
// The kernel-group-sparse register tile: MR filters x NV vectors of consecutive (flattened)
// output positions, accumulated over a filter block's (channel, kept location) entries. Each
// entry loads NV input vectors once and feeds all MR filters: MR FMAs per loaded vector, the
// reuse KGS exists for. One tile, no allocation, no policy (the driver is conv.hpp).
#pragma once

#include <cstdint>
#include <cstring>

#include "spk/core/arch.hpp"
#include "spk/core/simd.hpp"
#include "spk/kernels/activation.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::kgs {

/// Tile shape per arch. Per entry: NV unaligned input loads, MR broadcasts (folded into the FMA
/// as an embedded broadcast on AVX-512) and MR * NV FMAs. AVX-512 (32 zmm): 8 x 3 = 24
/// accumulators, 3 input vectors, 1 broadcast. 16-register ISAs (AVX2, SSE): 4 x 3 = 12
/// accumulators + 3 inputs + 1 broadcast. The load ports decide there: 8 x 1 issues 9 loads
/// (1 input + 8 broadcasts, no embedded broadcast before AVX-512) per 8 FMAs and ran
/// load-bound at ~40% of a Zen 2 core's FMA peak; 4 x 3 issues 7 per 12 and ran C3D 1.3-1.9x
/// faster (4 x 2: 6 per 8, 1.2x). A filter block of 8 then takes two tiles over the same input.
template <class Arch>
struct kgs_tile {
  static constexpr index_t lanes = static_cast<index_t>(xsimd::batch<float, Arch>::size);
  static constexpr int nv = 3;
  static constexpr int mr = lanes >= 16 ? 8 : 4;
  static constexpr index_t positions = nv * lanes;  ///< output positions per tile
  /// Entries ahead whose input lines are prefetched: the entry's taps jump between channels and
  /// kernel rows, a pattern the hardware prefetcher does not follow (limits-2.md §1: +20-25%).
  static constexpr index_t prefetch_distance = 8;
  /// Run tails of at most this many positions go through kgs_tail_across_filters.
  static constexpr int across_max = 4;
};

/// Stores the register tile into the caller's aligned accumulator tile (acc[m * T + v * L]).
struct store_to_tile {
  float* acc;
  template <class Arch, int TP>
  void operator()(int m, int v, const xsimd::batch<float, Arch>& c) const noexcept {
    c.store_aligned(acc + m * TP + v * int(xsimd::batch<float, Arch>::size));
  }
};

/// Fused epilogue straight into the output: out[m * ostride + v * L + l] = act(c + bias[m]),
/// for a tile whose every position is a valid, contiguous output (the in-place 1x1 path): no
/// round trip through the accumulator tile. K fixes the activation at compile time (a runtime
/// switch per vector costs as much as a sparse tile's FMAs). bias: MR floats or nullptr.
template <act_kind K>
struct store_to_output {
  float* out;
  index_t ostride;
  const float* bias;
  float alpha;
  template <class Arch, int TP>
  void operator()(int m, int v, const xsimd::batch<float, Arch>& c) const noexcept {
    using vec = xsimd::batch<float, Arch>;
    apply_vec<K, Arch>(bias ? c + vec(bias[m]) : c, alpha)
        .store_unaligned(out + m * ostride + v * index_t(vec::size));
  }
};

/// c[m][v] (lanes l) = init[m * T + v * L + l] + sum over entries e < n of w[e * wstride + m] *
/// in[off[e] + v * L + l], for m < MR, v < NV (L = lanes, T = kgs_tile::positions, so a
/// narrower NV for the last tile of a run keeps the layout); init == nullptr reads as 0; then
/// store(m, v, c[m][v]) (init may alias the tile store_to_tile writes: partial sums over
/// channel chunks). off[] must be readable up to n + prefetch_distance (the driver pads it);
/// init is aligned to the vector width.
/// Gather: entry e's weights are w + widx[e] * wstride instead of w + e * wstride (a subset of
/// a block's entries, the depth taps of an edge plane that read input: conv.hpp depth_classes).
template <class Arch, int MR, int NV, class Store, bool Gather = false>
inline void kgs_ukernel(index_t n, const std::int32_t* __restrict off, const float* __restrict w,
                        index_t wstride, const float* __restrict in, const float* init,
                        const Store& store, const std::int32_t* __restrict widx = nullptr) {
  using vec = xsimd::batch<float, Arch>;
  constexpr index_t L = kgs_tile<Arch>::lanes, PD = kgs_tile<Arch>::prefetch_distance;
  constexpr index_t T = kgs_tile<Arch>::positions;
  static_assert(NV <= kgs_tile<Arch>::nv, "NV above the tile width");
  vec c[MR][NV];
  index_t e = 0;
  if (init) {
    SPK_UNROLL for (int m = 0; m < MR; ++m) SPK_UNROLL for (int v = 0; v < NV; ++v) c[m][v] =
        vec::load_aligned(init + m * T + v * L);
  } else if (n > 0) {
    // The first entry initialises the tile (a multiply, no zeroing): at 90% sparsity a 1x1
    // tile has only a few entries, and the MR x NV zeroings were a tenth of its work.
    vec xv[NV];
    SPK_UNROLL for (int v = 0; v < NV; ++v) xv[v] = vec::load_unaligned(in + off[0] + v * L);
    const float* w0 = Gather ? w + index_t(widx[0]) * wstride : w;
    SPK_UNROLL for (int m = 0; m < MR; ++m) {
      const vec b(w0[m]);
      SPK_UNROLL for (int v = 0; v < NV; ++v) c[m][v] = b * xv[v];
    }
    if constexpr (!Gather) w += wstride;
    e = 1;
  } else {
    SPK_UNROLL for (int m = 0; m < MR; ++m) SPK_UNROLL for (int v = 0; v < NV; ++v) c[m][v] =
        vec(0.f);
  }
  for (; e < n; ++e) {
    const float* x = in + off[e];
#if defined(__GNUC__)
    // One prefetch per 64-byte line of the entry's NV * L floats, plus its last float (an
    // unaligned span touches one line more than its length).
    const char* pf = reinterpret_cast<const char*>(in + off[e + PD]);
    SPK_UNROLL for (index_t b = 0; b < NV * L * 4; b += 64) __builtin_prefetch(pf + b);
    __builtin_prefetch(pf + NV * L * 4 - 4);
#endif
    vec xv[NV];
    SPK_UNROLL for (int v = 0; v < NV; ++v) xv[v] = vec::load_unaligned(x + v * L);
    const float* we = Gather ? w + index_t(widx[e]) * wstride : w;
    SPK_UNROLL for (int m = 0; m < MR; ++m) {
      const vec b(we[m]);
      SPK_UNROLL for (int v = 0; v < NV; ++v) c[m][v] = simd::fma(b, xv[v], c[m][v]);
    }
    if constexpr (!Gather) w += wstride;
  }
  SPK_UNROLL for (int m = 0; m < MR; ++m) SPK_UNROLL for (int v = 0; v < NV; ++v)
      store.template operator()<Arch, int(T)>(m, v, c[m][v]);
}

/// The few positions left at the end of a run (LEN <= kgs_tile::across_max, e.g. the 49th of a
/// 7 x 7 plane), vectorised over the MR filters instead of over positions: per entry one load
/// of its MR contiguous weights (wstride >= MR) and LEN broadcast FMAs, where a one-vector tile
/// spends MR FMAs on 1-4 valid lanes (the 7 x 7 layers' second tile cost a third of the first).
/// c[p][m] = init[m * T + p] (or 0 without init) + sum over e < n of w[e * wstride + m] *
/// in[off[e] + p]; dst[m * T + p] = c[p][m] (T = kgs_tile::positions; dst may alias init).
/// Reads in[off[e] + p] for p < LEN only: the caller's input needs no padding past the run.
template <class Arch, int MR, int LEN>
inline void kgs_tail_across_filters(index_t n, const std::int32_t* __restrict off,
                                    const float* __restrict w, index_t wstride,
                                    const float* __restrict in, const float* init, float* dst) {
  constexpr index_t T = kgs_tile<Arch>::positions;
#if defined(__GNUC__)
  if constexpr (MR == 4 || MR == 8) {
    // A vector of the MR filters (GNU vector extension: one ymm / xmm / NEON pair; left to
    // itself the compiler vectorised over the LEN positions with shuffles, 2x slower).
    typedef float filters_vec __attribute__((vector_size(MR * sizeof(float))));
    filters_vec c[LEN];
    SPK_UNROLL for (int p = 0; p < LEN; ++p) SPK_UNROLL for (int m = 0; m < MR; ++m) c[p][m] =
        init ? init[m * T + p] : 0.f;
    for (index_t e = 0; e < n; ++e) {
      filters_vec wv;
      std::memcpy(&wv, w + e * wstride, sizeof wv);
      const float* __restrict x = in + off[e];
      SPK_UNROLL for (int p = 0; p < LEN; ++p) c[p] += wv * x[p];
    }
    SPK_UNROLL for (int p = 0; p < LEN; ++p) SPK_UNROLL for (int m = 0; m < MR; ++m)
        dst[m * T + p] = c[p][m];
    return;
  }
#endif
  float c[LEN][MR];
  SPK_UNROLL for (int p = 0; p < LEN; ++p) SPK_UNROLL for (int m = 0; m < MR; ++m) c[p][m] =
      init ? init[m * T + p] : 0.f;
  for (index_t e = 0; e < n; ++e) {
    const float* __restrict x = in + off[e];
    const float* __restrict we = w + e * wstride;
    SPK_UNROLL for (int p = 0; p < LEN; ++p) {
      const float xv = x[p];
      SPK_UNROLL for (int m = 0; m < MR; ++m) c[p][m] += we[m] * xv;
    }
  }
  SPK_UNROLL for (int p = 0; p < LEN; ++p) SPK_UNROLL for (int m = 0; m < MR; ++m) dst[m * T + p] =
      c[p][m];
}

}  // namespace kernels::kgs
SPK_END_NAMESPACE
