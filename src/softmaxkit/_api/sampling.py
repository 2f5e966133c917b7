"""Drawing from softmax distributions: categorical sampling with the filters of language
model samplers, and the Gumbel-softmax relaxation with its backward."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._core import arrays
from .._core import sampling as smp
from .._core import validation as v
from . import family as F
from .dispatch import backend_of, native_route
from .gradients import softmax_backward

__all__ = ["categorical", "gumbel_softmax", "gumbel_softmax_backward"]


def generator(fname: str, rng: Any) -> np.random.Generator:
    """``rng`` as a NumPy Generator: one, a seed, a SeedSequence or BitGenerator, or None
    (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (bool, np.bool_, float, str, bytes)):
        raise TypeError(f"{fname}: 'rng' must be a numpy Generator, a seed (int) or None, "
                        f"got {rng!r}")
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{fname}: 'rng' must be a numpy Generator, a seed (int >= 0) or "
                        f"None, got {rng!r} ({exc})") from None


def _optional_fraction(fname, value, name, low_open):
    """None, or a number in (0, 1] (``low_open``) or [0, 1]."""
    if value is None:
        return None
    ok = isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(
        value, (bool, np.bool_))
    f = float(value) if ok else math.nan
    if not (0 < f <= 1 if low_open else 0 <= f <= 1):
        interval = "(0, 1]" if low_open else "[0, 1]"
        raise ValueError(f"{fname}: {name!r} must be a number in {interval}, got {value!r}")
    return f


def _count(fname, value, name, allow_none=True):
    if value is None and allow_none:
        return None
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
            or value < 1):
        raise ValueError(f"{fname}: {name!r} must be an integer >= 1, got {value!r}")
    return int(value)


def _numpy_only(fname, **arrays_by_name):
    """Other libraries' arrays that did not take the native route (on a GPU, Dask, ...):
    the capability table's TypeError."""
    xp = arrays.namespace(fname, **arrays_by_name)
    if xp is not None:
        backend_of(fname, next(iter(arrays_by_name.values())), xp)


def _rows(fname, logits, axis, where):
    """The logits as C-contiguous rows (R, n) with masked entries at -inf, and the batch
    shape (the logits' shape without ``axis``)."""
    x = v.as_float_array(fname, logits, "logits")
    if x.ndim == 0:
        raise ValueError(f"{fname}: 'logits' must have at least 1 dimension")
    ax = v.class_axis(fname, axis, x.ndim)
    mask = v.mask(fname, where, x.shape)
    if mask is not None:
        x = np.where(mask, x, x.dtype.type(-np.inf))
    moved = np.moveaxis(x, ax, -1)
    batch = moved.shape[:-1]
    return np.ascontiguousarray(moved).reshape(math.prod(batch), x.shape[ax]), batch


def _row_label(r: int, batch: tuple[int, ...]) -> str:
    if not batch:
        return "the logits"
    return f"row {tuple(int(i) for i in np.unravel_index(r, batch))}"


@native_route
def categorical(logits: ArrayLike, *, axis: int = -1, temperature: float = 1.0,
                top_k: int | None = None, top_p: float | None = None,
                min_p: float | None = None, where: ArrayLike | None = None,
                num_samples: int = 1, replacement: bool = True, rng: Any = None) -> Any:
    r"""Draw class indices from ``softmax(logits / temperature)``, filtered as language
    model samplers do.

    The filters apply in this order, each to what the previous ones kept:

    1. ``temperature`` divides the logits;
    2. ``top_k`` keeps the ``top_k`` most probable entries (all entries tied with the
       ``top_k``-th are kept);
    3. ``top_p`` (nucleus) keeps the smallest set of most probable entries whose mass
       reaches ``top_p`` of what is left (ties with its least probable entry kept);
    4. ``min_p`` keeps the entries with ``p >= min_p * max(p)``.

    The draw then follows the kept entries' probabilities, renormalized. With
    replacement each draw takes one uniform number from ``rng`` and picks the entry
    where the running mass crosses it (inverse CDF, native kernel for NumPy float32 and
    float64, no sort); without replacement the Gumbel-top-k trick draws ``num_samples``
    distinct entries, in the order a sequential draw would pick them. The same ``rng``
    state gives the same draws whatever the number of threads, and on both backends
    (the kernel and the NumPy reference differ only where a uniform falls within a
    rounding of an entry's boundary).

    Parameters
    ----------
    logits : array_like
        Unnormalized log-probabilities; the classes lie along ``axis``.
    axis : int, default=-1
    temperature : float, default=1.0
        > 0; below 1 sharpens, above 1 flattens.
    top_k : int, optional
    top_p : float in (0, 1], optional
    min_p : float in [0, 1], optional
    where : array_like of bool, optional
        Broadcastable to ``logits``: entries where it is False are never drawn.
    num_samples : int, default=1
    replacement : bool, default=True
    rng : numpy.random.Generator, int or None
        The random numbers' source, or a seed for one.

    Returns
    -------
    ndarray of int64
        Shape: the logits' shape without ``axis``, then ``num_samples``.

    Raises
    ------
    ValueError
        A slice with a NaN, or with nothing to draw (every entry masked, ``-inf`` or
        filtered out); without replacement, fewer kept entries than ``num_samples``.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> from softmaxkit.sample import categorical
    >>> logits = np.log([0.5, 0.3, 0.15, 0.05])
    >>> draws = categorical(logits, num_samples=100000, rng=0)
    >>> np.bincount(draws, minlength=4) / 100000
    array([0.50061, 0.29987, 0.15008, 0.04944])
    >>> sorted(set(categorical(logits, top_p=0.7, num_samples=1000, rng=1).tolist()))
    [0, 1]
    """
    fname = "categorical"
    t = v.positive_number(fname, temperature, "temperature")
    k = _count(fname, top_k, "top_k")
    p_top = _optional_fraction(fname, top_p, "top_p", low_open=True)
    p_min = _optional_fraction(fname, min_p, "min_p", low_open=False)
    ns = _count(fname, num_samples, "num_samples", allow_none=False)
    replace = v.flag(fname, replacement, "replacement")
    _numpy_only(fname, logits=logits, where=where)
    gen = generator(fname, rng)
    rows, batch = _rows(fname, logits, axis, where)
    be = backend_of(fname, rows, None)
    options = {"top_k": k or 0, "top_p": 1.0 if p_top is None else p_top,
               "min_p": p_min or 0.0}
    if replace or ns == 1:
        out = be.categorical(rows, temperature=t, u=gen.random((rows.shape[0], ns)),
                             **options)
    else:
        p = be.softmax(rows, (1,), temperature=t)
        tau = smp.thresholds(p, options["top_k"], options["top_p"], options["min_p"])
        kept = np.sum((p >= tau[:, None]) & (p > 0), axis=1)
        out = np.full((rows.shape[0], ns), -2, dtype=np.int64)
        out[np.isnan(p).any(axis=1)] = -1
        short = (out[:, 0] != -1) & (kept > 0) & (kept < ns)
        if np.any(short):
            r = int(np.argmax(short))
            raise ValueError(f"{fname}: {int(kept[r])} entries to draw from in "
                             f"{_row_label(r, batch)}, fewer than num_samples={ns} without "
                             "replacement")
        ok = (out[:, 0] != -1) & (kept >= ns)
        if np.any(ok):
            out[ok] = smp.draw_without_replacement(p[ok], tau[ok], ns,
                                                   gen.gumbel(size=(int(ok.sum()), p.shape[1])))
    bad = out[:, 0] < 0 if out.size else np.zeros(0, bool)
    if np.any(bad):
        r = int(np.argmax(bad))
        label = _row_label(r, batch)
        raise ValueError(f"{fname}: a NaN in {label}" if out[r, 0] == -1 else
                         f"{fname}: nothing to draw in {label} (every entry masked, -inf "
                         "or filtered out)")
    return out.reshape(batch + (ns,))


@native_route
def gumbel_softmax(logits: ArrayLike, *, tau: float = 1.0, hard: bool = False,
                   axis: int = -1, rng: Any = None, return_soft: bool = False) -> Any:
    r"""A Gumbel-softmax sample: ``softmax((logits + g) / tau)`` with ``g`` Gumbel noise.

    A differentiable stand-in for a one-hot categorical draw (Jang et al., 2017; Maddison
    et al., 2017): as ``tau`` falls it approaches the one-hot vector of
    ``argmax(logits + g)``, which is an exact draw from ``softmax(logits)``.

    ``hard=True`` returns that one-hot vector itself. Its gradient is zero almost
    everywhere, so the usual *straight-through* estimator takes the soft sample's
    gradient instead: the forward value is hard, the backward is
    :func:`gumbel_softmax_backward` of the soft sample (as PyTorch's
    ``F.gumbel_softmax(hard=True)`` does with ``y_hard - y_soft.detach() + y_soft``).
    Ask for the soft sample with ``return_soft=True``; it is what the backward needs.

    Parameters
    ----------
    logits : array_like
    tau : float, default=1.0
        The temperature, > 0.
    hard : bool, default=False
    axis : int, default=-1
    rng : numpy.random.Generator, int or None
    return_soft : bool, default=False
        Also return the soft sample.

    Returns
    -------
    ndarray, or (sample, soft sample) with ``return_soft``
        In the logits' floating dtype and shape.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxkit.sample import gumbel_softmax
    >>> y, soft = gumbel_softmax([1.0, 2.0, 3.0], tau=0.5, hard=True, rng=0,
    ...                          return_soft=True)
    >>> y
    array([0., 0., 1.])
    >>> bool(soft.argmax() == 2) and bool(np.isclose(soft.sum(), 1.0))
    True
    """
    fname = "gumbel_softmax"
    t = v.positive_number(fname, tau, "tau")
    hard = v.flag(fname, hard, "hard")
    _numpy_only(fname, logits=logits)
    gen = generator(fname, rng)
    x = v.as_float_array(fname, logits, "logits")
    if x.ndim == 0:
        raise ValueError(f"{fname}: 'logits' must have at least 1 dimension")
    ax = v.class_axis(fname, axis, x.ndim)
    noisy = x + gen.gumbel(size=x.shape).astype(x.dtype)
    soft = F.softmax(noisy, axis=ax, temperature=t)
    if not hard:
        return (soft, soft) if return_soft else soft
    index = np.expand_dims(np.argmax(soft, axis=ax), ax)
    y = np.zeros_like(soft)
    np.put_along_axis(y, index, 1, axis=ax)
    return (y, soft) if return_soft else y


def gumbel_softmax_backward(soft: ArrayLike, dy: ArrayLike, *, tau: float = 1.0,
                            axis: int = -1) -> Any:
    r"""The gradient of a loss with respect to the logits of :func:`gumbel_softmax`.

    ``dx = soft * (dy - sum(dy * soft)) / tau`` from the *soft* sample: the exact gradient
    for ``hard=False``, and the straight-through estimate for ``hard=True`` (``dy`` is the
    gradient with respect to the one-hot sample, passed through as if it were the soft
    one). The noise is a constant: it has no gradient.

    Parameters
    ----------
    soft : array_like
        The soft sample (``return_soft=True``).
    dy : array_like
        The gradient with respect to the returned sample; same shape.
    tau : float, default=1.0
    axis : int, default=-1

    Returns
    -------
    ndarray

    Examples
    --------
    >>> from softmaxkit.sample import gumbel_softmax, gumbel_softmax_backward
    >>> y, soft = gumbel_softmax([1.0, 2.0], hard=True, rng=3, return_soft=True)
    >>> g = gumbel_softmax_backward(soft, [1.0, 0.0])
    >>> bool(abs(g.sum()) < 1e-15)
    True
    """
    return softmax_backward(soft, dy, axis, temperature=tau)
