// SPDX-License-Identifier: Apache-2.0
// layers::linear, layers::gru and layers::lstm against plain double-precision loops written
// from PyTorch's equations, with dense and sparse (BCR, BSR, CSR) weights, on odd sizes.
#include <cmath>
#include <vector>

#include "harness.hpp"
#include "spk/layers/layers.hpp"

using namespace spk;
using namespace spk::layers;
using spk_test::uniform_tensor;

namespace {
double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }
std::vector<float> vec_of(const tensor<float, 1>& t) {
  return std::vector<float>(t.data(), t.data() + t.size());
}

/// The same matrix as dense, BCR (column pruning), BSR or CSR, after pruning it to the
/// kind's mask; `pruned` receives the dense pruned matrix (the reference's weights).
weight make_weight(const tensor<float, 2>& w, int kind, tensor<float, 2>& pruned) {
  const auto v = w.view();
  sparsity::mask2d m(w.dim(0), w.dim(1), 1);
  if (kind == 1) m = sparsity::project_bcr(v, 16, 8, sparsity::block_prune::columns, 0.5);
  if (kind == 2) m = sparsity::project_bsr(v, 16, 1, 0.4);
  if (kind == 3) m = sparsity::project_unstructured(v, 0.3);
  if (kind == 4) m = sparsity::project_bsp(v, 2, 0.5, 1, 1.0);
  pruned = sparsity::apply_mask(v, m);
  switch (kind) {
    case 1:
      return format::bcr::from_dense(v, m, 16, 8);
    case 2:
      return format::bsr::from_dense(v, m, 16, 1);
    case 3:
      return format::csr::from_dense(v, m);
    case 4:
      return format::bcr::from_dense(v, m, 32, (w.dim(1) + 1) / 2);
    default:
      return weight(v);
  }
}
double mv(const tensor<float, 2>& w, index_t r, const double* x) {
  double s = 0;
  for (index_t c = 0; c < w.dim(1); ++c) s += double(w.data()[r * w.dim(1) + c]) * x[c];
  return s;
}
}  // namespace

TEST_CASE("linear: dense and sparse weights, bias + activation + residual") {
  auto w = uniform_tensor<2>({37, 21}, 40);
  auto b = uniform_tensor<1>({37}, 41);
  auto x = uniform_tensor<2>({5, 21}, 42);
  auto r = uniform_tensor<2>({5, 37}, 43);
  for (int kind = 0; kind < 5; ++kind) {
    CAPTURE(kind);
    tensor<float, 2> pw;
    linear lin(make_weight(w, kind, pw), vec_of(b));
    auto y = spk_test::nan_tensor<2>({5, 37});
    lin.forward(x.view(), y.view(), activation::relu, r.data());
    double err = 0;
    for (index_t t = 0; t < 5; ++t)
      for (index_t o = 0; o < 37; ++o) {
        double s = b.data()[o];
        for (index_t i = 0; i < 21; ++i) s += double(pw.data()[o * 21 + i]) * x.data()[t * 21 + i];
        s = (s > 0 ? s : 0) + r.data()[t * 37 + o];
        err = std::max(err, std::fabs(s - y.data()[t * 37 + o]));
      }
    CHECK(err < 1e-5);
  }
  SPK_CHECK_ERROR(linear(weight(w.view()), std::vector<float>(3)), errc::shape_mismatch,
                  "bias.size");
}

TEST_CASE("gru: a whole 2-layer sequence matches PyTorch's equations (dense and sparse weights)") {
  const index_t I = 7, H = 19, T = 6, G = 3;
  for (int kind = 0; kind < 5; ++kind) {
    CAPTURE(kind);
    std::vector<rnn_layer_weights> ls;
    std::vector<tensor<float, 2>> wih(2), whh(2);
    std::vector<std::vector<float>> bih(2), bhh(2);
    for (int l = 0; l < 2; ++l) {
      auto a = uniform_tensor<2>({G * H, l == 0 ? I : H}, 50 + l, -0.5f, 0.5f);
      auto c = uniform_tensor<2>({G * H, H}, 60 + l, -0.5f, 0.5f);
      bih[l] = vec_of(uniform_tensor<1>({G * H}, 70 + l)),
      bhh[l] = vec_of(uniform_tensor<1>({G * H}, 80 + l));
      ls.push_back({make_weight(a, kind, wih[l]), make_weight(c, kind, whh[l]), bih[l], bhh[l]});
    }
    gru net(I, std::move(ls));
    auto x = uniform_tensor<2>({T, I}, 90);
    auto h0 = uniform_tensor<1>({2 * H}, 91);
    auto y = spk_test::nan_tensor<2>({T, H});
    std::vector<float> hn(2 * H);
    net.forward(x.view(), y.view(), h0.data(), hn.data());
    // Reference in double.
    std::vector<double> in(x.data(), x.data() + T * I), out;
    for (int l = 0; l < 2; ++l) {
      const index_t K = l == 0 ? I : H;
      std::vector<double> h(h0.data() + l * H, h0.data() + (l + 1) * H);
      out.assign(T * H, 0);
      for (index_t t = 0; t < T; ++t) {
        std::vector<double> hh(h);
        for (index_t j = 0; j < H; ++j) {
          const double ir = mv(wih[l], j, &in[t * K]) + bih[l][j],
                       hr = mv(whh[l], j, hh.data()) + bhh[l][j];
          const double iz = mv(wih[l], H + j, &in[t * K]) + bih[l][H + j],
                       hz = mv(whh[l], H + j, hh.data()) + bhh[l][H + j];
          const double in_ = mv(wih[l], 2 * H + j, &in[t * K]) + bih[l][2 * H + j];
          const double hn_ = mv(whh[l], 2 * H + j, hh.data()) + bhh[l][2 * H + j];
          const double r = sig(ir + hr), z = sig(iz + hz), n = std::tanh(in_ + r * hn_);
          h[j] = (1 - z) * n + z * hh[j];
          out[t * H + j] = h[j];
        }
      }
      for (index_t j = 0; j < H; ++j) CHECK(std::fabs(hn[l * H + j] - h[j]) < 2e-5);
      in = out;
    }
    double err = 0;
    for (index_t i = 0; i < T * H; ++i) err = std::max(err, std::fabs(out[i] - y.data()[i]));
    CHECK(err < 2e-5);
  }
}

TEST_CASE("lstm: a whole 2-layer sequence matches PyTorch's equations") {
  const index_t I = 5, H = 17, T = 4, G = 4;
  for (int kind : {0, 1, 3}) {
    CAPTURE(kind);
    std::vector<rnn_layer_weights> ls;
    std::vector<tensor<float, 2>> wih(2), whh(2);
    std::vector<std::vector<float>> bih(2), bhh(2);
    for (int l = 0; l < 2; ++l) {
      auto a = uniform_tensor<2>({G * H, l == 0 ? I : H}, 150 + l, -0.5f, 0.5f);
      auto c = uniform_tensor<2>({G * H, H}, 160 + l, -0.5f, 0.5f);
      bih[l] = vec_of(uniform_tensor<1>({G * H}, 170 + l)),
      bhh[l] = vec_of(uniform_tensor<1>({G * H}, 180 + l));
      ls.push_back({make_weight(a, kind, wih[l]), make_weight(c, kind, whh[l]), bih[l], bhh[l]});
    }
    lstm net(I, std::move(ls));
    auto x = uniform_tensor<2>({T, I}, 190);
    auto y = spk_test::nan_tensor<2>({T, H});
    net.forward(x.view(), y.view());
    std::vector<double> in(x.data(), x.data() + T * I), out;
    for (int l = 0; l < 2; ++l) {
      const index_t K = l == 0 ? I : H;
      std::vector<double> h(H, 0.0), c(H, 0.0);
      out.assign(T * H, 0);
      for (index_t t = 0; t < T; ++t) {
        std::vector<double> hh(h);
        for (index_t j = 0; j < H; ++j) {
          double g[4];
          for (int q = 0; q < 4; ++q)
            g[q] = mv(wih[l], q * H + j, &in[t * K]) + bih[l][q * H + j] +
                   mv(whh[l], q * H + j, hh.data()) + bhh[l][q * H + j];
          c[j] = sig(g[1]) * c[j] + sig(g[0]) * std::tanh(g[2]);
          h[j] = out[t * H + j] = sig(g[3]) * std::tanh(c[j]);
        }
      }
      in = out;
    }
    double err = 0;
    for (index_t i = 0; i < T * H; ++i) err = std::max(err, std::fabs(out[i] - y.data()[i]));
    CHECK(err < 2e-5);
  }
}

TEST_CASE("rnn layers reject inconsistent weights") {
  auto a = uniform_tensor<2>({9, 4}, 1);
  auto c = uniform_tensor<2>({9, 3}, 2);
  std::vector<rnn_layer_weights> ls;
  ls.push_back({weight(a.view()), weight(c.view()), {}, {}});
  CHECK_NOTHROW(gru(4, ls));
  SPK_CHECK_ERROR(gru(5, ls), errc::shape_mismatch, "w_ih.cols");
  SPK_CHECK_ERROR(lstm(4, ls), errc::shape_mismatch, "w_ih");
}
