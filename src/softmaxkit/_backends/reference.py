"""The NumPy reference: slow, obviously correct, and the oracle of the native kernels.

It is the fallback for inputs no native kernel takes (``set_backend("numpy")`` selects it
everywhere) and what the kernels are tested against. Every function takes *validated*
NumPy input (see ``_api``): a floating array, distinct non-negative axes, a mask broadcast
to the input's shape or None, a finite temperature > 0.

The numerics are :mod:`.._core.numerics` with ``xp = numpy``, in a wider work dtype:
float16 and float32 in float64; float64 in the platform's long double when it carries at
least 64 bits of mantissa (x86-64, and quad precision on aarch64 Linux). Where long
double is only float64, float64 results lose the last bit or so; the native kernels do
not depend on this.
"""

from __future__ import annotations

import numpy as np

from .._core import numerics as nm
from .._core import sampling as smp
from .._core import segments as seg
from .._core import sparsemaps as sm
from .._core import streaming as st
from .._core import validation as v
from .._core.numerics import work_dtype
from . import composite

__all__ = ["softmax", "logsumexp", "smooth_max", "hardmax", "std_norm", "softmax_vjp",
           "cross_entropy", "work_dtype", "entmax", "entmax_vjp", "fenchel_young",
           "attention", "softmax_sink", "logsumexp_sink", "segments", "logcumsumexp",
           "lse_state", "lse_merge", "categorical"]


def _finish(res: np.ndarray, out: np.ndarray | None):
    if out is not None:
        np.copyto(out, res)
        return out
    return res


def softmax(x, axes, *, temperature=1.0, where=None, log=False, negate=False, out=None):
    """Softmax (log-softmax) of ``x / temperature`` (of ``-x`` with ``negate``) over
    ``axes``, in ``x``'s dtype and shape; written to ``out`` when given."""
    if negate:
        x = -x
    out_dtype = x.dtype
    w = work_dtype(out_dtype)
    xw = x.astype(w)
    with np.errstate(all="ignore"):  # inf - inf and 0 * inf in slices overwritten below
        m, q, q_lo = nm.shift(np, xw, axes, where, temperature)
        e = nm.terms(np, q, q_lo)
        tie = q == 0
        c = np.sum(tie, axis=axes, keepdims=True).astype(w)
        rest = np.sum(np.where(tie, 0, e), axis=axes, keepdims=True)
        if log:
            res = (q - nm.log_normalizer(np, c, rest)) + q_lo
        else:
            res = e / (c + rest)
        is_inf = xw == np.inf
        if where is not None:
            is_inf &= where
        k = np.sum(is_inf, axis=axes, keepdims=True).astype(w)
        res = nm.finish_softmax(np, res, m, is_inf, k, where, log=log)
        # a log-probability beyond the dtype's range is -inf, rounded correctly
        return _finish(res.astype(out_dtype), out)


def logsumexp(a, axes, *, b=None, where=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` over ``axes`` with SciPy's conventions."""
    with np.errstate(all="ignore"):
        return nm.logsumexp(np, a, axes, work_dtype(a.dtype), b=b, where=where,
                            keepdims=keepdims, return_sign=return_sign)


def smooth_max(x, axes, *, k=1.0, keepdims=False):
    """``logsumexp(k * x) / k`` over ``axes``, never forming ``k * x``."""
    with np.errstate(all="ignore"):
        return nm.smooth_max(np, x, axes, work_dtype(x.dtype), k=k, keepdims=keepdims)


def hardmax(x, axes):
    """One-hot of the first maximum of each slice; NaN slices NaN, all -inf slices 0."""
    return nm.hardmax(np, x, axes)


def std_norm(x, axes, *, fname="std_norm"):
    """``x / sum(x)`` over ``axes``; the input is checked first (finite, >= 0, no zero
    sum), naming the first offending slice."""
    v.std_norm_input(fname, np, x, axes)
    with np.errstate(over="ignore"):  # a sum beyond the work dtype's range gives 0s
        return nm.std_norm(np, x, axes, work_dtype(x.dtype))


def softmax_vjp(y, d, axes, *, temperature=1.0, log=False):
    """The backward of softmax (from ``y``) or log_softmax (from ``logp``)."""
    with np.errstate(invalid="ignore"):
        return nm.softmax_vjp(np, y, d, axes, temperature, log=log)


def _row_lse(wide, where):
    return logsumexp(wide, (1,), where=where)


def _row_softmax(z2, where):
    return softmax(z2, (1,), where=where)


def cross_entropy(z2, target, *, kind, weight, ignore_index, ls, where, return_grad,
                  lse_fn=_row_lse, softmax_fn=_row_softmax):
    """Cross-entropy of rows ``z2`` (rows, C): (per-sample losses, the "mean" denominator,
    the gradient of their sum or None). See :func:`.._core.numerics.cross_entropy_rows`."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return nm.cross_entropy_rows(np, z2, target, kind=kind, weight=weight,
                                     ignore_index=ignore_index, ls=ls, where=where,
                                     lse_fn=lse_fn, softmax_fn=softmax_fn,
                                     return_grad=return_grad)


def class_last(a, axis):
    """``a`` with ``axis`` moved last (``a`` itself when it is last already: moveaxis
    costs microseconds, a tenth of a small loss call)."""
    return a if axis == a.ndim - 1 else np.moveaxis(a, axis, -1)


def class_back(a, axis):
    """Undo :func:`class_last`."""
    return a if axis == a.ndim - 1 else np.moveaxis(a, -1, axis)


def to_rows(a, axis):
    """(rows, C) view or copy of ``a`` with the class axis last, and the moved shape."""
    moved = class_last(a, axis)
    return moved.reshape(-1, moved.shape[-1]), moved.shape


def finish_loss(per, reduction, denom, dtype, shape):
    """(loss in ``dtype``: an array for "none", else a scalar; the gradient's scale)."""
    loss, scale = nm.reduce_loss(np, per, reduction, denom, shape)
    if reduction == "none":
        return loss.astype(dtype, copy=False), scale
    return dtype.type(loss), scale


def cross_entropy_nd(z, target, ax, *, kind, weight, ignore_index, ls, reduction, where,
                     return_grad, grad_out, lse_fn=_row_lse, softmax_fn=_row_softmax):
    """Cross-entropy of logits ``z`` with classes along ``ax`` (checked targets and
    options); the gradient, if asked, is written to ``grad_out`` when given (it may be
    ``z`` itself: it is written after everything that reads the logits)."""
    z2, moved_shape = to_rows(z, ax)
    m2 = None if where is None else to_rows(where, ax)[0]
    if kind == "index":
        t2 = target.reshape(-1)
    else:
        t2 = to_rows(target.astype(z.dtype, copy=False), ax)[0]
    per, denom, g = cross_entropy(z2, t2, kind=kind, weight=weight, ignore_index=ignore_index,
                                  ls=ls, where=m2, return_grad=return_grad, lse_fn=lse_fn,
                                  softmax_fn=softmax_fn)
    loss, scale = finish_loss(per, reduction, denom, z.dtype, moved_shape[:-1])
    if not return_grad:
        return loss
    with np.errstate(invalid="ignore"):
        if scale != 1.0:
            g *= scale
        if m2 is not None:
            g[~m2] = 0
    if grad_out is not None:
        np.copyto(class_last(grad_out, ax), g.reshape(moved_shape))
        return loss, grad_out
    return loss, class_back(g.reshape(moved_shape), ax)


def linear_cross_entropy(x, w, b, y, *, kind, chunk, weight, ignore_index, ls, reduction,
                         return_grad, ce=cross_entropy_nd):
    """Cross-entropy of ``x @ w.T + b`` (x: N x D, w: C x D; y: N checked int64 labels, or
    N x C probabilities)
    ``chunk`` rows at a time, never forming all the logits: each chunk's logits are turned
    into their gradient in place by ``ce`` (a backend's :func:`cross_entropy_nd`) and
    folded into the gradients of ``x``, ``w`` and ``b``."""
    n, c = x.shape[0], w.shape[0]
    dt = x.dtype
    # The "mean" divisor covers all rows: each chunk is reduced as a sum, scaled at the end.
    if kind == "index":
        counted = np.ones(n, bool) if ignore_index is None else y != ignore_index
        wy = np.where(counted, 1.0 if weight is None else weight[np.where(counted, y, 0)], 0.0)
        denom = float(np.sum(wy))
    else:  # probabilities: the mean is over the samples, as PyTorch's
        denom = float(n)
    per_sample = np.empty(n, dtype=dt) if reduction == "none" else None
    total = 0.0
    dx = np.empty_like(x) if return_grad else None
    dw = np.zeros_like(w) if return_grad else None
    db = np.zeros(c, dtype=dt) if return_grad and b is not None else None
    logits = np.empty((min(chunk, n), c), dtype=dt)
    # dW += G^T X, a block of classes at a time: numpy's matmul cannot accumulate into its
    # output, and a C x D temporary would double the memory of dW.
    cblock = max(1, (8 << 20) // max(1, x.shape[1] * dt.itemsize))
    dw_tmp = np.empty((min(cblock, c), x.shape[1]), dtype=dt) if return_grad else None
    for a in range(0, n, chunk):
        z = logits[: min(chunk, n - a)]
        np.matmul(x[a:a + chunk], w.T, out=z)
        if b is not None:
            z += b
        red = "none" if reduction == "none" else "sum"
        opts = dict(kind=kind, weight=weight, ignore_index=ignore_index, ls=ls,
                    reduction=red, where=None, return_grad=return_grad,
                    grad_out=z if return_grad else None)
        if return_grad:
            loss_c, g = ce(z, y[a:a + chunk], 1, **opts)
            np.matmul(g, w, out=dx[a:a + chunk])
            for c0 in range(0, c, cblock):
                t = dw_tmp[: min(cblock, c - c0)]
                np.matmul(g[:, c0:c0 + cblock].T, x[a:a + chunk], out=t)
                dw[c0:c0 + cblock] += t
            if db is not None:
                db += g.sum(axis=0)
        else:
            loss_c = ce(z, y[a:a + chunk], 1, **opts)
        if per_sample is not None:
            per_sample[a:a + chunk] = loss_c
        else:
            total += float(loss_c)
    if reduction == "none":
        loss, scale = per_sample, 1.0
    else:
        loss, scale = finish_loss(np.array([total]), reduction, denom, dt, ())
    if not return_grad:
        return loss
    if scale != 1.0:
        dx *= scale
        dw *= scale
        if db is not None:
            db *= scale
    return loss, (dx, dw, db)


def entmax(x, axes, kind, *, where=None, alpha=None, n_iter=50, out=None):
    """sparsemax, entmax15 or entmax (``alpha``) of ``x`` over ``axes``; see
    :mod:`.._core.sparsemaps`."""
    with np.errstate(all="ignore"):  # slices replaced by their special values
        return _finish(sm.entmax_nd(np, x, axes, kind, where=where, alpha=alpha,
                                    n_iter=n_iter), out)


def entmax_vjp(y, d, axes, *, alpha, alpha_grad=False):
    """The backward of the sparse maps from their output ``y`` (and of ``alpha``)."""
    with np.errstate(all="ignore"):
        return sm.entmax_vjp_nd(np, y, d, axes, alpha, alpha_grad=alpha_grad)


def fenchel_young(z, t, ax, **options):
    """The Fenchel–Young loss of a sparse map (and its gradient); see
    :func:`.._core.sparsemaps.fenchel_young_nd`."""
    with np.errstate(all="ignore"):
        return sm.fenchel_young_nd(np, z, t, ax, **options)


def attention(x, *, scale, bias, mask, slopes, causal, sink, log=False, out=None):
    """The attention scores' softmax (see :func:`.composite.attention`); float16 scores
    are formed in float32, as the kernel forms them."""
    xk = x.astype(np.float32) if x.dtype == np.float16 else x
    with np.errstate(all="ignore"):
        res = composite.attention(np, softmax, xk, scale=scale, bias=bias, mask=mask,
                                  slopes=slopes, causal=causal, sink=sink, log=log)
    return _finish(res.astype(x.dtype, copy=False), out)


def softmax_sink(x, axes, sink, *, temperature=1.0, where=None, log=False, out=None):
    """Softmax (log-softmax) with a sink in each slice's normalizer."""
    res = composite.softmax_sink(np, softmax, x, axes, sink, temperature=temperature,
                                 where=where, log=log)
    return _finish(res, out)


def logsumexp_sink(a, axes, sink, *, b=None, where=None, keepdims=False):
    """logsumexp with ``exp(sink)`` in each sum."""
    return composite.logsumexp_sink(np, logsumexp, a, axes, sink, b=b, where=where,
                                    keepdims=keepdims)


def segments(x, offsets, kind):
    """softmax, log_softmax or logsumexp of the CSR segments of ``x``'s first axis."""
    return seg.segments(x, offsets, kind)


def logcumsumexp(x, axis, reverse=False, out=None):
    """The cumulative log-sum-exp along ``axis`` by a tree scan in the work dtype."""
    return _finish(st.logcumsumexp(np, x, axis, reverse, work_dtype(x.dtype)), out)


def lse_state(x, axes, where=None):
    """The log-sum-exp state over ``axes`` (``_core.streaming``), summed in float64 as a
    double word."""
    work = np.float64 if x.dtype.itemsize <= 8 else x.dtype
    return st.state(np, x, axes, where, work)


def lse_merge(a, b):
    """The merge of two states (``_core.streaming``)."""
    return st.merge(np, a, b)


def categorical(rows, *, temperature, top_k, top_p, min_p, u):
    """Draws from the softmax of each row of ``rows`` (R, n) after the filters, one per
    uniform of ``u`` (R, ns) (``_core.sampling``); -1 for a row with a NaN, -2 for one
    with nothing to draw."""
    p = softmax(rows, (1,), temperature=temperature)
    out = smp.draw(p, smp.thresholds(p, top_k, top_p, min_p), u)
    out[np.isnan(p).any(axis=1)] = -1
    return out
