// Configure-time probe (try_run) for the per-ISA test executables: exits 0 only if this
// compiler accepted the ISA flags AND this CPU/OS runs that ISA. The CPU check comes first;
// if the compiler still emitted an unsupported instruction earlier, the crash counts as "no".
#include <immintrin.h>

int main() {
  volatile float seed = 1.5f;
  float s = seed;
#if defined(SPK_ISA_CHECK_AVX512)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512cd") ||
      !__builtin_cpu_supports("avx512bw") || !__builtin_cpu_supports("avx512dq") ||
      !__builtin_cpu_supports("avx512vl"))
    return 1;
  __m512 v = _mm512_set1_ps(s);
  v = _mm512_fmadd_ps(v, v, v);                                              // avx512f: 1.5*1.5+1.5
  __m512i w = _mm512_add_epi16(_mm512_set1_epi16(1), _mm512_set1_epi16(2));  // avx512bw
  __m256 lo = _mm512_extractf32x8_ps(v, 1);                                  // avx512dq
  float out[8];
  _mm256_storeu_ps(out, lo);
  return (out[0] == 3.75f && _mm512_reduce_add_epi32(w) == 16 * 0x00030003) ? 0 : 2;
#elif defined(SPK_ISA_CHECK_AVX2)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 1;
  __m256 v = _mm256_set1_ps(s);
  v = _mm256_fmadd_ps(v, v, v);
  __m256i w = _mm256_add_epi32(_mm256_set1_epi32(1), _mm256_set1_epi32(2));
  float out[8];
  int iout[8];
  _mm256_storeu_ps(out, v);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(iout), w);
  return (out[7] == 3.75f && iout[7] == 3) ? 0 : 2;
#else  // SSE2: the x86-64 baseline
  __m128 v = _mm_set1_ps(s);
  v = _mm_add_ps(_mm_mul_ps(v, v), v);
  float out[4];
  _mm_storeu_ps(out, v);
  return out[3] == 3.75f ? 0 : 2;
#endif
}
