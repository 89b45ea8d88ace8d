// SPDX-License-Identifier: Apache-2.0
// spk-report --backend opencl: the schemes that have OpenCL kernels (pattern, punched, kgs,
// vanilla3d; bcr, bsp, bsr on the GEMM/GEMV layers) run on the OpenCL device against CLBlast
// on the same layer (im2col + GEMM for conv, GEMM / GEMV for FC), interleaved in one process
// (each call = enqueue + clFinish, wall time). The weights are pruned exactly as on the CPU
// backend; every output is read back and checked.
#pragma once

#if defined(SPK_WITH_OPENCL) && defined(SPK_BENCH_HAVE_CLBLAST)
#define SPK_REPORT_HAVE_OPENCL 1

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "report/rows.hpp"
#include "spk/cl/clblast.hpp"
#include "spk/cl/conv2d_fkw.hpp"
#include "spk/cl/conv_kgs.hpp"
#include "spk/cl/memory.hpp"
#include "spk/cl/spmm_block.hpp"

namespace spk_report {

/// The layer's data on the device: input, dense weights, bias and an output per kernel.
struct cl_layer {
  const spk::cl::context& ctx;
  layer_problem& problem;
  ::cl::Buffer input, weights, bias;

  cl_layer(const spk::cl::context& c, layer_problem& p)
      : ctx(c),
        problem(p),
        input(spk::cl::upload(c, p.input(), std::size_t(p.input_size()))),
        weights(spk::cl::upload(c, p.weights(), std::size_t(p.weight_count()))),
        bias(spk::cl::upload(c, p.bias(), p.bias() ? std::size_t(p.layer().F) : 0)) {}

  /// Reads `out` back and compares it with `check` (the reference on the kernel's weights).
  double read_back_error(const ::cl::Buffer& out, const reference_check& check) const {
    std::vector<float> host(std::size_t(problem.output_size()));
    spk::cl::download(ctx, out, host.data(), host.size());
    return check.max_rel_err(host.data());
  }
};

/// A scheme's OpenCL kernel prepared for one layer (as scheme_kernel, without the CPU extras).
struct cl_kernel {
  std::function<void()> run;  ///< enqueue + finish
  double density = 1, nz_flop = 0;
  std::function<double()> max_rel_err;
};

namespace detail {

/// The kernel's own output buffer and reference check, kept alive by the callbacks.
struct cl_state {
  ::cl::Buffer out;
  std::unique_ptr<reference_check> check;
  std::function<void()> enqueue;
};

inline cl_kernel finish_cl_kernel(cl_layer& cl, std::shared_ptr<cl_state> st, const float* pruned,
                                  double density, double nz_flop) {
  st->check = std::make_unique<reference_check>(cl.problem.make_check(pruned));
  cl_kernel k;
  k.density = density, k.nz_flop = nz_flop;
  k.run = [st, &cl] {
    st->enqueue();
    cl.ctx.finish();
  };
  k.max_rel_err = [st, &cl] { return cl.read_back_error(st->out, *st->check); };
  return k;
}

inline cl_kernel prepare_cl_punched(cl_layer& cl, double density) {
  const zoo::layer& l = cl.problem.layer();
  auto w = std::make_shared<punched_weights>(make_punched_weights(cl.problem, density));
  auto dev = std::make_shared<spk::cl::device_punched>(cl.ctx, *w->fmt);
  auto st = std::make_shared<cl_state>();
  st->out = spk::cl::device_buffer<float>(cl.ctx, std::size_t(cl.problem.output_size()));
  const spk::conv2d_params p = l.conv2d_shape().params;
  st->enqueue = [&cl, dev, w, st = st.get(), p, l] {
    spk::cl::conv2d_punched(cl.ctx, *dev, cl.input, l.batch, l.C, {l.in[1], l.in[2]}, &cl.bias,
                            st->out, p);
  };
  return finish_cl_kernel(cl, st, w->pruned.data(), w->fmt->density(),
                          spk::sparsity::conv_nz_flops(l.conv2d_shape(), w->fmt->kept_weights()));
}

inline cl_kernel prepare_cl_kgs(cl_layer& cl, double density, spk::format::kgs_structure kind) {
  const zoo::layer& l = cl.problem.layer();
  auto w = std::make_shared<kgs_weights>(make_kgs_weights(cl.problem, density, kind));
  auto dev = std::make_shared<spk::cl::device_kgs3d>(cl.ctx, *w->fmt);
  auto st = std::make_shared<cl_state>();
  st->out = spk::cl::device_buffer<float>(cl.ctx, std::size_t(cl.problem.output_size()));
  const spk::conv3d_params p = l.conv3d_shape().params;
  st->enqueue = [&cl, dev, w, st = st.get(), p, l] {
    spk::cl::conv3d_kgs(cl.ctx, *dev, cl.input, l.batch, l.C, {l.in[0], l.in[1], l.in[2]}, &cl.bias,
                        st->out, p);
  };
  return finish_cl_kernel(cl, st, w->pruned.data(), w->fmt->density(),
                          spk::sparsity::conv_nz_flops(l.conv3d_shape(), w->fmt->kept_weights()));
}

inline cl_kernel prepare_cl_pattern(cl_layer& cl, double density) {
  const zoo::layer& l = cl.problem.layer();
  auto pl = std::make_shared<pattern_layer>(cl.problem, density);
  auto dev = std::make_shared<spk::cl::device_fkw>(cl.ctx, *pl->w);
  auto st = std::make_shared<cl_state>();
  st->out = spk::cl::device_buffer<float>(cl.ctx, std::size_t(cl.problem.output_size()));
  st->enqueue = [&cl, dev, pl, st = st.get(), l] {
    spk::cl::conv2d_fkw(cl.ctx, *dev, cl.input, {l.batch, l.C, l.in[1], l.in[2]}, &cl.bias, st->out,
                        pl->shape.params);
  };
  return finish_cl_kernel(cl, st, pl->pruned.data(), pl->structure.density(), pl->nz_flop());
}

/// y = x W^T on a GEMM/GEMV layer with W (N x K) in a block format: the device computes
/// y^T = W x^T (K x M in, N x M out; SpMV when M = 1); the check transposes it back.
template <class Format, class Build>
cl_kernel prepare_cl_block(cl_layer& cl, double density, const Build& build) {
  const zoo::layer& l = cl.problem.layer();
  const spk::index_t M = l.M, K = l.K, N = l.N;
  const auto w = block_detail::weights_nk(cl.problem);
  auto fmt = std::make_shared<Format>(build(w, density));
  const auto pruned = block_detail::problem_layout(l, fmt->to_dense());
  using device_t = std::conditional_t<std::is_same_v<Format, spk::format::bcr>, spk::cl::device_bcr,
                                      spk::cl::device_bsr>;
  auto dev = std::make_shared<device_t>(cl.ctx, *fmt);
  std::vector<float> xt(std::size_t(K * M));
  for (spk::index_t m = 0; m < M; ++m)
    for (spk::index_t k = 0; k < K; ++k) xt[std::size_t(k * M + m)] = cl.problem.input()[m * K + k];
  auto xt_dev = std::make_shared<::cl::Buffer>(spk::cl::upload(cl.ctx, xt));
  auto st = std::make_shared<cl_state>();
  st->out = spk::cl::device_buffer<float>(cl.ctx, std::size_t(N * M));
  st->enqueue = [&cl, dev, xt_dev, st = st.get(), M] {
    constexpr bool is_bcr = std::is_same_v<Format, spk::format::bcr>;
    if (M == 1) {
      if constexpr (is_bcr)
        spk::cl::spmv_bcr(cl.ctx, *dev, *xt_dev, nullptr, st->out);
      else
        spk::cl::spmv_bsr(cl.ctx, *dev, *xt_dev, nullptr, st->out);
    } else {
      if constexpr (is_bcr)
        spk::cl::spmm_bcr(cl.ctx, *dev, *xt_dev, std::size_t(M), nullptr, st->out);
      else
        spk::cl::spmm_bsr(cl.ctx, *dev, *xt_dev, std::size_t(M), nullptr, st->out);
    }
  };
  st->check = std::make_unique<reference_check>(cl.problem.make_check(pruned.data()));
  cl_kernel k;
  k.density = fmt->density(), k.nz_flop = 2.0 * double(M) * double(fmt->nnz());
  k.run = [st, &cl] {
    st->enqueue();
    cl.ctx.finish();
  };
  k.max_rel_err = [st, &cl, M, N] {
    std::vector<float> yt(std::size_t(N * M)), y(yt.size());
    spk::cl::download(cl.ctx, st->out, yt.data(), yt.size());
    for (spk::index_t n = 0; n < N; ++n)
      for (spk::index_t m = 0; m < M; ++m) y[std::size_t(m * N + n)] = yt[std::size_t(n * M + m)];
    return st->check->max_rel_err(y.data());
  };
  return k;
}

/// CLBlast GEMM (y = x W, W K x N) or GEMV (y = W x, W N x K) on the dense weights.
inline cl_kernel prepare_cl_dense_gemm(cl_layer& cl) {
  const zoo::layer& l = cl.problem.layer();
  auto st = std::make_shared<cl_state>();
  st->out = spk::cl::device_buffer<float>(cl.ctx, std::size_t(cl.problem.output_size()));
  const std::size_t M = std::size_t(l.M), K = std::size_t(l.K), N = std::size_t(l.N);
  if (l.op == zoo::op_kind::gemv)
    st->enqueue = [&cl, st = st.get(), K, N] {
      spk::cl::gemv_clblast(cl.ctx, N, K, cl.weights, 0, K, cl.input, 0, st->out, 0);
    };
  else
    st->enqueue = [&cl, st = st.get(), M, K, N] {
      spk::cl::gemm_clblast(cl.ctx, M, N, K, cl.input, 0, K, cl.weights, 0, N, st->out, 0, N);
    };
  return finish_cl_kernel(cl, st, nullptr, 1.0, l.dense_flops());
}

/// CLBlast im2col + GEMM (+ bias epilogue) on the dense weights: the baseline.
inline cl_kernel prepare_cl_dense(cl_layer& cl) {
  const zoo::layer& l = cl.problem.layer();
  if (!l.is_conv()) return prepare_cl_dense_gemm(cl);
  auto st = std::make_shared<cl_state>();
  st->out = spk::cl::device_buffer<float>(cl.ctx, std::size_t(cl.problem.output_size()));
  auto ws = std::make_shared<::cl::Buffer>();
  if (l.op == zoo::op_kind::conv3d) {
    const spk::conv3d_shape s = l.conv3d_shape();
    *ws = spk::cl::device_buffer<float>(cl.ctx, spk::cl::conv_dense_workspace_elements(s));
    st->enqueue = [&cl, st = st.get(), s, ws] {
      spk::cl::conv3d_dense_clblast(cl.ctx, cl.weights, cl.input, s, &cl.bias, st->out, {},
                                    ws.get());
    };
  } else {
    const spk::conv2d_shape s = l.conv2d_shape();
    *ws = spk::cl::device_buffer<float>(cl.ctx, spk::cl::conv_dense_workspace_elements(s));
    st->enqueue = [&cl, st = st.get(), s, ws] {
      spk::cl::conv2d_dense_clblast(cl.ctx, cl.weights, cl.input, s, &cl.bias, st->out, {},
                                    ws.get());
    };
  }
  return finish_cl_kernel(cl, st, nullptr, 1.0, l.dense_flops());
}

}  // namespace detail

/// The OpenCL kernel of scheme `s` on the layer, or nothing when the scheme has none there.
inline std::function<cl_kernel(cl_layer&, double)> cl_preparer(const scheme& s,
                                                               const zoo::layer& l) {
  if (!s.supports(l)) return {};
  if (s.name == "pattern") return detail::prepare_cl_pattern;
  if (s.name == "punched") return detail::prepare_cl_punched;
  if (s.name == "kgs" || s.name == "vanilla3d") {
    const auto kind =
        s.name == "kgs" ? spk::format::kgs_structure::kgs : spk::format::kgs_structure::vanilla;
    return [kind](cl_layer& cl, double d) { return detail::prepare_cl_kgs(cl, d, kind); };
  }
  if (s.name == "bcr" || s.name == "bsp") {
    const auto build = s.name == "bcr" ? build_bcr : build_bsp;
    return [build](cl_layer& cl, double d) {
      return detail::prepare_cl_block<spk::format::bcr>(cl, d, build);
    };
  }
  if (s.name == "bsr")
    return [](cl_layer& cl, double d) {
      return detail::prepare_cl_block<spk::format::bsr>(cl, d, build_bsr);
    };
  return {};
}

/// measure_layer's OpenCL twin: rows for every (scheme, density) with an OpenCL kernel on `l`,
/// each timed interleaved with the CLBlast dense baseline.
inline std::vector<row> measure_layer_cl(const zoo::layer& l,
                                         const std::vector<std::pair<const scheme*, double>>& plan,
                                         const run_settings& rs, const spk::cl::context& ctx) {
  struct planned {
    const scheme* s;
    std::function<cl_kernel(cl_layer&, double)> prep;
    double density;
    std::string config;
  };
  std::vector<planned> todo;
  for (const auto& [s, density] : plan) {
    auto prep = cl_preparer(*s, l);
    if (!prep) continue;
    if (!is_layer_default(density))
      todo.push_back({s, prep, density, "uniform"});
    else
      for (const layer_density& d : s->layer_densities(l))
        todo.push_back({s, prep, d.density, d.config});
  }
  if (todo.empty()) return {};
  layer_problem prob(l);
  cl_layer cl(ctx, prob);
  std::vector<spk_bench::candidate> cands;
  std::vector<cl_kernel> kernels;
  kernels.push_back(detail::prepare_cl_dense(cl));
  cands.push_back({"clblast", kernels.back().run});
  for (const planned& p : todo) {
    kernels.push_back(p.prep(cl, p.density));
    cands.push_back({p.s->name, kernels.back().run});
  }
  const auto t = spk_bench::time_interleaved(cands, rs.timing);
  row base = detail::base_row(l, rs.threads);
  base.backend = "opencl";
  base.ms_clblast = t[0].median_ms;
  base.clblast_rel_err = kernels[0].max_rel_err();
  std::vector<row> rows;
  for (std::size_t i = 0; i < todo.size(); ++i) {
    const cl_kernel& k = kernels[i + 1];
    row r = base;
    r.scheme = todo[i].s->name, r.config = todo[i].config;
    r.density = k.density, r.nz_gflop = k.nz_flop * 1e-9;
    r.ms = t[i + 1].median_ms, r.ms_min = t[i + 1].min_ms;
    r.speedup_vs_clblast = r.ms_clblast / r.ms;
    r.dense_gflops = r.dense_gflop / r.ms * 1e3;
    r.nz_gflops = r.nz_gflop / r.ms * 1e3;
    r.max_rel_err = k.max_rel_err();
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace spk_report

#endif
