// SPDX-License-Identifier: Apache-2.0
// oneDNN 2.x recurrent baselines: one unidirectional layer of linear-before-reset GRU (the
// PyTorch GRU's semantics) or LSTM over a T-step, batch-1 sequence, forward inference.
// Weights (seeded, uniform) are reordered into oneDNN's chosen layout once, outside the timed
// call; a stack of layers is a chain of these (oneDNN's multi-layer RNN needs equal widths).
#pragma once

#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "common/onednn.hpp"
#include "spk/core/random.hpp"

namespace spk_bench {

class onednn_rnn_layer {
 public:
  enum class cell { lbr_gru, lstm };

  /// One layer: `in` input features, `hidden` units, T steps; src/dst are plain tnc buffers
  /// (T x 1 x C) the caller owns (dst of one layer may be src of the next).
  static std::unique_ptr<onednn_rnn_layer> create(cell c, spk::index_t T, spk::index_t in,
                                                  spk::index_t hidden, float* src, float* dst,
                                                  std::uint64_t seed) {
    using namespace dnnl;
    using tag = memory::format_tag;
    const auto f32 = memory::data_type::f32;
    const memory::dim G = c == cell::lstm ? 4 : 3,
                      GB = c == cell::lstm ? 4 : 4;  // lbr GRU: 4 biases
    const memory::desc src_md({T, 1, in}, f32, tag::tnc), dst_md({T, 1, hidden}, f32, tag::tnc);
    const memory::desc wl_any({1, 1, in, G, hidden}, f32, tag::any),
        wi_any({1, 1, hidden, G, hidden}, f32, tag::any);
    const memory::desc wl_plain({1, 1, in, G, hidden}, f32, tag::ldigo),
        wi_plain({1, 1, hidden, G, hidden}, f32, tag::ldigo);
    const memory::desc bias_md({1, 1, GB, hidden}, f32, tag::ldgo);
    std::unique_ptr<onednn_rnn_layer> r(new onednn_rnn_layer);
    memory::desc wl_md, wi_md;
    if (c == cell::lbr_gru) {
      lbr_gru_forward::primitive_desc pd(
          lbr_gru_forward::desc(prop_kind::forward_inference,
                                rnn_direction::unidirectional_left2right, src_md, memory::desc(),
                                wl_any, wi_any, bias_md, dst_md, memory::desc()),
          onednn_engine());
      r->prim_ = lbr_gru_forward(pd), r->impl_ = pd.impl_info_str();
      wl_md = pd.weights_layer_desc(), wi_md = pd.weights_iter_desc();
      if (pd.workspace_desc().get_size())
        r->args_[DNNL_ARG_WORKSPACE] = memory(pd.workspace_desc(), onednn_engine());
    } else {
      lstm_forward::primitive_desc pd(
          lstm_forward::desc(prop_kind::forward_inference, rnn_direction::unidirectional_left2right,
                             src_md, memory::desc(), memory::desc(), wl_any, wi_any, bias_md,
                             dst_md, memory::desc(), memory::desc()),
          onednn_engine());
      r->prim_ = lstm_forward(pd), r->impl_ = pd.impl_info_str();
      wl_md = pd.weights_layer_desc(), wi_md = pd.weights_iter_desc();
      if (pd.workspace_desc().get_size())
        r->args_[DNNL_ARG_WORKSPACE] = memory(pd.workspace_desc(), onednn_engine());
    }
    const float a = 1.f / std::sqrt(float(hidden));
    std::vector<float> wl(std::size_t(in * G * hidden)), wi(std::size_t(hidden * G * hidden)),
        b(std::size_t(GB * hidden));
    spk::fill_uniform(wl.data(), spk::index_t(wl.size()), -a, a, seed);
    spk::fill_uniform(wi.data(), spk::index_t(wi.size()), -a, a, seed + 1);
    spk::fill_uniform(b.data(), spk::index_t(b.size()), -a, a, seed + 2);
    r->args_[DNNL_ARG_WEIGHTS_LAYER] = memory(wl_md, onednn_engine());
    r->args_[DNNL_ARG_WEIGHTS_ITER] = memory(wi_md, onednn_engine());
    detail::onednn_copy(wl_plain, wl.data(), r->args_[DNNL_ARG_WEIGHTS_LAYER], true);
    detail::onednn_copy(wi_plain, wi.data(), r->args_[DNNL_ARG_WEIGHTS_ITER], true);
    r->bias_ = std::move(b);
    r->args_[DNNL_ARG_BIAS] = memory(bias_md, onednn_engine(), r->bias_.data());
    r->args_[DNNL_ARG_SRC_LAYER] = memory(src_md, onednn_engine(), src);
    r->args_[DNNL_ARG_DST_LAYER] = memory(dst_md, onednn_engine(), dst);
    return r;
  }
  void run() {
    prim_.execute(onednn_stream(), args_);
    onednn_stream().wait();
  }
  const std::string& impl() const { return impl_; }

 private:
  onednn_rnn_layer() = default;
  dnnl::primitive prim_;
  std::unordered_map<int, dnnl::memory> args_;
  std::vector<float> bias_;
  std::string impl_;
};

}  // namespace spk_bench
