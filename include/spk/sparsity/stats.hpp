// SPDX-License-Identifier: Apache-2.0
// Statistics every sparsity scheme reports: kept / total counts of an element mask (density,
// reduction) and the FLOPs a convolution executes on its kept weights.
#pragma once

#include <cstdint>
#include <vector>

#include "spk/core/conv_shape.hpp"

SPK_BEGIN_NAMESPACE
namespace sparsity {

/// Kept and total weight counts of a mask.
struct mask_stats {
  index_t total = 0, kept = 0;
  /// Kept fraction in [0, 1] (1 for an empty tensor).
  double density() const noexcept { return total ? double(kept) / double(total) : 1.0; }
  /// total / kept: the FLOP (and weight) reduction; +inf when nothing is kept.
  double reduction() const noexcept {
    return kept ? double(total) / double(kept) : (total ? 1.0 / 0.0 : 1.0);
  }
};

/// Counts the non-zero bytes of an element mask (1 = kept).
inline mask_stats count_mask(const std::vector<std::uint8_t>& mask) {
  mask_stats s;
  s.total = index_t(mask.size());
  for (std::uint8_t m : mask) s.kept += m != 0;
  return s;
}

/// FLOPs (2 per multiply-add) of a conv whose weights keep `kept_weights` of its dense weights.
/// Taps that fall on zero padding are counted, as for the dense FLOP count.
template <int S>
double conv_nz_flops(const conv_shape<S>& s, index_t kept_weights) noexcept {
  return 2.0 * double(s.batch) * double(kept_weights) * double(s.out_volume());
}

}  // namespace sparsity
SPK_END_NAMESPACE
