// SPDX-License-Identifier: Apache-2.0
// The .spk container: CRC-32 check value, round trips, and a malformed-input corpus (every
// truncation, bad magic/version/endianness, checksum errors, huge or overlapping sizes) that
// must be rejected with errc::bad_format naming the problem — never a crash.
#include <cstdio>
#include <string>
#include <vector>

#include "harness.hpp"
#include "spk/format/io.hpp"

using namespace spk;
using namespace spk::format;

namespace {

std::vector<record> sample_records() {
  record a;
  a.name = "features.0", a.kind = "test";
  a.set_attr("out_channels", 64);
  a.set_attr("negative", -3);
  a.add_array<float>("weights", std::vector<float>{1.5f, -2.f, 0.f, 3.25f, 7.f});
  a.add_array<std::int32_t>("index", std::vector<std::int32_t>{0, 4, 2});
  a.add_array<std::int64_t>("empty", std::vector<std::int64_t>{});
  record b;
  b.name = "classifier", b.kind = "csr";
  b.add_array<std::uint16_t>("codes", std::vector<std::uint16_t>{1, 65535});
  b.add_array<std::uint8_t>("mask", std::vector<std::uint8_t>{1, 0, 1});
  return {a, b};
}

/// Recomputes the TOC and header checksums after a test corrupts a field, so the corruption
/// reaches the deeper checks instead of stopping at the checksum.
void refix(std::vector<unsigned char>& f) {
  std::uint64_t toc_offset, toc_size;
  std::memcpy(&toc_offset, f.data() + 24, 8);
  std::memcpy(&toc_size, f.data() + 32, 8);
  if (toc_offset <= f.size() && toc_size <= f.size() - toc_offset) {
    const std::uint32_t c = crc32(f.data() + toc_offset, toc_size);
    std::memcpy(f.data() + 44, &c, 4);
  }
  const std::uint32_t h = crc32(f.data(), 48);
  std::memcpy(f.data() + 48, &h, 4);
}

template <class T>
void set_field(std::vector<unsigned char>& f, std::size_t at, T v) {
  std::memcpy(f.data() + at, &v, sizeof(T));
}

}  // namespace

TEST_CASE("crc32 matches the standard check value") {
  const char* s = "123456789";
  CHECK(crc32(s, 9) == 0xCBF43926u);
  CHECK(crc32(s + 4, 5, crc32(s, 4)) == 0xCBF43926u);  // incremental
  CHECK(crc32(nullptr, 0) == 0u);
}

TEST_CASE("bundle round trip keeps names, kinds, attributes and arrays") {
  const auto recs = sample_records();
  const auto bytes = write_bundle(recs);
  const auto back = read_bundle(bytes);
  REQUIRE(back.size() == 2);
  CHECK(back[0].name == "features.0");
  CHECK(back[0].kind == "test");
  CHECK(back[0].attr("out_channels") == 64);
  CHECK(back[0].attr("negative") == -3);
  CHECK(back[0].get_array<float>("weights") == std::vector<float>{1.5f, -2.f, 0.f, 3.25f, 7.f});
  CHECK(back[0].get_array<std::int32_t>("index") == std::vector<std::int32_t>{0, 4, 2});
  CHECK(back[0].get_array<std::int64_t>("empty").empty());
  CHECK(back[1].get_array<std::uint16_t>("codes") == std::vector<std::uint16_t>{1, 65535});
  CHECK(write_bundle(back) == bytes);  // byte-identical re-serialisation
  // Payloads are 64-byte aligned: "weights" (20 bytes) at 64, "index" at 128.
  float w0;
  std::memcpy(&w0, bytes.data() + 64, 4);
  CHECK(w0 == 1.5f);
  std::int32_t i1;
  std::memcpy(&i1, bytes.data() + 128 + 4, 4);
  CHECK(i1 == 4);
  SPK_CHECK_ERROR(back[0].attr("missing"), errc::bad_format, "missing attribute 'missing'");
  SPK_CHECK_ERROR(back[0].get_array<float>("index"), errc::bad_format, "has type i32, expected f32");
  SPK_CHECK_ERROR(back[1].get_array<float>("nope"), errc::bad_format, "missing array 'nope'");
}

TEST_CASE("an empty bundle is valid") {
  const auto bytes = write_bundle({});
  CHECK(bytes.size() == 64);
  CHECK(read_bundle(bytes).empty());
}

TEST_CASE("write_bundle rejects duplicate record names") {
  auto recs = sample_records();
  recs[1].name = recs[0].name;
  SPK_CHECK_ERROR(write_bundle(recs), errc::invalid_argument, "unique names");
}

TEST_CASE("every truncation of a bundle is rejected") {
  const auto bytes = write_bundle(sample_records());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CAPTURE(n);
    std::vector<unsigned char> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    SPK_CHECK_ERROR(read_bundle(cut), errc::bad_format, "spk: read_bundle");
  }
}

TEST_CASE("malformed headers are rejected with the reason") {
  const auto good = write_bundle(sample_records());
  auto f = good;
  f[0] = 'X';
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "bad magic");
  f = good, set_field<std::uint32_t>(f, 8, 2), refix(f);
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "unsupported version 2");
  f = good, set_field<std::uint32_t>(f, 12, 0x04030201u), refix(f);
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "byte-swapped");
  f = good, f[20] ^= 1;  // file_size without refix: header checksum
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "header checksum");
  f = good, f[60] = 1, refix(f);
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "reserved header byte");
  f = good, f.push_back(0), refix(f);
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "header says");
  f = good, set_field<std::uint64_t>(f, 24, 1ull << 62), refix(f);
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "table of contents");
  f = good, f[f.size() - 1] ^= 0x55;
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "table of contents checksum");
  f = good, set_field<std::uint32_t>(f, 40, 0xFFFFFFFFu), refix(f);
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "cannot fit");
}

TEST_CASE("corrupt payloads and table entries are rejected") {
  const auto good = write_bundle(sample_records());
  std::uint64_t toc;
  std::memcpy(&toc, good.data() + 24, 8);
  auto f = good;
  f[64] ^= 0x01;  // first payload byte
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "checksum mismatch");
  // First record: name "features.0" (4+10), kind "test" (4+4), 2 attrs, then the arrays.
  const std::size_t attrs_at = toc + 14 + 8;
  f = good, set_field<std::uint32_t>(f, attrs_at, 1u << 30), refix(f);
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "attribute count");
  const std::size_t attr1 = attrs_at + 4, arrays_at = attr1 + (4 + 12 + 8) + (4 + 8 + 8);
  f = good, set_field<std::uint32_t>(f, attr1, 1u << 31), refix(f);
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "length");
  const std::size_t arr0 = arrays_at + 4;                 // "weights": 4 + 7 name bytes
  const std::size_t dtype_at = arr0 + 11, count_at = dtype_at + 4, offset_at = count_at + 8;
  f = good, f[dtype_at] = 9, refix(f);
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "unknown dtype 9");
  f = good, set_field<std::uint64_t>(f, count_at, ~0ull), refix(f);
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "overruns");
  f = good, set_field<std::uint64_t>(f, offset_at, 65), refix(f);
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "aligned");
  f = good, set_field<std::uint64_t>(f, offset_at, toc + 64), refix(f);
  SPK_CHECK_ERROR(read_bundle(f), errc::bad_format, "offset");
}

TEST_CASE("single-byte corruptions of the table never crash") {
  // With checksums re-fixed, each flipped TOC byte must parse or raise bad_format.
  const auto good = write_bundle(sample_records());
  std::uint64_t toc;
  std::memcpy(&toc, good.data() + 24, 8);
  int rejected = 0;
  for (std::size_t i = toc; i < good.size(); ++i)
    for (unsigned char flip : {0x01, 0x80, 0xFF}) {
      auto f = good;
      f[i] ^= flip;
      refix(f);
      try {
        (void)read_bundle(f);
      } catch (const spk::error& e) {
        REQUIRE(e.code() == errc::bad_format);
        ++rejected;
      }
    }
  CHECK(rejected > 0);
}

TEST_CASE("save_bundle and load_bundle go through a file") {
  const std::string path = "spk_test_bundle.spk";
  save_bundle(path, sample_records());
  const auto back = load_bundle(path);
  CHECK(back.size() == 2);
  std::remove(path.c_str());
  SPK_CHECK_ERROR(load_bundle("/nonexistent/dir/x.spk"), errc::io, "cannot open");
}
