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

from .._backends import native, registry
from .._core import arrays, interop
from .._core import config as _config
from .._core import validation as v

# operations whose NumPy bfloat16 and float16 input the native kernels compute as it is
# (the half kernel); every other routed operation computes them on float32 copies
_HALF_NATIVE = frozenset({"softmax", "log_softmax", "logsumexp"})
# their loss stays float32 (a sum of many terms), their gradients take the logits' dtype
_LOSSES = frozenset({"cross_entropy", "nll_loss", "linear_cross_entropy", "sparsemax_loss",
                     "entmax15_loss", "entmax_loss"})


def _is_half(value) -> bool:
    """A NumPy array stored in two bytes: bfloat16, or float16 (whose own NumPy casts run
    an element at a time)."""
    return isinstance(value, np.ndarray) and (value.dtype == np.float16
                                              or v.is_bfloat16(value.dtype))


def _to_half(res, dtype):
    """Floating NumPy results (in tuples too) rounded once to ``dtype``."""
    if isinstance(res, np.ndarray) and res.dtype.kind == "f":
        return native.to_half(res, dtype)
    if isinstance(res, np.floating):
        return np.asarray(res).astype(dtype)[()]
    if isinstance(res, tuple):
        items = [_to_half(r, dtype) for r in res]
        return type(res)(*items) if hasattr(res, "_fields") else tuple(items)
    return res


def _through_float32(op, fn, args, kwargs):
    """A call with NumPy bfloat16 or float16 arrays, on float32 copies (exact: each is a
    float32); the results rounded once to the format (a loss stays float32). ``out`` and
    ``grad_out`` of the format receive the rounded results."""
    dtype = next(a.dtype for a in (*args, *kwargs.values()) if _is_half(a))
    logits_copied = bool(args) and _is_half(args[0])
    targets = {k: kwargs[k] for k in ("out", "grad_out") if _is_half(kwargs.get(k))}
    args = [native.from_half(a) if _is_half(a) else a for a in args]
    kwargs = {k: (None if k in targets else native.from_half(a) if _is_half(a) else a)
              for k, a in kwargs.items()}
    if "grad_out" in targets:
        kwargs["return_grad"] = True
    if op == "cross_entropy" and kwargs.get("return_grad") and kwargs.get("grad_out") is None \
            and logits_copied:
        kwargs["grad_out"] = args[0]  # the logits' float32 copy is ours: the gradient in it
    res = fn(*args, **kwargs)
    if op in _LOSSES and isinstance(res, tuple):
        res = (res[0], _to_half(res[1], dtype))
        if "grad_out" in targets:
            np.copyto(targets["grad_out"], res[1], casting="unsafe")
            res = (res[0], targets["grad_out"])
        return res
    if op in _LOSSES:
        return res
    res = _to_half(res, dtype)
    if "out" in targets:
        np.copyto(targets["out"], res, casting="unsafe")
        return targets["out"]
    return res


def _numpy_call(op, fn, x, args, kwargs):
    """``fn`` on NumPy input ``x`` (its first array): float16 and bfloat16 go to the half
    kernel or through float32 copies, everything else straight to ``fn``."""
    if (type(x) is not np.ndarray or x.dtype.itemsize != 2
            or not any(_is_half(a) for a in (*args, *kwargs.values()))):
        return fn(*args, **kwargs)
    if (op in _HALF_NATIVE and _config.get_backend() == "native"
            and kwargs.get("sink") is None and kwargs.get("b") is None
            and all(not _is_half(a) for a in args[1:])):
        return fn(*args, **kwargs)
    if op == "cross_entropy" and _half_fused_xent(x, args, kwargs):
        return fn(*args, **kwargs)
    return _through_float32(op, fn, args, kwargs)


def _half_fused_xent(z, args, kwargs) -> bool:
    """Whether a cross-entropy call with float16 / bfloat16 logits ``z`` takes the fused
    half kernel (native.fuses_cross_entropy, asked of the raw call; a ``grad_out`` must
    have the logits' dtype)."""
    if _config.get_backend() != "native" or not _is_half(z) or len(args) > 3:
        return False
    t = args[1] if len(args) > 1 else kwargs.get("target")
    go = kwargs.get("grad_out")
    grad = (go is None and kwargs.get("return_grad") is True
            or isinstance(go, np.ndarray) and go.dtype == z.dtype)
    return (native.fuses_cross_entropy(isinstance(t, np.ndarray) and t.dtype.kind in "iu",
                                       kwargs.get("where"), kwargs.get("label_smoothing", 0.0),
                                       grad)
            and not _is_half(kwargs.get("weight")))


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
    backend for the operation; arrays without a view (on a GPU, bfloat16 without
    ml_dtypes, tensors that record gradients) and integer arrays that the library itself
    would promote keep the array-API path. PyTorch tensors that record gradients go
    through the operators of ``softmaxkit.torch`` where one applies, so that the backward
    runs on the kernels too. NumPy float16 and bfloat16 arrays (views included) go to the
    half kernel or through float32 copies (``_numpy_call``).
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
            return _numpy_call(op, fn, x, args, kwargs)
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
        host_x = host_args[0] if host_args else host_kwargs.get(names[0])
        return interop.back(_numpy_call(op, fn, host_x, host_args, host_kwargs), x,
                            originals)

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
