// SPDX-License-Identifier: Apache-2.0
// The "kgs" and "vanilla3d" schemes (RT3D kernel-group sparsity, 8 filters x 4 channels): the
// layer's weights pruned by RT3D's official score to the requested density, built into the KGS
// format and run by conv3d_kgs. Default densities are RT3D's FLOP-reduction points 2.5x, 3.6x.
#pragma once

#include <memory>

#include "report/scheme.hpp"
#include "spk/kernels/kgs/kgs.hpp"

namespace spk_report {

namespace detail {

/// A zoo conv3d layer's weights pruned by RT3D's official score to `density` (8 x 4 groups):
/// the pruned dense weights (the reference's) and their KGS format. Shared by both backends.
struct kgs_weights {
  spk::aligned_buffer<float> pruned;
  std::unique_ptr<spk::format::kgs3d> fmt;
};

inline kgs_weights make_kgs_weights(const layer_problem& prob, double density,
                                    spk::format::kgs_structure st) {
  namespace sp = spk::sparsity;
  const zoo::layer& l = prob.layer();
  const auto s = l.conv3d_shape();
  kgs_weights r;
  const spk::index_t nw = prob.weight_count();
  r.pruned = spk::aligned_buffer<float>(nw);
  std::copy(prob.weights(), prob.weights() + nw, r.pruned.data());
  const sp::kgs_grid grid{l.F, l.C, s.kernel_volume(), 8, 4};
  const sp::kgs_mask m = st == spk::format::kgs_structure::kgs
                             ? sp::project_kgs(r.pruned.data(), grid, density)
                             : sp::project_vanilla(r.pruned.data(), grid, density);
  sp::apply_mask(r.pruned.data(), m.element_mask());
  const auto wv = spk::tensor_view<const float, 5>::contiguous(
      r.pruned.data(), {l.F, l.C, s.kernel[0], s.kernel[1], s.kernel[2]});
  r.fmt = std::make_unique<spk::format::kgs3d>(spk::format::kgs3d::build(wv, m, st));
  return r;
}

/// Everything one prepared kgs kernel owns (shared by the scheme_kernel's callbacks).
struct kgs_state {
  kgs_weights w;
  spk::aligned_buffer<float> out, ws;
  std::unique_ptr<reference_check> check;
};

inline scheme_kernel prepare_kgs(const layer_context& ctx, double density,
                                 spk::format::kgs_structure st) {
  namespace sp = spk::sparsity;
  const zoo::layer& l = ctx.problem.layer();
  const auto s = l.conv3d_shape();
  auto k = std::make_shared<kgs_state>();
  k->w = make_kgs_weights(ctx.problem, density, st);
  const spk::format::kgs3d& fmt = *k->w.fmt;
  k->out = spk::aligned_buffer<float>(ctx.problem.output_size(), 0.f);
  k->ws = spk::aligned_buffer<float>(spk::kernels::kgs::conv3d_kgs_workspace_size(fmt, s));
  k->check = std::make_unique<reference_check>(ctx.problem.make_check(k->w.pruned.data()));
  scheme_kernel r;
  r.density = fmt.density();
  r.nz_flop = sp::conv_nz_flops(s, fmt.kept_weights());
  const auto vin =
      spk::make_ncdhw<const float>(ctx.problem.input(), l.batch, l.C, l.in[0], l.in[1], l.in[2]);
  const auto vout =
      spk::make_ncdhw<float>(k->out.data(), l.batch, l.F, s.out[0], s.out[1], s.out[2]);
  r.run = [k, vin, vout, p = s.params, b = ctx.problem.bias(), &ex = ctx.ex] {
    spk::kernels::kgs::conv3d_kgs(*k->w.fmt, vin, b, vout, p, false, ex, k->ws.data());
  };
  r.max_rel_err = [k] { return k->check->max_rel_err(k->out.data()); };
  return r;
}

inline scheme kgs_like_scheme(const char* name, const char* summary,
                              spk::format::kgs_structure st) {
  scheme s;
  s.name = name;
  s.summary = summary;
  s.default_densities = {1.0 / 2.5, 1.0 / 3.6};
  s.supports = [](const zoo::layer& l) { return l.op == zoo::op_kind::conv3d && l.groups == 1; };
  s.prepare = [st](const layer_context& ctx, double density) {
    return prepare_kgs(ctx, density, st);
  };
  return s;
}

}  // namespace detail

/// RT3D KGS: per 8x4 kernel group, the same kernel locations kept in all 32 kernels.
inline scheme kgs_scheme() {
  return detail::kgs_like_scheme(
      "kgs", "RT3D kernel-group sparsity (8 filters x 4 channels share kept locations): conv3d_kgs",
      spk::format::kgs_structure::kgs);
}

/// RT3D vanilla: whole 8x4 kernel groups kept or removed (block sparsity), same kernel.
inline scheme vanilla3d_scheme() {
  return detail::kgs_like_scheme("vanilla3d",
                                 "RT3D vanilla: whole 8x4 kernel groups removed: conv3d_kgs",
                                 spk::format::kgs_structure::vanilla);
}

}  // namespace spk_report
