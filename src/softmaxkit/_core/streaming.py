"""Log-sum-exp as a state that merges (online softmax), and its scan, for any array library.

A slice's log-sum-exp is held as the pair of Milakov & Gimelshein's online normalizer: its
maximum ``m`` and the scaled sum ``s = sum(exp(x - m))``, here a double-word ``s + s_lo``
in the work dtype. Two states merge exactly but for the rounding of ``exp`` of the
difference of their maxima (``exp(m_a - m) * s_a + exp(m_b - m) * s_b``, the products and
the sum carried as double words), so a row split anywhere, its parts merged in any order,
gives its log-sum-exp within a few ulps. The cumulative log-sum-exp (:func:`logcumsumexp`)
is the prefix scan of the same merge. Every function takes ``xp`` first and validated
input.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import numerics as nm


class LSEState(NamedTuple):
    """The mergeable state of a log-sum-exp over some axes.

    Parameters
    ----------
    max : array
        The maximum of the entries that took part (``-inf`` when none did, NaN when one
        was NaN), in the input's dtype.
    sum : array
        ``sum(exp(x - max))`` (each ``+inf`` entry counts 1 when ``max`` is ``+inf``), in
        the work dtype: float64 for narrower input where the library has it.
    sum_lo : array
        The low word of that sum: the sum is ``sum + sum_lo`` to about twice the work
        dtype's precision.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> s = sk.lse_state([0.0, 0.0, 0.0])
    >>> float(s.max), float(s.sum), float(s.sum_lo)
    (0.0, 3.0, 0.0)
    """

    max: object
    sum: object
    sum_lo: object


LSEState.max.__doc__ = "The maximum of the entries that took part."
LSEState.sum.__doc__ = "The sum of ``exp(x - max)``, in the work dtype."
LSEState.sum_lo.__doc__ = "The low word of the sum (the sum is ``sum + sum_lo``)."


def state(xp, x, axes, where, work):
    """The :class:`LSEState` of ``x`` over ``axes`` (reduced away), computing in ``work``."""
    keep = tuple(i for i in range(x.ndim) if i not in axes)
    shape = tuple(x.shape[i] for i in keep)
    if any(x.shape[i] == 0 for i in axes):  # nothing in any slice
        dev = nm.device(x)
        return LSEState(xp.full(shape, -math.inf, dtype=x.dtype, device=dev),
                        xp.zeros(shape, dtype=work, device=dev),
                        xp.zeros(shape, dtype=work, device=dev))
    xw = xp.astype(x, work)
    with np.errstate(all="ignore"):
        m, q, q_lo = nm.shift(xp, xw, axes, where, 1.0)
        zero = nm.full(xp, 0, work, xw)
        finite = xp.isfinite(m)
        # +inf maxima: the +inf entries count 1 each (their q is NaN, inf - inf)
        e = xp.where(finite, nm.terms(xp, q, q_lo), xp.astype(q != q, work))
        if where is not None:
            e = xp.where(where, e, zero)
        e = xp.where(xp.isnan(e), zero, e)
        hi, lo = nm.sum2(xp, e, axes)
    nan = xp.isnan(m)
    hi = xp.where(nan, nm.full(xp, math.nan, work, xw), hi)
    return LSEState(xp.astype(xp.reshape(m, shape), x.dtype), xp.reshape(hi, shape),
                    xp.reshape(lo, shape))


def _scale(xp, s, lo, m_from, m_to):
    """``(s + lo) * exp(m_from - m_to)`` as a double word, for ``m_from <= m_to`` (both
    finite); the rounding of the difference goes into the exponential's argument."""
    d, d_lo = nm.two_sum(m_from, -m_to)
    f = xp.exp(d)
    f = f + f * d_lo
    p = s * f
    return p, nm.two_prod_err(xp, s, f, p) + lo * f


def merge(xp, a: LSEState, b: LSEState) -> LSEState:
    """The state of the union of two states' entries (shapes broadcast)."""
    work = a.sum.dtype
    ma, mb = xp.astype(a.max, work), xp.astype(b.max, work)
    with np.errstate(all="ignore"):
        m = xp.maximum(ma, mb)
        zero = nm.full(xp, 0, work, m)
        fin = xp.isfinite(m)
        mf = xp.where(fin, m, zero)
        live_a, live_b = ma > -math.inf, mb > -math.inf
        sa, la = _scale(xp, a.sum, a.sum_lo, xp.where(fin, ma, zero), mf)
        sb, lb = _scale(xp, b.sum, b.sum_lo, xp.where(fin, mb, zero), mf)
        sa, la = xp.where(live_a, sa, zero), xp.where(live_a, la, zero)
        sb, lb = xp.where(live_b, sb, zero), xp.where(live_b, lb, zero)
        hi, err = nm.two_sum(sa, sb)
        lo = err + la + lb
        hi, lo = nm.two_sum(hi, lo)
        # +inf: the +inf entries' counts add; NaN stays
        inf = m == math.inf
        count = xp.where(ma == math.inf, a.sum, zero) + xp.where(mb == math.inf, b.sum, zero)
        hi = xp.where(inf, count, hi)
        lo = xp.where(inf, zero, lo)
        nan = xp.logical_or(xp.isnan(ma), xp.isnan(mb))
        hi = xp.where(nan, nm.full(xp, math.nan, work, m), hi)
        m = xp.where(nan, nm.full(xp, math.nan, work, m), m)
    return LSEState(xp.astype(m, a.max.dtype), hi, lo)


def finalize(xp, s: LSEState):
    """``max + log(sum + sum_lo)`` in the state's max dtype: the log-sum-exp."""
    work = s.sum.dtype
    m = xp.astype(s.max, work)
    with np.errstate(all="ignore"):
        fin = xp.isfinite(m)
        zero = nm.full(xp, 0, work, m)
        one = nm.full(xp, 1, work, m)
        hi = xp.where(fin, s.sum, one)
        lh = xp.log(hi)
        res, err = nm.two_sum(xp.where(fin, m, zero), lh)
        res = res + (err + xp.where(fin, s.sum_lo, zero) / hi)
        res = xp.where(fin, res, m)
    return xp.astype(res, s.max.dtype)


def weights(xp, part: LSEState, total: LSEState):
    """``exp(lse(part) - lse(total))``: the share of a part's mass in the total, in the
    work dtype (0 for parts with nothing in them)."""
    work = part.sum.dtype
    with np.errstate(all="ignore"):
        mt = xp.astype(total.max, work)
        mp = xp.astype(part.max, work)
        zero = nm.full(xp, 0, work, mt)
        fin = xp.logical_and(xp.isfinite(mt), mp > -math.inf)
        s, lo = _scale(xp, part.sum, part.sum_lo, xp.where(fin, mp, zero),
                       xp.where(fin, mt, zero))
        tot = xp.where(fin, total.sum + total.sum_lo, nm.full(xp, 1, work, mt))
        w = xp.where(fin, (s + lo) / tot, zero)
        # a +inf total: the parts holding +inf share it by their counts
        inf = mt == math.inf
        w = xp.where(inf, xp.where(mp == math.inf, part.sum / total.sum, zero), w)
        nan = xp.isnan(mt)
        return xp.where(nan, nm.full(xp, math.nan, work, mt), w)


def logcumsumexp(xp, x, axis: int, reverse: bool, work):
    """The cumulative log-sum-exp along ``axis`` by a scan of pairwise ``logaddexp`` in
    ``work`` (Hillis & Steele: each result is a tree of ``log2(n)`` steps), in ``x``'s
    dtype. The native kernel's compensated serial scan is checked against it."""
    n = x.shape[axis]
    y = xp.astype(xp.moveaxis(x, axis, -1), work)
    if reverse:
        y = xp.flip(y, axis=-1)
    d = 1
    with np.errstate(all="ignore"):
        while d < n:
            head, tail = y[..., :d], y[..., d:]
            y = xp.concat([head, xp.logaddexp(tail, y[..., :-d])], axis=-1)
            d *= 2
    if reverse:
        y = xp.flip(y, axis=-1)
    return xp.astype(xp.moveaxis(y, -1, axis), x.dtype)


def logcumsumexp_vjp(xp, scan, x, y, dy, axis: int, reverse: bool):
    """``dx_j = sum over k >= j of dy_k * exp(x_j - y_k)`` (k <= j when ``reverse``), from
    the forward's ``y``: the positive and negative parts of ``dy * exp(-y)`` summed by the
    reverse scan ``scan(a, axis, reverse)`` in log space, so nothing overflows."""
    dt = x.dtype
    with np.errstate(all="ignore"):
        ninf = nm.full(xp, -math.inf, dt, x)
        zero = nm.full(xp, 0, dt, x)
        one = nm.full(xp, 1, dt, x)
        # a y_k of -inf has only -inf entries below it, whose gradient is 0
        live = y > -math.inf
        out = None
        for sign in (1, -1):
            part = dy * sign
            # the arguments of log and exp are chosen first: Dask evaluates both branches
            # of a where lazily, outside this errstate
            use = xp.logical_and(part > 0, live)
            a = xp.where(use, xp.log(xp.where(use, part, one)) - y, ninf)
            acc = scan(a, axis, not reverse)
            use = xp.logical_and(acc > -math.inf, x > -math.inf)
            g = xp.where(use, xp.exp(xp.where(use, x + acc, zero)), zero)
            out = g if out is None else out - g
        nan = xp.logical_or(xp.isnan(dy), xp.isnan(y))
        if xp.any(nan):
            out = scan_nan(xp, out, nan, axis, not reverse)
    return out


def scan_nan(xp, out, nan, axis, reverse):
    """NaN in ``out`` wherever a NaN lies at or after it in the scan's direction."""
    flag = xp.astype(xp.moveaxis(nan, axis, -1), xp.int8)
    if reverse:
        flag = xp.flip(flag, axis=-1)
    seen = xp.cumulative_sum(flag, axis=-1) > 0 if hasattr(xp, "cumulative_sum") else \
        xp.cumsum(flag, axis=-1) > 0
    if reverse:
        seen = xp.flip(seen, axis=-1)
    seen = xp.moveaxis(seen, -1, axis)
    return xp.where(seen, nm.full(xp, math.nan, out.dtype, out), out)
