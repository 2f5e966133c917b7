"""How honest predicted probabilities are: calibration error, Brier score, log-likelihood.

Every metric takes the true labels and the predicted probabilities (one column per class)
and can return its per-bin table: the samples grouped by confidence, each bin's share of
the metric in its ``contribution`` field, so the table's contributions add up to the metric
(MCE: their largest). Bins are equal-width (``strategy="uniform"``) or hold about equal
numbers of samples (``"quantile"``), as in scikit-learn's ``calibration_curve``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._core.docstrings import parameters_of
from .._core.validation import as_float_array

__all__ = [
    "brier_score",
    "expected_calibration_error",
    "maximum_calibration_error",
    "negative_log_likelihood",
]

_STRATEGIES = ("uniform", "quantile")
_TABLE = [("lower", "f8"), ("upper", "f8"), ("count", "f8"), ("confidence", "f8"),
          ("accuracy", "f8"), ("contribution", "f8")]


class _Scored:
    """Validated labels and probabilities: ``onehot`` (n, k) of the true classes,
    ``proba`` (n, k) float64, ``weight`` (n,) summing to ``total``."""

    def __init__(self, fname, y, proba, classes, sample_weight):
        p = as_float_array(fname, proba, "proba").astype(np.float64, copy=False)
        if p.ndim == 1:  # binary: the positive class's probability, as scikit-learn's
            p = np.stack([1.0 - p, p], axis=1)
        y = np.asarray(y)
        if p.ndim != 2 or y.shape != (p.shape[0],) or p.shape[0] == 0 or p.shape[1] == 0:
            raise ValueError(f"{fname}: 'proba' must be (n_samples, n_classes) and 'y' "
                             f"(n_samples,) with n_samples >= 1, got {p.shape} and {y.shape}")
        if not np.all((p >= 0) & (p <= 1)):  # NaN fails this too
            raise ValueError(f"{fname}: 'proba' must hold probabilities in [0, 1]; "
                             "logits need softmax first")
        classes = np.arange(p.shape[1]) if classes is None else np.asarray(classes)
        if classes.shape != (p.shape[1],) or np.unique(classes).size != classes.size:
            raise ValueError(f"{fname}: 'classes' must be {p.shape[1]} distinct labels, one "
                             f"per column of 'proba', got shape {classes.shape}")
        order = np.argsort(classes, kind="stable")
        pos = np.searchsorted(classes, y, sorter=order).clip(0, classes.size - 1)
        col = order[pos]
        unknown = classes[col] != y
        if np.any(unknown):
            raise ValueError(f"{fname}: label {y[np.argmax(unknown)].tolist()!r} of 'y' is "
                             f"not one of the classes {classes.tolist()}")
        if sample_weight is None:
            w = np.ones(p.shape[0])
        else:
            w = as_float_array(fname, sample_weight, "sample_weight").astype(np.float64)
            if w.shape != (p.shape[0],) or not np.all(np.isfinite(w) & (w >= 0)):
                raise ValueError(f"{fname}: 'sample_weight' must be {p.shape[0]} finite "
                                 f"numbers >= 0, got shape {w.shape}")
            if not np.any(w > 0):
                raise ValueError(f"{fname}: every sample weight is zero")
        self.proba, self.weight, self.total = p, w, float(np.sum(w))
        self.weighted = sample_weight is not None
        self.label = col
        self.onehot = np.zeros(p.shape)
        self.onehot[np.arange(p.shape[0]), col] = 1.0


def _n_bins(fname, n_bins):
    if not isinstance(n_bins, numbers.Integral) or isinstance(n_bins, bool) or n_bins < 1:
        raise ValueError(f"{fname}: 'n_bins' must be an integer >= 1, got {n_bins!r}")
    return int(n_bins)


def _strategy(fname, strategy):
    if strategy not in _STRATEGIES:
        raise ValueError(f"{fname}: 'strategy' must be 'uniform' or 'quantile', "
                         f"got {strategy!r}")
    return strategy


def _bin_of(conf, weight, n_bins, strategy, weighted):
    """Each sample's bin and the bins' edges. Bins are right-closed, ``(e_i, e_{i+1}]``
    (0 falls in the first), as Guo et al.'s and scikit-learn's ``calibration_curve``.

    uniform: ``e_i = i / B``. quantile: the confidences' quantiles at ``i / B`` (NumPy's
    default, linear interpolation, as scikit-learn and netcal; with sample weights the
    weighted inverse-CDF quantiles), so each bin holds about a B-th of the samples.
    """
    if strategy == "uniform":
        edges = np.arange(n_bins + 1) / n_bins  # i / B correctly rounded (not linspace's)
    else:
        q = np.arange(n_bins + 1) / n_bins
        edges = (np.quantile(conf, q, weights=weight, method="inverted_cdf") if weighted
                 else np.quantile(conf, q))
        edges[0], edges[-1] = min(edges[0], 0.0), max(edges[-1], 1.0)
    which = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    return which, edges[:-1], edges[1:]


def _table(conf, hit, weight, total, n_bins, strategy, weighted, per_sample=None,
           scale=1.0):
    """The per-bin table (empty bins dropped). ``contribution`` is the bin's weighted
    |accuracy - confidence| / total, or with ``per_sample`` the bin's weighted sum of it
    / total; both times ``scale``."""
    which, lower, upper = _bin_of(conf, weight, n_bins, strategy, weighted)
    count = np.bincount(which, weight, minlength=n_bins)
    used = count > 0
    safe = np.where(used, count, 1.0)
    confidence = np.bincount(which, weight * conf, minlength=n_bins) / safe
    accuracy = np.bincount(which, weight * hit, minlength=n_bins) / safe
    if per_sample is None:
        contribution = count * np.abs(accuracy - confidence) / total
    else:
        contribution = np.bincount(which, weight * per_sample, minlength=n_bins) / total
    table = np.zeros(int(np.sum(used)), dtype=_TABLE)
    for name, column in (("lower", lower), ("upper", upper), ("count", count),
                         ("confidence", confidence), ("accuracy", accuracy),
                         ("contribution", contribution * scale)):
        table[name] = column[used]
    return table


def _top_label(s: _Scored):
    """The top-label confidence of each sample and whether its top class is the true one."""
    top = np.argmax(s.proba, axis=1)
    conf = s.proba[np.arange(top.size), top]
    return conf, (top == s.label).astype(np.float64)


def _ece_tables(fname, y, proba, n_bins, strategy, classwise, classes, sample_weight):
    s = _Scored(fname, y, proba, classes, sample_weight)
    n_bins, strategy = _n_bins(fname, n_bins), _strategy(fname, strategy)
    if not isinstance(classwise, bool):
        raise TypeError(f"{fname}: 'classwise' must be True or False, got {classwise!r}")
    if not classwise:
        conf, hit = _top_label(s)
        return [_table(conf, hit, s.weight, s.total, n_bins, strategy, s.weighted)], False
    k = s.proba.shape[1]
    tables = []
    for c in range(k):
        t = _table(s.proba[:, c], s.onehot[:, c], s.weight, s.total, n_bins, strategy,
                   s.weighted, scale=1.0 / k)
        tables.append(t)
    return tables, True


def _with_column(tables):
    """Classwise tables stacked, with a ``column`` field (the class's column in proba)."""
    dtype = [("column", "i8"), *_TABLE]
    out = np.zeros(sum(len(t) for t in tables), dtype=dtype)
    start = 0
    for c, t in enumerate(tables):
        part = out[start:start + len(t)]
        part["column"] = c
        for name, _ in _TABLE:
            part[name] = t[name]
        start += len(t)
    return out


def expected_calibration_error(y: Any, proba: Any, *, n_bins: int = 10,
                               strategy: str = "uniform", classwise: bool = False,
                               classes: Any = None, sample_weight: Any = None,
                               return_table: bool = False) -> Any:
    r"""Expected calibration error: the mean gap between confidence and accuracy.

    Top-label (Guo et al., 2017): with the samples binned by their largest probability,
    ``ECE = Σ_b (n_b / n) |accuracy_b − confidence_b|``. Classwise (Kull et al., 2019): the
    same for every class's probability against the frequency of that class, averaged over
    the classes.

    Parameters
    ----------
    y : array_like, shape (n_samples,)
        True labels.
    proba : array_like, shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, column ``j`` for ``classes[j]``; 1-D: the probability of
        the second class of two.
    n_bins : int, default=10
    strategy : {"uniform", "quantile"}, default="uniform"
        "uniform": bins of equal width, ``(i/n_bins, (i+1)/n_bins]`` (0 falls in the
        first); "quantile": bins of equal mass, between the confidences' quantiles at
        ``i/n_bins`` (NumPy's linear interpolation, as scikit-learn's
        ``calibration_curve`` and netcal; with ``sample_weight``, the weighted
        inverse-CDF quantiles). Bins are right-closed, as in Guo et al.; netcal's are
        left-closed, which differs only for confidences exactly on an edge.
    classwise : bool, default=False
    classes : array_like, optional
        The label of each column of ``proba`` (default ``0 … n_classes - 1``).
    sample_weight : array_like, shape (n_samples,), optional
    return_table : bool, default=False
        Also return the per-bin table: a structured array with fields ``lower``,
        ``upper`` (the bin's edges), ``count`` (its weight), ``confidence``, ``accuracy`` and
        ``contribution`` (its term of the sum), one row per non-empty bin, and with
        ``classwise`` a first field ``column``.

    Returns
    -------
    float, or (float, ndarray) with ``return_table``

    See Also
    --------
    maximum_calibration_error, softmaxkit.plot.reliability_diagram

    Examples
    --------
    >>> from softmaxkit.calibration import expected_calibration_error
    >>> round(expected_calibration_error([0, 1], [[0.9, 0.1], [0.2, 0.8]]), 12)
    0.15
    >>> ece, table = expected_calibration_error([0, 1, 1], [[0.9, 0.1], [0.2, 0.8],
    ...                                                  [0.7, 0.3]], return_table=True)
    >>> table[["confidence", "accuracy"]].tolist()
    [(0.7, 0.0), (0.8, 1.0), (0.9, 1.0)]
    """
    fname = "expected_calibration_error"
    tables, classwise = _ece_tables(fname, y, proba, n_bins, strategy, classwise, classes,
                                    sample_weight)
    value = float(sum(np.sum(t["contribution"]) for t in tables))
    if not return_table:
        return value
    return value, (_with_column(tables) if classwise else tables[0])


@parameters_of(expected_calibration_error)
def maximum_calibration_error(y: Any, proba: Any, *, n_bins: int = 10,
                              strategy: str = "uniform", classwise: bool = False,
                              classes: Any = None, sample_weight: Any = None,
                              return_table: bool = False) -> Any:
    r"""Maximum calibration error: the largest ``|accuracy_b − confidence_b|`` of a bin.

    Classwise, the largest gap of any class's bins; the table's ``contribution`` is each
    bin's gap.

    {parameters}

    Returns
    -------
    float, or (float, ndarray) with ``return_table``

    Examples
    --------
    >>> from softmaxkit.calibration import maximum_calibration_error
    >>> maximum_calibration_error([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    0.7
    """
    fname = "maximum_calibration_error"
    tables, classwise = _ece_tables(fname, y, proba, n_bins, strategy, classwise, classes,
                                    sample_weight)
    for t in tables:
        t["contribution"] = np.abs(t["accuracy"] - t["confidence"])
    value = float(max(np.max(t["contribution"], initial=0.0) for t in tables))
    if not return_table:
        return value
    return value, (_with_column(tables) if classwise else tables[0])


def _per_sample_metric(fname, values_of, y, proba, n_bins, strategy, classes, sample_weight,
                       return_table):
    s = _Scored(fname, y, proba, classes, sample_weight)
    n_bins, strategy = _n_bins(fname, n_bins), _strategy(fname, strategy)
    values = values_of(s)
    value = float(np.dot(s.weight, values) / s.total)
    if not return_table:
        return value
    conf, hit = _top_label(s)
    return value, _table(conf, hit, s.weight, s.total, n_bins, strategy, s.weighted,
                         per_sample=values)


def brier_score(y: Any, proba: Any, *, classes: Any = None, sample_weight: Any = None,
                n_bins: int = 10, strategy: str = "uniform",
                return_table: bool = False) -> Any:
    r"""Brier score: the mean over samples of ``Σ_k (p_k − [y = k])²`` (Brier, 1950).

    The multi-class definition, from 0 (certain and right) to 2 (certain and wrong); for
    two classes it is twice the binary score of scikit-learn's ``brier_score_loss``.

    Parameters
    ----------
    y, proba, classes, sample_weight
        As for :func:`expected_calibration_error`.
    n_bins, strategy, return_table
        The table groups the samples by top-label confidence, as the ECE's does; each
        bin's ``contribution`` is its share of the score.

    Returns
    -------
    float, or (float, ndarray) with ``return_table``

    Examples
    --------
    >>> from softmaxkit.calibration import brier_score
    >>> round(brier_score([0, 1], [[0.9, 0.1], [0.2, 0.8]]), 12)
    0.05
    """
    def values(s):
        return np.sum((s.proba - s.onehot) ** 2, axis=1)
    return _per_sample_metric("brier_score", values, y, proba, n_bins, strategy, classes,
                              sample_weight, return_table)


def negative_log_likelihood(y: Any, proba: Any, *, classes: Any = None,
                            sample_weight: Any = None, n_bins: int = 10,
                            strategy: str = "uniform", return_table: bool = False) -> Any:
    r"""Mean negative log-likelihood of the true labels, ``−Σ w_i log p_{i, y_i} / Σ w_i``.

    No clipping: a true class given probability 0 makes it ``inf``. From logits, prefer
    :func:`softmaxkit.cross_entropy` (computed in log space, never ``log(softmax)``).

    Parameters
    ----------
    y, proba, classes, sample_weight
        As for :func:`expected_calibration_error`.
    n_bins, strategy, return_table
        As for :func:`brier_score`.

    Returns
    -------
    float, or (float, ndarray) with ``return_table``

    Examples
    --------
    >>> from softmaxkit.calibration import negative_log_likelihood
    >>> round(negative_log_likelihood([0, 1], [[0.5, 0.5], [0.0, 1.0]]), 12)
    0.34657359028
    """
    def values(s):
        with np.errstate(divide="ignore"):
            return -np.log(s.proba[np.arange(s.label.size), s.label])
    return _per_sample_metric("negative_log_likelihood", values, y, proba, n_bins, strategy,
                              classes, sample_weight, return_table)
