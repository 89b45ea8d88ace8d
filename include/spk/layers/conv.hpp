// SPDX-License-Identifier: Apache-2.0
// layers::conv2d: a 2D convolution layer over dense, pattern (FKW) or block-punched weights.
// A sparse layer runs its sparse kernel unless the tune table says that, at this shape, dense is
// faster from the weights' density on (the "<kernel>/dense" crossover rows): then it runs dense.
#pragma once

#include <memory>
#include <variant>
#include <vector>

#include "spk/kernels/dense/conv.hpp"
#include "spk/kernels/fkw/conv.hpp"
#include "spk/kernels/punched/conv.hpp"
#include "spk/layers/crossover.hpp"

SPK_BEGIN_NAMESPACE
namespace layers {

class conv2d {
 public:
  using storage = std::variant<tensor<float, 4>, format::fkw, format::punched>;

  /// Dense weights F x C x KH x KW (copied), pattern or block-punched weights; bias F or empty.
  explicit conv2d(tensor_view<const float, 4> w, const conv2d_params& p = {},
                  std::vector<float> bias = {})
      : w_(copy(w)), p_(p), b_(std::move(bias)) {
    check_bias();
  }
  conv2d(format::fkw w, const conv2d_params& p = {}, std::vector<float> bias = {})
      : w_(std::move(w)), p_(p), b_(std::move(bias)) {
    check_bias();
  }
  conv2d(format::punched w, const conv2d_params& p = {}, std::vector<float> bias = {})
      : w_(std::move(w)), p_(p), b_(std::move(bias)) {
    check_bias();
  }

  index_t filters() const {
    return std::visit([](const auto& w) { return filters_of(w); }, w_);
  }
  bool is_dense() const noexcept { return w_.index() == 0; }
  const storage& get() const noexcept { return w_; }
  /// The path forward takes: crossover::sparse / dense for a forced choice, automatic (the
  /// default) asks the tune table per input shape (see will_run_dense).
  void set_path(path_choice c) noexcept { choice_ = c; }

  /// True when forward on input `in` would run the dense kernel.
  bool will_run_dense(nchw_view<const float> in) const {
    if (w_.index() == 0) return true;
    const conv2d_shape s = make_conv_shape<2>(in.dim(0), in.dim(1), {in.dim(2), in.dim(3)},
                                              filters(), kernel(), p_, "conv2d layer");
    if (w_.index() == 1)
      return prefer_dense<default_arch>(
          choice_, "conv2d_fkw/dense", [&] { return tune::fkw_class(s); },
          std::get<1>(w_).density());
    return prefer_dense<default_arch>(
        choice_, "conv2d_punched/dense", [&] { return tune::kgs_class<2>(s); },
        std::get<2>(w_).density());
  }

  /// out = conv(in, W) + bias, then ReLU when `relu`. NCHW; output rows dense.
  void forward(nchw_view<const float> in, nchw_view<float> out, bool relu = false,
               executor& ex = default_executor()) const {
    const float* bias = b_.empty() ? nullptr : b_.data();
    if (will_run_dense(in)) {
      const tensor<float, 4>& d = dense();
      kernels::dense::conv2d_dense(in, d.view(), bias, out, p_, ex);
      if (relu) relu_in_place(out);
      return;
    }
    if (w_.index() == 1) {
      kernels::fkw::fkw_conv_options o;
      o.relu = relu;
      kernels::fkw::conv2d_fkw(in, std::get<1>(w_), bias, out, p_, o, ex);
    } else {
      kernels::punched::conv2d_punched(std::get<2>(w_), in, bias, out, p_,
                                       kernels::activation::from_relu(relu), ex);
    }
  }

 private:
  static tensor<float, 4> copy(tensor_view<const float, 4> w) {
    tensor<float, 4> t({w.dim(0), w.dim(1), w.dim(2), w.dim(3)});
    index_t i = 0;
    for (index_t a = 0; a < w.dim(0); ++a)
      for (index_t b = 0; b < w.dim(1); ++b)
        for (index_t c = 0; c < w.dim(2); ++c)
          for (index_t d = 0; d < w.dim(3); ++d) t.data()[i++] = w(a, b, c, d);
    return t;
  }
  static index_t filters_of(const tensor<float, 4>& t) { return t.dim(0); }
  template <class F>
  static index_t filters_of(const F& f) {
    return f.filters();
  }
  std::array<index_t, 2> kernel() const {
    if (w_.index() == 0) return {std::get<0>(w_).dim(2), std::get<0>(w_).dim(3)};
    if (w_.index() == 1) return {std::get<1>(w_).kh(), std::get<1>(w_).kw()};
    return std::get<2>(w_).kernel();
  }
  void check_bias() const {
    require(b_.empty() || index_t(b_.size()) == filters(), "conv2d layer", "bias.size", b_.size(),
            "0 or the filter count (" + std::to_string(filters()) + ")", errc::shape_mismatch);
  }
  /// The dense weights: the layer's own, or the sparse format's expansion, made once.
  const tensor<float, 4>& dense() const {
    if (w_.index() == 0) return std::get<0>(w_);
    if (!dense_)
      dense_ = std::make_shared<tensor<float, 4>>(w_.index() == 1 ? std::get<1>(w_).to_dense()
                                                                  : std::get<2>(w_).to_dense());
    return *dense_;
  }
  static void relu_in_place(const nchw_view<float>& o) {
    for (index_t n = 0; n < o.dim(0); ++n)
      for (index_t c = 0; c < o.dim(1); ++c)
        for (index_t y = 0; y < o.dim(2); ++y)
          for (index_t x = 0; x < o.dim(3); ++x) {
            float& v = o(n, c, y, x);
            v = v > 0.f ? v : 0.f;
          }
  }

  storage w_;
  conv2d_params p_;
  std::vector<float> b_;
  path_choice choice_ = path_choice::automatic;
  mutable std::shared_ptr<tensor<float, 4>> dense_;  ///< not safe for concurrent first calls
};

}  // namespace layers
SPK_END_NAMESPACE
