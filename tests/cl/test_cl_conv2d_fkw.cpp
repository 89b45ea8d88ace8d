// SPDX-License-Identifier: Apache-2.0
// OpenCL conv2d_fkw against the CPU FKW reference (and once the dense oracle on to_dense()):
// small-integer data so every sum is exact, outputs pre-filled with NaN on the device, a
// reduced shape sweep (~17 distinct programs), every activation, tile variants, bad arguments.
#include <doctest/doctest.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "cl_test_util.hpp"
#include "harness.hpp"
#include "spk/cl/conv2d_fkw.hpp"
#include "spk/kernels/dense/reference.hpp"
#include "spk/kernels/fkw/reference.hpp"
#include "spk/sparsity/connectivity.hpp"

using namespace spk;
using namespace spk::sparsity;
using spk::format::fkw;
using spk::format::fkw_options;
using spk::kernels::activation;
using spk_cl_test::context_or_skip;
using spk_test::int_tensor;
using spk_test::nan_tensor;

namespace {

pattern_bits bits(std::initializer_list<int> pos) {
  pattern_bits b = 0;
  for (int p : pos) b |= pattern_bits{1} << p;
  return b;
}

enum class lib_kind { patdnn, yolobile, full };

pattern_library make_lib(lib_kind k, const tensor<float, 4>& dense) {
  switch (k) {
    case lib_kind::patdnn:  // PatDNN: 4 of 9 with the centre, P = 8 extracted from the weights
      return extract_library(dense.view(), candidate_library(), 8);
    case lib_kind::yolobile:  // YOLObile-style 5 of 9, some without the centre
      return pattern_library(3, 3,
                             {bits({0, 2, 4, 6, 8}), bits({1, 3, 5, 7, 0}), bits({0, 1, 2, 3, 5}),
                              bits({3, 4, 5, 6, 7})});
    case lib_kind::full:
      return pattern_library(3, 3, {bits({0, 1, 2, 3, 4, 5, 6, 7, 8})});
  }
  return {};
}

struct cl_case {
  index_t n, c, f, h, w;
  conv2d_params p;
  lib_kind lib = lib_kind::patdnn;
  double keep_frac = 0.4;  ///< kernels kept per layer (connectivity); 1 = pattern only
  bool bias = true;
  activation act = {};
  spk::cl::conv2d_fkw_tiles tiles = {};
  std::vector<index_t> empty_filters = {};  ///< filters whose kernels are all pruned
  bool kernel_reorder = true;
  bool dense_oracle = false;
};

/// The pruned layer of a case: pattern projection + connectivity pruning, then the listed
/// filters emptied.
struct layer {
  tensor<float, 4> pruned;
  fkw w;
};

layer make_layer(const cl_case& cc, std::uint64_t salt) {
  auto dense = int_tensor<4>({cc.f, cc.c, 3, 3}, salt);
  const auto lib = make_lib(cc.lib, dense);
  auto pruned = dense;
  const index_t keep = index_t(cc.keep_frac * double(cc.f * cc.c) + 0.5);
  auto st = project_pattern_connectivity(dense.view(), lib, keep, connectivity_scope::per_layer,
                                         pruned.view());
  for (index_t f : cc.empty_filters)
    for (index_t c = 0; c < cc.c; ++c) st.id[std::size_t(f * cc.c + c)] = -1;
  apply_structure(pruned.view(), st, pruned.view());
  fkw w = fkw::build(pruned.view(), st, fkw_options{true, cc.kernel_reorder});
  return {std::move(pruned), std::move(w)};
}

void check_case(const spk::cl::context& ctx, const cl_case& cc, std::uint64_t salt) {
  CAPTURE(cc.n);
  CAPTURE(cc.c);
  CAPTURE(cc.f);
  CAPTURE(cc.h);
  CAPTURE(cc.w);
  CAPTURE(cc.p.stride[0]);
  CAPTURE(cc.p.stride[1]);
  CAPTURE(cc.p.pad_begin[0]);
  CAPTURE(cc.p.dilation[0]);
  CAPTURE(int(cc.lib));
  CAPTURE(cc.keep_frac);
  CAPTURE(kernels::to_string(cc.act.kind));
  CAPTURE(cc.tiles.vec_width);
  CAPTURE(cc.tiles.rows);
  const layer L = make_layer(cc, salt);
  const auto s = make_conv_shape<2>(cc.n, cc.c, {cc.h, cc.w}, cc.f, {3, 3}, cc.p);
  auto in = int_tensor<4>({cc.n, cc.c, cc.h, cc.w}, salt + 1);
  auto bias = int_tensor<1>({cc.f}, salt + 2);
  const float* bp = cc.bias ? bias.data() : nullptr;

  // Oracle: the CPU FKW reference without activation, then the scalar activation in double.
  auto want = nan_tensor<4>({cc.n, cc.f, s.out[0], s.out[1]});
  kernels::fkw::conv2d_fkw_reference(in.view(), L.w, bp, want.view(), cc.p, false);
  if (cc.dense_oracle) {
    auto dense_want = nan_tensor<4>(want.dims());
    kernels::dense::conv2d_reference(in.view(), L.w.to_dense().view(), bp, dense_want.view(), cc.p);
    SPK_CHECK_EXACT(want.data(), dense_want.data(), want.size());
  }
  if (!cc.bias && cc.keep_frac > 0) {  // the pre-activation output must carry signal
    const auto r = spk_test::compare(want.data(), want.data(), want.size());
    CHECK_MESSAGE(r.nonzero > 0, "oracle output is all zero");
  }
  for (index_t k = 0; k < want.size(); ++k)
    want.data()[k] = float(kernels::apply_ref(cc.act, double(want.data()[k])));

  // Device: buffer-level API, output buffer pre-filled with NaN so a missed write shows.
  const spk::cl::device_fkw dw(ctx, L.w);
  const auto od = spk::cl::conv2d_fkw_output_dims(dw, in.dims(), cc.p);
  CHECK(od == want.dims());
  ::cl::Buffer bin = spk::cl::upload(ctx, in.data(), std::size_t(in.size()));
  ::cl::Buffer bb = spk::cl::upload(ctx, bias.data(), std::size_t(bias.size()));
  const auto nan_out = nan_tensor<4>(want.dims());
  ::cl::Buffer bout =
      spk::cl::upload(ctx, nan_out.data(), std::size_t(nan_out.size()), CL_MEM_READ_WRITE);
  const ::cl::Event ev = spk::cl::conv2d_fkw(ctx, dw, bin, in.dims(), cc.bias ? &bb : nullptr, bout,
                                             cc.p, cc.act, cc.tiles);
  auto got = nan_tensor<4>(want.dims());
  spk::cl::download(ctx, bout, got.data(), std::size_t(got.size()), &ev);
  const bool exact = cc.act.kind != kernels::act_kind::mish;
  const auto r =
      spk_test::compare(got.data(), want.data(), want.size(), exact ? 0 : 1e-5, exact ? 0 : 1e-5);
  CHECK_MESSAGE(r.mismatches == 0, r.str());
  CHECK_MESSAGE(r.nonzero > 0, "oracle output is all zero");
}

spk::cl::conv2d_fkw_tiles tiles(int vw, int rows, index_t max_baked = 16384) {
  spk::cl::conv2d_fkw_tiles t;
  t.vec_width = vw, t.rows = rows, t.max_baked_segments = max_baked;
  return t;
}

}  // namespace

TEST_CASE("cl conv2d_fkw: odd sizes, stride 1 and 2, padding 0/1/2 (vs the FKW reference)") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  MESSAGE("OpenCL device: " << ctx->device_name());
  const auto p = [](index_t stride, index_t pad) {
    return conv2d_params{}.with_stride(stride).with_pad(pad);
  };
  std::uint64_t salt = 100;
  // F = 7, 9, 5: filter counts that leave partial work-groups; widths below, at and above the
  // vector width; the first case also checks the FKW reference against the dense oracle.
  cl_case c1{1, 5, 7, 7, 7, p(1, 1)};
  c1.dense_oracle = true;
  check_case(*ctx, c1, salt += 10);
  check_case(*ctx, {1, 3, 9, 15, 17, p(2, 0)}, salt += 10);
  check_case(*ctx, {1, 4, 5, 17, 15, p(1, 2)}, salt += 10);
  check_case(*ctx, {1, 3, 6, 15, 15, p(2, 1)}, salt += 10);
  check_case(*ctx, {1, 2, 3, 16, 33, p(1, 0), lib_kind::patdnn, 0.6, false}, salt += 10);
}

TEST_CASE("cl conv2d_fkw: density 1, empty filters, YOLObile 5-of-9, segment buffer") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  const auto p1 = conv2d_params{}.with_pad(1);
  check_case(*ctx, {1, 4, 5, 9, 11, p1, lib_kind::patdnn, 1.0}, 200);  // pattern only
  check_case(*ctx, {1, 4, 5, 9, 11, p1, lib_kind::full, 1.0}, 205);    // dense 3x3
  cl_case empty{1, 5, 6, 8, 9, p1, lib_kind::patdnn, 0.5};
  empty.empty_filters = {0, 3, 5};
  check_case(*ctx, empty, 210);
  // Same layer without kernel reorder: device_fkw regroups it into the same arrays, so the
  // cached program is reused.
  empty.kernel_reorder = false;
  check_case(*ctx, empty, 210);
  // YOLObile library, segment bounds read from the buffer instead of the baked table.
  cl_case yolo{
      1, 6, 5, 12, 9, p1, lib_kind::yolobile, 0.6, true, activation::relu(), tiles(0, 0, 0)};
  check_case(*ctx, yolo, 220);
}

TEST_CASE("cl conv2d_fkw: activations, batch 2 with dilation, asymmetric stride/padding") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  const auto p1 = conv2d_params{}.with_pad(1);
  for (activation a :
       {activation::none(), activation::relu(), activation::leaky_relu(0.1f), activation::mish()})
    check_case(*ctx, {1, 4, 6, 10, 13, p1, lib_kind::patdnn, 0.5, true, a}, 300);
  check_case(*ctx, {2, 3, 4, 12, 12, conv2d_params{}.with_pad(2).with_dilation(2)}, 310);
  check_case(*ctx,
             {1, 3, 5, 11, 14, conv2d_params{}.with_stride({1, 2}).with_pad({1, 0}, {0, 2}),
              lib_kind::yolobile, 0.5},
             320);
}

TEST_CASE("cl conv2d_fkw: tile variants (vector width 1/4/8, rows 1/3/4)") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  const auto p1 = conv2d_params{}.with_pad(1);
  check_case(*ctx, {1, 3, 5, 9, 10, p1, lib_kind::patdnn, 0.5, true, {}, tiles(1, 3)}, 400);
  check_case(*ctx, {1, 3, 5, 9, 10, p1, lib_kind::patdnn, 0.5, true, {}, tiles(4, 4)}, 400);
  check_case(*ctx,
             {1,
              3,
              5,
              9,
              10,
              conv2d_params{}.with_stride(2).with_pad(1),
              lib_kind::patdnn,
              0.5,
              true,
              {},
              tiles(8, 1)},
             400);
}

TEST_CASE("cl conv2d_fkw: host-memory overload on strided views, bad arguments") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  // Strided input view (channels 2..4 of a wider tensor, 9 of 11 columns), same program as the
  // first "activations" case.
  cl_case cc{1, 4, 6, 10, 13, conv2d_params{}.with_pad(1), lib_kind::patdnn, 0.5};
  const layer L = make_layer(cc, 300);
  auto big = int_tensor<4>({1, 6, 10, 15}, 501);
  const auto in = nchw_view<const float>(big.data() + 2 * 150, {1, 4, 10, 13}, {900, 150, 15, 1});
  auto want = nan_tensor<4>({1, 6, 10, 13}), got = want;
  kernels::dense::conv2d_reference(in, L.pruned.view(), nullptr, want.view(), cc.p);
  spk::cl::conv2d_fkw(*ctx, in, L.w, nullptr, got.view(), cc.p);
  SPK_CHECK_EXACT(got.data(), want.data(), got.size());

  using spk::cl::conv2d_fkw;
  const spk::cl::device_fkw dw(*ctx, L.w);
  auto in5 = int_tensor<4>({1, 5, 10, 13}, 3);
  SPK_CHECK_ERROR(conv2d_fkw(*ctx, in5.view(), dw, nullptr, got.view(), cc.p), errc::shape_mismatch,
                  "input");
  auto small = nan_tensor<4>({1, 6, 9, 13});
  SPK_CHECK_ERROR(conv2d_fkw(*ctx, in, dw, nullptr, small.view(), cc.p), errc::shape_mismatch,
                  "output");
  SPK_CHECK_ERROR(
      conv2d_fkw(*ctx, in, dw, nullptr, got.view(), conv2d_params{}.with_pad(1).with_groups(2)),
      errc::unsupported, "groups");
  SPK_CHECK_ERROR(
      conv2d_fkw(*ctx, in, dw, nullptr, got.view(), conv2d_params{}.with_pad(1).with_stride(0)),
      errc::invalid_argument, "stride_h");
  SPK_CHECK_ERROR(
      conv2d_fkw(*ctx, in, dw, nullptr, got.view(), conv2d_params{}.with_pad(1), {}, tiles(3, 0)),
      errc::invalid_argument, "tiles.vec_width");
  SPK_CHECK_ERROR(
      conv2d_fkw(*ctx, in, dw, nullptr, got.view(), conv2d_params{}.with_pad(1), {}, tiles(0, 5)),
      errc::invalid_argument, "tiles.rows");
  SPK_CHECK_ERROR(conv2d_fkw(*ctx, in, dw, nullptr, got.view(), conv2d_params{}.with_pad(1),
                             activation::leaky_relu(std::nanf(""))),
                  errc::invalid_argument, "activation.alpha");
  const auto null_in = nchw_view<const float>::unchecked(nullptr, in.dims(), in.strides());
  SPK_CHECK_ERROR(conv2d_fkw(*ctx, null_in, dw, nullptr, got.view(), conv2d_params{}.with_pad(1)),
                  errc::invalid_argument, "input");

  // Buffer level: buffers too small, weights from another context.
  const std::array<index_t, 4> dims{1, 4, 10, 13};
  ::cl::Buffer bin = spk::cl::device_buffer<float>(*ctx, 4 * 10 * 13);
  ::cl::Buffer bout = spk::cl::device_buffer<float>(*ctx, 6 * 10 * 13);
  ::cl::Buffer tiny = spk::cl::device_buffer<float>(*ctx, 5);
  SPK_CHECK_ERROR(conv2d_fkw(*ctx, dw, tiny, dims, nullptr, bout, cc.p), errc::shape_mismatch,
                  "input (bytes)");
  SPK_CHECK_ERROR(conv2d_fkw(*ctx, dw, bin, dims, nullptr, tiny, cc.p), errc::shape_mismatch,
                  "output (bytes)");
  SPK_CHECK_ERROR(conv2d_fkw(*ctx, dw, bin, dims, &tiny, bout, cc.p), errc::shape_mismatch,
                  "bias (bytes)");
  const spk::cl::context other(ctx->device());
  SPK_CHECK_ERROR(conv2d_fkw(other, dw, bin, dims, nullptr, bout, cc.p), errc::invalid_argument,
                  "weights");
}
