/*
 * softmaxkit native kernels: the plain C interface (no Python.h).
 *
 * Every kernel works on a strided 3-D view (outer, n, inner) and reduces over the
 * middle axis: one "slice" is the n elements x[o, :, i]. Strides are in elements, not
 * bytes, and may be negative. The Python layer validates everything first; the kernels
 * only compute and return a status code.
 *
 * Numerics (see docs/user_guide/numerics.md): the maximum is subtracted with an
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
 * [Note: the kernel list] Every kernel's signature is written once, here. For each
 * kernel, SK_<NAME>_PARAMS(P, T) calls P(kind, type, name) for its parameters in order
 * (T is the floating type), and every kernel ends with `int nthreads` (threads to use at
 * most, >= 1). SK_KERNELS(X) calls X(name, PARAMS, WORK) for each kernel, WORK being the
 * number of elements it touches (what the thread count is bounded by). The prototypes
 * below, the run-time dispatch (dispatch.c) and the Python wrapper (_ext.c) are all
 * generated from it, so adding an argument touches this list, the kernel (kernels.inc)
 * and its one Python call site (_backends/native.py).
 *
 * The kinds tell the Python wrapper how to read an argument:
 *   p   a pointer to input: an array (its first element's address, from the buffer
 *       protocol) or the address as a Python int
 *   w   a pointer to output: the same, and an array must be writable
 *   n   a ptrdiff_t (extent or stride in elements; strides may be negative)
 *   a3  an array of 3 ptrdiff_t, given as 3 Python ints (a2: 2)
 *   d   a double
 *   i   an int
 * Each kernel returns SK_OK, SK_ENOMEM (scratch could not be allocated; outputs are then
 * unspecified) or SK_EINVAL (a negative extent).
 */

/*
 * sk_softmax_f32 / sk_softmax_f64: softmax or log-softmax of x / temperature.
 *   x           IN   data of the view, shape[3] = {outer, n, inner}, strides xs[3]
 *   y           OUT  result, same shape, strides ys[3]. May be x itself with the same
 *                    strides (in place); must not overlap x otherwise.
 *   temperature IN   finite, > 0
 *   flags       IN   SK_LOG | SK_NEGATE
 */
#define SK_SOFTMAX_PARAMS(P, T)                                                            \
    P(p, const T *, x) P(a3, const ptrdiff_t *, shape) P(a3, const ptrdiff_t *, xs)         \
    P(w, T *, y) P(a3, const ptrdiff_t *, ys) P(d, double, temperature) P(i, int, flags)

/*
 * sk_logsumexp_f32 / sk_logsumexp_f64: log(sum(exp(x))) over the middle axis.
 *   x        IN   shape[3] = {outer, n, inner}, strides xs[3]
 *   y        OUT  shape {outer, inner}, strides ys[2]
 */
#define SK_LOGSUMEXP_PARAMS(P, T)                                                          \
    P(p, const T *, x) P(a3, const ptrdiff_t *, shape) P(a3, const ptrdiff_t *, xs)         \
    P(w, T *, y) P(a2, const ptrdiff_t *, ys)

/*
 * sk_xent_f32 / sk_xent_f64: softmax cross-entropy fused with its gradient, one row at a
 * time (class-index targets, classes contiguous).
 *   x    IN   rows x C logits, row stride xs (elements)
 *   y    IN   rows int64 labels, stride ys; 0 <= y < C wherever rs != 0
 *   rs   IN   rows per-row gradient scales (class weight / mean divisor; 0 ignores the row)
 *   g    OUT  rows x C, row stride gs: rs * (softmax(x) - onehot(y)); may be x itself
 *   nll  OUT  rows logsumexp(x) - x[y] in double (0 where rs == 0)
 */
#define SK_XENT_PARAMS(P, T)                                                               \
    P(p, const T *, x) P(n, ptrdiff_t, rows) P(n, ptrdiff_t, C) P(n, ptrdiff_t, xs)         \
    P(p, const int64_t *, y) P(n, ptrdiff_t, ys) P(p, const double *, rs) P(w, T *, g)     \
    P(n, ptrdiff_t, gs) P(w, double *, nll)

/*
 * sk_softmax_backward_f32 / _f64: the vector-Jacobian product of softmax (flags 0) or
 * log_softmax (SK_LOG) over rows, from the forward output.
 *   y    IN   rows x n forward output, row stride ys, rows contiguous
 *   dy   IN   rows x n upstream gradient, row stride ds
 *   dx   OUT  rows x n, row stride xs; may be dy itself
 *   scale IN  1 / temperature
 * Entries the forward gave no weight (y == 0; -inf for log) get 0.
 */
#define SK_SOFTMAX_BACKWARD_PARAMS(P, T)                                                   \
    P(p, const T *, y) P(n, ptrdiff_t, ys) P(p, const T *, dy) P(n, ptrdiff_t, ds)          \
    P(w, T *, dx) P(n, ptrdiff_t, xs) P(n, ptrdiff_t, rows) P(n, ptrdiff_t, n)              \
    P(i, int, flags) P(d, double, scale)

/*
 * sk_sparse_f32 / _f64: sparsemax (kind 0) or 1.5-entmax (kind 1) of contiguous rows
 * ([Note: sparse maps without a sort] in kernels_sparse.inc).
 *   x    IN   rows x n, row stride xs
 *   y    OUT  rows x n, row stride ys; may be x itself
 */
#define SK_SPARSE_PARAMS(P, T)                                                             \
    P(p, const T *, x) P(n, ptrdiff_t, rows) P(n, ptrdiff_t, n) P(n, ptrdiff_t, xs)         \
    P(w, T *, y) P(n, ptrdiff_t, ys) P(i, int, kind)

/*
 * sk_sparse_backward_f32 / _f64: their vector-Jacobian products from the output y.
 *   y, dy IN  rows x n, row strides ys, ds
 *   dx    OUT rows x n, row stride xs; may be dy itself
 */
#define SK_SPARSE_BACKWARD_PARAMS(P, T)                                                    \
    P(p, const T *, y) P(n, ptrdiff_t, ys) P(p, const T *, dy) P(n, ptrdiff_t, ds)          \
    P(w, T *, dx) P(n, ptrdiff_t, xs) P(n, ptrdiff_t, rows) P(n, ptrdiff_t, n) P(i, int, kind)

/*
 * sk_entmax_bisect_f32 / _f64: alpha-entmax (alpha > 1) of contiguous rows by n_iter
 * halvings of the threshold's bracket, then normalized (as the reference).
 *   x      IN   rows x n, row stride xs
 *   alpha  IN   alpha of row i at alpha[i * as] (as = 0: one alpha for every row)
 *   y      OUT  rows x n, row stride ys; may be x itself
 */
#define SK_ENTMAX_BISECT_PARAMS(P, T)                                                      \
    P(p, const T *, x) P(n, ptrdiff_t, rows) P(n, ptrdiff_t, n) P(n, ptrdiff_t, xs)         \
    P(p, const double *, alpha) P(n, ptrdiff_t, as) P(w, T *, y) P(n, ptrdiff_t, ys)        \
    P(i, int, n_iter)

/*
 * sk_fy_f32 / _f64: a sparse map's Fenchel-Young loss fused with its gradient (class
 * indices, classes contiguous), as sk_xent is for softmax.
 *   x    IN   rows x C, row stride xs
 *   y    IN   rows int64 labels, stride ys; 0 <= y < C wherever rs != 0
 *   rs   IN   rows per-row gradient scales (0 ignores the row)
 *   g    OUT  rows x C, row stride gs: rs * (p - onehot(y)); may be x itself
 *   nll  OUT  rows losses in double (0 where rs == 0; NaN where the row's max is not finite)
 *   kind IN   0 sparsemax, 1 1.5-entmax, 2 alpha-entmax by n_iter halvings (alpha > 1)
 */
#define SK_FY_PARAMS(P, T)                                                                 \
    P(p, const T *, x) P(n, ptrdiff_t, rows) P(n, ptrdiff_t, C) P(n, ptrdiff_t, xs)         \
    P(p, const int64_t *, y) P(n, ptrdiff_t, ys) P(p, const double *, rs) P(w, T *, g)     \
    P(n, ptrdiff_t, gs) P(w, double *, nll) P(i, int, kind) P(d, double, alpha)            \
    P(i, int, n_iter)

/*
 * sk_attention_f32 / _f64: softmax (flags 0) or log_softmax (SK_LOG) of formed scores,
 * one contiguous row at a time. Row r is query i = r % L of head h = (r / L) % H of batch
 * b = r / (H * L); its entries are
 *   z_j = scale * x_j + bias[b, h, i, j] + slopes[h] * (j - q)
 * formed in T (scale and slopes rounded to T), one rounding per operation in that order
 * with q = i (causal 0 or 1) or i + n - L (causal 2), -inf where mask[b, h, i, j] == 0,
 * and j > q removed when causal != 0 (they get 0; -inf for log). With scale 1 and no
 * bias or slopes the row is x itself, divided by temperature as sk_softmax does. A sink
 * adds exp(sink[b, h, i]) to the normalizer only (it is one more entry, not returned).
 *   x       IN   rows x n, row stride xs
 *   bias    IN   NULL or T entries at b*bs[0] + h*bs[1] + i*bs[2] + j*bj
 *   mask    IN   NULL or bytes (0 masks), strides ms[3] and mj, as bias
 *   slopes  IN   NULL or H doubles (ALiBi)
 *   sink    IN   NULL or doubles at b*ss[0] + h*ss[1] + i*ss[2]
 *   y       OUT  rows x n, row stride ys; may be x itself
 */
#define SK_ATTENTION_PARAMS(P, T)                                                          \
    P(p, const T *, x) P(n, ptrdiff_t, rows) P(n, ptrdiff_t, n) P(n, ptrdiff_t, xs)         \
    P(n, ptrdiff_t, H) P(n, ptrdiff_t, L) P(d, double, scale) P(d, double, temperature)    \
    P(p, const T *, bias) P(a3, const ptrdiff_t *, bs) P(n, ptrdiff_t, bj)                  \
    P(p, const uint8_t *, mask) P(a3, const ptrdiff_t *, ms) P(n, ptrdiff_t, mj)            \
    P(p, const double *, slopes) P(i, int, causal) P(p, const double *, sink)              \
    P(a3, const ptrdiff_t *, ss) P(w, T *, y) P(n, ptrdiff_t, ys) P(i, int, flags)

/*
 * sk_segments_f32 / _f64: softmax (kind 0), log_softmax (1) or logsumexp (2) of the
 * segments x[offsets[s]:offsets[s + 1]] of a contiguous array of total entries
 * (offsets non-decreasing, offsets[0] >= 0, offsets[segments] <= total).
 *   y    OUT  kind 0, 1: total entries (may be x itself); kind 2: one per segment
 */
#define SK_SEGMENTS_PARAMS(P, T)                                                           \
    P(p, const T *, x) P(n, ptrdiff_t, total) P(p, const int64_t *, offsets)               \
    P(n, ptrdiff_t, segments) P(w, T *, y) P(i, int, kind)

/*
 * sk_logcumsumexp_f32 / _f64: log(cumsum(exp(x))) along the middle axis, from the end
 * when reverse ([Note: the logcumsumexp scan] in kernels_online.inc).
 *   x    IN   shape[3] = {outer, n, inner}, strides xs[3]
 *   y    OUT  the same shape, strides ys[3]; may be x itself with the same strides
 */
#define SK_LOGCUMSUMEXP_PARAMS(P, T)                                                       \
    P(p, const T *, x) P(a3, const ptrdiff_t *, shape) P(a3, const ptrdiff_t *, xs)         \
    P(w, T *, y) P(a3, const ptrdiff_t *, ys) P(i, int, reverse)

/*
 * sk_lse_state_f32 / _f64: the log-sum-exp state of each contiguous row: m = max (NaN if
 * one entry is; -inf for an empty row) and s + sl = sum(exp(x - m)) (the count of +inf
 * entries when m = +inf).
 *   x    IN   rows x n, row stride xs
 *   m    OUT  rows;  s, sl  OUT  rows doubles
 */
#define SK_LSE_STATE_PARAMS(P, T)                                                          \
    P(p, const T *, x) P(n, ptrdiff_t, rows) P(n, ptrdiff_t, n) P(n, ptrdiff_t, xs)         \
    P(w, T *, m) P(w, double *, s) P(w, double *, sl)

/*
 * sk_lse_merge_f32 / _f64: the merge of count pairs of states, element by element (the
 * outputs must not overlap the inputs).
 */
#define SK_LSE_MERGE_PARAMS(P, T)                                                          \
    P(p, const T *, ma) P(p, const double *, sa) P(p, const double *, la)                  \
    P(p, const T *, mb) P(p, const double *, sb) P(p, const double *, lb)                  \
    P(n, ptrdiff_t, count) P(w, T *, m) P(w, double *, s) P(w, double *, sl)

/*
 * sk_sample_f32 / _f64: draws from softmax(x / temperature) of contiguous rows after
 * top-k, top-p and min-p filtering ([Note: sampling by inverse CDF] in kernels_sample.inc).
 *   x      IN   rows x n, row stride xs
 *   top_k  IN   keep the top_k most probable entries (ties kept); 0: no limit
 *   top_p  IN   keep the smallest most probable set with mass >= top_p of what top-k
 *               kept (ties kept); 1: no limit
 *   min_p  IN   keep p >= min_p * max(p); 0: no limit
 *   u      IN   rows x ns uniforms in [0, 1)
 *   out    OUT  rows x ns indices; -1 for a row with a NaN, -2 for one with nothing to draw
 */
#define SK_SAMPLE_PARAMS(P, T)                                                             \
    P(p, const T *, x) P(n, ptrdiff_t, rows) P(n, ptrdiff_t, n) P(n, ptrdiff_t, xs)         \
    P(d, double, temperature) P(n, ptrdiff_t, top_k) P(d, double, top_p)                   \
    P(d, double, min_p) P(p, const double *, u) P(n, ptrdiff_t, ns) P(w, int64_t *, out)

/*
 * sk_half_f32 / _f64: softmax (kind 0), log_softmax (1) or logsumexp (2) of contiguous rows
 * stored as float16 (format 0) or bfloat16 (1), computed in T and rounded once to the
 * format ([Note: half-precision storage] in kernels_half.inc).
 *   x    IN   rows x n storage values (uint16 bits), row stride xs
 *   y    OUT  rows x n (kind 2: rows), row stride ys; may be x itself (kinds 0 and 1)
 */
#define SK_HALF_PARAMS(P, T)                                                               \
    P(p, const uint16_t *, x) P(n, ptrdiff_t, rows) P(n, ptrdiff_t, n) P(n, ptrdiff_t, xs)  \
    P(w, uint16_t *, y) P(n, ptrdiff_t, ys) P(i, int, format) P(i, int, kind)              \
    P(d, double, temperature)

/*
 * sk_half_in_f32 / _f64: n float16 (format 0) or bfloat16 (1) values to T, exactly;
 * sk_half_out_f32 / _f64: n values of T rounded once (to nearest even) to the format.
 */
#define SK_HALF_IN_PARAMS(P, T)                                                            \
    P(p, const uint16_t *, h) P(w, T *, t) P(n, ptrdiff_t, n) P(i, int, format)

#define SK_HALF_OUT_PARAMS(P, T)                                                           \
    P(p, const T *, t) P(w, uint16_t *, h) P(n, ptrdiff_t, n) P(i, int, format)

/*
 * sk_xent_half_f32 / _f64: sk_xent of logits stored as float16 (format 0) or bfloat16 (1),
 * computed in T a row at a time and the gradient rounded once to the format: the values
 * of sk_xent on the logits' T copy, with two bytes of traffic per element each way.
 *   x    IN   rows x C storage values (uint16 bits), row stride xs
 *   g    OUT  rows x C gradient in the format, row stride gs; may be x itself (same stride)
 *   y, ys, rs, nll: as sk_xent's
 */
#define SK_XENT_HALF_PARAMS(P, T)                                                          \
    P(p, const uint16_t *, x) P(n, ptrdiff_t, rows) P(n, ptrdiff_t, C) P(n, ptrdiff_t, xs)  \
    P(p, const int64_t *, y) P(n, ptrdiff_t, ys) P(p, const double *, rs)                  \
    P(w, uint16_t *, g) P(n, ptrdiff_t, gs) P(w, double *, nll) P(i, int, format)

#define SK_KERNELS(X)                                                                      \
    X(softmax, SK_SOFTMAX_PARAMS, shape[0] * shape[1] * shape[2])                          \
    X(logsumexp, SK_LOGSUMEXP_PARAMS, shape[0] * shape[1] * shape[2])                      \
    X(xent, SK_XENT_PARAMS, rows * C)                                                      \
    X(softmax_backward, SK_SOFTMAX_BACKWARD_PARAMS, rows * n)                              \
    X(sparse, SK_SPARSE_PARAMS, rows * n)                                                  \
    X(sparse_backward, SK_SPARSE_BACKWARD_PARAMS, rows * n)                                \
    X(entmax_bisect, SK_ENTMAX_BISECT_PARAMS, rows * n * n_iter)                           \
    X(fy, SK_FY_PARAMS, rows * C)                                                          \
    X(attention, SK_ATTENTION_PARAMS, rows * n)                                            \
    X(segments, SK_SEGMENTS_PARAMS, total)                                                 \
    X(logcumsumexp, SK_LOGCUMSUMEXP_PARAMS, shape[0] * shape[1] * shape[2] * 8)           \
    X(lse_state, SK_LSE_STATE_PARAMS, rows * n)                                            \
    X(lse_merge, SK_LSE_MERGE_PARAMS, count * 8)                                           \
    X(sample, SK_SAMPLE_PARAMS, rows * n)                                                  \
    X(half, SK_HALF_PARAMS, rows * n)                                                      \
    X(half_in, SK_HALF_IN_PARAMS, n)                                                       \
    X(half_out, SK_HALF_OUT_PARAMS, n)                                                     \
    X(xent_half, SK_XENT_HALF_PARAMS, rows * C)

/* P(kind, type, name) as a parameter declaration and as an argument (each with its comma:
 * `int nthreads` / `nthreads` always follows) */
#define SK_PARAM(kind, type, name) type name,
#define SK_ARG(kind, type, name) name,

/* sk_softmax_f32, sk_softmax_f64, sk_logsumexp_f32, ... : the public entry points */
#define SK_PROTOTYPES(name, PARAMS, WORK)                                                  \
    int sk_##name##_f32(PARAMS(SK_PARAM, float) int nthreads);                             \
    int sk_##name##_f64(PARAMS(SK_PARAM, double) int nthreads);
SK_KERNELS(SK_PROTOTYPES)

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
