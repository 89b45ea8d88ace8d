// SPDX-License-Identifier: Apache-2.0
// spk-bench-dense: Google Benchmark over the layer zoo, spk's dense kernels beside oneDNN.
// Names: <kernel>/<model>/<layer>, kernel = conv2d_dense | conv3d_dense | gemm_dense (spk),
// conv2d_onednn | conv3d_onednn | gemm_onednn (oneDNN's default: brgconv / matmul) and
// conv2d_onednn_winograd (3x3 stride-1 layers). Counters: dense_gflops (dense-equivalent
// FLOP rate), nz_gflops (non-zero FLOP rate; equal for dense), bytes/s for GEMM/GEMV (weights
// + activations once per call: those are memory-bound). Extra flag: --threads=N (default 1).
// Absolute times drift with the VM's load; spk-report interleaves candidates for ratios.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/gbench_main.hpp"
#include "common/peak.hpp"
#include "common/problem.hpp"
#include "common/sysinfo.hpp"
#include "common/threads.hpp"

namespace {

using namespace spk_bench;

void set_counters(benchmark::State& st, const zoo::layer& l) {
  using benchmark::Counter;
  const double it = double(st.iterations()), gflop = l.dense_flops() * 1e-9;
  st.counters["dense_gflops"] = Counter(gflop * it, Counter::kIsRate, Counter::OneK::kIs1000);
  st.counters["nz_gflops"] = Counter(gflop * it, Counter::kIsRate, Counter::OneK::kIs1000);
  if (!l.is_conv())
    st.SetBytesProcessed(std::int64_t(it * 4.0 * double(l.K * l.N + l.M * l.K + l.M * l.N)));
}

void bm_spk_dense(benchmark::State& st, const zoo::layer& l) {
  layer_problem& p = cached_problem(l);
  const auto run = p.spk_dense(spk::default_executor());
  run();  // warm-up: page in workspace and output
  for (auto _ : st) run();
  set_counters(st, l);
}

void bm_onednn(benchmark::State& st, const zoo::layer& l, bool winograd) {
  layer_problem& p = cached_problem(l);
  const auto prim = winograd ? p.onednn_winograd() : p.onednn_direct();
  if (!prim) {
    st.SkipWithError("oneDNN has no implementation of this algorithm for this layer");
    return;
  }
  st.SetLabel(prim->impl());
  prim->run();
  for (auto _ : st) prim->run();
  set_counters(st, l);
}

std::string kernel_stem(const zoo::layer& l) {
  return l.is_conv() ? std::string(zoo::op_name(l.op)) : std::string("gemm");
}

void register_all() {
  for (const zoo::layer& l : zoo::all_layers()) {
    const std::string tail = "/" + l.full_name(), stem = kernel_stem(l);
    const auto reg = [](const std::string& name, auto fn) {
      benchmark::RegisterBenchmark(name.c_str(), fn)->UseRealTime()->Unit(benchmark::kMillisecond);
    };
    reg(stem + "_dense" + tail, [l](benchmark::State& st) { bm_spk_dense(st, l); });
    reg(stem + "_onednn" + tail, [l](benchmark::State& st) { bm_onednn(st, l, false); });
    if (onednn_winograd_applicable(l))
      reg(stem + "_onednn_winograd" + tail, [l](benchmark::State& st) { bm_onednn(st, l, true); });
  }
}

/// Removes --threads=N / --threads N from argv (Google Benchmark rejects unknown flags).

}  // namespace

int main(int argc, char** argv) {
  const int threads = take_threads_flag(argc, argv);
  return run_google_benchmarks(argc, argv, threads, register_all);
}
