// SPDX-License-Identifier: Apache-2.0
// The SIMD architecture kernels compile for. Kernels are templates on an xsimd arch tag that
// defaults to xsimd::default_arch, i.e. the best ISA the consumer's compiler flags enable.
#pragma once

#include <xsimd/xsimd.hpp>

#include "spk/core/config.hpp"

SPK_BEGIN_NAMESPACE

/// The arch tag kernels use unless told otherwise.
using default_arch = xsimd::default_arch;

/// Name of the arch tag, e.g. "avx512bw", "fma3+avx2", "sse2", "arm64+neon".
template <class Arch = default_arch>
inline const char* arch_name() noexcept {
  return Arch::name();
}

/// float lanes per register for Arch (16 on AVX-512, 8 on AVX2, 4 on SSE/NEON).
template <class Arch = default_arch>
inline constexpr index_t float_lanes = static_cast<index_t>(xsimd::batch<float, Arch>::size);

SPK_END_NAMESPACE
