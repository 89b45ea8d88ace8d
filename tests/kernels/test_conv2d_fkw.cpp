// SPDX-License-Identifier: Apache-2.0
// conv2d_fkw (optimised, every switch combination) and conv2d_fkw_reference against the dense
// oracle on the pruned weights. Small-integer data: every sum is exact, comparisons are exact.
// Compiled once per ISA, so every tile variant of every xsimd path runs here.
#include <vector>

#include "harness.hpp"
#include "spk/kernels/dense/reference.hpp"
#include "spk/kernels/fkw/fkw.hpp"
#include "spk/sparsity/connectivity.hpp"

using namespace spk;
using namespace spk::sparsity;
using namespace spk::kernels::fkw;
using spk::format::fkw;
using spk::format::fkw_options;
using spk_test::executors;
using spk_test::int_tensor;
using spk_test::nan_tensor;

namespace {

pattern_bits bits(std::initializer_list<int> pos) {
  pattern_bits b = 0;
  for (int p : pos) b |= pattern_bits{1} << p;
  return b;
}

/// Libraries of the sweep: PatDNN 4-of-9 (P = 8, extracted), a YOLObile-style 5-of-9 library
/// with centre-free patterns, the full 3x3 (density 1) and a 5x5 library (windows beyond row 3).
enum class lib_kind { patdnn, yolobile, full, k5 };

pattern_library make_lib(lib_kind k, const tensor<float, 4>& dense) {
  switch (k) {
    case lib_kind::patdnn:
      return extract_library(dense.view(), candidate_library(), 8);
    case lib_kind::yolobile:
      return pattern_library(3, 3,
                             {bits({0, 2, 4, 6, 8}), bits({1, 3, 5, 7, 0}), bits({0, 1, 2, 3, 5}),
                              bits({3, 4, 5, 6, 7})});
    case lib_kind::full:
      return pattern_library(3, 3, {bits({0, 1, 2, 3, 4, 5, 6, 7, 8})});
    case lib_kind::k5:
      return pattern_library(
          5, 5, {bits({0, 6, 12, 18, 24}), bits({2, 7, 12, 17, 22}), bits({10, 11, 12, 13, 14})});
  }
  return {};
}

struct fkw_case {
  index_t n, c, f, h, w;
  conv2d_params p;
  lib_kind lib;
  double keep_frac;  ///< fraction of kernels kept (per layer); 0 = all pruned
  bool bias, relu;
};

void check_case(const fkw_case& cc, std::uint64_t salt) {
  CAPTURE(cc.h);
  CAPTURE(cc.w);
  CAPTURE(cc.c);
  CAPTURE(cc.f);
  CAPTURE(cc.p.stride[0]);
  CAPTURE(cc.p.pad_begin[0]);
  CAPTURE(cc.p.dilation[0]);
  CAPTURE(int(cc.lib));
  CAPTURE(cc.keep_frac);
  const index_t k = cc.lib == lib_kind::k5 ? 5 : 3;
  auto dense = int_tensor<4>({cc.f, cc.c, k, k}, salt);
  const auto lib = make_lib(cc.lib, dense);
  auto pruned = dense;
  const index_t keep = index_t(cc.keep_frac * double(cc.f * cc.c) + 0.5);
  const auto st = project_pattern_connectivity(dense.view(), lib, keep,
                                               connectivity_scope::per_layer, pruned.view());
  const auto s = make_conv_shape<2>(cc.n, cc.c, {cc.h, cc.w}, cc.f, {k, k}, cc.p);
  auto in = int_tensor<4>({cc.n, cc.c, cc.h, cc.w}, salt + 1);
  auto bias = int_tensor<1>({cc.f}, salt + 2);
  const float* bp = cc.bias ? bias.data() : nullptr;
  auto want = nan_tensor<4>({cc.n, cc.f, s.out[0], s.out[1]});
  kernels::dense::conv2d_reference(in.view(), pruned.view(), bp, want.view(), cc.p);
  if (cc.relu)
    for (index_t i = 0; i < want.size(); ++i) want.data()[i] = std::max(want.data()[i], 0.f);
  const bool nonzero_expected = keep > 0 || cc.bias;
  for (bool fr : {true, false})
    for (bool kr : {true, false}) {
      const fkw w = fkw::build(pruned.view(), st, fkw_options{fr, kr});
      auto ref = nan_tensor<4>(want.dims());
      conv2d_fkw_reference(in.view(), w, bp, ref.view(), cc.p, cc.relu);
      auto r = spk_test::compare(ref.data(), want.data(), want.size());
      CHECK_MESSAGE(r.mismatches == 0, "reference: " << r.str());
      for (bool lre : {true, false})
        for (fkw_layout layout :
             {fkw_layout::automatic, fkw_layout::contiguous, fkw_layout::lane_strided})
          for (executor* ex : executors()) {
            // Threads and forced layouts only with the other switches on: the split and the
            // layout do not depend on them.
            const bool all_on = fr && kr && lre;
            if ((ex->concurrency() > 1 || layout != fkw_layout::automatic) && !all_on) continue;
            CAPTURE(fr);
            CAPTURE(kr);
            CAPTURE(lre);
            CAPTURE(int(layout));
            CAPTURE(ex->concurrency());
            auto got = nan_tensor<4>(want.dims());
            conv2d_fkw(in.view(), w, bp, got.view(), cc.p, fkw_conv_options{cc.relu, lre, layout},
                       *ex);
            auto rr = spk_test::compare(got.data(), want.data(), want.size());
            CHECK_MESSAGE(rr.mismatches == 0, rr.str());
            if (nonzero_expected && !cc.relu)
              CHECK_MESSAGE(rr.nonzero > 0, "oracle output is all zero");
          }
    }
}

}  // namespace

TEST_CASE("conv2d_fkw matches the dense oracle on the shape sweep") {
  std::vector<fkw_case> cases;
  for (index_t hw : {1, 3, 7, 15, 16, 17, 33})
    for (index_t stride : {1, 2})
      for (index_t pad : {0, 1, 2}) {
        if (2 > hw - 1 + 2 * pad) continue;
        cases.push_back({1, 3, 5, hw, hw + 2, conv2d_params{}.with_stride(stride).with_pad(pad),
                         lib_kind::patdnn, 0.4, pad != 1, stride == 2});
      }
  std::uint64_t salt = 1000;
  for (const auto& cc : cases) check_case(cc, salt += 10);
}

TEST_CASE("conv2d_fkw tile variants: widths for every register tile, small planes") {
  // Widths 7 (flattened plane), 14, 28, 56, 120 (one per tile shape on AVX-512; others on
  // narrower ISAs), odd heights so row tiles have remainders.
  for (index_t w : {7, 9, 14, 28, 56, 120})
    for (index_t stride : {1, 2}) {
      const index_t h = w == 120 ? 5 : w;
      check_case({1, 4, 6, h, w, conv2d_params{}.with_stride(stride).with_pad(1), lib_kind::patdnn,
                  0.5, true, false},
                 2000 + w + stride);
    }
}

TEST_CASE("conv2d_fkw densities, libraries, empty filters, batch, dilation, stride 3") {
  const auto p1 = conv2d_params{}.with_pad(1);
  for (double keep : {0.0, 0.05, 0.5, 1.0})
    check_case({1, 5, 7, 9, 11, p1, lib_kind::patdnn, keep, keep == 0.0, false},
               3000 + index_t(keep * 100));
  check_case({1, 5, 4, 10, 10, p1, lib_kind::full, 1.0, true, false}, 3100);  // density 1
  // One pattern, 64 channels: each filter is one run longer than an L1 pass (run_cap is 14-48
  // kernels per ISA here), so the run is split into passes.
  check_case({1, 64, 3, 9, 30, p1, lib_kind::full, 1.0, true, false}, 3150);
  check_case({1, 6, 5, 12, 9, p1, lib_kind::yolobile, 0.6, true, true}, 3200);  // 5-of-9, relu
  check_case({2, 3, 4, 11, 13, conv2d_params{}.with_pad(2), lib_kind::k5, 0.7, true, false},
             3300);  // 5x5
  check_case({1, 3, 4, 12, 12, conv2d_params{}.with_pad(2).with_dilation(2), lib_kind::patdnn, 0.6,
              true, false},
             3400);
  check_case({1, 3, 4, 14, 13, conv2d_params{}.with_stride(3).with_pad(1), lib_kind::patdnn, 0.6,
              true, false},
             3500);
  check_case({1, 4, 5, 10, 12, conv2d_params{}.with_pad({0, 1}, {2, 0}), lib_kind::yolobile, 0.5,
              false, false},
             3600);  // asymmetric padding
  check_case({3, 4, 9, 7, 7, p1, lib_kind::patdnn, 0.05, true, false},
             3700);  // batch 3, filters emptied
}

TEST_CASE("conv2d_fkw reads a strided input view and rejects bad arguments") {
  auto dense = int_tensor<4>({4, 3, 3, 3}, 1);
  const auto lib = extract_library(dense.view(), candidate_library(), 4);
  auto pruned = dense;
  const auto st = project_pattern_connectivity(dense.view(), lib, 6, connectivity_scope::per_layer,
                                               pruned.view());
  const fkw w = fkw::build(pruned.view(), st);
  auto big = int_tensor<4>({1, 6, 8, 11}, 2);
  const auto in = nchw_view<const float>(big.data() + 2 * 88, {1, 3, 8, 9}, {6 * 88, 88, 11, 1});
  auto want = nan_tensor<4>({1, 4, 8, 9}), got = want;
  kernels::dense::conv2d_reference(in, pruned.view(), nullptr, want.view(),
                                   conv2d_params{}.with_pad(1));
  conv2d_fkw(in, w, nullptr, got.view(), conv2d_params{}.with_pad(1));
  SPK_CHECK_EXACT(got.data(), want.data(), got.size());

  // A workspace off the vector boundary: the aligned-row loads (AVX-512) must not be taken;
  // one off the 8-byte boundary is rejected.
  {
    auto wide = int_tensor<4>({1, 3, 6, 40}, 4);
    const auto p1 = conv2d_params{}.with_pad(1);
    const auto s = make_conv_shape<2>(1, 3, {6, 40}, 4, {3, 3}, p1);
    auto want2 = nan_tensor<4>({1, 4, 6, 40}), got2 = want2;
    kernels::dense::conv2d_reference(wide.view(), pruned.view(), nullptr, want2.view(), p1);
    aligned_buffer<float> ws(std::size_t(conv2d_fkw_workspace_size(w, s)) + 2);
    conv2d_fkw(wide.view(), w, nullptr, got2.view(), p1, fkw_conv_options{}, default_executor(),
               ws.data() + 2);
    SPK_CHECK_EXACT(got2.data(), want2.data(), got2.size());
    SPK_CHECK_ERROR(conv2d_fkw(wide.view(), w, nullptr, got2.view(), p1, fkw_conv_options{},
                               default_executor(), ws.data() + 1),
                    errc::invalid_argument, "workspace");
  }

  auto in2 = int_tensor<4>({1, 5, 8, 8}, 3);
  auto out = nan_tensor<4>({1, 4, 8, 8});
  SPK_CHECK_ERROR(conv2d_fkw(in2.view(), w, nullptr, out.view(), conv2d_params{}.with_pad(1)),
                  errc::shape_mismatch, "input");
  auto in3 = int_tensor<4>({1, 3, 8, 8}, 3);
  SPK_CHECK_ERROR(conv2d_fkw(in3.view(), w, nullptr, out.view(), conv2d_params{}),
                  errc::shape_mismatch, "output");
  SPK_CHECK_ERROR(
      conv2d_fkw(in3.view(), w, nullptr, out.view(), conv2d_params{}.with_pad(1).with_stride(0)),
      errc::invalid_argument, "stride_h");
  SPK_CHECK_ERROR(conv2d_fkw_reference(in3.view(), w, nullptr, out.view(),
                                       conv2d_params{}.with_pad(1).with_groups(3)),
                  errc::unsupported, "groups");
}

TEST_CASE("conv2d_fkw lane-strided layout: where it applies, column-strided input, pack forms") {
  using spk::kernels::fkw::detail::plan;
  constexpr bool has_lanes = has_valign<default_arch>;
  auto dense = int_tensor<4>({6, 4, 3, 3}, 11);
  const auto lib = extract_library(dense.view(), candidate_library(), 8);
  const auto p1 = conv2d_params{}.with_pad(1);
  const auto shape = [](index_t w, const conv2d_params& p, index_t h = 9) {
    return make_conv_shape<2>(1, 4, {h, w}, 6, {3, 3}, p);
  };
  // Forced: every unit-column-stride shape that is not a flattened plane, on AVX-512 only.
  for (index_t w : {14, 28, 56, 120, 230}) {
    CAPTURE(w);
    const auto g = plan<default_arch>(shape(w, p1), lib, {}, fkw_layout::lane_strided);
    CHECK(g.lanes == has_lanes);
    if (g.lanes) {
      CHECK(g.seg == (g.V + 2) * g.L);
      CHECK(g.ld == g.tiles_x * g.seg);
      CHECK(g.ld % g.L == 0);
    }
    CHECK_FALSE(plan<default_arch>(shape(w, p1), lib, {}, fkw_layout::contiguous).lanes);
    CHECK_FALSE(plan<default_arch>(shape(w, conv2d_params{}.with_pad(1).with_stride(2)), lib, {},
                                   fkw_layout::lane_strided)
                    .lanes);
  }
  CHECK_FALSE(plan<default_arch>(shape(7, p1, 7), lib, {}, fkw_layout::lane_strided).lanes);
  // automatic: not with few kernels per filter, nor one segment per vector on wide rows.
  CHECK(plan<default_arch>(shape(56, p1), lib, {}, fkw_layout::automatic, 32).lanes == has_lanes);
  CHECK_FALSE(plan<default_arch>(shape(56, p1), lib, {}, fkw_layout::automatic, 1).lanes);
  CHECK_FALSE(
      plan<default_arch>(shape(224, p1), lib, tune::fkw_params{14, 1, 0}, fkw_layout::automatic, 32)
          .lanes);

  // An input with column stride 2 (every other float) and padded rows, both layouts, 2 widths
  // (one segment; three segments, the last partial).
  for (index_t w : {28, 230}) {
    CAPTURE(w);
    auto pruned = dense;
    const auto st = project_pattern_connectivity(dense.view(), lib, 14,
                                                 connectivity_scope::per_layer, pruned.view());
    const fkw fw = fkw::build(pruned.view(), st);
    auto big = int_tensor<4>({1, 4, 9, 2 * w + 3}, 12);
    const nchw_view<const float> in(big.data() + 1, {1, 4, 9, w},
                                    {4 * 9 * (2 * w + 3), 9 * (2 * w + 3), 2 * w + 3, 2});
    auto want = nan_tensor<4>({1, 6, 9, w});
    kernels::dense::conv2d_reference(in, pruned.view(), nullptr, want.view(), p1);
    for (fkw_layout layout : {fkw_layout::contiguous, fkw_layout::lane_strided}) {
      CAPTURE(int(layout));
      auto got = nan_tensor<4>(want.dims());
      conv2d_fkw(in, fw, nullptr, got.view(), p1, fkw_conv_options{false, true, layout});
      SPK_CHECK_EXACT(got.data(), want.data(), got.size());
    }
  }

#if XSIMD_WITH_AVX512F
  if constexpr (has_lanes) {
    // The gather pack and its scalar form (rows too long for 32-bit indices) agree, zeros
    // included, for segments that start left of the row and end past it.
    using namespace spk::kernels::fkw::detail;
    auto row = int_tensor<1>({3 * 40}, 13);
    for (index_t V : {1, 2, 4, 7})
      for (index_t c0 : {-2, 0, 5}) {
        CAPTURE(V);
        CAPTURE(c0);
        std::vector<float> a(16 * (V + 2), NAN), b(a.size(), -1.f);
        pack_lane_segment(row.data(), 3, 40, c0, V, V + 2, a.data());
        pack_lane_segment_scalar(row.data(), 3, 40, c0, V, V + 2, b.data());
        SPK_CHECK_EXACT(a.data(), b.data(), index_t(a.size()));
        CHECK(b[3] == (c0 + 3 * V >= 0 && c0 + 3 * V < 40 ? row.data()[3 * (c0 + 3 * V)] : 0.f));
      }
    CHECK(lane_gather_fits(1 << 20, 2047));
    CHECK_FALSE(lane_gather_fits(1 << 20, 4096));
  }
#endif
}
