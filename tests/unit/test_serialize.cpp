// SPDX-License-Identifier: Apache-2.0
// Per-format serialisation (format/serialize.hpp): round trips of every format through a .spk
// bundle on odd shapes (empty and full included), a malformed-record corpus that must be rejected
// naming the field, whole models of mixed formats, and kernels sharing one loaded format object
// across std::threads.
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "spk/format/serialize.hpp"
#include "spk/kernels/fkw/fkw.hpp"
#include "spk/kernels/spmm/spmm.hpp"
#include "spk/sparsity/connectivity.hpp"

using namespace spk;
using namespace spk::format;
using spk_test::uniform_tensor;

namespace {

// ---- builders: pruned weights of each format from fixed seeds -------------------------------

fkw make_fkw(index_t F, index_t C, double kernel_keep, bool kernel_reorder, std::uint64_t salt,
             bool full_pattern = false) {
  auto w = uniform_tensor<4>({F, C, 3, 3}, salt);
  const auto lib = full_pattern
                       ? sparsity::pattern_library(3, 3, {0x1FF})
                       : sparsity::extract_library(w.view(), sparsity::candidate_library(), 6);
  const index_t keep = index_t(kernel_keep * double(F * C) + 0.5);
  auto pruned = w;
  const auto st = sparsity::project_pattern_connectivity(
      w.view(), lib, keep, sparsity::connectivity_scope::per_layer, pruned.view());
  return fkw::build(pruned.view(), st, fkw_options{true, kernel_reorder});
}

template <int S>
kgs<S> make_kgs(index_t F, index_t C, double density, kgs_structure st, std::uint64_t salt) {
  std::array<index_t, S + 2> dims{};
  dims[0] = F, dims[1] = C;
  for (int d = 0; d < S; ++d) dims[std::size_t(d + 2)] = 3;
  auto w = uniform_tensor<S + 2>(dims, salt);
  const sparsity::kgs_grid g{F, C, S == 3 ? 27 : 9, 4, 3};
  const auto m = st == kgs_structure::vanilla ? sparsity::project_vanilla(w.data(), g, density)
                                              : sparsity::project_kgs(w.data(), g, density);
  return kgs<S>::build(w.view(), m, st);
}

bcr make_bcr(index_t rows, index_t cols, double keep, std::uint64_t salt) {
  auto w = uniform_tensor<2>({rows, cols}, salt);
  const auto m = sparsity::project_bcr(w.view(), 4, 5, sparsity::block_prune::columns, keep);
  return bcr::from_dense(w.view(), m, 4, 5);
}

bsr make_bsr(index_t rows, index_t cols, double keep, std::uint64_t salt) {
  auto w = uniform_tensor<2>({rows, cols}, salt);
  const auto m = sparsity::project_bsr(w.view(), 3, 2, keep);
  return bsr::from_dense(w.view(), m, 3, 2);
}

csr make_csr(index_t rows, index_t cols, double keep, std::uint64_t salt) {
  auto w = uniform_tensor<2>({rows, cols}, salt);
  return csr::from_dense(w.view(), sparsity::project_unstructured(w.view(), keep));
}

// ---- comparison helpers -----------------------------------------------------------------------

bool same_record(const record& a, const record& b) {
  if (a.name != b.name || a.kind != b.kind || a.attrs != b.attrs ||
      a.arrays.size() != b.arrays.size())
    return false;
  for (std::size_t i = 0; i < a.arrays.size(); ++i) {
    const auto &x = a.arrays[i], &y = b.arrays[i];
    if (x.name != y.name || x.type != y.type || x.count != y.count || x.bytes != y.bytes)
      return false;
  }
  return true;
}

bool same_dense(const dense_array& a, const dense_array& b) {
  return a.shape == b.shape && a.values.size() == b.values.size() &&
         (a.values.empty() ||
          std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)) == 0);
}

/// to_record -> write_bundle -> read_bundle -> from_record; checks the arrays and to_dense().
template <class X>
X round_trip(const X& x) {
  const record rec = to_record(x, "layer.0");
  const auto recs = read_bundle(write_bundle({rec}));
  REQUIRE(recs.size() == 1);
  X back = from_record<X>(recs[0]);
  CHECK(same_record(to_record(back, "layer.0"), rec));
  CHECK(same_dense(to_dense_array(layer_weights(back)), to_dense_array(layer_weights(x))));
  return back;
}

// ---- record surgery for the malformed corpus --------------------------------------------------

record::array& array_of(record& r, const std::string& key) {
  for (auto& a : r.arrays)
    if (a.name == key) return a;
  FAIL("no array " << key);
  throw 0;
}
template <class T>
std::vector<T> values_of(const record& r, const std::string& key) {
  return r.get_array<T>(key);
}
template <class T>
void replace_array(record& r, const std::string& key, const std::vector<T>& v) {
  auto& a = array_of(r, key);
  a.type = dtype_of<T>(), a.count = v.size();
  a.bytes.assign(reinterpret_cast<const unsigned char*>(v.data()),
                 reinterpret_cast<const unsigned char*>(v.data() + v.size()));
}
template <class T, class Edit>
record edited(record r, const std::string& key, Edit&& edit) {
  auto v = values_of<T>(r, key);
  edit(v);
  replace_array(r, key, v);
  return r;
}
void drop_attr(record& r, const std::string& key) {
  for (std::size_t i = 0; i < r.attrs.size(); ++i)
    if (r.attrs[i].first == key) r.attrs.erase(r.attrs.begin() + std::ptrdiff_t(i));
}
record with_attr(record r, const std::string& key, std::int64_t v) {
  r.set_attr(key, v);
  return r;
}

/// Every rejection is bad_format and names the record and the field (`needle`).
template <class X>
void check_rejects(const record& r, const std::string& needle, int line) {
  CAPTURE(line);
  try {
    (void)from_record<X>(r);
    FAIL_CHECK("accepted a malformed record; expected an error naming " << needle);
  } catch (const spk::error& e) {
    const std::string msg = e.what();
    CHECK_MESSAGE(e.code() == errc::bad_format, msg);
    CHECK_MESSAGE(msg.find("record 'layer.0'") != std::string::npos, msg);
    CHECK_MESSAGE(msg.find(needle) != std::string::npos, msg << "\n  lacks: " << needle);
  }
}
#define CHECK_REJECTS(X, rec, needle) check_rejects<X>((rec), (needle), __LINE__)

/// The corpus every kind shares: layout version, missing attribute, missing array, wrong
/// dtype, a truncated array, a count that disagrees with the bytes, a wrong kind.
template <class X>
void check_common_rejections(const record& good, const std::string& attr,
                             const std::string& f32_array,
                             const std::string& truncation_needle = "") {
  CHECK_REJECTS(X, with_attr(good, "layout", 2), "field 'layout' = 2");
  CHECK_REJECTS(X, with_attr(good, "layout", -1), "field 'layout'");
  record r = good;
  drop_attr(r, attr);
  CHECK_REJECTS(X, r, "field '" + attr + "' = missing");
  r = good;
  r.arrays.erase(r.arrays.begin());
  CHECK_REJECTS(X, r, "field '" + good.arrays[0].name + "' = missing");
  r = good;
  replace_array(r, f32_array, std::vector<std::int32_t>(values_of<float>(good, f32_array).size()));
  CHECK_REJECTS(X, r, "field '" + f32_array + ".dtype' = i32");
  const auto v = values_of<float>(good, f32_array);
  if (!v.empty())
    CHECK_REJECTS(X, edited<float>(good, f32_array, [](auto& x) { x.pop_back(); }),
                  truncation_needle.empty() ? f32_array + ".count" : truncation_needle);
  r = good;
  array_of(r, f32_array).count += 1;  // count no longer matches the bytes
  CHECK_REJECTS(X, r, f32_array + ".count");
  r = good;
  r.kind = "nonsense";
  CHECK_REJECTS(X, r, "field 'kind' = nonsense");
}

}  // namespace

// ---- round trips ------------------------------------------------------------------------------

TEST_CASE("fkw round trips through a bundle: odd shapes, empty, full, both kernel orders") {
  for (bool kr : {true, false}) {
    CAPTURE(kr);
    round_trip(make_fkw(7, 5, 0.4, kr, 1));
    round_trip(make_fkw(1, 3, 1.0, kr, 2));
    round_trip(make_fkw(5, 3, 0.0, kr, 3));        // every kernel pruned
    round_trip(make_fkw(3, 7, 1.0, kr, 4, true));  // density 1: the full 3x3 pattern
    const fkw e = round_trip(make_fkw(4, 2, 0.0, kr, 5));
    CHECK(e.nnz() == 0);
  }
  const fkw full = round_trip(make_fkw(3, 7, 1.0, true, 4, true));
  CHECK(full.density() == 1.0);
}

TEST_CASE("kgs2d and kgs3d round trip through a bundle: kgs and vanilla, density 0 to 1") {
  for (auto st : {kgs_structure::kgs, kgs_structure::vanilla})
    for (double d : {0.0, 0.3, 1.0}) {
      CAPTURE(d);
      const auto a = round_trip(make_kgs<3>(9, 7, d, st, 10));
      const auto b = round_trip(make_kgs<2>(5, 11, d, st, 11));
      if (d == 0.0) CHECK(a.kept_weights() == 0);
      if (d == 1.0) CHECK(b.density() == 1.0);
    }
  round_trip(make_kgs<3>(1, 1, 0.5, kgs_structure::kgs, 12));
}

TEST_CASE("bcr, bsr and csr round trip through a bundle on odd shapes") {
  for (double keep : {0.0, 0.35, 1.0}) {
    CAPTURE(keep);
    const auto a = round_trip(make_bcr(17, 23, keep, 20));
    round_trip(make_bcr(1, 1, keep, 21));
    const auto b = round_trip(make_bsr(19, 14, keep, 22));
    round_trip(make_bsr(33, 2, keep, 23));
    const auto c = round_trip(make_csr(13, 29, keep, 24));
    if (keep == 0.0) CHECK(a.nnz() + b.nnz() + c.nnz() == 0);
    if (keep == 1.0) CHECK(c.density() == 1.0);
  }
  round_trip(make_csr(0, 5, 1.0, 25));  // zero rows
  // bsr with r > 16: two 16-row value panels per strip.
  auto w = uniform_tensor<2>({40, 6}, 26);
  round_trip(bsr::from_dense(w.view(), sparsity::project_bsr(w.view(), 20, 3, 0.5), 20, 3));
}

TEST_CASE("to_dense of a deserialised format equals the pruned dense weights") {
  auto w = uniform_tensor<2>({11, 10}, 30);
  const auto m = sparsity::project_bsr(w.view(), 3, 2, 0.4);
  const auto pruned = sparsity::apply_mask(w.view(), m);
  const bsr back = from_record<bsr>(
      read_bundle(write_bundle({to_record(bsr::from_dense(w.view(), m, 3, 2), "layer.0")}))[0]);
  const auto d = back.to_dense();
  REQUIRE(d.size() == pruned.size());
  CHECK(std::memcmp(d.data(), pruned.data(), std::size_t(d.size()) * sizeof(float)) == 0);
}

TEST_CASE("a model of mixed formats saves to one file and loads back") {
  std::vector<named_layer> model;
  model.push_back({"conv1.weight", make_fkw(6, 3, 0.5, true, 40)});
  model.push_back({"conv3d.weight", make_kgs<3>(8, 4, 0.25, kgs_structure::kgs, 41)});
  model.push_back({"conv2d_kgs.weight", make_kgs<2>(8, 4, 0.5, kgs_structure::vanilla, 42)});
  model.push_back({"fc1.weight", make_bcr(12, 10, 0.5, 43)});
  model.push_back({"fc2.weight", make_bsr(9, 8, 0.5, 44)});
  model.push_back({"fc3.weight", make_csr(7, 5, 0.3, 45)});
  model.push_back({"fc3.bias", dense_array{{7}, {1, 2, 3, 4, 5, 6, 7}}});
  const std::string path = "spk_test_serialize_model.spk";
  save_model(path, model);
  const auto back = load_model(path);
  std::remove(path.c_str());
  REQUIRE(back.size() == model.size());
  for (std::size_t i = 0; i < model.size(); ++i) {
    CAPTURE(model[i].name);
    CHECK(back[i].name == model[i].name);
    CHECK(back[i].weights.index() == model[i].weights.index());
    CHECK(std::string(kind_of(back[i].weights)) == kind_of(model[i].weights));
    CHECK(same_dense(to_dense_array(back[i].weights), to_dense_array(model[i].weights)));
    CHECK(storage_bytes(back[i].weights) == storage_bytes(model[i].weights));
  }
  CHECK(std::string(kind_of(back[1].weights)) == "kgs3d");
  // An unknown kind is rejected by the dispatcher, naming it.
  auto recs = to_records(model);
  recs[2].kind = "punched-v9";
  SPK_CHECK_ERROR(from_records(recs), errc::bad_format, "'kind' = 'punched-v9'");
}

// ---- malformed records ------------------------------------------------------------------------

TEST_CASE("from_record<csr> rejects malformed records naming the field") {
  const record good = to_record(make_csr(6, 9, 0.5, 50), "layer.0");
  check_common_rejections<csr>(good, "cols", "values");
  CHECK_REJECTS(csr, edited<std::int32_t>(good, "col_idx", [](auto& v) { v[0] = 9; }),
                "field 'col_idx[0]' = 9");
  CHECK_REJECTS(csr, edited<std::int32_t>(good, "col_idx", [](auto& v) { v[1] = -1; }),
                "field 'col_idx[1]' = -1");
  CHECK_REJECTS(csr, edited<index_t>(good, "row_ptr", [](auto& v) { v[1] = v[3] + 1; }),
                "field 'row_ptr[2]'");
  CHECK_REJECTS(csr, edited<index_t>(good, "row_ptr", [](auto& v) { v[0] = 1; }),
                "field 'row_ptr[0]' = 1");
  CHECK_REJECTS(csr, edited<index_t>(good, "row_ptr", [](auto& v) { v.pop_back(); }),
                "field 'row_ptr.count' = 6");
  CHECK_REJECTS(csr, with_attr(good, "rows", index_t(1) << 40), "field 'rows' = 1099511627776");
  CHECK_REJECTS(csr, with_attr(good, "cols", -3), "field 'cols' = -3");
  // Ascending order inside a row is validate()'s rule: its message, prefixed with the record.
  CHECK_REJECTS(csr, edited<std::int32_t>(good, "col_idx", [](auto& v) { std::swap(v[0], v[1]); }),
                "col_idx[");
  // A huge declared count that the bytes do not back.
  record r = good;
  array_of(r, "col_idx").count = std::uint64_t(1) << 62;
  CHECK_REJECTS(csr, r, "field 'col_idx.count'");
}

TEST_CASE("from_record<bcr> and <bsr> reject malformed records naming the field") {
  const record b = to_record(make_bcr(13, 11, 0.5, 60), "layer.0");
  check_common_rejections<bcr>(b, "bw", "values", "seg_val[");  // seg_val overruns values
  CHECK_REJECTS(bcr, edited<std::int32_t>(b, "col_idx", [](auto& v) { v[0] = 11; }),
                "field 'col_idx[0]' = 11");
  CHECK_REJECTS(bcr, edited<std::int32_t>(b, "row_idx", [](auto& v) { v[0] = 13; }),
                "field 'row_idx[0]' = 13");
  CHECK_REJECTS(bcr, edited<index_t>(b, "seg_val", [](auto& v) { v[1] = v[2] + 1; }),
                "field 'seg_val[2]'");
  CHECK_REJECTS(bcr, edited<index_t>(b, "strip_seg", [](auto& v) { v.pop_back(); }),
                "strip_seg.count");
  CHECK_REJECTS(bcr, with_attr(b, "bh", 0), "field 'bh' = 0");
  CHECK_REJECTS(bcr, with_attr(b, "rows", 17), "field 'strip_seg.count' = 5");  // 5 strips now
  // A row moved into the wrong strip passes the range check; validate() catches it.
  CHECK_REJECTS(bcr, edited<std::int32_t>(b, "row_idx", [](auto& v) { v[0] = 12; }),
                "bcr::validate");

  const record s = to_record(make_bsr(10, 8, 0.5, 61), "layer.0");
  check_common_rejections<bsr>(s, "r", "values");
  CHECK_REJECTS(bsr, edited<std::int32_t>(s, "blk_idx", [](auto& v) { v[0] = 4; }),
                "field 'blk_idx[0]' = 4");
  CHECK_REJECTS(bsr, edited<index_t>(s, "blk_ptr", [](auto& v) { v[1] = v[2] + 1; }),
                "field 'blk_ptr[2]'");
  CHECK_REJECTS(bsr, with_attr(s, "c", 3), "field 'c' = 3");  // does not divide cols = 8
  CHECK_REJECTS(bsr, edited<std::int32_t>(s, "blk_idx", [](auto& v) { v.push_back(0); }),
                "blk_ptr");
}

TEST_CASE("from_record<fkw> rejects malformed records naming the field") {
  for (bool kr : {true, false}) {
    CAPTURE(kr);
    const record good = to_record(make_fkw(5, 4, 0.6, kr, 70), "layer.0");
    check_common_rejections<fkw>(good, "channels", "weight");
    CHECK_REJECTS(fkw, edited<std::int32_t>(good, "index", [](auto& v) { v[0] = 4; }),
                  "field 'index[0]' = 4");
    CHECK_REJECTS(fkw, edited<std::int32_t>(good, "reorder", [](auto& v) { v[2] = 5; }),
                  "field 'reorder[2]' = 5");
    CHECK_REJECTS(fkw, edited<std::int32_t>(good, "offset", [](auto& v) { v[1] = v[2] + 1; }),
                  "field 'offset[2]'");
    CHECK_REJECTS(fkw, edited<std::int32_t>(good, "reorder", [](auto& v) { v[0] = v[1]; }),
                  "reorder[");
    CHECK_REJECTS(fkw, edited<std::int64_t>(good, "patterns", [](auto& v) { v[0] = 0; }),
                  "patterns[0]");
    CHECK_REJECTS(fkw, edited<std::int64_t>(good, "patterns", [](auto& v) { v.clear(); }),
                  "patterns.count");
    CHECK_REJECTS(fkw, with_attr(good, "kh", 65), "field 'kh' = 65");
    CHECK_REJECTS(fkw, with_attr(good, "kernel_sorted", kr ? 0 : 1), "field 'stride.count'");
    if (!kr)
      CHECK_REJECTS(fkw, edited<std::uint8_t>(good, "kernel_pattern", [](auto& v) { v[0] = 200; }),
                    "field 'kernel_pattern[0]' = 200");
    // Huge extents: the dense product overflows; a huge channel count alone is range-checked.
    record h = with_attr(with_attr(good, "channels", 2147483647), "kw", 64);
    CHECK_REJECTS(fkw, with_attr(h, "filters", 2147483647), "field 'dense weight count'");
    CHECK_REJECTS(fkw, with_attr(good, "channels", index_t(1) << 31), "field 'channels'");
  }
}

TEST_CASE("from_record<kgs3d> rejects malformed records naming the field") {
  const record good = to_record(make_kgs<3>(9, 7, 0.4, kgs_structure::kgs, 80), "layer.0");
  check_common_rejections<kgs3d>(good, "gn", "values");
  CHECK(std::string(good.kind) == "kgs3d");
  CHECK_REJECTS(kgs2d, good, "field 'kind' = kgs3d");  // a 3-D record is not a 2-D one
  CHECK_REJECTS(kgs3d, edited<std::uint16_t>(good, "locations", [](auto& v) { v[0] = 27; }),
                "field 'locations[0]' = 27");
  CHECK_REJECTS(kgs3d, edited<index_t>(good, "loc_ptr", [](auto& v) { v[1] = v[2] + 1; }),
                "field 'loc_ptr[2]'");
  CHECK_REJECTS(kgs3d, edited<index_t>(good, "loc_ptr", [](auto& v) { v.pop_back(); }),
                "loc_ptr.count");
  CHECK_REJECTS(kgs3d, with_attr(good, "kd", 65536), "field 'kd' = 65536");
  CHECK_REJECTS(kgs3d, with_attr(with_attr(good, "kh", 300), "kw", 300), "field 'kernel volume'");
  CHECK_REJECTS(kgs3d, with_attr(good, "filters", 0), "field 'filters' = 0");
  // F * C * K overflows 63 bits before anything is sized from it.
  const record huge =
      with_attr(with_attr(with_attr(good, "filters", 2147483647), "channels", 2147483647), "kd", 3);
  CHECK_REJECTS(kgs3d, with_attr(huge, "kw", 65535 / 9), "dense weight count");
  // A vanilla flag on a kgs-structured mask: validate() names the group.
  CHECK_REJECTS(kgs3d, with_attr(good, "structure", 1), "vanilla group");
  CHECK_REJECTS(kgs3d,
                edited<std::uint16_t>(good, "locations", [](auto& v) { std::swap(v[0], v[1]); }),
                "strictly increasing");
}

TEST_CASE("from_record<dense_array> checks the shape product and the value count") {
  const record good = to_record(dense_array{{2, 3}, {1, 2, 3, 4, 5, 6}}, "layer.0");
  check_common_rejections<dense_array>(good, "dim1", "values");
  CHECK_REJECTS(dense_array, with_attr(good, "rank", 33), "field 'rank' = 33");
  const record big =
      with_attr(with_attr(with_attr(good, "rank", 3), "dim1", 2147483647), "dim2", 2147483647);
  CHECK_REJECTS(dense_array, with_attr(big, "dim0", 2147483647), "shape product");
  CHECK(same_dense(from_record<dense_array>(good), dense_array{{2, 3}, {1, 2, 3, 4, 5, 6}}));
}

TEST_CASE("a corrupted payload is rejected at the file level by its checksum") {
  const auto bytes = write_model({{"fc", make_csr(5, 6, 0.5, 90)}});
  auto bad = bytes;
  bad[64] ^= 0x01;  // the first array payload starts at byte 64
  SPK_CHECK_ERROR(read_model(bad.data(), bad.size()), errc::bad_format, "checksum mismatch");
  auto cut = bytes;
  cut.resize(cut.size() - 3);
  SPK_CHECK_ERROR(read_model(cut.data(), cut.size()), errc::bad_format, "truncated");
  CHECK(read_model(bytes.data(), bytes.size()).size() == 1);
}

// ---- concurrency ------------------------------------------------------------------------------

TEST_CASE("one loaded format object serves kernels on several std::threads bit-identically") {
  constexpr int threads = 4;
  // SpMM on a deserialised BCR matrix.
  const bcr w = round_trip(make_bcr(37, 45, 0.4, 100));
  auto x = spk_test::int_tensor<2>({9, 45}, 101);
  std::vector<tensor<float, 2>> y(threads + 1, tensor<float, 2>({9, 37}, spk_test::nan()));
  serial_executor serial;
  kernels::spmm::spmm_bcr(w, x.view(), y[threads].view(), {}, serial);
  // Conv on a deserialised FKW layer.
  const fkw f = round_trip(make_fkw(8, 5, 0.5, true, 102));
  auto in = spk_test::int_tensor<4>({1, 5, 11, 9}, 103);
  const auto p = conv2d_params{}.with_pad(1);
  std::vector<tensor<float, 4>> out(threads + 1, tensor<float, 4>({1, 8, 11, 9}, spk_test::nan()));
  kernels::fkw::conv2d_fkw(in.view(), f, nullptr, out[threads].view(), p, {}, serial);

  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      serial_executor ex;  // each thread its own executor; the format object is shared
      for (int rep = 0; rep < 3; ++rep) {
        kernels::spmm::spmm_bcr(w, x.view(), y[std::size_t(t)].view(), {}, ex);
        kernels::fkw::conv2d_fkw(in.view(), f, nullptr, out[std::size_t(t)].view(), p, {}, ex);
      }
    });
  for (auto& th : pool) th.join();
  const auto ry = spk_test::compare(y[threads].data(), y[threads].data(), y[threads].size());
  CHECK(ry.nonzero > 0);
  for (int t = 0; t < threads; ++t) {
    CAPTURE(t);
    CHECK(std::memcmp(y[std::size_t(t)].data(), y[threads].data(),
                      std::size_t(y[threads].size()) * 4) == 0);
    CHECK(std::memcmp(out[std::size_t(t)].data(), out[threads].data(),
                      std::size_t(out[threads].size()) * 4) == 0);
  }
}
