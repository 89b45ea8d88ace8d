// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the .npz (zip) reader on arbitrary bytes must list entries that lie inside
// the input and read each member as an array whose size matches its shape, or raise spk::error
// (bad_format / overflow; unsupported for deflate without zlib) — never crash or over-read.
// Stored members are also parsed as .npy without their CRC check, so mutations of the payload
// reach the .npy parser instead of stopping at the checksum.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "spk/format/npz.hpp"

namespace {
bool expected_code(spk::errc c) {
  return c == spk::errc::bad_format || c == spk::errc::overflow || c == spk::errc::unsupported;
}
void check_array(const spk::format::npy_array& a) {
  std::size_t n = 1;
  for (auto d : a.shape) n *= static_cast<std::size_t>(d);
  if (n != a.data.size()) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spk::format;
  std::vector<zip_entry> entries;
  try {
    entries = list_zip(data, size);
  } catch (const spk::error& e) {
    if (!expected_code(e.code())) std::abort();
    return 0;
  }
  for (const zip_entry& e : entries) {
    if (e.data_offset > size || e.compressed_size > size - e.data_offset) std::abort();
    try {
      check_array(read_npz_member(data, size, e));
    } catch (const spk::error& x) {
      if (!expected_code(x.code())) std::abort();
    }
    if (e.method != 0) continue;
    try {
      check_array(read_npy(data + e.data_offset, static_cast<std::size_t>(e.compressed_size)));
    } catch (const spk::error& x) {
      if (!expected_code(x.code())) std::abort();
    }
  }
  return 0;
}
