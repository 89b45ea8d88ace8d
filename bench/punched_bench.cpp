// SPDX-License-Identifier: Apache-2.0
// spk-bench-punched: Google Benchmark of conv2d_punched (YOLObile block-punched, 8 filters x 4
// channels, official score) on the YOLOv4 zoo layers at the 8x and 14x per-layer schedules
// (zoo/prune_configs.hpp) and on the MobileNet-V2 1x1 layers at 80% and 90% sparsity, beside
// oneDNN's direct conv and, on 1x1 layers, XNNPACK's sparse NCHW path on the same weights.
// Names: conv2d_punched/<model>/<layer>/<config>, conv2d_xnnpack_sparse/..., conv2d_onednn/...
// Counters: dense_gflops, nz_gflops, density. Flag: --threads=N (default 1). Interleaved
// ratios: spk-report --scheme punched.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <string>

#include "common/conv_bench.hpp"
#include "common/gbench_main.hpp"
#include "common/problem.hpp"
#include "common/threads.hpp"
#include "common/xnnpack.hpp"
#include "spk/kernels/punched/punched.hpp"
#include "zoo/prune_configs.hpp"

namespace {

using namespace spk_bench;
using spk::index_t;

/// The layer's weights pruned block-punched to `density` (official score) and their format.
struct pruned_layer {
  spk::aligned_buffer<float> w;
  std::unique_ptr<spk::format::punched> fmt;
};

pruned_layer prune(layer_problem& p, double density) {
  const zoo::layer& l = p.layer();
  pruned_layer r{spk::aligned_buffer<float>(p.weight_count()), nullptr};
  std::copy(p.weights(), p.weights() + r.w.size(), r.w.data());
  const auto g = spk::sparsity::punched_grid(l.F, l.C, l.kernel[1] * l.kernel[2]);
  const auto m = spk::sparsity::project_punched(r.w.data(), g, density);
  spk::sparsity::apply_mask(r.w.data(), m.element_mask());
  r.fmt = std::make_unique<spk::format::punched>(
      spk::format::build_punched(spk::tensor_view<const float, 4>::contiguous(
                                     r.w.data(), {l.F, l.C, l.kernel[1], l.kernel[2]}),
                                 m));
  return r;
}

/// `planned`: the prepared call (conv2d_punched_plan::run, checks and offsets done once, as
/// XNNPACK's operator below is set up once); otherwise the one-shot conv2d_punched.
void bm_punched(benchmark::State& st, const zoo::layer& l, double density, bool planned) {
  namespace kp = spk::kernels::punched;
  layer_problem& p = cached_problem(l);
  const auto s = l.conv2d_shape();
  const pruned_layer pl = prune(p, density);
  const kp::conv2d_punched_plan<> plan(*pl.fmt, s);
  spk::aligned_buffer<float> out(p.output_size()),
      ws(std::max(plan.workspace_size(), kp::conv2d_punched_workspace_size(*pl.fmt, s)));
  const auto vin = spk::make_nchw<const float>(p.input(), l.batch, l.C, l.in[1], l.in[2]);
  const auto vout = spk::make_nchw<float>(out.data(), l.batch, l.F, s.out[0], s.out[1]);
  auto& ex = spk::default_executor();
  const auto run = [&] {
    if (planned)
      plan.run(vin, p.bias(), vout, ex, ws.data());
    else
      kp::conv2d_punched(*pl.fmt, vin, p.bias(), vout, s.params, spk::kernels::activation::none(),
                         ex, ws.data());
  };
  run();
  for (auto _ : st) run();
  set_rate_counters(st, l, spk::sparsity::conv_nz_flops(s, pl.fmt->kept_weights()),
                    pl.fmt->density());
}

void bm_xnnpack(benchmark::State& st, const zoo::layer& l, double density, int threads) {
  if constexpr (!have_xnnpack) {
    st.SkipWithError("built without XNNPACK");
  } else {
    layer_problem& p = cached_problem(l);
    const pruned_layer pl = prune(p, density);
    spk::aligned_buffer<float> out(p.output_size());
    xnnpack_sparse_1x1 op(l.C, l.F, l.in[1], l.in[2], pl.w.data(), p.bias(), p.input(), out.data(),
                          threads);
    op.run();
    for (auto _ : st) op.run();
    set_rate_counters(st, l, spk::sparsity::conv_nz_flops(l.conv2d_shape(), pl.fmt->kept_weights()),
                      pl.fmt->density());
  }
}

bool pointwise(const zoo::layer& l) {
  return l.kernel[1] == 1 && l.kernel[2] == 1 && l.stride[1] == 1;
}

int bench_threads = 1;  // --threads, for XNNPACK's pool

void register_all() {
  const int threads = bench_threads;
  const auto reg = [](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->UseRealTime()->Unit(benchmark::kMillisecond);
  };
  const auto add = [&](const zoo::layer& l, double density, const std::string& config) {
    const std::string tail = "/" + l.full_name() + "/" + config;
    reg("conv2d_punched" + tail,
        [l, density](benchmark::State& st) { bm_punched(st, l, density, false); });
    reg("conv2d_punched_plan" + tail,
        [l, density](benchmark::State& st) { bm_punched(st, l, density, true); });
    if (pointwise(l))
      reg("conv2d_xnnpack_sparse" + tail,
          [l, density, threads](benchmark::State& st) { bm_xnnpack(st, l, density, threads); });
  };
  for (const zoo::layer& l : zoo::model_layers("yolov4")) {
    if (zoo::yolobile_prune_ratio(l, zoo::yolobile_point::x8) == 0) continue;  // the dense stem
    reg("conv2d_onednn/" + l.full_name(), [l](benchmark::State& st) { bm_onednn_conv(st, l); });
    for (auto pt : {zoo::yolobile_point::x8, zoo::yolobile_point::x14})
      add(l, 1.0 - zoo::yolobile_prune_ratio(l, pt), zoo::to_string(pt));
  }
  for (const zoo::layer& l : zoo::model_layers("mobilenetv2")) {
    reg("conv2d_onednn/" + l.full_name(), [l](benchmark::State& st) { bm_onednn_conv(st, l); });
    add(l, 0.2, "s80");
    add(l, 0.1, "s90");
  }
}

}  // namespace

int main(int argc, char** argv) {
  bench_threads = take_threads_flag(argc, argv);
  return run_google_benchmarks(argc, argv, bench_threads, register_all);
}
