"""Calibration: how honest predicted probabilities are, and making them honest.

Metrics (NumPy only): :func:`expected_calibration_error` (equal-width or equal-mass bins,
top-label or classwise), :func:`maximum_calibration_error`, :func:`brier_score`,
:func:`negative_log_likelihood`, each with its per-bin table on request.

Post-hoc calibration of logits (needs scikit-learn, the "sklearn" extra):
:class:`TemperatureScaler` and :class:`VectorScaler`.

>>> from softmaxkit.calibration import expected_calibration_error
>>> round(expected_calibration_error([0, 1], [[0.9, 0.1], [0.2, 0.8]]), 12)
0.15
"""

from ._api.calibration import (
    brier_score,
    expected_calibration_error,
    maximum_calibration_error,
    negative_log_likelihood,
)
from ._core import optional as _optional

_SCALERS = ("TemperatureScaler", "VectorScaler")


def __getattr__(name):
    # the scalers are scikit-learn estimators: loaded on first use only
    if name in _SCALERS:
        return getattr(_optional.calibration(), name)
    raise AttributeError(f"module 'softmaxkit.calibration' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)


__all__ = [
    *_SCALERS,
    "brier_score",
    "expected_calibration_error",
    "maximum_calibration_error",
    "negative_log_likelihood",
]
