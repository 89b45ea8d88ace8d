// SPDX-License-Identifier: Apache-2.0
// Tuned params change what the CPU drivers run, never what they compute: every field value of
// every family (incl. values the drivers must ignore or clamp) against the dense oracle, the
// drivers picking params from the active table, and the layers' dense/sparse crossover.
// Small-integer data: sums are exact, comparisons exact. Built with the default ISA flags.
#include <vector>

#include "harness.hpp"
#include "spk/kernels/dense/dense.hpp"
#include "spk/kernels/dense/reference.hpp"
#include "spk/kernels/fkw/fkw.hpp"
#include "spk/kernels/kgs/kgs.hpp"
#include "spk/kernels/punched/punched.hpp"
#include "spk/kernels/spmm/reference.hpp"
#include "spk/kernels/spmm/spmm.hpp"
#include "spk/layers/layers.hpp"
#include "spk/sparsity/block.hpp"
#include "spk/sparsity/connectivity.hpp"
#include "spk/sparsity/kgs.hpp"
#include "spk/sparsity/punched.hpp"
#include "spk/tune/tune.hpp"

using namespace spk;
using spk_test::executors;
using spk_test::int_tensor;
using spk_test::nan_tensor;

namespace {

void expect_equal(const float* got, const float* want, index_t n) {
  const auto r = spk_test::compare(got, want, n);
  CHECK_MESSAGE(r.mismatches == 0, r.str());
  CHECK_MESSAGE(r.nonzero > 0, "output is all zero");
}

/// Restores the startup table when a test ends.
struct table_guard {
  ~table_guard() { tune::reset_active_table(); }
};

}  // namespace

TEST_CASE("tune params: conv2d_fkw, every tile and split") {
  for (index_t w : {7, 14, 33, 60})
    for (index_t stride : {1, 2}) {
      CAPTURE(w);
      CAPTURE(stride);
      const index_t c = 5, f = 11, h = 9;
      auto dense = int_tensor<4>({f, c, 3, 3}, 11 + w);
      auto pruned = dense;
      const auto lib = sparsity::extract_library(dense.view(), sparsity::candidate_library(), 8);
      const auto st = sparsity::project_pattern_connectivity(
          dense.view(), lib, f * c / 2, sparsity::connectivity_scope::per_layer, pruned.view());
      const auto fmt = format::fkw::build(pruned.view(), st);
      const conv2d_params p = conv2d_params{}.with_stride(stride).with_pad(1);
      const auto s = make_conv_shape<2>(1, c, {h, w}, f, {3, 3}, p);
      auto in = int_tensor<4>({1, c, h, w}, 12 + w);
      auto bias = int_tensor<1>({f}, 13);
      auto want = nan_tensor<4>({1, f, s.out[0], s.out[1]});
      kernels::dense::conv2d_reference(in.view(), pruned.view(), bias.data(), want.view(), p);
      for (const auto& rv : std::vector<std::pair<int, int>>{
               {0, 0}, {2, 7}, {4, 4}, {7, 2}, {7, 1}, {14, 1}, {2, 4}, {4, 2}, {3, 3}})
        for (int g : {0, 1, 16})
          for (executor* ex : executors()) {
            CAPTURE(rv.first);
            CAPTURE(rv.second);
            CAPTURE(g);
            const tune::fkw_params tp{rv.first, rv.second, g};
            aligned_buffer<float> ws(kernels::fkw::conv2d_fkw_workspace_size(fmt, s, tp));
            auto got = nan_tensor<4>(want.dims());
            kernels::fkw::conv2d_fkw(in.view(), fmt, bias.data(), got.view(), p, {}, *ex, ws.data(),
                                     tp);
            expect_equal(got.data(), want.data(), want.size());
          }
    }
}

TEST_CASE("tune params: the kgs engine (conv3d_kgs, conv2d_punched, linear_punched)") {
  const std::vector<tune::kgs_params> all = {{},           {1, 0, 0, 0}, {4096, 0, 0, 0},
                                             {0, 1, 1, 0}, {0, 0, 2, 0}, {0, 4096, 1, 16},
                                             {0, 0, 0, 1}};
  {
    const index_t c = 9, f = 13;
    auto w = int_tensor<5>({f, c, 3, 3, 3}, 21);
    const sparsity::kgs_grid g{f, c, 27, 8, 4};
    const auto m = sparsity::project_kgs(w.data(), g, 0.4);
    sparsity::apply_mask(w.data(), m.element_mask());
    const auto fmt = format::kgs3d::build(w.view(), m, format::kgs_structure::kgs);
    const conv3d_params p = conv3d_params{}.with_pad({1, 1, 1}, {1, 1, 1});
    auto in = int_tensor<5>({1, c, 5, 7, 9}, 22);
    const auto s = make_conv_shape<3>(1, c, {5, 7, 9}, f, {3, 3, 3}, p);
    auto want = nan_tensor<5>({1, f, s.out[0], s.out[1], s.out[2]});
    kernels::dense::conv3d_reference(in.view(), w.view(), nullptr, want.view(), p);
    aligned_buffer<float> ws(kernels::kgs::conv3d_kgs_workspace_size(fmt, s));
    for (const auto& tp : all)
      for (executor* ex : executors()) {
        CAPTURE(tp.l2_kib);
        CAPTURE(tp.order);
        auto got = nan_tensor<5>(want.dims());
        kernels::kgs::conv3d_kgs(fmt, in.view(), nullptr, got.view(), p, false, *ex, ws.data(), tp);
        expect_equal(got.data(), want.data(), want.size());
      }
  }
  // 1x1 planes of 11 x 11 (a copied tail tile on AVX-512), 7 x 7 (one position, across the
  // filters) and 8 x 8 (a whole-vector tail), through every chunking and order.
  for (const auto& khw :
       std::vector<std::pair<index_t, index_t>>{{1, 11}, {1, 7}, {1, 8}, {3, 11}}) {
    const index_t k = khw.first, hw = khw.second;
    CAPTURE(k);
    CAPTURE(hw);
    const index_t c = 19, f = 17;
    auto w = int_tensor<4>({f, c, k, k}, 23 + k);
    const auto m = sparsity::project_punched(w.data(), sparsity::punched_grid(f, c, k * k), 0.3);
    sparsity::apply_mask(w.data(), m.element_mask());
    const auto fmt = format::build_punched(w.view(), m);
    const conv2d_params p = conv2d_params{}.with_pad(k / 2);
    auto in = int_tensor<4>({1, c, hw, hw}, 24);
    const auto s = make_conv_shape<2>(1, c, {hw, hw}, f, {k, k}, p);
    auto want = nan_tensor<4>({1, f, s.out[0], s.out[1]});
    kernels::dense::conv2d_reference(in.view(), w.view(), nullptr, want.view(), p);
    aligned_buffer<float> ws(kernels::punched::conv2d_punched_workspace_size(fmt, s));
    for (const auto& tp : all)
      for (executor* ex : executors()) {
        auto got = nan_tensor<4>(want.dims());
        kernels::punched::conv2d_punched(fmt, in.view(), nullptr, got.view(), p, {}, *ex, ws.data(),
                                         tp);
        expect_equal(got.data(), want.data(), want.size());
      }
  }
}

TEST_CASE("tune params: spmm / spmv over BCR and BSR, every split and token tile") {
  const index_t n = 40, k = 36;
  auto w = int_tensor<2>({n, k}, 31);
  const auto bcr = format::bcr::from_dense(
      w.view(), sparsity::project_bcr(w.view(), 16, 8, sparsity::block_prune::columns, 0.5), 16, 8);
  const auto bsr =
      format::bsr::from_dense(w.view(), sparsity::project_bsr(w.view(), 16, 4, 0.5), 16, 4);
  for (index_t m : {1, 7, 19}) {
    CAPTURE(m);
    auto x = int_tensor<2>({m, k}, 32 + m);
    auto want_c = nan_tensor<2>({m, n}), want_s = nan_tensor<2>({m, n});
    kernels::spmm::spmm_bcr_reference(bcr, x.view(), want_c.view());
    kernels::spmm::spmm_bsr_reference(bsr, x.view(), want_s.view());
    for (int items : {0, 1, 2, 4})
      for (int half : {0, 1})
        for (executor* ex : executors()) {
          CAPTURE(items);
          CAPTURE(half);
          const tune::spmm_params tp{items, half};
          auto got = nan_tensor<2>({m, n});
          aligned_buffer<float> ws(
              kernels::spmm::spmm_bcr_workspace_size(bcr, m, ex->concurrency()));
          kernels::spmm::spmm_bcr(bcr, x.view(), got.view(), {}, *ex, ws.data(), tp);
          expect_equal(got.data(), want_c.data(), got.size());
          got = nan_tensor<2>({m, n});
          aligned_buffer<float> wb(
              kernels::spmm::spmm_bsr_workspace_size(bsr, m, ex->concurrency()));
          kernels::spmm::spmm_bsr(bsr, x.view(), got.view(), {}, *ex, wb.data(), tp);
          expect_equal(got.data(), want_s.data(), got.size());
          if (m == 1) {
            got = nan_tensor<2>({1, n});
            kernels::spmm::spmv_bcr(bcr, x.data(), got.data(), {}, *ex, tp);
            expect_equal(got.data(), want_c.data(), n);
            got = nan_tensor<2>({1, n});
            kernels::spmm::spmv_bsr(bsr, x.data(), got.data(), {}, *ex, tp);
            expect_equal(got.data(), want_s.data(), n);
          }
        }
  }
}

TEST_CASE("tune params: gemm_dense blocking and split (kc * ncb clamped to the workspace)") {
  for (const auto& mnk :
       std::vector<std::array<index_t, 3>>{{37, 45, 300}, {5, 130, 17}, {70, 9, 600}}) {
    const index_t m = mnk[0], n = mnk[1], k = mnk[2];
    CAPTURE(m);
    CAPTURE(n);
    CAPTURE(k);
    auto a = int_tensor<2>({m, k}, 41), b = int_tensor<2>({k, n}, 42);
    auto want = nan_tensor<2>({m, n});
    kernels::dense::gemm_reference(a.view(), b.view(), want.view());
    for (const tune::gemm_params& tp : std::vector<tune::gemm_params>{{},
                                                                      {16, 1, 1, 0},
                                                                      {128, 16, 4, 1},
                                                                      {2048, 0, 128, 2},
                                                                      {512, 256, 16, 1},
                                                                      {0, 0, 0, 2}})
      for (executor* ex : executors()) {
        CAPTURE(tp.kc);
        CAPTURE(tp.split);
        auto got = nan_tensor<2>({m, n});
        aligned_buffer<float> ws(
            kernels::dense::gemm_dense_workspace_size(m, n, k, ex->concurrency()));
        kernels::dense::gemm_dense(a.view(), b.view(), got.view(), 1.f, 0.f, *ex, ws.data(), tp);
        expect_equal(got.data(), want.data(), got.size());
      }
  }
}

TEST_CASE("tune params: drivers read the active table (nullopt) and the layers' crossover") {
  table_guard guard;
  const std::string& dev = tune::cpu_device();
  // A device-default row that makes gemm_dense split M with tiny blocks: same results.
  tune::set_active_table(
      tune::parse_table("spk-tune-table\t1\n" + dev + "\tgemm_dense\t*\t*\tkc=16,split=2\n" + dev +
                        "\tspmm_bcr/dense\t*\t*\tdense_above_pm=400\n" + dev +
                        "\tconv2d_fkw/dense\t*\t*\tdense_above_pm=400\n"),
      false);
  const index_t m = 9, n = 33, k = 40;
  auto a = int_tensor<2>({m, k}, 51), b = int_tensor<2>({k, n}, 52);
  auto want = nan_tensor<2>({m, n}), got = nan_tensor<2>({m, n});
  kernels::dense::gemm_reference(a.view(), b.view(), want.view());
  kernels::dense::gemm_dense(a.view(), b.view(), got.view());
  expect_equal(got.data(), want.data(), got.size());

  // Linear over BCR: 0.5 >= 0.4 -> the dense path; 0.25 -> sparse; both equal the oracle.
  auto w = int_tensor<2>({n, k}, 53);
  for (double keep : {0.5, 0.25}) {
    CAPTURE(keep);
    const auto f = format::bcr::from_dense(
        w.view(), sparsity::project_bcr(w.view(), 16, 8, sparsity::block_prune::columns, keep), 16,
        8);
    const auto pruned = f.to_dense();
    layers::linear lin{layers::weight(f)};
    CHECK(lin.w().will_run_dense(m) == (f.density() >= 0.4));
    auto y = nan_tensor<2>({m, n}), y_ref = nan_tensor<2>({m, n});
    // oracle: y = x W^T
    const matrix_view<const float> wt(pruned.data(), {k, n}, {1, k});
    kernels::dense::gemm_reference(a.view(), wt, y_ref.view());
    lin.forward(a.view(), y.view());
    expect_equal(y.data(), y_ref.data(), y.size());
  }

  // conv2d layer over FKW at density 4/9 (>= 0.4): dense; forced sparse: the same output.
  const index_t c = 6, fl = 7, hw = 10;
  auto dw = int_tensor<4>({fl, c, 3, 3}, 54);
  auto pruned = dw;
  const auto lib = sparsity::extract_library(dw.view(), sparsity::candidate_library(), 8);
  const auto st = sparsity::project_pattern_connectivity(
      dw.view(), lib, fl * c, sparsity::connectivity_scope::per_layer, pruned.view());
  const conv2d_params p = conv2d_params{}.with_pad(1);
  layers::conv2d conv(format::fkw::build(pruned.view(), st), p,
                      std::vector<float>(std::size_t(fl), 1.f));
  auto in = int_tensor<4>({1, c, hw, hw}, 55);
  auto ref = nan_tensor<4>({1, fl, hw, hw});
  const std::vector<float> ones(std::size_t(fl), 1.f);
  kernels::dense::conv2d_reference(in.view(), pruned.view(), ones.data(), ref.view(), p);
  for (const layers::path_choice pc :
       {layers::path_choice::automatic, layers::path_choice::sparse, layers::path_choice::dense}) {
    conv.set_path(pc);
    CHECK(conv.will_run_dense(in.view()) == (pc != layers::path_choice::sparse));
    auto out = nan_tensor<4>(ref.dims());
    conv.forward(in.view(), out.view());
    expect_equal(out.data(), ref.data(), out.size());
  }
  // No table rows: sparse (today's behaviour).
  tune::set_active_table(tune::table{}, false);
  conv.set_path(layers::path_choice::automatic);
  CHECK_FALSE(conv.will_run_dense(in.view()));
}
