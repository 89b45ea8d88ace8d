// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: read_npy on arbitrary bytes must return an array whose size matches its
// shape, or raise spk::error (bad_format / overflow) — never crash or over-read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "spk/format/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto a = spk::format::read_npy(data, size);
    std::size_t n = 1;
    for (auto d : a.shape) n *= static_cast<std::size_t>(d);
    if (n != a.data.size()) std::abort();
  } catch (const spk::error& e) {
    if (e.code() != spk::errc::bad_format && e.code() != spk::errc::overflow) std::abort();
  }
  return 0;
}
