// SPDX-License-Identifier: Apache-2.0
// layers::multi_head_attention (torch.nn.MultiheadAttention's self-attention, batch 1: fused
// in_proj 3D x D, out_proj D x D) and layers::transformer_encoder_layer (BERT-base: post-LN,
// GELU FFN; bias+GELU and bias+residual fused into the FFN kernels). Every matrix is a weight.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "spk/layers/functional.hpp"
#include "spk/layers/linear.hpp"

SPK_BEGIN_NAMESPACE
namespace layers {

/// Attention masks, both optional. key_padding: T bytes, non-zero = that key is ignored (as
/// PyTorch's bool key_padding_mask / BERT's attention_mask == 0). additive: T x T floats
/// added to the scores (-inf forbids; e.g. a causal mask).
struct attention_mask {
  const std::uint8_t* key_padding = nullptr;
  const float* additive = nullptr;
};

class multi_head_attention {
 public:
  /// in_proj: 3D x D (rows q, k, v), out_proj: D x D; biases empty or full length.
  multi_head_attention(index_t embed_dim, index_t heads, weight in_proj, std::vector<float> in_bias,
                       weight out_proj, std::vector<float> out_bias)
      : d_(embed_dim),
        heads_(heads),
        in_(std::move(in_proj), std::move(in_bias)),
        out_(std::move(out_proj), std::move(out_bias)) {
    const char* where = "multi_head_attention";
    require(heads >= 1 && embed_dim % heads == 0, where, "heads", heads,
            "dividing embed_dim (" + std::to_string(embed_dim) + ")");
    require(in_.out_features() == 3 * d_ && in_.in_features() == d_, where, "in_proj.rows",
            in_.out_features(), "3 * embed_dim x embed_dim", errc::shape_mismatch);
    require(out_.out_features() == d_ && out_.in_features() == d_, where, "out_proj.rows",
            out_.out_features(), "embed_dim x embed_dim", errc::shape_mismatch);
  }
  index_t embed_dim() const noexcept { return d_; }
  index_t heads() const noexcept { return heads_; }

  /// y (T x D) = out_proj(concat_h softmax(Q_h K_h^T / sqrt(dh) + mask) V_h) (+ residual, T x D).
  void forward(matrix_view<const float> x, matrix_view<float> y, const attention_mask& mask = {},
               const float* residual = nullptr, executor& ex = default_executor()) const {
    const index_t T = x.dim(0), D = d_, dh = D / heads_;
    require(x.dim(1) == D, "multi_head_attention::forward", "x.cols", x.dim(1), "embed_dim",
            errc::shape_mismatch);
    tensor<float, 2> qkv({T, 3 * D}), s({T, T}), ctx({T, D});
    in_.forward(x, qkv.view(), activation::none, nullptr, 0, ex);
    const float scale = 1.f / std::sqrt(float(dh));
    for (index_t h = 0; h < heads_; ++h) {
      const float* q = qkv.data() + h * dh;
      const matrix_view<const float> qv(q, {T, dh}, {3 * D, 1}), kt(q + D, {dh, T}, {1, 3 * D}),
          vv(q + 2 * D, {T, dh}, {3 * D, 1});
      kernels::dense::gemm_dense(qv, kt, s.view(), scale, 0.f, ex);
      for (index_t i = 0; i < T; ++i)
        for (index_t j = 0; j < T; ++j) {
          float& v = s.data()[i * T + j];
          if (mask.additive) v += mask.additive[i * T + j];
          if (mask.key_padding && mask.key_padding[j]) v = -INFINITY;
        }
      softmax_rows(s.view());
      kernels::dense::gemm_dense(
          s.view(), vv, matrix_view<float>(ctx.data() + h * dh, {T, dh}, {D, 1}), 1.f, 0.f, ex);
    }
    out_.forward(ctx.view(), y, activation::none, residual, D, ex);
  }

 private:
  index_t d_, heads_;
  linear in_, out_;
};

/// BERT-base encoder layer: h = LN1(x + MHA(x)); y = LN2(h + W2 GELU(W1 h + b1) + b2).
class transformer_encoder_layer {
 public:
  /// ffn1: F x D, ffn2: D x F; ln gammas/betas D each (empty = 1 / 0); eps 1e-12 for BERT.
  transformer_encoder_layer(multi_head_attention attn, linear ffn1, linear ffn2,
                            std::vector<float> ln1_gamma, std::vector<float> ln1_beta,
                            std::vector<float> ln2_gamma, std::vector<float> ln2_beta,
                            float eps = 1e-12f)
      : attn_(std::move(attn)),
        ffn1_(std::move(ffn1)),
        ffn2_(std::move(ffn2)),
        g1_(std::move(ln1_gamma)),
        b1_(std::move(ln1_beta)),
        g2_(std::move(ln2_gamma)),
        b2_(std::move(ln2_beta)),
        eps_(eps) {
    const index_t D = attn_.embed_dim();
    const char* where = "transformer_encoder_layer";
    require(ffn1_.in_features() == D && ffn2_.out_features() == D &&
                ffn2_.in_features() == ffn1_.out_features(),
            where, "ffn2.in_features", ffn2_.in_features(), "ffn1 D -> F, ffn2 F -> D",
            errc::shape_mismatch);
    for (const auto* v : {&g1_, &b1_, &g2_, &b2_})
      require(v->empty() || index_t(v->size()) == D, where, "layer norm parameter size", v->size(),
              "0 or D", errc::shape_mismatch);
  }
  index_t d_model() const noexcept { return attn_.embed_dim(); }
  index_t d_ffn() const noexcept { return ffn1_.out_features(); }
  const linear& ffn1() const noexcept { return ffn1_; }
  const linear& ffn2() const noexcept { return ffn2_; }

  /// y (T x D) = the layer on x (T x D); y may not alias x.
  void forward(matrix_view<const float> x, matrix_view<float> y, const attention_mask& mask = {},
               executor& ex = default_executor()) const {
    const index_t T = x.dim(0), D = d_model();
    require(x.is_contiguous() && y.is_contiguous() && y.dim(0) == T && y.dim(1) == D,
            "transformer_encoder_layer::forward", "y.dims",
            std::to_string(y.dim(0)) + "x" + std::to_string(y.dim(1)), "T x D, both contiguous",
            errc::shape_mismatch);
    tensor<float, 2> h({T, D}), f({T, d_ffn()});
    attn_.forward(x, h.view(), mask, x.data(), ex);  // x + attention, residual fused
    layer_norm(h.view(), p(g1_), p(b1_), eps_);
    ffn1_.forward(h.view(), f.view(), activation::gelu, nullptr, 0, ex);  // bias + GELU fused
    ffn2_.forward(f.view(), y, activation::none, h.data(), D, ex);        // bias + residual fused
    layer_norm(y, p(g2_), p(b2_), eps_);
  }

 private:
  static const float* p(const std::vector<float>& v) { return v.empty() ? nullptr : v.data(); }
  multi_head_attention attn_;
  linear ffn1_, ffn2_;
  std::vector<float> g1_, b1_, g2_, b2_;
  float eps_;
};

}  // namespace layers
SPK_END_NAMESPACE
