"""No leaks: 100,000 calls of each public function leave the resident memory within
1 MiB and the reference counts of their arguments where they were."""

from __future__ import annotations

import gc
import os
import sys

import numpy as np
import pytest

import softmaxkit as sk

CALLS = 100_000
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


rng = np.random.default_rng(0)
X = rng.normal(size=(4, 9))
X32 = X.astype(np.float32)
XF = np.asfortranarray(rng.normal(size=(5, 7)))  # a layout for the strided paths
MASK = rng.random((4, 9)) > 0.3
OUT = np.empty_like(X)
Y = sk.softmax(X)
LOGP = sk.log_softmax(X)
G = rng.normal(size=(4, 9))
LABELS = np.array([0, 3, 8, 2])
W = rng.normal(size=(9, 3))

CASES = {
    "softmax": lambda: sk.softmax(X),
    "softmax out= where=": lambda: sk.softmax(X, where=MASK, out=OUT),
    "softmax float32 T": lambda: sk.softmax(X32, temperature=0.5),
    "softmax F-order axis 0": lambda: sk.softmax(XF, axis=0),
    "log_softmax": lambda: sk.log_softmax(X, axis=(0, 1)),
    "softmin": lambda: sk.softmin(X32),
    "logsumexp": lambda: sk.logsumexp(X, axis=1),
    "logsumexp b= return_sign": lambda: sk.logsumexp(X, axis=1, b=G, return_sign=True),
    "smooth_max": lambda: sk.smooth_max(X, k=3.0),
    "hardmax": lambda: sk.hardmax(X),
    "std_norm": lambda: sk.std_norm(np.abs(X) + 1),
    "softmax_backward": lambda: sk.softmax_backward(Y, G),
    "log_softmax_backward": lambda: sk.log_softmax_backward(LOGP, G),
    "logsumexp_backward": lambda: sk.logsumexp_backward(X, G[:, 0], axis=1),
    "cross_entropy + grad": lambda: sk.cross_entropy(X, LABELS, return_grad=True),
    "cross_entropy in place": lambda: sk.cross_entropy(OUT, LABELS, grad_out=OUT),
    "nll_loss": lambda: sk.nll_loss(LOGP, LABELS),
    "linear_cross_entropy": lambda: sk.linear_cross_entropy(X, W.T, None, LABELS % 3,
                                                            return_grad=True),
    "a rejected call": lambda: _rejected(),
}


def _rejected():
    try:
        sk.softmax(X, temperature=-1.0)
    except ValueError:
        pass


@pytest.mark.parametrize("name", list(CASES))
def test_no_growth_over_100k_calls(name):
    call = CASES[name]
    watched = (X, X32, XF, MASK, OUT, Y, LOGP, G, LABELS, W)
    for _ in range(2000):  # warm up: caches, interned objects, the allocator's pools
        call()
    gc.collect()
    refs = [sys.getrefcount(a) for a in watched]
    before = rss()
    for _ in range(CALLS):
        call()
    gc.collect()
    grown = rss() - before
    assert [sys.getrefcount(a) for a in watched] == refs
    assert grown < 2**20, f"{name}: resident memory grew by {grown / 2**10:.0f} KiB"


def test_fit_and_predict_do_not_leak():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_iris

    Xi, yi = load_iris(return_X_y=True)
    clf = sk.SoftmaxClassifier(max_epochs=3)
    for _ in range(20):
        clf.fit(Xi, yi).predict_proba(Xi)
    gc.collect()
    refs = (sys.getrefcount(Xi), sys.getrefcount(yi))
    before = rss()
    for _ in range(500):
        clf.fit(Xi, yi)
        clf.predict(Xi)
        clf.predict_proba(Xi)
    gc.collect()
    assert (sys.getrefcount(Xi), sys.getrefcount(yi)) == refs
    assert rss() - before < 2**20
