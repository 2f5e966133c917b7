"""Ctrl-C during fit: the step in progress finishes, the estimator keeps the weights of the
last whole epoch (and can go on with warm_start), and the command exits 130 quietly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

pytest.importorskip("sklearn")
from softmaxkit._estimators.classifier import SoftmaxClassifier  # noqa: E402


def data(n=4000, d=40, k=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.argmax(X[:, :k] + 0.5 * rng.normal(size=(n, k)), axis=1)
    return X, y


class InterruptAfter:
    """Send SIGINT to this process once ``fit`` has run ``steps`` optimizer steps."""

    def __init__(self, clf, steps):
        self.clf, self.steps = clf, steps

    def __enter__(self):
        self.done = threading.Event()

        def watch():
            while not self.done.is_set():
                if getattr(self.clf, "t_", 0) >= self.steps:
                    os.kill(os.getpid(), signal.SIGINT)
                    return
                time.sleep(0.0005)

        self.thread = threading.Thread(target=watch, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


def params():
    # no early stop and no schedule that depends on max_epochs: the first epochs of a long
    # run are those of a short one
    return dict(max_epochs=10_000, n_iter_no_change=10**6, random_state=3, batch_size=64)


def test_interrupted_fit_keeps_the_last_whole_epoch():
    X, y = data()
    clf = SoftmaxClassifier(**params())
    with InterruptAfter(clf, steps=300), pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    done = clf.n_iter_
    assert done >= 1 and len(clf.loss_curve_) == done
    assert not hasattr(clf, "_epoch_snapshot")
    steps_per_epoch = -(-len(y) // 64)
    assert clf.t_ == done * steps_per_epoch  # no half epoch left in the optimizer
    fresh = SoftmaxClassifier(**{**params(), "max_epochs": done}).fit(X, y)
    np.testing.assert_array_equal(clf.coef_, fresh.coef_)
    np.testing.assert_array_equal(clf.intercept_, fresh.intercept_)
    # usable at once, and training goes on from there with warm_start
    assert clf.score(X, y) == fresh.score(X, y)
    clf.set_params(warm_start=True, max_epochs=2)
    clf.fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == done + 2


def test_the_handler_is_restored():
    X, y = data(n=200)
    before = signal.getsignal(signal.SIGINT)
    SoftmaxClassifier(max_epochs=2).fit(X, y)
    assert signal.getsignal(signal.SIGINT) is before


def test_cli_exits_130_without_a_traceback(tmp_path):
    X, y = data(n=20000)
    rows = ["," .join(f"x{i}" for i in range(X.shape[1])) + ",label"]
    rows += [",".join(f"{v:.6g}" for v in r) + f",{t}" for r, t in zip(X, y)]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    proc = subprocess.Popen([sys.executable, "-m", "softmaxkit", "train", "--dataset",
                             str(tmp_path / "d.csv"), "--epochs", "100000", "--save",
                             str(tmp_path / "m.skm")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    # wait until training shows progress on stderr, then press Ctrl-C
    deadline = time.monotonic() + 60
    seen = ""
    while "epoch" not in seen and time.monotonic() < deadline:
        seen += proc.stderr.read(1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in seen + err
    assert (seen + err).rstrip().endswith("softmaxkit: interrupted")
    assert not (tmp_path / "m.skm").exists()  # nothing half-written
