// SPDX-License-Identifier: Apache-2.0
// Pieces the sparse-conv Google Benchmarks share: the FLOP-rate counters every row reports and
// the oneDNN baseline benchmark of a zoo layer.
#pragma once

#include <benchmark/benchmark.h>

#include "common/problem.hpp"

namespace spk_bench {

/// dense_gflops (dense-equivalent rate) and nz_gflops (rate on the kept weights' FLOPs);
/// density too when it is given (>= 0).
inline void set_rate_counters(benchmark::State& st, const zoo::layer& l, double nz_flop,
                              double density = -1) {
  using benchmark::Counter;
  const double it = double(st.iterations());
  st.counters["dense_gflops"] =
      Counter(l.dense_flops() * 1e-9 * it, Counter::kIsRate, Counter::OneK::kIs1000);
  st.counters["nz_gflops"] = Counter(nz_flop * 1e-9 * it, Counter::kIsRate, Counter::OneK::kIs1000);
  if (density >= 0) st.counters["density"] = density;
}

/// oneDNN's direct (or Winograd) convolution on layer l, labelled with oneDNN's implementation.
inline void bm_onednn_conv(benchmark::State& st, const zoo::layer& l, bool winograd = false) {
  layer_problem& p = cached_problem(l);
  const auto prim = winograd ? p.onednn_winograd() : p.onednn_direct();
  if (!prim)
    return st.SkipWithError("oneDNN has no implementation of this algorithm for this layer");
  st.SetLabel(prim->impl());
  prim->run();
  for (auto _ : st) prim->run();
  set_rate_counters(st, l, l.dense_flops(), 1.0);
}

}  // namespace spk_bench
