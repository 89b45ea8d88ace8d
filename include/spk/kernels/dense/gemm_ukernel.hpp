// SPDX-License-Identifier: Apache-2.0
// The dense GEMM register tile: MR rows x NR = 2 vectors of C, accumulated over kc steps from
// packed panels of A ([k][MR]) and B ([k][NR]). One tile, no allocation, no policy: the driver
// (gemm.hpp) owns packing, blocking, edges and threads.
#pragma once

#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "spk/core/arch.hpp"
#include "spk/core/simd.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::dense {

/// Tile shape per arch. Each k step does 2 vector loads of B, MR broadcasts of A and 2*MR FMAs;
/// the 2*MR accumulators + 2 B vectors + 1 broadcast must fit the register file:
/// AVX-512 (32 zmm): MR = 12 -> 24 accumulators; AVX2/SSE (16 regs): MR = 6 -> 12.
/// NEON64 (32 q regs): MR = 8 -> 16. Compilers there load the MR A values as scalars and use
/// by-element fmla (v.s[0]), so A takes MR registers, not 1: 12 would need 24 + 2 + 12 > 32
/// and g++ 12 spills 3 accumulators per k step; 8 needs 26 and neither g++ nor clang spills.
template <class Arch>
struct gemm_tile {
  static constexpr index_t lanes = static_cast<index_t>(xsimd::batch<float, Arch>::size);
  static constexpr index_t nr = 2 * lanes;
  static constexpr index_t mr = lanes >= 16 ? 12 : std::is_base_of_v<xsimd::neon64, Arch> ? 8 : 6;
};

/// C[0..MR) x [0..NR) (row stride ldc) = alpha * (packed A * packed B) + beta * C.
/// beta == 0 means C is write-only (never read, so NaN there is harmless).
/// pb must be aligned to the vector width; pa has no alignment requirement.
template <class Arch>
inline void gemm_ukernel(index_t kc, const float* __restrict pa, const float* __restrict pb,
                         float* __restrict c, index_t ldc, float alpha, float beta) {
  using vec = xsimd::batch<float, Arch>;
  constexpr index_t MR = gemm_tile<Arch>::mr;
  constexpr index_t L = gemm_tile<Arch>::lanes;
  vec acc0[MR], acc1[MR];
  SPK_UNROLL for (index_t i = 0; i < MR; ++i) acc0[i] = vec(0.f), acc1[i] = vec(0.f);
  for (index_t k = 0; k < kc; ++k) {
    const vec b0 = vec::load_aligned(pb);
    const vec b1 = vec::load_aligned(pb + L);
    SPK_UNROLL for (index_t i = 0; i < MR; ++i) {
      const vec a(pa[i]);
      acc0[i] = simd::fma(a, b0, acc0[i]);
      acc1[i] = simd::fma(a, b1, acc1[i]);
    }
    pa += MR;
    pb += 2 * L;
  }
  const vec va(alpha);
  if (beta == 0.f) {
    SPK_UNROLL for (index_t i = 0; i < MR; ++i) {
      (acc0[i] * va).store_unaligned(c + i * ldc);
      (acc1[i] * va).store_unaligned(c + i * ldc + L);
    }
  } else {
    const vec vb(beta);
    SPK_UNROLL for (index_t i = 0; i < MR; ++i) {
      float* ci = c + i * ldc;
      simd::fma(acc0[i], va, vb * vec::load_unaligned(ci)).store_unaligned(ci);
      simd::fma(acc1[i], va, vb * vec::load_unaligned(ci + L)).store_unaligned(ci + L);
    }
  }
}

}  // namespace kernels::dense
SPK_END_NAMESPACE
