// SPDX-License-Identifier: Apache-2.0
// Block-sparse SpMM / SpMV on the formats of spk/format/bcr.hpp and bsr.hpp:
// Y (M x N) = act(W X + bias), W M x K (BCR or BSR, 16-row value panels), X K x N and Y M x N
// row-major (ld = N); SpMV is N = 1 (the GRU / LSTM recurrent step). Pure OpenCL C 1.2.

#ifndef NCOLS  // N: columns of X and Y (their leading dimension)
#define NCOLS 1
#endif
#ifndef BH  // BCR strip height
#define BH 16
#endif
#ifndef BSR_R  // BSR block rows
#define BSR_R 16
#endif
#ifndef BSR_C  // BSR block columns
#define BSR_C 1
#endif
#ifndef ACT  // 0 none, 1 relu, 2 gelu (the erf form): spk::kernels::spmm::activation
#define ACT 0
#endif
#ifndef HAS_BIAS  // bias[row] added before ACT
#define HAS_BIAS 0
#endif

#define PANEL 16  // format::panel_rows: kept rows per value panel
#define BSR_P ((BSR_R + PANEL - 1) / PANEL)

#ifndef SPMM_VEC  // columns per SpMM work-item, one explicit vector: 1, 2, 4, 8 or 16
#define SPMM_VEC 16
#endif

#if SPMM_VEC == 1
#define VT float
#define VLOAD(p) (*(p))
#define VSTORE(v, p) (*(p) = (v))
#else
#define VT_(n) float##n
#define VT_N(n) VT_(n)
#define VT VT_N(SPMM_VEC)
#define VLOAD_(n) vload##n
#define VLOAD_N(n) VLOAD_(n)
#define VSTORE_(n) vstore##n
#define VSTORE_N(n) VSTORE_(n)
#define VLOAD(p) VLOAD_N(SPMM_VEC)(0, p)
#define VSTORE(v, p) VSTORE_N(SPMM_VEC)(v, 0, p)
#endif
#define HAS_TAIL (NCOLS % SPMM_VEC != 0)

// act(v + bias[row]) for a float or a vector of columns of one row.
#if HAS_BIAS
#define ADD_BIAS(v, row) ((v) + bias[row])
#else
#define ADD_BIAS(v, row) (v)
#endif
#if ACT == 1
#define ACTIVATE(v) fmax((v), 0.f)
#elif ACT == 2
#define ACTIVATE(v) (0.5f * (v) * (1.f + erf((v) * 0.70710678118654752f)))
#else
#define ACTIVATE(v) (v)
#endif

inline float spmm_finish(float acc, __global const float* bias, int row) {
  const float v = ADD_BIAS(acc, row);
  return ACTIVATE(v);
}

// `valid` (>= 1) columns at p: a whole vector, or the zero-padded tail of a row (never read
// past the row: X and Y are the caller's exact K x N / M x N arrays).
inline VT load_cols(__global const float* p, int valid) {
  if (!HAS_TAIL || valid >= SPMM_VEC) return VLOAD(p);
  float t[SPMM_VEC];
  for (int i = 0; i < SPMM_VEC; ++i) t[i] = i < valid ? p[i] : 0.f;
  return VLOAD(t);
}
inline void store_cols(VT v, __global float* p, int valid) {
  if (!HAS_TAIL || valid >= SPMM_VEC) {
    VSTORE(v, p);
    return;
  }
  float t[SPMM_VEC];
  VSTORE(v, t);
  for (int i = 0; i < valid; ++i) p[i] = t[i];
}

// ---- SpMM, work-item (column vector j, strip) ------------------------------------------------
// Work-item j owns columns [j*SPMM_VEC, +SPMM_VEC) of one strip, so it may accumulate in Y
// across the strip's segments without synchronisation. Per kept column: one vector load of X
// shared by the 16 rows of the panel, 16 FMAs with broadcast W values (16 accumulator
// vectors). Explicit vectors: PoCL does not vectorise across work-items through inner loops.
// A strip holding one segment that keeps every row (column pruning) is stored directly.

// BCR: strip s covers rows [s*BH, min(s*BH + BH, rows)); segments strip_seg[s]..strip_seg[s+1].
__kernel void spmm_bcr(const int rows, const int strips, __global const int* restrict strip_seg,
                       __global const int* restrict seg_row, __global const int* restrict seg_col,
                       __global const int* restrict seg_val, __global const int* restrict row_idx,
                       __global const int* restrict col_idx, __global const float* restrict values,
                       __global const float* restrict x, __global const float* restrict bias,
                       __global float* restrict y) {
  const int n0 = (int)get_global_id(0) * SPMM_VEC;
  const int s = (int)get_global_id(1);
  if (n0 >= NCOLS || s >= strips) return;
  const int valid = NCOLS - n0;
  const int r0 = s * BH, r1 = min(r0 + BH, rows);
  const int g0 = strip_seg[s], g1 = strip_seg[s + 1];
  const bool direct = g1 - g0 == 1 && seg_row[g0 + 1] - seg_row[g0] == r1 - r0;
  if (!direct)
    for (int r = r0; r < r1; ++r) store_cols((VT)(0.f), y + r * NCOLS + n0, valid);
  for (int g = g0; g < g1; ++g) {
    const int a = seg_row[g + 1] - seg_row[g], b = seg_col[g + 1] - seg_col[g];
    __global const int* cols = col_idx + seg_col[g];
    __global const int* kept = row_idx + seg_row[g];
    for (int p = 0; p * PANEL < a; ++p) {
      __global const float* v = values + seg_val[g] + p * b * PANEL;
      VT acc[PANEL];
      for (int t = 0; t < PANEL; ++t) acc[t] = (VT)(0.f);
      for (int c = 0; c < b; ++c) {
        const VT xv = load_cols(x + cols[c] * NCOLS + n0, valid);
        for (int t = 0; t < PANEL; ++t) acc[t] += v[c * PANEL + t] * xv;
      }
      const int here = min(PANEL, a - p * PANEL);
      for (int t = 0; t < PANEL; ++t) {
        if (t < here) {
          const int r = kept[p * PANEL + t];
          __global float* yr = y + r * NCOLS + n0;
          if (direct) {
            const VT o = ADD_BIAS(acc[t], r);
            store_cols(ACTIVATE(o), yr, valid);
          } else {
            store_cols(load_cols(yr, valid) + acc[t], yr, valid);
          }
        }
      }
    }
  }
  if (!direct)
    for (int r = r0; r < r1; ++r) {
      __global float* yr = y + r * NCOLS + n0;
      const VT o = ADD_BIAS(load_cols(yr, valid), r);
      store_cols(ACTIVATE(o), yr, valid);
    }
}

// BSR: work-item (column vector j, strip s * BSR_P + panel p): rows s*BSR_R + p*16 + [0, 16)
// are owned by this panel alone and every block keeps all of them: the store is direct.
__kernel void spmm_bsr(const int rows, const int strips, __global const int* restrict blk_ptr,
                       __global const int* restrict blk_idx, __global const float* restrict values,
                       __global const float* restrict x, __global const float* restrict bias,
                       __global float* restrict y) {
  const int n0 = (int)get_global_id(0) * SPMM_VEC;
  const int sp = (int)get_global_id(1);
  if (n0 >= NCOLS || sp >= strips * BSR_P) return;
  const int valid = NCOLS - n0;
  const int s = sp / BSR_P, p = sp - s * BSR_P;
  const int k0 = blk_ptr[s], nb = blk_ptr[s + 1] - k0;
  __global const float* v = values + (k0 * BSR_P + p * nb) * (BSR_C * PANEL);
  VT acc[PANEL];
  for (int t = 0; t < PANEL; ++t) acc[t] = (VT)(0.f);
  for (int k = 0; k < nb; ++k) {
    const int col0 = blk_idx[k0 + k] * BSR_C;
    for (int j = 0; j < BSR_C; ++j) {
      const VT xv = load_cols(x + (col0 + j) * NCOLS + n0, valid);
      for (int t = 0; t < PANEL; ++t) acc[t] += v[(k * BSR_C + j) * PANEL + t] * xv;
    }
  }
  for (int t = 0; t < PANEL; ++t) {
    const int lr = p * PANEL + t, r = s * BSR_R + lr;
    if (lr < BSR_R && r < rows) {
      const VT o = ADD_BIAS(acc[t], r);
      store_cols(ACTIVATE(o), y + r * NCOLS + n0, valid);
    }
  }
}

// ---- SpMV (N = 1) -----------------------------------------------------------------------------
// One work-item per BCR strip / BSR strip panel: the 16 panel rows are one float16 accumulator
// (one vector load of W and one gathered x per kept column: W streams once, the bound).

inline void spmv_scatter(float16 acc, int here, __global const int* kept, bool direct,
                         __global const float* bias, __global float* y) {
  float lane[PANEL];
  vstore16(acc, 0, lane);
  for (int t = 0; t < PANEL; ++t) {
    if (t < here) {
      const int r = kept[t];
      if (direct)
        y[r] = spmm_finish(lane[t], bias, r);
      else
        y[r] += lane[t];
    }
  }
}

__kernel void spmv_bcr(const int rows, const int strips, __global const int* restrict strip_seg,
                       __global const int* restrict seg_row, __global const int* restrict seg_col,
                       __global const int* restrict seg_val, __global const int* restrict row_idx,
                       __global const int* restrict col_idx, __global const float* restrict values,
                       __global const float* restrict x, __global const float* restrict bias,
                       __global float* restrict y) {
  const int s = (int)get_global_id(0);
  if (s >= strips) return;
  const int r0 = s * BH, r1 = min(r0 + BH, rows);
  const int g0 = strip_seg[s], g1 = strip_seg[s + 1];
  const bool direct = g1 - g0 == 1 && seg_row[g0 + 1] - seg_row[g0] == r1 - r0;
  if (!direct)
    for (int r = r0; r < r1; ++r) y[r] = 0.f;
  for (int g = g0; g < g1; ++g) {
    const int a = seg_row[g + 1] - seg_row[g], b = seg_col[g + 1] - seg_col[g];
    __global const int* cols = col_idx + seg_col[g];
    for (int p = 0; p * PANEL < a; ++p) {
      __global const float* v = values + seg_val[g] + p * b * PANEL;
      float16 acc = (float16)(0.f);
      for (int c = 0; c < b; ++c) acc += vload16(c, v) * x[cols[c]];
      spmv_scatter(acc, min(PANEL, a - p * PANEL), row_idx + seg_row[g] + p * PANEL, direct, bias,
                   y);
    }
  }
  if (!direct)
    for (int r = r0; r < r1; ++r) y[r] = spmm_finish(y[r], bias, r);
}

__kernel void spmv_bsr(const int rows, const int strips, __global const int* restrict blk_ptr,
                       __global const int* restrict blk_idx, __global const float* restrict values,
                       __global const float* restrict x, __global const float* restrict bias,
                       __global float* restrict y) {
  const int sp = (int)get_global_id(0);
  if (sp >= strips * BSR_P) return;
  const int s = sp / BSR_P, p = sp - s * BSR_P;
  const int k0 = blk_ptr[s], nb = blk_ptr[s + 1] - k0;
  __global const float* v = values + (k0 * BSR_P + p * nb) * (BSR_C * PANEL);
  float16 acc = (float16)(0.f);
  for (int k = 0; k < nb; ++k) {
    __global const float* xb = x + blk_idx[k0 + k] * BSR_C;
    for (int j = 0; j < BSR_C; ++j) acc += vload16(k * BSR_C + j, v) * xb[j];
  }
  float lane[PANEL];
  vstore16(acc, 0, lane);
  for (int t = 0; t < PANEL; ++t) {
    const int lr = p * PANEL + t, r = s * BSR_R + lr;
    if (lr < BSR_R && r < rows) y[r] = spmm_finish(lane[t], bias, r);
  }
}

// BCR SpMV with one work-group of SPMV_WG items per strip: the items split each panel's kept
// columns (c = lid, lid + SPMV_WG, ...) and reduce their float16 partial sums in local memory;
// item 0 stores. The GPU-shaped variant (parallel within a strip); barriers are uniform (the
// segment and panel loops depend on the strip only).
#ifndef SPMV_WG
#define SPMV_WG 16
#endif
__kernel __attribute__((reqd_work_group_size(SPMV_WG, 1, 1))) void spmv_bcr_wg(
    const int rows, const int strips, __global const int* restrict strip_seg,
    __global const int* restrict seg_row, __global const int* restrict seg_col,
    __global const int* restrict seg_val, __global const int* restrict row_idx,
    __global const int* restrict col_idx, __global const float* restrict values,
    __global const float* restrict x, __global const float* restrict bias,
    __global float* restrict y) {
  __local float16 part[SPMV_WG];
  const int lid = (int)get_local_id(0);
  const int s = (int)get_group_id(0);
  const int r0 = s * BH, r1 = min(r0 + BH, rows);
  const int g0 = strip_seg[s], g1 = strip_seg[s + 1];
  const bool direct = g1 - g0 == 1 && seg_row[g0 + 1] - seg_row[g0] == r1 - r0;
  if (!direct && lid == 0)
    for (int r = r0; r < r1; ++r) y[r] = 0.f;
  for (int g = g0; g < g1; ++g) {
    const int a = seg_row[g + 1] - seg_row[g], b = seg_col[g + 1] - seg_col[g];
    __global const int* cols = col_idx + seg_col[g];
    for (int p = 0; p * PANEL < a; ++p) {
      __global const float* v = values + seg_val[g] + p * b * PANEL;
      float16 acc = (float16)(0.f);
      for (int c = lid; c < b; c += SPMV_WG) acc += vload16(c, v) * x[cols[c]];
      part[lid] = acc;
      barrier(CLK_LOCAL_MEM_FENCE);
      for (int h = SPMV_WG / 2; h > 0; h >>= 1) {
        if (lid < h) part[lid] += part[lid + h];
        barrier(CLK_LOCAL_MEM_FENCE);
      }
      if (lid == 0)
        spmv_scatter(part[0], min(PANEL, a - p * PANEL), row_idx + seg_row[g] + p * PANEL, direct,
                     bias, y);
      barrier(CLK_LOCAL_MEM_FENCE);
    }
  }
  if (!direct && lid == 0)
    for (int r = r0; r < r1; ++r) y[r] = spmm_finish(y[r], bias, r);
}
