// SPDX-License-Identifier: Apache-2.0
// conv2d_punched / linear_punched (optimised) and conv2d_punched_reference against the dense
// conv2d oracle on the pruned weights: kernel sizes 1..7, strides, paddings, dilation, blocks
// off the F / C grid, densities 0..1, the in-place 1x1 path and its tail tile, activations.
// Small-integer data (and a leaky slope of 1/8) keep every sum exact; Mish is bounded.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"
#include "spk/kernels/dense/reference.hpp"
#include "spk/kernels/punched/punched.hpp"

using namespace spk;
using namespace spk::kernels;
using spk_test::executors;
using spk_test::int_tensor;
using spk_test::nan_tensor;

namespace {

struct punched_case {
  index_t batch, c, f, h, w, kh, kw;
  conv2d_params p;
  double density = 0.3;
  activation act = activation::none();
  index_t bf = 8, bc = 4;
  bool bias = true;
  std::optional<tune::kgs_params> prm = std::nullopt;  ///< e.g. a forced loop order
};

/// The dense oracle with the activation applied in double, on pruned weights.
void oracle(const tensor<float, 4>& in, const tensor<float, 4>& w, const float* bias,
            tensor<float, 4>& want, const conv2d_params& p, const activation& act) {
  dense::conv2d_reference(in.view(), w.view(), bias, want.view(), p);
  for (index_t i = 0; i < want.size(); ++i)
    want.data()[i] = float(apply_ref(act, double(want.data()[i])));
}

void check_case(const punched_case& pc, executor& ex) {
  CAPTURE(pc.c);
  CAPTURE(pc.f);
  CAPTURE(pc.h);
  CAPTURE(pc.w);
  CAPTURE(pc.kh);
  CAPTURE(pc.kw);
  CAPTURE(pc.p.stride[0]);
  CAPTURE(pc.p.pad_begin[0]);
  CAPTURE(pc.p.dilation[0]);
  CAPTURE(pc.density);
  const std::string act_name = to_string(pc.act.kind);
  CAPTURE(act_name);
  CAPTURE(ex.concurrency());
  const auto s = make_conv_shape<2>(pc.batch, pc.c, {pc.h, pc.w}, pc.f, {pc.kh, pc.kw}, pc.p);
  auto in = int_tensor<4>({pc.batch, pc.c, pc.h, pc.w}, 80);
  auto w = int_tensor<4>({pc.f, pc.c, pc.kh, pc.kw}, 81);
  auto bias = int_tensor<1>({pc.f}, 82);
  const auto grid = sparsity::punched_grid(pc.f, pc.c, pc.kh * pc.kw, pc.bf, pc.bc);
  const auto mask = sparsity::project_punched(w.data(), grid, pc.density);
  sparsity::apply_mask(w.data(), mask.element_mask());
  const auto fmt = format::build_punched(w.view(), mask);
  const std::array<index_t, 4> od{pc.batch, pc.f, s.out[0], s.out[1]};
  auto want = nan_tensor<4>(od), got = nan_tensor<4>(od);
  const float* bp = pc.bias ? bias.data() : nullptr;
  oracle(in, w, bp, want, pc.p, pc.act);
  punched::conv2d_punched(fmt, in.view(), bp, got.view(), pc.p, pc.act, ex, pc.prm);
  SPK_CHECK_EXACT(got.data(), want.data(), got.size());
  // The prepared call, run twice into a NaN output (its offsets are reused between runs).
  const punched::conv2d_punched_plan<> plan(fmt, s, pc.act, pc.prm);
  aligned_buffer<float> pws(plan.workspace_size());
  for (int run = 0; run < 2; ++run) {
    auto pout = nan_tensor<4>(od);
    plan.run(in.view(), bp, pout.view(), ex, pws.data());
    SPK_CHECK_EXACT(pout.data(), want.data(), pout.size());
  }
  if (ex.concurrency() == 1) {
    auto ref = nan_tensor<4>(od);
    punched::conv2d_punched_reference(fmt, in.view(), bp, ref.view(), pc.p, pc.act);
    SPK_CHECK_EXACT(ref.data(), want.data(), ref.size());
  }
}

const activation leaky8 = activation::leaky_relu(0.125f);  // exact on integers

}  // namespace

TEST_CASE("conv2d_punched matches the dense oracle on the shape sweep") {
  std::vector<punched_case> cases;
  for (index_t hw : {1, 3, 7, 15, 16, 17, 33})
    for (index_t k : {1, 3, 5, 7})
      for (index_t stride : {1, 2})
        for (index_t pad : {0, 1, 3}) {
          if (k - 1 > hw - 1 + 2 * pad) continue;
          punched_case c{1,      6, 11, hw,
                         hw + 2, k, k,  conv2d_params{}.with_stride(stride).with_pad(pad)};
          c.act = pad == 1 ? activation::relu() : pad == 3 ? leaky8 : activation::none();
          cases.push_back(c);
        }
  // Rectangular kernels, asymmetric padding, dilation, batch 2, a channel count off the grid.
  cases.push_back({1, 5, 9, 9, 12, 1, 3, conv2d_params{}.with_pad({0, 1}, {0, 1})});
  cases.push_back(
      {1, 7, 16, 11, 8, 3, 1, conv2d_params{}.with_pad({2, 0}, {0, 0}).with_stride({2, 1})});
  cases.push_back({2, 9, 17, 10, 13, 3, 3, conv2d_params{}.with_pad(2).with_dilation(2)});
  cases.push_back({1, 33, 40, 20, 20, 3, 3, conv2d_params{}.with_pad(1), 0.1, leaky8});
  cases.push_back({1, 12, 24, 14, 14, 5, 5, conv2d_params{}.with_pad(2).with_stride(2), 0.25});
  // Planes wider than two tiles of every ISA: packed tiles inside one output row store
  // straight to the output (fused epilogue), the rest through the segment epilogue.
  cases.push_back({1, 5, 9, 3, 101, 3, 3, conv2d_params{}.with_pad(1), 0.5, leaky8});
  cases.push_back(
      {1, 5, 9, 4, 203, 3, 3, conv2d_params{}.with_pad(1).with_stride(2), 0.5, activation::relu()});
  for (executor* ex : executors())
    for (const auto& c : cases) check_case(c, *ex);
}

TEST_CASE("conv2d_punched 1x1 stride 1 reads its input in place, tail tile included") {
  // Plane sizes around the 48 / 8 / 4-position tiles of AVX-512 / AVX2 / SSE, batch 2 (the
  // tail copy is redone per image), C and F off the 8 x 4 grid. Last tiles of 1-4 positions
  // run across the filters in place (49, 52, 99, 196 on AVX-512), whole vectors in place (16,
  // 64, 80), others through the tail copy (5, 17, 35).
  std::vector<punched_case> cases;
  for (index_t hw : std::vector<index_t>{1,  2,  3,  4,  5,  7,  8,  12, 16, 17,
                                         35, 48, 49, 52, 64, 80, 96, 97, 99, 196})
    for (double density : {0.1, 0.5, 1.0}) {
      punched_case c{2, 13, 21, 1, hw, 1, 1, conv2d_params{}, density};
      c.act = density == 0.5 ? activation::relu() : leaky8;
      cases.push_back(c);
    }
  cases.push_back({1, 64, 64, 14, 14, 1, 1, conv2d_params{}, 0.1});
  // Both loop orders forced, with tails across the filters (7 x 7, 14 x 14, 1 x 50), in place
  // (16 x 16) and through the copy (1 x 35).
  for (int order : {1, 2})
    for (index_t h : {7, 14, 16})
      for (double density : {0.1, 1.0}) {
        punched_case c{1, 24, 19, h, h, 1, 1, conv2d_params{}, density, leaky8};
        c.prm = tune::kgs_params{0, 0, order, 0};
        cases.push_back(c);
        c.h = 1, c.w = h == 7 ? 50 : 35;
        cases.push_back(c);
      }
  cases.push_back(
      {1, 8, 16, 7, 7, 1, 1, conv2d_params{}.with_stride(2), 0.5});  // strided: packed path
  for (executor* ex : executors())
    for (const auto& c : cases) check_case(c, *ex);

  // Views: input = channels [3, 3 + C) of a bigger tensor, output = a channel slice of a NaN
  // tensor (a concat); and a spatially strided input (not dense: the packed path).
  const index_t C = 12, F = 19, H = 7, W = 9;
  auto big_in = int_tensor<4>({2, C + 5, H, W}, 90);
  auto w = int_tensor<4>({F, C, 1, 1}, 91);
  auto bias = int_tensor<1>({F}, 92);
  const auto m = sparsity::project_punched(w.data(), sparsity::punched_grid(F, C, 1), 0.5);
  sparsity::apply_mask(w.data(), m.element_mask());
  const auto fmt = format::build_punched(w.view(), m);
  const auto in_slice = nchw_view<const float>(big_in.data() + 3 * H * W, {2, C, H, W},
                                               {(C + 5) * H * W, H * W, W, 1});
  tensor<float, 4> in_copy({2, C, H, W});
  for (index_t n = 0; n < 2; ++n)
    for (index_t c = 0; c < C; ++c)
      for (index_t i = 0; i < H * W; ++i)
        in_copy.data()[(n * C + c) * H * W + i] =
            in_slice.data()[n * in_slice.stride(0) + c * H * W + i];
  auto want = nan_tensor<4>({2, F, H, W});
  oracle(in_copy, w, bias.data(), want, {}, activation::relu());
  auto big_out = nan_tensor<4>({2, F + 4, H, W});
  const auto out_slice =
      nchw_view<float>(big_out.data() + H * W, {2, F, H, W}, {(F + 4) * H * W, H * W, W, 1});
  for (executor* ex : executors()) {
    big_out.fill(spk_test::nan());
    punched::conv2d_punched(fmt, in_slice, bias.data(), out_slice, {}, activation::relu(), *ex);
    for (index_t n = 0; n < 2; ++n) {
      const float* o = big_out.data() + n * (F + 4) * H * W;
      SPK_CHECK_EXACT(o + H * W, want.data() + n * F * H * W, F * H * W);
      REQUIRE(std::isnan(o[0]));
      REQUIRE(std::isnan(o[(F + 1) * H * W]));
    }
  }
  // Every other column of a 2W-wide image: spatially strided input.
  auto wide = int_tensor<4>({1, C, H, 2 * W}, 93);
  const auto strided =
      nchw_view<const float>(wide.data(), {1, C, H, W}, {C * H * 2 * W, H * 2 * W, 2 * W, 2});
  tensor<float, 4> dense_in({1, C, H, W});
  for (index_t c = 0; c < C; ++c)
    for (index_t y = 0; y < H; ++y)
      for (index_t x = 0; x < W; ++x)
        dense_in.data()[(c * H + y) * W + x] = wide.data()[(c * H + y) * 2 * W + 2 * x];
  auto want1 = nan_tensor<4>({1, F, H, W}), got1 = nan_tensor<4>({1, F, H, W});
  oracle(dense_in, w, nullptr, want1, {}, activation::none());
  punched::conv2d_punched(fmt, strided, nullptr, got1.view());
  SPK_CHECK_EXACT(got1.data(), want1.data(), got1.size());

  // A plan is made for the contiguous layout: the channel slice (same channel stride, wider
  // batch stride) runs its in-place path; a padded channel stride and the strided view, whose
  // offsets differ, take the full call. Each into a NaN output.
  const punched::conv2d_punched_plan<> plan2(fmt, make_conv_shape<2>(2, C, {H, W}, F, {1, 1}, {}),
                                             activation::relu());
  aligned_buffer<float> pws(plan2.workspace_size());
  auto got2 = nan_tensor<4>({2, F, H, W});
  plan2.run(in_slice, bias.data(), got2.view(), default_executor(), pws.data());
  SPK_CHECK_EXACT(got2.data(), want.data(), got2.size());
  auto padded = nan_tensor<4>({2, C, H * W + 5, 1});
  for (index_t n = 0; n < 2; ++n)
    for (index_t c = 0; c < C; ++c)
      std::copy(in_copy.data() + (n * C + c) * H * W, in_copy.data() + (n * C + c + 1) * H * W,
                padded.data() + (n * C + c) * (H * W + 5));
  const auto vpad =
      nchw_view<const float>(padded.data(), {2, C, H, W}, {C * (H * W + 5), H * W + 5, W, 1});
  got2.fill(spk_test::nan());
  plan2.run(vpad, bias.data(), got2.view(), default_executor(), pws.data());
  SPK_CHECK_EXACT(got2.data(), want.data(), got2.size());
  const punched::conv2d_punched_plan<> plan1(fmt, make_conv_shape<2>(1, C, {H, W}, F, {1, 1}, {}));
  aligned_buffer<float> pws1(plan1.workspace_size());
  got1.fill(spk_test::nan());
  plan1.run(strided, nullptr, got1.view(), default_executor(), pws1.data());
  SPK_CHECK_EXACT(got1.data(), want1.data(), got1.size());
}

TEST_CASE("conv2d_punched block shapes, densities 0 and 1, no bias") {
  std::vector<punched_case> cases;
  for (double density : {0.0, 0.01, 0.5, 1.0})
    cases.push_back({1, 10, 19, 9, 10, 3, 3, conv2d_params{}.with_pad(1), density});
  for (auto [bf, bc] :
       std::vector<std::pair<index_t, index_t>>{{1, 1}, {4, 4}, {16, 4}, {3, 5}, {8, 1}}) {
    punched_case c{1, 11, 23, 8, 9, 3, 3, conv2d_params{}.with_pad(1), 0.4};
    c.bf = bf, c.bc = bc;
    cases.push_back(c);
  }
  punched_case nb{1, 7, 9, 6, 6, 5, 5, conv2d_params{}.with_pad(2), 0.5, activation::relu()};
  nb.bias = false;
  cases.push_back(nb);
  for (executor* ex : executors())
    for (const auto& c : cases) check_case(c, *ex);
}

TEST_CASE("conv2d_punched with Mish stays within a few ulp of the double oracle") {
  // Uniform data spanning Mish's regions (x << 0, around 0, x > 20 via a large bias).
  const index_t C = 9, F = 17, H = 11, W = 113;  // rows of several tiles: both epilogues
  auto in = spk_test::uniform_tensor<4>({1, C, H, W}, 100, -3.f, 3.f);
  auto w = spk_test::uniform_tensor<4>({F, C, 3, 3}, 101, -1.f, 1.f);
  auto bias = spk_test::uniform_tensor<1>({F}, 102, -2.f, 2.f);
  bias.data()[3] = 40.f, bias.data()[5] = -40.f;
  const auto m = sparsity::project_punched(w.data(), sparsity::punched_grid(F, C, 9), 0.4);
  sparsity::apply_mask(w.data(), m.element_mask());
  const auto fmt = format::build_punched(w.view(), m);
  const auto p = conv2d_params{}.with_pad(1);
  auto lin = nan_tensor<4>({1, F, H, W}), got = nan_tensor<4>({1, F, H, W});
  dense::conv2d_reference(in.view(), w.view(), bias.data(), lin.view(), p);
  // |error| <= k eps (|sum| (conv rounding, amplified by mish' <= 1.1) + |mish(x)|).
  std::vector<float> want(std::size_t(lin.size())), bound(std::size_t(lin.size()));
  tensor<float, 4> absw({F, C, 3, 3}), absx({1, C, H, W});
  for (index_t i = 0; i < w.size(); ++i) absw.data()[i] = std::fabs(w.data()[i]);
  for (index_t i = 0; i < in.size(); ++i) absx.data()[i] = std::fabs(in.data()[i]);
  auto absout = nan_tensor<4>({1, F, H, W});
  dense::conv2d_reference(absx.view(), absw.view(), nullptr, absout.view(), p);
  for (index_t i = 0; i < lin.size(); ++i) {
    const double x = lin.data()[i];
    want[std::size_t(i)] = float(mish_ref(x));
    bound[std::size_t(i)] = float(2.0 * (absout.data()[i] + 40.0) + 4.0 * std::fabs(mish_ref(x)));
  }
  for (executor* ex : executors()) {
    got.fill(spk_test::nan());
    punched::conv2d_punched(fmt, in.view(), bias.data(), got.view(), p, activation::mish(), *ex);
    const auto r = spk_test::compare_bounded(got.data(), want.data(), bound.data(), got.size(), 8);
    CHECK_MESSAGE(r.mismatches == 0, r.str());
    CHECK(r.nonzero > 0);
  }
}

TEST_CASE("linear_punched equals the dense GEMM on the pruned FC weights") {
  for (index_t tokens : std::vector<index_t>{1, 7, 48, 50, 128})
    for (executor* ex : executors()) {
      CAPTURE(tokens);
      const index_t C = 37, F = 29;
      auto w = int_tensor<4>({F, C, 1, 1}, 110);
      auto xt = int_tensor<2>({C, tokens}, 111);
      auto bias = int_tensor<1>({F}, 112);
      const auto m = sparsity::project_punched(w.data(), sparsity::punched_grid(F, C, 1), 0.25);
      sparsity::apply_mask(w.data(), m.element_mask());
      const auto fmt = format::build_punched(w.view(), m);
      auto want = nan_tensor<2>({F, tokens}), got = nan_tensor<2>({F, tokens});
      const auto wm = matrix_view<const float>::contiguous(w.data(), {F, C});
      dense::gemm_reference(wm, xt.view(), want.view());
      for (index_t f = 0; f < F; ++f)
        for (index_t t = 0; t < tokens; ++t) {
          float& v = want.data()[f * tokens + t];
          v = std::max(v + bias.data()[f], 0.f);
        }
      punched::linear_punched(fmt, xt.view(), bias.data(), got.view(), activation::relu(), *ex);
      SPK_CHECK_EXACT(got.data(), want.data(), got.size());
    }
}

TEST_CASE("conv2d_punched and linear_punched reject bad arguments") {
  auto in = int_tensor<4>({1, 8, 6, 6}, 120);
  auto w = int_tensor<4>({8, 8, 3, 3}, 121);
  const auto fmt = format::build_punched(
      w.view(), sparsity::project_punched(w.data(), sparsity::punched_grid(8, 8, 9), 0.5));
  auto out = nan_tensor<4>({1, 8, 6, 6});
  const auto p = conv2d_params{}.with_pad(1);
  auto in5 = int_tensor<4>({1, 5, 6, 6}, 122);
  SPK_CHECK_ERROR(punched::conv2d_punched(fmt, in5.view(), nullptr, out.view(), p),
                  errc::shape_mismatch, "channels");
  auto bad = nan_tensor<4>({1, 8, 6, 5});
  SPK_CHECK_ERROR(punched::conv2d_punched(fmt, in.view(), nullptr, bad.view(), p),
                  errc::shape_mismatch, "output");
  SPK_CHECK_ERROR(
      punched::conv2d_punched(fmt, in.view(), nullptr, out.view(), p, activation::leaky_relu(NAN)),
      errc::invalid_argument, "alpha");
  SPK_CHECK_ERROR(punched::conv2d_punched(fmt, in.view(), nullptr, out.view(),
                                          conv2d_params{}.with_pad(1).with_groups(2)),
                  errc::unsupported, "groups");
  // The plan checks its problem once and each run's tensors against it.
  const auto s = make_conv_shape<2>(1, 8, {6, 6}, 8, {3, 3}, p);
  SPK_CHECK_ERROR(
      punched::conv2d_punched_plan<>(fmt, make_conv_shape<2>(1, 5, {6, 6}, 8, {3, 3}, p)),
      errc::shape_mismatch, "channels");
  SPK_CHECK_ERROR(
      punched::conv2d_punched_plan<>(fmt, make_conv_shape<2>(1, 8, {6, 6}, 8, {1, 1}, {})),
      errc::shape_mismatch, "kernel 3x3");
  SPK_CHECK_ERROR(punched::conv2d_punched_plan<>(fmt, s, activation::leaky_relu(NAN)),
                  errc::invalid_argument, "alpha");
  const punched::conv2d_punched_plan<> plan(fmt, s);
  aligned_buffer<float> ws(plan.workspace_size());
  SPK_CHECK_ERROR(plan.run(in5.view(), nullptr, out.view(), default_executor(), ws.data()),
                  errc::shape_mismatch, "input");
  SPK_CHECK_ERROR(plan.run(in.view(), nullptr, bad.view(), default_executor(), ws.data()),
                  errc::shape_mismatch, "output");
  SPK_CHECK_ERROR(plan.run(in.view(), nullptr, out.view(), default_executor(), nullptr),
                  errc::invalid_argument, "workspace");
  auto xt = int_tensor<2>({8, 5}, 123);
  auto yt = nan_tensor<2>({8, 5});
  SPK_CHECK_ERROR(punched::linear_punched(fmt, xt.view(), nullptr, yt.view()), errc::shape_mismatch,
                  "1x1");
}
