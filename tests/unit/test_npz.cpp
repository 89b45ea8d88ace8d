// SPDX-License-Identifier: Apache-2.0
// .npz (zip) reader against archives numpy wrote (tests/data/npz, from make_npz.py: stored and
// deflate members, float16, Fortran order, an int64 member) and a malformed-archive corpus made
// by editing their central directory: every case is rejected naming the problem, never a crash.
#include <cstring>
#include <string>
#include <vector>

#include "harness.hpp"
#include "spk/format/npz.hpp"

using namespace spk;
using namespace spk::format;

namespace {

std::vector<unsigned char> fixture(const char* name) {
  std::string here = __FILE__;  // .../tests/unit/test_npz.cpp
  return read_file_bytes(here.substr(0, here.rfind("/unit/")) + "/data/npz/" + name, "fixture");
}

template <class T>
void poke(std::vector<unsigned char>& f, std::size_t at, T v) {
  std::memcpy(f.data() + at, &v, sizeof(T));
}
template <class T>
T peek(const std::vector<unsigned char>& f, std::size_t at) {
  T v;
  std::memcpy(&v, f.data() + at, sizeof(T));
  return v;
}

/// Offsets in an archive without a comment: the EOCD is the last 22 bytes.
std::size_t eocd(const std::vector<unsigned char>& f) { return f.size() - 22; }
std::size_t first_central(const std::vector<unsigned char>& f) {
  return peek<std::uint32_t>(f, eocd(f) + 16);
}

void check_rejected(const std::vector<unsigned char>& f, const std::string& needle) {
  try {
    (void)read_npz(f.data(), f.size());
    FAIL_CHECK("accepted a malformed archive; expected: " << needle);
  } catch (const spk::error& e) {
    const std::string msg = e.what();
    CHECK_MESSAGE(e.code() == errc::bad_format, msg);
    CHECK_MESSAGE(msg.find(needle) != std::string::npos, msg << "\n  lacks: " << needle);
  }
}

}  // namespace

TEST_CASE("read_npz reads what np.savez wrote: names, shapes, float16, Fortran order") {
  const auto f = fixture("toy_model.npz");
  const auto entries = list_zip(f.data(), f.size());
  REQUIRE(entries.size() == 7);
  CHECK(entries[0].name == "conv1.weight.npy");
  CHECK(npz_array_name(entries[0]) == "conv1.weight");
  CHECK(entries[0].method == 0);
  SPK_CHECK_ERROR(read_npz(f.data(), f.size()), errc::bad_format,
                  "entry 'bn1.num_batches_tracked.npy'");  // int64 counter: named
  const npy_array fc2 = read_npz_member(f.data(), f.size(), entries[6]);
  CHECK(fc2.shape == std::vector<index_t>{5, 8});
  CHECK(fc2.data[8] == doctest::Approx(-0.36046302).epsilon(1e-6));  // [1][0], from Fortran order
  const npy_array bias = read_npz_member(f.data(), f.size(), entries[5]);
  CHECK(bias.data[0] == doctest::Approx(-0.4963).epsilon(1e-3));  // float16
  CHECK(read_npz_member(f.data(), f.size(), entries[3]).shape ==
        std::vector<index_t>{8, 2, 3, 3, 3});
}

TEST_CASE("deflate members are inflated with zlib or rejected naming the member") {
  const auto f = fixture("toy_model_compressed.npz");
  const auto entries = list_zip(f.data(), f.size());
  REQUIRE(entries.size() == 7);
  CHECK(entries[0].method == 8);
  if (zip_has_deflate()) {
    const auto s = fixture("toy_model.npz");
    const auto a = read_npz_member(f.data(), f.size(), entries[0]);
    const auto b = read_npz_member(s.data(), s.size(), list_zip(s.data(), s.size())[0]);
    CHECK(a.data == b.data);
  } else {
    SPK_CHECK_ERROR(read_npz_member(f.data(), f.size(), entries[0]), errc::unsupported,
                    "entry 'conv1.weight.npy' is deflate-compressed");
  }
}

TEST_CASE("read_npz rejects malformed archives naming the problem") {
  const auto good = fixture("toy_model.npz");
  const std::size_t cd = first_central(good);
  auto f = good;
  f.resize(f.size() - 5);
  check_rejected(f, "no end-of-central-directory record");
  check_rejected(std::vector<unsigned char>(good.begin(), good.begin() + 10), "too short");
  f = good, f[100] ^= 0x40;  // inside the first member's payload
  check_rejected(f, "checksum mismatch");
  f = good, poke<std::uint16_t>(f, cd + 10, 12);
  check_rejected(f, "compression method 12");
  f = good, poke<std::uint16_t>(f, cd + 8, 1);
  check_rejected(f, "is encrypted");
  f = good, poke<std::uint32_t>(f, cd + 42, std::uint32_t(cd - 10));
  check_rejected(f, "no local header at its offset");
  f = good, poke<std::uint32_t>(f, cd + 20, 0x7FFFFFFF),
  poke<std::uint32_t>(f, cd + 24, 0x7FFFFFFF);
  check_rejected(f, "overrun the archive");
  f = good, poke<std::uint32_t>(f, cd + 20, 3);  // stored, but sizes differ
  check_rejected(f, "sizes differ");
  f = good, poke<std::uint16_t>(f, eocd(f) + 10, 60000), poke<std::uint16_t>(f, eocd(f) + 8, 60000);
  check_rejected(f, "cannot fit");
  f = good, poke<std::uint32_t>(f, eocd(f) + 16, std::uint32_t(cd + 1));
  check_rejected(f, "does not end where the end record starts");
  f = good, poke<std::uint16_t>(f, eocd(f) + 4, 1);
  check_rejected(f, "multi-disk");
  f = good, poke<std::uint16_t>(f, cd + 30, 0xFFFF);  // extra field runs past the directory
  check_rejected(f, "overruns the central directory");
  f = good, poke<std::uint32_t>(f, eocd(f) + 12, 0xFFFFFFFFu);
  check_rejected(f, "no ZIP64 locator");
  // "fc2.weight.npy" renamed "fc1.weight.npy" in its central and local headers: a duplicate.
  f = good;
  std::size_t e = cd;
  for (int i = 0; i < 6; ++i)
    e += 46 + peek<std::uint16_t>(f, e + 28) + peek<std::uint16_t>(f, e + 30) +
         peek<std::uint16_t>(f, e + 32);
  REQUIRE(std::string(reinterpret_cast<const char*>(f.data() + e + 46), 14) == "fc2.weight.npy");
  f[e + 46 + 2] = '1';
  f[peek<std::uint32_t>(f, e + 42) + 30 + 2] = '1';
  check_rejected(f, "duplicate entry 'fc1.weight.npy'");
  f[e + 46 + 2] = '3';  // central and local names now disagree
  check_rejected(f, "local header disagrees");
}
