// SPDX-License-Identifier: Apache-2.0
// FKW (filter-kernel-weight, PatDNN): the compressed layout of a pattern + connectivity pruned
// conv layer, with filter reordering and kernel reordering; build from pruned dense weights and
// the pattern structure, validate(), to_dense(), storage_bytes() beside CSR's.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "spk/core/conv_shape.hpp"
#include "spk/sparsity/pattern.hpp"

SPK_BEGIN_NAMESPACE
namespace format {

/// Build switches (each one is an optimisation the ablation benchmark turns off).
struct fkw_options {
  /// Store filters sorted by kept-kernel count (descending), then by pattern mix, so filters of
  /// equal work and similar code paths are adjacent (thread balance, branch prediction).
  bool filter_reorder = true;
  /// Store each filter's kernels grouped by pattern (then by channel): one run per pattern and
  /// the `stride` array; off: channel order and a per-kernel pattern id (one run per change).
  bool kernel_reorder = true;
};

/// FKW arrays. Stored filter i is original filter reorder[i]; it owns kernel slots
/// [offset[i], offset[i+1]). Slot k reads input channel index[k] with library pattern
///   kernel_sorted:  p such that k - offset[i] in [stride[i*(P+1)+p], stride[i*(P+1)+p+1])
///   otherwise:      kernel_pattern[k]
/// and its nnz values are weight[k*nnz .. (k+1)*nnz) in ascending position (r*kw+s) order of
/// that pattern. Kept positions come from the patterns, never from values (a kept weight may
/// be exactly 0). An fkw object that exists has passed validate().
class fkw {
 public:
  using i32 = std::int32_t;

  /// Assembles and validates raw arrays (deserialisation, tests). Raises bad_format naming the
  /// first broken invariant.
  fkw(index_t filters, index_t channels, sparsity::pattern_library library, bool kernel_sorted,
      std::vector<i32> reorder, std::vector<i32> offset, std::vector<i32> index,
      std::vector<i32> stride, std::vector<std::uint8_t> kernel_pattern, std::vector<float> weight)
      : f_(filters),
        c_(channels),
        lib_(std::move(library)),
        sorted_(kernel_sorted),
        reorder_(std::move(reorder)),
        offset_(std::move(offset)),
        index_(std::move(index)),
        stride_(std::move(stride)),
        kpat_(std::move(kernel_pattern)),
        weight_(std::move(weight)) {
    validate();
  }

  /// Builds from pruned dense weights (F x C x kh x kw, any strides) and their structure.
  /// Raises shape_mismatch when the dims disagree, invalid_argument naming kernel (f, c) and the
  /// position when a weight outside the kernel's pattern (or in an empty kernel) is non-zero.
  static fkw build(tensor_view<const float, 4> w, const sparsity::pattern_structure& s,
                   const fkw_options& opt = {}) {
    const char* where = "fkw::build";
    s.check(where);
    check_dims(w, s.filters, s.channels, s.library, where);
    const index_t F = s.filters, C = s.channels, P = s.library.size(), nnz = s.library.nnz();
    const index_t kw = s.library.kw(), kv = s.library.kh() * kw;
    for (index_t f = 0; f < F; ++f)
      for (index_t c = 0; c < C; ++c) {
        const sparsity::pattern_bits b = s(f, c) < 0 ? 0 : s.library[s(f, c)];
        for (index_t p = 0; p < kv; ++p)
          if (!(b >> p & 1u) && w(f, c, p / kw, p % kw) != 0.f)
            raise_arg(errc::invalid_argument, where,
                      "weights[" + std::to_string(f) + "][" + std::to_string(c) + "][" +
                          std::to_string(p / kw) + "][" + std::to_string(p % kw) + "]",
                      w(f, c, p / kw, p % kw),
                      "0 (the position is outside the kernel's pattern" +
                          std::string(s(f, c) < 0 ? ", an empty kernel)" : ")"));
      }
    require(
        s.kept_kernels() <= index_t(std::numeric_limits<i32>::max()) / std::max<index_t>(nnz, 1),
        where, "kept kernels", s.kept_kernels(), "a weight count that fits int32", errc::overflow);

    // Filter order: identity, or by descending length, then pattern mix, then index.
    std::vector<i32> reorder(static_cast<std::size_t>(F));
    std::iota(reorder.begin(), reorder.end(), 0);
    if (opt.filter_reorder) {
      std::vector<std::vector<index_t>> mix(static_cast<std::size_t>(F),
                                            std::vector<index_t>(static_cast<std::size_t>(P + 1)));
      for (index_t f = 0; f < F; ++f)
        for (index_t c = 0; c < C; ++c)
          if (s(f, c) >= 0) ++mix[f][0], ++mix[f][std::size_t(s(f, c) + 1)];
      std::stable_sort(reorder.begin(), reorder.end(),
                       [&](i32 a, i32 b) { return mix[a] > mix[b]; });
    }
    std::vector<i32> offset{0}, index, stride;
    std::vector<std::uint8_t> kpat;
    std::vector<float> weight;
    for (i32 f : reorder) {
      std::vector<i32> ks;  // channels of the filter's kept kernels, in storage order
      for (index_t c = 0; c < C; ++c)
        if (s(f, c) >= 0) ks.push_back(i32(c));
      if (opt.kernel_reorder) {
        std::stable_sort(ks.begin(), ks.end(), [&](i32 a, i32 b) { return s(f, a) < s(f, b); });
        std::vector<i32> st(static_cast<std::size_t>(P + 1), 0);
        for (i32 c : ks) ++st[std::size_t(s(f, c) + 1)];
        for (index_t p = 0; p < P; ++p) st[std::size_t(p + 1)] += st[std::size_t(p)];
        stride.insert(stride.end(), st.begin(), st.end());
      }
      for (i32 c : ks) {
        index.push_back(c);
        if (!opt.kernel_reorder) kpat.push_back(std::uint8_t(s(f, c)));
        for (index_t p : sparsity::pattern_positions(s.library[s(f, c)]))
          weight.push_back(w(f, c, p / kw, p % kw));
      }
      offset.push_back(i32(index.size()));
    }
    return fkw(F, C, s.library, opt.kernel_reorder, std::move(reorder), std::move(offset),
               std::move(index), std::move(stride), std::move(kpat), std::move(weight));
  }

  /// Builds from pruned weights and a library alone: each kernel gets the first library pattern
  /// containing its non-zeros; all-zero kernels are dropped (to_dense is the same either way).
  /// Raises invalid_argument naming a kernel whose non-zeros fit no library pattern.
  static fkw build(tensor_view<const float, 4> w, const sparsity::pattern_library& lib,
                   const fkw_options& opt = {}) {
    const char* where = "fkw::build";
    check_dims(w, w.dim(0), w.dim(1), lib, where);
    sparsity::pattern_structure s{w.dim(0), w.dim(1), lib, {}};
    const index_t kw = lib.kw(), kv = lib.kh() * kw;
    for (index_t f = 0; f < s.filters; ++f)
      for (index_t c = 0; c < s.channels; ++c) {
        sparsity::pattern_bits sup = 0;
        for (index_t p = 0; p < kv; ++p)
          if (w(f, c, p / kw, p % kw) != 0.f) sup |= sparsity::pattern_bits{1} << p;
        index_t id = -1;
        for (index_t p = 0; p < lib.size() && sup && id < 0; ++p)
          if ((sup & ~lib[p]) == 0) id = p;
        if (sup && id < 0)
          raise_arg(errc::invalid_argument, where,
                    "weights[" + std::to_string(f) + "][" + std::to_string(c) + "]",
                    "support bits " + std::to_string(sup), "non-zeros inside some library pattern");
        s.id.push_back(std::int16_t(id));
      }
    return build(w, s, opt);
  }

  /// Checks every invariant; raises bad_format naming the array, the entry and the rule.
  void validate() const {
    const char* where = "fkw::validate";
    const auto bad = [&](const std::string& what, auto value, const std::string& expected) {
      raise_arg(errc::bad_format, where, what, value, expected);
    };
    if (f_ < 0 || c_ < 0 || f_ > std::numeric_limits<i32>::max() ||
        c_ > std::numeric_limits<i32>::max())
      bad("filters/channels", std::to_string(f_) + "/" + std::to_string(c_), "0..2^31-1");
    if (lib_.size() == 0) bad("library", "empty", "a non-empty pattern library");
    const index_t P = lib_.size(), nk = index_t(index_.size());
    if (index_t(reorder_.size()) != f_)
      bad("reorder.size()", reorder_.size(), "filters (" + std::to_string(f_) + ")");
    // Scratch is sized by the arrays, never by `channels` alone: a deserialised header cannot
    // make validate() allocate more than the file holds.
    std::vector<char> seen(static_cast<std::size_t>(f_), 0);
    for (index_t i = 0; i < f_; ++i) {
      const i32 r = reorder_[std::size_t(i)];
      if (r < 0 || r >= f_ || seen[std::size_t(r)])
        bad("reorder[" + std::to_string(i) + "]", r, "a permutation of 0..filters-1");
      seen[std::size_t(r)] = 1;
    }
    if (index_t(offset_.size()) != f_ + 1) bad("offset.size()", offset_.size(), "filters + 1");
    if (offset_[0] != 0) bad("offset[0]", offset_[0], "0");
    for (index_t i = 0; i < f_; ++i)
      if (offset_[std::size_t(i + 1)] < offset_[std::size_t(i)])
        bad("offset[" + std::to_string(i + 1) + "]", offset_[std::size_t(i + 1)],
            ">= offset[" + std::to_string(i) + "] (non-decreasing)");
    if (offset_[std::size_t(f_)] != nk)
      bad("offset[filters]", offset_[std::size_t(f_)], "index.size() (" + std::to_string(nk) + ")");
    if (index_t(weight_.size()) != nk * lib_.nnz())
      bad("weight.size()", weight_.size(),
          "index.size() * nnz (" + std::to_string(nk * lib_.nnz()) + ")");
    if (sorted_) {
      if (!kpat_.empty()) bad("kernel_pattern.size()", kpat_.size(), "0 for a kernel-sorted fkw");
      if (index_t(stride_.size()) != f_ * (P + 1))
        bad("stride.size()", stride_.size(), "filters * (P + 1)");
    } else {
      if (!stride_.empty())
        bad("stride.size()", stride_.size(), "0 for an fkw without kernel reorder");
      if (index_t(kpat_.size()) != nk) bad("kernel_pattern.size()", kpat_.size(), "index.size()");
    }
    std::vector<i32> chans;  // one filter's channels, sorted to find a repeated one
    for (index_t i = 0; i < f_; ++i) {
      const i32 b = offset_[std::size_t(i)], e = offset_[std::size_t(i + 1)];
      for (i32 k = b; k < e; ++k) {
        const i32 c = index_[std::size_t(k)];
        if (c < 0 || c >= c_)
          bad("index[" + std::to_string(k) + "]", c, "a channel < " + std::to_string(c_));
        if (!sorted_ && kpat_[std::size_t(k)] >= P)
          bad("kernel_pattern[" + std::to_string(k) + "]", int(kpat_[std::size_t(k)]),
              "< P (" + std::to_string(P) + ")");
      }
      chans.assign(index_.begin() + b, index_.begin() + e);
      std::sort(chans.begin(), chans.end());
      const auto dup = std::adjacent_find(chans.begin(), chans.end());
      if (dup != chans.end())
        bad("index[" + std::to_string(b) + ".." + std::to_string(e) + ")", *dup,
            "channels not used twice by stored filter " + std::to_string(i));
      if (sorted_) {
        const i32* st = stride_.data() + i * (P + 1);
        if (st[0] != 0) bad("stride[" + std::to_string(i * (P + 1)) + "]", st[0], "0");
        for (index_t p = 0; p < P; ++p)
          if (st[p + 1] < st[p])
            bad("stride[" + std::to_string(i * (P + 1) + p + 1) + "]", st[p + 1],
                "non-decreasing within a filter");
        if (st[P] != e - b)
          bad("stride[" + std::to_string(i * (P + 1) + P) + "]", st[P],
              "the filter's kernel count (" + std::to_string(e - b) + ")");
      }
    }
  }

  index_t filters() const noexcept { return f_; }
  index_t channels() const noexcept { return c_; }
  index_t kh() const noexcept { return lib_.kh(); }
  index_t kw() const noexcept { return lib_.kw(); }
  const sparsity::pattern_library& library() const noexcept { return lib_; }
  bool kernel_sorted() const noexcept { return sorted_; }
  index_t kernels() const noexcept { return index_t(index_.size()); }
  index_t nnz() const noexcept { return index_t(weight_.size()); }
  double density() const noexcept {
    const double d = double(f_) * double(c_) * double(kh() * kw());
    return d > 0 ? double(nnz()) / d : 0.0;
  }
  const std::vector<i32>& reorder() const noexcept { return reorder_; }
  const std::vector<i32>& offset() const noexcept { return offset_; }
  const std::vector<i32>& index() const noexcept { return index_; }
  const std::vector<i32>& stride() const noexcept { return stride_; }
  const std::vector<std::uint8_t>& kernel_pattern() const noexcept { return kpat_; }
  const std::vector<float>& weight() const noexcept { return weight_; }

  /// Calls fn(pattern id, first slot, end slot) for each run of equal-pattern kernels of stored
  /// filter i, in storage order: at most P runs when kernel-sorted.
  template <class Fn>
  void for_each_run(index_t i, Fn&& fn) const {
    const index_t b = offset_[std::size_t(i)], e = offset_[std::size_t(i + 1)];
    if (sorted_) {
      const i32* st = stride_.data() + i * (lib_.size() + 1);
      for (index_t p = 0; p < lib_.size(); ++p)
        if (st[p + 1] > st[p]) fn(p, b + st[p], b + st[p + 1]);
      return;
    }
    for (index_t k = b; k < e;) {
      index_t k2 = k + 1;
      while (k2 < e && kpat_[std::size_t(k2)] == kpat_[std::size_t(k)]) ++k2;
      fn(index_t(kpat_[std::size_t(k)]), k, k2);
      k = k2;
    }
  }

  /// Writes the dense F x C x kh x kw weights (zeros outside the kept kernels) into `out`.
  void to_dense(tensor_view<float, 4> out) const {
    require_dims(out, {f_, c_, kh(), kw()}, "fkw::to_dense", "out");
    for (index_t f = 0; f < f_; ++f)
      for (index_t c = 0; c < c_; ++c)
        for (index_t r = 0; r < kh(); ++r)
          for (index_t s = 0; s < kw(); ++s) out(f, c, r, s) = 0.f;
    const index_t nz = lib_.nnz();
    for (index_t i = 0; i < f_; ++i)
      for_each_run(i, [&](index_t p, index_t b, index_t e) {
        const auto pos = sparsity::pattern_positions(lib_[p]);
        for (index_t k = b; k < e; ++k)
          for (index_t j = 0; j < nz; ++j)
            out(reorder_[std::size_t(i)], index_[std::size_t(k)], pos[std::size_t(j)] / kw(),
                pos[std::size_t(j)] % kw()) = weight_[std::size_t(k * nz + j)];
      });
  }
  tensor<float, 4> to_dense() const {
    tensor<float, 4> t({f_, c_, kh(), kw()});
    to_dense(t.view());
    return t;
  }

  /// Bytes of the arrays as stored (int32 reorder/offset/index/stride, a byte per kernel
  /// pattern id when not kernel-sorted, fp32 weights, 8 bytes per library pattern).
  std::size_t storage_bytes() const noexcept {
    return 4 * (reorder_.size() + offset_.size() + index_.size() + stride_.size() +
                weight_.size()) +
           kpat_.size() + 8 * std::size_t(lib_.size());
  }
  /// Bytes CSR would need for the same kept weights in the GEMM view (F rows x C*kh*kw
  /// columns): fp32 values + int32 column indices + int32 row offsets.
  std::size_t csr_storage_bytes() const noexcept {
    return 4 * (2 * weight_.size() + std::size_t(f_) + 1);
  }

 private:
  static void check_dims(const tensor_view<const float, 4>& w, index_t F, index_t C,
                         const sparsity::pattern_library& lib, const char* where) {
    require(lib.size() > 0, where, "library", "empty", "a non-empty pattern library");
    require_dims(w, {F, C, lib.kh(), lib.kw()}, where, "weights");
    require(w.empty() || w.data() != nullptr, where, "weights", "nullptr", "a non-null pointer");
  }

  index_t f_ = 0, c_ = 0;
  sparsity::pattern_library lib_;
  bool sorted_ = true;
  std::vector<i32> reorder_, offset_, index_, stride_;
  std::vector<std::uint8_t> kpat_;
  std::vector<float> weight_;
};

}  // namespace format
SPK_END_NAMESPACE
