// SPDX-License-Identifier: Apache-2.0
// A GRU speech model as in RTMobile (2 layers x 1024 hidden, 153-dim acoustic features, TIMIT
// style 10 ms frames) over a synthetic 1-second utterance, dense and with every weight matrix
// pruned 10x by BSP (rows pruned in 4 column strips) and by BCR (16x128 column pruning): time
// per utterance, real-time factor, and max error vs the dense GRU on the pruned weights.
//
//   usage: gru_speech [frames] [compression]   (defaults 100, 10; build with -march=native)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "example_util.hpp"
#include "spk/core/random.hpp"
#include "spk/layers/layers.hpp"

using namespace spk;
namespace L = spk::layers;

using spk_example::best_ms;

int main(int argc, char** argv) {
  const index_t T = argc > 1 ? std::atoi(argv[1]) : 100, I = 153, H = 1024;
  const double compression = argc > 2 ? std::atof(argv[2]) : 10.0;
  if (T < 1 || compression < 1) {
    std::fprintf(stderr, "usage: gru_speech [frames >= 1] [compression >= 1]\n");
    return 2;
  }
  // Synthetic utterance: 153 features = 51 "MFCC-like" sinusoids + deltas + delta-deltas.
  tensor<float, 2> x({T, I});
  for (index_t t = 0; t < T; ++t)
    for (index_t f = 0; f < I; ++f)
      x.data()[t * I + f] = float(std::sin(0.05 * double(t) * double(1 + f % 51) + double(f / 51)) *
                                  std::exp(-0.01 * double(f % 51)));
  const float a = 1.f / std::sqrt(float(H));
  std::printf("GRU 2 x %lld, %lld inputs, %lld frames, arch %s, compression %.0fx\n", (long long)H,
              (long long)I, (long long)T, arch_name(), compression);
  for (const char* scheme : {"bsp", "bcr"}) {
    std::vector<L::rnn_layer_weights> sparse, ref;
    std::vector<L::rnn_layer_weights> dense;
    for (int l = 0; l < 2; ++l) {
      tensor<float, 2> wi({3 * H, l == 0 ? I : H}), wh({3 * H, H});
      fill_uniform(wi.data(), wi.size(), -a, a, 100 + l),
          fill_uniform(wh.data(), wh.size(), -a, a, 200 + l);
      std::vector<float> bi(3 * H), bh(3 * H);
      fill_uniform(bi.data(), 3 * H, -a, a, 300 + l),
          fill_uniform(bh.data(), 3 * H, -a, a, 400 + l);
      auto to_sparse = [&](const tensor<float, 2>& w, tensor<float, 2>& pruned) -> L::weight {
        const double keep = 1.0 / compression;
        if (std::string(scheme) == "bsp") {
          const auto m = sparsity::project_bsp(w.view(), 4, keep, 1, 1.0);
          pruned = sparsity::apply_mask(w.view(), m);
          return format::bcr::from_dense(w.view(), m, 256, (w.dim(1) + 3) / 4);
        }
        const auto m =
            sparsity::project_bcr(w.view(), 16, 128, sparsity::block_prune::columns, keep);
        pruned = sparsity::apply_mask(w.view(), m);
        return format::bcr::from_dense(w.view(), m, 16, 128);
      };
      tensor<float, 2> pi, ph;
      L::weight si = to_sparse(wi, pi), sh = to_sparse(wh, ph);
      sparse.push_back({std::move(si), std::move(sh), bi, bh});
      ref.push_back({L::weight(pi.view()), L::weight(ph.view()), bi, bh});
      dense.push_back({L::weight(wi.view()), L::weight(wh.view()), bi, bh});
    }
    L::gru g_sparse(I, std::move(sparse)), g_ref(I, std::move(ref)), g_dense(I, std::move(dense));
    tensor<float, 2> y({T, H}), y_ref({T, H}), y_dense({T, H});
    const double ms_sparse = best_ms([&] { g_sparse.forward(x.view(), y.view()); });
    const double ms_dense = best_ms([&] { g_dense.forward(x.view(), y_dense.view()); });
    g_ref.forward(x.view(), y_ref.view());
    double err = 0;
    for (index_t i = 0; i < T * H; ++i)
      err = std::max(err, double(std::fabs(y.data()[i] - y_ref.data()[i])));
    const double audio_ms = 10.0 * double(T);
    std::printf(
        "  %-4s  sparse %8.2f ms (RTF %.3f)   dense %8.2f ms (RTF %.3f)   speedup %.1fx   max|err| "
        "vs dense on pruned weights %.1e\n",
        scheme, ms_sparse, ms_sparse / audio_ms, ms_dense, ms_dense / audio_ms,
        ms_dense / ms_sparse, err);
  }
  return 0;
}
