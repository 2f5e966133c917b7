"""Checks of user input shared by every public function.

Each check raises with one message template: the function, the parameter, what was
expected and what was received, e.g. ``softmax: 'temperature' must be a finite number
> 0, got -1.0``. Nothing here computes; nothing past here validates.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.exceptions import AxisError

_FLOAT_NAMES = "float16, float32 or float64"


def as_float_array(fname: str, x: Any, name: str = "x", dtype: Any = None) -> np.ndarray:
    """``x`` as an array of the dtype the function computes and returns in.

    Integers and bools promote to float64 (as SciPy does); floating dtypes are kept,
    in native byte order; ``dtype`` (already checked by :func:`float_dtype`) casts first.
    """
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            f"{fname}: masked arrays are not supported for {name!r}; "
            f"pass the mask as where=~{name}.mask"
        )
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{fname}: {name!r} must be an array of real numbers, got "
                        f"{type(x).__name__ if x is not None else 'None'}")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{fname}: could not convert {name!r} to an array: {exc}") from None
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(
            f"{fname}: {name!r} must be real, got complex input of dtype {arr.dtype}"
        )
    if kind not in "biuf" or arr.dtype.fields is not None:
        raise TypeError(f"{fname}: {name!r} must hold real numbers, got dtype {arr.dtype}")
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if kind in "biu":
        return arr.astype(np.float64)
    if not arr.dtype.isnative:
        return arr.astype(arr.dtype.newbyteorder("="))
    return arr


def float_dtype(fname: str, dtype: Any) -> np.dtype | None:
    """The ``dtype=`` argument as a floating dtype, or None."""
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{fname}: 'dtype' must be a floating dtype ({_FLOAT_NAMES}), got {dtype!r}"
        ) from None
    if dt.kind != "f":
        raise TypeError(f"{fname}: 'dtype' must be a floating dtype ({_FLOAT_NAMES}), got {dt}")
    return dt.newbyteorder("=")


def axes_tuple(fname: str, axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or a sequence of ints) as distinct non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (numbers.Integral, np.integer)) and not isinstance(axis, bool):
        items = (axis,)
    elif isinstance(axis, (tuple, list)) and all(
        isinstance(a, (numbers.Integral, np.integer)) and not isinstance(a, bool) for a in axis
    ):
        items = tuple(axis)
    else:
        raise TypeError(
            f"{fname}: 'axis' must be an int, a tuple of ints or None, got {axis!r}"
        )
    out = []
    for a in items:
        a = int(a)
        if not -ndim <= a < ndim:
            raise AxisError(
                f"{fname}: axis {a} is out of bounds for an array of dimension {ndim}"
            )
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{fname}: 'axis' has a repeated axis: {axis!r}")
    return tuple(out)


def positive_number(fname: str, value: Any, name: str) -> float:
    """A finite real number > 0 (temperature, sharpness k), as a Python float."""
    ok = isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )
    f = float(value) if ok else math.nan
    if not (math.isfinite(f) and f > 0):
        raise ValueError(f"{fname}: {name!r} must be a finite number > 0, got {value!r}")
    return f


def mask(fname: str, where: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    """``where=`` as a boolean array broadcast to ``shape``, or None."""
    if where is None:
        return None
    w = np.asarray(where)
    if w.dtype != np.bool_:
        raise TypeError(f"{fname}: 'where' must be a boolean array, got dtype {w.dtype}")
    try:
        return np.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(
            f"{fname}: 'where' of shape {w.shape} does not broadcast to the input's "
            f"shape {shape}"
        ) from None


def out_array(fname: str, out: Any, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
    """``out=`` checked to be a writeable ndarray of exactly ``shape`` and ``dtype``."""
    if out is None:
        return None
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{fname}: 'out' must be a NumPy array, got {type(out).__name__}")
    if out.shape != shape:
        raise ValueError(f"{fname}: 'out' has shape {out.shape}, expected {shape}")
    if out.dtype != dtype:
        raise ValueError(f"{fname}: 'out' has dtype {out.dtype}, expected {dtype}")
    if not out.flags.writeable:
        raise ValueError(f"{fname}: 'out' is read-only")
    return out


def flag(fname: str, value: Any, name: str) -> bool:
    """A boolean keyword (keepdims, return_sign, ...)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fname}: {name!r} must be True or False, got {value!r}")
    return bool(value)
