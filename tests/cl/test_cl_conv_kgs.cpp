// SPDX-License-Identifier: Apache-2.0
// OpenCL conv2d_punched / conv3d_kgs (kernels_cl/conv_kgs.cl) against the CPU references on a
// reduced sweep: 1x1..7x7 and 3x3x3 / 1x3x3 / 3x1x1 kernels, strides 1 and 2, paddings 0..2,
// dilation, blocks off the F / C grid, densities 0..1, the four activations, batch 2, tile
// variants, the buffer-level API and argument errors. About 20 programs (each layer is one).
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "cl/cl_test_util.hpp"
#include "harness.hpp"
#include "spk/cl/conv_kgs.hpp"
#include "spk/kernels/kgs/reference.hpp"
#include "spk/kernels/punched/reference.hpp"
#include "spk/sparsity/kgs.hpp"
#include "spk/sparsity/punched.hpp"

using namespace spk;
using spk::kernels::activation;
using spk_test::int_tensor;
using spk_test::nan_tensor;

namespace {

struct case2d {
  index_t batch, c, f, h, w, kh, kw;
  conv2d_params p;
  double density = 0.3;
  activation act = activation::none();
  bool bias = true;
  index_t bf = 8, bc = 4;
  spk::cl::conv_kgs_cl_params tile = {};
};

const activation leaky8 = activation::leaky_relu(0.125f);  // exact on integers

/// Pruned small-integer weights in the punched format (project_punched at `density`).
format::punched make_punched(tensor<float, 4>& w, index_t bf, index_t bc, double density) {
  const index_t F = w.dim(0), C = w.dim(1), K = w.dim(2) * w.dim(3);
  const auto mask =
      sparsity::project_punched(w.data(), sparsity::punched_grid(F, C, K, bf, bc), density);
  sparsity::apply_mask(w.data(), mask.element_mask());
  return format::build_punched(w.view(), mask);
}

void check_2d(const spk::cl::context& ctx, const case2d& k) {
  CAPTURE(k.c);
  CAPTURE(k.f);
  CAPTURE(k.h);
  CAPTURE(k.w);
  CAPTURE(k.kh);
  CAPTURE(k.kw);
  CAPTURE(k.p.stride[0]);
  CAPTURE(k.p.pad_begin[0]);
  CAPTURE(k.p.dilation[0]);
  CAPTURE(k.density);
  CAPTURE(k.tile.vw);
  CAPTURE(k.tile.nv);
  const std::string act_name = kernels::to_string(k.act.kind);
  CAPTURE(act_name);
  const auto s = make_conv_shape<2>(k.batch, k.c, {k.h, k.w}, k.f, {k.kh, k.kw}, k.p);
  auto in = int_tensor<4>({k.batch, k.c, k.h, k.w}, 10);
  auto w = int_tensor<4>({k.f, k.c, k.kh, k.kw}, 11);
  auto bias = int_tensor<1>({k.f}, 12);
  const auto fmt = make_punched(w, k.bf, k.bc, k.density);
  const std::array<index_t, 4> od{k.batch, k.f, s.out[0], s.out[1]};
  auto want = nan_tensor<4>(od), got = nan_tensor<4>(od);
  const float* bp = k.bias ? bias.data() : nullptr;
  kernels::punched::conv2d_punched_reference(fmt, in.view(), bp, want.view(), k.p, k.act);
  spk::cl::conv2d_punched(ctx, fmt, in.view(), bp, got.view(), k.p, k.act, k.tile);
  SPK_CHECK_EXACT(got.data(), want.data(), got.size());
}

struct case3d {
  index_t batch, c, f;
  std::array<index_t, 3> in, kernel;
  conv3d_params p;
  double density = 0.3;
  bool relu = false;
  format::kgs_structure st = format::kgs_structure::kgs;
};

void check_3d(const spk::cl::context& ctx, const case3d& k) {
  CAPTURE(k.c);
  CAPTURE(k.f);
  CAPTURE(k.in[0]);
  CAPTURE(k.in[1]);
  CAPTURE(k.in[2]);
  CAPTURE(k.kernel[0]);
  CAPTURE(k.kernel[1]);
  CAPTURE(k.kernel[2]);
  CAPTURE(k.p.stride[0]);
  CAPTURE(k.p.stride[1]);
  CAPTURE(k.p.pad_begin[0]);
  CAPTURE(k.p.pad_begin[1]);
  CAPTURE(k.density);
  const auto s = make_conv_shape<3>(k.batch, k.c, k.in, k.f, k.kernel, k.p);
  const index_t K = k.kernel[0] * k.kernel[1] * k.kernel[2];
  auto in = int_tensor<5>({k.batch, k.c, k.in[0], k.in[1], k.in[2]}, 20);
  auto w = int_tensor<5>({k.f, k.c, k.kernel[0], k.kernel[1], k.kernel[2]}, 21);
  auto bias = int_tensor<1>({k.f}, 22);
  const sparsity::kgs_grid grid{k.f, k.c, K, 8, 4};
  const auto mask =
      k.st == format::kgs_structure::kgs
          ? sparsity::project_kgs(w.data(), grid, k.density, sparsity::kgs_rule::euclidean)
          : sparsity::project_vanilla(w.data(), grid, k.density);
  sparsity::apply_mask(w.data(), mask.element_mask());
  const auto fmt = format::kgs3d::build(w.view(), mask, k.st);
  const std::array<index_t, 5> od{k.batch, k.f, s.out[0], s.out[1], s.out[2]};
  auto want = nan_tensor<5>(od), got = nan_tensor<5>(od);
  kernels::kgs::conv3d_kgs_reference(fmt, in.view(), bias.data(), want.view(), k.p, k.relu);
  spk::cl::conv3d_kgs(ctx, fmt, in.view(), bias.data(), got.view(), k.p,
                      activation::from_relu(k.relu));
  SPK_CHECK_EXACT(got.data(), want.data(), got.size());
}

}  // namespace

TEST_CASE("conv2d_punched_cl matches conv2d_punched_reference") {
  auto ctx = spk_cl_test::context_or_skip();
  if (!ctx) return;
  std::vector<case2d> cases;
  const conv2d_params pad1 = conv2d_params{}.with_pad(1);
  // 3x3 pad 1 (packed copy), F and C off the 8 x 4 grid, rows not multiples of the tile.
  cases.push_back({1, 13, 21, 17, 19, 3, 3, pad1, 0.3, activation::relu()});
  // Stride 2 (stride phases), leaky ReLU.
  cases.push_back(
      {1, 10, 19, 16, 15, 3, 3, conv2d_params{}.with_pad(1).with_stride(2), 0.3, leaky8});
  // 1x1 unpadded: read in place; 1x1 stride 2: packed.
  cases.push_back({1, 13, 21, 7, 9, 1, 1, conv2d_params{}, 0.3});
  cases.push_back({1, 8, 16, 9, 9, 1, 1, conv2d_params{}.with_stride(2), 0.5, activation::relu()});
  // 5x5 pad 2 at density 1 without bias; 7x7 unpadded (in place, wide taps).
  cases.push_back(
      {1, 7, 9, 12, 13, 5, 5, conv2d_params{}.with_pad(2), 1.0, activation::none(), false});
  cases.push_back({1, 5, 11, 15, 16, 7, 7, conv2d_params{}, 0.3, leaky8});
  // Dilation 2 with padding 2, batch 2.
  cases.push_back({2, 9, 17, 10, 13, 3, 3, conv2d_params{}.with_pad(2).with_dilation(2), 0.3,
                   activation::relu()});
  // Density 0: act(bias) everywhere.
  cases.push_back({1, 10, 19, 9, 10, 3, 3, pad1, 0.0, leaky8});
  // Output smaller than one tile (slack in the packed copy); asymmetric padding, 1x3 kernel.
  cases.push_back({1, 6, 10, 4, 5, 3, 3, conv2d_params{}, 0.5});
  cases.push_back({1, 5, 9, 9, 12, 1, 3, conv2d_params{}.with_pad({0, 1}, {0, 2}), 0.5});
  // Odd block shapes: 3 x 5 blocks (GM = 3), 16 x 4 blocks.
  case2d odd{1, 11, 23, 8, 9, 3, 3, pad1, 0.4};
  odd.bf = 3, odd.bc = 5;
  cases.push_back(odd);
  case2d wide = odd;
  wide.bf = 16, wide.bc = 4;  // automatic nv = 1 (16 accumulators)
  cases.push_back(wide);
  // Tile variants on case 0's layer: implicit vectorisation, float8 x 1, float4 x 3 with 3 tiles
  // per item and 4 items per group.
  for (const spk::cl::conv_kgs_cl_params t :
       {spk::cl::conv_kgs_cl_params{1, 1, 1, 16}, spk::cl::conv_kgs_cl_params{8, 1, 1, 1},
        spk::cl::conv_kgs_cl_params{4, 3, 3, 4}}) {
    case2d c = cases[0];
    c.tile = t;
    cases.push_back(c);
  }
  for (const auto& c : cases) check_2d(*ctx, c);
}

TEST_CASE("conv2d_punched_cl with Mish stays within a tolerance of the reference") {
  auto ctx = spk_cl_test::context_or_skip();
  if (!ctx) return;
  const index_t C = 9, F = 17, H = 11, W = 13;
  auto in = spk_test::uniform_tensor<4>({1, C, H, W}, 30, -3.f, 3.f);
  auto w = spk_test::uniform_tensor<4>({F, C, 3, 3}, 31, -1.f, 1.f);
  auto bias = spk_test::uniform_tensor<1>({F}, 32, -2.f, 2.f);
  bias.data()[3] = 40.f, bias.data()[5] = -40.f;  // Mish's x > 20 and x << 0 regions
  const auto fmt = make_punched(w, 8, 4, 0.4);
  const auto p = conv2d_params{}.with_pad(1);
  auto want = nan_tensor<4>({1, F, H, W}), got = nan_tensor<4>({1, F, H, W});
  kernels::punched::conv2d_punched_reference(fmt, in.view(), bias.data(), want.view(), p,
                                             activation::mish());
  spk::cl::conv2d_punched(*ctx, fmt, in.view(), bias.data(), got.view(), p, activation::mish());
  const auto r = spk_test::compare(got.data(), want.data(), got.size(), 2e-4, 1e-4);
  CHECK_MESSAGE(r.mismatches == 0, r.str());
  CHECK(r.nonzero > 0);
}

TEST_CASE("conv3d_kgs_cl matches conv3d_kgs_reference") {
  auto ctx = spk_cl_test::context_or_skip();
  if (!ctx) return;
  const std::array<index_t, 3> k333{3, 3, 3}, k133{1, 3, 3}, k311{3, 1, 1};
  std::vector<case3d> cases;
  cases.push_back({1, 6, 11, {5, 9, 10}, k333, conv3d_params{}.with_pad(1), 0.3, true});
  cases.push_back({1,
                   5,
                   9,
                   {4, 11, 12},
                   k133,
                   conv3d_params{}.with_pad({0, 1, 1}, {0, 1, 1}).with_stride(2),
                   0.5});
  // 3x1x1 unpadded, depth stride 2, batch 2: read in place with a depth step.
  cases.push_back({2, 7, 16, {7, 5, 8}, k311, conv3d_params{}.with_stride({2, 1, 1}), 0.3, true});
  // 3x1x1 padded 2 in depth only, density 1; 3x3x3 stride 2 pad 1 at density 0, vanilla.
  cases.push_back({1, 7, 10, {6, 5, 7}, k311, conv3d_params{}.with_pad({2, 0, 0}, {2, 0, 0}), 1.0});
  cases.push_back(
      {1, 6, 9, {6, 7, 9}, k333, conv3d_params{}.with_pad(1).with_stride(2), 0.0, true});
  case3d van{1, 9, 13, {4, 6, 7}, k333, conv3d_params{}.with_pad(1), 0.5};
  van.st = format::kgs_structure::vanilla;
  cases.push_back(van);
  for (const auto& c : cases) check_3d(*ctx, c);
}

TEST_CASE("conv_kgs_cl buffer-level API, strided views, output dims") {
  auto ctx = spk_cl_test::context_or_skip();
  if (!ctx) return;
  // The in-place 1x1 layer of the sweep (same program): C = 13 -> F = 21 on 7 x 9, batch 1.
  const index_t C = 13, F = 21, H = 7, W = 9;
  auto w = int_tensor<4>({F, C, 1, 1}, 11);
  const auto fmt = make_punched(w, 8, 4, 0.3);
  const spk::cl::device_punched dw(*ctx, fmt);
  CHECK(dw.filters() == F);
  CHECK(dw.kept_weights() == fmt.kept_weights());
  const auto dims = spk::cl::conv2d_punched_output_dims(dw, 1, {H, W});
  CHECK(dims == std::array<index_t, 4>{1, F, H, W});
  CHECK(spk::cl::conv2d_punched_output_dims(dw, 2, {H, W}, conv2d_params{}.with_stride(2)) ==
        std::array<index_t, 4>{2, F, 4, 5});

  // Input = channels [2, 2 + C) of a bigger tensor, output = a channel slice of a NaN tensor.
  auto big_in = int_tensor<4>({1, C + 3, H, W}, 10);
  const nchw_view<const float> in_slice(big_in.data() + 2 * H * W, {1, C, H, W},
                                        {(C + 3) * H * W, H * W, W, 1});
  auto in_copy = nan_tensor<4>({1, C, H, W});
  for (index_t i = 0; i < C * H * W; ++i) in_copy.data()[i] = in_slice.data()[i];
  auto want = nan_tensor<4>({1, F, H, W});
  kernels::punched::conv2d_punched_reference(fmt, in_copy.view(), nullptr, want.view());
  auto big_out = nan_tensor<4>({1, F + 2, H, W});
  const nchw_view<float> out_slice(big_out.data() + H * W, {1, F, H, W},
                                   {(F + 2) * H * W, H * W, W, 1});
  spk::cl::conv2d_punched(*ctx, dw, in_slice, nullptr, out_slice);
  SPK_CHECK_EXACT(big_out.data() + H * W, want.data(), F * H * W);
  CHECK(std::isnan(big_out.data()[0]));
  CHECK(std::isnan(big_out.data()[(F + 1) * H * W]));

  // Buffers directly; the weights are reused (one upload), the event completes the conv.
  const auto bin = spk::cl::upload(*ctx, in_copy.data(), std::size_t(C * H * W));
  const auto bout = spk::cl::device_buffer<float>(*ctx, std::size_t(F * H * W));
  for (int rep = 0; rep < 2; ++rep) {
    const ::cl::Event ev = spk::cl::conv2d_punched(*ctx, dw, bin, 1, C, {H, W}, nullptr, bout);
    CHECK(spk::cl::event_seconds(ev) >= 0.0);
    std::vector<float> got(std::size_t(F * H * W), spk_test::nan());
    spk::cl::download(*ctx, bout, got.data(), got.size(), &ev);
    SPK_CHECK_EXACT(got.data(), want.data(), F * H * W);
  }
}

TEST_CASE("conv_kgs_cl argument errors") {
  auto ctx = spk_cl_test::context_or_skip();
  if (!ctx) return;
  const index_t C = 8, F = 8;
  auto w = int_tensor<4>({F, C, 3, 3}, 40);
  const auto fmt = make_punched(w, 8, 4, 0.5);
  const spk::cl::device_punched dw(*ctx, fmt);
  const auto bin = spk::cl::device_buffer<float>(*ctx, std::size_t(C * 6 * 6));
  const auto bout = spk::cl::device_buffer<float>(*ctx, std::size_t(F * 4 * 4));
  const auto small = spk::cl::device_buffer<float>(*ctx, 10);
  const auto tiny = spk::cl::device_buffer<float>(*ctx, 4);  // < F bias floats
  using spk::errc;
  // C disagrees with the weights.
  SPK_CHECK_ERROR(spk::cl::conv2d_punched(*ctx, dw, bin, 1, 7, {6, 6}, nullptr, bout),
                  errc::shape_mismatch, "'C' = 7");
  SPK_CHECK_ERROR(spk::cl::conv2d_punched(*ctx, dw, bin, 1, C, {6, 6}, nullptr, bout,
                                          conv2d_params{}.with_groups(2)),
                  errc::unsupported, "groups");
  // Buffers too small: input, output, bias.
  SPK_CHECK_ERROR(spk::cl::conv2d_punched(*ctx, dw, small, 1, C, {6, 6}, nullptr, bout),
                  errc::shape_mismatch, "input");
  SPK_CHECK_ERROR(spk::cl::conv2d_punched(*ctx, dw, bin, 1, C, {6, 6}, nullptr, small),
                  errc::shape_mismatch, "output");
  SPK_CHECK_ERROR(spk::cl::conv2d_punched(*ctx, dw, bin, 1, C, {6, 6}, &tiny, bout),
                  errc::shape_mismatch, "bias");
  // Output extent <= 0: the 3x3 kernel does not fit a 2x2 unpadded input.
  SPK_CHECK_ERROR(spk::cl::conv2d_punched(*ctx, dw, bin, 1, C, {2, 2}, nullptr, bout),
                  errc::invalid_argument, "kernel_h");
  SPK_CHECK_ERROR(spk::cl::conv2d_punched_output_dims(dw, 1, {2, 6}), errc::invalid_argument,
                  "kernel_h");
  SPK_CHECK_ERROR(spk::cl::conv2d_punched(*ctx, dw, bin, 0, C, {6, 6}, nullptr, bout),
                  errc::invalid_argument, "batch");
  // Bad tile parameters, a non-finite leaky slope.
  SPK_CHECK_ERROR(spk::cl::conv2d_punched(*ctx, dw, bin, 1, C, {6, 6}, nullptr, bout, {}, {},
                                          spk::cl::conv_kgs_cl_params{3, 1, 1, 1}),
                  errc::invalid_argument, "params.vw");
  SPK_CHECK_ERROR(spk::cl::conv2d_punched(*ctx, dw, bin, 1, C, {6, 6}, nullptr, bout, {},
                                          activation::leaky_relu(NAN)),
                  errc::invalid_argument, "alpha");
  // Host views: output dims disagree with the conv.
  auto in = int_tensor<4>({1, C, 6, 6}, 41);
  auto out = nan_tensor<4>({1, F, 5, 5});
  SPK_CHECK_ERROR(spk::cl::conv2d_punched(*ctx, dw, in.view(), nullptr, out.view()),
                  errc::shape_mismatch, "output");
  // 3D weights with the wrong channel count.
  auto w3 = int_tensor<5>({F, C, 3, 3, 3}, 42);
  const sparsity::kgs_grid g3{F, C, 27, 8, 4};
  const auto m3 = sparsity::project_kgs(w3.data(), g3, 0.5, sparsity::kgs_rule::euclidean);
  sparsity::apply_mask(w3.data(), m3.element_mask());
  const spk::cl::device_kgs3d dw3(*ctx, format::kgs3d::build(w3.view(), m3));
  SPK_CHECK_ERROR(spk::cl::conv3d_kgs(*ctx, dw3, bin, 1, C + 1, {4, 4, 4}, nullptr, bout),
                  errc::shape_mismatch, "spk::cl::conv3d_kgs");
}
