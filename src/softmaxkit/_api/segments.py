"""Softmax over ragged segments (graph neural networks' edge softmax): validate the
segments, sort the entries by segment when needed, run the backend."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from .._core import arrays
from .._core import segments as seg
from .._core import validation as v
from .dispatch import backend_of, native_route

__all__ = ["segment_softmax", "segment_log_softmax", "segment_logsumexp",
           "segment_softmax_backward", "segment_log_softmax_backward"]


def _int_array(fname: str, a, name: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{fname}: '{name}' must be an integer array, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{fname}: '{name}' must be 1-d, got shape {arr.shape}")
    return arr.astype(np.int64, copy=False)


class _Segments:
    """Checked segments of ``n`` entries: CSR ``offsets`` over the entries in ``order``
    (None: as they are)."""

    def __init__(self, fname, n, offsets, segment_ids, num_segments):
        if (offsets is None) == (segment_ids is None):
            raise ValueError(f"{fname}: give exactly one of 'offsets' and 'segment_ids'")
        self.order = None
        if offsets is not None:
            if num_segments is not None:
                raise ValueError(f"{fname}: 'num_segments' goes with 'segment_ids', not "
                                 "'offsets'")
            o = _int_array(fname, offsets, "offsets")
            if o.size == 0 or o[0] != 0 or o[-1] != n or np.any(np.diff(o) < 0):
                raise ValueError(f"{fname}: 'offsets' must be non-decreasing from 0 to the "
                                 f"number of entries ({n})")
            self.offsets = o
            return
        ids = _int_array(fname, segment_ids, "segment_ids")
        if ids.size != n:
            raise ValueError(f"{fname}: 'segment_ids' has {ids.size} entries, x has {n}")
        if num_segments is not None and (isinstance(num_segments, (bool, np.bool_)) or
                                         not isinstance(num_segments, (int, np.integer)) or
                                         num_segments < 0):
            raise ValueError(f"{fname}: 'num_segments' must be an int >= 0, got "
                             f"{num_segments!r}")
        # sorted ids (the common case): their range is their ends; the offsets are the
        # running count per id (bincount: one pass; a binary search per segment took 3x)
        ordered = ids.size < 2 or not np.any(ids[1:] < ids[:-1])
        if not ordered:
            self.order = np.argsort(ids, kind="stable")
            ids = ids[self.order]
        lo, hi = (int(ids[0]), int(ids[-1])) if ids.size else (0, -1)
        if num_segments is None:
            num_segments = hi + 1
        if lo < 0 or hi >= num_segments:
            raise ValueError(f"{fname}: 'segment_ids' must lie in [0, num_segments = "
                             f"{num_segments})")
        self.offsets = np.zeros(num_segments + 1, dtype=np.int64)
        np.cumsum(np.bincount(ids, minlength=num_segments), out=self.offsets[1:])

    def sorted(self, a: np.ndarray) -> np.ndarray:
        return a if self.order is None else a[self.order]

    def unsorted(self, r: np.ndarray) -> np.ndarray:
        if self.order is None:
            return r
        back = np.empty_like(r)
        back[self.order] = r
        return back


def _input(fname, x, offsets, segment_ids, num_segments):
    xp = arrays.namespace(fname, x=x, offsets=offsets, segment_ids=segment_ids)
    if xp is not None:  # other libraries' arrays that did not take the native route
        backend_of(fname, x, xp)  # raises the TypeError of the capability table
    arr = v.as_float_array(fname, x)
    if arr.ndim < 1:
        raise ValueError(f"{fname}: 'x' must have at least 1 dimension")
    segs = _Segments(fname, arr.shape[0], offsets, segment_ids, num_segments)
    return arr, segs


def _run(fname, kind, x, offsets, segment_ids, num_segments):
    arr, segs = _input(fname, x, offsets, segment_ids, num_segments)
    x2 = segs.sorted(arr).reshape(arr.shape[0], math.prod(arr.shape[1:]))
    be = backend_of(fname, arr, None)
    res = be.segments(x2, segs.offsets, kind)
    if kind == "logsumexp":
        return res.reshape((segs.offsets.size - 1,) + arr.shape[1:])
    return segs.unsorted(res.reshape(arr.shape))


_PARAMS = """
    Parameters
    ----------
    x : array_like
        Real input, shape ``(N, ...)``: the segments run down the first axis; each
        trailing position (an attention head) is normalized on its own.
    offsets : array_like of int, optional
        CSR offsets: segment ``s`` is ``x[offsets[s]:offsets[s + 1]]``; non-decreasing
        from 0 to ``N``.
    segment_ids : array_like of int, optional
        The segment of each entry (``N`` ids in ``[0, num_segments)``), sorted or not.
        Give this or ``offsets``.
    num_segments : int, optional
        With ``segment_ids``: how many segments (default ``max(segment_ids) + 1``).
"""


@native_route
def segment_softmax(x: ArrayLike, *, offsets: ArrayLike | None = None,
                    segment_ids: ArrayLike | None = None,
                    num_segments: int | None = None) -> np.ndarray:
    """Softmax within each segment of ``x``'s first axis (PyG's ``utils.softmax``,
    ``torch_scatter.scatter_softmax``).
    {params}
    Returns
    -------
    ndarray
        ``x``'s shape: each segment's entries sum to 1. Empty segments are allowed;
        special values are :func:`softmax`'s within each segment (a segment of
        ``-inf`` gives 0s).

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.segment_softmax([1.0, 2.0, 0.0, 5.0], segment_ids=[0, 0, 1, 0])
    array([0.01714783, 0.04661262, 1.        , 0.93623955])
    >>> sk.segment_softmax([0.0, 0.0, 3.0], offsets=[0, 2, 2, 3])
    array([0.5, 0.5, 1. ])
    """
    return _run("segment_softmax", "softmax", x, offsets, segment_ids, num_segments)


@native_route
def segment_log_softmax(x: ArrayLike, *, offsets: ArrayLike | None = None,
                        segment_ids: ArrayLike | None = None,
                        num_segments: int | None = None) -> np.ndarray:
    """Log-softmax within each segment of ``x``'s first axis.
    {params}
    Returns
    -------
    ndarray
        ``x``'s shape (:func:`log_softmax`'s accuracy and special values per segment).

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.segment_log_softmax([0.0, 0.0, 3.0], offsets=[0, 2, 3])
    array([-0.69314718, -0.69314718,  0.        ])
    """
    return _run("segment_log_softmax", "log_softmax", x, offsets, segment_ids, num_segments)


@native_route
def segment_logsumexp(x: ArrayLike, *, offsets: ArrayLike | None = None,
                      segment_ids: ArrayLike | None = None,
                      num_segments: int | None = None) -> np.ndarray:
    """Log-sum-exp of each segment of ``x``'s first axis.
    {params}
    Returns
    -------
    ndarray
        Shape ``(num_segments, ...)``; ``-inf`` for an empty segment.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.segment_logsumexp([0.0, 0.0, 3.0], offsets=[0, 2, 2, 3])
    array([0.69314718,       -inf, 3.        ])
    """
    return _run("segment_logsumexp", "logsumexp", x, offsets, segment_ids, num_segments)


def _backward(fname, y, dy, offsets, segment_ids, num_segments, *, log):
    arr, segs = _input(fname, y, offsets, segment_ids, num_segments)
    d = v.as_float_array(fname, dy, "dy").astype(arr.dtype, copy=False)
    if d.shape != arr.shape:
        raise ValueError(f"{fname}: 'dy' has shape {d.shape}, expected {arr.shape}")
    ys = segs.sorted(arr).reshape(arr.shape[0], math.prod(arr.shape[1:]))
    ds = segs.sorted(d).reshape(arr.shape[0], math.prod(arr.shape[1:]))
    lens = np.diff(segs.offsets)
    where = np.repeat(np.arange(lens.size), lens)
    with np.errstate(invalid="ignore", over="ignore"):
        if log:
            p = np.exp(ys)
            g = ds - p * seg.segment_sums(ds, segs.offsets)[where]
            g = np.where(ys == -np.inf, 0, g)
        else:
            g = ys * (ds - seg.segment_sums(ds * ys, segs.offsets)[where])
    return segs.unsorted(g.reshape(arr.shape).astype(arr.dtype, copy=False))


@native_route
def segment_softmax_backward(y: ArrayLike, dy: ArrayLike, *, offsets: ArrayLike | None = None,
                             segment_ids: ArrayLike | None = None,
                             num_segments: int | None = None) -> np.ndarray:
    """Gradient through :func:`segment_softmax` from its output ``y``:
    ``y * (dy - sum_segment(dy * y))``.

    Parameters
    ----------
    y, dy : array_like
        The forward output and the gradient with respect to it (one shape).
    offsets, segment_ids, num_segments
        As given to the forward.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.segment_softmax_backward([0.5, 0.5, 1.0], [1.0, 0.0, 2.0], offsets=[0, 2, 3])
    array([ 0.25, -0.25,  0.  ])
    """
    return _backward("segment_softmax_backward", y, dy, offsets, segment_ids, num_segments,
                     log=False)


@native_route
def segment_log_softmax_backward(logp: ArrayLike, dy: ArrayLike, *,
                                 offsets: ArrayLike | None = None,
                                 segment_ids: ArrayLike | None = None,
                                 num_segments: int | None = None) -> np.ndarray:
    """Gradient through :func:`segment_log_softmax` from its output:
    ``dy - exp(logp) * sum_segment(dy)``.

    Parameters
    ----------
    logp, dy : array_like
        The forward output and the gradient with respect to it (one shape).
    offsets, segment_ids, num_segments
        As given to the forward.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> sk.segment_log_softmax_backward(np.log([0.5, 0.5]), [1.0, 0.0], offsets=[0, 2])
    array([ 0.5, -0.5])
    """
    return _backward("segment_log_softmax_backward", logp, dy, offsets, segment_ids,
                     num_segments, log=True)


for _f in (segment_softmax, segment_log_softmax, segment_logsumexp):
    _f.__doc__ = _f.__doc__.replace("{params}", _PARAMS)
