// SPDX-License-Identifier: Apache-2.0
// Convolution geometry shared by every conv kernel family: parameters (stride, asymmetric
// padding, dilation, groups) for S spatial dims (S = 2: H, W; S = 3: D, H, W), the validated
// problem shape with its output extents and FLOP count, and view/shape agreement checks.
#pragma once

#include <array>
#include <string>

#include "spk/core/tensor.hpp"

SPK_BEGIN_NAMESPACE

template <int S>
struct conv_params {
  using dims_type = std::array<index_t, S>;
  dims_type stride;
  dims_type pad_begin;  ///< top (and front) padding
  dims_type pad_end;    ///< bottom (and back) padding
  dims_type dilation;
  index_t groups = 1;

  conv_params() noexcept { stride.fill(1), pad_begin.fill(0), pad_end.fill(0), dilation.fill(1); }
  conv_params& with_stride(index_t s) noexcept { return stride.fill(s), *this; }
  conv_params& with_stride(const dims_type& s) noexcept { return stride = s, *this; }
  /// Same padding on both sides of every spatial dim.
  conv_params& with_pad(index_t p) noexcept { return pad_begin.fill(p), pad_end.fill(p), *this; }
  conv_params& with_pad(const dims_type& begin, const dims_type& end) noexcept {
    return pad_begin = begin, pad_end = end, *this;
  }
  conv_params& with_dilation(index_t d) noexcept { return dilation.fill(d), *this; }
  conv_params& with_dilation(const dims_type& d) noexcept { return dilation = d, *this; }
  conv_params& with_groups(index_t g) noexcept { return groups = g, *this; }
};
using conv2d_params = conv_params<2>;
using conv3d_params = conv_params<3>;

/// A validated convolution problem: input N x C x spatial, weights F x (C/groups) x kernel,
/// output N x F x out. Build it with make_conv_shape, which rejects every bad combination.
template <int S>
struct conv_shape {
  using dims_type = std::array<index_t, S>;
  index_t batch = 0, in_channels = 0, out_channels = 0;
  dims_type in{}, kernel{}, out{};
  conv_params<S> params;

  index_t in_channels_per_group() const noexcept { return in_channels / params.groups; }
  index_t out_channels_per_group() const noexcept { return out_channels / params.groups; }
  index_t kernel_volume() const noexcept { return prod(kernel); }
  index_t out_volume() const noexcept { return prod(out); }
  index_t in_volume() const noexcept { return prod(in); }
  /// Dense weight count F * (C/g) * prod(kernel).
  index_t weight_count() const noexcept {
    return out_channels * in_channels_per_group() * kernel_volume();
  }
  /// Dense multiply-adds x 2.
  double dense_flops() const noexcept {
    return 2.0 * double(batch) * double(weight_count()) * double(out_volume());
  }

 private:
  static index_t prod(const dims_type& d) noexcept {
    index_t p = 1;
    for (index_t x : d) p *= x;
    return p;
  }
};
using conv2d_shape = conv_shape<2>;
using conv3d_shape = conv_shape<3>;

namespace detail {
inline std::string dim_name(const char* base, int s, int S) {
  static const char* names3[] = {"d", "h", "w"};
  return std::string(base) + "_" + names3[s + 3 - S];
}
}  // namespace detail

/// Validates and completes a conv problem. `where` names the calling function in messages.
template <int S>
conv_shape<S> make_conv_shape(index_t batch, index_t in_channels, const std::array<index_t, S>& in,
                              index_t out_channels, const std::array<index_t, S>& kernel,
                              const conv_params<S>& p, const char* where = "conv") {
  conv_shape<S> s;
  require(batch >= 1, where, "batch", batch, ">= 1");
  require(in_channels >= 1, where, "in_channels", in_channels, ">= 1");
  require(out_channels >= 1, where, "out_channels", out_channels, ">= 1");
  require(p.groups >= 1, where, "groups", p.groups, ">= 1");
  require(in_channels % p.groups == 0, where, "groups", p.groups,
          [&] { return "a divisor of in_channels (" + std::to_string(in_channels) + ")"; });
  require(out_channels % p.groups == 0, where, "groups", p.groups,
          [&] { return "a divisor of out_channels (" + std::to_string(out_channels) + ")"; });
  for (int d = 0; d < S; ++d) {
    const auto name = [d](const char* base) {
      return [=] { return detail::dim_name(base, d, S); };
    };
    require(in[d] >= 1, where, name("in"), in[d], ">= 1");
    require(kernel[d] >= 1, where, name("kernel"), kernel[d], ">= 1");
    require(p.stride[d] >= 1, where, name("stride"), p.stride[d], ">= 1");
    require(p.dilation[d] >= 1, where, name("dilation"), p.dilation[d], ">= 1");
    require(p.pad_begin[d] >= 0, where, name("pad_begin"), p.pad_begin[d], ">= 0");
    require(p.pad_end[d] >= 0, where, name("pad_end"), p.pad_end[d], ">= 0");
    const index_t span = checked_add(checked_mul(kernel[d] - 1, p.dilation[d], "dilated kernel"), 1,
                                     "dilated kernel");
    const index_t padded = checked_add(checked_add(in[d], p.pad_begin[d], "padded input"),
                                       p.pad_end[d], "padded input");
    require(span <= padded, where, name("kernel"), kernel[d], [&] {
      return "a dilated extent (" + std::to_string(span) + ") <= padded input (" +
             std::to_string(padded) + ")";
    });
    s.out[d] = (padded - span) / p.stride[d] + 1;
  }
  s.batch = batch, s.in_channels = in_channels, s.out_channels = out_channels;
  s.in = in, s.kernel = kernel, s.params = p;
  // Every tensor of the problem must be addressable.
  std::array<index_t, S + 2> tin{}, tout{}, tw{};
  tin[0] = batch, tin[1] = in_channels, tout[0] = batch, tout[1] = out_channels;
  tw[0] = out_channels, tw[1] = in_channels / p.groups;
  for (int d = 0; d < S; ++d) tin[d + 2] = in[d], tout[d + 2] = s.out[d], tw[d + 2] = kernel[d];
  checked_product(tin.begin(), tin.end(), "input element count");
  checked_product(tout.begin(), tout.end(), "output element count");
  checked_product(tw.begin(), tw.end(), "weight element count");
  return s;
}

/// Extents joined by 'x' ("1x8x6x6"), for error messages.
template <std::size_t R>
std::string dims_string(const std::array<index_t, R>& dims) {
  std::string r;
  for (std::size_t k = 0; k < R; ++k) r += (k ? "x" : "") + std::to_string(dims[k]);
  return r;
}

/// Checks that an activation view has the dims {n, c, spatial...}; raises shape_mismatch.
template <class T, int R>
void require_dims(const tensor_view<T, R>& v,
                  const typename tensor_view<T, R>::extents_type& expected, const char* where,
                  const char* arg) {
  for (int d = 0; d < R; ++d)
    if (v.dim(d) != expected[d]) {
      typename tensor_view<T, R>::extents_type got{};
      for (int k = 0; k < R; ++k) got[k] = v.dim(k);
      raise_arg(errc::shape_mismatch, where, arg, dims_string(got),
                "dims " + dims_string(expected));
    }
}

/// The activations of problem `s`: input and output dims, non-null data.
template <int S>
void require_conv_tensors(const conv_shape<S>& s, const tensor_view<const float, S + 2>& input,
                          const tensor_view<float, S + 2>& output, const char* where) {
  std::array<index_t, S + 2> want_in{}, want_out{};
  want_in[0] = want_out[0] = s.batch, want_in[1] = s.in_channels, want_out[1] = s.out_channels;
  for (int d = 0; d < S; ++d) want_in[d + 2] = s.in[d], want_out[d + 2] = s.out[d];
  require_dims(input, want_in, where, "input");
  require_dims(output, want_out, where, "output");
  // Views built through unchecked() may be non-empty with a null pointer.
  require(input.data() != nullptr, where, "input", "nullptr", "a non-null data pointer");
  require(output.data() != nullptr, where, "output", "nullptr", "a non-null data pointer");
}

/// Validates the activations of an S-dim conv call whose weights have `out_channels` filters of
/// extent `kernel` (dense or any compressed format): builds the shape from the input dims,
/// checks the output dims and non-null data. Every conv kernel family starts with this.
template <int S>
conv_shape<S> check_conv_activations(const tensor_view<const float, S + 2>& input,
                                     index_t out_channels, const std::array<index_t, S>& kernel,
                                     const tensor_view<float, S + 2>& output,
                                     const conv_params<S>& p, const char* where) {
  std::array<index_t, S> in{};
  for (int d = 0; d < S; ++d) in[d] = input.dim(d + 2);
  const conv_shape<S> s =
      make_conv_shape<S>(input.dim(0), input.dim(1), in, out_channels, kernel, p, where);
  require_conv_tensors(s, input, output, where);
  return s;
}

/// check_conv_activations for dense weights F x C/g x kernel, plus the weights' own dims.
template <int S>
conv_shape<S> check_conv_dense(const tensor_view<const float, S + 2>& input,
                               const tensor_view<const float, S + 2>& weights,
                               const tensor_view<float, S + 2>& output, const conv_params<S>& p,
                               const char* where) {
  std::array<index_t, S> kernel{};
  for (int d = 0; d < S; ++d) kernel[d] = weights.dim(d + 2);
  const conv_shape<S> s =
      check_conv_activations<S>(input, weights.dim(0), kernel, output, p, where);
  std::array<index_t, S + 2> want_w{};
  want_w[0] = s.out_channels, want_w[1] = s.in_channels_per_group();
  for (int d = 0; d < S; ++d) want_w[d + 2] = s.kernel[d];
  require_dims(weights, want_w, where, "weights");
  require(weights.data() != nullptr, where, "weights", "nullptr", "a non-null data pointer");
  return s;
}

SPK_END_NAMESPACE
