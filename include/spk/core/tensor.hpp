// SPDX-License-Identifier: Apache-2.0
// Non-owning strided tensor views (NCHW, NCDHW, row-major matrices) and a small owning tensor.
// Extents and strides are in elements. Construction checks: extents >= 0, strides >= 0, a
// non-null pointer for a non-empty view, overflow-free extents, and — when the caller passes
// the capacity of the underlying array — that the furthest element lies inside it.
#pragma once

#include <array>
#include <string>
#include <type_traits>

#include "spk/core/buffer.hpp"

SPK_BEGIN_NAMESPACE

template <class T, int Rank>
class tensor_view {
  static_assert(Rank >= 1, "tensor_view needs at least one dimension");

 public:
  using value_type = std::remove_const_t<T>;
  using extents_type = std::array<index_t, Rank>;

  tensor_view() noexcept { dims_.fill(0), strides_.fill(0); }

  /// View `data` with the given extents and strides. `capacity` (elements reachable from
  /// `data`) is checked when >= 0; pass -1 when the caller vouches for the extent.
  tensor_view(T* data, const extents_type& dims, const extents_type& strides, index_t capacity = -1)
      : data_(data), dims_(dims), strides_(strides) {
    check(capacity);
  }

  /// Dense row-major (innermost dimension contiguous) view.
  static tensor_view contiguous(T* data, const extents_type& dims, index_t capacity = -1) {
    extents_type strides{};
    index_t s = 1;
    for (int d = Rank - 1; d >= 0; --d) {
      require(
          dims[d] >= 0, "tensor_view", [d] { return "dims[" + std::to_string(d) + "]"; }, dims[d],
          ">= 0");
      strides[d] = s;
      s = checked_mul(s, dims[d], "tensor_view element count");
    }
    return tensor_view(data, dims, strides, capacity);
  }

  /// Read-only view of the same elements.
  operator tensor_view<const T, Rank>() const noexcept {
    return tensor_view<const T, Rank>::unchecked(data_, dims_, strides_);
  }
  /// For internal conversions that keep an already-checked geometry.
  static tensor_view unchecked(T* data, const extents_type& dims,
                               const extents_type& strides) noexcept {
    tensor_view v;
    v.data_ = data;
    v.dims_ = dims;
    v.strides_ = strides;
    return v;
  }

  T* data() const noexcept { return data_; }
  index_t dim(int d) const noexcept { return dims_[d]; }
  index_t stride(int d) const noexcept { return strides_[d]; }
  const extents_type& dims() const noexcept { return dims_; }
  const extents_type& strides() const noexcept { return strides_; }
  /// Number of elements (product of extents).
  index_t size() const noexcept {
    index_t n = 1;
    for (index_t d : dims_) n *= d;  // checked at construction
    return n;
  }
  bool empty() const noexcept { return size() == 0; }
  /// True when the view is dense row-major: the layout kernels are fastest on.
  bool is_contiguous() const noexcept {
    index_t s = 1;
    for (int d = Rank - 1; d >= 0; --d) {
      if (dims_[d] != 1 && strides_[d] != s) return false;
      s *= dims_[d];
    }
    return true;
  }

  template <class... I>
  index_t offset(I... idx) const noexcept {
    static_assert(sizeof...(I) == Rank, "one index per dimension");
    const index_t ii[] = {static_cast<index_t>(idx)...};
    index_t o = 0;
    for (int d = 0; d < Rank; ++d) o += ii[d] * strides_[d];
    return o;
  }
  /// Unchecked element access (indices are the caller's contract).
  template <class... I>
  T& operator()(I... idx) const noexcept {
    return data_[offset(idx...)];
  }

 private:
  void check(index_t capacity) const {
    index_t furthest = 0;
    bool empty = false;
    for (int d = 0; d < Rank; ++d) {
      if (dims_[d] < 0)
        raise_arg(errc::invalid_argument, "tensor_view", "dims[" + std::to_string(d) + "]",
                  dims_[d], ">= 0");
      if (strides_[d] < 0)
        raise_arg(errc::invalid_argument, "tensor_view", "strides[" + std::to_string(d) + "]",
                  strides_[d], ">= 0");
      if (dims_[d] == 0) empty = true;
    }
    checked_product(dims_.begin(), dims_.end(), "tensor_view element count");
    if (empty) return;
    for (int d = 0; d < Rank; ++d)
      furthest = checked_add(furthest, checked_mul(dims_[d] - 1, strides_[d], "tensor_view extent"),
                             "tensor_view extent");
    require(data_ != nullptr, "tensor_view", "data", "nullptr",
            "a valid pointer for a non-empty view");
    if (capacity >= 0)
      require(
          furthest < capacity, "tensor_view", "capacity", capacity,
          [&] {
            return "> " + std::to_string(furthest) +
                   " (the furthest element the extents and strides reach)";
          },
          errc::out_of_range);
  }

  T* data_ = nullptr;
  extents_type dims_;
  extents_type strides_;
};

/// NCHW activation view: dims {N, C, H, W}.
template <class T>
using nchw_view = tensor_view<T, 4>;
/// NCDHW activation view: dims {N, C, D, H, W}.
template <class T>
using ncdhw_view = tensor_view<T, 5>;
/// Matrix view: dims {rows, cols}; stride(0) is the leading dimension.
template <class T>
using matrix_view = tensor_view<T, 2>;

/// Contiguous NCHW view of `data`.
template <class T>
nchw_view<T> make_nchw(T* data, index_t n, index_t c, index_t h, index_t w, index_t capacity = -1) {
  return nchw_view<T>::contiguous(data, {n, c, h, w}, capacity);
}
/// Contiguous NCDHW view of `data`.
template <class T>
ncdhw_view<T> make_ncdhw(T* data, index_t n, index_t c, index_t d, index_t h, index_t w,
                         index_t capacity = -1) {
  return ncdhw_view<T>::contiguous(data, {n, c, d, h, w}, capacity);
}
/// Row-major matrix view with leading dimension `ld` (defaults to `cols`).
template <class T>
matrix_view<T> make_matrix(T* data, index_t rows, index_t cols, index_t ld = -1,
                           index_t capacity = -1) {
  if (ld < 0) ld = cols;
  require(ld >= cols, "make_matrix", "ld", ld,
          [&] { return ">= cols (" + std::to_string(cols) + ")"; });
  return matrix_view<T>(data, {rows, cols}, {ld, 1}, capacity);
}

/// Owning dense row-major tensor on an aligned buffer; tests, benchmarks and layers use it.
template <class T, int Rank>
class tensor {
 public:
  using extents_type = std::array<index_t, Rank>;
  tensor() = default;
  explicit tensor(const extents_type& dims) : dims_(dims), buf_(element_count(dims)) {}
  tensor(const extents_type& dims, const T& value) : tensor(dims) { buf_.fill(value); }

  tensor_view<T, Rank> view() {
    return tensor_view<T, Rank>::contiguous(buf_.data(), dims_, buf_.size());
  }
  tensor_view<const T, Rank> view() const {
    return tensor_view<const T, Rank>::contiguous(buf_.data(), dims_, buf_.size());
  }
  T* data() noexcept { return buf_.data(); }
  const T* data() const noexcept { return buf_.data(); }
  index_t size() const noexcept { return buf_.size(); }
  index_t dim(int d) const noexcept { return dims_[d]; }
  const extents_type& dims() const noexcept { return dims_; }
  void fill(const T& v) { buf_.fill(v); }
  aligned_buffer<T>& buffer() noexcept { return buf_; }
  const aligned_buffer<T>& buffer() const noexcept { return buf_; }

 private:
  static index_t element_count(const extents_type& dims) {
    for (int d = 0; d < Rank; ++d)
      if (dims[d] < 0)
        raise_arg(errc::invalid_argument, "tensor", "dims[" + std::to_string(d) + "]", dims[d],
                  ">= 0");
    return checked_product(dims.begin(), dims.end(), "tensor element count");
  }

  extents_type dims_{};
  aligned_buffer<T> buf_;
};

SPK_END_NAMESPACE
