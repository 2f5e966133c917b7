"""Ragged segments: equal to a loop of the family's functions per segment, by offsets and by
sorted or unsorted ids, with empty segments, trailing dimensions and special values."""

from __future__ import annotations

import numpy as np
import pytest

import softmaxkit as sk

RNG = np.random.default_rng(5)


def _segments(n_seg=40, empty=0.2):
    lens = RNG.integers(0, 12, size=n_seg)
    lens[RNG.random(n_seg) < empty] = 0
    return np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)


def _loop(fn, x, offsets, reduce=False):
    parts = [fn(x[a:b], axis=0) if b > a or not reduce else
             np.full(x.shape[1:], -np.inf, x.dtype) for a, b in zip(offsets[:-1], offsets[1:])]
    if reduce:
        return np.stack(parts) if parts else np.empty((0,) + x.shape[1:], x.dtype)
    return np.concatenate(parts) if parts else np.empty_like(x)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("trailing", [(), (3,), (2, 2)])
@pytest.mark.parametrize("backend", ["native", "numpy"])
def test_equal_to_a_loop_over_segments(dtype, trailing, backend):
    offsets = _segments()
    n = int(offsets[-1])
    x = (RNG.normal(size=(n,) + trailing) * 5).astype(dtype)
    x[RNG.random(x.shape) < 0.05] = -np.inf
    eps = np.finfo(dtype).eps
    with sk.backend(backend):
        for fn, seg, reduce in ((sk.softmax, sk.segment_softmax, False),
                                (sk.log_softmax, sk.segment_log_softmax, False),
                                (sk.logsumexp, sk.segment_logsumexp, True)):
            got = seg(x, offsets=offsets)
            want = _loop(fn, x, offsets, reduce)
            assert got.dtype == dtype and got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=4 * eps, atol=4 * eps)


def test_unsorted_ids_and_num_segments():
    ids = RNG.integers(0, 7, size=60)
    x = RNG.normal(size=(60, 2))
    got = sk.segment_softmax(x, segment_ids=ids)
    lse = sk.segment_logsumexp(x, segment_ids=ids, num_segments=9)
    assert lse.shape == (9, 2) and np.all(lse[7:] == -np.inf)
    for s in range(7):
        sel = ids == s
        np.testing.assert_allclose(got[sel], sk.softmax(x[sel], axis=0), rtol=1e-15)
        np.testing.assert_allclose(lse[s], sk.logsumexp(x[sel], axis=0), rtol=1e-15)
    order = np.argsort(ids, kind="stable")
    np.testing.assert_array_equal(
        sk.segment_softmax(x[order], segment_ids=ids[order]), got[order])


def test_special_values():
    x = np.array([-np.inf, -np.inf, np.inf, 1.0, np.inf, np.nan, 0.0, 2.0])
    off = [0, 2, 5, 7, 8]
    np.testing.assert_array_equal(sk.segment_softmax(x, offsets=off)[:5],
                                  [0, 0, 0.5, 0, 0.5])
    assert np.isnan(sk.segment_softmax(x, offsets=off)[5:7]).all()
    np.testing.assert_array_equal(sk.segment_log_softmax(x, offsets=off)[:2], [-np.inf] * 2)
    lse = sk.segment_logsumexp(x, offsets=off)
    assert lse[0] == -np.inf and lse[1] == np.inf and np.isnan(lse[2]) and lse[3] == 2.0


def test_a_long_segment_takes_the_split_kernel_path():
    x = RNG.normal(size=100_000) * 3
    off = [0, 10, 70_000, 100_000]
    got = sk.segment_softmax(x, offsets=off)
    np.testing.assert_array_equal(got[10:70_000], sk.softmax(x[10:70_000]))


@pytest.mark.parametrize("log", [False, True])
def test_backward_equals_the_backward_per_segment(log):
    offsets = _segments()
    n = int(offsets[-1])
    x, dy = RNG.normal(size=(n, 2)), RNG.normal(size=(n, 2))
    if log:
        y = sk.segment_log_softmax(x, offsets=offsets)
        got = sk.segment_log_softmax_backward(y, dy, offsets=offsets)
        per = sk.log_softmax_backward
    else:
        y = sk.segment_softmax(x, offsets=offsets)
        got = sk.segment_softmax_backward(y, dy, offsets=offsets)
        per = sk.softmax_backward
    for a, b in zip(offsets[:-1], offsets[1:]):
        if b > a:
            np.testing.assert_allclose(got[a:b], per(y[a:b], dy[a:b], axis=0), rtol=1e-12,
                                       atol=1e-15)


def test_against_torch_scatter_semantics():
    torch = pytest.importorskip("torch")
    ids = torch.tensor(RNG.integers(0, 5, size=30))
    x = torch.randn(30, 4, dtype=torch.float64)
    # PyG's utils.softmax, written out: exp(x - segment max) / segment sum
    m = torch.full((5, 4), -torch.inf, dtype=x.dtype).scatter_reduce(
        0, ids[:, None].expand(-1, 4), x, "amax")
    e = (x - m[ids]).exp()
    s = torch.zeros(5, 4, dtype=x.dtype).index_add(0, ids, e)
    got = sk.segment_softmax(x, segment_ids=ids)
    assert isinstance(got, torch.Tensor)
    np.testing.assert_allclose(got.numpy(), (e / s[ids]).numpy(), rtol=1e-14)


@pytest.mark.parametrize("kwargs, message", [
    (dict(), "give exactly one of 'offsets' and 'segment_ids'"),
    (dict(offsets=[0, 2], segment_ids=[0, 0, 0]), "give exactly one"),
    (dict(offsets=[0, 2]), "'offsets' must be non-decreasing from 0 to the number of entries"),
    (dict(offsets=[0, 3, 1, 3]), "'offsets' must be non-decreasing"),
    (dict(offsets=[0.0, 3.0]), "'offsets' must be an integer array"),
    (dict(segment_ids=[0, 1]), "'segment_ids' has 2 entries, x has 3"),
    (dict(segment_ids=[0, -1, 0]), "'segment_ids' must lie in [0, num_segments"),
    (dict(segment_ids=[0, 1, 2], num_segments=2), "'segment_ids' must lie in"),
    (dict(segment_ids=[0, 1, 2], num_segments=-1), "'num_segments' must be an int >= 0"),
    (dict(offsets=[0, 3], num_segments=1), "'num_segments' goes with 'segment_ids'"),
])
def test_bad_input_names_the_problem(kwargs, message):
    with pytest.raises((ValueError, TypeError)) as info:
        sk.segment_softmax(np.zeros(3), **kwargs)
    assert message in str(info.value)


def test_empty_input_and_empty_segments():
    assert sk.segment_softmax(np.zeros((0, 3)), offsets=[0, 0]).shape == (0, 3)
    np.testing.assert_array_equal(sk.segment_logsumexp(np.zeros((0, 2)), offsets=[0, 0, 0]),
                                  np.full((2, 2), -np.inf))
    np.testing.assert_array_equal(
        sk.segment_logsumexp(np.zeros(0), segment_ids=np.zeros(0, int), num_segments=2),
        [-np.inf, -np.inf])
    assert sk.segment_softmax_backward(np.zeros((0, 3)), np.zeros((0, 3)),
                                       offsets=[0]).shape == (0, 3)
