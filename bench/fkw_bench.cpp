// SPDX-License-Identifier: Apache-2.0
// spk-bench-fkw: pattern + connectivity conv2d (conv2d_fkw) on the VGG-16 conv layers and the
// ResNet-50 3x3 layers at density 4/9 (patterns only) and 1/8 (+ connectivity 3.6x), beside
// oneDNN direct and Winograd. Google Benchmark names: conv2d_fkw/<model>/<layer>/d<density>,
// conv2d_onednn/..., conv2d_onednn_winograd/...; counters dense_gflops, nz_gflops.
//   --ablation [--layer=L]  instead: the PatDNN ablation table, interleaved in one process
//     (all on; no filter reorder; no kernel reorder; no LRE; all off; contiguous instead of
//     lane-strided rows; oneDNN direct and Winograd), medians of 7 repetitions, FMA peak probe
//     printed before and after.
//   --threads=N  (default 1)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/conv_bench.hpp"
#include "common/gbench_main.hpp"
#include "common/peak.hpp"
#include "common/problem.hpp"
#include "common/sysinfo.hpp"
#include "common/threads.hpp"
#include "common/timing.hpp"
#include "report/scheme_pattern.hpp"

namespace {

using namespace spk_bench;
using spk_report::pattern_layer;

std::vector<zoo::layer> fkw_layers() {
  std::vector<zoo::layer> v;
  for (const auto& l : zoo::model_layers("vgg16")) v.push_back(l);
  for (const auto& l : zoo::model_layers("resnet50"))
    if (spk_report::pattern_supports(l)) v.push_back(l);
  return v;
}

void bm_fkw(benchmark::State& st, const zoo::layer& l, double density) {
  layer_problem& p = cached_problem(l);
  pattern_layer pl(p, density);
  spk::executor& ex = bench_executor();
  pl.run(p, ex);
  for (auto _ : st) pl.run(p, ex);
  set_rate_counters(st, l, pl.nz_flop(), pl.structure.density());
}

void register_all() {
  const auto reg = [](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->UseRealTime()->Unit(benchmark::kMillisecond);
  };
  for (const zoo::layer& l : fkw_layers()) {
    const std::string tail = "/" + l.full_name();
    reg("conv2d_fkw" + tail + "/d0.444", [l](benchmark::State& st) { bm_fkw(st, l, 4.0 / 9.0); });
    reg("conv2d_fkw" + tail + "/d0.125", [l](benchmark::State& st) { bm_fkw(st, l, 1.0 / 8.0); });
    reg("conv2d_onednn" + tail, [l](benchmark::State& st) { bm_onednn_conv(st, l, false); });
    if (onednn_winograd_applicable(l))
      reg("conv2d_onednn_winograd" + tail,
          [l](benchmark::State& st) { bm_onednn_conv(st, l, true); });
  }
}

/// The ablation: every switch off in turn, at density 1/8, interleaved with oneDNN.
int ablation(const std::vector<std::string>& only, int threads) {
  std::printf("conv2d_fkw ablation, density 1/8, %d thread(s), %s, %s, oneDNN %s\n", threads,
              arch_string().c_str(), compiler_string().c_str(), onednn_version().c_str());
  std::printf("fma_peak_gflops_before: %.1f\n", fma_peak_gflops(threads));
  std::printf("%-26s %8s %8s %8s | %8s %8s %8s %8s %8s | %8s %6s %6s %6s\n", "layer", "direct",
              "wino", "all-on", "-filtRO", "-kernRO", "-LRE", "all-off", "contig", "nzGF/s", "xdir",
              "xwino", "%pk");
  for (const zoo::layer& l : fkw_layers()) {
    if (!only.empty() && std::find(only.begin(), only.end(), std::string(l.name)) == only.end())
      continue;
    layer_problem p(l);
    spk::executor& ex = bench_executor();
    using spk::format::fkw_options;
    using spk::kernels::fkw::fkw_conv_options;
    const double d = 1.0 / 8.0;
    std::vector<std::unique_ptr<pattern_layer>> v;
    v.push_back(std::make_unique<pattern_layer>(p, d, fkw_options{true, true},
                                                fkw_conv_options{false, true}));
    v.push_back(std::make_unique<pattern_layer>(p, d, fkw_options{false, true},
                                                fkw_conv_options{false, true}));
    v.push_back(std::make_unique<pattern_layer>(p, d, fkw_options{true, false},
                                                fkw_conv_options{false, true}));
    v.push_back(std::make_unique<pattern_layer>(p, d, fkw_options{true, true},
                                                fkw_conv_options{false, false}));
    v.push_back(std::make_unique<pattern_layer>(p, d, fkw_options{false, false},
                                                fkw_conv_options{false, false}));
    v.push_back(std::make_unique<pattern_layer>(
        p, d, fkw_options{true, true},
        fkw_conv_options{false, true, spk::kernels::fkw::fkw_layout::contiguous}));
    auto direct = p.onednn_direct();
    auto wino = p.onednn_winograd();
    std::vector<candidate> c;
    c.push_back({"direct", [&] { direct->run(); }});
    if (wino) c.push_back({"wino", [&] { wino->run(); }});
    for (auto& x : v) c.push_back({"fkw", [&p, &ex, px = x.get()] { px->run(p, ex); }});
    const double peak = fma_peak_gflops(threads);
    const auto t = time_interleaved(c);
    const std::size_t f0 = wino ? 2 : 1;
    const double nz = v[0]->nz_flop() * 1e-9 / (t[f0].median_ms * 1e-3);
    std::printf(
        "%-26s %8.3f %8.3f %8.3f | %8.3f %8.3f %8.3f %8.3f %8.3f | %8.1f %6.2f %6.2f %5.0f%%\n",
        l.full_name().c_str(), t[0].median_ms, wino ? t[1].median_ms : NAN, t[f0].median_ms,
        t[f0 + 1].median_ms, t[f0 + 2].median_ms, t[f0 + 3].median_ms, t[f0 + 4].median_ms,
        t[f0 + 5].median_ms, nz, t[0].median_ms / t[f0].median_ms,
        wino ? t[1].median_ms / t[f0].median_ms : NAN, 100.0 * nz / peak);
    std::fflush(stdout);
  }
  std::printf("fma_peak_gflops_after: %.1f\n", fma_peak_gflops(threads));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = take_threads_flag(argc, argv);
  bool abl = false;
  std::vector<std::string> only;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ablation") == 0)
      abl = true;
    else if (std::strncmp(argv[i], "--layer=", 8) == 0)
      only.push_back(argv[i] + 8);
    else
      argv[out++] = argv[i];
  }
  argc = out;
  if (abl) {
    set_threads(threads);
    return ablation(only, threads);
  }
  return run_google_benchmarks(argc, argv, threads, register_all);
}
