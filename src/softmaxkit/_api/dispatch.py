"""From a call to the backend that computes it.

:func:`backend_of` asks the registry which backend takes a validated call (by the array's
library and the ``set_backend`` setting) and returns an object whose methods are that
backend's operations with one signature for every backend: the array-API backend's
functions take the namespace first, and it is bound here.

:func:`native_route` comes first, around each public function: CPU arrays of other
libraries (PyTorch, JAX, anything that exports DLPack on the CPU) are replaced by NumPy
views of their memory, so the call validates and computes exactly as for NumPy input on
the native kernels, and the results go back as the library's arrays, without a copy
either way.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from typing import Any

import numpy as np

from .._backends import registry
from .._core import arrays, interop


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


def native_route(fn):
    """Decorate the public function ``fn`` (named as its operation in the capability table)
    so that CPU arrays of other libraries reach the native kernels through NumPy views.

    The route is taken when the setting is ``"native"`` and the table lists the native
    backend for the operation; arrays without a view (on a GPU, bfloat16, tensors that
    record gradients) and integer arrays that the library itself would promote keep the
    array-API path. PyTorch tensors that record gradients go through the operators of
    ``softmaxkit.torch`` where one applies, so that the backward runs on the kernels too.
    """
    op = fn.__name__
    if "native" not in registry.CAPABILITIES[op]:
        raise ValueError(f"{op} has no native backend to route to")
    names = tuple(inspect.signature(fn).parameters)

    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def call(*args, **kwargs):
        x = args[0] if args else kwargs.get(names[0])
        if type(x) is np.ndarray or arrays.library(x) is None or not registry.host_route(op):
            return fn(*args, **kwargs)
        if len(args) > len(names):
            return fn(*args, **kwargs)  # raises the TypeError
        try:
            host_args, host_kwargs, originals = interop.host_views(names, args, kwargs)
        except interop.RecordsGradient as exc:
            route = _gradient_route(exc.library)
            if route is not None:
                bound = signature.bind(*args, **kwargs)  # TypeError as fn would raise
                res = route(op, bound.arguments)
                if res is not NotImplemented:
                    return res
            return fn(*args, **kwargs)
        except interop.NotHost:
            return fn(*args, **kwargs)
        return interop.back(fn(*host_args, **host_kwargs), x, originals)

    return call


# library -> the call that takes a public function's arguments when one of them records
# gradients (its framework's operators, registered by the module that defines them), and
# the module to import for it the first time; NotImplemented from it: the array-API path
_GRADIENT_ROUTES: dict[str, Any] = {}
_GRADIENT_MODULES = {"torch": "softmaxkit._frameworks.torch_ops"}


def register_gradient_route(library: str, route) -> None:
    """Let ``route(op, arguments)`` compute the calls whose arrays of ``library`` record
    gradients (``softmaxkit.torch`` registers its operators here when imported)."""
    _GRADIENT_ROUTES[library] = route


def _gradient_route(library: str):
    if library not in _GRADIENT_ROUTES and library in _GRADIENT_MODULES:
        # a plug-in found by name, as an entry point would be: this layer knows only the
        # registration above, not the module's contents
        importlib.import_module(_GRADIENT_MODULES[library])
    return _GRADIENT_ROUTES.get(library)
