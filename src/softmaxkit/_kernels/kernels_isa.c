/*
 * One instruction set's build of the kernels. meson.build compiles this file once per
 * ISA with -DSK_BUILD_AVX512, -DSK_BUILD_AVX2 or neither (the baseline, which is also
 * what non-x86 machines build), each with its own -m flags and SK_ISA_SUFFIX. The
 * kernel code itself (kernels.inc) is written once with GCC vector extensions; what
 * differs per ISA is the vector width, FMA, and how a 16-entry table is looked up.
 *
 * Built with -ffp-contract=off: the exact two-sum and Dekker products must not be
 * fused behind our back; every fused multiply-add is an explicit VFMA.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "exp_tables.h"
#include "softmax.h"

#if defined(SK_BUILD_AVX512)
#include <immintrin.h>
#define SK_VBYTES 64
#elif defined(SK_BUILD_AVX2)
#include <immintrin.h>
#define SK_VBYTES 32
#else
#define SK_VBYTES 16
#endif

#define SK_CAT_(a, b) a##b
#define SK_CAT(a, b) SK_CAT_(a, b)
#define SK_NAME(f) SK_CAT(f, SK_ISA_SUFFIX)

/* Longest slice handled by one thread when there are fewer slices than threads. */
#define SK_SPLIT_SLICE (1 << 15)
#define SK_MAX_THREADS 256

/* ===================================================================== float32 */

typedef float vf32 __attribute__((vector_size(SK_VBYTES)));
typedef int32_t vi32 __attribute__((vector_size(SK_VBYTES)));

#if defined(SK_BUILD_AVX512)
#define VFMA_F32(a, b, c) ((vf32)_mm512_fmadd_ps((__m512)(a), (__m512)(b), (__m512)(c)))
#define LOOKUP16_F32(tab, j) ((vf32)_mm512_permutexvar_ps((__m512i)(j), _mm512_loadu_ps(tab)))
#define LOADN_F32(p, n, fill) \
    ((vf32)_mm512_mask_loadu_ps(_mm512_set1_ps(fill), (__mmask16)((1u << (n)) - 1), p))
#define STOREN_F32(p, v, n) _mm512_mask_storeu_ps(p, (__mmask16)((1u << (n)) - 1), (__m512)(v))
/* v * 2**e, rounded once even when the result is subnormal */
#define SCALE2_F32(v, e) ((vf32)_mm512_scalef_ps((__m512)(v), _mm512_cvtepi32_ps((__m512i)(e))))
#elif defined(SK_BUILD_AVX2)
#define VFMA_F32(a, b, c) ((vf32)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
static inline vf32 lookup16_f32(const float *tab, vi32 j)
{
    __m256 lo = _mm256_permutevar8x32_ps(_mm256_loadu_ps(tab), (__m256i)j);
    __m256 hi = _mm256_permutevar8x32_ps(_mm256_loadu_ps(tab + 8), (__m256i)j);
    return (vf32)_mm256_blendv_ps(lo, hi, (__m256)(j << 28)); /* bit 3 of j -> sign */
}
#define LOOKUP16_F32(tab, j) lookup16_f32(tab, j)
static inline __m256i lanes_below_f32(ptrdiff_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#define LOADN_F32(p, n, fill)                                                           \
    ((vf32)_mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, lanes_below_f32(n)), \
                            (__m256)lanes_below_f32(n)))
#define STOREN_F32(p, v, n) _mm256_maskstore_ps(p, lanes_below_f32(n), (__m256)(v))
#else
#define VFMA_F32(a, b, c) ((a) * (b) + (c))
static inline vf32 lookup16_f32(const float *tab, vi32 j)
{
    vf32 r;
    for (int l = 0; l < (int)(SK_VBYTES / 4); l++) r[l] = tab[j[l]];
    return r;
}
#define LOOKUP16_F32(tab, j) lookup16_f32(tab, j)
#endif

#ifndef LOADN_F32
static inline vf32 tail_load_f32(const float *p, ptrdiff_t n, float fill)
{
    float buf[SK_VBYTES / 4];
    for (ptrdiff_t i = 0; i < (ptrdiff_t)(SK_VBYTES / 4); i++) buf[i] = i < n ? p[i] : fill;
    vf32 v;
    memcpy(&v, buf, sizeof v);
    return v;
}
static inline void tail_store_f32(float *p, vf32 v, ptrdiff_t n)
{
    float buf[SK_VBYTES / 4];
    memcpy(buf, &v, sizeof v);
    memcpy(p, buf, (size_t)n * sizeof(float));
}
#define LOADN_F32(p, n, fill) tail_load_f32(p, n, fill)
#define STOREN_F32(p, v, n) tail_store_f32(p, v, n)
#endif
#ifndef SCALE2_F32
/* v * 2**e in two factors, so that a subnormal result is rounded only once */
static inline vf32 scale2_f32(vf32 v, vi32 e)
{
    vi32 e1 = e >> 1, e2 = e - e1;
    return v * (vf32)((e1 + 127) << 23) * (vf32)((e2 + 127) << 23);
}
#define SCALE2_F32(v, e) scale2_f32(v, e)
#endif

/* d - q*t exactly, where q = fl(d / t). */
#if defined(SK_BUILD_AVX512) || defined(SK_BUILD_AVX2)
#define TWO_PROD_REM_F32(q, t, d) VFMA_F32(-(q), t, d)
#else
static inline vf32 two_prod_rem_f32(vf32 q, vf32 t, vf32 d)
{
    /* Dekker's product with Veltkamp splits; |q| is capped so the split cannot
     * overflow (beyond the cap the correction is far below an ulp of q). */
    const vf32 cap = (vf32){0} + 0x1p100f, k = (vf32){0} + 4097.0f;
    vi32 small = (q < cap) & (q > -cap);
    vf32 qs = (vf32)(small & (vi32)q);
    vf32 p = qs * t;
    vf32 c = k * qs, qh = c - (c - qs), ql = qs - qh;
    vf32 c2 = k * t, th = c2 - (c2 - t), tl = t - th;
    vf32 err = ((qh * th - p) + qh * tl + ql * th) + ql * tl;
    return (vf32)(small & (vi32)((d - p) - err));
}
#define TWO_PROD_REM_F32(q, t, d) two_prod_rem_f32(q, t, d)
#endif

#define T float
#define V vf32
#define VI vi32
#define VL ((int)(SK_VBYTES / 4))
#define VLN (SK_VBYTES / 4) /* the same, for the preprocessor */
#define F(name) SK_CAT(name, _f32)
#define VFMA VFMA_F32
#define LOOKUP16 LOOKUP16_F32
#define LOADN LOADN_F32
#define STOREN STOREN_F32
#define SCALE2 SCALE2_F32
#define TWO_PROD_REM TWO_PROD_REM_F32
#define REFINE_LOG 0 /* log(sum) in double is already twice float precision */
#define REST_BIAS 64  /* exp(q) >= 2**-151 here: scaled, the terms stay normal */
#define EXP_MAGIC 0x1.8p23f
#define EXP_CLAMP 104.0f /* exp(q) < 2**-150 below: rounds to 0 */
#define EXP_16_OVER_LN2 SK_16_OVER_LN2_F32
#define EXP_LN2_16_HI SK_LN2_16_HI_F32
#define EXP_LN2_16_LO SK_LN2_16_LO_F32
#define EXP_TABLE_HI sk_exp2_16_hi_f32
#define EXP_TABLE_LO sk_exp2_16_lo_f32
#define EXP_BIAS 127
#define EXP_MANT_BITS 23
/* exp(r) - 1 for |r| <= ln2/32: Taylor to r**4 (truncation < 5e-11 relative) */
#define EXP_POLY(r)                                                                       \
    ((r) * VFMA(VFMA(VFMA(r, F(splat)(0x1.555556p-5f), F(splat)(0x1.555556p-3f)), r,     \
                     F(splat)(0.5f)), r, F(splat)(1.0f)))
#include "kernels.inc"
#undef T
#undef V
#undef VI
#undef VL
#undef VLN
#undef F
#undef VFMA
#undef LOOKUP16
#undef LOADN
#undef STOREN
#undef SCALE2
#undef TWO_PROD_REM
#undef REFINE_LOG
#undef REST_BIAS
#undef EXP_MAGIC
#undef EXP_CLAMP
#undef EXP_16_OVER_LN2
#undef EXP_LN2_16_HI
#undef EXP_LN2_16_LO
#undef EXP_TABLE_HI
#undef EXP_TABLE_LO
#undef EXP_BIAS
#undef EXP_MANT_BITS
#undef EXP_POLY

/* ===================================================================== float64 */

typedef double vf64 __attribute__((vector_size(SK_VBYTES)));
typedef int64_t vi64 __attribute__((vector_size(SK_VBYTES)));

#if defined(SK_BUILD_AVX512)
#define VFMA_F64(a, b, c) ((vf64)_mm512_fmadd_pd((__m512d)(a), (__m512d)(b), (__m512d)(c)))
#define LOOKUP16_F64(tab, j)                                                              \
    ((vf64)_mm512_permutex2var_pd(_mm512_loadu_pd(tab), (__m512i)(j), _mm512_loadu_pd((tab) + 8)))
#define LOADN_F64(p, n, fill) \
    ((vf64)_mm512_mask_loadu_pd(_mm512_set1_pd(fill), (__mmask8)((1u << (n)) - 1), p))
#define STOREN_F64(p, v, n) _mm512_mask_storeu_pd(p, (__mmask8)((1u << (n)) - 1), (__m512d)(v))
#define SCALE2_F64(v, e) ((vf64)_mm512_scalef_pd((__m512d)(v), _mm512_cvtepi64_pd((__m512i)(e))))
#elif defined(SK_BUILD_AVX2)
#define VFMA_F64(a, b, c) ((vf64)_mm256_fmadd_pd((__m256d)(a), (__m256d)(b), (__m256d)(c)))
#define LOOKUP16_F64(tab, j) ((vf64)_mm256_i64gather_pd(tab, (__m256i)(j), 8))
static inline __m256i lanes_below_f64(ptrdiff_t n)
{
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
}
#define LOADN_F64(p, n, fill)                                                           \
    ((vf64)_mm256_blendv_pd(_mm256_set1_pd(fill), _mm256_maskload_pd(p, lanes_below_f64(n)), \
                            (__m256d)lanes_below_f64(n)))
#define STOREN_F64(p, v, n) _mm256_maskstore_pd(p, lanes_below_f64(n), (__m256d)(v))
#else
#define VFMA_F64(a, b, c) ((a) * (b) + (c))
static inline vf64 lookup16_f64(const double *tab, vi64 j)
{
    vf64 r;
    for (int l = 0; l < (int)(SK_VBYTES / 8); l++) r[l] = tab[j[l]];
    return r;
}
#define LOOKUP16_F64(tab, j) lookup16_f64(tab, j)
#endif

#ifndef LOADN_F64
static inline vf64 tail_load_f64(const double *p, ptrdiff_t n, double fill)
{
    double buf[SK_VBYTES / 8];
    for (ptrdiff_t i = 0; i < (ptrdiff_t)(SK_VBYTES / 8); i++) buf[i] = i < n ? p[i] : fill;
    vf64 v;
    memcpy(&v, buf, sizeof v);
    return v;
}
static inline void tail_store_f64(double *p, vf64 v, ptrdiff_t n)
{
    double buf[SK_VBYTES / 8];
    memcpy(buf, &v, sizeof v);
    memcpy(p, buf, (size_t)n * sizeof(double));
}
#define LOADN_F64(p, n, fill) tail_load_f64(p, n, fill)
#define STOREN_F64(p, v, n) tail_store_f64(p, v, n)
#endif
#ifndef SCALE2_F64
static inline vf64 scale2_f64(vf64 v, vi64 e)
{
    vi64 e1 = e >> 1, e2 = e - e1;
    return v * (vf64)((e1 + 1023) << 52) * (vf64)((e2 + 1023) << 52);
}
#define SCALE2_F64(v, e) scale2_f64(v, e)
#endif

#if defined(SK_BUILD_AVX512) || defined(SK_BUILD_AVX2)
#define TWO_PROD_REM_F64(q, t, d) VFMA_F64(-(q), t, d)
#else
static inline vf64 two_prod_rem_f64(vf64 q, vf64 t, vf64 d)
{
    const vf64 cap = (vf64){0} + 0x1p900, k = (vf64){0} + 134217729.0;
    vi64 small = (q < cap) & (q > -cap);
    vf64 qs = (vf64)(small & (vi64)q);
    vf64 p = qs * t;
    vf64 c = k * qs, qh = c - (c - qs), ql = qs - qh;
    vf64 c2 = k * t, th = c2 - (c2 - t), tl = t - th;
    vf64 err = ((qh * th - p) + qh * tl + ql * th) + ql * tl;
    return (vf64)(small & (vi64)((d - p) - err));
}
#define TWO_PROD_REM_F64(q, t, d) two_prod_rem_f64(q, t, d)
#endif

#define T double
#define V vf64
#define VI vi64
#define VL ((int)(SK_VBYTES / 8))
#define VLN (SK_VBYTES / 8)
#define F(name) SK_CAT(name, _f64)
#define VFMA VFMA_F64
#define LOOKUP16 LOOKUP16_F64
#define LOADN LOADN_F64
#define STOREN STOREN_F64
#define SCALE2 SCALE2_F64
#define TWO_PROD_REM TWO_PROD_REM_F64
#define REFINE_LOG 1
#define REST_BIAS 128 /* exp(q) >= 2**-1077 here: scaled, the terms stay normal */
#define EXP_MAGIC 0x1.8p52
#define EXP_CLAMP 746.0 /* exp(q) < 2**-1075 below: rounds to 0 */
#define EXP_16_OVER_LN2 SK_16_OVER_LN2_F64
#define EXP_LN2_16_HI SK_LN2_16_HI_F64
#define EXP_LN2_16_LO SK_LN2_16_LO_F64
#define EXP_TABLE_HI sk_exp2_16_hi_f64
#define EXP_TABLE_LO sk_exp2_16_lo_f64
#define EXP_BIAS 1023
#define EXP_MANT_BITS 52
/* exp(r) - 1 for |r| <= ln2/32: Taylor to r**7 (truncation < 1.2e-18 relative) */
#define EXP_POLY(r)                                                                          \
    ((r) * VFMA(VFMA(VFMA(VFMA(VFMA(VFMA(r, F(splat)(0x1.a01a01a01a01ap-13),                  \
                                         F(splat)(0x1.6c16c16c16c17p-10)), r,                \
                                    F(splat)(0x1.1111111111111p-7)), r,                      \
                               F(splat)(0x1.5555555555555p-5)), r,                           \
                          F(splat)(0x1.5555555555555p-3)), r, F(splat)(0.5)), r, F(splat)(1.0)))
#include "kernels.inc"
