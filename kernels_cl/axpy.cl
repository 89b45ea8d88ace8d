// SPDX-License-Identifier: Apache-2.0
// y = a * x + y over n floats: the smallest kernel, used to test the embedding, the program
// cache and the host runtime. Pure OpenCL C 1.2; tunables can be overridden by -D/#define.

// Elements per work-item. A work-group of L items covers L * WPT consecutive elements; item j
// touches j, j + L, j + 2L, ... so each of the WPT steps is a coalesced group-wide access.
#ifndef WPT
#define WPT 4
#endif

__kernel void axpy(const uint n, const float a, __global const float* restrict x,
                   __global float* restrict y) {
  const uint lsize = (uint)get_local_size(0);
  const uint base = (uint)get_group_id(0) * lsize * WPT + (uint)get_local_id(0);
  for (uint k = 0; k < WPT; ++k) {
    const uint i = base + k * lsize;
    if (i < n) y[i] = a * x[i] + y[i];
  }
}
