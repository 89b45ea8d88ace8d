// SPDX-License-Identifier: Apache-2.0
// BCR (block compressed row-column) format for BLK-REW block-column/block-row pruning and
// RTMobile BSP: a rows x cols matrix cut into strips of bh rows and blocks of bw columns, each
// block keeping a dense (kept rows x kept cols) product. Layout is the SpMM/SpMV kernels' own.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "spk/core/tensor.hpp"
#include "spk/sparsity/block.hpp"

SPK_BEGIN_NAMESPACE
namespace format {

/// Rows per value panel in every block format: one AVX-512 vector, two AVX2, four SSE/NEON
/// vectors, so one arch-independent layout feeds every microkernel with whole vectors.
inline constexpr index_t panel_rows = 16;

/// Block compressed row-column matrix.
///
/// Structure: strip s covers rows [s*bh, min((s+1)*bh, rows)). Consecutive blocks of a strip
/// that keep the same rows are merged into one *segment* (a column-only pruned strip is one
/// segment): kept rows R (global indices, ascending, inside the strip), kept columns C (global,
/// ascending; strictly ascending across the strip's segments) and values for R x C.
///
/// Values layout (what the microkernels stream): a segment's rows are cut into panels of
/// panel_rows kept rows (the last one zero-padded); panel p stores, for each kept column c in
/// order, panel_rows floats: values[seg_val[s] + (p * |C| + c) * 16 + t] = W[R[p*16 + t]][C[c]].
/// The kernel loads one vector per kept column and reuses the activation it gathers for that
/// column across all the panel's rows.
class bcr {
 public:
  /// Builds from weights `w` (only kept entries are read) and a mask that is, inside every
  /// (bh x bw) block, a product (kept rows) x (kept cols) — what project_bcr and project_bsp
  /// produce. Raises invalid_argument naming the first block that is not a product.
  static bcr from_dense(matrix_view<const float> w, const sparsity::mask2d& m, index_t bh,
                        index_t bw) {
    const char* where = "bcr::from_dense";
    require(m.rows == w.dim(0) && m.cols == w.dim(1), where, "mask",
            std::to_string(m.rows) + "x" + std::to_string(m.cols),
            std::to_string(w.dim(0)) + "x" + std::to_string(w.dim(1)), errc::shape_mismatch);
    require(bh >= 1, where, "bh", bh, ">= 1");
    require(bw >= 1, where, "bw", bw, ">= 1");
    require(w.dim(0) < (index_t(1) << 31), where, "w.rows", w.dim(0), "< 2^31 (int32 indices)",
            errc::overflow);
    require(w.dim(1) < (index_t(1) << 31), where, "w.cols", w.dim(1), "< 2^31 (int32 indices)",
            errc::overflow);
    bcr f;
    f.rows_ = w.dim(0), f.cols_ = w.dim(1), f.bh_ = bh, f.bw_ = bw;
    const index_t nstrips = (f.rows_ + bh - 1) / bh, nbc = (f.cols_ + bw - 1) / bw;
    f.strip_seg_.push_back(0);
    f.seg_row_.push_back(0), f.seg_col_.push_back(0), f.seg_val_.push_back(0);
    std::vector<float> vals;
    for (index_t s = 0; s < nstrips; ++s) {
      const index_t r0 = s * bh, r1 = std::min(r0 + bh, f.rows_);
      std::vector<std::int32_t> cur_rows, cur_cols;
      auto flush = [&] {
        if (cur_cols.empty() || cur_rows.empty()) return;
        f.rows_idx_.insert(f.rows_idx_.end(), cur_rows.begin(), cur_rows.end());
        f.cols_idx_.insert(f.cols_idx_.end(), cur_cols.begin(), cur_cols.end());
        const index_t a = index_t(cur_rows.size()), b = index_t(cur_cols.size());
        const index_t np = (a + panel_rows - 1) / panel_rows;
        for (index_t p = 0; p < np; ++p)
          for (index_t c = 0; c < b; ++c)
            for (index_t t = 0; t < panel_rows; ++t) {
              const index_t r = p * panel_rows + t;
              vals.push_back(r < a ? w(cur_rows[r], cur_cols[c]) : 0.f);
            }
        f.seg_row_.push_back(index_t(f.rows_idx_.size()));
        f.seg_col_.push_back(index_t(f.cols_idx_.size()));
        f.seg_val_.push_back(index_t(vals.size()));
      };
      for (index_t j = 0; j < nbc; ++j) {
        const index_t c0 = j * bw, c1 = std::min(c0 + bw, f.cols_);
        std::vector<std::int32_t> br, bc;
        for (index_t r = r0; r < r1; ++r)
          for (index_t c = c0; c < c1; ++c)
            if (m(r, c)) {
              br.push_back(std::int32_t(r));
              break;
            }
        for (index_t c = c0; c < c1; ++c)
          for (index_t r = r0; r < r1; ++r)
            if (m(r, c)) {
              bc.push_back(std::int32_t(c));
              break;
            }
        for (auto r : br)
          for (auto c : bc)
            if (!m(r, c))
              raise_arg(errc::invalid_argument, where, "mask",
                        "block (" + std::to_string(s) + ", " + std::to_string(j) + ") misses (" +
                            std::to_string(r) + ", " + std::to_string(c) + ")",
                        "a kept-rows x kept-cols product inside every bh x bw block");
        if (bc.empty()) continue;  // empty block: nothing to store, keep merging around it
        if (br != cur_rows) flush(), cur_rows = br, cur_cols.clear();
        cur_cols.insert(cur_cols.end(), bc.begin(), bc.end());
      }
      flush();
      f.strip_seg_.push_back(index_t(f.seg_row_.size()) - 1);
    }
    f.values_ = aligned_buffer<float>(index_t(vals.size()) + 16,
                                      0.f);  // +16: a whole-vector tail read stays inside
    std::copy(vals.begin(), vals.end(), f.values_.data());
    f.values_size_ = index_t(vals.size());
    f.validate();
    return f;
  }

  /// Assembles a matrix from raw arrays (a deserialiser's entry point) and validates it.
  static bcr from_parts(index_t rows, index_t cols, index_t bh, index_t bw,
                        std::vector<index_t> strip_seg, std::vector<index_t> seg_row,
                        std::vector<index_t> seg_col, std::vector<index_t> seg_val,
                        std::vector<std::int32_t> row_idx, std::vector<std::int32_t> col_idx,
                        const std::vector<float>& values) {
    bcr f;
    f.rows_ = rows, f.cols_ = cols, f.bh_ = bh, f.bw_ = bw;
    f.strip_seg_ = std::move(strip_seg), f.seg_row_ = std::move(seg_row),
    f.seg_col_ = std::move(seg_col);
    f.seg_val_ = std::move(seg_val), f.rows_idx_ = std::move(row_idx),
    f.cols_idx_ = std::move(col_idx);
    f.values_ = aligned_buffer<float>(index_t(values.size()) + 16, 0.f);
    std::copy(values.begin(), values.end(), f.values_.data());
    f.values_size_ = index_t(values.size());
    f.validate();
    return f;
  }

  /// Checks every invariant the kernels rely on; raises bad_format naming the first violation.
  void validate() const {
    const char* where = "bcr::validate";
    auto bad = [&](const std::string& what, index_t v, const std::string& want) {
      raise_arg(errc::bad_format, where, what, v, want);
    };
    if (rows_ < 0 || cols_ < 0 || bh_ < 1 || bw_ < 1)
      bad("bh", bh_, "rows, cols >= 0 and bh, bw >= 1");
    const index_t nstrips = (rows_ + bh_ - 1) / bh_;
    if (index_t(strip_seg_.size()) != nstrips + 1 || strip_seg_[0] != 0)
      bad("strip_seg.size", index_t(strip_seg_.size()),
          std::to_string(nstrips + 1) + " entries starting at 0");
    const index_t nseg = index_t(seg_row_.size()) - 1;
    if (nseg < 0 || seg_col_.size() != seg_row_.size() || seg_val_.size() != seg_row_.size())
      bad("segments", nseg, "equal-length seg_row/seg_col/seg_val pointer arrays");
    if (strip_seg_.back() != nseg)
      bad("strip_seg.back", strip_seg_.back(), "== segment count " + std::to_string(nseg));
    if (seg_row_.back() != index_t(rows_idx_.size()) ||
        seg_col_.back() != index_t(cols_idx_.size()) || seg_val_.back() != values_size_ ||
        values_.size() < values_size_ + 16)
      bad("pointer ends", seg_val_.back(), "the sizes of the index and value arrays");
    for (index_t s = 0; s < nstrips; ++s)
      if (strip_seg_[s + 1] < strip_seg_[s])
        bad("strip_seg[" + std::to_string(s + 1) + "]", strip_seg_[s + 1], "non-decreasing");
    if (seg_row_[0] != 0 || seg_col_[0] != 0 || seg_val_[0] != 0)
      bad("seg_row[0]", seg_row_[0], "0 (all pointers start at 0)");
    for (index_t g = 0; g < nseg; ++g)
      if (seg_row_[g + 1] <= seg_row_[g] || seg_col_[g + 1] <= seg_col_[g] ||
          seg_val_[g + 1] < seg_val_[g])
        bad("segment " + std::to_string(g) + " pointers", seg_row_[g + 1],
            "strictly increasing row/col pointers");
    for (index_t s = 0; s < nstrips; ++s) {
      const index_t r0 = s * bh_, r1 = std::min(r0 + bh_, rows_);
      index_t last_col = -1;
      for (index_t g = strip_seg_[s]; g < strip_seg_[s + 1]; ++g) {
        const index_t a = seg_row_[g + 1] - seg_row_[g], b = seg_col_[g + 1] - seg_col_[g];
        if (a < 1 || b < 1)
          bad("segment " + std::to_string(g) + " size", a * b, "at least one kept row and column");
        if (seg_val_[g + 1] - seg_val_[g] != (a + panel_rows - 1) / panel_rows * panel_rows * b)
          bad("seg_val[" + std::to_string(g + 1) + "]", seg_val_[g + 1],
              "seg_val[g] + padded rows x cols");
        for (index_t i = seg_row_[g]; i < seg_row_[g + 1]; ++i) {
          const index_t r = rows_idx_[i];
          if (r < r0 || r >= r1 || (i > seg_row_[g] && r <= rows_idx_[i - 1]))
            bad("rows[" + std::to_string(i) + "]", r,
                "ascending rows inside strip [" + std::to_string(r0) + ", " + std::to_string(r1) +
                    ")");
        }
        for (index_t i = seg_col_[g]; i < seg_col_[g + 1]; ++i) {
          const index_t c = cols_idx_[i];
          if (c <= last_col || c >= cols_)
            bad("cols[" + std::to_string(i) + "]", c,
                "strictly ascending across the strip and < cols");
          last_col = c;
        }
        for (index_t p = 0; p < (a + panel_rows - 1) / panel_rows; ++p)
          for (index_t t = a - p * panel_rows; t < panel_rows; ++t)
            for (index_t c = 0; c < b; ++c)
              if (values_[seg_val_[g] + (p * b + c) * panel_rows + t] != 0.f)
                bad("padding value of segment " + std::to_string(g), p, "zero padding rows");
      }
    }
  }

  /// The pruned dense matrix (zeros outside the kept entries).
  tensor<float, 2> to_dense() const {
    tensor<float, 2> d({rows_, cols_}, 0.f);
    for_each([&](index_t r, index_t c, float v) { d.data()[r * cols_ + c] = v; });
    return d;
  }
  /// The kept positions (a kept weight may be zero).
  sparsity::mask2d mask() const {
    sparsity::mask2d m(rows_, cols_);
    for_each([&](index_t r, index_t c, float) { m.at(r, c) = 1; });
    return m;
  }
  /// Calls fn(row, col, value) for every kept entry.
  template <class F>
  void for_each(F&& fn) const {
    for (index_t g = 0; g + 1 < index_t(seg_row_.size()); ++g) {
      const index_t a = seg_row_[g + 1] - seg_row_[g], b = seg_col_[g + 1] - seg_col_[g];
      for (index_t i = 0; i < a; ++i)
        for (index_t c = 0; c < b; ++c)
          fn(index_t(rows_idx_[seg_row_[g] + i]), index_t(cols_idx_[seg_col_[g] + c]),
             values_[seg_val_[g] + ((i / panel_rows) * b + c) * panel_rows + i % panel_rows]);
    }
  }

  /// Bytes of values (padding included) + int32 indices + segment/strip pointers.
  std::size_t storage_bytes() const {
    return sizeof(float) * std::size_t(values_size_) +
           sizeof(std::int32_t) * (rows_idx_.size() + cols_idx_.size()) +
           sizeof(index_t) * (strip_seg_.size() + 3 * seg_row_.size());
  }
  /// Kept entries (padding excluded).
  index_t nnz() const {
    index_t n = 0;
    for (index_t g = 0; g + 1 < index_t(seg_row_.size()); ++g)
      n += (seg_row_[g + 1] - seg_row_[g]) * (seg_col_[g + 1] - seg_col_[g]);
    return n;
  }
  double density() const { return rows_ * cols_ > 0 ? double(nnz()) / double(rows_ * cols_) : 1.0; }

  index_t rows() const noexcept { return rows_; }
  index_t cols() const noexcept { return cols_; }
  index_t bh() const noexcept { return bh_; }
  index_t bw() const noexcept { return bw_; }
  index_t strips() const noexcept { return index_t(strip_seg_.size()) - 1; }
  // Raw arrays for the kernels (see the class comment for their meaning).
  const index_t* strip_seg() const noexcept { return strip_seg_.data(); }
  const index_t* seg_row() const noexcept { return seg_row_.data(); }
  const index_t* seg_col() const noexcept { return seg_col_.data(); }
  const index_t* seg_val() const noexcept { return seg_val_.data(); }
  const std::int32_t* row_idx() const noexcept { return rows_idx_.data(); }
  const std::int32_t* col_idx() const noexcept { return cols_idx_.data(); }
  const float* values() const noexcept { return values_.data(); }
  /// True when segment g keeps every row of its strip (no scatter needed).
  bool segment_full(index_t g, index_t strip) const noexcept {
    return seg_row_[g + 1] - seg_row_[g] == std::min(bh_, rows_ - strip * bh_);
  }

 private:
  bcr() = default;
  index_t rows_ = 0, cols_ = 0, bh_ = 1, bw_ = 1, values_size_ = 0;
  std::vector<index_t> strip_seg_, seg_row_, seg_col_, seg_val_;
  std::vector<std::int32_t> rows_idx_, cols_idx_;
  aligned_buffer<float> values_;
};

}  // namespace format
SPK_END_NAMESPACE
