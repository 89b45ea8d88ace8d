// SPDX-License-Identifier: Apache-2.0
// YOLOv4 (CSPDarknet53 + SPP + PANet + heads, darknet yolov4.cfg) at 320 x 320, block-punched
// as YOLObile prunes it: every conv layer of the network, in order, with seeded He-initialised
// weights pruned to the layer's ratio of the 8x or 14x schedule (bench/zoo/prune_configs.hpp;
// the stem stays dense), run by conv2d_punched with the layer's fused activation (Mish in the
// backbone, leaky ReLU in the neck, linear heads) and by spk's dense conv on the same pruned
// weights. Each layer runs on a seeded input of its shape: routes, shortcuts, max-pools and
// upsampling are data movement and are not modelled. Prints per-layer and total times.
//
//   usage: yolov4_punched [8|14] [threads]      (threads > 1 needs an OpenMP build)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "example_util.hpp"
#include "spk/kernels/dense/dense.hpp"
#include "spk/spk.hpp"
#include "zoo/prune_configs.hpp"

using namespace spk;
namespace zoo = spk_bench::zoo;
using kernels::activation;

namespace {

struct conv_def {
  const char* part;  ///< backbone / neck / head
  index_t c, f, plane, k, stride;
  int repeat;
};

/// The conv layers of yolov4.cfg at 320 input, grouped where consecutive layers repeat a shape.
std::vector<conv_def> yolov4_convs() {
  std::vector<conv_def> v = {{"backbone", 3, 32, 320, 3, 1, 1}, {"backbone", 32, 64, 320, 3, 2, 1}};
  // CSP stages: downsample, two split 1x1s, n residual (1x1, 3x3) pairs, post 1x1, transition.
  struct stage {
    index_t c, plane;
    int n;
  };
  const stage stages[] = {{64, 160, 1}, {128, 80, 2}, {256, 40, 8}, {512, 20, 8}, {1024, 10, 4}};
  for (int s = 0; s < 5; ++s) {
    const index_t c = stages[s].c, h = stages[s].plane, half = s == 0 ? c : c / 2;
    if (s > 0) v.push_back({"backbone", c / 2, c, h * 2, 3, 2, 1});
    v.push_back({"backbone", c, half, h, 1, 1, 2});
    for (int r = 0; r < stages[s].n; ++r) {
      v.push_back({"backbone", half, s == 0 ? c / 2 : half, h, 1, 1, 1});
      v.push_back({"backbone", s == 0 ? c / 2 : half, half, h, 3, 1, 1});
    }
    v.push_back({"backbone", half, half, h, 1, 1, 1});
    v.push_back({"backbone", 2 * half, c, h, 1, 1, 1});
  }
  // SPP, then PANet top-down (10 -> 20 -> 40) and bottom-up (40 -> 20 -> 10), each with a head.
  const std::vector<conv_def> neck = {
      {"neck", 1024, 512, 10, 1, 1, 1}, {"neck", 512, 1024, 10, 3, 1, 1},
      {"neck", 1024, 512, 10, 1, 1, 1}, {"neck", 2048, 512, 10, 1, 1, 1},
      {"neck", 512, 1024, 10, 3, 1, 1}, {"neck", 1024, 512, 10, 1, 1, 1},
      {"neck", 512, 256, 10, 1, 1, 1},  {"neck", 512, 256, 20, 1, 1, 1},
      {"neck", 512, 256, 20, 1, 1, 1},  {"neck", 256, 512, 20, 3, 1, 1},
      {"neck", 512, 256, 20, 1, 1, 1},  {"neck", 256, 512, 20, 3, 1, 1},
      {"neck", 512, 256, 20, 1, 1, 1},  {"neck", 256, 128, 20, 1, 1, 1},
      {"neck", 256, 128, 40, 1, 1, 1},  {"neck", 256, 128, 40, 1, 1, 1},
      {"neck", 128, 256, 40, 3, 1, 1},  {"neck", 256, 128, 40, 1, 1, 1},
      {"neck", 128, 256, 40, 3, 1, 1},  {"neck", 256, 128, 40, 1, 1, 1},
      {"neck", 128, 256, 40, 3, 1, 1},  {"head", 256, 255, 40, 1, 1, 1},
      {"neck", 128, 256, 40, 3, 2, 1},  {"neck", 512, 256, 20, 1, 1, 1},
      {"neck", 256, 512, 20, 3, 1, 1},  {"neck", 512, 256, 20, 1, 1, 1},
      {"neck", 256, 512, 20, 3, 1, 1},  {"neck", 512, 256, 20, 1, 1, 1},
      {"neck", 256, 512, 20, 3, 1, 1},  {"head", 512, 255, 20, 1, 1, 1},
      {"neck", 256, 512, 20, 3, 2, 1},  {"neck", 1024, 512, 10, 1, 1, 1},
      {"neck", 512, 1024, 10, 3, 1, 1}, {"neck", 1024, 512, 10, 1, 1, 1},
      {"neck", 512, 1024, 10, 3, 1, 1}, {"neck", 1024, 512, 10, 1, 1, 1},
      {"neck", 512, 1024, 10, 3, 1, 1}, {"head", 1024, 255, 10, 1, 1, 1}};
  v.insert(v.end(), neck.begin(), neck.end());
  return v;
}

activation activation_of(const conv_def& d) {
  if (std::string(d.part) == "head") return activation::none();
  return std::string(d.part) == "backbone" ? activation::mish() : activation::leaky_relu(0.1f);
}

}  // namespace

using spk_example::best_ms;

int main(int argc, char** argv) {
  const int point = argc > 1 ? std::atoi(argv[1]) : 8;
  if (point != 8 && point != 14)
    return std::fprintf(stderr, "usage: yolov4_punched [8|14] [threads]\n"), 2;
  const auto pt = point == 8 ? zoo::yolobile_point::x8 : zoo::yolobile_point::x14;
#ifdef _OPENMP
  openmp_executor ex(argc > 2 ? std::atoi(argv[2]) : 1);
#else
  serial_executor ex;
#endif
  const auto convs = yolov4_convs();
  int layers = 0;
  for (const conv_def& d : convs) layers += d.repeat;
  std::printf(
      "YOLOv4 @320, %d conv layers, block-punched 8x4 at the %dx schedule, arch %s, %d thread(s)\n",
      layers, point, arch_name(), ex.concurrency());
  std::printf("%-3s %-8s %-26s %4s %8s %10s %10s %8s %9s\n", "#", "part", "shape", "x", "density",
              "dense ms", "punch ms", "speedup", "rel err");
  double total_dense = 0, total_punched = 0, worst = 0, w_all = 0, w_kept = 0;
  std::uint64_t seed = 1;
  int idx = 0;
  for (const conv_def& d : convs) {
    const zoo::layer l = zoo::detail::conv2d("yolov4", idx == 0 ? "conv_0" : "conv", d.c, d.f,
                                             d.plane, d.k, d.stride);
    const auto s = l.conv2d_shape();
    const double ratio = zoo::yolobile_prune_ratio(l, pt);
    tensor<float, 4> x({1, d.c, d.plane, d.plane}), w({d.f, d.c, d.k, d.k}), bias({1, 1, 1, d.f});
    fill_uniform(x.data(), x.size(), -1.f, 1.f, seed++);
    fill_normal(w.data(), w.size(), 0.f, float(std::sqrt(2.0 / double(d.c * d.k * d.k))), seed++);
    fill_uniform(bias.data(), d.f, -0.1f, 0.1f, seed++);
    const auto mask = sparsity::project_punched(
        w.data(), sparsity::punched_grid(d.f, d.c, d.k * d.k), 1.0 - ratio);
    sparsity::apply_mask(w.data(), mask.element_mask());
    const auto fmt = format::build_punched(w.view(), mask);
    const activation act = activation_of(d);

    tensor<float, 4> yd({1, d.f, s.out[0], s.out[1]}), yp({1, d.f, s.out[0], s.out[1]});
    aligned_buffer<float> wsd(kernels::dense::conv_dense_workspace_size(s, ex.concurrency()));
    // Prepared once per layer, as an engine would: run() is the whole per-inference cost.
    const kernels::punched::conv2d_punched_plan<> plan(fmt, s, act);
    aligned_buffer<float> wsp(plan.workspace_size());
    const double td = best_ms([&] {
      kernels::dense::conv2d_dense(x.view(), w.view(), bias.data(), yd.view(), s.params, ex,
                                   wsd.data());
      for (index_t i = 0; i < yd.size(); ++i)
        yd.data()[i] = float(kernels::apply_ref(act, yd.data()[i]));
    });
    const double tp = best_ms([&] { plan.run(x.view(), bias.data(), yp.view(), ex, wsp.data()); });
    const double rel = spk_example::max_rel_diff(yp.data(), yd.data(), yd.size());
    worst = std::max(worst, rel);
    char shape[64];
    std::snprintf(shape, sizeof shape, "%ld->%ld @%ld k%ld s%ld", long(d.c), long(d.f),
                  long(d.plane), long(d.k), long(d.stride));
    std::printf("%-3d %-8s %-26s %4d %8.3f %10.3f %10.3f %7.2fx %9.1e\n", idx, d.part, shape,
                d.repeat, fmt.density(), td, tp, td / tp, rel);
    total_dense += td * d.repeat, total_punched += tp * d.repeat;
    w_all += double(w.size()) * d.repeat, w_kept += double(fmt.kept_weights()) * d.repeat;
    idx += d.repeat;
  }
  std::printf(
      "total (%d layers, weights compressed %.1fx): dense %.1f ms, block-punched %.1f ms, %.2fx; "
      "worst rel err "
      "%.1e\n",
      layers, w_all / w_kept, total_dense, total_punched, total_dense / total_punched, worst);
  return worst < 1e-4 ? 0 : 1;
}
