// SPDX-License-Identifier: Apache-2.0
// Reference kernel-group-sparse convolution: plain loops over the format's entries, double
// accumulation. Same signature as conv3d_kgs (minus executor and workspace); the oracle that
// checks the format's own semantics (the dense conv oracle checks it through to_dense()).
#pragma once

#include <algorithm>
#include <array>

#include "spk/core/conv_shape.hpp"
#include "spk/format/kgs.hpp"
#include "spk/kernels/activation.hpp"

SPK_BEGIN_NAMESPACE
namespace kernels::kgs {

namespace detail {

template <std::size_t S>
bool next_out(std::array<index_t, S>& idx, const std::array<index_t, S>& ext) {
  for (int d = int(S) - 1; d >= 0; --d) {
    if (++idx[d] < ext[d]) return true;
    idx[d] = 0;
  }
  return false;
}

template <int S>
void conv_kgs_reference_loops(const format::kgs<S>& w, const tensor_view<const float, S + 2>& in,
                              const float* bias, const tensor_view<float, S + 2>& out,
                              const conv_params<S>& p, const activation& act, const char* where) {
  const conv_shape<S> s = check_conv_activations<S>(in, w.filters(), w.kernel(), out, p, where);
  require(w.channels() == s.in_channels, where, "input", s.in_channels,
          "C == the weights' channels (" + std::to_string(w.channels()) + ")",
          errc::shape_mismatch);
  require(p.groups == 1, where, "groups", p.groups, "1", errc::unsupported);
  const auto& grid = w.grid();
  const index_t gm = grid.gm;
  for (index_t n = 0; n < s.batch; ++n)
    for (index_t f = 0; f < s.out_channels; ++f) {
      const index_t i = f / gm, m = f % gm;
      std::array<index_t, S> o{};
      do {
        double acc = bias ? bias[f] : 0.0;
        for (index_t e = w.entry_ptr()[std::size_t(i)]; e < w.entry_ptr()[std::size_t(i + 1)];
             ++e) {
          index_t k = w.entry_location()[std::size_t(e)];
          index_t off = n * in.stride(0) + w.entry_channel()[std::size_t(e)] * in.stride(1);
          bool inside = true;
          for (int d = S - 1; d >= 0; --d) {
            const index_t kd = k % s.kernel[d];
            k /= s.kernel[d];
            const index_t x = o[d] * p.stride[d] - p.pad_begin[d] + kd * p.dilation[d];
            inside = inside && x >= 0 && x < s.in[d];
            off += x * in.stride(d + 2);
          }
          if (inside) acc += double(w.values()[e * gm + m]) * double(in.data()[off]);
        }
        acc = apply_ref(act, acc);
        index_t oo = n * out.stride(0) + f * out.stride(1);
        for (int d = 0; d < S; ++d) oo += o[d] * out.stride(d + 2);
        out.data()[oo] = static_cast<float>(acc);
      } while (next_out(o, s.out));
    }
}

}  // namespace detail

/// Reference conv3d on KGS / vanilla weights: out = act(conv(in, w) + bias), act = ReLU when
/// `relu`; any stride, padding and dilation, groups = 1; any output strides.
inline void conv3d_kgs_reference(const format::kgs3d& w, ncdhw_view<const float> in,
                                 const float* bias, ncdhw_view<float> out,
                                 const conv3d_params& p = {}, bool relu = false) {
  detail::conv_kgs_reference_loops<3>(w, in, bias, out, p, activation::from_relu(relu),
                                      "conv3d_kgs_reference");
}

}  // namespace kernels::kgs
SPK_END_NAMESPACE
