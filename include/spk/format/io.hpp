// SPDX-License-Identifier: Apache-2.0
// The .spk container: one binary file holding a bundle of named layers, each a `record` of its
// format kind, integer attributes and typed arrays. Formats convert to and from records; this
// header only moves bytes. The reader trusts nothing (see read_bundle).
//
// Layout (little-endian; every array payload starts on a 64-byte boundary, so a mapped file
// can be used in place):
//   [0, 64)      header: magic "SPKFMT\r\n", u32 version, u32 endian tag 0x01020304,
//                u64 file_size, u64 toc_offset, u64 toc_size, u32 record_count,
//                u32 toc_crc32, u32 header_crc32 (of bytes [0, 48)), 12 zero bytes
//   [64, toc)    array payloads, each 64-byte aligned, zero padding between them
//   [toc, end)   table of contents, per record: str name, str kind, u32 n_attrs,
//                {str name, i64 value} x n_attrs, u32 n_arrays,
//                {str name, u8 dtype, 3 zero bytes, u64 count, u64 offset, u32 crc32} x n_arrays
//                where str = u32 length + bytes (no terminator).
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "spk/core/error.hpp"
#include "spk/format/crc32.hpp"

SPK_BEGIN_NAMESPACE
namespace format {

/// Element types an array may hold.
enum class dtype : std::uint8_t { f32 = 1, i32 = 2, i64 = 3, u8 = 4, u16 = 5 };

inline std::size_t dtype_size(dtype t) noexcept {
  switch (t) {
    case dtype::f32: case dtype::i32: return 4;
    case dtype::i64: return 8;
    case dtype::u8: return 1;
    case dtype::u16: return 2;
  }
  return 0;
}
inline const char* dtype_name(dtype t) noexcept {
  switch (t) {
    case dtype::f32: return "f32";
    case dtype::i32: return "i32";
    case dtype::i64: return "i64";
    case dtype::u8: return "u8";
    case dtype::u16: return "u16";
  }
  return "unknown";
}
template <class T>
constexpr dtype dtype_of() noexcept {
  if constexpr (std::is_same_v<T, float>) return dtype::f32;
  else if constexpr (std::is_same_v<T, std::int32_t>) return dtype::i32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return dtype::i64;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return dtype::u8;
  else {
    static_assert(std::is_same_v<T, std::uint16_t>, "arrays hold f32, i32, i64, u8 or u16");
    return dtype::u16;
  }
}

/// One layer in a bundle: what a format writes and reads back.
struct record {
  struct array {
    std::string name;
    format::dtype type = dtype::u8;
    std::uint64_t count = 0;
    std::vector<unsigned char> bytes;  ///< count * dtype_size(type) bytes, little-endian
  };
  std::string name;  ///< layer name, unique in a bundle (e.g. "features.3")
  std::string kind;  ///< format kind ("fkw", "kgs", "punched", "bcr", "bsr", "csr", ...)
  std::vector<std::pair<std::string, std::int64_t>> attrs;
  std::vector<array> arrays;

  void set_attr(const std::string& key, std::int64_t value) {
    for (auto& a : attrs)
      if (a.first == key) return void(a.second = value);
    attrs.emplace_back(key, value);
  }
  /// The attribute `key`; a missing one is a malformed file.
  std::int64_t attr(const std::string& key) const {
    for (const auto& a : attrs)
      if (a.first == key) return a.second;
    raise(errc::bad_format, "spk: record '" + name + "' (" + kind + "): missing attribute '" + key + "'");
  }
  template <class T>
  void add_array(const std::string& key, const T* data, std::size_t n) {
    array a;
    a.name = key, a.type = dtype_of<T>(), a.count = n;
    a.bytes.resize(n * sizeof(T));
    if (n) std::memcpy(a.bytes.data(), data, n * sizeof(T));
    arrays.push_back(std::move(a));
  }
  template <class T>
  void add_array(const std::string& key, const std::vector<T>& v) {
    add_array(key, v.data(), v.size());
  }
  /// The array `key` as T; a missing array or another element type is a malformed file.
  template <class T>
  std::vector<T> get_array(const std::string& key) const {
    for (const auto& a : arrays)
      if (a.name == key) {
        if (a.type != dtype_of<T>())
          raise(errc::bad_format, "spk: record '" + name + "' (" + kind + "): array '" + key + "' has type " +
                                      dtype_name(a.type) + ", expected " + dtype_name(dtype_of<T>()));
        std::vector<T> v(static_cast<std::size_t>(a.count));
        if (!v.empty()) std::memcpy(v.data(), a.bytes.data(), v.size() * sizeof(T));
        return v;
      }
    raise(errc::bad_format, "spk: record '" + name + "' (" + kind + "): missing array '" + key + "'");
  }
};

inline constexpr char bundle_magic[8] = {'S', 'P', 'K', 'F', 'M', 'T', '\r', '\n'};
inline constexpr std::uint32_t bundle_version = 1;
inline constexpr std::size_t bundle_header_size = 64;
inline constexpr std::size_t bundle_alignment = 64;

namespace detail {
inline bool host_is_little_endian() noexcept {
  const std::uint32_t x = 1;
  unsigned char c;
  std::memcpy(&c, &x, 1);
  return c == 1;
}
template <class T>
void put(std::vector<unsigned char>& out, T v) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.insert(out.end(), b, b + sizeof(T));
}
inline void put_str(std::vector<unsigned char>& out, const std::string& s) {
  put<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}
template <class T>
void poke(std::vector<unsigned char>& out, std::size_t at, T v) {
  std::memcpy(out.data() + at, &v, sizeof(T));
}

/// Bounds-checked little-endian cursor over untrusted bytes. Every failure names the byte
/// offset and what was being read.
class reader {
 public:
  reader(const unsigned char* data, std::size_t size, std::size_t pos) : d_(data), n_(size), pos_(pos) {}
  std::size_t pos() const noexcept { return pos_; }
  template <class T>
  T get(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, d_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string get_str(const char* what, std::size_t max_len) {
    const auto len = get<std::uint32_t>(what);
    if (len > max_len) fail(std::string(what) + " length " + std::to_string(len) + " exceeds " + std::to_string(max_len));
    need(len, what);
    std::string s(reinterpret_cast<const char*>(d_ + pos_), len);
    pos_ += len;
    return s;
  }
  [[noreturn]] void fail(const std::string& msg) const {
    raise(errc::bad_format, "spk: read_bundle: at byte offset " + std::to_string(pos_) + ": " + msg);
  }

 private:
  void need(std::size_t k, const char* what) const {
    if (k > n_ - pos_) fail(std::string("truncated while reading ") + what + " (" + std::to_string(k) + " bytes needed, " +
                            std::to_string(n_ - pos_) + " left)");
  }
  const unsigned char* d_;
  std::size_t n_, pos_;
};
}  // namespace detail

/// Serialises records into the container's bytes.
inline std::vector<unsigned char> write_bundle(const std::vector<record>& records) {
  if (!detail::host_is_little_endian()) raise(errc::unsupported, "spk: write_bundle: big-endian hosts are not supported");
  require(records.size() <= 0xFFFFFFFFu, "write_bundle", "records.size()", records.size(), "< 2^32");
  std::vector<unsigned char> out(bundle_header_size, 0);
  std::vector<std::vector<std::uint64_t>> offsets(records.size());
  for (std::size_t r = 0; r < records.size(); ++r) {
    for (std::size_t j = 0; j < r; ++j)
      require(records[j].name != records[r].name, "write_bundle", "record name", records[r].name, "unique names");
    for (const auto& a : records[r].arrays) {
      require(a.bytes.size() == a.count * dtype_size(a.type), "write_bundle", "array '" + a.name + "' bytes",
              a.bytes.size(), "count * dtype size");
      out.resize((out.size() + bundle_alignment - 1) / bundle_alignment * bundle_alignment, 0);
      offsets[r].push_back(out.size());
      out.insert(out.end(), a.bytes.begin(), a.bytes.end());
    }
  }
  const std::size_t toc_offset = out.size();
  for (std::size_t r = 0; r < records.size(); ++r) {
    const record& rec = records[r];
    detail::put_str(out, rec.name);
    detail::put_str(out, rec.kind);
    detail::put<std::uint32_t>(out, static_cast<std::uint32_t>(rec.attrs.size()));
    for (const auto& kv : rec.attrs) detail::put_str(out, kv.first), detail::put<std::int64_t>(out, kv.second);
    detail::put<std::uint32_t>(out, static_cast<std::uint32_t>(rec.arrays.size()));
    for (std::size_t i = 0; i < rec.arrays.size(); ++i) {
      const auto& a = rec.arrays[i];
      detail::put_str(out, a.name);
      detail::put<std::uint8_t>(out, static_cast<std::uint8_t>(a.type));
      for (int z = 0; z < 3; ++z) detail::put<std::uint8_t>(out, 0);
      detail::put<std::uint64_t>(out, a.count);
      detail::put<std::uint64_t>(out, offsets[r][i]);
      detail::put<std::uint32_t>(out, crc32(a.bytes.data(), a.bytes.size()));
    }
  }
  const std::size_t toc_size = out.size() - toc_offset;
  std::memcpy(out.data(), bundle_magic, 8);
  detail::poke<std::uint32_t>(out, 8, bundle_version);
  detail::poke<std::uint32_t>(out, 12, 0x01020304u);
  detail::poke<std::uint64_t>(out, 16, out.size());
  detail::poke<std::uint64_t>(out, 24, toc_offset);
  detail::poke<std::uint64_t>(out, 32, toc_size);
  detail::poke<std::uint32_t>(out, 40, static_cast<std::uint32_t>(records.size()));
  detail::poke<std::uint32_t>(out, 44, crc32(out.data() + toc_offset, toc_size));
  detail::poke<std::uint32_t>(out, 48, crc32(out.data(), 48));
  return out;
}

/// Limits a reader enforces beyond the file's own size.
struct bundle_limits {
  std::size_t max_name = 4096;     ///< bytes in any name or kind
  std::uint32_t max_attrs = 4096;  ///< per record
  std::uint32_t max_arrays = 4096; ///< per record
};

/// Parses untrusted bytes. Checks, in order: size, magic, version, endianness, header CRC,
/// declared sizes against the real size (no allocation beyond what the bytes justify), TOC
/// CRC, every string and count, every array's offset / alignment / extent and CRC. Any
/// failure raises errc::bad_format naming the byte offset and what is wrong.
inline std::vector<record> read_bundle(const unsigned char* data, std::size_t size, const bundle_limits& lim = {}) {
  if (!detail::host_is_little_endian()) raise(errc::unsupported, "spk: read_bundle: big-endian hosts are not supported");
  detail::reader h(data, size, 0);
  if (size < bundle_header_size)
    h.fail("file of " + std::to_string(size) + " bytes is shorter than the 64-byte header");
  if (std::memcmp(data, bundle_magic, 8) != 0) h.fail("bad magic: not an .spk bundle (or mangled by a text-mode copy)");
  h = detail::reader(data, size, 8);
  const auto version = h.get<std::uint32_t>("version");
  if (version != bundle_version)
    h.fail("unsupported version " + std::to_string(version) + " (this reader knows " + std::to_string(bundle_version) + ")");
  if (h.get<std::uint32_t>("endian tag") != 0x01020304u) h.fail("endian tag mismatch: byte-swapped file");
  const auto file_size = h.get<std::uint64_t>("file_size");
  const auto toc_offset = h.get<std::uint64_t>("toc_offset");
  const auto toc_size = h.get<std::uint64_t>("toc_size");
  const auto count = h.get<std::uint32_t>("record_count");
  const auto toc_crc = h.get<std::uint32_t>("toc_crc32");
  const auto header_crc = h.get<std::uint32_t>("header_crc32");
  if (header_crc != crc32(data, 48)) h.fail("header checksum mismatch");
  for (std::size_t i = 52; i < bundle_header_size; ++i)
    if (data[i] != 0) detail::reader(data, size, i).fail("reserved header byte is not zero");
  if (file_size != size)
    h.fail("header says " + std::to_string(file_size) + " bytes but the file has " + std::to_string(size) + " (truncated?)");
  if (toc_offset < bundle_header_size || toc_offset > size || toc_size != size - toc_offset)
    h.fail("table of contents [" + std::to_string(toc_offset) + ", +" + std::to_string(toc_size) + ") does not end the file");
  if (crc32(data + toc_offset, static_cast<std::size_t>(toc_size)) != toc_crc) h.fail("table of contents checksum mismatch");

  detail::reader t(data, size, static_cast<std::size_t>(toc_offset));
  std::vector<record> out;
  // A record takes at least 16 TOC bytes: bounds the reservation by what the file can hold.
  if (count > toc_size / 16) t.fail("record_count " + std::to_string(count) + " cannot fit the table of contents");
  out.reserve(count);
  for (std::uint32_t r = 0; r < count; ++r) {
    record rec;
    rec.name = t.get_str("record name", lim.max_name);
    for (const auto& prev : out)
      if (prev.name == rec.name) t.fail("duplicate record name '" + rec.name + "'");
    rec.kind = t.get_str("record kind", lim.max_name);
    const auto n_attrs = t.get<std::uint32_t>("attribute count");
    if (n_attrs > lim.max_attrs) t.fail("attribute count " + std::to_string(n_attrs) + " exceeds " + std::to_string(lim.max_attrs));
    for (std::uint32_t i = 0; i < n_attrs; ++i) {
      std::string key = t.get_str("attribute name", lim.max_name);
      const auto value = t.get<std::int64_t>("attribute value");
      for (const auto& kv : rec.attrs)
        if (kv.first == key) t.fail("duplicate attribute '" + key + "' in record '" + rec.name + "'");
      rec.attrs.emplace_back(std::move(key), value);
    }
    const auto n_arrays = t.get<std::uint32_t>("array count");
    if (n_arrays > lim.max_arrays) t.fail("array count " + std::to_string(n_arrays) + " exceeds " + std::to_string(lim.max_arrays));
    for (std::uint32_t i = 0; i < n_arrays; ++i) {
      record::array a;
      a.name = t.get_str("array name", lim.max_name);
      for (const auto& prev : rec.arrays)
        if (prev.name == a.name) t.fail("duplicate array '" + a.name + "' in record '" + rec.name + "'");
      const auto type = t.get<std::uint8_t>("array dtype");
      if (type < 1 || type > 5) t.fail("array '" + a.name + "' has unknown dtype " + std::to_string(type));
      a.type = static_cast<dtype>(type);
      for (int z = 0; z < 3; ++z)
        if (t.get<std::uint8_t>("array padding") != 0) t.fail("array '" + a.name + "' padding byte is not zero");
      a.count = t.get<std::uint64_t>("array count");
      const auto offset = t.get<std::uint64_t>("array offset");
      const auto crc = t.get<std::uint32_t>("array crc32");
      const std::uint64_t esz = dtype_size(a.type);
      // Payloads live between the header and the TOC; count * esz is checked without overflow.
      if (offset < bundle_header_size || offset % bundle_alignment != 0 || offset > toc_offset)
        t.fail("array '" + a.name + "' offset " + std::to_string(offset) + " is not a 64-byte aligned payload offset");
      if (a.count > (toc_offset - offset) / esz)
        t.fail("array '" + a.name + "' of " + std::to_string(a.count) + " x " + std::to_string(esz) +
               " bytes at offset " + std::to_string(offset) + " overruns the payload area");
      const auto* p = data + offset;
      const std::size_t nbytes = static_cast<std::size_t>(a.count * esz);
      if (crc32(p, nbytes) != crc) t.fail("array '" + a.name + "' of record '" + rec.name + "' checksum mismatch");
      a.bytes.assign(p, p + nbytes);
      rec.arrays.push_back(std::move(a));
    }
    out.push_back(std::move(rec));
  }
  if (t.pos() != size) t.fail(std::to_string(size - t.pos()) + " trailing bytes after the last record");
  return out;
}

inline std::vector<record> read_bundle(const std::vector<unsigned char>& bytes, const bundle_limits& lim = {}) {
  return read_bundle(bytes.data(), bytes.size(), lim);
}

/// Writes a bundle file (binary); errors name the path.
inline void save_bundle(const std::string& path, const std::vector<record>& records) {
  const auto bytes = write_bundle(records);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) raise(errc::io, "spk: save_bundle: cannot open '" + path + "' for writing");
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) raise(errc::io, "spk: save_bundle: write to '" + path + "' failed");
}

/// Reads and validates a bundle file.
inline std::vector<record> load_bundle(const std::string& path, const bundle_limits& lim = {}) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) raise(errc::io, "spk: load_bundle: cannot open '" + path + "'");
  const std::streamoff n = f.tellg();
  if (n < 0) raise(errc::io, "spk: load_bundle: cannot size '" + path + "'");
  std::vector<unsigned char> bytes(static_cast<std::size_t>(n));
  f.seekg(0);
  if (n > 0 && !f.read(reinterpret_cast<char*>(bytes.data()), n)) raise(errc::io, "spk: load_bundle: read of '" + path + "' failed");
  return read_bundle(bytes, lim);
}

}  // namespace format
SPK_END_NAMESPACE
