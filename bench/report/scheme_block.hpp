// SPDX-License-Identifier: Apache-2.0
// The block-sparse schemes of spk-report on the GEMM/GEMV layers (GRU, BERT): "bcr" (BLK-REW
// column pruning in 16 x 128 blocks), "bsp" (RTMobile: rows pruned inside 4 column strips),
// "bsr" (16 x 4 blocks) and "csr" (unstructured control). SpMM for M > 1, SpMV for GEMV rows.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "report/scheme.hpp"
#include "spk/kernels/spmm/spmm.hpp"

namespace spk_report {

namespace block_detail {
using spk::index_t;
namespace sp = spk::kernels::spmm;

/// The layer's weights as W (N x K, out x in: the layout of torch.nn.Linear and of the
/// kernels). The problem stores GEMM weights K x N (y = x W) and GEMV weights N x K.
inline spk::tensor<float, 2> weights_nk(const layer_problem& p) {
  const zoo::layer& l = p.layer();
  spk::tensor<float, 2> w({l.N, l.K});
  for (index_t n = 0; n < l.N; ++n)
    for (index_t k = 0; k < l.K; ++k)
      w.data()[n * l.K + k] =
          l.op == zoo::op_kind::gemv ? p.weights()[n * l.K + k] : p.weights()[k * l.N + n];
  return w;
}
/// Pruned weights back in the problem's layout, for the reference check.
inline std::vector<float> problem_layout(const zoo::layer& l, const spk::tensor<float, 2>& wnk) {
  std::vector<float> w(static_cast<std::size_t>(l.N * l.K));
  for (index_t n = 0; n < l.N; ++n)
    for (index_t k = 0; k < l.K; ++k)
      w[l.op == zoo::op_kind::gemv ? n * l.K + k : k * l.N + n] = wnk.data()[n * l.K + k];
  return w;
}

/// Everything a prepared kernel keeps alive.
template <class Format>
struct state {
  Format f;
  spk::aligned_buffer<float> ws, out;
  std::unique_ptr<reference_check> check;
};

template <class Format, class Build>
scheme_kernel prepare(const layer_context& ctx, double density, const Build& build) {
  const zoo::layer& l = ctx.problem.layer();
  const auto w = weights_nk(ctx.problem);
  auto st = std::make_shared<state<Format>>(state<Format>{build(w, density), {}, {}, {}});
  const auto pruned = st->f.to_dense();
  const auto wl = problem_layout(l, pruned);
  st->check = std::make_unique<reference_check>(ctx.problem.make_check(wl.data()));
  st->out = spk::aligned_buffer<float>(l.M * l.N, NAN);
  const int threads = ctx.ex.concurrency();
  const bool gemv = l.op == zoo::op_kind::gemv;
  if constexpr (std::is_same_v<Format, spk::format::bcr>)
    st->ws = spk::aligned_buffer<float>(gemv ? sp::spmv_bcr_workspace_size(st->f, threads)
                                             : sp::spmm_bcr_workspace_size(st->f, l.M, threads));
  else if constexpr (std::is_same_v<Format, spk::format::bsr>)
    st->ws = spk::aligned_buffer<float>(sp::spmm_bsr_workspace_size(st->f, l.M, threads));
  else
    st->ws = spk::aligned_buffer<float>(sp::spmm_csr_workspace_size(st->f, l.M, threads));
  const auto x = spk::make_matrix<const float>(ctx.problem.input(), l.M, l.K);
  const auto y = spk::make_matrix<float>(st->out.data(), l.M, l.N);
  spk::executor* ex = &ctx.ex;
  scheme_kernel k;
  k.density = st->f.density();
  k.nz_flop = 2.0 * double(l.M) * double(st->f.nnz());
  k.run = [st, x, y, ex, gemv] {
    float* ws = st->ws.data();
    if constexpr (std::is_same_v<Format, spk::format::bcr>) {
      if (gemv)
        sp::spmv_bcr(st->f, x.data(), y.data(), {}, *ex, ws);
      else
        sp::spmm_bcr(st->f, x, y, {}, *ex, ws);
    } else if constexpr (std::is_same_v<Format, spk::format::bsr>) {
      if (gemv)
        sp::spmv_bsr(st->f, x.data(), y.data(), {}, *ex);
      else
        sp::spmm_bsr(st->f, x, y, {}, *ex, ws);
    } else {
      if (gemv)
        sp::spmv_csr(st->f, x.data(), y.data(), {}, *ex);
      else
        sp::spmm_csr(st->f, x, y, {}, *ex, ws);
    }
  };
  k.max_rel_err = [st] { return st->check->max_rel_err(st->out.data()); };
  return k;
}

inline scheme make(const char* name, const char* summary,
                   std::function<scheme_kernel(const layer_context&, double)> p) {
  scheme s;
  s.name = name;
  s.summary = summary;
  s.default_densities = {0.5, 0.25, 0.125, 0.1, 0.05};
  s.supports = [](const zoo::layer& l) { return !l.is_conv(); };
  s.prepare = std::move(p);
  return s;
}
}  // namespace block_detail

/// The formats each scheme builds from W (N x K) at kept fraction `keep`; shared by both
/// backends.
inline spk::format::bcr build_bcr(const spk::tensor<float, 2>& w, double keep) {
  const auto m =
      spk::sparsity::project_bcr(w.view(), 16, 128, spk::sparsity::block_prune::columns, keep);
  return spk::format::bcr::from_dense(w.view(), m, 16, 128);
}
inline spk::format::bcr build_bsp(const spk::tensor<float, 2>& w, double keep) {
  const auto m = spk::sparsity::project_bsp(w.view(), 4, keep, 1, 1.0);
  return spk::format::bcr::from_dense(w.view(), m, 256, (w.dim(1) + 3) / 4);
}
inline spk::format::bsr build_bsr(const spk::tensor<float, 2>& w, double keep) {
  const spk::index_t c = w.dim(1) % 4 == 0 ? 4 : 1;  // GRU ih_l0 has K = 153
  return spk::format::bsr::from_dense(w.view(), spk::sparsity::project_bsr(w.view(), 16, c, keep),
                                      16, c);
}
inline spk::format::csr build_csr(const spk::tensor<float, 2>& w, double keep) {
  return spk::format::csr::from_dense(w.view(),
                                      spk::sparsity::project_unstructured(w.view(), keep));
}

/// BLK-REW block-column pruning: 16-row x 128-column blocks, each keeping the same number of
/// whole columns (one 16-row panel per strip, one int32 index per kept column).
inline scheme bcr_scheme() {
  return block_detail::make(
      "bcr", "BLK-REW block-column pruning in 16x128 blocks (format::bcr, spmm/spmv_bcr)",
      [](const layer_context& ctx, double d) {
        return block_detail::prepare<spk::format::bcr>(ctx, d, build_bcr);
      });
}
/// RTMobile BSP, cross = (4, 1): rows pruned inside 4 column strips; stored as BCR with
/// 256-row strips (kept rows scattered inside each strip's segments).
inline scheme bsp_scheme() {
  return block_detail::make(
      "bsp", "RTMobile BSP: rows pruned in 4 column strips (format::bcr, 256-row strips)",
      [](const layer_context& ctx, double d) {
        return block_detail::prepare<spk::format::bcr>(ctx, d, build_bsp);
      });
}
/// Plain BSR with 16 x 4 blocks, the largest-norm blocks kept over the whole matrix.
inline scheme bsr_scheme() {
  return block_detail::make("bsr", "BSR 16x4 blocks, global top-norm (format::bsr, spmm/spmv_bsr)",
                            [](const layer_context& ctx, double d) {
                              return block_detail::prepare<spk::format::bsr>(ctx, d, build_bsr);
                            });
}
/// Unstructured magnitude pruning in CSR: the control every block scheme must beat.
inline scheme csr_scheme() {
  return block_detail::make("csr", "unstructured magnitude pruning (format::csr, spmm/spmv_csr)",
                            [](const layer_context& ctx, double d) {
                              return block_detail::prepare<spk::format::csr>(ctx, d, build_csr);
                            });
}

}  // namespace spk_report
