"""Training on a Dask cluster for ``softmaxkit train --scheduler ... / --data ...``.

``--data``/``--labels`` are read lazily (``.npy`` or Zarr), so they may be larger than
memory; the last ``--test-size`` of the rows is the test set (the rows are not shuffled:
shuffling data larger than memory would mean rewriting it). A bundled dataset or CSV with
``--scheduler`` is split and standardized as without it, then sent to the cluster.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time

import numpy as np

from .._api.losses import cross_entropy
from .._core.lazy_io import open_array
from .._estimators.classifier_dask import encode, logits
from .base import UsageError
from .training import classifier_class, load_split, save


@contextlib.contextmanager
def client(spec: str | None):
    """A ``distributed.Client`` for ``local``, ``local:N`` or a scheduler address (none
    for None: Dask's threads in this process)."""
    if spec is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--scheduler needs Dask: pip install 'softmaxkit[dask]'") from None
    if spec == "local" or spec.startswith("local:"):
        n = os.cpu_count() or 1
        if spec != "local":
            text = spec.split(":", 1)[1]
            if not text.isdigit() or int(text) < 1:
                raise UsageError(f"--scheduler: expected local:N with N >= 1, got {spec!r}")
            n = int(text)
        # loopback only, no dashboard: a cluster for this one run
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as c:
            yield c
        return
    try:
        c = Client(spec, timeout="5s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--scheduler: cannot connect to {spec!r}: {exc}") from None
    with c:
        yield c


def _lazy_inputs(args):
    if args.labels is None:
        raise UsageError("--data needs --labels (a .npy file or Zarr store of the labels)")
    if args.compare:
        raise UsageError("--compare trains scikit-learn in memory; it does not take --data")
    try:
        X, y = open_array(args.data), open_array(args.labels)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if X.ndim != 2:
        raise UsageError(f"{args.data}: expected a 2-D array (samples x features), got "
                         f"shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise UsageError(f"{args.labels}: expected {X.shape[0]} labels, got shape {y.shape}")
    n_test = int(round(args.test_size * X.shape[0]))
    if n_test < 1 or n_test >= X.shape[0]:
        raise UsageError(f"--test-size {args.test_size} leaves no training or test rows")
    cut = X.shape[0] - n_test
    return X[:cut], X[cut:], y[:cut], y[cut:]


def train_on_dask(args) -> int:
    import dask
    import dask.array as da

    SoftmaxClassifier = classifier_class()
    if args.data is not None:
        Xtr, Xte, ytr, yte = _lazy_inputs(args)
    else:
        if args.labels is not None:
            raise UsageError("--labels goes with --data")
        if args.compare:
            raise UsageError("--compare is not available with --scheduler")
        Xtr, Xte, ytr, yte, standardize, _ = load_split(args)
        if standardize:
            mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
            sd = np.where(sd > 0, sd, 1.0)
            Xtr, Xte = (Xtr - mu) / sd, (Xte - mu) / sd
        rows = max(256, len(ytr) // 8)
        Xtr, Xte = da.from_array(Xtr, chunks=(rows, -1)), da.from_array(Xte, chunks=(rows, -1))
        ytr, yte = da.from_array(ytr, chunks=rows), da.from_array(yte, chunks=rows)
    kwargs = {"random_state": args.random_state, "verbose": 0 if args.quiet else 1}
    if args.epochs is not None:
        kwargs["max_epochs"] = args.epochs
    with client(args.scheduler) as c:
        workers = len(c.scheduler_info(n_workers=-1)["workers"]) if c is not None else 0
        clf = SoftmaxClassifier(**kwargs)
        t0 = time.perf_counter()
        try:
            clf.fit(Xtr, ytr)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        fit_time = time.perf_counter() - t0
        z = logits(Xte, clf.coef_, clf.intercept_, clf.fit_intercept, clf.n_features_in_)
        y_enc = yte.map_blocks(encode, clf.classes_, dtype=np.int64)
        pred = clf.predict(Xte)
        acc, loss, n_test = dask.compute((pred == yte).mean(), cross_entropy(z, y_enc),
                                         yte.shape[0])
    where = f"{workers} Dask workers" if workers else "Dask threads in this process"
    print(f"{args.data or args.dataset}: {Xtr.shape[0]} training and {n_test} test samples, "
          f"{Xtr.shape[1]} features, {len(clf.classes_)} classes; trained on {where}")
    print()
    print("| model | test accuracy | test log loss | fit s | epochs |")
    print("|---|---|---|---|---|")
    print(f"| softmaxkit | {float(acc):.4f} | {float(loss):.4f} | {fit_time:.2f} | "
          f"{clf.n_iter_} |")
    save(clf, args.save)
    return 0
