"""The attention scores' softmax, for any array library: forming the scores, the causal
limit, and a sink as one more entry of each slice.

The scores of a query row ``i`` of length ``S`` (keys ``j``) are
``scale * x_j + bias_j + slope * (j - q)``, formed in ``x``'s dtype (float32 for float16)
with one rounding per operation in that order, as the unfused composition and the native
kernel form them; ``q = i`` (top-left alignment, PyTorch's ``is_causal``) or
``q = i + S - L`` (bottom-right: the last query sees every key). ``causal`` removes the
keys ``j > q``. Every function takes ``xp`` first and validated input.
"""

from __future__ import annotations

import math

import numpy as np

from . import numerics as nm

#: causal argument -> the kernel's causal mode
CAUSAL = {False: 0, True: 1, "top_left": 1, "bottom_right": 2}


def query_offset(causal: int, L: int, S: int) -> int:
    """The key position of query 0: 0, or ``S - L`` bottom-right."""
    return S - L if causal == 2 else 0


def formed(xp, x, *, scale, bias, slopes, causal):
    """``x``'s scores formed as the kernel forms them (``x`` itself when there is nothing
    to form), in ``x``'s dtype. ``slopes`` has one entry per head (axis -3)."""
    if scale == 1.0 and bias is None and slopes is None:
        return x
    dt = x.dtype
    z = x * nm.full(xp, scale, dt, x)
    if bias is not None:
        z = z + xp.astype(bias, dt)
    if slopes is not None:
        L, S = x.shape[-2], x.shape[-1]
        dev = nm.device(x)
        off = query_offset(causal, L, S)
        pos = xp.arange(S, device=dev)[None, :] - (xp.arange(L, device=dev)[:, None] + off)
        z = z + xp.astype(slopes, dt)[:, None, None] * xp.astype(pos, dt)
    return z


def keep(xp, x, mask, causal: int):
    """The entries that take part: ``mask`` (True keeps) and the causal limit; None when
    every entry does."""
    if causal:
        L, S = x.shape[-2], x.shape[-1]
        dev = nm.device(x)
        q = xp.arange(L, device=dev) + query_offset(causal, L, S)
        lim = xp.arange(S, device=dev)[None, :] <= q[:, None]
        lim = xp.broadcast_to(lim, tuple(x.shape))
        return lim if mask is None else xp.logical_and(lim, mask)
    return mask


def with_sink(xp, forward, x, axes, sink, where, **options):
    """``forward`` (a backend's softmax or logsumexp over its last axis) of each slice of
    ``x`` over ``axes`` with the slice's ``sink`` as one more entry, which is not returned:
    softmax and log_softmax keep ``x``'s shape, logsumexp the slices' (reduced) shape.
    ``sink`` broadcasts to the slices' shape with the reduced axes as 1."""
    z, moved_shape, order = nm.to_last(xp, x, axes)
    lead = tuple(z.shape[:-1])
    kept = tuple(1 if i in axes else int(s) for i, s in enumerate(x.shape))
    s = xp.broadcast_to(xp.astype(sink, x.dtype), kept)
    s = xp.reshape(nm.to_last(xp, s, axes)[0], lead + (1,))
    za = xp.concat([z, s], axis=-1)
    wa = None
    if where is not None:
        w2 = nm.to_last(xp, xp.broadcast_to(where, tuple(x.shape)), axes)[0]
        wa = xp.concat([w2, xp.ones(lead + (1,), dtype=xp.bool, device=nm.device(x))], axis=-1)
    res = forward(za, (za.ndim - 1,), where=wa, **options)
    if res.ndim == za.ndim:  # per entry: drop the sink's
        return nm.from_last(xp, res[..., :-1], moved_shape, order)
    return res


def sink_grad(xp, y, dy, axes, sink_shape, *, log: bool):
    """The gradient of a sink from a softmax's output ``y`` and its upstream gradient:
    ``-p_sink * sum(dy * y)`` (log: ``-p_sink * sum(dy)`` over the live entries),
    ``p_sink = 1 - sum(p)``, summed to ``sink_shape``."""
    with np.errstate(invalid="ignore"):
        zero = nm.full(xp, 0, y.dtype, y)
        p = xp.exp(y) if log else y
        mass = xp.sum(p, axis=axes, keepdims=True)
        p_sink = 1 - mass
        p_sink = xp.where(p_sink < 0, zero, p_sink)
        live = xp.where(y > -math.inf, dy, zero) if log else dy * y
        inner = xp.sum(live, axis=axes, keepdims=True)
        g = -p_sink * inner
    reduced = tuple(int(n) for i, n in enumerate(y.shape) if i not in axes)
    return nm.unbroadcast(xp, xp.reshape(g, reduced), sink_shape)
