// SPDX-License-Identifier: Apache-2.0
// Per-format serialisation: to_record / from_record<X> for fkw, kgs<2>, kgs<3>, bcr, bsr, csr
// and plain dense arrays, plus whole models (a bundle of named layers of mixed formats) so an
// engine ships one .spk file. from_record trusts nothing; see record_check below.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "spk/core/checked.hpp"
#include "spk/format/bcr.hpp"
#include "spk/format/bsr.hpp"
#include "spk/format/csr.hpp"
#include "spk/format/fkw.hpp"
#include "spk/format/io.hpp"
#include "spk/format/kgs.hpp"

SPK_BEGIN_NAMESPACE
namespace format {

/// Layout version of every record kind this header writes (attribute "layout"). A reader
/// rejects any other value: bump it when an array changes meaning.
inline constexpr std::int64_t record_layout_version = 1;

/// A dense float32 tensor of any rank in C order: the layers a converter leaves unpruned
/// (biases, norms) travel in the same bundle as kind "dense".
struct dense_array {
  std::vector<index_t> shape;  ///< empty for a scalar
  std::vector<float> values;   ///< prod(shape) values
};

namespace detail {

/// Largest extent any record may declare: every format indexes with int32.
inline constexpr index_t max_record_extent = std::numeric_limits<std::int32_t>::max();

/// The untrusting reader of one record. Every rejection raises bad_format as
///   "spk: from_record: record '<name>' (<kind>): field '<field>' = <value>: expected <rule>".
/// Checks happen before anything is allocated from a declared size, and every size product is
/// overflow-checked, so a hostile record costs at most its own bytes.
class record_check {
 public:
  /// Checks the kind and the layout version.
  record_check(const record& r, const std::string& kind) : r_(r) {
    if (r.kind != kind) fail("kind", r.kind, "'" + kind + "'");
    const index_t v = attr("layout", 0, std::numeric_limits<index_t>::max());
    if (v != record_layout_version)
      fail("layout", std::to_string(v), std::to_string(record_layout_version));
  }

  [[noreturn]] void fail(const std::string& field, const std::string& value,
                         const std::string& expected) const {
    raise(errc::bad_format, "spk: from_record: record '" + r_.name + "' (" + r_.kind +
                                "): field '" + field + "' = " + value + ": expected " + expected);
  }

  /// Integer attribute `key` in [lo, hi].
  index_t attr(const std::string& key, index_t lo, index_t hi) const {
    for (const auto& kv : r_.attrs)
      if (kv.first == key) {
        if (kv.second < lo || kv.second > hi)
          fail(key, std::to_string(kv.second),
               "in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return kv.second;
      }
    fail(key, "missing", "an integer attribute");
  }
  index_t extent(const std::string& key, index_t lo = 0) const {
    return attr(key, lo, max_record_extent);
  }

  /// a * b, or a rejection naming `field` when it does not fit 63 bits.
  index_t mul(index_t a, index_t b, const std::string& field) const {
    index_t p = 0;
    if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &p))
      fail(field, std::to_string(a) + " * " + std::to_string(b), "a product that fits 63 bits");
    return p;
  }
  index_t add(index_t a, index_t b, const std::string& field) const {
    index_t s = 0;
    if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &s))
      fail(field, std::to_string(a) + " + " + std::to_string(b), "a sum that fits 63 bits");
    return s;
  }

  /// Array `key` of element type T; `count` >= 0 demands exactly that many elements.
  template <class T>
  std::vector<T> array(const std::string& key, index_t count = -1) const {
    const record::array& a = find(key);
    if (a.type != dtype_of<T>())
      fail(key + ".dtype", dtype_name(a.type), dtype_name(dtype_of<T>()));
    if (a.count > std::uint64_t(max_record_extent) || a.bytes.size() != a.count * sizeof(T))
      fail(key + ".count", std::to_string(a.count),
           "< 2^31 elements matching the array's " + std::to_string(a.bytes.size()) + " bytes");
    if (count >= 0 && a.count != std::uint64_t(count))
      fail(key + ".count", std::to_string(a.count), std::to_string(count));
    std::vector<T> v(static_cast<std::size_t>(a.count));
    if (!v.empty()) std::memcpy(v.data(), a.bytes.data(), a.bytes.size());
    return v;
  }

  /// Offsets into an array of `end` elements: v[0] == 0, non-decreasing, v.back() == end.
  template <class T>
  void offsets(const std::string& key, const std::vector<T>& v, index_t end) const {
    if (v.empty()) fail(key + ".count", "0", ">= 1 offsets");
    if (v[0] != 0) fail(key + "[0]", std::to_string(v[0]), "0");
    for (std::size_t i = 1; i < v.size(); ++i)
      if (v[i] < v[i - 1])
        fail(key + "[" + std::to_string(i) + "]", std::to_string(v[i]),
             ">= " + key + "[" + std::to_string(i - 1) + "] = " + std::to_string(v[i - 1]) +
                 " (non-decreasing offsets)");
    if (index_t(v.back()) != end)
      fail(key + "[" + std::to_string(v.size() - 1) + "]", std::to_string(v.back()),
           std::to_string(end) + " (the length of the array it points into)");
  }

  /// Every v[i] in [0, bound).
  template <class T>
  void indices(const std::string& key, const std::vector<T>& v, index_t bound) const {
    for (std::size_t i = 0; i < v.size(); ++i)
      if (index_t(v[i]) < 0 || index_t(v[i]) >= bound)
        fail(key + "[" + std::to_string(i) + "]", std::to_string(v[i]),
             "in [0, " + std::to_string(bound) + ")");
  }

  /// Runs a format's constructor (which ends in validate()) and re-raises its error as
  /// bad_format prefixed with the record, so a file's reader learns which layer is broken.
  /// Without exceptions the error handler reports validate()'s own message.
  template <class Make>
  auto build(Make&& make) const -> decltype(make()) {
#ifdef SPK_NO_EXCEPTIONS
    return make();
#else
    try {
      return make();
    } catch (const error& e) {
      raise(errc::bad_format,
            "spk: from_record: record '" + r_.name + "' (" + r_.kind + "): " + e.what());
    }
#endif
  }

 private:
  const record::array& find(const std::string& key) const {
    for (const auto& a : r_.arrays)
      if (a.name == key) return a;
    fail(key, "missing", "an array");
  }
  const record& r_;
};

/// Starts a record of `kind` with the layout version attribute.
inline record new_record(std::string name, const char* kind) {
  record r;
  r.name = std::move(name), r.kind = kind;
  r.set_attr("layout", record_layout_version);
  return r;
}

template <class X>
struct record_io;  // read(const record&) -> X, one specialisation per format

}  // namespace detail

/// Deserialises and validates a record of format X (fkw, kgs2d, kgs3d, bcr, bsr, csr,
/// dense_array). Raises bad_format naming the record, the field and the value.
template <class X>
X from_record(const record& r) {
  return detail::record_io<X>::read(r);
}

// ---- dense ------------------------------------------------------------------------------------

/// Kind "dense": attrs rank, dim0..dim{rank-1}; array values (f32).
inline record to_record(const dense_array& a, std::string name) {
  record r = detail::new_record(std::move(name), "dense");
  r.set_attr("rank", index_t(a.shape.size()));
  for (std::size_t d = 0; d < a.shape.size(); ++d)
    r.set_attr("dim" + std::to_string(d), a.shape[d]);
  r.add_array("values", a.values);
  return r;
}

namespace detail {
template <>
struct record_io<dense_array> {
  static dense_array read(const record& r) {
    const record_check chk(r, "dense");
    dense_array a;
    const index_t rank = chk.attr("rank", 0, 32);
    index_t n = 1;
    for (index_t d = 0; d < rank; ++d) {
      const std::string key = "dim" + std::to_string(d);
      a.shape.push_back(chk.attr(key, 0, max_record_extent));
      n = chk.mul(n, a.shape.back(), "shape product");
    }
    a.values = chk.array<float>("values", n);
    return a;
  }
};
}  // namespace detail

// ---- fkw --------------------------------------------------------------------------------------

/// Kind "fkw": attrs filters, channels, kh, kw, kernel_sorted; arrays patterns (i64 bit sets),
/// reorder, offset, index, stride (i32), kernel_pattern (u8), weight (f32) — fkw's own arrays.
inline record to_record(const fkw& w, std::string name) {
  record r = detail::new_record(std::move(name), "fkw");
  r.set_attr("filters", w.filters()), r.set_attr("channels", w.channels());
  r.set_attr("kh", w.kh()), r.set_attr("kw", w.kw());
  r.set_attr("kernel_sorted", w.kernel_sorted() ? 1 : 0);
  std::vector<std::int64_t> pats;
  for (sparsity::pattern_bits b : w.library().patterns()) pats.push_back(std::int64_t(b));
  r.add_array("patterns", pats);
  r.add_array("reorder", w.reorder()), r.add_array("offset", w.offset());
  r.add_array("index", w.index()), r.add_array("stride", w.stride());
  r.add_array("kernel_pattern", w.kernel_pattern()), r.add_array("weight", w.weight());
  return r;
}

namespace detail {
template <>
struct record_io<fkw> {
  static fkw read(const record& r) {
    using i32 = std::int32_t;
    const record_check chk(r, "fkw");
    const index_t F = chk.extent("filters"), C = chk.extent("channels");
    const index_t kh = chk.attr("kh", 1, 64), kw = chk.attr("kw", 1, 64);
    chk.mul(chk.mul(F, C, "filters * channels"), kh * kw, "dense weight count");
    const bool sorted = chk.attr("kernel_sorted", 0, 1) == 1;
    const auto raw = chk.array<std::int64_t>("patterns");
    if (raw.empty() || raw.size() > 255)
      chk.fail("patterns.count", std::to_string(raw.size()), "1..255 patterns");
    std::vector<sparsity::pattern_bits> pats(raw.begin(), raw.end());
    const auto lib = chk.build([&] { return sparsity::pattern_library(kh, kw, pats); });
    const index_t P = lib.size();
    auto reorder = chk.array<i32>("reorder", F);
    chk.indices("reorder", reorder, F);
    auto index = chk.array<i32>("index");
    const index_t nk = index_t(index.size());
    chk.indices("index", index, C);
    auto offset = chk.array<i32>("offset", F + 1);
    chk.offsets("offset", offset, nk);
    auto stride = chk.array<i32>("stride", sorted ? chk.mul(F, P + 1, "stride count") : 0);
    auto kpat = chk.array<std::uint8_t>("kernel_pattern", sorted ? 0 : nk);
    chk.indices("kernel_pattern", kpat, P);
    auto weight = chk.array<float>("weight", chk.mul(nk, lib.nnz(), "weight count"));
    return chk.build([&] {
      return fkw(F, C, lib, sorted, std::move(reorder), std::move(offset), std::move(index),
                 std::move(stride), std::move(kpat), std::move(weight));
    });
  }
};
}  // namespace detail

// ---- kgs --------------------------------------------------------------------------------------

namespace detail {
template <int S>
constexpr const char* kgs_kind() noexcept {
  static_assert(S == 2 || S == 3, "kgs records hold 2 or 3 spatial dims");
  return S == 2 ? "kgs2d" : "kgs3d";
}
/// Attribute names of the kernel extents, outermost first.
template <int S>
std::array<const char*, S> kgs_kernel_keys() noexcept {
  if constexpr (S == 2)
    return {"kh", "kw"};
  else
    return {"kd", "kh", "kw"};
}
}  // namespace detail

/// Kind "kgs2d" / "kgs3d": attrs filters, channels, gm, gn, structure (0 kgs, 1 vanilla),
/// [kd,] kh, kw; arrays loc_ptr (i64), locations (u16), values (f32, entries x gm). The entry
/// arrays are derived from loc_ptr / locations on load.
template <int S>
record to_record(const kgs<S>& w, std::string name) {
  record r = detail::new_record(std::move(name), detail::kgs_kind<S>());
  const sparsity::kgs_grid& g = w.grid();
  r.set_attr("filters", g.filters), r.set_attr("channels", g.channels);
  r.set_attr("gm", g.gm), r.set_attr("gn", g.gn);
  r.set_attr("structure", w.structure() == kgs_structure::vanilla ? 1 : 0);
  const auto keys = detail::kgs_kernel_keys<S>();
  for (int d = 0; d < S; ++d) r.set_attr(keys[std::size_t(d)], w.kernel()[std::size_t(d)]);
  r.add_array("loc_ptr", w.loc_ptr());
  r.add_array("locations", w.locations());
  r.add_array("values", w.values(), std::size_t(w.entries() * g.gm));
  return r;
}

namespace detail {
template <int S>
struct record_io<kgs<S>> {
  static kgs<S> read(const record& r) {
    const record_check chk(r, kgs_kind<S>());
    sparsity::kgs_grid g;
    g.filters = chk.extent("filters", 1), g.channels = chk.extent("channels", 1);
    g.gm = chk.extent("gm", 1), g.gn = chk.extent("gn", 1);
    const auto st = chk.attr("structure", 0, 1) ? kgs_structure::vanilla : kgs_structure::kgs;
    typename kgs<S>::kernel_dims kernel{};
    const auto keys = kgs_kernel_keys<S>();
    index_t K = 1;
    for (int d = 0; d < S; ++d) {
      kernel[std::size_t(d)] = chk.attr(keys[std::size_t(d)], 1, 65535);
      K = chk.mul(K, kernel[std::size_t(d)], "kernel volume");
    }
    if (K > 65535) chk.fail("kernel volume", std::to_string(K), "<= 65535 (uint16 locations)");
    g.locations = K;
    chk.mul(chk.mul(g.filters, g.channels, "filters * channels"), K, "dense weight count");
    const index_t groups = chk.mul(g.filter_blocks(), g.channel_blocks(), "group count");
    auto loc_ptr = chk.array<index_t>("loc_ptr", chk.add(groups, 1, "loc_ptr count"));
    auto locs = chk.array<std::uint16_t>("locations");
    chk.offsets("loc_ptr", loc_ptr, index_t(locs.size()));
    chk.indices("locations", locs, K);
    // Entries: every real channel of a group repeats the group's kept locations.
    index_t entries = 0;
    for (index_t gi = 0; gi < groups; ++gi) {
      const index_t n = loc_ptr[std::size_t(gi + 1)] - loc_ptr[std::size_t(gi)];
      if (n > K)
        chk.fail("loc_ptr[" + std::to_string(gi + 1) + "]",
                 std::to_string(loc_ptr[std::size_t(gi + 1)]),
                 "at most K = " + std::to_string(K) + " locations per group");
      entries = chk.add(entries, chk.mul(n, g.channels_in(gi % g.channel_blocks()), "entries"),
                        "entries");
    }
    const auto v = chk.array<float>("values", chk.mul(entries, g.gm, "values count"));
    aligned_buffer<float> values(index_t(v.size()));
    std::copy(v.begin(), v.end(), values.data());
    return chk.build([&] {
      return kgs<S>::from_parts(g, kernel, st, std::move(loc_ptr), std::move(locs),
                                std::move(values));
    });
  }
};
}  // namespace detail

// ---- bcr --------------------------------------------------------------------------------------

/// Kind "bcr": attrs rows, cols, bh, bw; arrays strip_seg, seg_row, seg_col, seg_val (i64),
/// row_idx, col_idx (i32), values (f32, the padded panels without the +16 tail).
inline record to_record(const bcr& w, std::string name) {
  record r = detail::new_record(std::move(name), "bcr");
  r.set_attr("rows", w.rows()), r.set_attr("cols", w.cols());
  r.set_attr("bh", w.bh()), r.set_attr("bw", w.bw());
  const std::size_t nseg = std::size_t(w.strip_seg()[w.strips()]);
  r.add_array("strip_seg", w.strip_seg(), std::size_t(w.strips() + 1));
  r.add_array("seg_row", w.seg_row(), nseg + 1), r.add_array("seg_col", w.seg_col(), nseg + 1);
  r.add_array("seg_val", w.seg_val(), nseg + 1);
  r.add_array("row_idx", w.row_idx(), std::size_t(w.seg_row()[nseg]));
  r.add_array("col_idx", w.col_idx(), std::size_t(w.seg_col()[nseg]));
  r.add_array("values", w.values(), std::size_t(w.seg_val()[nseg]));
  return r;
}

namespace detail {
template <>
struct record_io<bcr> {
  static bcr read(const record& r) {
    const record_check chk(r, "bcr");
    const index_t rows = chk.extent("rows"), cols = chk.extent("cols");
    const index_t bh = chk.extent("bh", 1), bw = chk.extent("bw", 1);
    chk.mul(rows, cols, "rows * cols");
    auto row_idx = chk.array<std::int32_t>("row_idx");
    auto col_idx = chk.array<std::int32_t>("col_idx");
    const auto values = chk.array<float>("values");
    auto seg_row = chk.array<index_t>("seg_row");
    chk.offsets("seg_row", seg_row, index_t(row_idx.size()));
    const index_t nseg = index_t(seg_row.size()) - 1;
    auto seg_col = chk.array<index_t>("seg_col", nseg + 1);
    auto seg_val = chk.array<index_t>("seg_val", nseg + 1);
    chk.offsets("seg_col", seg_col, index_t(col_idx.size()));
    chk.offsets("seg_val", seg_val, index_t(values.size()));
    auto strip_seg = chk.array<index_t>("strip_seg", (rows + bh - 1) / bh + 1);
    chk.offsets("strip_seg", strip_seg, nseg);
    chk.indices("row_idx", row_idx, rows);
    chk.indices("col_idx", col_idx, cols);
    return chk.build([&] {
      return bcr::from_parts(rows, cols, bh, bw, std::move(strip_seg), std::move(seg_row),
                             std::move(seg_col), std::move(seg_val), std::move(row_idx),
                             std::move(col_idx), values);
    });
  }
};
}  // namespace detail

// ---- bsr --------------------------------------------------------------------------------------

/// Kind "bsr": attrs rows, cols, r, c; arrays blk_ptr (i64), blk_idx (i32), values (f32, the
/// 16-row panels without the +16 tail).
inline record to_record(const bsr& w, std::string name) {
  record r = detail::new_record(std::move(name), "bsr");
  r.set_attr("rows", w.rows()), r.set_attr("cols", w.cols());
  r.set_attr("r", w.r()), r.set_attr("c", w.c());
  const std::size_t nnzb = std::size_t(w.blk_ptr()[w.strips()]);
  r.add_array("blk_ptr", w.blk_ptr(), std::size_t(w.strips() + 1));
  r.add_array("blk_idx", w.blk_idx(), nnzb);
  r.add_array("values", w.values(), nnzb * std::size_t(w.c() * w.panels() * panel_rows));
  return r;
}

namespace detail {
template <>
struct record_io<bsr> {
  static bsr read(const record& r) {
    const record_check chk(r, "bsr");
    const index_t rows = chk.extent("rows"), cols = chk.extent("cols");
    const index_t br = chk.extent("r", 1), bc = chk.extent("c", 1);
    chk.mul(rows, cols, "rows * cols");
    if (cols % bc != 0)
      chk.fail("c", std::to_string(bc), "a divisor of cols (" + std::to_string(cols) + ")");
    auto blk_idx = chk.array<std::int32_t>("blk_idx");
    auto blk_ptr = chk.array<index_t>("blk_ptr", (rows + br - 1) / br + 1);
    chk.offsets("blk_ptr", blk_ptr, index_t(blk_idx.size()));
    chk.indices("blk_idx", blk_idx, cols / bc);
    const index_t per_block =
        chk.mul(bc, (br + panel_rows - 1) / panel_rows * panel_rows, "block values");
    const auto values =
        chk.array<float>("values", chk.mul(index_t(blk_idx.size()), per_block, "values count"));
    return chk.build([&] {
      return bsr::from_parts(rows, cols, br, bc, std::move(blk_ptr), std::move(blk_idx), values);
    });
  }
};
}  // namespace detail

// ---- csr --------------------------------------------------------------------------------------

/// Kind "csr": attrs rows, cols; arrays row_ptr (i64), col_idx (i32), values (f32).
inline record to_record(const csr& w, std::string name) {
  record r = detail::new_record(std::move(name), "csr");
  r.set_attr("rows", w.rows()), r.set_attr("cols", w.cols());
  r.add_array("row_ptr", w.row_ptr(), std::size_t(w.rows() + 1));
  r.add_array("col_idx", w.col_idx(), std::size_t(w.nnz()));
  r.add_array("values", w.values(), std::size_t(w.nnz()));
  return r;
}

namespace detail {
template <>
struct record_io<csr> {
  static csr read(const record& r) {
    const record_check chk(r, "csr");
    const index_t rows = chk.extent("rows"), cols = chk.extent("cols");
    chk.mul(rows, cols, "rows * cols");
    auto col_idx = chk.array<std::int32_t>("col_idx");
    auto row_ptr = chk.array<index_t>("row_ptr", rows + 1);
    chk.offsets("row_ptr", row_ptr, index_t(col_idx.size()));
    chk.indices("col_idx", col_idx, cols);
    const auto values = chk.array<float>("values", index_t(col_idx.size()));
    return chk.build([&] {
      return csr::from_parts(rows, cols, std::move(row_ptr), std::move(col_idx), values);
    });
  }
};
}  // namespace detail

// ---- models: named layers of mixed formats ----------------------------------------------------

/// The weights of one layer in any format.
using layer_weights = std::variant<dense_array, fkw, kgs2d, kgs3d, bcr, bsr, csr>;

/// One layer of a model: its name in the bundle (e.g. "features.3.weight") and its weights.
struct named_layer {
  std::string name;
  layer_weights weights;
};

/// The record kind of `w` ("dense", "fkw", "kgs2d", "kgs3d", "bcr", "bsr", "csr").
inline const char* kind_of(const layer_weights& w) noexcept {
  static constexpr const char* kinds[] = {"dense", "fkw", "kgs2d", "kgs3d", "bcr", "bsr", "csr"};
  static_assert(std::size(kinds) == std::variant_size_v<layer_weights>);
  return kinds[w.index()];
}

inline record to_record(const layer_weights& w, std::string name) {
  return std::visit([&](const auto& x) { return to_record(x, std::move(name)); }, w);
}

/// Dispatches on the record's kind; an unknown kind is bad_format naming it.
inline layer_weights layer_from_record(const record& r) {
  if (r.kind == "dense") return from_record<dense_array>(r);
  if (r.kind == "fkw") return from_record<fkw>(r);
  if (r.kind == "kgs2d") return from_record<kgs2d>(r);
  if (r.kind == "kgs3d") return from_record<kgs3d>(r);
  if (r.kind == "bcr") return from_record<bcr>(r);
  if (r.kind == "bsr") return from_record<bsr>(r);
  if (r.kind == "csr") return from_record<csr>(r);
  raise(errc::bad_format, "spk: layer_from_record: record '" + r.name + "': field 'kind' = '" +
                              r.kind + "': expected dense, fkw, kgs2d, kgs3d, bcr, bsr or csr");
}

/// The pruned dense weights of any layer (shape as the format's to_dense()).
inline dense_array to_dense_array(const layer_weights& w) {
  return std::visit(
      [](const auto& x) -> dense_array {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, dense_array>) {
          return x;
        } else {
          const auto t = x.to_dense();
          dense_array a;
          a.shape.assign(t.dims().begin(), t.dims().end());
          a.values.assign(t.data(), t.data() + t.size());
          return a;
        }
      },
      w);
}

/// Bytes of the layer as stored (the format's storage_bytes(); 4 per value for dense).
inline std::size_t storage_bytes(const layer_weights& w) {
  return std::visit(
      [](const auto& x) -> std::size_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, dense_array>)
          return x.values.size() * sizeof(float);
        else
          return x.storage_bytes();
      },
      w);
}

inline std::vector<record> to_records(const std::vector<named_layer>& model) {
  std::vector<record> out;
  out.reserve(model.size());
  for (const auto& l : model) out.push_back(to_record(l.weights, l.name));
  return out;
}
inline std::vector<named_layer> from_records(const std::vector<record>& recs) {
  std::vector<named_layer> out;
  out.reserve(recs.size());
  for (const auto& r : recs) out.push_back(named_layer{r.name, layer_from_record(r)});
  return out;
}

/// A whole model as .spk bytes / file, and back (read_bundle's checks, then from_record's).
inline std::vector<unsigned char> write_model(const std::vector<named_layer>& model) {
  return write_bundle(to_records(model));
}
inline std::vector<named_layer> read_model(const unsigned char* data, std::size_t size) {
  return from_records(read_bundle(data, size));
}
inline void save_model(const std::string& path, const std::vector<named_layer>& model) {
  save_bundle(path, to_records(model));
}
inline std::vector<named_layer> load_model(const std::string& path) {
  return from_records(load_bundle(path));
}

}  // namespace format
SPK_END_NAMESPACE
