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
 * next rows; the results, converted in registers (bfloat16 two vectors at a time, even
 * and odd elements apart: a shift or a mask each way). Short rows go in groups, one pass
 * over all of them before the next, so that the reductions between the passes overlap;
 * softmax's shortest rows go in tiles with a row in each lane (sk_half_tile).
 * Memory sees two bytes an element each way. Against the accurate route a result
 * differs in about one element in 10**4, by one ulp of the format, or as a -0 where that
 * route gives +0 (the exact value is a negative number below the format's range).
 * A row with a NaN (its term makes the sum a NaN), +inf or no finite entry is left to
 * the accurate kernels unwritten, which give the family's special values; so is a
 * logsumexp whose maximum and logarithm cancel (see sk_half_fast_body).
 */
#ifndef SK_HALF_ROWS_H
#define SK_HALF_ROWS_H
#if defined(SK_BUILD_AVX512) || defined(SK_BUILD_AVX2)
#define SK_HALF_FAST 1
#define SK_HR_CHUNK 1024 /* elements per float32 run of the sums */
/* Rows at least this long take the fast rows; shorter ones go a block at a time through
 * the float32 driver's tiles, which put rows in the lanes. Measured, float16 softmax,
 * 2 threads, Xeon (Emerald Rapids): 500000x37 about 10 ms fast against 22 through the
 * driver's tiles with AVX-512 and 32 with AVX2; 1000000x10 fast is no faster than those.
 * (softmax's short rows take this file's own tiles, below: SK_HT_MAX.) */
#define SK_HALF_FAST_MIN 32

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
#define HV_DIV _mm512_div_ps
#define HT_SET1_16 _mm256_set1_epi16
#define HV_STORE _mm512_storeu_ps
#define HV_LOAD _mm512_loadu_ps
#define HH_LOAD(p) _mm256_loadu_si256((const __m256i *)(p))
#define HH_STORE(p, v) _mm256_storeu_si256((__m256i *)(p), v)

static inline sk_hv sk_hv_of_half(sk_hh a, int format)
{
    return format == 0 ? _mm512_cvtph_ps(a)
                       : _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(a), 16));
}

/* float32 bits u with the bfloat16 nearest (ties to even) in their upper half (for a
 * non-NaN) */
static inline __m512i sk_bf16_rne_bits(__m512i u)
{
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    return _mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
}

/* to nearest even; a NaN stays a quiet NaN */
static inline sk_hh sk_half_of_hv(sk_hv v, int format)
{
    if (format == 0) return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512i u = _mm512_castps_si512(v);
    const __m512i rounded = _mm512_srli_epi32(sk_bf16_rne_bits(u), 16);
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
/* e where a < 0, else 0 */
static inline sk_hv sk_hv_below(sk_hv a, sk_hv e)
{
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_LT_OQ), e);
}
/* e unless a < lo (so e where a is a NaN), else 0 */
static inline sk_hv sk_hv_not_below(sk_hv a, sk_hv lo, sk_hv e)
{
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, lo, _CMP_NLT_UQ), e);
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
#define HV_DIV _mm256_div_ps
#define HT_SET1_16 _mm_set1_epi16
#define HV_STORE _mm256_storeu_ps
#define HV_LOAD _mm256_loadu_ps
#define HH_LOAD(p) _mm_loadu_si128((const __m128i *)(p))
#define HH_STORE(p, v) _mm_storeu_si128((__m128i *)(p), v)

static inline sk_hv sk_hv_of_half(sk_hh a, int format)
{
    return format == 0 ? _mm256_cvtph_ps(a)
                       : _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(a), 16));
}

static inline __m256i sk_bf16_rne_bits(__m256i u)
{
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    return _mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));
}

static inline sk_hh sk_half_of_hv(sk_hv v, int format)
{
    if (format == 0) return _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256i u = _mm256_castps_si256(v);
    const __m256i rounded = _mm256_srli_epi32(sk_bf16_rne_bits(u), 16);
    const __m256i nan = _mm256_cmpgt_epi32(
        _mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)), _mm256_set1_epi32(0x7f800000));
    const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
    const __m256i w = _mm256_blendv_epi8(rounded, quiet, nan);
    /* 8 lanes of 32 bits (each < 2**16) to 8 of 16: pack, then the two halves */
    const __m256i p = _mm256_packus_epi32(w, w);
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(p, 0x08));
}

/* v * 2**k for an integral float k in [-125, 64] and v in [0.7, 1.5]: the result is
 * a normal number, so 2**k as a float and one product. (A row with a NaN can have a
 * maximum below its true one, so k beyond 64 and garbage here; its NaN term makes the
 * sum a NaN all the same, and the row goes to the accurate kernels.) */
static inline sk_hv sk_hv_scale2(sk_hv v, sk_hv k)
{
    const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127));
    return _mm256_mul_ps(v, _mm256_castsi256_ps(_mm256_slli_epi32(e, 23)));
}
static inline sk_hv sk_hv_round(sk_hv v)
{
    return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
static inline sk_hv sk_hv_below(sk_hv a, sk_hv e)
{
    return _mm256_and_ps(_mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_LT_OQ), e);
}
static inline sk_hv sk_hv_not_below(sk_hv a, sk_hv lo, sk_hv e)
{
    return _mm256_and_ps(_mm256_cmp_ps(a, lo, _CMP_NLT_UQ), e);
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

/* The last k = n % W > 0 elements of a row of n >= W (the fast rows' minimum):
 *   sk_hv_tail_any  the row h's tail in some lanes, the others other elements of the
 *                   row or -inf;
 *   sk_hv_tail_only v with the lanes outside the tail 0;
 *   sk_hv_tail_out  the tail lanes of v into y. With AVX2 the lanes before the tail are
 *                   stored too: v must hold the row's results there (computed from
 *                   sk_hv_tail_any), and in place the store goes after the row's others.
 * AVX-512 masks the tail at n - k. AVX2 has no 16-bit masked moves and a tail put
 * together one element at a time stalls the load that follows (a failed store
 * forwarding): it reads and writes the row's last W elements, in order, which overlap
 * the last whole vector (n >= W). */
#if defined(SK_BUILD_AVX512)
#define SK_HR_TAIL_MASK(n) ((__mmask16)((1u << ((n) % SK_HR_W)) - 1))
static inline sk_hv sk_hv_tail_any(const uint16_t *h, ptrdiff_t n, int format)
{
    const __m256i fill = _mm256_set1_epi16((short)(format == 0 ? 0xfc00 : 0xff80));
    return sk_hv_of_half(_mm256_mask_loadu_epi16(fill, SK_HR_TAIL_MASK(n), h + n - n % SK_HR_W),
                         format);
}


static inline sk_hv sk_hv_tail_only(sk_hv v, ptrdiff_t n)
{
    (void)n; /* the other lanes were -inf, their terms 0 */
    return v;
}

static inline void sk_hv_tail_out(uint16_t *y, ptrdiff_t n, sk_hv v, int format)
{
    _mm256_mask_storeu_epi16(y + n - n % SK_HR_W, SK_HR_TAIL_MASK(n), sk_half_of_hv(v, format));
}
#undef SK_HR_TAIL_MASK
#else /* AVX2 */
/* lanes below W - n % W: the ones before the tail in the row's last W elements */
static inline __m256i sk_hv_before_tail(ptrdiff_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(SK_HR_W - n % SK_HR_W)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline sk_hv sk_hv_tail_any(const uint16_t *h, ptrdiff_t n, int format)
{
    return sk_hv_of_half(HH_LOAD(h + n - SK_HR_W), format);
}

static inline sk_hv sk_hv_tail_only(sk_hv v, ptrdiff_t n)
{
    return _mm256_andnot_ps(_mm256_castsi256_ps(sk_hv_before_tail(n)), v);
}

static inline void sk_hv_tail_out(uint16_t *y, ptrdiff_t n, sk_hv v, int format)
{
    HH_STORE(y + n - SK_HR_W, sk_half_of_hv(v, format));
}
#endif

/* exp(a) * 2**64 for a <= 0 or -inf, 0 below a = -131, a NaN for a NaN (so the fast
 * rows find a row's NaN in its sum) ([Note: fast half
 * rows]). Scaled, every result is a normal float32 or 0: a subnormal result costs a
 * microcode assist of a hundred cycles on x86 (an attention row's -inf lanes would pay
 * it on every vector), and the terms the exact softmax rounds to 0 in the format are
 * far below exp(-131). */
static inline sk_hv sk_hv_exp(sk_hv a)
{
    const sk_hv lo = HV_SET1(-131.0f);
    const sk_hv c = HV_MAX(lo, a); /* lo, a: a NaN goes through (MAXPS returns a) */
    const sk_hv k = sk_hv_round(HV_MUL(c, HV_SET1(0x1.715476p+0f)));
    sk_hv r = HV_FMA(k, HV_SET1(-0x1.62e400p-1f), c); /* ln2's head: k * hi is exact */
    r = HV_FMA(k, HV_SET1(-0x1.7f7d1cp-20f), r);
    sk_hv p = HV_FMA(HV_SET1(0x1.0eb6bep-7f), r, HV_SET1(0x1.573c02p-5f));
    p = HV_FMA(p, r, HV_SET1(0x1.555cecp-3f));
    p = HV_FMA(p, r, HV_SET1(0x1.fffdc0p-2f));
    p = HV_FMA(p, r, HV_SET1(0x1.fffff0p-1f));
    p = HV_FMA(p, r, HV_SET1(1.0f));
    return sk_hv_not_below(a, lo, sk_hv_scale2(p, HV_ADD(k, HV_SET1(64.0f))));
}

/* 2W storage values at p as two vectors: in order for float16; for bfloat16 the even
 * elements (a shift) and the odd ones (a mask: each already is a float32's upper half),
 * half the conversion work of two in-order loads. The maximum and the sums do not see
 * the order, and sk_hv_pair_store puts it back. */
static inline void sk_hv_pair_load(const uint16_t *p, int format, sk_hv *a, sk_hv *b)
{
    if (format == 0) {
        *a = sk_hv_of_half(HH_LOAD(p), 0), *b = sk_hv_of_half(HH_LOAD(p + SK_HR_W), 0);
        return;
    }
#if defined(SK_BUILD_AVX512)
    const __m512i v = _mm512_loadu_si512((const void *)p);
    *a = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
    *b = _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32((int)0xffff0000u)));
#else
    const __m256i v = _mm256_loadu_si256((const __m256i *)p);
    *a = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
    *b = _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xffff0000u)));
#endif
}

/* The store of a pair loaded so, rounded to nearest even; a and b hold no NaN (the fast
 * rows' results never do), which spares bfloat16 the NaN lanes' blend */
static inline void sk_hv_pair_store(uint16_t *p, sk_hv a, sk_hv b, int format)
{
    if (format == 0) {
        HH_STORE(p, sk_half_of_hv(a, 0)), HH_STORE(p + SK_HR_W, sk_half_of_hv(b, 0));
        return;
    }
#if defined(SK_BUILD_AVX512)
    const __m512i ra = sk_bf16_rne_bits(_mm512_castps_si512(a));
    const __m512i rb = sk_bf16_rne_bits(_mm512_castps_si512(b));
    _mm512_storeu_si512((void *)p,
                        _mm512_mask_blend_epi16(0xaaaaaaaau, _mm512_srli_epi32(ra, 16), rb));
#else
    const __m256i ra = sk_bf16_rne_bits(_mm256_castps_si256(a));
    const __m256i rb = sk_bf16_rne_bits(_mm256_castps_si256(b));
    _mm256_storeu_si256((__m256i *)p, _mm256_blend_epi16(_mm256_srli_epi32(ra, 16), rb, 0xaa));
#endif
}

/* Pass 1: the maximum (NaN lanes may or may not reach it: pass 2 finds them) */
static inline __attribute__((always_inline)) float sk_hr_max(const uint16_t *h, ptrdiff_t n,
                                                             const int format)
{
    const ptrdiff_t W = SK_HR_W;
    sk_hv m0 = HV_SET1(-INFINITY), m1 = m0, m2 = m0, m3 = m0, a, b, c, d;
    ptrdiff_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        sk_hv_pair_load(h + i, format, &a, &b);
        sk_hv_pair_load(h + i + 2 * W, format, &c, &d);
        m0 = HV_MAX(m0, a), m1 = HV_MAX(m1, b), m2 = HV_MAX(m2, c), m3 = HV_MAX(m3, d);
    }
    for (; i + W <= n; i += W) m0 = HV_MAX(m0, sk_hv_of_half(HH_LOAD(h + i), format));
    if (i < n) m1 = HV_MAX(m1, sk_hv_tail_any(h, n, format));
    return sk_hv_hmax(HV_MAX(HV_MAX(m0, m1), HV_MAX(m2, m3)));
}

#define SK_HR_ARG(x) (scaled ? HV_MUL(HV_SUB(x, vm), vt) : HV_SUB(x, vm)) /* (x - m) / t */

/* Pass 2: the exponentials' sum *s (a NaN when the row has one) and, for the log forms
 * and the cross-entropy (kind SK_HR_XENT), the sum of the terms below the maximum, *rest;
 * softmax and the cross-entropy keep the exponentials in buf (n + W floats: pairs in
 * sk_hv_pair_load's order, the tail's vector at buf + n). Prefetches the row at next. */
#define SK_HR_XENT 3
static inline __attribute__((always_inline)) void sk_hr_sums(
    const uint16_t *h, ptrdiff_t n, float m, float *restrict buf, const int format,
    const int scaled, const int kind, float it, const uint16_t *next, const uint16_t *y,
    double *sum, double *rest_sum)
{
    const ptrdiff_t W = SK_HR_W, nv = n - n % W;
    const sk_hv vm = HV_SET1(m), vt = HV_SET1(it);
    const int log_form = kind != 0, keep = kind == 0 || kind == SK_HR_XENT;
    double s = 0.0, rest = 0.0;
    for (ptrdiff_t c0 = 0; c0 < n; c0 += SK_HR_CHUNK) {
        const ptrdiff_t c1 = n - c0 < SK_HR_CHUNK ? n : c0 + SK_HR_CHUNK;
        const ptrdiff_t cv = c1 < nv ? c1 : nv;
        sk_hv s0 = HV_SET1(0.0f), s1 = s0, r0 = s0, r1 = s0, a, b;
        ptrdiff_t j = c0;
        for (; j + 2 * W <= cv; j += 2 * W) {
            /* while this row is computed from cache, bring in a later one and this
             * row's output: pass 1 of that row then reads from cache */
            __builtin_prefetch(next + j, 0, 3);
            if (kind != 2) __builtin_prefetch(y + j, 1, 3);
            sk_hv_pair_load(h + j, format, &a, &b);
            a = SK_HR_ARG(a), b = SK_HR_ARG(b);
            const sk_hv ea = sk_hv_exp(a), eb = sk_hv_exp(b);
            s0 = HV_ADD(s0, ea), s1 = HV_ADD(s1, eb);
            if (log_form)
                r0 = HV_ADD(r0, sk_hv_below(a, ea)), r1 = HV_ADD(r1, sk_hv_below(b, eb));
            if (keep) HV_STORE(buf + j, ea), HV_STORE(buf + j + W, eb);
        }
        for (; j < cv; j += W) {
            a = SK_HR_ARG(sk_hv_of_half(HH_LOAD(h + j), format));
            const sk_hv ea = sk_hv_exp(a);
            s0 = HV_ADD(s0, ea);
            if (log_form) r0 = HV_ADD(r0, sk_hv_below(a, ea));
            if (keep) HV_STORE(buf + j, ea);
        }
        if (c1 == n && nv < n) { /* the tail's W terms are kept at buf + n */
            a = SK_HR_ARG(sk_hv_tail_any(h, n, format));
            const sk_hv ea = sk_hv_exp(a), et = sk_hv_tail_only(ea, n);
            s1 = HV_ADD(s1, et);
            if (log_form) r1 = HV_ADD(r1, sk_hv_below(a, et));
            if (keep) HV_STORE(buf + n, ea);
        }
        s += sk_hv_hsum(HV_ADD(s0, s1));
        if (log_form) rest += sk_hv_hsum(HV_ADD(r0, r1));
    }
    *sum = s, *rest_sum = rest;
}

/* Pass 3 of softmax: the exponentials times inv (1 / sum and 2**-64) */
static inline __attribute__((always_inline)) void sk_hr_scale_out(
    const float *restrict buf, ptrdiff_t n, uint16_t *y, float inv, const int format)
{
    const ptrdiff_t W = SK_HR_W, nv = n - n % W;
    const sk_hv vi = HV_SET1(inv);
    ptrdiff_t j = 0;
    for (; j + 2 * W <= nv; j += 2 * W)
        sk_hv_pair_store(y + j, HV_MUL(HV_LOAD(buf + j), vi), HV_MUL(HV_LOAD(buf + j + W), vi),
                         format);
    for (; j < nv; j += W) HH_STORE(y + j, sk_half_of_hv(HV_MUL(HV_LOAD(buf + j), vi), format));
    if (nv < n)
        sk_hv_tail_out(y, n, HV_MUL(HV_LOAD(buf + n), vi), format);
}

/* Pass 3 of log_softmax: (x - m) / t - L, computed again from the row (y may be h) */
static inline __attribute__((always_inline)) void sk_hr_log_out(
    const uint16_t *h, ptrdiff_t n, uint16_t *y, float m, float Lf, const int format,
    const int scaled, float it)
{
    const ptrdiff_t W = SK_HR_W, nv = n - n % W;
    const sk_hv vm = HV_SET1(m), vt = HV_SET1(it), vL = HV_SET1(Lf);
    /* the tail's results first: in place, the stores below overwrite what AVX2's
     * tail_any reads */
    const sk_hv tail = nv < n ? HV_SUB(SK_HR_ARG(sk_hv_tail_any(h, n, format)), vL) : vL;
    sk_hv a, b;
    ptrdiff_t j = 0;
    for (; j + 2 * W <= nv; j += 2 * W) {
        sk_hv_pair_load(h + j, format, &a, &b);
        sk_hv_pair_store(y + j, HV_SUB(SK_HR_ARG(a), vL), HV_SUB(SK_HR_ARG(b), vL), format);
    }
    for (; j < nv; j += W) {
        a = SK_HR_ARG(sk_hv_of_half(HH_LOAD(h + j), format));
        HH_STORE(y + j, sk_half_of_hv(HV_SUB(a, vL), format));
    }
    if (nv < n) sk_hv_tail_out(y, n, tail, format);
}

#undef SK_HR_ARG

/* Rows per call: short rows go several at a time, each pass over all of them before the
 * next pass, so that one row's reductions and logarithm (a chain of some hundred cycles
 * between the passes) overlap the others' work; 262144x128 float16 softmax took 0.56 ns
 * an element one row at a time against 0.37 on long rows (Xeon, AVX-512, one thread). */
#define SK_HR_GROUP 8
static inline ptrdiff_t sk_half_fast_group(ptrdiff_t n)
{
    const ptrdiff_t g = 2048 / (n > 0 ? n : 1);
    return g < 1 ? 1 : g > SK_HR_GROUP ? SK_HR_GROUP : g;
}

/* G rows (at most SK_HR_GROUP) at h, h + xs, ... into y, y + ys, ... for one format
 * and kind (constants after inlining); kind 0 softmax (the exponentials kept in buf,
 * G (n + W) floats), 1 log_softmax, 2 logsumexp into lse[g] (as doubles: the caller
 * rounds them once). it = 1/temperature. Returns the rows left to the accurate kernels, one bit each,
 * unwritten. */
static inline __attribute__((always_inline)) unsigned sk_half_fast_body(
    const uint16_t *h, ptrdiff_t xs, ptrdiff_t G, ptrdiff_t n, uint16_t *y, ptrdiff_t ys,
    float *restrict buf, const int format, const int scaled, const int kind, float it,
    const uint16_t *next, double *lse)
{
    float m[SK_HR_GROUP];
    double s[SK_HR_GROUP], rest[SK_HR_GROUP];
    unsigned left = 0;
    for (ptrdiff_t g = 0; g < G; g++) {
        m[g] = sk_hr_max(h + g * xs, n, format);
        if (!(m[g] > -INFINITY && m[g] < INFINITY)) left |= 1u << g; /* +inf, no finite entry */
    }
    for (ptrdiff_t g = 0; g < G; g++) {
        if (left >> g & 1) continue;
        sk_hr_sums(h + g * xs, n, m[g], buf + g * (n + SK_HR_W), format, scaled, kind, it, next + g * xs,
                   y + g * ys, &s[g], &rest[g]);
        if (s[g] != s[g]) left |= 1u << g; /* a NaN: its term made the sum one */
    }
    for (ptrdiff_t g = 0; g < G; g++) {
        if (left >> g & 1) continue;
        if (kind == 0) {
            sk_hr_scale_out(buf + g * (n + SK_HR_W), n, y + g * ys, (float)(1.0 / s[g]), format);
            continue;
        }
        /* the maximum's term is 1 exactly: s - rest counts the maxima, and with one of
         * them log(s) is log1p(rest), kept accurate when rest is small */
        const double sg = s[g] * 0x1p-64, rg = rest[g] * 0x1p-64; /* exact */
        const double L = sg - rg < 1.5 ? log1p(rg) : log(sg);
        if (kind == 2) {
            /* m + L cancels when m < 0: L's error, a few parts in 10**7 (s's), is then
             * more than the format's ulp of a result near 0, so those rows go to the
             * accurate kernels (logsumexp of log-probabilities is such a row) */
            if (m[g] < 0.0f && fabs((double)m[g] + L) < 0.25) left |= 1u << g;
            lse[g] = (double)m[g] + L;
            continue;
        }
        /* the maximum's result is 0 - L: -0 when a positive L is below float32's range,
         * as the accurate kernels give */
        const float Lf = L > 0.0 && (float)L == 0.0f ? FLT_TRUE_MIN : (float)L;
        sk_hr_log_out(h + g * xs, n, y + g * ys, m[g], Lf, format, scaled, it);
    }
    return left;
}

/* [Note: fast half rows]: G rows as sk_half_fast_body; next: the rows to bring into
 * cache meanwhile (or the same rows) */
static unsigned sk_half_fast_rows(const uint16_t *h, ptrdiff_t xs, ptrdiff_t G, ptrdiff_t n,
                                  uint16_t *y, ptrdiff_t ys, float *buf, int format, int kind,
                                  float it, const uint16_t *next, double *lse)
{
#define SK_HR_CALL(f, sc, k) sk_half_fast_body(h, xs, G, n, y, ys, buf, f, sc, k, it, next, lse)
#define SK_HR_KINDS(f, sc) (kind == 0 ? SK_HR_CALL(f, sc, 0) : kind == 1 ? SK_HR_CALL(f, sc, 1) \
                                                                          : SK_HR_CALL(f, sc, 2))
    if (it == 1.0f) return format == 0 ? SK_HR_KINDS(0, 0) : SK_HR_KINDS(1, 0);
    return format == 0 ? SK_HR_KINDS(0, 1) : SK_HR_KINDS(1, 1);
#undef SK_HR_KINDS
#undef SK_HR_CALL
}

/* One storage value as a float (exact) */
static inline float sk_half_value(const uint16_t *h, int format)
{
    if (format == 1) return sk_float_of_bf16(*h);
    _Float16 v;
    memcpy(&v, h, 2);
    return (float)v;
}

/* A double rounded once to the storage format (to odd in float32 first: 13 or more
 * bits to spare) */
static inline uint16_t sk_half_of_double(double d, int format)
{
    const float f = sk_float_odd(d);
    if (format == 1) return sk_bf16_of_float(f);
    const _Float16 v = (_Float16)f;
    uint16_t u;
    memcpy(&u, &v, 2);
    return u;
}

/* [Note: fast half cross-entropy] G rows of logits (at most SK_HR_GROUP; labels lab[g],
 * nonzero finite scales rs[g]) in the fast rows' three passes: the maximum m; the
 * exponentials (kept in buf) with their sum S and the sum R of the terms below m; and
 * the gradient rs * e / S rounded once into gr. Then for each row:
 *   - the loss, -log_softmax(x)[y] = (m - x[y]) + L with L = log1p(R) for a single
 *     maximum (log(S) for ties, where S >= 2), in double. Both terms are >= 0 and m - x[y]
 *     is exact, so the loss keeps L's relative error, a few parts in 10**7, down to the
 *     smallest losses (a confident, correct row: L = log1p(R) ~ R);
 *   - the target's entry, rs * (p[y] - 1), again without its cancellation: -rs * R / S
 *     when y is the single maximum (p[y] near 1), else from exp(x[y] - m) in double
 *     (p[y] <= 1/2), rounded once.
 * Rows with a NaN, +inf, no finite entry, or a scale 1 / S out of float32's normal range
 * are left to the accurate kernels unwritten (their bits in the result). */
static inline __attribute__((always_inline)) unsigned sk_half_fast_xent_body(
    const uint16_t *h, ptrdiff_t xs, ptrdiff_t G, ptrdiff_t n, const int64_t *lab,
    ptrdiff_t ls, const double *rs, uint16_t *gr, ptrdiff_t gs, float *restrict buf,
    const int format, const uint16_t *next, double *nll)
{
    float m[SK_HR_GROUP], zy[SK_HR_GROUP];
    double s[SK_HR_GROUP], rest[SK_HR_GROUP];
    unsigned left = 0;
    for (ptrdiff_t g = 0; g < G; g++) {
        zy[g] = sk_half_value(h + g * xs + lab[g * ls], format); /* gr may be h */
        m[g] = sk_hr_max(h + g * xs, n, format);
        if (!(m[g] > -INFINITY && m[g] < INFINITY) || rs[g] == 0.0) left |= 1u << g;
    }
    for (ptrdiff_t g = 0; g < G; g++) {
        if (left >> g & 1) continue;
        sk_hr_sums(h + g * xs, n, m[g], buf + g * (n + SK_HR_W), format, 0, SK_HR_XENT, 1.0f,
                   next + g * xs, gr + g * gs, &s[g], &rest[g]);
        if (s[g] != s[g]) left |= 1u << g;
    }
    for (ptrdiff_t g = 0; g < G; g++) {
        if (left >> g & 1) continue;
        const float inv = (float)(rs[g] / s[g]); /* 2**-64 included */
        if (!(fabsf(inv) >= FLT_MIN && fabsf(inv) <= FLT_MAX)) {
            left |= 1u << g;
            continue;
        }
        const double S = s[g] * 0x1p-64, R = rest[g] * 0x1p-64; /* exact */
        const int single = S - R < 1.5; /* the maximum's term is 1 exactly */
        nll[g] = ((double)m[g] - (double)zy[g]) + (single ? log1p(R) : log(S));
        sk_hr_scale_out(buf + g * (n + SK_HR_W), n, gr + g * gs, inv, format);
        const double gy = single && zy[g] == m[g] ? -rs[g] * (R / S)
                                                  : rs[g] * (exp((double)zy[g] - m[g]) / S - 1.0);
        gr[g * gs + lab[g * ls]] = sk_half_of_double(gy, format);
    }
    return left;
}

static unsigned sk_half_fast_xent(const uint16_t *h, ptrdiff_t xs, ptrdiff_t G, ptrdiff_t n,
                                  const int64_t *lab, ptrdiff_t ls, const double *rs,
                                  uint16_t *gr, ptrdiff_t gs, float *buf, int format,
                                  const uint16_t *next, double *nll)
{
    return format == 0 ? sk_half_fast_xent_body(h, xs, G, n, lab, ls, rs, gr, gs, buf, 0, next, nll)
                       : sk_half_fast_xent_body(h, xs, G, n, lab, ls, rs, gr, gs, buf, 1, next, nll);
}

/* Short rows, softmax (n <= SK_HT_MAX): tiles of SK_HT rows with the rows in the
 * lanes, so that no row waits on a horizontal reduction and the lanes are full. The
 * tile is transposed in the storage format (16-bit elements, half the shuffles of
 * float32) a square of SK_HT columns at a time; then every column is one vector, and
 * the passes are those of the fast rows. 1000000x10 float16 (Xeon, AVX-512, 2 threads):
 * see benchmarks/results/half.json. */
/* Softmax rows up to SK_HT_MAX long take the tiles, longer ones the fast rows. Measured
 * (float16 softmax against float32's in the same run, Xeon, 2 threads): 500000x37 at
 * 1.50x with the tiles and 1.32x with the rows on AVX-512, 1.57x and 1.69x on AVX2;
 * 300000x48 at 1.45x and 1.64x on AVX-512. */
#if defined(SK_BUILD_AVX512)
#define SK_HT_MAX 40
#define SK_HT 16
typedef __m256i sk_ht; /* one row's (or one column's) 16 storage values */
#define HT_LO(a, b) _mm256_unpacklo_epi16(a, b)
#define HT_HI(a, b) _mm256_unpackhi_epi16(a, b)
#define HT_LO32(a, b) _mm256_unpacklo_epi32(a, b)
#define HT_HI32(a, b) _mm256_unpackhi_epi32(a, b)
#define HT_LO64(a, b) _mm256_unpacklo_epi64(a, b)
#define HT_HI64(a, b) _mm256_unpackhi_epi64(a, b)
#else
#define SK_HT_MAX 31
#define SK_HT 8
typedef __m128i sk_ht;
#define HT_LO(a, b) _mm_unpacklo_epi16(a, b)
#define HT_HI(a, b) _mm_unpackhi_epi16(a, b)
#define HT_LO32(a, b) _mm_unpacklo_epi32(a, b)
#define HT_HI32(a, b) _mm_unpackhi_epi32(a, b)
#define HT_LO64(a, b) _mm_unpacklo_epi64(a, b)
#define HT_HI64(a, b) _mm_unpackhi_epi64(a, b)
#endif

/* 8 x 8 16-bit transpose in each 128-bit lane of r[0..7] (its own inverse) */
static inline void sk_ht_transpose8(sk_ht r[8])
{
    const sk_ht a0 = HT_LO(r[0], r[1]), a1 = HT_HI(r[0], r[1]), a2 = HT_LO(r[2], r[3]),
                a3 = HT_HI(r[2], r[3]), a4 = HT_LO(r[4], r[5]), a5 = HT_HI(r[4], r[5]),
                a6 = HT_LO(r[6], r[7]), a7 = HT_HI(r[6], r[7]);
    const sk_ht b0 = HT_LO32(a0, a2), b1 = HT_HI32(a0, a2), b2 = HT_LO32(a1, a3),
                b3 = HT_HI32(a1, a3), b4 = HT_LO32(a4, a6), b5 = HT_HI32(a4, a6),
                b6 = HT_LO32(a5, a7), b7 = HT_HI32(a5, a7);
    r[0] = HT_LO64(b0, b4), r[1] = HT_HI64(b0, b4), r[2] = HT_LO64(b1, b5);
    r[3] = HT_HI64(b1, b5), r[4] = HT_LO64(b2, b6), r[5] = HT_HI64(b2, b6);
    r[6] = HT_LO64(b3, b7), r[7] = HT_HI64(b3, b7);
}

/* SK_HT x SK_HT transpose: rows to columns and back */
static inline void sk_ht_transpose(sk_ht r[SK_HT])
{
#if defined(SK_BUILD_AVX512)
    /* each half of the rows, 8 x 8 in both 128-bit lanes; then the lanes swap */
    sk_ht_transpose8(r), sk_ht_transpose8(r + 8);
    for (int k = 0; k < 8; k++) {
        const sk_ht a = r[k], b = r[k + 8];
        r[k] = _mm256_permute2x128_si256(a, b, 0x20);
        r[k + 8] = _mm256_permute2x128_si256(a, b, 0x31);
    }
#else
    sk_ht_transpose8(r);
#endif
}

#if defined(SK_BUILD_AVX512)
static inline sk_ht sk_ht_load(const uint16_t *p, ptrdiff_t k, sk_ht fill)
{
    return k >= SK_HT ? _mm256_loadu_si256((const __m256i *)p)
                      : _mm256_mask_loadu_epi16(fill, (__mmask16)((1u << k) - 1), p);
}

static inline void sk_ht_store(uint16_t *p, sk_ht v, ptrdiff_t k)
{
    if (k >= SK_HT)
        _mm256_storeu_si256((__m256i *)p, v);
    else
        _mm256_mask_storeu_epi16(p, (__mmask16)((1u << k) - 1), v);
}
#else
/* the first k < 8 of 8 values: 32-bit masked moves for the pairs (no fault past the
 * row's end), the odd last one apart, the other lanes fill */
static inline sk_ht sk_ht_load(const uint16_t *p, ptrdiff_t k, sk_ht fill)
{
    if (k >= SK_HT) return _mm_loadu_si128((const __m128i *)p);
    const __m128i lane = _mm_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7);
    const __m128i dw = _mm_cmpgt_epi32(_mm_set1_epi32((int)(k / 2)), _mm_setr_epi32(0, 1, 2, 3));
    __m128i v = _mm_maskload_epi32((const int *)p, dw);
    if (k & 1)
        v = _mm_blendv_epi8(v, _mm_set1_epi16((short)p[k - 1]),
                            _mm_cmpeq_epi16(lane, _mm_set1_epi16((short)(k - 1))));
    return _mm_blendv_epi8(fill, v, _mm_cmpgt_epi16(_mm_set1_epi16((short)k), lane));
}

static inline void sk_ht_store(uint16_t *p, sk_ht v, ptrdiff_t k)
{
    if (k >= SK_HT) {
        _mm_storeu_si128((__m128i *)p, v);
        return;
    }
    _mm_maskstore_epi32((int *)p,
                        _mm_cmpgt_epi32(_mm_set1_epi32((int)(k / 2)), _mm_setr_epi32(0, 1, 2, 3)), v);
    if (k & 1) {
        uint16_t b[SK_HT];
        _mm_storeu_si128((__m128i *)b, v);
        p[k - 1] = b[k - 1];
    }
}
#endif

/* Softmax of the w <= SK_HT contiguous rows of n <= SK_HT_MAX values at h into y
 * (y may be h). Returns the rows left to the accurate kernels (a NaN, +inf or no finite
 * entry), one bit each, unwritten. */
static inline __attribute__((always_inline)) unsigned sk_half_tile_body(
    const uint16_t *h, ptrdiff_t w, ptrdiff_t n, uint16_t *y, const int format,
    const int scaled, float it)
{
    const sk_ht fill = format == 0 ? HT_SET1_16((short)0xfc00) : HT_SET1_16((short)0xff80);
    sk_hv col[SK_HT_MAX];
    sk_ht r[SK_HT];
    for (ptrdiff_t c0 = 0; c0 < n; c0 += SK_HT) {
        for (ptrdiff_t k = 0; k < SK_HT; k++)
            r[k] = k < w ? sk_ht_load(h + k * n + c0, n - c0, fill) : fill;
        sk_ht_transpose(r);
        for (ptrdiff_t j = c0; j < n && j < c0 + SK_HT; j++) col[j] = sk_hv_of_half(r[j - c0], format);
    }
    sk_hv m = col[0];
    for (ptrdiff_t j = 1; j < n; j++) m = HV_MAX(m, col[j]);
    const sk_hv vm = m, vt = HV_SET1(it);
    sk_hv s = HV_SET1(0.0f);
    for (ptrdiff_t j = 0; j < n; j++) {
        const sk_hv a = scaled ? HV_MUL(HV_SUB(col[j], vm), vt) : HV_SUB(col[j], vm);
        col[j] = sk_hv_exp(a);
        s = HV_ADD(s, col[j]);
    }
    /* the rows the accurate kernels take: the maximum not finite, or a NaN in the sum */
    float mf[SK_HR_W], sf[SK_HR_W];
    HV_STORE(mf, m), HV_STORE(sf, s);
    unsigned left = 0;
    for (ptrdiff_t k = 0; k < w; k++)
        if (!(mf[k] > -INFINITY && mf[k] < INFINITY) || sf[k] != sf[k]) left |= 1u << k;
    const sk_hv inv = HV_DIV(HV_SET1(1.0f), s); /* and 2**-64 */
    for (ptrdiff_t c0 = 0; c0 < n; c0 += SK_HT) {
        for (ptrdiff_t j = c0; j < c0 + SK_HT; j++)
            r[j - c0] = j < n ? sk_half_of_hv(HV_MUL(col[j], inv), format) : fill;
        sk_ht_transpose(r);
        for (ptrdiff_t k = 0; k < w; k++)
            if (!(left >> k & 1)) sk_ht_store(y + k * n + c0, r[k], n - c0);
    }
    return left;
}

static unsigned sk_half_tile(const uint16_t *h, ptrdiff_t w, ptrdiff_t n, uint16_t *y, int format,
                             float it)
{
    if (it == 1.0f)
        return format == 0 ? sk_half_tile_body(h, w, n, y, 0, 0, it)
                           : sk_half_tile_body(h, w, n, y, 1, 0, it);
    return format == 0 ? sk_half_tile_body(h, w, n, y, 0, 1, it)
                       : sk_half_tile_body(h, w, n, y, 1, 1, it);
}
#endif
#endif /* SK_HALF_ROWS_H */
