// SPDX-License-Identifier: Apache-2.0
// Kernel-group-sparse convolution (block-punched conv2d, KGS conv3d): one work-item computes GM
// filters x T = VW * NV consecutive flattened output positions, walking its filter block's
// (channel, location) entries; each input vector loaded feeds GM accumulators. Pure OpenCL C 1.2.
//
// The host bakes the layer in (every name below); the defaults only make the file compile alone.
// 2D layers are 3D layers with depth 1.
//
// Input layout the conv kernel reads, per image (IN_NSTRIDE floats), per channel (entry offsets
// include channel * plane): either the NCDHW input itself (no padding, unit H/W stride), or the
// copy pack_kgs writes: the zero-padded input split into SD*SH*SW stride phases, each a
// DQ x HQ x WQ block, phase (a, b, c)[z][y][x] = padded[z*SD + a][y*SH + b][x*SW + c]. Either
// way output (od, oh, ow) reads tap t at  od * ZSTEP + (oh * WQ + ow) + entry_off[e]: flattened
// position q = oh * WQ + ow is unit-stride, so T consecutive q are VW-wide unaligned loads.
// Positions with q % WQ >= OW are computed and dropped. The last tile of a run is shifted back
// to end at RUN (tiles overlap, same values written twice), so no read passes the last valid
// tap when RUN >= T; the host adds slack to the packed copy otherwise.

#ifndef GM
#define GM 8  // filters per block (the format's gm)
#endif
#ifndef F
#define F 8  // real filters (the last block may be partial)
#endif
#ifndef OD
#define OD 1
#endif
#ifndef OH
#define OH 8
#endif
#ifndef OW
#define OW 8
#endif
#ifndef WQ
#define WQ 8  // row pitch of the layout read (>= OW)
#endif
#ifndef ZSTEP
#define ZSTEP 64  // floats between the input planes of consecutive output depths
#endif
#ifndef IN_NSTRIDE
#define IN_NSTRIDE 64  // floats per image in the layout read
#endif
#ifndef ACT
#define ACT 0  // 0 none, 1 relu, 2 leaky relu (slope ACT_ALPHA), 3 mish
#endif
#ifndef ACT_ALPHA
#define ACT_ALPHA 0.1f
#endif
#ifndef HAS_BIAS
#define HAS_BIAS 0
#endif
// Tile: VW lanes (1, 4, 8 or 16; 1 leaves vectorisation to PoCL across work-items) x NV vectors.
#ifndef VW
#define VW 16
#endif
#ifndef NV
#define NV 2
#endif
// Tiles per work-item (consecutive along the run, same filter block and slice).
#ifndef TPI
#define TPI 1
#endif

#define T (VW * NV)
#define RUN ((OH - 1) * WQ + OW)        // flattened positions of one output depth slice
#define NTILES ((RUN + T - 1) / T)      // tiles per slice
#define OUT_PLANE (OD * OH * OW)

#if VW == 1
#define VEC float
#define VLOAD(p) (*(p))
#define VSTORE(x, p) (*(p) = (x))
#elif VW == 4
#define VEC float4
#define VLOAD(p) vload4(0, (p))
#define VSTORE(x, p) vstore4((x), 0, (p))
#elif VW == 8
#define VEC float8
#define VLOAD(p) vload8(0, (p))
#define VSTORE(x, p) vstore8((x), 0, (p))
#elif VW == 16
#define VEC float16
#define VLOAD(p) vload16(0, (p))
#define VSTORE(x, p) vstore16((x), 0, (p))
#else
#error "VW must be 1, 4, 8 or 16"
#endif

inline VEC activate(VEC x) {
#if ACT == 1
  return fmax(x, (VEC)0.0f);
#elif ACT == 2
  return select(x * ACT_ALPHA, x, x > (VEC)0.0f);
#elif ACT == 3
  // Mish: x * tanh(softplus(x)) = x * n / (n + 2), n = e^x (e^x + 2); exactly x beyond 20.
  const VEC e = exp(fmin(x, (VEC)20.0f));
  const VEC n = e * (e + 2.0f);
  return select(x * n / (n + 2.0f), x, x > (VEC)20.0f);
#else
  return x;
#endif
}

// Global size: (tile groups of TPI tiles, filter blocks, N * OD slices). entry_ptr[fb] ..
// entry_ptr[fb + 1] are block fb's entries: input offset entry_off[e] and GM weights
// values[e * GM + m]. Output: NCDHW contiguous, N x F x OD x OH x OW.
__kernel void conv_kgs(__global const float* restrict in, __global const int* restrict entry_ptr,
                       __global const int* restrict entry_off,
                       __global const float* restrict values, __global const float* restrict bias,
                       __global float* restrict out) {
  const int group = (int)get_global_id(0);
  const int fb = (int)get_global_id(1);
  const int slice = (int)get_global_id(2);
  if (group * TPI >= NTILES) return;
  const int n = slice / OD, od = slice % OD;
  const __global float* xs = in + (size_t)n * IN_NSTRIDE + (size_t)od * ZSTEP;
  __global float* os = out + ((size_t)n * F + (size_t)fb * GM) * OUT_PLANE + od * (OH * OW);
  const int e0 = entry_ptr[fb], e1 = entry_ptr[fb + 1];
  float b[GM];
#pragma unroll
  for (int m = 0; m < GM; ++m) {
#if HAS_BIAS
    b[m] = fb * GM + m < F ? bias[fb * GM + m] : 0.0f;
#else
    b[m] = 0.0f;
#endif
  }

  for (int t = 0; t < TPI; ++t) {
    const int tile = group * TPI + t;
    if (tile >= NTILES) break;
#if RUN >= T
    const int q0 = min(tile * T, RUN - T);
#else
    const int q0 = 0;
#endif
    const __global float* xq = xs + q0;
    VEC acc[GM][NV];
#pragma unroll
    for (int m = 0; m < GM; ++m)
#pragma unroll
      for (int v = 0; v < NV; ++v) acc[m][v] = (VEC)0.0f;

    // One (channel, location) entry per step: NV input vectors, GM weights, GM * NV FMAs.
    for (int e = e0; e < e1; ++e) {
      const __global float* p = xq + entry_off[e];
      const __global float* w = values + e * GM;
      VEC x[NV];
#pragma unroll
      for (int v = 0; v < NV; ++v) x[v] = VLOAD(p + v * VW);
#pragma unroll
      for (int m = 0; m < GM; ++m) {
        const float wm = w[m];
#pragma unroll
        for (int v = 0; v < NV; ++v) acc[m][v] = fma((VEC)wm, x[v], acc[m][v]);
      }
    }

    // Epilogue: bias + activation, then either one contiguous store per vector (the tile lies
    // inside one output row) or per-lane stores of the valid positions.
    const int r0 = q0 / WQ, c0 = q0 % WQ;
    const bool one_row = c0 + T <= OW;
#pragma unroll
    for (int m = 0; m < GM; ++m) {
      if (fb * GM + m >= F) break;
      __global float* of = os + m * OUT_PLANE;
#pragma unroll
      for (int v = 0; v < NV; ++v) {
        const VEC y = activate(acc[m][v] + b[m]);
        if (one_row) {
          VSTORE(y, of + r0 * OW + c0 + v * VW);
        } else {
          float lanes[VW];
          VSTORE(y, lanes);
          for (int j = 0; j < VW; ++j) {
            const int q = q0 + v * VW + j, oh = q / WQ, ow = q % WQ;
            if (q < RUN && ow < OW) of[oh * OW + ow] = lanes[j];
          }
        }
      }
    }
  }
}

// ---- pack_kgs: the zero-padded, stride-phase-split copy the conv kernel reads -----------------
#ifndef ID
#define ID 1  // input depth, height, width
#endif
#ifndef IH
#define IH 8
#endif
#ifndef IW
#define IW 8
#endif
#ifndef PD
#define PD 0  // leading padding per dim
#endif
#ifndef PH
#define PH 0
#endif
#ifndef PW
#define PW 0
#endif
#ifndef SD
#define SD 1  // stride per dim
#endif
#ifndef SH
#define SH 1
#endif
#ifndef SW
#define SW 1
#endif
#ifndef DQ
#define DQ 1  // extents of one stride phase
#endif
#ifndef HQ
#define HQ 8
#endif
#ifndef PLANE
#define PLANE 64  // floats per channel of the packed copy (SD*SH*SW phases of DQ*HQ*WQ)
#endif

// One work-item per channel plane (global size N * C, any local size): rows of the packed copy
// in order, each a unit-stride store loop the compiler vectorises (masked loads at the borders).
// `packed` holds N * C * PLANE floats plus the host's slack; the slack is never written (only
// dropped lanes read it).
__kernel void pack_kgs(__global const float* restrict in, __global float* restrict packed) {
  const size_t nc = get_global_id(0);
  const __global float* src = in + nc * (ID * IH * IW);
  __global float* dst = packed + nc * PLANE;
  for (int row = 0; row < PLANE / WQ; ++row) {
    const int y = row % HQ, rest = row / HQ;
    const int z = rest % DQ, phase = rest / DQ;
    const int a = phase / (SH * SW), bc = phase % (SH * SW);
    const int iz = z * SD + a - PD, iy = y * SH + bc / SW - PH, shift = bc % SW - PW;
    const bool row_inside = iz >= 0 && iz < ID && iy >= 0 && iy < IH;
    const __global float* s = src + (row_inside ? (iz * IH + iy) * IW : 0);
    __global float* d = dst + row * WQ;
    for (int x = 0; x < WQ; ++x) {
      const int ix = x * SW + shift;
      d[x] = row_inside && ix >= 0 && ix < IW ? s[ix] : 0.0f;
    }
  }
}
