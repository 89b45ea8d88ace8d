// SPDX-License-Identifier: Apache-2.0
// OpenCL block-sparse SpMM / SpMV (spk/cl/spmm_block.hpp) against kernels::spmm's references on
// small-integer data: BCR column pruning, row pruning and BSP (multi-segment strips), BSR with
// several block shapes, densities 0 / ~0.25 / 1, M, K, N off the block sizes, every activation.
#include <doctest/doctest.h>

#include <type_traits>
#include <vector>

#include "cl_test_util.hpp"
#include "harness.hpp"
#include "spk/cl/spmm_block.hpp"
#include "spk/kernels/spmm/reference.hpp"
#include "spk/sparsity/block.hpp"

using namespace spk;
using kernels::spmm::activation;
using spk_cl_test::context_or_skip;
using spk_test::int_tensor;
using spk_test::nan_tensor;

namespace {

constexpr index_t tokens = 21;  // N: one whole 16-column vector and a 5-column tail

/// Runs the device SpMM (host overload, transposed strided views) and SpMV on `f` against the
/// reference Y^T = X^T W^T; integer data: exact except GELU.
template <class Format, class Device>
void check_format(const spk::cl::context& ctx, const Format& f, activation act, bool with_bias,
                  const spk::cl::spmm_block_params& prm = {}) {
  const index_t m = f.rows(), k = f.cols();
  CAPTURE(m);
  CAPTURE(k);
  CAPTURE(f.density());
  CAPTURE(static_cast<int>(act));
  // The reference's layout: x_t N x K (token rows), want N x M.
  auto x_t = int_tensor<2>({tokens, k}, 31);
  auto bias = int_tensor<1>({m}, 32);
  kernels::spmm::epilogue e;
  e.act = act;
  if (with_bias) e.bias = bias.data();
  auto want = nan_tensor<2>({tokens, m});
  kernels::spmm::detail::spmm_reference_loops(f, x_t.view(), want.view(), e, "reference");

  const Device dev(ctx, f);
  // Ours: X K x N, Y M x N, given as transposed views of x_t and got (staged by the overload).
  auto got = nan_tensor<2>({tokens, m});
  const matrix_view<const float> x(x_t.data(), {k, tokens}, {1, k});
  const matrix_view<float> y(got.data(), {m, tokens}, {1, m});
  const bool exact = act != activation::gelu;
  auto check = [&](const float* g, const float* w, index_t n) {
    const auto r = exact ? spk_test::compare(g, w, n) : spk_test::compare(g, w, n, 1e-5, 1e-5);
    CHECK_MESSAGE(r.mismatches == 0, r.str());
    if (f.nnz() > 0 || with_bias) CHECK_MESSAGE(r.nonzero > 0, "oracle output is all zero");
  };
  if constexpr (std::is_same_v<Format, format::bcr>)
    spk::cl::spmm_bcr(ctx, dev, x, with_bias ? bias.data() : nullptr, y, act, prm);
  else
    spk::cl::spmm_bsr(ctx, dev, x, with_bias ? bias.data() : nullptr, y, act, prm);
  check(got.data(), want.data(), tokens * m);

  // SpMV on token 0.
  std::vector<float> yv(std::size_t(m), spk_test::nan());
  if constexpr (std::is_same_v<Format, format::bcr>)
    spk::cl::spmv_bcr(ctx, dev, x_t.data(), with_bias ? bias.data() : nullptr, yv.data(), act, prm);
  else
    spk::cl::spmv_bsr(ctx, dev, x_t.data(), with_bias ? bias.data() : nullptr, yv.data(), act, prm);
  check(yv.data(), want.data(), m);
}

}  // namespace

TEST_CASE("spmm_bcr / spmv_bcr (OpenCL): column, row and BSP pruning vs the reference") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  using sparsity::block_prune;
  for (double keep : {0.0, 0.25, 1.0}) {
    CAPTURE(keep);
    // Column pruning: one full segment per strip (the direct-store path).
    auto w1 = int_tensor<2>({37, 29}, 33);
    const auto m1 = sparsity::project_bcr(w1.view(), 16, 8, block_prune::columns, keep);
    check_format<format::bcr, spk::cl::device_bcr>(
        *ctx, format::bcr::from_dense(w1.view(), m1, 16, 8), activation::none, true);
    // Row pruning in 32 x 8 blocks: several segments with scattered rows per strip.
    auto w2 = int_tensor<2>({70, 33}, 34);
    const auto m2 = sparsity::project_bcr(w2.view(), 32, 8, block_prune::rows, keep);
    check_format<format::bcr, spk::cl::device_bcr>(
        *ctx, format::bcr::from_dense(w2.view(), m2, 32, 8), activation::relu, true);
  }
  // BSP (RTMobile): row strips of 35 rows, 3 column strips; GELU.
  auto w3 = int_tensor<2>({70, 33}, 35);
  const auto m3 = sparsity::project_bsp(w3.view(), 3, 0.5, 2, 0.5);
  check_format<format::bcr, spk::cl::device_bcr>(
      *ctx, format::bcr::from_dense(w3.view(), m3, 35, 11), activation::gelu, true);
}

TEST_CASE("spmm_bsr / spmv_bsr (OpenCL) vs the reference") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  for (double keep : {0.0, 0.25, 1.0}) {
    CAPTURE(keep);
    auto w = int_tensor<2>({40, 28}, 36);
    const auto f =
        format::bsr::from_dense(w.view(), sparsity::project_bsr(w.view(), 16, 4, keep), 16, 4);
    check_format<format::bsr, spk::cl::device_bsr>(*ctx, f, activation::none, false);
  }
  // Block rows off the panel (3 x 5, 32 x 2: two panels per strip), M not a multiple of r.
  auto w2 = int_tensor<2>({17, 35}, 37);
  check_format<format::bsr, spk::cl::device_bsr>(
      *ctx, format::bsr::from_dense(w2.view(), sparsity::project_bsr(w2.view(), 3, 5, 0.5), 3, 5),
      activation::relu, true);
  auto w3 = int_tensor<2>({45, 14}, 38);
  check_format<format::bsr, spk::cl::device_bsr>(
      *ctx, format::bsr::from_dense(w3.view(), sparsity::project_bsr(w3.view(), 32, 2, 0.5), 32, 2),
      activation::gelu, true);
}

TEST_CASE("spmm_bcr / spmm_bsr (OpenCL): other vector widths and group sizes") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  auto w = int_tensor<2>({70, 33}, 41);
  const auto fb = format::bcr::from_dense(
      w.view(), sparsity::project_bcr(w.view(), 32, 8, sparsity::block_prune::rows, 0.5), 32, 8);
  auto w2 = int_tensor<2>({40, 28}, 42);
  const auto fs =
      format::bsr::from_dense(w2.view(), sparsity::project_bsr(w2.view(), 16, 4, 0.5), 16, 4);
  for (int vw : {1, 4}) {
    CAPTURE(vw);
    // vw 1 also runs the BCR SpMV as one work-group per strip (local-memory reduction).
    const spk::cl::spmm_block_params prm{vw, 1, vw == 1};
    check_format<format::bcr, spk::cl::device_bcr>(*ctx, fb, activation::relu, true, prm);
    check_format<format::bsr, spk::cl::device_bsr>(*ctx, fs, activation::none, true, prm);
  }
}

TEST_CASE("spmm_bcr / spmm_bsr (OpenCL) reject bad arguments") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  auto w = int_tensor<2>({20, 16}, 39);
  const auto fb = format::bcr::from_dense(w.view(), sparsity::mask2d(20, 16, 1), 16, 8);
  const auto fs = format::bsr::from_dense(w.view(), sparsity::mask2d(20, 16, 1), 4, 4);
  const spk::cl::device_bcr db(*ctx, fb);
  const spk::cl::device_bsr ds(*ctx, fs);
  const ::cl::Buffer x = spk::cl::device_buffer<float>(*ctx, 16 * 5);
  const ::cl::Buffer y = spk::cl::device_buffer<float>(*ctx, 20 * 5);
  const ::cl::Buffer small = spk::cl::device_buffer<float>(*ctx, 7);
  SPK_CHECK_ERROR(spk::cl::spmm_bcr(*ctx, db, small, 5, nullptr, y), errc::shape_mismatch, "'x");
  SPK_CHECK_ERROR(spk::cl::spmm_bsr(*ctx, ds, x, 5, nullptr, small), errc::shape_mismatch, "'y");
  SPK_CHECK_ERROR(spk::cl::spmv_bsr(*ctx, ds, x, &small, y), errc::shape_mismatch, "'bias");
  SPK_CHECK_ERROR(spk::cl::spmm_bcr(*ctx, db, x, 5, nullptr, y, static_cast<activation>(9)),
                  errc::invalid_argument, "'act'");
  const spk::cl::context other(ctx->device());
  const spk::cl::device_bcr foreign(other, fb);
  SPK_CHECK_ERROR(spk::cl::spmv_bcr(*ctx, foreign, x, nullptr, y), errc::invalid_argument, "'w'");
  // Host overloads: the reference's shape names.
  auto hx = int_tensor<2>({15, 5}, 40);
  auto hy = nan_tensor<2>({20, 5});
  SPK_CHECK_ERROR(spk::cl::spmm_bcr(*ctx, db, hx.view(), nullptr, hy.view()), errc::shape_mismatch,
                  "x.rows");
  auto hx2 = int_tensor<2>({16, 5}, 40);
  auto hy2 = nan_tensor<2>({20, 4});
  SPK_CHECK_ERROR(spk::cl::spmm_bsr(*ctx, ds, hx2.view(), nullptr, hy2.view()),
                  errc::shape_mismatch, "y.dims");
  SPK_CHECK_ERROR(spk::cl::spmm_bsr(*ctx, ds, x, 5, nullptr, y, activation::none, {3, 4}),
                  errc::invalid_argument, "params.vector_width");
  SPK_CHECK_ERROR(spk::cl::spmv_bsr(*ctx, ds, x, nullptr, y, activation::none, {16, 0}),
                  errc::invalid_argument, "params.group_strips");
  // n == 0 is a no-op.
  CHECK_FALSE(spk::cl::spmm_bcr(*ctx, db, x, 0, nullptr, y)() != nullptr);
}
