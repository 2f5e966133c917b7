"""The sampling filters and the inverse-CDF draw in NumPy: the reference of the native
kernel (``kernels_sample.inc``, [Note: sampling by inverse CDF]), written the obvious way
with sorts and cumulative sums.

Every function takes rows of probabilities ``p`` (R, n), as the softmax computed them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["thresholds", "draw", "draw_without_replacement"]


def thresholds(p: np.ndarray, top_k: int, top_p: float, min_p: float) -> np.ndarray:
    """Per row, the smallest probability kept: the largest ``t`` with ``count(p >= t) >=
    top_k``, the largest with ``mass(p >= t) >= top_p * (mass top-k kept)``, and
    ``min_p * max(p)`` (as the smallest value of p's dtype not below it); the largest of
    the three (0: keep everything)."""
    rows, n = p.shape
    tau = np.zeros(rows, p.dtype)
    if rows == 0 or n == 0:
        return tau
    if 0 < top_k < n:
        tau = np.sort(p, axis=1)[:, n - top_k]
    if top_p < 1.0:
        kept = np.where(p >= tau[:, None], p.astype(np.float64), 0.0).sum(axis=1)
        desc = np.sort(p, axis=1)[:, ::-1]
        cum = np.cumsum(desc.astype(np.float64), axis=1)
        first = np.argmax(cum >= (top_p * kept)[:, None], axis=1)
        tau = np.maximum(tau, desc[np.arange(rows), first])
    if min_p > 0.0:
        m = min_p * p.max(axis=1).astype(np.float64)
        t = m.astype(p.dtype)
        t = np.where(t.astype(np.float64) < m, np.nextafter(t, p.dtype.type(np.inf)), t)
        tau = np.maximum(tau, t)
    return tau


def draw(p: np.ndarray, tau: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per row and uniform ``u`` in [0, 1): the first kept entry (p >= tau, p > 0) whose
    running kept mass exceeds ``u * total``; -2 where nothing is kept."""
    rows, ns = u.shape
    out = np.full((rows, ns), -2, dtype=np.int64)
    q = np.where((p >= tau[:, None]) & (p > 0), p.astype(np.float64), 0.0)
    cum = np.cumsum(q, axis=1)
    for r in range(rows):
        positive = np.flatnonzero(q[r])
        if positive.size == 0:
            continue
        idx = np.searchsorted(cum[r], u[r] * cum[r, -1], side="right")
        out[r] = np.minimum(idx, positive[-1])  # rounding at the very end
    return out


def draw_without_replacement(p: np.ndarray, tau: np.ndarray, k: int,
                             gumbel: np.ndarray) -> np.ndarray:
    """``k`` distinct kept entries per row, by the Gumbel-top-k trick: the ``k`` largest
    ``log(p) + g`` (Vieira, 2014; Kool et al., 2019), in that order."""
    with np.errstate(divide="ignore"):
        keys = np.where((p >= tau[:, None]) & (p > 0), np.log(p.astype(np.float64)), -np.inf)
    keys = keys + gumbel
    order = np.argsort(-keys, axis=1, kind="stable")[:, :k]
    return order.astype(np.int64)
