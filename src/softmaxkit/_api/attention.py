"""The attention scores' softmax: scale, mask, bias, causal limit, ALiBi and a sink in one
pass (validate, resolve the backend, call it)."""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike

from .._core import arrays
from .._core import attention as att
from .._core import numerics as nm
from .._core import validation as v
from .dispatch import backend_of, native_route, numpy_result
from .family import sink_input
from .gradients import _pair

__all__ = ["attention_softmax", "attention_softmax_backward", "causal_mode", "scale_value"]


def scale_value(fname: str, scale) -> float:
    """``scale`` as a finite float (the error names it otherwise)."""
    if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, numbers.Real) or \
            not math.isfinite(float(scale)):
        raise ValueError(f"{fname}: 'scale' must be a finite number, got {scale!r}")
    return float(scale)


def causal_mode(fname: str, causal) -> int:
    """``causal`` as the kernel's mode: 0 none, 1 top-left, 2 bottom-right."""
    key = bool(causal) if isinstance(causal, (bool, np.bool_)) else causal
    if not isinstance(key, (bool, str)) or key not in att.CAUSAL:
        raise ValueError(f"{fname}: 'causal' must be False, True, 'top_left' or "
                         f"'bottom_right', got {causal!r}")
    return att.CAUSAL[key]


def _broadcasts(fname: str, name: str, a, shape) -> None:
    try:
        if np.broadcast_shapes(tuple(a.shape), tuple(shape)) != tuple(shape):
            raise ValueError
    except ValueError:
        raise ValueError(f"{fname}: '{name}' of shape {tuple(a.shape)} does not broadcast to "
                         f"the scores' shape {tuple(shape)}") from None


@native_route
def attention_softmax(
    scores: ArrayLike,
    *,
    scale: float = 1.0,
    mask: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    causal: bool | str = False,
    alibi_slopes: ArrayLike | None = None,
    sink: ArrayLike | None = None,
    axis: int = -1,
    out: np.ndarray | None = None,
):
    r"""The attention weights: softmax over the keys of ``scale * scores + bias`` with
    ALiBi, a mask, a causal limit and a sink, in one pass over memory.

    For query ``i`` and key ``j`` of scores shaped ``(..., L, S)`` (PyTorch's
    ``scaled_dot_product_attention`` convention; heads, if any, on axis -3):

    ``z_ij = scale * scores_ij + bias_ij + slope_h * (j - q_i)``, then
    ``p_ij = exp(z_ij) / (exp(sink) + sum_k exp(z_ik))`` over the keys that take part.

    Parameters
    ----------
    scores : array_like
        Real scores ``q . k``, at least 1-d; float16, float32 or float64 (integers are
        promoted to float64).
    scale : float, optional
        Multiplies the scores first (``1 / sqrt(d)`` in attention). Default 1.
    mask : array_like of bool, optional
        Broadcastable to ``scores``; True keeps an entry (PyTorch's boolean
        ``attn_mask``), False removes it.
    bias : array_like, optional
        Added to the scaled scores (an additive mask or relative-position bias);
        broadcastable to ``scores``. ``-inf`` removes an entry.
    causal : bool or {'top_left', 'bottom_right'}, optional
        Remove the keys after each query without building a mask. True (or
        ``'top_left'``) is PyTorch's ``is_causal``: query ``i`` sees keys ``j <= i``.
        ``'bottom_right'`` aligns the last query with the last key (``j <= i + S - L``),
        as when decoding with a cache. Default False.
    alibi_slopes : array_like, optional
        One slope per head (axis -3 of ``scores``; a 2-d ``scores`` is one head): adds
        ``slope * (j - q_i)``, with ``q_i`` the query's key position (``i``, or
        ``i + S - L`` with ``causal='bottom_right'``).
    sink : float or array_like, optional
        A logit in each row's normalizer only (gpt-oss's learned sinks): broadcastable to
        ``scores.shape[:-1]``, e.g. ``sinks[:, None]`` for one per head of shape (H,).
    axis : int, optional
        The keys' axis: -1 (the last), the only one supported.
    out : ndarray, optional
        Where to write the weights (``scores``' shape and dtype); may be ``scores``.

    Returns
    -------
    ndarray
        The weights, of ``scores``' shape and dtype; each row sums to 1 (less with a
        sink). A row with no key left gives 0s, never NaN.

    See Also
    --------
    softmax : With ``sink=``, for any axis.

    Notes
    -----
    The scores are formed in the input's dtype (float32 for float16) with one rounding per
    operation in the order written, as the unfused composition ``scale * scores + bias +
    alibi`` forms them; the softmax of the formed scores then has the accuracy and special
    values of :func:`softmax` (a few ulps). The causal limit shortens each row, so the
    removed keys cost nothing.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> s = np.zeros((3, 3))
    >>> sk.attention_softmax(s, causal=True)
    array([[1.        , 0.        , 0.        ],
           [0.5       , 0.5       , 0.        ],
           [0.33333333, 0.33333333, 0.33333333]])
    >>> sk.attention_softmax(s, causal=True, sink=0.0)[0]
    array([0.5, 0. , 0. ])
    """
    fname = "attention_softmax"
    xp = arrays.namespace(fname, x=scores, mask=mask, bias=bias, out=out,
                          alibi_slopes=alibi_slopes if hasattr(alibi_slopes, "shape") else None,
                          sink=sink if hasattr(sink, "shape") else None)
    if xp is None:
        x = v.as_float_array(fname, scores, name="scores")
    else:
        x = arrays.as_float(fname, xp, scores, name="scores")
    if x.ndim < 1:
        raise ValueError(f"{fname}: 'scores' must have at least 1 dimension")
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)) or \
            axis not in (-1, x.ndim - 1):
        raise ValueError(f"{fname}: 'axis' must be the last axis (-1), got {axis!r}")
    s = scale_value(fname, scale)
    c = causal_mode(fname, causal)
    ns = np if xp is None else xp
    if xp is None:
        m = v.mask(fname, mask, x.shape, name="mask") if mask is not None else None
        b = v.as_float_array(fname, bias, "bias").astype(x.dtype, copy=False) \
            if bias is not None else None
        out = v.out_array(fname, out, x.shape, x.dtype)
    else:
        m = arrays.mask(fname, xp, mask, x.shape, x, name="mask") if mask is not None else None
        b = xp.astype(arrays.real_array(fname, xp, bias, "bias", like=x), x.dtype) \
            if bias is not None else None
    if b is not None:
        _broadcasts(fname, "bias", b, x.shape)
    slopes = None
    if alibi_slopes is not None:
        heads = x.shape[-3] if x.ndim >= 3 else 1
        slopes = v.as_float_array(fname, alibi_slopes, "alibi_slopes") if xp is None else \
            arrays.real_array(fname, xp, alibi_slopes, "alibi_slopes", like=x)
        if slopes.ndim > 1 or (slopes.ndim == 1 and slopes.shape[0] not in (1, heads)):
            raise ValueError(f"{fname}: 'alibi_slopes' must have one entry per head "
                             f"({heads}), got shape {tuple(slopes.shape)}")
        slopes = ns.reshape(ns.broadcast_to(ns.reshape(slopes, (-1,)), (heads,)), (heads,))
        if not bool(ns.all(ns.isfinite(slopes))):
            raise ValueError(f"{fname}: 'alibi_slopes' must be finite")
    sk_ = None if sink is None else sink_input(fname, xp, sink, x, (x.ndim - 1,))
    be = backend_of(fname, x, xp)
    if xp is None:
        return be.attention(x, scale=s, bias=b, mask=m, slopes=slopes, causal=c, sink=sk_,
                            out=out)
    res = be.attention(x, scale=s, bias=b, mask=m, slopes=slopes, causal=c, sink=sk_)
    return arrays.finish_out(fname, res, out)


@native_route
def attention_softmax_backward(
    weights: ArrayLike,
    dy: ArrayLike,
    *,
    scale: float = 1.0,
    bias: ArrayLike | None = None,
    causal: bool | str = False,
    alibi_slopes: ArrayLike | None = None,
    sink: ArrayLike | None = None,
):
    r"""Gradients through :func:`attention_softmax`, from its output ``weights``.

    With ``g = weights * (dy - sum_j dy * weights)`` (the gradient of the formed scores,
    :func:`softmax_backward`): ``d scores = scale * g``; ``d bias = g`` summed to the
    bias's shape; ``d slope_h = sum g * (j - q_i)`` over head ``h``'s entries; ``d sink =
    -p_sink * sum_j dy * weights`` with ``p_sink = 1 - sum_j weights``.

    Parameters
    ----------
    weights : array_like
        The forward's result.
    dy : array_like
        The gradient with respect to it (same shape).
    scale, bias, causal, alibi_slopes, sink
        As given to the forward (``bias``, ``alibi_slopes`` and ``sink`` for their shapes
        and to ask for their gradients; their values are not needed).

    Returns
    -------
    ndarray or tuple
        ``d scores`` alone when none of ``bias``, ``alibi_slopes`` and ``sink`` is given;
        else ``(d scores, d bias, d alibi_slopes, d sink)``, None for those not given.
        Masked and causally removed entries get 0.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> w = sk.attention_softmax(np.zeros((2, 2)), causal=True, sink=0.0)
    >>> d, _, _, ds = sk.attention_softmax_backward(w, np.ones((2, 2)), causal=True,
    ...                                             sink=0.0)
    >>> d
    array([[0.25      , 0.        ],
           [0.11111111, 0.11111111]])
    >>> ds
    np.float64(-0.4722222222222222)
    """
    fname = "attention_softmax_backward"
    y, d, xp = _pair(fname, weights, dy, ("weights", "dy"))
    if y.ndim < 1:
        raise ValueError(f"{fname}: 'weights' must have at least 1 dimension")
    ns = np if xp is None else xp
    s = scale_value(fname, scale)
    c = causal_mode(fname, causal)
    last = (y.ndim - 1,)
    g = backend_of(fname, y, xp).softmax_vjp(y, d, last, temperature=1.0, log=False)
    if bias is None and alibi_slopes is None and sink is None:
        return g * s
    d_bias = d_slopes = d_sink = None
    if bias is not None:
        shape = tuple(ns.asarray(bias).shape) if xp is None else tuple(bias.shape)
        _broadcasts(fname, "bias", np.empty(shape, dtype=bool), y.shape)
        d_bias = nm.unbroadcast(ns, g, shape)
    if alibi_slopes is not None:
        heads = y.shape[-3] if y.ndim >= 3 else 1
        shape = tuple(np.shape(alibi_slopes)) if not hasattr(alibi_slopes, "shape") \
            else tuple(alibi_slopes.shape)
        if len(shape) > 1 or (len(shape) == 1 and shape[0] not in (1, heads)):
            raise ValueError(f"{fname}: 'alibi_slopes' must have one entry per head "
                             f"({heads}), got shape {shape}")
        L, S = (y.shape[-2] if y.ndim >= 2 else 1), y.shape[-1]
        dev = None if xp is None else nm.device(y)
        off = att.query_offset(c, L, S)
        rel = ns.astype(ns.arange(S, device=dev)[None, :]
                        - (ns.arange(L, device=dev)[:, None] + off), g.dtype)
        per = ns.reshape(g * rel, tuple(y.shape))
        if y.ndim >= 3:
            per = ns.sum(per, axis=tuple(i for i in range(y.ndim) if i != y.ndim - 3))
        else:
            per = ns.reshape(ns.sum(per), (1,))
        d_slopes = nm.unbroadcast(ns, per, shape if shape else ())
    if sink is not None:
        shape = tuple(sink.shape) if hasattr(sink, "shape") else np.shape(sink)
        sink_input(fname, xp, sink, y, last)  # checks it broadcasts to the rows
        d_sink = att.sink_grad(ns, y, d, last, shape, log=False)
        if xp is None:
            d_sink = numpy_result(d_sink)
    return g * s, d_bias, d_slopes, d_sink
