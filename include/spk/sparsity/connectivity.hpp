// SPDX-License-Identifier: Apache-2.0
// Connectivity sparsity (PatDNN): removal of whole kernels W[f][c], its exact projection per
// layer or per filter, the exact projection onto pattern + connectivity together, group norms
// for reweighted regularisation, and statistics (density, FLOPs) of a pruned layer.
#pragma once

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "spk/core/conv_shape.hpp"
#include "spk/sparsity/pattern.hpp"

SPK_BEGIN_NAMESPACE
namespace sparsity {

/// Where the kernel budget `keep` of a connectivity projection applies.
enum class connectivity_scope {
  per_layer,   ///< keep the `keep` best kernels of the whole layer
  per_filter,  ///< keep the `keep` best kernels of every filter (balanced filters)
};

/// Kernels to keep for a connectivity compression rate (PatDNN's 3.6x): ceil(kernels / rate).
inline index_t keep_for_rate(index_t kernels, double rate) {
  require(rate >= 1.0, "keep_for_rate", "rate", rate, ">= 1 (a compression rate)");
  require(kernels >= 0, "keep_for_rate", "kernels", kernels, ">= 0");
  return std::min(kernels, index_t(std::ceil(double(kernels) / rate - 1e-9)));
}

/// L2 norm of every kernel, [f][c] row-major (F * C values): the groups of connectivity
/// pruning. For reweighted regularisation use reweight_coefficients on these.
inline std::vector<double> kernel_norms(tensor_view<const float, 4> w) {
  require(w.empty() || w.data() != nullptr, "kernel_norms", "weights", "nullptr",
          "a valid pointer");
  std::vector<double> n(std::size_t(w.dim(0) * w.dim(1)));
  for (index_t f = 0; f < w.dim(0); ++f)
    for (index_t c = 0; c < w.dim(1); ++c) {
      double e = 0;
      for (index_t r = 0; r < w.dim(2); ++r)
        for (index_t s = 0; s < w.dim(3); ++s) e += double(w(f, c, r, s)) * double(w(f, c, r, s));
      n[std::size_t(f * w.dim(1) + c)] = std::sqrt(e);
    }
  return n;
}

/// L2 norm, per kernel, of the weights outside its assigned pattern (all of an empty kernel):
/// the groups a reweighted pattern regulariser drives to zero.
inline std::vector<double> pattern_residual_norms(tensor_view<const float, 4> w,
                                                  const pattern_structure& s) {
  s.check("pattern_residual_norms");
  detail::check_weights(w, s.library, "pattern_residual_norms");
  require(w.dim(0) == s.filters && w.dim(1) == s.channels, "pattern_residual_norms", "weights",
          w.dim(0) * w.dim(1), "the structure's filters x channels", errc::shape_mismatch);
  std::vector<double> n(std::size_t(s.filters * s.channels));
  const index_t kw = w.dim(3), kv = w.dim(2) * kw;
  for (index_t f = 0; f < s.filters; ++f)
    for (index_t c = 0; c < s.channels; ++c) {
      const pattern_bits keep = s(f, c) < 0 ? 0 : s.library[s(f, c)];
      double e = 0;
      for (index_t p = 0; p < kv; ++p)
        if (!(keep >> p & 1u))
          e += double(w(f, c, p / kw, p % kw)) * double(w(f, c, p / kw, p % kw));
      n[std::size_t(f * s.channels + c)] = std::sqrt(e);
    }
  return n;
}

/// Reweighting coefficients alpha_g = 1 / (||W_g||^2 + eps) (BLK-REW / RT3D): small groups get
/// a large penalty in the next epochs.
inline std::vector<double> reweight_coefficients(const std::vector<double>& norms,
                                                 double eps = 1e-6) {
  require(eps > 0, "reweight_coefficients", "eps", eps, "> 0");
  std::vector<double> a(norms.size());
  for (std::size_t i = 0; i < norms.size(); ++i) a[i] = 1.0 / (norms[i] * norms[i] + eps);
  return a;
}

namespace detail {
/// Marks the `keep` largest scores (ties: lower index) of each scope unit as kept.
inline std::vector<std::uint8_t> top_k_kernels(const std::vector<double>& score, index_t F,
                                               index_t C, index_t keep, connectivity_scope scope,
                                               const char* where) {
  const index_t unit = scope == connectivity_scope::per_layer ? F * C : C;
  require(keep >= 0 && keep <= unit, where, "keep", keep,
          std::string("0..") + std::to_string(unit) +
              (scope == connectivity_scope::per_layer ? " (kernels in the layer)"
                                                      : " (kernels per filter)"));
  std::vector<std::uint8_t> kept(score.size(), 0);
  std::vector<index_t> order(static_cast<std::size_t>(unit));
  for (index_t base = 0; base < F * C; base += unit) {
    std::iota(order.begin(), order.end(), base);
    std::stable_sort(order.begin(), order.end(), [&](index_t a, index_t b) {
      return score[std::size_t(a)] > score[std::size_t(b)];
    });
    for (index_t i = 0; i < keep; ++i) kept[std::size_t(order[std::size_t(i)])] = 1;
  }
  return kept;
}
}  // namespace detail

/// Exact Euclidean projection onto "at most `keep` non-empty kernels" per layer or per filter
/// (the ADMM Y-step): keeps the kernels of largest L2 norm (ties: lower (f, c) first). Returns
/// the kept flags [f][c]; writes the projected weights into `out` when given (may alias `w`).
inline std::vector<std::uint8_t> project_connectivity(
    tensor_view<const float, 4> w, index_t keep,
    connectivity_scope scope = connectivity_scope::per_layer, tensor_view<float, 4> out = {}) {
  const char* where = "project_connectivity";
  const std::vector<double> n = kernel_norms(w);
  const auto kept = detail::top_k_kernels(n, w.dim(0), w.dim(1), keep, scope, where);
  if (out.dim(0) != 0 || out.data() != nullptr) {
    require_dims(out, w.dims(), where, "out");
    for (index_t f = 0; f < w.dim(0); ++f)
      for (index_t c = 0; c < w.dim(1); ++c)
        for (index_t r = 0; r < w.dim(2); ++r)
          for (index_t s = 0; s < w.dim(3); ++s)
            out(f, c, r, s) = kept[std::size_t(f * w.dim(1) + c)] ? w(f, c, r, s) : 0.f;
  }
  return kept;
}

/// Exact Euclidean projection onto pattern AND connectivity: every kernel is empty or has a
/// library pattern, at most `keep` kernels non-empty (per layer or per filter). A kernel's value
/// is the energy its best pattern keeps, so the best feasible point keeps the `keep` kernels of
/// largest best-pattern energy (not of largest full norm, which is what the sequential
/// "connectivity, then pattern" of PatDNN's final hard prune does). Writes `out` when given.
inline pattern_structure project_pattern_connectivity(
    tensor_view<const float, 4> w, const pattern_library& lib, index_t keep,
    connectivity_scope scope = connectivity_scope::per_layer, tensor_view<float, 4> out = {}) {
  const char* where = "project_pattern_connectivity";
  detail::check_weights(w, lib, where);
  pattern_structure s{w.dim(0), w.dim(1), lib, {}};
  s.id.resize(std::size_t(s.filters * s.channels));
  std::vector<double> energy(s.id.size());
  for (index_t f = 0; f < s.filters; ++f)
    for (index_t c = 0; c < s.channels; ++c) {
      const std::size_t i = std::size_t(f * s.channels + c);
      s.id[i] = std::int16_t(best_pattern(w, f, c, lib, &energy[i]));
    }
  const auto kept = detail::top_k_kernels(energy, s.filters, s.channels, keep, scope, where);
  for (std::size_t i = 0; i < kept.size(); ++i)
    if (!kept[i]) s.id[i] = -1;
  if (out.dim(0) != 0 || out.data() != nullptr) apply_structure(w, s, out);
  return s;
}

/// Statistics of a pruned layer.
struct pattern_stats {
  index_t kernels = 0;               ///< F * C
  index_t kept_kernels = 0;          ///< non-empty kernels
  index_t nnz = 0;                   ///< kept weights
  double density = 0;                ///< nnz / (F * C * kh * kw)
  double kernel_density = 0;         ///< kept_kernels / kernels
  std::vector<index_t> pattern_use;  ///< kernels per library pattern
  index_t empty_filters = 0;         ///< filters with no kept kernel
};

inline pattern_stats stats(const pattern_structure& s) {
  s.check("stats");
  pattern_stats st;
  st.kernels = s.filters * s.channels;
  st.kept_kernels = s.kept_kernels();
  st.nnz = s.nnz();
  st.density = s.density();
  st.kernel_density = st.kernels ? double(st.kept_kernels) / double(st.kernels) : 0.0;
  st.pattern_use.assign(std::size_t(s.library.size()), 0);
  for (index_t f = 0; f < s.filters; ++f) {
    bool any = false;
    for (index_t c = 0; c < s.channels; ++c)
      if (s(f, c) >= 0) ++st.pattern_use[std::size_t(s(f, c))], any = true;
    st.empty_filters += !any;
  }
  return st;
}

/// FLOPs (2 per multiply-add) of a conv with this structure on `shape` (taps falling into the
/// padding counted, as dense_flops() does): 2 * N * nnz * OH * OW.
inline double nz_flops(const pattern_structure& s, const conv2d_shape& shape) {
  return 2.0 * double(shape.batch) * double(s.nnz()) * double(shape.out[0]) * double(shape.out[1]);
}

}  // namespace sparsity
SPK_END_NAMESPACE
