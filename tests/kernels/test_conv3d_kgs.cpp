// SPDX-License-Identifier: Apache-2.0
// conv3d_kgs (optimised) and conv3d_kgs_reference against the dense conv3d oracle on the
// pruned weights, over a sweep of shapes around the tile (48 / 8 / 4 positions), strides,
// paddings, (2+1)D kernels, group shapes, densities, bias + ReLU and thread counts.
// Small-integer data: every sum is exact, so comparisons are exact.
#include <vector>

#include "harness.hpp"
#include "spk/kernels/dense/reference.hpp"
#include "spk/kernels/kgs/kgs.hpp"

using namespace spk;
using namespace spk::kernels;
using spk_test::executors;
using spk_test::int_tensor;
using spk_test::nan_tensor;

namespace {

struct kgs_case {
  index_t batch, c, f;
  std::array<index_t, 3> in, kernel;
  conv3d_params p;
  double density = 0.3;
  index_t gm = 8, gn = 4;
  format::kgs_structure st = format::kgs_structure::kgs;
  bool bias = true, relu = false;
};

void check_case(const kgs_case& kc, executor& ex) {
  CAPTURE(kc.c);
  CAPTURE(kc.f);
  CAPTURE(kc.in[0]);
  CAPTURE(kc.in[1]);
  CAPTURE(kc.in[2]);
  CAPTURE(kc.kernel[0]);
  CAPTURE(kc.kernel[1]);
  CAPTURE(kc.kernel[2]);
  CAPTURE(kc.p.stride[0]);
  CAPTURE(kc.p.stride[2]);
  CAPTURE(kc.p.pad_begin[1]);
  CAPTURE(kc.density);
  CAPTURE(kc.gm);
  CAPTURE(kc.gn);
  CAPTURE(kc.relu);
  CAPTURE(ex.concurrency());
  const auto s = make_conv_shape<3>(kc.batch, kc.c, kc.in, kc.f, kc.kernel, kc.p);
  const index_t K = kc.kernel[0] * kc.kernel[1] * kc.kernel[2];
  auto in = int_tensor<5>({kc.batch, kc.c, kc.in[0], kc.in[1], kc.in[2]}, 30);
  auto w = int_tensor<5>({kc.f, kc.c, kc.kernel[0], kc.kernel[1], kc.kernel[2]}, 31);
  auto bias = int_tensor<1>({kc.f}, 32);
  const sparsity::kgs_grid grid{kc.f, kc.c, K, kc.gm, kc.gn};
  const auto mask =
      kc.st == format::kgs_structure::kgs
          ? sparsity::project_kgs(w.data(), grid, kc.density, sparsity::kgs_rule::euclidean)
          : sparsity::project_vanilla(w.data(), grid, kc.density);
  sparsity::apply_mask(w.data(), mask.element_mask());
  const auto fmt = format::kgs3d::build(w.view(), mask, kc.st);
  const std::array<index_t, 5> od{kc.batch, kc.f, s.out[0], s.out[1], s.out[2]};
  auto want = nan_tensor<5>(od), got = nan_tensor<5>(od), ref = nan_tensor<5>(od);
  const float* bp = kc.bias ? bias.data() : nullptr;
  dense::conv3d_reference(in.view(), w.view(), bp, want.view(), kc.p);
  if (kc.relu)
    for (index_t i = 0; i < want.size(); ++i) want.data()[i] = std::max(want.data()[i], 0.f);
  kgs::conv3d_kgs(fmt, in.view(), bp, got.view(), kc.p, kc.relu, ex);
  SPK_CHECK_EXACT(got.data(), want.data(), got.size());
  const kgs::conv3d_kgs_plan<> plan(fmt, s, kc.relu);  // the prepared call, run twice
  aligned_buffer<float> pws(plan.workspace_size());
  for (int run = 0; run < 2; ++run) {
    auto pout = nan_tensor<5>(od);
    plan.run(in.view(), bp, pout.view(), ex, pws.data());
    SPK_CHECK_EXACT(pout.data(), want.data(), pout.size());
  }
  if (ex.concurrency() == 1) {  // the reference once per case is enough
    kgs::conv3d_kgs_reference(fmt, in.view(), bp, ref.view(), kc.p, kc.relu);
    SPK_CHECK_EXACT(ref.data(), want.data(), ref.size());
  }
}

}  // namespace

TEST_CASE("conv3d_kgs matches the dense oracle on the shape sweep") {
  std::vector<kgs_case> cases;
  const std::array<index_t, 3> k333{3, 3, 3}, k133{1, 3, 3}, k311{3, 1, 1}, k111{1, 1, 1};
  for (index_t hw : {1, 3, 7, 15, 16, 17, 33})
    for (auto k : {k333, k133, k311})
      for (index_t stride : {1, 2})
        for (index_t pad : {0, 1, 2}) {
          const index_t d = 3;
          if (k[1] - 1 > hw - 1 + 2 * pad || k[0] - 1 > d - 1 + 2 * pad) continue;
          kgs_case c{
              1, 5, 9, {d, hw, hw + 1}, k, conv3d_params{}.with_stride(stride).with_pad(pad)};
          c.relu = pad == 1;
          cases.push_back(c);
        }
  // Mixed strides / pads per dim (R(2+1)D: spatial 1x2x2, temporal 2x1x1), asymmetric padding.
  cases.push_back({1,
                   6,
                   16,
                   {5, 9, 11},
                   k133,
                   conv3d_params{}.with_stride({1, 2, 2}).with_pad({0, 1, 1}, {0, 1, 1})});
  cases.push_back({1,
                   7,
                   8,
                   {9, 6, 6},
                   k311,
                   conv3d_params{}.with_stride({2, 1, 1}).with_pad({1, 0, 0}, {1, 0, 0})});
  cases.push_back({2, 4, 8, {4, 7, 9}, k333, conv3d_params{}.with_pad({0, 1, 2}, {2, 0, 1})});
  cases.push_back({1, 4, 8, {5, 9, 9}, k333, conv3d_params{}.with_pad(2).with_dilation(2)});
  cases.push_back({1, 16, 17, {2, 5, 5}, k111, conv3d_params{}});
  cases.push_back({1, 8, 8, {3, 8, 8}, k111, conv3d_params{}.with_stride(2)});
  // Channels and filters off the group grid, and a big flat run (several tiles per plane).
  cases.push_back({1, 3, 64, {4, 12, 12}, k333, conv3d_params{}.with_pad(1)});
  cases.push_back({1, 33, 17, {3, 10, 10}, k333, conv3d_params{}.with_pad(1)});
  for (executor* ex : executors())
    for (const auto& c : cases) check_case(c, *ex);
}

TEST_CASE("conv3d_kgs group shapes, vanilla and densities") {
  const auto p1 = conv3d_params{}.with_pad(1);
  std::vector<kgs_case> cases;
  for (double density : {0.0, 0.02, 0.5, 1.0}) {
    kgs_case c{1, 9, 19, {3, 7, 8}, {3, 3, 3}, p1, density};
    cases.push_back(c);
    c.st = format::kgs_structure::vanilla;
    cases.push_back(c);
  }
  for (auto [gm, gn] :
       std::vector<std::pair<index_t, index_t>>{{1, 1}, {4, 2}, {3, 5}, {16, 4}, {11, 1}, {8, 8}}) {
    kgs_case c{1, 10, 23, {3, 6, 7}, {3, 3, 3}, p1, 0.4};
    c.gm = gm, c.gn = gn;
    cases.push_back(c);
  }
  kgs_case nb{1, 5, 9, {3, 6, 6}, {3, 3, 3}, p1, 0.5};
  nb.bias = false, nb.relu = true;
  cases.push_back(nb);
  for (executor* ex : executors())
    for (const auto& c : cases) check_case(c, *ex);
}

// Shared pad rows (make_geometry): stride 1, symmetric H padding p <= the kernel's row reach
// packs planes H + p rows apart; the last plane's taps read p rows past the last channel. Rows
// 130 wide (+ p) outrun the tile's own zero tail, so only the geometry's overhang keeps those
// reads on zeros: the workspace here is NaN-filled and oversized, so a short tail reads NaN.
TEST_CASE("conv3d_kgs shared pad rows: geometry, overhang and results") {
  using arch = default_arch;
  struct rcase {
    std::array<index_t, 3> in, kernel;
    conv3d_params p;
    bool shared;
  };
  const std::vector<rcase> cases = {
      {{3, 4, 130}, {3, 3, 3}, conv3d_params{}.with_pad(1), true},
      {{2, 3, 131}, {1, 3, 3}, conv3d_params{}.with_pad({0, 1, 1}, {0, 1, 1}), true},
      {{3, 5, 129}, {3, 5, 5}, conv3d_params{}.with_pad(2), true},
      {{3, 5, 9}, {3, 5, 5}, conv3d_params{}.with_pad({1, 1, 2}, {1, 1, 2}), true},
      {{3, 4, 9}, {3, 3, 3}, conv3d_params{}.with_pad({1, 1, 1}, {1, 0, 1}), false},  // asym.
      {{3, 4, 9}, {3, 3, 3}, conv3d_params{}.with_pad(1).with_stride({1, 2, 1}), false},
      {{3, 6, 9}, {3, 3, 3}, conv3d_params{}.with_pad({1, 3, 1}, {1, 3, 1}), false},  // p > 2
  };
  for (const auto& rc : cases)
    for (double density : {0.5, 1.0}) {
      CAPTURE(rc.in[1]);
      CAPTURE(rc.in[2]);
      CAPTURE(rc.kernel[1]);
      CAPTURE(density);
      const index_t c = 5, f = 9, K = rc.kernel[0] * rc.kernel[1] * rc.kernel[2];
      const auto s = make_conv_shape<3>(1, c, rc.in, f, rc.kernel, rc.p);
      const auto g = kgs::detail::make_geometry<3>(s, kgs::kgs_tile<arch>::positions);
      const index_t ph = rc.p.pad_begin[1];
      const index_t padded = rc.in[1] + ph + rc.p.pad_end[1];
      CHECK(g.q[1] == (rc.shared ? rc.in[1] + ph : (padded + rc.p.stride[1] - 1) / rc.p.stride[1]));
      CHECK(g.overhang == (rc.shared ? ph * g.q[2] : 0) + g.lead);
      auto in = int_tensor<5>({1, c, rc.in[0], rc.in[1], rc.in[2]}, 70);
      auto w = int_tensor<5>({f, c, rc.kernel[0], rc.kernel[1], rc.kernel[2]}, 71);
      auto bias = int_tensor<1>({f}, 72);
      const auto m = sparsity::project_kgs(w.data(), {f, c, K, 8, 4}, density);
      sparsity::apply_mask(w.data(), m.element_mask());
      const auto fmt = format::kgs3d::build(w.view(), m);
      const std::array<index_t, 5> od{1, f, s.out[0], s.out[1], s.out[2]};
      auto want = nan_tensor<5>(od), got = nan_tensor<5>(od);
      dense::conv3d_reference(in.view(), w.view(), bias.data(), want.view(), rc.p);
      const index_t need = kgs::conv3d_kgs_workspace_size<arch>(fmt, s);
      aligned_buffer<float> ws(need + 4096, spk_test::nan());
      for (executor* ex : executors()) {
        kgs::conv3d_kgs<arch>(fmt, in.view(), bias.data(), got.view(), rc.p, false, *ex, ws.data());
        SPK_CHECK_EXACT(got.data(), want.data(), got.size());
      }
    }
}

TEST_CASE("conv3d_kgs writes into a channel slice and keeps kept zeros") {
  // Output = channels [2, 2+F) of a NaN tensor: the rest stays NaN. Weights all zero but a
  // fully kept mask: the format keeps them (explicit mask), the output is the bias.
  const index_t f = 5;
  auto in = int_tensor<5>({1, 4, 3, 5, 5}, 40);
  auto w = int_tensor<5>({f, 4, 3, 3, 3}, 41);
  auto bias = int_tensor<1>({f}, 42, 1, 4);
  const sparsity::kgs_grid grid{f, 4, 27, 8, 4};
  const auto m = sparsity::project_kgs(w.data(), grid, 0.5);
  sparsity::apply_mask(w.data(), m.element_mask());
  const auto fmt = format::kgs3d::build(w.view(), m);
  auto big = nan_tensor<5>({1, 9, 3, 5, 5});
  auto want = nan_tensor<5>({1, f, 3, 5, 5});
  auto slice = ncdhw_view<float>(big.data() + 2 * 75, {1, f, 3, 5, 5}, {9 * 75, 75, 25, 5, 1});
  const auto p = conv3d_params{}.with_pad(1);
  dense::conv3d_reference(in.view(), w.view(), bias.data(), want.view(), p);
  kgs::conv3d_kgs(fmt, in.view(), bias.data(), slice, p);
  SPK_CHECK_EXACT(big.data() + 2 * 75, want.data(), want.size());
  for (index_t i = 0; i < 2 * 75; ++i) REQUIRE(std::isnan(big.data()[i]));
  for (index_t i = (2 + f) * 75; i < big.size(); ++i) REQUIRE(std::isnan(big.data()[i]));

  auto zero = nan_tensor<5>({f, 4, 3, 3, 3});
  zero.fill(0.f);
  const auto all = format::kgs3d::build(
      zero.view(), std::vector<std::uint8_t>(std::size_t(zero.size()), 1), 8, 4);
  CHECK(all.kept_weights() == zero.size());
  auto out = nan_tensor<5>({1, f, 3, 5, 5});
  kgs::conv3d_kgs(all, in.view(), bias.data(), out.view(), p);
  for (index_t i = 0; i < out.size(); ++i) REQUIRE(out.data()[i] == bias.data()[i / 75]);
}

TEST_CASE("conv3d_kgs channel-chunked schedules (partial sums), block- and tile-major") {
  // White-box: small L2 budgets force the chunked paths real layers take (C3D conv4b, conv5a),
  // on 9-wide rows (column variants) and 17-wide rows (a shared pad column).
  const auto p = conv3d_params{}.with_pad(1);
  using arch = default_arch;
  for (index_t width : {9, 17}) {
    CAPTURE(width);
    auto in = int_tensor<5>({2, 13, 3, 7, width}, 60);
    auto w = int_tensor<5>({19, 13, 3, 3, 3}, 61);
    auto bias = int_tensor<1>({19}, 62);
    const auto m = sparsity::project_kgs(w.data(), {19, 13, 27, 8, 4}, 0.4);
    sparsity::apply_mask(w.data(), m.element_mask());
    const auto fmt = format::kgs3d::build(w.view(), m);
    const auto s = make_conv_shape<3>(2, 13, {3, 7, width}, 19, {3, 3, 3}, p);
    auto want = nan_tensor<5>({2, 19, 3, 7, width});
    dense::conv3d_reference(in.view(), w.view(), bias.data(), want.view(), p);
    for (index_t i = 0; i < want.size(); ++i) want.data()[i] = std::max(want.data()[i], 0.f);
    const auto g = kgs::detail::make_geometry<3>(s, kgs::kgs_tile<arch>::positions);
    CHECK(g.variants == (width == 9 ? 3 : 1));
    // Budgets for 4 chunks (gn each), a few, and one; both loop orders forced on each.
    for (double budget : {1.0, 8000.0, 1e9})
      for (int order : {1, 2}) {
        CAPTURE(budget);
        CAPTURE(order);
        tune::kgs_params tp;
        tp.order = order;
        const auto sc = kgs::detail::make_schedule<arch>(fmt, g, budget, 24.0 * 1024, order);
        CHECK(sc.block_major == (order == 1));
        CHECK((sc.chunks > 1) == (budget < 1e9));
        for (executor* ex : executors()) {
          aligned_buffer<float> ws(kgs::detail::workspace_floats<arch, 3>(fmt, s, budget));
          auto got = nan_tensor<5>({2, 19, 3, 7, width});
          kgs::detail::conv_kgs_impl<arch, 3>(fmt, in.view(), bias.data(), got.view(), p,
                                              activation::relu(), *ex, ws.data(), "t", budget, tp);
          SPK_CHECK_EXACT(got.data(), want.data(), got.size());
        }
      }
    CHECK(kgs::detail::make_schedule<arch>(fmt, g, 1.0).chunks == 4);  // 13 channels / gn 4
  }
}

TEST_CASE("conv3d_kgs depth classes: edge planes skip the depth taps that read padding") {
  using arch = default_arch;
  constexpr index_t T = kgs::kgs_tile<arch>::positions;
  SUBCASE("classes of C3D-like shapes") {
    // conv4's 4 planes of 14 x 14 (pad 1): one run per plane, the first and last skip a depth.
    const auto s4 =
        make_conv_shape<3>(1, 8, {4, 14, 14}, 8, {3, 3, 3}, conv3d_params{}.with_pad(1));
    const auto g4 = kgs::detail::make_geometry<3>(s4, T);
    CHECK(g4.runs == 4);
    const auto dc4 = kgs::detail::make_depth_classes(g4);
    REQUIRE(dc4.ranges.size() == 2);
    CHECK(dc4.ranges[0] == std::array<index_t, 2>{1, 3});
    CHECK(dc4.ranges[1] == std::array<index_t, 2>{0, 2});
    CHECK(dc4.of_run == std::vector<int>{0, -1, -1, 1});
    // A single plane (D 1, pad 1): only the middle depth reads input.
    const auto s1 = make_conv_shape<3>(1, 8, {1, 9, 9}, 8, {3, 3, 3}, conv3d_params{}.with_pad(1));
    const auto dc1 = kgs::detail::make_depth_classes(kgs::detail::make_geometry<3>(s1, T));
    REQUIRE(dc1.ranges.size() == 1);
    CHECK(dc1.ranges[0] == std::array<index_t, 2>{1, 2});
    // No depth padding, or a 2D problem: no classes.
    const auto s0 = make_conv_shape<3>(1, 8, {4, 9, 9}, 8, {3, 3, 3},
                                       conv3d_params{}.with_pad({0, 1, 1}, {0, 1, 1}));
    CHECK(kgs::detail::make_depth_classes(kgs::detail::make_geometry<3>(s0, T)).ranges.empty());
    const auto s2 = make_conv_shape<2>(1, 8, {9, 9}, 8, {3, 3}, conv2d_params{}.with_pad(1));
    CHECK(kgs::detail::make_depth_classes(kgs::detail::make_geometry<2>(s2, T)).ranges.empty());
  }
  SUBCASE("results against the dense oracle") {
    struct dcase {
      std::array<index_t, 3> in, kernel;
      conv3d_params p;
      index_t f;
    };
    const std::array<index_t, 3> k333{3, 3, 3}, k311{3, 1, 1}, k533{5, 3, 3};
    const std::vector<dcase> cases = {
        {{4, 9, 9}, k333, conv3d_params{}.with_pad(1), 16},  // full filter blocks
        {{2, 7, 7}, k333, conv3d_params{}.with_pad(1), 12},  // conv5-like, a partial block
        {{1, 6, 5}, k333, conv3d_params{}.with_pad(1), 8},
        {{5, 8, 9}, k533, conv3d_params{}.with_pad({2, 1, 1}, {1, 1, 1}), 8},
        {{6, 9, 9}, k311, conv3d_params{}.with_stride({2, 1, 1}).with_pad({1, 0, 0}, {1, 0, 0}), 8},
        {{4, 9, 10}, k333, conv3d_params{}.with_pad(2).with_dilation({2, 1, 1}), 8},
        // Depth padding beyond the kernel's reach: plane 0 reads padding only (bias alone).
        {{2, 5, 6}, k333, conv3d_params{}.with_pad({3, 1, 1}, {0, 1, 1}), 8},
    };
    for (const auto& dc : cases) {
      CAPTURE(dc.in[0]);
      CAPTURE(dc.kernel[0]);
      CAPTURE(dc.f);
      const index_t C = 9;
      const auto s = make_conv_shape<3>(1, C, dc.in, dc.f, dc.kernel, dc.p);
      const auto g = kgs::detail::make_geometry<3>(s, T);
      CHECK(!kgs::detail::make_depth_classes(g).ranges.empty());
      auto in = int_tensor<5>({1, C, dc.in[0], dc.in[1], dc.in[2]}, 80);
      auto w = int_tensor<5>({dc.f, C, dc.kernel[0], dc.kernel[1], dc.kernel[2]}, 81);
      auto bias = int_tensor<1>({dc.f}, 82);
      const index_t K = dc.kernel[0] * dc.kernel[1] * dc.kernel[2];
      const auto m = sparsity::project_kgs(w.data(), {dc.f, C, K, 8, 4}, 0.5);
      sparsity::apply_mask(w.data(), m.element_mask());
      const auto fmt = format::kgs3d::build(w.view(), m);
      const std::array<index_t, 5> od{1, dc.f, s.out[0], s.out[1], s.out[2]};
      auto want = nan_tensor<5>(od);
      dense::conv3d_reference(in.view(), w.view(), bias.data(), want.view(), dc.p);
      // One chunk and several (partial sums over the class lists' channel ranges).
      for (double budget : {1e9, 1.0}) {
        CAPTURE(budget);
        for (executor* ex : executors()) {
          aligned_buffer<float> ws(kgs::detail::workspace_floats<arch, 3>(fmt, s, budget));
          auto got = nan_tensor<5>(od);
          kgs::detail::conv_kgs_impl<arch, 3>(fmt, in.view(), bias.data(), got.view(), dc.p,
                                              activation{}, *ex, ws.data(), "t", budget);
          SPK_CHECK_EXACT(got.data(), want.data(), got.size());
        }
      }
      const kgs::conv3d_kgs_plan<> plan(fmt, s);  // the lists kept in a plan
      aligned_buffer<float> pws(plan.workspace_size());
      auto pout = nan_tensor<5>(od);
      plan.run(in.view(), bias.data(), pout.view(), default_executor(), pws.data());
      SPK_CHECK_EXACT(pout.data(), want.data(), pout.size());
    }
  }
}

// The packer against the definition of the padded stride phases (geometry's contract), on a
// NaN-prefilled buffer: packed rows around the 16-float chunks of the masked AVX-512 path (1,
// 9, 16, 17, 18, 33) and past its 512-float mask table (W 1100 at stride 2: 551), strides 1-3,
// asymmetric pads, 3D, and a column-strided view (the generic element path).
TEST_CASE("kgs pack_input writes exactly the zero-padded stride phases") {
  struct pcase {
    std::array<index_t, 3> in, kernel, stride, pb, pe;
    index_t col_step;
  };
  const std::vector<pcase> cases = {
      {{1, 5, 1}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, 1},
      {{1, 4, 16}, {1, 3, 3}, {1, 2, 2}, {0, 1, 1}, {0, 1, 1}, 1},
      {{1, 6, 17}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, 1},
      {{1, 4, 16}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, 1},  // packed rows of 17
      {{1, 3, 32}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, 1},  // and of 33
      {{1, 5, 33}, {1, 3, 3}, {1, 2, 2}, {0, 2, 1}, {0, 0, 2}, 1},
      {{1, 3, 1100}, {1, 3, 3}, {1, 2, 2}, {0, 1, 1}, {0, 1, 1}, 1},
      {{1, 3, 140}, {1, 1, 3}, {1, 1, 1}, {0, 0, 1}, {0, 0, 1}, 1},
      {{1, 7, 20}, {1, 3, 3}, {1, 3, 3}, {0, 1, 1}, {0, 1, 1}, 1},
      {{3, 5, 9}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 0, 1}, 1},
      {{1, 5, 11}, {1, 3, 3}, {1, 2, 2}, {0, 1, 1}, {0, 1, 1}, 2},
      {{1, 2, 18}, {1, 1, 1}, {1, 2, 2}, {0, 0, 0}, {0, 0, 0}, 1},
      // Column variants: small 3D 'same' planes, incl. a 1-wide row (variants 0 and 2 empty).
      {{3, 5, 9}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 1},
      {{2, 4, 1}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 1},
      {{4, 3, 15}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, 2},
  };
  for (const auto& pc : cases) {
    CAPTURE(pc.in[2]);
    CAPTURE(pc.stride[2]);
    CAPTURE(pc.col_step);
    const index_t C = 3;
    const auto p = conv3d_params{}.with_stride(pc.stride).with_pad(pc.pb, pc.pe);
    const auto s = make_conv_shape<3>(1, C, pc.in, 8, pc.kernel, p);
    const index_t T = kgs::kgs_tile<default_arch>::positions;
    const auto g = kgs::detail::make_geometry<3>(s, T);
    const index_t plane = pc.in[0] * pc.in[1] * pc.in[2] * pc.col_step;
    auto img = int_tensor<1>({C * plane}, 90);
    const kgs::detail::dims3 ss{pc.in[1] * pc.in[2] * pc.col_step, pc.in[2] * pc.col_step,
                                pc.col_step};
    aligned_buffer<float> got(kgs::detail::packed_floats(g, T));
    std::fill(got.data(), got.data() + got.size(), spk_test::nan());
    kgs::detail::pack_input<default_arch>(g, img.data(), plane, ss, 0, C, T, got.data());
    // 3D 'same' planes up to 15 wide take column variants (the first cases do not).
    CHECK((g.variants > 1) == (pc.in[0] > 1 && pc.stride == std::array<index_t, 3>{1, 1, 1} &&
                               pc.kernel[2] == 3 && pc.pb[2] == 1 && pc.in[2] <= 15));
    index_t bad = 0;
    for (index_t c = 0; c < C; ++c)
      for (index_t pd = 0; pd < g.stride[0]; ++pd)
        for (index_t ph = 0; ph < g.stride[1]; ++ph)
          for (index_t pw = 0; pw < g.stride[2]; ++pw)
            for (index_t v = 0; v < g.variants; ++v) {
              const index_t ph_index = (pd * g.stride[1] + ph) * g.stride[2] + pw;
              // Block (phase, variant): `lead` zeros, then the phase's planes.
              const float* base = got.data() + c * g.chan + (ph_index * g.variants + v) * g.phase;
              for (index_t x = 0; x < g.lead; ++x) bad += base[x] != 0.f;
              base += g.lead;
              const auto cols = g.variant_columns(v);
              const bool used = g.phase_used(0, pd) && g.phase_used(1, ph) && g.phase_used(2, pw);
              for (index_t x = 0; x < g.phase - g.lead; ++x) {
                const index_t a = x / g.plane, b = x % g.plane / g.q[2], e = x % g.q[2];
                const index_t id = a * g.stride[0] + pd - g.pad[0],
                              ih = b * g.stride[1] + ph - g.pad[1],
                              iw = g.variants > 1 ? e : e * g.stride[2] + pw - g.pad[2];
                const bool inside = id >= 0 && id < pc.in[0] && ih >= 0 && ih < pc.in[1] &&
                                    iw >= cols[0] && iw < cols[1];
                if (!used) {  // only the over-read head is defined: zeros
                  if (x < T) bad += base[x] != 0.f;
                  continue;
                }
                const float want =
                    inside ? img.data()[c * plane + id * ss[0] + ih * ss[1] + iw * ss[2]] : 0.f;
                bad += !(base[x] == want);
              }
            }
    CHECK(bad == 0);
  }
}

TEST_CASE("the kgs engine in 2D (the block-punched shape issue 6 wraps) matches conv2d_reference") {
  for (const auto& cs : std::vector<std::array<index_t, 4>>{
           {7, 3, 1, 1}, {17, 3, 2, 1}, {16, 1, 1, 0}, {9, 5, 2, 2}})
    for (executor* ex : executors()) {
      const index_t hw = cs[0], k = cs[1], stride = cs[2], pad = cs[3];
      CAPTURE(hw);
      CAPTURE(k);
      const auto p = conv2d_params{}.with_stride(stride).with_pad(pad);
      const auto s = make_conv_shape<2>(1, 9, {hw, hw + 2}, 17, {k, k}, p);
      auto in = int_tensor<4>({1, 9, hw, hw + 2}, 70);
      auto w = int_tensor<4>({17, 9, k, k}, 71);
      auto bias = int_tensor<1>({17}, 72);
      const auto m = sparsity::project_kgs(w.data(), {17, 9, k * k, 8, 4}, 0.5);
      sparsity::apply_mask(w.data(), m.element_mask());
      const auto fmt = format::kgs2d::build(w.view(), m);
      auto want = nan_tensor<4>({1, 17, s.out[0], s.out[1]}), got = want, ref = want;
      dense::conv2d_reference(in.view(), w.view(), bias.data(), want.view(), p);
      aligned_buffer<float> ws(kgs::detail::workspace_floats<default_arch, 2>(fmt, s));
      kgs::detail::conv_kgs_impl<default_arch, 2>(fmt, in.view(), bias.data(), got.view(), p,
                                                  activation::none(), *ex, ws.data(), "t");
      SPK_CHECK_EXACT(got.data(), want.data(), got.size());
      kgs::detail::conv_kgs_reference_loops<2>(fmt, in.view(), bias.data(), ref.view(), p,
                                               activation::none(), "t");
      SPK_CHECK_EXACT(ref.data(), want.data(), ref.size());
    }
}

// Row bands (tile-major layers whose packed input overflows L2): small L2 budgets force them
// on small shapes; every case must band under at least one budget, so the test cannot pass by
// skipping the banded path. Output rows not a multiple of the band, strides 1-2, kernels 1-5,
// dilation, asymmetric pads.
TEST_CASE("the kgs engine in row bands matches conv2d_reference") {
  struct bcase {
    index_t h, w, k, stride, dil;
    std::array<index_t, 2> pb, pe;
  };
  for (const auto& bc : std::vector<bcase>{{17, 19, 3, 1, 1, {1, 1}, {1, 1}},
                                           {23, 16, 3, 2, 1, {1, 1}, {1, 1}},
                                           {20, 21, 5, 1, 1, {2, 2}, {2, 2}},
                                           {19, 18, 3, 1, 2, {2, 1}, {0, 2}},
                                           {21, 17, 1, 2, 1, {0, 0}, {0, 0}},
                                           {18, 22, 3, 2, 1, {0, 1}, {2, 0}}}) {
    CAPTURE(bc.h);
    CAPTURE(bc.k);
    CAPTURE(bc.stride);
    const index_t C = 9, F = 17;
    const auto p =
        conv2d_params{}.with_stride(bc.stride).with_dilation(bc.dil).with_pad(bc.pb, bc.pe);
    const auto s = make_conv_shape<2>(1, C, {bc.h, bc.w}, F, {bc.k, bc.k}, p);
    auto in = int_tensor<4>({1, C, bc.h, bc.w}, 80);
    auto w = int_tensor<4>({F, C, bc.k, bc.k}, 81);
    auto bias = int_tensor<1>({F}, 82);
    const auto m = sparsity::project_kgs(w.data(), {F, C, bc.k * bc.k, 8, 4}, 0.5);
    sparsity::apply_mask(w.data(), m.element_mask());
    const auto fmt = format::kgs2d::build(w.view(), m);
    auto want = nan_tensor<4>({1, F, s.out[0], s.out[1]});
    dense::conv2d_reference(in.view(), w.view(), bias.data(), want.view(), p);
    for (index_t i = 0; i < want.size(); ++i) want.data()[i] = std::max(want.data()[i], 0.f);
    using arch = default_arch;
    const auto g = kgs::detail::make_geometry<2>(s, kgs::kgs_tile<arch>::positions);
    int banded = 0;
    for (double budget : {1500.0, 3000.0, 6000.0, 9000.0, 12000.0, 18000.0, 24000.0, 36000.0}) {
      const auto sc = kgs::detail::make_schedule<arch>(fmt, g, budget);
      const index_t rows = kgs::detail::band_rows(g, kgs::detail::band_budget(budget));
      banded += sc.chunks == 1 && !sc.block_major && rows > 0;
      CAPTURE(budget);
      for (executor* ex : executors()) {
        aligned_buffer<float> ws(kgs::detail::workspace_floats<arch, 2>(fmt, s, budget));
        std::fill(ws.data(), ws.data() + ws.size(), spk_test::nan());
        auto got = nan_tensor<4>({1, F, s.out[0], s.out[1]});
        kgs::detail::conv_kgs_impl<arch, 2>(fmt, in.view(), bias.data(), got.view(), p,
                                            activation::relu(), *ex, ws.data(), "t", budget);
        SPK_CHECK_EXACT(got.data(), want.data(), got.size());
      }
    }
    CHECK(banded > 0);
  }
}

TEST_CASE("conv3d_kgs rejects bad arguments") {
  auto in = int_tensor<5>({1, 4, 3, 6, 6}, 50);
  auto w = int_tensor<5>({8, 4, 3, 3, 3}, 51);
  const auto fmt =
      format::kgs3d::build(w.view(), sparsity::project_kgs(w.data(), {8, 4, 27, 8, 4}, 0.5));
  auto out = nan_tensor<5>({1, 8, 3, 6, 6});
  const auto p = conv3d_params{}.with_pad(1);
  auto in5 = int_tensor<5>({1, 5, 3, 6, 6}, 52);
  SPK_CHECK_ERROR(kgs::conv3d_kgs(fmt, in5.view(), nullptr, out.view(), p), errc::shape_mismatch,
                  "weights' channels");
  auto bad_out = nan_tensor<5>({1, 8, 3, 6, 5});
  SPK_CHECK_ERROR(kgs::conv3d_kgs(fmt, in.view(), nullptr, bad_out.view(), p), errc::shape_mismatch,
                  "output");
  SPK_CHECK_ERROR(kgs::conv3d_kgs(fmt, in.view(), nullptr, out.view(),
                                  conv3d_params{}.with_pad(1).with_stride(0)),
                  errc::invalid_argument, "stride_d");
  SPK_CHECK_ERROR(kgs::conv3d_kgs_reference(fmt, in.view(), nullptr, bad_out.view(), p),
                  errc::shape_mismatch, "output");
  aligned_buffer<float> ws(16);
  SPK_CHECK_ERROR(
      kgs::conv3d_kgs(fmt, in.view(), nullptr, out.view(), p, false, default_executor(), nullptr),
      errc::invalid_argument, "workspace");
}
