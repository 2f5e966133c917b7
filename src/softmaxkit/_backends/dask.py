"""The softmax family on Dask arrays: lazy, chunk-aware, exact.

Design: when every reduced axis lies within one chunk, each block is a whole set of
slices and goes through the native kernels (``map_blocks``). When a slice spans chunks,
a tree reduction (``da.reduction``) carries per block the statistics of the NumPy
reference, in its work precision: the block's maximum ``m``, the number ``c`` of entries
tied at it, the sum ``rest`` of the other entries' ``exp((x - m) / T)`` and the number
``k`` of ``+inf`` entries. Two sets combine exactly as the reference would have summed
them (``rest`` of the smaller maximum is rescaled by ``exp((m_i - M) / T)``), so the
slice's normalizer keeps ``log(c) + log1p(rest / c)``; a last blockwise pass turns
``(M, c, rest, k)`` into probabilities. The data is read twice: once for the statistics,
once for the output.
"""

from __future__ import annotations

import math

import numpy as np

from .._core import config as _config
from .._core import numerics as nm
from .._core import streaming as st
from .._core import validation as v
from . import composite, native, reference


def _numpy_backend():
    """The NumPy backend the blocks go through (the setting of the calling thread when the
    graph runs: native kernels unless ``set_backend("numpy")``)."""
    return native if _config.get_backend() == "native" else reference


def _within_chunks(x, axes) -> bool:
    return all(len(x.chunks[a]) == 1 for a in axes)


def _stats_dtype(x_dtype):
    w = nm.work_dtype(x_dtype)
    return np.dtype([("m", w), ("c", w), ("rest", w), ("k", w)])


# Elements per slab of a block: the statistics and the output are computed a slab at a
# time, so the work-precision temporaries (about six per element) stay near 50 MiB
# whatever the chunk size, and a worker's memory is the chunk plus that.
_SLAB = 1 << 20


def _slabs(n_rows: int, row_size: int):
    step = max(1, _SLAB // max(1, row_size))
    return [(s, min(s + step, n_rows)) for s in range(0, n_rows, step)]


def _block_stats(block, axis, keepdims, temperature, dtype):
    """(m, c, rest, k) of one block over ``axis``, as a structured array (keepdims)."""
    a = axis[0]
    if block.size > _SLAB and block.shape[a] > 1:
        # slabs along a reduced axis: each gives the statistics of its part, combined
        moved = np.moveaxis(block, a, 0)
        parts = [np.moveaxis(_slab_stats(moved[s:e], axis, a, temperature, dtype), 0, a)
                 for s, e in _slabs(moved.shape[0], moved[0].size)]
        out = _combine_stats(np.concatenate(parts, axis=a), (a,), True, temperature)
    else:
        out = _stats_of(block, axis, temperature, dtype)
    return out if keepdims else np.squeeze(out, axis=axis)


def _slab_stats(moved_slab, axis, a, temperature, dtype):
    return np.moveaxis(_stats_of(np.moveaxis(moved_slab, 0, a), axis, temperature, dtype),
                       a, 0)


def _stats_of(block, axis, temperature, dtype):
    xw = block.astype(dtype["m"])
    with np.errstate(all="ignore"):
        m = np.max(xw, axis=axis, keepdims=True, initial=-np.inf)
        q, q_lo = nm.shift_by(np, xw, m, temperature)
        e = nm.terms(np, q, q_lo)
        tie = q == 0
        out = np.empty(m.shape, dtype=dtype)
        out["m"] = m
        # a block whose maximum is +inf or NaN: its c and rest are never used
        out["c"] = np.sum(tie, axis=axis, keepdims=True)
        out["rest"] = np.sum(np.where(tie, 0, e), axis=axis, keepdims=True)
        out["k"] = np.sum(xw == np.inf, axis=axis, keepdims=True)
    return out


def _combine_stats(parts, axis, keepdims, temperature):
    """Merge the statistics of several blocks of the same slices (along ``axis``)."""
    with np.errstate(all="ignore"):
        m = parts["m"]
        top = np.max(m, axis=axis, keepdims=True)  # NaN if a block holds NaN
        same = m == top
        scale = np.where(same, 1, np.exp((m - top) / m.dtype.type(temperature)))
        scale = np.where(m == -np.inf, 0, scale)
        out = np.empty(top.shape, dtype=parts.dtype)
        out["m"] = top
        out["c"] = np.sum(np.where(same, parts["c"], 0), axis=axis, keepdims=True)
        out["rest"] = np.sum(np.where(same, parts["rest"], (parts["c"] + parts["rest"]) * scale),
                             axis=axis, keepdims=True)
        out["k"] = np.sum(parts["k"], axis=axis, keepdims=True)
    return out if keepdims else np.squeeze(out, axis=axis)


def _stats(x, axes, temperature):
    import dask.array as da

    dtype = _stats_dtype(x.dtype)
    return da.reduction(
        x,
        lambda b, axis, keepdims: _block_stats(b, axis, keepdims, temperature, dtype),
        lambda p, axis, keepdims: _combine_stats(p, axis, keepdims, temperature),
        combine=lambda p, axis, keepdims: _combine_stats(p, axis, keepdims, temperature),
        axis=axes, keepdims=True, dtype=dtype, concatenate=True, name="softmax-stats",
        meta=np.empty((0,) * x.ndim, dtype=dtype),
    )


def _finish_block(block, stats, *, temperature, log, out_dtype):
    """Probabilities (log-probabilities) of one block from its slices' statistics, a slab
    of rows at a time."""
    if block.ndim == 0 or block.size <= _SLAB:
        return _finish_slab(block, stats, temperature, log, out_dtype)
    out = np.empty(block.shape, dtype=out_dtype)
    for s, e in _slabs(block.shape[0], block[0].size):
        st = stats if stats.shape[0] == 1 else stats[s:e]
        out[s:e] = _finish_slab(block[s:e], st, temperature, log, out_dtype)
    return out


def _finish_slab(block, stats, temperature, log, out_dtype):
    xw = block.astype(stats.dtype["m"])
    m, c, rest, k = stats["m"], stats["c"], stats["rest"], stats["k"]
    with np.errstate(all="ignore"):
        q, q_lo = nm.shift_by(np, xw, m, temperature)
        if log:
            res = (q - nm.log_normalizer(np, c, rest)) + q_lo
        else:
            res = nm.terms(np, q, q_lo) / (c + rest)
        res = nm.finish_softmax(np, res, m, xw == np.inf, k, None, log=log)
    return res.astype(out_dtype)


def _native_block(block, *, axes, temperature, log):
    return _numpy_backend().softmax(block, axes, temperature=temperature, log=log)


def softmax(x, axes, *, temperature=1.0, where=None, log=False, negate=False):
    """Softmax (log-softmax) of a Dask array over ``axes``: lazy, the result's chunks
    those of ``x``. ``x`` is real floating; ``where`` a Dask bool array of its shape."""
    import dask.array as da

    if negate:
        x = -x
    empty = -math.inf if log else 0.0
    if where is not None:
        x = da.where(where, x, np.array(-np.inf, dtype=x.dtype))
    if x.size == 0:
        return da.zeros(x.shape, dtype=x.dtype, chunks=x.chunks)
    if not axes:
        axes = ()
        res = x.map_blocks(_native_block, axes=axes, temperature=temperature, log=log,
                           dtype=x.dtype)
    elif _within_chunks(x, axes):
        res = x.map_blocks(_native_block, axes=axes, temperature=temperature, log=log,
                           dtype=x.dtype)
    else:
        stats = _stats(x, axes, temperature)
        res = da.map_blocks(_finish_block, x, stats, temperature=temperature, log=log,
                            out_dtype=x.dtype, dtype=x.dtype)
    if where is not None:  # the mask wins over a slice made NaN by an unmasked NaN
        res = da.where(where, res, np.array(empty, dtype=x.dtype))
    return res


def _native_lse_block(block, *, axes, keepdims):
    return np.asarray(_numpy_backend().logsumexp(block, axes, keepdims=keepdims))


def logsumexp(x, axes, *, b=None, where=None, keepdims=False, return_sign=False):
    """logsumexp of a Dask array over ``axes`` (``x`` real floating), lazily."""
    import dask.array as da

    if b is not None or return_sign:
        return _weighted_logsumexp(x, axes, b, where, keepdims, return_sign)
    if where is not None:
        x = da.where(where, x, np.array(-np.inf, dtype=x.dtype))
    kept = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
    if any(x.shape[a] == 0 for a in axes) or x.size == 0:
        res = da.full(kept, -np.inf, dtype=x.dtype)
    elif _within_chunks(x, axes):
        chunks = tuple((1,) if i in axes else c for i, c in enumerate(x.chunks))
        res = x.map_blocks(_native_lse_block, axes=axes, keepdims=True, dtype=x.dtype,
                           chunks=chunks)
    else:
        # each block's logsumexp by the native kernel, then those partial results combined
        # as entries of one slice: exact, as the logsumexp of the partials equals the
        # whole's, and each partial is within an ulp
        dtype = _stats_dtype(x.dtype)
        res = da.reduction(
            x, lambda b, axis, keepdims: _partial_lse_stats(b, axis, dtype),
            lambda p, axis, keepdims: _combine_stats(p, axis, keepdims, 1.0),
            combine=lambda p, axis, keepdims: _combine_stats(p, axis, keepdims, 1.0),
            axis=axes, keepdims=True, dtype=dtype, concatenate=True, name="logsumexp-stats",
            meta=np.empty((0,) * x.ndim, dtype=dtype),
        ).map_blocks(_lse_from_stats, out_dtype=x.dtype, dtype=x.dtype)
    if not keepdims:
        res = da.squeeze(res, axis=axes)
    return res


def _partial_lse_stats(block, axis, dtype):
    """A block's logsumexp over ``axis`` (native kernel) as the statistics of one entry
    of that value: m = lse, c = 1, rest = 0."""
    lse = np.asarray(_numpy_backend().logsumexp(block, axis, keepdims=True))
    lse = lse.astype(dtype["m"])
    out = np.empty(lse.shape, dtype=dtype)
    out["m"], out["c"], out["rest"], out["k"] = lse, 1, 0, lse == np.inf
    return out


def _lse_from_stats(stats, *, out_dtype):
    m, c, rest = stats["m"], stats["c"], stats["rest"]
    with np.errstate(all="ignore"):
        res = m + (np.log(c) + np.log1p(rest / c))
        res = np.where(np.isfinite(m), res, m)  # +inf, -inf and NaN are the result
    return res.astype(out_dtype)


def smooth_max(x, axes, *, k=1.0, keepdims=False):
    """smooth_max of a Dask array: the statistics with temperature 1/k."""
    import dask.array as da

    kept = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
    if x.size == 0:
        res = da.full(kept, -np.inf, dtype=x.dtype)
    elif _within_chunks(x, axes):
        res = by_slices(_np_smooth_max, x, axes=axes, reduce=True, k=k)
    else:
        res = _stats(x, axes, 1.0 / k).map_blocks(_smooth_max_from_stats, k=k,
                                                  out_dtype=x.dtype, dtype=x.dtype)
    return res if keepdims else da.squeeze(res, axis=axes)


def _np_smooth_max(block, *, axes, k):
    return np.asarray(reference.smooth_max(block, axes, k=k, keepdims=True))


def _smooth_max_from_stats(stats, *, k, out_dtype):
    m, c, rest = stats["m"], stats["c"], stats["rest"]
    with np.errstate(all="ignore"):
        res = m + (np.log(c) + np.log1p(rest / c)) / m.dtype.type(k)
        res = np.where(np.isfinite(m), res, m)
    return res.astype(out_dtype)


def by_slices(fn, x, *others, axes, reduce=False, dtype=None, **kwargs):
    """``fn(block, *other_blocks, axes=axes, **kwargs)`` on blocks that hold whole
    slices: the reduced axes are rechunked into one chunk first (the others keep theirs).
    With ``reduce``, ``fn`` returns the block reduced over ``axes`` with keepdims."""
    import dask.array as da

    whole = {a: -1 for a in axes}
    x = x.rechunk(whole)
    others = [o.rechunk(x.chunks) if hasattr(o, "rechunk") else o for o in others]
    chunks = tuple((1,) if i in axes else c for i, c in enumerate(x.chunks)) if reduce \
        else x.chunks
    return da.map_blocks(fn, x, *others, axes=axes, chunks=chunks,
                         dtype=dtype or x.dtype, **kwargs)


# ---------------------------------------------------------------------- cross-entropy


def cross_entropy_nd(z, t, ax, *, kind, weight, ignore_index, ls, reduction, where,
                     return_grad):
    """cross_entropy on Dask logits (and targets): blockwise through the fused kernels,
    the class axis in one chunk; the reduction over samples is Dask's."""
    import dask.array as da

    index = kind == "index"
    weight = None if weight is None else np.asarray(weight)  # sent to every block
    if len(z.chunks[ax]) > 1:
        z = z.rechunk({ax: -1})  # a few classes: whole rows in each block
    if index:
        sample_chunks = tuple(c for i, c in enumerate(z.chunks) if i != ax)
        t = da.asarray(t).rechunk(sample_chunks)
        t_ind = tuple(i for i in range(z.ndim) if i != ax)
    else:
        t = da.asarray(t).rechunk(z.chunks)
        t_ind = tuple(range(z.ndim))
    z_ind = tuple(range(z.ndim))
    out_ind = t_ind if index else tuple(i for i in range(z.ndim) if i != ax)
    kwargs = dict(kind=kind, weight=weight, ignore_index=ignore_index, ls=ls)
    # the mask, when there is one, goes with the logits block by block
    operands = [z, z_ind, t, t_ind] + ([] if where is None else
                                       [where.rechunk(z.chunks), z_ind])

    def check(tb):
        # the kernels index by the labels: each block's are checked before they run
        if index:
            v.labels("cross_entropy", np, tb, z.shape[ax], ignore_index)

    def per_sample(zb, tb, wb=None):
        check(tb)
        return np.asarray(_numpy_backend().cross_entropy_nd(
            zb, tb, ax, reduction="none", where=wb, return_grad=False, grad_out=None,
            **kwargs))

    per = da.blockwise(per_sample, out_ind, *operands, dtype=z.dtype, concatenate=True)
    if index:
        wv = None if weight is None else np.asarray(weight)

        def counted_weight(tb):
            counted = np.ones(tb.shape, bool) if ignore_index is None else tb != ignore_index
            wy = np.ones(tb.shape) if wv is None else wv[np.where(counted, tb, 0)]
            return np.where(counted, wy, 0.0)

        denom = t.map_blocks(counted_weight, dtype=np.float64).sum()
    else:
        denom = math.prod(s for i, s in enumerate(z.shape) if i != ax)
    if reduction == "none":
        loss, scale = per, 1.0
    elif reduction == "sum":
        loss, scale = per.sum(), 1.0
    else:
        loss = da.where(denom > 0, per.sum() / da.maximum(denom, 1e-300), 0).astype(z.dtype)
        scale = da.where(denom > 0, 1.0 / da.maximum(denom, 1e-300), 0).astype(z.dtype)
    if not return_grad:
        return loss

    def grad_sum(zb, tb, wb=None):
        check(tb)
        return _numpy_backend().cross_entropy_nd(
            zb, tb, ax, reduction="sum", where=wb, return_grad=True, grad_out=None,
            **kwargs)[1]

    g = da.blockwise(grad_sum, z_ind, *operands, dtype=z.dtype, concatenate=True)
    return loss, g * scale if reduction == "mean" else g


# ------------------------------------------------------- whole slices in every block


def _hardmax_block(block, *, axes):
    return reference.hardmax(block, axes)


def hardmax(x, axes):
    """One-hot of the first maximum of each slice, block by block (whole slices)."""
    return by_slices(_hardmax_block, x, axes=axes)


def _std_norm_block(block, *, axes, fname):
    return reference.std_norm(block, axes, fname=fname)


def std_norm(x, axes, *, fname="std_norm"):
    """Plain normalization, checked block by block when computed (whole slices)."""
    return by_slices(_std_norm_block, x, axes=axes, fname=fname)


def _vjp_block(y, d, *, axes, temperature, log):
    return _numpy_backend().softmax_vjp(y, d, axes, temperature=temperature, log=log)


def softmax_vjp(y, d, axes, *, temperature=1.0, log=False):
    """The softmax / log_softmax backward, block by block (whole slices)."""
    return by_slices(_vjp_block, y, d, axes=axes, temperature=temperature, log=log)


def _lse_block(block, b, where, *, axes, sign, return_sign):
    res = _numpy_backend().logsumexp(block, axes, b=b, where=where, keepdims=True,
                                     return_sign=return_sign)
    if return_sign:
        return np.asarray(res[1 if sign else 0])
    return np.asarray(res)


def _weighted_logsumexp(arr, axes, b, where, keepdims, return_sign):
    """logsumexp with weights (or the sign) on Dask: whole slices per block. Without
    ``return_sign`` a negative sum is NaN, as in memory."""
    import dask.array as da

    b = da.ones_like(arr) if b is None else b
    where = da.ones(arr.shape, dtype=bool, chunks=arr.chunks) if where is None else where
    parts = [by_slices(_lse_block, arr, b, where, axes=axes, reduce=True, sign=sign,
                       return_sign=return_sign)
             for sign in ((False, True) if return_sign else (False,))]
    if not keepdims:
        parts = [da.squeeze(p, axis=axes) for p in parts]
    return tuple(parts) if return_sign else parts[0]


# ------------------------------------------------------------------ the sparse maps


def _entmax_block(block, *, axes, kind, alpha, n_iter):
    return _numpy_backend().entmax(block, axes, kind, alpha=alpha, n_iter=n_iter)


def _scalar_alpha(fname, alpha):
    if alpha is not None and not isinstance(alpha, float):
        raise TypeError(f"{fname}: on Dask arrays 'alpha' must be a number")
    return alpha


def entmax(x, axes, kind, *, where=None, alpha=None, n_iter=50):
    """sparsemax, entmax15 or entmax of a Dask array, lazily: blocks of whole slices
    (the reduced axes rechunked into one chunk), each through the NumPy backend."""
    import dask.array as da

    alpha = _scalar_alpha(kind, alpha)
    if where is not None:
        x = da.where(where, x, np.array(-np.inf, dtype=x.dtype))
    return by_slices(_entmax_block, x, axes=axes, kind=kind, alpha=alpha, n_iter=n_iter)


def _entmax_vjp_block(y, d, *, axes, alpha):
    return _numpy_backend().entmax_vjp(y, d, axes, alpha=alpha)


def _entmax_alpha_block(y, d, *, axes, alpha):
    _, da_ = reference.entmax_vjp(y, d, axes, alpha=alpha, alpha_grad=True)
    return np.full((1,) * y.ndim, da_, dtype=y.dtype)


def entmax_vjp(y, d, axes, *, alpha, alpha_grad=False):
    """The backward of the sparse maps on Dask arrays, blocks of whole slices; the
    gradient of a number ``alpha`` is the sum of the blocks' (a 0-d Dask array)."""
    import dask.array as da

    alpha = _scalar_alpha("entmax_backward", alpha)
    dx = by_slices(_entmax_vjp_block, y, d, axes=axes, alpha=alpha)
    if not alpha_grad:
        return dx
    whole = {a: -1 for a in axes}
    yy = y.rechunk(whole)
    per_block = da.map_blocks(_entmax_alpha_block, yy, d.rechunk(yy.chunks), axes=axes,
                              alpha=alpha, chunks=tuple((1,) * len(c) for c in yy.chunks),
                              dtype=y.dtype)
    return dx, per_block.sum()


def _dask_xp():
    import dask.array as da
    from array_api_compat import array_namespace  # Dask input: array-api-compat is there

    return array_namespace(da.zeros(1))


def softmax_sink(x, axes, sink, *, temperature=1.0, where=None, log=False):
    """Softmax (log-softmax) with a sink: each slice with its sink appended, lazily."""
    return composite.softmax_sink(_dask_xp(), softmax, x, axes, sink,
                                  temperature=temperature, where=where, log=log)


def logsumexp_sink(a, axes, sink, *, b=None, where=None, keepdims=False):
    """logsumexp with ``exp(sink)`` in each sum, lazily."""
    return composite.logsumexp_sink(_dask_xp(), logsumexp, a, axes, sink, b=b, where=where,
                                    keepdims=keepdims)


def _lcse_block(block, *, axis, reverse):
    return _numpy_backend().logcumsumexp(block, axis, reverse)


def logcumsumexp(x, axis, reverse=False):
    """The cumulative log-sum-exp: each block scanned by the NumPy backend, the blocks
    joined by a ``logaddexp`` of the carry (``dask.array``'s cumulative reduction)."""
    from dask.array.reductions import cumreduction

    if reverse:
        return logcumsumexp(x[(slice(None),) * axis + (slice(None, None, -1),)], axis)[
            (slice(None),) * axis + (slice(None, None, -1),)]

    def scan(block, axis=None, dtype=None, out=None):
        return _lcse_block(block, axis=axis, reverse=False)

    with np.errstate(all="ignore"):
        return cumreduction(scan, np.logaddexp, -np.inf, x, axis=axis, dtype=x.dtype)


def _state_dtype(x_dtype):
    return np.dtype([("m", x_dtype), ("s", np.float64), ("l", np.float64)])


def _state_block(block, axis, keepdims, dtype):
    """A block's log-sum-exp state over ``axis`` (the NumPy backend's kernel), as a
    structured array with the reduced axes kept."""
    state = _numpy_backend().lse_state(block, tuple(axis))
    kept = tuple(1 if i in axis else n for i, n in enumerate(block.shape))
    out = np.empty(kept, dtype=dtype)
    out["m"], out["s"], out["l"] = (np.reshape(a, kept) for a in state)
    return out


def _state_combine(parts, axis, keepdims):
    """The states of the blocks along ``axis`` merged in block order (``lse_merge``)."""
    axis = tuple(axis)
    rest = [i for i in range(parts.ndim) if i not in axis]
    moved = np.transpose(parts, list(axis) + rest)
    flat = moved.reshape((-1,) + moved.shape[len(axis):])
    merge = _numpy_backend().lse_merge
    total = st.LSEState(flat[0]["m"], flat[0]["s"], flat[0]["l"])
    for k in range(1, flat.shape[0]):
        total = merge(total, st.LSEState(flat[k]["m"], flat[k]["s"], flat[k]["l"]))
    kept = tuple(1 if i in axis else n for i, n in enumerate(parts.shape))
    out = np.empty(kept, dtype=parts.dtype)
    out["m"], out["s"], out["l"] = (np.reshape(a, kept) for a in total)
    return out if keepdims else np.squeeze(out, axis=axis)


def lse_state(x, axes, where=None):
    """The log-sum-exp state over ``axes``, lazily: each block's state from the NumPy
    backend's kernel, the blocks' states merged by ``lse_merge`` in a tree (the same
    primitives as one NumPy call, so any chunking gives its result within the merge's
    rounding)."""
    import dask.array as da

    given = x.dtype
    if x.dtype == np.float16:
        x = x.astype(np.float32)  # the blocks' kernels take float32; max is given back
    if where is not None:
        x = da.where(where, x, np.array(-np.inf, dtype=x.dtype))
    shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    if any(x.shape[a] == 0 for a in axes):
        return st.LSEState(da.full(shape, -np.inf, dtype=x.dtype), da.zeros(shape),
                           da.zeros(shape))
    dtype = _state_dtype(x.dtype)
    red = da.reduction(
        x, lambda b, axis, keepdims: _state_block(b, axis, keepdims, dtype),
        _state_combine, combine=_state_combine, axis=axes, keepdims=False, dtype=dtype,
        concatenate=True, name="lse-state", meta=np.empty((0,) * len(shape), dtype=dtype))
    m, s, lo = (red.map_blocks(lambda b, f=f: b[f], dtype=dtype[f]) for f in ("m", "s", "l"))
    return st.LSEState(m.astype(given), s, lo)


def lse_merge(a, b):
    """The merge of two states, lazily."""
    return st.merge(_dask_xp(), a, b)
