// SPDX-License-Identifier: Apache-2.0
// layers::multi_head_attention and layers::transformer_encoder_layer (BERT post-LN, GELU)
// against plain double loops, with masks, odd sizes and dense / block-sparse FFN weights;
// plus the stability of softmax, LayerNorm and GELU on extreme inputs.
#include <cmath>
#include <vector>

#include "harness.hpp"
#include "spk/layers/layers.hpp"

using namespace spk;
using namespace spk::layers;
using spk_test::uniform_tensor;

namespace {
using dmat = std::vector<double>;
std::vector<float> vec_of(const tensor<float, 1>& t) {
  return std::vector<float>(t.data(), t.data() + t.size());
}
/// y (T x N) = x (T x K) W^T + b, W N x K.
dmat lin(const dmat& x, index_t T, index_t K, const tensor<float, 2>& w,
         const std::vector<float>& b) {
  const index_t N = w.dim(0);
  dmat y(T * N);
  for (index_t t = 0; t < T; ++t)
    for (index_t n = 0; n < N; ++n) {
      double s = b.empty() ? 0 : b[n];
      for (index_t k = 0; k < K; ++k) s += x[t * K + k] * w.data()[n * K + k];
      y[t * N + n] = s;
    }
  return y;
}
void ln(dmat& x, index_t T, index_t D, const std::vector<float>& g, const std::vector<float>& b,
        double eps) {
  for (index_t t = 0; t < T; ++t) {
    double m = 0, v = 0;
    for (index_t j = 0; j < D; ++j) m += x[t * D + j];
    m /= D;
    for (index_t j = 0; j < D; ++j) v += (x[t * D + j] - m) * (x[t * D + j] - m);
    v /= D;
    for (index_t j = 0; j < D; ++j)
      x[t * D + j] = (x[t * D + j] - m) / std::sqrt(v + eps) * g[j] + b[j];
  }
}
dmat mha_ref(const dmat& x, index_t T, index_t D, index_t H, const tensor<float, 2>& win,
             const std::vector<float>& bin, const tensor<float, 2>& wout,
             const std::vector<float>& bout, const std::uint8_t* kpm) {
  const dmat qkv = lin(x, T, D, win, bin);
  const index_t dh = D / H;
  dmat ctx(T * D, 0.0);
  for (index_t h = 0; h < H; ++h)
    for (index_t i = 0; i < T; ++i) {
      std::vector<double> s(T);
      double mx = -1e300;
      for (index_t j = 0; j < T; ++j) {
        double d = 0;
        for (index_t e = 0; e < dh; ++e)
          d += qkv[i * 3 * D + h * dh + e] * qkv[j * 3 * D + D + h * dh + e];
        s[j] = kpm && kpm[j] ? -INFINITY : d / std::sqrt(double(dh));
        mx = std::max(mx, s[j]);
      }
      double sum = 0;
      for (index_t j = 0; j < T; ++j) sum += (s[j] = std::exp(s[j] - mx));
      for (index_t e = 0; e < dh; ++e) {
        double a = 0;
        for (index_t j = 0; j < T; ++j) a += s[j] / sum * qkv[j * 3 * D + 2 * D + h * dh + e];
        ctx[i * D + h * dh + e] = a;
      }
    }
  return lin(ctx, T, D, wout, bout);
}
}  // namespace

TEST_CASE("multi_head_attention matches the reference, with a key padding mask") {
  const index_t T = 9, D = 24, H = 3;
  auto win = uniform_tensor<2>({3 * D, D}, 1, -0.3f, 0.3f),
       wout = uniform_tensor<2>({D, D}, 2, -0.3f, 0.3f);
  auto bin = vec_of(uniform_tensor<1>({3 * D}, 3)), bout = vec_of(uniform_tensor<1>({D}, 4));
  auto x = uniform_tensor<2>({T, D}, 5);
  std::uint8_t kpm[T] = {0, 0, 0, 0, 0, 0, 0, 1, 1};
  multi_head_attention mha(D, H, weight(win.view()), bin, weight(wout.view()), bout);
  for (const std::uint8_t* m :
       {static_cast<const std::uint8_t*>(nullptr), static_cast<const std::uint8_t*>(kpm)}) {
    auto y = spk_test::nan_tensor<2>({T, D});
    attention_mask am;
    am.key_padding = m;
    mha.forward(x.view(), y.view(), am);
    const dmat want = mha_ref(dmat(x.data(), x.data() + T * D), T, D, H, win, bin, wout, bout, m);
    double err = 0;
    for (index_t i = 0; i < T * D; ++i) err = std::max(err, std::fabs(want[i] - y.data()[i]));
    CHECK(err < 1e-5);
  }
  SPK_CHECK_ERROR(multi_head_attention(D, 5, weight(win.view()), bin, weight(wout.view()), bout),
                  errc::invalid_argument, "heads");
}

TEST_CASE(
    "transformer_encoder_layer (BERT post-LN) matches the reference with dense and block-sparse "
    "FFNs") {
  const index_t T = 11, D = 32, H = 4, F = 80;
  auto win = uniform_tensor<2>({3 * D, D}, 11, -0.3f, 0.3f),
       wout = uniform_tensor<2>({D, D}, 12, -0.3f, 0.3f);
  auto w1 = uniform_tensor<2>({F, D}, 13, -0.3f, 0.3f),
       w2 = uniform_tensor<2>({D, F}, 14, -0.3f, 0.3f);
  auto bin = vec_of(uniform_tensor<1>({3 * D}, 15)), bout = vec_of(uniform_tensor<1>({D}, 16));
  auto b1 = vec_of(uniform_tensor<1>({F}, 17)), b2 = vec_of(uniform_tensor<1>({D}, 18));
  auto g1 = vec_of(uniform_tensor<1>({D}, 19, 0.5f, 1.5f)),
       be1 = vec_of(uniform_tensor<1>({D}, 20));
  auto g2 = vec_of(uniform_tensor<1>({D}, 21, 0.5f, 1.5f)),
       be2 = vec_of(uniform_tensor<1>({D}, 22));
  auto x = uniform_tensor<2>({T, D}, 23);
  std::uint8_t kpm[T] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  for (int kind = 0; kind < 3; ++kind) {
    CAPTURE(kind);
    auto m1 = kind == 0
                  ? sparsity::mask2d(F, D, 1)
                  : sparsity::project_bcr(w1.view(), 16, 16, sparsity::block_prune::columns, 0.25);
    auto m2 = kind == 0
                  ? sparsity::mask2d(D, F, 1)
                  : sparsity::project_bcr(w2.view(), 16, 16, sparsity::block_prune::columns, 0.25);
    if (kind == 2) m2 = sparsity::project_bsr(w2.view(), 16, 4, 0.25);
    auto p1 = sparsity::apply_mask(w1.view(), m1), p2 = sparsity::apply_mask(w2.view(), m2);
    weight f1 =
        kind == 0 ? weight(w1.view()) : weight(format::bcr::from_dense(w1.view(), m1, 16, 16));
    weight f2 = kind == 0   ? weight(w2.view())
                : kind == 1 ? weight(format::bcr::from_dense(w2.view(), m2, 16, 16))
                            : weight(format::bsr::from_dense(w2.view(), m2, 16, 4));
    transformer_encoder_layer enc(
        multi_head_attention(D, H, weight(win.view()), bin, weight(wout.view()), bout),
        linear(std::move(f1), b1), linear(std::move(f2), b2), g1, be1, g2, be2, 1e-12f);
    auto y = spk_test::nan_tensor<2>({T, D});
    attention_mask am;
    am.key_padding = kpm;
    enc.forward(x.view(), y.view(), am);
    const dmat xd(x.data(), x.data() + T * D);
    dmat h = mha_ref(xd, T, D, H, win, bin, wout, bout, kpm);
    for (index_t i = 0; i < T * D; ++i) h[i] += xd[i];
    ln(h, T, D, g1, be1, 1e-12);
    dmat f = lin(h, T, D, p1, b1);
    for (double& v : f) v = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    dmat o = lin(f, T, F, p2, b2);
    for (index_t i = 0; i < T * D; ++i) o[i] += h[i];
    ln(o, T, D, g2, be2, 1e-12);
    double err = 0;
    for (index_t i = 0; i < T * D; ++i) err = std::max(err, std::fabs(o[i] - y.data()[i]));
    CHECK(err < 1e-4);
  }
}

TEST_CASE("softmax, layer_norm, gelu and sigmoid are stable on extreme inputs") {
  float row[4] = {1e30f, 1e30f, -1e30f, -INFINITY};
  softmax_rows(make_matrix<float>(row, 1, 4));
  CHECK(row[0] == doctest::Approx(0.5f));
  CHECK(row[3] == 0.f);
  float masked[2] = {-INFINITY, -INFINITY};
  softmax_rows(make_matrix<float>(masked, 1, 2));
  CHECK(masked[0] == 0.f);
  float big[3] = {1e20f + 1, 1e20f, 1e20f};  // mean-subtraction in double: no catastrophic NaN
  layer_norm(make_matrix<float>(big, 1, 3), nullptr, nullptr, 1e-5f);
  CHECK(std::isfinite(big[0]));
  CHECK(gelu(-100.f) == 0.f);
  CHECK(gelu(100.f) == 100.f);
  CHECK(sigmoid(-1000.f) == 0.f);
  CHECK(sigmoid(1000.f) == 1.f);
  SPK_CHECK_ERROR(layer_norm(make_matrix<float>(big, 1, 3), nullptr, nullptr, 0.f),
                  errc::invalid_argument, "eps");
}
