"""Dask arrays: lazy, chunk-aware, and exact whether a slice lies in one chunk or many."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import exact_softmax, ulp_errors

import softmaxkit as sk

da = pytest.importorskip("dask.array")
pytest.importorskip("array_api_compat")
import dask  # noqa: E402


def graph_names(arr) -> str:
    return " ".join(str(k) for k in dict(arr.__dask_graph__()))


@pytest.mark.parametrize("log", [False, True])
def test_slices_within_a_chunk_go_through_the_native_kernel(log):
    x = np.random.default_rng(0).normal(size=(100, 30))
    dx = da.from_array(x, chunks=(25, 30))
    fn = sk.log_softmax if log else sk.softmax
    got = fn(dx, axis=1)
    assert isinstance(got, da.Array) and got.chunks == dx.chunks
    assert "native_block" in graph_names(got)
    np.testing.assert_array_equal(got.compute(), fn(x, axis=1))


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_slices_across_chunks_are_exact(log, dtype):
    rng = np.random.default_rng(1)
    x = rng.normal(scale=30, size=(5, 97)).astype(dtype)
    dx = da.from_array(x, chunks=(2, 13))
    fn = sk.log_softmax if log else sk.softmax
    got = fn(dx, axis=1)
    assert "softmax-stats" in graph_names(got) and got.chunks == dx.chunks
    out = got.compute()
    exact = [e for r in x for e in exact_softmax(r, log=log)]
    assert np.max(ulp_errors(out, exact, dtype)) <= 2.0
    np.testing.assert_allclose(out, fn(x, axis=1), rtol=4 * np.finfo(dtype).eps,
                               atol=np.finfo(dtype).tiny)  # subnormals: absolute error


def test_temperature_and_axis_tuples_across_chunks():
    x = np.random.default_rng(2).normal(scale=10, size=(6, 8, 10))
    dx = da.from_array(x, chunks=(3, 3, 4))
    for axis in (0, (0, 2), None):
        for t in (0.3, 7.0):
            got = sk.softmax(dx, axis=axis, temperature=t).compute()
            np.testing.assert_allclose(got, sk.softmax(x, axis=axis, temperature=t),
                                       rtol=1e-14, atol=1e-300)
            lse = sk.logsumexp(dx, axis=axis).compute()
            np.testing.assert_allclose(lse, sk.logsumexp(x, axis=axis), rtol=1e-15)


def test_special_values_spread_over_chunks():
    rows = np.array([
        [1.0, 2.0, 3.0, np.nan, 0.0, 1.0],       # NaN in the second chunk
        [np.inf, 1.0, 2.0, 3.0, np.inf, 0.0],    # +inf in both chunks
        [-np.inf] * 6,                           # nothing weighs
        [-np.inf, -np.inf, -np.inf, 5.0, 4.0, 3.0],  # one chunk empty of weight
        [0.0, -40.0, -745.0, -1.0, 0.0, -2.0],   # ties split across chunks
        [3e300, -3e300, 0.0, 2e300, 3e300, 1.0],
    ])
    dx = da.from_array(rows, chunks=(6, 3))
    with np.errstate(all="ignore"):
        for fn in (sk.softmax, sk.log_softmax, sk.logsumexp):
            got = np.asarray(fn(dx, axis=1).compute())
            want = np.asarray(fn(rows, axis=1))
            np.testing.assert_allclose(got, want, rtol=4e-16, atol=0, equal_nan=True)


def test_masks_across_chunks():
    x = np.random.default_rng(3).normal(size=(4, 9))
    x[0, 1] = np.nan
    where = np.ones_like(x, bool)
    where[0, 1] = False
    where[2] = False
    got = sk.softmax(da.from_array(x, chunks=(2, 4)), where=da.from_array(where, chunks=(2, 4)))
    np.testing.assert_allclose(got.compute(), sk.softmax(x, where=where), rtol=4e-16)


def test_laziness():
    calls = []

    def counting(block):
        calls.append(block.shape)
        return block

    x = da.from_array(np.ones((8, 8)), chunks=4).map_blocks(counting)
    res = sk.log_softmax(x, axis=0)
    lse = sk.logsumexp(x, axis=1)
    # (Dask may call the function on tiny arrays to learn the result's type)
    assert (4, 4) not in calls
    dask.compute(res, lse)
    assert (4, 4) in calls  # the data is read only now


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_blockwise(reduction):
    rng = np.random.default_rng(4)
    z = rng.normal(scale=2, size=(50, 7))
    y = rng.integers(0, 7, size=50)
    y[::9] = -100
    w = rng.uniform(0.5, 2, size=7)
    dz = da.from_array(z, chunks=(12, 4))  # the class axis spans two chunks
    dy = da.from_array(y, chunks=10)
    loss, grad = sk.cross_entropy(dz, dy, weight=w, ignore_index=-100, reduction=reduction,
                                  return_grad=True)
    assert isinstance(grad, da.Array)
    want_loss, want_grad = sk.cross_entropy(z, y, weight=w, ignore_index=-100,
                                            reduction=reduction, return_grad=True)
    got_loss, got_grad = dask.compute(loss, grad)
    np.testing.assert_allclose(got_loss, want_loss, rtol=1e-13)
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-12, atol=1e-18)


def test_cross_entropy_probability_targets():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(20, 5))
    p = sk.softmax(rng.normal(size=(20, 5)))
    got = sk.cross_entropy(da.from_array(z, chunks=7), da.from_array(p, chunks=7))
    np.testing.assert_allclose(got.compute(), sk.cross_entropy(z, p), rtol=1e-13)


def test_cross_entropy_bad_label_raises_when_computed():
    z = da.zeros((4, 3), chunks=2)
    loss = sk.cross_entropy(z, da.from_array(np.array([0, 1, 2, 5]), chunks=2))
    with pytest.raises(ValueError, match=r"target 5 .* is not a class in \[0, 3\)"):
        loss.compute()


@pytest.mark.parametrize("axis", [0, 1, (0, 1)])
def test_large_blocks_are_worked_a_slab_at_a_time(monkeypatch, axis):
    import softmaxkit._backends.dask as impl

    monkeypatch.setattr(impl, "_SLAB", 40)  # every block of 12 x 10 is split into slabs
    x = np.random.default_rng(6).normal(scale=8, size=(36, 20))
    x[5, 3] = np.inf
    dx = da.from_array(x, chunks=(12, 10))
    with dask.config.set(scheduler="sync"):  # the patched constant, in this thread
        for fn in (sk.softmax, sk.log_softmax, sk.logsumexp):
            got = np.asarray(fn(dx, axis=axis).compute())
            np.testing.assert_allclose(got, fn(x, axis=axis), rtol=4e-16, atol=1e-300)
