// SPDX-License-Identifier: Apache-2.0
// RT3D kernel-group sparsity (research/papers.md §6) over a conv weight tensor F x C x K (K =
// kernel volume): kernel groups of gm filters x gn channels (default 8 x 4, F and C padded up to
// multiples). Vanilla removes whole groups; KGS removes one kernel location from all gm x gn
// kernels of a group; the balanced kgc / kgr variants prune the same count in every group.
// Projections (official RT3D score and exact Euclidean), group norms and the mask type.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "spk/core/error.hpp"
#include "spk/sparsity/stats.hpp"

SPK_BEGIN_NAMESPACE
namespace sparsity {

/// The kernel-group grid over a dense F x C x K weight tensor (row-major, K innermost). Group
/// (i, j) = filters [i*gm, (i+1)*gm) x channels [j*gn, (j+1)*gn), clipped to F and C: the
/// missing filters / channels of edge groups are RT3D's zero padding and never stored.
struct kgs_grid {
  index_t filters = 0, channels = 0, locations = 0;  ///< F, C, K
  index_t gm = 8, gn = 4;                             ///< group shape (filters x channels)

  index_t filter_blocks() const noexcept { return (filters + gm - 1) / gm; }
  index_t channel_blocks() const noexcept { return (channels + gn - 1) / gn; }
  index_t groups() const noexcept { return filter_blocks() * channel_blocks(); }
  /// KGS units: one per (group, kernel location).
  index_t units() const noexcept { return groups() * locations; }
  /// Real (unpadded) filters / channels of group row i / column j.
  index_t filters_in(index_t i) const noexcept { return std::min(gm, filters - i * gm); }
  index_t channels_in(index_t j) const noexcept { return std::min(gn, channels - j * gn); }

  /// Raises invalid_argument naming `where` unless every extent is >= 1 (K <= 65535: locations
  /// are stored as uint16 by the format).
  void check(const char* where) const {
    require(filters >= 1, where, "filters", filters, ">= 1");
    require(channels >= 1, where, "channels", channels, ">= 1");
    require(locations >= 1 && locations <= 65535, where, "locations", locations, "in [1, 65535]");
    require(gm >= 1, where, "gm", gm, ">= 1");
    require(gn >= 1, where, "gn", gn, ">= 1");
    checked_mul(checked_mul(filters, channels, "kgs_grid weights"), locations, "kgs_grid weights");
  }
};

/// Which rule ranks the units a projection keeps.
enum class kgs_rule {
  official,   ///< RT3D code: ||g||_2 / sqrt(max(nnz(g), 1)), nnz = non-zero weights of g
  euclidean,  ///< ||g||_2^2: keeping the top units is the exact Euclidean projection (ADMM Z-step)
};

/// A kernel-group mask: keep[(i * channel_blocks + j) * K + k] = 1 when location k is kept in
/// group (i, j). Vanilla masks keep all or none of a group's locations.
struct kgs_mask {
  kgs_grid grid;
  std::vector<std::uint8_t> keep;

  bool kept(index_t i, index_t j, index_t k) const noexcept {
    return keep[std::size_t((i * grid.channel_blocks() + j) * grid.locations + k)] != 0;
  }
  /// True when every group keeps all of its locations or none.
  bool is_vanilla() const noexcept {
    const index_t K = grid.locations;
    for (index_t g = 0; g < grid.groups(); ++g)
      for (index_t k = 1; k < K; ++k)
        if (keep[std::size_t(g * K + k)] != keep[std::size_t(g * K)]) return false;
    return true;
  }
  /// Element mask F x C x K (1 = kept), the padding excluded.
  std::vector<std::uint8_t> element_mask() const {
    const kgs_grid& g = grid;
    std::vector<std::uint8_t> m(std::size_t(g.filters * g.channels * g.locations));
    for (index_t f = 0; f < g.filters; ++f)
      for (index_t c = 0; c < g.channels; ++c)
        for (index_t k = 0; k < g.locations; ++k)
          m[std::size_t((f * g.channels + c) * g.locations + k)] = kept(f / g.gm, c / g.gn, k);
    return m;
  }
  /// Kept / total real weights (padding excluded).
  mask_stats stats() const { return count_mask(element_mask()); }
};

namespace detail {

/// Calls fn(f, c) for the real (f, c) kernels of group (i, j).
template <class Fn>
void for_group(const kgs_grid& g, index_t i, index_t j, Fn&& fn) {
  for (index_t f = i * g.gm; f < i * g.gm + g.filters_in(i); ++f)
    for (index_t c = j * g.gn; c < j * g.gn + g.channels_in(j); ++c) fn(f, c);
}

/// Number of units to keep for a kept fraction `density` of `units` (rounded to nearest).
inline index_t kept_count(double density, index_t units, const char* where) {
  require(density >= 0.0 && density <= 1.0, where, "density", density, "a kept fraction in [0, 1]");
  return std::min(units, index_t(std::llround(density * double(units))));
}

/// Indices of the `n` largest scores; ties go to the lower index (deterministic).
inline std::vector<index_t> top_n(const std::vector<double>& score, index_t n) {
  std::vector<index_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), index_t(0));
  std::stable_sort(idx.begin(), idx.end(),
                   [&](index_t a, index_t b) { return score[std::size_t(a)] > score[std::size_t(b)]; });
  idx.resize(std::size_t(n));
  return idx;
}

/// Score of a unit from its squared norm and non-zero count.
inline double unit_score(double sq, index_t nnz, kgs_rule rule) {
  return rule == kgs_rule::euclidean ? sq : std::sqrt(sq) / std::sqrt(double(std::max<index_t>(nnz, 1)));
}

/// Squared norm and nnz of each KGS unit (group, location).
inline void kgs_unit_sums(const float* w, const kgs_grid& g, std::vector<double>& sq,
                          std::vector<index_t>& nnz) {
  const index_t K = g.locations, cb = g.channel_blocks();
  sq.assign(std::size_t(g.units()), 0.0), nnz.assign(std::size_t(g.units()), 0);
  for (index_t f = 0; f < g.filters; ++f)
    for (index_t c = 0; c < g.channels; ++c)
      for (index_t k = 0; k < K; ++k) {
        const double v = w[(f * g.channels + c) * K + k];
        const std::size_t u = std::size_t(((f / g.gm) * cb + c / g.gn) * K + k);
        sq[u] += v * v, nnz[u] += v != 0.0;
      }
}

inline void check_weights(const float* w, const kgs_grid& g, const char* where) {
  g.check(where);
  require(w != nullptr, where, "weights", "nullptr", "F * C * K weights");
}

}  // namespace detail

/// L2 norm of every KGS unit, indexed like kgs_mask::keep (for reweighted regularisation).
inline std::vector<double> kgs_unit_norms(const float* w, const kgs_grid& g) {
  detail::check_weights(w, g, "kgs_unit_norms");
  std::vector<double> sq;
  std::vector<index_t> nnz;
  detail::kgs_unit_sums(w, g, sq, nnz);
  for (double& x : sq) x = std::sqrt(x);
  return sq;
}

/// L2 norm of every kernel group (i * channel_blocks + j), the vanilla groups.
inline std::vector<double> kgs_group_norms(const float* w, const kgs_grid& g) {
  detail::check_weights(w, g, "kgs_group_norms");
  std::vector<double> sq;
  std::vector<index_t> nnz;
  detail::kgs_unit_sums(w, g, sq, nnz);
  std::vector<double> out(std::size_t(g.groups()), 0.0);
  for (index_t u = 0; u < g.units(); ++u) out[std::size_t(u / g.locations)] += sq[std::size_t(u)];
  for (double& x : out) x = std::sqrt(x);
  return out;
}

/// KGS projection: keeps round(density * units) (group, location) units of the whole layer,
/// ranked by `rule` (RT3D's per-layer percentile threshold). With kgs_rule::euclidean the
/// result is the exact Euclidean projection onto masks with that many units.
inline kgs_mask project_kgs(const float* w, const kgs_grid& g, double density,
                            kgs_rule rule = kgs_rule::official) {
  detail::check_weights(w, g, "project_kgs");
  const index_t n = detail::kept_count(density, g.units(), "project_kgs");
  std::vector<double> sq;
  std::vector<index_t> nnz;
  detail::kgs_unit_sums(w, g, sq, nnz);
  for (std::size_t u = 0; u < sq.size(); ++u) sq[u] = detail::unit_score(sq[u], nnz[u], rule);
  kgs_mask m{g, std::vector<std::uint8_t>(std::size_t(g.units()), 0)};
  for (index_t u : detail::top_n(sq, n)) m.keep[std::size_t(u)] = 1;
  return m;
}

/// Vanilla projection: keeps round(density * groups) whole kernel groups ranked by `rule`.
inline kgs_mask project_vanilla(const float* w, const kgs_grid& g, double density,
                                kgs_rule rule = kgs_rule::official) {
  detail::check_weights(w, g, "project_vanilla");
  const index_t n = detail::kept_count(density, g.groups(), "project_vanilla");
  std::vector<double> sq;
  std::vector<index_t> nnz;
  detail::kgs_unit_sums(w, g, sq, nnz);
  const index_t K = g.locations;
  std::vector<double> score(std::size_t(g.groups()));
  for (index_t gi = 0; gi < g.groups(); ++gi) {
    double s = 0;
    index_t z = 0;
    for (index_t k = 0; k < K; ++k) s += sq[std::size_t(gi * K + k)], z += nnz[std::size_t(gi * K + k)];
    score[std::size_t(gi)] = detail::unit_score(s, z, rule);
  }
  kgs_mask m{g, std::vector<std::uint8_t>(std::size_t(g.units()), 0)};
  for (index_t gi : detail::top_n(score, n))
    std::fill_n(m.keep.begin() + std::ptrdiff_t(gi * K), K, std::uint8_t(1));
  return m;
}

/// Column width of the balanced kgc variant: RT3D's TCAD code buffers 9 locations, so a
/// column of a 3x3x3 kernel is one (kh, kw) across the 3 temporal taps (k % 9); kernels whose
/// volume is not a multiple of 9 (or is 9 or less) use one location per column.
inline index_t kgc_columns(index_t K) noexcept { return K > 9 && K % 9 == 0 ? 9 : K; }

/// Balanced kgc: every group keeps the same round(density * columns) location-columns, the
/// ones of largest L2 norm in that group (so each group is KGS-structured and equally dense).
inline kgs_mask project_kgc(const float* w, const kgs_grid& g, double density) {
  detail::check_weights(w, g, "project_kgc");
  const index_t K = g.locations, ncol = kgc_columns(K);
  const index_t n = detail::kept_count(density, ncol, "project_kgc");
  std::vector<double> sq;
  std::vector<index_t> nnz;
  detail::kgs_unit_sums(w, g, sq, nnz);
  kgs_mask m{g, std::vector<std::uint8_t>(std::size_t(g.units()), 0)};
  std::vector<double> col(static_cast<std::size_t>(ncol));
  for (index_t gi = 0; gi < g.groups(); ++gi) {
    std::fill(col.begin(), col.end(), 0.0);
    for (index_t k = 0; k < K; ++k) col[std::size_t(k % ncol)] += sq[std::size_t(gi * K + k)];
    for (index_t c : detail::top_n(col, n))
      for (index_t k = c; k < K; k += ncol) m.keep[std::size_t(gi * K + k)] = 1;
  }
  return m;
}

/// Balanced kgr: in every group, prunes the same ceil(gm * (1 - density)) filter rows (a row
/// = one filter's gn kernels, all locations), those of smallest L2 norm; the padding rows of an
/// edge group count as rows of norm 0. Returns the element mask F x C x K: kgr is row-sparse
/// inside a group, not KGS-structured, so the KGS format does not hold it.
inline std::vector<std::uint8_t> project_kgr(const float* w, const kgs_grid& g, double density) {
  detail::check_weights(w, g, "project_kgr");
  require(density >= 0.0 && density <= 1.0, "project_kgr", "density", density, "a kept fraction in [0, 1]");
  const index_t K = g.locations;
  const index_t pruned = std::min(g.gm, index_t(std::ceil(double(g.gm) * (1.0 - density) - 1e-9)));
  const index_t keep_rows = g.gm - pruned;
  std::vector<std::uint8_t> m(std::size_t(g.filters * g.channels * K), 0);
  std::vector<double> row(static_cast<std::size_t>(g.gm));
  for (index_t i = 0; i < g.filter_blocks(); ++i)
    for (index_t j = 0; j < g.channel_blocks(); ++j) {
      std::fill(row.begin(), row.end(), 0.0);
      detail::for_group(g, i, j, [&](index_t f, index_t c) {
        for (index_t k = 0; k < K; ++k) {
          const double v = w[(f * g.channels + c) * K + k];
          row[std::size_t(f - i * g.gm)] += v * v;
        }
      });
      for (index_t r : detail::top_n(row, keep_rows)) {
        const index_t f = i * g.gm + r;
        if (f >= g.filters) continue;  // a padding row: nothing to keep
        for (index_t c = j * g.gn; c < j * g.gn + g.channels_in(j); ++c)
          std::fill_n(m.begin() + std::ptrdiff_t((f * g.channels + c) * K), K, std::uint8_t(1));
      }
    }
  return m;
}

/// w[e] = 0 where mask[e] == 0 (the hard prune after a projection); n = F * C * K.
inline void apply_mask(float* w, const std::vector<std::uint8_t>& mask) {
  for (std::size_t e = 0; e < mask.size(); ++e)
    if (!mask[e]) w[e] = 0.f;
}

}  // namespace sparsity
SPK_END_NAMESPACE
