// SPDX-License-Identifier: Apache-2.0
// The #define text every kernel family's code generator shares: exact float literals and the
// activation (ACT = the act_kind number: 0 none, 1 relu, 2 leaky relu with slope ACT_ALPHA,
// 3 mish), so one activation set means the same on every OpenCL kernel.
#pragma once

#include <cstdio>
#include <string>

#include "spk/cl/runtime.hpp"
#include "spk/core/config.hpp"
#include "spk/kernels/activation.hpp"

SPK_BEGIN_NAMESPACE
namespace cl {

/// C99 hex-float literal with an f suffix: the exact float in OpenCL C source.
inline std::string float_literal(float v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%af", double(v));
  return buf;
}

/// {ACT, ACT_ALPHA} for `act`; ACT_ALPHA only for leaky ReLU (the .cl default is 0.1f), so the
/// other activations share one program whatever their unused alpha.
inline define_list activation_defines(const kernels::activation& act) {
  define_list d{{"ACT", std::to_string(static_cast<int>(act.kind))}};
  if (act.kind == kernels::act_kind::leaky_relu)
    d.push_back({"ACT_ALPHA", float_literal(act.alpha)});
  return d;
}

}  // namespace cl
SPK_END_NAMESPACE
