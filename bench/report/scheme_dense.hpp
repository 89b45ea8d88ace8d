// SPDX-License-Identifier: Apache-2.0
// The "dense" scheme: no pruning; its kernel is spk's own dense path (im2col + packed GEMM,
// packed GEMM/GEMV), i.e. the spk_dense baseline every other scheme is also compared with.
#pragma once

#include "report/scheme.hpp"

namespace spk_report {

inline scheme dense_scheme() {
  scheme s;
  s.name = "dense";
  s.summary = "no pruning: spk's dense kernels (conv2d/conv3d_dense, gemm_dense)";
  s.default_densities = {1.0};
  s.takes_density = false;
  s.supports = [](const zoo::layer&) { return true; };
  s.prepare = [](const layer_context& ctx, double) {
    scheme_kernel k;
    k.is_spk_dense = true;
    k.density = 1.0;
    k.nz_flop = ctx.problem.layer().dense_flops();
    k.max_rel_err = [&ctx] { return ctx.dense_check.max_rel_err(ctx.problem.output()); };
    return k;
  };
  return s;
}

}  // namespace spk_report
