// SPDX-License-Identifier: Apache-2.0
// Tests of include/spk/sparsity/punched.hpp and format/punched.hpp: the block-punched
// projection (YOLObile's official score checked by hand, the Euclidean rule optimal by brute
// force), feasibility, idempotence, padding of F and C off the 8 x 4 grid, and the format's
// rejection of a mask that is not shared across a block.
#include <cmath>
#include <cstdint>
#include <vector>

#include "harness.hpp"
#include "kgs_test_util.hpp"
#include "spk/format/punched.hpp"

using namespace spk;
using namespace spk::sparsity;

namespace {

using spk_test::kept_energy;
using spk_test::random_weights;


index_t kept_units(const kgs_mask& m) {
  index_t n = 0;
  for (auto k : m.keep) n += k;
  return n;
}

}  // namespace

TEST_CASE("official score is the sum of the block's bf-long column norms") {
  // F = 2, C = 2, K = 2, one 2 x 2 block: unit k scores ||w[:, 0, k]|| + ||w[:, 1, k]||.
  const std::vector<float> w = {3, 1, 0, 2,   // f0: c0 (k0, k1), c1 (k0, k1)
                                4, 1, 5, 2};  // f1
  const auto g = punched_grid(2, 2, 2, 2, 2);
  const auto s = punched_unit_scores(w.data(), g, punched_rule::official);
  REQUIRE(s.size() == 2);
  CHECK(s[0] == doctest::Approx(5.0 + 5.0));                       // |(3,4)| + |(0,5)|
  CHECK(s[1] == doctest::Approx(std::sqrt(2.0) + std::sqrt(8.0)));  // |(1,1)| + |(2,2)|
  const auto e = punched_unit_scores(w.data(), g, punched_rule::euclidean);
  CHECK(e[0] == doctest::Approx(9 + 16 + 0 + 25));
  CHECK(e[1] == doctest::Approx(1 + 1 + 4 + 4));
  // The rules disagree: one column of norm 10 (official 10, euclidean 100) against two of
  // norm 6 (official 12, euclidean 72).
  const std::vector<float> v = {10, 6, 0, 6,  //
                                0, 0, 0, 0};
  const auto so = punched_unit_scores(v.data(), g, punched_rule::official);
  const auto se = punched_unit_scores(v.data(), g, punched_rule::euclidean);
  CHECK(so[0] == doctest::Approx(10.0));
  CHECK(so[1] == doctest::Approx(12.0));
  CHECK(se[0] > se[1]);
  CHECK(project_punched(v.data(), g, 0.5, punched_rule::official).keep == std::vector<std::uint8_t>{0, 1});
  CHECK(project_punched(v.data(), g, 0.5, punched_rule::euclidean).keep == std::vector<std::uint8_t>{1, 0});
  const auto w2 = std::vector<float>{10, 7, 0, 0, 0, 7, 0, 0};  // 10 vs 7 sqrt 2 = 9.9; 100 vs 98
  CHECK(punched_unit_scores(w2.data(), g, punched_rule::official)[0] >
        punched_unit_scores(w2.data(), g, punched_rule::official)[1]);
  CHECK(project_punched(w2.data(), g, 0.5, punched_rule::official).keep == std::vector<std::uint8_t>{1, 0});
}

TEST_CASE("project_punched is feasible, exact in count, idempotent, and pads F and C") {
  for (auto dims : std::vector<std::array<index_t, 3>>{{16, 8, 9}, {19, 6, 9}, {13, 37, 1}, {8, 4, 25}, {3, 3, 49}})
    for (double density : {0.0, 0.1, 0.37, 0.5, 1.0})
      for (punched_rule rule : {punched_rule::official, punched_rule::euclidean}) {
        CAPTURE(dims[0]);
        CAPTURE(dims[1]);
        CAPTURE(dims[2]);
        CAPTURE(density);
        const auto g = punched_grid(dims[0], dims[1], dims[2]);
        auto w = random_weights(g, 7);
        const auto m = project_punched(w.data(), g, density, rule);
        CHECK(kept_units(m) == index_t(std::llround(density * double(g.units()))));
        // Feasible: the format accepts the element mask (it checks the sharing).
        apply_mask(w.data(), m.element_mask());
        const auto t = tensor_view<const float, 4>::contiguous(w.data(), {g.filters, g.channels, g.locations, 1});
        const auto fmt = format::build_punched(t, m.element_mask());
        CHECK(fmt.group_mask().keep == m.keep);
        // Idempotent: projecting the pruned weights keeps the same units (pruned units score 0
        // and kept random weights are never all zero).
        if (density > 0 && density < 1) CHECK(project_punched(w.data(), g, density, rule).keep == m.keep);
      }
}

TEST_CASE("the euclidean rule is the exact projection (brute force over every feasible mask)") {
  // 9 filters x 5 channels in 8 x 4 blocks = 2 x 2 blocks (3 of them padded), K = 2: 8 units.
  const auto g = punched_grid(9, 5, 2);
  const auto w = random_weights(g, 11);
  for (index_t n = 0; n <= g.units(); ++n) {
    const double density = double(n) / double(g.units());
    const auto m = project_punched(w.data(), g, density, punched_rule::euclidean);
    const double got = kept_energy(w, m.element_mask());
    double best = 0;
    for (unsigned bits = 0; bits < (1u << g.units()); ++bits) {
      if (index_t(__builtin_popcount(bits)) != n) continue;
      kgs_mask c{g, std::vector<std::uint8_t>(std::size_t(g.units()))};
      for (index_t u = 0; u < g.units(); ++u) c.keep[std::size_t(u)] = (bits >> u) & 1u;
      best = std::max(best, kept_energy(w, c.element_mask()));
    }
    CHECK(got == doctest::Approx(best).epsilon(1e-12));
  }
  const auto norms = punched_unit_norms(w.data(), g);
  const auto sq = punched_unit_scores(w.data(), g, punched_rule::euclidean);
  for (std::size_t u = 0; u < norms.size(); ++u) CHECK(norms[u] * norms[u] == doctest::Approx(sq[u]));
}

TEST_CASE("build_punched rejects a mask that a block does not share, naming the block") {
  const index_t F = 16, C = 8, K = 9;
  std::vector<float> w(std::size_t(F * C * K), 1.f);
  std::vector<std::uint8_t> mask(w.size(), 1);
  mask[std::size_t(((9 * C) + 5) * K + 4)] = 0;  // filter 9, channel 5, position 4: block (1, 1)
  const auto t = tensor_view<const float, 4>::contiguous(w.data(), {F, C, 3, 3});
  SPK_CHECK_ERROR(format::build_punched(t, mask), errc::bad_format, "group (1, 1)");
  SPK_CHECK_ERROR(format::build_punched(t, std::vector<std::uint8_t>(3, 1)), errc::shape_mismatch, "mask.size()");
  SPK_CHECK_ERROR(punched_grid(0, 4, 9), errc::invalid_argument, "filters");
  SPK_CHECK_ERROR(project_punched(w.data(), punched_grid(F, C, K), 1.5), errc::invalid_argument, "density");
  // Blocks of 1 x 1 make the format plain unstructured: any mask is shared.
  CHECK(format::build_punched(t, mask, 1, 1).kept_weights() == F * C * K - 1);
}
