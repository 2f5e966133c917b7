"""Operations composed from a backend's primitives, written once for every array library.

Each function takes the array namespace ``xp`` (NumPy for NumPy input) and the resolved
backend's own primitives (its ``logsumexp``, ``softmax``, ``softmax_vjp``), so the
gradient of logsumexp runs the native kernel on NumPy arrays, stays lazy on Dask and on
the device on PyTorch, with one formula. Input is validated by the API layer.
"""

from __future__ import annotations

import numpy as np

from .._core import attention as att
from .._core import numerics as nm
from .._core import streaming as st


def logsumexp_backward(xp, logsumexp, x, b, where, d, axes, shape):
    """``d * b * exp(x - lse) * sign``: the weighted softmax. ``x``, ``b`` and ``where``
    have the forward's (broadcast) shape, ``d`` the result's with keepdims (or is 0-d);
    the gradient is returned in ``shape`` (the input's)."""
    lse, sgn = logsumexp(x, axes, b=b, where=where, keepdims=True, return_sign=True)
    zero = nm.full(xp, 0, x.dtype, x)
    finite = xp.isfinite(lse)
    keep = finite if b is None else xp.logical_and(finite, b != 0)
    if where is not None:
        keep = xp.logical_and(keep, where)
    with np.errstate(invalid="ignore", over="ignore"):
        # exp(x - lse) where kept only: elsewhere x - lse may be inf - inf
        arg = xp.where(keep, x - xp.where(finite, lse, zero), zero)
        g = xp.exp(arg) if b is None else b * xp.exp(arg)
        g = g * sgn * d
        g = xp.where(keep, g, nm.full(xp, 0, g.dtype, g))
    return xp.reshape(g, shape)


def smooth_max_backward(softmax, x, d, axes, k):
    """``d * softmax(k * x)`` over ``axes``; ``d`` has the reduced shape with keepdims."""
    return softmax(x, axes, temperature=1.0 / k) * d


def softmax_temperature_grad(xp, forward, vjp, x, d, axes, temperature, log):
    """``dL/dT = -sum(g * (x - max)) / T**2`` per slice, ``g`` the gradient with respect
    to ``x / T`` (``sum(g) = 0``, so the shift changes nothing but the rounding)."""
    y = forward(x, axes, temperature=temperature, log=log)
    g = vjp(y, d, axes, temperature=1.0, log=log)
    zero = nm.full(xp, 0, x.dtype, x)
    with np.errstate(invalid="ignore"):
        m = nm.slice_max(xp, x, axes) if nm.size(x.shape) else \
            xp.zeros(tuple(1 if i in axes else s for i, s in enumerate(x.shape)),
                     dtype=x.dtype, device=nm.device(x))
        shifted = xp.where(g != 0, x - xp.where(xp.isfinite(m), m, zero), zero)
        return -xp.sum(g * shifted, axis=axes) / (temperature * temperature)


def softmax_jacobian(xp, softmax, x, axis, temperature):
    """``J[..., i, j] = p_i (delta_ij - p_j) / T`` with the softmax axis moved last."""
    p = xp.moveaxis(softmax(x, (axis,), temperature=temperature), axis, -1)
    jac = -p[..., :, None] * p[..., None, :]
    n = p.shape[-1]
    eye = xp.arange(n, device=nm.device(x))[:, None] == xp.arange(n, device=nm.device(x))
    jac = xp.where(eye, jac + p[..., :, None], jac)
    return jac / temperature if temperature != 1.0 else jac


def nll_loss(xp, lp, y, ax, *, weight, ignore_index, reduction, return_grad):
    """``-weight[y] * log_probs[y]`` per sample (checked labels), reduced as PyTorch does;
    with the gradient with respect to ``log_probs``."""
    n_classes = lp.shape[ax]
    moved = xp.moveaxis(lp, ax, -1)
    moved_shape = tuple(moved.shape)
    l2 = xp.reshape(moved, (-1, n_classes))
    yf = xp.reshape(y, (-1,))
    dev = nm.device(lp)
    counted = xp.ones(yf.shape, dtype=xp.bool, device=dev) if ignore_index is None \
        else yf != ignore_index
    ys = xp.where(counted, yf, xp.zeros_like(yf))
    onehot = xp.arange(n_classes, device=dev) == ys[:, None]
    zero = nm.full(xp, 0, lp.dtype, lp)
    wv = xp.ones((n_classes,), dtype=lp.dtype, device=dev) if weight is None else weight
    wy = xp.where(counted, xp.take(wv, ys, axis=0), zero)
    with np.errstate(invalid="ignore"):
        picked = nm.pick(xp, l2, ys)
        per = xp.where(counted, -wy * picked, zero)
    loss, scale = nm.reduce_loss(xp, per, reduction, xp.sum(wy), moved_shape[:-1])
    loss = xp.astype(loss, lp.dtype)
    if not return_grad:
        return loss
    g = xp.where(onehot, (-wy * scale)[:, None], zero)
    return loss, xp.moveaxis(xp.reshape(g, moved_shape), -1, ax)


def attention(xp, softmax, x, *, scale, bias, mask, slopes, causal, sink, log):
    """The attention scores' softmax over the last axis, composed: the scores formed
    (``_core.attention.formed``), the causal limit and ``mask`` as ``where``, the sink
    (broadcast to ``x.shape[:-1] + (1,)``) as one more entry."""
    z = att.formed(xp, x, scale=scale, bias=bias, slopes=slopes, causal=causal)
    keep = att.keep(xp, x, mask, causal)
    last = (x.ndim - 1,)
    if sink is None:
        return softmax(z, last, where=keep, log=log)
    return att.with_sink(xp, softmax, z, last, sink, keep, log=log)


def softmax_sink(xp, softmax, x, axes, sink, *, temperature, where, log):
    """Softmax (log-softmax) of ``x / temperature`` over ``axes`` with ``sink / temperature``
    in each slice's normalizer (``sink`` with the reduced axes kept as 1)."""
    return att.with_sink(xp, softmax, x, axes, sink, where, temperature=temperature, log=log)


def logsumexp_sink(xp, logsumexp, x, axes, sink, *, b, where, keepdims):
    """logsumexp over ``axes`` with ``exp(sink)`` added to each sum (weight 1)."""
    if b is not None:
        z, moved_shape, order = nm.to_last(xp, x, axes)
        bz = nm.to_last(xp, b, axes)[0]
        lead = tuple(z.shape[:-1])
        b = xp.concat([bz, xp.ones(lead + (1,), dtype=b.dtype, device=nm.device(b))], axis=-1)

        def forward(za, ax, where):
            return logsumexp(za, ax, b=b, where=where)
    else:
        def forward(za, ax, where):
            return logsumexp(za, ax, where=where)
    res = att.with_sink(xp, forward, x, axes, sink, where)
    if keepdims:
        res = xp.reshape(res, tuple(1 if i in axes else int(s) for i, s in enumerate(x.shape)))
    return res


def logcumsumexp_backward(xp, logcumsumexp, x, dy, axis, reverse):
    """The gradient of logcumsumexp from the forward run again (``_core.streaming``)."""
    y = logcumsumexp(x, axis, reverse)
    return st.logcumsumexp_vjp(xp, logcumsumexp, x, y, dy, axis, reverse)
