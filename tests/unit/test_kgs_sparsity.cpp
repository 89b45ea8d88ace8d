// SPDX-License-Identifier: Apache-2.0
// Tests of include/spk/sparsity/kgs.hpp and stats.hpp: the RT3D vanilla / KGS projections
// (feasible, idempotent, optimal by brute force on tiny sizes, the official score), the
// balanced kgc / kgr variants, group norms, padding of F and C, and the statistics.
#include <cmath>
#include <cstdint>
#include <vector>

#include "harness.hpp"
#include "kgs_test_util.hpp"
#include "spk/sparsity/kgs.hpp"

using namespace spk;
using namespace spk::sparsity;

namespace {

using spk_test::kept_energy;
using spk_test::random_weights;


/// Feasibility: the element mask is constant over each group's kernels at every location.
bool kgs_feasible(const kgs_mask& m) {
  const auto em = m.element_mask();
  const kgs_grid& g = m.grid;
  for (index_t f = 0; f < g.filters; ++f)
    for (index_t c = 0; c < g.channels; ++c)
      for (index_t k = 0; k < g.locations; ++k) {
        const index_t f0 = f / g.gm * g.gm, c0 = c / g.gn * g.gn;
        if (em[std::size_t((f * g.channels + c) * g.locations + k)] !=
            em[std::size_t((f0 * g.channels + c0) * g.locations + k)])
          return false;
      }
  return true;
}

index_t count(const std::vector<std::uint8_t>& v) {
  index_t n = 0;
  for (auto x : v) n += x != 0;
  return n;
}

}  // namespace

TEST_CASE("kgs_grid counts groups with padding") {
  const kgs_grid g{17, 9, 27, 8, 4};
  CHECK(g.filter_blocks() == 3);
  CHECK(g.channel_blocks() == 3);
  CHECK(g.groups() == 9);
  CHECK(g.units() == 9 * 27);
  CHECK(g.filters_in(2) == 1);
  CHECK(g.channels_in(2) == 1);
  SPK_CHECK_ERROR((kgs_grid{0, 4, 27}.check("t")), errc::invalid_argument, "filters");
  SPK_CHECK_ERROR((kgs_grid{8, 4, 27, 0, 4}.check("t")), errc::invalid_argument, "gm");
  SPK_CHECK_ERROR((kgs_grid{8, 4, 70000}.check("t")), errc::invalid_argument, "locations");
}

TEST_CASE("project_kgs and project_vanilla are feasible, exact in count and idempotent") {
  for (const kgs_grid g : {kgs_grid{16, 8, 27}, kgs_grid{17, 9, 27}, kgs_grid{5, 3, 9, 8, 4}, kgs_grid{24, 12, 3, 4, 2}})
    for (double d : {0.0, 0.01, 0.28, 0.4, 0.5, 1.0})
      for (kgs_rule rule : {kgs_rule::official, kgs_rule::euclidean}) {
        CAPTURE(g.filters);
        CAPTURE(g.channels);
        CAPTURE(d);
        auto w = random_weights(g, 1);
        const kgs_mask m = project_kgs(w.data(), g, d, rule);
        CHECK(kgs_feasible(m));
        CHECK(count(m.keep) == index_t(std::llround(d * double(g.units()))));
        const kgs_mask v = project_vanilla(w.data(), g, d, rule);
        CHECK(kgs_feasible(v));
        CHECK(v.is_vanilla());
        CHECK(count(v.keep) == index_t(std::llround(d * double(g.groups()))) * g.locations);
        // Idempotent: projecting the pruned weights keeps the same units.
        auto pw = w;
        apply_mask(pw.data(), m.element_mask());
        CHECK(project_kgs(pw.data(), g, d, rule).keep == m.keep);
        auto pv = w;
        apply_mask(pv.data(), v.element_mask());
        CHECK(project_vanilla(pv.data(), g, d, rule).keep == v.keep);
      }
}

TEST_CASE("euclidean projections are optimal (brute force over every feasible mask)") {
  // 2 x 2 groups x 3 locations = 12 units: every subset of n units is enumerated.
  const kgs_grid g{3, 5, 3, 2, 3};
  REQUIRE(g.units() == 12);
  for (std::uint64_t salt = 0; salt < 4; ++salt) {
    const auto w = random_weights(g, 10 + salt);
    for (index_t n = 0; n <= g.units(); ++n) {
      const double d = double(n) / double(g.units());
      const kgs_mask m = project_kgs(w.data(), g, d, kgs_rule::euclidean);
      const double got = kept_energy(w, m.element_mask());
      double best = 0;
      for (unsigned bits = 0; bits < (1u << g.units()); ++bits) {
        if (__builtin_popcount(bits) != n) continue;
        kgs_mask t{g, std::vector<std::uint8_t>(std::size_t(g.units()))};
        for (index_t u = 0; u < g.units(); ++u) t.keep[std::size_t(u)] = (bits >> u) & 1;
        best = std::max(best, kept_energy(w, t.element_mask()));
      }
      CHECK(got == doctest::Approx(best).epsilon(1e-12));
    }
    for (index_t n = 0; n <= g.groups(); ++n) {  // vanilla: subsets of the 4 groups
      const kgs_mask v = project_vanilla(w.data(), g, double(n) / double(g.groups()), kgs_rule::euclidean);
      double best = 0;
      for (unsigned bits = 0; bits < 16u; ++bits) {
        if (__builtin_popcount(bits) != n) continue;
        kgs_mask t{g, std::vector<std::uint8_t>(std::size_t(g.units()))};
        for (index_t u = 0; u < g.units(); ++u) t.keep[std::size_t(u)] = (bits >> (u / g.locations)) & 1;
        best = std::max(best, kept_energy(w, t.element_mask()));
      }
      CHECK(kept_energy(w, v.element_mask()) == doctest::Approx(best).epsilon(1e-12));
    }
  }
}

TEST_CASE("official score divides the norm by sqrt(nnz)") {
  // Unit A: one weight 2 (norm 2, nnz 1: score 2). Unit B: four weights 1.2 (norm 2.4, nnz 4:
  // score 1.2). Euclidean keeps B, the official RT3D score keeps A.
  const kgs_grid g{2, 2, 2, 2, 2};
  std::vector<float> w(8, 0.f);
  w[0] = 2.f;                                  // f0 c0 k0
  for (int i : {1, 3, 5, 7}) w[std::size_t(i)] = 1.2f;  // (f, c) x k1
  const auto off = project_kgs(w.data(), g, 0.5, kgs_rule::official);
  CHECK(off.keep == std::vector<std::uint8_t>{1, 0});
  const auto euc = project_kgs(w.data(), g, 0.5, kgs_rule::euclidean);
  CHECK(euc.keep == std::vector<std::uint8_t>{0, 1});
  // An all-zero unit scores 0 (nnz clamped to 1, no division by zero).
  std::vector<float> z(8, 0.f);
  CHECK(count(project_kgs(z.data(), g, 1.0).keep) == 2);
}

TEST_CASE("group and unit norms, padding excluded") {
  const kgs_grid g{3, 3, 2, 2, 2};  // groups: 2 x 2, edge groups padded
  std::vector<float> w(18);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = float(i % 5) - 2.f;
  const auto un = kgs_unit_norms(w.data(), g);
  const auto gn = kgs_group_norms(w.data(), g);
  REQUIRE(un.size() == 8);
  REQUIRE(gn.size() == 4);
  for (index_t i = 0; i < 2; ++i)
    for (index_t j = 0; j < 2; ++j) {
      double sq = 0;
      for (index_t f = i * 2; f < std::min<index_t>(3, i * 2 + 2); ++f)
        for (index_t c = j * 2; c < std::min<index_t>(3, j * 2 + 2); ++c)
          for (index_t k = 0; k < 2; ++k) sq += double(w[std::size_t((f * 3 + c) * 2 + k)]) * w[std::size_t((f * 3 + c) * 2 + k)];
      CHECK(gn[std::size_t(i * 2 + j)] == doctest::Approx(std::sqrt(sq)));
      const double u0 = un[std::size_t((i * 2 + j) * 2)], u1 = un[std::size_t((i * 2 + j) * 2 + 1)];
      CHECK(u0 * u0 + u1 * u1 == doctest::Approx(sq));
    }
}

TEST_CASE("balanced kgc keeps the same columns count in every group") {
  CHECK(kgc_columns(27) == 9);
  CHECK(kgc_columns(9) == 9);
  CHECK(kgc_columns(3) == 3);
  CHECK(kgc_columns(49) == 49);
  const kgs_grid g{17, 10, 27};
  const auto w = random_weights(g, 3);
  for (double d : {0.0, 1.0 / 3.0, 0.5, 1.0}) {
    const kgs_mask m = project_kgc(w.data(), g, d);
    CHECK(kgs_feasible(m));
    const index_t cols = index_t(std::llround(d * 9));
    for (index_t gi = 0; gi < g.groups(); ++gi) {
      index_t n = 0;
      for (index_t k = 0; k < 27; ++k) {
        n += m.keep[std::size_t(gi * 27 + k)];
        // A column = one (kh, kw) across the 3 temporal taps: all or none.
        CHECK(m.keep[std::size_t(gi * 27 + k)] == m.keep[std::size_t(gi * 27 + k % 9)]);
      }
      CHECK(n == cols * 3);
    }
    // Idempotent.
    auto pw = w;
    apply_mask(pw.data(), m.element_mask());
    CHECK(project_kgc(pw.data(), g, d).keep == m.keep);
  }
}

TEST_CASE("balanced kgr prunes the same number of filter rows in every group") {
  const kgs_grid g{16, 8, 9, 8, 4};
  const auto w = random_weights(g, 4);
  for (double d : {0.25, 0.5, 0.75, 1.0}) {
    const auto m = project_kgr(w.data(), g, d);
    const index_t keep_rows = 8 - index_t(std::ceil(8 * (1 - d) - 1e-9));
    for (index_t i = 0; i < 2; ++i)
      for (index_t j = 0; j < 2; ++j) {
        index_t rows = 0;
        for (index_t f = i * 8; f < i * 8 + 8; ++f) {
          const bool kept = m[std::size_t((f * 8 + j * 4) * 9)];
          rows += kept;
          for (index_t c = j * 4; c < j * 4 + 4; ++c)
            for (index_t k = 0; k < 9; ++k) REQUIRE(bool(m[std::size_t((f * 8 + c) * 9 + k)]) == kept);
        }
        CHECK(rows == keep_rows);
      }
  }
  // Padding rows (F = 5 of an 8-row group) count as the weakest rows.
  const kgs_grid p{5, 4, 1, 8, 4};
  std::vector<float> ones(20, 1.f);
  CHECK(count(project_kgr(ones.data(), p, 0.5)) == 4 * 4);  // keep 4 rows: 4 real of 5
}

TEST_CASE("projections reject bad densities and grids") {
  const kgs_grid g{8, 4, 27};
  std::vector<float> w(std::size_t(8 * 4 * 27), 1.f);
  SPK_CHECK_ERROR(project_kgs(w.data(), g, 1.5), errc::invalid_argument, "density");
  SPK_CHECK_ERROR(project_vanilla(w.data(), g, -0.1), errc::invalid_argument, "density");
  SPK_CHECK_ERROR(project_kgc(w.data(), g, NAN), errc::invalid_argument, "density");
  SPK_CHECK_ERROR(project_kgr(w.data(), g, 2.0), errc::invalid_argument, "density");
  SPK_CHECK_ERROR(project_kgs(nullptr, g, 0.5), errc::invalid_argument, "weights");
  SPK_CHECK_ERROR(project_kgs(w.data(), kgs_grid{8, 4, 27, 8, 0}, 0.5), errc::invalid_argument, "gn");
}

TEST_CASE("mask statistics and conv FLOPs") {
  const kgs_grid g{9, 5, 27};
  const auto w = random_weights(g, 5);
  const kgs_mask m = project_kgs(w.data(), g, 0.3);
  const mask_stats s = m.stats();
  CHECK(s.total == 9 * 5 * 27);
  CHECK(s.kept == count(m.element_mask()));
  CHECK(s.density() == doctest::Approx(double(s.kept) / double(s.total)));
  CHECK(s.reduction() == doctest::Approx(double(s.total) / double(s.kept)));
  CHECK(mask_stats{}.density() == 1.0);
  CHECK(std::isinf(mask_stats{10, 0}.reduction()));
  const auto shape = make_conv_shape<3>(2, 5, {4, 6, 6}, 9, {3, 3, 3}, conv3d_params{}.with_pad(1));
  CHECK(conv_nz_flops(shape, s.kept) == doctest::Approx(2.0 * 2 * double(s.kept) * 4 * 36));
  CHECK(conv_nz_flops(shape, s.total) == doctest::Approx(shape.dense_flops()));
}
