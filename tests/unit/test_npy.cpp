// SPDX-License-Identifier: Apache-2.0
// .npy reader against files numpy itself wrote (tests/data/npy), plus hand-made malformed
// headers: supported dtypes/orders read exactly, everything else rejected by name.
#include <string>
#include <vector>

#include "harness.hpp"
#include "spk/format/npy.hpp"

using namespace spk;
using namespace spk::format;

namespace {

std::string fixture(const char* name) {
  std::string here = __FILE__;  // .../tests/unit/test_npy.cpp
  return here.substr(0, here.rfind("/unit/")) + "/data/npy/" + name;
}

std::vector<unsigned char> npy_bytes(const std::string& header, std::size_t payload_bytes, unsigned version = 1) {
  std::vector<unsigned char> b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<unsigned char>(version), 0};
  const std::size_t n = header.size();
  b.push_back(static_cast<unsigned char>(n & 0xFF));
  b.push_back(static_cast<unsigned char>(n >> 8));
  if (version >= 2) b.push_back(0), b.push_back(0);
  b.insert(b.end(), header.begin(), header.end());
  b.resize(b.size() + payload_bytes, 0);
  return b;
}

}  // namespace

TEST_CASE("read_npy reads numpy's float32 in C and Fortran order identically") {
  for (const char* f : {"c_f32.npy", "fortran_f32.npy"}) {
    CAPTURE(f);
    const auto a = load_npy(fixture(f));
    REQUIRE(a.shape == std::vector<index_t>{2, 3, 4});
    REQUIRE(a.data.size() == 24);
    for (int i = 0; i < 24; ++i) CHECK(a.data[static_cast<std::size_t>(i)] == float(i) - 7.5f);
  }
}

TEST_CASE("read_npy converts float16 exactly, including subnormals and inf") {
  const auto a = load_npy(fixture("f16.npy"));
  REQUIRE(a.shape == std::vector<index_t>{2, 3});
  CHECK(a.data[0] == 0.5f);
  CHECK(a.data[1] == -2.f);
  CHECK(a.data[2] == 65504.f);
  CHECK(a.data[3] == 0x1.0p-14f);
  CHECK(a.data[4] == 0x1.0p-24f);
  CHECK(std::isinf(a.data[5]));
  CHECK(half_to_float(0x7E00) != half_to_float(0x7E00));  // NaN stays NaN
  CHECK(half_to_float(0x8000) == 0.f);
  CHECK(std::signbit(half_to_float(0x8000)));
  CHECK(half_to_float(0x03FF) == 1023 * 0x1.0p-24f);  // largest subnormal
}

TEST_CASE("read_npy handles 0-d and empty arrays") {
  const auto s = load_npy(fixture("scalar_f32.npy"));
  CHECK(s.shape.empty());
  REQUIRE(s.data.size() == 1);
  CHECK(s.data[0] == 3.25f);
  const auto e = load_npy(fixture("empty_f32.npy"));
  CHECK(e.shape == std::vector<index_t>{0, 5});
  CHECK(e.data.empty());
}

TEST_CASE("read_npy rejects other dtypes by name") {
  SPK_CHECK_ERROR(load_npy(fixture("f64.npy")), errc::bad_format, "unsupported dtype '<f8'");
  SPK_CHECK_ERROR(load_npy(fixture("big_endian_f32.npy")), errc::bad_format, "unsupported dtype '>f4'");
  SPK_CHECK_ERROR(load_npy(fixture("int64.npy")), errc::bad_format, "unsupported dtype '<i8'");
  SPK_CHECK_ERROR(load_npy("/nonexistent.npy"), errc::io, "cannot open");
}

TEST_CASE("read_npy rejects malformed files") {
  const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  auto good = npy_bytes(ok, 24);
  CHECK(read_npy(good.data(), good.size()).data.size() == 6);
  auto v2 = npy_bytes(ok, 24, 2);
  CHECK(read_npy(v2.data(), v2.size()).shape == std::vector<index_t>{2, 3});
  for (std::size_t n = 0; n < good.size(); ++n) {  // every truncation
    CAPTURE(n);
    SPK_CHECK_ERROR(read_npy(good.data(), n), errc::bad_format, "read_npy");
  }
  auto b = good;
  b[1] = 'X';
  SPK_CHECK_ERROR(read_npy(b.data(), b.size()), errc::bad_format, "bad magic");
  b = npy_bytes(ok, 24, 7);
  SPK_CHECK_ERROR(read_npy(b.data(), b.size()), errc::bad_format, "version 7");
  b = good, b[8] = 0xFF, b[9] = 0xFF;
  SPK_CHECK_ERROR(read_npy(b.data(), b.size()), errc::bad_format, "overruns");
  b = npy_bytes(ok, 28);
  SPK_CHECK_ERROR(read_npy(b.data(), b.size()), errc::bad_format, "payload has 28 bytes");
  b = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999), }", 0);
  SPK_CHECK_ERROR(read_npy(b.data(), b.size()), errc::overflow, "npy element count");
  b = npy_bytes("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", 8);
  SPK_CHECK_ERROR(read_npy(b.data(), b.size()), errc::bad_format, "True or False");
  b = npy_bytes("{'descr': '<f4', 'shape': (2,), }", 8);
  SPK_CHECK_ERROR(read_npy(b.data(), b.size()), errc::bad_format, "lacks");
  b = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 8);
  SPK_CHECK_ERROR(read_npy(b.data(), b.size()), errc::bad_format, "non-negative");
  b = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", 8);
  SPK_CHECK_ERROR(read_npy(b.data(), b.size()), errc::bad_format, "unknown header key 'extra'");
  b = npy_bytes("{'descr': '<f4", 8);
  SPK_CHECK_ERROR(read_npy(b.data(), b.size()), errc::bad_format, "header ends early");
}
