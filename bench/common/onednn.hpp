// SPDX-License-Identifier: Apache-2.0
// oneDNN 2.x baselines: forward-inference convolution (2D/3D; convolution_auto, which picks
// the direct brgconv kernels here, or explicit Winograd) and matmul. Everything except the
// primitive itself happens outside the timed call: oneDNN chooses its blocked layouts
// (format_tag::any), and weights and input are reordered into them once, as a deployed engine
// would. Outputs are reordered back to plain NC(D)HW / row-major only for checking.
#pragma once

#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>

#include "spk/core/conv_shape.hpp"

namespace spk_bench {

inline dnnl::engine& onednn_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
inline dnnl::stream& onednn_stream() {
  static dnnl::stream s(onednn_engine());
  return s;
}
inline std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

namespace detail {
using dnnl_tag = dnnl::memory::format_tag;
/// Reorders between a plain user buffer (described by user_md) and a primitive's memory `mem`
/// (a shared handle), in the direction `to_mem`.
inline void onednn_copy(const dnnl::memory::desc& user_md, void* user, dnnl::memory mem,
                        bool to_mem) {
  dnnl::memory u(user_md, onednn_engine(), user);
  if (to_mem)
    dnnl::reorder(u, mem).execute(onednn_stream(), u, mem);
  else
    dnnl::reorder(mem, u).execute(onednn_stream(), mem, u);
  onednn_stream().wait();
}
}  // namespace detail

/// A prepared oneDNN primitive: run() executes it only (no reorders, no allocation).
class onednn_primitive {
 public:
  void run() {
    prim_.execute(onednn_stream(), args_);
    onednn_stream().wait();
  }
  /// Writes new input from a plain buffer (NC(D)HW or row-major M x K) into the chosen layout.
  void set_input(const float* plain) {
    detail::onednn_copy(plain_src_, const_cast<float*>(plain), src(), true);
  }
  /// Reads the output back into a plain buffer (NC(D)HW or row-major M x N).
  void get_output(float* plain) const {
    detail::onednn_copy(plain_dst_, plain, args_.at(DNNL_ARG_DST), false);
  }
  /// oneDNN's implementation name, e.g. "brgconv:avx512_core" or "jit_fp32_wino_2x3:avx512_core".
  const std::string& impl() const { return impl_; }

 protected:
  dnnl::memory src() const { return args_.at(DNNL_ARG_SRC); }
  dnnl::primitive prim_;
  std::unordered_map<int, dnnl::memory> args_;
  dnnl::memory::desc plain_src_, plain_dst_;
  std::string impl_;
};

/// Convolution for S = 2 (NCHW) or 3 (NCDHW). Weights are spk's F x C/g x kernel layout
/// (identical in memory to oneDNN's oihw / goihw), bias has F entries or is nullptr.
template <int S>
class onednn_conv : public onednn_primitive {
 public:
  /// Returns nullptr when oneDNN has no implementation of `alg` for this problem (Winograd:
  /// only 2D 3x3 stride 1 on this build); other oneDNN errors propagate as dnnl::error.
  static std::unique_ptr<onednn_conv> create(const spk::conv_shape<S>& s, dnnl::algorithm alg,
                                             const float* weights, const float* bias) {
    using namespace dnnl;
    using tag = memory::format_tag;
    const auto f32 = memory::data_type::f32;
    const memory::dim g = s.params.groups;
    memory::dims src{s.batch, s.in_channels}, dst{s.batch, s.out_channels}, wei;
    memory::dims strides, dil, pl, pr;
    if (g > 1)
      wei = {g, s.out_channels / g, s.in_channels / g};
    else
      wei = {s.out_channels, s.in_channels};
    for (int d = 0; d < S; ++d) {
      src.push_back(s.in[d]), dst.push_back(s.out[d]), wei.push_back(s.kernel[d]);
      strides.push_back(s.params.stride[d]), dil.push_back(s.params.dilation[d] - 1);
      pl.push_back(s.params.pad_begin[d]), pr.push_back(s.params.pad_end[d]);
    }
    const tag act = S == 2 ? tag::nchw : tag::ncdhw;
    const tag wtag = S == 2 ? (g > 1 ? tag::goihw : tag::oihw) : (g > 1 ? tag::goidhw : tag::oidhw);
    const memory::desc src_any(src, f32, tag::any), wei_any(wei, f32, tag::any),
        dst_any(dst, f32, tag::any);
    const memory::desc bias_md =
        bias ? memory::desc({s.out_channels}, f32, tag::x) : memory::desc();
    convolution_forward::primitive_desc pd;
    try {
      convolution_forward::desc d(prop_kind::forward_inference, alg, src_any, wei_any, bias_md,
                                  dst_any, strides, dil, pl, pr);
      pd = convolution_forward::primitive_desc(d, onednn_engine(), /*allow_empty=*/true);
    } catch (const dnnl::error& e) {
      if (e.status == dnnl_unimplemented) return nullptr;
      throw;
    }
    if (!pd) return nullptr;
    std::unique_ptr<onednn_conv> c(new onednn_conv);
    c->prim_ = convolution_forward(pd);
    c->impl_ = pd.impl_info_str();
    c->plain_src_ = memory::desc(src, f32, act);
    c->plain_dst_ = memory::desc(dst, f32, act);
    c->args_[DNNL_ARG_SRC] = memory(pd.src_desc(), onednn_engine());
    c->args_[DNNL_ARG_DST] = memory(pd.dst_desc(), onednn_engine());
    c->args_[DNNL_ARG_WEIGHTS] = memory(pd.weights_desc(), onednn_engine());
    detail::onednn_copy(memory::desc(wei, f32, wtag), const_cast<float*>(weights),
                        c->args_[DNNL_ARG_WEIGHTS], true);
    if (bias) {
      c->args_[DNNL_ARG_BIAS] = memory(pd.bias_desc(), onednn_engine());
      detail::onednn_copy(bias_md, const_cast<float*>(bias), c->args_[DNNL_ARG_BIAS], true);
    }
    return c;
  }

 private:
  onednn_conv() = default;
};

/// y[M x N] = x[M x K] * W[K x N], x and y row-major; `w` holds W row-major (K x N) or, with
/// w_is_n_by_k, its transpose N x K row-major. W is pre-packed into oneDNN's chosen layout.
class onednn_matmul : public onednn_primitive {
 public:
  static std::unique_ptr<onednn_matmul> create(spk::index_t M, spk::index_t N, spk::index_t K,
                                               const float* w, bool w_is_n_by_k = false) {
    using namespace dnnl;
    using tag = memory::format_tag;
    const auto f32 = memory::data_type::f32;
    const memory::desc src_md({M, K}, f32, tag::ab), dst_md({M, N}, f32, tag::ab);
    const memory::desc wei_any({K, N}, f32, tag::any),
        wei_plain({K, N}, f32, w_is_n_by_k ? tag::ba : tag::ab);
    const matmul::primitive_desc pd(matmul::desc(src_md, wei_any, dst_md), onednn_engine());
    std::unique_ptr<onednn_matmul> m(new onednn_matmul);
    m->prim_ = matmul(pd);
    m->impl_ = pd.impl_info_str();
    m->plain_src_ = src_md, m->plain_dst_ = dst_md;
    m->args_[DNNL_ARG_SRC] = memory(pd.src_desc(), onednn_engine());
    m->args_[DNNL_ARG_DST] = memory(pd.dst_desc(), onednn_engine());
    m->args_[DNNL_ARG_WEIGHTS] = memory(pd.weights_desc(), onednn_engine());
    detail::onednn_copy(wei_plain, const_cast<float*>(w), m->args_[DNNL_ARG_WEIGHTS], true);
    return m;
  }

 private:
  onednn_matmul() = default;
};

}  // namespace spk_bench
