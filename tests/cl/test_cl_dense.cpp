// SPDX-License-Identifier: Apache-2.0
// OpenCL dense path: im2col / vol2col + CLBlast GEMM + bias/activation epilogue against
// kernels::dense::conv2d_reference / conv3d_reference, gemm_clblast / gemv_clblast against the
// GEMM/GEMV references, on small-integer data (exact sums) with NaN-prefilled outputs.
#include <doctest/doctest.h>

#include "cl_test_util.hpp"
#include "harness.hpp"
#include "spk/cl/dense.hpp"
#include "spk/kernels/dense/im2col.hpp"

#if defined(SPK_TEST_HAVE_CLBLAST) && __has_include(<clblast.h>)
#include "spk/cl/clblast.hpp"
#include "spk/kernels/dense/reference.hpp"

using namespace spk;
using spk_cl_test::context_or_skip;
using spk_test::int_tensor;
using spk_test::nan_tensor;

namespace {

/// Reference conv + the activation applied in double (the references have no activation).
template <int S>
void activate(spk::tensor<float, S + 2>& t, const kernels::activation& act) {
  for (index_t i = 0; i < t.size(); ++i)
    t.data()[i] = float(kernels::apply_ref(act, double(t.data()[i])));
}

void check_close(const float* got, const float* want, index_t n, bool exact) {
  const auto r =
      exact ? spk_test::compare(got, want, n) : spk_test::compare(got, want, n, 1e-4, 1e-5);
  CHECK_MESSAGE(r.mismatches == 0, r.str());
  CHECK_MESSAGE(r.nonzero > 0, "oracle output is all zero");
}

}  // namespace

TEST_CASE("conv2d_dense_clblast: im2col + CLBlast GEMM vs conv2d_reference") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  struct case2d {
    index_t n, c, h, w, f, k;
    conv2d_params p;
    kernels::activation act;
    bool bias;
  };
  const case2d cases[] = {
      {1, 3, 9, 11, 5, 3, conv2d_params().with_pad(1), kernels::activation::none(), false},
      {2, 4, 10, 7, 6, 3, conv2d_params().with_stride(2).with_pad(1), kernels::activation::relu(),
       true},
      {1, 5, 13, 12, 7, 3, conv2d_params().with_dilation(2).with_pad(2),
       kernels::activation::leaky_relu(0.125f), true},
      {1, 6, 8, 9, 4, 1, conv2d_params().with_groups(2), kernels::activation::mish(), true},
  };
  for (const case2d& t : cases) {
    CAPTURE(t.n);
    CAPTURE(t.c);
    CAPTURE(t.f);
    CAPTURE(to_string(t.act.kind));
    const index_t cg = t.c / t.p.groups;
    auto in = int_tensor<4>({t.n, t.c, t.h, t.w}, 1);
    auto w = int_tensor<4>({t.f, cg, t.k, t.k}, 2);
    auto b = int_tensor<1>({t.f}, 3);
    const conv2d_shape s = make_conv_shape<2>(t.n, t.c, {t.h, t.w}, t.f, {t.k, t.k}, t.p, "test");
    auto want = nan_tensor<4>({t.n, t.f, s.out[0], s.out[1]});
    kernels::dense::conv2d_reference(in.view(), w.view(), t.bias ? b.data() : nullptr, want.view(),
                                     t.p);
    activate<2>(want, t.act);
    auto got = nan_tensor<4>({t.n, t.f, s.out[0], s.out[1]});
    spk::cl::conv2d_dense_clblast(*ctx, in.view(), w.view(), t.bias ? b.data() : nullptr,
                                  got.view(), t.p, t.act);
    check_close(got.data(), want.data(), got.size(), t.act.kind != kernels::act_kind::mish);
  }
}

TEST_CASE("conv3d_dense_clblast: vol2col + CLBlast GEMM vs conv3d_reference, buffer API") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  const index_t n = 2, c = 3, d = 5, h = 6, wd = 7, f = 5;
  const conv3d_params p = conv3d_params().with_pad(1).with_stride({1, 2, 1});
  auto in = int_tensor<5>({n, c, d, h, wd}, 4);
  auto w = int_tensor<5>({f, c, 3, 3, 3}, 5);
  auto b = int_tensor<1>({f}, 6);
  const conv3d_shape s = make_conv_shape<3>(n, c, {d, h, wd}, f, {3, 3, 3}, p, "test");
  auto want = nan_tensor<5>({n, f, s.out[0], s.out[1], s.out[2]});
  kernels::dense::conv3d_reference(in.view(), w.view(), b.data(), want.view(), p);
  activate<3>(want, kernels::activation::relu());

  // Buffer API with a caller workspace, and the per-stage times.
  const ::cl::Buffer din = spk::cl::upload(*ctx, in.data(), std::size_t(in.size()));
  const ::cl::Buffer dw = spk::cl::upload(*ctx, w.data(), std::size_t(w.size()));
  const ::cl::Buffer db = spk::cl::upload(*ctx, b.data(), std::size_t(b.size()));
  auto got = nan_tensor<5>({n, f, s.out[0], s.out[1], s.out[2]});
  const ::cl::Buffer dout =
      spk::cl::upload(*ctx, got.data(), std::size_t(got.size()), CL_MEM_READ_WRITE);
  const ::cl::Buffer ws =
      spk::cl::device_buffer<float>(*ctx, spk::cl::conv_dense_workspace_elements(s));
  const auto ev =
      spk::cl::conv3d_dense_clblast(*ctx, dw, din, s, &db, dout, kernels::activation::relu(), &ws);
  spk::cl::download(*ctx, dout, got.data(), std::size_t(got.size()), &ev.last());
  check_close(got.data(), want.data(), got.size(), true);
  const auto t = ev.times();
  CHECK(t.im2col_s > 0);
  CHECK(t.epilogue_s > 0);
  CHECK(t.total_s() >= t.gemm_s);

  // Bad arguments: a short workspace, a short output, a non-finite leaky slope.
  const ::cl::Buffer small = spk::cl::device_buffer<float>(*ctx, 8);
  SPK_CHECK_ERROR(spk::cl::conv3d_dense_clblast(*ctx, dw, din, s, &db, dout, {}, &small),
                  errc::shape_mismatch, "workspace");
  SPK_CHECK_ERROR(spk::cl::conv3d_dense_clblast(*ctx, dw, din, s, &db, small), errc::shape_mismatch,
                  "output");
  SPK_CHECK_ERROR(spk::cl::conv3d_dense_clblast(*ctx, dw, din, s, &db, dout,
                                                kernels::activation::leaky_relu(NAN)),
                  errc::invalid_argument, "activation.alpha");
  // Host overload: the reference's shape checks.
  auto bad_out = nan_tensor<5>({n, f, s.out[0], s.out[1], s.out[2] + 1});
  SPK_CHECK_ERROR(
      spk::cl::conv3d_dense_clblast(*ctx, in.view(), w.view(), nullptr, bad_out.view(), p),
      errc::shape_mismatch, "output");
}

TEST_CASE("gemm_clblast / gemv_clblast vs the references") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  const index_t m = 19, k = 23, n = 29;
  auto a = int_tensor<2>({m, k}, 7);
  auto b = int_tensor<2>({k, n}, 8);
  auto c0 = int_tensor<2>({m, n}, 9);
  auto want = c0, got = c0;
  kernels::dense::gemm_reference(a.view(), b.view(), want.view(), 2.f, -1.f);
  spk::cl::gemm_clblast(*ctx, a.view(), b.view(), got.view(), 2.f, -1.f);
  check_close(got.data(), want.data(), got.size(), true);

  // beta == 0 on a NaN-prefilled device C (what the batch-1 conv path relies on).
  {
    auto want0 = nan_tensor<2>({m, n});
    kernels::dense::gemm_reference(a.view(), b.view(), want0.view());
    std::vector<float> c_nan(std::size_t(m * n), spk_test::nan());
    const ::cl::Buffer da = spk::cl::upload(*ctx, a.data(), std::size_t(a.size()));
    const ::cl::Buffer db = spk::cl::upload(*ctx, b.data(), std::size_t(b.size()));
    const ::cl::Buffer dc = spk::cl::upload(*ctx, c_nan, CL_MEM_READ_WRITE);
    const ::cl::Event e =
        spk::cl::gemm_clblast(*ctx, std::size_t(m), std::size_t(n), std::size_t(k), da, 0,
                              std::size_t(k), db, 0, std::size_t(n), dc, 0, std::size_t(n));
    spk::cl::download(*ctx, dc, c_nan.data(), c_nan.size(), &e);
    check_close(c_nan.data(), want0.data(), m * n, true);
  }

  auto x = int_tensor<1>({k}, 10);
  std::vector<float> yw(std::size_t(m), spk_test::nan()), yg(std::size_t(m), spk_test::nan());
  kernels::dense::gemv_reference(a.view(), x.data(), yw.data());
  const ::cl::Buffer da = spk::cl::upload(*ctx, a.data(), std::size_t(a.size()));
  const ::cl::Buffer dx = spk::cl::upload(*ctx, x.data(), std::size_t(k));
  const ::cl::Buffer dy = spk::cl::upload(*ctx, yg, CL_MEM_READ_WRITE);
  const ::cl::Event e = spk::cl::gemv_clblast(*ctx, std::size_t(m), std::size_t(k), da, 0,
                                              std::size_t(k), dx, 0, dy, 0);
  spk::cl::download(*ctx, dy, yg.data(), yg.size(), &e);
  check_close(yg.data(), yw.data(), m, true);

  // Bad arguments never reach CLBlast: leading dimension, short buffer, k == 0.
  SPK_CHECK_ERROR(spk::cl::gemm_clblast(*ctx, 4, 4, 4, da, 0, 3, da, 0, 4, dy, 0, 4),
                  errc::invalid_argument, "lda");
  SPK_CHECK_ERROR(spk::cl::gemm_clblast(*ctx, 19, 29, 23, da, 0, 23, da, 0, 29, dy, 0, 29),
                  errc::shape_mismatch, "'b");
  SPK_CHECK_ERROR(spk::cl::gemm_clblast(*ctx, 4, 4, 0, da, 0, 4, da, 0, 4, dy, 0, 4),
                  errc::invalid_argument, "'k'");
  auto bad_c = nan_tensor<2>({m, n + 1});
  SPK_CHECK_ERROR(spk::cl::gemm_clblast(*ctx, a.view(), b.view(), bad_c.view()),
                  errc::shape_mismatch, "'c'");
  CHECK(std::string(spk::cl::clblast_status_name(clblast::StatusCode::kInvalidLeadDimA)) ==
        "kInvalidLeadDimA");
}

#else
TEST_CASE("conv2d_dense_clblast: skipped") {
  MESSAGE("SKIPPED: built without CLBlast (SPK_TEST_HAVE_CLBLAST undefined)");
}
#endif

TEST_CASE("im2col (device) vs kernels::dense::im2col") {
  auto ctx = spk_cl_test::context_or_skip();
  if (!ctx) return;
  using namespace spk;
  const conv2d_params p =
      conv2d_params().with_stride({2, 1}).with_pad({1, 0}, {2, 1}).with_dilation({1, 2});
  const conv2d_shape s = make_conv_shape<2>(1, 3, {9, 8}, 4, {3, 2}, p, "test");
  auto in = spk_test::int_tensor<4>({1, 3, 9, 8}, 11);
  const index_t rows = s.in_channels * s.kernel_volume(), cols = s.out_volume();
  auto want = spk_test::nan_tensor<2>({rows, cols});
  kernels::dense::im2col(in.view(), 0, 0, s, want.view());
  std::vector<float> got(std::size_t(rows * cols), spk_test::nan());
  const ::cl::Buffer din = spk::cl::upload(*ctx, in.data(), std::size_t(in.size()));
  const ::cl::Buffer dc = spk::cl::upload(*ctx, got, CL_MEM_READ_WRITE);
  const ::cl::Event e = spk::cl::im2col(*ctx, din, s, dc);
  spk::cl::download(*ctx, dc, got.data(), got.size(), &e);
  SPK_CHECK_EXACT(got.data(), want.data(), rows * cols);
  const ::cl::Buffer small = spk::cl::device_buffer<float>(*ctx, 4);
  SPK_CHECK_ERROR(spk::cl::im2col(*ctx, din, s, small), errc::shape_mismatch, "cols");
}
