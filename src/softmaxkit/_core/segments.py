"""Softmax over ragged segments of an array's first axis, in NumPy: the reference of the
native segment kernel.

Segments are given as CSR offsets over entries sorted by segment (``_api`` sorts entries
given by unsorted ids). ``x`` has shape ``(N, K)``: the segments run down the first axis,
each of the ``K`` columns on its own (PyG's multi-head edge scores). The work is done in
the reference's wider dtype with ``ufunc.reduceat``; the special values are softmax's.
"""

from __future__ import annotations

import numpy as np

from .numerics import work_dtype


def _reduce(ufunc, a, offsets, empty):
    """``ufunc.reduceat`` per segment with ``empty`` for segments with no entries (for
    which ``reduceat`` would return the next entry)."""
    lens = np.diff(offsets)
    out = np.full((lens.size,) + a.shape[1:], empty, dtype=a.dtype)
    live = lens > 0
    if live.any():
        out[live] = ufunc.reduceat(a, offsets[:-1][live], axis=0)
    return out


def segments(x: np.ndarray, offsets: np.ndarray, kind: str) -> np.ndarray:
    """softmax, log_softmax (``x``'s shape) or logsumexp (one row per segment) of the
    segments ``x[offsets[s]:offsets[s + 1]]``."""
    w = work_dtype(x.dtype)
    xw = x.astype(w)
    lens = np.diff(offsets)
    seg = np.repeat(np.arange(lens.size), lens)
    with np.errstate(all="ignore"):
        m = _reduce(np.maximum, xw, offsets, -np.inf)
        mf = np.where(np.isfinite(m), m, 0)
        q = xw - mf[seg]
        e = np.exp(q)
        tie = (q == 0) & np.isfinite(m[seg])
        c = _reduce(np.add, tie.astype(w), offsets, 0)
        rest = _reduce(np.add, np.where(tie, 0, e), offsets, 0)
        is_inf = xw == np.inf
        k = _reduce(np.add, is_inf.astype(w), offsets, 0)
        lognorm = np.log(c) + np.log1p(rest / c)
        if kind == "logsumexp":
            res = np.where(np.isfinite(m), m + lognorm, m)
            return res.astype(x.dtype)
        ms = m[seg]
        if kind == "log_softmax":
            res = q - lognorm[seg]
            inf_res = np.where(is_inf, -np.log(k[seg]), -np.inf)
            empty = -np.inf
        else:
            res = e / (c + rest)[seg]
            inf_res = np.where(is_inf, 1 / k[seg], 0)
            empty = 0
        res = np.where(ms == np.inf, inf_res, res)
        res = np.where(ms == -np.inf, empty, res)
        res = np.where(np.isnan(ms), np.nan, res)
    return res.astype(x.dtype)


def segment_sums(a: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The sum of each segment (0 for an empty one), in ``a``'s dtype."""
    return _reduce(np.add, a, offsets, 0)
