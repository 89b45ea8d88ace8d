// SPDX-License-Identifier: Apache-2.0
// A BERT-base encoder (12 layers, hidden 768, 12 heads, FFN 3072, post-LN, GELU) over one
// 128-token sequence with seeded weights, its FFN matrices pruned by BLK-REW block-column
// pruning (BCR, 16x128 blocks, density 1/4 by default): time per layer and in total for the
// sparse and the dense encoder, and the max error vs the dense encoder on the pruned weights.
//
//   usage: bert_encoder [density] [tokens]   (defaults 0.25, 128; build with -march=native)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "spk/core/random.hpp"
#include "spk/layers/layers.hpp"

using namespace spk;
namespace L = spk::layers;

int main(int argc, char** argv) {
  const double density = argc > 1 ? std::atof(argv[1]) : 0.25;
  const index_t T = argc > 2 ? std::atoi(argv[2]) : 128, D = 768, F = 3072, heads = 12, layers = 12;
  if (!(density > 0 && density <= 1) || T < 1) {
    std::fprintf(stderr, "usage: bert_encoder [density in (0, 1]] [tokens >= 1]\n");
    return 2;
  }
  std::printf("BERT-base encoder: %lld layers, %lld tokens, FFN BCR 16x128 density %.3f, arch %s\n",
              (long long)layers, (long long)T, density, arch_name());
  tensor<float, 2> x({T, D}), xs({T, D}), xd({T, D});
  fill_normal(x.data(), x.size(), 0.f, 1.f, 7);
  std::copy(x.data(), x.data() + x.size(), xs.data());
  std::copy(x.data(), x.data() + x.size(), xd.data());
  double total_s = 0, total_d = 0;
  auto now = [] { return std::chrono::steady_clock::now(); };
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  for (index_t l = 0; l < layers; ++l) {
    const std::uint64_t s = 1000 + 10 * std::uint64_t(l);
    tensor<float, 2> win({3 * D, D}), wout({D, D}), w1({F, D}), w2({D, F});
    const float sd = 0.02f;  // BERT's initializer_range
    fill_normal(win.data(), win.size(), 0.f, sd, s),
        fill_normal(wout.data(), wout.size(), 0.f, sd, s + 1);
    fill_normal(w1.data(), w1.size(), 0.f, sd, s + 2),
        fill_normal(w2.data(), w2.size(), 0.f, sd, s + 3);
    std::vector<float> bin(3 * D, 0.f), bout(D, 0.f), b1(F, 0.f), b2(D, 0.f), g(D, 1.f), be(D, 0.f);
    const auto m1 =
        sparsity::project_bcr(w1.view(), 16, 128, sparsity::block_prune::columns, density);
    const auto m2 =
        sparsity::project_bcr(w2.view(), 16, 128, sparsity::block_prune::columns, density);
    const auto p1 = sparsity::apply_mask(w1.view(), m1), p2 = sparsity::apply_mask(w2.view(), m2);
    auto make = [&](L::weight f1, L::weight f2) {
      return L::transformer_encoder_layer(
          L::multi_head_attention(D, heads, L::weight(win.view()), bin, L::weight(wout.view()),
                                  bout),
          L::linear(std::move(f1), b1), L::linear(std::move(f2), b2), g, be, g, be, 1e-12f);
    };
    const auto sparse = make(format::bcr::from_dense(w1.view(), m1, 16, 128),
                             format::bcr::from_dense(w2.view(), m2, 16, 128));
    const auto dense = make(L::weight(p1.view()), L::weight(p2.view()));
    tensor<float, 2> ys({T, D}), yd({T, D});
    auto t0 = now();
    sparse.forward(xs.view(), ys.view());
    auto t1 = now();
    dense.forward(xd.view(), yd.view());
    auto t2 = now();
    double err = 0;
    for (index_t i = 0; i < T * D; ++i)
      err = std::max(err, double(std::fabs(ys.data()[i] - yd.data()[i])));
    total_s += ms(t0, t1), total_d += ms(t1, t2);
    std::printf("  layer %2lld  sparse FFN %7.2f ms   dense %7.2f ms   max|err| %.1e\n",
                (long long)l, ms(t0, t1), ms(t1, t2), err);
    std::swap(xs, ys), std::swap(xd, yd);
  }
  std::printf("  total     sparse FFN %7.2f ms   dense %7.2f ms   speedup %.2fx\n", total_s,
              total_d, total_d / total_s);
  return 0;
}
