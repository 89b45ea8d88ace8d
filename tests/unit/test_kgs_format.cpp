// SPDX-License-Identifier: Apache-2.0
// Tests of include/spk/format/kgs.hpp: build from pruned weights + mask (element or group),
// to_dense round trips, explicit masks (kept zeros), F and C off the group grid, the entry
// layout the microkernel walks, storage_bytes, and validate() on malformed parts.
#include <cstdint>
#include <vector>

#include "harness.hpp"
#include "spk/format/kgs.hpp"

using namespace spk;
using spk_test::int_tensor;

namespace {

using sparsity::kgs_grid;

/// Pruned int weights F x C x 3x3x3 and their group mask at `density`.
std::pair<tensor<float, 5>, sparsity::kgs_mask> pruned(index_t f, index_t c, double density, index_t gm = 8,
                                                        index_t gn = 4, bool vanilla = false) {
  auto w = int_tensor<5>({f, c, 3, 3, 3}, 7);
  const kgs_grid g{f, c, 27, gm, gn};
  auto m = vanilla ? sparsity::project_vanilla(w.data(), g, density) : sparsity::project_kgs(w.data(), g, density);
  sparsity::apply_mask(w.data(), m.element_mask());
  return {std::move(w), std::move(m)};
}

}  // namespace

TEST_CASE("kgs build / to_dense round trip, F and C off the group grid") {
  for (const auto& fc : std::vector<std::pair<index_t, index_t>>{{8, 4}, {17, 9}, {1, 1}, {3, 33}, {64, 3}})
    for (double d : {0.0, 0.1, 0.5, 1.0})
      for (bool vanilla : {false, true}) {
        const index_t f = fc.first, c = fc.second;
        CAPTURE(f);
        CAPTURE(c);
        CAPTURE(d);
        auto [w, m] = pruned(f, c, d, 8, 4, vanilla);
        const auto st = vanilla ? format::kgs_structure::vanilla : format::kgs_structure::kgs;
        const auto a = format::kgs3d::build(w.view(), m, st);
        const auto b = format::kgs3d::build(w.view(), m.element_mask(), 8, 4, st);
        const auto dense = a.to_dense();
        REQUIRE(dense.size() == w.size());
        for (index_t i = 0; i < w.size(); ++i) REQUIRE(dense.data()[i] == w.data()[i]);
        CHECK(a.element_mask() == m.element_mask());
        CHECK(b.element_mask() == m.element_mask());
        CHECK(a.group_mask().keep == m.keep);
        CHECK(a.kept_weights() == m.stats().kept);
        CHECK(a.density() == doctest::Approx(m.stats().density()));
        CHECK(a.entries() == b.entries());
        CHECK(a.structure() == st);
      }
}

TEST_CASE("kgs entry layout: per filter block (group, channel, location), gm weights each") {
  auto [w, m] = pruned(11, 6, 0.4, 8, 4);
  const auto k = format::kgs3d::build(w.view(), m);
  const auto& g = k.grid();
  REQUIRE(g.filter_blocks() == 2);
  REQUIRE(k.entry_ptr().size() == 3);
  for (index_t i = 0; i < 2; ++i) {
    index_t e = k.entry_ptr()[std::size_t(i)];
    for (index_t j = 0; j < 2; ++j)
      for (index_t c = j * 4; c < std::min<index_t>(6, j * 4 + 4); ++c)
        for (index_t loc = 0; loc < 27; ++loc) {
          if (!m.kept(i, j, loc)) continue;
          REQUIRE(k.entry_channel()[std::size_t(e)] == c);
          REQUIRE(k.entry_location()[std::size_t(e)] == loc);
          for (index_t mm = 0; mm < 8; ++mm) {
            const index_t f = i * 8 + mm;
            const float want = f < 11 ? w.data()[(f * 6 + c) * 27 + loc] : 0.f;  // padding filters are 0
            REQUIRE(k.values()[e * 8 + mm] == want);
          }
          ++e;
        }
    CHECK(e == k.entry_ptr()[std::size_t(i + 1)]);
  }
  const std::size_t expect = std::size_t(k.entries()) * (8 * 4 + 4 + 2) + k.locations().size() * 2 +
                             (k.loc_ptr().size() + k.entry_ptr().size()) * sizeof(index_t);
  CHECK(k.storage_bytes() == expect);
  // Compression: at density 0.4 the format is well below the dense 4 bytes per weight.
  CHECK(k.storage_bytes() < std::size_t(w.size()) * 4);
}

TEST_CASE("kgs keeps explicitly masked zeros") {
  tensor<float, 5> w({8, 4, 1, 3, 3}, 0.f);
  std::vector<std::uint8_t> mask(std::size_t(w.size()), 0);
  for (index_t f = 0; f < 8; ++f)
    for (index_t c = 0; c < 4; ++c) mask[std::size_t((f * 4 + c) * 9 + 4)] = 1;  // centre tap, weight 0
  const auto k = format::kgs3d::build(w.view(), mask, 8, 4);
  CHECK(k.kept_weights() == 32);
  CHECK(k.entries() == 4);
  CHECK(k.element_mask() == mask);
}

TEST_CASE("kgs build rejects a mask that is not constant across a group, naming it") {
  auto [w, m] = pruned(16, 8, 0.5);
  auto em = m.element_mask();
  // Flip one kernel's bit in group (1, 1) = filters [8, 16) x channels [4, 8), location 5.
  const std::size_t at = std::size_t((10 * 8 + 6) * 27 + 5);
  em[at] = !em[at];
  SPK_CHECK_ERROR(format::kgs3d::build(w.view(), em, 8, 4), errc::bad_format,
                  "group (1, 1) = filters [8, 16) x channels [4, 8) at location 5");
  // A KGS mask is not a vanilla one.
  auto [w2, m2] = pruned(16, 8, 0.5);
  SPK_CHECK_ERROR(format::kgs3d::build(w2.view(), m2, format::kgs_structure::vanilla), errc::bad_format,
                  "a vanilla group keeps all or none");
  SPK_CHECK_ERROR(format::kgs3d::build(w.view(), std::vector<std::uint8_t>(5), 8, 4), errc::shape_mismatch,
                  "mask.size()");
  SPK_CHECK_ERROR(format::kgs3d::build(w.view(), m.element_mask(), 0, 4), errc::invalid_argument, "gm");
  const sparsity::kgs_mask other{kgs_grid{16, 9, 27}, std::vector<std::uint8_t>(std::size_t(4 * 3 * 27))};
  SPK_CHECK_ERROR(format::kgs3d::build(w.view(), other), errc::shape_mismatch, "mask.grid");
}

TEST_CASE("kgs from_parts validates every invariant") {
  const kgs_grid g{8, 4, 27, 8, 4};  // one group
  const std::array<index_t, 3> k{3, 3, 3};
  auto vals = [](index_t n) { return aligned_buffer<float>(n, 1.f); };
  // Valid: locations {2, 7}: 4 channels x 2 = 8 entries x 8 filters.
  const auto ok = format::kgs3d::from_parts(g, k, format::kgs_structure::kgs, {0, 2}, {2, 7}, vals(64));
  CHECK(ok.entries() == 8);
  CHECK(ok.kept_weights() == 64);
  SPK_CHECK_ERROR(format::kgs3d::from_parts(g, k, format::kgs_structure::kgs, {0, 2}, {7, 2}, vals(64)),
                  errc::bad_format, "not strictly increasing");
  SPK_CHECK_ERROR(format::kgs3d::from_parts(g, k, format::kgs_structure::kgs, {0, 2}, {2, 27}, vals(64)),
                  errc::bad_format, "location 27 >= K");
  SPK_CHECK_ERROR(format::kgs3d::from_parts(g, k, format::kgs_structure::kgs, {0, 3}, {2, 7}, vals(64)),
                  errc::bad_format, "loc_ptr");
  SPK_CHECK_ERROR(format::kgs3d::from_parts(g, k, format::kgs_structure::kgs, {0}, {}, vals(0)), errc::bad_format,
                  "groups + 1");
  SPK_CHECK_ERROR(format::kgs3d::from_parts(g, k, format::kgs_structure::kgs, {0, 2}, {2, 7}, vals(63)),
                  errc::bad_format, "values.size()");
  SPK_CHECK_ERROR(format::kgs3d::from_parts(g, k, format::kgs_structure::vanilla, {0, 2}, {2, 7}, vals(64)),
                  errc::bad_format, "vanilla");
  SPK_CHECK_ERROR(format::kgs3d::from_parts(g, {3, 3, 2}, format::kgs_structure::kgs, {0, 2}, {2, 7}, vals(64)),
                  errc::bad_format, "kernel volume");
  // A non-zero weight of a padding filter (F = 5 of gm = 8) is rejected.
  const kgs_grid g5{5, 4, 27, 8, 4};
  SPK_CHECK_ERROR(format::kgs3d::from_parts(g5, k, format::kgs_structure::kgs, {0, 1}, {0}, vals(32)),
                  errc::bad_format, "padding filter 5");
}

TEST_CASE("kgs in 2D (the block-punched shape): build and round trip") {
  auto w = int_tensor<4>({16, 8, 3, 3}, 9);
  const kgs_grid g{16, 8, 9, 8, 4};
  const auto m = sparsity::project_kgs(w.data(), g, 0.3);
  sparsity::apply_mask(w.data(), m.element_mask());
  const auto k = format::kgs2d::build(w.view(), m);
  const auto d = k.to_dense();
  for (index_t i = 0; i < w.size(); ++i) REQUIRE(d.data()[i] == w.data()[i]);
}
