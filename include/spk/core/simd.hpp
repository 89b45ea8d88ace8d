// SPDX-License-Identifier: Apache-2.0
// Thin fixes over xsimd 8.1 that every kernel uses. xsimd 8.1 has no AVX-512 fma kernel: its
// generic fallback computes a * b + c, which g++ contracts into vfmadd (GNU -ffp-contract=fast)
// but clang 14 does not, giving mul + add: half the FMA throughput and a second rounding.
#pragma once

#include <cstring>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "spk/core/config.hpp"

SPK_BEGIN_NAMESPACE
namespace simd {

/// a * b + c with one rounding on every arch that has an FMA instruction.
template <class A>
inline xsimd::batch<float, A> fma(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b,
                                  const xsimd::batch<float, A>& c) noexcept {
#if XSIMD_WITH_AVX512F
  if constexpr (std::is_base_of_v<xsimd::avx512f, A>) {
    return _mm512_fmadd_ps(a, b, c);
  } else
#endif
  {
    return xsimd::fma(a, b, c);
  }
}

/// Writes the first n lanes of v to p[0, n) (0 < n <= size); nothing past them.
template <class A>
inline void store_first(float* p, long n, const xsimd::batch<float, A>& v) noexcept {
  using vec = xsimd::batch<float, A>;
#if XSIMD_WITH_AVX512F
  if constexpr (std::is_base_of_v<xsimd::avx512f, A>) {
    _mm512_mask_storeu_ps(p, __mmask16((1u << n) - 1u), v);
  } else
#endif
  {
    alignas(64) float t[vec::size];
    v.store_aligned(t);
    std::memcpy(p, t, std::size_t(n) * sizeof(float));
  }
}

}  // namespace simd
SPK_END_NAMESPACE
