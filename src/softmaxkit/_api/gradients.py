"""Backward functions (vector-Jacobian products) of the softmax family, and a gradient check.

Each function validates, then runs on the backend the registry names (the native kernels
for contiguous slices of NumPy arrays). Every backward function takes what its forward
returned where that suffices
(``softmax_backward`` needs only ``y``, JAX-style ``dx = y * (dy - sum(dy * y))``), and is
finite wherever the forward is: entries that took no part in the forward (masked out,
``-inf``) get gradient 0, never NaN, whatever ``dy`` holds there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._backends import composite
from .._core import arrays
from .._core import attention as att
from .._core import validation as v
from . import family as F
from .dispatch import backend_of, native_route, numpy_result

__all__ = [
    "softmax_backward",
    "log_softmax_backward",
    "logsumexp_backward",
    "smooth_max_backward",
    "softmax_temperature_grad",
    "softmax_jacobian",
    "check_grad",
    "GradCheck",
]


def _pair(fname: str, a: Any, b: Any, names: tuple[str, str]):
    """Two same-shape real arrays of one library in their common floating dtype, and the
    library's namespace (None for NumPy)."""
    xp = arrays.namespace(fname, **{names[0]: a, names[1]: b})
    x = arrays.real_array(fname, xp, a, names[0])
    d = arrays.real_array(fname, xp, b, names[1], like=x)
    if tuple(x.shape) != tuple(d.shape):
        raise ValueError(f"{fname}: {names[0]!r} has shape {tuple(x.shape)} but {names[1]!r} "
                         f"has shape {tuple(d.shape)}")
    if xp is None:
        dt = np.result_type(x.dtype, d.dtype)
        return x.astype(dt, copy=False), d.astype(dt, copy=False), None
    dt = xp.result_type(x.dtype, d.dtype)
    return xp.astype(x, dt), xp.astype(d, dt), xp


@native_route
def softmax_backward(y: ArrayLike, dy: ArrayLike, axis: F.Axis = -1, *,
                     temperature: float = 1.0, sink: ArrayLike | None = None) -> Any:
    r"""Gradient of a loss through ``y = softmax(x / temperature)``, from the output ``y``.

    ``dx = y * (dy - sum(dy * y)) / temperature`` along ``axis``.

    Parameters
    ----------
    y : array_like
        The forward result.
    dy : array_like
        The gradient of the loss with respect to ``y``; same shape.
    axis : int, tuple of ints or None, optional
        The forward's axis. Default -1.
    temperature : float, optional
        The forward's temperature. Default 1.
    sink : float or array_like, optional
        The forward's sink: then the sink's gradient is returned too,
        ``-p_sink * sum(dy * y) / temperature`` with ``p_sink = 1 - sum(y)``, summed to
        the sink's shape. The gradient with respect to ``x`` is the same formula with
        or without a sink.

    Returns
    -------
    dx : ndarray
        The gradient with respect to ``x``; 0 wherever ``y`` is 0.
    dsink : ndarray or scalar
        Only with ``sink``: the gradient with respect to it, of its shape.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> y = sk.softmax([1.0, 2.0, 3.0])
    >>> sk.softmax_backward(y, [0.0, 0.0, 1.0])  # d y[2] / d x
    array([-0.05989202, -0.1628034 ,  0.22269543])
    >>> y = sk.softmax([0.0, 0.0], sink=0.0)
    >>> sk.softmax_backward(y, [1.0, 1.0], sink=0.0)[1]  # d sum(y) / d sink
    np.float64(-0.22222222222222224)
    """
    return _softmax_vjp("softmax_backward", y, dy, axis, temperature, log=False, sink=sink)


@native_route
def log_softmax_backward(logp: ArrayLike, dy: ArrayLike, axis: F.Axis = -1, *,
                     temperature: float = 1.0, sink: ArrayLike | None = None) -> Any:
    r"""Gradient through ``logp = log_softmax(x / temperature)``, from the output ``logp``.

    ``dx = (dy - exp(logp) * sum'(dy)) / temperature`` along ``axis``, where ``sum'``
    runs over the live entries only. Entries with ``logp == -inf`` (masked out, or ``-inf``
    inputs) are constants of the forward: they get 0 and their ``dy`` takes no part in the
    sum.

    Parameters
    ----------
    logp : array_like
        The forward's result.
    dy : array_like
        The gradient of the loss with respect to ``logp``; same shape.
    axis : int, tuple of ints or None, optional
        The forward's axis. Default -1.
    temperature : float, optional
        The forward's temperature. Default 1.
    sink : float or array_like, optional
        The forward's sink: then the sink's gradient is returned too.

    Returns
    -------
    dx : ndarray
        The gradient with respect to ``x``; 0 at the ``-inf`` entries.
    dsink : ndarray
        Only with ``sink``: the gradient with respect to the sink, of its shape.

    Notes
    -----
    PyTorch's ``LogSoftmax`` backward sums ``dy`` over every entry and returns ``dy``
    itself at the ``-inf`` ones. The two agree whenever ``dy`` is 0 there, as it is for any
    loss that reads only live log-probabilities.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> logp = sk.log_softmax([1.0, 2.0, 3.0])
    >>> sk.log_softmax_backward(logp, [0.0, 0.0, -1.0])  # d(-logp[2]) / dx
    array([ 0.09003057,  0.24472847, -0.33475904])
    """
    return _softmax_vjp("log_softmax_backward", logp, dy, axis, temperature, log=True,
                        sink=sink)


def _softmax_vjp(fname, y, dy, axis, temperature, *, log, sink=None):
    """The backward of softmax (from y) or log_softmax (from logp), and of the sink."""
    yy, d, xp = _pair(fname, y, dy, ("logp" if log else "y", "dy"))
    axes = v.axes_tuple(fname, axis, yy.ndim)
    t = v.positive_number(fname, temperature, "temperature")
    if sink is not None:
        shape = tuple(sink.shape) if hasattr(sink, "shape") else np.shape(sink)
        F.sink_input(fname, xp, sink, yy, axes)  # checks it broadcasts to the slices
    dx = backend_of(fname, yy, xp).softmax_vjp(yy, d, axes, temperature=t, log=log)
    if sink is None:
        return dx
    ds = att.sink_grad(xp or np, yy, d, axes, shape, log=log) / t
    return dx, (numpy_result(ds) if xp is None else ds)


@native_route
def logsumexp_backward(x: ArrayLike, dy: ArrayLike, axis: F.Axis = None, *,
                       b: ArrayLike | None = None, where: ArrayLike | None = None,
                       keepdims: bool = False) -> np.ndarray:
    r"""Gradient through ``logsumexp(x, axis, b=b, where=where, keepdims=keepdims)``.

    ``d/dx_i = b_i * exp(x_i - lse) * sign(sum)``: the softmax of ``x`` weighted by ``b``.

    Parameters
    ----------
    x : array_like
        The forward input.
    dy : array_like
        The gradient with respect to the forward result (its shape).
    axis, b, where, keepdims
        As given to the forward.

    Returns
    -------
    ndarray
        The shape of ``x``; 0 where ``b == 0``, where masked out, and in reductions with
        nothing that weighs.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.logsumexp_backward([1.0, 2.0, 3.0], 1.0)
    array([0.09003057, 0.24472847, 0.66524096])
    """
    fname = "logsumexp_backward"
    keepdims = v.flag(fname, keepdims, "keepdims")
    arr, bw, mask, axes, xp = F.logsumexp_input(fname, x, axis, b, where)
    # the gradient has the input's shape: () for a 0-d input, taken as one element
    shape = () if _ndim(x) == 0 and (b is None or _ndim(b) == 0) else tuple(arr.shape)
    d = arrays.real_array(fname, xp, dy, "dy", like=arr)
    d = _reduced_grad(fname, xp, d, arr.shape, axes, keepdims)
    be = backend_of(fname, arr, xp)
    g = composite.logsumexp_backward(xp or np, be.logsumexp, arr, bw, mask, d, axes, shape)
    if xp is None:
        return g.astype(np.result_type(arr.dtype, d.dtype), copy=False)
    return g


def _ndim(a) -> int:
    return a.ndim if hasattr(a, "ndim") else np.ndim(a)


def _reduced_grad(fname, xp, d, shape, axes, keepdims):
    """``dy`` of a reduction over ``axes`` checked against its result's shape and reshaped
    to it with keepdims (a single number broadcasts)."""
    kept = tuple(1 if i in axes else s for i, s in enumerate(shape))
    n = math.prod(d.shape)
    if n == 1:
        return d.reshape(()) if xp is None else xp.reshape(d, ())
    expected = kept if keepdims else tuple(s for i, s in enumerate(shape) if i not in axes)
    if tuple(d.shape) != expected:
        raise ValueError(f"{fname}: 'dy' has shape {tuple(d.shape)}, expected {expected}")
    return d.reshape(kept) if xp is None else xp.reshape(d, kept)


@native_route
def smooth_max_backward(x: ArrayLike, dy: ArrayLike, axis: F.Axis = -1, *, k: float = 1.0,
                        keepdims: bool = False) -> np.ndarray:
    r"""Gradient through ``smooth_max(x, axis, k=k)``: ``dy * softmax(k * x)``.

    Parameters
    ----------
    x : array_like
        The forward's input.
    dy : array_like
        The gradient of the loss with respect to the forward's result (its shape, or
        broadcastable to it).
    axis : int, tuple of ints or None, optional
        The forward's axis. Default -1.
    k : float, optional
        The forward's sharpness. Default 1.
    keepdims : bool, optional
        Whether the forward kept the reduced axes (then ``dy`` has them too).

    Returns
    -------
    ndarray
        The gradient with respect to ``x``, of ``x``'s shape.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.smooth_max_backward([1.0, 2.0], 1.0, k=10)
    array([4.53978687e-05, 9.99954602e-01])
    """
    fname = "smooth_max_backward"
    kk = v.positive_number(fname, k, "k")
    keepdims = v.flag(fname, keepdims, "keepdims")
    xx, axes, xp = F.array_input(fname, x, axis)
    d = arrays.real_array(fname, xp, dy, "dy", like=xx)
    d = _reduced_grad(fname, xp, d, xx.shape, axes, keepdims)
    be = backend_of(fname, xx, xp)
    return composite.smooth_max_backward(be.softmax, xx, d, axes, kk)


@native_route
def softmax_temperature_grad(x: ArrayLike, dy: ArrayLike, axis: F.Axis = -1, *,
                             temperature: float = 1.0, log: bool = False) -> np.ndarray:
    r"""Gradient of a loss with respect to the temperature of ``softmax(x / T)``.

    With ``g`` the gradient with respect to ``z = x / T``,
    ``dL/dT = -sum(g * x) / T**2 = -sum(g * (x - max)) / T**2`` (``sum(g) = 0``, so the
    shift changes nothing but the rounding).

    Parameters
    ----------
    x : array_like
        The forward input.
    dy : array_like
        The gradient with respect to the forward result.
    axis : int, tuple of ints or None, optional
    temperature : float
    log : bool, optional
        The forward was ``log_softmax``.

    Returns
    -------
    ndarray
        One value per slice (the reduced axes removed).

    Examples
    --------
    >>> import softmaxkit as sk
    >>> float(sk.softmax_temperature_grad([1.0, 2.0, 3.0], [0.0, 0.0, 1.0], temperature=2.0))
    -0.08608182918353463
    """
    fname = "softmax_temperature_grad"
    xx, d, xp = _pair(fname, x, dy, ("x", "dy"))  # this function's names in its errors
    axes = v.axes_tuple(fname, axis, xx.ndim)
    t = v.positive_number(fname, temperature, "temperature")
    log = v.flag(fname, log, "log")
    be = backend_of(fname, xx, xp)
    return composite.softmax_temperature_grad(xp or np, be.softmax, be.softmax_vjp, xx, d,
                                              axes, t, log)


@native_route
def softmax_jacobian(x: ArrayLike, axis: int = -1, *, temperature: float = 1.0) -> np.ndarray:
    r"""The full Jacobian ``d softmax(x)_i / d x_j = p_i (delta_ij - p_j) / T`` per slice.

    Parameters
    ----------
    x : array_like
    axis : int, optional
        The softmax axis (a single axis). Default -1.
    temperature : float, optional

    Returns
    -------
    ndarray
        Shape ``x.shape`` with ``axis`` moved last, plus one more axis of the same
        length: ``J[..., i, j]``. Symmetric; each row sums to 0.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.softmax_jacobian([0.0, 0.0])
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    fname = "softmax_jacobian"
    xx, _, xp = F.array_input(fname, x, None)
    if isinstance(axis, (tuple, list)) or axis is None:
        raise TypeError(f"{fname}: 'axis' must be a single int, got {axis!r}")
    (ax,) = v.axes_tuple(fname, axis, xx.ndim)
    t = v.positive_number(fname, temperature, "temperature")
    be = backend_of(fname, xx, xp)
    return composite.softmax_jacobian(xp or np, be.softmax, xx, ax, t)


class GradCheck(NamedTuple):
    """Result of :func:`check_grad`: the worst relative error, where, and both gradients.

    Parameters
    ----------
    max_rel_error : float
        The largest ``|numeric - analytic| / max(|numeric|, |analytic|)`` over the
        entries (0 where both are 0).
    index : tuple of int
        The index into ``x`` where it occurs.
    numeric : ndarray
        The central-difference gradient.
    analytic : ndarray or None
        The analytic gradient compared with it (None when none was given).

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> r = sk.check_grad(lambda x: np.sum(x**2), np.array([1.0, -2.0]), analytic=[2.0, -4.0])
    >>> bool(r.max_rel_error < 1e-8), np.round(r.numeric, 6)
    (True, array([ 2., -4.]))
    """

    max_rel_error: float
    index: tuple[int, ...]
    numeric: np.ndarray
    analytic: np.ndarray | None


GradCheck.max_rel_error.__doc__ = "The largest relative error between the two gradients."
GradCheck.index.__doc__ = "The index into ``x`` where it occurs."
GradCheck.numeric.__doc__ = "The central-difference gradient."
GradCheck.analytic.__doc__ = "The analytic gradient compared with it (None when not given)."


def check_grad(f: Callable[[np.ndarray], Any], x: ArrayLike, *, eps: float = 1e-5,
               analytic: ArrayLike | Callable[[np.ndarray], Any] | None = None) -> GradCheck:
    r"""Compare a gradient with central differences (cs231n's gradient check, at 4th order).

    Parameters
    ----------
    f : callable
        ``f(x) -> scalar`` (an array is reduced with ``sum``).
    x : array_like
        Where to check; float64 is recommended. Not modified.
    eps : float, optional
        Step; the difference is
        ``(-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / (12 h)``, error O(h**4).
    analytic : array_like or callable, optional
        The gradient to check, or ``g(x) -> gradient``. Without it only the numeric
        gradient is returned.

    Returns
    -------
    GradCheck
        ``max_rel_error`` = max of ``|a - n| / max(|a|, |n|, 1e-300)`` and where it
        occurs, the numeric gradient, and the analytic one.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> x = np.array([0.5, -1.0, 2.0])
    >>> r = sk.check_grad(lambda z: sk.logsumexp(z), x, analytic=sk.softmax(x))
    >>> r.max_rel_error < 1e-9
    True
    """
    fname = "check_grad"
    if not callable(f):
        raise TypeError(f"{fname}: 'f' must be callable, got {type(f).__name__}")
    h = v.positive_number(fname, eps, "eps")
    x0 = v.as_float_array(fname, x).astype(np.float64, copy=True)

    def value(z):
        return float(np.sum(f(z)))

    num = np.zeros_like(x0)
    for i in np.ndindex(x0.shape):
        orig = x0[i]
        vals = []
        for step in (2, 1, -1, -2):
            x0[i] = orig + step * h
            vals.append(value(x0))
        x0[i] = orig
        num[i] = (-vals[0] + 8 * vals[1] - 8 * vals[2] + vals[3]) / (12 * h)
    if analytic is None:
        return GradCheck(float("nan"), (), num, None)
    a = np.asarray(analytic(x0.copy()) if callable(analytic) else analytic, dtype=np.float64)
    if a.shape != num.shape:
        raise ValueError(f"{fname}: 'analytic' has shape {a.shape}, expected {num.shape}")
    rel = np.abs(a - num) / np.maximum(np.maximum(np.abs(a), np.abs(num)), 1e-300)
    rel = np.where((a == 0) & (num == 0), 0.0, rel)
    idx = np.unravel_index(int(np.argmax(rel)), rel.shape) if rel.size else ()
    return GradCheck(float(rel.max()) if rel.size else 0.0, tuple(int(i) for i in idx), num, a)
