// SPDX-License-Identifier: Apache-2.0
// Namespace and inline-versioning macros shared by every spk header.
// Everything lives in `spk::v0` (inline), so two major versions can be linked into one binary.
#pragma once

#include <cstddef>
#include <cstdint>

#include "spk/version.hpp"

#define SPK_BEGIN_NAMESPACE \
  namespace spk {           \
  inline namespace v0 {
#define SPK_END_NAMESPACE \
  }                       \
  }

/// Full unrolling of a constant-trip register-tile loop. Without it clang 14 keeps a 12-row
/// accumulator array in memory (load-FMA-store per step) and runs the dense GEMM at 60% of g++.
#if defined(__clang__)
#define SPK_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define SPK_UNROLL _Pragma("GCC unroll 32")
#else
#define SPK_UNROLL
#endif

SPK_BEGIN_NAMESPACE

/// Signed index type for every extent, stride and offset (products are overflow-checked).
using index_t = std::int64_t;

/// Alignment of owning buffers and of packed panels: one cache line = one AVX-512 vector.
inline constexpr std::size_t cache_line_bytes = 64;

SPK_END_NAMESPACE
