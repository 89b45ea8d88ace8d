// SPDX-License-Identifier: Apache-2.0
// CSR (compressed sparse row): the unstructured control format. One int32 column index per
// kept weight; rows point into the index/value arrays.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spk/core/tensor.hpp"
#include "spk/sparsity/block.hpp"

SPK_BEGIN_NAMESPACE
namespace format {

/// Compressed sparse row matrix: row i keeps columns col_idx[row_ptr[i] .. row_ptr[i+1])
/// (strictly ascending) with the matching values.
class csr {
 public:
  /// Builds from weights and an explicit mask (kept zeros stay kept).
  static csr from_dense(matrix_view<const float> w, const sparsity::mask2d& m) {
    const char* where = "csr::from_dense";
    require(m.rows == w.dim(0) && m.cols == w.dim(1), where, "mask",
            std::to_string(m.rows) + "x" + std::to_string(m.cols),
            std::to_string(w.dim(0)) + "x" + std::to_string(w.dim(1)), errc::shape_mismatch);
    require(w.dim(1) < (index_t(1) << 31), where, "w.cols", w.dim(1), "< 2^31 (int32 indices)",
            errc::overflow);
    std::vector<index_t> ptr{0};
    std::vector<std::int32_t> idx;
    std::vector<float> val;
    for (index_t i = 0; i < w.dim(0); ++i) {
      for (index_t j = 0; j < w.dim(1); ++j)
        if (m(i, j)) idx.push_back(std::int32_t(j)), val.push_back(w(i, j));
      ptr.push_back(index_t(idx.size()));
    }
    return from_parts(w.dim(0), w.dim(1), std::move(ptr), std::move(idx), val);
  }
  /// Assembles from raw arrays (a deserialiser's entry point) and validates.
  static csr from_parts(index_t rows, index_t cols, std::vector<index_t> row_ptr,
                        std::vector<std::int32_t> col_idx, const std::vector<float>& values) {
    csr f;
    f.rows_ = rows, f.cols_ = cols, f.ptr_ = std::move(row_ptr), f.idx_ = std::move(col_idx);
    f.val_ = aligned_buffer<float>(index_t(values.size()));
    std::copy(values.begin(), values.end(), f.val_.data());
    f.validate();
    return f;
  }

  /// Raises bad_format naming the first broken invariant.
  void validate() const {
    const char* where = "csr::validate";
    if (rows_ < 0 || cols_ < 0)
      raise_arg(errc::bad_format, where, "rows", rows_, "rows, cols >= 0");
    if (index_t(ptr_.size()) != rows_ + 1 || ptr_[0] != 0)
      raise_arg(errc::bad_format, where, "row_ptr.size", index_t(ptr_.size()),
                std::to_string(rows_ + 1) + " entries from 0");
    if (ptr_.back() != index_t(idx_.size()) || idx_.size() != std::size_t(val_.size()))
      raise_arg(errc::bad_format, where, "row_ptr.back", ptr_.back(),
                "== col_idx.size == values.size");
    for (index_t i = 0; i < rows_; ++i)
      if (ptr_[i + 1] < ptr_[i])
        raise_arg(errc::bad_format, where, "row_ptr[" + std::to_string(i + 1) + "]", ptr_[i + 1],
                  "non-decreasing");
    for (index_t i = 0; i < rows_; ++i)
      for (index_t k = ptr_[i]; k < ptr_[i + 1]; ++k)
        if (idx_[k] < 0 || idx_[k] >= cols_ || (k > ptr_[i] && idx_[k] <= idx_[k - 1]))
          raise_arg(errc::bad_format, where, "col_idx[" + std::to_string(k) + "]", idx_[k],
                    "strictly ascending in its row and < cols (" + std::to_string(cols_) + ")");
  }

  tensor<float, 2> to_dense() const {
    tensor<float, 2> d({rows_, cols_}, 0.f);
    for (index_t i = 0; i < rows_; ++i)
      for (index_t k = ptr_[i]; k < ptr_[i + 1]; ++k) d.data()[i * cols_ + idx_[k]] = val_[k];
    return d;
  }
  sparsity::mask2d mask() const {
    sparsity::mask2d m(rows_, cols_);
    for (index_t i = 0; i < rows_; ++i)
      for (index_t k = ptr_[i]; k < ptr_[i + 1]; ++k) m.at(i, idx_[k]) = 1;
    return m;
  }
  /// Calls fn(row, col, value) for every kept entry.
  template <class F>
  void for_each(F&& fn) const {
    for (index_t i = 0; i < rows_; ++i)
      for (index_t k = ptr_[i]; k < ptr_[i + 1]; ++k) fn(i, index_t(idx_[k]), val_[k]);
  }
  std::size_t storage_bytes() const {
    return sizeof(float) * std::size_t(val_.size()) + sizeof(std::int32_t) * idx_.size() +
           sizeof(index_t) * ptr_.size();
  }
  index_t nnz() const noexcept { return index_t(idx_.size()); }
  double density() const { return rows_ * cols_ > 0 ? double(nnz()) / double(rows_ * cols_) : 1.0; }
  index_t rows() const noexcept { return rows_; }
  index_t cols() const noexcept { return cols_; }
  const index_t* row_ptr() const noexcept { return ptr_.data(); }
  const std::int32_t* col_idx() const noexcept { return idx_.data(); }
  const float* values() const noexcept { return val_.data(); }

 private:
  csr() = default;
  index_t rows_ = 0, cols_ = 0;
  std::vector<index_t> ptr_;
  std::vector<std::int32_t> idx_;
  aligned_buffer<float> val_;
};

}  // namespace format
SPK_END_NAMESPACE
