"""Cross-entropy and negative log-likelihood, with their gradients.

The loss of a sample with class ``y`` is computed as ``logsumexp(z) - z[y]`` (the
native logsumexp, exact to an ulp), never as ``-log(softmax(z)[y])``; the gradient is
``softmax(z) - onehot(y)``, written into ``grad_out`` (which may be ``logits`` itself).
Every option of ``torch.nn.functional.cross_entropy`` — ``weight``, ``ignore_index``,
``label_smoothing``, ``reduction``, class-index and probability targets — gives PyTorch's
values and gradients, except where PyTorch gives NaN: a "mean" over no sample (every
target ignored, or all their weights 0) is 0 here, with gradient 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._backends import composite
from .._core import arrays
from .._core import validation as v
from .._core.numerics import device
from .dispatch import backend_of, native_route, numpy_result

__all__ = ["cross_entropy", "nll_loss", "linear_cross_entropy"]


def _weight(fname, xp, weight, n_classes, like):
    """The class weights as ``like``'s dtype (float32 for NumPy float16 / bfloat16 logits,
    which are computed in it), checked (one per class, finite)."""
    if weight is None:
        return None
    w = arrays.real_array(fname, xp, weight, "weight", like=like)
    v.class_weight_shape(fname, xp or np, w, n_classes)
    if xp is None:
        return w.astype(like.dtype if like.dtype.itemsize > 2 else np.float32, copy=False)
    return xp.astype(w, like.dtype)


def _target(fname, xp, target, like):
    """The target as an array of the logits' library (integers kept as int64 on NumPy)."""
    if xp is None:
        t = np.asarray(target)
        return t.astype(np.int64, copy=False) if t.dtype.kind in "iu" else t
    if arrays.library(target) is not None:
        return target
    return xp.asarray(target, device=device(like))


def _grad_out(fname, grad_out, logits):
    if grad_out is None:
        return None
    if not isinstance(grad_out, np.ndarray):
        raise TypeError(
            f"{fname}: 'grad_out' must be a NumPy array, got {type(grad_out).__name__}")
    if grad_out.shape != logits.shape or grad_out.dtype != logits.dtype:
        raise ValueError(
            f"{fname}: 'grad_out' must have the logits' shape {logits.shape} and dtype "
            f"{logits.dtype}, got {grad_out.shape} {grad_out.dtype}"
        )
    if not grad_out.flags.writeable:
        raise ValueError(f"{fname}: 'grad_out' is read-only")
    return grad_out


@native_route
def cross_entropy(
    logits: ArrayLike,
    target: ArrayLike,
    axis: int = -1,
    *,
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
    where: ArrayLike | None = None,
    return_grad: bool = False,
    grad_out: np.ndarray | None = None,
) -> Any:
    r"""Cross-entropy between ``softmax(logits)`` and the targets, optionally with its gradient.

    Parameters
    ----------
    logits : array_like
        Unnormalized scores; the classes lie along ``axis``.
    target : array_like
        Either class indices (any integer dtype; the logits' shape without ``axis``) or
        class probabilities (floating; the logits' shape).
    axis : int, optional
        The class axis. Default -1 (PyTorch uses dimension 1).
    weight : array_like, optional
        A finite weight per class.
    ignore_index : int, optional
        Class-index targets equal to it contribute nothing (loss and gradient 0).
    label_smoothing : float in [0, 1], optional
        Mixes the target with the uniform distribution over the classes, as PyTorch does.
    reduction : {"mean", "sum", "none"}, optional
        "mean" divides by the total weight of the counted samples (class indices) or by
        the number of samples (probabilities), as PyTorch does.
    where : array_like of bool, optional
        Broadcastable to ``logits``: classes where it is False take no part (probability
        0, gradient 0, and label smoothing spreads over the others). A target on such a
        class is an error.
    return_grad : bool, optional
        Also return the gradient with respect to ``logits``.
    grad_out : ndarray, optional
        Where to write the gradient (implies ``return_grad``); it may be ``logits``
        itself, which is then overwritten.

    Returns
    -------
    loss : float or ndarray
        A scalar, or per sample with ``reduction="none"``.
    grad : ndarray
        Only with ``return_grad`` (or ``grad_out``): the logits' shape.

    Raises
    ------
    ValueError
        A label out of range (not ``ignore_index``), naming it and its position; shapes
        that do not match, naming both.

    Notes
    -----
    Where PyTorch returns NaN, a mean over no counted sample, this returns 0 with a zero
    gradient. Probabilities of a target need not sum to 1; they are used as given.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    >>> float(sk.cross_entropy(z, np.array([0, 1])))
    0.3185397696491856
    >>> loss, grad = sk.cross_entropy(z, np.array([0, 1]), return_grad=True)
    >>> grad  # (softmax(z) - onehot) / 2
    array([[-0.17049943,  0.12121649,  0.04928295],
           [ 0.05430187, -0.09876047,  0.04445861]])
    """
    fname = "cross_entropy"
    xp = arrays.namespace(fname, logits=logits, target=target, weight=weight, where=where,
                          grad_out=grad_out)
    if xp is None:  # bfloat16 arrives only for the fused half kernel (_half_fused_xent)
        z = v.as_float_array(fname, logits, "logits", half=type(logits) is np.ndarray)
    else:
        z = arrays.real_array(fname, xp, logits, "logits")
    if z.ndim == 0:
        raise ValueError(f"{fname}: 'logits' must have a class axis, got a 0-d array")
    ax = v.class_axis(fname, axis, z.ndim)
    n_classes = z.shape[ax]
    t = _target(fname, xp, target, z)
    ns = xp or np
    kind = v.target_kind(fname, ns, t, tuple(z.shape), ax, ignore_index)
    ls = v.loss_options(fname, ignore_index, label_smoothing, reduction)
    w = _weight(fname, xp, weight, n_classes, z)
    mask = v.mask(fname, where, z.shape) if xp is None else \
        arrays.mask(fname, xp, where, z.shape, z)
    if xp is not None and grad_out is not None:
        raise TypeError(f"{fname}: 'grad_out' is for NumPy logits; the gradient of "
                        f"{type(z).__module__} arrays is returned with return_grad=True")
    go = _grad_out(fname, grad_out, z)
    return_grad = v.flag(fname, return_grad, "return_grad") or go is not None
    if kind == "index" and not arrays.is_dask(t):
        # Dask's labels are checked block by block when computed (the call stays lazy)
        v.labels(fname, ns, t, n_classes, ignore_index)
        if mask is not None and not arrays.is_dask(mask):
            _targets_take_part(fname, ns, t, ax, ignore_index, mask)
    be = backend_of(fname, z, xp)
    opts = dict(kind=kind, weight=w, ignore_index=ignore_index, ls=ls, reduction=reduction,
                where=mask, return_grad=return_grad)
    if xp is None:
        res = be.cross_entropy_nd(z, t, ax, grad_out=go, **opts)
        return res if return_grad else numpy_result(res)
    return be.cross_entropy_nd(z, t, ax, **opts)


def _targets_take_part(fname, xp, t, ax, ignore_index, mask):
    """A counted sample's target class must not be masked out."""
    n_classes = mask.shape[ax]
    y = xp.reshape(t, (-1,))
    rows = xp.reshape(xp.moveaxis(mask, ax, -1), (-1, n_classes))
    counted = xp.ones(y.shape, dtype=xp.bool) if ignore_index is None else y != ignore_index
    ys = xp.where(counted, y, xp.zeros_like(y))
    v.targets_not_masked(fname, xp, ys, counted, rows)


@native_route
def nll_loss(
    log_probs: ArrayLike,
    target: ArrayLike,
    axis: int = -1,
    *,
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    reduction: str = "mean",
    return_grad: bool = False,
) -> Any:
    r"""Negative log-likelihood of class-index targets under given log-probabilities.

    ``loss_i = -weight[y_i] * log_probs[i, y_i]``; "mean" divides by the total weight of
    the counted samples, as ``torch.nn.functional.nll_loss`` does (0, not NaN, when no
    sample counts).

    Parameters
    ----------
    log_probs : array_like
        Log-probabilities, e.g. from :func:`log_softmax`; classes along ``axis``.
    target : array_like of int
        The logits' shape without ``axis``.
    axis, weight, ignore_index, reduction
        As in :func:`cross_entropy`.
    return_grad : bool, optional
        Also return the gradient with respect to ``log_probs``.

    Returns
    -------
    loss : float or ndarray
        Reduced as ``reduction`` says.
    grad : ndarray
        Only with ``return_grad``: ``-weight[y]`` at each sample's target, 0 elsewhere
        (scaled as the reduction scales the loss).

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> lp = sk.log_softmax(np.array([[2.0, 1.0, 0.1]]))
    >>> float(sk.nll_loss(lp, np.array([0])))
    0.4170300162778335
    """
    fname = "nll_loss"
    xp = arrays.namespace(fname, log_probs=log_probs, target=target, weight=weight)
    lp = arrays.real_array(fname, xp, log_probs, "log_probs")
    if lp.ndim == 0:
        raise ValueError(f"{fname}: 'log_probs' must have a class axis, got a 0-d array")
    ax = v.class_axis(fname, axis, lp.ndim)
    n_classes = lp.shape[ax]
    ns = xp or np
    y = _target(fname, xp, target, lp)
    kind = v.target_kind(fname, ns, y, tuple(lp.shape), ax, None)
    if kind != "index":
        raise TypeError(f"{fname}: 'target' must hold class indices, got dtype {y.dtype}")
    v.loss_options(fname, ignore_index, 0.0, reduction)
    w = _weight(fname, xp, weight, n_classes, lp)
    return_grad = v.flag(fname, return_grad, "return_grad")
    v.labels(fname, ns, y, n_classes, ignore_index)
    backend_of(fname, lp, xp)  # the capability table lists who computes it
    res = composite.nll_loss(ns, lp, y, ax, weight=w, ignore_index=ignore_index,
                             reduction=reduction, return_grad=return_grad)
    if xp is not None:
        return res
    if return_grad:
        return numpy_result(res[0]), res[1]
    return numpy_result(res)


@native_route
def linear_cross_entropy(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None,
    target: ArrayLike,
    *,
    chunk_size: int | None = None,
    class_weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
    return_grad: bool = False,
) -> Any:
    r"""Cross-entropy of ``x @ weight.T + bias`` without ever forming all the logits.

    The rows of ``x`` are taken ``chunk_size`` at a time: each chunk's logits are
    computed, turned into their gradient in place by the fused cross-entropy, and folded
    into the gradients of ``x``, ``weight`` and ``bias``. Peak extra memory is one chunk
    of logits (``chunk_size × C``, by default 1/16 of ``N × C``) and 8 MiB for
    accumulating the weight gradient; the values are those of the unfused computation.

    Parameters
    ----------
    x : array_like, shape (..., D)
        One sample (D,), a batch (N, D), or batches with leading dimensions.
    weight : array_like, shape (C, D)
        PyTorch's ``Linear`` layout.
    bias : array_like, shape (C,), or None
    target : array_like, shape (...) of int, or (..., C) of float
        Class indices (x's leading shape), or class probabilities.
    chunk_size : int, optional
        Rows per chunk; default: as many as fit 1/16 of the full logits, within 16 to
        256 MiB.
    class_weight, ignore_index, label_smoothing, reduction
        As ``weight``, ``ignore_index``, ``label_smoothing``, ``reduction`` of
        :func:`cross_entropy` (the class weights are renamed to leave ``weight`` to
        the linear map).
    return_grad : bool, optional
        Also return ``(dx, dweight, dbias)``.

    Returns
    -------
    loss : float or ndarray
        With ``reduction="none"``, x's leading shape.
    grads : tuple of ndarray
        Only with ``return_grad``; ``dx`` has x's shape, ``dbias`` is None when ``bias``
        is.

    Notes
    -----
    The semantics are those of ``torch.nn.functional.linear_cross_entropy`` (an unbatched
    1-D ``x`` with a 0-d class index or (C,) probabilities; probability targets, with
    "mean" dividing by the number of samples), except that ``ignore_index`` defaults to
    None (no class is ignored) where PyTorch maps None to -100. Leading batch dimensions,
    which PyTorch 2.13 refuses, are flattened: the loss is that of all the rows together.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> rng = np.random.default_rng(0)
    >>> x, w, b = rng.normal(size=(6, 4)), rng.normal(size=(5, 4)), np.zeros(5)
    >>> y = np.array([0, 1, 2, 3, 4, 0])
    >>> loss = sk.linear_cross_entropy(x, w, b, y, chunk_size=2)
    >>> bool(np.isclose(loss, sk.cross_entropy(x @ w.T + b, y)))
    True
    """
    fname = "linear_cross_entropy"
    # NumPy only (the capability table): other libraries' arrays get a TypeError here
    backend_of(fname, x, arrays.namespace(fname, x=x, weight=weight, bias=bias,
                                          target=target))
    xx = v.as_float_array(fname, x, "x")
    ww = v.as_float_array(fname, weight, "weight")
    if xx.ndim < 1 or ww.ndim != 2 or xx.shape[-1] != ww.shape[1]:
        raise ValueError(
            f"{fname}: 'x' must be (..., D) and 'weight' (C, D); got {xx.shape} and {ww.shape}"
        )
    dt = np.result_type(xx.dtype, ww.dtype)
    lead = xx.shape[:-1]
    x_shape = xx.shape
    xx, ww = xx.reshape(-1, xx.shape[-1]).astype(dt, copy=False), ww.astype(dt, copy=False)
    n, c = xx.shape[0], ww.shape[0]
    bb = None
    if bias is not None:
        bb = v.as_float_array(fname, bias, "bias").astype(dt, copy=False)
        if bb.shape != (c,):
            raise ValueError(f"{fname}: 'bias' must have shape ({c},), got {bb.shape}")
    y = np.asarray(target)
    if y.dtype.kind in "iu" and y.shape == lead:
        kind, y = "index", y.reshape(-1).astype(np.int64, copy=False)
    elif y.dtype.kind == "f" and y.shape == lead + (c,):
        kind, y = "prob", y.reshape(-1, c).astype(dt, copy=False)
        if ignore_index is not None:
            raise ValueError(f"{fname}: 'ignore_index' applies to class-index targets only")
    else:
        raise ValueError(
            f"{fname}: 'target' must be class indices of shape {lead} or probabilities of "
            f"shape {lead + (c,)}, got {y.shape} of dtype {y.dtype}"
        )
    if chunk_size is None:
        # 1/16 of the full logits, within [16, 256] MiB: few rows per chunk make thin
        # matrix products (4096 x 512 -> 131072, float32: 64 rows 11.3 s, 256 rows 7.1 s)
        budget = min(max(n * c * dt.itemsize // 16, 16 << 20), 256 << 20)
        chunk = max(1, budget // max(1, c * dt.itemsize))
    elif isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) \
            or chunk_size < 1:
        raise ValueError(f"{fname}: 'chunk_size' must be an integer >= 1, got {chunk_size!r}")
    else:
        chunk = int(chunk_size)
    return_grad = v.flag(fname, return_grad, "return_grad")
    ls = v.loss_options(fname, ignore_index, label_smoothing, reduction)
    cw = _weight(fname, None, class_weight, c, np.empty(0, dt))
    if kind == "index":
        v.labels(fname, np, y, c, ignore_index)
    be = backend_of(fname, xx, None)
    res = be.linear_cross_entropy(xx, ww, bb, y, kind=kind, chunk=chunk, weight=cw,
                                  ignore_index=ignore_index, ls=ls, reduction=reduction,
                                  return_grad=return_grad)
    loss, grads = res if return_grad else (res, None)
    if reduction == "none":
        loss = numpy_result(loss.reshape(lead))
    if not return_grad:
        return loss
    dx, dw, db = grads
    return loss, (dx.reshape(x_shape), dw, db)
