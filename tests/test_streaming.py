"""Mergeable log-sum-exp states, softmax_merge and logcumsumexp: splits merged in any order
against one pass, the scan against mpmath and a long-double tree scan, special values,
the backward."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import softmaxkit as sk

RNG = np.random.default_rng(11)


def _ulps(got, want, dtype, floor=0.0):
    """The worst error in ulps of the exact result (of ``floor`` where the result is
    smaller: near zero a log-sum-exp cancels and is ill-conditioned)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    scale = np.maximum(np.abs(want), floor)
    ulp = np.spacing(scale.astype(dtype)).astype(np.float64)
    same = got == want  # infinities
    return np.max(np.where(same, 0, np.abs(got - want) / ulp))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_any_split_merged_in_any_order_equals_one_pass(dtype):
    for trial in range(40):
        n = int(RNG.integers(2, 300))
        x = (RNG.normal(size=(3, n)) * RNG.choice([0.1, 5, 300])).astype(dtype)
        cuts = np.sort(RNG.choice(np.arange(1, n), size=min(n - 1, int(RNG.integers(1, 6))),
                                  replace=False))
        parts = [sk.lse_state(p, axis=1) for p in np.split(x, cuts, axis=1)]
        order = RNG.permutation(len(parts))
        state = parts[order[0]]
        for i in order[1:]:
            state = sk.lse_merge(state, parts[i]) if trial % 2 else sk.lse_merge(parts[i], state)
        got = sk.lse_finalize(state)
        assert got.dtype == dtype
        assert _ulps(got, sk.logsumexp(x, axis=1), dtype) <= 2


def test_merged_states_keep_their_shape():
    # a whole vector's state is 0-d, and so is the merge of two (the kernel's inputs are
    # made contiguous without turning 0-d into 1-d)
    x = np.array([1.0, 2.0, 3.0, 4.0])
    for dtype in (np.float32, np.float64):
        a, b = sk.lse_state(x[:1].astype(dtype)), sk.lse_state(x[1:].astype(dtype))
        merged = sk.lse_merge(b, a)
        assert merged.max.shape == merged.sum.shape == merged.sum_lo.shape == ()
        assert sk.lse_finalize(merged).shape == ()
    rows = sk.lse_state(np.ones((2, 3)), axis=1)
    assert sk.lse_merge(rows, a).max.shape == (2,)


def test_states_special_values():
    ninf, inf, nan = -np.inf, np.inf, np.nan
    x = np.array([[ninf, ninf], [1.0, inf], [inf, inf], [0.0, nan], [0.0, 1.0]])
    empty = sk.lse_state(x[:, :0], axis=1)
    for k in range(2):
        s = sk.lse_merge(sk.lse_state(x[:, :1], axis=1), sk.lse_state(x[:, 1:], axis=1))
        s = sk.lse_merge(s, empty) if k else sk.lse_merge(empty, s)
        got = sk.lse_finalize(s)
        np.testing.assert_array_equal(got[:3], [ninf, inf, inf])
        assert np.isnan(got[3]) and np.isclose(got[4], np.logaddexp(0, 1), rtol=1e-16)
    assert sk.lse_finalize(empty)[0] == ninf
    # where= leaves entries out
    s = sk.lse_state(np.array([0.0, 5.0]), where=np.array([True, False]))
    assert float(sk.lse_finalize(s)) == 0.0


def test_softmax_merge_equals_the_softmax_of_the_whole_row():
    s = RNG.normal(size=(2, 4, 100)) * 3
    v = RNG.normal(size=(100, 8))
    parts = []
    for a, b in ((0, 10), (10, 60), (60, 60), (60, 100)):
        parts.append((sk.softmax(s[..., a:b]) @ v[a:b] if b > a else np.zeros((2, 4, 8)),
                      sk.lse_state(s[..., a:b])))
    out, total = sk.softmax_merge(parts[::-1])
    np.testing.assert_allclose(out, sk.softmax(s) @ v, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sk.lse_finalize(total), sk.logsumexp(s, axis=-1), rtol=1e-15)


def test_state_errors():
    with pytest.raises(TypeError, match="'b' must be an LSEState"):
        sk.lse_merge(sk.lse_state([1.0]), (1.0, 1.0, 0.0))
    with pytest.raises(ValueError, match="'partials' is empty"):
        sk.softmax_merge([])
    with pytest.raises(TypeError, match="states of different dtypes"):
        sk.lse_merge(sk.lse_state(np.ones(2)), sk.lse_state(np.ones(2, np.float32)))


def _mp_logcumsumexp(x):
    mpmath.mp.prec = 200
    acc, out = mpmath.mpf(0), []
    for v in x:
        acc += mpmath.exp(mpmath.mpf(float(v))) if np.isfinite(v) else 0
        out.append(float(mpmath.log(acc)) if acc else -np.inf)
    return np.array(out)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logcumsumexp_against_mpmath(dtype):
    # a wide dynamic range: slow climbs, a plateau, a drop, -inf entries
    x = np.concatenate([np.linspace(-700, 80, 1500), np.full(1500, 3.0),
                        RNG.normal(size=1500) * 40, np.linspace(80, -50, 500)])
    if dtype == np.float32:
        x = np.clip(x, -80, 80)
    x[[10, 2000]] = -np.inf
    x = x.astype(dtype)
    want = _mp_logcumsumexp(x)
    got = sk.logcumsumexp(x)
    assert got.dtype == dtype
    # within 2 ulps, or 2 ulps of 1 where the result cancels to below 1 (the user guide's
    # logsumexp contract)
    assert _ulps(got, want, dtype, floor=1.0) <= 2
    rev = sk.logcumsumexp(x, reverse=True)
    assert _ulps(rev, _mp_logcumsumexp(x[::-1])[::-1], dtype, floor=1.0) <= 2


def test_long_axis_stays_within_ulps_where_a_chain_of_logaddexp_drifts():
    n = 1 << 20
    x = RNG.normal(size=n) * 30 - 5.0
    got = sk.logcumsumexp(x)
    with sk.backend("numpy"):  # a long-double tree scan
        want = sk.logcumsumexp(x)
    assert _ulps(got, want, np.float64) <= 2
    chain = np.logaddexp.accumulate(x)
    assert _ulps(chain, want, np.float64) > _ulps(got, want, np.float64)


def test_logcumsumexp_special_values_axes_and_out():
    x = np.array([-np.inf, -np.inf, 0.0, np.inf, 1.0])
    np.testing.assert_array_equal(sk.logcumsumexp(x), [-np.inf, -np.inf, 0, np.inf, np.inf])
    got = sk.logcumsumexp(np.array([0.0, np.nan, 0.0]))
    assert got[0] == 0 and np.isnan(got[1:]).all()
    a = RNG.normal(size=(5, 6, 7))
    for axis in range(3):
        want = np.moveaxis(np.logaddexp.accumulate(np.moveaxis(a, axis, -1), axis=-1), -1, axis)
        np.testing.assert_allclose(sk.logcumsumexp(a, axis), want, rtol=1e-14, atol=1e-15)
    out = np.empty_like(a)
    assert sk.logcumsumexp(a, 1, out=out) is out
    b = a.copy()
    sk.logcumsumexp(b, 1, out=b)
    np.testing.assert_array_equal(b, out)
    np.testing.assert_array_equal(sk.logcumsumexp(a[:, ::-2], 1), sk.logcumsumexp(
        np.ascontiguousarray(a[:, ::-2]), 1))
    with pytest.raises(ValueError, match="'axis' must be one int"):
        sk.logcumsumexp(a, axis=(0, 1))


def test_logcumsumexp_against_torch_and_dask():
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=(4, 300)) * 10
    np.testing.assert_allclose(sk.logcumsumexp(x), torch.logcumsumexp(torch.from_numpy(x),
                                                                      -1).numpy(), rtol=1e-13)
    da = pytest.importorskip("dask.array")
    d = da.from_array(x, chunks=(2, 70))
    for rev in (False, True):
        np.testing.assert_allclose(sk.logcumsumexp(d, reverse=rev).compute(),
                                   sk.logcumsumexp(x, reverse=rev), rtol=1e-15)


@pytest.mark.parametrize("reverse", [False, True])
def test_logcumsumexp_backward(reverse):
    x, dy = RNG.normal(size=(3, 9)), RNG.normal(size=(3, 9))
    x[0, 2] = -np.inf
    g = sk.logcumsumexp_backward(x, dy, reverse=reverse)
    h = 1e-6
    num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        if np.isinf(x[idx]):
            continue
        e = np.zeros_like(x)
        e[idx] = h
        num[idx] = (np.sum(sk.logcumsumexp(x + e, reverse=reverse) * dy)
                    - np.sum(sk.logcumsumexp(x - e, reverse=reverse) * dy)) / (2 * h)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-9)
    assert g[0, 2] == 0
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(x[1:]).requires_grad_()
    y = torch.logcumsumexp(t.flip(-1), -1).flip(-1) if reverse else torch.logcumsumexp(t, -1)
    y.backward(torch.from_numpy(dy[1:]))
    np.testing.assert_allclose(g[1:], t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_dask_states_merge_the_blocks_kernels_states():
    da = pytest.importorskip("dask.array")
    x = RNG.normal(size=(6, 500)) * 40
    x[2, 100] = np.inf
    x[3, :] = -np.inf
    d = da.from_array(x, chunks=(4, 60))
    state = sk.lse_state(d, axis=1)
    assert all(type(a).__module__.startswith("dask") for a in state)
    got = sk.lse_finalize(sk.LSEState(*(a.compute() for a in state)))
    want = sk.logsumexp(x, axis=1)
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
    assert _ulps(got[np.isfinite(want)], want[np.isfinite(want)], np.float64) <= 2
    assert got[2] == np.inf and got[3] == -np.inf
    s16 = sk.lse_state(da.from_array(x[:2].astype(np.float16), chunks=(1, 100)), axis=(0, 1))
    assert s16.max.dtype == np.float16
    np.testing.assert_allclose(float(sk.lse_finalize(sk.LSEState(*(a.compute() for a in s16)))),
                               float(sk.logsumexp(x[:2].astype(np.float16))), rtol=1e-3)
