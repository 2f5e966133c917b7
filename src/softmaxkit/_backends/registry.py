"""The capability table, and :func:`resolve`: which backend computes an operation.

A backend is a module of this package whose functions compute on validated input:

- ``native``: NumPy arrays through the C kernels (it hands what they do not take to the
  reference, so it implements everything the reference does);
- ``reference``: NumPy arrays, the slow obviously-correct oracle (``set_backend("numpy")``);
- ``array_api``: arrays of any library that follows the array API standard (PyTorch, JAX,
  CuPy, array-api-strict), computed with the library's own namespace;
- ``dask``: Dask arrays, lazily and chunk-aware, NumPy blocks through ``native``.

:data:`CAPABILITIES` says which backends implement which operation; the user guide's backend
table and the tests' backend matrix are checked against it. Operations whose Python
implementation is generic over the array API (the API layer composes them from the ones
here: ``smooth_max_backward``, ``softmax_temperature_grad``, ``softmax_jacobian``,
``nll_loss``, ``logsumexp_backward``, ``logcumsumexp_backward``, the log-sum-exp states
and their merges, the segments' backward functions) run on every backend that has their
parts.
"""

from __future__ import annotations

import types

from .._core import config
from .._core.arrays import is_dask
from . import dask, native, reference, xp

__all__ = ["CAPABILITIES", "BACKENDS", "resolve", "host_route"]

ALL = ("native", "reference", "array_api", "dask")
NUMPY_ONLY = ("native", "reference")
# the backward of α-entmax (and of α) has no kernel (its NumPy input takes the
# reference); the Fenchel–Young losses are not lazy on Dask
SPARSE = ("reference", "array_api", "dask")
SPARSE_LOSS = ("native", "reference", "array_api")
# the attention scores' softmax is not lazy on Dask; ragged segments are NumPy's (other
# libraries' CPU arrays reach them through views)
ATTENTION = ("native", "reference", "array_api")

#: operation -> the backends that implement it, in resolution order for NumPy input
CAPABILITIES: dict[str, tuple[str, ...]] = {
    "softmax": ALL,
    "log_softmax": ALL,
    "softmin": ALL,
    "logsumexp": ALL,
    "smooth_max": ALL,
    "hardmax": ALL,
    "std_norm": ALL,
    "softmax_backward": ALL,
    "log_softmax_backward": ALL,
    "logsumexp_backward": ALL,
    "smooth_max_backward": ALL,
    "softmax_temperature_grad": ALL,
    "softmax_jacobian": ALL,
    "cross_entropy": ALL,
    "nll_loss": ALL,
    "linear_cross_entropy": NUMPY_ONLY,
    "sparsemax": ALL,
    "entmax15": ALL,
    "entmax": ALL,
    "sparsemax_backward": ALL,
    "entmax15_backward": ALL,
    "entmax_backward": SPARSE,
    "sparsemax_loss": SPARSE_LOSS,
    "entmax15_loss": SPARSE_LOSS,
    "entmax_loss": SPARSE_LOSS,
    "attention_softmax": ATTENTION,
    "attention_softmax_backward": ATTENTION,
    "logcumsumexp": ALL,
    "logcumsumexp_backward": ALL,
    "lse_state": ALL,
    "lse_merge": ALL,
    "lse_finalize": ALL,
    "softmax_merge": ALL,
    "categorical": NUMPY_ONLY,
    "gumbel_softmax": NUMPY_ONLY,
    "segment_softmax": NUMPY_ONLY,
    "segment_log_softmax": NUMPY_ONLY,
    "segment_logsumexp": NUMPY_ONLY,
    "segment_softmax_backward": NUMPY_ONLY,
    "segment_log_softmax_backward": NUMPY_ONLY,
}

#: backend name -> the module whose functions compute
BACKENDS: dict[str, types.ModuleType] = {
    "native": native,
    "reference": reference,
    "array_api": xp,
    "dask": dask,
}

# the public setting (set_backend) names the NumPy backends "native" and "numpy"
_SETTING = {"native": "native", "numpy": "reference"}


def kind(x, namespace) -> str:
    """The backend that arrays like ``x`` take, whatever the operation: ``namespace`` is
    None for NumPy input (see :func:`.._core.arrays.namespace`)."""
    if namespace is None:
        return _SETTING[config.get_backend()]
    return "dask" if is_dask(x) else "array_api"


def host_route(op: str) -> bool:
    """Whether CPU arrays of other libraries compute ``op`` on the native kernels through
    NumPy views of their memory (``_core.interop``): with the ``"native"`` setting, for the
    operations the native backend implements. ``set_backend("numpy")`` keeps them on their
    library's own array-API path."""
    return config.get_backend() == "native" and "native" in CAPABILITIES[op]


def resolve(op: str, x, namespace=None) -> str:
    """The backend that computes ``op`` for input like ``x``.

    Raises TypeError naming the operation and the array type when no backend of that kind
    implements it.
    """
    name = kind(x, namespace)
    backends = CAPABILITIES[op]
    if name not in backends:
        if name == "native" and "reference" in backends:
            return "reference"
        raise TypeError(f"{op}: {type(x).__module__}.{type(x).__qualname__} arrays are not "
                        f"supported (backends: {', '.join(backends)})")
    return name
