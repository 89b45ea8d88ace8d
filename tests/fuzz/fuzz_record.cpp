// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: from_record over read_bundle, records of every kind. Each input is a .spk
// bundle whose checksums (arrays, table, header) are recomputed first, so mutations reach
// from_record's checks. A record must either be rejected with bad_format or load into a valid
// format whose re-serialised arrays equal the input's, byte for byte.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "spk/format/serialize.hpp"

namespace {
using namespace spk::format;

template <class T>
bool read_at(const std::vector<std::uint8_t>& f, std::uint64_t& p, T& v) {
  if (p > f.size() || sizeof(T) > f.size() - p) return false;
  std::memcpy(&v, f.data() + p, sizeof(T));
  p += sizeof(T);
  return true;
}
bool skip_str(const std::vector<std::uint8_t>& f, std::uint64_t& p) {
  std::uint32_t n;
  if (!read_at(f, p, n) || n > f.size() - p) return false;
  p += n;
  return true;
}

/// Walks the table of contents as far as it parses, rewriting every array CRC whose payload
/// lies inside the file, then the table and header CRCs (layout: format/io.hpp).
void fix_checksums(std::vector<std::uint8_t>& f) {
  if (f.size() < bundle_header_size) return;
  std::uint64_t toc_offset, toc_size;
  std::uint32_t count;
  std::memcpy(&toc_offset, f.data() + 24, 8);
  std::memcpy(&toc_size, f.data() + 32, 8);
  std::memcpy(&count, f.data() + 40, 4);
  std::uint64_t p = toc_offset;
  for (std::uint32_t r = 0; r < count && r < 64; ++r) {
    std::uint32_t n_attrs, n_arrays;
    if (!skip_str(f, p) || !skip_str(f, p) || !read_at(f, p, n_attrs) || n_attrs > 4096) break;
    bool ok = true;
    for (std::uint32_t i = 0; i < n_attrs && ok; ++i)
      ok = skip_str(f, p) && p + 8 <= f.size() && (p += 8, true);
    if (!ok || !read_at(f, p, n_arrays) || n_arrays > 4096) break;
    for (std::uint32_t i = 0; i < n_arrays && ok; ++i) {
      std::uint8_t type, pad[3];
      std::uint64_t cnt, off;
      ok = skip_str(f, p) && read_at(f, p, type) && read_at(f, p, pad) && read_at(f, p, cnt) &&
           read_at(f, p, off);
      if (!ok || p + 4 > f.size()) return;
      const std::uint64_t esz = dtype_size(static_cast<dtype>(type));
      if (esz && off <= f.size() && cnt <= (f.size() - off) / esz) {
        const std::uint32_t c = crc32(f.data() + off, static_cast<std::size_t>(cnt * esz));
        std::memcpy(f.data() + p, &c, 4);
      }
      p += 4;
    }
    if (!ok) break;
  }
  if (toc_offset <= f.size() && toc_size <= f.size() - toc_offset) {
    const std::uint32_t c = crc32(f.data() + toc_offset, static_cast<std::size_t>(toc_size));
    std::memcpy(f.data() + 44, &c, 4);
  }
  const std::uint32_t h = crc32(f.data(), 48);
  std::memcpy(f.data() + 48, &h, 4);
}

const record::array* find_array(const record& r, const std::string& name) {
  for (const auto& a : r.arrays)
    if (a.name == name) return &a;
  return nullptr;
}

void check_record(const record& r) {
  layer_weights w;
  try {
    w = layer_from_record(r);
  } catch (const spk::error& e) {
    if (e.code() != spk::errc::bad_format) std::abort();
    return;
  }
  // What loaded re-serialises to the same arrays (the reader dropped nothing it accepted).
  const record again = to_record(w, r.name);
  if (again.kind != r.kind) std::abort();
  for (const auto& a : again.arrays) {
    const record::array* orig = find_array(r, a.name);
    if (!orig || orig->type != a.type || orig->bytes != a.bytes) std::abort();
  }
  // Small layers also densify (bounded so a valid but huge declared shape costs nothing).
  double dense = 1;
  for (const auto& kv : r.attrs)
    if (kv.first == "filters" || kv.first == "channels" || kv.first == "rows" ||
        kv.first == "cols" || kv.first == "kh" || kv.first == "kw" || kv.first == "kd")
      dense *= double(kv.second);
  if (dense <= double(1 << 20)) {
    const dense_array d = to_dense_array(w);
    std::size_t n = 1;
    for (auto x : d.shape) n *= static_cast<std::size_t>(x);
    if (n != d.values.size()) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> f(data, data + size);
  fix_checksums(f);
  std::vector<record> recs;
  try {
    recs = read_bundle(f);
  } catch (const spk::error& e) {
    if (e.code() != spk::errc::bad_format) std::abort();
    return 0;
  }
  for (const record& r : recs) check_record(r);
  return 0;
}
