"""The softmax family: validation, then dispatch to an implementation.

Every public function validates all of its arguments first (``_validation``), then
hands normalized input (a floating array, a tuple of axes, a broadcast mask) to an
implementation: the native kernels (``_native``) where they apply, else the NumPy
reference (``_reference``), which ``set_backend("numpy")`` selects everywhere. Nothing
is written to ``out`` before every argument has been checked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import _array_api, _config, _dask, _native, _reference
from . import _validation as v

__all__ = ["softmax", "log_softmax", "softmin", "logsumexp", "smooth_max", "hardmax", "std_norm"]

Axis = int | tuple[int, ...] | None


def _finish(res: np.ndarray, out: np.ndarray | None) -> Any:
    if out is not None:
        np.copyto(out, res)
        return out
    return res[()] if res.ndim == 0 else res


def _normalize(
    fname: str, x, axis, temperature, where, out, dtype, *, log: bool, negate: bool
):
    xp = _array_api.namespace(fname, x=x, where=where, out=out)
    if xp is not None:
        arr = _array_api.as_float(fname, xp, x, dtype=dtype)
        axes = v.axes_tuple(fname, axis, arr.ndim)
        t = v.positive_number(fname, temperature, "temperature")
        mask = _array_api.mask(fname, xp, where, arr.shape, arr)
        if negate:
            arr = -arr
        if _dask.is_dask(arr):
            res = _dask.softmax(arr, axes, temperature=t, where=mask, log=log)
        else:
            res = _array_api.softmax(xp, arr, axes, temperature=t, where=mask, log=log)
        return _array_api.finish_out(fname, res, out)
    dt = v.float_dtype(fname, dtype)
    arr = v.as_float_array(fname, x, dtype=dt)
    axes = v.axes_tuple(fname, axis, arr.ndim)
    t = v.positive_number(fname, temperature, "temperature")
    mask = v.mask(fname, where, arr.shape)
    out = v.out_array(fname, out, arr.shape, arr.dtype)
    if _use_native(arr, axes, t):
        if mask is not None:
            # Masked entries weigh nothing: -inf (+inf before negation) gives exactly
            # the masked semantics, NaN and inf in masked entries included.
            fill = np.array(np.inf if negate else -np.inf, dtype=arr.dtype)
            arr = np.where(mask, arr, fill)
        res = _native.softmax(arr, axes, temperature=t, log=log, negate=negate, out=out)
        if mask is not None:  # the mask wins over a slice made NaN by an unmasked NaN
            np.copyto(res, -np.inf if log else 0.0, where=~mask)
        return res if out is not None else _finish(res, None)
    if negate:
        arr = -arr
    res = _reference.softmax(arr, axes, temperature=t, where=mask, log=log)
    return _finish(res, out)


def _use_native(arr: np.ndarray, axes: tuple[int, ...], temperature: float = 1.0) -> bool:
    """Whether the native kernels compute this call (else the NumPy reference)."""
    if _config.get_backend() != "native" or not axes or not _native.supports(arr):
        return False
    # float32 kernels hold the temperature in float32 range with room to spare
    return arr.dtype == np.float64 or 1e-30 <= temperature <= 1e30


def softmax(
    x: ArrayLike,
    axis: Axis = -1,
    *,
    temperature: float = 1.0,
    where: ArrayLike | None = None,
    out: np.ndarray | None = None,
    dtype: DTypeLike | None = None,
) -> np.ndarray:
    r"""Softmax of ``x / temperature`` along ``axis``: ``exp(x_i) / sum_j exp(x_j)``.

    Parameters
    ----------
    x : array_like
        Real input. Integers and bools are promoted to float64; float16 is computed in
        a wider type and returned as float16.
    axis : int, tuple of ints or None, optional
        The axis or axes that make up one slice; each slice sums to 1. None means all
        axes. Default -1.
    temperature : float, optional
        Divides ``x`` before the softmax; a finite number > 0. Small temperatures
        sharpen the distribution towards :func:`hardmax`, large ones flatten it
        towards uniform. Default 1.
    where : array_like of bool, optional
        Broadcastable to ``x``. Entries where it is False get probability 0 and do not
        take part in the normalization.
    out : ndarray, optional
        Where to write the result: the same shape as ``x`` and the result's dtype. May
        be ``x`` itself.
    dtype : dtype, optional
        Cast ``x`` to this floating dtype first, compute and return in it.

    Returns
    -------
    ndarray
        Probabilities of the same shape as ``x`` (``out`` if given).

    See Also
    --------
    log_softmax, softmin, logsumexp, hardmax

    Notes
    -----
    The result is within a few ulps of the exact value for every finite input: the
    maximum is subtracted first with its rounding error carried into the exponential,
    and the work is done in a wider type.

    Special values: a NaN in a slice makes the whole slice NaN. ``-inf`` entries get
    probability 0. ``+inf`` entries share the slice's mass equally and the rest get 0.
    A slice that is all ``-inf``, all masked out, or empty gives 0s (never NaN).

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> sk.softmax([1.0, 2.0, 3.0])
    array([0.09003057, 0.24472847, 0.66524096])
    >>> sk.softmax([[1, 2], [4, 3], [5, 5]], axis=0).sum(axis=0)
    array([1., 1.])
    >>> sk.softmax([1.0, 2.0, 3.0], where=[True, True, False])
    array([0.26894142, 0.73105858, 0.        ])
    >>> sk.softmax(np.array([3e38, -3e38, 0], dtype=np.float32))
    array([1., 0., 0.], dtype=float32)
    """
    return _normalize("softmax", x, axis, temperature, where, out, dtype, log=False, negate=False)


def log_softmax(
    x: ArrayLike,
    axis: Axis = -1,
    *,
    temperature: float = 1.0,
    where: ArrayLike | None = None,
    out: np.ndarray | None = None,
    dtype: DTypeLike | None = None,
) -> np.ndarray:
    r"""Logarithm of :func:`softmax`: ``x_i - logsumexp(x)``, computed in log space.

    Parameters are those of :func:`softmax`.

    Returns
    -------
    ndarray
        Log-probabilities of the same shape as ``x`` (``out`` if given).

    Notes
    -----
    Never computed as ``log(softmax(x))``: that underflows to ``-inf`` for entries far
    below the maximum and loses all relative accuracy for the dominant entry. The log
    of the normalizer is taken as ``log(c) + log1p(rest / c)``, where ``c`` counts the
    entries tied at the maximum, so ``log_softmax([0, -40])[0] == -exp(-40)`` to full
    precision.

    Special values follow :func:`softmax`: masked-out and ``-inf`` entries give
    ``-inf``; a slice of ``k`` ``+inf`` entries gives ``-log(k)`` for them; a slice with
    nothing in it that weighs gives ``-inf`` (never NaN).

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.log_softmax([1000.0, 1.0])[1]  # log(softmax) would give -inf
    np.float64(-999.0)
    >>> float(sk.log_softmax([0.0, -40.0])[0])
    -4.248354255291589e-18
    """
    return _normalize(
        "log_softmax", x, axis, temperature, where, out, dtype, log=True, negate=False
    )


def softmin(
    x: ArrayLike,
    axis: Axis = -1,
    *,
    temperature: float = 1.0,
    where: ArrayLike | None = None,
    out: np.ndarray | None = None,
    dtype: DTypeLike | None = None,
) -> np.ndarray:
    r"""Softmin: ``softmax(-x)``, putting most of the mass on the smallest entries.

    Parameters are those of :func:`softmax`; special values are those of
    ``softmax(-x)`` (so ``-inf`` entries share the mass).

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.softmin([1.0, 2.0, 3.0])
    array([0.66524096, 0.24472847, 0.09003057])
    """
    return _normalize("softmin", x, axis, temperature, where, out, dtype, log=False, negate=True)


def logsumexp(
    x: ArrayLike,
    axis: Axis = None,
    *,
    b: ArrayLike | None = None,
    keepdims: bool = False,
    return_sign: bool = False,
    where: ArrayLike | None = None,
) -> Any:
    r"""``log(sum(b * exp(x)))`` over ``axis``, without overflow or underflow.

    For the arguments :func:`scipy.special.logsumexp` has, the results and semantics
    are SciPy's (real input only).

    Parameters
    ----------
    x : array_like
        Real input.
    axis : int, tuple of ints or None, optional
        Axes to reduce; None (the default) reduces all of them.
    b : array_like, optional
        Weights broadcastable with ``x``; they may be negative. Entries with ``b == 0``
        do not take part, even where ``x`` is inf or NaN.
    keepdims : bool, optional
        Keep the reduced axes with size 1.
    return_sign : bool, optional
        Also return the sign of the sum. Without it, a negative sum gives NaN.
    where : array_like of bool, optional
        Broadcastable with ``x`` and ``b``; False entries do not take part.

    Returns
    -------
    res : ndarray or scalar
        ``log(abs(sum(b * exp(x))))``.
    sgn : ndarray or scalar
        Only with ``return_sign``: +1, -1, or 0 for an empty sum.

    Notes
    -----
    Computed as ``max + log(c) + log1p(rest / c)``: the ``c`` entries tied at the
    maximum are taken out of the sum, so terms far below the maximum keep their
    contribution. The gradient of logsumexp is :func:`softmax`.

    Special values: NaN that takes part gives NaN. ``+inf`` gives ``+inf``. A reduction
    with nothing that weighs (all ``-inf``, all masked out, or an empty axis) gives
    ``-inf``.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> float(sk.logsumexp(np.arange(10)))
    9.45862974442671
    >>> sk.logsumexp([1.0, 2.0], b=[1, -1], return_sign=True)
    (np.float64(1.5413248546129181), np.float64(-1.0))
    >>> sk.logsumexp([[0.0, 0.0], [1.0, -np.inf]], axis=1)
    array([0.69314718, 1.        ])
    """
    fname = "logsumexp"
    keepdims = v.flag(fname, keepdims, "keepdims")
    return_sign = v.flag(fname, return_sign, "return_sign")
    xp = _array_api.namespace(fname, x=x, b=b, where=where)
    if xp is not None:
        return _xp_logsumexp(fname, xp, x, axis, b, keepdims, return_sign, where)
    arr = v.as_float_array(fname, x)
    bw = None
    if b is not None:
        bw = v.as_float_array(fname, b, "b")
        try:
            shape = np.broadcast_shapes(arr.shape, bw.shape)
        except ValueError:
            raise ValueError(
                f"{fname}: 'b' of shape {bw.shape} does not broadcast with x of shape "
                f"{arr.shape}"
            ) from None
        dt = np.result_type(arr.dtype, bw.dtype)
        arr = np.broadcast_to(arr, shape).astype(dt)
        bw = np.broadcast_to(bw, shape).astype(dt)
    if arr.ndim == 0:  # SciPy treats a scalar as one element
        arr = arr.reshape(1)
        bw = None if bw is None else bw.reshape(1)
    axes = v.axes_tuple(fname, axis, arr.ndim)
    mask = v.mask(fname, where, arr.shape)
    if bw is None and _use_native(arr, axes):
        if mask is not None:
            arr = np.where(mask, arr, np.array(-np.inf, dtype=arr.dtype))
        res = _native.logsumexp(arr, axes, keepdims=keepdims)
        if not return_sign:
            return _finish(res, None)
        with np.errstate(invalid="ignore"):
            sgn = np.where(np.isnan(res), np.nan, np.where(res == -np.inf, 0, 1))
        return _finish(res, None), _finish(sgn.astype(res.dtype), None)
    res = _reference.logsumexp(
        arr, axes, b=bw, where=mask, keepdims=keepdims, return_sign=return_sign
    )
    if return_sign:
        return _finish(res[0], None), _finish(res[1], None)
    return _finish(res, None)


def smooth_max(x: ArrayLike, axis: Axis = -1, *, k: float = 1.0, keepdims: bool = False) -> Any:
    r"""Smooth maximum with sharpness ``k``: ``logsumexp(k * x) / k``.

    Parameters
    ----------
    x : array_like
        Real input.
    axis : int, tuple of ints or None, optional
        Axes to reduce. Default -1.
    k : float, optional
        Sharpness, a finite number > 0. As ``k`` grows the result tends to ``max(x)``
        and its derivatives grow. Default 1.
    keepdims : bool, optional
        Keep the reduced axes with size 1.

    Returns
    -------
    ndarray or scalar
        Always ``max(x) <= smooth_max(x) <= max(x) + log(n) / k`` for ``n`` entries.

    Notes
    -----
    ``k * x`` is never formed (it could overflow); the maximum is subtracted first.
    Special values follow :func:`logsumexp`; an empty slice gives ``-inf``.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> float(sk.smooth_max([1.0, 2.0], k=1))  # log(e + e**2), correctly rounded
    2.313261687518223
    >>> float(sk.smooth_max([1.0, 2.0], k=10))
    2.0000045398899218
    """
    fname = "smooth_max"
    keepdims = v.flag(fname, keepdims, "keepdims")
    kk = v.positive_number(fname, k, "k")
    xp = _array_api.namespace(fname, x=x)
    if xp is not None:
        arr = _array_api.as_float(fname, xp, x)
        axes = v.axes_tuple(fname, axis, arr.ndim)
        if _dask.is_dask(arr):
            return _dask.smooth_max(arr, axes, k=kk, keepdims=keepdims)
        return _array_api.smooth_max(xp, arr, axes, k=kk, keepdims=keepdims)
    arr = v.as_float_array(fname, x)
    axes = v.axes_tuple(fname, axis, arr.ndim)
    return _finish(_reference.smooth_max(arr, axes, k=kk, keepdims=keepdims), None)


def hardmax(x: ArrayLike, axis: Axis = -1) -> np.ndarray:
    r"""One-hot of the argmax of each slice (the first on ties), the shape of ``x``.

    The limit of ``softmax(x, temperature=T)`` as ``T -> 0`` when the maximum is unique.

    Parameters
    ----------
    x : array_like
        Real input.
    axis : int, tuple of ints or None, optional
        The axis or axes that make up one slice. Default -1.

    Returns
    -------
    ndarray
        1 at the first maximum of each slice, 0 elsewhere, in the dtype
        :func:`softmax` would return. A slice containing NaN is all NaN; a slice that
        is all ``-inf`` is all 0 (as in :func:`softmax`).

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.hardmax([1.0, 3.0, 3.0, 2.0])
    array([0., 1., 0., 0.])
    """
    fname = "hardmax"
    xp = _array_api.namespace(fname, x=x)
    if xp is not None:
        arr = _array_api.as_float(fname, xp, x)
        axes = v.axes_tuple(fname, axis, arr.ndim)
        if _dask.is_dask(arr):
            return _dask.by_slices(_reference.hardmax, arr, axes=axes)
        return _array_api.hardmax(xp, arr, axes)
    arr = v.as_float_array(fname, x)
    axes = v.axes_tuple(fname, axis, arr.ndim)
    return _finish(_reference.hardmax(arr, axes), None)


def _slice_label(index: tuple[int, ...], axes: tuple[int, ...], ndim: int) -> str:
    it = iter(index)
    parts = [":" if d in axes else str(next(it)) for d in range(ndim)]
    return "x[" + ", ".join(parts) + "]"


def std_norm(x: ArrayLike, axis: Axis = -1) -> np.ndarray:
    r"""Plain normalization ``x / sum(x)`` along ``axis``: what softmax is contrasted with.

    Unlike :func:`softmax` it needs entries ``>= 0`` and ignores the scale of the
    input: ``std_norm([1, 2])`` and ``std_norm([10, 20])`` are the same, while softmax
    grows more certain as the differences grow.

    Parameters
    ----------
    x : array_like
        Finite, non-negative input.
    axis : int, tuple of ints or None, optional
        The axis or axes that make up one slice. Default -1.

    Returns
    -------
    ndarray
        Each slice divided by its sum.

    Raises
    ------
    ValueError
        Naming the first offending slice, when it has a negative or non-finite entry or
        sums to 0.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.std_norm([10.0, 20.0])
    array([0.33333333, 0.66666667])
    """
    fname = "std_norm"
    xp = _array_api.namespace(fname, x=x)
    if xp is not None:
        arr = _array_api.as_float(fname, xp, x)
        axes = v.axes_tuple(fname, axis, arr.ndim)
        if _dask.is_dask(arr):  # checked block by block when computed
            return _dask.by_slices(_std_norm_block, arr, axes=axes)
        return _array_api.std_norm(fname, xp, arr, axes)
    arr = v.as_float_array(fname, x)
    axes = v.axes_tuple(fname, axis, arr.ndim)
    if arr.size == 0:
        return arr.copy()
    checks = (
        (~np.isfinite(arr), "a non-finite entry"),
        (arr < 0, "a negative entry"),
    )
    for bad, what in checks:
        if bad.any():
            pos = tuple(int(i) for i in np.argwhere(bad)[0])
            lead = tuple(p for d, p in enumerate(pos) if d not in axes)
            raise ValueError(
                f"{fname}: slice {_slice_label(lead, axes, arr.ndim)} has {what} "
                f"({float(arr[pos])!r} at index {pos}); plain normalization needs finite "
                "entries >= 0"
            )
    with np.errstate(over="ignore"):  # an infinite sum is not a zero sum
        zero = np.sum(arr, axis=axes) == 0
    if np.any(zero):
        lead = tuple(int(i) for i in np.argwhere(zero)[0]) if zero.ndim else ()
        raise ValueError(
            f"{fname}: slice {_slice_label(lead, axes, arr.ndim)} sums to 0; plain "
            "normalization is undefined there"
        )
    return _finish(_reference.std_norm(arr, axes), None)


def _xp_logsumexp(fname, xp, x, axis, b, keepdims, return_sign, where):
    """logsumexp on the arrays of another library (Dask chunk-aware)."""
    arr = _array_api.as_float(fname, xp, x)
    bw = None
    if b is not None:
        bw = _array_api.as_float(fname, xp, b, "b", like=arr)
        try:
            arr, bw = xp.broadcast_arrays(arr, bw)
        except (ValueError, RuntimeError):
            raise ValueError(
                f"{fname}: 'b' of shape {tuple(bw.shape)} does not broadcast with x of "
                f"shape {tuple(arr.shape)}"
            ) from None
        dt = xp.result_type(arr.dtype, bw.dtype)
        arr, bw = xp.astype(arr, dt), xp.astype(bw, dt)
    if arr.ndim == 0:  # SciPy treats a scalar as one element
        arr = xp.reshape(arr, (1,))
        bw = None if bw is None else xp.reshape(bw, (1,))
    axes = v.axes_tuple(fname, axis, arr.ndim)
    mask = _array_api.mask(fname, xp, where, arr.shape, arr)
    if _dask.is_dask(arr):
        if bw is None and not return_sign:
            return _dask.logsumexp(arr, axes, where=mask, keepdims=keepdims)
        return _dask_weighted_logsumexp(arr, axes, bw, mask, keepdims, return_sign)
    return _array_api.logsumexp(xp, arr, axes, b=bw, where=mask, keepdims=keepdims,
                                return_sign=return_sign)


def _std_norm_block(block, *, axes):
    return std_norm(block, axes)


def _lse_block(block, b, where, *, axes, sign):
    res = logsumexp(block, axes, b=b, where=where, keepdims=True, return_sign=True)
    return np.asarray(res[1 if sign else 0])


def _dask_weighted_logsumexp(arr, axes, b, where, keepdims, return_sign):
    """logsumexp with weights (or the sign) on Dask: whole slices per block."""
    import dask.array as da

    b = da.ones_like(arr) if b is None else b
    where = da.ones(arr.shape, dtype=bool, chunks=arr.chunks) if where is None else where
    parts = [_dask.by_slices(_lse_block, arr, b, where, axes=axes, reduce=True, sign=sign)
             for sign in ((False, True) if return_sign else (False,))]
    if not keepdims:
        parts = [da.squeeze(p, axis=axes) for p in parts]
    return tuple(parts) if return_sign else parts[0]
