// SPDX-License-Identifier: Apache-2.0
// BSR (block sparse row) format: a rows x cols matrix cut into r x c blocks; a strip of r rows
// keeps a list of whole blocks (one int32 block-column index per block, not per weight).
// Values are laid out in the same 16-row panels as BCR, so both share the microkernels.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "spk/format/bcr.hpp"

SPK_BEGIN_NAMESPACE
namespace format {

/// Block sparse row matrix with r x c blocks. Requires cols % c == 0 (kernels read whole
/// blocks of activations); rows need not be a multiple of r (the last strip is zero-padded).
///
/// Layout: strip s keeps blocks blk_idx[blk_ptr[s] .. blk_ptr[s+1]) (block-column indices,
/// strictly ascending). Its values start at blk_ptr[s] * c * P * 16 (P = ceil(r / 16) panels of
/// panel_rows rows); panel p of strip s holds, for each kept block k and column t < c, 16
/// floats: W[s*r + p*16 + lane][blk_idx[k]*c + t] (rows past the strip or the matrix are 0).
class bsr {
 public:
  /// Builds from weights and a mask that is a union of whole r x c blocks (project_bsr's).
  static bsr from_dense(matrix_view<const float> w, const sparsity::mask2d& m, index_t r,
                        index_t c) {
    const char* where = "bsr::from_dense";
    require(m.rows == w.dim(0) && m.cols == w.dim(1), where, "mask",
            std::to_string(m.rows) + "x" + std::to_string(m.cols),
            std::to_string(w.dim(0)) + "x" + std::to_string(w.dim(1)), errc::shape_mismatch);
    require(r >= 1, where, "r", r, ">= 1");
    require(c >= 1 && w.dim(1) % c == 0, where, "c", c,
            ">= 1 and dividing cols (" + std::to_string(w.dim(1)) + ")");
    require(w.dim(1) / c < (index_t(1) << 31), where, "w.cols", w.dim(1), "cols / c < 2^31",
            errc::overflow);
    bsr f;
    f.rows_ = w.dim(0), f.cols_ = w.dim(1), f.r_ = r, f.c_ = c;
    const index_t nstrips = (f.rows_ + r - 1) / r, nbc = f.cols_ / c, np = f.panels();
    f.blk_ptr_.push_back(0);
    std::vector<float> vals;
    for (index_t s = 0; s < nstrips; ++s) {
      const index_t r0 = s * r, r1 = std::min(r0 + r, f.rows_);
      std::vector<std::int32_t> kept;
      for (index_t j = 0; j < nbc; ++j) {
        index_t n = 0;
        for (index_t i = r0; i < r1; ++i)
          for (index_t t = 0; t < c; ++t) n += m(i, j * c + t);
        if (n == 0) continue;
        if (n != (r1 - r0) * c)
          raise_arg(errc::invalid_argument, where, "mask",
                    "block (" + std::to_string(s) + ", " + std::to_string(j) + ") partly kept",
                    "whole r x c blocks");
        kept.push_back(std::int32_t(j));
      }
      for (index_t p = 0; p < np; ++p)
        for (auto j : kept)
          for (index_t t = 0; t < c; ++t)
            for (index_t l = 0; l < panel_rows; ++l) {
              const index_t i = r0 + p * panel_rows + l;
              vals.push_back(i < r1 && p * panel_rows + l < r ? w(i, j * c + t) : 0.f);
            }
      f.blk_idx_.insert(f.blk_idx_.end(), kept.begin(), kept.end());
      f.blk_ptr_.push_back(index_t(f.blk_idx_.size()));
    }
    f.values_ = aligned_buffer<float>(index_t(vals.size()) + 16, 0.f);
    std::copy(vals.begin(), vals.end(), f.values_.data());
    f.validate();
    return f;
  }

  /// Assembles a matrix from raw arrays (a deserialiser's entry point) and validates it.
  /// `values` holds blk_idx.size() * c * panels * 16 floats (the panel layout above); extents
  /// must be < 2^31 so every derived count is overflow-free.
  static bsr from_parts(index_t rows, index_t cols, index_t r, index_t c,
                        std::vector<index_t> blk_ptr, std::vector<std::int32_t> blk_idx,
                        const std::vector<float>& values) {
    const char* where = "bsr::from_parts";
    const index_t lim = index_t(1) << 31;
    require(rows >= 0 && rows < lim, where, "rows", rows, "in [0, 2^31)", errc::bad_format);
    require(cols >= 0 && cols < lim, where, "cols", cols, "in [0, 2^31)", errc::bad_format);
    require(r >= 1 && r < lim, where, "r", r, "in [1, 2^31)", errc::bad_format);
    require(c >= 1 && c < lim, where, "c", c, "in [1, 2^31)", errc::bad_format);
    bsr f;
    f.rows_ = rows, f.cols_ = cols, f.r_ = r, f.c_ = c;
    const index_t want = checked_mul(checked_mul(index_t(blk_idx.size()), c, "bsr values"),
                                     f.panels() * panel_rows, "bsr values");
    require(index_t(values.size()) == want, where, "values.size", values.size(),
            "blk_idx.size() * c * panels * 16 = " + std::to_string(want), errc::bad_format);
    f.blk_ptr_ = std::move(blk_ptr), f.blk_idx_ = std::move(blk_idx);
    f.values_ = aligned_buffer<float>(want + 16, 0.f);  // +16: whole-vector tail reads
    std::copy(values.begin(), values.end(), f.values_.data());
    f.validate();
    return f;
  }

  /// Checks the invariants the kernels rely on; raises bad_format naming the first violation.
  void validate() const {
    const char* where = "bsr::validate";
    if (rows_ < 0 || cols_ < 0 || r_ < 1 || c_ < 1 || cols_ % c_ != 0)
      raise_arg(errc::bad_format, where, "c", c_, "r, c >= 1 and c dividing cols");
    const index_t nstrips = (rows_ + r_ - 1) / r_;
    if (index_t(blk_ptr_.size()) != nstrips + 1 || blk_ptr_[0] != 0 ||
        blk_ptr_.back() != index_t(blk_idx_.size()))
      raise_arg(errc::bad_format, where, "blk_ptr.size", index_t(blk_ptr_.size()),
                std::to_string(nstrips + 1) + " entries from 0 to nnzb");
    for (index_t s = 0; s < nstrips; ++s) {
      if (blk_ptr_[s + 1] < blk_ptr_[s])
        raise_arg(errc::bad_format, where, "blk_ptr[" + std::to_string(s + 1) + "]",
                  blk_ptr_[s + 1], "non-decreasing");
    }
    for (index_t s = 0; s < nstrips; ++s)
      for (index_t k = blk_ptr_[s]; k < blk_ptr_[s + 1]; ++k)
        if (blk_idx_[k] < 0 || blk_idx_[k] >= cols_ / c_ ||
            (k > blk_ptr_[s] && blk_idx_[k] <= blk_idx_[k - 1]))
          raise_arg(errc::bad_format, where, "blk_idx[" + std::to_string(k) + "]", blk_idx_[k],
                    "strictly ascending block columns < " + std::to_string(cols_ / c_));
    if (values_.size() != value_count() + 16)
      raise_arg(errc::bad_format, where, "values.size", values_.size(),
                std::to_string(value_count() + 16));
  }

  tensor<float, 2> to_dense() const {
    tensor<float, 2> d({rows_, cols_}, 0.f);
    for_each([&](index_t i, index_t j, float v) { d.data()[i * cols_ + j] = v; });
    return d;
  }
  sparsity::mask2d mask() const {
    sparsity::mask2d m(rows_, cols_);
    for_each([&](index_t i, index_t j, float) { m.at(i, j) = 1; });
    return m;
  }
  /// Calls fn(row, col, value) for every kept entry.
  template <class F>
  void for_each(F&& fn) const {
    const index_t np = panels();
    for (index_t s = 0; s + 1 < index_t(blk_ptr_.size()); ++s) {
      const index_t nb = blk_ptr_[s + 1] - blk_ptr_[s];
      const float* v = values_.data() + blk_ptr_[s] * c_ * np * panel_rows;
      for (index_t k = 0; k < nb; ++k)
        for (index_t l = 0; l < std::min(r_, rows_ - s * r_); ++l)
          for (index_t t = 0; t < c_; ++t)
            fn(s * r_ + l, index_t(blk_idx_[blk_ptr_[s] + k]) * c_ + t,
               v[(l / panel_rows) * nb * c_ * panel_rows + (k * c_ + t) * panel_rows +
                 l % panel_rows]);
    }
  }
  std::size_t storage_bytes() const {
    return sizeof(float) * std::size_t(value_count()) + sizeof(std::int32_t) * blk_idx_.size() +
           sizeof(index_t) * blk_ptr_.size();
  }
  index_t nnz() const {
    index_t n = 0;
    for (index_t s = 0; s + 1 < index_t(blk_ptr_.size()); ++s)
      n += (blk_ptr_[s + 1] - blk_ptr_[s]) * std::min(r_, rows_ - s * r_) * c_;
    return n;
  }
  double density() const { return rows_ * cols_ > 0 ? double(nnz()) / double(rows_ * cols_) : 1.0; }

  index_t rows() const noexcept { return rows_; }
  index_t cols() const noexcept { return cols_; }
  index_t r() const noexcept { return r_; }
  index_t c() const noexcept { return c_; }
  index_t strips() const noexcept { return index_t(blk_ptr_.size()) - 1; }
  /// 16-row value panels per strip.
  index_t panels() const noexcept { return (r_ + panel_rows - 1) / panel_rows; }
  const index_t* blk_ptr() const noexcept { return blk_ptr_.data(); }
  const std::int32_t* blk_idx() const noexcept { return blk_idx_.data(); }
  const float* values() const noexcept { return values_.data(); }

 private:
  bsr() = default;
  index_t value_count() const {
    return blk_ptr_.empty() ? 0 : blk_ptr_.back() * c_ * panels() * panel_rows;
  }
  index_t rows_ = 0, cols_ = 0, r_ = 1, c_ = 1;
  std::vector<index_t> blk_ptr_;
  std::vector<std::int32_t> blk_idx_;
  aligned_buffer<float> values_;
};

}  // namespace format
SPK_END_NAMESPACE
