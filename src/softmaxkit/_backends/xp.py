"""The array-API backend: any library's arrays in, the same library's arrays out.

Arrays of PyTorch, JAX, CuPy, array-api-strict (any library that follows the Python array
API standard, through ``array-api-compat``) are computed with their own namespace ``xp``:
no copy to NumPy, the result on the input's device. The numerics are those of the NumPy
reference (:mod:`.._core.numerics`), in float64 for narrower input where the device has
float64 and otherwise in the input's dtype; softmax also carries the rounding errors of
its normalizer (a tree of two-sums, an exact division), so results stay within a few ulps
either way. Every function takes validated input (``_api``) and ``xp`` first.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .._core import numerics as nm
from .._core import sparsemaps as sm
from .._core import streaming as st
from .._core import validation as v
from .._core.arrays import work_dtype
from . import composite


def _quiet(fn):
    """NumPy-backed libraries (array-api-strict) warn on inf - inf or 0 / 0 in slices
    whose results are replaced by their special values afterwards, as the reference does."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    return wrapper


@_quiet
def softmax(xp, x, axes, *, temperature=1.0, where=None, log=False, negate=False):
    """Softmax (log-softmax; of ``-x`` with ``negate``) of ``x / temperature`` over
    ``axes``."""
    if negate:
        x = -x
    out_dtype = x.dtype
    if nm.size(x.shape) == 0:
        return xp.zeros(x.shape, dtype=out_dtype, device=nm.device(x))
    if not axes:
        # softmax of single entries: 1 (0 in log space) unless NaN / -inf / masked
        res = softmax(xp, xp.expand_dims(x, axis=0), (0,), temperature=temperature,
                      where=None if where is None else xp.expand_dims(where, axis=0), log=log)
        return xp.squeeze(res, axis=0)
    w = work_dtype(xp, out_dtype, x)
    if w != out_dtype and where is None:
        return _softmax_wider(xp, x, axes, temperature, log, w)
    xw = xp.astype(x, w, copy=False)
    zero = nm.full(xp, 0, w, xw)
    m, q, q_lo = nm.shift(xp, xw, axes, where, temperature)
    e = xp.exp(q)
    e_lo = e * q_lo  # exp(q + q_lo) = e + e_lo to second order
    tie = q == 0
    c = nm.count(xp, tie, axes, w)
    rest, rest_lo = nm.sum2(xp, xp.where(tie, zero, e), axes, xp.where(tie, zero, e_lo))
    if log:
        lse = xp.log(c) + (xp.log1p(rest / c) + (rest_lo / c) / (1 + rest / c))
        res = (q - lse) + q_lo
    else:
        # (e + e_lo) / (s + s_lo) with s = c + rest: the quotient, its exact remainder,
        # and the low parts as a relative correction
        s, s_lo = nm.two_sum(c, rest)
        s_lo = s_lo + rest_lo
        res = e / s
        prod = res * s
        remainder = (e - prod) - nm.two_prod_err(xp, res, s, prod)
        res = res + (remainder / s + res * (q_lo - s_lo / s))
    is_inf = xw == math.inf
    if where is not None:
        is_inf = xp.logical_and(is_inf, where)
    k = nm.count(xp, is_inf, axes, w)
    res = nm.finish_softmax(xp, res, m, is_inf, k, where, log=log)
    return xp.astype(res, out_dtype)


def _known_true(xp, cond) -> bool:
    """Whether every entry of ``cond`` is known to be true; False when the values are
    not known (arrays traced by ``jax.jit`` or PyTorch's tracers), so that the general
    computation is recorded."""
    if type(cond).__module__ == "torch":
        import torch

        if torch.jit.is_tracing():  # would bake the branch taken into the trace
            return False
    try:
        return bool(xp.all(cond))
    except (TypeError, RuntimeError):  # JAX's TracerBoolConversionError; torch.fx
        return False


def _wider_pass(xp, x, axes, temperature, w):
    """The plain passes shared by the wider-dtype softmax and logsumexp: ``x`` in ``w``,
    the slice maxima ``m`` (``m0``: 0 where not finite), whether all are finite, the
    shifted ``q = (x - m0) / temperature``, its exponentials, and ``log(c + rest)`` with
    ``c`` the entries at the maximum (full relative accuracy for the dominant entry)."""
    xw = xp.astype(x, w, copy=False)
    m = xp.max(xw, axis=axes, keepdims=True)
    finite = xp.isfinite(m)
    all_finite = _known_true(xp, finite)
    m0 = m if all_finite else xp.where(finite, m, nm.full(xp, 0, w, m))
    q = xw - m0
    if temperature != 1.0:
        q = q / temperature
    e = xp.exp(q)

    def log_sum():
        tie = q == 0
        rest = xp.sum(xp.where(tie, nm.full(xp, 0, w, e), e), axis=axes, keepdims=True)
        return nm.log_normalizer(xp, nm.count(xp, tie, axes, w), rest)

    return xw, m, m0, finite, all_finite, q, e, log_sum


def _softmax_wider(xp, x, axes, temperature, log, w):
    """Softmax (log-softmax) of narrower input computed in the wider dtype ``w``: the
    plain passes are exact enough there (``x - max`` is exact or off by 2**-53 relative,
    exp and the sum lose ~1e-16 relative, twice float32's precision and more), so the
    compensated pairs, and most of their passes over memory, are not needed. Special
    values are applied only to the slices whose maximum is not finite."""
    xw, m, _, _, all_finite, q, e, log_sum = _wider_pass(xp, x, axes, temperature, w)
    res = q - log_sum() if log else e / xp.sum(e, axis=axes, keepdims=True)
    if not all_finite:
        is_inf = xw == math.inf
        res = nm.finish_softmax(xp, res, m, is_inf, nm.count(xp, is_inf, axes, w), None,
                                log=log)
    return xp.astype(res, x.dtype)


@_quiet
def logsumexp(xp, a, axes, *, b=None, where=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` over ``axes`` with SciPy's conventions."""
    if not axes:
        # no axis: a sum of one entry each, over a new axis (libraries read an empty
        # tuple of axes as all of them)
        def one(v):
            return None if v is None else xp.expand_dims(v, axis=0)
        res = logsumexp(xp, one(a), (0,), b=one(b), where=one(where), keepdims=False,
                        return_sign=return_sign)
        return res
    w = work_dtype(xp, a.dtype, a)
    if (w != a.dtype and b is None and where is None and not return_sign and axes
            and nm.size(a.shape) > 0):
        return _logsumexp_wider(xp, a, axes, keepdims, w)
    return nm.logsumexp(xp, a, axes, w, b=b, where=where, keepdims=keepdims,
                        return_sign=return_sign)


def _logsumexp_wider(xp, a, axes, keepdims, w):
    """Unweighted logsumexp of narrower input in the wider dtype ``w`` with plain passes
    (see :func:`_softmax_wider`): ``m + log(c) + log1p(rest / c)``, and the slice maximum
    itself where it is not finite (+inf, -inf for an all -inf slice, NaN)."""
    _, m, m0, finite, all_finite, _, _, log_sum = _wider_pass(xp, a, axes, 1.0, w)
    res = m0 + log_sum()
    if not all_finite:
        res = xp.where(finite, res, m)
    if not keepdims:
        res = xp.squeeze(res, axis=axes)
    return xp.astype(res, a.dtype)


@_quiet
def smooth_max(xp, x, axes, *, k=1.0, keepdims=False):
    """``logsumexp(k x) / k`` over ``axes`` without forming ``k x``."""
    return nm.smooth_max(xp, x, axes, work_dtype(xp, x.dtype, x), k=k, keepdims=keepdims)


@_quiet
def hardmax(xp, x, axes):
    """One-hot of the first maximum of each slice."""
    return nm.hardmax(xp, x, axes)


@_quiet
def std_norm(xp, x, axes, *, fname="std_norm"):
    """``x / sum(x)`` over ``axes``, checked as on NumPy (the same messages)."""
    v.std_norm_input(fname, xp, x, axes)
    return nm.std_norm(xp, x, axes, work_dtype(xp, x.dtype, x))


@_quiet
def softmax_vjp(xp, y, d, axes, *, temperature=1.0, log=False):
    """The backward of softmax (from ``y``) or log_softmax (from ``logp``)."""
    return nm.softmax_vjp(xp, y, d, axes, temperature, log=log)


@_quiet
def cross_entropy_nd(xp, z, target, ax, *, kind, weight, ignore_index, ls, reduction, where,
                     return_grad):
    """Cross-entropy of logits ``z`` with classes along ``ax`` (checked input)."""
    n_classes = z.shape[ax]
    z2 = xp.moveaxis(z, ax, -1)
    moved_shape = tuple(z2.shape)
    z2 = xp.reshape(z2, (-1, n_classes))
    m2 = None if where is None else xp.reshape(xp.moveaxis(where, ax, -1), (-1, n_classes))
    if kind == "index":
        t2 = xp.reshape(target, (-1,))
    else:
        t2 = xp.reshape(xp.moveaxis(xp.astype(target, z.dtype), ax, -1), (-1, n_classes))

    def lse_fn(wide, where):
        if where is None and wide.dtype != z.dtype:
            # narrower logits held in the wider dtype: its plain passes are exact enough
            return _logsumexp_wider(xp, wide, (1,), False, wide.dtype)
        return logsumexp(xp, wide, (1,), where=where)

    def softmax_fn(z2, where):
        return softmax(xp, z2, (1,), where=where)

    per, denom, g = nm.cross_entropy_rows(xp, z2, t2, kind=kind, weight=weight,
                                          ignore_index=ignore_index, ls=ls, where=m2,
                                          lse_fn=lse_fn, softmax_fn=softmax_fn,
                                          return_grad=return_grad)
    loss, scale = nm.reduce_loss(xp, per, reduction, denom, moved_shape[:-1])
    loss = xp.astype(loss, z.dtype)
    if not return_grad:
        return loss
    if scale != 1.0:
        g = g * scale
    if m2 is not None:
        g = xp.where(m2, g, nm.full(xp, 0, g.dtype, g))
    return loss, xp.moveaxis(xp.reshape(g, moved_shape), -1, ax)


@_quiet
def entmax(xp, x, axes, kind, *, where=None, alpha=None, n_iter=50):
    """sparsemax, entmax15 or entmax (``alpha``) of ``x`` over ``axes``."""
    return sm.entmax_nd(xp, x, axes, kind, where=where, alpha=alpha, n_iter=n_iter)


@_quiet
def entmax_vjp(xp, y, d, axes, *, alpha, alpha_grad=False):
    """The backward of the sparse maps from their output ``y`` (and of ``alpha``)."""
    return sm.entmax_vjp_nd(xp, y, d, axes, alpha, alpha_grad=alpha_grad)


@_quiet
def fenchel_young(xp, z, t, ax, **options):
    """The Fenchel–Young loss of a sparse map (and its gradient)."""
    return sm.fenchel_young_nd(xp, z, t, ax, **options)


@_quiet
def softmax_sink(xp, x, axes, sink, *, temperature=1.0, where=None, log=False):
    """Softmax (log-softmax) with a sink in each slice's normalizer (appended to it)."""
    return composite.softmax_sink(xp, functools.partial(softmax, xp), x, axes, sink,
                                  temperature=temperature, where=where, log=log)


@_quiet
def logsumexp_sink(xp, a, axes, sink, *, b=None, where=None, keepdims=False):
    """logsumexp with ``exp(sink)`` in each sum."""
    return composite.logsumexp_sink(xp, functools.partial(logsumexp, xp), a, axes, sink,
                                    b=b, where=where, keepdims=keepdims)


@_quiet
def attention(xp, x, *, scale, bias, mask, slopes, causal, sink, log=False):
    """The attention scores' softmax, composed (scores formed in ``x``'s dtype)."""
    return composite.attention(xp, functools.partial(softmax, xp), x, scale=scale, bias=bias,
                               mask=mask, slopes=slopes, causal=causal, sink=sink, log=log)


@_quiet
def logcumsumexp(xp, x, axis, reverse=False):
    """The cumulative log-sum-exp by a tree scan of ``logaddexp`` in the work dtype."""
    return st.logcumsumexp(xp, x, axis, reverse, work_dtype(xp, x.dtype, x))


@_quiet
def lse_state(xp, x, axes, where=None):
    """The log-sum-exp state over ``axes`` (``_core.streaming``) in the work dtype."""
    return st.state(xp, x, axes, where, work_dtype(xp, x.dtype, x))


@_quiet
def lse_merge(xp, a, b):
    """The merge of two states (``_core.streaming``)."""
    return st.merge(xp, a, b)
