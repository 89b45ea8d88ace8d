// SPDX-License-Identifier: Apache-2.0
// spk's optimised dense path (gemm_dense, gemv_dense, conv2d_dense, conv3d_dense) against the
// dense reference oracles. Small-integer data: every sum is exact, so comparisons are exact.
// Compiled once per ISA (sse2 / avx2 / avx512), so each xsimd path runs here.
#include <vector>

#include "harness.hpp"
#include "spk/kernels/dense/dense.hpp"

using namespace spk;
using namespace spk::kernels::dense;
using spk_test::int_tensor;
using spk_test::executors;
using spk_test::nan_tensor;

namespace {


void check_gemm(index_t m, index_t n, index_t k, float alpha, float beta, bool transpose_b, executor& ex) {
  CAPTURE(m);
  CAPTURE(n);
  CAPTURE(k);
  CAPTURE(alpha);
  CAPTURE(beta);
  CAPTURE(transpose_b);
  CAPTURE(ex.concurrency());
  auto a = int_tensor<2>({m, k}, 1);
  // B as a plain K x N matrix, or as the transposed view of an N x K matrix (strides {1, K}).
  auto bstore = int_tensor<2>({transpose_b ? n : k, transpose_b ? k : n}, 2);
  auto b = transpose_b ? matrix_view<const float>(bstore.data(), {k, n}, {1, k}, bstore.size())
                       : matrix_view<const float>(bstore.view());
  // C is a sub-block of a larger NaN/int buffer with ld = n + 3, so a write outside shows.
  const index_t ld = n + 3;
  auto cstore = beta == 0.f ? nan_tensor<2>({m, ld}) : int_tensor<2>({m, ld}, 3);
  auto want = cstore;
  auto cv = make_matrix(cstore.data(), m, n, ld, cstore.size());
  auto wv = make_matrix(want.data(), m, n, ld, want.size());
  gemm_reference(a.view(), b, wv, alpha, beta);
  gemm_dense(a.view(), b, cv, alpha, beta, ex);
  auto r = spk_test::compare(cstore.data(), want.data(), cstore.size());
  CHECK_MESSAGE(r.mismatches == 0, r.str());  // padding columns: NaN == NaN counts as equal
  if (k > 0) CHECK_MESSAGE(r.nonzero > 0, "oracle output is all zero");
}

template <int S>
struct conv_case {
  index_t batch, c, f;
  std::array<index_t, S> in, kernel;
  conv_params<S> p;
  bool bias;
};

template <int S>
void check_conv(const conv_case<S>& cc, executor& ex) {
  const auto s = make_conv_shape<S>(cc.batch, cc.c, cc.in, cc.f, cc.kernel, cc.p);
  std::array<index_t, S + 2> in_dims{cc.batch, cc.c}, w_dims{cc.f, cc.c / cc.p.groups}, out_dims{cc.batch, cc.f};
  for (int d = 0; d < S; ++d) in_dims[d + 2] = cc.in[d], w_dims[d + 2] = cc.kernel[d], out_dims[d + 2] = s.out[d];
  auto in = int_tensor<S + 2>(in_dims, 10);
  auto w = int_tensor<S + 2>(w_dims, 11);
  auto bias = int_tensor<1>({cc.f}, 12);
  auto got = nan_tensor<S + 2>(out_dims), want = nan_tensor<S + 2>(out_dims);
  const float* bp = cc.bias ? bias.data() : nullptr;
  if constexpr (S == 2) {
    conv2d_reference(in.view(), w.view(), bp, want.view(), cc.p);
    conv2d_dense(in.view(), w.view(), bp, got.view(), cc.p, ex);
  } else {
    conv3d_reference(in.view(), w.view(), bp, want.view(), cc.p);
    conv3d_dense(in.view(), w.view(), bp, got.view(), cc.p, ex);
  }
  SPK_CHECK_EXACT(got.data(), want.data(), got.size());
}

}  // namespace

TEST_CASE("gemm_dense matches gemm_reference around tile boundaries") {
  using tile = gemm_tile<default_arch>;
  const index_t mr = tile::mr, nr = tile::nr;
  const std::vector<index_t> ms{1, mr - 1, mr, mr + 1, 2 * mr + 1, 37};
  const std::vector<index_t> ns{1, 2, nr - 1, nr, nr + 1, 3 * nr + 5};
  const std::vector<index_t> ks{1, 3, 17, 300};  // 300 > KC: two K slices
  for (executor* ex : executors())
    for (index_t m : ms)
      for (index_t n : ns)
        for (index_t k : ks) check_gemm(m, n, k, 1.f, 0.f, false, *ex);
}

TEST_CASE("gemm_dense alpha, beta, transposed B, wide N") {
  for (executor* ex : executors()) {
    check_gemm(13, 40, 9, 2.f, 0.f, false, *ex);
    check_gemm(13, 40, 9, 1.f, 1.f, false, *ex);
    check_gemm(13, 40, 9, -1.f, 3.f, true, *ex);
    check_gemm(5, 1, 33, 1.f, 1.f, true, *ex);   // GEMV path, strided x
    check_gemm(7, 600, 20, 1.f, 0.f, false, *ex);  // N > NC block: several B blocks
    check_gemm(400, 9, 5, 1.f, 0.f, false, *ex);   // M > MC block, narrow N: M split
  }
}

TEST_CASE("gemm_dense with K == 0 gives beta * C") {
  auto a = nan_tensor<2>({3, 0});
  auto b = nan_tensor<2>({0, 4});
  auto c = nan_tensor<2>({3, 4});
  gemm_dense(a.view(), b.view(), c.view(), 1.f, 0.f);
  for (index_t i = 0; i < c.size(); ++i) CHECK(c.data()[i] == 0.f);
}

TEST_CASE("gemv_dense matches gemv_reference") {
  for (executor* ex : executors())
    for (index_t m : {1, 7, 64, 65, 300})
      for (index_t k : {1, 15, 16, 17, 100}) {
        CAPTURE(m);
        CAPTURE(k);
        auto a = int_tensor<2>({m, k}, 4);
        auto x = int_tensor<1>({k}, 5);
        auto y = int_tensor<1>({m}, 6), want = y;
        gemv_reference(a.view(), x.data(), want.data(), 2.f, 1.f);
        gemv_dense(a.view(), x.data(), y.data(), 2.f, 1.f, *ex);
        SPK_CHECK_EXACT(y.data(), want.data(), m);
      }
}

TEST_CASE("gemm_dense rejects mismatched shapes") {
  auto a = int_tensor<2>({3, 4}, 1);
  auto b = int_tensor<2>({5, 2}, 2);
  auto c = nan_tensor<2>({3, 2});
  SPK_CHECK_ERROR(gemm_dense(a.view(), b.view(), c.view()), errc::shape_mismatch, "b.rows");
  auto b2 = int_tensor<2>({4, 2}, 2);
  auto c2 = nan_tensor<2>({3, 3});
  SPK_CHECK_ERROR(gemm_dense(a.view(), b2.view(), c2.view()), errc::shape_mismatch, "c.dims");
}

TEST_CASE("conv2d_dense matches conv2d_reference on the shape sweep") {
  std::vector<conv_case<2>> cases;
  for (index_t hw : {1, 3, 7, 16, 17})
    for (index_t k : {1, 3})
      for (index_t stride : {1, 2})
        for (index_t pad : {0, 1, 2}) {
          if ((k - 1) > hw - 1 + 2 * pad) continue;
          cases.push_back({1, 5, 7, {hw, hw + 2}, {k, k}, conv2d_params{}.with_stride(stride).with_pad(pad), pad == 1});
        }
  cases.push_back({2, 6, 9, {9, 11}, {3, 3}, conv2d_params{}.with_pad({0, 1}, {2, 0}), true});     // asymmetric
  cases.push_back({1, 4, 8, {12, 12}, {3, 3}, conv2d_params{}.with_pad(2).with_dilation(2), true});  // dilated
  cases.push_back({1, 6, 9, {8, 8}, {3, 3}, conv2d_params{}.with_pad(1).with_groups(3), true});      // groups
  cases.push_back({1, 8, 8, {10, 10}, {3, 3}, conv2d_params{}.with_pad(1).with_groups(8), false});   // depthwise
  cases.push_back({1, 4, 8, {7, 7}, {3, 3}, conv2d_params{}.with_pad(1).with_groups(4), true});      // multiplier 2
  cases.push_back({2, 16, 33, {14, 14}, {1, 1}, conv2d_params{}, true});                             // pointwise
  cases.push_back({1, 3, 16, {23, 23}, {7, 7}, conv2d_params{}.with_stride(2).with_pad(3), true});   // stem
  cases.push_back({1, 5, 6, {9, 9}, {1, 3}, conv2d_params{}.with_pad({0, 1}, {0, 1}), false});       // 1xk
  for (executor* ex : executors())
    for (const auto& cc : cases) {
      CAPTURE(cc.in[0]);
      CAPTURE(cc.in[1]);
      CAPTURE(cc.kernel[0]);
      CAPTURE(cc.p.stride[0]);
      CAPTURE(cc.p.pad_begin[0]);
      CAPTURE(cc.p.groups);
      CAPTURE(ex->concurrency());
      check_conv<2>(cc, *ex);
    }
}

TEST_CASE("conv3d_dense matches conv3d_reference") {
  std::vector<conv_case<3>> cases{
      {1, 3, 5, {4, 9, 9}, {3, 3, 3}, conv3d_params{}.with_pad(1), true},
      {2, 4, 6, {5, 8, 7}, {3, 3, 3}, conv3d_params{}.with_stride(2).with_pad(1), false},
      {1, 4, 8, {3, 7, 7}, {1, 3, 3}, conv3d_params{}.with_pad({0, 1, 1}, {0, 1, 1}), true},  // (2+1)D spatial
      {1, 8, 4, {6, 5, 5}, {3, 1, 1}, conv3d_params{}.with_pad({1, 0, 0}, {1, 0, 0}), true},  // (2+1)D temporal
      {1, 4, 4, {4, 6, 6}, {3, 3, 3}, conv3d_params{}.with_pad(2).with_dilation(2).with_groups(2), true},
      {1, 16, 17, {2, 5, 5}, {1, 1, 1}, conv3d_params{}, false},  // pointwise
  };
  for (executor* ex : executors())
    for (const auto& cc : cases) check_conv<3>(cc, *ex);
}

TEST_CASE("conv2d_dense writes into a channel slice of a concatenation") {
  // Output = channels [4, 4+F) of a 12-channel NaN tensor: the rest must stay NaN.
  const index_t f = 5;
  auto in = int_tensor<4>({1, 3, 6, 6}, 20);
  auto w = int_tensor<4>({f, 3, 3, 3}, 21);
  auto big = nan_tensor<4>({1, 12, 6, 6});
  auto want = nan_tensor<4>({1, f, 6, 6});
  auto slice = nchw_view<float>(big.data() + 4 * 36, {1, f, 6, 6}, {12 * 36, 36, 6, 1});
  conv2d_reference(in.view(), w.view(), nullptr, want.view(), conv2d_params{}.with_pad(1));
  conv2d_dense(in.view(), w.view(), nullptr, slice, conv2d_params{}.with_pad(1));
  SPK_CHECK_EXACT(big.data() + 4 * 36, want.data(), want.size());
  for (index_t i = 0; i < 4 * 36; ++i) REQUIRE(std::isnan(big.data()[i]));
  for (index_t i = (4 + f) * 36; i < big.size(); ++i) REQUIRE(std::isnan(big.data()[i]));
}

TEST_CASE("conv2d_dense rejects bad arguments") {
  auto in = int_tensor<4>({1, 4, 8, 8}, 1);
  auto w = int_tensor<4>({6, 4, 3, 3}, 2);
  auto out = nan_tensor<4>({1, 6, 8, 8});
  SPK_CHECK_ERROR(conv2d_dense(in.view(), w.view(), nullptr, out.view(), conv2d_params{}.with_pad(1).with_stride(0)),
                  errc::invalid_argument, "stride_h");
  SPK_CHECK_ERROR(conv2d_dense(in.view(), w.view(), nullptr, out.view(), conv2d_params{}), errc::shape_mismatch,
                  "output");
  SPK_CHECK_ERROR(conv2d_dense(in.view(), w.view(), nullptr, out.view(), conv2d_params{}.with_pad(1).with_groups(2)),
                  errc::shape_mismatch, "weights");
  auto strided = nchw_view<float>(out.data(), {1, 6, 8, 4}, {384, 64, 8, 2});
  SPK_CHECK_ERROR(conv2d_dense(in.view(), w.view(), nullptr, strided, conv2d_params{}.with_pad(1).with_stride({1, 2})),
                  errc::unsupported, "output");
}

TEST_CASE("conv2d_dense reads strided input and weight views") {
  // Input = channels [2, 2+C) of a bigger tensor with padded rows (row stride 11 > W = 9);
  // weights = a filter slice with a gap between filters.
  const index_t c = 3, f = 4, h = 7, w = 9;
  auto big_in = int_tensor<4>({2, 8, h, 11}, 30);
  auto in = nchw_view<const float>(big_in.data() + 2 * h * 11, {2, c, h, w}, {8 * h * 11, h * 11, 11, 1});
  auto big_w = int_tensor<4>({2 * f, c, 3, 3}, 31);
  auto wv = tensor_view<const float, 4>(big_w.data(), {f, c, 3, 3}, {2 * c * 9, 9, 3, 1});
  for (auto p : {conv2d_params{}.with_pad(1), conv2d_params{}.with_stride(2), conv2d_params{}.with_dilation(2).with_pad(2)}) {
    const auto s = make_conv_shape<2>(2, c, {h, w}, f, {3, 3}, p);
    auto got = nan_tensor<4>({2, f, s.out[0], s.out[1]}), want = got;
    conv2d_reference(in, wv, nullptr, want.view(), p);
    conv2d_dense(in, wv, nullptr, got.view(), p);
    SPK_CHECK_EXACT(got.data(), want.data(), got.size());
  }
}
