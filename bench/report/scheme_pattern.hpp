// SPDX-License-Identifier: Apache-2.0
// The "pattern" scheme (PatDNN): 3x3 conv2d layers pruned to a top-8 pattern library (4 of 9,
// centre kept) plus connectivity pruning, stored as FKW and run by conv2d_fkw. Density 4/9 =
// patterns only; lower densities drop kernels (1/8 = PatDNN's 2.25x * 3.6x).
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>

#include "report/scheme.hpp"
#include "spk/format/fkw.hpp"
#include "spk/kernels/fkw/fkw.hpp"
#include "spk/sparsity/connectivity.hpp"

namespace spk_report {

/// One zoo layer pruned to patterns + connectivity at a target density, built as FKW with the
/// given options, with workspace and output: run() is the timed call (no allocation).
struct pattern_layer {
  spk::sparsity::pattern_structure structure;
  spk::aligned_buffer<float> pruned;  ///< dense pruned weights (the reference's weights)
  std::unique_ptr<spk::format::fkw> w;
  spk::aligned_buffer<float> workspace, out;
  spk::conv2d_shape shape;
  spk::kernels::fkw::fkw_conv_options kopt;

  /// density >= 4/9: every kernel keeps 4 taps; below: round(density * 9/4 * F*C)
  /// kernels are kept (the exact pattern + connectivity projection, per layer).
  pattern_layer(const layer_problem& p, double density, spk::format::fkw_options fopt = {},
                spk::kernels::fkw::fkw_conv_options ko = {})
      : shape(p.layer().conv2d_shape()), kopt(ko) {
    namespace sp = spk::sparsity;
    const zoo::layer& l = p.layer();
    const auto wv = spk::tensor_view<const float, 4>::contiguous(
        p.weights(), {l.F, l.C, l.kernel[1], l.kernel[2]});
    const auto lib = sp::extract_library(wv, sp::candidate_library(), 8);
    const spk::index_t kernels = l.F * l.C;
    const spk::index_t keep = std::clamp<spk::index_t>(
        spk::index_t(std::llround(density * 9.0 / 4.0 * double(kernels))), 1, kernels);
    pruned = spk::aligned_buffer<float>(p.weight_count());
    const auto pv = spk::tensor_view<float, 4>::contiguous(pruned.data(), wv.dims());
    structure =
        sp::project_pattern_connectivity(wv, lib, keep, sp::connectivity_scope::per_layer, pv);
    w = std::make_unique<spk::format::fkw>(spk::format::fkw::build(pv, structure, fopt));
    workspace = spk::aligned_buffer<float>(spk::kernels::fkw::conv2d_fkw_workspace_size(*w, shape));
    out = spk::aligned_buffer<float>(p.output_size(), NAN);
  }
  void run(const layer_problem& p, spk::executor& ex) {
    const zoo::layer& l = p.layer();
    spk::kernels::fkw::conv2d_fkw(
        spk::make_nchw<const float>(p.input(), l.batch, l.C, l.in[1], l.in[2]), *w, p.bias(),
        spk::make_nchw<float>(out.data(), l.batch, l.F, shape.out[0], shape.out[1]), shape.params,
        kopt, ex, workspace.data());
  }
  double nz_flop() const { return spk::sparsity::nz_flops(structure, shape); }
};

/// 3x3 conv2d layers without groups (the shape PatDNN patterns are defined for).
inline bool pattern_supports(const zoo::layer& l) {
  return l.op == zoo::op_kind::conv2d && l.groups == 1 && l.kernel[1] == 3 && l.kernel[2] == 3;
}

inline scheme pattern_scheme() {
  scheme s;
  s.name = "pattern";
  s.summary = "PatDNN pattern (top-8 library, 4 of 9) + connectivity, FKW, conv2d_fkw (3x3 conv)";
  s.default_densities = {4.0 / 9.0, 1.0 / 8.0};
  s.supports = pattern_supports;
  s.prepare = [](const layer_context& ctx, double density) {
    auto pl = std::make_shared<pattern_layer>(ctx.problem, density);
    auto check = std::make_shared<reference_check>(ctx.problem.make_check(pl->pruned.data()));
    scheme_kernel k;
    k.run = [pl, &ctx] { pl->run(ctx.problem, ctx.ex); };
    k.density = pl->structure.density();
    k.nz_flop = pl->nz_flop();
    k.max_rel_err = [pl, check] { return check->max_rel_err(pl->out.data()); };
    return k;
  };
  return s;
}

}  // namespace spk_report
