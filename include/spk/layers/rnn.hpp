// SPDX-License-Identifier: Apache-2.0
// layers::gru and layers::lstm: torch.nn.GRU / torch.nn.LSTM (batch 1, unidirectional, gate
// order r,z,n / i,f,g,o, two bias vectors), so weights exported from PyTorch load directly.
// Input projections run as one SpMM over all time steps; the recurrence is one SpMV per step
// followed by a fused, vectorised gate update.
#pragma once

#include <cmath>
#include <string>
#include <vector>
#include <xsimd/xsimd.hpp>

#include "spk/layers/functional.hpp"
#include "spk/layers/weight.hpp"

SPK_BEGIN_NAMESPACE
namespace layers {

/// One layer's parameters: w_ih (G*H x in), w_hh (G*H x H), b_ih and b_hh (G*H each, or
/// empty = zeros), G = 3 (GRU) or 4 (LSTM); PyTorch's weight_ih_l{k}, weight_hh_l{k}, ...
struct rnn_layer_weights {
  weight w_ih, w_hh;
  std::vector<float> b_ih, b_hh;
};

namespace detail {
template <class A>
inline xsimd::batch<float, A> sigmoid_vec(const xsimd::batch<float, A>& x) {
  using vec = xsimd::batch<float, A>;
  return vec(1.f) / (vec(1.f) + xsimd::exp(-x));  // exp(-x) = inf for x << 0 gives exactly 0
}

/// Checks the stacked layers: layer 0 reads `input`, later layers read H, every matrix has
/// gates * H rows and the biases are empty or gates * H long.
inline index_t check_rnn(const std::vector<rnn_layer_weights>& ls, index_t input, index_t gates,
                         const char* where) {
  require(!ls.empty(), where, "layers", 0, ">= 1 layer");
  const index_t h = ls[0].w_hh.cols();
  require(h >= 1, where, "hidden_size", h, ">= 1");
  for (std::size_t l = 0; l < ls.size(); ++l) {
    const std::string s = "layers[" + std::to_string(l) + "].";
    const index_t in = l == 0 ? input : h;
    require(ls[l].w_ih.rows() == gates * h && ls[l].w_ih.cols() == in, where, s + "w_ih.cols",
            ls[l].w_ih.cols(), std::to_string(in) + " (and rows " + std::to_string(gates * h) + ")",
            errc::shape_mismatch);
    require(ls[l].w_hh.rows() == gates * h && ls[l].w_hh.cols() == h, where, s + "w_hh.rows",
            ls[l].w_hh.rows(), std::to_string(gates * h) + " x " + std::to_string(h),
            errc::shape_mismatch);
    require(ls[l].b_ih.empty() || index_t(ls[l].b_ih.size()) == gates * h, where, s + "b_ih.size",
            ls[l].b_ih.size(), "0 or " + std::to_string(gates * h), errc::shape_mismatch);
    require(ls[l].b_hh.empty() || index_t(ls[l].b_hh.size()) == gates * h, where, s + "b_hh.size",
            ls[l].b_hh.size(), "0 or " + std::to_string(gates * h), errc::shape_mismatch);
  }
  return h;
}
inline const float* bias_or_null(const std::vector<float>& b) {
  return b.empty() ? nullptr : b.data();
}
}  // namespace detail

/// Multi-layer GRU. Per step (PyTorch): r = s(Wir x + bir + Whr h + bhr), z likewise,
/// n = tanh(Win x + bin + r * (Whn h + bhn)), h' = (1 - z) * n + z * h.
class gru {
 public:
  gru(index_t input_size, std::vector<rnn_layer_weights> layers)
      : in_(input_size),
        layers_(std::move(layers)),
        h_(detail::check_rnn(layers_, input_size, 3, "gru")) {}
  index_t input_size() const noexcept { return in_; }
  index_t hidden_size() const noexcept { return h_; }
  index_t num_layers() const noexcept { return index_t(layers_.size()); }
  const rnn_layer_weights& layer(index_t l) const { return layers_.at(std::size_t(l)); }

  /// x: T x input (one sequence, time-major), y: T x H (last layer's outputs), h0: layers x H
  /// initial states or nullptr (zeros), hn: layers x H final states or nullptr.
  void forward(matrix_view<const float> x, matrix_view<float> y, const float* h0 = nullptr,
               float* hn = nullptr, executor& ex = default_executor()) const {
    const index_t t_len = x.dim(0), H = h_;
    require(x.dim(1) == in_, "gru::forward", "x.cols", x.dim(1),
            "input_size (" + std::to_string(in_) + ")", errc::shape_mismatch);
    require(y.dim(0) == t_len && y.dim(1) == H && y.stride(1) == 1, "gru::forward", "y.dims",
            std::to_string(y.dim(0)) + "x" + std::to_string(y.dim(1)),
            std::to_string(t_len) + "x" + std::to_string(H) + ", unit column stride",
            errc::shape_mismatch);
    aligned_buffer<float> gi(std::max<index_t>(1, t_len * 3 * H)), gh(3 * H), h(H);
    // Ping-pong buffers: layer l writes bufs[l % 2] while it reads layer l-1's outputs.
    aligned_buffer<float> bufs[2] = {aligned_buffer<float>(std::max<index_t>(1, t_len * H)),
                                     aligned_buffer<float>(std::max<index_t>(1, t_len * H))};
    matrix_view<const float> in = x;
    for (index_t l = 0; l < num_layers(); ++l) {
      const rnn_layer_weights& w = layers_[std::size_t(l)];
      const bool last = l + 1 == num_layers();
      const matrix_view<float> out = last ? y : make_matrix<float>(bufs[l % 2].data(), t_len, H);
      epilogue ei, eh;
      ei.bias = detail::bias_or_null(w.b_ih), eh.bias = detail::bias_or_null(w.b_hh);
      if (t_len > 0)
        w.w_ih.matmul(in, make_matrix<float>(gi.data(), t_len, 3 * H), ei,
                      ex);  // all steps at once
      for (index_t j = 0; j < H; ++j) h[j] = h0 ? h0[l * H + j] : 0.f;
      for (index_t t = 0; t < t_len; ++t) {
        w.w_hh.matvec(h.data(), gh.data(), eh, ex);
        step(gi.data() + t * 3 * H, gh.data(), h.data(), out.data() + t * out.stride(0));
      }
      if (hn) std::copy(h.data(), h.data() + H, hn + l * H);
      if (!last) in = make_matrix<const float>(bufs[l % 2].data(), t_len, H);
    }
  }

 private:
  /// Fused gates of one step: gi = input projections (+ b_ih), gh = W_hh h + b_hh.
  void step(const float* gi, const float* gh, float* h, float* out) const {
    using vec = xsimd::batch<float>;
    constexpr index_t L = vec::size;
    const index_t H = h_;
    index_t j = 0;
    for (; j + L <= H; j += L) {
      const vec r = detail::sigmoid_vec(vec::load_unaligned(gi + j) + vec::load_unaligned(gh + j));
      const vec z =
          detail::sigmoid_vec(vec::load_unaligned(gi + H + j) + vec::load_unaligned(gh + H + j));
      const vec n = xsimd::tanh(vec::load_unaligned(gi + 2 * H + j) +
                                r * vec::load_unaligned(gh + 2 * H + j));
      const vec hv = vec::load_unaligned(h + j);
      const vec hn = n + z * (hv - n);  // (1 - z) n + z h
      hn.store_unaligned(h + j), hn.store_unaligned(out + j);
    }
    for (; j < H; ++j) {
      const float r = sigmoid(gi[j] + gh[j]), z = sigmoid(gi[H + j] + gh[H + j]);
      const float n = std::tanh(gi[2 * H + j] + r * gh[2 * H + j]);
      h[j] = out[j] = n + z * (h[j] - n);
    }
  }

  index_t in_;
  std::vector<rnn_layer_weights> layers_;
  index_t h_;
};

/// Multi-layer LSTM. Per step (PyTorch): i, f, o = s(W_i* x + b_i* + W_h* h + b_h*),
/// g = tanh(...), c' = f * c + i * g, h' = o * tanh(c').
class lstm {
 public:
  lstm(index_t input_size, std::vector<rnn_layer_weights> layers)
      : in_(input_size),
        layers_(std::move(layers)),
        h_(detail::check_rnn(layers_, input_size, 4, "lstm")) {}
  index_t input_size() const noexcept { return in_; }
  index_t hidden_size() const noexcept { return h_; }
  index_t num_layers() const noexcept { return index_t(layers_.size()); }

  /// x: T x input, y: T x H; h0, c0: layers x H or nullptr (zeros); hn, cn: outputs or nullptr.
  void forward(matrix_view<const float> x, matrix_view<float> y, const float* h0 = nullptr,
               const float* c0 = nullptr, float* hn = nullptr, float* cn = nullptr,
               executor& ex = default_executor()) const {
    const index_t t_len = x.dim(0), H = h_;
    require(x.dim(1) == in_, "lstm::forward", "x.cols", x.dim(1),
            "input_size (" + std::to_string(in_) + ")", errc::shape_mismatch);
    require(y.dim(0) == t_len && y.dim(1) == H && y.stride(1) == 1, "lstm::forward", "y.dims",
            std::to_string(y.dim(0)) + "x" + std::to_string(y.dim(1)),
            std::to_string(t_len) + "x" + std::to_string(H), errc::shape_mismatch);
    aligned_buffer<float> gi(std::max<index_t>(1, t_len * 4 * H)), gh(4 * H), h(H), c(H);
    aligned_buffer<float> bufs[2] = {aligned_buffer<float>(std::max<index_t>(1, t_len * H)),
                                     aligned_buffer<float>(std::max<index_t>(1, t_len * H))};
    matrix_view<const float> in = x;
    for (index_t l = 0; l < num_layers(); ++l) {
      const rnn_layer_weights& w = layers_[std::size_t(l)];
      const bool last = l + 1 == num_layers();
      const matrix_view<float> out = last ? y : make_matrix<float>(bufs[l % 2].data(), t_len, H);
      epilogue ei, eh;
      ei.bias = detail::bias_or_null(w.b_ih), eh.bias = detail::bias_or_null(w.b_hh);
      if (t_len > 0) w.w_ih.matmul(in, make_matrix<float>(gi.data(), t_len, 4 * H), ei, ex);
      for (index_t j = 0; j < H; ++j)
        h[j] = h0 ? h0[l * H + j] : 0.f, c[j] = c0 ? c0[l * H + j] : 0.f;
      for (index_t t = 0; t < t_len; ++t) {
        w.w_hh.matvec(h.data(), gh.data(), eh, ex);
        const float* g = gi.data() + t * 4 * H;
        float* o = out.data() + t * out.stride(0);
        for (index_t j = 0; j < H; ++j) {
          const float ig = sigmoid(g[j] + gh[j]), fg = sigmoid(g[H + j] + gh[H + j]);
          const float gg = std::tanh(g[2 * H + j] + gh[2 * H + j]),
                      og = sigmoid(g[3 * H + j] + gh[3 * H + j]);
          c[j] = fg * c[j] + ig * gg;
          h[j] = o[j] = og * std::tanh(c[j]);
        }
      }
      if (hn) std::copy(h.data(), h.data() + H, hn + l * H);
      if (cn) std::copy(c.data(), c.data() + H, cn + l * H);
      if (!last) in = make_matrix<const float>(bufs[l % 2].data(), t_len, H);
    }
  }

 private:
  index_t in_;
  std::vector<rnn_layer_weights> layers_;
  index_t h_;
};

}  // namespace layers
SPK_END_NAMESPACE
