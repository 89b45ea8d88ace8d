// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: read_bundle on arbitrary bytes must return records or raise spk::error
// (bad_format) — never crash, read out of bounds or allocate beyond what the input justifies.
// Whatever parses must re-serialise to bytes that parse to the same records. Each input is also
// tried with its header and table checksums recomputed, so mutations reach the table parser
// instead of stopping at the CRC check.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "spk/format/io.hpp"

namespace {
void check_one(const std::uint8_t* data, std::size_t size) {
  try {
    const auto recs = spk::format::read_bundle(data, size);
    const auto again = spk::format::read_bundle(spk::format::write_bundle(recs));
    if (again.size() != recs.size()) std::abort();
    for (std::size_t i = 0; i < recs.size(); ++i)
      if (again[i].name != recs[i].name || again[i].arrays.size() != recs[i].arrays.size()) std::abort();
  } catch (const spk::error& e) {
    if (e.code() != spk::errc::bad_format) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check_one(data, size);
  if (size >= spk::format::bundle_header_size) {
    std::vector<std::uint8_t> f(data, data + size);
    std::uint64_t toc_offset, toc_size;
    std::memcpy(&toc_offset, f.data() + 24, 8);
    std::memcpy(&toc_size, f.data() + 32, 8);
    if (toc_offset <= size && toc_size <= size - toc_offset) {
      const std::uint32_t c = spk::format::crc32(f.data() + toc_offset, static_cast<std::size_t>(toc_size));
      std::memcpy(f.data() + 44, &c, 4);
    }
    const std::uint32_t h = spk::format::crc32(f.data(), 48);
    std::memcpy(f.data() + 48, &h, 4);
    check_one(f.data(), f.size());
  }
  return 0;
}
