"""Backward functions (vector-Jacobian products) of the softmax family, and a gradient check.

softmax and log_softmax backward run in native kernels for contiguous slices (the
NumPy code below is the fallback and the reference). Every backward function takes what
its forward returned where that suffices
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

from . import _array_api, _config, _dask, _native
from . import _functions as F
from . import _validation as v

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


def _pair(fname: str, a: Any, b: Any, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Two same-shape real arrays in their common floating dtype."""
    x = v.as_float_array(fname, a, names[0])
    d = v.as_float_array(fname, b, names[1])
    if x.shape != d.shape:
        raise ValueError(
            f"{fname}: {names[0]!r} has shape {x.shape} but {names[1]!r} has shape {d.shape}"
        )
    dt = np.result_type(x.dtype, d.dtype)
    return x.astype(dt, copy=False), d.astype(dt, copy=False)


def softmax_backward(y: ArrayLike, dy: ArrayLike, axis: F.Axis = -1, *,
                     temperature: float = 1.0) -> np.ndarray:
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

    Returns
    -------
    ndarray
        The gradient with respect to ``x``; 0 wherever ``y`` is 0.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> y = sk.softmax([1.0, 2.0, 3.0])
    >>> sk.softmax_backward(y, [0.0, 0.0, 1.0])  # d y[2] / d x
    array([-0.05989202, -0.1628034 ,  0.22269543])
    """
    return _softmax_vjp("softmax_backward", y, dy, axis, temperature, log=False)


def log_softmax_backward(logp: ArrayLike, dy: ArrayLike, axis: F.Axis = -1, *,
                         temperature: float = 1.0) -> np.ndarray:
    r"""Gradient through ``logp = log_softmax(x / temperature)``, from the output ``logp``.

    ``dx = (dy - exp(logp) * sum(dy)) / temperature`` along ``axis``; entries with
    ``logp == -inf`` (masked out or ``-inf`` inputs) get 0 and their ``dy`` is ignored.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> logp = sk.log_softmax([1.0, 2.0, 3.0])
    >>> sk.log_softmax_backward(logp, [0.0, 0.0, -1.0])  # d(-logp[2]) / dx
    array([ 0.09003057,  0.24472847, -0.33475904])
    """
    return _softmax_vjp("log_softmax_backward", logp, dy, axis, temperature, log=True)


def _softmax_vjp(fname, y, dy, axis, temperature, *, log):
    """The backward of softmax (from y) or log_softmax (from logp): validation, the native
    kernel where the layout allows, else NumPy."""
    names = ("logp" if log else "y", "dy")
    xp = _array_api.namespace(fname, **{names[0]: y, names[1]: dy})
    if xp is not None:
        yy = _array_api.as_float(fname, xp, y, names[0])
        d = _array_api.as_float(fname, xp, dy, names[1], like=yy)
        if tuple(yy.shape) != tuple(d.shape):
            raise ValueError(f"{fname}: {names[0]!r} has shape {tuple(yy.shape)} but "
                             f"{names[1]!r} has shape {tuple(d.shape)}")
        axes = v.axes_tuple(fname, axis, yy.ndim)
        t = v.positive_number(fname, temperature, "temperature")
        if _dask.is_dask(yy):
            return _dask.by_slices(_vjp_block, yy, d, axes=axes, fname=fname, t=t)
        return _array_api.softmax_vjp(xp, yy, d, axes, t, log=log)
    yy, d = _pair(fname, y, dy, names)
    axes = v.axes_tuple(fname, axis, yy.ndim)
    t = v.positive_number(fname, temperature, "temperature")
    if _config.get_backend() == "native" and axes:
        dx = _native.softmax_backward(yy, d, axes, log=log, scale=1.0 / t)
        if dx is not None:
            return dx
    live = yy != (-np.inf if log else 0)  # entries the forward gave no weight get 0
    with np.errstate(invalid="ignore"):
        dyl = np.where(live, d, 0)
        if log:
            dx = np.where(live, dyl - np.exp(yy) * np.sum(dyl, axis=axes, keepdims=True), 0)
        else:
            dx = np.where(live, yy * (dyl - np.sum(dyl * yy, axis=axes, keepdims=True)), 0)
    return dx / t if t != 1.0 else dx


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
    xp = _array_api.namespace(fname, x=x, dy=dy, b=b, where=where)
    if xp is not None:
        return _xp_logsumexp_backward(fname, xp, x, dy, axis, b, where, keepdims)
    xx = v.as_float_array(fname, x)
    lse, sgn = F.logsumexp(xx, axis, b=b, where=where, keepdims=True, return_sign=True)
    lse, sgn = np.asarray(lse), np.asarray(sgn)
    full = np.broadcast_shapes(xx.shape, np.shape(b)) if b is not None else xx.shape
    axes = v.axes_tuple(fname, axis, len(full)) if len(full) else ()
    d = v.as_float_array(fname, dy, "dy")
    expected = lse.shape if keepdims else tuple(s for i, s in enumerate(full) if i not in axes)
    if d.shape != expected and d.size != 1:
        raise ValueError(f"{fname}: 'dy' has shape {d.shape}, expected {expected}")
    d = d.reshape(lse.shape) if d.size != 1 else d.reshape(())
    bb = 1.0 if b is None else v.as_float_array(fname, b, "b")
    with np.errstate(invalid="ignore", over="ignore"):
        g = np.broadcast_to(bb, full) * np.exp(np.broadcast_to(xx, full) - lse) * sgn * d
        keep = np.isfinite(lse) & (np.broadcast_to(bb, full) != 0)
        if where is not None:
            keep = keep & np.broadcast_to(v.mask(fname, where, full), full)
        g = np.where(keep, g, 0)
    return g.astype(np.result_type(xx.dtype, d.dtype), copy=False)


def smooth_max_backward(x: ArrayLike, dy: ArrayLike, axis: F.Axis = -1, *, k: float = 1.0,
                        keepdims: bool = False) -> np.ndarray:
    r"""Gradient through ``smooth_max(x, axis, k=k)``: ``dy * softmax(k * x)``.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.smooth_max_backward([1.0, 2.0], 1.0, k=10)
    array([4.53978687e-05, 9.99954602e-01])
    """
    fname = "smooth_max_backward"
    kk = v.positive_number(fname, k, "k")
    keepdims = v.flag(fname, keepdims, "keepdims")
    xp = _array_api.namespace(fname, x=x, dy=dy)
    if xp is None:
        xx = v.as_float_array(fname, x)
        d = v.as_float_array(fname, dy, "dy")
    else:
        xx = _array_api.as_float(fname, xp, x)
        d = _array_api.as_float(fname, xp, dy, "dy", like=xx)
    axes = v.axes_tuple(fname, axis, xx.ndim)
    p = F.softmax(xx, axes, temperature=1.0 / kk)
    d_size = math.prod(d.shape)
    reduced = tuple(1 if i in axes else s for i, s in enumerate(xx.shape))
    if d_size != 1:
        expected = reduced if keepdims else tuple(s for i, s in enumerate(xx.shape)
                                                  if i not in axes)
        if tuple(d.shape) != expected:
            raise ValueError(f"{fname}: 'dy' has shape {tuple(d.shape)}, expected {expected}")
        d = d.reshape(reduced) if xp is None else xp.reshape(d, reduced)
    return p * d


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
    xx, d = _pair(fname, x, dy, ("x", "dy"))  # this function's names in its errors
    axes = v.axes_tuple(fname, axis, xx.ndim)
    t = v.positive_number(fname, temperature, "temperature")
    log = v.flag(fname, log, "log")
    dy = d
    if log:
        g = log_softmax_backward(F.log_softmax(xx, axes, temperature=t), dy, axes)
    else:
        g = softmax_backward(F.softmax(xx, axes, temperature=t), dy, axes)
    with np.errstate(invalid="ignore"):
        m = np.max(xx, axis=axes, keepdims=True, initial=-np.inf)
        shifted = np.where(g != 0, xx - np.where(np.isfinite(m), m, 0), 0)
        return -np.sum(g * shifted, axis=axes) / (t * t)


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
    xx = v.as_float_array(fname, x)
    if isinstance(axis, (tuple, list)) or axis is None:
        raise TypeError(f"{fname}: 'axis' must be a single int, got {axis!r}")
    (ax,) = v.axes_tuple(fname, axis, xx.ndim)
    t = v.positive_number(fname, temperature, "temperature")
    p = np.moveaxis(F.softmax(xx, ax, temperature=t), ax, -1)
    jac = -p[..., :, None] * p[..., None, :]
    idx = np.arange(p.shape[-1])
    jac[..., idx, idx] += p
    return jac / t if t != 1.0 else jac


class GradCheck(NamedTuple):
    """Result of :func:`check_grad`: the worst relative error, where, and both gradients.

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


def check_grad(f: Callable[[np.ndarray], Any], x: ArrayLike, *, eps: float = 1e-5,
               analytic: ArrayLike | Callable[[np.ndarray], Any] | None = None) -> GradCheck:
    r"""Compare a gradient with 4th-order central differences, as in cs231n's grad check.

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


def _xp_logsumexp_backward(fname, xp, x, dy, axis, b, where, keepdims):
    """logsumexp_backward on the arrays of another library."""
    xx = _array_api.as_float(fname, xp, x)
    if _dask.is_dask(xx):
        return _dask_logsumexp_backward(fname, xx, dy, axis, b, where, keepdims)
    lse, sgn = F.logsumexp(xx, axis, b=b, where=where, keepdims=True, return_sign=True)
    bb = None if b is None else _array_api.as_float(fname, xp, b, "b", like=xx)
    full = tuple(np.broadcast_shapes(tuple(xx.shape), tuple(bb.shape)) if bb is not None
                 else xx.shape)
    axes = v.axes_tuple(fname, axis, len(full)) if len(full) else ()
    d = _array_api.as_float(fname, xp, dy, "dy", like=xx)
    expected = tuple(lse.shape) if keepdims else tuple(s for i, s in enumerate(full)
                                                       if i not in axes)
    if tuple(d.shape) != expected and math.prod(d.shape) != 1:
        raise ValueError(f"{fname}: 'dy' has shape {tuple(d.shape)}, expected {expected}")
    d = xp.reshape(d, tuple(lse.shape) if math.prod(d.shape) != 1 else ())
    xb = xp.broadcast_to(xx, full)
    bw = xp.ones_like(xb) if bb is None else xp.broadcast_to(xp.astype(bb, xb.dtype), full)
    zero = xp.zeros((), dtype=xb.dtype, device=_array_api._device(xb))
    keep = xp.logical_and(xp.isfinite(lse), bw != 0)
    if where is not None:
        keep = xp.logical_and(keep, _array_api.mask(fname, xp, where, full, xx))
    # exp(x - lse) where kept only: elsewhere x - lse may be inf - inf
    arg = xp.where(keep, xb - xp.where(xp.isfinite(lse), lse, zero), zero)
    g = bw * xp.exp(arg) * sgn * d
    return xp.where(keep, g, zero)


def _vjp_block(y, dy, *, axes, fname, t):
    fn = log_softmax_backward if fname == "log_softmax_backward" else softmax_backward
    return fn(y, dy, axes, temperature=t)


def _dask_logsumexp_backward(fname, xx, dy, axis, b, where, keepdims):
    """logsumexp_backward on Dask: the forward's result, then an elementwise pass."""
    import dask.array as da

    axes = v.axes_tuple(fname, axis, xx.ndim)
    lse, sgn = F.logsumexp(xx, axis, b=b, where=where, keepdims=True, return_sign=True)
    d = da.asarray(dy)
    if d.size != 1:
        expected = tuple(lse.shape) if keepdims else tuple(
            s for i, s in enumerate(xx.shape) if i not in axes)
        if tuple(d.shape) != expected:
            raise ValueError(f"{fname}: 'dy' has shape {tuple(d.shape)}, expected {expected}")
        d = d.reshape(lse.shape).rechunk(lse.chunks)
    bb = da.ones_like(xx) if b is None else da.asarray(b)
    mask = da.ones(xx.shape, dtype=bool, chunks=xx.chunks) if where is None else \
        da.asarray(where)

    def block(x, bw, m, lse_b, sgn_b, d_b):
        with np.errstate(all="ignore"):
            g = bw * np.exp(x - lse_b) * sgn_b * d_b
            keep = np.isfinite(lse_b) & (bw != 0) & m
            return np.where(keep, g, 0).astype(x.dtype)

    return da.map_blocks(block, xx, bb, mask, lse, sgn, d, dtype=xx.dtype)
