"""Sparse relatives of softmax: sparsemax, 1.5-entmax and α-entmax, their backward
functions and their Fenchel–Young losses.

The maps take the family's conventions (any axis or tuple of axes, ``where=``, ``out=``,
``dtype=``; float16, float32 and float64) and its special values; each validates, then
runs on the backend the registry names. The numerics are in :mod:`.._core.sparsemaps`.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._core import arrays
from .._core import validation as v
from .._core.docstrings import parameters_of
from . import losses as L
from .dispatch import backend_of, native_route, numpy_result
from .family import Axis, softmax
from .gradients import _pair

__all__ = ["sparsemax", "entmax15", "entmax", "sparsemax_backward", "entmax15_backward",
           "entmax_backward", "sparsemax_loss", "entmax15_loss", "entmax_loss"]


def _n_iter(fname: str, n_iter: Any) -> int:
    if isinstance(n_iter, (bool, np.bool_)) or not isinstance(n_iter, (int, np.integer)) \
            or not 1 <= n_iter <= 200:
        raise ValueError(f"{fname}: 'n_iter' must be an int in [1, 200], got {n_iter!r}")
    return int(n_iter)


def _alpha(fname: str, xp, alpha: Any, kept: tuple[int, ...], like):
    """``alpha`` as a Python float, or an array of ``like``'s library that broadcasts to
    ``kept`` (the slices' shape, reduced axes as 1); every α finite and
    >= 1."""
    if isinstance(alpha, (numbers.Real, np.floating, np.integer)) and \
            not isinstance(alpha, (bool, np.bool_)):
        a = float(alpha)
        if not (math.isfinite(a) and a >= 1):
            raise ValueError(f"{fname}: 'alpha' must be a finite number >= 1, got {alpha!r}")
        return a
    ns = xp or np
    a = arrays.real_array(fname, xp, alpha, "alpha", like=like)
    # NumPy: α in float64 whatever x's dtype (float32 would move 1.3 by 5e-8); other
    # libraries compute in x's dtype
    a = a.astype(np.float64, copy=False) if xp is None else xp.astype(a, like.dtype)
    if a.ndim == 0 and not arrays.is_dask(a):
        return _alpha(fname, xp, float(a), kept, like)
    try:
        np.broadcast_shapes(tuple(a.shape), kept)
        if len(a.shape) > len(kept) or np.broadcast_shapes(tuple(a.shape), kept) != kept:
            raise ValueError
    except ValueError:
        raise ValueError(f"{fname}: 'alpha' of shape {tuple(a.shape)} does not broadcast to "
                         f"the slices' shape {kept}") from None
    if not arrays.is_dask(a) and not bool(ns.all(ns.logical_and(ns.isfinite(a), a >= 1))):
        raise ValueError(f"{fname}: 'alpha' must be finite and >= 1 everywhere")
    return a


def _map(fname, kind, x, axis, where, out, dtype, alpha=None, n_iter=50):
    xp = arrays.namespace(fname, x=x, where=where, out=out,
                          alpha=alpha if hasattr(alpha, "shape") else None)
    if xp is None:
        arr = v.as_float_array(fname, x, dtype=v.float_dtype(fname, dtype))
        axes = v.axes_tuple(fname, axis, arr.ndim)
        mask = v.mask(fname, where, arr.shape)
        out = v.out_array(fname, out, arr.shape, arr.dtype)
    else:
        arr = arrays.as_float(fname, xp, x, dtype=dtype)
        axes = v.axes_tuple(fname, axis, arr.ndim)
        mask = arrays.mask(fname, xp, where, arr.shape, arr)
    if kind == "entmax":
        kept = tuple(1 if i in axes else int(s) for i, s in enumerate(arr.shape))
        alpha = _alpha(fname, xp, alpha, kept, arr)
        n_iter = _n_iter(fname, n_iter)
        if isinstance(alpha, float) and alpha == 1.0:  # softmax, on its own kernels
            return softmax(arr, axes, where=mask, out=out)
    be = backend_of(fname, arr, xp)
    if xp is None:
        res = be.entmax(arr, axes, kind, where=mask, alpha=alpha, n_iter=n_iter, out=out)
        return res if out is not None else numpy_result(res)
    res = be.entmax(arr, axes, kind, where=mask, alpha=alpha, n_iter=n_iter)
    return arrays.finish_out(fname, res, out)


@native_route
def sparsemax(
    x: ArrayLike,
    axis: Axis = -1,
    *,
    where: ArrayLike | None = None,
    out: np.ndarray | None = None,
    dtype: DTypeLike | None = None,
) -> np.ndarray:
    r"""Sparsemax along ``axis``: the Euclidean projection of ``x`` onto the simplex.

    ``p = argmin ||p - x||`` over probability vectors, which is
    ``p_i = max(x_i - τ, 0)`` with the threshold ``τ`` that makes ``p`` sum to 1
    (Martins & Astudillo 2016): entries more than about 1 below the maximum get exactly 0.
    It is :func:`entmax` with ``alpha = 2``.

    Parameters
    ----------
    x : array_like
        Real input. Integers and bools are promoted to float64; float16 and float32 are
        computed in float64 and returned in their dtype.
    axis : int, tuple of ints or None, optional
        The axis or axes that make up one slice; each slice sums to 1. None means all
        axes. Default -1.
    where : array_like of bool, optional
        Broadcastable to ``x``. Entries where it is False get 0 and take no part.
    out : ndarray, optional
        Where to write the result: ``x``'s shape and the result's dtype.
    dtype : dtype, optional
        Cast ``x`` to this floating dtype first, compute and return in it.

    Returns
    -------
    ndarray
        Probabilities of ``x``'s shape, with exact zeros below the threshold.

    See Also
    --------
    entmax15, entmax, softmax, sparsemax_backward, sparsemax_loss

    Notes
    -----
    The support is found by sorting each slice; the threshold is then computed from a
    compensated sum over the support as an unevaluated pair ``τ_hi + τ_lo``, so each
    nonzero ``x_i - τ`` has full relative accuracy (float64: within 2 ulps of the exact
    value; float32 and float16: correctly rounded but for rare ties of rounding). Ties at
    the threshold are kept or dropped together.

    Special values are softmax's: a NaN in a slice makes the slice NaN; ``-inf`` entries
    get 0; ``+inf`` entries share the mass equally; a slice that is all ``-inf``, all
    masked out, or empty gives 0s (never NaN).

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.sparsemax([1.0, 2.0, 3.0])
    array([0., 0., 1.])
    >>> sk.sparsemax([0.5, 1.0, 1.2])
    array([0. , 0.4, 0.6])
    """
    return _map("sparsemax", "sparsemax", x, axis, where, out, dtype)


@native_route
@parameters_of(sparsemax)
def entmax15(
    x: ArrayLike,
    axis: Axis = -1,
    *,
    where: ArrayLike | None = None,
    out: np.ndarray | None = None,
    dtype: DTypeLike | None = None,
) -> np.ndarray:
    r"""1.5-entmax along ``axis``: ``p_i = max(x_i / 2 - τ, 0) ** 2``, summing to 1.

    Between softmax (α = 1, never a zero) and sparsemax (α = 2): sparse, but smoother
    than sparsemax (Peters, Niculae & Martins 2019). It is :func:`entmax` with
    ``alpha = 1.5``, computed exactly.

    {parameters}

    Returns
    -------
    ndarray
        Probabilities of ``x``'s shape, with exact zeros below the threshold.

    See Also
    --------
    sparsemax, entmax, entmax15_backward, entmax15_loss

    Notes
    -----
    The support comes from sorting each slice (Peters et al.'s exact algorithm); the
    threshold is then refined by one Newton step with double-word sums, so each nonzero
    output keeps full relative accuracy (float64: within 3 ulps). Special values are
    those of :func:`sparsemax`.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.entmax15([1.0, 2.0, 3.0])
    array([0.        , 0.16928109, 0.83071891])
    """
    return _map("entmax15", "entmax15", x, axis, where, out, dtype)


@native_route
def entmax(
    x: ArrayLike,
    alpha: float | ArrayLike = 1.5,
    axis: Axis = -1,
    *,
    n_iter: int = 50,
    where: ArrayLike | None = None,
    out: np.ndarray | None = None,
    dtype: DTypeLike | None = None,
) -> np.ndarray:
    r"""α-entmax along ``axis``: ``p_i = max((α - 1) x_i - τ, 0) ** (1 / (α - 1))``.

    α = 1 is :func:`softmax`, α = 1.5 :func:`entmax15`, α = 2 :func:`sparsemax`; larger
    α gives sparser outputs.

    Parameters
    ----------
    x : array_like
        Real input (see :func:`sparsemax`).
    alpha : float or array_like, optional
        α >= 1: a number, or an array broadcastable to the slices' shape (``x``'s shape
        with the reduced axes as 1), one α per slice. Default 1.5.
    axis : int, tuple of ints or None, optional
        The axis or axes that make up one slice. Default -1.
    n_iter : int, optional
        Bisection steps on the threshold, in [1, 200]. Default 50.
    where, out, dtype
        As in :func:`sparsemax`.

    Returns
    -------
    ndarray
        Probabilities of ``x``'s shape.

    See Also
    --------
    entmax15, sparsemax, entmax_backward, entmax_loss

    Notes
    -----
    The threshold of ``(α - 1) (x - max)`` lies in ``[-1, -n**(1 - α)]``; ``n_iter``
    halvings leave it within ``2**-n_iter`` of the exact one (so with the default, within
    about 1e-15, close to float64's precision), and the outputs are then divided by
    their sum, so every slice sums to 1 within ``n`` ulps. The native kernels follow the
    same halvings; where ``1 / (α - 1)`` is not an integer and α < 2 (a ``pow`` per entry
    and halving) and ``n_iter >= 30``, they stop halving after 12 and finish with
    Newton's steps from the bracket's left end, which reach the threshold to rounding.
    Entries below the threshold are exact zeros. Slices with α = 1 are computed as
    softmax. Special values are those of :func:`sparsemax`.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.entmax([1.0, 2.0, 3.0], alpha=1.25)
    array([0.03445019, 0.21484951, 0.7507003 ])
    >>> sk.entmax([[1.0, 2.0, 3.0]] * 2, alpha=[[1.0], [2.0]])
    array([[0.09003057, 0.24472847, 0.66524096],
           [0.        , 0.        , 1.        ]])
    """
    return _map("entmax", "entmax", x, axis, where, out, dtype, alpha=alpha, n_iter=n_iter)


# ------------------------------------------------------------------------ backward


def _backward(fname, y, dy, axis, alpha, alpha_grad=False):
    yy, d, xp = _pair(fname, y, dy, ("y", "dy"))
    axes = v.axes_tuple(fname, axis, yy.ndim)
    if fname == "entmax_backward":
        kept = tuple(1 if i in axes else int(s) for i, s in enumerate(yy.shape))
        alpha = _alpha(fname, xp, alpha, kept, yy)
    be = backend_of(fname, yy, xp)
    res = be.entmax_vjp(yy, d, axes, alpha=alpha, alpha_grad=alpha_grad)
    if xp is not None or not alpha_grad:
        return res
    return res[0], numpy_result(res[1])


@native_route
def sparsemax_backward(y: ArrayLike, dy: ArrayLike, axis: Axis = -1) -> np.ndarray:
    r"""The gradient with respect to ``x`` of a loss of ``y = sparsemax(x)``.

    ``dx = s * (dy - mean of dy over the support)`` along ``axis``, where ``s`` marks the
    support (``y > 0``): O(n) per slice, from the output alone.

    Parameters
    ----------
    y : array_like
        The forward result.
    dy : array_like
        The gradient of the loss with respect to ``y``; same shape.
    axis : int, tuple of ints or None, optional
        The forward's axis. Default -1.

    Returns
    -------
    ndarray
        The gradient with respect to ``x``; 0 wherever ``y`` is 0.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> y = sk.sparsemax([0.5, 1.0, 1.2])
    >>> sk.sparsemax_backward(y, [1.0, 2.0, 4.0])
    array([ 0., -1.,  1.])
    """
    return _backward("sparsemax_backward", y, dy, axis, 2.0)


@native_route
@parameters_of(sparsemax_backward)
def entmax15_backward(y: ArrayLike, dy: ArrayLike, axis: Axis = -1) -> np.ndarray:
    r"""The gradient with respect to ``x`` of a loss of ``y = entmax15(x)``.

    ``dx = g * dy - g * sum(g * dy) / sum(g)`` with ``g = sqrt(y)``, from the output.

    {parameters}

    Returns
    -------
    ndarray
        The gradient with respect to ``x``; 0 outside the support.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> y = sk.entmax15([1.0, 2.0, 3.0])
    >>> sk.entmax15_backward(y, [0.0, 0.0, 1.0])
    array([ 0.        , -0.28347335,  0.28347335])
    """
    return _backward("entmax15_backward", y, dy, axis, 1.5)


def entmax_backward(y: ArrayLike, dy: ArrayLike, alpha: float | ArrayLike = 1.5,
                    axis: Axis = -1, *, return_alpha_grad: bool = False) -> Any:
    r"""The gradient with respect to ``x`` (and ``alpha``) of a loss of
    ``y = entmax(x, alpha)``.

    ``dx = g * dy - g * sum(g * dy) / sum(g)`` with ``g = y ** (2 - α)`` on the support.
    The gradient of α is ``sum(dy * dp/dα)`` with
    ``dp/dα = β² (p - ĝ) - β (p log p - ĝ sum(p log p))``, ``β = 1 / (α - 1)``,
    ``ĝ = g / sum(g)``.

    Parameters
    ----------
    y, dy
        As in :func:`sparsemax_backward`.
    alpha : float or array_like, optional
        The forward's α (number or per-slice array). Default 1.5.
    axis
        As in :func:`sparsemax_backward`.
    return_alpha_grad : bool, optional
        Also return the gradient of ``alpha``, of its shape (a scalar for a number).
        Undefined (NaN) at α = 1.

    Returns
    -------
    dx : ndarray
    dalpha : ndarray or scalar
        Only with ``return_alpha_grad``.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> y = sk.entmax([1.0, 2.0, 3.0], alpha=1.5)
    >>> dx, da = sk.entmax_backward(y, [0.0, 0.0, 1.0], alpha=1.5, return_alpha_grad=True)
    >>> round(float(da), 6)
    0.248462
    """
    flag = v.flag("entmax_backward", return_alpha_grad, "return_alpha_grad")
    return _backward("entmax_backward", y, dy, axis, alpha, alpha_grad=flag)


# ------------------------------------------------------------------------- losses


def _loss(fname, kind, logits, target, axis, alpha, n_iter, weight, ignore_index,
          label_smoothing, reduction, where, return_grad):
    xp = arrays.namespace(fname, logits=logits, target=target, weight=weight, where=where)
    z = arrays.real_array(fname, xp, logits, "logits")
    if z.ndim == 0:
        raise ValueError(f"{fname}: 'logits' must have a class axis, got a 0-d array")
    ax = v.class_axis(fname, axis, z.ndim)
    n_classes = z.shape[ax]
    t = L._target(fname, xp, target, z)
    ns = xp or np
    tkind = v.target_kind(fname, ns, t, tuple(z.shape), ax, ignore_index)
    ls = v.loss_options(fname, ignore_index, label_smoothing, reduction)
    w = L._weight(fname, xp, weight, n_classes, z)
    mask = v.mask(fname, where, z.shape) if xp is None else \
        arrays.mask(fname, xp, where, z.shape, z)
    return_grad = v.flag(fname, return_grad, "return_grad")
    if kind == "entmax":
        a = _alpha(fname, xp, alpha, (), z)
        if not isinstance(a, float):
            raise TypeError(f"{fname}: 'alpha' must be a number, got an array")
        alpha, n_iter = a, _n_iter(fname, n_iter)
    if tkind == "index" and not arrays.is_dask(t):
        v.labels(fname, ns, t, n_classes, ignore_index)
        if mask is not None:
            L._targets_take_part(fname, ns, t, ax, ignore_index, mask)
    be = backend_of(fname, z, xp)
    res = be.fenchel_young(z, t, ax, kind=kind, alpha=alpha, n_iter=n_iter,
                           target_kind=tkind, weight=w, ignore_index=ignore_index, ls=ls,
                           reduction=reduction, where=mask, return_grad=return_grad)
    if xp is not None:
        return res
    return (numpy_result(res[0]), res[1]) if return_grad else numpy_result(res)


_LOSS_DOC = r"""
    Parameters
    ----------
    logits : array_like
        Scores; the classes lie along ``axis``.
    target : array_like
        Class indices (the logits' shape without ``axis``) or class probabilities (the
        logits' shape), as in :func:`cross_entropy`.
    axis : int, optional
        The class axis. Default -1.
    weight : array_like, optional
        A finite weight per class: a sample's loss is scaled by its class's weight
        (class indices) or by ``sum_c weight_c * target_c`` (probabilities).
    ignore_index : int, optional
        Class-index targets equal to it contribute nothing.
    label_smoothing : float in [0, 1], optional
        Mixes the target with the uniform distribution over the classes that take part.
    reduction : {"mean", "sum", "none"}, optional
        "mean" divides by the total weight of the counted samples (class indices) or by
        the number of samples (probabilities), as :func:`cross_entropy` does; 0 when no
        sample counts.
    where : array_like of bool, optional
        Broadcastable to ``logits``: classes where it is False take no part.
    return_grad : bool, optional
        Also return the gradient with respect to ``logits``: ``weight * (p - y)``.

    Returns
    -------
    loss : float or ndarray
    grad : ndarray
        Only with ``return_grad``.
"""


@native_route
def sparsemax_loss(logits: ArrayLike, target: ArrayLike, axis: int = -1, *,
                   weight: ArrayLike | None = None, ignore_index: int | None = None,
                   label_smoothing: float = 0.0, reduction: str = "mean",
                   where: ArrayLike | None = None, return_grad: bool = False) -> Any:
    return _loss("sparsemax_loss", "sparsemax", logits, target, axis, None, 50, weight,
                 ignore_index, label_smoothing, reduction, where, return_grad)


@native_route
def entmax15_loss(logits: ArrayLike, target: ArrayLike, axis: int = -1, *,
                  weight: ArrayLike | None = None, ignore_index: int | None = None,
                  label_smoothing: float = 0.0, reduction: str = "mean",
                  where: ArrayLike | None = None, return_grad: bool = False) -> Any:
    return _loss("entmax15_loss", "entmax15", logits, target, axis, None, 50, weight,
                 ignore_index, label_smoothing, reduction, where, return_grad)


@native_route
def entmax_loss(logits: ArrayLike, target: ArrayLike, alpha: float = 1.5, axis: int = -1, *,
                n_iter: int = 50, weight: ArrayLike | None = None,
                ignore_index: int | None = None, label_smoothing: float = 0.0,
                reduction: str = "mean", where: ArrayLike | None = None,
                return_grad: bool = False) -> Any:
    return _loss("entmax_loss", "entmax", logits, target, axis, alpha, n_iter, weight,
                 ignore_index, label_smoothing, reduction, where, return_grad)


sparsemax_loss.__doc__ = r"""The sparsemax loss: the Fenchel–Young loss of sparsemax.

    ``L(z; y) = <p - y, z> + (|y|² - |p|²) / 2`` with ``p = sparsemax(z)``: convex in
    ``z``, 0 exactly when ``sparsemax(z) == y``, with gradient ``p - y`` (Martins &
    Astudillo 2016; Blondel et al. 2020).
""" + _LOSS_DOC + r"""
    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    >>> float(sk.sparsemax_loss(z, np.array([0, 1])))
    0.0
    >>> loss, grad = sk.sparsemax_loss(z, np.array([1, 1]), return_grad=True)
    >>> round(float(loss), 6), grad[0]
    (0.5, array([ 0.5, -0.5,  0. ]))
"""

entmax15_loss.__doc__ = r"""The 1.5-entmax loss: the Fenchel–Young loss of 1.5-entmax.

    ``L(z; y) = <p - y, z> + Ω(y) - Ω(p)`` with ``p = entmax15(z)`` and
    ``Ω(p) = (sum p**1.5 - 1) / 0.75``; gradient ``p - y``.
""" + _LOSS_DOC + r"""
    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> round(float(sk.entmax15_loss(np.array([[1.0, 2.0, 3.0]]), np.array([2]))), 6)
    0.061656
"""

entmax_loss.__doc__ = r"""The α-entmax loss: the Fenchel–Young loss of α-entmax.

    ``L(z; y) = <p - y, z> + Ω_α(y) - Ω_α(p)`` with ``p = entmax(z, alpha)`` and the
    negative Tsallis entropy ``Ω_α(p) = (sum p**α - 1) / (α (α - 1))`` (α = 1: ``sum p log
    p``, so the loss is :func:`cross_entropy` minus the target's entropy); gradient
    ``p - y``.
""" + _LOSS_DOC.replace("""    axis : int, optional
        The class axis. Default -1.
""", """    alpha : float, optional
        α, a number >= 1. Default 1.5.
    axis : int, optional
        The class axis. Default -1.
    n_iter : int, optional
        The bisection steps of :func:`entmax`. Default 50.
""") + r"""
    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> z, y = np.array([[1.0, 2.0, 3.0]]), np.array([2])
    >>> round(float(sk.entmax_loss(z, y, alpha=1.0)), 6) == round(float(sk.cross_entropy(z, y)), 6)
    True
"""
