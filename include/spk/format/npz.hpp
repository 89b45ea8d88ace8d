// SPDX-License-Identifier: Apache-2.0
// Reader for NumPy .npz archives (np.savez: a ZIP of .npy members, STORED; np.savez_compressed:
// DEFLATE, inflated through zlib when SPK_WITH_ZLIB is defined and linked, rejected otherwise).
// As untrusting as the .npy reader: every offset and size is checked against the file.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "spk/format/crc32.hpp"
#include "spk/format/npy.hpp"

#ifdef SPK_WITH_ZLIB
#include <zlib.h>
#endif

SPK_BEGIN_NAMESPACE
namespace format {

/// One member of a ZIP archive, as its central directory describes it (sizes from there, ZIP64
/// extras applied; the local header is only checked to agree).
struct zip_entry {
  std::string name;
  std::uint16_t method = 0;           ///< 0 stored, 8 deflate
  std::uint32_t crc = 0;              ///< CRC-32 of the uncompressed bytes
  std::uint64_t compressed_size = 0;  ///< bytes at data_offset
  std::uint64_t size = 0;             ///< uncompressed bytes
  std::uint64_t data_offset = 0;      ///< first byte of the member's data in the archive
};

/// Limits beyond the file's own size.
struct zip_limits {
  std::uint64_t max_entry_size = 0xFFFFFFFFu;  ///< uncompressed bytes of one member
  std::size_t max_name = 4096;                 ///< bytes of a member name
};

/// True when this build inflates DEFLATE members (np.savez_compressed).
inline constexpr bool zip_has_deflate() noexcept {
#ifdef SPK_WITH_ZLIB
  return true;
#else
  return false;
#endif
}

namespace detail {

[[noreturn]] inline void zip_fail(std::uint64_t offset, const std::string& msg) {
  raise(errc::bad_format, "spk: read_zip: at byte offset " + std::to_string(offset) + ": " + msg);
}

/// Little-endian field reads at absolute offsets, each checked against the buffer.
struct zip_bytes {
  const unsigned char* d;
  std::uint64_t n;
  template <class T>
  T get(std::uint64_t at, const char* what) const {
    if (at > n || sizeof(T) > n - at) zip_fail(at, std::string("truncated while reading ") + what);
    T v;
    std::memcpy(&v, d + at, sizeof(T));
    return v;
  }
  std::string str(std::uint64_t at, std::uint64_t len, const char* what) const {
    if (at > n || len > n - at) zip_fail(at, std::string("truncated while reading ") + what);
    return std::string(reinterpret_cast<const char*>(d + at), static_cast<std::size_t>(len));
  }
};

inline constexpr std::uint32_t zip_local_sig = 0x04034b50u, zip_central_sig = 0x02014b50u,
                               zip_eocd_sig = 0x06054b50u, zip64_eocd_sig = 0x06064b50u,
                               zip64_locator_sig = 0x07064b50u;

/// Where the central directory lies and how many entries it holds.
struct zip_directory {
  std::uint64_t offset = 0, size = 0, entries = 0;
  std::uint64_t end = 0;  ///< first byte after the directory area (an EOCD record starts here)
};

/// The end-of-central-directory record: the last 22 + comment bytes of the file.
inline std::uint64_t find_eocd(const zip_bytes& z) {
  if (z.n < 22)
    zip_fail(0, "file of " + std::to_string(z.n) + " bytes is too short for a zip archive");
  const std::uint64_t lowest = z.n - 22 > 65535 ? z.n - 22 - 65535 : 0;
  for (std::uint64_t p = z.n - 22 + 1; p-- > lowest;)
    if (z.get<std::uint32_t>(p, "EOCD signature") == zip_eocd_sig &&
        p + 22 + z.get<std::uint16_t>(p + 20, "EOCD comment length") == z.n)
      return p;
  zip_fail(z.n, "no end-of-central-directory record: not a zip (.npz) archive, or truncated");
}

inline zip_directory read_directory(const zip_bytes& z) {
  const std::uint64_t e = find_eocd(z);
  const auto disk = z.get<std::uint16_t>(e + 4, "EOCD disk number");
  const auto cd_disk = z.get<std::uint16_t>(e + 6, "EOCD directory disk");
  const auto n_disk = z.get<std::uint16_t>(e + 8, "EOCD entries on disk");
  zip_directory dir;
  dir.entries = z.get<std::uint16_t>(e + 10, "EOCD entry count");
  dir.size = z.get<std::uint32_t>(e + 12, "EOCD directory size");
  dir.offset = z.get<std::uint32_t>(e + 16, "EOCD directory offset");
  dir.end = e;
  if (dir.entries == 0xFFFF || dir.size == 0xFFFFFFFFu || dir.offset == 0xFFFFFFFFu) {
    // ZIP64: a locator just before the EOCD points at the ZIP64 end record.
    if (e < 20 || z.get<std::uint32_t>(e - 20, "ZIP64 locator") != zip64_locator_sig)
      zip_fail(e, "EOCD fields say ZIP64 but there is no ZIP64 locator before it");
    const std::uint64_t r = z.get<std::uint64_t>(e - 20 + 8, "ZIP64 end record offset");
    if (r > e - 20 || e - 20 - r < 56 ||
        z.get<std::uint32_t>(r, "ZIP64 end record") != zip64_eocd_sig)
      zip_fail(e - 20,
               "ZIP64 locator points at " + std::to_string(r) + ", not at a ZIP64 end record");
    if (z.get<std::uint32_t>(r + 16, "ZIP64 disk") != 0 ||
        z.get<std::uint32_t>(r + 20, "ZIP64 directory disk") != 0 ||
        z.get<std::uint64_t>(r + 24, "ZIP64 entries on disk") !=
            z.get<std::uint64_t>(r + 32, "ZIP64 entries"))
      zip_fail(r, "multi-disk archives are not supported");
    dir.entries = z.get<std::uint64_t>(r + 32, "ZIP64 entry count");
    dir.size = z.get<std::uint64_t>(r + 40, "ZIP64 directory size");
    dir.offset = z.get<std::uint64_t>(r + 48, "ZIP64 directory offset");
    dir.end = r;
  } else if (disk != 0 || cd_disk != 0 || n_disk != dir.entries) {
    zip_fail(e, "multi-disk archives are not supported");
  }
  if (dir.offset > dir.end || dir.size != dir.end - dir.offset)
    zip_fail(e, "central directory [" + std::to_string(dir.offset) + ", +" +
                    std::to_string(dir.size) + ") does not end where the end record starts (" +
                    std::to_string(dir.end) + ")");
  if (dir.entries > dir.size / 46)  // a central entry takes at least 46 bytes
    zip_fail(e, "entry count " + std::to_string(dir.entries) + " cannot fit a " +
                    std::to_string(dir.size) + "-byte central directory");
  return dir;
}

/// Applies a ZIP64 extended-information extra field (id 1) to the fields saturated at 2^32-1.
inline void apply_zip64_extra(const zip_bytes& z, std::uint64_t at, std::uint64_t len, zip_entry& e,
                              std::uint64_t& local_offset) {
  const bool need_size = e.size == 0xFFFFFFFFu, need_csize = e.compressed_size == 0xFFFFFFFFu,
             need_offset = local_offset == 0xFFFFFFFFu;
  for (std::uint64_t p = at; p + 4 <= at + len;) {
    const auto id = z.get<std::uint16_t>(p, "extra field id");
    const auto n = z.get<std::uint16_t>(p + 2, "extra field size");
    if (n > at + len - p - 4)
      zip_fail(p, "extra field of " + std::to_string(n) + " bytes overruns its entry");
    if (id == 1) {
      std::uint64_t q = p + 4;
      const auto take = [&](std::uint64_t& field, const char* what) {
        if (q + 8 > p + 4 + n) zip_fail(q, std::string("ZIP64 extra field lacks the ") + what);
        field = z.get<std::uint64_t>(q, what), q += 8;
      };
      if (need_size) take(e.size, "uncompressed size");
      if (need_csize) take(e.compressed_size, "compressed size");
      if (need_offset) take(local_offset, "local header offset");
      return;
    }
    p += 4 + n;
  }
  if (need_size || need_csize || need_offset)
    zip_fail(at, "entry '" + e.name + "' needs a ZIP64 extra field");
}

/// Parses the central entry at `p` (advancing it) and checks its local header.
inline zip_entry read_central_entry(const zip_bytes& z, const zip_directory& dir, std::uint64_t& p,
                                    const zip_limits& lim) {
  const std::uint64_t start = p, dir_end = dir.offset + dir.size;
  if (dir_end - p < 46 || z.get<std::uint32_t>(p, "central entry signature") != zip_central_sig)
    zip_fail(p, "expected a central directory entry");
  zip_entry e;
  const auto flags = z.get<std::uint16_t>(p + 8, "entry flags");
  e.method = z.get<std::uint16_t>(p + 10, "entry method");
  e.crc = z.get<std::uint32_t>(p + 16, "entry crc32");
  e.compressed_size = z.get<std::uint32_t>(p + 20, "entry compressed size");
  e.size = z.get<std::uint32_t>(p + 24, "entry size");
  const std::uint64_t n = z.get<std::uint16_t>(p + 28, "entry name length");
  const std::uint64_t m = z.get<std::uint16_t>(p + 30, "entry extra length");
  const std::uint64_t k = z.get<std::uint16_t>(p + 32, "entry comment length");
  std::uint64_t local = z.get<std::uint32_t>(p + 42, "entry local header offset");
  if (46 + n + m + k > dir_end - p) zip_fail(p, "central entry overruns the central directory");
  if (n > lim.max_name)
    zip_fail(
        p, "entry name of " + std::to_string(n) + " bytes exceeds " + std::to_string(lim.max_name));
  e.name = z.str(p + 46, n, "entry name");
  apply_zip64_extra(z, p + 46 + n, m, e, local);
  p += 46 + n + m + k;
  const std::string who = "entry '" + e.name + "'";
  if (flags & 0x1u) zip_fail(start, who + " is encrypted");
  if (e.method != 0 && e.method != 8)
    zip_fail(start, who + " uses compression method " + std::to_string(e.method) +
                        " (only stored 0 and deflate 8)");
  if (e.method == 0 && e.compressed_size != e.size)
    zip_fail(start, who + " is stored but its sizes differ (" + std::to_string(e.compressed_size) +
                        " vs " + std::to_string(e.size) + ")");
  if (e.size > lim.max_entry_size)
    zip_fail(start, who + " of " + std::to_string(e.size) + " bytes exceeds the limit " +
                        std::to_string(lim.max_entry_size));
  // Local header: 30 bytes + name + extra, then the data, all before the central directory.
  if (local > dir.offset || dir.offset - local < 30 ||
      z.get<std::uint32_t>(local, "local header") != zip_local_sig)
    zip_fail(local, who + ": no local header at its offset");
  const std::uint64_t ln = z.get<std::uint16_t>(local + 26, "local name length");
  const std::uint64_t lm = z.get<std::uint16_t>(local + 28, "local extra length");
  if (z.get<std::uint16_t>(local + 8, "local method") != e.method || ln != n ||
      30 + ln + lm > dir.offset - local || z.str(local + 30, ln, "local name") != e.name)
    zip_fail(local, who + ": local header disagrees with the central directory");
  e.data_offset = local + 30 + ln + lm;
  if (e.compressed_size > dir.offset - e.data_offset)
    zip_fail(e.data_offset,
             who + ": " + std::to_string(e.compressed_size) + " data bytes overrun the archive");
  return e;
}

#ifdef SPK_WITH_ZLIB
/// Raw DEFLATE -> exactly `out.size()` bytes, or a rejection naming the entry.
inline void inflate_entry(const unsigned char* in, const zip_entry& e,
                          std::vector<unsigned char>& out) {
  const std::string who = "entry '" + e.name + "'";
  if (e.compressed_size > std::numeric_limits<uInt>::max() ||
      e.size > std::numeric_limits<uInt>::max())
    zip_fail(e.data_offset, who + " is too large for one inflate call");
  z_stream s{};
  if (inflateInit2(&s, -15) != Z_OK) raise(errc::unsupported, "spk: read_zip: inflateInit2 failed");
  s.next_in = const_cast<Bytef*>(in);
  s.avail_in = static_cast<uInt>(e.compressed_size);
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&s, Z_FINISH);
  const std::uint64_t produced = s.total_out;
  inflateEnd(&s);
  if (rc != Z_STREAM_END || produced != e.size)
    zip_fail(e.data_offset, who + ": corrupt deflate stream (zlib status " + std::to_string(rc) +
                                ", " + std::to_string(produced) + " of " + std::to_string(e.size) +
                                " bytes)");
}
#endif

}  // namespace detail

/// The archive's members in central-directory order. Rejects (bad_format, naming the byte
/// offset): no end record, multi-disk, a directory that does not end at the end record,
/// truncated or overlapping entries, encryption, methods other than stored/deflate, duplicate
/// names, data that overruns the archive, sizes above the limits.
inline std::vector<zip_entry> list_zip(const unsigned char* data, std::size_t size,
                                       const zip_limits& lim = {}) {
  const detail::zip_bytes z{data, size};
  const detail::zip_directory dir = detail::read_directory(z);
  std::vector<zip_entry> out;
  out.reserve(static_cast<std::size_t>(dir.entries));
  std::uint64_t p = dir.offset;
  for (std::uint64_t i = 0; i < dir.entries; ++i) {
    zip_entry e = detail::read_central_entry(z, dir, p, lim);
    for (const auto& prev : out)
      if (prev.name == e.name) detail::zip_fail(p, "duplicate entry '" + e.name + "'");
    out.push_back(std::move(e));
  }
  if (p != dir.offset + dir.size)
    detail::zip_fail(
        p, std::to_string(dir.offset + dir.size - p) + " unparsed bytes in the central directory");
  return out;
}

/// The uncompressed bytes of `e` (an entry list_zip returned for the same buffer), CRC-checked.
/// A deflate member without zlib raises errc::unsupported naming it. A deflate member may
/// expand at most 1032:1 (deflate's limit), so the output is bounded by the input.
inline std::vector<unsigned char> zip_entry_bytes(const unsigned char* data, std::size_t size,
                                                  const zip_entry& e) {
  if (e.data_offset > size || e.compressed_size > size - e.data_offset)
    detail::zip_fail(e.data_offset, "entry '" + e.name + "' lies outside the archive");
  const unsigned char* in = data + e.data_offset;
  std::vector<unsigned char> out;
  if (e.method == 0) {
    out.assign(in, in + e.compressed_size);
  } else {
#ifdef SPK_WITH_ZLIB
    if (e.size / 1032 > e.compressed_size)
      detail::zip_fail(e.data_offset, "entry '" + e.name + "' claims " + std::to_string(e.size) +
                                          " bytes from " + std::to_string(e.compressed_size) +
                                          ": more than deflate can expand");
    out.resize(static_cast<std::size_t>(e.size));
    detail::inflate_entry(in, e, out);
#else
    raise(errc::unsupported,
          "spk: read_zip: entry '" + e.name +
              "' is deflate-compressed (np.savez_compressed) but this build has no zlib: "
              "re-save with np.savez, or build with zlib (SPK_WITH_ZLIB)");
#endif
  }
  if (crc32(out.data(), out.size()) != e.crc)
    detail::zip_fail(e.data_offset, "entry '" + e.name + "' checksum mismatch");
  return out;
}

/// One array of an .npz: the member name without ".npy" ("conv1.weight").
struct npz_member {
  std::string name;
  npy_array array;
};

/// The member name np.savez gives an array: the entry name without its ".npy" suffix.
inline std::string npz_array_name(const zip_entry& e) {
  const std::string& n = e.name;
  return n.size() > 4 && n.compare(n.size() - 4, 4, ".npy") == 0 ? n.substr(0, n.size() - 4) : n;
}

/// Reads member `e` as an .npy array; errors keep their code and gain the entry's name.
inline npy_array read_npz_member(const unsigned char* data, std::size_t size, const zip_entry& e) {
  const auto bytes = zip_entry_bytes(data, size, e);
#ifdef SPK_NO_EXCEPTIONS
  return read_npy(bytes.data(), bytes.size());
#else
  try {
    return read_npy(bytes.data(), bytes.size());
  } catch (const error& x) {
    raise(x.code(), "spk: read_npz: entry '" + e.name + "': " + x.what());
  }
#endif
}

/// Every array of an .npz archive, in archive order.
inline std::vector<npz_member> read_npz(const unsigned char* data, std::size_t size,
                                        const zip_limits& lim = {}) {
  std::vector<npz_member> out;
  for (const zip_entry& e : list_zip(data, size, lim))
    out.push_back(npz_member{npz_array_name(e), read_npz_member(data, size, e)});
  return out;
}

/// The bytes of a file; errors name the path and the caller.
inline std::vector<unsigned char> read_file_bytes(const std::string& path, const char* where) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) raise(errc::io, std::string("spk: ") + where + ": cannot open '" + path + "'");
  const std::streamoff n = f.tellg();
  if (n < 0) raise(errc::io, std::string("spk: ") + where + ": cannot size '" + path + "'");
  std::vector<unsigned char> bytes(static_cast<std::size_t>(n));
  f.seekg(0);
  if (n > 0 && !f.read(reinterpret_cast<char*>(bytes.data()), n))
    raise(errc::io, std::string("spk: ") + where + ": read of '" + path + "' failed");
  return bytes;
}

inline std::vector<npz_member> load_npz(const std::string& path, const zip_limits& lim = {}) {
  const auto bytes = read_file_bytes(path, "load_npz");
  return read_npz(bytes.data(), bytes.size(), lim);
}

}  // namespace format
SPK_END_NAMESPACE
