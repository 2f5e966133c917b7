/*
 * The parameters of kernels.inc for float32, for the ISA kernels_isa.c is built for
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

typedef float vf32 __attribute__((vector_size(SK_VBYTES)));
typedef int32_t vi32 __attribute__((vector_size(SK_VBYTES)));

#if defined(SK_BUILD_AVX512)
#define VFMA_F32(a, b, c) ((vf32)_mm512_fmadd_ps((__m512)(a), (__m512)(b), (__m512)(c)))
#define EXP_TBITS_F32 4 /* 16 floats: one register, one permute */
#define LOOKUP_F32(tab, j) ((vf32)_mm512_permutexvar_ps((__m512i)(j), _mm512_loadu_ps(tab)))
#define VMAX_F32(a, b) ((vf32)_mm512_max_ps((__m512)(a), (__m512)(b)))
#define VMIN_F32(a, b) ((vf32)_mm512_min_ps((__m512)(a), (__m512)(b)))
#define LOADN_F32(p, n, fill) \
    ((vf32)_mm512_mask_loadu_ps(_mm512_set1_ps(fill), (__mmask16)((1u << (n)) - 1), p))
#define STOREN_F32(p, v, n) _mm512_mask_storeu_ps(p, (__mmask16)((1u << (n)) - 1), (__m512)(v))
/* v * 2**e, rounded once even when the result is subnormal */
#define SCALE2_F32(v, e) ((vf32)_mm512_scalef_ps((__m512)(v), _mm512_cvtepi32_ps((__m512i)(e))))
#elif defined(SK_BUILD_AVX2)
#define VFMA_F32(a, b, c) ((vf32)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
/* 8 floats: one permute of one register. 16 entries took two permutes and a blend for
 * each of the two tables, 6 of the exp's 50-odd instructions, all on one port; the
 * polynomial takes one more term instead (see EXP_POLY). */
#define EXP_TBITS_F32 3
#define LOOKUP_F32(tab, j) ((vf32)_mm256_permutevar8x32_ps(_mm256_loadu_ps(tab), (__m256i)(j)))
#define VMAX_F32(a, b) ((vf32)_mm256_max_ps((__m256)(a), (__m256)(b)))
#define VMIN_F32(a, b) ((vf32)_mm256_min_ps((__m256)(a), (__m256)(b)))
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
#define EXP_TBITS_F32 4
static inline vf32 lookup_f32(const float *tab, vi32 j)
{
    vf32 r;
    for (int l = 0; l < (int)(SK_VBYTES / 4); l++) r[l] = tab[j[l]];
    return r;
}
#define LOOKUP_F32(tab, j) lookup_f32(tab, j)
#if defined(__SSE__)
#define VMAX_F32(a, b) ((vf32)_mm_max_ps((__m128)(a), (__m128)(b)))
#define VMIN_F32(a, b) ((vf32)_mm_min_ps((__m128)(a), (__m128)(b)))
#endif
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
#define EXP_TBITS EXP_TBITS_F32
#define EXP_LOOKUP LOOKUP_F32
#ifdef VMAX_F32
#define VMAX VMAX_F32
#define VMIN VMIN_F32
#endif
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
#define SPLIT_BIG 0x1p110f
#define SPLIT_DOWN 0x1p-16f
#define EXP_MAGIC 0x1.8p23f
#define EXP_CLAMP 104.0f /* exp(q) < 2**-150 below: rounds to 0 */
#define EXP_CLAMP_REST 126.0f /* exp(-126) * 2**REST_BIAS is still a normal number */
#if EXP_TBITS_F32 == 4
#define EXP_N_OVER_LN2 SK_16_OVER_LN2_F32
#define EXP_LN2_N_HI SK_LN2_16_HI_F32
#define EXP_LN2_N_LO SK_LN2_16_LO_F32
#define EXP_TABLE_HI sk_exp2_16_hi_f32
#define EXP_TABLE_LO sk_exp2_16_lo_f32
#else
#define EXP_N_OVER_LN2 SK_8_OVER_LN2_F32
#define EXP_LN2_N_HI SK_LN2_8_HI_F32
#define EXP_LN2_N_LO SK_LN2_8_LO_F32
#define EXP_TABLE_HI sk_exp2_8_hi_f32
#define EXP_TABLE_LO sk_exp2_8_lo_f32
#endif
#define EXP_BIAS 127
#define EXP_MANT_BITS 23
#if EXP_TBITS_F32 == 4
/* exp(r) - 1 for |r| <= ln2/32: Taylor to r**4 (truncation < 5e-11 relative) */
#define EXP_POLY(r)                                                                       \
    ((r) * VFMA(VFMA(VFMA(r, F(splat)(0x1.555556p-5f), F(splat)(0x1.555556p-3f)), r,     \
                     F(splat)(0.5f)), r, F(splat)(1.0f)))
#else
/* exp(r) - 1 for |r| <= ln2/16: Taylor to r**5 (truncation < 1e-11 relative) */
#define EXP_POLY(r)                                                                       \
    ((r) * VFMA(VFMA(VFMA(VFMA(r, F(splat)(0x1.111112p-7f), F(splat)(0x1.555556p-5f)), r, \
                          F(splat)(0x1.555556p-3f)), r, F(splat)(0.5f)), r, F(splat)(1.0f)))
#endif
