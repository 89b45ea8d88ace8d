// SPDX-License-Identifier: Apache-2.0
// VGG-16 feature extractor (13 conv3x3 + ReLU, 5 max-pools, 224x224 input, batch 1) on spk's
// dense path with seeded He-normal weights: per-layer times, total, and a check of the first
// layer against the reference oracle. The dense baseline every sparse example is measured from.
//
//   usage: vgg16_dense [threads]     (threads > 1 needs an OpenMP build)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "example_util.hpp"
#include "spk/kernels/dense/dense.hpp"
#include "spk/spk.hpp"

using namespace spk;
using spk_example::maxpool2;
using spk_example::vgg16;
using spk_example::vgg_conv_layer;

namespace {

void relu(float* p, index_t n) {
  for (index_t i = 0; i < n; ++i) p[i] = std::max(p[i], 0.f);
}


}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
#ifdef _OPENMP
  openmp_executor ex(threads);
#else
  serial_executor ex;
  if (threads > 1) std::printf("note: built without OpenMP, running on 1 thread\n");
#endif
  std::printf("VGG-16 features, 224x224, batch 1, spk dense (%s), %d thread(s)\n", arch_name(), ex.concurrency());
  tensor<float, 4> x({1, 3, 224, 224});
  fill_uniform(x.data(), x.size(), 0.f, 1.f, 1);
  double total_ms = 0, total_gflop = 0;
  std::uint64_t seed = 100;
  for (const vgg_conv_layer& l : vgg16) {
    const index_t hw = x.dim(2);
    tensor<float, 4> w({l.f, l.c, 3, 3});
    std::vector<float> bias(static_cast<std::size_t>(l.f), 0.01f);
    fill_normal(w.data(), w.size(), 0.f, std::sqrt(2.f / float(l.c * 9)), seed++);
    tensor<float, 4> y({1, l.f, hw, hw});
    const auto p = conv2d_params{}.with_pad(1);
    const auto t0 = std::chrono::steady_clock::now();
    kernels::dense::conv2d_dense(x.view(), w.view(), bias.data(), y.view(), p, ex);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (&l == &vgg16[0]) {  // the oracle check is cheap on the 3-channel first layer
      tensor<float, 4> ref({1, l.f, hw, hw});
      kernels::dense::conv2d_reference(x.view(), w.view(), bias.data(), ref.view(), p);
      double err = 0, mag = 0;
      for (index_t i = 0; i < ref.size(); ++i)
        err = std::max(err, double(std::fabs(ref.data()[i] - y.data()[i]))), mag = std::max(mag, double(std::fabs(ref.data()[i])));
      std::printf("conv1_1 max rel err vs reference: %.2e\n", err / mag);
    }
    const double gflop = 2.0 * l.f * l.c * 9 * hw * hw * 1e-9;
    std::printf("%-8s %4ld -> %4ld @%3ld  %7.2f ms  %6.1f GFLOP/s\n", l.name, long(l.c), long(l.f), long(hw), ms,
                gflop / ms * 1e3);
    total_ms += ms, total_gflop += gflop;
    relu(y.data(), y.size());
    x = l.pool_after ? maxpool2(y) : std::move(y);
  }
  double checksum = 0;
  for (index_t i = 0; i < x.size(); ++i) checksum += x.data()[i];
  std::printf("total    %.2f ms, %.1f GFLOP, %.1f GFLOP/s; output 512x7x7 checksum %.6e\n", total_ms, total_gflop,
              total_gflop / total_ms * 1e3, checksum);
  return 0;
}
