// SPDX-License-Identifier: Apache-2.0
// spk's dense GEMM/GEMV driver (the "same loop structure" dense baseline and the dense path of
// layers): C = alpha * A * B + beta * C on strided fp32 views. Goto/BLIS blocking around the
// register tile in gemm_ukernel.hpp; threads split N (or M when N is narrow) statically.
//
//            K                     N                          N
//      +-----------+         +-----------+              +-----------+
//   M  |     A     |  x   K  |     B     |     =     M  |     C     |
//      +-----------+         +-----------+              +-----------+
//   A packed once per call into MR-row panels [k][MR] (all of K, so KC slices are contiguous);
//   B packed per (KC x NCB) block into NR-column panels [k][NR] in the item's own buffer;
//   loop: item(N or M range) > KC slice > MC block > NR panel (B panel stays in L1) > MR panel.
#pragma once

#include <algorithm>
#include <cstring>
#include <optional>

#include "spk/core/executor.hpp"
#include "spk/core/tensor.hpp"
#include "spk/kernels/dense/gemm_ukernel.hpp"
#include "spk/tune/active.hpp"
#include "spk/tune/classes.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::dense {

/// Cache blocking. KC x NR B panel = 32 KiB (AVX-512) stays in the 48 KiB L1 while MC rows of
/// packed A (MC x KC = 384 KiB) stream from the 2 MiB L2; a KC x NCB B block is 256 KiB.
template <class Arch>
struct gemm_blocking {
  static constexpr index_t kc = 256;
  static constexpr index_t mc = gemm_tile<Arch>::mr * 32;
  static constexpr index_t ncb = gemm_tile<Arch>::nr * 8;
};

namespace detail {
inline index_t round_up(index_t x, index_t m) { return (x + m - 1) / m * m; }

/// The blocking one call runs with: gemm_blocking, or the tune table's gemm_params. kc * ncb
/// never exceeds the default's (the per-item B buffer gemm_packed_workspace_size reserves):
/// a larger request shrinks ncb. mc is a multiple of MR, ncb of NR.
struct run_blocking {
  index_t kc, mc, ncb;
  int split;  ///< 0 auto, 1 split N, 2 split M
};
template <class Arch>
run_blocking make_blocking(const tune::gemm_params& tp) {
  constexpr index_t MR = gemm_tile<Arch>::mr, NR = gemm_tile<Arch>::nr;
  constexpr index_t cap = gemm_blocking<Arch>::kc * gemm_blocking<Arch>::ncb;
  run_blocking b{tp.kc > 0 ? tp.kc : gemm_blocking<Arch>::kc,
                 tp.mc_panels > 0 ? tp.mc_panels * MR : gemm_blocking<Arch>::mc,
                 tp.ncb_panels > 0 ? tp.ncb_panels * NR : gemm_blocking<Arch>::ncb, tp.split};
  if (b.kc * b.ncb > cap) b.ncb = std::max(NR, cap / b.kc / NR * NR);
  return b;
}

/// Packs rows [m0, m0+MR) of A (zero rows past m) as [k][MR] for all k.
template <index_t MR>
inline void pack_a_panel(const matrix_view<const float>& a, index_t m0, float* dst) {
  const index_t m = a.dim(0), k = a.dim(1), rows = std::min(MR, m - m0);
  const index_t s0 = a.stride(0), s1 = a.stride(1);
  const float* src = a.data() + m0 * s0;
  for (index_t kk = 0; kk < k; ++kk) {
    for (index_t i = 0; i < rows; ++i) dst[kk * MR + i] = src[i * s0 + kk * s1];
    for (index_t i = rows; i < MR; ++i) dst[kk * MR + i] = 0.f;
  }
}

/// Packs B[k0..k0+kc) x [n0..n0+cols) of a strided matrix into NR-column panels [k][NR],
/// zero-padded. Any "B packer" has this call signature; conv drivers pack straight from the
/// input tensor instead (implicit im2col), so the column matrix is never materialised.
template <index_t NR>
struct matrix_b_packer {
  matrix_view<const float> b;
  void operator()(index_t k0, index_t kc, index_t n0, index_t cols, float* dst) const {
    const index_t s0 = b.stride(0), s1 = b.stride(1);
    for (index_t j0 = 0; j0 < cols; j0 += NR) {
      const index_t w = std::min(NR, cols - j0);
      const float* src = b.data() + k0 * s0 + (n0 + j0) * s1;
      for (index_t kk = 0; kk < kc; ++kk, dst += NR) {
        const float* row = src + kk * s0;
        if (s1 == 1) {
          std::memcpy(dst, row, static_cast<std::size_t>(w) * sizeof(float));
        } else {
          for (index_t j = 0; j < w; ++j) dst[j] = row[j * s1];
        }
        for (index_t j = w; j < NR; ++j) dst[j] = 0.f;
      }
    }
  }
};

/// One work item: C[m0,m1) x [n0,n1) over all of K, with its own B block buffer.
template <class Arch, class BPacker>
void gemm_item(const float* packed_a, const BPacker& pack_b, index_t k, const matrix_view<float>& c,
               index_t m0, index_t m1, index_t n0, index_t n1, float alpha, float beta, float* bbuf,
               const run_blocking& blk) {
  constexpr index_t MR = gemm_tile<Arch>::mr, NR = gemm_tile<Arch>::nr;
  const index_t KC = blk.kc, MC = blk.mc, NCB = blk.ncb;
  const index_t ldc = c.stride(0);
  const bool c_unit = c.stride(1) == 1;
  alignas(64) float tile[MR * NR];
  for (index_t nb = n0; nb < n1; nb += NCB) {
    const index_t ncols = std::min(NCB, n1 - nb);
    for (index_t pc = 0; pc < k; pc += KC) {
      const index_t kc = std::min(KC, k - pc);
      const float beta_eff = pc == 0 ? beta : 1.f;
      pack_b(pc, kc, nb, ncols, bbuf);
      for (index_t ic = m0; ic < m1; ic += MC) {
        const index_t ic_end = std::min(m1, ic + MC);
        for (index_t jr = 0; jr < ncols; jr += NR) {
          const float* pb = bbuf + jr * kc;
          const index_t w = std::min(NR, ncols - jr);
          for (index_t ir = ic; ir < ic_end; ir += MR) {
            const float* pa = packed_a + ir * k + pc * MR;  // panel ir/MR, k-offset pc
            const index_t h = std::min(MR, ic_end - ir);
            float* cij = c.data() + ir * ldc + (nb + jr) * c.stride(1);
            if (c_unit && h == MR && w == NR) {
              gemm_ukernel<Arch>(kc, pa, pb, cij, ldc, alpha, beta_eff);
              continue;
            }
            // Edge or strided C: compute the full tile aside, then merge the valid part.
            gemm_ukernel<Arch>(kc, pa, pb, tile, NR, alpha, 0.f);
            for (index_t i = 0; i < h; ++i)
              for (index_t j = 0; j < w; ++j) {
                float& dst = cij[i * ldc + j * c.stride(1)];
                dst = beta_eff == 0.f ? tile[i * NR + j] : tile[i * NR + j] + beta_eff * dst;
              }
          }
        }
      }
    }
  }
}

/// y[i * incy] = alpha * dot(A row i, x) + beta * y[i * incy], rows [r0, r1); x contiguous.
template <class Arch>
void gemv_rows(const matrix_view<const float>& a, const float* x, float* y, index_t incy,
               index_t r0, index_t r1, float alpha, float beta) {
  using vec = xsimd::batch<float, Arch>;
  constexpr index_t L = vec::size;
  const index_t k = a.dim(1);
  if (a.stride(1) != 1) {  // column-strided A (a transposed view): plain dot products
    for (index_t i = r0; i < r1; ++i) {
      float s = 0.f;
      for (index_t kk = 0; kk < k; ++kk) s += a(i, kk) * x[kk];
      float& dst = y[i * incy];
      dst = beta == 0.f ? alpha * s : alpha * s + beta * dst;
    }
    return;
  }
  for (index_t i = r0; i < r1; ++i) {
    const float* row = a.data() + i * a.stride(0);
    // Four independent accumulators hide the FMA latency (4 cycles, 2 ports).
    vec s0(0.f), s1(0.f), s2(0.f), s3(0.f);
    index_t kk = 0;
    for (; kk + 4 * L <= k; kk += 4 * L) {
      s0 = simd::fma(vec::load_unaligned(row + kk), vec::load_unaligned(x + kk), s0);
      s1 = simd::fma(vec::load_unaligned(row + kk + L), vec::load_unaligned(x + kk + L), s1);
      s2 =
          simd::fma(vec::load_unaligned(row + kk + 2 * L), vec::load_unaligned(x + kk + 2 * L), s2);
      s3 =
          simd::fma(vec::load_unaligned(row + kk + 3 * L), vec::load_unaligned(x + kk + 3 * L), s3);
    }
    for (; kk + L <= k; kk += L)
      s0 = simd::fma(vec::load_unaligned(row + kk), vec::load_unaligned(x + kk), s0);
    float s = xsimd::hadd((s0 + s1) + (s2 + s3));
    for (; kk < k; ++kk) s += row[kk] * x[kk];
    float& dst = y[i * incy];
    dst = beta == 0.f ? alpha * s : alpha * s + beta * dst;
  }
}
/// Floats gemm_packed needs: all of A packed, plus one KC x NCB B block per work item.
template <class Arch>
index_t gemm_packed_workspace_size(index_t m, index_t k, int threads) {
  const index_t a = checked_mul(round_up(m, gemm_tile<Arch>::mr), k, "gemm workspace");
  const index_t b = checked_mul(gemm_blocking<Arch>::kc * gemm_blocking<Arch>::ncb,
                                std::max(threads, 1), "gemm workspace");
  return checked_add(a + 16, b, "gemm workspace");
}

/// C (M x N) = alpha * A * B + beta * C with B supplied block by block by `pack_b` (see
/// matrix_b_packer). No argument checks: the public entry points check. M, N, K >= 1.
template <class Arch, class BPacker>
void gemm_packed(const matrix_view<const float>& a, const BPacker& pack_b, index_t n,
                 const matrix_view<float>& c, float alpha, float beta, executor& ex,
                 float* workspace, const tune::gemm_params& tp = {}) {
  const run_blocking blk = make_blocking<Arch>(tp);
  constexpr index_t MR = gemm_tile<Arch>::mr, NR = gemm_tile<Arch>::nr;
  const index_t m = a.dim(0), k = a.dim(1);
  const int threads = std::max(1, ex.concurrency());
  float* packed_a = workspace;
  float* bbufs = workspace + round_up(round_up(m, MR) * k, 16);
  const index_t a_panels = (m + MR - 1) / MR, b_panels = (n + NR - 1) / NR;
  ex.parallel_for(a_panels, [&](index_t p) { pack_a_panel<MR>(a, p * MR, packed_a + p * MR * k); });
  // Split N when it has enough panels for every thread, else split M (narrow N, e.g. 7x7 planes).
  const bool split_n =
      blk.split == 0 ? b_panels >= 2 * threads || a_panels < threads : blk.split == 1;
  const index_t parts =
      split_n ? std::min<index_t>(threads, b_panels) : std::min<index_t>(threads, a_panels);
  const index_t bbuf_size = gemm_blocking<Arch>::kc * gemm_blocking<Arch>::ncb;
  ex.parallel_for(parts, [&](index_t t) {
    float* bbuf = bbufs + t * bbuf_size;
    if (split_n) {
      const index_t p0 = t * b_panels / parts, p1 = (t + 1) * b_panels / parts;
      gemm_item<Arch>(packed_a, pack_b, k, c, 0, m, p0 * NR, std::min(n, p1 * NR), alpha, beta,
                      bbuf, blk);
    } else {
      const index_t p0 = t * a_panels / parts, p1 = (t + 1) * a_panels / parts;
      gemm_item<Arch>(packed_a, pack_b, k, c, p0 * MR, std::min(m, p1 * MR), 0, n, alpha, beta,
                      bbuf, blk);
    }
  });
}
}  // namespace detail

/// Floats of workspace gemm_dense needs for an m x n x k product on `threads` work items.
template <class Arch = default_arch>
index_t gemm_dense_workspace_size(index_t m, index_t n, index_t k, int threads) {
  if (n == 1) return k;  // GEMV: x gathered contiguous
  return detail::gemm_packed_workspace_size<Arch>(m, k, threads);
}

/// C = alpha * A * B + beta * C. A: M x K, B: K x N, C: M x N; any strides (unit inner strides
/// are the fast path). beta == 0: C is write-only. `workspace` holds
/// gemm_dense_workspace_size(M, N, K, ex.concurrency()) floats, 64-byte aligned. `prm`: cache
/// blocking and split (std::nullopt: the active tune table's row of gemm_dense).
template <class Arch = default_arch>
void gemm_dense(matrix_view<const float> a, matrix_view<const float> b, matrix_view<float> c,
                float alpha, float beta, executor& ex, float* workspace,
                const std::optional<tune::gemm_params>& prm = std::nullopt) {
  const index_t m = a.dim(0), k = a.dim(1), n = b.dim(1);
  require(
      b.dim(0) == k, "gemm_dense", "b.rows", b.dim(0),
      [&] { return "== a.cols (" + std::to_string(k) + ")"; }, errc::shape_mismatch);
  require(
      c.dim(0) == m && c.dim(1) == n, "gemm_dense", "c.dims",
      [&] { return std::to_string(c.dim(0)) + "x" + std::to_string(c.dim(1)); },
      [&] { return std::to_string(m) + "x" + std::to_string(n); }, errc::shape_mismatch);
  if (m == 0 || n == 0) return;
  require(workspace != nullptr, "gemm_dense", "workspace", "nullptr",
          "a buffer of gemm_dense_workspace_size floats");
  if (k == 0) {  // empty sum: C = beta * C
    for (index_t i = 0; i < m; ++i)
      for (index_t j = 0; j < n; ++j) c(i, j) = beta == 0.f ? 0.f : beta * c(i, j);
    return;
  }
  if (n == 1) {
    float* x = workspace;
    for (index_t kk = 0; kk < k; ++kk) x[kk] = b(kk, 0);
    const int threads = std::max(1, ex.concurrency());
    const index_t chunk = std::max<index_t>(64, (m + threads - 1) / threads);
    ex.parallel_for((m + chunk - 1) / chunk, [&](index_t t) {
      detail::gemv_rows<Arch>(a, x, c.data(), c.stride(0), t * chunk, std::min(m, (t + 1) * chunk),
                              alpha, beta);
    });
    return;
  }
  const tune::gemm_params tp = tune::params_for<tune::gemm_params>(
      prm ? &*prm : nullptr, tune::cpu_device<Arch>(), "gemm_dense",
      [&] { return tune::matmul_class(m, n, k); }, [] { return 1.0; });
  detail::gemm_packed<Arch>(a, detail::matrix_b_packer<gemm_tile<Arch>::nr>{b}, n, c, alpha, beta,
                            ex, workspace, tp);
}

/// Convenience overload: allocates the workspace (not for hot loops).
template <class Arch = default_arch>
void gemm_dense(matrix_view<const float> a, matrix_view<const float> b, matrix_view<float> c,
                float alpha = 1.f, float beta = 0.f, executor& ex = default_executor(),
                const std::optional<tune::gemm_params>& prm = std::nullopt) {
  aligned_buffer<float> ws(
      gemm_dense_workspace_size<Arch>(a.dim(0), b.dim(1), a.dim(1), ex.concurrency()));
  gemm_dense<Arch>(a, b, c, alpha, beta, ex, ws.data(), prm);
}

/// y = alpha * A x + beta * y, A: M x K (unit column stride is the fast path); x, y contiguous.
template <class Arch = default_arch>
void gemv_dense(matrix_view<const float> a, const float* x, float* y, float alpha = 1.f,
                float beta = 0.f, executor& ex = default_executor()) {
  require(x != nullptr || a.dim(1) == 0, "gemv_dense", "x", "nullptr", "a vector of a.cols floats");
  require(y != nullptr || a.dim(0) == 0, "gemv_dense", "y", "nullptr", "a vector of a.rows floats");
  const index_t m = a.dim(0);
  const int threads = std::max(1, ex.concurrency());
  const index_t chunk = std::max<index_t>(64, (m + threads - 1) / threads);
  ex.parallel_for((m + chunk - 1) / chunk, [&](index_t t) {
    detail::gemv_rows<Arch>(a, x, y, 1, t * chunk, std::min(m, (t + 1) * chunk), alpha, beta);
  });
}

}  // namespace kernels::dense
SPK_END_NAMESPACE
