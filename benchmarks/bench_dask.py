"""Dask: the softmax family and the classifier on data larger than one worker's memory.

Not a test: prints markdown tables and writes ``benchmarks/results/dask.json``.

1. softmax over the rows (each block through the native kernel) and logsumexp down the
   columns (a reduction across every block) of a float32 ``.npy`` file on disk, with a
   LocalCluster of 1 and of 2 worker processes whose memory limit is below the file's
   size; next to the single-process native kernel on an in-memory array.
2. Classifier epochs on Fashion-MNIST repeated to a dataset larger than one worker's
   memory (streamed a minibatch at a time), 1 and 2 workers; next to the in-memory fit.

The file is written first and then read back through the page cache (24 GiB of RAM
here): the figures are those of the compute and the cluster, not of a disk.

    python benchmarks/bench_dask.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import dask
import numpy as np
from distributed import Client, LocalCluster
from report import Report

import softmaxkit as sk
from softmaxkit._core.lazy_io import open_array

report = Report("dask", "Dask")
GiB = 2**30


def write_random(path, rows, cols):
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, cols))
    rng = np.random.default_rng(0)
    step = max(1, (64 << 20) // (4 * cols))
    for s in range(0, rows, step):
        mm[s:s + step] = rng.standard_normal((min(step, rows - s), cols), dtype=np.float32) * 4
    mm.flush()
    del mm


def cluster(n, memory_limit):
    c = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                     dashboard_address=None, memory_limit=memory_limit)
    return c, Client(c)


def softmax_table(path, nbytes, memory_limit, repeats):
    rows = []
    for n in (1, 2):
        c, client = cluster(n, memory_limit)
        with c, client:
            x = open_array(path, chunk_bytes=16 << 20)
            for name, make in (
                ("softmax over rows, then row sums",
                 lambda x=x: sk.softmax(x, axis=1).sum(axis=1)),
                ("logsumexp down the columns", lambda x=x: sk.logsumexp(x, axis=0)),
            ):
                times = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    dask.compute(make())
                    times.append(time.perf_counter() - t0)
                t = float(np.median(times))
                rows.append({"what": name, "workers": n, "s": t, "GB/s": nbytes / t / 1e9})
    # the single-process kernel on data that fits: a quarter of the file, in memory
    part = np.array(np.load(path, mmap_mode="r")[: max(1, np.load(path, mmap_mode="r")
                                                       .shape[0] // 4)])
    for name, fn in (("softmax over rows, then row sums",
                      lambda: sk.softmax(part, axis=1).sum(axis=1)),
                     ("logsumexp down the columns", lambda: sk.logsumexp(part, axis=0))):
        times = []
        for _ in range(repeats + 2):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        t = float(np.median(times))
        rows.append({"what": name, "workers": "in memory, 1 process", "s": t,
                     "GB/s": part.nbytes / t / 1e9})
    return rows


def classifier_table(tmp, repeat, memory_limit, epochs, batch):
    from softmaxkit.datasets import load_fashion_mnist

    try:
        d = load_fashion_mnist()
    except FileNotFoundError as exc:
        report(f"(skipping the classifier: {str(exc).split('.')[0]})")
        return []
    X = np.concatenate([d.X_train] * repeat)
    y = np.concatenate([d.y_train] * repeat)
    order = np.random.default_rng(0).permutation(len(y))
    np.save(tmp / "X.npy", X[order])
    np.save(tmp / "y.npy", y[order].astype(np.int64))
    nbytes = X.nbytes
    del X
    rows = []
    for n in (1, 2):
        c, client = cluster(n, memory_limit)
        with c, client:
            Xd, yd = open_array(tmp / "X.npy", chunk_bytes=32 << 20), open_array(tmp / "y.npy")
            clf = sk.SoftmaxClassifier(max_epochs=epochs, batch_size=batch, random_state=0,
                                       n_iter_no_change=10**6)
            t0 = time.perf_counter()
            clf.fit(Xd, yd)
            t = (time.perf_counter() - t0) / clf.n_iter_
            acc = clf.score(d.X_test, d.y_test)
        rows.append({"workers": n, "rows": len(y), "data GB": nbytes / 1e9, "s/epoch": t,
                     "GB/s": nbytes / t / 1e9, "test accuracy": acc})
    clf = sk.SoftmaxClassifier(max_epochs=epochs, batch_size=batch, random_state=0,
                               n_iter_no_change=10**6)
    t0 = time.perf_counter()
    clf.fit(d.X_train, d.y_train)
    t = (time.perf_counter() - t0) / clf.n_iter_
    rows.append({"workers": "in memory, 1 process", "rows": len(d.y_train),
                 "data GB": d.X_train.nbytes / 1e9, "s/epoch": t,
                 "GB/s": d.X_train.nbytes / t / 1e9,
                 "test accuracy": clf.score(d.X_test, d.y_test)})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (not for figures)")
    args = parser.parse_args(argv)
    size, limit = (512 << 20, "256MiB") if args.quick else (4 * GiB, "1GiB")
    cols = 1024
    rows = size // (4 * cols)
    with tempfile.TemporaryDirectory(dir=os.environ.get("SOFTMAXKIT_BENCH_DIR")) as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        write_random(tmp / "big.npy", rows, cols)
        report(f"wrote {size / GiB:.2f} GiB ({rows} x {cols} float32) in "
               f"{time.perf_counter() - t0:.1f} s; workers limited to {limit} each\n")
        sm = softmax_table(tmp / "big.npy", size, limit, 1 if args.quick else 3)
        (tmp / "big.npy").unlink()
        report("| computation | workers | median s | GB/s |")
        report("|---|---|---|---|")
        for r in sm:
            report(f"| {r['what']} | {r['workers']} | {r['s']:.2f} | {r['GB/s']:.2f} |")
        repeat, climit, epochs = (1, "256MiB", 1) if args.quick else (8, "1GiB", 2)
        cl = classifier_table(tmp, repeat, climit, epochs, 4096)
        if cl:
            report(f"\nSoftmaxClassifier on Fashion-MNIST x {repeat} from disk, batch 4096 "
                   f"per worker, workers limited to {climit}; {epochs} epoch(s)\n")
            report("| workers | rows | data GB | s/epoch | GB/s | test accuracy |")
            report("|---|---|---|---|---|---|")
            for r in cl:
                report(f"| {r['workers']} | {r['rows']} | {r['data GB']:.2f} | "
                       f"{r['s/epoch']:.2f} | {r['GB/s']:.2f} | {r['test accuracy']:.4f} |")
    report.save({"softmax": sm, "classifier": cl}, quick=args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
