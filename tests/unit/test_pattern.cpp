// SPDX-License-Identifier: Apache-2.0
// Pattern and connectivity sparsity: enumeration, libraries, histogram/extraction/distillation,
// and the projections' properties (feasible, idempotent, optimal by brute force).
#include <cmath>
#include <vector>

#include "harness.hpp"
#include "spk/sparsity/connectivity.hpp"
#include "spk/sparsity/pattern.hpp"

using namespace spk;
using namespace spk::sparsity;
using spk_test::uniform_tensor;

namespace {

pattern_bits bits(std::initializer_list<int> pos) {
  pattern_bits b = 0;
  for (int p : pos) b |= pattern_bits{1} << p;
  return b;
}

/// Squared distance between two weight tensors of equal dims.
double dist2(const tensor<float, 4>& a, const tensor<float, 4>& b) {
  double d = 0;
  for (index_t i = 0; i < a.size(); ++i)
    d += double(a.data()[i] - b.data()[i]) * double(a.data()[i] - b.data()[i]);
  return d;
}

/// Support of kernel (f, c) as a bit set (value != 0; fine here: random uniform data).
pattern_bits support(const tensor<float, 4>& w, index_t f, index_t c) {
  pattern_bits b = 0;
  const index_t kv = w.dim(2) * w.dim(3);
  for (index_t p = 0; p < kv; ++p)
    if (w.data()[(f * w.dim(1) + c) * kv + p] != 0.f) b |= pattern_bits{1} << p;
  return b;
}

}  // namespace

TEST_CASE("enumerate_patterns counts and contents") {
  const auto p56 = enumerate_patterns(3, 3, 4, true);
  CHECK(p56.size() == 56);
  for (pattern_bits b : p56) {
    CHECK(pattern_nnz(b) == 4);
    CHECK((b >> 4 & 1u) == 1u);  // centre
  }
  for (std::size_t i = 1; i < p56.size(); ++i) CHECK(p56[i - 1] < p56[i]);
  CHECK(enumerate_patterns(3, 3, 5, false).size() == 126);  // C(9,5)
  CHECK(enumerate_patterns(3, 3, 5, true).size() == 70);    // C(8,4)
  CHECK(enumerate_patterns(1, 1, 1, true).size() == 1);
  CHECK(enumerate_patterns(5, 5, 2, true).size() == 24);
  CHECK(enumerate_patterns(1, 3, 2, false).size() == 3);
  CHECK(candidate_library().size() == 56);
  SPK_CHECK_ERROR(enumerate_patterns(3, 3, 0), errc::invalid_argument, "nnz");
  SPK_CHECK_ERROR(enumerate_patterns(3, 3, 10), errc::invalid_argument, "nnz");
  SPK_CHECK_ERROR(enumerate_patterns(9, 9, 2), errc::invalid_argument, "kh*kw");
  SPK_CHECK_ERROR(enumerate_patterns(7, 7, 10, false), errc::invalid_argument, "1e6");
  CHECK(pattern_positions(bits({1, 4, 5, 7})) == std::vector<index_t>{1, 4, 5, 7});
}

TEST_CASE("pattern_library validates its patterns") {
  // YOLObile-style: 5 non-zeros, some without the centre.
  pattern_library y(3, 3, {bits({0, 2, 4, 6, 8}), bits({1, 3, 5, 7, 0}), bits({0, 1, 2, 3, 5})});
  CHECK(y.nnz() == 5);
  CHECK(y.size() == 3);
  CHECK(y.find(bits({1, 3, 5, 7, 0})) == 1);
  CHECK(y.find(bits({1})) == -1);
  SPK_CHECK_ERROR(pattern_library(3, 3, {}), errc::invalid_argument, "patterns.size()");
  SPK_CHECK_ERROR(pattern_library(3, 3, {bits({0, 1}), bits({0, 1})}), errc::invalid_argument,
                  "distinct");
  SPK_CHECK_ERROR(pattern_library(3, 3, {bits({0, 1}), bits({0, 1, 2})}), errc::invalid_argument,
                  "non-zero count");
  SPK_CHECK_ERROR(pattern_library(3, 3, {bits({0, 9})}), errc::invalid_argument, "inside");
  SPK_CHECK_ERROR(pattern_library(3, 3, {0}), errc::invalid_argument, "non-empty");
  SPK_CHECK_ERROR(pattern_library(0, 3, {1}), errc::invalid_argument, "kh");
}

TEST_CASE("project_pattern is feasible, idempotent and optimal") {
  const auto lib =
      extract_library(uniform_tensor<4>({6, 5, 3, 3}, 1).view(), candidate_library(), 6);
  for (int trial = 0; trial < 3; ++trial) {
    auto w = uniform_tensor<4>({4, 3, 3, 3}, 10 + trial);
    auto p = w;
    const auto s = project_pattern(w.view(), lib, p.view());
    // Feasible: each kernel's support is inside its pattern.
    for (index_t f = 0; f < 4; ++f)
      for (index_t c = 0; c < 3; ++c) {
        CHECK((support(p, f, c) & ~lib[s(f, c)]) == 0);
        CHECK(s(f, c) >= 0);
      }
    // Idempotent.
    auto pp = p;
    const auto s2 = project_pattern(p.view(), lib, pp.view());
    CHECK(dist2(p, pp) == 0.0);
    CHECK(s2.id == s.id);
    // Optimal: no library pattern leaves a kernel closer to w (brute force per kernel).
    for (index_t f = 0; f < 4; ++f)
      for (index_t c = 0; c < 3; ++c) {
        double mine = 0;
        const auto wv = w.view(), pv = p.view();
        for (index_t q = 0; q < 9; ++q) {
          const double d = wv(f, c, q / 3, q % 3) - pv(f, c, q / 3, q % 3);
          mine += d * d;
        }
        for (index_t id = 0; id < lib.size(); ++id) {
          double other = 0;
          for (index_t q = 0; q < 9; ++q)
            if (!(lib[id] >> q & 1u))
              other += double(wv(f, c, q / 3, q % 3)) * wv(f, c, q / 3, q % 3);
          CHECK(mine <= other + 1e-12);
        }
      }
  }
  // In place (out aliases w).
  auto w = uniform_tensor<4>({2, 2, 3, 3}, 5), want = w;
  project_pattern(want.view(), lib, want.view());
  auto inplace = w;
  project_pattern(inplace.view(), lib, inplace.view());
  CHECK(dist2(inplace, want) == 0.0);
  // Kernel-size mismatch.
  auto w5 = uniform_tensor<4>({2, 2, 5, 5}, 6);
  SPK_CHECK_ERROR(project_pattern(w5.view(), lib), errc::shape_mismatch, "5x5");
}

TEST_CASE("project_connectivity is feasible, idempotent and optimal") {
  for (auto scope : {connectivity_scope::per_layer, connectivity_scope::per_filter}) {
    const index_t F = 2, C = 4;
    const index_t unit = scope == connectivity_scope::per_layer ? F * C : C;
    for (index_t keep = 0; keep <= unit; ++keep) {
      CAPTURE(keep);
      auto w = uniform_tensor<4>({F, C, 3, 3}, 20 + keep);
      auto p = w;
      const auto kept = project_connectivity(w.view(), keep, scope, p.view());
      const index_t total = std::accumulate(kept.begin(), kept.end(), index_t{0});
      CHECK(total == (scope == connectivity_scope::per_layer ? keep : keep * F));
      auto pp = p;
      project_connectivity(p.view(), keep, scope, pp.view());
      CHECK(dist2(p, pp) == 0.0);
      // Brute force over every subset of kernels satisfying the budget.
      double best = INFINITY;
      for (unsigned m = 0; m < (1u << (F * C)); ++m) {
        bool ok = true;
        for (index_t b = 0; b < F * C; b += unit) {
          index_t cnt = 0;
          for (index_t i = b; i < b + unit; ++i) cnt += m >> i & 1u;
          ok = ok && cnt <= keep;
        }
        if (!ok) continue;
        double d = 0;
        for (index_t i = 0; i < F * C; ++i)
          if (!(m >> i & 1u))
            for (index_t q = 0; q < 9; ++q) d += double(w.data()[i * 9 + q]) * w.data()[i * 9 + q];
        best = std::min(best, d);
      }
      CHECK(dist2(w, p) <= best * (1 + 1e-12) + 1e-15);
    }
  }
  auto w = uniform_tensor<4>({2, 3, 3, 3}, 1);
  SPK_CHECK_ERROR(project_connectivity(w.view(), 7), errc::invalid_argument, "keep");
  SPK_CHECK_ERROR(project_connectivity(w.view(), 4, connectivity_scope::per_filter),
                  errc::invalid_argument, "per filter");
  CHECK(keep_for_rate(100, 3.6) == 28);
  CHECK(keep_for_rate(36, 3.6) == 10);
  CHECK(keep_for_rate(5, 1.0) == 5);
  SPK_CHECK_ERROR(keep_for_rate(5, 0.5), errc::invalid_argument, "rate");
}

TEST_CASE("project_pattern_connectivity is the exact projection onto both constraints") {
  const pattern_library lib(3, 3, {bits({4, 1, 3, 5}), bits({4, 0, 1, 3}), bits({4, 5, 7, 8})});
  const index_t F = 2, C = 3;
  for (auto scope : {connectivity_scope::per_layer, connectivity_scope::per_filter}) {
    const index_t unit = scope == connectivity_scope::per_layer ? F * C : C;
    for (index_t keep : {index_t(0), index_t(1), index_t(2), unit}) {
      CAPTURE(keep);
      auto w = uniform_tensor<4>({F, C, 3, 3}, 40 + keep);
      auto p = w;
      const auto s = project_pattern_connectivity(w.view(), lib, keep, scope, p.view());
      // Feasible.
      for (index_t b = 0; b < F * C; b += unit) {
        index_t cnt = 0;
        for (index_t i = b; i < b + unit; ++i) cnt += s.id[std::size_t(i)] >= 0;
        CHECK(cnt <= keep);
      }
      for (index_t f = 0; f < F; ++f)
        for (index_t c = 0; c < C; ++c)
          CHECK((support(p, f, c) & ~(s(f, c) < 0 ? 0 : lib[s(f, c)])) == 0);
      // Idempotent.
      auto pp = p;
      const auto s2 = project_pattern_connectivity(p.view(), lib, keep, scope, pp.view());
      CHECK(dist2(p, pp) == 0.0);
      CHECK(s2.id == s.id);
      // Optimal: brute force over all (empty | pattern) choices per kernel, 4^6 combinations.
      double best = INFINITY;
      for (unsigned code = 0; code < (1u << (2 * F * C)); ++code) {
        bool ok = true;
        for (index_t b = 0; b < F * C; b += unit) {
          index_t cnt = 0;
          for (index_t i = b; i < b + unit; ++i) cnt += (code >> (2 * i) & 3u) != 0;
          ok = ok && cnt <= keep;
        }
        if (!ok) continue;
        double d = 0;
        for (index_t i = 0; i < F * C; ++i) {
          const unsigned choice = code >> (2 * i) & 3u;
          const pattern_bits b = choice ? lib[choice - 1] : 0;
          for (index_t q = 0; q < 9; ++q)
            if (!(b >> q & 1u)) d += double(w.data()[i * 9 + q]) * w.data()[i * 9 + q];
        }
        best = std::min(best, d);
      }
      CHECK(dist2(w, p) <= best * (1 + 1e-12) + 1e-15);
    }
  }
}

TEST_CASE("histogram, top-P extraction and progressive distillation") {
  // 20 kernels shaped exactly like known patterns: A x8, B x6, C x4, D x2; one empty kernel.
  const auto cand = candidate_library();
  const pattern_bits A = cand[0], B = cand[10], C = cand[20], D = cand[30];
  auto w = spk::tensor<float, 4>({1, 21, 3, 3}, 0.f);
  index_t k = 0;
  for (auto [b, n] : std::vector<std::pair<pattern_bits, int>>{{A, 8}, {B, 6}, {C, 4}, {D, 2}})
    for (int i = 0; i < n; ++i, ++k)
      for (index_t q : pattern_positions(b)) w.view()(0, k, q / 3, q % 3) = float(1 + (q + k) % 3);
  const auto h = pattern_histogram(w.view(), cand);
  CHECK(h[0] == 8);
  CHECK(h[10] == 6);
  CHECK(h[20] == 4);
  CHECK(h[30] == 2);
  CHECK(std::accumulate(h.begin(), h.end(), index_t{0}) == 20);  // the empty kernel is skipped
  const auto top3 = extract_library(w.view(), cand, 3);
  CHECK(top3.patterns() == std::vector<pattern_bits>{A, B, C});
  for (index_t P : {4, 6, 8, 12}) CHECK(extract_library(w.view(), cand, P).size() == P);
  const auto d = distill_library(w.view(), pattern_library(3, 3, {A, B, C, D}), 2);
  CHECK(d.patterns() == std::vector<pattern_bits>{A, B});
  const auto d2 = distill_library(w.view(), cand, 8, 10);
  CHECK(d2.size() == 8);
  CHECK(d2.find(A) >= 0);
  CHECK(d2.find(D) >= 0);
  SPK_CHECK_ERROR(extract_library(w.view(), cand, 0), errc::invalid_argument, "P");
  SPK_CHECK_ERROR(distill_library(w.view(), cand, 57), errc::invalid_argument, "target");
}

TEST_CASE("stats, FLOPs, group norms and structure checks") {
  const auto lib = pattern_library(3, 3, {bits({4, 1, 3, 5}), bits({4, 0, 1, 3})});
  auto w = uniform_tensor<4>({4, 8, 3, 3}, 7);
  const auto s = project_pattern_connectivity(w.view(), lib, 4, connectivity_scope::per_filter);
  const auto st = stats(s);
  CHECK(st.kernels == 32);
  CHECK(st.kept_kernels == 16);
  CHECK(st.nnz == 64);
  CHECK(st.density == doctest::Approx(64.0 / 288.0));
  CHECK(st.empty_filters == 0);
  CHECK(st.pattern_use[0] + st.pattern_use[1] == 16);
  const auto shape = make_conv_shape<2>(1, 8, {10, 10}, 4, {3, 3}, conv2d_params{}.with_pad(1));
  CHECK(nz_flops(s, shape) == doctest::Approx(2.0 * 64 * 100));
  const auto n = kernel_norms(w.view());
  const auto r = pattern_residual_norms(w.view(), s);
  for (std::size_t i = 0; i < n.size(); ++i) {
    CHECK(r[i] <= n[i] + 1e-12);
    if (s.id[i] < 0) CHECK(r[i] == doctest::Approx(n[i]));
  }
  const auto a = reweight_coefficients({0.0, 1.0}, 0.5);
  CHECK(a[0] == doctest::Approx(2.0));
  CHECK(a[1] == doctest::Approx(1.0 / 1.5));
  pattern_structure bad = s;
  bad.id[3] = 7;
  SPK_CHECK_ERROR(stats(bad), errc::out_of_range, "structure.id[3]");
  bad.id.pop_back();
  SPK_CHECK_ERROR(stats(bad), errc::invalid_argument, "structure.id.size()");
}
