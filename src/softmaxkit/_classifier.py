"""SoftmaxClassifier: multinomial logistic regression trained by minibatch gradient descent.

scikit-learn conventions: ``__init__`` only stores the parameters, ``fit`` validates and
learns, learned attributes end in ``_``. The loss and its gradient come from the fused
cross-entropy kernel (``_losses.cross_entropy``), one minibatch at a time; the L2 penalty
``alpha/2 * ||W||^2`` is added to the loss and ``alpha * W`` to the gradient.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _config, _dask
from ._functions import log_softmax, softmax
from ._losses import cross_entropy

__all__ = ["SoftmaxClassifier", "softmax_grid_search"]

OPTIMIZERS = ("adam", "sgd", "momentum")
SCHEDULES = ("adaptive", "constant", "invscaling", "cosine")


def _check_param(name, value, ok, expected):
    if not ok:
        raise ValueError(f"SoftmaxClassifier: {name!r} must be {expected}, got {value!r}")


class SoftmaxClassifier(ClassifierMixin, BaseEstimator):
    r"""Softmax (multinomial logistic) regression, trained with minibatch SGD, momentum or Adam.

    One weight vector per class and a true softmax over the classes (scikit-learn's
    ``SGDClassifier`` only has one-vs-rest). float32 and float64 inputs train in their
    own precision; scipy sparse matrices are accepted.

    Parameters
    ----------
    learning_rate : float, default=0.03
        Step size (the initial one under a schedule).
    batch_size : int, default=256
    max_epochs : int, default=300
    alpha : float or "auto", default="auto"
        L2 penalty: ``alpha/2 * ||coef_||^2`` added to the mean loss (not on the
        intercept). "auto" is ``1 / n_samples`` (1 / the total sample weight): the
        objective of scikit-learn's ``LogisticRegression(C=1)``.
    optimizer : {"adam", "sgd", "momentum"}, default="adam"
    momentum : float, default=0.9
        For "momentum" (heavy ball); Adam uses it as beta1.
    lr_schedule : {"adaptive", "constant", "invscaling", "cosine"}, default="adaptive"
        "adaptive": divide the step by 5 whenever the monitored score (training loss, or
        validation accuracy with ``early_stopping``) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and stop after three such divisions;
        "invscaling": ``lr / sqrt(1 + epoch)``; "cosine": decays to 0 over ``max_epochs``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified) and stop when its
        accuracy has not improved by ``tol`` for ``n_iter_no_change`` epochs; the best
        epoch's weights are kept. Otherwise stop on the training loss likewise.
    validation_fraction : float in (0, 1), default=0.1
    n_iter_no_change : int, default=5
    tol : float, default=1e-4
    class_weight : dict, "balanced" or None, default=None
    fit_intercept : bool, default=True
    warm_start : bool, default=False
        Start ``fit`` from the current weights.
    shuffle : bool, default=True
        Reshuffle the training rows every epoch.
    random_state : int, RandomState, Generator or None, default=None
    verbose : int, default=0
        1: a progress bar per epoch on stderr (tqdm when installed) with loss and
        validation score.
    n_threads : int or None, default=None
        Threads for the native kernels during ``fit`` (None: the global setting).

    Attributes
    ----------
    coef_ : ndarray of shape (n_classes, n_features)
    intercept_ : ndarray of shape (n_classes,)
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str, when X has column names
    loss_curve_ : list of float
        The training loss (with the penalty) after each epoch.
    validation_scores_ : list of float
        The held-out accuracy after each epoch (``early_stopping`` only).
    n_iter_ : int
        Epochs run.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> import softmaxkit as sk
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = sk.SoftmaxClassifier(random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    """

    def __init__(self, *, learning_rate=0.03, batch_size=256, max_epochs=300, alpha="auto",
                 optimizer="adam", momentum=0.9, lr_schedule="adaptive", early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, tol=1e-4, class_weight=None,
                 fit_intercept=True, warm_start=False, shuffle=True, random_state=None,
                 verbose=0, n_threads=None):
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.alpha = alpha
        self.optimizer = optimizer
        self.momentum = momentum
        self.lr_schedule = lr_schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.class_weight = class_weight
        self.fit_intercept = fit_intercept
        self.warm_start = warm_start
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.n_threads = n_threads

    # ------------------------------------------------------------------ validation

    def _validate_params(self):
        p = self
        _check_param("learning_rate", p.learning_rate,
                     isinstance(p.learning_rate, (int, float)) and 0 < p.learning_rate < np.inf,
                     "a finite number > 0")
        for name in ("batch_size", "max_epochs", "n_iter_no_change"):
            value = getattr(p, name)
            _check_param(name, value, isinstance(value, (int, np.integer))
                         and not isinstance(value, bool) and value >= 1, "an integer >= 1")
        _check_param("alpha", p.alpha, (isinstance(p.alpha, str) and p.alpha == "auto") or (
            isinstance(p.alpha, (int, float)) and 0 <= p.alpha < np.inf),
            '"auto" or a finite number >= 0')
        _check_param("optimizer", p.optimizer, p.optimizer in OPTIMIZERS, f"one of {OPTIMIZERS}")
        _check_param("momentum", p.momentum, isinstance(p.momentum, (int, float))
                     and 0 <= p.momentum < 1, "a number in [0, 1)")
        _check_param("lr_schedule", p.lr_schedule, p.lr_schedule in SCHEDULES,
                     f"one of {SCHEDULES}")
        _check_param("validation_fraction", p.validation_fraction,
                     isinstance(p.validation_fraction, float) and 0 < p.validation_fraction < 1,
                     "a float in (0, 1)")
        _check_param("tol", p.tol, isinstance(p.tol, (int, float)) and p.tol >= 0,
                     "a number >= 0")
        _check_param("n_threads", p.n_threads, p.n_threads is None or (
            isinstance(p.n_threads, int) and p.n_threads >= 1), "None or an integer >= 1")

    def _class_weights(self, y_enc, n_classes):
        cw = self.class_weight
        if cw is None:
            return None
        if isinstance(cw, str) and cw == "balanced":
            counts = np.bincount(y_enc, minlength=n_classes).astype(np.float64)
            return len(y_enc) / (n_classes * np.maximum(counts, 1))
        if isinstance(cw, dict):
            w = np.ones(n_classes)
            for label, value in cw.items():
                idx = np.flatnonzero(self.classes_ == label)
                if idx.size == 0:
                    raise ValueError(f"SoftmaxClassifier: class_weight names a label {label!r} "
                                     "that is not in y")
                w[idx[0]] = float(value)
            return w
        raise ValueError(f"SoftmaxClassifier: 'class_weight' must be None, 'balanced' or a dict, "
                         f"got {cw!r}")

    # ---------------------------------------------------------------------- training

    def fit(self, X, y, sample_weight=None):
        """Train on ``X`` (n_samples, n_features) and labels ``y``; returns self.

        ``X`` may be a Dask array (``y`` and ``sample_weight`` Dask or NumPy): training is
        then data-parallel over the active ``distributed`` Client's workers, minibatches
        drawn block by block, and the data never has to fit in one process.
        """
        if _dask.is_dask(X):
            from . import _classifier_dask

            return _classifier_dask.fit(self, X, y, sample_weight)
        return self._fit(X, y, sample_weight, classes=None, epochs=None, reset=True)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``X``, ``y`` from the current weights. ``classes`` is required on
        the first call (labels later calls may contain)."""
        if _dask.is_dask(X):
            raise TypeError("SoftmaxClassifier: partial_fit takes NumPy arrays; fit trains on "
                            "Dask arrays block by block")
        first = not hasattr(self, "coef_")
        if first and classes is None:
            raise ValueError("SoftmaxClassifier: partial_fit needs 'classes' on its first call")
        return self._fit(X, y, sample_weight, classes=classes, epochs=1, reset=first)

    def _fit(self, X, y, sample_weight, classes, epochs, reset):
        self._validate_params()
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc"),
                             dtype=(np.float64, np.float32), reset=reset)
        check_classification_targets(y)
        if reset:
            if classes is not None:
                self.classes_ = np.unique(np.asarray(classes))
            else:
                self.classes_ = np.unique(y)
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError("SoftmaxClassifier: 'classes' differs from the first partial_fit")
        if len(self.classes_) < 2:
            raise ValueError(f"SoftmaxClassifier needs at least 2 classes in y, got "
                             f"{len(self.classes_)} class: {self.classes_.tolist()}")
        y_enc = np.searchsorted(self.classes_, y)
        unseen = (y_enc >= len(self.classes_)) | (self.classes_[np.minimum(
            y_enc, len(self.classes_) - 1)] != y)
        if np.any(unseen):
            raise ValueError(f"SoftmaxClassifier: label {y[np.argmax(unseen)]!r} is not one of "
                             f"the classes {self.classes_.tolist()}")
        n, d = X.shape
        k = len(self.classes_)
        sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if sw.shape != (n,) or not np.all(np.isfinite(sw)) or np.any(sw < 0):
            raise ValueError(f"SoftmaxClassifier: 'sample_weight' must be {n} finite numbers "
                             f">= 0, got shape {sw.shape}")
        if not np.any(sw > 0):
            raise ValueError("SoftmaxClassifier: every sample weight is zero")
        cw = self._class_weights(y_enc, k)
        if cw is not None:
            sw = sw * cw[y_enc]
        rng = self._start(k, d, X.dtype, keep=not reset)

        train = np.arange(n)
        val = None
        if self.early_stopping and epochs is None:
            val_mask = np.zeros(n, bool)
            for c in range(k):
                idx = rng.permutation(np.flatnonzero(y_enc == c))
                val_mask[idx[: int(round(self.validation_fraction * idx.size))]] = True
            if val_mask.all() or not val_mask.any():
                raise ValueError("SoftmaxClassifier: too few samples for early_stopping's "
                                 "validation split")
            train, val = np.flatnonzero(~val_mask), np.flatnonzero(val_mask)

        threads_before = _config.get_num_threads()
        if self.n_threads is not None:
            _config.set_num_threads(self.n_threads)
        try:
            with deferred_interrupt() as stop:
                self._train(X, y_enc, sw, train, val, epochs or self.max_epochs, rng,
                            incremental=epochs is not None, stop=stop)
        except KeyboardInterrupt:
            self._restore_epoch()
            raise
        finally:
            self.__dict__.pop("_epoch_snapshot", None)
            _config.set_num_threads(threads_before)
        return self

    def _start(self, k, d, dtype, *, keep=False):
        """The random generator of this fit, and the weights it starts from: zeros, or
        the current ones for partial_fit (``keep``) and warm_start."""
        rng = np.random.default_rng(self.random_state if not isinstance(
            self.random_state, np.random.RandomState) else self.random_state.randint(2**31))
        warm = (keep and hasattr(self, "coef_")) or (
            self.warm_start and hasattr(self, "coef_") and self.coef_.shape == (k, d))
        if not warm:
            self.coef_ = np.zeros((k, d), dtype=dtype)
            self.intercept_ = np.zeros(k, dtype=dtype)
            self._opt_state = None
            self.loss_curve_, self.validation_scores_ = [], []
            self.t_ = 0
            self._lr_factor = 1.0
        else:
            self.coef_ = self.coef_.astype(dtype, copy=False)
            self.intercept_ = self.intercept_.astype(dtype, copy=False)
        if self._opt_state is None:
            self._opt_state = {"m": [np.zeros_like(self.coef_), np.zeros_like(self.intercept_)],
                               "v": [np.zeros_like(self.coef_), np.zeros_like(self.intercept_)]}
        return rng

    def _on_plateau(self, no_change):
        """After an epoch that did not improve: (the new count, whether to stop). The
        adaptive schedule divides the step by 5 (three times at most) before stopping."""
        no_change += 1
        if no_change < self.n_iter_no_change:
            return no_change, False
        if self.lr_schedule == "adaptive" and self._lr_factor > 0.2**3 * 1.01:
            self._lr_factor *= 0.2
            return 0, False
        return no_change, True

    def _snapshot_epoch(self, epochs_done):
        """What an interrupted fit falls back to: the state after the last whole epoch."""
        st = self._opt_state
        self._epoch_snapshot = (self.coef_.copy(), self.intercept_.copy(),
                                [a.copy() for a in st["m"]], [a.copy() for a in st["v"]],
                                self.t_, getattr(self, "_lr_factor", 1.0), epochs_done)

    def _restore_epoch(self):
        snap = self.__dict__.pop("_epoch_snapshot", None)
        if snap is None:
            return
        W, b, m, v, t, lr_factor, epochs_done = snap
        self.coef_[...], self.intercept_[...] = W, b
        for dst, src in zip(self._opt_state["m"] + self._opt_state["v"], m + v):
            dst[...] = src
        self.t_, self._lr_factor, self.n_iter_ = t, lr_factor, epochs_done

    def _step_size(self, epoch, total):
        lr = float(self.learning_rate) * getattr(self, "_lr_factor", 1.0)
        if self.lr_schedule == "invscaling":
            return lr / np.sqrt(1.0 + epoch)
        if self.lr_schedule == "cosine":
            return lr * 0.5 * (1 + np.cos(np.pi * min(epoch, total) / total))
        return lr

    def _train(self, X, y_enc, sw, train, val, n_epochs, rng, incremental, stop=None):
        W, b = self.coef_, self.intercept_
        m, v = self._opt_state["m"], self._opt_state["v"]
        beta1, beta2, eps = float(self.momentum), 0.999, 1e-8
        # "auto": 1 / (total sample weight), i.e. 1 / n_samples with unit weights; by weight
        # so that a weight of 2 and a repeated sample give the same model
        sw_total = float(np.sum(sw[train])) or 1.0
        alpha = 1.0 / sw_total if self.alpha == "auto" else float(self.alpha)
        best = (-np.inf, None)
        no_change = 0
        bar = self._progress(n_epochs)
        epoch_count = 0
        for epoch in range(n_epochs):
            self._snapshot_epoch(epoch_count)
            order = rng.permutation(train) if self.shuffle else train
            lr = self._step_size(len(self.loss_curve_), self.max_epochs)
            loss_sum = 0.0
            for start in range(0, order.size, self.batch_size):
                idx = order[start:start + self.batch_size]
                Xb, yb, wb = X[idx], y_enc[idx], sw[idx]
                z = np.asarray(Xb @ W.T, dtype=W.dtype)
                if self.fit_intercept:
                    z += b
                losses, g = cross_entropy(z, yb, reduction="none", grad_out=z)
                total_w = float(np.sum(wb))
                if total_w == 0:
                    continue
                g *= (wb / total_w).astype(g.dtype)[:, None]
                loss_sum += float(np.dot(wb, losses))
                gW = np.asarray(Xb.T @ g).T + alpha * W if alpha else np.asarray(Xb.T @ g).T
                gb = g.sum(axis=0)
                self.t_ += 1
                self._update(W, b, gW, gb, m, v, lr, beta1, beta2, eps)
                if stop is not None and stop["requested"]:
                    if bar is not None:
                        bar(None, None, None)
                    raise KeyboardInterrupt
            epoch_count += 1
            loss = loss_sum / sw_total + 0.5 * alpha * float(np.sum(W * W))
            self.loss_curve_.append(loss)
            score = None
            if val is not None:
                score = float(np.mean(self._predict_enc(X[val]) == y_enc[val]))
                self.validation_scores_.append(score)
            if bar is not None:
                bar(epoch, loss, score)
            if incremental:
                continue
            current = score if val is not None else -loss
            if current > best[0] + self.tol:
                best = (current, (W.copy(), b.copy()) if val is not None else None)
                no_change = 0
            else:
                no_change, done = self._on_plateau(no_change)
                if done:
                    break
        self.__dict__.pop("_epoch_snapshot", None)
        if val is not None and best[1] is not None:
            W[...], b[...] = best[1]
        if bar is not None:
            bar(None, None, None)
        self.n_iter_ = epoch_count if not incremental else getattr(self, "n_iter_", 0) + 1

    def _update(self, W, b, gW, gb, m, v, lr, beta1, beta2, eps):
        params = (W, b) if self.fit_intercept else (W,)
        grads = (gW, gb)
        for i, p in enumerate(params):
            g = grads[i].astype(p.dtype, copy=False)
            if self.optimizer == "sgd":
                p -= lr * g
            elif self.optimizer == "momentum":
                m[i] *= beta1
                m[i] += g
                p -= lr * m[i]
            else:  # adam
                m[i] *= beta1
                m[i] += (1 - beta1) * g
                v[i] *= beta2
                v[i] += (1 - beta2) * (g * g)
                mhat = m[i] / (1 - beta1 ** self.t_)
                vhat = v[i] / (1 - beta2 ** self.t_)
                p -= lr * mhat / (np.sqrt(vhat) + eps)

    def _progress(self, n_epochs):
        if not self.verbose:
            return None
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            bar = tqdm(total=n_epochs, desc="SoftmaxClassifier", unit="epoch", file=sys.stderr,
                       leave=False, mininterval=0.25)

            def update(epoch, loss, score):
                if epoch is None:
                    bar.refresh()  # the last epoch's loss, whatever the interval
                    bar.close()
                    return
                post = {"loss": f"{loss:.4f}"}
                if score is not None:
                    post["val"] = f"{score:.4f}"
                bar.set_postfix(post, refresh=False)  # drawn at most every 0.25 s
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

    # -------------------------------------------------------------------- prediction

    def decision_function(self, X):
        """The logits ``X @ coef_.T + intercept_``, shape (n_samples, n_classes); for two
        classes, scikit-learn's convention: ``z[:, 1] - z[:, 0]``, shape (n_samples,)."""
        z = self._logits(X)
        return z[:, 1] - z[:, 0] if z.shape[1] == 2 else z

    def _logits(self, X):
        check_is_fitted(self)
        if _dask.is_dask(X):
            from . import _classifier_dask

            return _classifier_dask.logits(self, X)
        X = validate_data(self, X, accept_sparse=("csr", "csc"),
                          dtype=(np.float64, np.float32), reset=False)
        z = np.asarray(X @ self.coef_.T.astype(X.dtype, copy=False))
        return z + self.intercept_.astype(z.dtype) if self.fit_intercept else z

    def _predict_enc(self, X):
        z = np.asarray(X @ self.coef_.T) + (self.intercept_ if self.fit_intercept else 0)
        return np.argmax(z, axis=1)

    def predict_proba(self, X):
        """Class probabilities: the softmax of the logits."""
        return softmax(self._logits(X), axis=1)

    def predict_log_proba(self, X):
        """Log-probabilities, computed in log space (never ``log(predict_proba)``)."""
        return log_softmax(self._logits(X), axis=1)

    def predict(self, X):
        """The most probable class of each row (lazily, block by block, for Dask)."""
        if _dask.is_dask(X):
            from . import _classifier_dask

            check_is_fitted(self)
            return _classifier_dask.predict(self, X)
        z = self._logits(X)
        return self.classes_[np.argmax(z, axis=1)]

    def save(self, path) -> None:
        """Write the fitted model to ``path``: a zip of ``.npy`` arrays and a JSON header
        with a format version, written atomically. Load it with :meth:`load`."""
        check_is_fitted(self)
        from ._persistence import save_model

        save_model(self, path)

    @classmethod
    def load(cls, path) -> SoftmaxClassifier:
        """Read a model written by :meth:`save`. Never executes code from the file; a
        truncated, corrupted, foreign or newer-format file raises ValueError.

        Examples
        --------
        >>> import numpy as np, tempfile, os
        >>> import softmaxkit as sk
        >>> clf = sk.SoftmaxClassifier(max_epochs=5).fit(np.eye(4), ["a", "b", "a", "b"])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.skm")
        >>> clf.save(path)
        >>> loaded = sk.SoftmaxClassifier.load(path)
        >>> loaded.predict(np.eye(4)).tolist() == clf.predict(np.eye(4)).tolist()
        True
        """
        from ._persistence import load_model

        return load_model(cls, path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)


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


def softmax_grid_search(X_train, y_train, X_val, y_val, learning_rates, regularizations, *,
                        max_epochs=50, random_state=0, verbose=0, **params):
    r"""cs231n's learning-rate × regularization search, as a table.

    Trains a :class:`SoftmaxClassifier` for every pair (``regularizations`` are cs231n's
    ``reg``: the loss holds ``reg * sum(W**2)``, i.e. ``alpha = 2 * reg``) and measures the
    accuracy on the training and validation sets.

    With ``verbose``, a progress bar over the pairs is drawn on stderr (tqdm's when
    installed). Other keyword arguments go to every :class:`SoftmaxClassifier`.

    Returns
    -------
    numpy structured array
        Fields ``learning_rate``, ``reg``, ``train_accuracy``, ``val_accuracy``, one row
        per pair, in the order of the loops (learning rate outer).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> import softmaxkit as sk
    >>> X, y = load_iris(return_X_y=True)
    >>> table = sk.softmax_grid_search(X[::2], y[::2], X[1::2], y[1::2], [0.01, 0.1],
    ...                                [1e-4, 1e-1], max_epochs=20)
    >>> table.dtype.names
    ('learning_rate', 'reg', 'train_accuracy', 'val_accuracy')
    >>> len(table)
    4
    """
    rows = []
    pairs = [(lr, reg) for lr in learning_rates for reg in regularizations]
    bar = _pair_progress(len(pairs)) if verbose else None
    for lr, reg in pairs:
        clf = SoftmaxClassifier(learning_rate=float(lr), alpha=2.0 * float(reg),
                                max_epochs=max_epochs, random_state=random_state, **params)
        clf.fit(X_train, y_train)
        rows.append((float(lr), float(reg), clf.score(X_train, y_train),
                     clf.score(X_val, y_val)))
        if bar is not None:
            bar(f"lr {lr:g} reg {reg:g}: val {rows[-1][3]:.4f}")
    if bar is not None:
        bar(None)
    return np.array(rows, dtype=[("learning_rate", "f8"), ("reg", "f8"),
                                 ("train_accuracy", "f8"), ("val_accuracy", "f8")])


def _pair_progress(total):
    """A progress callback over the grid: tqdm's bar when installed, else a line each."""
    try:
        from tqdm import tqdm
    except ImportError:
        done = [0]

        def update(text):
            if text is not None:
                done[0] += 1
                print(f"grid search {done[0]}/{total}: {text}", file=sys.stderr)
        return update
    bar = tqdm(total=total, desc="grid search", unit="fit", file=sys.stderr, leave=False)

    def update(text):
        if text is None:
            bar.close()
            return
        bar.set_postfix_str(text, refresh=False)
        bar.update(1)
    return update
