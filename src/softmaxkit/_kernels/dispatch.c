/*
 * The public kernel entry points: choose the instruction set at run time and bound the
 * thread count. Each ISA's kernels come from kernels_isa.c compiled with its own flags;
 * on x86-64 the CPU is asked once (through GCC's __builtin_cpu_supports, which also
 * checks that the OS saves the wide registers).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "softmax.h"

#define DECLARE(sfx)                                                                      \
    int sk_softmax_f32##sfx(const float *, const ptrdiff_t *, const ptrdiff_t *, float *,  \
                            const ptrdiff_t *, double, int, int);                          \
    int sk_softmax_f64##sfx(const double *, const ptrdiff_t *, const ptrdiff_t *, double *, \
                            const ptrdiff_t *, double, int, int);                          \
    int sk_logsumexp_f32##sfx(const float *, const ptrdiff_t *, const ptrdiff_t *, float *, \
                              const ptrdiff_t *, int);                                     \
    int sk_logsumexp_f64##sfx(const double *, const ptrdiff_t *, const ptrdiff_t *,         \
                              double *, const ptrdiff_t *, int);                           \
    int sk_xent_f32##sfx(const float *, ptrdiff_t, ptrdiff_t, ptrdiff_t, const int64_t *,   \
                         ptrdiff_t, const double *, float *, ptrdiff_t, double *, int);     \
    int sk_xent_f64##sfx(const double *, ptrdiff_t, ptrdiff_t, ptrdiff_t, const int64_t *,  \
                         ptrdiff_t, const double *, double *, ptrdiff_t, double *, int);    \
    int sk_softmax_backward_f32##sfx(const float *, ptrdiff_t, const float *, ptrdiff_t,     \
                                     float *, ptrdiff_t, ptrdiff_t, ptrdiff_t, int, double, \
                                     int);                                                  \
    int sk_softmax_backward_f64##sfx(const double *, ptrdiff_t, const double *, ptrdiff_t,   \
                                     double *, ptrdiff_t, ptrdiff_t, ptrdiff_t, int, double, \
                                     int);

DECLARE(_baseline)
#ifdef SK_HAVE_X86_ISAS
DECLARE(_avx2)
DECLARE(_avx512)
#endif

static int current_isa = -1;

int sk_cpu_isa(void)
{
#ifdef SK_HAVE_X86_ISAS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return SK_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return SK_ISA_AVX2;
#endif
    return SK_ISA_BASELINE;
}

int sk_isa(void)
{
    if (current_isa < 0) current_isa = sk_cpu_isa();
    return current_isa;
}

int sk_set_isa(int isa)
{
    int best = sk_cpu_isa();
    current_isa = isa < SK_ISA_BASELINE ? best : (isa > best ? best : isa);
    return current_isa;
}

int sk_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* Fewer threads than asked when OpenMP's limit is lower (threadpoolctl, OMP_NUM_THREADS),
 * and one thread for small work, where starting the team costs more than it saves. */
static int threads_for(ptrdiff_t work, int nthreads)
{
    int limit = sk_max_threads();
    int nt = nthreads < limit ? nthreads : limit;
    if (work < (1 << 15)) nt = 1;
    return nt < 1 ? 1 : nt;
}

#ifdef SK_HAVE_X86_ISAS
#define DISPATCH(fn, ...)                                                    \
    switch (sk_isa()) {                                                      \
    case SK_ISA_AVX512: return fn##_avx512(__VA_ARGS__);                     \
    case SK_ISA_AVX2: return fn##_avx2(__VA_ARGS__);                         \
    default: return fn##_baseline(__VA_ARGS__);                              \
    }
#else
#define DISPATCH(fn, ...) return fn##_baseline(__VA_ARGS__);
#endif

int sk_softmax_f32(const float *x, const ptrdiff_t shape[3], const ptrdiff_t xs[3], float *y,
                   const ptrdiff_t ys[3], double temperature, int flags, int nthreads)
{
    int nt = threads_for(shape[0] * shape[1] * shape[2], nthreads);
    DISPATCH(sk_softmax_f32, x, shape, xs, y, ys, temperature, flags, nt)
}

int sk_softmax_f64(const double *x, const ptrdiff_t shape[3], const ptrdiff_t xs[3], double *y,
                   const ptrdiff_t ys[3], double temperature, int flags, int nthreads)
{
    int nt = threads_for(shape[0] * shape[1] * shape[2], nthreads);
    DISPATCH(sk_softmax_f64, x, shape, xs, y, ys, temperature, flags, nt)
}

int sk_logsumexp_f32(const float *x, const ptrdiff_t shape[3], const ptrdiff_t xs[3], float *y,
                     const ptrdiff_t ys[2], int nthreads)
{
    int nt = threads_for(shape[0] * shape[1] * shape[2], nthreads);
    DISPATCH(sk_logsumexp_f32, x, shape, xs, y, ys, nt)
}

int sk_logsumexp_f64(const double *x, const ptrdiff_t shape[3], const ptrdiff_t xs[3],
                     double *y, const ptrdiff_t ys[2], int nthreads)
{
    int nt = threads_for(shape[0] * shape[1] * shape[2], nthreads);
    DISPATCH(sk_logsumexp_f64, x, shape, xs, y, ys, nt)
}

int sk_xent_f32(const float *x, ptrdiff_t rows, ptrdiff_t C, ptrdiff_t xs, const int64_t *y,
                ptrdiff_t ys, const double *rs, float *g, ptrdiff_t gs, double *nll, int nthreads)
{
    int nt = threads_for(rows * C, nthreads);
    DISPATCH(sk_xent_f32, x, rows, C, xs, y, ys, rs, g, gs, nll, nt)
}

int sk_xent_f64(const double *x, ptrdiff_t rows, ptrdiff_t C, ptrdiff_t xs, const int64_t *y,
                ptrdiff_t ys, const double *rs, double *g, ptrdiff_t gs, double *nll,
                int nthreads)
{
    int nt = threads_for(rows * C, nthreads);
    DISPATCH(sk_xent_f64, x, rows, C, xs, y, ys, rs, g, gs, nll, nt)
}

int sk_softmax_backward_f32(const float *y, ptrdiff_t ys, const float *dy, ptrdiff_t ds,
                            float *dx, ptrdiff_t xs, ptrdiff_t rows, ptrdiff_t n, int flags,
                            double scale, int nthreads)
{
    int nt = threads_for(rows * n, nthreads);
    DISPATCH(sk_softmax_backward_f32, y, ys, dy, ds, dx, xs, rows, n, flags, scale, nt)
}

int sk_softmax_backward_f64(const double *y, ptrdiff_t ys, const double *dy, ptrdiff_t ds,
                            double *dx, ptrdiff_t xs, ptrdiff_t rows, ptrdiff_t n, int flags,
                            double scale, int nthreads)
{
    int nt = threads_for(rows * n, nthreads);
    DISPATCH(sk_softmax_backward_f64, y, ys, dy, ds, dx, xs, rows, n, flags, scale, nt)
}

/* memcpy of nbytes split over nthreads: the bandwidth bound the benchmarks compare
 * against (reading the input once and writing the output once). */
void sk_parallel_copy(void *dst, const void *src, size_t nbytes, int nthreads)
{
    int nt = threads_for((ptrdiff_t)(nbytes / 4), nthreads);
    size_t per = (nbytes / (size_t)nt + 63) & ~(size_t)63;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int t = 0; t < nt; t++) {
        size_t a = (size_t)t * per < nbytes ? (size_t)t * per : nbytes;
        size_t b = (size_t)(t + 1) * per < nbytes ? (size_t)(t + 1) * per : nbytes;
        if (t == nt - 1) b = nbytes;
        memcpy((char *)dst + a, (const char *)src + a, b - a);
    }
}
