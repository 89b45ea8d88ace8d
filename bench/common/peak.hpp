// SPDX-License-Identifier: Apache-2.0
// FMA peak probe: the FP32 rate this core delivers right now, measured with independent vector
// FMA chains (16 on AVX-512, 12 on the 16-register ISAs). Benchmarks print it beside every kernel
// because on the shared VM the achievable peak itself swings (100-164 GFLOP/s on 1 thread,
// research/platform.md §2).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#else
#include <xsimd/xsimd.hpp>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

namespace spk_bench {

namespace detail {

// Chains x one FMA each per iteration. 16 independent accumulators cover the FMA latency
// (4 cycles) x 2 FMA ports with room to spare, so the loop is throughput-bound. Named variables,
// not an array: g++ 12 spills unrolled accumulator arrays (DESIGN.md §3).
#define SPK_BENCH_FMA16(F) \
  F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)
// 12 chains for 16-register ISAs (AVX2, SSE): 16 accumulators plus the two operands spill and
// the probe then measured the stack (49 GFLOP/s on a Zen 2 core where oneDNN reaches 89); 12
// still cover Zen 2's 5-cycle latency x 2 ports.
#define SPK_BENCH_FMA12(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11)

#if defined(__AVX512F__)
inline constexpr int probe_lanes = 16, probe_chains = 16;
/// Runs `iters` iterations; returns a value that depends on every accumulator.
inline float fma_chains(std::int64_t iters) {
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
#define SPK_BENCH_DECL(i) __m512 c##i = _mm512_set1_ps(float(i));
  SPK_BENCH_FMA16(SPK_BENCH_DECL)
  for (std::int64_t it = 0; it < iters; ++it) {
    // The empty asm keeps each accumulator in a zmm register and the loop un-collapsed.
#define SPK_BENCH_STEP(i)             \
  c##i = _mm512_fmadd_ps(c##i, a, b); \
  asm volatile("" : "+v"(c##i));
    SPK_BENCH_FMA16(SPK_BENCH_STEP)
  }
  __m512 s = _mm512_setzero_ps();
#define SPK_BENCH_SUM(i) s = _mm512_add_ps(s, c##i);
  SPK_BENCH_FMA16(SPK_BENCH_SUM)
  // Not _mm512_reduce_add_ps: g++ 12 warns inside it (-Wuninitialized, a false positive).
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  float r = 0.f;
  for (float x : lanes) r += x;
  return r;
}
#else
// Portable fallback (AVX2/FMA3, SSE, NEON): the chains on xsimd's default batch; 12 of them
// where the ISA has 16 vector registers.
using probe_batch = xsimd::batch<float>;
inline constexpr int probe_lanes = int(probe_batch::size);
#if defined(__x86_64__) || defined(__i386__)
#define SPK_BENCH_FMA_CHAINS SPK_BENCH_FMA12
inline constexpr int probe_chains = 12;
#else
#define SPK_BENCH_FMA_CHAINS SPK_BENCH_FMA16
inline constexpr int probe_chains = 16;
#endif
inline float fma_chains(std::int64_t iters) {
  const probe_batch a(0.999999f), b(1e-7f);
#define SPK_BENCH_DECL(i) probe_batch c##i(float(i));
  SPK_BENCH_FMA_CHAINS(SPK_BENCH_DECL)
  for (std::int64_t it = 0; it < iters; ++it) {
#define SPK_BENCH_STEP(i) c##i = xsimd::fma(c##i, a, b);
    SPK_BENCH_FMA_CHAINS(SPK_BENCH_STEP)
  }
  probe_batch s(0.f);
#define SPK_BENCH_SUM(i) s = s + c##i;
  SPK_BENCH_FMA_CHAINS(SPK_BENCH_SUM)
  return xsimd::hadd(s);
}
#undef SPK_BENCH_FMA_CHAINS
#endif
#undef SPK_BENCH_DECL
#undef SPK_BENCH_STEP
#undef SPK_BENCH_SUM
#undef SPK_BENCH_FMA16
#undef SPK_BENCH_FMA12

inline constexpr double flops_per_iter = double(probe_chains) * probe_lanes * 2.0;
inline volatile float probe_sink = 0.f;

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace detail

/// Measures the FP32 FMA rate on `threads` threads (OpenMP; 1 without it) over about
/// `seconds`, split into 5 slices; returns the median slice rate in GFLOP/s.
inline double fma_peak_gflops(int threads = 1, double seconds = 0.1) {
  using clock = std::chrono::steady_clock;
  // Calibrate the per-slice iteration count on this thread (also warms the core up).
  std::int64_t iters = 1 << 16;
  for (;;) {
    const auto t0 = clock::now();
    detail::probe_sink = detail::probe_sink + detail::fma_chains(iters);
    if (detail::seconds_since(t0) > 0.004) {
      iters = std::max<std::int64_t>(
          iters, std::int64_t(iters * (seconds / 5) / detail::seconds_since(t0)));
      break;
    }
    iters *= 4;
  }
  std::vector<double> rates;
  for (int slice = 0; slice < 5; ++slice) {
    const auto t0 = clock::now();
    float sum = 0.f;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : sum)
    sum += detail::fma_chains(iters);
#else
    threads = 1;
    sum = detail::fma_chains(iters);
#endif
    detail::probe_sink = sum;
    rates.push_back(double(threads) * double(iters) * detail::flops_per_iter /
                    detail::seconds_since(t0) * 1e-9);
  }
  std::nth_element(rates.begin(), rates.begin() + 2, rates.end());
  return rates[2];
}

}  // namespace spk_bench
