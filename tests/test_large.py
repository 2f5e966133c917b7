"""64-bit indexing: more than 2**31 elements, and one slice longer than 2**31.

Slow and 8 GiB of memory: ``make test-slow`` runs it (``make test`` does not). The
input repeats a pattern of 7 values, so the exact softmax is known in closed form: with
c_r copies of value v_r, every entry of value v_r is exp(v_r) / sum_r c_r exp(v_r).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import softmaxkit as sk

pytestmark = pytest.mark.slow
PATTERN = np.arange(7, dtype=np.float32) * np.float32(0.75) - np.float32(2.0)


def fill(x):
    """x[i] = PATTERN[i % 7], a block at a time (no 64-bit index array)."""
    block = np.tile(PATTERN, 1 << 20)  # 7 * 2**20 entries
    for s in range(0, x.size, block.size):
        x[s:s + block.size] = block[:x.size - s]


def exact_probs(n):
    counts = [n // 7 + (1 if r < n % 7 else 0) for r in range(7)]
    total = math.fsum(c * math.exp(float(v)) for c, v in zip(counts, PATTERN))
    return np.array([math.exp(float(v)) / total for v in PATTERN])


def check(flat, probs, samples):
    idx = np.unique(np.concatenate([samples, [0, 1, 2**31 - 1, 2**31, 2**31 + 1,
                                              flat.size - 1]]))
    got = flat[idx].astype(np.float64)
    want = probs[idx % 7]
    np.testing.assert_allclose(got, want, rtol=3 * np.finfo(np.float32).eps)


def test_more_than_2_31_elements_and_a_slice_longer_than_2_31():
    rows, cols = (1 << 21) + 1, 1024  # 2**31 + 1024 elements, 8 GiB of float32
    x = np.empty(rows * cols, dtype=np.float32)
    fill(x)
    samples = np.random.default_rng(0).integers(0, x.size, 1000)

    # one slice of 2**31 + 1024 entries, in place
    lse = float(sk.logsumexp(x))
    out = sk.softmax(x, out=x)
    assert out is x
    probs = exact_probs(x.size)
    check(x, probs, samples)
    assert lse == pytest.approx(-math.log(probs[0]) + float(PATTERN[0]), rel=1e-6)
    assert abs(float(np.sum(x, dtype=np.float64)) - 1) < 1e-4

    # 2**21 + 1 rows of 1024: row offsets beyond 2**31 entries
    fill(x)
    grid = x.reshape(rows, cols)
    sk.log_softmax(grid, axis=1, out=grid)
    for r in (0, rows // 2, rows - 1):
        start = r * cols  # the pattern's phase at this row
        phase = np.array([float(PATTERN[(start + i) % 7]) for i in range(cols)])
        want = phase - math.log(math.fsum(math.exp(v) for v in phase))
        np.testing.assert_allclose(grid[r], want, rtol=0, atol=4e-6)
