// SPDX-License-Identifier: Apache-2.0
// The block-punched conv weight format (YOLObile): per block of bf filters x bc channels the
// kept kernel positions, shared by all its kernels, and a dense bf x (bc * kept) panel. That is
// the kernel-group format in 2D (format/kgs.hpp), so `punched` is kgs<2> under its own name.
#pragma once

#include <cstdint>
#include <vector>

#include "spk/format/kgs.hpp"
#include "spk/sparsity/punched.hpp"

SPK_BEGIN_NAMESPACE
namespace format {

/// Block-punched weights of a 2D conv F x C x kh x kw (FC layers: kh = kw = 1). Layout,
/// validate(), to_dense(), storage_bytes(): see kgs<S>. F and C need not be multiples of the
/// block: edge blocks are padded (their padding filters hold zeros and are never computed).
using punched = kgs<2>;

/// Builds from pruned dense weights F x C x kh x kw and a unit mask from project_punched.
inline punched build_punched(tensor_view<const float, 4> weights, const sparsity::kgs_mask& m) {
  return punched::build(weights, m, kgs_structure::kgs);
}

/// Builds from pruned dense weights and an element mask (F * C * kh * kw bytes, 1 = kept; a
/// kept weight may be 0). Raises bad_format naming the block and position when the mask is not
/// shared by every kernel of a bf x bc block.
inline punched build_punched(tensor_view<const float, 4> weights,
                             const std::vector<std::uint8_t>& mask, index_t bf = 8,
                             index_t bc = 4) {
  return punched::build(weights, mask, bf, bc, kgs_structure::kgs);
}

}  // namespace format
SPK_END_NAMESPACE
