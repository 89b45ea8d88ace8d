// SPDX-License-Identifier: Apache-2.0
// CRC-32 as in IEEE 802.3 / zlib / PNG (reflected polynomial 0xEDB88320, init and final xor
// 0xFFFFFFFF; check value of "123456789" is 0xCBF43926). Protects the .spk container.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "spk/core/config.hpp"

SPK_BEGIN_NAMESPACE
namespace format {

namespace detail {
inline const std::array<std::uint32_t, 256>& crc32_table() noexcept {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}
}  // namespace detail

/// Continues a CRC-32 over `n` more bytes; start with crc = 0.
inline std::uint32_t crc32(const void* data, std::size_t n, std::uint32_t crc = 0) noexcept {
  const auto& t = detail::crc32_table();
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) crc = t[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

}  // namespace format
SPK_END_NAMESPACE
