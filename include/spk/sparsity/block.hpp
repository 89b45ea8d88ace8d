// SPDX-License-Identifier: Apache-2.0
// Block sparsity schemes on a weight matrix W (rows x cols, row-major, PyTorch's out x in):
// BLK-REW block-column / block-row pruning inside (bh x bw) blocks (BCR), RTMobile's BSP (rows
// pruned inside column strips, then columns inside row strips), plain BSR (r x c blocks) and
// unstructured pruning (the CSR control). Each gives an exact Euclidean projection (keep the
// groups of largest L2 norm), group norms for reweighted regularisation, and mask statistics.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "spk/core/tensor.hpp"
#include "spk/sparsity/stats.hpp"

SPK_BEGIN_NAMESPACE
namespace sparsity {

/// Explicit keep mask of a rows x cols matrix (1 = kept). Kept weights may be exactly zero, so
/// formats are built from a mask, never from value != 0.
struct mask2d {
  index_t rows = 0, cols = 0;
  std::vector<std::uint8_t> keep;  ///< row-major, rows * cols entries

  mask2d() = default;
  mask2d(index_t r, index_t c, std::uint8_t v = 0)
      : rows(r), cols(c), keep(checked_mul(r, c, "mask2d size"), v) {}
  bool operator()(index_t r, index_t c) const noexcept { return keep[r * cols + c] != 0; }
  std::uint8_t& at(index_t r, index_t c) noexcept { return keep[r * cols + c]; }
  /// Number of kept entries.
  index_t nnz() const noexcept { return std::count(keep.begin(), keep.end(), std::uint8_t{1}); }
  /// Kept fraction (1 for an empty matrix).
  double density() const noexcept {
    return keep.empty() ? 1.0 : double(nnz()) / double(keep.size());
  }
};

/// Kept / total counts of a mask (sparsity/stats.hpp's mask_stats: density(), reduction()).
inline mask_stats stats(const mask2d& m) { return count_mask(m.keep); }

/// Rows of the mask with no kept entry (they cost an epilogue but no FMA).
inline index_t empty_rows(const mask2d& m) {
  index_t n = 0;
  for (index_t r = 0; r < m.rows; ++r) {
    bool any = false;
    for (index_t c = 0; c < m.cols && !any; ++c) any = m(r, c);
    n += !any;
  }
  return n;
}

/// Which groups block-based pruning removes inside each block.
enum class block_prune { columns, rows };

namespace detail {
inline void check_matrix(const matrix_view<const float>& w, const char* where) {
  require(w.empty() || w.data() != nullptr, where, "w", "nullptr", "a non-null data pointer");
}
inline void check_rate(double keep, const char* where) {
  require(keep >= 0.0 && keep <= 1.0, where, "keep", keep, "a kept fraction in [0, 1]");
}
/// Number of groups kept out of n at kept fraction `keep` (rounded to nearest, ties down).
inline index_t kept_count(index_t n, double keep) {
  return std::min<index_t>(n, static_cast<index_t>(std::floor(double(n) * keep + 0.5 - 1e-9)));
}
/// Indices of the k largest scores (ties: the lower index wins), ascending.
inline std::vector<index_t> top_k(const std::vector<double>& score, index_t k) {
  std::vector<index_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), index_t{0});
  std::stable_sort(idx.begin(), idx.end(),
                   [&](index_t a, index_t b) { return score[a] > score[b]; });
  idx.resize(static_cast<std::size_t>(k));
  std::sort(idx.begin(), idx.end());
  return idx;
}
}  // namespace detail

/// Squared L2 norms of the block groups: for block (i, j) of size bh x bw (edge blocks clipped),
/// columns mode gives one norm per block column, rows mode one per block row. Returned as
/// norms[(i * nbc + j) * g + t] with g = bw (columns) or bh (rows); clipped groups are 0.
/// These are the group norms of BLK-REW's reweighted regularisation (alpha = 1/(norm^2 + eps)).
inline std::vector<double> bcr_group_norms(matrix_view<const float> w, index_t bh, index_t bw,
                                           block_prune mode) {
  detail::check_matrix(w, "bcr_group_norms");
  require(bh >= 1, "bcr_group_norms", "bh", bh, ">= 1");
  require(bw >= 1, "bcr_group_norms", "bw", bw, ">= 1");
  const index_t nbr = (w.dim(0) + bh - 1) / bh, nbc = (w.dim(1) + bw - 1) / bw;
  const index_t g = mode == block_prune::columns ? bw : bh;
  std::vector<double> n(static_cast<std::size_t>(nbr * nbc * g), 0.0);
  for (index_t r = 0; r < w.dim(0); ++r)
    for (index_t c = 0; c < w.dim(1); ++c) {
      const index_t blk = (r / bh) * nbc + c / bw,
                    t = mode == block_prune::columns ? c % bw : r % bh;
      n[blk * g + t] += double(w(r, c)) * double(w(r, c));
    }
  return n;
}

/// BLK-REW projection: inside every (bh x bw) block keep the round(keep * groups) block columns
/// (or block rows) of largest L2 norm and prune the rest. Every block keeps the same count (edge
/// blocks: of their clipped size), which balances threads. Exact Euclidean projection onto the
/// set of matrices with that many kept groups per block.
inline mask2d project_bcr(matrix_view<const float> w, index_t bh, index_t bw, block_prune mode,
                          double keep) {
  detail::check_rate(keep, "project_bcr");
  const std::vector<double> norms = bcr_group_norms(w, bh, bw, mode);
  const index_t rows = w.dim(0), cols = w.dim(1);
  const index_t nbr = (rows + bh - 1) / bh, nbc = (cols + bw - 1) / bw;
  const index_t g = mode == block_prune::columns ? bw : bh;
  mask2d m(rows, cols);
  for (index_t i = 0; i < nbr; ++i)
    for (index_t j = 0; j < nbc; ++j) {
      const index_t h = std::min(bh, rows - i * bh), wd = std::min(bw, cols - j * bw);
      const index_t n = mode == block_prune::columns ? wd : h;
      std::vector<double> s(norms.begin() + (i * nbc + j) * g,
                            norms.begin() + (i * nbc + j) * g + n);
      for (index_t t : detail::top_k(s, detail::kept_count(n, keep)))
        for (index_t a = 0; a < (mode == block_prune::columns ? h : wd); ++a) {
          const index_t r = mode == block_prune::columns ? i * bh + a : i * bh + t;
          const index_t c = mode == block_prune::columns ? j * bw + t : j * bw + a;
          m.at(r, c) = 1;
        }
    }
  return m;
}

/// RTMobile BSP: (1) split the columns into `col_strips` equal strips and, in each, keep the
/// round(row_keep * rows) rows of largest L2 norm restricted to that strip; (2) split the rows
/// into `row_strips` strips and, in each, keep the round(col_keep * cols) columns of largest
/// norm of the step-1-pruned matrix restricted to that strip. row_keep or col_keep = 1 skips a
/// step. Every (row strip x column strip) block of the result is a dense kept-rows x kept-cols
/// product, so the BCR format with bh = rows/row_strips, bw = cols/col_strips (or any divisor)
/// holds it exactly. Each step is the exact projection of its own input.
inline mask2d project_bsp(matrix_view<const float> w, index_t col_strips, double row_keep,
                          index_t row_strips, double col_keep) {
  detail::check_matrix(w, "project_bsp");
  detail::check_rate(row_keep, "project_bsp");
  detail::check_rate(col_keep, "project_bsp");
  const index_t rows = w.dim(0), cols = w.dim(1);
  require(col_strips >= 1 && col_strips <= std::max<index_t>(cols, 1), "project_bsp", "col_strips",
          col_strips, "in [1, cols]");
  require(row_strips >= 1 && row_strips <= std::max<index_t>(rows, 1), "project_bsp", "row_strips",
          row_strips, "in [1, rows]");
  const index_t sw = (cols + col_strips - 1) / col_strips,
                sh = (rows + row_strips - 1) / row_strips;
  mask2d m1 = project_bcr(w, std::max<index_t>(rows, 1), sw, block_prune::rows, row_keep);
  // Step 2 scores the step-1-pruned weights.
  std::vector<float> pruned(static_cast<std::size_t>(rows * cols));
  for (index_t r = 0; r < rows; ++r)
    for (index_t c = 0; c < cols; ++c) pruned[r * cols + c] = m1(r, c) ? w(r, c) : 0.f;
  const auto pv = make_matrix<const float>(pruned.data(), rows, cols);
  mask2d m2 = project_bcr(pv, sh, std::max<index_t>(cols, 1), block_prune::columns, col_keep);
  for (std::size_t i = 0; i < m1.keep.size(); ++i) m1.keep[i] &= m2.keep[i];
  return m1;
}

/// Squared Frobenius norms of the r x c blocks (edge blocks clipped), row-major over blocks.
inline std::vector<double> bsr_block_norms(matrix_view<const float> w, index_t r, index_t c) {
  detail::check_matrix(w, "bsr_block_norms");
  require(r >= 1, "bsr_block_norms", "r", r, ">= 1");
  require(c >= 1, "bsr_block_norms", "c", c, ">= 1");
  const index_t nbc = (w.dim(1) + c - 1) / c;
  std::vector<double> n(static_cast<std::size_t>((w.dim(0) + r - 1) / r * nbc), 0.0);
  for (index_t i = 0; i < w.dim(0); ++i)
    for (index_t j = 0; j < w.dim(1); ++j)
      n[(i / r) * nbc + j / c] += double(w(i, j)) * double(w(i, j));
  return n;
}

/// BSR projection: keep the round(keep * blocks) r x c blocks of largest Frobenius norm over
/// the whole matrix (exact projection onto "at most k blocks").
inline mask2d project_bsr(matrix_view<const float> w, index_t r, index_t c, double keep) {
  detail::check_rate(keep, "project_bsr");
  const std::vector<double> n = bsr_block_norms(w, r, c);
  const index_t nbc = (w.dim(1) + c - 1) / c;
  mask2d m(w.dim(0), w.dim(1));
  for (index_t b : detail::top_k(n, detail::kept_count(index_t(n.size()), keep))) {
    const index_t i0 = (b / nbc) * r, j0 = (b % nbc) * c;
    for (index_t i = i0; i < std::min(i0 + r, w.dim(0)); ++i)
      for (index_t j = j0; j < std::min(j0 + c, w.dim(1)); ++j) m.at(i, j) = 1;
  }
  return m;
}

/// Unstructured magnitude pruning (the CSR control): keep the round(keep * size) entries of
/// largest |w| over the whole matrix.
inline mask2d project_unstructured(matrix_view<const float> w, double keep) {
  detail::check_matrix(w, "project_unstructured");
  detail::check_rate(keep, "project_unstructured");
  std::vector<double> s(static_cast<std::size_t>(w.dim(0) * w.dim(1)));
  for (index_t i = 0; i < w.dim(0); ++i)
    for (index_t j = 0; j < w.dim(1); ++j) s[i * w.dim(1) + j] = std::fabs(double(w(i, j)));
  mask2d m(w.dim(0), w.dim(1));
  for (index_t e : detail::top_k(s, detail::kept_count(index_t(s.size()), keep))) m.keep[e] = 1;
  return m;
}

/// W masked: entries outside the mask set to 0 (a contiguous rows x cols copy).
inline tensor<float, 2> apply_mask(matrix_view<const float> w, const mask2d& m) {
  require(m.rows == w.dim(0) && m.cols == w.dim(1), "apply_mask", "mask",
          std::to_string(m.rows) + "x" + std::to_string(m.cols),
          std::to_string(w.dim(0)) + "x" + std::to_string(w.dim(1)), errc::shape_mismatch);
  tensor<float, 2> out({w.dim(0), w.dim(1)});
  for (index_t i = 0; i < w.dim(0); ++i)
    for (index_t j = 0; j < w.dim(1); ++j) out.data()[i * w.dim(1) + j] = m(i, j) ? w(i, j) : 0.f;
  return out;
}

}  // namespace sparsity
SPK_END_NAMESPACE
