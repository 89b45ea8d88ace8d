// SPDX-License-Identifier: Apache-2.0
// Tests of include/spk/tune/{params,table,classes,active}.hpp: the text format round trip, the
// strict parser on malformed tables (errc::bad_format naming file and line), the lookup chain
// (exact -> nearest class -> device default -> built-in), classes, and the active table.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "harness.hpp"
#include "spk/tune/tune.hpp"

using namespace spk;
using namespace spk::tune;

namespace {

const std::string head = "spk-tune-table\t1\n";

/// Parses `body` (after the header) and returns the error message ("" when it parsed).
std::string parse_error(const std::string& text) {
  try {
    parse_table(text, "t.tsv");
  } catch (const spk::error& e) {
    CHECK(e.code() == errc::bad_format);
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("tune table: parse, format, parse again") {
  const std::string text = "# a comment\n\n" + head +
                           "cpu:avx512bw\tconv2d_fkw\tkh=3,kw=3,s=1,c=12,f=12,h=12,w=12\t2\t"
                           "tile_rows=4,tile_vecs=4\t1.5\t2.0\tvgg16/conv3_1\n"
                           "cpu:avx512bw\tconv2d_fkw\t*\t*\tgroups_per_thread=2\n"
                           "cpu:avx512bw\tgemm_dense\tm=14,n=20,k=20\t0\t-\t-\t-\r\n"
                           "cl:pocl-cpu\tcl_spmm_bcr\t*\t*\twg0=64,vector_width=8,local_mem=2\n";
  const table t = parse_table(text, "t.tsv");
  REQUIRE(t.size() == 4);
  const table_row& r = t.rows()[0];
  CHECK(r.key.device == "cpu:avx512bw");
  CHECK(r.key.kernel == "conv2d_fkw");
  CHECK(r.key.shape.str() == "kh=3,kw=3,s=1,c=12,f=12,h=12,w=12");
  CHECK(r.key.density == 2);
  CHECK(param_traits<fkw_params>::from(r.values).tile_rows == 4);
  CHECK(param_traits<fkw_params>::from(r.values).tile_vecs == 4);
  CHECK(r.tuned_ms == doctest::Approx(1.5));
  CHECK(r.note == "vgg16/conv3_1");
  CHECK(r.line == 4);
  CHECK(t.rows()[1].key.shape.any());
  CHECK(t.rows()[1].key.density == any_density);
  CHECK(param_traits<cl_params>::from(t.rows()[3].values).vector_width == 8);
  const table u = parse_table(format_table(t, "# banner\n"), "u.tsv");
  REQUIRE(u.size() == t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    CHECK(u.rows()[i].key.shape == t.rows()[i].key.shape);
    CHECK(u.rows()[i].values == t.rows()[i].values);
    CHECK(u.rows()[i].note == t.rows()[i].note);
  }
}

TEST_CASE("tune table: malformed tables raise bad_format with file and line") {
  const std::string ok = "cpu:x\tconv2d_fkw\t*\t*\t-\n";
  struct bad {
    std::string text, part;
  };
  const std::vector<bad> cases = {
      {"", "t.tsv:1: no 'spk-tune-table"},
      {"# only comments\n", "no 'spk-tune-table"},
      {ok, "t.tsv:1: expected the header"},
      {"spk-tune-table\t2\n", "version '2'"},
      {"spk-tune-table 1\n", "expected the header"},
      {head + "cpu:x\tconv2d_fkw\t*\t*\n", "t.tsv:2: 4 tab-separated fields"},
      {head + ok + "cpu:x\tconv2d_fkw\t*\t*\t-\t-\t-\tnote\textra\n", "t.tsv:3: 9 tab-separated"},
      {head + "cpu x\tconv2d_fkw\t*\t*\t-\n", "device 'cpu x'"},
      {head + "\tconv2d_fkw\t*\t*\t-\n", "device ''"},
      {head + "cpu:x\tconv9d\t*\t*\t-\n", "unknown kernel 'conv9d'"},
      {head + "cpu:x\tconv2d_fkw\t\t*\t-\n", "empty shape class"},
      {head + "cpu:x\tconv2d_fkw\tkh3\t*\t-\n", "'kh3' is not name=int"},
      {head + "cpu:x\tconv2d_fkw\tKH=3\t*\t-\n", "feature name 'KH'"},
      {head + "cpu:x\tconv2d_fkw\tkh=x\t*\t-\n", "'kh=x': expected an integer"},
      {head + "cpu:x\tconv2d_fkw\tkh=99999\t*\t-\n", "expected an integer in [-1000, 1000]"},
      {head + "cpu:x\tconv2d_fkw\tkh=3,kh=3\t*\t-\n", "'kh' repeated"},
      {head + "cpu:x\tconv2d_fkw\t*\t41\t-\n", "density class '41'"},
      {head + "cpu:x\tconv2d_fkw\t*\t-1\t-\n", "density class '-1'"},
      {head + "cpu:x\tconv2d_fkw\t*\t2.5\t-\n", "density class '2.5'"},
      {head + "cpu:x\tconv2d_fkw\t*\t*\t\n", "empty params"},
      {head + "cpu:x\tconv2d_fkw\t*\t*\tl2_kib=4\n",
       "unknown param 'l2_kib' for kernel conv2d_fkw"},
      {head + "cpu:x\tconv2d_fkw\t*\t*\ttile_rows\n", "is not field=int"},
      {head + "cpu:x\tconv2d_fkw\t*\t*\ttile_rows=99\n", "expected 0 or an integer in [1, 14]"},
      {head + "cpu:x\tconv2d_fkw\t*\t*\ttile_rows=+4\n", "'tile_rows=+4'"},
      {head + "cpu:x\tconv2d_fkw\t*\t*\ttile_rows=4,tile_rows=4\n", "'tile_rows' repeated"},
      {head + "cpu:x\tspmm_bcr\t*\t*\titems_per_thread=5\n", "[1, 4]"},
      {head + "cpu:x\tconv2d_fkw\t*\t*\t-\tfast\n", "tuned_ms 'fast'"},
      {head + "cpu:x\tconv2d_fkw\t*\t*\t-\t-3\n", "tuned_ms '-3'"},
      {head + "cpu:x\tconv2d_fkw\t*\t*\t-\t1\tnan\n", "default_ms 'nan'"},
      {head + "cpu:x\tconv2d_fkw\t*\t*\t-\t1e999\n", "tuned_ms '1e999'"},
      {head + ok + "# c\n" + ok, "t.tsv:4: duplicate key (first at line 2)"},
      {head + ok + std::string("cpu:x\tgemm_dense\t*\t*\t-\0\n", 24), "t.tsv:3: NUL byte"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    const std::string msg = parse_error(c.text);
    CHECK_MESSAGE(contains(msg, c.part), "message: " << msg);
  }
  CHECK(parse_error(head + ok) == "");
}

TEST_CASE("tune table: load_table names the file; a missing file is an io error") {
  const std::string path = "spk_test_tune_table.tsv";
  {
    std::ofstream f(path);
    f << head << "cpu:x\tconv2d_fkw\t*\t*\tbogus=1\n";
  }
  try {
    load_table(path);
    FAIL("no error");
  } catch (const spk::error& e) {
    CHECK(e.code() == errc::bad_format);
    CHECK(contains(e.what(), path + ":2: unknown param 'bogus'"));
  }
  std::remove(path.c_str());
  try {
    load_table("no/such/dir/t.tsv");
    FAIL("no error");
  } catch (const spk::error& e) {
    CHECK(e.code() == errc::io);
  }
}

TEST_CASE("tune table: lookup chain exact -> nearest -> device default -> built-in") {
  const table t = parse_table(
      head +
          "cpu:a\tconv2d_fkw\tkh=3,kw=3,s=1,c=12,f=12,h=12,w=12\t2\ttile_rows=4,tile_vecs=4\n"
          "cpu:a\tconv2d_fkw\tkh=3,kw=3,s=1,c=18,f=18,h=8,w=8\t2\ttile_rows=7,tile_vecs=2\n"
          "cpu:a\tconv2d_fkw\tkh=3,kw=3,s=1,c=18,f=18,h=8,w=8\t6\ttile_rows=14,tile_vecs=1\n"
          "cpu:a\tconv2d_fkw\tkh=3,kw=3,s=2,c=18,f=18,h=8,w=8\t*\tgroups_per_thread=2\n"
          "cpu:a\tconv2d_fkw\t*\t*\tgroups_per_thread=1\n"
          "cpu:b\tgemm_dense\t*\t*\tkc=128\n",
      "t.tsv");
  shape_class c512;
  c512.add("kh", 3).add("kw", 3).add("s", 1).add("c", 18).add("f", 18).add("h", 8).add("w", 8);
  auto r = t.lookup("cpu:a", "conv2d_fkw", c512, 2);
  CHECK(r.level == match::exact);
  CHECK(r.values[0] == 7);
  r = t.lookup("cpu:a", "conv2d_fkw", c512, 5);  // nearest density among the same shape
  CHECK(r.level == match::nearest);
  CHECK(r.values[0] == 14);
  shape_class c256 = c512;
  c256.f[4].value = 16, c256.f[5].value = 10, c256.f[6].value = 10;
  r = t.lookup("cpu:a", "conv2d_fkw", c256, 2);  // distance 6 to the 512 class, 14 to the 64
  CHECK(r.level == match::nearest);
  CHECK(r.values[0] == 7);
  shape_class far = c512;
  far.f[3].value = 4, far.f[4].value = 4;  // beyond max_class_distance: the device default
  r = t.lookup("cpu:a", "conv2d_fkw", far, 2);
  CHECK(r.level == match::device_default);
  shape_class s2 = c512;
  s2.f[2].value = 2;  // stride 2: categorical, only the stride-2 row is near
  r = t.lookup("cpu:a", "conv2d_fkw", s2, 30);
  CHECK(r.level == match::nearest);
  CHECK(r.values[2] == 2);
  shape_class other;
  other.add("m", 3);  // features of another kernel family: only the device default fits
  r = t.lookup("cpu:a", "conv2d_fkw", other, 0);
  CHECK(r.level == match::device_default);
  CHECK(r.values[2] == 1);
  r = t.lookup("cpu:z", "conv2d_fkw", c512, 2);
  CHECK(r.level == match::builtin);
  CHECK(r.values == param_values{});
  r = t.lookup("cpu:b", "conv2d_fkw", c512, 2);
  CHECK(r.level == match::builtin);
  CHECK(t.has("cpu:b", "gemm_dense"));
  CHECK_FALSE(t.has("cpu:b", "conv2d_fkw"));
}

TEST_CASE("tune table: classes and density classes") {
  CHECK(density_class(1.0) == 0);
  CHECK(density_class(4.0 / 9.0) == 2);
  CHECK(density_class(0.125) == 6);
  CHECK(density_class(0.0) == max_density_class);
  CHECK(density_class(1e-9) == max_density_class);
  CHECK(log_bucket(1) == 0);
  CHECK(log_bucket(512) == 18);
  CHECK(log_bucket(56) == 12);
  const auto s = make_conv_shape<2>(1, 512, {28, 28}, 256, {3, 3}, conv2d_params{}.with_pad(1));
  CHECK(fkw_class(s).str() == "kh=3,kw=3,s=1,c=18,f=16,h=10,w=10");
  CHECK(kgs_class<2>(s).str() == "kd=1,kh=3,kw=3,s=1,c=18,f=16,o=19");
  CHECK(matmul_class(128, 768, 3072).str() == "m=14,n=19,k=23");
  // A class string parses back to the same class.
  const table t = parse_table(head + "cpu:a\tconv2d_fkw\t" + fkw_class(s).str() + "\t2\t-\n");
  CHECK(t.rows()[0].key.shape == fkw_class(s));
}

TEST_CASE("tune table: the compiled-in table parses; the active table and its override") {
  const table& b = builtin_table();
  for (const auto& r : b.rows()) CHECK(find_kernel(r.key.kernel) != nullptr);
  table user = parse_table(head + "cpu:a\tgemm_dense\t*\t*\tkc=128\n");
  set_active_table(user);
  CHECK(active_table()->size() == b.size() + (b.find_exact(user.rows()[0].key) ? 0 : 1));
  CHECK(active_table()->has("cpu:a", "gemm_dense"));
  lookup_result how;
  const auto p = params_for<gemm_params>(
      nullptr, "cpu:a", "gemm_dense", [] { return matmul_class(2, 2, 2); }, [] { return 1.0; },
      &how);
  CHECK(p.kc == 128);
  CHECK(how.level == match::device_default);
  const gemm_params given{64, 0, 0, 0};
  CHECK(params_for<gemm_params>(
            &given, "cpu:a", "gemm_dense", [] { return shape_class{}; }, [] { return 1.0; })
            .kc == 64);
  set_active_table(table{}, false);
  CHECK(active_table()->empty());
  CHECK(params_for<gemm_params>(
            nullptr, "cpu:a", "gemm_dense", [] { return shape_class{}; }, [] { return 1.0; })
            .kc == 0);
  reset_active_table();  // back to the startup table (SPK_TUNE_TABLE or the compiled-in one)
  CHECK(active_table() != nullptr);
}

TEST_CASE("tune table: params_for's per-thread memo never answers from a replaced table") {
  // Rows per shape class (m = 1..12) and density class: more keys than the memo holds, asked
  // twice in a row and interleaved, then the same keys against a table with other values.
  const auto make = [](int base) {
    std::string text = head;
    for (int m = 1; m <= 12; ++m)
      for (int dc = 0; dc <= 2; ++dc)
        text += "cpu:a\tgemm_dense\tm=" + std::to_string(m) + ",n=1,k=1\t" + std::to_string(dc) +
                "\tkc=" + std::to_string(16 * (base + 3 * m + dc)) + "\n";
    return parse_table(text);
  };
  const auto kc_of = [](int m, int dc) {
    shape_class c;
    c.add("m", m).add("n", 1).add("k", 1);
    lookup_result how;
    const auto p = params_for<gemm_params>(
        nullptr, "cpu:a", "gemm_dense", [&] { return c; }, [&] { return std::exp2(-dc / 2.0); },
        &how);
    CHECK(how.level == match::exact);
    return p.kc;
  };
  for (int base : {1, 50}) {
    set_active_table(make(base), false);
    for (int pass = 0; pass < 2; ++pass)
      for (int m = 1; m <= 12; ++m)
        for (int dc = 0; dc <= 2; ++dc) CHECK(kc_of(m, dc) == 16 * (base + 3 * m + dc));
  }
  // A kernel the table has no rows for, then rows for it: the memo's "no rows" is per table.
  set_active_table(table{}, false);
  CHECK(params_for<gemm_params>(
            nullptr, "cpu:a", "gemm_dense", [] { return shape_class{}; }, [] { return 1.0; })
            .kc == 0);
  set_active_table(parse_table(head + "cpu:a\tgemm_dense\t*\t*\tkc=48\n"), false);
  CHECK(params_for<gemm_params>(
            nullptr, "cpu:a", "gemm_dense", [] { return shape_class{}; }, [] { return 1.0; })
            .kc == 48);
  reset_active_table();
}
