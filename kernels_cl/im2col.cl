// SPDX-License-Identifier: Apache-2.0
// Dense convolution lowering for the OpenCL GEMM path: im2col over an NCDHW input (2D is the
// depth-1 case) into a (C * KD*KH*KW) x (N * OD*OH*OW) column matrix, and the epilogue that
// turns the GEMM result into N x F x out with bias + activation. Pure OpenCL C 1.2.

// ---- geometry (the host bakes one conv layer in; defaults are a 3x3 pad-1 toy layer) ------
#ifndef BATCH
#define BATCH 1
#endif
#ifndef CIN  // input channels (all groups): the column matrix has CIN * KVOL rows
#define CIN 1
#endif
#ifndef ID
#define ID 1
#endif
#ifndef IH
#define IH 8
#endif
#ifndef IW
#define IW 8
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
#ifndef KD
#define KD 1
#endif
#ifndef KH
#define KH 3
#endif
#ifndef KW
#define KW 3
#endif
#ifndef SD
#define SD 1
#endif
#ifndef SH
#define SH 1
#endif
#ifndef SW
#define SW 1
#endif
#ifndef PD  // front / top / left padding (the far side needs no number: bounds checks)
#define PD 0
#endif
#ifndef PH
#define PH 1
#endif
#ifndef PW
#define PW 1
#endif
#ifndef DD
#define DD 1
#endif
#ifndef DH
#define DH 1
#endif
#ifndef DW
#define DW 1
#endif

#define OVOL (OD * OH * OW)
#define NOV (BATCH * OVOL)  // columns of the column matrix (its leading dimension)
#define IVOL (ID * IH * IW)

// cols[(c * KVOL + (kd * KH + kh) * KW + kw) * NOV + n * OVOL + (od * OH + oh) * OW + ow]
//   = in[n][c][od*SD - PD + kd*DD][oh*SH - PH + kh*DH][ow*SW - PW + kw*DW], 0 in the padding.
// The row order is a contiguous F x C x KD x KH x KW weight row, so W (F x C*KVOL) * cols is
// the convolution. Work-item (j, c): output column j of channel c, all KVOL taps (the index
// arithmetic is shared by the taps; consecutive j store consecutive floats of each row).
__kernel void im2col(__global const float* restrict in, __global float* restrict cols) {
  const int j = (int)get_global_id(0);
  const int c = (int)get_global_id(1);
  if (j >= NOV) return;
  const int n = j / OVOL, o = j - n * OVOL;
  const int od = o / (OH * OW), ohw = o - od * (OH * OW);
  const int oh = ohw / OW, ow = ohw - oh * OW;
  const int d0 = od * SD - PD, h0 = oh * SH - PH, w0 = ow * SW - PW;
  __global const float* plane = in + (n * CIN + c) * IVOL;
  __global float* dst = cols + c * (KD * KH * KW) * NOV + j;
  for (int kd = 0; kd < KD; ++kd) {
    const int d = d0 + kd * DD;
    const bool d_in = d >= 0 && d < ID;
    for (int kh = 0; kh < KH; ++kh) {
      const int h = h0 + kh * DH;
      const bool dh_in = d_in && h >= 0 && h < IH;
      for (int kw = 0; kw < KW; ++kw) {
        const int w = w0 + kw * DW;
        float v = 0.f;
        if (dh_in && w >= 0 && w < IW) v = plane[(d * IH + h) * IW + w];
        dst[((kd * KH + kh) * KW + kw) * NOV] = v;
      }
    }
  }
}

// ---- epilogue ------------------------------------------------------------------------------
// ACT: 0 none, 1 relu, 2 leaky relu (slope ACT_ALPHA), 3 mish (x * tanh(softplus(x)), the
// overflow-free form of spk::kernels::activation). HAS_BIAS: bias[f] added before ACT.
#ifndef ACT
#define ACT 0
#endif
#ifndef ACT_ALPHA
#define ACT_ALPHA 0.1f
#endif
#ifndef HAS_BIAS
#define HAS_BIAS 0
#endif

inline float conv_activation(float x) {
#if ACT == 1
  return x > 0.f ? x : 0.f;
#elif ACT == 2
  return x > 0.f ? x : ACT_ALPHA * x;
#elif ACT == 3
  const float e = exp(fmin(x, 20.f)), t = e * (e + 2.f);
  return x > 20.f ? x : x * t / (t + 2.f);
#else
  return x;
#endif
}

// dst[n][f][o] = act(src[f][n * ovol + o] + bias[f]), src = src_base + src_offset: the GEMM
// result F x (N * ovol) (behind the column matrix in the workspace) back to
// N x F x ovol. Work-item (o, f, n). With batch 1 the host passes dst == src (each item reads
// and writes the same element), hence no restrict. Sizes are arguments so one program serves
// every layer with the same activation.
__kernel void conv_epilogue(const int ovol, const int batch, const int filters,
                            const int src_offset, __global const float* src_base,
                            __global const float* bias,
                            __global float* dst) {
  const int o = (int)get_global_id(0);
  const int f = (int)get_global_id(1);
  const int n = (int)get_global_id(2);
  if (o >= ovol) return;
  float v = src_base[src_offset + (f * batch + n) * ovol + o];
#if HAS_BIAS
  v += bias[f];
#endif
  dst[(n * filters + f) * ovol + o] = conv_activation(v);
}
