/*
 * One instruction set's build of the kernels. meson.build compiles this file once per
 * ISA with -DSK_BUILD_AVX512, -DSK_BUILD_AVX2 or neither (the baseline, which is also
 * what non-x86 machines build), each with its own -m flags and SK_ISA_SUFFIX. The
 * kernel code itself (kernels.inc) is written once with GCC vector extensions; what
 * differs per ISA is the vector width, FMA, how a 16-entry table is looked up, and
 * where an instruction does better than the generic code (masked loads, vscalef).
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
#define SK_HAS_FMA 1
#elif defined(SK_BUILD_AVX2)
#include <immintrin.h>
#define SK_VBYTES 32
#define SK_HAS_FMA 1
#elif defined(__aarch64__)
#include <arm_neon.h> /* every aarch64 CPU has NEON with fused multiply-add */
#define SK_VBYTES 16
#define SK_HAS_FMA 1
#else
#define SK_VBYTES 16
#define SK_HAS_FMA 0
#endif

#define SK_CAT_(a, b) a##b
#define SK_CAT(a, b) SK_CAT_(a, b)
#define SK_NAME(f) SK_CAT(f, SK_ISA_SUFFIX)

/* Slices at least this long are worked in fixed parts, shared by the threads when there
 * are fewer slices than threads ([Note: long slices] in kernels.inc). */
#define SK_SPLIT_SLICE (1 << 15)
#define SK_SLICE_PARTS 64 /* [Note: long slices] in kernels.inc */
#define SK_SLICE_PART_MIN (1 << 14)
#define SK_ACC_CHUNK (1 << 14) /* [Note: long sums] in kernels.inc */
#define SK_PANEL_ROWS 2048     /* the same, for the lanes of a panel */
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
#elif defined(__aarch64__)
#define VFMA_F32(a, b, c) ((vf32)vfmaq_f32((float32x4_t)(c), (float32x4_t)(a), (float32x4_t)(b)))
#else
#define VFMA_F32(a, b, c) ((a) * (b) + (c))
#endif
#if !defined(SK_BUILD_AVX512) && !defined(SK_BUILD_AVX2)
static inline vf32 lookup16_f32(const float *tab, vi32 j)
{
    vf32 r;
    for (int l = 0; l < (int)(SK_VBYTES / 4); l++) r[l] = tab[j[l]];
    return r;
}
#define LOOKUP16_F32(tab, j) lookup16_f32(tab, j)
#endif

/* d - q*t exactly, where q = fl(d / t). */
#if SK_HAS_FMA
#define TWO_PROD_REM_F32(q, t, d) VFMA_F32(-(q), t, d)
#endif

#define T float
#define V vf32
#define VI vi32
#define VL ((int)(SK_VBYTES / 4))
#define VLN (SK_VBYTES / 4) /* the same, for the preprocessor */
#define F(name) SK_CAT(SK_CAT(sk_, name), _f32) /* sk_: NEON has vmax_f32 */
#define VFMA VFMA_F32
#define LOOKUP16 LOOKUP16_F32
#ifdef LOADN_F32
#define LOADN LOADN_F32
#define STOREN STOREN_F32
#endif
#ifdef SCALE2_F32
#define SCALE2 SCALE2_F32
#endif
#ifdef TWO_PROD_REM_F32
#define TWO_PROD_REM TWO_PROD_REM_F32
#endif
#define REFINE_LOG 0 /* log(sum) in double is already twice float precision */
#define LANE_LOG 1   /* the vectorized log in double (1e-12) is exact enough for float */
#define REST_BIAS 64  /* exp(q) >= 2**-151 here: scaled, the terms stay normal */
#define SPLIT_FACTOR 4097.0f /* Veltkamp: 2**12 + 1 */
#define SPLIT_CAP 0x1p100f
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
#undef LANE_LOG
#undef SPLIT_FACTOR
#undef SPLIT_CAP
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
#elif defined(__aarch64__)
#define VFMA_F64(a, b, c) ((vf64)vfmaq_f64((float64x2_t)(c), (float64x2_t)(a), (float64x2_t)(b)))
#else
#define VFMA_F64(a, b, c) ((a) * (b) + (c))
#endif
#if !defined(SK_BUILD_AVX512) && !defined(SK_BUILD_AVX2)
static inline vf64 lookup16_f64(const double *tab, vi64 j)
{
    vf64 r;
    for (int l = 0; l < (int)(SK_VBYTES / 8); l++) r[l] = tab[j[l]];
    return r;
}
#define LOOKUP16_F64(tab, j) lookup16_f64(tab, j)
#endif

#if SK_HAS_FMA
#define TWO_PROD_REM_F64(q, t, d) VFMA_F64(-(q), t, d)
#endif

#define T double
#define V vf64
#define VI vi64
#define VL ((int)(SK_VBYTES / 8))
#define VLN (SK_VBYTES / 8)
#define F(name) SK_CAT(SK_CAT(sk_, name), _f64)
#define VFMA VFMA_F64
#define LOOKUP16 LOOKUP16_F64
#ifdef LOADN_F64
#define LOADN LOADN_F64
#define STOREN STOREN_F64
#endif
#ifdef SCALE2_F64
#define SCALE2 SCALE2_F64
#endif
#ifdef TWO_PROD_REM_F64
#define TWO_PROD_REM TWO_PROD_REM_F64
#endif
/* The Newton step refining log(sum) needs an exp accurate to about 2**-60, which the
 * unfused polynomial of a build without FMA is not: there libm's log1p alone is better. */
#define REFINE_LOG SK_HAS_FMA
#define LANE_LOG 0
#define REST_BIAS 128 /* exp(q) >= 2**-1077 here: scaled, the terms stay normal */
#define SPLIT_FACTOR 134217729.0 /* Veltkamp: 2**27 + 1 */
#define SPLIT_CAP 0x1p900
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
