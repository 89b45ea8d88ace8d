// SPDX-License-Identifier: Apache-2.0
// Reader for NumPy .npy arrays (what numpy.save writes, e.g. from a PyTorch state dict), the
// input of spk's converter. Accepts float32 and float16, little-endian, C or Fortran order;
// returns float32 in C order. Everything else is rejected by name; nothing is trusted.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "spk/core/checked.hpp"

SPK_BEGIN_NAMESPACE
namespace format {

/// A dense float32 array in C (row-major) order.
struct npy_array {
  std::vector<index_t> shape;  ///< empty for a 0-d scalar
  std::vector<float> data;     ///< prod(shape) values
};

/// IEEE binary16 -> binary32, exact for every value (subnormals, inf, NaN payload kept).
inline float half_to_float(std::uint16_t h) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu, bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal half: renormalise
      int e = -1;
      do ++e, mant <<= 1;
      while ((mant & 0x400u) == 0);
      bits = sign | static_cast<std::uint32_t>(127 - 15 - e) << 23 | ((mant & 0x3FFu) << 13);
    }
  } else {
    bits = sign | (exp + 127 - 15) << 23 | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

namespace detail {

[[noreturn]] inline void npy_fail(std::size_t offset, const std::string& msg) {
  raise(errc::bad_format, "spk: read_npy: at byte offset " + std::to_string(offset) + ": " + msg);
}

/// Minimal parser of the Python-literal header dict numpy writes:
/// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class npy_header_parser {
 public:
  npy_header_parser(const std::string& text, std::size_t base) : s_(text), base_(base) {}

  void parse(std::string& descr, bool& fortran, std::vector<index_t>& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    skip_ws();
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') break;
      const std::string key = string_literal();
      skip_ws(), expect(':'), skip_ws();
      if (key == "descr") {
        descr = string_literal(), have_descr = true;
      } else if (key == "fortran_order") {
        fortran = boolean(), have_order = true;
      } else if (key == "shape") {
        shape = tuple(), have_shape = true;
      } else {
        fail("unknown header key '" + key + "'");
      }
      skip_ws();
      if (peek() == ',') ++i_;
    }
    if (!have_descr || !have_order || !have_shape) fail("header lacks 'descr', 'fortran_order' or 'shape'");
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const { npy_fail(base_ + i_, msg); }
  char peek() const {
    if (i_ >= s_.size()) fail("header ends early");
    return s_[i_];
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "' in the header, found '" + s_[i_] + "'");
    ++i_;
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n')) ++i_;
  }
  std::string string_literal() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string in the header");
    const std::size_t start = ++i_;
    while (peek() != q) ++i_;
    return s_.substr(start, i_++ - start);
  }
  bool boolean() {
    if (s_.compare(i_, 4, "True") == 0) return i_ += 4, true;
    if (s_.compare(i_, 5, "False") == 0) return i_ += 5, false;
    fail("fortran_order must be True or False");
  }
  std::vector<index_t> tuple() {
    std::vector<index_t> dims;
    expect('(');
    for (;;) {
      skip_ws();
      if (peek() == ')') break;
      index_t v = 0;
      if (peek() < '0' || peek() > '9') fail("shape entries must be non-negative integers");
      while (peek() >= '0' && peek() <= '9') {
        v = checked_add(checked_mul(v, 10, "npy shape entry"), s_[i_] - '0', "npy shape entry");
        ++i_;
      }
      if (peek() == 'L') ++i_;  // Python 2 long suffix
      dims.push_back(v);
      if (dims.size() > 32) fail("more than 32 dimensions");
      skip_ws();
      if (peek() == ',') ++i_;
    }
    ++i_;
    return dims;
  }

  const std::string& s_;
  std::size_t base_, i_ = 0;
};

}  // namespace detail

/// Parses an .npy image. Rejects: bad magic or version, header overruns, unknown keys,
/// dtypes other than little-endian float32/float16 (named in the message), a payload whose
/// size differs from prod(shape) * itemsize, overflowing shapes.
inline npy_array read_npy(const unsigned char* data, std::size_t size) {
  static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10) detail::npy_fail(0, "file of " + std::to_string(size) + " bytes is too short for an .npy header");
  if (std::memcmp(data, magic, 6) != 0) detail::npy_fail(0, "bad magic: not an .npy file");
  const unsigned major = data[6];
  std::size_t header_len, pos;
  if (major == 1) {
    header_len = data[8] | static_cast<std::size_t>(data[9]) << 8, pos = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) detail::npy_fail(8, "truncated header length");
    header_len = data[8] | static_cast<std::size_t>(data[9]) << 8 | static_cast<std::size_t>(data[10]) << 16 |
                 static_cast<std::size_t>(data[11]) << 24;
    pos = 12;
  } else {
    detail::npy_fail(6, "unsupported .npy format version " + std::to_string(major));
  }
  if (header_len > size - pos) detail::npy_fail(pos, "header of " + std::to_string(header_len) + " bytes overruns the file");
  const std::string header(reinterpret_cast<const char*>(data + pos), header_len);
  std::string descr;
  bool fortran = false;
  npy_array out;
  detail::npy_header_parser(header, pos).parse(descr, fortran, out.shape);
  pos += header_len;

  std::size_t itemsize;
  if (descr == "<f4" || descr == "=f4") itemsize = 4;        // '=' is native: little-endian hosts only
  else if (descr == "<f2" || descr == "=f2") itemsize = 2;
  else detail::npy_fail(pos, "unsupported dtype '" + descr + "' (spk reads little-endian float32 '<f4' or float16 '<f2')");
  const index_t n = checked_product(out.shape.begin(), out.shape.end(), "npy element count");
  if (static_cast<std::uint64_t>(n) > (size - pos) / itemsize || static_cast<std::size_t>(n) * itemsize != size - pos)
    detail::npy_fail(pos, "payload has " + std::to_string(size - pos) + " bytes, shape needs " + std::to_string(n) + " x " +
                              std::to_string(itemsize));
  std::vector<float> raw(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (itemsize == 4) {
      std::memcpy(&raw[i], data + pos + 4 * i, 4);
    } else {
      std::uint16_t h;
      std::memcpy(&h, data + pos + 2 * i, 2);
      raw[i] = half_to_float(h);
    }
  }
  if (!fortran || out.shape.size() < 2) {
    out.data = std::move(raw);
    return out;
  }
  // Fortran order: element (i0, i1, ...) sits at i0 + d0 * (i1 + d1 * ...). Transpose to C.
  out.data.resize(raw.size());
  const std::size_t r = out.shape.size();
  std::vector<index_t> idx(r, 0), fstride(r, 1);
  for (std::size_t d = 1; d < r; ++d) fstride[d] = fstride[d - 1] * out.shape[d - 1];
  for (std::size_t c = 0; c < out.data.size(); ++c) {
    index_t f = 0;
    for (std::size_t d = 0; d < r; ++d) f += idx[d] * fstride[d];
    out.data[c] = raw[static_cast<std::size_t>(f)];
    for (std::size_t d = r; d-- > 0;) {
      if (++idx[d] < out.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/// Reads an .npy file; errors name the path.
inline npy_array load_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) raise(errc::io, "spk: load_npy: cannot open '" + path + "'");
  const std::streamoff n = f.tellg();
  std::vector<unsigned char> bytes(static_cast<std::size_t>(n > 0 ? n : 0));
  f.seekg(0);
  if (n > 0 && !f.read(reinterpret_cast<char*>(bytes.data()), n)) raise(errc::io, "spk: load_npy: read of '" + path + "' failed");
  return read_npy(bytes.data(), bytes.size());
}

}  // namespace format
SPK_END_NAMESPACE
