"""Slow, obviously-correct NumPy versions of the softmax family.

They are the fallback for inputs no native kernel takes and the oracle the native
kernels are tested against. Every function here takes *validated* input: a floating
array, a tuple of distinct non-negative axes, a boolean mask already broadcast to the
input's shape (or None), and a finite temperature > 0. Validation lives in
``_functions.py``.

Design
------
Accuracy comes from three habits, each of which removes one of the error sources that
make plain implementations lose tens to millions of ulps (see the README, "Numerics
contract"):

1. Work in a wider dtype: float16 and float32 in float64; float64 in the platform's
   long double when it carries at least 64 bits of mantissa (x86-64, and quad precision
   on aarch64 Linux). Where long double is only float64, the float64 results lose the
   last bit or so; the native kernels do not depend on this.
2. Shift by the slice maximum with an exact two-sum: ``x - m = hi + lo`` exactly, and
   ``exp(hi + lo) = exp(hi) * (1 + lo)`` to second order. Dividing by the temperature
   keeps the pair: the remainder of ``hi / T`` is recovered exactly (Veltkamp/Dekker).
3. Count the entries tied at the maximum (each contributes exactly 1 after the shift)
   and take ``log(c) + log1p(rest / c)`` for the log of the sum, so the log-probability
   of a dominant entry keeps full relative accuracy when the others are tiny.

Special values follow one rule, the limit of the finite case: a NaN that takes part
makes its slice NaN; -inf entries weigh 0; +inf entries share the mass equally; a slice
with nothing that weighs (all -inf, all masked, or empty) has probabilities 0,
log-probabilities -inf and log-sum-exp -inf.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "work_dtype",
    "softmax",
    "logsumexp",
    "smooth_max",
    "hardmax",
    "std_norm",
]

_LONG = np.dtype(np.longdouble) if np.finfo(np.longdouble).nmant >= 63 else np.dtype(np.float64)

# Beyond |q| >= 2**14 the exponential under- or overflows in every work dtype, so the
# low-order correction of q is irrelevant there (and its products could overflow).
_Q_CUTOFF = 2.0**14


def work_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype the reference computes in for results of ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype.itemsize <= 4:
        return np.dtype(np.float64)
    if dtype == np.float64:
        return _LONG
    return dtype  # long double: no wider type to use


def _two_sum(a, b):
    """``s, err`` with ``s = fl(a + b)`` and ``a + b == s + err`` exactly (Knuth)."""
    s = a + b
    bb = s - a
    err = (a - (s - bb)) + (b - bb)
    return s, err


def _split(a, dtype: np.dtype):
    """Veltkamp split of ``a`` into two halves whose products are exact."""
    bits = np.finfo(dtype).nmant + 1
    c = dtype.type(2.0 ** math.ceil(bits / 2) + 1.0) * a
    hi = c - (c - a)
    return hi, a - hi


def _two_prod_err(a, b, p, dtype: np.dtype):
    """The exact rounding error ``a * b - p`` of ``p = fl(a * b)`` (Dekker)."""
    ah, al = _split(a, dtype)
    bh, bl = _split(b, dtype)
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _shift(x, axes, where, temperature):
    """Slice maxima and the shifted, scaled arguments as an unevaluated sum.

    Parameters
    ----------
    x : ndarray in a work dtype
    axes : tuple of int
    where : bool ndarray of ``x.shape`` or None
    temperature : float, finite and > 0

    Returns
    -------
    m : ndarray, ``x.ndim`` dims with the reduced axes of size 1
        Maximum over the entries that take part (NaN if one of them is NaN; -inf if
        none does).
    q, q_lo : ndarray of ``x.shape``
        ``(x - m) / temperature == q + q_lo`` to about twice the work precision, with
        ``m`` replaced by 0 in slices whose maximum is not finite. Entries that do not
        take part have ``q = -inf``; ``q_lo`` is 0 wherever ``q`` is not finite.
    """
    if where is not None:
        x = np.where(where, x, -np.inf)
    m = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    q, q_lo = shift_by(x, m, temperature)
    return m, q, q_lo


def shift_by(x, m, temperature):
    """``(x - m) / temperature`` as the pair ``q + q_lo``, for a given slice maximum ``m``
    (broadcastable; replaced by 0 where it is not finite). See :func:`_shift`."""
    dtype = x.dtype
    m0 = np.where(np.isfinite(m), m, 0)
    q, q_lo = _two_sum(x, -m0)
    q_lo = np.where(np.isfinite(q), q_lo, 0)
    if temperature != 1.0:
        # Divide by T = t * 2**e with t in [0.5, 1): the power of two is exact, and the
        # remainder of q / t is recovered exactly, so q + q_lo stays a faithful pair.
        t, e = np.frexp(dtype.type(temperature))
        hs, ls = np.ldexp(q, -e), np.ldexp(q_lo, -e)
        q = hs / t
        near = np.abs(q) < _Q_CUTOFF
        qn = np.where(near, q, 0)
        p = qn * t
        rem = (np.where(near, hs, 0) - p) - _two_prod_err(qn, t, p, dtype)
        q_lo = np.where(near, (rem + ls) / t, 0)
    return q, q_lo


def _terms(q, q_lo):
    """``exp(q + q_lo)`` as ``exp(q) * (1 + q_lo)``; ``q_lo`` is below an ulp of ``q``."""
    e = np.exp(q)
    return e + e * q_lo


def softmax(x, axes, *, temperature=1.0, where=None, log=False):
    """Softmax (or log-softmax) of ``x / temperature`` over ``axes``.

    Parameters
    ----------
    x : ndarray of a floating dtype
        Not modified.
    axes : tuple of int
        Distinct, non-negative axes of ``x`` that make up one slice.
    temperature : float, finite and > 0
    where : bool ndarray of ``x.shape`` or None
        Entries that take part; the others get probability 0 (log-probability -inf).
    log : bool
        Return log-probabilities.

    Returns
    -------
    ndarray of ``x.dtype`` and ``x.shape``
    """
    out_dtype = x.dtype
    w = work_dtype(out_dtype)
    xw = x.astype(w)
    with np.errstate(all="ignore"):  # inf - inf and 0 * inf in slices overwritten below
        m, q, q_lo = _shift(xw, axes, where, temperature)
        e = _terms(q, q_lo)
        tie = q == 0
        c = np.sum(tie, axis=axes, keepdims=True).astype(w)
        rest = np.sum(np.where(tie, 0, e), axis=axes, keepdims=True)
        if log:
            lse = np.log(c) + np.log1p(rest / c)
            res = (q - lse) + q_lo
        else:
            res = e / (c + rest)

        # +inf entries share the mass equally; everything else in their slice gets 0.
        is_inf = xw == np.inf
        if where is not None:
            is_inf &= where
        k = np.sum(is_inf, axis=axes, keepdims=True).astype(w)
        if log:
            inf_res = np.where(is_inf, -np.log(k), -np.inf)
        else:
            inf_res = np.where(is_inf, 1 / k, 0)
        res = np.where(m == np.inf, inf_res, res)
        empty = -np.inf if log else 0.0
        res = np.where(m == -np.inf, empty, res)
        res = np.where(np.isnan(m), np.nan, res)
        if where is not None:
            res = np.where(where, res, empty)
        # A log-probability beyond the dtype's range is -inf, rounded correctly.
        return res.astype(out_dtype)


def logsumexp(a, axes, *, b=None, where=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` over ``axes``, with SciPy's conventions.

    Parameters
    ----------
    a : ndarray of a floating dtype
    axes : tuple of int
    b : ndarray of ``a.shape`` and dtype, or None
        Weights; entries with ``b == 0`` do not take part even where ``a`` is inf or NaN.
    where : bool ndarray of ``a.shape`` or None
        Entries that take part.
    keepdims, return_sign : bool

    Returns
    -------
    res : ndarray of ``a.dtype``
        ``log(abs(sum))``; NaN where the sum is negative unless ``return_sign``.
    sgn : ndarray of ``a.dtype``, only with ``return_sign``
        Sign of the sum: +1, -1 or 0.
    """
    out_dtype = a.dtype
    w = work_dtype(out_dtype)
    aw = a.astype(w)
    take = None if where is None else where.copy()
    if b is not None:
        bw = b.astype(w)
        take = (bw != 0) if take is None else (take & (bw != 0))
    with np.errstate(all="ignore"):
        m, q, q_lo = _shift(aw, axes, take, 1.0)
        e = _terms(q, q_lo)
        tie = q == 0
        if b is None:
            top = np.sum(tie, axis=axes, keepdims=True).astype(w)
            rest = np.sum(np.where(tie, 0, e), axis=axes, keepdims=True)
        else:
            top = np.sum(np.where(tie, bw, 0), axis=axes, keepdims=True)
            # Entries that do not take part may hold NaN weights: keep them out.
            rest = np.sum(np.where(tie | ~take, 0, bw * e), axis=axes, keepdims=True)
        # log|top + rest| = log|top| + log1p(rest / top) keeps full accuracy when the
        # non-maximal terms are tiny; when rest / top < -1 the sum changes sign and
        # log1p(-s - 2) = log(|1 + s|) (a real logarithm of the magnitude).
        s = rest / top
        sgn = np.sign(s + 1) * np.sign(top)
        lse = np.log1p(np.where(s < -1, -s - 2, s)) + np.log(np.abs(top))
        # The maximal weights cancel exactly (e.g. b = [1, -1] at a tied maximum).
        zero_top = top == 0
        sgn = np.where(zero_top, np.sign(rest), sgn)
        lse = np.where(zero_top, np.log(np.abs(rest)), lse)
        res = m + lse

        # +inf entries: the sum is +-inf by the sign of their total weight, NaN if it
        # cancels; NaN that takes part gives NaN; nothing that takes part gives -inf.
        is_inf = aw == np.inf
        if take is not None:
            is_inf &= take
        inf_w = np.sum(np.where(is_inf, 1 if b is None else bw, 0), axis=axes, keepdims=True)
        res = np.where(m == np.inf, np.where(inf_w == 0, np.nan, np.inf), res)
        sgn = np.where(m == np.inf, np.sign(inf_w), sgn)
        res = np.where(m == -np.inf, -np.inf, res)
        sgn = np.where(m == -np.inf, 0, sgn)
        nan = np.isnan(m) | np.isnan(res)
        res = np.where(nan, np.nan, res)
        sgn = np.where(nan, np.nan, sgn)
        if not return_sign:
            res = np.where(sgn < 0, np.nan, res)
    if not keepdims:
        res = np.squeeze(res, axis=axes)
        sgn = np.squeeze(sgn, axis=axes)
    res = res.astype(out_dtype)
    if return_sign:
        return res, sgn.astype(out_dtype)
    return res


def smooth_max(x, axes, *, k=1.0, keepdims=False):
    """``logsumexp(k * x) / k`` over ``axes``, computed as ``m + log(sum(...)) / k``.

    ``k * x`` is never formed, so it cannot overflow: the shift by the maximum comes
    first and ``1 / k`` acts as a temperature.
    """
    out_dtype = x.dtype
    w = work_dtype(out_dtype)
    xw = x.astype(w)
    with np.errstate(all="ignore"):
        temperature = 1 / w.type(k)
        m, q, q_lo = _shift(xw, axes, None, temperature)
        e = _terms(q, q_lo)
        tie = q == 0
        c = np.sum(tie, axis=axes, keepdims=True).astype(w)
        rest = np.sum(np.where(tie, 0, e), axis=axes, keepdims=True)
        res = m + (np.log(c) + np.log1p(rest / c)) / w.type(k)
        res = np.where(np.isfinite(m), res, m)
    if not keepdims:
        res = np.squeeze(res, axis=axes)
    return res.astype(out_dtype)


def _to_last(x, axes):
    """View ``x`` with ``axes`` moved to the end and merged: shape ``(..., n)``."""
    rest = [i for i in range(x.ndim) if i not in axes]
    moved = np.transpose(x, rest + list(axes))
    lead = moved.shape[: len(rest)]
    n = math.prod(moved.shape[len(rest):])
    return moved.reshape(lead + (n,)), moved.shape, rest + list(axes)


def _from_last(y, moved_shape, order):
    """Invert :func:`_to_last`."""
    return np.transpose(y.reshape(moved_shape), np.argsort(order))


def hardmax(x, axes):
    """One-hot of the first maximum of each slice; NaN slices are NaN, all -inf are 0."""
    flat, moved_shape, order = _to_last(x, axes)
    out = np.zeros(flat.shape, dtype=x.dtype)
    if flat.size:
        idx = np.argmax(flat, axis=-1)
        np.put_along_axis(out, idx[..., None], 1, axis=-1)
        top = np.take_along_axis(flat, idx[..., None], axis=-1)
        out = np.where(top == -np.inf, 0, out)
        out = np.where(np.isnan(top), np.nan, out).astype(x.dtype)
    return _from_last(out, moved_shape, order)


def std_norm(x, axes):
    """``x / sum(x)`` over ``axes`` for validated x (finite, >= 0, slices with sum > 0)."""
    w = work_dtype(x.dtype)
    xw = x.astype(w)
    with np.errstate(over="ignore"):  # a sum beyond the work dtype's range gives 0s
        return (xw / np.sum(xw, axis=axes, keepdims=True)).astype(x.dtype)
