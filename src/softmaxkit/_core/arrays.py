"""Which array library a call's arguments belong to, and their conversion to its arrays.

:func:`namespace` looks at a call's array arguments. NumPy arrays, Python scalars and
lists give None (the NumPy backends take them). An array of another library that follows
the Python array API standard (PyTorch, JAX, CuPy, Dask, array-api-strict; through
``array-api-compat``) gives its namespace ``xp``. Two libraries in one call is a
TypeError naming both. The converters here are the array-API twins of
:mod:`.validation`'s, with the same messages.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import validation as v
from .numerics import device as _device

# Libraries whose arrays take this path, by the top-level module of their array type.
_FOREIGN = {"torch", "jax", "jaxlib", "cupy", "dask", "array_api_strict", "sparse", "ndonnx"}


def library(a) -> str | None:
    if a is None or isinstance(a, (np.ndarray, np.generic, int, float, bool, list, tuple)):
        return None
    mod = type(a).__module__.split(".", 1)[0]
    if mod in _FOREIGN or hasattr(a, "__array_namespace__"):
        return mod
    return None


def describe(a) -> str:
    t = type(a)
    return f"{t.__module__}.{t.__qualname__}"


def namespace(fname: str, **arrays) -> Any:
    """The array-API namespace of the call's arguments, or None for NumPy input."""
    if all(a is None or type(a) is np.ndarray for a in arrays.values()):
        return None
    found = {}
    numpy_arg = None
    for name, a in arrays.items():
        lib = library(a)
        if lib is not None:
            found.setdefault(lib, name)
        elif isinstance(a, np.ndarray) and numpy_arg is None:
            numpy_arg = name
    if not found:
        return None
    names = list(found.items())
    # Dask arrays are made of NumPy blocks and take NumPy operands as they are
    if numpy_arg is not None and list(found) == ["dask"]:
        numpy_arg = None
    if len(names) > 1 or numpy_arg is not None:
        (lib_a, name_a) = names[0]
        name_b = names[1][1] if len(names) > 1 else numpy_arg
        raise TypeError(f"{fname}: cannot mix array libraries in one call: {name_a!r} is a "
                        f"{describe(arrays[name_a])} and {name_b!r} is a "
                        f"{describe(arrays[name_b])}")
    try:
        import array_api_compat
    except ImportError:
        raise ImportError(f"{fname}: arrays of {names[0][0]} need array-api-compat: "
                          "pip install 'softmaxkit[array-api]'") from None
    return array_api_compat.array_namespace(arrays[names[0][1]])


# --------------------------------------------------------------------------- inputs


def default_float(xp, like=None):
    """The library's default real floating dtype (float64 for integer input, as SciPy)."""
    info = getattr(xp, "__array_namespace_info__", None)
    if info is not None:
        try:
            kw = {} if like is None else {"device": _device(like)}
            return info().default_dtypes(**kw)["real floating"]
        except (TypeError, KeyError, AttributeError):
            pass
    return xp.float64


def as_float(fname: str, xp, x, name: str = "x", *, like=None, dtype=None, keep_int=False):
    """``x`` as an array of ``xp`` with a real floating dtype (integers and bools promote
    to the default floating dtype); lists and scalars go to ``like``'s device."""
    if not hasattr(x, "dtype") or library(x) is None:
        try:
            x = xp.asarray(x, device=None if like is None else _device(like))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{fname}: could not convert {name!r} to an array: {exc}") \
                from None
    if xp.isdtype(x.dtype, "complex floating"):
        raise TypeError(f"{fname}: {name!r} must be real, got complex input of dtype {x.dtype}")
    if dtype is not None:
        if not xp.isdtype(dtype, "real floating"):
            raise TypeError(f"{fname}: 'dtype' must be a real floating dtype, got {dtype}")
        return xp.astype(x, dtype)
    if xp.isdtype(x.dtype, "real floating"):
        return x
    if xp.isdtype(x.dtype, ("integral", "bool")):
        return x if keep_int else xp.astype(x, default_float(xp, x))
    raise TypeError(f"{fname}: {name!r} must hold real numbers, got dtype {x.dtype}")


def mask(fname: str, xp, where, shape, like, name: str = "where"):
    if where is None:
        return None
    w = where if library(where) is not None else xp.asarray(where, device=_device(like))
    if w.dtype != xp.bool:
        raise TypeError(f"{fname}: '{name}' must be a boolean array, got dtype {w.dtype}")
    try:
        return xp.broadcast_to(w, shape)
    except (ValueError, RuntimeError):
        raise ValueError(f"{fname}: '{name}' of shape {tuple(w.shape)} does not broadcast to "
                         f"the input's shape {tuple(shape)}") from None


def finish_out(fname: str, res, out):
    """Write ``res`` into ``out`` (checked first) for libraries whose arrays are mutable."""
    if out is None:
        return res
    if library(out) is None:
        raise TypeError(f"{fname}: 'out' must be an array of the input's library, got "
                        f"{describe(out)}")
    if tuple(out.shape) != tuple(res.shape):
        raise ValueError(f"{fname}: 'out' has shape {tuple(out.shape)}, expected "
                         f"{tuple(res.shape)}")
    if out.dtype != res.dtype:
        raise ValueError(f"{fname}: 'out' has dtype {out.dtype}, expected {res.dtype}")
    try:
        out[...] = res
    except (TypeError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise TypeError(f"{fname}: 'out' cannot be written in place ({describe(out)}: "
                        f"{exc})") from None
    return out


def is_dask(a) -> bool:
    """Whether ``a`` is a Dask array (made of NumPy blocks)."""
    return type(a).__module__.startswith("dask.")


def has_float64(xp, like) -> bool:
    """Whether ``like``'s device holds float64 (array-api-strict's ``no_float64`` device
    and PyTorch's ``mps`` do not)."""
    if not hasattr(xp, "float64"):
        return False
    info = getattr(xp, "__array_namespace_info__", None)
    if info is None:
        return True
    try:
        dtypes = info().dtypes(device=_device(like), kind="real floating")
    except (TypeError, ValueError, AttributeError, NotImplementedError):
        return True
    return "float64" in dtypes


def work_dtype(xp, dtype, like):
    """The dtype to compute in: float64 for narrower input where the device has it, else
    the input's own (the compensated pairs keep the result within a few ulps)."""
    if xp.finfo(dtype).bits < 64 and has_float64(xp, like):
        return xp.float64
    return dtype


def common_float(fname: str, xp, a, b, names=("x", "b")):
    """``a`` and ``b`` converted to one real floating dtype, as the library itself
    promotes them (``result_type``): a float32 tensor with integer weights stays float32;
    two integer arrays take the library's default floating dtype."""
    aa = as_float(fname, xp, a, names[0], keep_int=True)
    bb = as_float(fname, xp, b, names[1], like=aa, keep_int=True)
    dt = xp.result_type(aa.dtype, bb.dtype)
    if not xp.isdtype(dt, "real floating"):
        dt = default_float(xp, aa)
    return xp.astype(aa, dt), xp.astype(bb, dt)


def real_array(fname: str, xp, x, name: str = "x", *, like=None):
    """``x`` as a real floating array: of NumPy (``xp`` None, :func:`.validation.as_float_array`)
    or of ``xp`` (:func:`as_float`), with the same rules and messages."""
    if xp is None:
        return v.as_float_array(fname, x, name)
    return as_float(fname, xp, x, name, like=like)
