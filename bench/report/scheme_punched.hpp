// SPDX-License-Identifier: Apache-2.0
// The "punched" scheme (YOLObile block-punched, 8 filters x 4 channels, official score):
// conv2d_punched_plan (the prepared conv2d_punched) on any 2D conv. Without --density, YOLOv4
// layers run at the 8x and 14x per-layer schedules (zoo/prune_configs.hpp; the dense stem is
// skipped) and every other layer at 80% and 90% sparsity. 1x1 stride-1 rows also time XNNPACK's
// sparse NCHW path on the same pruned weights.
#pragma once

#include <memory>

#include "common/xnnpack.hpp"
#include "report/scheme.hpp"
#include "spk/kernels/punched/punched.hpp"
#include "zoo/prune_configs.hpp"

namespace spk_report {

namespace detail {

/// A zoo layer's weights pruned block-punched to `density` (official score, 8 x 4 blocks):
/// the pruned dense weights (the reference's) and their format. Shared by both backends.
struct punched_weights {
  spk::aligned_buffer<float> pruned;
  std::unique_ptr<spk::format::punched> fmt;
};

inline punched_weights make_punched_weights(const layer_problem& prob, double density) {
  namespace sp = spk::sparsity;
  const zoo::layer& l = prob.layer();
  const auto s = l.conv2d_shape();
  punched_weights r;
  const spk::index_t nw = prob.weight_count();
  r.pruned = spk::aligned_buffer<float>(nw);
  std::copy(prob.weights(), prob.weights() + nw, r.pruned.data());
  const auto m =
      sp::project_punched(r.pruned.data(), sp::punched_grid(l.F, l.C, s.kernel_volume()), density);
  sp::apply_mask(r.pruned.data(), m.element_mask());
  r.fmt = std::make_unique<spk::format::punched>(
      spk::format::build_punched(spk::tensor_view<const float, 4>::contiguous(
                                     r.pruned.data(), {l.F, l.C, s.kernel[0], s.kernel[1]}),
                                 m));
  return r;
}

struct punched_state {
  punched_weights w;
  spk::aligned_buffer<float> out, ws, xnn_out;
  std::unique_ptr<reference_check> check;
  std::unique_ptr<spk::kernels::punched::conv2d_punched_plan<>> plan;
#ifdef SPK_BENCH_HAVE_XNNPACK
  std::unique_ptr<spk_bench::xnnpack_sparse_1x1> xnn;
#endif
};

inline bool xnnpack_applies(const zoo::layer& l) {
  return l.batch == 1 && l.kernel[1] == 1 && l.kernel[2] == 1 && l.stride[1] == 1 &&
         l.stride[2] == 1 && l.pad[1] == 0 && l.pad[2] == 0;
}

inline scheme_kernel prepare_punched(const layer_context& ctx, double density) {
  namespace sp = spk::sparsity;
  const zoo::layer& l = ctx.problem.layer();
  const auto s = l.conv2d_shape();
  auto st = std::make_shared<punched_state>();
  st->w = make_punched_weights(ctx.problem, density);
  const spk::format::punched& fmt = *st->w.fmt;
  st->out = spk::aligned_buffer<float>(ctx.problem.output_size(), 0.f);
  // The prepared call: checks, tune lookup and offsets once, as XNNPACK's operator and
  // oneDNN's primitive are made once.
  st->plan = std::make_unique<spk::kernels::punched::conv2d_punched_plan<>>(fmt, s);
  st->ws = spk::aligned_buffer<float>(st->plan->workspace_size());
  st->check = std::make_unique<reference_check>(ctx.problem.make_check(st->w.pruned.data()));
  scheme_kernel r;
  r.density = fmt.density();
  r.nz_flop = sp::conv_nz_flops(s, fmt.kept_weights());
  const auto vin = spk::make_nchw<const float>(ctx.problem.input(), l.batch, l.C, l.in[1], l.in[2]);
  const auto vout = spk::make_nchw<float>(st->out.data(), l.batch, l.F, s.out[0], s.out[1]);
  r.run = [st, vin, vout, b = ctx.problem.bias(), &ex = ctx.ex] {
    st->plan->run(vin, b, vout, ex, st->ws.data());
  };
  r.max_rel_err = [st] { return st->check->max_rel_err(st->out.data()); };
#ifdef SPK_BENCH_HAVE_XNNPACK
  if (xnnpack_applies(l)) {
    st->xnn_out = spk::aligned_buffer<float>(ctx.problem.output_size(), 0.f);
    st->xnn = std::make_unique<spk_bench::xnnpack_sparse_1x1>(
        l.C, l.F, l.in[1], l.in[2], st->w.pruned.data(), ctx.problem.bias(), ctx.problem.input(),
        st->xnn_out.data(), ctx.ex.concurrency());
    r.xnnpack_sparse = [st] { st->xnn->run(); };
  }
#endif
  return r;
}

inline std::vector<layer_density> punched_layer_densities(const zoo::layer& l) {
  using zoo::yolobile_point;
  if (std::string(l.model) != "yolov4") return {{0.2, "s80"}, {0.1, "s90"}};
  std::vector<layer_density> v;
  for (yolobile_point p : {yolobile_point::x8, yolobile_point::x14}) {
    const double ratio = zoo::yolobile_prune_ratio(l, p);
    if (ratio > 0) v.push_back({1.0 - ratio, zoo::to_string(p)});
  }
  return v;
}

}  // namespace detail

/// YOLObile block-punched: per 8x4 block, the same kernel positions kept in all 32 kernels.
inline scheme punched_scheme() {
  scheme s;
  s.name = "punched";
  s.summary =
      "YOLObile block-punched (8 filters x 4 channels share kept positions): conv2d_punched_plan";
  s.default_densities = {0.2, 0.1};
  s.supports = [](const zoo::layer& l) { return l.op == zoo::op_kind::conv2d && l.groups == 1; };
  s.prepare = detail::prepare_punched;
  s.layer_densities = detail::punched_layer_densities;
  return s;
}

}  // namespace spk_report
