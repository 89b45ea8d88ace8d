// SPDX-License-Identifier: Apache-2.0
// OpenCL pattern + connectivity sparse conv2d on FKW weights (kernels_cl/conv2d_fkw.cl): the
// device copy of an FKW layer, the per-layer code generator (#defines: geometry, pattern tap
// macros, segment bounds), the buffer-level enqueue and a host-memory convenience overload.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "spk/cl/codegen.hpp"
#include "spk/cl/kernels_generated.hpp"
#include "spk/cl/memory.hpp"
#include "spk/cl/runtime.hpp"
#include "spk/core/conv_shape.hpp"
#include "spk/format/fkw.hpp"
#include "spk/kernels/activation.hpp"
#include "spk/tune/cl_device.hpp"
#include "spk/tune/classes.hpp"

SPK_BEGIN_NAMESPACE
namespace cl {

/// Tile choices (the tuner's knobs; each distinct choice is its own program). A work-item
/// computes `rows` output rows x `vec_width` consecutive output columns of one filter.
/// Measured on PoCL (2 threads, VGG-16 / ResNet-50 3x3 at density 1/8): 16 x 4 fastest on
/// planes >= 14 wide (up to 2x over 16 x 1), 8 x 4 on 7x7 (2.3x over 16 x 4); 1 (PoCL's
/// implicit work-item vectorisation instead of explicit vectors) is ~10x slower.
/// Every conv2d_fkw overload takes std::optional<conv2d_fkw_tiles>: explicit tiles are used as
/// given; std::nullopt (the default) looks the layer up in the active tune table (kernel
/// cl_conv2d_fkw, device tune::cl_ids_of(ctx.device())), falling back to conv2d_fkw_tiles{}.
struct conv2d_fkw_tiles {
  int vec_width = 0;    ///< 1, 2, 4, 8, 16 (float vector over columns); 0: chosen from OW
  int rows = 0;         ///< 1..4 output rows per work-item (row-level LRE); 0: default (4)
  int local_size = 64;  ///< work-items per group (fixed: PoCL compiles once per local size)
  /// Segment tables of at most this many entries (filters * (P + 1)) are baked into the program
  /// as a __constant array; larger ones are read from a buffer.
  index_t max_baked_segments = 16384;
};

/// An FKW layer uploaded once: per stored filter its kernel slots grouped by pattern (a layer
/// built without kernel reorder is regrouped here; the sums are the same), NPAT + 1 absolute
/// segment bounds per filter, the channel of every slot, NNZ weights per slot, the filter
/// reorder. Holds the format-level #defines; the layer geometry is added per call.
class device_fkw {
 public:
  using i32 = std::int32_t;

  device_fkw(const context& ctx, const format::fkw& w)
      : ctx_(ctx.get()()),
        filters_(w.filters()),
        channels_(w.channels()),
        lib_(w.library()),
        kernels_(w.kernels()) {
    const index_t P = lib_.size(), nz = lib_.nnz();
    std::vector<i32> index, reorder(w.reorder());
    std::vector<float> weight;
    index.reserve(std::size_t(w.kernels()));
    weight.reserve(w.weight().size());
    seg_.reserve(std::size_t(filters_ * (P + 1)));
    for (index_t i = 0; i < filters_; ++i) {
      // Runs of pattern p, in storage order (one per pattern when kernel-sorted).
      std::vector<std::vector<std::array<index_t, 2>>> runs(static_cast<std::size_t>(P));
      w.for_each_run(i, [&](index_t p, index_t b, index_t e) {
        runs[std::size_t(p)].push_back({b, e});
      });
      for (index_t p = 0; p < P; ++p) {
        seg_.push_back(i32(index.size()));
        for (const auto& r : runs[std::size_t(p)])
          for (index_t k = r[0]; k < r[1]; ++k) {
            index.push_back(w.index()[std::size_t(k)]);
            weight.insert(weight.end(), w.weight().begin() + k * nz,
                          w.weight().begin() + (k + 1) * nz);
          }
      }
      seg_.push_back(i32(index.size()));  // the filter's end (= the next filter's start)
    }
    index_ = upload(ctx, index);
    weight_ = upload(ctx, weight);
    seg_buf_ = upload(ctx, seg_);
    reorder_ = upload(ctx, reorder);
  }

  index_t filters() const noexcept { return filters_; }
  index_t channels() const noexcept { return channels_; }
  index_t kh() const noexcept { return lib_.kh(); }
  index_t kw() const noexcept { return lib_.kw(); }
  index_t kernels() const noexcept { return kernels_; }
  const sparsity::pattern_library& library() const noexcept { return lib_; }
  /// Host copy of the segment bounds (filters * (P + 1) absolute slots).
  const std::vector<i32>& segments() const noexcept { return seg_; }
  const ::cl::Buffer& index_buffer() const noexcept { return index_; }
  const ::cl::Buffer& weight_buffer() const noexcept { return weight_; }
  const ::cl::Buffer& segment_buffer() const noexcept { return seg_buf_; }
  const ::cl::Buffer& reorder_buffer() const noexcept { return reorder_; }
  /// The context the buffers live in.
  cl_context context_handle() const noexcept { return ctx_; }
  /// The padded input the pack kernel writes, shared by copies of this layer.
  const scratch_buffer& scratch() const noexcept { return scratch_; }

  /// The segment table as a C initializer "{0,3,...}" (built on first use).
  const std::string& segment_initializer() const {
    if (seg_text_.empty()) {
      seg_text_ = "{";
      for (std::size_t k = 0; k < seg_.size(); ++k)
        seg_text_ += (k ? "," : "") + std::to_string(seg_[k]);
      seg_text_ += "}";
    }
    return seg_text_;
  }

 private:
  cl_context ctx_;
  index_t filters_, channels_;
  sparsity::pattern_library lib_;
  index_t kernels_;
  std::vector<i32> seg_;
  mutable std::string seg_text_;
  ::cl::Buffer index_, weight_, seg_buf_, reorder_;
  scratch_buffer scratch_;
};

/// Output dims {N, F, OH, OW} of conv2d_fkw on input dims {N, C, H, W}; raises like the call.
inline std::array<index_t, 4> conv2d_fkw_output_dims(const device_fkw& w,
                                                     const std::array<index_t, 4>& in_dims,
                                                     const conv2d_params& p = {}) {
  const char* where = "spk::cl::conv2d_fkw";
  require(p.groups == 1, where, "groups", p.groups, "1 (FKW layers are not grouped)",
          errc::unsupported);
  if (in_dims[1] != w.channels())
    raise_arg(errc::shape_mismatch, where, "input", in_dims[1],
              "channels == the fkw's channels (" + std::to_string(w.channels()) + ")");
  const conv2d_shape s = make_conv_shape<2>(in_dims[0], in_dims[1], {in_dims[2], in_dims[3]},
                                            w.filters(), {w.kh(), w.kw()}, p, where);
  return {s.batch, s.out_channels, s.out[0], s.out[1]};
}

namespace detail {

/// Vector width from the output width: the widest of 16/8/4 that keeps >= 85% of its lanes
/// busy, else the one wasting least (7 -> 8, 14 -> 16, 17 -> 4).
inline int fkw_auto_vec_width(index_t ow) {
  int best = 16;
  double best_eff = 0;
  for (int v : {16, 8, 4}) {
    const double eff = double(ow) / double((ow + v - 1) / v * v);
    if (eff >= 0.85) return v;
    if (eff > best_eff + 1e-9) best = v, best_eff = eff;
  }
  return best;
}

/// Packed-input geometry and tiles of one call (see the layout comment in conv2d_fkw.cl).
struct fkw_plan {
  conv2d_shape s;
  int vw = 16, rh = 2, local = 64;
  index_t owt = 0, oht = 0, jp = 0, hpk = 0, plane = 0;
  index_t tiles() const { return s.batch * oht * s.out_channels * owt; }
};

inline fkw_plan make_fkw_plan(const conv2d_shape& s, const conv2d_fkw_tiles& t, const char* where) {
  require(t.vec_width == 0 || t.vec_width == 1 || t.vec_width == 2 || t.vec_width == 4 ||
              t.vec_width == 8 || t.vec_width == 16,
          where, "tiles.vec_width", t.vec_width, "0 (auto), 1, 2, 4, 8 or 16");
  require(t.rows >= 0 && t.rows <= 4, where, "tiles.rows", t.rows, "0 (auto) .. 4");
  require(t.local_size >= 1 && t.local_size <= 4096, where, "tiles.local_size", t.local_size,
          "1..4096");
  fkw_plan pl;
  pl.s = s;
  pl.vw = t.vec_width ? t.vec_width : fkw_auto_vec_width(s.out[1]);
  pl.rh = t.rows ? t.rows : 4;
  pl.local = t.local_size;
  const auto& p = s.params;
  pl.owt = (s.out[1] + pl.vw - 1) / pl.vw;
  pl.oht = (s.out[0] + pl.rh - 1) / pl.rh;
  pl.jp = pl.owt * pl.vw + (s.kernel[1] - 1) * p.dilation[1] / p.stride[1];
  pl.hpk = (pl.oht * pl.rh - 1) * p.stride[0] + (s.kernel[0] - 1) * p.dilation[0] + 1;
  pl.plane = p.stride[1] * pl.hpk * pl.jp;
  // The kernels index with int: every buffer they address must stay below 2^31 elements.
  const index_t lim = std::numeric_limits<std::int32_t>::max();
  const index_t packed =
      checked_mul(checked_mul(s.batch, s.in_channels, "packed input"), pl.plane, "packed input");
  require(packed < lim, where, "input", packed, "a packed input of < 2^31 floats", errc::overflow);
  const index_t outn = s.batch * s.out_channels * s.out[0] * s.out[1];
  require(outn < lim && pl.tiles() < lim, where, "output", outn, "< 2^31 elements", errc::overflow);
  return pl;
}

/// PAT_<p> for pattern `bits`: loads each distinct input vector the pattern's taps touch over
/// the tile's rows once, then one FMA per (tap, row). Offsets are relative to the tile's
/// top-left in the kernel's channel plane.
inline std::string fkw_pattern_macro(sparsity::pattern_bits bits, index_t kw, const fkw_plan& pl) {
  const auto& p = pl.s.params;
  const auto pos = sparsity::pattern_positions(bits);
  std::map<index_t, int> load_id;  // offset -> register
  std::string loads, fmas, ws;
  for (std::size_t j = 0; j < pos.size(); ++j) {
    const index_t r = pos[j] / kw, c = pos[j] % kw;
    ws += "const float w" + std::to_string(j) + "=wp[" + std::to_string(j) + "];";
    for (int i = 0; i < pl.rh; ++i) {
      const index_t off = (i * p.stride[0] + r * p.dilation[0]) * pl.jp +
                          (c * p.dilation[1]) % p.stride[1] * pl.hpk * pl.jp +
                          c * p.dilation[1] / p.stride[1];
      auto it = load_id.find(off);
      if (it == load_id.end()) {
        it = load_id.emplace(off, int(load_id.size())).first;
        loads +=
            "const VEC l" + std::to_string(it->second) + "=LOADV(src+" + std::to_string(off) + ");";
      }
      const std::string a = "acc" + std::to_string(i);
      fmas += a + "=mad(l" + std::to_string(it->second) + ",(VEC)(w" + std::to_string(j) + ")," +
              a + ");";
    }
  }
  return "{" + ws + loads + fmas + "}";
}

inline define_list fkw_defines(const device_fkw& w, const fkw_plan& pl,
                               const kernels::activation& act, const conv2d_fkw_tiles& t) {
  const auto& s = pl.s;
  const auto& p = s.params;
  const auto str = [](index_t v) { return std::to_string(v); };
  define_list d = {{"C_IN", str(s.in_channels)},
                   {"F_OUT", str(s.out_channels)},
                   {"IH", str(s.in[0])},
                   {"IW", str(s.in[1])},
                   {"OH", str(s.out[0])},
                   {"OW", str(s.out[1])},
                   {"PT", str(p.pad_begin[0])},
                   {"PL", str(p.pad_begin[1])},
                   {"SH", str(p.stride[0])},
                   {"SW", str(p.stride[1])},
                   {"HPK", str(pl.hpk)},
                   {"JP", str(pl.jp)},
                   {"VW", str(pl.vw)},
                   {"RH", str(pl.rh)},
                   {"OWT", str(pl.owt)},
                   {"OHT", str(pl.oht)},
                   {"NPAT", str(w.library().size())},
                   {"NNZ", str(w.library().nnz())}};
  for (auto& def : activation_defines(act)) d.push_back(std::move(def));
  std::string segs;
  for (index_t q = 0; q < w.library().size(); ++q) {
    d.emplace_back("PAT_" + str(q), fkw_pattern_macro(w.library()[q], w.kw(), pl));
    segs += "SEG(" + str(q) + ")";
  }
  d.emplace_back("FKW_SEGMENTS", segs);
  if (index_t(w.segments().size()) <= t.max_baked_segments)
    d.emplace_back("FKW_SEG_TABLE", w.segment_initializer());
  return d;
}

/// The two commands of one call (in-order queue): input packing, then the conv.
struct fkw_events {
  ::cl::Event pack, conv;
};

/// The tiles a call runs with: `given` when set, else the active tune table's row for this
/// device and layer (kernel cl_conv2d_fkw, shape tune::fkw_class, density class of the kept
/// pattern weights), its zero fields keeping conv2d_fkw_tiles' defaults.
inline conv2d_fkw_tiles resolve_fkw_tiles(const context& ctx, const device_fkw& w,
                                          const conv2d_shape& s,
                                          const std::optional<conv2d_fkw_tiles>& given) {
  if (given) return *given;
  const double dense = double(w.filters() * w.channels() * w.kh() * w.kw());
  const double kept = double(w.kernels()) * double(w.library().nnz());
  const tune::cl_fkw_params f = tune::cl_params_for<tune::cl_fkw_params>(
      tune::cl_ids_of(ctx.device()), "cl_conv2d_fkw", [&] { return tune::fkw_class(s); },
      tune::density_class(dense > 0 ? kept / dense : 1.0));
  conv2d_fkw_tiles t;
  if (f.vec_width) t.vec_width = f.vec_width;
  if (f.rows) t.rows = f.rows;
  if (f.local_size) t.local_size = f.local_size;
  return t;
}

inline fkw_events enqueue_conv2d_fkw(const context& ctx, const device_fkw& w,
                                     const ::cl::Buffer& input,
                                     const std::array<index_t, 4>& in_dims,
                                     const ::cl::Buffer* bias, const ::cl::Buffer& output,
                                     const conv2d_params& p, const kernels::activation& act,
                                     const std::optional<conv2d_fkw_tiles>& tiles) {
  const char* where = "spk::cl::conv2d_fkw";
  require(ctx.get()() == w.context_handle(), where, "weights", "a device_fkw of another context",
          "weights uploaded to ctx");
  kernels::check_activation(act, where);
  const auto od = conv2d_fkw_output_dims(w, in_dims, p);
  const conv2d_shape s = make_conv_shape<2>(in_dims[0], in_dims[1], {in_dims[2], in_dims[3]},
                                            w.filters(), {w.kh(), w.kw()}, p, where);
  const conv2d_fkw_tiles t = resolve_fkw_tiles(ctx, w, s, tiles);
  const fkw_plan pl = make_fkw_plan(s, t, where);
  require_elements<float>(input, std::size_t(in_dims[0] * in_dims[1] * in_dims[2] * in_dims[3]),
                          where, "input");
  require_elements<float>(output, std::size_t(od[0] * od[1] * od[2] * od[3]), where, "output");
  if (bias) require_elements<float>(*bias, std::size_t(w.filters()), where, "bias");

  static const std::string source = kernel_source("conv2d_fkw");
  ::cl::Program program = get_program(ctx, source, fkw_defines(w, pl, act, t));
  const index_t packed_n = s.batch * s.in_channels * pl.plane;
  const index_t packed_rows = packed_n / pl.jp;
  std::lock_guard<std::mutex> lock(w.scratch().mutex());
  const ::cl::Buffer& packed = w.scratch().get(ctx, std::size_t(packed_n) * sizeof(float));
  return translate("enqueueing conv2d_fkw", [&] {
    fkw_events ev;
    ::cl::Kernel pack(program, "fkw_pack_input"), conv(program, "conv2d_fkw");
    const auto local_for = [&](const ::cl::Kernel& k) {
      const std::size_t max_wg = k.getWorkGroupInfo<CL_KERNEL_WORK_GROUP_SIZE>(ctx.device());
      return std::min<std::size_t>(std::size_t(pl.local), std::max<std::size_t>(1, max_wg));
    };
    const auto range = [](index_t n, std::size_t local) {
      return ::cl::NDRange((std::size_t(n) + local - 1) / local * local);
    };
    const std::size_t lp = local_for(pack), lc = local_for(conv);
    pack.setArg(0, cl_int(packed_rows));
    pack.setArg(1, input);
    pack.setArg(2, packed);
    ctx.queue().enqueueNDRangeKernel(pack, ::cl::NullRange, range(packed_rows, lp),
                                     ::cl::NDRange(lp), nullptr, &ev.pack);
    conv.setArg(0, cl_int(pl.tiles()));
    conv.setArg(1, packed);
    conv.setArg(2, w.index_buffer());
    conv.setArg(3, w.weight_buffer());
    conv.setArg(4, w.segment_buffer());
    conv.setArg(5, w.reorder_buffer());
    conv.setArg(6, bias ? *bias : w.weight_buffer());  // never read without has_bias
    conv.setArg(7, cl_int(bias ? 1 : 0));
    conv.setArg(8, act.kind == kernels::act_kind::leaky_relu ? act.alpha : 0.f);
    conv.setArg(9, output);
    ctx.queue().enqueueNDRangeKernel(conv, ::cl::NullRange, range(pl.tiles(), lc),
                                     ::cl::NDRange(lc), nullptr, &ev.conv);
    return ev;
  });
}

}  // namespace detail

/// Enqueues out = act(conv2d(in, w) + bias) on ctx.queue() and returns the conv kernel's event
/// (an input-packing kernel runs before it on the same in-order queue). Layouts: input N x C x
/// H x W and output N x F x OH x OW, contiguous NCHW floats (output dims:
/// conv2d_fkw_output_dims); bias: F floats or nullptr. Any stride, padding and dilation;
/// groups must be 1. Raises shape_mismatch (dims, buffer sizes), invalid_argument, unsupported
/// (groups), overflow (a buffer of >= 2^31 elements), opencl (a driver failure).
inline ::cl::Event conv2d_fkw(const context& ctx, const device_fkw& w, const ::cl::Buffer& input,
                              const std::array<index_t, 4>& in_dims, const ::cl::Buffer* bias,
                              const ::cl::Buffer& output, const conv2d_params& p = {},
                              const kernels::activation& act = {},
                              std::optional<conv2d_fkw_tiles> tiles = std::nullopt) {
  return detail::enqueue_conv2d_fkw(ctx, w, input, in_dims, bias, output, p, act, tiles).conv;
}

/// Host-memory convenience with the CPU reference's signature style: uploads in (any strides)
/// and bias, runs, downloads into out (any strides). Blocking.
inline void conv2d_fkw(const context& ctx, nchw_view<const float> in, const device_fkw& w,
                       const float* bias, nchw_view<float> out, const conv2d_params& p = {},
                       const kernels::activation& act = {},
                       std::optional<conv2d_fkw_tiles> tiles = std::nullopt) {
  const char* where = "spk::cl::conv2d_fkw";
  const auto od = conv2d_fkw_output_dims(w, in.dims(), p);
  require_dims(out, od, where, "output");
  require(in.data() != nullptr, where, "input", "nullptr", "a non-null data pointer");
  require(out.data() != nullptr, where, "output", "nullptr", "a non-null data pointer");
  ::cl::Buffer bin = upload(ctx, detail::pack<4>(in));
  ::cl::Buffer bb = bias ? upload(ctx, bias, std::size_t(w.filters())) : ::cl::Buffer();
  const std::size_t on = std::size_t(od[0] * od[1] * od[2] * od[3]);
  ::cl::Buffer bout = device_buffer<float>(ctx, on);
  const ::cl::Event done =
      conv2d_fkw(ctx, w, bin, in.dims(), bias ? &bb : nullptr, bout, p, act, tiles);
  std::vector<float> hout(on);
  download(ctx, bout, hout.data(), on, &done);
  detail::unpack<4>(hout, out);
}

/// As above, uploading the FKW layer first (use device_fkw to upload once for many calls).
inline void conv2d_fkw(const context& ctx, nchw_view<const float> in, const format::fkw& w,
                       const float* bias, nchw_view<float> out, const conv2d_params& p = {},
                       const kernels::activation& act = {},
                       std::optional<conv2d_fkw_tiles> tiles = std::nullopt) {
  conv2d_fkw(ctx, in, device_fkw(ctx, w), bias, out, p, act, tiles);
}

}  // namespace cl
SPK_END_NAMESPACE
