"""Temperature scaling from the command line: the fit and the before/after report."""

from __future__ import annotations

import numpy as np

from .._api.calibration import (
    brier_score,
    expected_calibration_error,
    negative_log_likelihood,
)
from .._core import optional
from .base import UsageError


def scaler_class():
    """TemperatureScaler, or a UsageError saying scikit-learn is needed."""
    try:
        return optional.calibration().TemperatureScaler
    except ImportError:
        raise UsageError("calibration needs scikit-learn: pip install 'softmaxkit[sklearn]'") \
            from None


def report(y, before, after, *, n_bins=10, classes=None) -> str:
    """ECE (top-label, equal-width bins), NLL and Brier score of two sets of
    probabilities of the same labels, as a Markdown table."""
    lines = [f"| probabilities | ECE ({n_bins} bins) | NLL | Brier |", "|---|---|---|---|"]
    for name, proba in (("before", before), ("after", after)):
        metrics = [f(y, proba, classes=classes) for f in (
            lambda *a, **k: expected_calibration_error(*a, n_bins=n_bins, **k),
            negative_log_likelihood, brier_score)]
        lines.append(f"| {name} | " + " | ".join(f"{m:.4f}" for m in metrics) + " |")
    return "\n".join(lines)


def labels_of(path: str, y: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels as column indices of the logits (UsageError naming the file otherwise)."""
    y = np.asarray(y).reshape(-1) if np.ndim(y) == 2 and 1 in np.shape(y) else np.asarray(y)
    if y.ndim != 1:
        raise UsageError(f"{path}: expected one label per row, got shape {y.shape}")
    as_int = np.asarray(y, dtype=np.float64).astype(np.int64)
    if y.dtype.kind == "f" and not np.array_equal(as_int, y):
        raise UsageError(f"{path}: labels must be integers (column indices of the logits)")
    bad = (as_int < 0) | (as_int >= n_classes)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise UsageError(f"{path}: label {y[i].tolist()!r} at row {i + 1} is not a column of the "
                         f"logits (0 to {n_classes - 1})")
    return as_int
