/*
 * Fast rows for float16 and bfloat16 storage on x86 (AVX2 + F16C, AVX-512): softmax,
 * log_softmax and logsumexp of one contiguous row read and written in the storage format.
 * Included once per ISA build by kernels_half.inc's helpers.
 *
 * [Note: fast half rows] The storage formats keep 11 (float16) or 8 (bfloat16) bits, so
 * a result in float32 within a few parts in 2**22 of the exact value, rounded once to
 * the format, is within 1 ulp of the format and correctly rounded unless the exact value
 * lies that close to a rounding boundary (about one element in a thousand for float16).
 * That needs neither the float32 kernels' table exponential nor their compensated sums:
 *   - exp(a), a = (x - m) / t <= 0: a degree-5 polynomial on |r| <= ln2/2 after
 *     a = k ln2 + r (relative error 1.5e-7, exp(0) = 1 exactly), times 2**(k + 64):
 *     scaled so, every term down to exp(-131) is a normal float32 (no subnormal
 *     arithmetic, see sk_hv_exp), and the terms below are 0;
 *   - the sum: float32 lanes over runs of SK_HR_CHUNK elements (each lane adds at most
 *     SK_HR_CHUNK / (2 W) terms), the runs added in double; for the log forms, the terms
 *     below the maximum also apart (rest), so that log(1 + rest) keeps its relative
 *     accuracy when the maximum dominates (log_softmax of the maximum is -log1p(rest)).
 *     softmax's last product, e * (2**-64 / sum), rounds once into the subnormals.
 * Three passes over the row, which stays in cache between them: the maximum; the
 * exponentials and their sum (softmax keeps them in a float32 buffer), prefetching the
 * next row; the results, converted in registers. Memory sees two bytes an element each
 * way. Against the accurate route a result differs in about one element in 10**4, by
 * one ulp of the format, or as a -0 where that route gives +0 (the exact value is a
 * negative number below the format's range).
 * A row with a NaN, +inf or no finite entry is left to the accurate kernels
 * (sk_half_fast_row returns 1 without writing), which give the family's special values.
 */
#ifndef SK_HALF_ROWS_H
#define SK_HALF_ROWS_H
#if defined(SK_BUILD_AVX512) || defined(SK_BUILD_AVX2)
#define SK_HALF_FAST 1
#define SK_HR_CHUNK 1024 /* elements per float32 run of the sums */
/* Rows at least this long take the fast rows; shorter ones go a block at a time through
 * the float32 driver's tiles, which put rows in the lanes. Measured, float16 softmax,
 * 2 threads, Xeon (Emerald Rapids): 500000x37 15.5 ms fast against 22 through the
 * tiles with AVX-512, 35 against about 22 with AVX2 (whose 16-bit tails go one element
 * at a time); 262144x128 faster by 2-2.5x with either. */
#if defined(SK_BUILD_AVX512)
#define SK_HALF_FAST_MIN 32
#else
#define SK_HALF_FAST_MIN 64
#endif

#if defined(SK_BUILD_AVX512)
#define SK_HR_W 16
typedef __m512 sk_hv;
typedef __m256i sk_hh; /* W storage values */
#define HV_SET1 _mm512_set1_ps
#define HV_ADD _mm512_add_ps
#define HV_SUB _mm512_sub_ps
#define HV_MUL _mm512_mul_ps
#define HV_MAX _mm512_max_ps
#define HV_FMA _mm512_fmadd_ps
#define HV_STORE _mm512_storeu_ps
#define HV_LOAD _mm512_loadu_ps
#define HH_LOAD(p) _mm256_loadu_si256((const __m256i *)(p))
#define HH_STORE(p, v) _mm256_storeu_si256((__m256i *)(p), v)

static inline sk_hv sk_hv_of_half(sk_hh a, int format)
{
    return format == 0 ? _mm512_cvtph_ps(a)
                       : _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(a), 16));
}

/* to nearest even; a NaN stays a quiet NaN */
static inline sk_hh sk_half_of_hv(sk_hv v, int format)
{
    if (format == 0) return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512i u = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_srli_epi32(
        _mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
    const __mmask16 nan = _mm512_cmpgt_epi32_mask(
        _mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
    const __m512i quiet = _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
    return _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(nan, rounded, quiet));
}

/* v * 2**k for an integral float k */
static inline sk_hv sk_hv_scale2(sk_hv v, sk_hv k) { return _mm512_scalef_ps(v, k); }
static inline sk_hv sk_hv_round(sk_hv v)
{
    return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
static inline int sk_hv_any_nan(sk_hv v) { return _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) != 0; }
static inline sk_hv sk_hv_or(sk_hv a, sk_hv b) { return _mm512_or_ps(a, b); }
static inline sk_hv sk_hv_unord(sk_hv v)
{
    return _mm512_castsi512_ps(_mm512_movm_epi32(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q)));
}
/* e where a < 0, else 0 */
static inline sk_hv sk_hv_below(sk_hv a, sk_hv e)
{
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_LT_OQ), e);
}
/* e where a >= lo, else 0 */
static inline sk_hv sk_hv_at_least(sk_hv a, sk_hv lo, sk_hv e)
{
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, lo, _CMP_GE_OQ), e);
}
static inline float sk_hv_hmax(sk_hv v) { return _mm512_reduce_max_ps(v); }
static inline double sk_hv_hsum(sk_hv v)
{
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    const __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    return _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
}
#else /* AVX2 */
#define SK_HR_W 8
typedef __m256 sk_hv;
typedef __m128i sk_hh;
#define HV_SET1 _mm256_set1_ps
#define HV_ADD _mm256_add_ps
#define HV_SUB _mm256_sub_ps
#define HV_MUL _mm256_mul_ps
#define HV_MAX _mm256_max_ps
#define HV_FMA _mm256_fmadd_ps
#define HV_STORE _mm256_storeu_ps
#define HV_LOAD _mm256_loadu_ps
#define HH_LOAD(p) _mm_loadu_si128((const __m128i *)(p))
#define HH_STORE(p, v) _mm_storeu_si128((__m128i *)(p), v)

static inline sk_hv sk_hv_of_half(sk_hh a, int format)
{
    return format == 0 ? _mm256_cvtph_ps(a)
                       : _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(a), 16));
}

static inline sk_hh sk_half_of_hv(sk_hv v, int format)
{
    if (format == 0) return _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256i u = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_srli_epi32(
        _mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))), 16);
    const __m256i nan = _mm256_cmpgt_epi32(
        _mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)), _mm256_set1_epi32(0x7f800000));
    const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
    const __m256i w = _mm256_blendv_epi8(rounded, quiet, nan);
    /* 8 lanes of 32 bits (each < 2**16) to 8 of 16: pack, then the two halves */
    const __m256i p = _mm256_packus_epi32(w, w);
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(p, 0x08));
}

/* v * 2**k for an integral float k in [-125, 64] and v in [0.7, 1.5]: the result is
 * a normal number, so 2**k as a float and one product */
static inline sk_hv sk_hv_scale2(sk_hv v, sk_hv k)
{
    const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127));
    return _mm256_mul_ps(v, _mm256_castsi256_ps(_mm256_slli_epi32(e, 23)));
}
static inline sk_hv sk_hv_round(sk_hv v)
{
    return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
static inline int sk_hv_any_nan(sk_hv v)
{
    return _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)) != 0;
}
static inline sk_hv sk_hv_or(sk_hv a, sk_hv b) { return _mm256_or_ps(a, b); }
static inline sk_hv sk_hv_unord(sk_hv v) { return _mm256_cmp_ps(v, v, _CMP_UNORD_Q); }
static inline sk_hv sk_hv_below(sk_hv a, sk_hv e)
{
    return _mm256_and_ps(_mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_LT_OQ), e);
}
static inline sk_hv sk_hv_at_least(sk_hv a, sk_hv lo, sk_hv e)
{
    return _mm256_and_ps(_mm256_cmp_ps(a, lo, _CMP_GE_OQ), e);
}
static inline float sk_hv_hmax(sk_hv v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}
static inline double sk_hv_hsum(sk_hv v)
{
    __m256d d = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)),
                              _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(d), _mm256_extractf128_pd(d, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
#endif

/* The last k < W elements of a row: storage values at p (the other lanes -inf) and
 * their store, and the same for float32 values */
#if defined(SK_BUILD_AVX512)
static inline sk_hv sk_hv_load_tail(const uint16_t *p, ptrdiff_t k, int format)
{
    const __m256i fill = _mm256_set1_epi16((short)(format == 0 ? 0xfc00 : 0xff80));
    return sk_hv_of_half(_mm256_mask_loadu_epi16(fill, (__mmask16)((1u << k) - 1), p), format);
}

static inline void sk_hv_store_tail(uint16_t *p, sk_hv v, ptrdiff_t k, int format)
{
    _mm256_mask_storeu_epi16(p, (__mmask16)((1u << k) - 1), sk_half_of_hv(v, format));
}

static inline sk_hv sk_hv_loadf_tail(const float *p, ptrdiff_t k)
{
    return _mm512_maskz_loadu_ps((__mmask16)((1u << k) - 1), p);
}

static inline void sk_hv_storef_tail(float *p, sk_hv v, ptrdiff_t k)
{
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << k) - 1), v);
}
#else /* AVX2: no 16-bit masked moves; at most 7 elements one at a time */
static inline sk_hv sk_hv_load_tail(const uint16_t *p, ptrdiff_t k, int format)
{
    uint16_t b[SK_HR_W];
    for (int l = 0; l < SK_HR_W; l++) b[l] = l < k ? p[l] : format == 0 ? 0xfc00u : 0xff80u;
    return sk_hv_of_half(HH_LOAD(b), format);
}

static inline void sk_hv_store_tail(uint16_t *p, sk_hv v, ptrdiff_t k, int format)
{
    uint16_t b[SK_HR_W];
    HH_STORE(b, sk_half_of_hv(v, format));
    for (ptrdiff_t l = 0; l < k; l++) p[l] = b[l];
}

static inline __m256i sk_hv_lanes(ptrdiff_t k)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline sk_hv sk_hv_loadf_tail(const float *p, ptrdiff_t k)
{
    return _mm256_maskload_ps(p, sk_hv_lanes(k));
}

static inline void sk_hv_storef_tail(float *p, sk_hv v, ptrdiff_t k)
{
    _mm256_maskstore_ps(p, sk_hv_lanes(k), v);
}
#endif

/* exp(a) * 2**64 for a <= 0 or -inf (no NaN), 0 below a = -131 ([Note: fast half
 * rows]). Scaled, every result is a normal float32 or 0: a subnormal result costs a
 * microcode assist of a hundred cycles on x86 (an attention row's -inf lanes would pay
 * it on every vector), and the terms the exact softmax rounds to 0 in the format are
 * far below exp(-131). */
static inline sk_hv sk_hv_exp(sk_hv a)
{
    const sk_hv lo = HV_SET1(-131.0f);
    const sk_hv c = HV_MAX(a, lo);
    const sk_hv k = sk_hv_round(HV_MUL(c, HV_SET1(0x1.715476p+0f)));
    sk_hv r = HV_FMA(k, HV_SET1(-0x1.62e400p-1f), c); /* ln2's head: k * hi is exact */
    r = HV_FMA(k, HV_SET1(-0x1.7f7d1cp-20f), r);
    sk_hv p = HV_FMA(HV_SET1(0x1.0eb6bep-7f), r, HV_SET1(0x1.573c02p-5f));
    p = HV_FMA(p, r, HV_SET1(0x1.555cecp-3f));
    p = HV_FMA(p, r, HV_SET1(0x1.fffdc0p-2f));
    p = HV_FMA(p, r, HV_SET1(0x1.fffff0p-1f));
    p = HV_FMA(p, r, HV_SET1(1.0f));
    return sk_hv_at_least(a, lo, sk_hv_scale2(p, HV_ADD(k, HV_SET1(64.0f))));
}

/* The row's three passes for one format (a constant after inlining). kind 0 softmax
 * (the exponentials kept in buf), 1 log_softmax, 2 logsumexp into *lse (as a double:
 * the caller rounds it once). it = 1/temperature. */
static inline __attribute__((always_inline)) int sk_half_fast_body(
    const uint16_t *h, ptrdiff_t n, uint16_t *y, float *restrict buf, /* y may be h */
    const int format, const int scaled, int kind, float it, const uint16_t *next, double *lse)
{
    const ptrdiff_t W = SK_HR_W, nv = n - n % W;
    /* pass 1: the maximum, and whether there is a NaN */
    sk_hv m0 = HV_SET1(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
    sk_hv bad = HV_SET1(0.0f);
    ptrdiff_t i = 0;
    for (; i + 4 * W <= nv; i += 4 * W) {
        const sk_hv a = sk_hv_of_half(HH_LOAD(h + i), format);
        const sk_hv b = sk_hv_of_half(HH_LOAD(h + i + W), format);
        const sk_hv c = sk_hv_of_half(HH_LOAD(h + i + 2 * W), format);
        const sk_hv d = sk_hv_of_half(HH_LOAD(h + i + 3 * W), format);
        m0 = HV_MAX(m0, a), m1 = HV_MAX(m1, b), m2 = HV_MAX(m2, c), m3 = HV_MAX(m3, d);
        bad = sk_hv_or(bad, sk_hv_or(sk_hv_or(sk_hv_unord(a), sk_hv_unord(b)),
                                     sk_hv_or(sk_hv_unord(c), sk_hv_unord(d))));
    }
    for (; i < nv; i += W) {
        const sk_hv a = sk_hv_of_half(HH_LOAD(h + i), format);
        m0 = HV_MAX(m0, a);
        bad = sk_hv_or(bad, sk_hv_unord(a));
    }
    if (nv < n) {
        const sk_hv a = sk_hv_load_tail(h + nv, n - nv, format);
        m1 = HV_MAX(m1, a);
        bad = sk_hv_or(bad, sk_hv_unord(a));
    }
    const float m = sk_hv_hmax(HV_MAX(HV_MAX(m0, m1), HV_MAX(m2, m3)));
    if (sk_hv_any_nan(bad) || !(m > -INFINITY && m < INFINITY)) return 1;

    /* pass 2: the exponentials and their sums */
    const sk_hv vm = HV_SET1(m), vt = HV_SET1(it);
#define SK_HR_ARG(x) (scaled ? HV_MUL(HV_SUB(x, vm), vt) : HV_SUB(x, vm)) /* (x - m) / t */
    const int log_form = kind != 0;
    double s = 0.0, rest = 0.0;
    for (ptrdiff_t c0 = 0; c0 < n; c0 += SK_HR_CHUNK) {
        const ptrdiff_t c1 = n - c0 < SK_HR_CHUNK ? n : c0 + SK_HR_CHUNK;
        const ptrdiff_t cv = c1 < nv ? c1 : nv;
        sk_hv s0 = HV_SET1(0.0f), s1 = s0, r0 = s0, r1 = s0;
        ptrdiff_t j = c0;
        for (; j + 2 * W <= cv; j += 2 * W) {
            /* while this row is computed from cache, bring in the next one and this
             * row's output: pass 1 of the next row then reads from cache */
            __builtin_prefetch(next + j, 0, 3);
            if (kind != 2) __builtin_prefetch(y + j, 1, 3);
            const sk_hv a = SK_HR_ARG(sk_hv_of_half(HH_LOAD(h + j), format));
            const sk_hv b = SK_HR_ARG(sk_hv_of_half(HH_LOAD(h + j + W), format));
            const sk_hv ea = sk_hv_exp(a), eb = sk_hv_exp(b);
            s0 = HV_ADD(s0, ea), s1 = HV_ADD(s1, eb);
            if (log_form) {
                r0 = HV_ADD(r0, sk_hv_below(a, ea)), r1 = HV_ADD(r1, sk_hv_below(b, eb));
            } else {
                HV_STORE(buf + j, ea), HV_STORE(buf + j + W, eb);
            }
        }
        for (; j < c1; j += W) {
            const sk_hv x = j < cv ? sk_hv_of_half(HH_LOAD(h + j), format)
                                   : sk_hv_load_tail(h + j, c1 - j, format);
            const sk_hv a = SK_HR_ARG(x);
            const sk_hv ea = sk_hv_exp(a);
            s0 = HV_ADD(s0, ea);
            if (log_form) {
                r0 = HV_ADD(r0, sk_hv_below(a, ea));
            } else if (j < cv) {
                HV_STORE(buf + j, ea);
            } else {
                sk_hv_storef_tail(buf + j, ea, c1 - j);
            }
        }
        s += sk_hv_hsum(HV_ADD(s0, s1));
        if (log_form) rest += sk_hv_hsum(HV_ADD(r0, r1));
    }

    if (kind == 0) { /* pass 3: the exponentials over their sum */
        const sk_hv inv = HV_SET1((float)(1.0 / s)); /* and 2**-64 */
        ptrdiff_t j = 0;
        for (; j + 2 * W <= nv; j += 2 * W) {
            HH_STORE(y + j, sk_half_of_hv(HV_MUL(HV_LOAD(buf + j), inv), format));
            HH_STORE(y + j + W, sk_half_of_hv(HV_MUL(HV_LOAD(buf + j + W), inv), format));
        }
        for (; j < nv; j += W) HH_STORE(y + j, sk_half_of_hv(HV_MUL(HV_LOAD(buf + j), inv), format));
        if (nv < n)
            sk_hv_store_tail(y + nv, HV_MUL(sk_hv_loadf_tail(buf + nv, n - nv), inv), n - nv, format);
        return 0;
    }
    /* the maximum's term is 1 exactly: s - rest counts the maxima, and with one of them
     * log(s) is log1p(rest), kept accurate when rest is small */
    s *= 0x1p-64, rest *= 0x1p-64; /* exact */
    const double L = s - rest < 1.5 ? log1p(rest) : log(s);
    if (kind == 2) {
        *lse = (double)m + L;
        return 0;
    }
    /* the maximum's result is 0 - L: -0 when a positive L is below float32's range, as
     * the accurate kernels give */
    const float Lf = L > 0.0 && (float)L == 0.0f ? FLT_TRUE_MIN : (float)L;
    const sk_hv vL = HV_SET1(Lf);
    ptrdiff_t j = 0;
    for (; j < nv; j += W) {
        const sk_hv a = SK_HR_ARG(sk_hv_of_half(HH_LOAD(h + j), format));
        HH_STORE(y + j, sk_half_of_hv(HV_SUB(a, vL), format));
    }
    if (nv < n) {
        const sk_hv a = SK_HR_ARG(sk_hv_load_tail(h + nv, n - nv, format));
        sk_hv_store_tail(y + nv, HV_SUB(a, vL), n - nv, format);
    }
    return 0;
}

#undef SK_HR_ARG

/* [Note: fast half rows]: 0 when done, 1 when the row is left to the accurate kernels.
 * next: the row to bring into cache meanwhile (or the same row) */
static int sk_half_fast_row(const uint16_t *h, ptrdiff_t n, uint16_t *y, float *buf, int format,
                            int kind, float it, const uint16_t *next, double *lse)
{
    if (it == 1.0f)
        return format == 0 ? sk_half_fast_body(h, n, y, buf, 0, 0, kind, it, next, lse)
                           : sk_half_fast_body(h, n, y, buf, 1, 0, kind, it, next, lse);
    return format == 0 ? sk_half_fast_body(h, n, y, buf, 0, 1, kind, it, next, lse)
                       : sk_half_fast_body(h, n, y, buf, 1, 1, kind, it, next, lse);
}
#endif
#endif /* SK_HALF_ROWS_H */
