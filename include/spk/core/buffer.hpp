// SPDX-License-Identifier: Apache-2.0
// aligned_buffer<T>: an owning, move-only, 64-byte aligned array of trivially copyable T.
// 64 bytes = one cache line = one AVX-512 vector, so packed panels never split a line.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#include "spk/core/checked.hpp"

SPK_BEGIN_NAMESPACE

template <class T>
class aligned_buffer {
  static_assert(std::is_trivially_copyable_v<T>, "aligned_buffer holds trivially copyable types only");

 public:
  aligned_buffer() noexcept = default;
  /// n elements, uninitialised (kernels write every element they own; tests pre-fill NaN).
  explicit aligned_buffer(index_t n) { allocate(n); }
  /// n elements, each set to `value`.
  aligned_buffer(index_t n, const T& value) {
    allocate(n);
    std::fill(data_, data_ + size_, value);
  }
  aligned_buffer(const aligned_buffer& other) {
    allocate(other.size_);
    if (size_) std::memcpy(data_, other.data_, static_cast<std::size_t>(size_) * sizeof(T));
  }
  aligned_buffer& operator=(const aligned_buffer& other) {
    if (this != &other) *this = aligned_buffer(other);
    return *this;
  }
  aligned_buffer(aligned_buffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  aligned_buffer& operator=(aligned_buffer&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~aligned_buffer() { release(); }

  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  index_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  T& operator[](index_t i) noexcept { return data_[i]; }
  const T& operator[](index_t i) const noexcept { return data_[i]; }
  T* begin() noexcept { return data_; }
  T* end() noexcept { return data_ + size_; }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size_; }

  void fill(const T& value) { std::fill(data_, data_ + size_, value); }

 private:
  void allocate(index_t n) {
    require(n >= 0, "aligned_buffer", "n", n, ">= 0");
    std::size_t bytes = checked_bytes<T>(n, "aligned_buffer size");
    if (bytes == 0) return;
    // aligned_alloc wants a multiple of the alignment.
    std::size_t rounded = (bytes + cache_line_bytes - 1) / cache_line_bytes * cache_line_bytes;
    void* p = std::aligned_alloc(cache_line_bytes, rounded);
    if (!p) raise_arg(errc::overflow, "aligned_buffer", "bytes", rounded, "an allocation the system can satisfy");
    data_ = static_cast<T*>(p);
    size_ = n;
  }
  void release() noexcept {
    std::free(data_);
    data_ = nullptr;
    size_ = 0;
  }

  T* data_ = nullptr;
  index_t size_ = 0;
};

SPK_END_NAMESPACE
