"""Backward functions against torch.autograd and check_grad; finite where the forward is."""

from __future__ import annotations

import numpy as np
import pytest

import softmaxkit as sk

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def autograd(fn, x, dy):
    xt = torch.tensor(x, requires_grad=True)
    out = fn(xt)
    out.backward(torch.tensor(dy))
    return xt.grad.numpy()


@needs_torch
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("t", [1.0, 0.4])
def test_softmax_and_log_softmax_backward_match_torch(axis, t, rng):
    x = rng.normal(size=(4, 6))
    dy = rng.normal(size=(4, 6))
    y = sk.softmax(x, axis, temperature=t)
    np.testing.assert_allclose(sk.softmax_backward(y, dy, axis, temperature=t),
                               autograd(lambda a: torch.softmax(a / t, axis), x, dy),
                               rtol=1e-12, atol=1e-15)
    lp = sk.log_softmax(x, axis, temperature=t)
    np.testing.assert_allclose(sk.log_softmax_backward(lp, dy, axis, temperature=t),
                               autograd(lambda a: torch.log_softmax(a / t, axis), x, dy),
                               rtol=1e-12, atol=1e-15)


@needs_torch
def test_logsumexp_backward_matches_torch(rng):
    x = rng.normal(size=(3, 5))
    dy = rng.normal(size=3)
    np.testing.assert_allclose(sk.logsumexp_backward(x, dy, axis=1),
                               autograd(lambda a: torch.logsumexp(a, 1), x, dy), rtol=1e-13)


@needs_torch
def test_temperature_grad_matches_torch(rng):
    x = rng.normal(size=(3, 5))
    dy = rng.normal(size=(3, 5))
    for log, fn in ((False, torch.softmax), (True, torch.log_softmax)):
        t = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
        fn(torch.tensor(x) / t, 1).backward(torch.tensor(dy))
        got = sk.softmax_temperature_grad(x, dy, 1, temperature=0.7, log=log).sum()
        assert got == pytest.approx(t.grad.item(), rel=1e-12)


def test_logsumexp_backward_with_weights_and_mask_against_check_grad(rng):
    x = rng.normal(size=6)
    b = rng.uniform(0.5, 2, size=6)
    keep = np.array([True, True, False, True, False, True])
    g = sk.logsumexp_backward(x, 1.0, b=b, where=keep)
    r = sk.check_grad(lambda a: sk.logsumexp(a, b=b, where=keep), x, analytic=g)
    # relative error is meaningless where the true gradient is 0: compare with an atol
    np.testing.assert_allclose(r.analytic, r.numeric, rtol=1e-8, atol=1e-10)
    assert np.all(g[~keep] == 0)


def test_smooth_max_backward_against_check_grad(rng):
    x = rng.normal(size=(2, 5))
    g = sk.smooth_max_backward(x, np.ones(2), axis=1, k=3.0)
    r = sk.check_grad(lambda a: sk.smooth_max(a, axis=1, k=3.0), x, analytic=g)
    np.testing.assert_allclose(r.analytic, r.numeric, rtol=1e-8, atol=1e-10)


def test_softmax_backward_against_check_grad(rng):
    x = rng.normal(size=(3, 4))
    dy = rng.normal(size=(3, 4))
    g = sk.softmax_backward(sk.softmax(x, 0), dy, 0)
    r = sk.check_grad(lambda a: np.sum(sk.softmax(a, 0) * dy), x, analytic=g)
    np.testing.assert_allclose(r.analytic, r.numeric, rtol=1e-8, atol=1e-10)


def test_masked_and_minus_inf_entries_get_zero_gradient_never_nan():
    x = np.array([[0.0, -np.inf, 1.0], [1.0, 2.0, 3.0]])
    keep = np.array([[True, True, True], [True, False, True]])
    dy = np.array([[1.0, np.nan, -1.0], [0.5, np.inf, 2.0]])  # garbage where nothing flows
    y = sk.softmax(x, where=keep)
    g = sk.softmax_backward(y, dy)
    assert np.all(np.isfinite(g)) and g[0, 1] == 0 and g[1, 1] == 0
    lp = sk.log_softmax(x, where=keep)
    g2 = sk.log_softmax_backward(lp, dy)
    assert np.all(np.isfinite(g2)) and g2[0, 1] == 0 and g2[1, 1] == 0
    # an all-masked slice: no gradient at all
    assert np.all(sk.softmax_backward(sk.softmax([[1.0, 2.0]], where=[[False, False]]),
                                      [[1.0, 1.0]]) == 0)


def test_jacobian_is_diag_minus_outer(rng):
    x = rng.normal(size=(2, 3, 4))
    J = sk.softmax_jacobian(x, axis=1)
    assert J.shape == (2, 4, 3, 3)
    p = np.moveaxis(sk.softmax(x, 1), 1, -1)
    np.testing.assert_allclose(J, np.einsum("...i,ij->...ij", p, np.eye(3))
                               - p[..., :, None] * p[..., None, :], rtol=1e-15, atol=1e-17)
    np.testing.assert_allclose(J.sum(-1), 0, atol=1e-16)
    dy = rng.normal(size=3)
    np.testing.assert_allclose(J[0, 0] @ dy, sk.softmax_backward(sk.softmax(x[0, :, 0]), dy),
                               rtol=1e-13)


def test_check_grad_reports_where_a_wrong_gradient_is_wrong():
    x = np.array([1.0, 2.0, 3.0])
    wrong = 2 * x
    wrong[1] += 0.5
    r = sk.check_grad(lambda a: np.sum(a**2), x, analytic=wrong)
    assert r.index == (1,) and r.max_rel_error > 0.1
    assert np.allclose(r.numeric, 2 * x, rtol=1e-9)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])  # not modified


@pytest.mark.parametrize("call,exc,match", [
    (lambda: sk.softmax_backward([1.0, 2.0], [1.0]), ValueError, "'y' has shape"),
    (lambda: sk.check_grad(3, [1.0]), TypeError, "'f' must be callable"),
    (lambda: sk.check_grad(np.sum, [1.0], eps=0), ValueError, "'eps' must be"),
    (lambda: sk.softmax_jacobian([1.0, 2.0], axis=(0,)), TypeError, "single int"),
    (lambda: sk.logsumexp_backward(np.ones((2, 3)), np.ones(3), axis=1), ValueError,
     r"'dy' has shape \(3,\), expected \(2,\)"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 3e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("log", [False, True])
def test_native_backward_matches_the_numpy_path(dtype, rtol, log, rng):
    fwd = sk.log_softmax if log else sk.softmax
    bwd = sk.log_softmax_backward if log else sk.softmax_backward
    for shape, axis in (((7, 33), -1), ((3, 4, 17), -1), ((5, 3), 0), ((2, 5, 6), (1, 2)),
                        ((40, 1), -1), ((6, 100_001 // 6), -1)):
        x = rng.normal(scale=4, size=shape).astype(dtype)
        x.flat[::7] = -np.inf
        keep = rng.uniform(size=shape) > 0.2
        y = fwd(x, axis, where=keep, temperature=0.8)
        dy = rng.normal(size=shape).astype(dtype)
        dy[~keep] = np.nan  # nothing flows there: must not leak
        got = bwd(y, dy, axis, temperature=0.8)
        with sk.backend("numpy"):
            ref = bwd(y, dy, axis, temperature=0.8)
        assert got.dtype == dtype and np.all(np.isfinite(got))
        np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol * np.abs(ref).max())


def test_log_softmax_backward_leaves_dead_entries_out_as_documented():
    # the user guide (gradients.md), "log_softmax_backward and -inf / masked entries": the
    # sum runs over the live entries, the dead ones get 0; PyTorch sums every dy and passes
    # dy through there
    x = np.array([[1.0, -np.inf, 2.0, 0.5]])
    logp = sk.log_softmax(x)
    dy = np.array([[0.3, 5.0, -1.0, 0.2]])
    got = sk.log_softmax_backward(logp, dy)
    live = np.isfinite(logp)
    want = np.where(live, dy - np.exp(logp) * np.sum(dy[live]), 0.0)
    np.testing.assert_allclose(got, want, rtol=1e-15)
    assert got[0, 1] == 0
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, requires_grad=True)
    torch.log_softmax(t, dim=1).backward(torch.tensor(dy))
    assert t.grad[0, 1] == 5.0  # PyTorch passes dy through at the dead entry
    dy0 = np.where(live, dy, 0.0)  # with dy 0 there, the two agree
    t.grad = None
    torch.log_softmax(t, dim=1).backward(torch.tensor(dy0))
    np.testing.assert_allclose(sk.log_softmax_backward(logp, dy0), t.grad.numpy(), rtol=1e-12)
