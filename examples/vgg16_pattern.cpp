// SPDX-License-Identifier: Apache-2.0
// VGG-16 feature extractor pruned PatDNN-style: per layer a top-8 pattern library (4 of 9)
// extracted from seeded He-normal weights, the exact pattern + connectivity projection (3.6x
// fewer kernels; conv1_1 keeps all 3-channel kernels), FKW with filter and kernel reordering.
// Runs the 13 conv + ReLU layers sparse (conv2d_fkw) and dense (conv2d_dense on the same pruned
// weights) on the same input, printing per-layer and total times and the max relative error.
//
//   usage: vgg16_pattern [threads]     (build with -march=native for the AVX-512 path)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "example_util.hpp"
#include "spk/format/fkw.hpp"
#include "spk/kernels/dense/dense.hpp"
#include "spk/kernels/fkw/fkw.hpp"
#include "spk/sparsity/connectivity.hpp"
#include "spk/spk.hpp"

using namespace spk;
using spk_example::best_ms;
using spk_example::maxpool2;
using spk_example::vgg16;
using spk_example::vgg_conv_layer;

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
#ifdef _OPENMP
  openmp_executor ex(threads);
#else
  serial_executor ex;
  if (threads > 1) std::printf("note: built without OpenMP, running on 1 thread\n");
#endif
  std::printf(
      "VGG-16 features, 224x224, batch 1, pattern (top-8 of 56, 4/9) + connectivity 3.6x, %s, %d "
      "thread(s)\n",
      arch_name(), ex.concurrency());
  std::printf("%-8s %14s %7s %9s %9s %7s %9s\n", "layer", "shape", "density", "fkw ms", "dense ms",
              "speedup", "max rel err");
  tensor<float, 4> x({1, 3, 224, 224});
  fill_uniform(x.data(), x.size(), 0.f, 1.f, 1);
  double t_fkw = 0, t_dense = 0, worst = 0;
  std::uint64_t seed = 100;
  for (const vgg_conv_layer& l : vgg16) {
    const index_t hw = x.dim(2);
    tensor<float, 4> w({l.f, l.c, 3, 3}), pruned({l.f, l.c, 3, 3});
    fill_normal(w.data(), w.size(), 0.f, std::sqrt(2.f / float(l.c * 9)), seed++);
    std::vector<float> bias(static_cast<std::size_t>(l.f), 0.01f);
    const auto lib = sparsity::extract_library(w.view(), sparsity::candidate_library(), 8);
    const index_t kernels = l.f * l.c,
                  keep = l.c == 3 ? kernels : sparsity::keep_for_rate(kernels, 3.6);
    const auto st = sparsity::project_pattern_connectivity(
        w.view(), lib, keep, sparsity::connectivity_scope::per_layer, pruned.view());
    const format::fkw fw = format::fkw::build(pruned.view(), st);

    const auto p = conv2d_params{}.with_pad(1);
    const auto shape = make_conv_shape<2>(1, l.c, {hw, hw}, l.f, {3, 3}, p);
    tensor<float, 4> ys({1, l.f, hw, hw}), yd({1, l.f, hw, hw});
    aligned_buffer<float> ws_s(kernels::fkw::conv2d_fkw_workspace_size(fw, shape));
    aligned_buffer<float> ws_d(kernels::dense::conv_dense_workspace_size(shape, ex.concurrency()));
    const double ms_s = best_ms(
        [&] {
          kernels::fkw::conv2d_fkw(x.view(), fw, bias.data(), ys.view(), p,
                                   kernels::fkw::fkw_conv_options{true, true}, ex, ws_s.data());
        },
        3, /*warmup=*/true);
    const double ms_d = best_ms(
        [&] {
          kernels::dense::conv2d_dense(x.view(), pruned.view(), bias.data(), yd.view(), p, ex,
                                       ws_d.data());
          for (index_t i = 0; i < yd.size(); ++i) yd.data()[i] = std::max(yd.data()[i], 0.f);
        },
        3, /*warmup=*/true);
    const double rel = spk_example::max_rel_diff(ys.data(), yd.data(), yd.size());
    worst = std::max(worst, rel);
    char shp[32];
    std::snprintf(shp, sizeof shp, "%ld->%ld @%ld", long(l.c), long(l.f), long(hw));
    std::printf("%-8s %14s %7.4f %9.2f %9.2f %6.2fx %9.1e\n", l.name, shp, st.density(), ms_s, ms_d,
                ms_d / ms_s, rel);
    t_fkw += ms_s, t_dense += ms_d;
    x = l.pool_after ? maxpool2(ys) : std::move(ys);
  }
  std::printf("total    fkw %.2f ms, dense %.2f ms (%.2fx); max rel err %.1e\n", t_fkw, t_dense,
              t_dense / t_fkw, worst);
  return worst < 1e-4 ? 0 : 1;
}
