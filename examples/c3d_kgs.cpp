// SPDX-License-Identifier: Apache-2.0
// C3D (Tran et al. 2015) conv stack on one 16 x 112 x 112 clip, RT3D-pruned: every conv layer's
// seeded weights are projected to KGS sparsity (8 filters x 4 channels, official RT3D score) and
// run by conv3d_kgs (+ bias + ReLU, then C3D's max-pools). Each layer is also run by spk's dense
// conv3d on the same pruned weights: per-layer times, speedup and agreement, and the totals.
//
//   usage: c3d_kgs [reduction=3.6] [threads]     (threads > 1 needs an OpenMP build)
// The example is built with the consumer's default flags; pass -march=native (e.g.
// CXXFLAGS=-march=native at configure time) to run the AVX-512 / AVX2 kernels.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "example_util.hpp"
#include "spk/kernels/dense/dense.hpp"
#include "spk/kernels/kgs/kgs.hpp"
#include "spk/spk.hpp"

using namespace spk;

namespace {

struct layer_def {
  const char* name;
  index_t c, f;
  std::array<index_t, 3> pool_after;  ///< max-pool window = stride (1 = none)
};

// C3D: 8 convs 3x3x3 pad 1; pool1 1x2x2, pools 2-5 2x2x2 (pool5 pads H, W: 7 -> 4 in the paper).
const layer_def c3d[] = {
    {"conv1a", 3, 64, {1, 2, 2}},    {"conv2a", 64, 128, {2, 2, 2}},
    {"conv3a", 128, 256, {1, 1, 1}}, {"conv3b", 256, 256, {2, 2, 2}},
    {"conv4a", 256, 512, {1, 1, 1}}, {"conv4b", 512, 512, {2, 2, 2}},
    {"conv5a", 512, 512, {1, 1, 1}}, {"conv5b", 512, 512, {1, 1, 1}},
};

/// Max-pool with window = stride `k` (floor), NCDHW, batch 1.
tensor<float, 5> max_pool(const tensor<float, 5>& x, const std::array<index_t, 3>& k) {
  const index_t C = x.dim(1), D = x.dim(2), H = x.dim(3), W = x.dim(4);
  const index_t od = D / k[0], oh = H / k[1], ow = W / k[2];
  tensor<float, 5> y({1, C, od, oh, ow});
  for (index_t c = 0; c < C; ++c)
    for (index_t d = 0; d < od; ++d)
      for (index_t h = 0; h < oh; ++h)
        for (index_t w = 0; w < ow; ++w) {
          float m = -INFINITY;
          for (index_t a = 0; a < k[0]; ++a)
            for (index_t b = 0; b < k[1]; ++b)
              for (index_t e = 0; e < k[2]; ++e)
                m = std::max(
                    m, x.data()[(((c * D) + d * k[0] + a) * H + h * k[1] + b) * W + w * k[2] + e]);
          y.data()[((c * od + d) * oh + h) * ow + w] = m;
        }
  return y;
}

}  // namespace

using spk_example::best_ms;

int main(int argc, char** argv) {
  const double reduction = argc > 1 ? std::atof(argv[1]) : 3.6;
  if (!(reduction >= 1.0)) return std::fprintf(stderr, "reduction must be >= 1\n"), 2;
#ifdef _OPENMP
  openmp_executor ex(argc > 2 ? std::atoi(argv[2]) : 1);
#else
  serial_executor ex;
#endif
  std::printf(
      "C3D conv stack, 1 x 3 x 16 x 112 x 112 clip, KGS 8x4 at %.2fx FLOP reduction, arch %s, %d "
      "thread(s)\n",
      reduction, arch_name(), ex.concurrency());
  std::printf("%-7s %-22s %8s %10s %10s %8s %10s\n", "layer", "shape", "density", "dense ms",
              "kgs ms", "speedup", "rel err");
  tensor<float, 5> x({1, 3, 16, 112, 112});
  fill_uniform(x.data(), x.size(), -1.f, 1.f, 2080);
  double total_dense = 0, total_kgs = 0, worst = 0;
  std::uint64_t seed = 1;
  for (const layer_def& L : c3d) {
    const index_t D = x.dim(2), H = x.dim(3), W = x.dim(4);
    const auto p = conv3d_params{}.with_pad(1);
    tensor<float, 5> w({L.f, L.c, 3, 3, 3}), bias({1, 1, 1, 1, L.f});
    fill_normal(w.data(), w.size(), 0.f, float(std::sqrt(2.0 / double(L.c * 27))),
                seed++);  // He init
    fill_uniform(bias.data(), L.f, -0.1f, 0.1f, seed++);
    const sparsity::kgs_grid grid{L.f, L.c, 27, 8, 4};
    const auto mask = sparsity::project_kgs(w.data(), grid, 1.0 / reduction);
    sparsity::apply_mask(w.data(), mask.element_mask());
    const auto fmt = format::kgs3d::build(w.view(), mask);

    tensor<float, 5> yd({1, L.f, D, H, W}), yk({1, L.f, D, H, W});
    const auto s = make_conv_shape<3>(1, L.c, {D, H, W}, L.f, {3, 3, 3}, p);
    aligned_buffer<float> wsd(kernels::dense::conv_dense_workspace_size(s, ex.concurrency()));
    aligned_buffer<float> wsk(kernels::kgs::conv3d_kgs_workspace_size(fmt, s));
    const int reps = 3;
    const double td = best_ms(
        [&] {
          kernels::dense::conv3d_dense(x.view(), w.view(), bias.data(), yd.view(), p, ex,
                                       wsd.data());
          for (index_t i = 0; i < yd.size(); ++i)
            yd.data()[i] = std::max(yd.data()[i], 0.f);  // ReLU
        },
        reps);
    const double tk = best_ms(
        [&] {
          kernels::kgs::conv3d_kgs(fmt, x.view(), bias.data(), yk.view(), p, /*relu=*/true, ex,
                                   wsk.data());
        },
        reps);
    const double rel = spk_example::max_rel_diff(yk.data(), yd.data(), yd.size());
    worst = std::max(worst, rel);
    char shape[64];
    std::snprintf(shape, sizeof shape, "%ld->%ld @%ldx%ldx%ld", long(L.c), long(L.f), long(D),
                  long(H), long(W));
    std::printf("%-7s %-22s %8.3f %10.2f %10.2f %7.2fx %10.1e\n", L.name, shape, fmt.density(), td,
                tk, td / tk, rel);
    total_dense += td, total_kgs += tk;
    x = L.pool_after[0] * L.pool_after[1] * L.pool_after[2] > 1 ? max_pool(yk, L.pool_after)
                                                                : std::move(yk);
  }
  std::printf("total   %-22s %8s %10.2f %10.2f %7.2fx\n", "", "", total_dense, total_kgs,
              total_dense / total_kgs);
  std::printf("output 1 x %ld x %ld x %ld x %ld; worst layer rel err %.1e\n", long(x.dim(1)),
              long(x.dim(2)), long(x.dim(3)), long(x.dim(4)), worst);
  return worst < 1e-4 ? 0 : 1;
}
