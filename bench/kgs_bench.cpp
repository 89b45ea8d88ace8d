// SPDX-License-Identifier: Apache-2.0
// spk-bench-kgs: Google Benchmark of conv3d_kgs on the C3D and R(2+1)D-18 zoo layers at RT3D's
// FLOP-reduction points 2.5x and 3.6x, KGS and vanilla (8 filters x 4 channels, official RT3D
// score), beside oneDNN's direct conv3d on the same layer. Names:
//   conv3d_kgs/<model>/<layer>/r<reduction>, conv3d_vanilla/..., conv3d_onednn/<model>/<layer>.
// Counters: dense_gflops (dense-equivalent rate), nz_gflops (rate on kept weights), density.
// Extra flag: --threads=N (default 1). Ratios: use spk-report --scheme kgs (interleaved).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "common/conv_bench.hpp"
#include "common/gbench_main.hpp"
#include "common/peak.hpp"
#include "common/problem.hpp"
#include "common/sysinfo.hpp"
#include "common/threads.hpp"
#include "spk/kernels/kgs/kgs.hpp"

namespace {

using namespace spk_bench;
using spk::index_t;

void bm_kgs(benchmark::State& st, const zoo::layer& l, double density,
            spk::format::kgs_structure kind) {
  namespace sp = spk::sparsity;
  layer_problem& p = cached_problem(l);
  const auto s = l.conv3d_shape();
  spk::aligned_buffer<float> w(p.weight_count());
  std::copy(p.weights(), p.weights() + w.size(), w.data());
  const sp::kgs_grid grid{l.F, l.C, s.kernel_volume(), 8, 4};
  const auto m = kind == spk::format::kgs_structure::kgs
                     ? sp::project_kgs(w.data(), grid, density)
                     : sp::project_vanilla(w.data(), grid, density);
  sp::apply_mask(w.data(), m.element_mask());
  const auto fmt =
      spk::format::kgs3d::build(spk::tensor_view<const float, 5>::contiguous(
                                    w.data(), {l.F, l.C, s.kernel[0], s.kernel[1], s.kernel[2]}),
                                m, kind);
  spk::aligned_buffer<float> out(p.output_size()),
      ws(spk::kernels::kgs::conv3d_kgs_workspace_size(fmt, s));
  const auto vin = spk::make_ncdhw<const float>(p.input(), l.batch, l.C, l.in[0], l.in[1], l.in[2]);
  const auto vout = spk::make_ncdhw<float>(out.data(), l.batch, l.F, s.out[0], s.out[1], s.out[2]);
  auto& ex = spk::default_executor();
  const auto run = [&] {
    spk::kernels::kgs::conv3d_kgs(fmt, vin, p.bias(), vout, s.params, false, ex, ws.data());
  };
  run();
  for (auto _ : st) run();
  set_rate_counters(st, l, sp::conv_nz_flops(s, fmt.kept_weights()), fmt.density());
}

void register_all() {
  const auto reg = [](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->UseRealTime()->Unit(benchmark::kMillisecond);
  };
  for (const char* model : {"c3d", "r2plus1d"})
    for (const zoo::layer& l : zoo::model_layers(model)) {
      const std::string tail = "/" + l.full_name();
      reg("conv3d_onednn" + tail, [l](benchmark::State& st) { bm_onednn_conv(st, l); });
      for (const char* red : {"2.5", "3.6"}) {
        const double d = 1.0 / std::atof(red);
        reg("conv3d_kgs" + tail + "/r" + red,
            [l, d](benchmark::State& st) { bm_kgs(st, l, d, spk::format::kgs_structure::kgs); });
        reg("conv3d_vanilla" + tail + "/r" + red, [l, d](benchmark::State& st) {
          bm_kgs(st, l, d, spk::format::kgs_structure::vanilla);
        });
      }
    }
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = take_threads_flag(argc, argv);
  return run_google_benchmarks(argc, argv, threads, register_all);
}
