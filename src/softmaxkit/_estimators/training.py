"""The training loop of the softmax classifier, apart from the estimator that uses it.

The in-memory fit (``classifier.py``) and the data-parallel Dask fit
(``classifier_dask.py``) differ only in how one epoch's minibatch gradients are computed;
everything else is here, once: the parameters' checks, label encoding, the optimizers
(Adam, SGD, heavy-ball momentum), the step schedules and the plateau rule, the epoch loop
with its progress bar, and Ctrl-C handling (the step in progress finishes, the last whole
epoch's state is restored). The estimator keeps a :class:`TrainingState` between fits
(``warm_start``, ``partial_fit``).
"""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np


class _ConvergenceWarning(UserWarning):
    """The epoch limit stopped training before the tolerance was met."""


def convergence_warning() -> type[Warning]:
    """scikit-learn's ``ConvergenceWarning`` (ours without scikit-learn: Dask workers need
    not have it). Looked up when it is raised: importing scikit-learn takes most of a
    second, which every command line would pay otherwise."""
    try:
        from sklearn.exceptions import ConvergenceWarning
    except ImportError:
        return _ConvergenceWarning
    return ConvergenceWarning

OPTIMIZERS = ("adam", "sgd", "momentum")
SCHEDULES = ("adaptive", "constant", "invscaling", "cosine")
LINKS = ("softmax", "sparsemax", "entmax15")
WHO = "SoftmaxClassifier"


def _check(name, value, ok, expected):
    if not ok:
        raise ValueError(f"{WHO}: {name!r} must be {expected}, got {value!r}")


def validate_params(p: dict[str, Any]) -> None:
    """The estimator's hyperparameters (``get_params()``), each named when wrong."""
    _check("learning_rate", p["learning_rate"], isinstance(p["learning_rate"], (int, float))
           and 0 < p["learning_rate"] < np.inf, "a finite number > 0")
    for name in ("batch_size", "max_epochs", "n_iter_no_change"):
        value = p[name]
        _check(name, value, isinstance(value, (int, np.integer))
               and not isinstance(value, bool) and value >= 1, "an integer >= 1")
    alpha = p["alpha"]
    _check("alpha", alpha, (isinstance(alpha, str) and alpha == "auto") or (
        isinstance(alpha, (int, float)) and 0 <= alpha < np.inf),
        '"auto" or a finite number >= 0')
    _check("optimizer", p["optimizer"], p["optimizer"] in OPTIMIZERS, f"one of {OPTIMIZERS}")
    _check("momentum", p["momentum"], isinstance(p["momentum"], (int, float))
           and 0 <= p["momentum"] < 1, "a number in [0, 1)")
    _check("lr_schedule", p["lr_schedule"], p["lr_schedule"] in SCHEDULES,
           f"one of {SCHEDULES}")
    _check("link", p["link"], p["link"] in LINKS, f"one of {LINKS}")
    _check("calibrate", p["calibrate"], p["calibrate"] in (None, "temperature"),
           'None or "temperature"')
    if p["calibrate"] is not None and p["link"] != "softmax":
        raise ValueError(f"SoftmaxClassifier: calibrate={p['calibrate']!r} scales the "
                         f"softmax's logits; link={p['link']!r} has no temperature to fit")
    _check("validation_fraction", p["validation_fraction"],
           isinstance(p["validation_fraction"], float) and 0 < p["validation_fraction"] < 1,
           "a float in (0, 1)")
    _check("tol", p["tol"], isinstance(p["tol"], (int, float)) and p["tol"] >= 0,
           "a number >= 0")
    _check("n_threads", p["n_threads"], p["n_threads"] is None or (
        isinstance(p["n_threads"], int) and p["n_threads"] >= 1), "None or an integer >= 1")


def encode_labels(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The index of each label in the sorted ``classes``; a label not among them is a
    ValueError naming it."""
    idx = np.searchsorted(classes, y)
    bad = (idx >= len(classes)) | (classes[np.minimum(idx, len(classes) - 1)] != y)
    if np.any(bad):
        raise ValueError(f"{WHO}: label {y[np.argmax(bad)]!r} is not one of the classes "
                         f"{classes.tolist()}")
    return idx


def make_rng(random_state) -> np.random.Generator:
    if isinstance(random_state, np.random.RandomState):
        random_state = random_state.randint(2**31)
    return np.random.default_rng(random_state)


class TrainingState:
    """What training changes and a later fit continues from: the weights (updated in
    place), the optimizer's moments and step count, the adaptive schedule's factor, and
    the per-epoch records."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray):
        self.coef, self.intercept = coef, intercept
        self.m = [np.zeros_like(coef), np.zeros_like(intercept)]
        self.v = [np.zeros_like(coef), np.zeros_like(intercept)]
        self.t = 0
        self.lr_factor = 1.0
        self.loss_curve: list[float] = []
        self.validation_scores: list[float] = []
        self.n_iter = 0
        self._snapshot = None

    @classmethod
    def start(cls, previous: TrainingState | None, coef, intercept, k: int, d: int, dtype,
              *, warm: bool) -> TrainingState:
        """Zeros, or (``warm``) the given weights with the previous state's optimizer and
        records when it is of the same shape."""
        if not warm or coef is None or coef.shape != (k, d):
            return cls(np.zeros((k, d), dtype=dtype), np.zeros(k, dtype=dtype))
        coef, intercept = coef.astype(dtype, copy=False), intercept.astype(dtype, copy=False)
        if previous is None or previous.coef.shape != (k, d):
            state = cls(coef, intercept)
        else:
            state = previous
            state.coef, state.intercept = coef, intercept
            state.m = [a.astype(dtype, copy=False) for a in state.m]
            state.v = [a.astype(dtype, copy=False) for a in state.v]
        return state

    # the state after the last whole epoch: what an interrupted fit falls back to
    def snapshot(self) -> None:
        self._snapshot = (self.coef.copy(), self.intercept.copy(),
                          [a.copy() for a in self.m], [a.copy() for a in self.v],
                          self.t, self.lr_factor, self.n_iter, len(self.loss_curve),
                          len(self.validation_scores))

    def restore(self) -> None:
        snap, self._snapshot = self._snapshot, None
        if snap is None:
            return
        W, b, m, v, self.t, self.lr_factor, self.n_iter, n_loss, n_val = snap
        self.coef[...], self.intercept[...] = W, b
        for dst, src in zip(self.m + self.v, m + v):
            dst[...] = src
        del self.loss_curve[n_loss:]
        del self.validation_scores[n_val:]

    def forget_snapshot(self) -> None:
        self._snapshot = None


class Trainer:
    """The optimizer, the schedule and the epoch loop for one fit.

    Parameters
    ----------
    params : dict
        The estimator's ``get_params()``.
    state : TrainingState
    alpha : float
        The L2 penalty in effect (``"auto"`` already resolved).
    """

    def __init__(self, params: dict[str, Any], state: TrainingState, alpha: float):
        self.p, self.state, self.alpha = params, state, alpha
        self.beta1, self.beta2, self.eps = float(params["momentum"]), 0.999, 1e-8
        self._scratch: list[np.ndarray | None] = [None, None]

    def step_size(self, epoch: int, total: int) -> float:
        lr = float(self.p["learning_rate"]) * self.state.lr_factor
        if self.p["lr_schedule"] == "invscaling":
            return lr / np.sqrt(1.0 + epoch)
        if self.p["lr_schedule"] == "cosine":
            return lr * 0.5 * (1 + np.cos(np.pi * min(epoch, total) / total))
        return lr

    def on_plateau(self, no_change: int) -> tuple[int, bool]:
        """After an epoch that did not improve: (the new count, whether to stop). The
        adaptive schedule divides the step by 5 (three times at most) before stopping."""
        no_change += 1
        if no_change < self.p["n_iter_no_change"]:
            return no_change, False
        if self.p["lr_schedule"] == "adaptive" and self.state.lr_factor > 0.2**3 * 1.01:
            self.state.lr_factor *= 0.2
            return 0, False
        return no_change, True

    def update(self, gW: np.ndarray, gb: np.ndarray, lr: float) -> None:
        """One optimizer step on the weights (in place), ``alpha * W`` added to ``gW``."""
        st = self.state
        if self.alpha:
            gW = gW + self.alpha * st.coef
        st.t += 1
        params = (st.coef, st.intercept) if self.p["fit_intercept"] else (st.coef,)
        grads = (gW, gb)
        beta1, beta2, eps, m, v = self.beta1, self.beta2, self.eps, st.m, st.v
        for i, p in enumerate(params):
            g = grads[i].astype(p.dtype, copy=False)
            if self.p["optimizer"] == "sgd":
                p -= lr * g
            elif self.p["optimizer"] == "momentum":
                m[i] *= beta1
                m[i] += g
                p -= lr * m[i]
            else:  # adam: the bias corrections folded into the step and eps (Kingma & Ba,
                # end of section 2), the same update without a temporary array per operation
                c1, c2 = 1 - beta1 ** st.t, 1 - beta2 ** st.t
                tmp = self._scratch[i]
                if tmp is None or tmp.shape != p.shape or tmp.dtype != p.dtype:
                    tmp = self._scratch[i] = np.empty_like(p)
                m[i] *= beta1
                m[i] += np.multiply(g, 1 - beta1, out=tmp)
                v[i] *= beta2
                np.multiply(g, g, out=tmp)
                v[i] += np.multiply(tmp, 1 - beta2, out=tmp)
                np.sqrt(v[i], out=tmp)
                tmp += eps * math.sqrt(c2)
                np.divide(m[i], tmp, out=tmp)
                p -= np.multiply(tmp, lr * math.sqrt(c2) / c1, out=tmp)

    def run(self, n_epochs: int, epoch: Callable[[float], float], sw_total: float, *,
            score: Callable[[], float] | None = None, incremental: bool = False) -> None:
        """Up to ``n_epochs`` epochs: ``epoch(lr)`` runs one (calling :meth:`update` per
        minibatch, :meth:`check_stop` after each) and returns the weighted loss sum.

        Stops when the monitored value (``score()``, the validation accuracy, when given;
        else the training loss) has not improved by ``tol`` for ``n_iter_no_change``
        epochs (after the adaptive schedule's divisions). With a score, the best epoch's
        weights are kept. Ctrl-C finishes the step, restores the last whole epoch and
        raises KeyboardInterrupt.
        """
        st = self.state
        best = (-np.inf, None)
        no_change = 0
        bar = progress(self.p["verbose"], n_epochs)
        epochs_done = 0
        converged = False
        if not incremental:
            st.n_iter = 0
        with deferred_interrupt() as self._stop:
            try:
                for _ in range(n_epochs):
                    st.snapshot()
                    lr = self.step_size(len(st.loss_curve), self.p["max_epochs"])
                    loss_sum = epoch(lr)
                    epochs_done += 1
                    if not incremental:
                        st.n_iter = epochs_done
                    penalty = 0.5 * self.alpha * float(np.sum(st.coef * st.coef))
                    loss = loss_sum / sw_total + penalty
                    st.loss_curve.append(loss)
                    value = None
                    if score is not None:
                        value = score()
                        st.validation_scores.append(value)
                    if bar is not None:
                        bar(epochs_done - 1, loss, value)
                    if incremental:
                        continue
                    current = value if score is not None else -loss
                    if current > best[0] + self.p["tol"]:
                        best = (current, (st.coef.copy(), st.intercept.copy())
                                if score is not None else None)
                        no_change = 0
                    else:
                        no_change, done = self.on_plateau(no_change)
                        if done:
                            converged = True
                            break
            except KeyboardInterrupt:
                st.restore()
                raise
            finally:
                if bar is not None:
                    bar(None, None, None)
        st.forget_snapshot()
        if not incremental and not converged:
            monitored = "validation accuracy" if score is not None else "training loss"
            warnings.warn(convergence_warning()(
                f"{WHO}: stopped by max_epochs={self.p['max_epochs']} before the "
                f"{monitored} stopped improving by tol={self.p['tol']}; raise max_epochs "
                "(or the learning rate) to train to convergence"), stacklevel=3)
        if score is not None and best[1] is not None:
            st.coef[...], st.intercept[...] = best[1]
        st.n_iter = epochs_done if not incremental else st.n_iter + 1

    def check_stop(self) -> None:
        """After a step: raise KeyboardInterrupt if Ctrl-C was pressed during it."""
        if self._stop["requested"]:
            raise KeyboardInterrupt


# A product of fewer multiply-adds than this runs on the calling thread: NumPy's BLAS
# pool gains little on a minibatch's products (256x784 by 784x10 is 2 million), and its
# spinning threads lose a great deal when another process holds a core (a fit took 3x as
# long beside one busy process, 11x when two fits ran together).
SMALL_PRODUCT = 1 << 26

_blas = None


def _blas_controller():
    """threadpoolctl's view of the BLAS libraries loaded now (None without threadpoolctl);
    made once, so that limiting costs a call per library, not a scan of the process."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _blas = False
        else:
            _blas = ThreadpoolController().select(user_api="blas")
    return _blas or None


@contextlib.contextmanager
def blas_threads_for(multiply_adds: float):
    """NumPy's BLAS on the calling thread while the products are small (see
    ``SMALL_PRODUCT``); unchanged for large ones. A lower limit already in force (the
    user's threadpoolctl or OPENBLAS_NUM_THREADS=1) stays as it is."""
    controller = _blas_controller() if multiply_adds < SMALL_PRODUCT else None
    if controller is None or not controller.lib_controllers:
        yield
        return
    with controller.limit(limits=1):
        yield


@contextlib.contextmanager
def deferred_interrupt():
    """Ctrl-C (SIGINT) during training sets ``state["requested"]`` instead of raising, so
    the loop stops after the step it is in, never half-way through an update; a second
    Ctrl-C raises at once. Outside the main thread (no signal handlers there) it yields
    the flag untouched, and a KeyboardInterrupt still lands where Python puts it."""
    state = {"requested": False}
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def handler(signum, frame):
        if state["requested"]:
            raise KeyboardInterrupt
        state["requested"] = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)


def progress(verbose, n_epochs: int):
    """A callback ``update(epoch, loss, score)`` (``update(None, ...)`` closes it): tqdm's
    bar when installed, drawn at most every 0.25 s, else a line per epoch; None when not
    ``verbose``."""
    if not verbose:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        bar = tqdm(total=n_epochs, desc=WHO, unit="epoch", file=sys.stderr, leave=False,
                   mininterval=0.25)

        def update(epoch, loss, score):
            if epoch is None:
                bar.refresh()  # the last epoch's loss, whatever the interval
                bar.close()
                return
            post = {"loss": f"{loss:.4f}"}
            if score is not None:
                post["val"] = f"{score:.4f}"
            bar.set_postfix(post, refresh=False)
            bar.update(1)
        return update
    start = time.perf_counter()

    def update(epoch, loss, score):
        if epoch is None:
            return
        extra = "" if score is None else f"  validation {score:.4f}"
        print(f"epoch {epoch + 1}/{n_epochs}  loss {loss:.4f}{extra}  "
              f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
    return update
