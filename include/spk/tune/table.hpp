// SPDX-License-Identifier: Apache-2.0
// The tune table: rows keyed by (device, kernel, shape class, density class) holding a kernel
// family's parameters, its text (TSV) format with a strict parser (spk::error naming file and
// line), the writer, and the lookup chain exact -> same kernel nearest class -> device default
// (shape and density "*") -> built-in default (all fields 0).
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "spk/core/error.hpp"
#include "spk/tune/params.hpp"

SPK_BEGIN_NAMESPACE
namespace tune {

/// One feature of a shape class: a short lowercase name and an int. Categorical features
/// (kernel extents kd/kh/kw, strides s/sd/sh/sw) must match for two classes to be near (a
/// mismatch costs 100); the others are half-octave buckets round(2 log2 x), distance |a - b|.
struct feature {
  std::array<char, 4> name{};  ///< NUL-padded, 1-3 letters
  int value = 0;
  std::string_view key() const noexcept {
    return std::string_view(name.data(), name[2] ? 3 : name[1] ? 2 : name[0] ? 1 : 0);
  }
  bool categorical() const noexcept {
    const std::string_view k = key();
    return k == "kd" || k == "kh" || k == "kw" || k == "s" || k == "sd" || k == "sh" || k == "sw";
  }
};

/// A shape class: up to 8 features in a kernel-defined order (classes.hpp builds them), or no
/// feature at all = "*" (matches any shape: a device default row). No allocation: the drivers
/// build one per call.
struct shape_class {
  int n = 0;
  std::array<feature, 8> f{};

  shape_class& add(std::string_view name, int value) {
    feature& x = f[std::size_t(n++)];
    for (std::size_t i = 0; i < name.size() && i < 3; ++i) x.name[i] = name[i];
    x.value = value;
    return *this;
  }
  bool any() const noexcept { return n == 0; }
  std::string str() const {
    if (n == 0) return "*";
    std::string s;
    for (int i = 0; i < n; ++i) {
      if (i) s += ',';
      s += f[std::size_t(i)].key();
      s += '=';
      s += std::to_string(f[std::size_t(i)].value);
    }
    return s;
  }
  friend bool operator==(const shape_class& a, const shape_class& b) noexcept {
    if (a.n != b.n) return false;
    for (int i = 0; i < a.n; ++i)
      if (a.f[std::size_t(i)].key() != b.f[std::size_t(i)].key() ||
          a.f[std::size_t(i)].value != b.f[std::size_t(i)].value)
        return false;
    return true;
  }
};

/// The farthest shape class a "nearest" lookup may borrow from (sum of half-octave bucket
/// differences, categorical features equal): a row tuned on 64 channels at 224x224 says
/// nothing about 2048 channels at 7x7, which falls through to the device default instead.
inline constexpr int max_class_distance = 6;

/// Distance between two classes of the same kernel; -1 when they name different features.
inline int shape_distance(const shape_class& a, const shape_class& b) noexcept {
  if (a.n != b.n) return -1;
  int d = 0;
  for (int i = 0; i < a.n; ++i) {
    const feature &x = a.f[std::size_t(i)], &y = b.f[std::size_t(i)];
    if (x.key() != y.key()) return -1;
    d += x.categorical() ? (x.value == y.value ? 0 : 100) : std::abs(x.value - y.value);
  }
  return d;
}

/// Half-octave bucket round(2 log2 x) of a positive extent (0 for x <= 1).
inline int log_bucket(double x) noexcept {
  return x <= 1 ? 0 : int(std::lround(2.0 * std::log2(x)));
}

/// Density class: round(-2 log2 d), 0 (dense) .. 40 (d <= 2^-20, or 0). 4/9 -> 2, 1/8 -> 6.
inline constexpr int max_density_class = 40;
inline int density_class(double d) noexcept {
  if (!(d > 0)) return max_density_class;
  return std::clamp(int(std::lround(-2.0 * std::log2(std::min(d, 1.0)))), 0, max_density_class);
}
inline constexpr int any_density = -1;  ///< "*" in the table

struct table_key {
  std::string device;  ///< "cpu:<xsimd arch name>" or "cl:<device name>" (see device.hpp)
  std::string kernel;  ///< a name of kernel_specs()
  shape_class shape;   ///< "*" = any
  int density = any_density;
};

struct table_row {
  table_key key;
  param_values values{};
  double tuned_ms = -1, default_ms = -1;  ///< medians the tuner measured (-1: not recorded)
  std::string note;                       ///< free text: the layer the row was tuned on
  int line = 0;                           ///< source line (0: not parsed from text)
  family fam() const { return find_kernel(key.kernel)->fam; }
};

/// Which step of the chain answered a lookup.
enum class match { exact, nearest, device_default, builtin };
inline const char* to_string(match m) noexcept {
  switch (m) {
    case match::exact:
      return "exact";
    case match::nearest:
      return "nearest";
    case match::device_default:
      return "device_default";
    case match::builtin:
      return "builtin";
  }
  return "?";
}

struct lookup_result {
  param_values values{};  ///< all 0 for match::builtin
  match level = match::builtin;
  const table_row* row = nullptr;
};

class table {
 public:
  const std::vector<table_row>& rows() const noexcept { return rows_; }
  bool empty() const noexcept { return rows_.empty(); }
  std::size_t size() const noexcept { return rows_.size(); }

  /// Adds `r`, replacing a row with the same key.
  void put(table_row r) {
    for (auto& x : rows_)
      if (same_key(x.key, r.key)) return void(x = std::move(r));
    rows_.push_back(std::move(r));
  }
  const table_row* find_exact(const table_key& k) const noexcept {
    for (const auto& x : rows_)
      if (same_key(x.key, k)) return &x;
    return nullptr;
  }

  /// The chain: exact key; else the same device and kernel's nearest concrete row within
  /// max_class_distance (shape distance first, then density distance, "*" density = 0; ties:
  /// the first row); else the
  /// (device, kernel, *, *) row; else the built-in default. No allocation.
  lookup_result lookup(std::string_view device, std::string_view kernel, const shape_class& shape,
                       int density) const noexcept {
    lookup_result best;
    long best_d = std::numeric_limits<long>::max();
    const table_row* dev_default = nullptr;
    for (const auto& x : rows_) {
      if (x.key.device != device || x.key.kernel != kernel) continue;
      if (x.key.shape.any()) {
        if (x.key.density == any_density) dev_default = &x;
        continue;
      }
      const int sd = shape_distance(x.key.shape, shape);
      if (sd < 0 || sd > max_class_distance) continue;
      const int dd = x.key.density == any_density || density == any_density
                         ? 0
                         : std::abs(x.key.density - density);
      if (sd == 0 && (x.key.density == density)) return {x.values, match::exact, &x};
      const long d = long(sd) * 64 + dd;
      if (d < best_d) best_d = d, best = {x.values, match::nearest, &x};
    }
    if (best.row) return best;
    if (dev_default) return {dev_default->values, match::device_default, dev_default};
    return {};
  }

  /// True when some row is for (device, kernel): the drivers' fast path skips the rest.
  bool has(std::string_view device, std::string_view kernel) const noexcept {
    for (const auto& x : rows_)
      if (x.key.device == device && x.key.kernel == kernel) return true;
    return false;
  }

 private:
  static bool same_key(const table_key& a, const table_key& b) noexcept {
    return a.device == b.device && a.kernel == b.kernel && a.density == b.density &&
           a.shape == b.shape;
  }
  std::vector<table_row> rows_;
};

/// Rows of `base` overlaid by those of `top` (a row of `top` replaces the same key).
inline table overlay(table base, const table& top) {
  for (const auto& r : top.rows()) base.put(r);
  return base;
}

// ---------------------------------------------------------------------------------------------
// Text format (one table = one UTF-8/ASCII file):
//
//   # comment lines and blank lines anywhere
//   spk-tune-table<TAB>1                       first non-comment line: magic and version
//   device<TAB>kernel<TAB>shape<TAB>density<TAB>params[<TAB>tuned_ms<TAB>default_ms<TAB>note]
//
//   device   [A-Za-z0-9_.:+-]+, e.g. cpu:avx512bw (xsimd arch name), cl:pocl-cpu
//   kernel   one of kernel_specs(): conv2d_fkw, conv3d_kgs, conv2d_punched (+ linear_punched),
//            spmm_bcr, spmm_bsr, spmv_bcr, spmv_bsr, gemm_dense, <sparse>/dense (crossover),
//            cl_* (OpenCL)
//   shape    * or name=int,... (classes.hpp: e.g. kh=3,kw=3,s=1,c=16,f=16,h=12,w=12)
//   density  * or the density class 0..40 (round(-2 log2 density))
//   params   - or field=int,... of the kernel's family (params.hpp; omitted fields = 0 = built-in)
//   tuned_ms, default_ms: - or a non-negative number (the tuner's medians); note: free text
//
// Every line is checked; the first bad one raises spk::error(errc::bad_format) with
// "<file>:<line>: <what>". Duplicate keys are errors.
// ---------------------------------------------------------------------------------------------

inline constexpr std::string_view table_magic = "spk-tune-table";
inline constexpr int table_version = 1;

namespace detail {

[[noreturn]] inline void bad_line(const std::string& file, int line, const std::string& what) {
  raise(errc::bad_format, "spk: tune table " + file + ":" + std::to_string(line) + ": " + what);
}

inline bool parse_int(std::string_view s, int& v) {
  if (s.empty()) return false;
  const char* b = s.data();
  if (*b == '+') return false;
  const auto r = std::from_chars(b, s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

inline std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t b = 0;
  for (;;) {
    const std::size_t e = s.find(sep, b);
    out.push_back(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
    if (e == std::string_view::npos) return out;
    b = e + 1;
  }
}

inline bool is_lower_name(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s)
    if (c < 'a' || c > 'z') return false;
  return true;
}

inline shape_class parse_shape(std::string_view s, const std::string& file, int line) {
  shape_class c;
  if (s == "*") return c;
  if (s.empty()) bad_line(file, line, "empty shape class (use * for any)");
  for (std::string_view item : split(s, ',')) {
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      bad_line(file, line, "shape feature '" + std::string(item) + "' is not name=int");
    const std::string_view name = item.substr(0, eq);
    int v = 0;
    if (!is_lower_name(name))
      bad_line(file, line,
               "shape feature name '" + std::string(name) + "': expected 1-3 letters a-z");
    if (!parse_int(item.substr(eq + 1), v) || v < -1000 || v > 1000)
      bad_line(file, line,
               "shape feature '" + std::string(item) + "': expected an integer in [-1000, 1000]");
    for (int i = 0; i < c.n; ++i)
      if (c.f[std::size_t(i)].key() == name)
        bad_line(file, line, "shape feature '" + std::string(name) + "' repeated");
    if (c.n == 8) bad_line(file, line, "more than 8 shape features");
    c.add(name, v);
  }
  return c;
}

inline param_values parse_params(std::string_view s, family fam, const std::string& kernel,
                                 const std::string& file, int line) {
  param_values v{};
  if (s == "-") return v;
  if (s.empty()) bad_line(file, line, "empty params (use - for the built-in defaults)");
  const family_spec& fs = spec(fam);
  std::array<bool, max_fields> seen{};
  for (std::string_view item : split(s, ',')) {
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      bad_line(file, line, "param '" + std::string(item) + "' is not field=int");
    const std::string_view name = item.substr(0, eq);
    int idx = -1;
    for (int i = 0; i < fs.nfields; ++i)
      if (name == fs.fields[std::size_t(i)].name) idx = i;
    if (idx < 0) {
      std::string known;
      for (int i = 0; i < fs.nfields; ++i)
        known += std::string(i ? ", " : "") + fs.fields[std::size_t(i)].name;
      bad_line(file, line,
               "unknown param '" + std::string(name) + "' for kernel " + kernel +
                   " (fields: " + known + ")");
    }
    if (seen[std::size_t(idx)]) bad_line(file, line, "param '" + std::string(name) + "' repeated");
    seen[std::size_t(idx)] = true;
    int x = 0;
    const field_spec& f = fs.fields[std::size_t(idx)];
    if (!parse_int(item.substr(eq + 1), x) || (x != 0 && (x < f.lo || x > f.hi)))
      bad_line(file, line,
               "param '" + std::string(item) + "': expected 0 or an integer in [" +
                   std::to_string(f.lo) + ", " + std::to_string(f.hi) + "]");
    v[std::size_t(idx)] = x;
  }
  return v;
}

inline double parse_ms(std::string_view s, const char* what, const std::string& file, int line) {
  if (s == "-") return -1;
  const std::string t(s);
  char* end = nullptr;
  const double v = t.empty() ? NAN : std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v) || v < 0 ||
      !(t[0] >= '0' && t[0] <= '9'))
    bad_line(file, line, std::string(what) + " '" + t + "': expected - or a non-negative number");
  return v;
}

inline bool valid_device(std::string_view d) {
  if (d.empty() || d.size() > 128) return false;
  for (char c : d)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == ':' || c == '+' || c == '-'))
      return false;
  return true;
}

}  // namespace detail

/// Parses a table from `text`; `file` names it in error messages.
inline table parse_table(std::string_view text, const std::string& file = "<string>") {
  table t;
  bool header = false;
  int line = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t e = text.find('\n', pos);
    if (e == std::string_view::npos) e = text.size();
    std::string_view l = text.substr(pos, e - pos);
    pos = e + 1;
    ++line;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.find_first_not_of(" \t") == std::string_view::npos || l[0] == '#') {
      if (e == text.size()) break;
      continue;
    }
    if (l.find('\0') != std::string_view::npos) detail::bad_line(file, line, "NUL byte");
    const auto cols = detail::split(l, '\t');
    if (!header) {
      if (cols.size() != 2 || cols[0] != table_magic)
        detail::bad_line(file, line, "expected the header 'spk-tune-table<TAB>1'");
      int v = 0;
      if (!detail::parse_int(cols[1], v) || v != table_version)
        detail::bad_line(
            file, line, "table version '" + std::string(cols[1]) + "': this build reads version 1");
      header = true;
      if (e == text.size()) break;
      continue;
    }
    if (cols.size() < 5 || cols.size() > 8)
      detail::bad_line(file, line,
                       std::to_string(cols.size()) +
                           " tab-separated fields: expected 5 to 8 (device kernel shape density "
                           "params [tuned_ms default_ms note])");
    table_row r;
    r.line = line;
    if (!detail::valid_device(cols[0]))
      detail::bad_line(file, line,
                       "device '" + std::string(cols[0]) + "': expected [A-Za-z0-9_.:+-]+");
    r.key.device = std::string(cols[0]);
    const kernel_spec* ks = find_kernel(cols[1]);
    if (!ks) detail::bad_line(file, line, "unknown kernel '" + std::string(cols[1]) + "'");
    r.key.kernel = ks->name;
    r.key.shape = detail::parse_shape(cols[2], file, line);
    if (cols[3] == "*") {
      r.key.density = any_density;
    } else if (!detail::parse_int(cols[3], r.key.density) || r.key.density < 0 ||
               r.key.density > max_density_class) {
      detail::bad_line(file, line,
                       "density class '" + std::string(cols[3]) + "': expected * or 0..40");
    }
    r.values = detail::parse_params(cols[4], ks->fam, r.key.kernel, file, line);
    if (cols.size() > 5) r.tuned_ms = detail::parse_ms(cols[5], "tuned_ms", file, line);
    if (cols.size() > 6) r.default_ms = detail::parse_ms(cols[6], "default_ms", file, line);
    if (cols.size() > 7) r.note = std::string(cols[7]);
    if (const table_row* dup = t.find_exact(r.key))
      detail::bad_line(file, line,
                       "duplicate key (first at line " + std::to_string(dup->line) + ")");
    t.put(std::move(r));
    if (e == text.size()) break;
  }
  if (!header) detail::bad_line(file, line, "no 'spk-tune-table<TAB>1' header (empty table file)");
  return t;
}

/// Reads and parses the file at `path` (errc::io when it cannot be read).
inline table load_table(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) raise(errc::io, "spk: tune table '" + path + "': cannot open for reading");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) raise(errc::io, "spk: tune table '" + path + "': read error");
  return parse_table(ss.str(), path);
}

inline std::string format_ms(double v) {
  if (v < 0) return "-";
  std::ostringstream os;
  os.precision(4);
  os << std::fixed << v;
  return os.str();
}

/// The table as text (parse_table(format_table(t)) == t, up to ms rounding and line numbers).
inline std::string format_table(const table& t, std::string_view banner = {}) {
  std::string s;
  if (!banner.empty()) s += std::string(banner);
  s += "# device\tkernel\tshape\tdensity\tparams\ttuned_ms\tdefault_ms\tnote\n";
  s += std::string(table_magic) + "\t" + std::to_string(table_version) + "\n";
  for (const auto& r : t.rows()) {
    s += r.key.device + "\t" + r.key.kernel + "\t" + r.key.shape.str() + "\t" +
         (r.key.density == any_density ? std::string("*") : std::to_string(r.key.density)) + "\t" +
         format_values(r.fam(), r.values) + "\t" + format_ms(r.tuned_ms) + "\t" +
         format_ms(r.default_ms);
    std::string note = r.note;
    std::replace(note.begin(), note.end(), '\t', ' ');
    std::replace(note.begin(), note.end(), '\n', ' ');
    if (!note.empty()) s += "\t" + note;
    s += "\n";
  }
  return s;
}

inline void save_table(const table& t, const std::string& path, std::string_view banner = {}) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) raise(errc::io, "spk: tune table '" + path + "': cannot open for writing");
  f << format_table(t, banner);
  f.flush();
  if (!f) raise(errc::io, "spk: tune table '" + path + "': write error");
}

}  // namespace tune
SPK_END_NAMESPACE
