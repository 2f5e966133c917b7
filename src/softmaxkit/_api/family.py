"""The softmax family: validate, resolve the backend, call it.

Every public function validates all of its arguments first (``_core.validation`` for
NumPy input, ``_core.arrays`` for other libraries' arrays, with the same messages), then
hands normalized input (a floating array, a tuple of axes, a broadcast mask) to the
backend the registry names (``_backends.registry``). Nothing is computed here, and
nothing is written to ``out`` before every argument has been checked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._core import arrays
from .._core import validation as v
from .._core.docstrings import parameters_of
from .dispatch import backend_of, native_route, numpy_result

__all__ = ["softmax", "log_softmax", "softmin", "logsumexp", "smooth_max", "hardmax", "std_norm"]

Axis = int | tuple[int, ...] | None


def sink_input(fname: str, xp, sink, arr, axes):
    """``sink`` checked and shaped for the backends: an array of ``arr``'s library that
    broadcasts to the slices' shape, returned with the reduced axes kept as 1 (float64
    for NumPy input: the kernels round it to ``arr``'s dtype as one more entry)."""
    reduced = tuple(int(s) for i, s in enumerate(arr.shape) if i not in axes)
    kept = tuple(1 if i in axes else int(s) for i, s in enumerate(arr.shape))
    if xp is None:
        s = v.as_float_array(fname, sink, "sink").astype(np.float64, copy=False)
    else:
        s = xp.astype(arrays.real_array(fname, xp, sink, "sink", like=arr), arr.dtype)
    try:
        if np.broadcast_shapes(tuple(s.shape), reduced) != reduced:
            raise ValueError
    except ValueError:
        raise ValueError(f"{fname}: 'sink' of shape {tuple(s.shape)} does not broadcast to "
                         f"the slices' shape {reduced}") from None
    ns = np if xp is None else xp
    return ns.reshape(ns.broadcast_to(s, reduced), kept)


def _normalize(
    fname: str, x, axis, temperature, where, out, dtype, *, log: bool, negate: bool,
    sink=None,
):
    xp = arrays.namespace(fname, x=x, where=where, out=out,
                          sink=sink if hasattr(sink, "shape") else None)
    if xp is None:
        arr = v.as_float_array(fname, x, dtype=v.float_dtype(fname, dtype), half=True)
        axes = v.axes_tuple(fname, axis, arr.ndim)
        t = v.positive_number(fname, temperature, "temperature")
        mask = v.mask(fname, where, arr.shape)
        out = v.out_array(fname, out, arr.shape, arr.dtype)
    else:
        arr = arrays.as_float(fname, xp, x, dtype=dtype)
        axes = v.axes_tuple(fname, axis, arr.ndim)
        t = v.positive_number(fname, temperature, "temperature")
        mask = arrays.mask(fname, xp, where, arr.shape, arr)
    be = backend_of(fname, arr, xp)
    if sink is not None:
        s = sink_input(fname, xp, sink, arr, axes)
        if xp is None:
            res = be.softmax_sink(arr, axes, s, temperature=t, where=mask, log=log, out=out)
            return res if out is not None else numpy_result(res)
        res = be.softmax_sink(arr, axes, s, temperature=t, where=mask, log=log)
        return arrays.finish_out(fname, res, out)
    if xp is None:
        res = be.softmax(arr, axes, temperature=t, where=mask, log=log, negate=negate, out=out)
        return res if out is not None else numpy_result(res)
    res = be.softmax(arr, axes, temperature=t, where=mask, log=log, negate=negate)
    return arrays.finish_out(fname, res, out)


@native_route
def softmax(
    x: ArrayLike,
    axis: Axis = -1,
    *,
    temperature: float = 1.0,
    where: ArrayLike | None = None,
    out: np.ndarray | None = None,
    dtype: DTypeLike | None = None,
    sink: ArrayLike | None = None,
) -> np.ndarray:
    r"""Softmax of ``x / temperature`` along ``axis``: ``exp(x_i) / sum_j exp(x_j)``.

    Parameters
    ----------
    x : array_like
        Real input. Integers and bools are promoted to float64; float16 and bfloat16
        are computed in float32 and rounded once to their own format.
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
    sink : float or array_like, optional
        A logit added to each slice's normalizer only ("attention sink", off-by-one
        softmax): ``p_i = exp(x_i) / (exp(sink) + sum_j exp(x_j))``, so the slice sums
        to less than 1. A number or an array broadcastable to the slices' shape (the
        shape of ``logsumexp(x, axis)``), such as one learned logit per head; it is
        divided by ``temperature`` as the entries are. ``sink=0`` is "softmax1";
        ``-inf`` is plain softmax. A slice with nothing that weighs and a finite sink
        gives 0s (the sink takes the whole mass).

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
    >>> sk.softmax([0.0, 0.0], sink=0.0)  # softmax1: a third of the mass on the sink
    array([0.33333333, 0.33333333])
    """
    return _normalize("softmax", x, axis, temperature, where, out, dtype, log=False,
                      negate=False, sink=sink)


@native_route
@parameters_of(softmax)
def log_softmax(
    x: ArrayLike,
    axis: Axis = -1,
    *,
    temperature: float = 1.0,
    where: ArrayLike | None = None,
    out: np.ndarray | None = None,
    dtype: DTypeLike | None = None,
    sink: ArrayLike | None = None,
) -> np.ndarray:
    r"""Logarithm of :func:`softmax`: ``x_i - logsumexp(x)``, computed in log space.

    With ``sink``, the result is ``x_i - logsumexp(x, sink=sink)``.

    {parameters}

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
        "log_softmax", x, axis, temperature, where, out, dtype, log=True, negate=False,
        sink=sink,
    )


@native_route
@parameters_of(softmax, drop=("sink",))
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

    Special values are those of ``softmax(-x)`` (so ``-inf`` entries share the mass).

    {parameters}

    Returns
    -------
    ndarray
        Probabilities of the same shape as ``x`` (``out`` if given).

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.softmin([1.0, 2.0, 3.0])
    array([0.66524096, 0.24472847, 0.09003057])
    """
    return _normalize("softmin", x, axis, temperature, where, out, dtype, log=False, negate=True)


@native_route
def logsumexp(
    x: ArrayLike,
    axis: Axis = None,
    *,
    b: ArrayLike | None = None,
    keepdims: bool = False,
    return_sign: bool = False,
    where: ArrayLike | None = None,
    sink: ArrayLike | None = None,
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
    sink : float or array_like, optional
        ``exp(sink)`` (weight 1) is added to each sum: a number or an array broadcastable
        to the result's shape (without ``keepdims``). It is the normalizer of
        :func:`softmax` with the same sink.

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
    >>> float(sk.logsumexp([0.0, 0.0], sink=0.0))  # log(3)
    1.0986122886681098
    """
    fname = "logsumexp"
    keepdims = v.flag(fname, keepdims, "keepdims")
    return_sign = v.flag(fname, return_sign, "return_sign")
    arr, bw, mask, axes, xp = logsumexp_input(fname, x, axis, b, where, sink)
    be = backend_of(fname, arr, xp)
    if sink is not None:
        if return_sign:
            raise ValueError(f"{fname}: 'sink' does not go with return_sign")
        s = sink_input(fname, xp, sink, arr, axes)
        res = be.logsumexp_sink(arr, axes, s, b=bw, where=mask, keepdims=keepdims)
        return res if xp is not None else numpy_result(res)
    res = be.logsumexp(arr, axes, b=bw, where=mask, keepdims=keepdims, return_sign=return_sign)
    if xp is not None:
        return res
    if return_sign:
        return numpy_result(res[0]), numpy_result(res[1])
    return numpy_result(res)


def logsumexp_input(fname, x, axis, b, where, sink=None):
    """(x, b, where, axes, namespace) of a logsumexp call: ``x`` and ``b`` broadcast to
    one shape and one floating dtype (a 0-d input is one element, as in SciPy)."""
    xp = arrays.namespace(fname, x=x, b=b, where=where,
                          sink=sink if hasattr(sink, "shape") else None)
    if xp is None:
        arr = v.as_float_array(fname, x, half=b is None)
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
        return arr, bw, v.mask(fname, where, arr.shape), axes, None
    if b is None:
        arr, bw = arrays.as_float(fname, xp, x), None
    else:
        # promotion is the library's own: a float32 tensor with integer weights stays
        # float32 whatever the library's default floating dtype
        arr, bw = arrays.common_float(fname, xp, x, b)
        try:
            arr, bw = xp.broadcast_arrays(arr, bw)
        except (ValueError, RuntimeError):
            raise ValueError(
                f"{fname}: 'b' of shape {tuple(bw.shape)} does not broadcast with x of "
                f"shape {tuple(arr.shape)}"
            ) from None
    if arr.ndim == 0:
        arr = xp.reshape(arr, (1,))
        bw = None if bw is None else xp.reshape(bw, (1,))
    axes = v.axes_tuple(fname, axis, arr.ndim)
    return arr, bw, arrays.mask(fname, xp, where, arr.shape, arr), axes, xp


@native_route
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
    arr, axes, xp = array_input(fname, x, axis)
    res = backend_of(fname, arr, xp).smooth_max(arr, axes, k=kk, keepdims=keepdims)
    return res if xp is not None else numpy_result(res)


def array_input(fname, x, axis):
    """(x as a floating array, axes, namespace) of a one-array call."""
    xp = arrays.namespace(fname, x=x)
    arr = arrays.real_array(fname, xp, x)
    return arr, v.axes_tuple(fname, axis, arr.ndim), xp


@native_route
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
    arr, axes, xp = array_input(fname, x, axis)
    res = backend_of(fname, arr, xp).hardmax(arr, axes)
    return res if xp is not None else numpy_result(res)


@native_route
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
    arr, axes, xp = array_input(fname, x, axis)
    res = backend_of(fname, arr, xp).std_norm(arr, axes, fname=fname)
    return res if xp is not None else numpy_result(res)
