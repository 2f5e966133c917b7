"""The native backend: the C kernels from Python, NumPy arrays in, strided 3-D views out.

The kernels reduce over the middle axis of a view (outer, n, inner) given by a data
pointer and element strides. This module finds such a view of the caller's arrays
without copying whenever the layout allows (any strides, negative ones included, as
long as the dimensions before and after the reduced axes merge); otherwise it copies.
Everything passed to C has been validated by the API layer. Calls the kernels do not
take (other dtypes, temperatures beyond float32's range, layouts without a row form) go to
the NumPy reference, so this backend implements every operation the reference does.
"""

from __future__ import annotations

import math
import os

import numpy as np

from .._core import config as _config
from .._core import numerics as nm
from .._core import sparsemaps as sm
from .._core import streaming as st
from . import composite, reference

with _config.quiet_openmp_waits():
    from .._kernels import _ext

ISAS = ("baseline", "avx2", "avx512")
_STATUS = {1: MemoryError, 2: ValueError}

if os.environ.get("SOFTMAXKIT_ISA"):
    _name = os.environ["SOFTMAXKIT_ISA"].strip().lower()
    if _name in ISAS:
        _ext.set_isa(ISAS.index(_name))


def isa() -> str:
    """The instruction set the kernels use."""
    return ISAS[_ext.isa()]


def cpu_isa() -> str:
    """The best instruction set this CPU runs."""
    return ISAS[_ext.cpu_isa()]


def set_isa(name: str) -> str:
    """Use ``name`` (at most the CPU's best); returns the one now in use."""
    if name not in ISAS:
        raise ValueError(f"set_isa: 'name' must be one of {ISAS}, got {name!r}")
    return ISAS[_ext.set_isa(ISAS.index(name))]


def supports(arr: np.ndarray) -> bool:
    """Whether the kernels compute this dtype (float16 and bfloat16 through float32)."""
    return arr.dtype in (np.float16, np.float32, np.float64) or half_format(arr.dtype) == 1


def _merge(shape, strides, dims):
    """One (extent, stride) for ``dims`` of a strided array, or None if they do not merge."""
    extent, stride, prev = 1, 0, None
    for d in dims:
        if shape[d] == 1:
            continue
        if prev is not None and strides[prev] != strides[d] * shape[d]:
            return None
        extent = extent * shape[d] if prev is not None else shape[d]
        stride = strides[d]
        prev = d
    return extent, stride


def view3(arr: np.ndarray, axes: tuple[int, ...]):
    """``((outer, n, inner), (so, sn, si))`` of ``arr`` around consecutive ``axes``, or None."""
    lo, hi = min(axes), max(axes)
    if arr.flags.c_contiguous:  # the common case, without merging stride by stride
        shape = arr.shape
        n, inner = math.prod(shape[lo:hi + 1]), math.prod(shape[hi + 1:])
        return (math.prod(shape[:lo]), n, inner), (n * inner, inner, 1)
    if any(s % arr.itemsize for s in arr.strides):
        return None
    strides = [s // arr.itemsize for s in arr.strides]
    parts = [range(lo), range(lo, hi + 1), range(hi + 1, arr.ndim)]
    merged = [_merge(arr.shape, strides, p) for p in parts]
    if None in merged:
        return None
    return tuple(m[0] for m in merged), tuple(m[1] for m in merged)


def _call_softmax(x, y, shape, xs, ys, temperature, flags):
    status = _ext.softmax(
        x.dtype == np.float64, x, *shape, *xs, y, *ys,
        float(temperature), flags, _config.get_num_threads(),
    )
    if status:
        raise _STATUS[status]("softmax kernel failed")


def half_format(dtype) -> int | None:
    """The half kernel's storage format of ``dtype``: 0 float16, 1 bfloat16 (ml_dtypes),
    None for the others."""
    if dtype.itemsize != 2:  # first: dtype.name is a Python property, a microsecond a call
        return None
    if dtype == np.float16:
        return 0
    return 1 if dtype.name == "bfloat16" else None


def from_half(x: np.ndarray) -> np.ndarray:
    """float16 / bfloat16 ``x`` as float32, exactly (NumPy's own float16 cast runs an
    element at a time: 60x slower)."""
    fmt = half_format(x.dtype)
    src = np.ascontiguousarray(x)
    y = np.empty(x.shape, dtype=np.float32)
    if y.size:
        status = _ext.half_in(False, src.view(np.uint16), y, y.size, fmt,
                              _config.get_num_threads())
        if status:
            raise _STATUS[status]("conversion kernel failed")
    return y


def to_half(y: np.ndarray, dtype, out: np.ndarray | None = None) -> np.ndarray:
    """float32 ``y`` rounded once (to nearest even) to float16 / bfloat16 ``dtype``, into
    ``out`` when it is C-contiguous and of that dtype."""
    fmt = half_format(np.dtype(dtype))
    if y.dtype != np.float32:
        with np.errstate(over="ignore"):
            return y.astype(dtype) if out is None else np.copyto(out, y, casting="unsafe")
    src = np.ascontiguousarray(y)
    dst = out if out is not None and out.flags.c_contiguous and out.dtype == dtype else \
        np.empty(y.shape, dtype=dtype)
    if dst.size:
        status = _ext.half_out(False, src, dst.view(np.uint16), dst.size, fmt,
                               _config.get_num_threads())
        if status:
            raise _STATUS[status]("conversion kernel failed")
    if out is not None and dst is not out:
        np.copyto(out, dst)
        return out
    return dst


def half_rows(x, axes, kind, *, temperature=1.0, out=None):
    """softmax (kind 0), log_softmax (1) or logsumexp (2) of float16 / bfloat16 ``x`` over
    its last axis by the half kernel ([Note: half-precision storage]), when the rows are
    contiguous (and ``out``, if given, is of ``x``'s dtype and layout); None otherwise."""
    fmt = half_format(x.dtype)
    if (fmt is None or axes != (x.ndim - 1,) or x.ndim == 0 or x.size == 0
            or not x.flags.c_contiguous):
        return None
    n = x.shape[-1]
    rows = x.size // n
    if kind == 2:
        y = np.empty(x.shape[:-1], dtype=x.dtype)
    elif out is None:
        y = np.empty_like(x)
    elif out.dtype == x.dtype and out.flags.c_contiguous and (
            not np.may_share_memory(out, x) or out.ctypes.data == x.ctypes.data):
        y = out
    else:
        return None
    status = _ext.half(False, x.view(np.uint16), rows, n, n, y.view(np.uint16),
                       1 if kind == 2 else n, fmt, kind, float(temperature),
                       _config.get_num_threads())
    if status:
        raise _STATUS[status]("half kernel failed")
    return y


def _softmax_kernel(x, axes, *, temperature=1.0, log=False, negate=False, out=None):
    """Softmax (log-softmax) of ``x`` over ``axes`` into ``out`` (or a new array)."""
    result_dtype = x.dtype
    if x.size == 0:  # nothing to compute; an empty array's strides need not merge
        return out if out is not None else np.empty(x.shape, dtype=result_dtype)
    if not negate:
        y = half_rows(x, axes, 1 if log else 0, temperature=temperature, out=out)
        if y is not None:
            return y
    if half_format(x.dtype) is not None:
        x = from_half(x)
    flags = (1 if log else 0) | (2 if negate else 0)
    consecutive = len(axes) == 1 or sorted(axes) == list(range(min(axes), max(axes) + 1))
    v = view3(x, axes) if consecutive else None
    if v is None:
        # The reduced axes do not merge in place: move them last in a contiguous copy.
        rest = [d for d in range(x.ndim) if d not in axes]
        moved = np.ascontiguousarray(np.transpose(x, rest + sorted(axes)))
        k = len(axes)
        ymoved = _softmax_kernel(moved, tuple(range(x.ndim - k, x.ndim)), temperature=temperature,
                         log=log, negate=negate)
        y = np.transpose(ymoved, np.argsort(rest + sorted(axes)))
        with np.errstate(over="ignore"):
            if out is not None:
                np.copyto(out, y)
                return out
            return y.astype(result_dtype, copy=False)

    shape, xs = v
    direct = out is not None and out.dtype == x.dtype
    if direct and np.may_share_memory(out, x) and not (
        out.ctypes.data == x.ctypes.data and out.strides == x.strides
    ):
        x = x.copy()  # partial overlap: read from a copy
        shape, xs = view3(x, axes)
    y = out if direct else np.empty_like(x)
    yv = view3(y, axes)
    if yv is None or yv[0] != shape:
        y = np.empty_like(x)
        yv = view3(y, axes)
    if x.size:
        _call_softmax(x, y, shape, xs, yv[1], temperature, flags)
    if (out is None or y is out) and y.dtype == result_dtype:
        return y
    if half_format(result_dtype) is not None:  # one rounding, beyond the range: +-inf
        return to_half(y, result_dtype, out)
    with np.errstate(over="ignore"):
        if out is not None and y is not out:
            np.copyto(out, y, casting="same_kind")
            return out
        return y.astype(result_dtype)


def _logsumexp_kernel(x, axes, *, keepdims=False):
    """log(sum(exp(x))) over ``axes`` (no weights)."""
    result_dtype, orig_shape = x.dtype, x.shape
    if x.size == 0:  # an empty sum is -inf; its strides need not merge
        return np.full(nm.reduced_shape(orig_shape, axes, keepdims), -np.inf,
                       dtype=result_dtype)
    y = half_rows(x, axes, 2)
    if y is not None:
        return y[..., None] if keepdims else y
    if half_format(x.dtype) is not None:
        x = from_half(x)
    consecutive = len(axes) == 1 or sorted(axes) == list(range(min(axes), max(axes) + 1))
    v = view3(x, axes) if consecutive else None
    if v is None:
        rest = [d for d in range(x.ndim) if d not in axes]
        x = np.ascontiguousarray(np.transpose(x, rest + sorted(axes)))
        v = view3(x, tuple(range(len(rest), x.ndim)))
    (outer, n, inner), xs = v
    y = np.empty((outer, inner), dtype=x.dtype)
    if outer * inner:
        if n == 0:
            y.fill(-np.inf)
        else:
            status = _ext.logsumexp(
                x.dtype == np.float64, x, outer, n, inner, *xs,
                y, inner, 1, _config.get_num_threads(),
            )
            if status:
                raise _STATUS[status]("logsumexp kernel failed")
    res = y.reshape(nm.reduced_shape(orig_shape, axes, keepdims))
    if res.dtype == result_dtype:
        return res
    if half_format(result_dtype) is not None:
        return to_half(res, result_dtype)
    with np.errstate(over="ignore"):
        return res.astype(result_dtype)


def xent_rows(z2: np.ndarray, y: np.ndarray, rs: np.ndarray, g2: np.ndarray) -> np.ndarray | None:
    """Fused cross-entropy of rows: ``g2 = rs * (softmax(z2) - onehot(y))`` and the per-row
    ``logsumexp(z2) - z2[y]``; None when the layout is not rows of contiguous classes.
    float16 and bfloat16 rows are computed in float32 a row at a time, the gradient
    rounded once to their format."""
    fmt = half_format(z2.dtype)
    if (z2.dtype not in (np.float32, np.float64) and fmt is None) or g2.dtype != z2.dtype:
        return None
    if z2.shape[0] == 0:  # no rows (an empty array's strides say nothing)
        return np.empty(0)
    item = z2.itemsize
    if z2.strides[1] != item or g2.strides[1] != item or z2.strides[0] % item or \
            g2.strides[0] % item:
        return None
    rows, n_classes = z2.shape
    yy = np.ascontiguousarray(y, dtype=np.int64)
    r = np.ascontiguousarray(rs, dtype=np.float64)
    nll = np.empty(rows, dtype=np.float64)
    if fmt is not None:
        status = _ext.xent_half(False, z2.view(np.uint16), rows, n_classes,
                                z2.strides[0] // item, yy, 1, r, g2.view(np.uint16),
                                g2.strides[0] // item, nll, fmt, _config.get_num_threads())
    else:
        status = _ext.xent(z2.dtype == np.float64, z2, rows, n_classes,
                           z2.strides[0] // item, yy, 1, r,
                           g2, g2.strides[0] // item, nll,
                           _config.get_num_threads())
    if status:
        raise _STATUS[status]("cross-entropy kernel failed")
    return nll


def _softmax_backward_kernel(y: np.ndarray, dy: np.ndarray, axes: tuple[int, ...], *, log: bool,
                             scale: float) -> np.ndarray | None:
    """The backward kernel when every slice is a contiguous row of ``y``, ``dy`` and a
    fresh result (the last axis, after merging); None otherwise."""
    if y.dtype not in (np.float32, np.float64) or dy.dtype != y.dtype or y.ndim == 0:
        return None
    if sorted(axes) != list(range(y.ndim - len(axes), y.ndim)):
        return None
    dx = np.empty_like(y, order="C")
    views = [view3(a, axes) for a in (y, dy, dx)]
    if any(v is None or v[0][2] != 1 or (v[1][1] != 1 and v[0][1] > 1) for v in views):
        return None
    (outer, n, _), _ = views[0]
    if outer * n:
        status = _ext.softmax_backward(
            y.dtype == np.float64, y, views[0][1][0], dy, views[1][1][0],
            dx, views[2][1][0], outer, n, 1 if log else 0, float(scale),
            _config.get_num_threads())
        if status:
            raise _STATUS[status]("softmax backward kernel failed")
    return dx


# ------------------------------------------------------------- the backend's operations


def accepts(arr: np.ndarray, axes: tuple[int, ...], temperature: float = 1.0) -> bool:
    """Whether the kernels compute this call (else the NumPy reference does)."""
    if not axes or not supports(arr):
        return False
    # float32 kernels hold the temperature in float32 range with room to spare
    return arr.dtype == np.float64 or 1e-30 <= temperature <= 1e30


def softmax(x, axes, *, temperature=1.0, where=None, log=False, negate=False, out=None):
    """Softmax (log-softmax; of ``-x`` with ``negate``) over ``axes``, into ``out`` when
    given."""
    if not accepts(x, axes, temperature):
        return reference.softmax(x, axes, temperature=temperature, where=where, log=log,
                                 negate=negate, out=out)
    if where is not None:
        # masked entries weigh nothing: -inf (+inf before negation) gives exactly the
        # masked semantics, NaN and inf in masked entries included
        fill = np.array(np.inf if negate else -np.inf, dtype=x.dtype)
        x = np.where(where, x, fill)
    res = _softmax_kernel(x, axes, temperature=temperature, log=log, negate=negate, out=out)
    if where is not None:  # the mask wins over a slice made NaN by an unmasked NaN
        np.copyto(res, -np.inf if log else 0.0, where=~where)
    return res


def logsumexp(a, axes, *, b=None, where=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over ``axes``; weights go to the reference."""
    if b is not None or not accepts(a, axes):
        return reference.logsumexp(a, axes, b=b, where=where, keepdims=keepdims,
                                   return_sign=return_sign)
    if where is not None:
        a = np.where(where, a, np.array(-np.inf, dtype=a.dtype))
    res = _logsumexp_kernel(a, axes, keepdims=keepdims)
    if not return_sign:
        return res
    with np.errstate(invalid="ignore"):
        sgn = np.where(np.isnan(res), np.nan, np.where(res == -np.inf, 0, 1))
    return res, sgn.astype(res.dtype)


smooth_max = reference.smooth_max
hardmax = reference.hardmax
std_norm = reference.std_norm


def softmax_vjp(y, d, axes, *, temperature=1.0, log=False):
    """The backward kernel where every slice is a contiguous row, else the reference."""
    if axes:
        dx = _softmax_backward_kernel(y, d, axes, log=log, scale=1.0 / temperature)
        if dx is None and sorted(axes) == list(range(y.ndim - len(axes), y.ndim)):
            # rows that are not contiguous (a broadcast upstream gradient, a transposed
            # view): one copy into rows costs far less than the reference's passes
            dx = _softmax_backward_kernel(np.ascontiguousarray(y), np.ascontiguousarray(d),
                                          axes, log=log, scale=1.0 / temperature)
        if dx is not None:
            return dx
    return reference.softmax_vjp(y, d, axes, temperature=temperature, log=log)


def _row_lse(wide, where):
    return logsumexp(wide, (1,), where=where)


def _row_softmax(z2, where):
    return softmax(z2, (1,), where=where)


def fuses_cross_entropy(index_target: bool, where, label_smoothing, return_grad: bool) -> bool:
    """Whether :func:`cross_entropy_nd` takes the fused kernel: class-index targets, no
    mask, no smoothing, a gradient asked for. (The only route of float16 / bfloat16
    logits other than float32 copies: the dispatch asks the same question first.)"""
    return index_target and where is None and label_smoothing == 0 and return_grad


def cross_entropy_nd(z, target, ax, *, kind, weight, ignore_index, ls, reduction, where,
                     return_grad, grad_out):
    """Cross-entropy with the fused kernel where it applies (:func:`fuses_cross_entropy`),
    else the reference's computation on the kernels' logsumexp and softmax."""
    if fuses_cross_entropy(kind == "index", where, ls, return_grad):
        fused = _fused(z, target, ax, weight, ignore_index, reduction, grad_out)
        if fused is not None:
            return fused
    return reference.cross_entropy_nd(
        z, target, ax, kind=kind, weight=weight, ignore_index=ignore_index, ls=ls,
        reduction=reduction, where=where, return_grad=return_grad, grad_out=grad_out,
        lse_fn=_row_lse, softmax_fn=_row_softmax)


def _fused(z, t, ax, w, ignore_index, reduction, go):
    """The fused kernel: loss and gradient in one pass over each row, the gradient written
    straight into ``grad_out`` (the logits themselves, if asked) when its rows are
    contiguous, so the extra memory is O(rows). None when the layout does not allow it."""
    z2, moved_shape = reference.to_rows(z, ax)
    half = half_format(z.dtype) is not None
    if half and z2.strides[1] != z2.itemsize:
        z2 = np.ascontiguousarray(z2)  # float16 / bfloat16 have no other route
    y = t.reshape(-1)
    counted = np.ones(y.shape, bool) if ignore_index is None else y != ignore_index
    ys = np.where(counted, y, 0)
    wy = np.where(counted, 1.0 if w is None else w[ys].astype(np.float64), 0.0)
    denom = float(np.sum(wy))
    scale = (1.0 / denom if denom else 0.0) if reduction == "mean" else 1.0
    g2 = None
    if go is not None:
        g2 = reference.class_last(go, ax).reshape(-1, z2.shape[1])
        if not np.shares_memory(g2, go):
            g2 = None
    out = g2 if g2 is not None else np.empty_like(z2)
    nll = xent_rows(z2, ys, wy * scale, out)
    if nll is None:
        return None
    # a loss of float16 / bfloat16 logits stays float32 (a sum of many terms)
    loss_dtype = np.dtype(np.float32) if half else z.dtype
    loss, _ = reference.finish_loss(wy * nll, reduction, denom, loss_dtype, moved_shape[:-1])
    if go is not None:
        if g2 is None:
            np.copyto(reference.class_last(go, ax), out.reshape(moved_shape))
        return loss, go
    return loss, reference.class_back(out.reshape(moved_shape), ax)


def linear_cross_entropy(x, w, b, y, **kwargs):
    """The reference's chunked loop, with the fused kernel for each chunk."""
    return reference.linear_cross_entropy(x, w, b, y, ce=cross_entropy_nd, **kwargs)


# ------------------------------------------------------------------ the sparse maps

# kind -> the sparse kernel's kind argument (α-entmax by bisection is the reference's)
_SPARSE_KIND = {"sparsemax": 0, "entmax15": 1}
_SPARSE_ALPHA = {2.0: 0, 1.5: 1}


def _as_rows(a: np.ndarray, axes: tuple[int, ...]):
    """``a`` with ``axes`` moved last and merged, as C-contiguous rows (a view when they
    already are), and how to put a result of that layout back."""
    rest = [i for i in range(a.ndim) if i not in axes]
    order = rest + sorted(axes)
    moved = a if order == list(range(a.ndim)) else np.transpose(a, order)
    n = math.prod(moved.shape[len(rest):])
    rows = np.ascontiguousarray(moved).reshape(-1, n)

    def back(r2):
        r = r2.reshape(moved.shape)
        return r if order == list(range(a.ndim)) else np.transpose(r, np.argsort(order))

    return rows, back


def _sparse_rows(x2: np.ndarray, kind: int, out2: np.ndarray | None = None) -> np.ndarray:
    out2 = np.empty_like(x2) if out2 is None else out2
    rows, n = x2.shape
    if rows * n:
        status = _ext.sparse(x2.dtype == np.float64, x2, rows, n, n, out2, n, kind,
                             _config.get_num_threads())
        if status:
            raise _STATUS[status]("sparse map kernel failed")
    return out2


def _bisect_rows(x2: np.ndarray, alpha, n_iter: int) -> np.ndarray:
    """α-entmax of rows by the bisection kernel; ``alpha`` a number or one per row."""
    out2 = np.empty_like(x2)
    rows, n = x2.shape
    a = np.ascontiguousarray(np.reshape(alpha, -1), dtype=np.float64)
    if rows * n:
        status = _ext.entmax_bisect(x2.dtype == np.float64, x2, rows, n, n, a,
                                    0 if a.size == 1 else 1, out2, n, int(n_iter),
                                    _config.get_num_threads())
        if status:
            raise _STATUS[status]("entmax bisection kernel failed")
    return out2


def entmax(x, axes, kind, *, where=None, alpha=None, n_iter=50, out=None):
    """sparsemax, 1.5-entmax and α-entmax through the kernels (float32 and float64);
    float16, single-entry slices and α = 1 in a per-slice ``alpha`` through the
    reference."""
    use = x.dtype in (np.float32, np.float64) and bool(axes) and x.size > 0
    a = None
    if kind == "entmax" and use:
        a = alpha if isinstance(alpha, float) else \
            sm.alpha_rows(np, alpha, x.shape, axes, np.float64)
        use = not np.any(np.asarray(a) == 1)  # softmax's rows: the reference's
    if not use:
        return reference.entmax(x, axes, kind, where=where, alpha=alpha, n_iter=n_iter,
                                out=out)
    if where is not None:
        x = np.where(where, x, np.array(-np.inf, dtype=x.dtype))
    x2, back = _as_rows(x, axes)
    res = back(_bisect_rows(x2, a, n_iter) if kind == "entmax" else
               _sparse_rows(x2, _SPARSE_KIND[kind]))
    if out is not None:
        np.copyto(out, res)
        return out
    return np.ascontiguousarray(res) if res.ndim else res


def entmax_vjp(y, d, axes, *, alpha, alpha_grad=False):
    """The sparse maps' backward kernel for sparsemax and 1.5-entmax (float32, float64)."""
    k = _SPARSE_ALPHA.get(alpha) if isinstance(alpha, float) and not alpha_grad else None
    if k is None or y.dtype not in (np.float32, np.float64) or d.dtype != y.dtype or not axes \
            or not y.size:
        return reference.entmax_vjp(y, d, axes, alpha=alpha, alpha_grad=alpha_grad)
    y2, back = _as_rows(y, axes)
    d2, _ = _as_rows(d, axes)
    dx2 = np.empty_like(y2)
    rows, n = y2.shape
    if rows * n:
        status = _ext.sparse_backward(y.dtype == np.float64, y2, n, d2, n, dx2, n, rows, n, k,
                                      _config.get_num_threads())
        if status:
            raise _STATUS[status]("sparse map backward kernel failed")
    return np.ascontiguousarray(back(dx2))


def _map_rows(xp, z2, kind, *, alpha, n_iter):
    z2 = np.ascontiguousarray(z2)
    if kind == "entmax":
        if alpha == 1.0:
            return sm.entmax_rows(np, z2, kind, alpha=alpha, n_iter=n_iter)
        return _bisect_rows(z2, alpha, n_iter)
    return _sparse_rows(z2, _SPARSE_KIND[kind])


_FY_KIND = {"sparsemax": 0, "entmax15": 1, "entmax": 2}


def fenchel_young(z, t, ax, **options):
    """The Fenchel–Young losses: the fused kernel where it applies (class indices, no
    mask, no smoothing), else the reference's computation with the maps of the rows
    through the kernels."""
    if (options["target_kind"] == "index" and options["where"] is None
            and options["ls"] == 0 and z.dtype in (np.float32, np.float64) and z.size
            and not (options["kind"] == "entmax" and options["alpha"] == 1.0)):
        return _fused_fy(z, t, ax, **options)
    return reference.fenchel_young(z, t, ax, map_rows=_map_rows, **options)


def _fused_fy(z, t, ax, *, kind, alpha, n_iter, weight, ignore_index, reduction,
              return_grad, **_):
    """Loss and gradient in one pass over each row (``sk_fy``); the rows whose maximum is
    not finite (the kernel's NaN) are computed again by the reference."""
    z2, moved_shape = reference.to_rows(z, ax)
    z2 = np.ascontiguousarray(z2)
    rows, n_classes = z2.shape
    y = t.reshape(-1)
    counted = np.ones(y.shape, bool) if ignore_index is None else y != ignore_index
    ys = np.ascontiguousarray(np.where(counted, y, 0), dtype=np.int64)
    omega = np.where(counted, 1.0 if weight is None else weight[ys].astype(np.float64), 0.0)
    denom = float(np.sum(omega))
    scale = (1.0 / denom if denom else 0.0) if reduction == "mean" else 1.0
    g2 = np.empty_like(z2)
    nll = np.empty(rows, dtype=np.float64)
    rs = np.ascontiguousarray(omega * scale)
    status = _ext.fy(z2.dtype == np.float64, z2, rows, n_classes, n_classes, ys, 1, rs, g2,
                     n_classes, nll, _FY_KIND[kind], float(alpha or 0.0), int(n_iter),
                     _config.get_num_threads())
    if status:
        raise _STATUS[status]("Fenchel-Young loss kernel failed")
    redo = np.flatnonzero(np.isnan(nll) & (omega != 0))
    if redo.size:
        per, g = reference.fenchel_young(
            z2[redo], ys[redo], 1, kind=kind, alpha=alpha, n_iter=n_iter,
            target_kind="index", weight=None, ignore_index=None, ls=0.0, reduction="none",
            where=None, return_grad=True)
        nll[redo] = per
        g2[redo] = g * rs[redo, None].astype(g.dtype)
    loss, _ = reference.finish_loss(omega * nll, reduction, denom, z.dtype, moved_shape[:-1])
    if not return_grad:
        return loss
    return loss, reference.class_back(g2.reshape(moved_shape), ax)


# ------------------------------------------------------- attention, segments, scans


def _kernel_dtype(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) if x.dtype == np.float16 else x


def _delivered(y: np.ndarray, out, written: bool, dtype) -> np.ndarray:
    """A kernel's result ``y`` as the caller gets it: in ``out`` (copied there unless the
    kernel ``written`` it already), else in ``dtype`` (float16 beyond its range: inf)."""
    with np.errstate(over="ignore"):
        if out is not None:
            if not written:
                np.copyto(out, y, casting="unsafe")
            return out
        return y if y.dtype == dtype else y.astype(dtype)


def _elements(a: np.ndarray, dims: int) -> list[int]:
    """The last ``dims`` strides of ``a`` in elements (0 where broadcast)."""
    return [s // a.itemsize for s in a.strides[a.ndim - dims:]]


def attention(x, *, scale, bias, mask, slopes, causal, sink, log=False, temperature=1.0,
              out=None):
    """The attention scores' softmax through the fused row kernel (float16 through
    float32); ``x`` of any shape, the rows its last axis, heads its axis -3."""
    res_dtype = x.dtype
    x = _kernel_dtype(x)
    shape = x.shape
    S = shape[-1] if x.ndim else 1
    L = shape[-2] if x.ndim >= 2 else 1
    H = shape[-3] if x.ndim >= 3 else 1
    B = math.prod(shape[:-3]) if x.ndim > 3 else 1
    shape4 = (B, H, L, S)
    x4 = np.ascontiguousarray(x).reshape(shape4)
    # out itself when it can take the rows (in place only exactly over x)
    direct = out is not None and out.dtype == x.dtype and out.flags.c_contiguous and not (
        np.may_share_memory(out, x4) and out.ctypes.data != x4.ctypes.data)
    y4 = out.reshape(shape4) if direct else np.empty(shape4, x.dtype)
    zeros3 = [0, 0, 0]
    b4 = bs = None
    bj = 0
    if bias is not None:
        b4 = np.broadcast_to(np.asarray(bias, dtype=x.dtype), shape).reshape(shape4)
        *bs, bj = _elements(b4, 4)
    m4 = ms = None
    mj = 0
    if mask is not None:
        m4 = np.broadcast_to(mask, shape).reshape(shape4).view(np.uint8)
        *ms, mj = _elements(m4, 4)
    s3 = ss = None
    if sink is not None:
        # the sink comes with the reduced axis kept as 1
        s3 = np.broadcast_to(np.asarray(sink, dtype=np.float64),
                             shape[:-1] + (1,))[..., 0].reshape(shape4[:3])
        ss = _elements(s3, 3)
    sl = None if slopes is None else np.ascontiguousarray(slopes, dtype=np.float64)
    rows = B * H * L
    if rows * S:
        status = _ext.attention(
            x.dtype == np.float64, x4, rows, S, S, H, L, float(scale), float(temperature),
            0 if b4 is None else b4, *(bs or zeros3), bj, 0 if m4 is None else m4,
            *(ms or zeros3), mj, 0 if sl is None else sl, int(causal),
            0 if s3 is None else s3, *(ss or zeros3), y4, S, 1 if log else 0,
            _config.get_num_threads())
        if status:
            raise _STATUS[status]("attention kernel failed")
    return _delivered(y4.reshape(shape), out, direct, res_dtype)


def softmax_sink(x, axes, sink, *, temperature=1.0, where=None, log=False, out=None):
    """Softmax with a sink: rows of the last axis through the attention kernel; other
    layouts through the composition (the sink appended to each slice)."""
    if axes != (x.ndim - 1,) or not x.size or x.dtype not in (np.float16, np.float32,
                                                               np.float64):
        res = composite.softmax_sink(np, softmax, x, axes, sink, temperature=temperature,
                                     where=where, log=log)
        return reference._finish(res, out)
    return attention(x, scale=1.0, bias=None, mask=where, slopes=None, causal=0, sink=sink,
                     log=log, temperature=temperature, out=out)


def logsumexp_sink(a, axes, sink, *, b=None, where=None, keepdims=False):
    """logsumexp with ``exp(sink)`` in each sum, on the logsumexp kernel."""
    return composite.logsumexp_sink(np, logsumexp, a, axes, sink, b=b, where=where,
                                    keepdims=keepdims)


def segments(x, offsets, kind):
    """softmax, log_softmax or logsumexp of the CSR segments of ``x``'s first axis
    (``x`` of shape (N, K)), each column on its own, by the segment kernel."""
    res_dtype = x.dtype
    xk = _kernel_dtype(x)
    n, k = xk.shape
    nseg = offsets.size - 1
    rows = np.ascontiguousarray(xk.T)  # (K, N): each column's segments contiguous
    offs = (offsets[:-1][None, :] + n * np.arange(k, dtype=np.int64)[:, None]).ravel()
    offs = np.ascontiguousarray(np.append(offs, n * k), dtype=np.int64)
    code = {"softmax": 0, "log_softmax": 1, "logsumexp": 2}[kind]
    y = np.empty(nseg * k if code == 2 else n * k, dtype=xk.dtype)
    if y.size:
        status = _ext.segments(xk.dtype == np.float64, rows, n * k, offs, nseg * k, y, code,
                               _config.get_num_threads())
        if status:
            raise _STATUS[status]("segment kernel failed")
    res = y.reshape(k, nseg if code == 2 else n).T
    with np.errstate(over="ignore"):
        return np.ascontiguousarray(res, dtype=res_dtype)


def logcumsumexp(x, axis, reverse=False, out=None):
    """The cumulative log-sum-exp along ``axis`` by the compensated scan kernel."""
    res_dtype = x.dtype
    xk = _kernel_dtype(x)
    v = view3(xk, (axis,))
    if v is None:
        xk = np.ascontiguousarray(xk)
        v = view3(xk, (axis,))
    shape, xs = v
    direct = out is not None and out.dtype == xk.dtype
    y = out if direct else np.empty_like(xk)
    if direct and np.may_share_memory(y, xk) and not (
            y.ctypes.data == xk.ctypes.data and y.strides == xk.strides):
        xk = xk.copy()
        shape, xs = view3(xk, (axis,))
    yv = view3(y, (axis,))
    if yv is None or yv[0] != shape:
        y = np.empty_like(xk)
        yv = view3(y, (axis,))
    if xk.size:
        status = _ext.logcumsumexp(xk.dtype == np.float64, xk, *shape, *xs, y, *yv[1],
                                   1 if reverse else 0, _config.get_num_threads())
        if status:
            raise _STATUS[status]("logcumsumexp kernel failed")
    return _delivered(y, out, y is out, res_dtype)


def lse_state(x, axes, where=None):
    """The log-sum-exp state over ``axes`` by the row kernel (the axes moved last); with a
    mask, or float16, the reference's."""
    if where is not None or x.dtype not in (np.float32, np.float64) or not axes or \
            any(x.shape[a] == 0 for a in axes):
        return reference.lse_state(x, axes, where)
    rows2, _ = _as_rows(x, axes)
    shape = tuple(s for i, s in enumerate(x.shape) if i not in axes)
    r, n = rows2.shape
    m = np.empty(r, x.dtype)
    s, sl = np.empty(r), np.empty(r)
    if r:
        status = _ext.lse_state(x.dtype == np.float64, rows2, r, n, n, m, s, sl,
                                _config.get_num_threads())
        if status:
            raise _STATUS[status]("lse_state kernel failed")
    return st.LSEState(m.reshape(shape), s.reshape(shape), sl.reshape(shape))


def lse_merge(a, b):
    """The merge of two states, element by element in one pass (shapes broadcast)."""
    if a.max.dtype not in (np.float32, np.float64) or a.sum.dtype != np.float64:
        return reference.lse_merge(a, b)
    arrs = np.broadcast_arrays(a.max, a.sum, a.sum_lo, b.max, b.sum, b.sum_lo)
    arrs = [np.asarray(v, order="C") for v in arrs]  # ascontiguousarray makes 0-d 1-d
    shape = arrs[0].shape
    m = np.empty(shape, a.max.dtype)
    s, sl = np.empty(shape), np.empty(shape)
    if m.size:
        status = _ext.lse_merge(a.max.dtype == np.float64, *arrs, m.size, m, s, sl,
                                _config.get_num_threads())
        if status:
            raise _STATUS[status]("lse_merge kernel failed")
    return st.LSEState(m, s, sl)


def categorical(rows, *, temperature, top_k, top_p, min_p, u):
    """The draws of :func:`reference.categorical`, by the kernel ([Note: sampling by
    inverse CDF]); rows of other dtypes take the reference."""
    if rows.dtype not in (np.float32, np.float64):
        return reference.categorical(rows, temperature=temperature, top_k=top_k,
                                     top_p=top_p, min_p=min_p, u=u)
    rows = np.asarray(rows, order="C")
    u = np.asarray(u, dtype=np.float64, order="C")
    r, n = rows.shape
    out = np.empty(u.shape, dtype=np.int64)
    if out.size:
        status = _ext.sample(rows.dtype == np.float64, rows, r, n, n, float(temperature),
                             int(top_k), float(top_p), float(min_p), u, u.shape[1], out,
                             _config.get_num_threads())
        if status:
            raise _STATUS[status]("sample kernel failed")
    return out
