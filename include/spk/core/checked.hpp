// SPDX-License-Identifier: Apache-2.0
// Overflow-checked size arithmetic. Every product of extents that sizes a buffer or an offset
// goes through these, so a hostile shape raises errc::overflow instead of wrapping.
#pragma once

#include <cstddef>
#include <limits>
#include <string_view>

#include "spk/core/error.hpp"

SPK_BEGIN_NAMESPACE

/// a * b for non-negative extents; raises errc::overflow naming `what` if it exceeds index_t.
inline index_t checked_mul(index_t a, index_t b, std::string_view what) {
  index_t r = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) {
    std::string detail = std::to_string(a) + " * " + std::to_string(b);
    raise_arg(errc::overflow, "checked_mul", what, detail, "a product that fits in 63 bits");
  }
  return r;
}

/// a + b for non-negative extents; raises errc::overflow naming `what`.
inline index_t checked_add(index_t a, index_t b, std::string_view what) {
  index_t r = 0;
  if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r)) {
    std::string detail = std::to_string(a) + " + " + std::to_string(b);
    raise_arg(errc::overflow, "checked_add", what, detail, "a sum that fits in 63 bits");
  }
  return r;
}

/// Product of all extents in [first, last), checked.
template <class It>
index_t checked_product(It first, It last, std::string_view what) {
  index_t r = 1;
  for (; first != last; ++first) r = checked_mul(r, static_cast<index_t>(*first), what);
  return r;
}

/// Bytes for n elements of T, checked against size_t.
template <class T>
std::size_t checked_bytes(index_t n, std::string_view what) {
  constexpr auto max_elems = static_cast<index_t>(std::numeric_limits<std::size_t>::max() / sizeof(T) / 2);
  if (n < 0 || n > max_elems) raise_arg(errc::overflow, "checked_bytes", what, n, "an element count whose byte size fits size_t");
  return static_cast<std::size_t>(n) * sizeof(T);
}

SPK_END_NAMESPACE
