"""Modules of the package that need an optional third-party dependency, loaded on first
use with a message that says which extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

# module of this package -> (third-party package it needs, the extra that installs it)
NEEDS = {
    "softmaxkit._estimators.classifier": ("sklearn", "sklearn"),
    "softmaxkit._estimators.calibration": ("sklearn", "sklearn"),
}


def load(module: str, what: str) -> ModuleType:
    """Import ``module`` (a key of :data:`NEEDS`); ImportError naming ``what`` and the
    extra when its dependency is missing."""
    package, extra = NEEDS[module]
    try:
        importlib.import_module(package)
    except ImportError as exc:
        raise ImportError(f"{what} needs {package}: pip install 'softmaxkit[{extra}]'") from exc
    return importlib.import_module(module)


def classifier() -> ModuleType:
    """``softmaxkit._estimators.classifier`` (SoftmaxClassifier needs scikit-learn)."""
    return load("softmaxkit._estimators.classifier", "SoftmaxClassifier")


def calibration() -> ModuleType:
    """``softmaxkit._estimators.calibration`` (the scalers are scikit-learn estimators)."""
    return load("softmaxkit._estimators.calibration", "softmaxkit.calibration's scalers")
