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

from . import _array_api, _config, _dask, _native
from . import _functions as F
from . import _validation as v

__all__ = ["cross_entropy", "nll_loss", "linear_cross_entropy"]

REDUCTIONS = ("mean", "sum", "none")


def _class_axis(fname: str, axis: Any, ndim: int) -> int:
    if isinstance(axis, (tuple, list)) or axis is None:
        raise TypeError(f"{fname}: 'axis' (the class axis) must be a single int, got {axis!r}")
    return v.axes_tuple(fname, axis, ndim)[0]


def _options(fname, weight, ignore_index, label_smoothing, reduction, n_classes, dtype):
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
    w = None
    if weight is not None:
        w = v.as_float_array(fname, weight, "weight")
        if w.shape != (n_classes,):
            raise ValueError(
                f"{fname}: 'weight' must have shape ({n_classes},) (one per class), "
                f"got {w.shape}"
            )
        if not np.all(np.isfinite(w)):
            raise ValueError(f"{fname}: 'weight' must be finite")
        w = w.astype(dtype, copy=False)
    return w, ls


def _targets(fname, target, logits_shape, axis):
    """('index', int64 array) or ('prob', float array), shape-checked."""
    t = np.asarray(target)
    if t.dtype.kind in "iu":
        expected = logits_shape[:axis] + logits_shape[axis + 1:]
        if t.shape != expected:
            raise ValueError(
                f"{fname}: class-index 'target' must have the logits' shape without the class "
                f"axis, {expected}; got {t.shape} (logits: {logits_shape})"
            )
        return "index", t.astype(np.int64, copy=False)
    if t.dtype.kind == "f":
        if t.shape != logits_shape:
            raise ValueError(
                f"{fname}: probability 'target' must have the logits' shape {logits_shape}, "
                f"got {t.shape}"
            )
        return "prob", t
    raise TypeError(
        f"{fname}: 'target' must hold class indices (an integer dtype) or probabilities "
        f"(a floating dtype), got dtype {t.dtype}"
    )


def _check_labels(fname, y, n_classes, ignore_index):
    bad = (y < 0) | (y >= n_classes)
    if ignore_index is not None:
        bad &= y != ignore_index
    if np.any(bad):
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{fname}: target {int(y[pos])} at position {pos} is not a class in [0, {n_classes})"
            + ("" if ignore_index is None else f" nor ignore_index={ignore_index}")
        )


def _to_rows(a, axis):
    """(rows, C) view or copy of ``a`` with the class axis last."""
    moved = np.moveaxis(a, axis, -1)
    return moved.reshape(-1, moved.shape[-1]), moved.shape


def _reduce(per, reduction, denom, dtype, shape):
    """(loss, gradient scale) of per-sample losses: "none" keeps them (the gradient is that
    of their sum), "sum" adds them, "mean" divides by ``denom`` (0 when nothing counts,
    where PyTorch gives NaN)."""
    if reduction == "none":
        return per.reshape(shape).astype(dtype, copy=False), 1.0
    if reduction == "sum":
        return dtype.type(np.sum(per)), 1.0
    if not denom:
        return dtype.type(0.0), 0.0
    return dtype.type(np.sum(per) / denom), 1.0 / denom


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
    xp = _array_api.namespace(fname, logits=logits, target=target, weight=weight, where=where,
                              grad_out=grad_out)
    if xp is not None:
        return _xp_cross_entropy(fname, xp, logits, target, axis, weight, ignore_index,
                                 label_smoothing, reduction, where, return_grad, grad_out)
    z = v.as_float_array(fname, logits, "logits")
    if z.ndim == 0:
        raise ValueError(f"{fname}: 'logits' must have a class axis, got a 0-d array")
    ax = _class_axis(fname, axis, z.ndim)
    n_classes = z.shape[ax]
    kind, t = _targets(fname, target, z.shape, ax)
    w, ls = _options(fname, weight, ignore_index, label_smoothing, reduction, n_classes, z.dtype)
    if kind == "prob" and ignore_index is not None:
        raise ValueError(f"{fname}: 'ignore_index' applies to class-index targets only")
    mask = v.mask(fname, where, z.shape)
    go = _grad_out(fname, grad_out, z)
    return_grad = v.flag(fname, return_grad, "return_grad") or go is not None
    if kind == "index":
        _check_labels(fname, t, n_classes, ignore_index)

    z2, moved_shape = _to_rows(z, ax)
    m2 = None if mask is None else _to_rows(mask, ax)[0]
    if kind == "index" and m2 is None and ls == 0 and return_grad and \
            _config.get_backend() == "native":
        fused = _fused(z, z2, t, ax, w, ignore_index, reduction, go, moved_shape)
        if fused is not None:
            return fused
    n_rows = z2.shape[0]
    wv = np.ones(n_classes, dtype=z.dtype) if w is None else w
    # classes taking part, per row: their count and total weight (for label smoothing)
    live = np.ones((1, n_classes), bool) if m2 is None else m2
    n_live = np.sum(live, axis=1).astype(z.dtype)  # (rows,) or (1,)
    w_live = np.sum(np.where(live, wv, 0), axis=1)

    # lse - z[y] cancels for confident predictions: in float32, form it in float64 (an
    # lse rounded to float32 first would lose the small loss's digits)
    wide = z2.astype(np.float64) if z2.dtype.itemsize < 8 else z2
    lse = np.asarray(F.logsumexp(wide, 1, where=m2))  # (rows,)
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "index":
            y = t.reshape(-1)
            counted = np.ones(n_rows, bool) if ignore_index is None else y != ignore_index
            ys = np.where(counted, y, 0)
            rows = np.arange(n_rows)
            if m2 is not None and np.any(counted & ~m2[rows, ys]):
                i = int(np.argmax(counted & ~m2[rows, ys]))
                raise ValueError(f"{fname}: the target class of sample {i} is masked out")
            wy = np.where(counted, wv[ys], 0)
            # a row where nothing weighs gives its target probability 0: -log 0 = +inf
            nll = np.where(lse == -np.inf, np.inf, lse - wide[rows, ys])
            per = (1 - ls) * wy * nll
            if ls > 0:
                # smoothing: (ls / C) * sum_c w_c (lse - z_c) over the classes taking part
                smooth = np.sum(np.where(live, wv * (lse[:, None] - wide), 0), axis=1)
                per = per + np.where(counted, (ls / n_live) * smooth, 0)
            per = np.where(counted, per, 0)
            denom = float(np.sum(wy))
        else:
            tt = _to_rows(t.astype(z.dtype, copy=False), ax)[0]
            if ls > 0:
                tt = np.where(live, (1 - ls) * tt + ls / n_live[:, None], 0)
            coef = np.where(live, wv * tt, 0)  # (rows, C)
            per = np.sum(np.where(coef != 0, coef * (lse[:, None] - wide), 0), axis=1)
            denom = float(n_rows)

    loss, scale = _reduce(per, reduction, denom, z.dtype, moved_shape[:-1])
    if not return_grad:
        return loss

    # The gradient, after everything that reads the logits: grad_out may be the logits.
    g_rows = None
    if go is not None:
        g_moved = np.moveaxis(go, ax, -1)
        g_rows = g_moved.reshape(-1, n_classes)
        if not np.shares_memory(g_rows, go):
            g_rows = None  # the layout does not give a 2-D view: compute, then copy
    p = F.softmax(z2, 1, where=m2, out=g_rows) if g_rows is not None else F.softmax(
        z2, 1, where=m2)
    g = p
    with np.errstate(invalid="ignore"):
        if kind == "index":
            # d/dz [(1-ls) w_y nll + (ls/C) sum_c w_c (lse - z_c)]
            #   = ((1-ls) w_y + (ls/C) sum_c w_c) p - (1-ls) w_y e_y - (ls/C) w
            coef_p = (1 - ls) * wy + np.where(counted, (ls / n_live) * w_live, 0)
            g *= coef_p[:, None]
            g[rows, ys] -= (1 - ls) * wy
            if ls > 0:
                g -= np.where(live & counted[:, None], (ls / n_live[:, None]) * wv, 0)
        else:
            g *= np.sum(coef, axis=1)[:, None]
            g -= coef
        if scale != 1.0:
            g *= scale
        if m2 is not None:
            g[~m2] = 0
    if go is not None:
        if g_rows is None:
            np.copyto(np.moveaxis(go, ax, -1), g.reshape(moved_shape))
        return loss, go
    return loss, np.moveaxis(g.reshape(moved_shape), -1, ax)


def _xp_cross_entropy(fname, xp, logits, target, axis, weight, ignore_index, label_smoothing,
                      reduction, where, return_grad, grad_out):
    """cross_entropy on the arrays of another library (Dask: blockwise, fused kernels)."""
    z = _array_api.as_float(fname, xp, logits, "logits")
    if z.ndim == 0:
        raise ValueError(f"{fname}: 'logits' must have a class axis, got a 0-d array")
    ax = _class_axis(fname, axis, z.ndim)
    _, ls = _options(fname, None, ignore_index, label_smoothing, reduction, z.shape[ax],
                     np.float64)
    if grad_out is not None:
        raise TypeError(f"{fname}: 'grad_out' is for NumPy logits; the gradient of "
                        f"{type(z).__module__} arrays is returned with return_grad=True")
    return_grad = v.flag(fname, return_grad, "return_grad")
    w = _array_api.check_weight(fname, xp, weight, z.shape[ax], z)
    mask = _array_api.mask(fname, xp, where, z.shape, z)
    if _dask.is_dask(z):
        t = target if hasattr(target, "dtype") else np.asarray(target)
        index = np.dtype(t.dtype).kind in "iu"
        if not index and np.dtype(t.dtype).kind != "f":
            raise TypeError(f"{fname}: 'target' must hold class indices (an integer dtype) "
                            f"or probabilities (a floating dtype), got dtype {t.dtype}")
        expected = tuple(z.shape[:ax]) + tuple(z.shape[ax + 1:]) if index else tuple(z.shape)
        if tuple(t.shape) != expected:
            raise ValueError(f"{fname}: 'target' must have shape {expected}, got "
                             f"{tuple(t.shape)} (logits: {tuple(z.shape)})")
        if not index and ignore_index is not None:
            raise ValueError(f"{fname}: 'ignore_index' applies to class-index targets only")
        wn = None if w is None else np.asarray(w.compute() if _dask.is_dask(w) else w)
        return _dask.cross_entropy(z, t, ax, weight=wn, ignore_index=ignore_index, ls=ls,
                                   reduction=reduction, return_grad=return_grad, index=index,
                                   where=mask)
    return _array_api.cross_entropy(fname, xp, z, target, ax, weight=w,
                                    ignore_index=ignore_index, ls=ls, reduction=reduction,
                                    where=mask, return_grad=return_grad)


def _fused(z, z2, t, ax, w, ignore_index, reduction, go, moved_shape):
    """The fused native path: loss and gradient in one pass over each row, the gradient
    written straight into ``grad_out`` (the logits themselves, if asked) when its rows are
    contiguous, so the extra memory is O(rows). None when the layout does not allow it."""
    y = t.reshape(-1)
    counted = np.ones(y.shape, bool) if ignore_index is None else y != ignore_index
    ys = np.where(counted, y, 0)
    wy = np.where(counted, 1.0 if w is None else w[ys].astype(np.float64), 0.0)
    denom = float(np.sum(wy))
    scale = (1.0 / denom if denom else 0.0) if reduction == "mean" else 1.0
    g2 = None
    if go is not None:
        g2 = np.moveaxis(go, ax, -1).reshape(-1, z2.shape[1])
        if not np.shares_memory(g2, go):
            g2 = None
    out = g2 if g2 is not None else np.empty_like(z2)
    nll = _native.xent_rows(z2, ys, wy * scale, out)
    if nll is None:
        return None
    loss, _ = _reduce(wy * nll, reduction, denom, z.dtype, moved_shape[:-1])
    if go is not None:
        if g2 is None:
            np.copyto(np.moveaxis(go, ax, -1), out.reshape(moved_shape))
        return loss, go
    return loss, np.moveaxis(out.reshape(moved_shape), -1, ax)


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

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> lp = sk.log_softmax(np.array([[2.0, 1.0, 0.1]]))
    >>> float(sk.nll_loss(lp, np.array([0])))
    0.4170300162778335
    """
    fname = "nll_loss"
    lp = v.as_float_array(fname, log_probs, "log_probs")
    if lp.ndim == 0:
        raise ValueError(f"{fname}: 'log_probs' must have a class axis, got a 0-d array")
    ax = _class_axis(fname, axis, lp.ndim)
    n_classes = lp.shape[ax]
    kind, y = _targets(fname, target, lp.shape, ax)
    if kind != "index":
        raise TypeError(f"{fname}: 'target' must hold class indices, got dtype {y.dtype}")
    w, _ = _options(fname, weight, ignore_index, 0.0, reduction, n_classes, lp.dtype)
    return_grad = v.flag(fname, return_grad, "return_grad")
    _check_labels(fname, y, n_classes, ignore_index)
    l2, moved_shape = _to_rows(lp, ax)
    yf = y.reshape(-1)
    counted = np.ones(yf.shape, bool) if ignore_index is None else yf != ignore_index
    ys = np.where(counted, yf, 0)
    wy = np.where(counted, 1.0 if w is None else w[ys], 0).astype(lp.dtype)
    rows = np.arange(yf.size)
    with np.errstate(invalid="ignore"):
        per = np.where(counted, -wy * l2[rows, ys], 0)
    loss, scale = _reduce(per, reduction, float(np.sum(wy)), lp.dtype, moved_shape[:-1])
    if not return_grad:
        return loss
    g = np.zeros_like(l2)
    g[rows, ys] = -wy * scale
    return loss, np.moveaxis(g.reshape(moved_shape), -1, ax)


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
    x : array_like, shape (N, D)
    weight : array_like, shape (C, D)
        PyTorch's ``Linear`` layout.
    bias : array_like, shape (C,), or None
    target : array_like of int, shape (N,)
        Class indices.
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
    grads : tuple of ndarray
        Only with ``return_grad``; ``dbias`` is None when ``bias`` is.

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
    xx = v.as_float_array(fname, x, "x")
    ww = v.as_float_array(fname, weight, "weight")
    if xx.ndim != 2 or ww.ndim != 2 or xx.shape[1] != ww.shape[1]:
        raise ValueError(
            f"{fname}: 'x' must be (N, D) and 'weight' (C, D); got {xx.shape} and {ww.shape}"
        )
    dt = np.result_type(xx.dtype, ww.dtype)
    xx, ww = xx.astype(dt, copy=False), ww.astype(dt, copy=False)
    n, c = xx.shape[0], ww.shape[0]
    bb = None
    if bias is not None:
        bb = v.as_float_array(fname, bias, "bias").astype(dt, copy=False)
        if bb.shape != (c,):
            raise ValueError(f"{fname}: 'bias' must have shape ({c},), got {bb.shape}")
    y = np.asarray(target)
    if y.dtype.kind not in "iu" or y.shape != (n,):
        raise ValueError(
            f"{fname}: 'target' must be ({n},) class indices, got {y.shape} of dtype {y.dtype}"
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
    cw, ls = _options(fname, class_weight, ignore_index, label_smoothing, reduction, c, dt)
    _check_labels(fname, y, c, ignore_index)

    # The "mean" divisor covers all rows: each chunk is reduced as a sum, scaled at the end.
    counted = np.ones(n, bool) if ignore_index is None else y != ignore_index
    wy = np.where(counted, 1.0 if cw is None else cw[np.where(counted, y, 0)], 0.0)
    denom = float(np.sum(wy))
    per_sample = np.empty(n, dtype=dt) if reduction == "none" else None
    total = 0.0
    dx = np.empty_like(xx) if return_grad else None
    dw = np.zeros_like(ww) if return_grad else None
    db = np.zeros(c, dtype=dt) if return_grad and bb is not None else None
    logits = np.empty((min(chunk, n), c), dtype=dt)
    # dW += G^T X, a block of classes at a time: numpy's matmul cannot accumulate into its
    # output, and a C x D temporary would double the memory of dW.
    cblock = max(1, (8 << 20) // max(1, xx.shape[1] * dt.itemsize))
    dw_tmp = np.empty((min(cblock, c), xx.shape[1]), dtype=dt) if return_grad else None
    opts = dict(weight=cw, ignore_index=ignore_index, label_smoothing=ls)
    for a in range(0, n, chunk):
        z = logits[: min(chunk, n - a)]
        np.matmul(xx[a:a + chunk], ww.T, out=z)
        if bb is not None:
            z += bb
        red = "none" if reduction == "none" else "sum"
        if return_grad:
            loss_c, g = cross_entropy(z, y[a:a + chunk], reduction=red, grad_out=z, **opts)
            np.matmul(g, ww, out=dx[a:a + chunk])
            for c0 in range(0, c, cblock):
                t = dw_tmp[: min(cblock, c - c0)]
                np.matmul(g[:, c0:c0 + cblock].T, xx[a:a + chunk], out=t)
                dw[c0:c0 + cblock] += t
            if db is not None:
                db += g.sum(axis=0)
        else:
            loss_c = cross_entropy(z, y[a:a + chunk], reduction=red, **opts)
        if per_sample is not None:
            per_sample[a:a + chunk] = loss_c
        else:
            total += float(loss_c)
    if reduction == "none":
        loss, scale = per_sample, 1.0
    else:
        loss, scale = _reduce(np.array([total]), reduction, denom, dt, ())
    if not return_grad:
        return loss
    if scale != 1.0:
        dx *= scale
        dw *= scale
        if db is not None:
            db *= scale
    return loss, (dx, dw, db)
