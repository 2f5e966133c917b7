"""SoftmaxClassifier on Dask arrays: data-parallel minibatch training and lazy prediction.

Design: the rows are cut into minibatches of ``batch_size`` that never cross a block
boundary, so each one is a slice of one block (read alone from a memory-mapped or Zarr
source). Each step sends one minibatch to each worker; a worker computes the summed loss
and gradient of its minibatch with the fused cross-entropy kernel, and the client adds
them up, divides by their total weight and takes the optimizer step on the small weight
matrix. The data never has to fit in one process: only the weights travel, both ways.
A step over P workers is one minibatch of P × batch_size rows.
"""

from __future__ import annotations

import os

import numpy as np

from .._api.losses import cross_entropy
from . import training
from .training import Trainer, TrainingState


def _client_workers() -> int:
    """How many minibatches a step computes at once: the workers of the active
    distributed Client, else the threads of the local scheduler."""
    try:
        from distributed import get_client

        return max(1, len(get_client().scheduler_info(n_workers=-1)["workers"]))
    except (ImportError, ValueError):
        return max(1, min(4, os.cpu_count() or 1))


def _memory_budget() -> float:
    """Bytes of data worth keeping in memory for training: a quarter of the cluster's
    worker memory (or of this machine's RAM without a distributed Client)."""
    try:
        from distributed import get_client

        workers = get_client().scheduler_info(n_workers=-1)["workers"].values()
        return 0.25 * sum(w.get("memory_limit") or 0 for w in workers)
    except (ImportError, ValueError):
        try:
            return 0.25 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            return 0.0


def _block_range_grad(Xb, yb, wb, start, stop, W, b, fit_intercept):
    """:func:`_range_grad` of rows ``start:stop`` of one block held in memory."""
    return _range_grad(Xb[start:stop], yb[start:stop], wb[start:stop], W, b, fit_intercept)


def _range_grad(Xb, yb, wb, W, b, fit_intercept):
    """(weighted loss sum, dW, db, weight sum) of one minibatch (NumPy, on a worker)."""
    Xb = np.asarray(Xb, dtype=W.dtype)
    z = Xb @ W.T
    if fit_intercept:
        z += b
    losses, g = cross_entropy(z, np.asarray(yb), reduction="none", grad_out=z)
    wb = np.asarray(wb, dtype=W.dtype)
    g *= wb[:, None]
    return float(np.dot(wb, losses)), (Xb.T @ g).T, g.sum(axis=0), float(np.sum(wb))


def encode(block, classes):
    """The labels of one block as class indices (:func:`.training.encode_labels`)."""
    return training.encode_labels(block, classes)


def _batches(chunks, batch_size):
    """(start, stop) row ranges of at most batch_size rows inside each block."""
    out, offset = [], 0
    for size in chunks:
        out += [(offset + s, offset + min(s + batch_size, size))
                for s in range(0, size, batch_size)]
        offset += size
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def fit(params, X, y, sample_weight=None, *, previous=None, coef=None, intercept=None):
    """Train on a Dask array ``X`` (and ``y``, ``sample_weight`` Dask or NumPy, one per
    row) with the estimator's ``params`` (checked); returns ``(classes, n_features,
    TrainingState)``. ``coef`` and ``intercept`` (with the ``previous`` state) are the
    weights to start from for ``warm_start``."""
    import dask
    import dask.array as da

    if X.ndim != 2:
        raise ValueError(f"SoftmaxClassifier: X must be 2-D, got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"SoftmaxClassifier: X must hold real numbers, got dtype {X.dtype}")
    if np.isnan(X.shape[0]):
        raise ValueError("SoftmaxClassifier: X has unknown chunk sizes; call "
                         "X.compute_chunk_sizes() first")
    n, d = X.shape
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    X = X.rechunk({1: -1})  # whole rows in each block
    y = da.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"SoftmaxClassifier: y must have {n} labels, got shape {y.shape}")
    y = y.rechunk((X.chunks[0],))
    classes, sw_total, finite = dask.compute(
        da.unique(y),
        1.0 * n if sample_weight is None else da.asarray(sample_weight).sum(),
        da.isfinite(X).all())
    if not finite:
        raise ValueError("SoftmaxClassifier: X contains NaN or infinity")
    classes = np.asarray(classes)
    k = len(classes)
    if k < 2:
        raise ValueError(f"SoftmaxClassifier needs at least 2 classes in y, got {k} class: "
                         f"{classes.tolist()}")
    if params["class_weight"] is not None:
        raise ValueError("SoftmaxClassifier: class_weight is for NumPy input; with Dask "
                         "arrays pass the weights as sample_weight")
    if params["early_stopping"]:
        raise ValueError("SoftmaxClassifier: early_stopping holds out a validation set in "
                         "memory; with Dask arrays fit without it (early_stopping=False)")
    y_enc = y.map_blocks(encode, classes, dtype=np.int64)
    sw = da.ones(n, chunks=(X.chunks[0],)) if sample_weight is None else \
        da.asarray(sample_weight).rechunk((X.chunks[0],))
    if not sw_total > 0:
        raise ValueError("SoftmaxClassifier: the sample weights must sum to more than 0")

    rng = training.make_rng(params["random_state"])
    state = TrainingState.start(previous, coef, intercept, k, d, dtype,
                                warm=coef is not None)
    alpha = 1.0 / float(sw_total) if params["alpha"] == "auto" else float(params["alpha"])
    trainer = Trainer(params, state, alpha)
    fit_intercept = params["fit_intercept"]
    ranges = _batches(X.chunks[0], int(params["batch_size"]))
    per_step = _client_workers()
    # Data that fits is kept in the workers' memory and each step names a block and its
    # rows; larger data is sliced from its source at every step (read a minibatch at a
    # time, never whole).
    if X.nbytes <= _memory_budget():
        X, y_enc, sw = dask.persist(X, y_enc, sw)
        blocks = list(zip(X.to_delayed().ravel(), y_enc.to_delayed().ravel(),
                          sw.to_delayed().ravel()))
        starts = np.cumsum((0,) + X.chunks[0])
        block_of = np.searchsorted(starts, ranges[:, 0], side="right") - 1
        block_grad = dask.delayed(_block_range_grad, pure=True)

        def task(i):
            j = block_of[i]
            s, e = ranges[i] - starts[j]
            return block_grad(*blocks[j], int(s), int(e), state.coef, state.intercept,
                              fit_intercept)
    else:
        grad = dask.delayed(_range_grad, pure=True)

        def task(i):
            s, e = ranges[i]
            return grad(X[s:e], y_enc[s:e], sw[s:e], state.coef, state.intercept,
                        fit_intercept)

    def epoch(lr):
        order = rng.permutation(len(ranges)) if params["shuffle"] else np.arange(len(ranges))
        loss_sum = 0.0
        for first in range(0, len(order), per_step):
            parts = dask.compute(*[task(i) for i in order[first:first + per_step]])
            total_w = sum(p[3] for p in parts)
            if total_w == 0:
                continue
            loss_sum += sum(p[0] for p in parts)
            trainer.update(sum(p[1] for p in parts) / total_w,
                           sum(p[2] for p in parts) / total_w, lr)
            trainer.check_stop()
        return loss_sum

    trainer.run(params["max_epochs"], epoch, float(sw_total))
    return classes, d, state


def _block_logits(block, W, b, fit_intercept):
    z = np.asarray(block, dtype=W.dtype) @ W.T
    return z + b if fit_intercept else z


def logits(X, coef, intercept, fit_intercept, n_features):
    """The logits of a Dask array, lazily: one block of rows at a time."""
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(f"SoftmaxClassifier: X has {X.shape[-1]} features, the model was "
                         f"fitted with {n_features}")
    X = X.rechunk({1: -1})
    k = coef.shape[0]
    return X.map_blocks(_block_logits, coef, intercept, fit_intercept,
                        chunks=(X.chunks[0], (k,)), dtype=coef.dtype)


def predict(X, coef, intercept, fit_intercept, n_features, classes):
    """The most probable class of each row, lazily."""
    z = logits(X, coef, intercept, fit_intercept, n_features)
    return z.map_blocks(lambda b: classes[np.argmax(b, axis=1)], drop_axis=1,
                        dtype=classes.dtype)
