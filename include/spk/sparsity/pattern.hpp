// SPDX-License-Identifier: Apache-2.0
// Pattern sparsity (PatDNN, YOLObile): kernel patterns for any kh x kw and non-zero count,
// pattern libraries (candidate enumeration, natural-pattern histogram, top-P extraction,
// progressive distillation) and the exact per-kernel pattern projection (the ADMM Z-step).
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "spk/core/conv_shape.hpp"

SPK_BEGIN_NAMESPACE
namespace sparsity {

/// A pattern is a bit set over the kh*kw positions of a kernel: bit (r * kw + s) set means
/// position (r, s) is kept. kh * kw <= 64.
using pattern_bits = std::uint64_t;

inline index_t pattern_nnz(pattern_bits b) noexcept { return __builtin_popcountll(b); }

/// Kept linear positions (r * kw + s) of `b`, ascending. This order is the order of a kernel's
/// values in every packed format (FKW's weight array).
inline std::vector<index_t> pattern_positions(pattern_bits b) {
  std::vector<index_t> v;
  for (index_t i = 0; i < 64; ++i)
    if (b >> i & 1u) v.push_back(i);
  return v;
}

namespace detail {
inline void check_kernel_dims(index_t kh, index_t kw, const char* where) {
  require(kh >= 1, where, "kh", kh, ">= 1");
  require(kw >= 1, where, "kw", kw, ">= 1");
  require(kh * kw <= 64, where, "kh*kw", kh * kw, "<= 64 (a pattern is a 64-bit set)");
}
/// Energy (sum of squares, in double) of the positions of `b` in kernel (f, c) of `w`.
inline double kept_energy(const tensor_view<const float, 4>& w, index_t f, index_t c,
                          pattern_bits b) {
  const index_t kw = w.dim(3);
  double e = 0;
  for (; b; b &= b - 1) {
    const index_t p = __builtin_ctzll(b);
    const double x = w(f, c, p / kw, p % kw);
    e += x * x;
  }
  return e;
}
}  // namespace detail

/// An ordered set of distinct patterns of one kernel size and one non-zero count. Pattern ids
/// are indices into the set (< 256, so formats store them in a byte).
class pattern_library {
 public:
  pattern_library() = default;
  /// Validates: kh, kw >= 1, kh*kw <= 64, 1..255 patterns, each non-empty, inside the kernel,
  /// all with the same non-zero count, no duplicates. Raises invalid_argument naming the pattern.
  pattern_library(index_t kh, index_t kw, std::vector<pattern_bits> patterns)
      : kh_(kh), kw_(kw), p_(std::move(patterns)) {
    const char* where = "pattern_library";
    detail::check_kernel_dims(kh, kw, where);
    require(!p_.empty() && p_.size() <= 255, where, "patterns.size()", p_.size(), "1..255");
    const pattern_bits all = kh * kw == 64 ? ~pattern_bits{0} : (pattern_bits{1} << (kh * kw)) - 1;
    for (std::size_t i = 0; i < p_.size(); ++i) {
      const std::string arg = "patterns[" + std::to_string(i) + "]";
      require(p_[i] != 0, where, arg, p_[i], "a non-empty pattern");
      require((p_[i] & ~all) == 0, where, arg, p_[i],
              "positions inside the " + std::to_string(kh) + "x" + std::to_string(kw) + " kernel");
      require(pattern_nnz(p_[i]) == pattern_nnz(p_[0]), where, arg, pattern_nnz(p_[i]),
              "the non-zero count of patterns[0] (" + std::to_string(pattern_nnz(p_[0])) + ")");
      for (std::size_t j = 0; j < i; ++j)
        require(p_[j] != p_[i], where, arg, p_[i],
                "distinct from patterns[" + std::to_string(j) + "]");
    }
  }
  index_t kh() const noexcept { return kh_; }
  index_t kw() const noexcept { return kw_; }
  index_t size() const noexcept { return index_t(p_.size()); }
  /// Non-zeros per pattern (the same for every pattern of the library).
  index_t nnz() const noexcept { return p_.empty() ? 0 : pattern_nnz(p_[0]); }
  pattern_bits operator[](index_t id) const noexcept { return p_[std::size_t(id)]; }
  const std::vector<pattern_bits>& patterns() const noexcept { return p_; }
  /// Id of `b` in the library, or -1.
  index_t find(pattern_bits b) const noexcept {
    for (std::size_t i = 0; i < p_.size(); ++i)
      if (p_[i] == b) return index_t(i);
    return -1;
  }
  bool operator==(const pattern_library& o) const {
    return kh_ == o.kh_ && kw_ == o.kw_ && p_ == o.p_;
  }

 private:
  index_t kh_ = 0, kw_ = 0;
  std::vector<pattern_bits> p_;
};

/// Every kh x kw pattern with `nnz` kept positions, in ascending bit order; with_centre keeps
/// only those containing the centre (kh/2, kw/2). PatDNN's set: (3, 3, 4, true) = C(8,3) = 56.
/// Raises invalid_argument when the count would exceed 1e6 (enumeration is combinatorial).
inline std::vector<pattern_bits> enumerate_patterns(index_t kh, index_t kw, index_t nnz,
                                                    bool with_centre = true) {
  const char* where = "enumerate_patterns";
  detail::check_kernel_dims(kh, kw, where);
  const index_t n = kh * kw;
  require(nnz >= 1 && nnz <= n, where, "nnz", nnz, "1..kh*kw (" + std::to_string(n) + ")");
  const index_t centre = (kh / 2) * kw + kw / 2;
  // C(n', k') with the centre fixed or not, capped to detect explosions.
  const index_t free_n = with_centre ? n - 1 : n, free_k = with_centre ? nnz - 1 : nnz;
  double count = 1;
  for (index_t i = 0; i < free_k; ++i) count = count * double(free_n - i) / double(i + 1);
  require(count <= 1e6, where, "nnz", nnz,
          "a pattern count <= 1e6 (got " + std::to_string(count) + ")");
  std::vector<pattern_bits> out;
  // Walk k-subsets of [0, n) as index vectors in lexicographic order.
  std::vector<index_t> idx(static_cast<std::size_t>(nnz));
  std::iota(idx.begin(), idx.end(), 0);
  while (true) {
    pattern_bits b = 0;
    for (index_t i : idx) b |= pattern_bits{1} << i;
    if (!with_centre || (b >> centre & 1u)) out.push_back(b);
    index_t i = nnz - 1;
    while (i >= 0 && idx[std::size_t(i)] == n - nnz + i) --i;
    if (i < 0) break;
    ++idx[std::size_t(i)];
    for (index_t j = i + 1; j < nnz; ++j) idx[std::size_t(j)] = idx[std::size_t(j - 1)] + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// The library of all enumerate_patterns(...) candidates (must be <= 255 of them).
inline pattern_library candidate_library(index_t kh = 3, index_t kw = 3, index_t nnz = 4,
                                         bool with_centre = true) {
  return pattern_library(kh, kw, enumerate_patterns(kh, kw, nnz, with_centre));
}

namespace detail {
inline void check_weights(const tensor_view<const float, 4>& w, const pattern_library& lib,
                          const char* where) {
  require(lib.size() > 0, where, "library", "empty", "a non-empty pattern library");
  if (w.dim(2) != lib.kh() || w.dim(3) != lib.kw())
    raise_arg(errc::shape_mismatch, where, "weights",
              std::to_string(w.dim(2)) + "x" + std::to_string(w.dim(3)) + " kernels",
              "the library's " + std::to_string(lib.kh()) + "x" + std::to_string(lib.kw()));
  require(w.empty() || w.data() != nullptr, where, "weights", "nullptr", "a non-null pointer");
}
}  // namespace detail

/// Id of the library pattern keeping the most energy of kernel (f, c) — the exact Euclidean
/// projection of one kernel onto "support is a library pattern" (||w - w.m||^2 = ||w||^2 -
/// kept). Ties go to the lowest id. Also returns the kept energy through `energy`.
inline index_t best_pattern(const tensor_view<const float, 4>& w, index_t f, index_t c,
                            const pattern_library& lib, double* energy = nullptr) {
  index_t best = 0;
  double be = -1;
  for (index_t p = 0; p < lib.size(); ++p) {
    const double e = detail::kept_energy(w, f, c, lib[p]);
    if (e > be) be = e, best = p;
  }
  if (energy) *energy = be;
  return best;
}

/// Natural-pattern histogram: for each library (or candidate) pattern, how many kernels of `w`
/// (F x C x kh x kw) it fits best. All-zero kernels (e.g. removed by connectivity) are skipped.
inline std::vector<index_t> pattern_histogram(tensor_view<const float, 4> w,
                                              const pattern_library& candidates) {
  detail::check_weights(w, candidates, "pattern_histogram");
  std::vector<index_t> h(std::size_t(candidates.size()), 0);
  for (index_t f = 0; f < w.dim(0); ++f)
    for (index_t c = 0; c < w.dim(1); ++c) {
      double e = 0;
      const index_t p = best_pattern(w, f, c, candidates, &e);
      if (e > 0) ++h[std::size_t(p)];
    }
  return h;
}

/// Top-P library extraction (PatDNN): the P candidates with the largest histogram counts over
/// `w`; ties go to the lower candidate id; the result keeps candidate order. P in 1..size.
inline pattern_library extract_library(tensor_view<const float, 4> w,
                                       const pattern_library& candidates, index_t P = 8) {
  require(P >= 1 && P <= candidates.size(), "extract_library", "P", P,
          "1..candidates.size() (" + std::to_string(candidates.size()) + ")");
  const std::vector<index_t> h = pattern_histogram(w, candidates);
  std::vector<index_t> order(h.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](index_t a, index_t b) { return h[std::size_t(a)] > h[std::size_t(b)]; });
  order.resize(std::size_t(P));
  std::sort(order.begin(), order.end());
  std::vector<pattern_bits> out;
  for (index_t i : order) out.push_back(candidates[i]);
  return pattern_library(candidates.kh(), candidates.kw(), std::move(out));
}

/// Progressive distillation (pattern-aware pruning): repeatedly re-project every kernel onto
/// the current library and drop the `drop_per_round` least-used patterns (ties: the higher id
/// goes first) until `target` remain. Usage shifts after each drop, so this differs from a
/// one-shot top-P cut.
inline pattern_library distill_library(tensor_view<const float, 4> w, pattern_library lib,
                                       index_t target, index_t drop_per_round = 1) {
  require(target >= 1 && target <= lib.size(), "distill_library", "target", target,
          "1..library size (" + std::to_string(lib.size()) + ")");
  require(drop_per_round >= 1, "distill_library", "drop_per_round", drop_per_round, ">= 1");
  while (lib.size() > target) {
    const std::vector<index_t> h = pattern_histogram(w, lib);
    std::vector<index_t> order(h.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](index_t a, index_t b) { return h[std::size_t(a)] > h[std::size_t(b)]; });
    order.resize(std::size_t(std::max(target, lib.size() - drop_per_round)));
    std::sort(order.begin(), order.end());
    std::vector<pattern_bits> keep;
    for (index_t i : order) keep.push_back(lib[i]);
    lib = pattern_library(lib.kh(), lib.kw(), std::move(keep));
  }
  return lib;
}

/// The structure of a pattern(+connectivity)-pruned layer: per kernel (f, c) a library pattern
/// id, or -1 for an empty (removed) kernel. Kept positions come from here, never from values:
/// a kept weight may be exactly zero.
struct pattern_structure {
  index_t filters = 0, channels = 0;
  pattern_library library;
  std::vector<std::int16_t> id;  ///< filters * channels ids, row-major [f][c]; -1 = empty

  std::int16_t operator()(index_t f, index_t c) const noexcept {
    return id[std::size_t(f * channels + c)];
  }
  index_t kept_kernels() const noexcept {
    return index_t(std::count_if(id.begin(), id.end(), [](std::int16_t x) { return x >= 0; }));
  }
  /// Kept weights: kept kernels x library non-zeros.
  index_t nnz() const noexcept { return kept_kernels() * library.nnz(); }
  /// Kept weights / dense weights.
  double density() const noexcept {
    const double dense = double(filters) * double(channels) * double(library.kh() * library.kw());
    return dense > 0 ? double(nnz()) / dense : 0.0;
  }
  /// Throws invalid_argument unless ids match the sizes and lie in [-1, library.size()).
  void check(const char* where) const {
    require(filters >= 0 && channels >= 0, where, "structure.filters", filters, ">= 0");
    require(index_t(id.size()) == filters * channels, where, "structure.id.size()", id.size(),
            "filters * channels (" + std::to_string(filters * channels) + ")");
    for (std::size_t i = 0; i < id.size(); ++i)
      require(id[i] >= -1 && id[i] < library.size(), where,
              "structure.id[" + std::to_string(i) + "]", id[i],
              "-1 (empty) or a library id < " + std::to_string(library.size()), errc::out_of_range);
  }
};

/// out = w with every position outside (f, c)'s pattern zeroed (all of an empty kernel).
/// `out` may be `w` itself (same view) for an in-place projection.
inline void apply_structure(tensor_view<const float, 4> w, const pattern_structure& s,
                            tensor_view<float, 4> out) {
  const char* where = "apply_structure";
  s.check(where);
  require_dims(out, w.dims(), where, "out");
  if (w.dim(0) != s.filters || w.dim(1) != s.channels || w.dim(2) != s.library.kh() ||
      w.dim(3) != s.library.kw())
    raise_arg(errc::shape_mismatch, where, "weights",
              std::to_string(w.dim(0)) + "x" + std::to_string(w.dim(1)),
              "the structure's filters x channels and kernel size");
  const index_t kw = w.dim(3);
  for (index_t f = 0; f < s.filters; ++f)
    for (index_t c = 0; c < s.channels; ++c) {
      const index_t id = s(f, c);
      const pattern_bits b = id < 0 ? 0 : s.library[id];
      for (index_t p = 0; p < w.dim(2) * kw; ++p)
        out(f, c, p / kw, p % kw) = (b >> p & 1u) ? w(f, c, p / kw, p % kw) : 0.f;
    }
}

/// Exact Euclidean projection onto "every kernel's support is a library pattern" (the ADMM
/// Z-step of pattern pruning): each kernel gets its best_pattern. Writes the projected weights
/// to `out` when it is non-empty (it may alias `w`), returns the structure (no empty kernels).
inline pattern_structure project_pattern(tensor_view<const float, 4> w, const pattern_library& lib,
                                         tensor_view<float, 4> out = {}) {
  detail::check_weights(w, lib, "project_pattern");
  pattern_structure s{w.dim(0), w.dim(1), lib, {}};
  s.id.resize(std::size_t(s.filters * s.channels));
  for (index_t f = 0; f < s.filters; ++f)
    for (index_t c = 0; c < s.channels; ++c)
      s.id[std::size_t(f * s.channels + c)] = std::int16_t(best_pattern(w, f, c, lib));
  if (out.dim(0) != 0 || out.data() != nullptr) apply_structure(w, s, out);
  return s;
}

}  // namespace sparsity
SPK_END_NAMESPACE
