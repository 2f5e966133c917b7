/*
 * The parameters of kernels.inc for float64, for the ISA kernels_isa.c is built for
 * (SK_BUILD_AVX512, SK_BUILD_AVX2, aarch64 NEON, or the portable baseline). Included by
 * kernels_isa.c just before kernels.inc; type_undef.h removes them again.
 *
 * What kernels.inc needs from here (its include contract):
 *   T, V, VI         scalar type, vector type, same-size integer vector
 *   VL, VLN          lanes per vector (VLN: the same for the preprocessor's #if)
 *   F(name)          the name with the type suffix: sk_name_f32 / sk_name_f64
 *   VFMA(a, b, c)    a*b + c, fused where the ISA has FMA
 *   VMAX, VMIN       (optional) a > b ? a : b and a < b ? a : b (x86's max and min)
 *   EXP_TBITS        the exponential's table has 2**EXP_TBITS entries (EXP_N)
 *   EXP_LOOKUP(tab, j)  tab[j] per lane for a table of EXP_N entries
 *   LOADN, STOREN    (optional) partial vector load (other lanes = fill) and store of
 *                    n < VL lanes; kernels.inc has generic versions through a buffer
 *   SCALE2(v, e)     (optional) v * 2**e for an integer vector e, rounded once
 *   TWO_PROD_REM     (optional) d - q*t exactly: one FMA where the ISA has it
 *   REFINE_LOG       1: refine log(sum) with a Newton step on exp (needs exp to ~2**-60)
 *   LANE_LOG         1: the panels take the log of all lanes at once in double
 *   REST_BIAS        the power of two the non-maximal terms are scaled by, so that the
 *                    smallest that matter stay normal numbers
 *   SPLIT_FACTOR     Veltkamp's splitter 2**ceil(p/2) + 1 for T's p-bit significand
 *   SPLIT_CAP        above it, a product's split could overflow: the exact path is skipped
 *   SPLIT_BIG, SPLIT_DOWN  above SPLIT_BIG, d and t are scaled by SPLIT_DOWN first
 *   EXP_MAGIC        1.5 * 2**(p-1): adding it rounds to an integer (the table index)
 *   EXP_CLAMP        below -EXP_CLAMP, exp underflows to 0 in T
 *   EXP_CLAMP_REST   the same for sums of such terms (log_softmax, logsumexp)
 *   EXP_N_OVER_LN2, EXP_LN2_N_HI, EXP_LN2_N_LO   N/ln2 and ln2/N as hi + lo
 *   EXP_TABLE_HI, EXP_TABLE_LO   2**(j/N) as hi + lo (exp_tables.h, from mpmath)
 *   EXP_BIAS, EXP_MANT_BITS      T's exponent bias and significand bits
 *   EXP_POLY(r)      exp(r) - 1 on |r| <= ln2/(2N)
 */

typedef double vf64 __attribute__((vector_size(SK_VBYTES)));
typedef int64_t vi64 __attribute__((vector_size(SK_VBYTES)));

#if defined(SK_BUILD_AVX512)
#define EXP_TBITS_F64 4 /* 16 doubles: two registers, one permute */
#define LOOKUP_F64(tab, j)                                                              \
    ((vf64)_mm512_permutex2var_pd(_mm512_loadu_pd(tab), (__m512i)(j), _mm512_loadu_pd((tab) + 8)))
#define VMAX_F64(a, b) ((vf64)_mm512_max_pd((__m512d)(a), (__m512d)(b)))
#define VMIN_F64(a, b) ((vf64)_mm512_min_pd((__m512d)(a), (__m512d)(b)))
#define LOADN_F64(p, n, fill) \
    ((vf64)_mm512_mask_loadu_pd(_mm512_set1_pd(fill), (__mmask8)((1u << (n)) - 1), p))
#define STOREN_F64(p, v, n) _mm512_mask_storeu_pd(p, (__mmask8)((1u << (n)) - 1), (__m512d)(v))
#define SCALE2_F64(v, e) ((vf64)_mm512_scalef_pd((__m512d)(v), _mm512_cvtepi64_pd((__m512i)(e))))
#elif defined(SK_BUILD_AVX2)
#define EXP_TBITS_F64 4
#define LOOKUP_F64(tab, j) ((vf64)_mm256_i64gather_pd(tab, (__m256i)(j), 8))
#define VMAX_F64(a, b) ((vf64)_mm256_max_pd((__m256d)(a), (__m256d)(b)))
#define VMIN_F64(a, b) ((vf64)_mm256_min_pd((__m256d)(a), (__m256d)(b)))
static inline __m256i lanes_below_f64(ptrdiff_t n)
{
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
}
#define LOADN_F64(p, n, fill)                                                           \
    ((vf64)_mm256_blendv_pd(_mm256_set1_pd(fill), _mm256_maskload_pd(p, lanes_below_f64(n)), \
                            (__m256d)lanes_below_f64(n)))
#define STOREN_F64(p, v, n) _mm256_maskstore_pd(p, lanes_below_f64(n), (__m256d)(v))
#endif
#define VFMA_F64(a, b, c) ((vf64)SK_DFMA(a, b, c)) /* kernels_isa.c */
#if !defined(SK_BUILD_AVX512) && !defined(SK_BUILD_AVX2)
#define EXP_TBITS_F64 4
static inline vf64 lookup_f64(const double *tab, vi64 j)
{
    vf64 r;
    for (int l = 0; l < (int)(SK_VBYTES / 8); l++) r[l] = tab[j[l]];
    return r;
}
#define LOOKUP_F64(tab, j) lookup_f64(tab, j)
#if defined(__SSE2__)
#define VMAX_F64(a, b) ((vf64)_mm_max_pd((__m128d)(a), (__m128d)(b)))
#define VMIN_F64(a, b) ((vf64)_mm_min_pd((__m128d)(a), (__m128d)(b)))
#endif
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
#define EXP_TBITS EXP_TBITS_F64
#define EXP_LOOKUP LOOKUP_F64
#ifdef VMAX_F64
#define VMAX VMAX_F64
#define VMIN VMIN_F64
#endif
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
/* the lanes' log in double, refined like F(log_sum)'s (so only where REFINE_LOG is) */
#define LANE_LOG SK_HAS_FMA
#define REST_BIAS 128 /* exp(q) >= 2**-1077 here: scaled, the terms stay normal */
#define SPLIT_FACTOR 134217729.0 /* Veltkamp: 2**27 + 1 */
#define SPLIT_CAP 0x1p900
#define SPLIT_BIG 0x1p990
#define SPLIT_DOWN 0x1p-36
#define EXP_MAGIC 0x1.8p52
#define EXP_CLAMP 746.0 /* exp(q) < 2**-1075 below: rounds to 0 */
#define EXP_CLAMP_REST 768.0 /* exp(-768) * 2**REST_BIAS is still a normal number */
#define EXP_N_OVER_LN2 SK_16_OVER_LN2_F64
#define EXP_LN2_N_HI SK_LN2_16_HI_F64
#define EXP_LN2_N_LO SK_LN2_16_LO_F64
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
