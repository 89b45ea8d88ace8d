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
        for (executor* ex : executors()) {
          // Threads only for the all-on variant: the split does not depend on the switches.
          if (ex->concurrency() > 1 && !(fr && kr && lre)) continue;
          CAPTURE(fr);
          CAPTURE(kr);
          CAPTURE(lre);
          CAPTURE(ex->concurrency());
          auto got = nan_tensor<4>(want.dims());
          conv2d_fkw(in.view(), w, bp, got.view(), cc.p, fkw_conv_options{cc.relu, lre}, *ex);
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
