// SPDX-License-Identifier: Apache-2.0
// Helpers of the kernel-group sparsity tests (KGS and block-punched share the grid): seeded
// weights over a grid and the energy a mask keeps (the quantity the exact projections maximise).
#pragma once

#include <cstdint>
#include <vector>

#include "harness.hpp"
#include "spk/sparsity/kgs.hpp"

namespace spk_test {

/// F x C x K uniform weights in [-1, 1) for grid g.
inline std::vector<float> random_weights(const spk::sparsity::kgs_grid& g, std::uint64_t salt) {
  std::vector<float> w(std::size_t(g.filters * g.channels * g.locations));
  spk::fill_uniform(w.data(), index_t(w.size()), -1.f, 1.f, seed(salt));
  return w;
}

/// Squared norm of the weights an element mask keeps.
inline double kept_energy(const std::vector<float>& w, const std::vector<std::uint8_t>& m) {
  double e = 0;
  for (std::size_t i = 0; i < w.size(); ++i) e += m[i] ? double(w[i]) * w[i] : 0.0;
  return e;
}

}  // namespace spk_test
