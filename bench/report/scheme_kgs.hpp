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

/// Everything one prepared kgs kernel owns (shared by the scheme_kernel's callbacks).
struct kgs_state {
  spk::aligned_buffer<float> pruned, out, ws;
  std::unique_ptr<spk::format::kgs3d> fmt;
  std::unique_ptr<reference_check> check;
};

inline scheme_kernel prepare_kgs(const layer_context& ctx, double density, spk::format::kgs_structure st) {
  namespace sp = spk::sparsity;
  const zoo::layer& l = ctx.problem.layer();
  const auto s = l.conv3d_shape();
  const spk::index_t K = s.kernel_volume();
  auto st8 = std::make_shared<kgs_state>();
  kgs_state& k = *st8;
  const spk::index_t nw = ctx.problem.weight_count();
  k.pruned = spk::aligned_buffer<float>(nw);
  std::copy(ctx.problem.weights(), ctx.problem.weights() + nw, k.pruned.data());
  const sp::kgs_grid grid{l.F, l.C, K, 8, 4};
  const sp::kgs_mask m = st == spk::format::kgs_structure::kgs ? sp::project_kgs(k.pruned.data(), grid, density)
                                                               : sp::project_vanilla(k.pruned.data(), grid, density);
  sp::apply_mask(k.pruned.data(), m.element_mask());
  const auto wv = spk::tensor_view<const float, 5>::contiguous(k.pruned.data(),
                                                               {l.F, l.C, s.kernel[0], s.kernel[1], s.kernel[2]});
  k.fmt = std::make_unique<spk::format::kgs3d>(spk::format::kgs3d::build(wv, m, st));
  k.out = spk::aligned_buffer<float>(ctx.problem.output_size(), 0.f);
  k.ws = spk::aligned_buffer<float>(spk::kernels::kgs::conv3d_kgs_workspace_size(*k.fmt, s));
  k.check = std::make_unique<reference_check>(ctx.problem.make_check(k.pruned.data()));
  scheme_kernel r;
  r.density = k.fmt->density();
  r.nz_flop = sp::conv_nz_flops(s, k.fmt->kept_weights());
  const auto vin = spk::make_ncdhw<const float>(ctx.problem.input(), l.batch, l.C, l.in[0], l.in[1], l.in[2]);
  const auto vout = spk::make_ncdhw<float>(k.out.data(), l.batch, l.F, s.out[0], s.out[1], s.out[2]);
  r.run = [st8, vin, vout, p = s.params, b = ctx.problem.bias(), &ex = ctx.ex] {
    spk::kernels::kgs::conv3d_kgs(*st8->fmt, vin, b, vout, p, false, ex, st8->ws.data());
  };
  r.max_rel_err = [st8] { return st8->check->max_rel_err(st8->out.data()); };
  return r;
}

inline scheme kgs_like_scheme(const char* name, const char* summary, spk::format::kgs_structure st) {
  scheme s;
  s.name = name;
  s.summary = summary;
  s.default_densities = {1.0 / 2.5, 1.0 / 3.6};
  s.supports = [](const zoo::layer& l) { return l.op == zoo::op_kind::conv3d && l.groups == 1; };
  s.prepare = [st](const layer_context& ctx, double density) { return prepare_kgs(ctx, density, st); };
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
  return detail::kgs_like_scheme("vanilla3d", "RT3D vanilla: whole 8x4 kernel groups removed: conv3d_kgs",
                                 spk::format::kgs_structure::vanilla);
}

}  // namespace spk_report
