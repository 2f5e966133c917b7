"""Post-hoc calibration of logits: temperature scaling and vector scaling (Guo et al., 2017).

Both are scikit-learn estimators fit on held-out ``(logits, labels)``; ``transform`` gives
calibrated probabilities. The temperature is found exactly: the negative log-likelihood is
convex in ``beta = 1/T`` (a log-sum-exp of a linear function, minus a linear one), so its
derivative has one root, found by Newton's method inside a shrinking bracket.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._api.family import softmax
from .._api.gradients import softmax_temperature_grad
from .._api.losses import cross_entropy

__all__ = ["TemperatureScaler", "VectorScaler", "fit_temperature"]

# Newton stops when a step moves beta = 1/T by less than this, relative
_RTOL = 1e-12
_MAX_ITER = 100


def _logits_labels(est, X, y, sample_weight, reset=True):
    """Validated float64 logits (n, k) (1-D: two classes, [0, z]) and column labels."""
    X = validate_data(est, X, ensure_2d=False, dtype=np.float64, reset=reset)
    z = np.stack([np.zeros_like(X), X], axis=1) if X.ndim == 1 else X
    name = type(est).__name__
    est.n_features_in_ = X.shape[1] if X.ndim == 2 else 1
    if z.ndim != 2 or z.shape[1] < 2:
        width = X.shape[1] if X.ndim == 2 else "?"
        raise ValueError(f"{name}: the logits must be (n_samples, n_classes >= 2) or "
                         f"(n_samples,) for two classes, got shape {X.shape} "
                         f"(n_features = {width})")
    y = np.asarray(y)
    check_classification_targets(y)  # scikit-learn's message for continuous or object y
    if y.shape != (z.shape[0],):
        raise ValueError(f"{name}: 'y' must be one label per row of the logits, got shape "
                         f"{y.shape} for {z.shape[0]} rows")
    if y.dtype.kind not in "iub" or np.any(y < 0) or np.any(y >= z.shape[1]):
        raise ValueError(f"{name}: 'y' must be column indices of the logits, integers in "
                         f"[0, {z.shape[1]})")
    if sample_weight is None:
        w = np.full(z.shape[0], 1.0 / z.shape[0])
    else:
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.shape != y.shape or not np.all(np.isfinite(w) & (w >= 0)) or not np.any(w > 0):
            raise ValueError(f"{name}: 'sample_weight' must be {y.size} finite numbers >= 0, "
                             "not all zero")
        w = w / np.sum(w)
    return z, y.astype(np.intp), w


def _fitted_logits(est, X):
    """Logits for a fitted scaler's transform, in their float dtype, with as many
    columns as it was fit on (1-D: two classes, [0, z])."""
    check_is_fitted(est)
    X = validate_data(est, X, ensure_2d=False, dtype=(np.float64, np.float32), reset=False)
    name = type(est).__name__
    if X.ndim == 1 and est.n_features_in_ != 1:
        raise ValueError(f"{name}: expected 2-D logits with {est.n_features_in_} columns, "
                         "got a 1-D array. Reshape your data with array.reshape(1, -1) if "
                         "it holds one sample")
    width = X.shape[1] if X.ndim == 2 else 1
    if X.ndim > 2 or width != est.n_features_in_:
        raise ValueError(f"X has {width} features, but {name} is expecting "
                         f"{est.n_features_in_} features as input (logits per row)")
    return np.stack([np.zeros_like(X), X], axis=1) if X.ndim == 1 else X


def _nll_slope(z, y, w, beta):
    """d/d(beta) of the weighted NLL of softmax(beta * z), from the exact temperature
    gradient (dL/dT, T = 1/beta: dL/dbeta = -T**2 dL/dT), and the curvature: the
    weighted variance of z under softmax(beta * z)."""
    t = 1.0 / beta
    dy = np.zeros_like(z)
    dy[np.arange(y.size), y] = -w
    slope = -t * t * float(np.sum(softmax_temperature_grad(z, dy, axis=1, temperature=t,
                                                           log=True)))
    p = softmax(z, axis=1, temperature=t)
    mean = np.sum(p * z, axis=1, keepdims=True)
    curvature = float(np.dot(w, np.sum(p * (z - mean) ** 2, axis=1)))
    return slope, curvature


def fit_temperature(logits, y, *, sample_weight=None, bounds=(1e-3, 1e3)):
    """The temperature minimizing the NLL of ``softmax(logits / T)`` and Newton's steps.

    Returns ``(T, n_iter)``. ``logits`` float64 (n, k), ``y`` column indices, weights
    summing to 1; see :class:`TemperatureScaler`.
    """
    z, y, w = logits, y, sample_weight
    lo, hi = 1.0 / bounds[1], 1.0 / bounds[0]  # beta's bracket
    g_lo, _ = _nll_slope(z, y, w, lo)
    g_hi, _ = _nll_slope(z, y, w, hi)
    if g_lo == 0.0 and g_hi == 0.0:  # flat: every row's logits are equal
        return float(np.clip(1.0, *bounds)), 0
    if g_lo >= 0.0:
        return float(bounds[1]), 0
    if g_hi <= 0.0:  # separable: sharper is always better, up to the bound
        return float(bounds[0]), 0
    beta = float(np.clip(1.0, lo, hi))
    for it in range(1, _MAX_ITER + 1):
        g, h = _nll_slope(z, y, w, beta)
        if g == 0.0:
            return 1.0 / beta, it
        if g > 0.0:
            hi = beta
        else:
            lo = beta
        step = beta - g / h if h > 0.0 else np.nan
        if abs(step - beta) <= _RTOL * beta or hi - lo <= _RTOL * lo:
            return 1.0 / step if np.isfinite(step) else 1.0 / beta, it
        # outside the bracket (or no curvature): bisect it, geometrically (it spans decades)
        beta = step if lo < step < hi else float(np.sqrt(lo * hi))
    return 1.0 / beta, _MAX_ITER


def _check_bounds(name, bounds):
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: 'bounds' must be two numbers (low, high), got "
                         f"{bounds!r}") from None
    if not (0 < lo <= hi < np.inf):
        raise ValueError(f"{name}: 'bounds' must satisfy 0 < low <= high < inf, got "
                         f"{bounds!r}")
    return lo, hi


def _vector_hessian(z, w, theta, alpha):
    """The Hessian of vector scaling's weighted NLL in (scale, bias): with ``A_i = diag(p_i)
    - p_i p_i^T`` and ``z'_i = scale * z_i + bias``, the blocks are ``sum_i w_i A_i * z_i
    z_i^T``, ``sum_i w_i A_i * z_i 1^T`` and ``sum_i w_i A_i`` (plus ``alpha`` on the
    diagonal). Singular without ``alpha`` (a common shift of the biases changes nothing):
    the Newton step is then the least-squares one."""
    k = z.shape[1]
    p = softmax(theta[:k] * z + theta[k:], axis=1)
    pz = p * z
    wp, wpz = w[:, None] * p, w[:, None] * pz
    h_ss = np.diag(np.sum(wpz * z, axis=0)) - wpz.T @ pz
    h_sb = np.diag(np.sum(wpz, axis=0)) - wpz.T @ p
    h_bb = np.diag(np.sum(wp, axis=0)) - wp.T @ p
    return np.block([[h_ss, h_sb], [h_sb.T, h_bb]]) + alpha * np.eye(2 * k)


class TemperatureScaler(TransformerMixin, BaseEstimator):
    r"""Temperature scaling: calibrated probabilities ``softmax(logits / T)``.

    ``fit`` finds the ``T`` that minimizes the mean negative log-likelihood of held-out
    labels. That is a convex problem in ``beta = 1/T``; Newton's method on the exact
    derivative (:func:`softmaxkit.softmax_temperature_grad`) inside a bracket that every
    step shrinks converges when a step changes ``1/T`` by less than ``1e-12`` of itself.
    ``T`` lands on a bound when the optimum lies beyond it (for instance when every
    label is already the top class: sharper is then always better). Scaling by a
    positive ``T`` never changes the predicted class.

    Parameters
    ----------
    bounds : (float, float), default=(1e-3, 1e3)
        The range searched for ``T``.

    Attributes
    ----------
    temperature_ : float
    n_iter_ : int
        Newton steps taken (0 when ``T`` is a bound).
    n_features_in_ : int
        The number of classes (columns of the logits).

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxkit.calibration import TemperatureScaler
    >>> logits = np.array([[4.0, 0.0], [3.0, 0.0], [0.0, 5.0], [2.0, 0.0]])
    >>> scaler = TemperatureScaler().fit(logits, [0, 1, 1, 0])
    >>> round(scaler.temperature_, 6)
    2.884015
    >>> scaler.transform(logits).round(3)[0]
    array([0.8, 0.2])
    """

    def __init__(self, *, bounds=(1e-3, 1e3)):
        self.bounds = bounds

    def fit(self, X, y, sample_weight=None):
        """Find the temperature that minimizes the negative log-likelihood of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes) or (n_samples,)
            Held-out logits (1-D: the second class's logit of two).
        y : array-like of shape (n_samples,)
            The labels as column indices of ``X``.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        self
            The fitted scaler.
        """
        bounds = _check_bounds(type(self).__name__, self.bounds)
        z, y, w = _logits_labels(self, X, y, sample_weight)
        self.temperature_, self.n_iter_ = fit_temperature(z, y, sample_weight=w,
                                                          bounds=bounds)
        return self

    def transform(self, X):
        """Compute the calibrated probabilities ``softmax(X / temperature_)``, in ``X``'s
        float dtype (two columns for 1-D logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes) or (n_samples,)
            Logits of the model the scaler was fitted for.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The calibrated probabilities.
        """
        z = _fitted_logits(self, X)
        return softmax(z, axis=1, temperature=self.temperature_)

    def predict_proba(self, X):
        """Compute the calibrated probabilities, as :meth:`transform` does.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes) or (n_samples,)
            Logits of the model the scaler was fitted for.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The calibrated probabilities.
        """
        return self.transform(X)


class VectorScaler(TransformerMixin, BaseEstimator):
    r"""Vector scaling: ``softmax(w * logits + b)``, one scale and one bias per class.

    Fit by L-BFGS on the mean negative log-likelihood (convex in ``w`` and ``b``), with
    the exact gradient of the fused cross-entropy, plus ``alpha/2 (||w − 1||² + ||b||²)``.
    Unlike temperature scaling it can change the predicted class.

    Parameters
    ----------
    alpha : float, default=0.0
        L2 penalty pulling ``w`` toward 1 and ``b`` toward 0; > 0 keeps the parameters
        finite when the labels are separable.
    max_iter : int, default=1000
    tol : float, default=1e-10
        L-BFGS's tolerance on the projected gradient.

    Attributes
    ----------
    scale_ : ndarray of shape (n_classes,)
    bias_ : ndarray of shape (n_classes,)
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxkit.calibration import VectorScaler
    >>> rng = np.random.default_rng(0)
    >>> logits = rng.normal(size=(200, 3)) * 3
    >>> y = rng.integers(0, 3, size=200)
    >>> scaler = VectorScaler().fit(logits, y)
    >>> bool(np.all(scaler.scale_ < 0.5))  # random labels: scaled toward uniform
    True
    """

    def __init__(self, *, alpha=0.0, max_iter=1000, tol=1e-10):
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y, sample_weight=None):
        """Fit ``scale_`` and ``bias_`` by penalized negative log-likelihood of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes) or (n_samples,)
            Held-out logits (1-D: the second class's logit of two).
        y : array-like of shape (n_samples,)
            The labels as column indices of ``X``.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        self
            The fitted scaler.
        """
        name = type(self).__name__
        if not (isinstance(self.alpha, (int, float)) and 0 <= self.alpha < np.inf):
            raise ValueError(f"{name}: 'alpha' must be a finite number >= 0, got "
                             f"{self.alpha!r}")
        if not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter >= 1):
            raise ValueError(f"{name}: 'max_iter' must be an integer >= 1, got "
                             f"{self.max_iter!r}")
        if not (isinstance(self.tol, (int, float)) and self.tol >= 0):
            raise ValueError(f"{name}: 'tol' must be a number >= 0, got {self.tol!r}")
        z, y, w = _logits_labels(self, X, y, sample_weight)
        k = z.shape[1]
        alpha = float(self.alpha)

        def objective(theta):
            scale, bias = theta[:k], theta[k:]
            nll, g = cross_entropy(scale * z + bias, y, axis=1, reduction="none",
                                   return_grad=True)
            g *= w[:, None]
            loss = float(np.dot(w, nll))
            loss += 0.5 * alpha * (np.sum((scale - 1) ** 2) + np.sum(bias ** 2))
            grad = np.concatenate([np.sum(g * z, axis=0) + alpha * (scale - 1),
                                   np.sum(g, axis=0) + alpha * bias])
            return loss, grad

        theta0 = np.concatenate([np.ones(k), np.zeros(k)])
        res = minimize(objective, theta0, jac=True, method="L-BFGS-B",
                       options={"maxiter": int(self.max_iter), "gtol": float(self.tol),
                                "ftol": 0.0})
        # L-BFGS stops where rounding stalls its line search, which depends on the order
        # of the sums (1e-7 apart for weights against repeated rows): two Newton steps on
        # the exact Hessian land on the optimum itself
        theta = res.x
        for _ in range(2):
            _, grad = objective(theta)
            step = np.linalg.lstsq(_vector_hessian(z, w, theta, alpha), grad, rcond=None)[0]
            theta = theta - step
        self.scale_, self.bias_ = theta[:k].copy(), theta[k:].copy()
        self.n_iter_ = int(res.nit) + 2
        return self

    def transform(self, X):
        """Compute the calibrated probabilities ``softmax(scale_ * X + bias_)``, in ``X``'s
        float dtype.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes) or (n_samples,)
            Logits of the model the scaler was fitted for.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The calibrated probabilities.
        """
        z = _fitted_logits(self, X)
        return softmax(self.scale_.astype(z.dtype) * z + self.bias_.astype(z.dtype), axis=1)

    def predict_proba(self, X):
        """Compute the calibrated probabilities, as :meth:`transform` does.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes) or (n_samples,)
            Logits of the model the scaler was fitted for.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The calibrated probabilities.
        """
        return self.transform(X)
