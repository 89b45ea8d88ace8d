// SPDX-License-Identifier: Apache-2.0
// OpenCL params from the tune table: device id normalisation, the lookup a call makes without
// explicit tile params (a table row for this device changes the params; results still equal the
// CPU reference; an explicit struct wins), the PoCL fallback id, and malformed OpenCL rows.
// Two programs (one punched layer at the default tile and one at the table's tile).
#include <doctest/doctest.h>

#include <array>
#include <string>

#include "cl/cl_test_util.hpp"
#include "harness.hpp"
#include "spk/cl/conv_kgs.hpp"
#include "spk/kernels/punched/reference.hpp"
#include "spk/sparsity/punched.hpp"
#include "spk/tune/cl_device.hpp"

using namespace spk;
using spk_test::int_tensor;
using spk_test::nan_tensor;

namespace {

const std::string head = "spk-tune-table\t1\n";

/// Restores the startup table when a test case ends.
struct table_guard {
  ~table_guard() { tune::reset_active_table(); }
};

}  // namespace

TEST_CASE("cl tune: device id normalisation") {
  CHECK(tune::cl_device_id("pthread-skylake-avx512-AMD EPYC") ==
        "cl:pthread-skylake-avx512-amd-epyc");
  CHECK(tune::cl_device_id("  NVIDIA  GeForce (R) 3090 ") == "cl:nvidia-geforce-r-3090");
  CHECK(tune::cl_device_id("") == "cl:unknown");
  CHECK(tune::cl_device_id(std::string(300, 'x')).size() == 3 + 120);
}

TEST_CASE("cl tune: malformed OpenCL rows are rejected with file and line") {
  auto bad = [](const std::string& row, const std::string& part) {
    CAPTURE(row);
    try {
      tune::parse_table(head + row + "\n", "cl.tsv");
      FAIL("accepted");
    } catch (const spk::error& e) {
      CHECK(e.code() == errc::bad_format);
      CHECK(std::string(e.what()).find("cl.tsv:2: " + part) != std::string::npos);
    }
  };
  bad("cl:pocl-cpu\tcl_conv2d_punched\t*\t*\tvw=32", "param 'vw=32'");
  bad("cl:pocl-cpu\tcl_conv3d_kgs\t*\t*\tnv=9", "param 'nv=9'");
  bad("cl:pocl-cpu\tcl_conv2d_fkw\t*\t*\trows=5", "param 'rows=5'");
  bad("cl:pocl-cpu\tcl_conv2d_punched\t*\t*\twg0=4", "unknown param 'wg0'");
  bad("cl:pocl cpu\tcl_spmm_bcr\t*\t*\t-", "device 'cl:pocl cpu'");
  bad("cl:pocl-cpu\tcl_conv9d\t*\t*\t-", "unknown kernel 'cl_conv9d'");
  const tune::table ok = tune::parse_table(head +
                                           "cl:pocl-cpu\tcl_conv2d_fkw\t*\t*\tvec_width=8,rows=2\n"
                                           "cl:pocl-cpu\tcl_spmv_bcr\t*\t*\tlocal_mem=2\n");
  CHECK(tune::param_traits<tune::cl_fkw_params>::from(ok.rows()[0].values).rows == 2);
}

TEST_CASE("cl tune: conv2d_punched takes its tile from the active table") {
  auto ctx = spk_cl_test::context_or_skip();
  if (!ctx) return;
  table_guard guard;
  const tune::cl_device_ids ids = tune::cl_ids_of(ctx->device());
  CHECK(ids.exact.rfind("cl:", 0) == 0);
  CHECK(tune::detail::valid_device(ids.exact));

  const conv2d_params p = conv2d_params{}.with_pad(1);
  const auto s = make_conv_shape<2>(1, 12, {11, 13}, 20, {3, 3}, p);
  auto in = int_tensor<4>({1, 12, 11, 13}, 31);
  auto w = int_tensor<4>({20, 12, 3, 3}, 32);
  auto bias = int_tensor<1>({20}, 33);
  const auto mask =
      sparsity::project_punched(w.data(), sparsity::punched_grid(20, 12, 9, 8, 4), 0.4);
  sparsity::apply_mask(w.data(), mask.element_mask());
  const format::punched fmt = format::build_punched(w.view(), mask);
  const spk::cl::device_punched dw(*ctx, fmt);
  const std::array<index_t, 4> od{1, 20, s.out[0], s.out[1]};
  auto want = nan_tensor<4>(od);
  kernels::punched::conv2d_punched_reference(fmt, in.view(), bias.data(), want.view(), p, {});
  const std::string shape = tune::kgs_class<2>(s).str();
  auto resolved = [&] { return spk::cl::detail::resolve_kgs_params<2>(*ctx, dw, s, std::nullopt); };
  auto run_and_check = [&] {
    auto got = nan_tensor<4>(od);
    spk::cl::conv2d_punched(*ctx, dw, in.view(), bias.data(), got.view(), p, {});
    SPK_CHECK_EXACT(got.data(), want.data(), got.size());
  };

  SUBCASE("no row: the struct's defaults") {
    tune::set_active_table(tune::table{}, false);
    const auto t = resolved();
    CHECK(t.vw == 16);
    CHECK(t.nv == 0);
    CHECK(t.local0 == 1);
    run_and_check();
  }
  SUBCASE("an exact row for this device changes the tile; results unchanged") {
    tune::set_active_table(tune::parse_table(head + ids.exact + "\tcl_conv2d_punched\t" + shape +
                                             "\t*\tvw=4,nv=2,local0=2\n"),
                           false);
    const auto t = resolved();
    CHECK(t.vw == 4);
    CHECK(t.nv == 2);
    CHECK(t.tiles_per_item == 1);  // 0 in the row: the struct's default
    CHECK(t.local0 == 2);
    run_and_check();
  }
  SUBCASE("a row the kernel rejects reaches the kernel; an explicit struct wins") {
    tune::set_active_table(
        tune::parse_table(head + ids.exact + "\tcl_conv2d_punched\t*\t*\tvw=2\n"), false);
    auto got = nan_tensor<4>(od);
    try {
      spk::cl::conv2d_punched(*ctx, dw, in.view(), bias.data(), got.view(), p, {});
      FAIL("vw=2 from the table was not used");
    } catch (const spk::error& e) {
      CHECK(std::string(e.what()).find("params.vw") != std::string::npos);
    }
    spk::cl::conv2d_punched(*ctx, dw, in.view(), bias.data(), got.view(), p, {},
                            spk::cl::conv_kgs_cl_params{});
    SPK_CHECK_EXACT(got.data(), want.data(), got.size());
  }
  SUBCASE("the PoCL fallback id answers when the exact id has no rows") {
    tune::set_active_table(tune::parse_table(head + "cl:pocl-cpu\tcl_conv2d_punched\t*\t*\tvw=8\n"),
                           false);
    CHECK(resolved().vw == (ids.fallback.empty() ? 16 : 8));
  }
}
