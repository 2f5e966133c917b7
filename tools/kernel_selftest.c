/*
 * A standalone check of the C kernels with no Python: softmax, log_softmax and
 * logsumexp of random and special rows against a long double reference, for float and
 * double, the sparse maps, the sampling kernel's draws, and float16 / bfloat16 storage. Used to run the kernels on machines (or emulators) where the Python package
 * is not built, e.g.:
 *
 *   aarch64-linux-gnu-gcc -O2 -std=c11 -fopenmp -ffp-contract=off -DSK_ISA_SUFFIX=_baseline \
 *       -Isrc/softmaxkit/_kernels tools/kernel_selftest.c src/softmaxkit/_kernels/kernels_isa.c \
 *       src/softmaxkit/_kernels/dispatch.c -lm -static -o selftest && qemu-aarch64 ./selftest
 *
 * Prints the worst error in ulps per case and exits non-zero if one exceeds 2 ulp (3 for
 * 1.5-entmax) or a special value is wrong. The sparse maps are checked against the
 * sorted algorithm (Peters et al.) in long double.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softmax.h"

static unsigned long long state = 88172645463325252ULL;
static double uniform(void) /* xorshift64, in [0, 1) */
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (double)(state >> 11) / 9007199254740992.0;
}

static long double ref_lse(const double *x, int n)
{
    long double m = -INFINITY, s = 0;
    for (int i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    for (int i = 0; i < n; i++) s += expl((long double)x[i] - m);
    return m + logl(s);
}

static double ulps(long double got, long double exact, int is_float)
{
    int e;
    frexpl(exact, &e);
    long double ulp = ldexpl(1.0L, e - (is_float ? 24 : 53));
    return (double)(fabsl(got - exact) / ulp);
}

static int failures = 0;

#define CHECK_ROWS(T, IS_FLOAT, SOFTMAX, LSE)                                                \
    do {                                                                                    \
        enum { N = 37, ROWS = 64 };                                                         \
        static T x[ROWS * N], y[ROWS * N], z[ROWS];                                         \
        static double xd[N];                                                                \
        double worst[3] = {0, 0, 0};                                                        \
        for (int i = 0; i < ROWS * N; i++) x[i] = (T)((uniform() - 0.5) * 60.0);           \
        ptrdiff_t shape[3] = {ROWS, N, 1}, xs[3] = {N, 1, 1}, zs[2] = {1, 1};              \
        for (int f = 0; f < 2; f++) {                                                       \
            if (SOFTMAX(x, shape, xs, y, xs, 1.0, f ? SK_LOG : 0, 2) != SK_OK) failures++;  \
            for (int r = 0; r < ROWS; r++) {                                                \
                for (int i = 0; i < N; i++) xd[i] = (double)x[r * N + i];                   \
                long double L = ref_lse(xd, N);                                             \
                for (int i = 0; i < N; i++) {                                               \
                    long double ex = f ? (long double)xd[i] - L : expl((long double)xd[i] - L); \
                    if (fabsl(ex) < (IS_FLOAT ? 1.2e-38L : 2.3e-308L)) continue;            \
                    double u = ulps(y[r * N + i], ex, IS_FLOAT);                            \
                    worst[f] = u > worst[f] ? u : worst[f];                                 \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
        if (LSE(x, shape, xs, z, zs, 2) != SK_OK) failures++;                               \
        for (int r = 0; r < ROWS; r++) {                                                    \
            for (int i = 0; i < N; i++) xd[i] = (double)x[r * N + i];                       \
            double u = ulps(z[r], ref_lse(xd, N), IS_FLOAT);                                \
            worst[2] = u > worst[2] ? u : worst[2];                                         \
        }                                                                                   \
        printf("%-7s softmax %.3f  log_softmax %.3f  logsumexp %.3f ulp\n",               \
               IS_FLOAT ? "float" : "double", worst[0], worst[1], worst[2]);                \
        for (int k = 0; k < 3; k++) failures += worst[k] > 2.0;                             \
        /* special values: all -inf -> 0, a +inf pair shares the mass, NaN -> NaN */       \
        T s[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY}, t[4];                        \
        ptrdiff_t sh[3] = {1, 4, 1}, ss[3] = {4, 1, 1};                                     \
        SOFTMAX(s, sh, ss, t, ss, 1.0, 0, 1);                                               \
        failures += !(t[0] == 0 && t[3] == 0);                                              \
        s[1] = INFINITY, s[2] = INFINITY;                                                   \
        SOFTMAX(s, sh, ss, t, ss, 1.0, 0, 1);                                               \
        failures += !(t[0] == 0 && t[1] == 0.5 && t[2] == 0.5 && t[3] == 0);                \
        s[0] = NAN;                                                                         \
        SOFTMAX(s, sh, ss, t, ss, 1.0, SK_LOG, 1);                                          \
        failures += !(isnan(t[0]) && isnan(t[3]));                                          \
    } while (0)

static int desc(const void *a, const void *b)
{
    long double x = *(const long double *)a, y = *(const long double *)b;
    return (x < y) - (x > y);
}

/* sparsemax (kind 0) or 1.5-entmax (kind 1) of one row in long double, by sorting */
static void ref_sparse(const double *x, long double *p, int n, int kind)
{
    long double z[64], m = -INFINITY, tau = 0, s = 0, s2 = 0;
    for (int i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    for (int i = 0; i < n; i++) z[i] = ((long double)x[i] - m) / (kind ? 2 : 1);
    qsort(z, n, sizeof z[0], desc);
    for (int k = 1; k <= n; k++) {
        s += z[k - 1];
        s2 += z[k - 1] * z[k - 1];
        long double t;
        if (kind == 0) {
            t = (s - 1) / k;
        } else {
            long double mean = s / k, delta = 1.0L / k - (s2 / k - mean * mean);
            t = mean - sqrtl(delta > 0 ? delta : 0);
        }
        if (kind == 0 ? 1 + k * z[k - 1] > s : t <= z[k - 1]) tau = t;
    }
    for (int i = 0; i < n; i++) {
        long double u = ((long double)x[i] - m) / (kind ? 2 : 1) - tau;
        p[i] = u > 0 ? (kind ? u * u : u) : 0;
    }
}

#define CHECK_SPARSE(T, IS_FLOAT, SPARSE)                                                    \
    do {                                                                                    \
        enum { N = 40, ROWS = 64 };                                                         \
        static T x[ROWS * N], y[ROWS * N];                                                  \
        static double xd[N];                                                                \
        static long double p[N];                                                            \
        double worst[2] = {0, 0};                                                           \
        for (int i = 0; i < ROWS * N; i++) x[i] = (T)((uniform() - 0.5) * 4.0);            \
        for (int kind = 0; kind < 2; kind++) {                                              \
            if (SPARSE(x, ROWS, N, N, y, N, kind, 2) != SK_OK) failures++;                  \
            for (int r = 0; r < ROWS; r++) {                                                \
                for (int i = 0; i < N; i++) xd[i] = (double)x[r * N + i];                   \
                ref_sparse(xd, p, N, kind);                                                 \
                for (int i = 0; i < N; i++) {                                               \
                    if (p[i] == 0) {                                                        \
                        failures += y[r * N + i] != 0;                                      \
                        continue;                                                           \
                    }                                                                       \
                    double u = ulps(y[r * N + i], p[i], IS_FLOAT);                          \
                    worst[kind] = u > worst[kind] ? u : worst[kind];                        \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
        printf("%-7s sparsemax %.3f  entmax15 %.3f ulp\n", IS_FLOAT ? "float" : "double",  \
               worst[0], worst[1]);                                                         \
        failures += worst[0] > 2.0 || worst[1] > 3.0;                                       \
        /* special values: all -inf -> 0, +inf entries share the mass, NaN -> NaN */        \
        T s[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY}, t[4];                        \
        SPARSE(s, 1, 4, 4, t, 4, 0, 1);                                                     \
        failures += !(t[0] == 0 && t[3] == 0);                                              \
        s[1] = INFINITY, s[2] = INFINITY;                                                   \
        SPARSE(s, 1, 4, 4, t, 4, 1, 1);                                                     \
        failures += !(t[0] == 0 && t[1] == 0.5 && t[2] == 0.5 && t[3] == 0);                \
        s[0] = NAN;                                                                         \
        SPARSE(s, 1, 4, 4, t, 4, 0, 1);                                                     \
        failures += !(isnan(t[0]) && isnan(t[3]));                                          \
    } while (0)

/* The draw of uniform u from weights w (kept where keep[i]): the first kept entry whose
 * running kept weight, in long double, exceeds u times their total. */
static int ref_draw(const long double *w, const int *keep, int n, double u)
{
    long double total = 0, run = 0;
    for (int i = 0; i < n; i++) total += keep[i] ? w[i] : 0;
    int last = -1;
    for (int i = 0; i < n; i++) {
        if (!keep[i] || w[i] == 0) continue;
        run += w[i];
        last = i;
        if (run > (long double)u * total) return i;
    }
    return last;
}

/* Sampling: draws from p = [0.1, 0.2, 0.3, 0.4] (as logits) on a grid of uniforms (none on
 * a boundary), plain and filtered (top-k 2, top-p 0.65 and min-p 0.6 all keep {2, 3}),
 * and the special rows (a NaN: -1; nothing to draw: -2). */
#define CHECK_SAMPLE(T, SAMPLE)                                                              \
    do {                                                                                    \
        enum { N = 4, S = 100 };                                                            \
        const long double w[N] = {0.1L, 0.2L, 0.3L, 0.4L};                                  \
        const int all[N] = {1, 1, 1, 1}, top[N] = {0, 0, 1, 1};                             \
        T x[N];                                                                             \
        double u[S];                                                                        \
        int64_t out[S];                                                                     \
        for (int i = 0; i < N; i++) x[i] = (T)log((double)w[i]);                            \
        for (int j = 0; j < S; j++) u[j] = (j + 0.37) / S;                                  \
        const struct { ptrdiff_t k; double p, m; const int *keep; } cases[] = {             \
            {0, 1.0, 0.0, all}, {2, 1.0, 0.0, top}, {0, 0.65, 0.0, top}, {0, 1.0, 0.6, top}}; \
        int bad = 0;                                                                        \
        for (int c = 0; c < 4; c++) {                                                       \
            if (SAMPLE(x, 1, N, N, 1.0, cases[c].k, cases[c].p, cases[c].m, u, S, out, 2))  \
                bad++;                                                                      \
            for (int j = 0; j < S; j++) bad += out[j] != ref_draw(w, cases[c].keep, N, u[j]); \
        }                                                                                   \
        T special[2 * N] = {0, (T)NAN, 0, 0, -INFINITY, -INFINITY, -INFINITY, -INFINITY};   \
        SAMPLE(special, 2, N, N, 1.0, 0, 1.0, 0.0, u, 1, out, 1);                           \
        bad += out[0] != -1 || out[1] != -2;                                                \
        printf("%-7s sample %s\n", sizeof(T) == 4 ? "float" : "double",                      \
               bad ? "FAILED" : "draws as the long double reference");                     \
        failures += bad;                                                                    \
    } while (0)

/* The storage formats from and to float: float16 through _Float16, bfloat16 by its bits. */
static float half_value(uint16_t h, int format)
{
    if (format == 0) {
        _Float16 v;
        memcpy(&v, &h, 2);
        return (float)v;
    }
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* The format's spacing at |v| (subnormals: the smallest subnormal's). */
static long double half_ulp(long double v, int format)
{
    int e;
    frexpl(fabsl(v), &e);
    const int bits = format == 0 ? 10 : 7, emin = format == 0 ? -14 : -126;
    return ldexpl(1.0L, (e - 1 > emin ? e - 1 : emin) - bits);
}

/* float16 and bfloat16 rows: softmax and log_softmax through the half kernel within 1 ulp
 * of the format of the long double values of the stored inputs. */
#define CHECK_HALF(SK_HALF)                                                                  \
    do {                                                                                    \
        enum { N = 77, ROWS = 8 };                                                          \
        static uint16_t x[ROWS * N], y[ROWS * N];                                           \
        static double xd[N];                                                                \
        double worst = 0;                                                                   \
        for (int format = 0; format < 2; format++) {                                        \
            for (int i = 0; i < ROWS * N; i++) {                                            \
                float v = (float)((uniform() - 0.5) * 12.0);                                \
                if (format == 0) {                                                          \
                    _Float16 h = (_Float16)v;                                               \
                    memcpy(&x[i], &h, 2);                                                   \
                } else {                                                                    \
                    uint32_t u;                                                             \
                    memcpy(&u, &v, 4);                                                      \
                    x[i] = (uint16_t)(u >> 16);                                             \
                }                                                                           \
            }                                                                               \
            for (int kind = 0; kind < 2; kind++) {                                          \
                if (SK_HALF(x, ROWS, N, N, y, N, format, kind, 1.0, 2) != SK_OK) failures++; \
                for (int r = 0; r < ROWS; r++) {                                            \
                    for (int i = 0; i < N; i++) xd[i] = half_value(x[r * N + i], format);   \
                    const long double lse = ref_lse(xd, N);                                 \
                    for (int i = 0; i < N; i++) {                                           \
                        long double e = kind ? (long double)xd[i] - lse                     \
                                             : expl((long double)xd[i] - lse);              \
                        long double got = half_value(y[r * N + i], format);                 \
                        double u = (double)(fabsl(got - e) / half_ulp(e, format));          \
                        worst = u > worst ? u : worst;                                      \
                    }                                                                       \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
        printf("half    softmax, log_softmax %.3f ulp of the format\n", worst);             \
        failures += worst > 1.0;                                                            \
    } while (0)

int main(void)
{
    printf("instruction set %d, threads %d\n", sk_isa(), sk_max_threads());
    CHECK_ROWS(float, 1, sk_softmax_f32, sk_logsumexp_f32);
    CHECK_ROWS(double, 0, sk_softmax_f64, sk_logsumexp_f64);
    CHECK_SPARSE(float, 1, sk_sparse_f32);
    CHECK_SPARSE(double, 0, sk_sparse_f64);
    CHECK_SAMPLE(float, sk_sample_f32);
    CHECK_SAMPLE(double, sk_sample_f64);
    CHECK_HALF(sk_half_f32);
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
