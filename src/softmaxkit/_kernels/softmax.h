/*
 * softmaxkit native kernels: the plain C interface (no Python.h).
 *
 * Every kernel works on a strided 3-D view (outer, n, inner) and reduces over the
 * middle axis: one "slice" is the n elements x[o, :, i]. Strides are in elements, not
 * bytes, and may be negative. The Python layer validates everything first; the kernels
 * only compute and return a status code.
 *
 * Numerics (see the README, "Numerics contract"): the maximum is subtracted with an
 * exact two-sum whose low part is folded into the exponential's reduced argument; exp
 * uses a 16-entry table of 2**(j/16) split into hi + lo and a short polynomial; the
 * row sum carries each exponential's rounding error; the final scale multiplies by
 * 1/sum held as two numbers. Special values: NaN in a slice -> all NaN; +inf entries
 * share the mass; a slice with nothing that weighs -> 0 (log: -inf).
 */
#ifndef SK_SOFTMAX_H
#define SK_SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sk_status { SK_OK = 0, SK_ENOMEM = 1, SK_EINVAL = 2 };

enum sk_flags {
    SK_LOG = 1,    /* log_softmax instead of softmax */
    SK_NEGATE = 2  /* use -x (softmin) */
};

enum sk_isa { SK_ISA_BASELINE = 0, SK_ISA_AVX2 = 1, SK_ISA_AVX512 = 2 };

/*
 * sk_softmax_f32 / sk_softmax_f64: softmax or log-softmax of x / temperature.
 *   x           IN   data of the view, shape[3] = {outer, n, inner}, strides xs[3]
 *   y           OUT  result, same shape, strides ys[3]. May be x itself with the same
 *                    strides (in place); must not overlap x otherwise.
 *   temperature IN   finite, > 0
 *   flags       IN   SK_LOG | SK_NEGATE
 *   nthreads    IN   threads to use at most (>= 1)
 * Returns SK_OK, SK_ENOMEM (scratch could not be allocated; y is then unspecified) or
 * SK_EINVAL (a negative extent).
 */
int sk_softmax_f32(const float *x, const ptrdiff_t shape[3], const ptrdiff_t xs[3],
                   float *y, const ptrdiff_t ys[3], double temperature, int flags,
                   int nthreads);
int sk_softmax_f64(const double *x, const ptrdiff_t shape[3], const ptrdiff_t xs[3],
                   double *y, const ptrdiff_t ys[3], double temperature, int flags,
                   int nthreads);

/*
 * sk_logsumexp_f32 / sk_logsumexp_f64: log(sum(exp(x))) over the middle axis.
 *   x        IN   shape[3] = {outer, n, inner}, strides xs[3]
 *   y        OUT  shape {outer, inner}, strides ys[2]
 *   nthreads IN   threads to use at most (>= 1)
 * Returns SK_OK, SK_ENOMEM or SK_EINVAL.
 */
int sk_logsumexp_f32(const float *x, const ptrdiff_t shape[3], const ptrdiff_t xs[3],
                     float *y, const ptrdiff_t ys[2], int nthreads);
int sk_logsumexp_f64(const double *x, const ptrdiff_t shape[3], const ptrdiff_t xs[3],
                     double *y, const ptrdiff_t ys[2], int nthreads);

/*
 * sk_xent_f32 / sk_xent_f64: softmax cross-entropy fused with its gradient, one row at a
 * time (class-index targets, classes contiguous).
 *   x    IN   rows x C logits, row stride xs (elements)
 *   y    IN   rows int64 labels, stride ys; 0 <= y < C wherever rs != 0
 *   rs   IN   rows per-row gradient scales (class weight / mean divisor; 0 ignores the row)
 *   g    OUT  rows x C, row stride gs: rs * (softmax(x) - onehot(y)); may be x itself
 *   nll  OUT  rows logsumexp(x) - x[y] in double (0 where rs == 0)
 * Returns SK_OK or SK_EINVAL.
 */
int sk_xent_f32(const float *x, ptrdiff_t rows, ptrdiff_t C, ptrdiff_t xs, const int64_t *y,
                ptrdiff_t ys, const double *rs, float *g, ptrdiff_t gs, double *nll,
                int nthreads);
int sk_xent_f64(const double *x, ptrdiff_t rows, ptrdiff_t C, ptrdiff_t xs, const int64_t *y,
                ptrdiff_t ys, const double *rs, double *g, ptrdiff_t gs, double *nll,
                int nthreads);

/*
 * sk_softmax_backward_f32 / _f64: the vector-Jacobian product of softmax (flags 0) or
 * log_softmax (SK_LOG) over rows, from the forward output.
 *   y    IN   rows x n forward output, row stride ys, rows contiguous
 *   dy   IN   rows x n upstream gradient, row stride ds
 *   dx   OUT  rows x n, row stride xs; may be dy itself
 *   scale IN  1 / temperature
 * Entries the forward gave no weight (y == 0; -inf for log) get 0.
 */
int sk_softmax_backward_f32(const float *y, ptrdiff_t ys, const float *dy, ptrdiff_t ds,
                            float *dx, ptrdiff_t xs, ptrdiff_t rows, ptrdiff_t n, int flags,
                            double scale, int nthreads);
int sk_softmax_backward_f64(const double *y, ptrdiff_t ys, const double *dy, ptrdiff_t ds,
                            double *dx, ptrdiff_t xs, ptrdiff_t rows, ptrdiff_t n, int flags,
                            double scale, int nthreads);

/* The instruction set the kernels use: the best the CPU has, or the one forced by
 * sk_set_isa. sk_set_isa returns the ISA now in use (a request the CPU cannot run
 * falls back to the best it can). */
int sk_isa(void);
int sk_set_isa(int isa);
int sk_cpu_isa(void);

/* The most threads the kernels may use: OpenMP's current limit (which threadpoolctl
 * and OMP_NUM_THREADS control), or 1 in a build without OpenMP. */
int sk_max_threads(void);

/* memcpy split over threads (the benchmarks' bandwidth bound). */
void sk_parallel_copy(void *dst, const void *src, size_t nbytes, int nthreads);

#ifdef __cplusplus
}
#endif

#endif
