// SPDX-License-Identifier: Apache-2.0
// spk::simd fixes over xsimd 8.1, per ISA: fma must round once wherever the ISA has an FMA.
#include <string>

#include "harness.hpp"
#include "spk/core/arch.hpp"
#include "spk/core/simd.hpp"

TEST_CASE("simd::fma rounds once on ISAs with FMA") {
  using vec = xsimd::batch<float, spk::default_arch>;
  // a * b = 1 + 2^-11 + 2^-24 exactly; rounding the product first loses the 2^-24.
  const float a = 1.f + 0x1.0p-12f, c = -(1.f + 0x1.0p-11f);
  const float fused = (spk::simd::fma(vec(a), vec(a), vec(c))).get(0);
  MESSAGE("arch ", std::string(spk::arch_name()), ": fma(a, a, c) = ", fused);
#if XSIMD_WITH_AVX512F || XSIMD_WITH_FMA3_AVX || XSIMD_WITH_FMA3_SSE || XSIMD_WITH_NEON64
  CHECK(fused == 0x1.0p-24f);
#else
  CHECK((fused == 0x1.0p-24f || fused == 0.f));  // no FMA instruction: either is correct
#endif
}

TEST_CASE("simd::store_first writes exactly the first n lanes") {
  using vec = xsimd::batch<float, spk::default_arch>;
  constexpr long L = long(vec::size);
  alignas(64) float src[L];
  for (long i = 0; i < L; ++i) src[i] = float(i + 1);
  const vec v = vec::load_aligned(src);
  for (long n = 1; n <= L; ++n) {
    CAPTURE(n);
    float dst[L + 2];
    for (float& d : dst) d = -7.f;
    spk::simd::store_first(dst + 1, n, v);
    CHECK(dst[0] == -7.f);
    for (long i = 0; i < n; ++i) CHECK(dst[1 + i] == float(i + 1));
    for (long i = n; i <= L; ++i) CHECK(dst[1 + i] == -7.f);
  }
}
