"""From a validated call to the backend that computes it.

:func:`backend_of` asks the registry which backend takes the call (by the array's library
and the ``set_backend`` setting) and returns an object whose methods are that backend's
operations with one signature for every backend: the array-API backend's functions take
the namespace first, and it is bound here.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .._backends import registry


class _Bound:
    """A backend module's functions with the namespace ``xp`` bound as first argument."""

    def __init__(self, module, xp):
        self._module, self._xp = module, xp

    def __getattr__(self, op: str):
        return functools.partial(getattr(self._module, op), self._xp)


def backend_of(op: str, x, xp) -> Any:
    """The backend for ``op`` on input like ``x`` (``xp`` None for NumPy input)."""
    name = registry.resolve(op, x, xp)
    module = registry.BACKENDS[name]
    return _Bound(module, xp) if name == "array_api" else module


def numpy_result(res: np.ndarray) -> Any:
    """A 0-d NumPy result as a NumPy scalar, as NumPy's own reductions return it."""
    return res[()] if isinstance(res, np.ndarray) and res.ndim == 0 else res
