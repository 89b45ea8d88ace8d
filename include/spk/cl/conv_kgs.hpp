// SPDX-License-Identifier: Apache-2.0
// OpenCL kernel-group-sparse convolution (kernels_cl/conv_kgs.cl): device copies of a kgs<S>
// format (device_punched, device_kgs3d), buffer-level conv2d_punched / conv3d_kgs enqueues with
// the layer baked into the program, and host-memory overloads that mirror the CPU references.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "spk/cl/codegen.hpp"
#include "spk/cl/kernels_generated.hpp"
#include "spk/cl/memory.hpp"
#include "spk/cl/runtime.hpp"
#include "spk/core/config.hpp"
#include "spk/core/conv_shape.hpp"
#include "spk/core/error.hpp"
#include "spk/format/kgs.hpp"
#include "spk/format/punched.hpp"
#include "spk/kernels/activation.hpp"
#include "spk/tune/cl_device.hpp"
#include "spk/tune/classes.hpp"

SPK_BEGIN_NAMESPACE
namespace cl {

/// Work-item tile of conv_kgs (each value set is its own program). One work-item computes the gm
/// filters of a block x vw * nv consecutive flattened output positions, tiles_per_item times.
/// vw = 1 leaves vectorisation to PoCL (across the local0 work-items of a group in dim 0).
/// Measured on PoCL (2 threads, AVX-512): explicit float16 beats PoCL's implicit vectorisation
/// (vw = 1, local0 = 16) by 4-8x; nv = 3 (24 accumulators at gm = 8) >= nv = 2 > nv = 4 (spills);
/// tiles_per_item and local0 change little.
struct conv_kgs_cl_params {
  int vw = 16;             ///< lanes per vector: 1, 4, 8 or 16
  int nv = 0;              ///< vectors per work-item, 1..8; 0 = max(1, min(3, 24 / gm))
  int tiles_per_item = 1;  ///< consecutive tiles one work-item walks, in [1, 64]
  int local0 = 1;          ///< work-group size in dim 0, in [1, 256]
};

/// Device copy of a kgs<S> format (uploaded once): the gm weights per entry, the entry ranges per
/// filter block, and per input geometry (cached) each entry's input offset. Cheap to copy: copies
/// share the device buffers and the per-geometry caches.
template <int S>
class device_kgs {
 public:
  device_kgs(const context& ctx, const format::kgs<S>& w)
      : ctx_(ctx), st_(std::make_shared<state>()) {
    const char* where = "spk::cl::device_kgs";
    const auto& g = w.grid();
    require(w.entries() * g.gm <= 0x7fffffff, where, "weights (entries * gm)", w.entries() * g.gm,
            "at most 2^31 - 1 (32-bit kernel indices)", errc::unsupported);
    filters_ = g.filters, channels_ = g.channels, gm_ = g.gm, blocks_ = g.filter_blocks();
    entries_ = w.entries(), kernel_ = w.kernel(), kept_ = w.kept_weights();
    std::vector<std::int32_t> ptr(w.entry_ptr().begin(), w.entry_ptr().end());
    values_ = upload(ctx, w.values(), std::size_t(entries_ * gm_));
    entry_ptr_ = upload(ctx, ptr);
    channel_ = w.entry_channel(), location_ = w.entry_location();
  }

  const context& ctx() const noexcept { return ctx_; }
  index_t filters() const noexcept { return filters_; }
  index_t channels() const noexcept { return channels_; }
  index_t gm() const noexcept { return gm_; }
  index_t filter_blocks() const noexcept { return blocks_; }
  index_t entries() const noexcept { return entries_; }
  index_t kept_weights() const noexcept { return kept_; }
  const std::array<index_t, S>& kernel() const noexcept { return kernel_; }
  /// entries * gm floats: values[e * gm + m] (0 for padding filters).
  const ::cl::Buffer& values() const noexcept { return values_; }
  /// filter_blocks + 1 int32: block i owns entries entry_ptr[i] .. entry_ptr[i + 1].
  const ::cl::Buffer& entry_ptr() const noexcept { return entry_ptr_; }

  /// int32 input offset per entry: channel * channel_stride + tap_offset[location]; built on
  /// first use of this geometry and kept.
  ::cl::Buffer entry_offsets(index_t channel_stride, const std::vector<index_t>& tap_offset) const {
    std::vector<index_t> key(tap_offset);
    key.push_back(channel_stride);
    std::lock_guard<std::mutex> lock(st_->mutex);
    auto it = st_->offsets.find(key);
    if (it != st_->offsets.end()) return it->second;
    std::vector<std::int32_t> off(static_cast<std::size_t>(entries_));
    for (std::size_t e = 0; e < off.size(); ++e)
      off[e] = std::int32_t(channel_[e] * channel_stride + tap_offset[location_[e]]);
    ::cl::Buffer b = upload(ctx_, off);
    st_->offsets.emplace(std::move(key), b);
    return b;
  }

  /// The pack kernel's target, shared by copies of these weights (see scratch_buffer).
  const scratch_buffer& scratch() const noexcept { return st_->scratch; }

 private:
  struct state {
    std::mutex mutex;
    scratch_buffer scratch;
    std::map<std::vector<index_t>, ::cl::Buffer> offsets;
  };
  context ctx_;
  std::shared_ptr<state> st_;
  index_t filters_ = 0, channels_ = 0, gm_ = 0, blocks_ = 0, entries_ = 0, kept_ = 0;
  std::array<index_t, S> kernel_{};
  ::cl::Buffer values_, entry_ptr_;
  std::vector<std::int32_t> channel_;
  std::vector<std::uint16_t> location_;
};

using device_punched = device_kgs<2>;
using device_kgs3d = device_kgs<3>;

/// {N, F, out spatial...} of a conv of an N x C x `in` input with `w`; raises spk::error on
/// every bad combination (as make_conv_shape).
template <int S>
std::array<index_t, S + 2> conv_kgs_output_dims(const device_kgs<S>& w, index_t batch,
                                                const std::array<index_t, S>& in,
                                                const conv_params<S>& p) {
  const conv_shape<S> s =
      make_conv_shape<S>(batch, w.channels(), in, w.filters(), w.kernel(), p, "spk::cl::conv_kgs");
  std::array<index_t, S + 2> d{};
  d[0] = s.batch, d[1] = s.out_channels;
  for (int i = 0; i < S; ++i) d[i + 2] = s.out[i];
  return d;
}

namespace detail {

using kgs_dims3 = std::array<index_t, 3>;

inline index_t kgs_prod3(const kgs_dims3& d) { return d[0] * d[1] * d[2]; }

/// The layout the conv kernel reads (see conv_kgs.cl) and the defines that bake it in.
struct kgs_plan {
  bool packed = false;
  int nv = 1;  ///< vectors per work-item (params.nv resolved)
  index_t depth = 1, plane = 0, in_nstride = 0, zstep = 0, run = 0, tile = 0, ntiles = 0;
  std::size_t packed_floats = 0;  ///< N * C * plane + slack
  std::vector<index_t> tap_offset;
  define_list defines;
};

template <int S>
kgs_plan make_kgs_plan(const conv_shape<S>& s, const device_kgs<S>& w,
                       const kernels::activation& act, bool has_bias, const conv_kgs_cl_params& tp,
                       const char* where) {
  kgs_dims3 in{1, 1, 1}, out{1, 1, 1}, k{1, 1, 1}, st{1, 1, 1}, pb{0, 0, 0}, pe{0, 0, 0},
      dil{1, 1, 1};
  for (int d = 0; d < S; ++d) {
    const int t = d + 3 - S;
    in[t] = s.in[d], out[t] = s.out[d], k[t] = s.kernel[d], st[t] = s.params.stride[d];
    pb[t] = s.params.pad_begin[d], pe[t] = s.params.pad_end[d], dil[t] = s.params.dilation[d];
  }
  kgs_plan pl;
  pl.depth = out[0];
  pl.nv = tp.nv != 0 ? tp.nv : int(std::max<index_t>(1, std::min<index_t>(3, 24 / w.gm())));
  pl.tile = index_t(tp.vw) * pl.nv;
  const bool no_pad = pb == kgs_dims3{0, 0, 0} && pe == kgs_dims3{0, 0, 0};
  const index_t direct_run = (out[1] - 1) * in[2] + out[2];
  pl.packed = !(no_pad && st[1] == 1 && st[2] == 1 && direct_run >= pl.tile);
  kgs_dims3 q = in;  // extents of one stride phase of the padded input
  index_t phases = 1;
  if (pl.packed)
    for (int d = 0; d < 3; ++d) {
      q[d] = (in[d] + pb[d] + pe[d] + st[d] - 1) / st[d];
      phases *= st[d];
    }
  const index_t phase = q[0] * q[1] * q[2];
  pl.plane = checked_mul(phases, phase, "packed plane");
  require(checked_mul(s.in_channels, pl.plane, "input image") <= 0x7fffffff, where,
          "input (C x plane)", s.in_channels * pl.plane, "at most 2^31 - 1 floats per image",
          errc::unsupported);
  require(checked_mul(w.gm(), kgs_prod3(out), "output") <= 0x7fffffff, where, "output (gm x plane)",
          w.gm() * kgs_prod3(out), "at most 2^31 - 1 floats", errc::unsupported);
  pl.in_nstride = s.in_channels * pl.plane;
  pl.zstep = pl.packed ? q[1] * q[2] : st[0] * q[1] * q[2];
  pl.run = (out[1] - 1) * q[2] + out[2];
  pl.ntiles = (pl.run + pl.tile - 1) / pl.tile;
  const index_t slack = pl.run < pl.tile ? pl.tile + 16 : 0;
  pl.packed_floats = std::size_t(s.batch * pl.in_nstride + slack);
  // Tap offsets: dilated tap u -> phase (u % stride), shift u / stride (st = 1 when direct).
  const index_t K = k[0] * k[1] * k[2];
  pl.tap_offset.resize(std::size_t(K));
  for (index_t t = 0; t < K; ++t) {
    kgs_dims3 u{t / (k[1] * k[2]) * dil[0], t / k[2] % k[1] * dil[1], t % k[2] * dil[2]};
    kgs_dims3 ss = pl.packed ? st : kgs_dims3{1, 1, 1};
    const index_t ph = ((u[0] % ss[0]) * ss[1] + u[1] % ss[1]) * ss[2] + u[2] % ss[2];
    pl.tap_offset[std::size_t(t)] =
        ph * phase + (u[0] / ss[0]) * q[1] * q[2] + (u[1] / ss[1]) * q[2] + u[2] / ss[2];
  }
  auto num = [](index_t v) { return std::to_string(v); };
  pl.defines = {{"GM", num(w.gm())},
                {"F", num(w.filters())},
                {"OD", num(out[0])},
                {"OH", num(out[1])},
                {"OW", num(out[2])},
                {"WQ", num(q[2])},
                {"ZSTEP", num(pl.zstep)},
                {"IN_NSTRIDE", num(pl.in_nstride)},
                {"HAS_BIAS", has_bias ? "1" : "0"},
                {"VW", std::to_string(tp.vw)},
                {"NV", std::to_string(pl.nv)},
                {"TPI", std::to_string(tp.tiles_per_item)}};
  for (auto& def : activation_defines(act)) pl.defines.push_back(std::move(def));
  if (pl.packed) {
    const define_list pack = {{"ID", num(in[0])}, {"IH", num(in[1])}, {"IW", num(in[2])},
                              {"PD", num(pb[0])}, {"PH", num(pb[1])}, {"PW", num(pb[2])},
                              {"SD", num(st[0])}, {"SH", num(st[1])}, {"SW", num(st[2])},
                              {"DQ", num(q[0])},  {"HQ", num(q[1])},  {"PLANE", num(pl.plane)}};
    pl.defines.insert(pl.defines.end(), pack.begin(), pack.end());
  }
  return pl;
}

/// The tile a call runs with: `given` when set, else the active tune table's row for this
/// device and layer (kernel cl_conv2d_punched / cl_conv3d_kgs, shape tune::kgs_class, density
/// class of the kept weights), its zero fields keeping conv_kgs_cl_params' defaults.
template <int S>
conv_kgs_cl_params resolve_kgs_params(const context& ctx, const device_kgs<S>& w,
                                      const conv_shape<S>& s,
                                      const std::optional<conv_kgs_cl_params>& given) {
  if (given) return *given;
  index_t kvol = 1;
  for (int d = 0; d < S; ++d) kvol *= w.kernel()[d];
  const double dense = double(w.filters() * w.channels() * kvol);
  const tune::cl_kgs_params t = tune::cl_params_for<tune::cl_kgs_params>(
      tune::cl_ids_of(ctx.device()), S == 2 ? "cl_conv2d_punched" : "cl_conv3d_kgs",
      [&] { return tune::kgs_class<S>(s); },
      tune::density_class(dense > 0 ? double(w.kept_weights()) / dense : 1.0));
  conv_kgs_cl_params p;
  if (t.vw) p.vw = t.vw;
  if (t.nv) p.nv = t.nv;
  if (t.tiles_per_item) p.tiles_per_item = t.tiles_per_item;
  if (t.local0) p.local0 = t.local0;
  return p;
}

template <int S>
::cl::Event conv_kgs_enqueue(const context& ctx, const device_kgs<S>& w, const ::cl::Buffer& in,
                             index_t batch, index_t channels, const std::array<index_t, S>& in_dims,
                             const ::cl::Buffer* bias, const ::cl::Buffer& out,
                             const conv_params<S>& p, const kernels::activation& act,
                             const std::optional<conv_kgs_cl_params>& tile, const char* where) {
  require(w.ctx().get()() == ctx.get()(), where, "ctx", "another context",
          "the context the weights were uploaded to");
  require(channels == w.channels(), where, "C", channels,
          "the weights' channels (" + std::to_string(w.channels()) + ")", errc::shape_mismatch);
  require(p.groups == 1, where, "groups", p.groups, "1", errc::unsupported);
  kernels::check_activation(act, where);
  const conv_shape<S> s =
      make_conv_shape<S>(batch, channels, in_dims, w.filters(), w.kernel(), p, where);
  const conv_kgs_cl_params tp = resolve_kgs_params<S>(ctx, w, s, tile);
  require(tp.vw == 1 || tp.vw == 4 || tp.vw == 8 || tp.vw == 16, where, "params.vw", tp.vw,
          "1, 4, 8 or 16");
  require(tp.nv >= 0 && tp.nv <= 8, where, "params.nv", tp.nv, "in [0, 8] (0 = automatic)");
  require(tp.tiles_per_item >= 1 && tp.tiles_per_item <= 64, where, "params.tiles_per_item",
          tp.tiles_per_item, "in [1, 64]");
  require(tp.local0 >= 1 && tp.local0 <= 256, where, "params.local0", tp.local0, "in [1, 256]");
  require_elements<float>(in, std::size_t(batch * channels * s.in_volume()), where, "input");
  require_elements<float>(out, std::size_t(batch * s.out_channels * s.out_volume()), where,
                          "output");
  if (bias != nullptr) require_elements<float>(*bias, std::size_t(s.out_channels), where, "bias");
  const kgs_plan pl = make_kgs_plan<S>(s, w, act, bias != nullptr, tp, where);

  static const std::string source = kernel_source("conv_kgs");
  ::cl::Program program = get_program(ctx, source, pl.defines);
  const ::cl::Buffer offsets = w.entry_offsets(pl.plane, pl.tap_offset);
  std::lock_guard<std::mutex> lock(w.scratch().mutex());
  return translate("enqueueing conv_kgs", [&] {
    const ::cl::Buffer* src = &in;
    if (pl.packed) {
      src = &w.scratch().get(ctx, pl.packed_floats * sizeof(float));
      ::cl::Kernel pack(program, "pack_kgs");
      pack.setArg(0, in);
      pack.setArg(1, *src);
      ctx.queue().enqueueNDRangeKernel(
          pack, ::cl::NullRange, ::cl::NDRange(std::size_t(batch * channels)), ::cl::NDRange(1));
    }
    ::cl::Kernel conv(program, "conv_kgs");
    conv.setArg(0, *src);
    conv.setArg(1, w.entry_ptr());
    conv.setArg(2, offsets);
    conv.setArg(3, w.values());
    conv.setArg(4, bias != nullptr ? *bias : w.values());  // unread without HAS_BIAS
    conv.setArg(5, out);
    const std::size_t l0 = std::size_t(tp.local0);
    const std::size_t groups = std::size_t((pl.ntiles + tp.tiles_per_item - 1) / tp.tiles_per_item);
    const std::size_t g0 = (groups + l0 - 1) / l0 * l0;
    ::cl::Event ev;
    ctx.queue().enqueueNDRangeKernel(
        conv, ::cl::NullRange,
        ::cl::NDRange(g0, std::size_t(w.filter_blocks()), std::size_t(batch * pl.depth)),
        ::cl::NDRange(l0, 1, 1), nullptr, &ev);
    return ev;
  });
}

/// Host-memory path: uploads `in` (any strides), runs, reads back into `out` (any strides).
template <int S>
void conv_kgs_host(const context& ctx, const device_kgs<S>& w,
                   const tensor_view<const float, S + 2>& in, const float* bias,
                   const tensor_view<float, S + 2>& out, const conv_params<S>& p,
                   const kernels::activation& act, const std::optional<conv_kgs_cl_params>& tp,
                   const char* where) {
  const conv_shape<S> s = check_conv_activations<S>(in, w.filters(), w.kernel(), out, p, where);
  std::array<index_t, S> in_dims{};
  for (int d = 0; d < S; ++d) in_dims[d] = s.in[d];
  const ::cl::Buffer bin = upload(ctx, detail::pack<S + 2>(in));
  ::cl::Buffer bbias;
  if (bias != nullptr) bbias = upload(ctx, bias, std::size_t(s.out_channels));
  const std::size_t n_out = std::size_t(out.size());
  const ::cl::Buffer bout = device_buffer<float>(ctx, n_out);
  const ::cl::Event ev = conv_kgs_enqueue<S>(ctx, w, bin, s.batch, s.in_channels, in_dims,
                                             bias ? &bbias : nullptr, bout, p, act, tp, where);
  std::vector<float> res(n_out);
  download(ctx, bout, res.data(), n_out, &ev);
  detail::unpack<S + 2>(res, out);
}

}  // namespace detail

/// Tile params (`tile`, every overload below): an explicit conv_kgs_cl_params is used as given;
/// std::nullopt (the default) looks the layer up in the active tune table (spk/tune/active.hpp;
/// kernels cl_conv2d_punched / cl_conv3d_kgs, device tune::cl_ids_of(ctx.device())) and falls
/// back to conv_kgs_cl_params{} without a row.
/// Enqueues out = act(conv2d(in, w) + bias) on ctx.queue() and returns the conv kernel's event.
/// in: N x C x in_hw[0] x in_hw[1] floats, NCHW contiguous; bias: F floats or nullptr; out:
/// conv_kgs_output_dims floats, NCHW contiguous. Any stride, padding and dilation; groups = 1.
/// Padded or strided layers first enqueue a packing kernel into a scratch buffer owned by `w`
/// (same in-order queue, so the returned event completes after both).
inline ::cl::Event conv2d_punched(const context& ctx, const device_punched& w,
                                  const ::cl::Buffer& in, index_t batch, index_t channels,
                                  const std::array<index_t, 2>& in_hw, const ::cl::Buffer* bias,
                                  const ::cl::Buffer& out, const conv2d_params& p = {},
                                  const kernels::activation& act = {},
                                  std::optional<conv_kgs_cl_params> tile = std::nullopt) {
  return detail::conv_kgs_enqueue<2>(ctx, w, in, batch, channels, in_hw, bias, out, p, act, tile,
                                     "spk::cl::conv2d_punched");
}

/// conv3d_kgs on NCDHW buffers: as conv2d_punched with in_dhw = {D, H, W}.
inline ::cl::Event conv3d_kgs(const context& ctx, const device_kgs3d& w, const ::cl::Buffer& in,
                              index_t batch, index_t channels, const std::array<index_t, 3>& in_dhw,
                              const ::cl::Buffer* bias, const ::cl::Buffer& out,
                              const conv3d_params& p = {}, const kernels::activation& act = {},
                              std::optional<conv_kgs_cl_params> tile = std::nullopt) {
  return detail::conv_kgs_enqueue<3>(ctx, w, in, batch, channels, in_dhw, bias, out, p, act, tile,
                                     "spk::cl::conv3d_kgs");
}

/// {N, F, OH, OW} of conv2d_punched.
inline std::array<index_t, 4> conv2d_punched_output_dims(const device_punched& w, index_t batch,
                                                         const std::array<index_t, 2>& in_hw,
                                                         const conv2d_params& p = {}) {
  return conv_kgs_output_dims<2>(w, batch, in_hw, p);
}

/// {N, F, OD, OH, OW} of conv3d_kgs.
inline std::array<index_t, 5> conv3d_kgs_output_dims(const device_kgs3d& w, index_t batch,
                                                     const std::array<index_t, 3>& in_dhw,
                                                     const conv3d_params& p = {}) {
  return conv_kgs_output_dims<3>(w, batch, in_dhw, p);
}

/// Host-memory conv2d_punched (the views of kernels::punched::conv2d_punched_reference, any
/// strides): uploads, runs, reads back; blocking.
inline void conv2d_punched(const context& ctx, const device_punched& w, nchw_view<const float> in,
                           const float* bias, nchw_view<float> out, const conv2d_params& p = {},
                           const kernels::activation& act = {},
                           std::optional<conv_kgs_cl_params> tile = std::nullopt) {
  detail::conv_kgs_host<2>(ctx, w, in, bias, out, p, act, tile, "spk::cl::conv2d_punched");
}

/// As above, uploading the format first (use device_punched to upload once for many calls).
inline void conv2d_punched(const context& ctx, const format::punched& w, nchw_view<const float> in,
                           const float* bias, nchw_view<float> out, const conv2d_params& p = {},
                           const kernels::activation& act = {},
                           std::optional<conv_kgs_cl_params> tile = std::nullopt) {
  conv2d_punched(ctx, device_punched(ctx, w), in, bias, out, p, act, tile);
}

/// Host-memory conv3d_kgs (the views of kernels::kgs::conv3d_kgs_reference; any activation).
inline void conv3d_kgs(const context& ctx, const device_kgs3d& w, ncdhw_view<const float> in,
                       const float* bias, ncdhw_view<float> out, const conv3d_params& p = {},
                       const kernels::activation& act = {},
                       std::optional<conv_kgs_cl_params> tile = std::nullopt) {
  detail::conv_kgs_host<3>(ctx, w, in, bias, out, p, act, tile, "spk::cl::conv3d_kgs");
}

/// As above, uploading the format first.
inline void conv3d_kgs(const context& ctx, const format::kgs3d& w, ncdhw_view<const float> in,
                       const float* bias, ncdhw_view<float> out, const conv3d_params& p = {},
                       const kernels::activation& act = {},
                       std::optional<conv_kgs_cl_params> tile = std::nullopt) {
  conv3d_kgs(ctx, device_kgs3d(ctx, w), in, bias, out, p, act, tile);
}

}  // namespace cl
SPK_END_NAMESPACE
