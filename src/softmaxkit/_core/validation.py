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

from .numerics import device

_FLOAT_NAMES = "float16, bfloat16, float32 or float64"
# dtypes returned as they are (native byte order): the fast path of as_float_array
_FLOATS = frozenset(np.dtype(t) for t in (np.float16, np.float32, np.float64))


def is_bfloat16(dtype: Any) -> bool:
    """Whether ``dtype`` is ml_dtypes' bfloat16 (a NumPy dtype of kind 'V')."""
    return getattr(dtype, "name", None) == "bfloat16" and getattr(dtype, "itemsize", 0) == 2


def bfloat16_dtype(fname: str) -> np.dtype:
    """ml_dtypes' bfloat16, or an ImportError naming the extra that installs it."""
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError(f"{fname}: bfloat16 needs ml_dtypes: pip install "
                          "'softmaxkit[bfloat16]'") from None
    return np.dtype(ml_dtypes.bfloat16)


def as_float_array(fname: str, x: Any, name: str = "x", dtype: Any = None, *,
                   half: bool = False) -> np.ndarray:
    """``x`` as an array of the dtype the function computes and returns in.

    Integers and bools promote to float64 (as SciPy does); floating dtypes are kept,
    in native byte order; ``dtype`` (already checked by :func:`float_dtype`) casts first.
    bfloat16 (ml_dtypes) is kept where the caller computes it (``half``); elsewhere the
    public functions' route has already converted it.
    """
    if type(x) is np.ndarray and dtype is None and x.dtype in _FLOATS:
        return x
    if half and isinstance(x, np.ndarray) and is_bfloat16(x.dtype) and dtype is None:
        return x
    if dtype is not None and is_bfloat16(dtype):
        if not half:
            raise TypeError(f"{fname}: dtype=bfloat16 is computed by softmax, log_softmax "
                            "and softmin; convert the input yourself here")
        return as_float_array(fname, x, name).astype(dtype)
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
    if isinstance(dtype, str) and dtype == "bfloat16":
        return bfloat16_dtype(fname)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{fname}: 'dtype' must be a floating dtype ({_FLOAT_NAMES}), got {dtype!r}"
        ) from None
    if is_bfloat16(dt):
        return dt
    if dt.kind != "f":
        raise TypeError(f"{fname}: 'dtype' must be a floating dtype ({_FLOAT_NAMES}), got {dt}")
    return dt.newbyteorder("=")


def axes_tuple(fname: str, axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or a sequence of ints) as distinct non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:  # the common case, checked below too
        return (axis % ndim,)
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
    if type(value) is float and 0 < value < math.inf:
        return value
    ok = isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )
    f = float(value) if ok else math.nan
    if not (math.isfinite(f) and f > 0):
        raise ValueError(f"{fname}: {name!r} must be a finite number > 0, got {value!r}")
    return f


def mask(fname: str, where: Any, shape: tuple[int, ...], name: str = "where") -> np.ndarray | None:
    """``where=`` (or the mask called ``name``) as a boolean array broadcast to ``shape``,
    or None."""
    if where is None:
        return None
    w = np.asarray(where)
    if w.dtype != np.bool_:
        raise TypeError(f"{fname}: '{name}' must be a boolean array, got dtype {w.dtype}")
    try:
        return np.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(
            f"{fname}: '{name}' of shape {w.shape} does not broadcast to the input's "
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


# ------------------------------------------------ checks of the data, on any array library
#
# Written once against the array API (NumPy is one namespace among others), so every
# backend raises the same message for the same bad input.


def _first_index(xp, bad) -> tuple[int, ...]:
    """The index of the first True entry of ``bad`` (C order)."""
    if type(bad).__module__.startswith("dask"):
        bad = np.asarray(bad)  # an error is being reported: compute where
    if isinstance(bad, np.ndarray):
        return tuple(int(i) for i in np.argwhere(bad)[0])
    hits = xp.nonzero(xp.reshape(bad, (-1,)))[0]
    flat = int(hits[0])
    return tuple(int(i) for i in np.unravel_index(flat, tuple(bad.shape)))


def slice_label(index: tuple[int, ...], axes: tuple[int, ...], ndim: int) -> str:
    """``x[0, :, 2]``: the slice through ``index`` (its reduced axes left out) over ``axes``."""
    it = iter(index)
    parts = [":" if d in axes else str(next(it)) for d in range(ndim)]
    return "x[" + ", ".join(parts) + "]"


def std_norm_input(fname: str, xp, x, axes: tuple[int, ...]) -> None:
    """Plain normalization needs finite entries >= 0 and slices that do not sum to 0; the
    first offending slice is named, with the entry and its index."""
    if math.prod(x.shape) == 0:
        return
    checks = ((xp.logical_not(xp.isfinite(x)), "a non-finite entry"),
              (x < 0, "a negative entry"))
    for bad, what in checks:
        if bool(xp.any(bad)):
            pos = _first_index(xp, bad)
            lead = tuple(p for d, p in enumerate(pos) if d not in axes)
            value = float(x[pos])
            raise ValueError(
                f"{fname}: slice {slice_label(lead, axes, x.ndim)} has {what} "
                f"({value!r} at index {pos}); plain normalization needs finite entries >= 0"
            )
    wide = xp.astype(x, xp.float64) if hasattr(xp, "float64") else x
    with np.errstate(over="ignore"):  # an infinite sum is not a zero sum
        zero = xp.sum(wide, axis=axes) == 0
    if bool(xp.any(zero)):
        lead = _first_index(xp, zero) if zero.ndim else ()
        raise ValueError(
            f"{fname}: slice {slice_label(lead, axes, x.ndim)} sums to 0; plain "
            "normalization is undefined there"
        )


def class_axis(fname: str, axis: Any, ndim: int) -> int:
    """The class axis of a loss: one int."""
    if isinstance(axis, (tuple, list)) or axis is None:
        raise TypeError(f"{fname}: 'axis' (the class axis) must be a single int, got {axis!r}")
    return axes_tuple(fname, axis, ndim)[0]


REDUCTIONS = ("mean", "sum", "none")


def loss_options(fname: str, ignore_index: Any, label_smoothing: Any, reduction: Any) -> float:
    """``reduction``, ``ignore_index`` and ``label_smoothing`` checked; the smoothing as a
    float."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{fname}: 'reduction' must be one of {REDUCTIONS}, got {reduction!r}")
    ls = float(label_smoothing) if isinstance(label_smoothing, (int, float, np.floating)) \
        and not isinstance(label_smoothing, bool) else None
    if ls is None or not 0.0 <= ls <= 1.0:
        raise ValueError(
            f"{fname}: 'label_smoothing' must be a number in [0, 1], got {label_smoothing!r}"
        )
    if ignore_index is not None and (isinstance(ignore_index, bool) or
                                     not isinstance(ignore_index, (int, np.integer))):
        raise TypeError(f"{fname}: 'ignore_index' must be an int or None, got {ignore_index!r}")
    return ls


def class_weight_shape(fname: str, xp, w, n_classes: int) -> None:
    """A weight per class, finite."""
    if tuple(w.shape) != (n_classes,):
        raise ValueError(f"{fname}: 'weight' must have shape ({n_classes},) (one per class), "
                         f"got {tuple(w.shape)}")
    if not bool(xp.all(xp.isfinite(w))):
        raise ValueError(f"{fname}: 'weight' must be finite")


def target_kind(fname: str, xp, t, logits_shape: tuple[int, ...], axis: int,
                ignore_index: Any) -> str:
    """"index" (an integer target: the logits' shape without the class axis) or "prob"
    (floating: the logits' shape), shape-checked."""
    shape = tuple(t.shape)
    if xp.isdtype(t.dtype, "integral"):
        expected = logits_shape[:axis] + logits_shape[axis + 1:]
        if shape != expected:
            raise ValueError(
                f"{fname}: class-index 'target' must have the logits' shape without the class "
                f"axis, {expected}; got {shape} (logits: {logits_shape})"
            )
        return "index"
    if xp.isdtype(t.dtype, "real floating"):
        if shape != logits_shape:
            raise ValueError(
                f"{fname}: probability 'target' must have the logits' shape {logits_shape}, "
                f"got {shape}"
            )
        if ignore_index is not None:
            raise ValueError(f"{fname}: 'ignore_index' applies to class-index targets only")
        return "prob"
    raise TypeError(
        f"{fname}: 'target' must hold class indices (an integer dtype) or probabilities "
        f"(a floating dtype), got dtype {t.dtype}"
    )


def labels(fname: str, xp, y, n_classes: int, ignore_index: Any) -> None:
    """Every class index in [0, n_classes) or ``ignore_index``; the first one that is not
    is named with its position."""
    bad = xp.logical_or(y < 0, y >= n_classes)
    if ignore_index is not None:
        bad = xp.logical_and(bad, y != ignore_index)
    if bool(xp.any(bad)):
        pos = _first_index(xp, bad)
        raise ValueError(
            f"{fname}: target {int(y[pos])} at position {pos} is not a class in [0, {n_classes})"
            + ("" if ignore_index is None else f" nor ignore_index={ignore_index}")
        )


def targets_not_masked(fname: str, xp, y_rows, counted, where_rows) -> None:
    """A counted sample's target class must take part (``where`` True there)."""
    n_classes = where_rows.shape[1]
    onehot = xp.arange(n_classes, device=device(y_rows)) == y_rows[:, None]
    hit = xp.any(xp.logical_and(onehot, where_rows), axis=1)
    bad = xp.logical_and(counted, xp.logical_not(hit))
    if bool(xp.any(bad)):
        i = _first_index(xp, bad)[0]
        raise ValueError(f"{fname}: the target class of sample {i} is masked out")
