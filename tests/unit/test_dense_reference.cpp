// SPDX-License-Identifier: Apache-2.0
// Tests of the dense oracles (kernels/dense/reference.hpp) and the column lowering
// (kernels/dense/im2col.hpp): hand-computed cases, conv == im2col * GEMM over a shape sweep,
// conv3d against conv2d slices, groups against split convolutions, strided views, argument errors.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "spk/kernels/dense/im2col.hpp"
#include "spk/kernels/dense/reference.hpp"

using spk::index_t;
using spk::kernels::dense::conv2d_reference;
using spk::kernels::dense::conv3d_reference;
using spk::kernels::dense::gemm_reference;
using spk::kernels::dense::gemv_reference;
using spk::kernels::dense::im2col;
using spk::kernels::dense::im2col_cols;
using spk::kernels::dense::im2col_rows;
using spk::kernels::dense::im2col_size;
using spk::kernels::dense::vol2col;
using spk_test::nan;

namespace {

template <int R>
using tens = spk::tensor<float, R>;

/// Output dims N x F x out of a conv shape.
template <int S>
std::array<index_t, S + 2> output_dims(const spk::conv_shape<S>& s) {
  std::array<index_t, S + 2> d{};
  d[0] = s.batch, d[1] = s.out_channels;
  for (int i = 0; i < S; ++i) d[i + 2] = s.out[i];
  return d;
}

template <int S>
void conv_reference(spk::tensor_view<const float, S + 2> in, spk::tensor_view<const float, S + 2> w,
                    const float* bias, spk::tensor_view<float, S + 2> out,
                    const spk::conv_params<S>& p) {
  if constexpr (S == 2)
    conv2d_reference(in, w, bias, out, p);
  else
    conv3d_reference(in, w, bias, out, p);
}

/// The convolution as one GEMM per (image, group): out_block = W_g * cols (+ bias through beta).
/// `cols` is refilled with NaN before each lowering, so an element im2col forgets shows up as
/// NaN in the output. With `transposed_cols` the column matrix is a non-contiguous view.
template <int S>
tens<S + 2> conv_by_lowering(spk::tensor_view<const float, S + 2> in, const tens<S + 2>& w,
                             const float* bias, const spk::conv_shape<S>& s, bool transposed_cols) {
  auto out = spk_test::nan_tensor<S + 2>(output_dims(s));
  const index_t rows = im2col_rows(s), cols_n = im2col_cols(s), fg = s.out_channels_per_group();
  REQUIRE(im2col_size(s) == rows * cols_n);
  tens<1> cols_buf({im2col_size(s)});
  const auto cols = transposed_cols
                        ? spk::matrix_view<float>(cols_buf.data(), {rows, cols_n}, {1, rows})
                        : spk::make_matrix(cols_buf.data(), rows, cols_n);
  for (index_t n = 0; n < s.batch; ++n)
    for (index_t g = 0; g < s.params.groups; ++g) {
      cols_buf.fill(nan());
      if constexpr (S == 2)
        im2col(in, n, g, s, cols);
      else
        vol2col(in, n, g, s, cols);
      float* block = out.data() + (n * s.out_channels + g * fg) * cols_n;
      if (bias)
        for (index_t f = 0; f < fg; ++f)
          for (index_t j = 0; j < cols_n; ++j) block[f * cols_n + j] = bias[g * fg + f];
      const auto wg = spk::make_matrix(w.data() + g * fg * rows, fg, rows);
      gemm_reference(wg, cols, spk::make_matrix(block, fg, cols_n), 1.f, bias ? 1.f : 0.f);
    }
  return out;
}

/// A conv problem with small-integer data (exact in fp32 for any summation order).
template <int S>
struct conv_problem {
  spk::conv_shape<S> s;
  tens<S + 2> input, weights;
  std::vector<float> bias;
  const float* bias_ptr() const { return bias.empty() ? nullptr : bias.data(); }

  conv_problem(index_t n, index_t c, const std::array<index_t, S>& in, index_t f,
               const std::array<index_t, S>& kernel, const spk::conv_params<S>& p, bool with_bias,
               std::uint64_t salt)
      : s(spk::make_conv_shape<S>(n, c, in, f, kernel, p)) {
    std::array<index_t, S + 2> di{}, dw{};
    di[0] = n, di[1] = c, dw[0] = f, dw[1] = c / p.groups;
    for (int d = 0; d < S; ++d) di[d + 2] = in[d], dw[d + 2] = kernel[d];
    input = spk_test::int_tensor<S + 2>(di, salt);
    weights = spk_test::int_tensor<S + 2>(dw, salt + 1);
    if (with_bias) {
      bias.resize(static_cast<std::size_t>(f));
      spk::fill_small_int(bias.data(), f, -8, 8, spk_test::seed(salt + 2));
    }
  }
  tens<S + 2> reference() const {
    auto out = spk_test::nan_tensor<S + 2>(output_dims(s));
    conv_reference<S>(input.view(), weights.view(), bias_ptr(), out.view(), s.params);
    return out;
  }
};

/// Dilated kernel extent fits the padded input (otherwise make_conv_shape rejects the case).
bool fits(index_t in, index_t k, index_t dil, index_t pad_total) {
  return (k - 1) * dil + 1 <= in + pad_total;
}

/// Exact comparison for one sweep case. A few sweep shapes legitimately give an all-zero oracle
/// (every tap of a bias-free conv in the padding, e.g. a 1x1 kernel, stride 2, pad 1 on a size-1
/// dim); they are counted instead of failed, and the sweep checks they stay rare.
template <int R>
void check_sweep_case(const tens<R>& got, const tens<R>& want, int& zero_cases) {
  const auto r = spk_test::compare(got.data(), want.data(), want.size());
  CHECK_MESSAGE(r.mismatches == 0, r.str());
  if (r.nonzero == 0) ++zero_cases;
}

struct channel_case {
  index_t c, f, groups;
};
// dense, grouped, depthwise, depthwise with channel multiplier 2 (odd channel counts included)
const channel_case channel_cases[] = {{3, 5, 1}, {6, 4, 2}, {5, 5, 5}, {3, 6, 3}};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Hand-computed cases.

TEST_CASE("conv2d_reference: 1-channel 3x3 input, 2x2 kernel, by hand") {
  const float x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const float k[] = {1, 2, 3, 4};
  const auto in = spk::make_nchw(x, 1, 1, 3, 3);
  const auto w = spk::make_nchw(k, 1, 1, 2, 2);

  SUBCASE("no padding") {
    float y[4];
    std::fill_n(y, 4, nan());
    conv2d_reference(in, w, nullptr, spk::make_nchw(y, 1, 1, 2, 2));
    const float want[] = {37, 47, 67, 77};
    SPK_CHECK_EXACT(y, want, 4);
  }
  SUBCASE("padding 1 on every side") {
    float y[16];
    std::fill_n(y, 16, nan());
    conv2d_reference(in, w, nullptr, spk::make_nchw(y, 1, 1, 4, 4),
                     spk::conv2d_params().with_pad(1));
    const float want[] = {4, 11, 18, 9, 18, 37, 47, 21, 36, 67, 77, 33, 14, 23, 26, 9};
    SPK_CHECK_EXACT(y, want, 16);
  }
  SUBCASE("padding 1, stride 2, bias") {
    float y[4];
    std::fill_n(y, 4, nan());
    const float b = 10;
    conv2d_reference(in, w, &b, spk::make_nchw(y, 1, 1, 2, 2),
                     spk::conv2d_params().with_pad(1).with_stride(2));
    const float want[] = {14, 28, 46, 87};
    SPK_CHECK_EXACT(y, want, 4);
  }
  SUBCASE("asymmetric padding: bottom 1, right 1 only") {
    float y[9];
    std::fill_n(y, 9, nan());
    conv2d_reference(in, w, nullptr, spk::make_nchw(y, 1, 1, 3, 3),
                     spk::conv2d_params().with_pad({0, 0}, {1, 1}));
    const float want[] = {37, 47, 21, 67, 77, 33, 23, 26, 9};
    SPK_CHECK_EXACT(y, want, 9);
  }
  SUBCASE("dilation 2: the kernel taps the four corners") {
    float y[1] = {nan()};
    conv2d_reference(in, w, nullptr, spk::make_nchw(y, 1, 1, 1, 1),
                     spk::conv2d_params().with_dilation(2));
    const float want[] = {1 * 1 + 3 * 2 + 7 * 3 + 9 * 4};
    SPK_CHECK_EXACT(y, want, 1);
  }
}

TEST_CASE("gemm_reference: 2x3 * 3x2 by hand") {
  const float a[] = {1, 2, 3, 4, 5, 6};
  const float b[] = {7, 8, 9, 10, 11, 12};
  float c[4];
  std::fill_n(c, 4, nan());
  gemm_reference(spk::make_matrix(a, 2, 3), spk::make_matrix(b, 3, 2), spk::make_matrix(c, 2, 2));
  const float want[] = {58, 64, 139, 154};
  SPK_CHECK_EXACT(c, want, 4);

  // alpha = 2, beta = -1 on C = want: 2 * AB - AB = AB.
  gemm_reference(spk::make_matrix(a, 2, 3), spk::make_matrix(b, 3, 2), spk::make_matrix(c, 2, 2),
                 2.f, -1.f);
  SPK_CHECK_EXACT(c, want, 4);
}

TEST_CASE("conv2d_reference: 1x1 convolution is a matrix product per image") {
  const index_t n = 2, c = 3, h = 2, w = 3, f = 4;
  const auto in = spk_test::int_tensor<4>({n, c, h, w}, 11);
  const auto wt = spk_test::int_tensor<4>({f, c, 1, 1}, 12);
  auto out = spk_test::nan_tensor<4>({n, f, h, w});
  conv2d_reference(in.view(), wt.view(), nullptr, out.view());
  auto want = spk_test::nan_tensor<4>({n, f, h, w});
  for (index_t i = 0; i < n; ++i)
    gemm_reference(spk::make_matrix(wt.data(), f, c),
                   spk::make_matrix(in.data() + i * c * h * w, c, h * w),
                   spk::make_matrix(want.data() + i * f * h * w, f, h * w));
  SPK_CHECK_EXACT(out.data(), want.data(), out.size());
}

// ---------------------------------------------------------------------------------------------
// conv == im2col * GEMM over a sweep of shapes.

TEST_CASE("conv2d_reference == im2col * gemm_reference over a shape sweep") {
  const index_t sizes[] = {1, 3, 7, 16, 17};
  const index_t strides[] = {1, 2, 3};
  // pad_begin {top, left}, pad_end {bottom, right}: symmetric 0/1/2 and two asymmetric cases.
  const std::array<index_t, 4> pads[] = {
      {0, 0, 0, 0}, {1, 1, 1, 1}, {2, 2, 2, 2}, {0, 1, 2, 0}, {1, 0, 0, 2}};
  const std::array<index_t, 2> kernels[] = {{3, 3}, {1, 1}, {2, 3}, {5, 5}, {3, 1}};
  int cases = 0, counter = 0, zero_cases = 0;
  for (int ih = 0; ih < 5; ++ih)
    for (index_t stride : strides)
      for (const auto& pad : pads)
        for (index_t dil : {1, 2})
          for (const auto& kernel : kernels)
            for (const channel_case& cc : channel_cases) {
              ++counter;
              const index_t h = sizes[ih], w = sizes[(ih + counter) % 5];
              const index_t batch = 1 + counter % 2;
              const bool with_bias = counter % 3 != 0;
              if (!fits(h, kernel[0], dil, pad[0] + pad[2]) ||
                  !fits(w, kernel[1], dil, pad[1] + pad[3]))
                continue;
              const auto p = spk::conv2d_params()
                                 .with_stride({stride, strides[counter % 3]})
                                 .with_pad({pad[0], pad[1]}, {pad[2], pad[3]})
                                 .with_dilation(dil)
                                 .with_groups(cc.groups);
              std::ostringstream desc;
              desc << "N=" << batch << " C=" << cc.c << " F=" << cc.f << " g=" << cc.groups
                   << " in=" << h << "x" << w << " k=" << kernel[0] << "x" << kernel[1]
                   << " stride=" << p.stride[0] << "," << p.stride[1] << " pad=" << pad[0] << ","
                   << pad[1] << "/" << pad[2] << "," << pad[3] << " dil=" << dil
                   << " bias=" << with_bias;
              INFO(desc.str());
              const conv_problem<2> prob(batch, cc.c, {h, w}, cc.f, kernel, p, with_bias,
                                         100 + counter);
              const auto want = prob.reference();
              const auto got = conv_by_lowering<2>(prob.input.view(), prob.weights, prob.bias_ptr(),
                                                   prob.s, counter % 4 == 0);
              check_sweep_case(got, want, zero_cases);
              ++cases;
            }
  CAPTURE(cases);
  CAPTURE(zero_cases);
  CHECK(cases > 1500);
  CHECK(zero_cases * 20 < cases);
}

TEST_CASE("conv3d_reference == vol2col * gemm_reference over a shape sweep") {
  const index_t depths[] = {1, 3, 5};
  const std::array<index_t, 3> kernels[] = {{1, 1, 1}, {3, 3, 3}, {2, 1, 3}};
  const std::array<index_t, 6> pads[] = {
      {0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1}, {0, 1, 2, 1, 0, 0}};
  int cases = 0, counter = 0, zero_cases = 0;
  for (index_t d : depths)
    for (index_t h : {3, 7})
      for (const auto& kernel : kernels)
        for (index_t stride : {1, 2})
          for (const auto& pad : pads)
            for (index_t dil : {1, 2})
              for (const channel_case& cc : channel_cases) {
                ++counter;
                const index_t w = h == 3 ? 7 : 3, batch = 1 + counter % 2;
                const bool with_bias = counter % 2 == 0;
                if (!fits(d, kernel[0], dil, pad[0] + pad[3]) ||
                    !fits(h, kernel[1], 1, pad[1] + pad[4]) ||
                    !fits(w, kernel[2], dil, pad[2] + pad[5]))
                  continue;
                const auto p = spk::conv3d_params()
                                   .with_stride({stride, 1, stride})
                                   .with_pad({pad[0], pad[1], pad[2]}, {pad[3], pad[4], pad[5]})
                                   .with_dilation({dil, 1, dil})
                                   .with_groups(cc.groups);
                std::ostringstream desc;
                desc << "N=" << batch << " C=" << cc.c << " F=" << cc.f << " g=" << cc.groups
                     << " in=" << d << "x" << h << "x" << w << " k=" << kernel[0] << "x"
                     << kernel[1] << "x" << kernel[2] << " stride=" << stride
                     << " pad#=" << (&pad - pads) << " dil=" << dil << " bias=" << with_bias;
                INFO(desc.str());
                const conv_problem<3> prob(batch, cc.c, {d, h, w}, cc.f, kernel, p, with_bias,
                                           500 + counter);
                const auto want = prob.reference();
                const auto got = conv_by_lowering<3>(prob.input.view(), prob.weights,
                                                     prob.bias_ptr(), prob.s, counter % 3 == 0);
                check_sweep_case(got, want, zero_cases);
                ++cases;
              }
  CAPTURE(cases);
  CAPTURE(zero_cases);
  CHECK(cases > 600);
  CHECK(zero_cases * 20 < cases);
}

TEST_CASE("im2col: documented layout on a small case") {
  // C = 2, 3x3 input, 2x2 kernel, pad 1 on top/left only, stride 2: out 2x2.
  const float x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90};
  const auto in = spk::make_nchw(x, 1, 2, 3, 3);
  const auto s = spk::make_conv_shape<2>(
      1, 2, {3, 3}, 1, {2, 2}, spk::conv2d_params().with_pad({1, 1}, {0, 0}).with_stride(2));
  REQUIRE(s.out == std::array<index_t, 2>{2, 2});
  REQUIRE(im2col_rows(s) == 8);
  REQUIRE(im2col_cols(s) == 4);
  float cols[32];
  std::fill_n(cols, 32, nan());
  im2col(in, 0, 0, s, spk::make_matrix(cols, 8, 4));
  // row (c, kh, kw); columns (oh, ow) = (0,0) (0,1) (1,0) (1,1); tap = (2*oh - 1 + kh, 2*ow - 1 +
  // kw).
  const float want[] = {
      0,  0,  0,  5,   // c0 kh0 kw0: taps (-1,-1) (-1,1) (1,-1) (1,1)
      0,  0,  4,  6,   // c0 kh0 kw1: (-1,0) (-1,2) (1,0) (1,2)
      0,  2,  0,  8,   // c0 kh1 kw0: (0,-1) (0,1) (2,-1) (2,1)
      1,  3,  7,  9,   // c0 kh1 kw1: (0,0) (0,2) (2,0) (2,2)
      0,  0,  0,  50,  // c1 ...
      0,  0,  40, 60,  //
      0,  20, 0,  80,  //
      10, 30, 70, 90,
  };
  SPK_CHECK_EXACT(cols, want, 32);
}

// ---------------------------------------------------------------------------------------------
// Cross-checks between the references.

TEST_CASE("conv3d_reference with depth 1 == conv2d_reference") {
  for (const channel_case& cc : channel_cases) {
    CAPTURE(cc.groups);
    const index_t n = 2, h = 7, w = 6;
    const auto p2 = spk::conv2d_params()
                        .with_stride({2, 1})
                        .with_pad({1, 0}, {2, 1})
                        .with_dilation({1, 2})
                        .with_groups(cc.groups);
    const conv_problem<2> prob(n, cc.c, {h, w}, cc.f, {3, 2}, p2, true,
                               900 + static_cast<std::uint64_t>(cc.groups));
    const auto want = prob.reference();

    auto p3 = spk::conv3d_params()
                  .with_stride({5, 2, 1})
                  .with_pad({0, 1, 0}, {0, 2, 1})
                  .with_dilation({3, 1, 2});
    p3.with_groups(cc.groups);
    const auto in3 = spk::make_ncdhw(prob.input.data(), n, cc.c, 1, h, w);
    const auto w3 = spk::make_ncdhw(prob.weights.data(), cc.f, cc.c / cc.groups, 1, 3, 2);
    auto out3 = spk_test::nan_tensor<5>({n, cc.f, 1, prob.s.out[0], prob.s.out[1]});
    conv3d_reference(in3, w3, prob.bias_ptr(), out3.view(), p3);
    SPK_CHECK_EXACT(out3.data(), want.data(), want.size());
  }
}

TEST_CASE("conv3d_reference == sum over kd of conv2d_reference on depth slices") {
  const index_t n = 2, c = 4, d = 5, h = 6, w = 5, f = 6, kd = 3, kh = 3, kw = 2;
  for (const index_t groups : {1, 2}) {
    CAPTURE(groups);
    const auto p3 = spk::conv3d_params()
                        .with_stride({2, 1, 2})
                        .with_pad({1, 1, 0}, {2, 0, 1})
                        .with_dilation({2, 1, 1})
                        .with_groups(groups);
    const conv_problem<3> prob(n, c, {d, h, w}, f, {kd, kh, kw}, p3, true,
                               950 + static_cast<std::uint64_t>(groups));
    const auto want = prob.reference();
    const index_t od = prob.s.out[0], oh = prob.s.out[1], ow = prob.s.out[2], cg = c / groups;

    const auto p2 =
        spk::conv2d_params().with_stride({1, 2}).with_pad({1, 0}, {0, 1}).with_groups(groups);
    tens<5> sum({n, f, od, oh, ow}, 0.f);
    auto slice_out = spk_test::nan_tensor<4>({n, f, oh, ow});
    const float* x = prob.input.data();
    const float* wt = prob.weights.data();
    for (index_t o = 0; o < od; ++o)
      for (index_t k = 0; k < kd; ++k) {
        const index_t z = o * 2 - 1 + k * 2;  // stride_d 2, pad_front 1, dilation_d 2
        if (z < 0 || z >= d) continue;
        // Depth slices are non-contiguous 4D views of the 5D tensors.
        const spk::nchw_view<const float> in_slice(x + z * h * w, {n, c, h, w},
                                                   {c * d * h * w, d * h * w, w, 1});
        const spk::tensor_view<const float, 4> w_slice(wt + k * kh * kw, {f, cg, kh, kw},
                                                       {cg * kd * kh * kw, kd * kh * kw, kw, 1});
        conv2d_reference(in_slice, w_slice, nullptr, slice_out.view(), p2);
        for (index_t i = 0; i < n; ++i)
          for (index_t j = 0; j < f; ++j)
            for (index_t q = 0; q < oh * ow; ++q)
              sum.data()[((i * f + j) * od + o) * oh * ow + q] +=
                  slice_out.data()[(i * f + j) * oh * ow + q];
      }
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < f; ++j)
        for (index_t q = 0; q < od * oh * ow; ++q)
          sum.data()[(i * f + j) * od * oh * ow + q] += prob.bias[static_cast<std::size_t>(j)];
    SPK_CHECK_EXACT(sum.data(), want.data(), want.size());
  }
}

TEST_CASE("grouped conv2d == each group run as its own convolution on strided slices") {
  for (const channel_case& cc : channel_cases) {
    CAPTURE(cc.groups);
    const index_t n = 2, h = 9, w = 8;
    const auto p =
        spk::conv2d_params().with_stride(2).with_pad({1, 2}, {0, 1}).with_groups(cc.groups);
    const conv_problem<2> prob(n, cc.c, {h, w}, cc.f, {3, 3}, p, true,
                               1000 + static_cast<std::uint64_t>(cc.groups));
    const auto want = prob.reference();

    const index_t cg = cc.c / cc.groups, fg = cc.f / cc.groups, oh = prob.s.out[0],
                  ow = prob.s.out[1];
    auto got = spk_test::nan_tensor<4>({n, cc.f, oh, ow});
    const auto iv = prob.input.view();
    const auto ov = got.view();
    for (index_t g = 0; g < cc.groups; ++g) {
      // Channel slices of N = 2 tensors: the batch stride skips the other groups' channels.
      const spk::nchw_view<const float> in_g(iv.data() + iv.offset(0, g * cg, 0, 0), {n, cg, h, w},
                                             iv.strides());
      const spk::nchw_view<float> out_g(ov.data() + ov.offset(0, g * fg, 0, 0), {n, fg, oh, ow},
                                        ov.strides());
      const auto w_g = spk::make_nchw(prob.weights.data() + g * fg * cg * 9, fg, cg, 3, 3);
      auto p1 = p;
      p1.with_groups(1);
      conv2d_reference(in_g, w_g, prob.bias.data() + g * fg, out_g, p1);
    }
    SPK_CHECK_EXACT(got.data(), want.data(), want.size());
  }
}

TEST_CASE(
    "conv2d_reference on strided views: output slice of a NaN tensor, strided input and weights") {
  const index_t n = 2, c = 3, h = 7, w = 5, f = 4, kh = 3, kw = 2;
  const auto p = spk::conv2d_params().with_pad(1).with_stride({1, 2});
  const conv_problem<2> prob(n, c, {h, w}, f, {kh, kw}, p, true, 1100);
  const auto want = prob.reference();
  const index_t oh = prob.s.out[0], ow = prob.s.out[1];

  // Input: every other column of a NaN tensor (reading outside the view would give NaN).
  auto in_big = spk_test::nan_tensor<4>({n, c, h, 2 * w});
  const spk::nchw_view<float> in_v(in_big.data(), {n, c, h, w},
                                   {c * h * 2 * w, h * 2 * w, 2 * w, 2});
  // Weights: stored KH x KW x C x F ("HWIO"), viewed as F x C x KH x KW.
  tens<1> w_hwio({kh * kw * c * f});
  const spk::tensor_view<float, 4> w_v(w_hwio.data(), {f, c, kh, kw}, {1, f, kw * c * f, c * f});
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < c; ++j)
      for (index_t y = 0; y < h; ++y)
        for (index_t x = 0; x < w; ++x) in_v(i, j, y, x) = prob.input.view()(i, j, y, x);
  for (index_t i = 0; i < f; ++i)
    for (index_t j = 0; j < c; ++j)
      for (index_t y = 0; y < kh; ++y)
        for (index_t x = 0; x < kw; ++x) w_v(i, j, y, x) = prob.weights.view()(i, j, y, x);

  // Output: channels [2, 2 + F) and an interior window of a bigger NaN tensor.
  const index_t fb = f + 3, hb = oh + 2, wb = ow + 3;
  auto big = spk_test::nan_tensor<4>({n, fb, hb, wb});
  const auto bv = big.view();
  const spk::nchw_view<float> out_v(big.data() + bv.offset(0, 2, 1, 1), {n, f, oh, ow},
                                    bv.strides(), big.size() - bv.offset(0, 2, 1, 1));
  CHECK_FALSE(out_v.is_contiguous());
  conv2d_reference(in_v, w_v, prob.bias_ptr(), out_v, p);

  tens<4> got({n, f, oh, ow});
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < f; ++j)
      for (index_t y = 0; y < oh; ++y)
        for (index_t x = 0; x < ow; ++x) got.view()(i, j, y, x) = out_v(i, j, y, x);
  SPK_CHECK_EXACT(got.data(), want.data(), want.size());
  index_t nan_count = 0;
  for (float v : big.buffer()) nan_count += std::isnan(v) ? 1 : 0;
  CHECK(nan_count == big.size() - got.size());  // nothing outside the view was written
}

// ---------------------------------------------------------------------------------------------
// GEMM / GEMV semantics.

TEST_CASE("gemm_reference: alpha/beta, NaN in C ignored when beta == 0, strided operands") {
  const index_t m = 5, k = 7, n = 3;
  const auto a = spk_test::int_tensor<2>({m, k}, 1200);
  const auto b = spk_test::int_tensor<2>({k, n}, 1201);
  const auto c0 = spk_test::int_tensor<2>({m, n}, 1202);
  auto ab = spk_test::nan_tensor<2>({m, n});
  gemm_reference(a.view(), b.view(), ab.view());  // beta = 0: the NaN in ab is not read
  CHECK(spk_test::compare(ab.data(), ab.data(), ab.size()).nan_count == 0);
  // Plain-loop check of one element.
  double e = 0;
  for (index_t l = 0; l < k; ++l) e += a.data()[2 * k + l] * b.data()[l * n + 1];
  CHECK(ab.data()[2 * n + 1] == static_cast<float>(e));

  SUBCASE("C = 2 AB - 3 C") {
    auto c = c0;
    gemm_reference(a.view(), b.view(), c.view(), 2.f, -3.f);
    std::vector<float> want(static_cast<std::size_t>(m * n));
    for (index_t i = 0; i < m * n; ++i)
      want[static_cast<std::size_t>(i)] = 2 * ab.data()[i] - 3 * c0.data()[i];
    SPK_CHECK_EXACT(c.data(), want.data(), m * n);
  }
  SUBCASE("beta != 0 reads C: a NaN in C propagates") {
    auto c = c0;
    c.data()[4] = nan();
    gemm_reference(a.view(), b.view(), c.view(), 1.f, 1.f);
    CHECK(std::isnan(c.data()[4]));
    CHECK_FALSE(std::isnan(c.data()[3]));
  }
  SUBCASE("alpha == 0: A and B are not read, C = beta C") {
    tens<2> a_nan({m, k}, nan());
    auto c = c0;
    gemm_reference(a_nan.view(), b.view(), c.view(), 0.f, 2.f);
    for (index_t i = 0; i < m * n; ++i) CHECK(c.data()[i] == 2 * c0.data()[i]);
  }
  SUBCASE("K == 0: C = beta C (empty product)") {
    auto c = c0;
    gemm_reference(spk::make_matrix<const float>(nullptr, m, 0),
                   spk::make_matrix<const float>(nullptr, 0, n), c.view(), 1.f, -1.f);
    for (index_t i = 0; i < m * n; ++i) CHECK(c.data()[i] == -c0.data()[i]);
  }
  SUBCASE("transposed and padded views") {
    // B stored N x K, viewed as K x N; A with ld > cols; C a column-major view.
    tens<2> bt({n, k});
    for (index_t i = 0; i < k; ++i)
      for (index_t j = 0; j < n; ++j) bt.data()[j * k + i] = b.data()[i * n + j];
    tens<2> a_pad({m, k + 3}, nan());
    for (index_t i = 0; i < m; ++i)
      for (index_t j = 0; j < k; ++j) a_pad.data()[i * (k + 3) + j] = a.data()[i * k + j];
    tens<2> c_cm({n, m}, nan());
    gemm_reference(spk::make_matrix<const float>(a_pad.data(), m, k, k + 3),
                   spk::matrix_view<const float>(bt.data(), {k, n}, {1, k}),
                   spk::matrix_view<float>(c_cm.data(), {m, n}, {1, m}));
    std::vector<float> got(static_cast<std::size_t>(m * n));
    for (index_t i = 0; i < m; ++i)
      for (index_t j = 0; j < n; ++j)
        got[static_cast<std::size_t>(i * n + j)] = c_cm.data()[j * m + i];
    SPK_CHECK_EXACT(got.data(), ab.data(), m * n);
  }
}

TEST_CASE("gemv_reference == gemm_reference with N = 1") {
  const index_t m = 9, k = 17;
  const auto a = spk_test::int_tensor<2>({m, k}, 1300);
  const auto x = spk_test::int_tensor<1>({k}, 1301);
  const auto y0 = spk_test::int_tensor<1>({m}, 1302);
  for (const auto& ab :
       {std::array<float, 2>{1, 0}, std::array<float, 2>{-2, 3}, std::array<float, 2>{0, 1}}) {
    CAPTURE(ab[0]);
    CAPTURE(ab[1]);
    tens<1> y = y0, c = y0;
    if (ab[1] == 0) y.fill(nan()), c.fill(nan());
    gemv_reference(a.view(), x.data(), y.data(), ab[0], ab[1]);
    gemm_reference(a.view(), spk::make_matrix(x.data(), k, 1), spk::make_matrix(c.data(), m, 1),
                   ab[0], ab[1]);
    SPK_CHECK_EXACT(y.data(), c.data(), m);
  }
}

// ---------------------------------------------------------------------------------------------
// Bad arguments: spk::error with the right code and a message naming the argument.

TEST_CASE("conv2d_reference rejects bad arguments") {
  using spk::errc;
  std::vector<float> buf(4096, 1.f);
  float* d = buf.data();
  const auto in = spk::make_nchw<const float>(d, 1, 4, 8, 8);
  const auto w = spk::make_nchw<const float>(d, 6, 4, 3, 3);
  const auto out = spk::make_nchw(d, 1, 6, 6, 6);
  conv2d_reference(in, w, nullptr, out);  // the baseline is valid

  using P = spk::conv2d_params;
  SUBCASE("zero sizes") {
    SPK_CHECK_ERROR(conv2d_reference(spk::make_nchw<const float>(d, 0, 4, 8, 8), w, nullptr, out),
                    errc::invalid_argument, "'batch'");
    SPK_CHECK_ERROR(conv2d_reference(spk::make_nchw<const float>(d, 1, 0, 8, 8), w, nullptr, out),
                    errc::invalid_argument, "'in_channels'");
    SPK_CHECK_ERROR(conv2d_reference(spk::make_nchw<const float>(d, 1, 4, 0, 8), w, nullptr, out),
                    errc::invalid_argument, "'in_h'");
    SPK_CHECK_ERROR(conv2d_reference(spk::make_nchw<const float>(d, 1, 4, 8, 0), w, nullptr, out),
                    errc::invalid_argument, "'in_w'");
    SPK_CHECK_ERROR(conv2d_reference(in, spk::make_nchw<const float>(d, 0, 4, 3, 3), nullptr, out),
                    errc::invalid_argument, "'out_channels'");
    SPK_CHECK_ERROR(conv2d_reference(in, spk::make_nchw<const float>(d, 6, 4, 3, 0), nullptr, out),
                    errc::invalid_argument, "'kernel_w'");
  }
  SUBCASE("negative sizes and strides are rejected by the views") {
    SPK_CHECK_ERROR(spk::make_nchw<const float>(d, 1, -4, 8, 8), errc::invalid_argument,
                    "'dims[1]'");
    SPK_CHECK_ERROR((spk::nchw_view<const float>(d, {1, 4, 8, 8}, {256, 64, -8, 1})),
                    errc::invalid_argument, "'strides[2]'");
  }
  SUBCASE("bad parameters") {
    SPK_CHECK_ERROR(conv2d_reference(in, w, nullptr, out, P().with_stride({0, 1})),
                    errc::invalid_argument, "'stride_h'");
    SPK_CHECK_ERROR(conv2d_reference(in, w, nullptr, out, P().with_stride({1, 0})),
                    errc::invalid_argument, "'stride_w'");
    SPK_CHECK_ERROR(conv2d_reference(in, w, nullptr, out, P().with_pad({-1, 0}, {0, 0})),
                    errc::invalid_argument, "'pad_begin_h'");
    SPK_CHECK_ERROR(conv2d_reference(in, w, nullptr, out, P().with_pad({0, 0}, {0, -2})),
                    errc::invalid_argument, "'pad_end_w'");
    SPK_CHECK_ERROR(conv2d_reference(in, w, nullptr, out, P().with_dilation(0)),
                    errc::invalid_argument, "'dilation_h'");
    SPK_CHECK_ERROR(conv2d_reference(in, w, nullptr, out, P().with_groups(0)),
                    errc::invalid_argument, "'groups'");
  }
  SUBCASE("groups must divide C and F") {
    // C = 4, F = 6: groups 3 divides F only, groups 4 divides C only.
    SPK_CHECK_ERROR(conv2d_reference(in, spk::make_nchw<const float>(d, 6, 1, 3, 3), nullptr, out,
                                     P().with_groups(3)),
                    errc::invalid_argument, "divisor of in_channels");
    SPK_CHECK_ERROR(conv2d_reference(in, spk::make_nchw<const float>(d, 6, 1, 3, 3), nullptr, out,
                                     P().with_groups(4)),
                    errc::invalid_argument, "divisor of out_channels");
  }
  SUBCASE("weights dim 1 must be C / groups") {
    SPK_CHECK_ERROR(conv2d_reference(in, w, nullptr, out, P().with_groups(2)), errc::shape_mismatch,
                    "'weights'");
    SPK_CHECK_ERROR(conv2d_reference(in, spk::make_nchw<const float>(d, 6, 3, 3, 3), nullptr, out),
                    errc::shape_mismatch, "expected dims 6x4x3x3");
  }
  SUBCASE("output dims must be N x F x OH x OW") {
    SPK_CHECK_ERROR(conv2d_reference(in, w, nullptr, spk::make_nchw(d, 1, 6, 6, 5)),
                    errc::shape_mismatch, "'output'");
    SPK_CHECK_ERROR(conv2d_reference(in, w, nullptr, spk::make_nchw(d, 2, 6, 6, 6)),
                    errc::shape_mismatch, "dims 1x6x6x6");
    SPK_CHECK_ERROR(conv2d_reference(in, w, nullptr, out, P().with_pad(1)), errc::shape_mismatch,
                    "dims 1x6x8x8");
  }
  SUBCASE("kernel larger than the padded input") {
    SPK_CHECK_ERROR(conv2d_reference(in, spk::make_nchw<const float>(d, 6, 4, 9, 3), nullptr, out),
                    errc::invalid_argument, "'kernel_h'");
    SPK_CHECK_ERROR(conv2d_reference(in, w, nullptr, out, P().with_dilation({1, 5})),
                    errc::invalid_argument, "'kernel_w'");
  }
  SUBCASE("a view whose capacity is too small") {
    SPK_CHECK_ERROR(spk::make_nchw(d, 1, 6, 6, 6, 215), spk::errc::out_of_range, "'capacity'");
  }
  SUBCASE("null data in a non-empty (unchecked) view") {
    const auto null_in = spk::nchw_view<const float>::unchecked(nullptr, in.dims(), in.strides());
    SPK_CHECK_ERROR(conv2d_reference(null_in, w, nullptr, out), errc::invalid_argument, "'input'");
    const auto null_out = spk::nchw_view<float>::unchecked(nullptr, out.dims(), out.strides());
    SPK_CHECK_ERROR(conv2d_reference(in, w, nullptr, null_out), errc::invalid_argument, "'output'");
  }
  SUBCASE("overflowing products") {
    const index_t big = index_t{1} << 40;
    SPK_CHECK_ERROR(spk::make_matrix(d, big, big), errc::overflow, "element count");
    const auto huge = spk::nchw_view<const float>::unchecked(d, {1, 1, big, big}, {0, 0, 0, 0});
    const auto huge_out = spk::nchw_view<float>::unchecked(d, {1, 1, big, big}, {0, 0, 0, 0});
    SPK_CHECK_ERROR(
        conv2d_reference(huge, spk::make_nchw<const float>(d, 1, 1, 1, 1), nullptr, huge_out),
        errc::overflow, "input element count");
    SPK_CHECK_ERROR(spk::make_conv_shape<2>(1, 1, {8, 8}, 1, {big, 1}, P().with_dilation(big)),
                    errc::overflow, "dilated kernel");
  }
}

TEST_CASE("conv3d_reference rejects bad arguments") {
  using spk::errc;
  std::vector<float> buf(4096, 1.f);
  float* d = buf.data();
  const auto in = spk::make_ncdhw<const float>(d, 1, 4, 5, 6, 6);
  const auto w = spk::make_ncdhw<const float>(d, 2, 2, 3, 3, 3);
  const auto out = spk::make_ncdhw(d, 1, 2, 3, 4, 4);
  const auto p = spk::conv3d_params().with_groups(2);
  conv3d_reference(in, w, nullptr, out, p);
  SPK_CHECK_ERROR(conv3d_reference(in, w, nullptr, out), errc::shape_mismatch, "'weights'");
  SPK_CHECK_ERROR(
      conv3d_reference(spk::make_ncdhw<const float>(d, 1, 4, 0, 6, 6), w, nullptr, out, p),
      errc::invalid_argument, "'in_d'");
  SPK_CHECK_ERROR(
      conv3d_reference(in, w, nullptr, out, spk::conv3d_params(p).with_stride({0, 1, 1})),
      errc::invalid_argument, "'stride_d'");
  SPK_CHECK_ERROR(
      conv3d_reference(in, w, nullptr, out, spk::conv3d_params(p).with_pad({0, 0, 0}, {-1, 0, 0})),
      errc::invalid_argument, "'pad_end_d'");
  SPK_CHECK_ERROR(
      conv3d_reference(in, spk::make_ncdhw<const float>(d, 2, 2, 6, 3, 3), nullptr, out, p),
      errc::invalid_argument, "'kernel_d'");
  SPK_CHECK_ERROR(conv3d_reference(in, w, nullptr, spk::make_ncdhw(d, 1, 2, 3, 4, 3), p),
                  errc::shape_mismatch, "'output'");
  SPK_CHECK_ERROR(conv3d_reference(in, w, nullptr, out, spk::conv3d_params().with_groups(3)),
                  errc::invalid_argument, "'groups'");
}

TEST_CASE("gemm_reference / gemv_reference reject bad arguments") {
  using spk::errc;
  std::vector<float> buf(256, 1.f);
  float* d = buf.data();
  const auto a = spk::make_matrix<const float>(d, 4, 3);
  SPK_CHECK_ERROR(
      gemm_reference(a, spk::make_matrix<const float>(d, 2, 5), spk::make_matrix(d, 4, 5)),
      errc::shape_mismatch, "'b'");
  SPK_CHECK_ERROR(
      gemm_reference(a, spk::make_matrix<const float>(d, 3, 5), spk::make_matrix(d, 4, 4)),
      errc::shape_mismatch, "'c'");
  SPK_CHECK_ERROR(
      gemm_reference(a, spk::make_matrix<const float>(d, 3, 5), spk::make_matrix(d, 5, 5)),
      errc::shape_mismatch, "dims 4x5");
  const auto null_a = spk::matrix_view<const float>::unchecked(nullptr, {4, 3}, {3, 1});
  SPK_CHECK_ERROR(
      gemm_reference(null_a, spk::make_matrix<const float>(d, 3, 5), spk::make_matrix(d, 4, 5)),
      errc::invalid_argument, "'a'");
  SPK_CHECK_ERROR(spk::make_matrix(d, 4, 5, 4), errc::invalid_argument, "'ld'");
  SPK_CHECK_ERROR(gemv_reference(a, nullptr, d), errc::invalid_argument, "'x'");
  SPK_CHECK_ERROR(gemv_reference(a, d, nullptr), errc::invalid_argument, "'y'");
  gemv_reference(spk::make_matrix<const float>(nullptr, 0, 3), nullptr,
                 nullptr);  // empty: nothing to read or write
}

TEST_CASE("im2col / vol2col reject bad arguments") {
  using spk::errc;
  std::vector<float> buf(4096, 1.f);
  float* d = buf.data();
  const auto s =
      spk::make_conv_shape<2>(2, 4, {5, 5}, 6, {3, 3}, spk::conv2d_params().with_groups(2));
  const auto in = spk::make_nchw<const float>(d, 2, 4, 5, 5);
  const auto cols = spk::make_matrix(d + 256, im2col_rows(s), im2col_cols(s));
  im2col(in, 1, 1, s, cols);
  SPK_CHECK_ERROR(im2col(in, 2, 0, s, cols), errc::out_of_range, "'batch_index'");
  SPK_CHECK_ERROR(im2col(in, -1, 0, s, cols), errc::out_of_range, "'batch_index'");
  SPK_CHECK_ERROR(im2col(in, 0, 2, s, cols), errc::out_of_range, "'group'");
  SPK_CHECK_ERROR(im2col(spk::make_nchw<const float>(d, 2, 4, 5, 6), 0, 0, s, cols),
                  errc::shape_mismatch, "'input'");
  SPK_CHECK_ERROR(im2col(in, 0, 0, s, spk::make_matrix(d, 18, 10)), errc::shape_mismatch, "'cols'");
  const auto s3 = spk::make_conv_shape<3>(1, 2, {3, 3, 3}, 2, {1, 2, 2}, spk::conv3d_params());
  const auto in3 = spk::make_ncdhw<const float>(d, 1, 2, 3, 3, 3);
  SPK_CHECK_ERROR(vol2col(in3, 0, 0, s3, spk::make_matrix(d + 256, 8, 13)), errc::shape_mismatch,
                  "'cols'");
  SPK_CHECK_ERROR(vol2col(in3, 0, 1, s3, spk::make_matrix(d + 256, 8, 12)), errc::out_of_range,
                  "'group'");
}
