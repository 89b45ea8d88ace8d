// SPDX-License-Identifier: Apache-2.0
// YOLObile block-punched sparsity (research/papers.md §7) for a conv of any kernel size (and FC
// layers as 1x1): blocks of bf filters x bc channels (default 8 x 4); a unit is one kernel
// position across the whole block, pruned in all bf x bc kernels at once. The structure is
// KGS's in 2D, so it shares kgs_grid / kgs_mask; this header adds YOLObile's scoring rule.
#pragma once

#include <cmath>
#include <vector>

#include "spk/sparsity/kgs.hpp"

SPK_BEGIN_NAMESPACE
namespace sparsity {

/// Which rule ranks the units a block-punched projection keeps.
enum class punched_rule {
  official,   ///< YOLObile code: sum over the block's channels of the bf-long column L2 norms
  euclidean,  ///< squared L2 norm of the unit: keeping the top units is the exact projection
};

/// The block grid of a conv weight tensor F x C x kh x kw (K = kh * kw; FC: K = 1). YOLObile
/// refuses F % bf != 0 or C % bc != 0; spk pads the edge blocks instead (their missing filters
/// and channels are never stored, see kgs_grid).
inline kgs_grid punched_grid(index_t F, index_t C, index_t K, index_t bf = 8, index_t bc = 4) {
  kgs_grid g{F, C, K, bf, bc};
  g.check("punched_grid");
  return g;
}

/// Score of every unit (block, position), indexed like kgs_mask::keep.
inline std::vector<double> punched_unit_scores(const float* w, const kgs_grid& g, punched_rule rule) {
  detail::check_weights(w, g, "punched_unit_scores");
  const index_t K = g.locations, cb = g.channel_blocks();
  std::vector<double> score(std::size_t(g.units()), 0.0);
  if (rule == punched_rule::euclidean) {
    std::vector<index_t> nnz;
    detail::kgs_unit_sums(w, g, score, nnz);
    return score;
  }
  // Column (filter block i, channel c, position k): bf weights; its norm adds to unit (i, c/bc, k).
  std::vector<double> col(static_cast<std::size_t>(K));
  for (index_t i = 0; i < g.filter_blocks(); ++i)
    for (index_t c = 0; c < g.channels; ++c) {
      std::fill(col.begin(), col.end(), 0.0);
      for (index_t f = i * g.gm; f < i * g.gm + g.filters_in(i); ++f)
        for (index_t k = 0; k < K; ++k) {
          const double v = w[(f * g.channels + c) * K + k];
          col[std::size_t(k)] += v * v;
        }
      double* u = score.data() + (i * cb + c / g.gn) * K;
      for (index_t k = 0; k < K; ++k) u[k] += std::sqrt(col[std::size_t(k)]);
    }
  return score;
}

/// Block-punched projection: keeps round(density * units) units of the layer ranked by `rule`
/// (YOLObile's layer-wise percentile; ties go to the lower unit index). With
/// punched_rule::euclidean the result is the exact Euclidean projection (the ADMM Z-step).
inline kgs_mask project_punched(const float* w, const kgs_grid& g, double density,
                                punched_rule rule = punched_rule::official) {
  const std::vector<double> score = punched_unit_scores(w, g, rule);
  const index_t n = detail::kept_count(density, g.units(), "project_punched");
  kgs_mask m{g, std::vector<std::uint8_t>(std::size_t(g.units()), 0)};
  for (index_t u : detail::top_n(score, n)) m.keep[std::size_t(u)] = 1;
  return m;
}

/// L2 norm of every unit (for reweighted group-lasso regularisation).
inline std::vector<double> punched_unit_norms(const float* w, const kgs_grid& g) {
  std::vector<double> s = punched_unit_scores(w, g, punched_rule::euclidean);
  for (double& x : s) x = std::sqrt(x);
  return s;
}

}  // namespace sparsity
SPK_END_NAMESPACE
