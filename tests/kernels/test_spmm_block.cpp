// SPDX-License-Identifier: Apache-2.0
// Block-sparse and CSR SpMM / SpMV (spk::kernels::spmm) against the reference loops, with
// small-integer data (exact sums) around token-panel, 16-row-panel and vector boundaries, at
// densities 0, tiny, 0.5 and 1, with every fused epilogue. Compiled once per ISA.
#include <string>
#include <vector>

#include "harness.hpp"
#include "spk/kernels/spmm/spmm.hpp"

using namespace spk;
using namespace spk::kernels::spmm;
using sparsity::block_prune;
using spk_test::int_tensor;
using spk_test::executors;
using spk_test::nan_tensor;

namespace {

/// Runs the optimised SpMM and SpMV of `f` against the reference; integer data: exact.
template <class Format, class Spmm, class Spmv>
void check_format(const Format& f, index_t m, activation act, bool bias, bool residual, Spmm spmm,
                  Spmv spmv, bool threaded = true) {
  const index_t n = f.rows(), k = f.cols();
  CAPTURE(m);
  CAPTURE(n);
  CAPTURE(k);
  CAPTURE(bias);
  CAPTURE(residual);
  auto x = int_tensor<2>({m, k}, 20);
  auto b = int_tensor<1>({n}, 21);
  auto res = int_tensor<2>({m, n + 2}, 22);
  epilogue e;
  e.act = act;
  if (bias) e.bias = b.data();
  if (residual) e.residual = res.data(), e.ldr = n + 2;
  auto want = nan_tensor<2>({m, n});
  spk::kernels::spmm::detail::spmm_reference_loops(f, x.view(), want.view(), e, "test");
  const bool exact = act != activation::gelu;
  auto check = [&](const float* got, const float* ref, index_t cnt) {
    auto r =
        exact ? spk_test::compare(got, ref, cnt) : spk_test::compare(got, ref, cnt, 1e-5, 1e-5);
    CHECK_MESSAGE(r.mismatches == 0, r.str());
  };
  // The threaded executors (3 threads on a 2-vCPU machine: uneven splits, but each call costs
  // a scheduler time slice) run on one token count per shape, the serial one on all.
  static serial_executor serial;
  for (executor* ex : threaded ? executors() : std::vector<executor*>{&serial}) {
    CAPTURE(ex->concurrency());
    auto got = nan_tensor<2>({m, n});
    spmm(f, x.view(), got.view(), e, *ex);
    check(got.data(), want.data(), m * n);
    // SpMV on token 0 (residual row 0).
    auto y = nan_tensor<1>({n});
    spmv(f, x.data(), y.data(), e, *ex);
    check(y.data(), want.data(), n);
  }
}

const auto spmm_bcr_fn = [](const format::bcr& f, auto x, auto y, const epilogue& e, executor& ex) {
  spmm_bcr(f, x, y, e, ex);
};
const auto spmv_bcr_fn = [](const format::bcr& f, const float* x, float* y, const epilogue& e,
                            executor& ex) { spmv_bcr(f, x, y, e, ex); };
const auto spmm_bsr_fn = [](const format::bsr& f, auto x, auto y, const epilogue& e, executor& ex) {
  spmm_bsr(f, x, y, e, ex);
};
const auto spmv_bsr_fn = [](const format::bsr& f, const float* x, float* y, const epilogue& e,
                            executor& ex) { spmv_bsr(f, x, y, e, ex); };
const auto spmm_csr_fn = [](const format::csr& f, auto x, auto y, const epilogue& e, executor& ex) {
  spmm_csr(f, x, y, e, ex);
};
const auto spmv_csr_fn = [](const format::csr& f, const float* x, float* y, const epilogue& e,
                            executor& ex) { spmv_csr(f, x, y, e, ex); };
}  // namespace

TEST_CASE("spmm_bcr / spmv_bcr: column pruning in blocks, shape and density sweep") {
  for (index_t n : {1, 7, 17, 33})
    for (index_t k : {1, 17, 33})
      for (double keep : {0.0, 0.1, 0.5, 1.0})
        for (index_t bh : {16, 5}) {
          auto w = int_tensor<2>({n, k}, 23);
          const auto mask = sparsity::project_bcr(w.view(), bh, 8, block_prune::columns, keep);
          const auto f = format::bcr::from_dense(w.view(), mask, bh, 8);
          for (index_t m : {1, 17, 33})
            check_format(f, m, activation::none, false, false, spmm_bcr_fn, spmv_bcr_fn, m == 33);
        }
}

TEST_CASE("spmm_bcr / spmv_bcr: row pruning and BSP (scattered kept rows)") {
  for (index_t n : {17, 70})
    for (index_t k : {9, 33})
      for (double keep : {0.1, 0.5, 1.0}) {
        auto w = int_tensor<2>({n, k}, 24);
        const auto rm = sparsity::project_bcr(w.view(), 32, 8, block_prune::rows, keep);
        check_format(format::bcr::from_dense(w.view(), rm, 32, 8), 19, activation::none, true,
                     false, spmm_bcr_fn, spmv_bcr_fn);
        const auto bm = sparsity::project_bsp(w.view(), 3, keep, 2, 0.5);
        const index_t bh = (n + 1) / 2, bw = (k + 2) / 3;
        check_format(format::bcr::from_dense(w.view(), bm, bh, bw), 7, activation::relu, true, true,
                     spmm_bcr_fn, spmv_bcr_fn);
      }
}

TEST_CASE("spmm_bsr / spmv_bsr sweep") {
  for (index_t n : {1, 15, 16, 17, 40})
    for (auto rc :
         std::vector<std::pair<index_t, index_t>>{{16, 1}, {16, 4}, {4, 4}, {32, 2}, {3, 5}})
      for (double keep : {0.0, 0.1, 0.5, 1.0}) {
        const index_t k = rc.second * 7;
        auto w = int_tensor<2>({n, k}, 25);
        const auto f = format::bsr::from_dense(
            w.view(), sparsity::project_bsr(w.view(), rc.first, rc.second, keep), rc.first,
            rc.second);
        for (index_t m : {1, 17})
          check_format(f, m, activation::none, keep > 0.3, false, spmm_bsr_fn, spmv_bsr_fn,
                       m == 17);
      }
}

TEST_CASE("spmm_csr / spmv_csr sweep") {
  for (index_t n : {1, 7, 17, 33})
    for (index_t k : {1, 16, 33})
      for (double keep : {0.0, 0.05, 0.5, 1.0}) {
        auto w = int_tensor<2>({n, k}, 26);
        const auto f =
            format::csr::from_dense(w.view(), sparsity::project_unstructured(w.view(), keep));
        for (index_t m : {1, 33, 65})
          check_format(f, m, activation::none, true, false, spmm_csr_fn, spmv_csr_fn, m == 65);
      }
}

TEST_CASE("fused epilogues: bias + GELU, bias + residual, ReLU on every format") {
  auto w = int_tensor<2>({50, 24}, 27);
  const auto fb = format::bcr::from_dense(
      w.view(), sparsity::project_bcr(w.view(), 16, 8, block_prune::columns, 0.5), 16, 8);
  const auto fs =
      format::bsr::from_dense(w.view(), sparsity::project_bsr(w.view(), 16, 4, 0.5), 16, 4);
  const auto fc = format::csr::from_dense(w.view(), sparsity::project_unstructured(w.view(), 0.5));
  for (activation act : {activation::none, activation::relu, activation::gelu})
    for (bool res : {false, true}) {
      check_format(fb, 21, act, true, res, spmm_bcr_fn, spmv_bcr_fn);
      check_format(fs, 21, act, true, res, spmm_bsr_fn, spmv_bsr_fn);
      check_format(fc, 21, act, true, res, spmm_csr_fn, spmv_csr_fn);
    }
}

TEST_CASE("sparse kernels reject mismatched shapes") {
  auto w = int_tensor<2>({8, 8}, 28);
  const auto f = format::bcr::from_dense(w.view(), sparsity::mask2d(8, 8, 1), 8, 8);
  auto x = int_tensor<2>({3, 7}, 29);
  auto y = nan_tensor<2>({3, 8});
  SPK_CHECK_ERROR(spmm_bcr(f, x.view(), y.view()), errc::shape_mismatch, "x.cols");
  auto x2 = int_tensor<2>({3, 8}, 29);
  auto y2 = nan_tensor<2>({2, 8});
  SPK_CHECK_ERROR(spmm_bcr(f, x2.view(), y2.view()), errc::shape_mismatch, "y.dims");
}
