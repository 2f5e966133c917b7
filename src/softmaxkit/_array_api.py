"""Any array library in, the same array library out: the pure array-API path.

Design: :func:`namespace` looks at a call's array arguments. NumPy arrays, Python
scalars and lists give None, and the caller goes on to the native kernels. An array of
another library that follows the Python array API standard (PyTorch, JAX, CuPy, Dask,
array-api-strict; through ``array-api-compat``) gives its namespace ``xp``, and the
functions here compute with ``xp`` alone: no copy to NumPy, the result on the input's
device. Two libraries in one call is a TypeError naming both.

The algorithms are those of the NumPy reference (``_reference.py``) written against the
standard: the shift by the slice maximum with its rounding error carried (two-sum, and
an exact division by the temperature), ``log(c) + log1p(rest / c)`` for the normalizer,
and the same special values and masks. They work in float64 for float16/float32 input
where the library has float64, and otherwise in the input's dtype, where the pairs keep
results within a few ulps.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

# Libraries whose arrays take this path, by the top-level module of their array type.
_FOREIGN = {"torch", "jax", "jaxlib", "cupy", "dask", "array_api_strict", "sparse", "ndonnx"}
_Q_CUTOFF = 2.0**14  # as in _reference: |q| below it keeps its exact low part


def _library(a) -> str | None:
    if a is None or isinstance(a, (np.ndarray, np.generic, int, float, bool, list, tuple)):
        return None
    mod = type(a).__module__.split(".", 1)[0]
    if mod in _FOREIGN or hasattr(a, "__array_namespace__"):
        return mod
    return None


def _describe(a) -> str:
    t = type(a)
    return f"{t.__module__}.{t.__qualname__}"


def namespace(fname: str, **arrays) -> Any:
    """The array-API namespace of the call's arguments, or None for NumPy input."""
    found = {}
    numpy_arg = None
    for name, a in arrays.items():
        lib = _library(a)
        if lib is not None:
            found.setdefault(lib, name)
        elif isinstance(a, np.ndarray) and numpy_arg is None:
            numpy_arg = name
    if not found:
        return None
    names = list(found.items())
    # Dask arrays are made of NumPy blocks and take NumPy operands as they are
    if numpy_arg is not None and list(found) == ["dask"]:
        numpy_arg = None
    if len(names) > 1 or numpy_arg is not None:
        (lib_a, name_a) = names[0]
        name_b = names[1][1] if len(names) > 1 else numpy_arg
        raise TypeError(f"{fname}: cannot mix array libraries in one call: {name_a!r} is a "
                        f"{_describe(arrays[name_a])} and {name_b!r} is a "
                        f"{_describe(arrays[name_b])}")
    try:
        import array_api_compat
    except ImportError:
        raise ImportError(f"{fname}: arrays of {names[0][0]} need array-api-compat: "
                          "pip install 'softmaxkit[array-api]'") from None
    return array_api_compat.array_namespace(arrays[names[0][1]])


# --------------------------------------------------------------------------- inputs


def _device(x):
    from array_api_compat import device

    return device(x)


def default_float(xp, like=None):
    """The library's default real floating dtype (float64 for integer input, as SciPy)."""
    info = getattr(xp, "__array_namespace_info__", None)
    if info is not None:
        try:
            kw = {} if like is None else {"device": _device(like)}
            return info().default_dtypes(**kw)["real floating"]
        except (TypeError, KeyError, AttributeError):
            pass
    return xp.float64


def as_float(fname: str, xp, x, name: str = "x", *, like=None, dtype=None):
    """``x`` as an array of ``xp`` with a real floating dtype (integers and bools promote
    to the default floating dtype); lists and scalars go to ``like``'s device."""
    if not hasattr(x, "dtype") or _library(x) is None:
        try:
            x = xp.asarray(x, device=None if like is None else _device(like))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{fname}: could not convert {name!r} to an array: {exc}") \
                from None
    if xp.isdtype(x.dtype, "complex floating"):
        raise TypeError(f"{fname}: {name!r} must be real, got complex input of dtype {x.dtype}")
    if dtype is not None:
        if not xp.isdtype(dtype, "real floating"):
            raise TypeError(f"{fname}: 'dtype' must be a real floating dtype, got {dtype}")
        return xp.astype(x, dtype)
    if xp.isdtype(x.dtype, "real floating"):
        return x
    if xp.isdtype(x.dtype, ("integral", "bool")):
        return xp.astype(x, default_float(xp, x))
    raise TypeError(f"{fname}: {name!r} must hold real numbers, got dtype {x.dtype}")


def mask(fname: str, xp, where, shape, like):
    if where is None:
        return None
    w = where if _library(where) is not None else xp.asarray(where, device=_device(like))
    if w.dtype != xp.bool:
        raise TypeError(f"{fname}: 'where' must be a boolean array, got dtype {w.dtype}")
    try:
        return xp.broadcast_to(w, shape)
    except (ValueError, RuntimeError):
        raise ValueError(f"{fname}: 'where' of shape {tuple(w.shape)} does not broadcast to "
                         f"the input's shape {tuple(shape)}") from None


def finish_out(fname: str, res, out):
    """Write ``res`` into ``out`` (checked first) for libraries whose arrays are mutable."""
    if out is None:
        return res
    if _library(out) is None:
        raise TypeError(f"{fname}: 'out' must be an array of the input's library, got "
                        f"{_describe(out)}")
    if tuple(out.shape) != tuple(res.shape):
        raise ValueError(f"{fname}: 'out' has shape {tuple(out.shape)}, expected "
                         f"{tuple(res.shape)}")
    if out.dtype != res.dtype:
        raise ValueError(f"{fname}: 'out' has dtype {out.dtype}, expected {res.dtype}")
    try:
        out[...] = res
    except (TypeError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise TypeError(f"{fname}: 'out' cannot be written in place ({_describe(out)}: "
                        f"{exc})") from None
    return out


def _work(xp, dtype):
    """The dtype to compute in: float64 for narrower input where the library has it."""
    if xp.finfo(dtype).bits < 64 and hasattr(xp, "float64"):
        return xp.float64
    return dtype


def _size(shape) -> int:
    return math.prod(int(s) for s in shape)


def _quiet(fn):
    """NumPy-backed libraries (array-api-strict) warn on inf - inf or 0 / 0 in slices
    whose results are replaced by their special values afterwards, as the reference does."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    return wrapper


# ----------------------------------------------------------------------- arithmetic


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod_err(xp, a, b, p):
    """The exact error ``a * b - p`` of ``p = fl(a * b)`` (Dekker); ``b`` an array or a
    Python float exact in ``a``'s dtype, both far from overflow."""
    bits = 1 - int(math.log2(xp.finfo(a.dtype).eps))
    c = 2.0 ** math.ceil(bits / 2) + 1.0
    ca, cb = c * a, c * b
    ah = ca - (ca - a)
    bh = cb - (cb - b)
    al, bl = a - ah, b - bh
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _shift(xp, x, axes, where, temperature):
    """(m, q, q_lo) as in ``_reference._shift``; slices are not empty."""
    neg_inf = xp.asarray(-math.inf, dtype=x.dtype, device=_device(x))
    zero = xp.zeros_like(neg_inf)
    if where is not None:
        x = xp.where(where, x, neg_inf)
    m = xp.max(x, axis=axes, keepdims=True)
    m0 = xp.where(xp.isfinite(m), m, zero)
    q, q_lo = _two_sum(x, -m0)
    q_lo = xp.where(xp.isfinite(q), q_lo, zero)
    if temperature != 1.0:
        # T = t * 2**e: the power of two divides exactly, and the remainder of q / t
        # is recovered exactly (t rounded to the work dtype first)
        bits = xp.finfo(x.dtype).bits
        t_exact = float(np.asarray(temperature, np.float32 if bits == 32 else np.float64))
        t, e = math.frexp(t_exact)
        scale = 2.0 ** -e
        hs, ls = q * scale, q_lo * scale
        q = hs / t
        near = xp.abs(q) < _Q_CUTOFF
        qn = xp.where(near, q, zero)
        p = qn * t
        rem = (xp.where(near, hs, zero) - p) - _two_prod_err(xp, qn, t, p)
        q_lo = xp.where(near, (rem + ls) / t, zero)
    return m, q, q_lo


def _terms(xp, q, q_lo):
    e = xp.exp(q)
    return e + e * q_lo


def _sum2(xp, a, axes, lo=None):
    """The sum of ``a`` (plus the small terms ``lo``) over ``axes``, with keepdims, as an
    unevaluated pair ``hi + lo``: a pairwise tree of exact two-sums whose rounding errors
    are added up apart. Its error is about eps**2 relative, where a plain sum's grows
    with the number of terms (cf. the native kernels' compensated sums)."""
    kept = tuple(1 if i in axes else s for i, s in enumerate(a.shape))
    flat, _, _ = _to_last(xp, a, axes)
    err = xp.zeros(tuple(flat.shape[:-1]) + (1,), dtype=a.dtype, device=_device(a))
    if lo is not None:
        err = err + xp.sum(_to_last(xp, lo, axes)[0], axis=-1, keepdims=True)
    while flat.shape[-1] > 1:
        if flat.shape[-1] % 2:
            pad = xp.zeros(tuple(flat.shape[:-1]) + (1,), dtype=a.dtype, device=_device(a))
            flat = xp.concat([flat, pad], axis=-1)
        flat, e = _two_sum(flat[..., 0::2], flat[..., 1::2])
        err = err + xp.sum(e, axis=-1, keepdims=True)
    return xp.reshape(flat, kept), xp.reshape(err, kept)


def _count(xp, cond, axes, dtype):
    return xp.sum(xp.astype(cond, dtype), axis=axes, keepdims=True)


# ------------------------------------------------------------------------ functions


@_quiet
def softmax(xp, x, axes, *, temperature=1.0, where=None, log=False):
    """Softmax (log-softmax) of ``x / temperature`` over ``axes``; ``x`` real floating."""
    out_dtype = x.dtype
    if _size(x.shape) == 0:
        return xp.zeros(x.shape, dtype=out_dtype, device=_device(x))
    w = _work(xp, out_dtype)
    xw = xp.astype(x, w)
    dev = _device(x)
    zero = xp.zeros((), dtype=w, device=dev)
    neg_inf = xp.asarray(-math.inf, dtype=w, device=dev)
    nan = xp.asarray(math.nan, dtype=w, device=dev)
    if not axes:
        # softmax of single entries: 1 (0 in log space) unless NaN / -inf / masked
        xw = xp.expand_dims(xw, axis=0)
        where = None if where is None else xp.expand_dims(where, axis=0)
        res = softmax(xp, xp.astype(xw, out_dtype), (0,), temperature=temperature,
                      where=where, log=log)
        return xp.squeeze(res, axis=0)
    m, q, q_lo = _shift(xp, xw, axes, where, temperature)
    e = xp.exp(q)
    e_lo = e * q_lo  # exp(q + q_lo) = e + e_lo to second order
    tie = q == 0
    c = _count(xp, tie, axes, w)
    rest, rest_lo = _sum2(xp, xp.where(tie, zero, e), axes, xp.where(tie, zero, e_lo))
    if log:
        lse = xp.log(c) + (xp.log1p(rest / c) + (rest_lo / c) / (1 + rest / c))
        res = (q - lse) + q_lo
    else:
        # (e + e_lo) / (s + s_lo) with s = c + rest: the quotient, its exact remainder,
        # and the low parts as a relative correction
        s, s_lo = _two_sum(c, rest)
        s_lo = s_lo + rest_lo
        res = e / s
        prod = res * s
        remainder = (e - prod) - _two_prod_err(xp, res, s, prod)
        res = res + (remainder / s + res * (q_lo - s_lo / s))
    is_inf = xw == math.inf
    if where is not None:
        is_inf = xp.logical_and(is_inf, where)
    k = _count(xp, is_inf, axes, w)
    if log:
        inf_res = xp.where(is_inf, -xp.log(k), neg_inf)
    else:
        inf_res = xp.where(is_inf, 1 / k, zero)
    empty = neg_inf if log else zero
    res = xp.where(m == math.inf, inf_res, res)
    res = xp.where(m == -math.inf, empty, res)
    res = xp.where(xp.isnan(m), nan, res)
    if where is not None:
        res = xp.where(where, res, empty)
    return xp.astype(res, out_dtype)


@_quiet
def logsumexp(xp, a, axes, *, b=None, where=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` over ``axes`` with SciPy's conventions (``_reference``)."""
    out_dtype = a.dtype
    w = _work(xp, out_dtype)
    dev = _device(a)
    kept = tuple(1 if i in axes else s for i, s in enumerate(a.shape))
    if _size(a.shape[i] for i in axes) == 0 or _size(a.shape) == 0:
        res = xp.full(kept, -math.inf, dtype=out_dtype, device=dev)
        sgn = xp.zeros(kept, dtype=out_dtype, device=dev)
    else:
        aw = xp.astype(a, w)
        zero = xp.zeros((), dtype=w, device=dev)
        nan = xp.asarray(math.nan, dtype=w, device=dev)
        take = where
        if b is not None:
            bw = xp.astype(b, w)
            take = (bw != 0) if take is None else xp.logical_and(take, bw != 0)
        m, q, q_lo = _shift(xp, aw, axes, take, 1.0)
        e = _terms(xp, q, q_lo)
        tie = q == 0
        if b is None:
            top = _count(xp, tie, axes, w)
            rest = xp.sum(xp.where(tie, zero, e), axis=axes, keepdims=True)
        else:
            top = xp.sum(xp.where(tie, bw, zero), axis=axes, keepdims=True)
            skip = xp.logical_or(tie, xp.logical_not(take))
            rest = xp.sum(xp.where(skip, zero, bw * e), axis=axes, keepdims=True)
        s = rest / top
        sgn = xp.sign(s + 1) * xp.sign(top)
        lse = xp.log1p(xp.where(s < -1, -s - 2, s)) + xp.log(xp.abs(top))
        zero_top = top == 0
        sgn = xp.where(zero_top, xp.sign(rest), sgn)
        lse = xp.where(zero_top, xp.log(xp.abs(rest)), lse)
        res = m + lse
        is_inf = aw == math.inf
        if take is not None:
            is_inf = xp.logical_and(is_inf, take)
        ones = xp.ones_like(aw) if b is None else bw
        inf_w = xp.sum(xp.where(is_inf, ones, zero), axis=axes, keepdims=True)
        inf = xp.asarray(math.inf, dtype=w, device=dev)
        res = xp.where(m == math.inf, xp.where(inf_w == 0, nan, inf), res)
        sgn = xp.where(m == math.inf, xp.sign(inf_w), sgn)
        res = xp.where(m == -math.inf, -inf, res)
        sgn = xp.where(m == -math.inf, zero, sgn)
        bad = xp.logical_or(xp.isnan(m), xp.isnan(res))
        res = xp.where(bad, nan, res)
        sgn = xp.where(bad, nan, sgn)
        if not return_sign:
            res = xp.where(sgn < 0, nan, res)
        res, sgn = xp.astype(res, out_dtype), xp.astype(sgn, out_dtype)
    if not keepdims and axes:
        res, sgn = xp.squeeze(res, axis=axes), xp.squeeze(sgn, axis=axes)
    return (res, sgn) if return_sign else res


@_quiet
def smooth_max(xp, x, axes, *, k=1.0, keepdims=False):
    """``logsumexp(k x) / k`` over ``axes`` without forming ``k x``."""
    out_dtype = x.dtype
    kept = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
    if _size(x.shape) == 0:
        res = xp.full(kept, -math.inf, dtype=out_dtype, device=_device(x))
    else:
        w = _work(xp, out_dtype)
        xw = xp.astype(x, w)
        zero = xp.zeros((), dtype=w, device=_device(x))
        m, q, q_lo = _shift(xp, xw, axes, None, 1.0 / k)
        e = _terms(xp, q, q_lo)
        tie = q == 0
        c = _count(xp, tie, axes, w)
        rest = xp.sum(xp.where(tie, zero, e), axis=axes, keepdims=True)
        res = m + (xp.log(c) + xp.log1p(rest / c)) / k
        res = xp.astype(xp.where(xp.isfinite(m), res, m), out_dtype)
    if not keepdims and axes:
        res = xp.squeeze(res, axis=axes)
    return res


def _to_last(xp, x, axes):
    rest = [i for i in range(x.ndim) if i not in axes]
    order = rest + list(axes)
    moved = xp.permute_dims(x, tuple(order))
    lead = tuple(moved.shape[: len(rest)])
    return xp.reshape(moved, lead + (_size(moved.shape[len(rest):]),)), tuple(moved.shape), order


def _from_last(xp, y, moved_shape, order):
    return xp.permute_dims(xp.reshape(y, moved_shape), tuple(np.argsort(order).tolist()))


@_quiet
def hardmax(xp, x, axes):
    """One-hot of the first maximum of each slice; NaN slices NaN, all -inf slices 0."""
    if _size(x.shape) == 0:
        return xp.zeros(x.shape, dtype=x.dtype, device=_device(x))
    flat, moved_shape, order = _to_last(xp, x, axes)
    idx = xp.argmax(flat, axis=-1, keepdims=True)
    positions = xp.arange(flat.shape[-1], device=_device(x))
    one_hot = xp.astype(positions == idx, x.dtype)
    top = xp.max(flat, axis=-1, keepdims=True)
    zero = xp.zeros((), dtype=x.dtype, device=_device(x))
    nan = xp.asarray(math.nan, dtype=x.dtype, device=_device(x))
    # argmax of a slice holding NaN is implementation-defined: mark it from the max
    has_nan = xp.any(xp.isnan(flat), axis=-1, keepdims=True)
    one_hot = xp.where(top == -math.inf, zero, one_hot)
    one_hot = xp.where(has_nan, nan, one_hot)
    return _from_last(xp, one_hot, moved_shape, order)


@_quiet
def std_norm(fname, xp, x, axes):
    """``x / sum(x)`` over ``axes``; the same checks as the NumPy path, on ``xp``."""
    if not bool(xp.all(xp.isfinite(x))):
        raise ValueError(f"{fname}: 'x' must be finite")
    if bool(xp.any(x < 0)):
        raise ValueError(f"{fname}: 'x' must be >= 0 (plain normalization of a negative "
                         "entry is not a distribution)")
    w = _work(xp, x.dtype)
    s = xp.sum(xp.astype(x, w), axis=axes, keepdims=True)
    if _size(x.shape) and bool(xp.any(s == 0)):
        raise ValueError(f"{fname}: a slice sums to 0; it has no normalization")
    return xp.astype(xp.astype(x, w) / s, x.dtype)


# -------------------------------------------------------------------------- backward


@_quiet
def softmax_vjp(xp, y, d, axes, temperature, *, log):
    """The backward of softmax (from y) or log_softmax (from logp)."""
    dt = xp.result_type(y.dtype, d.dtype)
    y, d = xp.astype(y, dt), xp.astype(xp.broadcast_to(d, y.shape), dt)
    zero = xp.zeros((), dtype=dt, device=_device(y))
    live = y != (-math.inf if log else 0)
    dyl = xp.where(live, d, zero)
    if log:
        dx = xp.where(live, dyl - xp.exp(y) * xp.sum(dyl, axis=axes, keepdims=True), zero)
    else:
        dx = xp.where(live, y * (dyl - xp.sum(dyl * y, axis=axes, keepdims=True)), zero)
    return dx / temperature if temperature != 1.0 else dx


# ---------------------------------------------------------------------- cross-entropy


@_quiet
def cross_entropy(fname, xp, z, target, ax, *, weight, ignore_index, ls, reduction, where,
                  return_grad):
    """Cross-entropy (and its gradient) as ``_losses.cross_entropy``, on ``xp``."""
    dev = _device(z)
    n_classes = z.shape[ax]
    t = target if _library(target) is not None else xp.asarray(target, device=dev)
    zero = xp.zeros((), dtype=z.dtype, device=dev)
    if xp.isdtype(t.dtype, "integral"):
        kind = "index"
        expected = tuple(z.shape[:ax]) + tuple(z.shape[ax + 1:])
        if tuple(t.shape) != expected:
            raise ValueError(f"{fname}: class-index 'target' must have the logits' shape "
                             f"without the class axis, {expected}; got {tuple(t.shape)} "
                             f"(logits: {tuple(z.shape)})")
        bad = xp.logical_or(t < 0, t >= n_classes)
        if ignore_index is not None:
            bad = xp.logical_and(bad, t != ignore_index)
        if bool(xp.any(bad)):
            raise ValueError(f"{fname}: a target is not a class in [0, {n_classes})"
                             + ("" if ignore_index is None else
                                f" nor ignore_index={ignore_index}"))
    elif xp.isdtype(t.dtype, "real floating"):
        kind = "prob"
        if tuple(t.shape) != tuple(z.shape):
            raise ValueError(f"{fname}: probability 'target' must have the logits' shape "
                             f"{tuple(z.shape)}, got {tuple(t.shape)}")
        if ignore_index is not None:
            raise ValueError(f"{fname}: 'ignore_index' applies to class-index targets only")
    else:
        raise TypeError(f"{fname}: 'target' must hold class indices (an integer dtype) or "
                        f"probabilities (a floating dtype), got dtype {t.dtype}")
    wv = xp.ones((n_classes,), dtype=z.dtype, device=dev) if weight is None else weight
    z2 = xp.moveaxis(z, ax, -1)
    moved_shape = tuple(z2.shape)
    z2 = xp.reshape(z2, (-1, n_classes))
    m2 = None if where is None else xp.reshape(xp.moveaxis(where, ax, -1), (-1, n_classes))
    live = xp.ones((1, n_classes), dtype=xp.bool, device=dev) if m2 is None else m2
    n_live = xp.sum(xp.astype(live, z.dtype), axis=1)
    w_live = xp.sum(xp.where(live, wv, zero), axis=1)
    wide = xp.astype(z2, _work(xp, z.dtype))
    wzero = xp.zeros((), dtype=wide.dtype, device=dev)
    lse = logsumexp(xp, wide, (1,), where=m2)
    n_rows = z2.shape[0]
    if kind == "index":
        y = xp.reshape(t, (-1,))
        counted = xp.ones((n_rows,), dtype=xp.bool, device=dev) if ignore_index is None \
            else y != ignore_index
        ys = xp.where(counted, y, xp.zeros_like(y))
        onehot = xp.arange(n_classes, device=dev) == ys[:, None]  # (rows, C)
        if m2 is not None and bool(xp.any(xp.logical_and(
                counted, xp.logical_not(xp.any(xp.logical_and(onehot, m2), axis=1))))):
            raise ValueError(f"{fname}: the target class of a sample is masked out")
        wy = xp.where(counted, xp.sum(xp.where(onehot, wv, zero), axis=1), zero)
        z_y = xp.sum(xp.where(onehot, wide, wzero), axis=1)
        inf = xp.asarray(math.inf, dtype=wide.dtype, device=dev)
        nll = xp.where(lse == -math.inf, inf, lse - z_y)
        per = (1 - ls) * xp.astype(wy, wide.dtype) * nll
        if ls > 0:
            smooth = xp.sum(xp.where(live, xp.astype(wv, wide.dtype) * (lse[:, None] - wide),
                                     wzero), axis=1)
            per = per + xp.where(counted, (ls / xp.astype(n_live, wide.dtype)) * smooth, wzero)
        per = xp.where(counted, per, wzero)
        denom = float(xp.sum(wy))
    else:
        tt = xp.reshape(xp.moveaxis(xp.astype(t, z.dtype), ax, -1), (-1, n_classes))
        if ls > 0:
            tt = xp.where(live, (1 - ls) * tt + ls / n_live[:, None], zero)
        coef = xp.where(live, wv * tt, zero)
        cw = xp.astype(coef, wide.dtype)
        per = xp.sum(xp.where(coef != 0, cw * (lse[:, None] - wide), wzero), axis=1)
        denom = float(n_rows)
    per = xp.astype(per, z.dtype)
    loss, scale = _reduce(xp, per, reduction, denom, moved_shape[:-1])
    if not return_grad:
        return loss
    g = softmax(xp, z2, (1,), where=m2)
    if kind == "index":
        coef_p = (1 - ls) * wy + xp.where(counted, (ls / n_live) * w_live, zero)
        g = g * coef_p[:, None] - xp.where(onehot, ((1 - ls) * wy)[:, None], zero)
        if ls > 0:
            g = g - xp.where(xp.logical_and(live, counted[:, None]),
                             (ls / n_live[:, None]) * wv, zero)
    else:
        g = g * xp.sum(coef, axis=1)[:, None] - coef
    if scale != 1.0:
        g = g * scale
    if m2 is not None:
        g = xp.where(m2, g, zero)
    return loss, xp.moveaxis(xp.reshape(g, moved_shape), -1, ax)


def _reduce(xp, per, reduction, denom, shape):
    """(loss, gradient scale) as ``_losses._reduce``; a scalar loss is a 0-d array."""
    if reduction == "none":
        return xp.reshape(per, shape), 1.0
    if reduction == "sum":
        return xp.sum(per), 1.0
    if not denom:
        return xp.zeros((), dtype=per.dtype, device=_device(per)), 0.0
    return xp.sum(per) / denom, 1.0 / denom


def check_weight(fname, xp, weight, n_classes, like):
    if weight is None:
        return None
    w = as_float(fname, xp, weight, "weight", like=like)
    if tuple(w.shape) != (n_classes,):
        raise ValueError(f"{fname}: 'weight' must have shape ({n_classes},) (one per class), "
                         f"got {tuple(w.shape)}")
    if not bool(xp.all(xp.isfinite(w))):
        raise ValueError(f"{fname}: 'weight' must be finite")
    return xp.astype(w, like.dtype)

