"""The compensated numerics of the family, written once against the array API standard.

Every function takes the array namespace ``xp`` first: NumPy (the reference, which works in
long double or float64), any array-API library (the generic backend), or NumPy blocks of a
Dask array. Nothing here validates: callers pass real floating arrays, distinct
non-negative axes, masks broadcast to the input's shape and finite temperatures > 0.

Design
------
Three habits remove the error sources that make plain implementations lose tens to
millions of ulps (docs/user_guide/numerics.md):

1. Work in a wider dtype (the caller chooses it: :func:`work_dtype`).
2. Shift by the slice maximum with an exact two-sum, ``x - m = q + q_lo``, and keep the
   pair through the division by the temperature (:func:`shift_by`); then
   ``exp(q + q_lo) = exp(q) * (1 + q_lo)`` to second order (:func:`terms`).
3. Count the ``c`` entries tied at the maximum (each weighs exactly 1 after the shift) and
   take ``log(c) + log1p(rest / c)`` for the log of the normalizer.

Special values follow one rule, the limit of the finite case (:func:`finish_softmax`): a
NaN that takes part makes its slice NaN; -inf entries weigh 0; +inf entries share the
mass equally; a slice with nothing that weighs has probabilities 0, log-probabilities
-inf and log-sum-exp -inf.
"""

from __future__ import annotations

import math

import numpy as np

# Beyond |q| >= 2**14 the exponential under- or overflows in every work dtype, so the
# low-order correction of q is irrelevant there (and its products could overflow).
Q_CUTOFF = 2.0**14

_LONG = np.dtype(np.longdouble) if np.finfo(np.longdouble).nmant >= 63 else np.dtype(np.float64)


def work_dtype(dtype) -> np.dtype:
    """The NumPy dtype the reference computes in for results of ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype.itemsize <= 4:
        return np.dtype(np.float64)
    if dtype == np.float64:
        return _LONG
    return dtype  # long double: no wider type to use


def device(x):
    """The device of ``x`` (None for NumPy, which has one)."""
    if isinstance(x, (np.ndarray, np.generic)):
        return None
    from array_api_compat import device as _device  # arrays of other libraries only

    return _device(x)


def size(shape) -> int:
    return math.prod(int(s) for s in shape)


def reduced_shape(shape, axes, keepdims: bool) -> tuple[int, ...]:
    """The shape of a reduction of ``shape`` over ``axes`` (any sign), with or without
    the reduced axes kept as 1."""
    dims = {a % len(shape) for a in axes}
    return tuple(1 if d in dims else int(s) for d, s in enumerate(shape)
                 if keepdims or d not in dims)


def full(xp, value, dtype, like):
    """A 0-d array of ``value`` in ``dtype`` on ``like``'s device."""
    return xp.asarray(value, dtype=dtype, device=device(like))


# ------------------------------------------------------------------- error-free steps


def two_sum(a, b):
    """``s, err`` with ``s = fl(a + b)`` and ``a + b == s + err`` exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def two_prod_err(xp, a, b, p):
    """The exact rounding error ``a * b - p`` of ``p = fl(a * b)`` (Dekker, with
    Veltkamp's split); ``b`` an array or a number exact in ``a``'s dtype, both far from
    overflow."""
    bits = 1 - int(math.log2(xp.finfo(a.dtype).eps))
    c = full(xp, 2.0 ** math.ceil(bits / 2) + 1.0, a.dtype, a)
    if not hasattr(b, "dtype"):
        b = full(xp, b, a.dtype, a)
    ca, cb = c * a, c * b
    ah = ca - (ca - a)
    bh = cb - (cb - b)
    al, bl = a - ah, b - bh
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _scale2(xp, a, e: int):
    """``a * 2**e``, exactly where the result is normal (``ldexp``)."""
    if xp is np:
        return np.ldexp(a, e)
    half = e // 2
    return (a * 2.0**half) * 2.0 ** (e - half)


# ------------------------------------------------------------------- shift and terms


def unbroadcast(xp, g, shape):
    """``g`` summed down to ``shape``, the shape it was broadcast from (a gradient)."""
    shape = tuple(shape)
    lead = g.ndim - len(shape)
    if lead:
        g = xp.sum(g, axis=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = xp.sum(g, axis=axes, keepdims=True)
    return xp.reshape(g, shape)


def slice_max(xp, x, axes):
    """The maximum over ``axes`` with keepdims; -inf for an empty slice."""
    if xp is np:
        return np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    return xp.max(x, axis=axes, keepdims=True)


def shift_by(xp, x, m, temperature):
    """``(x - m) / temperature`` as the pair ``q + q_lo``, for the slice maxima ``m``
    (broadcastable; replaced by 0 where not finite). Entries at -inf give ``q = -inf``;
    ``q_lo`` is 0 wherever ``q`` is not finite."""
    zero = full(xp, 0, x.dtype, x)
    m0 = xp.where(xp.isfinite(m), m, zero)
    q, q_lo = two_sum(x, -m0)
    q_lo = xp.where(xp.isfinite(q), q_lo, zero)
    if temperature != 1.0:
        # T = t * 2**e with t in [0.5, 1): the power of two divides exactly, and the
        # remainder of q / t is recovered exactly, so q + q_lo stays a faithful pair
        if xp is np:  # T rounded to the work dtype (long double keeps 1 / k exact)
            t, e = np.frexp(x.dtype.type(temperature))
            tt, e = t, int(e)
        else:
            if xp.finfo(x.dtype).bits == 32:
                temperature = float(np.float32(temperature))
            t, e = math.frexp(temperature)
            tt = full(xp, t, x.dtype, x)
        hs, ls = _scale2(xp, q, -e), _scale2(xp, q_lo, -e)
        q = hs / tt
        near = xp.abs(q) < Q_CUTOFF
        qn = xp.where(near, q, zero)
        p = qn * tt
        rem = (xp.where(near, hs, zero) - p) - two_prod_err(xp, qn, tt, p)
        q_lo = xp.where(near, (rem + ls) / tt, zero)
    return q, q_lo


def shift(xp, x, axes, where, temperature):
    """``(m, q, q_lo)``: the slice maxima over the entries that take part (NaN if one of
    them is NaN; -inf if none does) and ``(x - m) / temperature == q + q_lo``. Entries
    that do not take part have ``q = -inf``."""
    if where is not None:
        x = xp.where(where, x, full(xp, -math.inf, x.dtype, x))
    m = slice_max(xp, x, axes)
    q, q_lo = shift_by(xp, x, m, temperature)
    return m, q, q_lo


def terms(xp, q, q_lo):
    """``exp(q + q_lo)`` as ``exp(q) * (1 + q_lo)``; ``q_lo`` is below an ulp of ``q``."""
    e = xp.exp(q)
    return e + e * q_lo


def pick(xp, a, index):
    """``a[r, index[r]]`` for each row ``r`` of a 2-D ``a``, exactly (``take_along_axis``
    where the library has it; else a masked sum, which turns -0.0 into 0.0)."""
    if hasattr(xp, "take_along_axis"):
        return xp.take_along_axis(a, xp.reshape(index, (-1, 1)), axis=1)[:, 0]
    onehot = xp.arange(a.shape[1], device=device(a)) == index[:, None]
    return xp.sum(xp.where(onehot, a, full(xp, 0, a.dtype, a)), axis=1)


def count(xp, cond, axes, dtype):
    """How many entries of each slice satisfy ``cond``, in ``dtype``, with keepdims."""
    if hasattr(xp, "count_nonzero"):  # no array of cond's size in dtype
        return xp.astype(xp.count_nonzero(cond, axis=axes, keepdims=True), dtype)
    return xp.sum(xp.astype(cond, dtype), axis=axes, keepdims=True)


def sum2(xp, a, axes, lo=None):
    """The sum of ``a`` (plus the small terms ``lo``) over ``axes``, with keepdims, as an
    unevaluated pair ``hi + lo``: a pairwise tree of exact two-sums whose rounding errors
    are added apart. Its error is about eps**2 relative, where a plain sum's grows with
    the number of terms (cf. the native kernels' compensated sums)."""
    kept = tuple(1 if i in axes else s for i, s in enumerate(a.shape))
    flat = to_last(xp, a, axes)[0]
    err = xp.zeros(tuple(flat.shape[:-1]) + (1,), dtype=a.dtype, device=device(a))
    if lo is not None:
        err = err + xp.sum(to_last(xp, lo, axes)[0], axis=-1, keepdims=True)
    while flat.shape[-1] > 1:
        if flat.shape[-1] % 2:
            pad = xp.zeros(tuple(flat.shape[:-1]) + (1,), dtype=a.dtype, device=device(a))
            flat = xp.concat([flat, pad], axis=-1)
        flat, e = two_sum(flat[..., 0::2], flat[..., 1::2])
        err = err + xp.sum(e, axis=-1, keepdims=True)
    return xp.reshape(flat, kept), xp.reshape(err, kept)


def to_last(xp, x, axes):
    """``x`` with ``axes`` moved to the end and merged, shape ``(..., n)``; also what
    :func:`from_last` needs to undo it."""
    rest = [i for i in range(x.ndim) if i not in axes]
    order = rest + list(axes)
    moved = xp.permute_dims(x, tuple(order))
    lead = tuple(moved.shape[: len(rest)])
    return xp.reshape(moved, lead + (size(moved.shape[len(rest):]),)), tuple(moved.shape), order


def from_last(xp, y, moved_shape, order):
    """Invert :func:`to_last`."""
    return xp.permute_dims(xp.reshape(y, moved_shape), tuple(np.argsort(order).tolist()))


# ---------------------------------------------------------------- the special values


def finish_softmax(xp, res, m, is_inf, k, where, *, log):
    """Apply the special values to (log-)probabilities ``res``: ``m`` the slice maxima,
    ``is_inf`` the +inf entries that take part and ``k`` their count per slice."""
    dt = res.dtype
    zero, neg_inf = full(xp, 0, dt, res), full(xp, -math.inf, dt, res)
    if log:
        inf_res = xp.where(is_inf, -xp.log(k), neg_inf)
    else:
        inf_res = xp.where(is_inf, 1 / k, zero)
    empty = neg_inf if log else zero
    res = xp.where(m == math.inf, inf_res, res)
    res = xp.where(m == -math.inf, empty, res)
    res = xp.where(xp.isnan(m), full(xp, math.nan, dt, res), res)
    if where is not None:
        res = xp.where(where, res, empty)
    return res


def log_normalizer(xp, c, rest):
    """``log(c + rest)`` as ``log(c) + log1p(rest / c)``: full relative accuracy when the
    entries below the maximum are tiny."""
    return xp.log(c) + xp.log1p(rest / c)


# --------------------------------------------------------------- whole computations


def logsumexp(xp, a, axes, work, *, b=None, where=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` over ``axes`` with SciPy's conventions, computed in the
    dtype ``work`` and returned in ``a``'s.

    Entries with ``b == 0`` do not take part even where ``a`` is inf or NaN; the result is
    ``log(abs(sum))``, NaN where the sum is negative unless ``return_sign`` (then also the
    sign: +1, -1, or 0 for an empty sum).
    """
    out_dtype = a.dtype
    kept = tuple(1 if i in axes else s for i, s in enumerate(a.shape))
    if size(a.shape[i] for i in axes) == 0 or size(a.shape) == 0:
        res = xp.full(kept, -math.inf, dtype=out_dtype, device=device(a))
        sgn = xp.zeros(kept, dtype=out_dtype, device=device(a))
    else:
        aw = xp.astype(a, work)
        zero, nan = full(xp, 0, work, aw), full(xp, math.nan, work, aw)
        take = where
        if b is not None:
            bw = xp.astype(b, work)
            take = (bw != 0) if take is None else xp.logical_and(take, bw != 0)
        m, q, q_lo = shift(xp, aw, axes, take, 1.0)
        e = terms(xp, q, q_lo)
        tie = q == 0
        if b is None:
            top = count(xp, tie, axes, work)
            rest = xp.sum(xp.where(tie, zero, e), axis=axes, keepdims=True)
        else:
            top = xp.sum(xp.where(tie, bw, zero), axis=axes, keepdims=True)
            # entries that do not take part may hold NaN weights: keep them out
            skip = xp.logical_or(tie, xp.logical_not(take))
            rest = xp.sum(xp.where(skip, zero, bw * e), axis=axes, keepdims=True)
        # log|top + rest| = log|top| + log1p(rest / top); when rest / top < -1 the sum
        # changes sign and log1p(-s - 2) = log(|1 + s|)
        s = rest / top
        sgn = xp.sign(s + 1) * xp.sign(top)
        lse = xp.log1p(xp.where(s < -1, -s - 2, s)) + xp.log(xp.abs(top))
        # the maximal weights cancel exactly (b = [1, -1] at a tied maximum, say)
        zero_top = top == 0
        sgn = xp.where(zero_top, xp.sign(rest), sgn)
        lse = xp.where(zero_top, xp.log(xp.abs(rest)), lse)
        res = m + lse
        # +inf entries: the sum is +-inf by the sign of their total weight, NaN if it
        # cancels; NaN that takes part gives NaN; nothing that takes part gives -inf
        is_inf = aw == math.inf
        if take is not None:
            is_inf = xp.logical_and(is_inf, take)
        ones = xp.ones_like(aw) if b is None else bw
        inf_w = xp.sum(xp.where(is_inf, ones, zero), axis=axes, keepdims=True)
        inf = full(xp, math.inf, work, aw)
        res = xp.where(m == math.inf, xp.where(inf_w == 0, nan, inf), res)
        sgn = xp.where(m == math.inf, xp.sign(inf_w), sgn)
        res = xp.where(m == -math.inf, -inf, res)
        sgn = xp.where(m == -math.inf, zero, sgn)
        bad = xp.logical_or(xp.isnan(m), xp.isnan(res))
        res = xp.where(bad, nan, res)
        sgn = xp.where(bad, nan, sgn)
        if not return_sign:
            res = xp.where(sgn < 0, nan, res)
        res, sgn = xp.astype(res, out_dtype), xp.astype(sgn, out_dtype)
    if not keepdims and axes:
        res, sgn = xp.squeeze(res, axis=axes), xp.squeeze(sgn, axis=axes)
    return (res, sgn) if return_sign else res


def smooth_max(xp, x, axes, work, *, k=1.0, keepdims=False):
    """``logsumexp(k * x) / k`` over ``axes`` as ``m + log(sum(...)) / k``: ``k * x`` is
    never formed (it could overflow), ``1 / k`` acts as a temperature."""
    out_dtype = x.dtype
    kept = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
    if size(x.shape) == 0:
        res = xp.full(kept, -math.inf, dtype=out_dtype, device=device(x))
    else:
        xw = xp.astype(x, work)
        zero = full(xp, 0, work, xw)
        # the reference divides in its work dtype: 1 / k in long double for float64
        temperature = 1 / np.dtype(work).type(k) if xp is np else 1.0 / k
        m, q, q_lo = shift(xp, xw, axes, None, temperature)
        e = terms(xp, q, q_lo)
        tie = q == 0
        c = count(xp, tie, axes, work)
        rest = xp.sum(xp.where(tie, zero, e), axis=axes, keepdims=True)
        res = m + log_normalizer(xp, c, rest) / (np.dtype(work).type(k) if xp is np else k)
        res = xp.astype(xp.where(xp.isfinite(m), res, m), out_dtype)
    if not keepdims and axes:
        res = xp.squeeze(res, axis=axes)
    return res


def hardmax(xp, x, axes):
    """One-hot of the first maximum of each slice; NaN slices NaN, all -inf slices 0."""
    if size(x.shape) == 0:
        return xp.zeros(x.shape, dtype=x.dtype, device=device(x))
    flat, moved_shape, order = to_last(xp, x, axes)
    idx = xp.argmax(flat, axis=-1, keepdims=True)
    positions = xp.arange(flat.shape[-1], device=device(x))
    one_hot = xp.astype(positions == idx, x.dtype)
    top = xp.max(flat, axis=-1, keepdims=True)
    # argmax of a slice holding NaN is implementation-defined: mark it from the data
    has_nan = xp.any(xp.isnan(flat), axis=-1, keepdims=True)
    one_hot = xp.where(top == -math.inf, full(xp, 0, x.dtype, x), one_hot)
    one_hot = xp.where(has_nan, full(xp, math.nan, x.dtype, x), one_hot)
    return from_last(xp, one_hot, moved_shape, order)


def std_norm(xp, x, axes, work):
    """``x / sum(x)`` over ``axes`` for checked input (finite, >= 0, no zero sum)."""
    xw = xp.astype(x, work)
    return xp.astype(xw / xp.sum(xw, axis=axes, keepdims=True), x.dtype)


def softmax_vjp(xp, y, d, axes, temperature, *, log):
    """The backward of softmax (from ``y``) or log_softmax (from ``logp``): entries the
    forward gave no weight (0, or -inf in log space) get 0 whatever ``d`` holds there."""
    zero = full(xp, 0, y.dtype, y)
    live = y != (-math.inf if log else 0)
    dyl = xp.where(live, d, zero)
    if log:
        dx = xp.where(live, dyl - xp.exp(y) * xp.sum(dyl, axis=axes, keepdims=True), zero)
    else:
        dx = xp.where(live, y * (dyl - xp.sum(dyl * y, axis=axes, keepdims=True)), zero)
    return dx / temperature if temperature != 1.0 else dx


def number(a) -> float:
    """A 0-d array's value as a Python float, outside any autograd graph."""
    return float(a.detach() if hasattr(a, "detach") else a)


def reduce_loss(xp, per, reduction, denom, shape):
    """(loss, gradient scale) of per-sample losses: "none" keeps them (the gradient is
    that of their sum), "sum" adds them, "mean" divides by ``denom`` (a number or a 0-d
    array, which autograd differentiates; 0 when nothing counts, where PyTorch gives NaN).
    The loss is a 0-d array of ``per``'s dtype."""
    if reduction == "none":
        return xp.reshape(per, shape), 1.0
    if reduction == "sum":
        return xp.sum(per), 1.0
    d = number(denom)
    if not d:
        return xp.zeros((), dtype=per.dtype, device=device(per)), 0.0
    return xp.sum(per) / denom, 1.0 / d


def cross_entropy_rows(xp, z2, target, *, kind, weight, ignore_index, ls, where, lse_fn,
                       softmax_fn, return_grad):
    """Cross-entropy of rows of logits ``z2`` (rows, C), PyTorch's semantics.

    ``target`` holds checked class indices (rows,) or probabilities (rows, C) in ``z2``'s
    dtype; ``where`` the classes that take part (rows, C) or None. ``lse_fn(wide, where)``
    and ``softmax_fn(z2, where)`` are the backend's row logsumexp and softmax. Returns
    ``(per-sample losses, the denominator of "mean", the gradient of their sum or None)``;
    the losses are in float64 for float32 logits (their sum is taken there).
    """
    n_classes = z2.shape[1]
    dt = z2.dtype
    dev = device(z2)
    zero = full(xp, 0, dt, z2)
    wv = xp.ones((n_classes,), dtype=dt, device=dev) if weight is None else weight
    # classes taking part, per row: their count and total weight (for label smoothing)
    live = xp.ones((1, n_classes), dtype=xp.bool, device=dev) if where is None else where
    n_live = xp.astype(xp.sum(xp.astype(live, xp.int64), axis=1), dt)  # (rows,) or (1,)
    w_live = xp.sum(xp.where(live, wv, zero), axis=1)
    # lse - z[y] cancels for confident predictions: in float32, form it in float64 (an
    # lse rounded to float32 first would lose the small loss's digits)
    wide = xp.astype(z2, xp.float64) if xp.finfo(dt).bits < 64 and hasattr(xp, "float64") \
        else z2
    wzero = full(xp, 0, wide.dtype, wide)
    lse = lse_fn(wide, where)  # (rows,)
    n_rows = z2.shape[0]
    if kind == "index":
        counted = xp.ones((n_rows,), dtype=xp.bool, device=dev) if ignore_index is None \
            else target != ignore_index
        ys = xp.where(counted, target, xp.zeros_like(target))
        onehot = xp.arange(n_classes, device=dev) == ys[:, None]  # (rows, C)
        wy = xp.where(counted, xp.take(wv, ys, axis=0), zero)
        z_y = pick(xp, wide, ys)
        # a row where nothing weighs gives its target probability 0: -log 0 = +inf
        nll = xp.where(lse == -math.inf, full(xp, math.inf, wide.dtype, wide), lse - z_y)
        per = (1 - ls) * wy * nll
        if ls > 0:
            # smoothing: (ls / C) * sum_c w_c (lse - z_c) over the classes taking part
            smooth = xp.sum(xp.where(live, wv * (lse[:, None] - wide), wzero), axis=1)
            per = per + xp.where(counted, (ls / n_live) * smooth, wzero)
        per = xp.where(counted, per, wzero)
        denom = xp.sum(wy)  # an array: "mean" divides by it, weights' gradients included
    else:
        tt = target
        if ls > 0:
            tt = xp.where(live, (1 - ls) * tt + ls / n_live[:, None], zero)
        coef = xp.where(live, wv * tt, zero)  # (rows, C)
        per = xp.sum(xp.where(coef != 0, coef * (lse[:, None] - wide), wzero), axis=1)
        denom = float(n_rows)
    if not return_grad:
        return per, denom, None
    g = softmax_fn(z2, where)
    if kind == "index":
        # d/dz [(1-ls) w_y nll + (ls/C) sum_c w_c (lse - z_c)]
        #   = ((1-ls) w_y + (ls/C) sum_c w_c) p - (1-ls) w_y e_y - (ls/C) w
        coef_p = (1 - ls) * wy + xp.where(counted, (ls / n_live) * w_live, zero)
        # the target's entry coef_p p_y - (1-ls) w_y: where p_y > 1/2, with 1 - p_y as the
        # other classes' sum (p_y - 1 cancels: a p_y within an ulp of 1 gave 0)
        p_y = pick(xp, g, ys)
        others = xp.sum(xp.where(onehot, zero, g), axis=1)
        g_y = xp.where(p_y > 0.5, (coef_p - (1 - ls) * wy) - coef_p * others,
                       coef_p * p_y - (1 - ls) * wy)
        g = xp.where(onehot, g_y[:, None], g * coef_p[:, None])
        if ls > 0:
            g = g - xp.where(xp.logical_and(live, counted[:, None]),
                             (ls / n_live[:, None]) * wv, zero)
    else:
        g = g * xp.sum(coef, axis=1)[:, None] - coef
    return per, denom, g
