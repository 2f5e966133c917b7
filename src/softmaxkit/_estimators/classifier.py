"""SoftmaxClassifier: multinomial logistic regression trained by minibatch gradient descent.

scikit-learn conventions: ``__init__`` only stores the parameters, ``fit`` validates and
learns, learned attributes end in ``_``. The loss and its gradient come from the fused
cross-entropy kernel (``_losses.cross_entropy``), one minibatch at a time; the L2 penalty
``alpha/2 * ||W||^2`` is added to the loss and ``alpha * W`` to the gradient.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._api.family import log_softmax, softmax
from .._api.losses import cross_entropy
from .._api.sparse import entmax15, entmax15_loss, sparsemax, sparsemax_loss
from .._backends import native
from .._core import config as _config
from .._core.arrays import is_dask
from . import calibration, classifier_dask, persistence, training
from .training import Trainer, TrainingState

__all__ = ["SoftmaxClassifier", "softmax_grid_search"]


# link -> its map, and the loss it trains with (the fused cross-entropy for softmax)
_LINKS = {"softmax": softmax, "sparsemax": sparsemax, "entmax15": entmax15}
_FY_LOSSES = {"sparsemax": sparsemax_loss, "entmax15": entmax15_loss}


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
    max_epochs : int, default=1000
        Enough for the bundled datasets to meet ``tol`` (iris needs 330 to 750 epochs);
        when it stops training first, ``fit`` warns with ``ConvergenceWarning``.
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
        Threads for the native kernels during ``fit`` (None: the global setting). A
        minibatch's matrix products (fewer than 2**26 multiply-adds: ``batch_size *
        n_features * n_classes``) run on the calling thread during ``fit``: NumPy's BLAS
        threads (limited through threadpoolctl for the duration of the fit, for the whole
        process) gain little there and cost several times the fit's time when another
        process holds a core.
    link : {"softmax", "sparsemax", "entmax15"}, default="softmax"
        The map from logits to probabilities, trained with its loss: softmax with
        cross-entropy, or a sparse map with its Fenchel–Young loss
        (:func:`sparsemax_loss`, :func:`entmax15_loss`), whose ``predict_proba`` has exact
        zeros. Dask input trains with "softmax" only.
    calibrate : {None, "temperature"}, default=None
        "temperature": hold out ``validation_fraction`` of the data (stratified; the same
        split as ``early_stopping``'s when both are set), train on the rest, then fit a
        :class:`~softmaxkit.calibration.TemperatureScaler` on the held-out logits;
        ``predict_proba`` and ``predict_log_proba`` then use ``logits / temperature_``.
        Predictions (the argmax) are unchanged. Needs ``link="softmax"`` and NumPy input;
        ``partial_fit`` keeps the temperature of the last ``fit``.

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
    temperature_ : float
        The calibrated temperature (``calibrate="temperature"``; 1.0 otherwise).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> import softmaxkit as sk
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = sk.SoftmaxClassifier(random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    """

    def __init__(self, *, learning_rate=0.03, batch_size=256, max_epochs=1000, alpha="auto",
                 optimizer="adam", momentum=0.9, lr_schedule="adaptive", early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, tol=1e-4, class_weight=None,
                 fit_intercept=True, warm_start=False, shuffle=True, random_state=None,
                 verbose=0, n_threads=None, link="softmax", calibrate=None):
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
        self.link = link
        self.calibrate = calibrate

    @property
    def t_(self) -> int:
        """Optimizer steps taken so far (all fits of this estimator's weights)."""
        state = self.__dict__.get("_state")
        if state is None:
            raise AttributeError("t_")
        return state.t

    def _publish(self, state: TrainingState) -> None:
        """The learned attributes from a training state (the same arrays and lists)."""
        self._state = state
        self.coef_, self.intercept_ = state.coef, state.intercept
        self.loss_curve_, self.validation_scores_ = state.loss_curve, state.validation_scores
        self.n_iter_ = state.n_iter

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
        """Train on ``X`` and the labels ``y`` from new weights (or, with ``warm_start``, the
        current ones).

        ``X`` may be a Dask array (``y`` and ``sample_weight`` Dask or NumPy): training is
        then data-parallel over the active ``distributed`` Client's workers, minibatches
        drawn block by block, and the data never has to fit in one process.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            The features, float32 or float64 (others are converted to float64).
        y : array-like of shape (n_samples,)
            The labels: any values NumPy can sort (strings included).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights; combined with ``class_weight``.

        Returns
        -------
        SoftmaxClassifier
            The fitted estimator (``self``).
        """
        if is_dask(X):
            params = self.get_params()
            training.validate_params(params)
            if self.link != "softmax":
                raise ValueError(f"SoftmaxClassifier: link={self.link!r} trains on NumPy "
                                 "arrays; Dask input trains with link='softmax'")
            if self.calibrate is not None:
                raise ValueError("SoftmaxClassifier: calibrate='temperature' fits on NumPy "
                                 "arrays; calibrate a Dask-trained model with "
                                 "softmaxkit.calibration.TemperatureScaler")
            warm = self.warm_start and hasattr(self, "coef_")
            classes, n_features, state = classifier_dask.fit(
                params, X, y, sample_weight, previous=self.__dict__.get("_state"),
                coef=getattr(self, "coef_", None) if warm else None,
                intercept=getattr(self, "intercept_", None) if warm else None)
            self.classes_, self.n_features_in_ = classes, n_features
            self._publish(state)
            return self
        return self._fit(X, y, sample_weight, classes=None, epochs=None, reset=True)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train one epoch over ``X``, ``y`` from the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The features of this batch.
        y : array-like of shape (n_samples,)
            Its labels.
        classes : array-like, optional
            Every label any call may contain; required on the first call.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        SoftmaxClassifier
            The updated estimator (``self``).
        """
        if is_dask(X):
            raise TypeError("SoftmaxClassifier: partial_fit takes NumPy arrays; fit trains on "
                            "Dask arrays block by block")
        first = not hasattr(self, "coef_")
        if first and classes is None:
            raise ValueError("SoftmaxClassifier: partial_fit needs 'classes' on its first call")
        return self._fit(X, y, sample_weight, classes=classes, epochs=1, reset=first)

    def _fit(self, X, y, sample_weight, classes, epochs, reset):
        params = self.get_params()
        training.validate_params(params)
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
        y_enc = training.encode_labels(y, self.classes_)
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
        rng = training.make_rng(self.random_state)
        warm = hasattr(self, "coef_") and (not reset or self.warm_start)
        state = TrainingState.start(self.__dict__.get("_state"), getattr(self, "coef_", None),
                                    getattr(self, "intercept_", None), k, d, X.dtype,
                                    warm=warm)
        self._publish(state)

        train = np.arange(n)
        val = None
        calibrate = self.calibrate is not None and epochs is None
        if (self.early_stopping or calibrate) and epochs is None:
            val_mask = np.zeros(n, bool)
            for c in range(k):
                idx = rng.permutation(np.flatnonzero(y_enc == c))
                val_mask[idx[: int(round(self.validation_fraction * idx.size))]] = True
            if val_mask.all() or not val_mask.any():
                raise ValueError("SoftmaxClassifier: too few samples for the validation "
                                 "split (early_stopping, calibrate)")
            train, val = np.flatnonzero(~val_mask), np.flatnonzero(val_mask)

        # "auto": 1 / (total sample weight), i.e. 1 / n_samples with unit weights; by weight
        # so that a weight of 2 and a repeated sample give the same model
        sw_total = float(np.sum(sw[train])) or 1.0
        alpha = 1.0 / sw_total if self.alpha == "auto" else float(self.alpha)
        trainer = Trainer(params, state, alpha)
        batch = self.batch_size

        # The step's loss and gradient come from the fused kernel directly: the labels are
        # encoded and the logits fresh, so the public function's checks would only cost
        # (a tenth of the step). Rows are gathered into one buffer, not a new array each.
        fused = _config.get_backend() == "native" and self.link == "softmax"
        fy_loss = _FY_LOSSES.get(self.link)
        dense = isinstance(X, np.ndarray)
        rows = np.empty((min(batch, n), d), X.dtype) if dense else None

        def epoch(lr):
            W, b = state.coef, state.intercept
            order = rng.permutation(train) if self.shuffle else train
            loss_sum = 0.0
            for start in range(0, order.size, batch):
                idx = order[start:start + batch]
                yb, wb = y_enc[idx], sw[idx]
                total_w = float(np.sum(wb))
                if total_w == 0:
                    continue
                # mode="clip": with out=, the default "raise" buffers the gather (twice the time)
                Xb = (np.take(X, idx, axis=0, out=rows[:idx.size], mode="clip") if dense
                      else X[idx])
                z = np.asarray(Xb @ W.T, dtype=W.dtype)
                if self.fit_intercept:
                    z += b
                scale = wb / total_w
                nll = native.xent_rows(z, yb, scale, z) if fused else None
                if fy_loss is not None:  # a sparse link: its Fenchel–Young loss
                    nll, g = fy_loss(z, yb, reduction="none", return_grad=True)
                    g *= scale.astype(g.dtype)[:, None]
                elif nll is None:
                    nll, g = cross_entropy(z, yb, reduction="none", grad_out=z)
                    g *= scale.astype(g.dtype)[:, None]
                else:  # z now holds scale * (softmax(z) - onehot(y))
                    g = z
                loss_sum += float(np.dot(wb, nll))
                gW = g.T @ Xb if dense else np.asarray(Xb.T @ g).T  # (k, d) either way
                trainer.update(gW, g.sum(axis=0), lr)
                trainer.check_stop()
            return loss_sum

        def score():
            return float(np.mean(self._predict_enc(X[val]) == y_enc[val]))

        threads_before = _config.get_num_threads()
        if self.n_threads is not None:
            _config.set_num_threads(self.n_threads)
        try:
            with training.blas_threads_for(min(batch, n) * d * k):
                trainer.run(epochs or self.max_epochs, epoch, sw_total,
                            score=score if self.early_stopping and val is not None else None,
                            incremental=epochs is not None)
        finally:
            self._publish(state)
            _config.set_num_threads(threads_before)
        if calibrate:
            z = np.asarray(X[val] @ state.coef.T, dtype=np.float64)
            if self.fit_intercept:
                z += state.intercept
            self.temperature_, _ = calibration.fit_temperature(
                z, y_enc[val], sample_weight=sw[val] / np.sum(sw[val]))
        elif reset:
            self.temperature_ = 1.0
        return self

    # -------------------------------------------------------------------- prediction

    def decision_function(self, X):
        """Compute the logits ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            The rows to predict (a Dask array gives a lazy result, block by block).

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
            The logits; for two classes scikit-learn's convention, ``z[:, 1] - z[:, 0]``.
        """
        z = self._logits(X)
        return z[:, 1] - z[:, 0] if z.shape[1] == 2 else z

    def _logits(self, X):
        check_is_fitted(self)
        if is_dask(X):
            return classifier_dask.logits(X, self.coef_, self.intercept_, self.fit_intercept,
                                          self.n_features_in_)
        X = validate_data(self, X, accept_sparse=("csr", "csc"),
                          dtype=(np.float64, np.float32), reset=False)
        z = np.asarray(X @ self.coef_.T.astype(X.dtype, copy=False))
        return z + self.intercept_.astype(z.dtype) if self.fit_intercept else z

    def _predict_enc(self, X):
        z = np.asarray(X @ self.coef_.T) + (self.intercept_ if self.fit_intercept else 0)
        return np.argmax(z, axis=1)

    def _temperature(self):
        return float(self.__dict__.get("temperature_", 1.0))

    def predict_proba(self, X):
        """Compute the class probabilities: the link (softmax, or a sparse map) of the logits,
        divided by ``temperature_`` when calibrated.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            The rows to predict (a Dask array gives a lazy result, block by block).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Each row sums to 1; column ``j`` is ``classes_[j]``.
        """
        if self.link == "softmax":
            return softmax(self._logits(X), axis=1, temperature=self._temperature())
        return _LINKS[self.link](self._logits(X), axis=1)

    def predict_log_proba(self, X):
        """Compute the log-probabilities: in log space for softmax (never
        ``log(predict_proba)``); for a sparse link the log of its probabilities (-inf
        where they are 0).

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            The rows to predict (a Dask array gives a lazy result, block by block).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The log-probabilities; column ``j`` is ``classes_[j]``.
        """
        if self.link == "softmax":
            return log_softmax(self._logits(X), axis=1, temperature=self._temperature())
        p = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(p) if isinstance(p, np.ndarray) else p.map_blocks(np.log)

    def predict(self, X):
        """Predict the most probable class of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            The rows to predict (a Dask array gives a lazy result, block by block).

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        if is_dask(X):
            check_is_fitted(self)
            return classifier_dask.predict(X, self.coef_, self.intercept_, self.fit_intercept,
                                           self.n_features_in_, self.classes_)
        z = self._logits(X)
        return self.classes_[np.argmax(z, axis=1)]

    def save(self, path) -> None:
        """Write the fitted model to ``path``: a zip of ``.npy`` arrays and a JSON header
        with a format version, written atomically. Load it with :meth:`load`.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (replaced whole, or left as it was on an error).
        """
        check_is_fitted(self)
        persistence.save_model(self, path)

    @classmethod
    def load(cls, path) -> SoftmaxClassifier:
        """Read a model written by :meth:`save`. Never executes code from the file; a
        truncated, corrupted, foreign or newer-format file raises ValueError.

        Parameters
        ----------
        path : str or os.PathLike
            The model file.

        Returns
        -------
        SoftmaxClassifier
            The fitted classifier.

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
        return persistence.load_model(cls, path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("link", "softmax")  # pickled before the parameter existed
        super().__setstate__(state)


def softmax_grid_search(X_train, y_train, X_val, y_val, learning_rates, regularizations, *,
                        max_epochs=50, random_state=0, verbose=0, **params):
    r"""cs231n's learning-rate × regularization search, as a table.

    Trains a :class:`SoftmaxClassifier` for every pair (``regularizations`` are cs231n's
    ``reg``: the loss holds ``reg * sum(W**2)``, i.e. ``alpha = 2 * reg``) and measures the
    accuracy on the training and validation sets.

    Parameters
    ----------
    X_train, y_train : array-like
        The training features and labels.
    X_val, y_val : array-like
        The validation features and labels.
    learning_rates : sequence of float
        The learning rates to try.
    regularizations : sequence of float
        The regularization strengths ``reg`` to try (``alpha = 2 * reg``).
    max_epochs : int, default=50
        Epochs per pair.
    random_state : int, default=0
        The seed of every classifier, so the pairs differ only in their parameters.
    verbose : int, default=0
        1: a progress bar over the pairs on stderr (tqdm's when installed).
    **params
        Other parameters of every :class:`SoftmaxClassifier`.

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
