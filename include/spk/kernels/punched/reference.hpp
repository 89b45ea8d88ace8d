// SPDX-License-Identifier: Apache-2.0
// Reference block-punched convolution: plain loops over the format's entries with double
// accumulation (the kgs reference loops in 2D). Same signature as conv2d_punched minus the
// executor and workspace; the oracle for the format's own semantics.
#pragma once

#include "spk/format/punched.hpp"
#include "spk/kernels/activation.hpp"
#include "spk/kernels/kgs/reference.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::punched {

/// out = act(conv2d(in, w) + bias); any stride, padding and dilation, groups = 1, any output
/// strides.
inline void conv2d_punched_reference(const format::punched& w, nchw_view<const float> in,
                                     const float* bias, nchw_view<float> out,
                                     const conv2d_params& p = {}, const activation& act = {}) {
  kgs::detail::conv_kgs_reference_loops<2>(w, in, bias, out, p, act, "conv2d_punched_reference");
}

}  // namespace kernels::punched
SPK_END_NAMESPACE
