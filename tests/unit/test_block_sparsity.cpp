// SPDX-License-Identifier: Apache-2.0
// Block sparsity projections (BCR, BSP, BSR, unstructured) and the BCR/BSR/CSR formats:
// feasibility, idempotence, optimality by brute force on tiny sizes, round trips, explicit
// masks (kept zeros), storage and malformed inputs.
#include <vector>

#include "harness.hpp"
#include "spk/format/bcr.hpp"
#include "spk/format/bsr.hpp"
#include "spk/format/csr.hpp"
#include "spk/sparsity/block.hpp"

using namespace spk;
using namespace spk::sparsity;
using spk_test::uniform_tensor;

namespace {
double kept_energy(const tensor<float, 2>& w, const mask2d& m) {
  double e = 0;
  for (index_t i = 0; i < m.rows * m.cols; ++i)
    e += m.keep[i] ? double(w.data()[i]) * w.data()[i] : 0.0;
  return e;
}
bool same_mask(const mask2d& a, const mask2d& b) {
  return a.rows == b.rows && a.cols == b.cols && a.keep == b.keep;
}
}  // namespace

TEST_CASE("project_bcr keeps whole block columns / rows, the same count per block") {
  auto w = uniform_tensor<2>({37, 50}, 1);
  for (auto mode : {block_prune::columns, block_prune::rows})
    for (double keep : {0.0, 0.25, 0.5, 1.0}) {
      CAPTURE(keep);
      const mask2d m = project_bcr(w.view(), 16, 8, mode, keep);
      for (index_t i0 = 0; i0 < 37; i0 += 16)
        for (index_t j0 = 0; j0 < 50; j0 += 8) {
          const index_t h = std::min<index_t>(16, 37 - i0), wd = std::min<index_t>(8, 50 - j0);
          const index_t groups = mode == block_prune::columns ? wd : h,
                        len = mode == block_prune::columns ? h : wd;
          index_t kept = 0;
          for (index_t g = 0; g < groups; ++g) {
            index_t n = 0;
            for (index_t t = 0; t < len; ++t)
              n += mode == block_prune::columns ? m(i0 + t, j0 + g) : m(i0 + g, j0 + t);
            CHECK((n == 0 || n == len));  // whole groups only
            kept += n == len;
          }
          CHECK(kept == index_t(std::floor(groups * keep + 0.5 - 1e-9)));
        }
      // Idempotent: projecting the pruned matrix keeps the same mask.
      auto p = apply_mask(w.view(), m);
      if (keep > 0) CHECK(same_mask(project_bcr(p.view(), 16, 8, mode, keep), m));
      // The format holds it exactly.
      auto f = format::bcr::from_dense(w.view(), m, 16, 8);
      CHECK(same_mask(f.mask(), m));
    }
}

TEST_CASE("project_bcr is optimal: brute force over every per-block column choice") {
  // 2 x 4 matrix, one 2 x 4 block, keep 2 of 4 columns: 6 candidates.
  auto w = uniform_tensor<2>({2, 4}, 2);
  const mask2d m = project_bcr(w.view(), 2, 4, block_prune::columns, 0.5);
  double best = 0;
  for (int a = 0; a < 4; ++a)
    for (int b = a + 1; b < 4; ++b) {
      mask2d c(2, 4);
      for (int r = 0; r < 2; ++r) c.at(r, a) = c.at(r, b) = 1;
      best = std::max(best, kept_energy(w, c));
    }
  CHECK(kept_energy(w, m) == doctest::Approx(best));
}

TEST_CASE("project_bsr keeps whole blocks and is optimal on a tiny matrix") {
  auto w = uniform_tensor<2>({4, 6}, 3);
  const mask2d m = project_bsr(w.view(), 2, 3, 0.5);  // 4 blocks, keep 2
  CHECK(m.nnz() == 12);
  double best = 0;
  for (int a = 0; a < 4; ++a)
    for (int b = a + 1; b < 4; ++b) {
      mask2d c(4, 6);
      for (int blk : {a, b})
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 3; ++j) c.at((blk / 2) * 2 + i, (blk % 2) * 3 + j) = 1;
      best = std::max(best, kept_energy(w, c));
    }
  CHECK(kept_energy(w, m) == doctest::Approx(best));
  auto f = format::bsr::from_dense(w.view(), m, 2, 3);
  CHECK(same_mask(f.mask(), m));
  CHECK(f.nnz() == 12);
}

TEST_CASE("project_bsp: row pruning in column strips, then column pruning in row strips") {
  auto w = uniform_tensor<2>({48, 64}, 4);
  const mask2d m = project_bsp(w.view(), 4, 0.25, 2, 0.5);
  // Step 1: every 16-column strip keeps 12 rows; step 2: every 24-row strip keeps 32 columns
  // of the step-1 result, so each (24 x 16) block is a product and BCR holds it.
  auto f = format::bcr::from_dense(w.view(), m, 24, 16);
  CHECK(same_mask(f.mask(), m));
  for (index_t s = 0; s < 4; ++s) {
    index_t rows = 0;
    for (index_t r = 0; r < 48; ++r) {
      bool any = false;
      for (index_t c = s * 16; c < s * 16 + 16; ++c) any = any || m(r, c);
      rows += any;
    }
    CHECK(rows <= 12);
  }
  const auto st = stats(m);
  CHECK(st.density() <=
        0.25);  // step 2 favours columns of strips that kept more rows: not 0.25 * 0.5
  CHECK(st.density() > 0);
  CHECK(empty_rows(m) < 48);
  // Row pruning only (RTMobile's block_prune_filter with cross = (4, 1)).
  const mask2d r = project_bsp(w.view(), 4, 0.25, 1, 1.0);
  CHECK(r.nnz() == 4 * 12 * 16);
}

TEST_CASE("unstructured projection keeps the largest magnitudes") {
  auto w = uniform_tensor<2>({9, 11}, 5);
  const mask2d m = project_unstructured(w.view(), 0.3);
  CHECK(m.nnz() == 30);
  float min_kept = 10, max_pruned = 0;
  for (index_t i = 0; i < 99; ++i)
    (m.keep[i] ? min_kept : max_pruned) = m.keep[i] ? std::min(min_kept, std::fabs(w.data()[i]))
                                                    : std::max(max_pruned, std::fabs(w.data()[i]));
  CHECK(min_kept >= max_pruned);
}

TEST_CASE("formats round-trip, keep explicit zeros and count storage") {
  auto w = spk_test::int_tensor<2>({33, 40}, 6);
  for (index_t i = 0; i < 40; ++i) w.data()[i] = 0.f;  // row 0 all zero, but kept where masked
  const mask2d mb = project_bcr(w.view(), 16, 8, block_prune::columns, 0.5);
  mask2d all(33, 40, 1);
  auto fb = format::bcr::from_dense(w.view(), mb, 16, 8);
  auto pb = apply_mask(w.view(), mb);
  auto db = fb.to_dense();
  CHECK(std::equal(db.data(), db.data() + db.size(), pb.data()));
  CHECK(fb.nnz() == mb.nnz());
  CHECK(fb.storage_bytes() >= std::size_t(fb.nnz()) * 4);
  auto fc = format::csr::from_dense(w.view(), all);
  CHECK(fc.nnz() == 33 * 40);  // the zero row stays kept
  CHECK(same_mask(fc.mask(), all));
  CHECK(fc.storage_bytes() == std::size_t(33 * 40 * 8 + 34 * 8));
  auto fs = format::bsr::from_dense(w.view(), project_bsr(w.view(), 16, 4, 0.25), 16, 4);
  auto ds = fs.to_dense();
  auto ps = apply_mask(w.view(), fs.mask());
  CHECK(std::equal(ds.data(), ds.data() + ds.size(), ps.data()));
  // Density 0 and 1.
  CHECK(format::bcr::from_dense(w.view(), mask2d(33, 40), 16, 8).nnz() == 0);
  CHECK(format::bcr::from_dense(w.view(), all, 16, 8).nnz() == 33 * 40);
}

TEST_CASE("malformed masks and parts raise spk::error") {
  auto w = spk_test::int_tensor<2>({8, 8}, 7);
  mask2d m(8, 8);
  m.at(0, 0) = m.at(1, 1) = 1;  // not a product inside the 8 x 8 block
  SPK_CHECK_ERROR(format::bcr::from_dense(w.view(), m, 8, 8), errc::invalid_argument, "product");
  SPK_CHECK_ERROR(format::bcr::from_dense(w.view(), mask2d(7, 8), 8, 8), errc::shape_mismatch,
                  "mask");
  SPK_CHECK_ERROR(format::bsr::from_dense(w.view(), m, 2, 3), errc::invalid_argument,
                  "dividing cols");
  SPK_CHECK_ERROR(format::bsr::from_dense(w.view(), m, 2, 2), errc::invalid_argument,
                  "whole r x c blocks");
  SPK_CHECK_ERROR(format::csr::from_parts(2, 4, {0, 2, 1}, {0, 1}, {1.f, 2.f}), errc::bad_format,
                  "row_ptr");
  SPK_CHECK_ERROR(format::csr::from_parts(1, 4, {0, 2}, {3, 1}, {1.f, 2.f}), errc::bad_format,
                  "col_idx[1]");
  SPK_CHECK_ERROR(format::csr::from_parts(1, 4, {0, 1}, {4}, {1.f}), errc::bad_format,
                  "col_idx[0]");
  // BCR: one strip of 8 rows, one segment keeping rows {0, 1} and columns {2, 5}.
  std::vector<float> v(32, 0.f);
  v[0] = 1, v[1] = 2;
  CHECK(format::bcr::from_parts(8, 8, 8, 8, {0, 1}, {0, 2}, {0, 2}, {0, 32}, {0, 1}, {2, 5}, v)
            .nnz() == 4);
  SPK_CHECK_ERROR(
      format::bcr::from_parts(8, 8, 8, 8, {0, 1}, {0, 2}, {0, 2}, {0, 32}, {0, 9}, {2, 5}, v),
      errc::bad_format, "rows[1]");
  SPK_CHECK_ERROR(
      format::bcr::from_parts(8, 8, 8, 8, {0, 1}, {0, 2}, {0, 2}, {0, 32}, {0, 1}, {5, 2}, v),
      errc::bad_format, "cols[1]");
  SPK_CHECK_ERROR(
      format::bcr::from_parts(8, 8, 8, 8, {0, 1}, {0, 2}, {0, 2}, {0, 16}, {0, 1}, {2, 5}, v),
      errc::bad_format, "pointer");
  v[2] = 9.f;  // a padding row
  SPK_CHECK_ERROR(
      format::bcr::from_parts(8, 8, 8, 8, {0, 1}, {0, 2}, {0, 2}, {0, 32}, {0, 1}, {2, 5}, v),
      errc::bad_format, "padding");
  SPK_CHECK_ERROR(project_bcr(w.view(), 0, 4, block_prune::rows, 0.5), errc::invalid_argument,
                  "bh");
  SPK_CHECK_ERROR(project_bsr(w.view(), 2, 2, 1.5), errc::invalid_argument, "keep");
}
