"""cs231n's naive and vectorized softmax losses: equal to each other and to check_grad."""

from __future__ import annotations

import numpy as np
import pytest

import softmaxkit as sk


@pytest.mark.parametrize("reg", [0.0, 0.05])
def test_naive_equals_vectorized_equals_check_grad(reg, rng):
    W = rng.normal(scale=0.1, size=(7, 4))
    X = rng.normal(size=(20, 7))
    y = rng.integers(0, 4, size=20)
    ln, gn = sk.softmax_loss_naive(W, X, y, reg)
    lv, gv = sk.softmax_loss_vectorized(W, X, y, reg)
    assert ln == pytest.approx(lv, rel=1e-13)
    np.testing.assert_allclose(gn, gv, rtol=1e-12, atol=1e-15)
    r = sk.check_grad(lambda w: sk.softmax_loss_vectorized(w, X, y, reg)[0], W, analytic=gv)
    np.testing.assert_allclose(r.analytic, r.numeric, rtol=1e-7, atol=1e-10)


def test_random_weights_give_log_c(rng):
    # cs231n's sanity check: small random weights give a loss near -log(1/C)
    X = rng.normal(size=(500, 30))
    W = rng.normal(scale=1e-4, size=(30, 10))
    loss, _ = sk.softmax_loss_vectorized(W, X, rng.integers(0, 10, 500), 0.0)
    assert loss == pytest.approx(np.log(10), rel=1e-3)


def test_naive_is_stable_for_large_scores():
    W = np.array([[1000.0, 0.0]])
    loss, dW = sk.softmax_loss_naive(W, np.ones((1, 1)), np.array([1]), 0.0)
    assert loss == pytest.approx(1000.0) and np.all(np.isfinite(dW))


@pytest.mark.parametrize("fn", [sk.softmax_loss_naive, sk.softmax_loss_vectorized])
def test_bad_input(fn):
    with pytest.raises(ValueError, match=r"'W' must be \(D, C\) and 'X' \(N, D\)"):
        fn(np.zeros((3, 2)), np.zeros((4, 5)), np.zeros(4, int), 0.0)
    with pytest.raises(ValueError, match="label 5 at position 1"):
        fn(np.zeros((3, 2)), np.zeros((2, 3)), np.array([0, 5]), 0.0)
