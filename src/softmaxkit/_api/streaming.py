"""Log-sum-exp that streams: mergeable states (online softmax, split-KV attention), the
merge of partial softmax-weighted results, and the cumulative log-sum-exp."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._backends import composite
from .._core import arrays
from .._core import numerics as nm
from .._core import streaming as st
from .._core import validation as v
from .._core.streaming import LSEState
from .dispatch import backend_of, native_route, numpy_result
from .family import Axis

__all__ = ["LSEState", "lse_state", "lse_merge", "lse_finalize", "softmax_merge",
           "logcumsumexp", "logcumsumexp_backward"]


def lse_state(x: ArrayLike, axis: Axis = -1, *, where: ArrayLike | None = None) -> LSEState:
    r"""The mergeable log-sum-exp state of ``x`` over ``axis``: ``(max, sum, sum_lo)``.

    The state of Milakov & Gimelshein's online normalizer: the maximum ``m`` and
    ``sum(exp(x - m))`` as a double word. States of parts of a slice merge with
    :func:`lse_merge` into the state of the whole, in any order and grouping, and
    :func:`lse_finalize` turns a state into the log-sum-exp, so a reduction split over
    chunks, threads or machines gives what one pass gives.

    Parameters
    ----------
    x : array_like
        Real input (any array library).
    axis : int, tuple of ints or None, optional
        The axes reduced away. Default -1.
    where : array_like of bool, optional
        Broadcastable to ``x``; False entries take no part.

    Returns
    -------
    LSEState
        A named tuple of arrays of the reduced shape: ``max`` in ``x``'s dtype, ``sum``
        and ``sum_lo`` in float64 (the input's dtype for libraries without it).

    See Also
    --------
    lse_merge, lse_finalize, softmax_merge, logsumexp

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> x = np.array([1.0, 2.0, 3.0, 4.0])
    >>> a, b = sk.lse_state(x[:1]), sk.lse_state(x[1:])
    >>> float(sk.lse_finalize(sk.lse_merge(b, a))) == float(sk.logsumexp(x))
    True
    """
    fname = "lse_state"
    xp = arrays.namespace(fname, x=x, where=where)
    if xp is None:
        arr = v.as_float_array(fname, x)
        axes = v.axes_tuple(fname, axis, arr.ndim)
        mask = v.mask(fname, where, arr.shape)
    else:
        arr = arrays.as_float(fname, xp, x)
        axes = v.axes_tuple(fname, axis, arr.ndim)
        mask = arrays.mask(fname, xp, where, arr.shape, arr)
    return backend_of(fname, arr, xp).lse_state(arr, axes, mask)


def _check_state(fname: str, s: Any, name: str) -> LSEState:
    if not isinstance(s, LSEState):
        raise TypeError(f"{fname}: '{name}' must be an LSEState (from lse_state), got "
                        f"{type(s).__name__}")
    return s


def _namespace_of(fname: str, s: LSEState):
    return arrays.namespace(fname, max=s.max, sum=s.sum, sum_lo=s.sum_lo)


def lse_merge(a: LSEState, b: LSEState, *more: LSEState) -> LSEState:
    r"""The state of the union of the entries of two (or more) :func:`lse_state` states.

    ``m = max(m_a, m_b)``, ``s = s_a * exp(m_a - m) + s_b * exp(m_b - m)``, with the
    products and the sum carried as double words: associative and commutative up to the
    rounding of ``exp`` (about an ulp of the work dtype per merge, far below the
    input's ulp for float32). Special values: a state with nothing in it (``max`` is
    ``-inf``) changes nothing; ``+inf`` entries' counts add; NaN stays NaN. The states'
    shapes broadcast.

    Parameters
    ----------
    a, b : LSEState
        The states to merge, of the same dtype.
    *more : LSEState
        Further states, merged in order.

    Returns
    -------
    LSEState
        The state of all their entries together.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> x = np.linspace(-5, 5, 12).reshape(3, 4)
    >>> parts = [sk.lse_state(x[:, i:i + 2], axis=1) for i in (0, 2)]
    >>> np.allclose(sk.lse_finalize(sk.lse_merge(*parts)), sk.logsumexp(x, axis=1))
    True
    """
    fname = "lse_merge"
    states = [_check_state(fname, s, n) for s, n in
              zip((a, b) + more, ["a", "b"] + [f"more[{i}]" for i in range(len(more))])]
    xp = _namespace_of(fname, states[0])
    for s in states[1:]:
        if s.max.dtype != states[0].max.dtype or s.sum.dtype != states[0].sum.dtype:
            raise TypeError(f"{fname}: states of different dtypes ({states[0].max.dtype} "
                            f"and {s.max.dtype})")
    be = backend_of(fname, states[0].max, xp)
    res = states[0]
    for s in states[1:]:
        res = be.lse_merge(res, s)
    return res


def lse_finalize(state: LSEState) -> Any:
    r"""The log-sum-exp a :func:`lse_state` (or merged state) stands for:
    ``max + log(sum + sum_lo)``, rounded once to ``max``'s dtype.

    Parameters
    ----------
    state : LSEState
        From :func:`lse_state` or :func:`lse_merge`.

    Returns
    -------
    ndarray or scalar
        ``-inf`` for a state with nothing in it, ``+inf`` with ``+inf`` entries, NaN
        with a NaN.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> float(sk.lse_finalize(sk.lse_state([0.0, 0.0])))  # log(2)
    0.6931471805599453
    """
    fname = "lse_finalize"
    s = _check_state(fname, state, "state")
    xp = _namespace_of(fname, s)
    res = st.finalize(xp or np, s)
    return numpy_result(res) if xp is None else res


def softmax_merge(partials: Sequence[tuple[Any, LSEState]]) -> tuple[Any, LSEState]:
    r"""Combine softmax-weighted results computed on parts of each row (split-KV,
    flash-decoding attention) into the result over the whole row.

    Part ``k`` gives ``out_k = sum_j softmax(x^(k))_j v_j`` (normalized within the part)
    and the part's :func:`lse_state`; the whole row's result is
    ``sum_k out_k * exp(lse_k - lse)``, with ``lse`` that of the merged states.

    Parameters
    ----------
    partials : sequence of (array, LSEState)
        Each part's result and state. A result has the state's shape followed by any
        trailing value dimensions (``(..., L, D)`` against states of ``(..., L)``).

    Returns
    -------
    out : ndarray
        The merged result, in the results' dtype.
    state : LSEState
        The merged state (the whole row's).

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> rng = np.random.default_rng(0)
    >>> s, v = rng.normal(size=(2, 8)), rng.normal(size=(8, 3))
    >>> parts = [(sk.softmax(s[:, k:k + 4]) @ v[k:k + 4], sk.lse_state(s[:, k:k + 4]))
    ...          for k in (0, 4)]
    >>> out, _ = sk.softmax_merge(parts)
    >>> np.allclose(out, sk.softmax(s) @ v)
    True
    """
    fname = "softmax_merge"
    items = list(partials)
    if not items:
        raise ValueError(f"{fname}: 'partials' is empty")
    outs, states = [], []
    for i, item in enumerate(items):
        if not isinstance(item, tuple) or len(item) != 2:
            raise TypeError(f"{fname}: partials[{i}] must be a pair (out, LSEState)")
        states.append(_check_state(fname, item[1], f"partials[{i}][1]"))
        outs.append(item[0])
    xp = _namespace_of(fname, states[0])
    be = backend_of(fname, states[0].max, xp)
    total = states[0]
    for s in states[1:]:
        total = be.lse_merge(total, s)
    xp = xp or np
    res = None
    for i, (o, s) in enumerate(zip(outs, states)):
        o = xp.asarray(o) if xp is np else o
        lead = tuple(s.max.shape)
        if tuple(o.shape[:len(lead)]) != lead:
            raise ValueError(f"{fname}: partials[{i}]'s result of shape {tuple(o.shape)} does "
                             f"not start with its state's shape {lead}")
        w = st.weights(xp, s, total)
        w = xp.reshape(w, lead + (1,) * (o.ndim - len(lead)))
        with np.errstate(invalid="ignore"):
            term = xp.astype(o, w.dtype) * w
            term = xp.where(w == 0, nm.full(xp, 0, w.dtype, w), term)
        res = term if res is None else res + term
    return xp.astype(res, outs[0].dtype if hasattr(outs[0], "dtype") else res.dtype), total


@native_route
def logcumsumexp(
    x: ArrayLike,
    axis: int = -1,
    *,
    reverse: bool = False,
    out: np.ndarray | None = None,
    dtype: DTypeLike | None = None,
) -> np.ndarray:
    r"""The cumulative log-sum-exp: ``y_k = log(sum_{j <= k} exp(x_j))`` along ``axis``.

    The scan of HMMs' forward algorithm, CTC and survival models, without overflow,
    underflow or the rounding a chain of ``logaddexp`` steps accumulates.

    Parameters
    ----------
    x : array_like
        Real input.
    axis : int, optional
        The axis scanned. Default -1.
    reverse : bool, optional
        Scan from the end: ``y_k = log(sum_{j >= k} exp(x_j))``.
    out : ndarray, optional
        Where to write the result (``x``'s shape and the result's dtype); may be ``x``.
    dtype : dtype, optional
        Cast ``x`` to this floating dtype first, compute and return in it.

    Returns
    -------
    ndarray
        ``x``'s shape.

    See Also
    --------
    logsumexp, logcumsumexp_backward

    Notes
    -----
    The running sum is held relative to a reference that moves up only when an entry
    exceeds it by more than 1, as a double word with each term's rounding error carried,
    so the result stays within a few ulps of the exact value over axes of millions of
    entries with any dynamic range (a chain of ``numpy.logaddexp`` or
    ``torch.logcumsumexp`` drifts there). Special values: ``-inf`` entries add nothing
    (a prefix of ``-inf`` only gives ``-inf``); ``+inf`` gives ``+inf`` from there on;
    NaN gives NaN from there on.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> sk.logcumsumexp(np.log([1.0, 2.0, 3.0]))  # log([1, 3, 6])
    array([0.        , 1.09861229, 1.79175947])
    >>> sk.logcumsumexp([0.0, -np.inf, 0.0], reverse=True)  # log([2, 1, 1])
    array([0.69314718, 0.        , 0.        ])
    """
    fname = "logcumsumexp"
    reverse = v.flag(fname, reverse, "reverse")
    xp = arrays.namespace(fname, x=x, out=out)
    if xp is None:
        arr = v.as_float_array(fname, x, dtype=v.float_dtype(fname, dtype))
        ax = _axis(fname, axis, arr.ndim)
        out = v.out_array(fname, out, arr.shape, arr.dtype)
    else:
        arr = arrays.as_float(fname, xp, x, dtype=dtype)
        ax = _axis(fname, axis, arr.ndim)
    be = backend_of(fname, arr, xp)
    if xp is None:
        return be.logcumsumexp(arr, ax, reverse, out=out)
    return arrays.finish_out(fname, be.logcumsumexp(arr, ax, reverse), out)


def _axis(fname: str, axis, ndim: int) -> int:
    if isinstance(axis, (tuple, list)) or axis is None:
        raise ValueError(f"{fname}: 'axis' must be one int, got {axis!r}")
    if ndim == 0:
        raise ValueError(f"{fname}: 'x' must have at least 1 dimension")
    return v.axes_tuple(fname, axis, ndim)[0]


@native_route
def logcumsumexp_backward(x: ArrayLike, dy: ArrayLike, axis: int = -1, *,
                          reverse: bool = False) -> np.ndarray:
    r"""Gradient through ``logcumsumexp(x, axis, reverse=reverse)``.

    ``dx_j = sum_{k >= j} dy_k * exp(x_j - y_k)`` (``k <= j`` with ``reverse``), summed
    in log space by the reverse scan of ``dy``'s positive and negative parts, so nothing
    overflows.

    Parameters
    ----------
    x : array_like
        The forward input.
    dy : array_like
        The gradient with respect to the forward result (``x``'s shape).
    axis, reverse
        As given to the forward.

    Returns
    -------
    ndarray
        ``x``'s shape; 0 at ``-inf`` entries; NaN wherever a NaN lies in the entries
        that depend on it.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> sk.logcumsumexp_backward([0.0, 0.0], [0.0, 1.0])  # the last sum's softmax
    array([0.5, 0.5])
    """
    fname = "logcumsumexp_backward"
    reverse = v.flag(fname, reverse, "reverse")
    xp = arrays.namespace(fname, x=x, dy=dy)
    if xp is None:
        arr = v.as_float_array(fname, x)
        d = v.as_float_array(fname, dy, "dy").astype(arr.dtype, copy=False)
    else:
        arr = arrays.as_float(fname, xp, x)
        d = xp.astype(arrays.real_array(fname, xp, dy, "dy", like=arr), arr.dtype)
    if tuple(d.shape) != tuple(arr.shape):
        raise ValueError(f"{fname}: 'dy' has shape {tuple(d.shape)}, expected "
                         f"{tuple(arr.shape)}")
    ax = _axis(fname, axis, arr.ndim)
    be = backend_of(fname, arr, xp)
    return composite.logcumsumexp_backward(xp or np, be.logcumsumexp, arr, d, ax, reverse)
