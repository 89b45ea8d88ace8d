// SPDX-License-Identifier: Apache-2.0
// Deterministic random fills for tests, benchmarks and examples. The generator (xoshiro256**
// seeded by splitmix64) and the distributions are spk's own, so a seed gives the same numbers
// with every compiler and standard library (std:: distributions are not portable).
#pragma once

#include <cmath>
#include <cstdint>

#include "spk/core/error.hpp"

SPK_BEGIN_NAMESPACE

/// xoshiro256** (Blackman & Vigna): fast, 256-bit state, passes BigCrush.
class rng {
 public:
  explicit rng(std::uint64_t seed = 2080) noexcept {
    std::uint64_t x = seed;
    for (auto& s : s_) s = splitmix64(x);
  }
  std::uint64_t next_u64() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1) with 24 random bits (every value exactly representable in float).
  float next_float01() noexcept { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }
  /// Uniform in [0, 1) with 53 random bits.
  double next_double01() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform integer in [lo, hi] (inclusive), unbiased (rejection sampling).
  std::int64_t next_int(std::int64_t lo, std::int64_t hi) {
    require(lo <= hi, "rng::next_int", "hi", hi, ">= lo");
    const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
    if (span == 0) return static_cast<std::int64_t>(next_u64());  // full 64-bit range
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    std::uint64_t r;
    do r = next_u64();
    while (r >= limit);
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + r % span);  // wraps, no signed overflow
  }
  /// Standard normal by Box-Muller (one value per call; the second is discarded for simplicity).
  double next_normal() noexcept {
    double u1 = next_double01();
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = next_double01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& x) noexcept {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t s_[4];
};

/// Fills p[0..n) with uniform values in [lo, hi).
inline void fill_uniform(float* p, index_t n, float lo, float hi, std::uint64_t seed) {
  require(lo <= hi, "fill_uniform", "hi", hi, ">= lo");
  rng g(seed);
  for (index_t i = 0; i < n; ++i) p[i] = lo + (hi - lo) * g.next_float01();
}

/// Fills p[0..n) with normal values (mean, stddev).
inline void fill_normal(float* p, index_t n, float mean, float stddev, std::uint64_t seed) {
  require(stddev >= 0.f, "fill_normal", "stddev", stddev, ">= 0");
  rng g(seed);
  for (index_t i = 0; i < n; ++i) p[i] = static_cast<float>(mean + stddev * g.next_normal());
}

/// Fills p[0..n) with integers in [lo, hi] stored as float. With |values| <= 8, every fp32
/// partial sum of products stays exact while below 2^24, so results do not depend on the
/// summation order and optimised kernels can be compared exactly with references.
inline void fill_small_int(float* p, index_t n, int lo, int hi, std::uint64_t seed) {
  require(lo <= hi, "fill_small_int", "hi", hi, ">= lo");
  require(lo >= -(1 << 12) && hi <= (1 << 12), "fill_small_int", "range", hi - lo,
          "values within +-4096 (exact in fp32)");
  rng g(seed);
  for (index_t i = 0; i < n; ++i) p[i] = static_cast<float>(g.next_int(lo, hi));
}

SPK_END_NAMESPACE
