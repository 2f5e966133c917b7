"""softmaxkit on a shared machine: its kernels and a classifier fit beside busy processes.

Not a test: prints markdown tables and writes ``benchmarks/results/contention.json``.
A "busy process" is a Python loop that never sleeps, as another user's job would be.

- Kernels: softmax of a 1000000x10 float32 array into ``out=``, median of 15, with 1 and 2
  threads, alone and beside one busy process.
- Fit: ``SoftmaxClassifier(max_epochs=8, tol=0, early_stopping=False)`` on Fashion-MNIST's
  training set (60000x784 float32; a generated problem of that shape without Debian's
  dataset-fashion-mnist), with the
  default thread settings and with every pool at one thread (softmaxkit's ``n_threads=1``
  and threadpoolctl's limit on NumPy's BLAS), alone, beside one busy process, and two
  fits started together.

    python benchmarks/bench_contention.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from report import Report

report = Report("contention", "On a shared machine")
HERE = Path(__file__).resolve()


def busy(n: int) -> list[subprocess.Popen]:
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    time.sleep(0.3)  # let them reach the loop
    return procs


def stop(procs) -> None:
    for p in procs:
        p.kill()
        p.wait()


def kernel_time(threads: int, repeats: int) -> float:
    import softmaxkit as sk

    x = np.random.default_rng(0).normal(size=(1_000_000, 10)).astype(np.float32)
    out = np.empty_like(x)
    sk.set_num_threads(threads)
    sk.softmax(x, out=out)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sk.softmax(x, out=out)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def fit_time(one_thread: bool, rows: int) -> float:
    from threadpoolctl import threadpool_limits

    from softmaxkit import SoftmaxClassifier

    try:
        from softmaxkit.datasets import load_fashion_mnist

        d = load_fashion_mnist()
        X, y = d.X_train[:rows], d.y_train[:rows]
    except FileNotFoundError:  # without Debian's dataset-fashion-mnist: the same shape
        rng = np.random.default_rng(0)
        centers = rng.normal(size=(10, 784)).astype(np.float32)
        y = rng.integers(0, 10, size=rows)
        X = (centers[y] + 2 * rng.normal(size=(rows, 784))).astype(np.float32)
    clf = SoftmaxClassifier(max_epochs=8, tol=0, early_stopping=False, random_state=0,
                            n_threads=1 if one_thread else None)
    warnings.simplefilter("ignore")  # 8 epochs stop before convergence, on purpose
    t0 = time.perf_counter()
    if one_thread:
        with threadpool_limits(limits=1):
            clf.fit(X, y)
    else:
        clf.fit(X, y)
    return time.perf_counter() - t0


def child(args) -> int:
    """One measurement in a fresh process, printed as JSON (the parent arranges the load)."""
    if args.child == "kernel":
        print(json.dumps(kernel_time(args.threads, args.repeats)))
    else:
        print(json.dumps(fit_time(args.threads == 1, args.rows)))
    return 0


def run_child(kind: str, threads: int, args, count: int = 1) -> list[float]:
    cmd = [sys.executable, str(HERE), "--child", kind, "--threads", str(threads),
           "--repeats", str(args.repeats), "--rows", str(args.rows)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(count)]
    return [json.loads(p.communicate()[0]) for p in procs]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", choices=["kernel", "fit"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--rows", type=int, default=60_000)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    if args.quick:
        args.repeats, args.rows = 5, 6000
    isa = os.environ.get("SOFTMAXKIT_ISA", "auto")
    report(f"## Contention ({os.cpu_count()} cores, SOFTMAXKIT_ISA={isa})\n")

    kernels = {}
    for load in (0, 1):
        procs = busy(load)
        try:
            for threads in (1, 2):
                kernels[(load, threads)] = run_child("kernel", threads, args)[0]
        finally:
            stop(procs)
    report("| softmax 1000000x10 float32, out= | 1 thread | 2 threads | 2 threads / 1 thread |")
    report("|---|---|---|---|")
    for load in (0, 1):
        one, two = kernels[(load, 1)], kernels[(load, 2)]
        report(f"| {'alone' if not load else 'one busy process'} | {one * 1e3:.1f} ms | "
               f"{two * 1e3:.1f} ms | {two / one:.2f} |")

    fits = {}
    for label, threads in (("defaults", 2), ("every pool at 1 thread", 1)):
        fits[(label, "alone")] = run_child("fit", threads, args)[0]
        procs = busy(1)
        try:
            fits[(label, "busy")] = run_child("fit", threads, args)[0]
        finally:
            stop(procs)
        fits[(label, "two")] = max(run_child("fit", threads, args, count=2))
    report(f"\n| fit, Fashion-MNIST {args.rows}x784 float32, 8 epochs | alone | "
            "one busy process | two fits together (slower) | busy / one-thread busy | "
            "two / alone |")
    report("|---|---|---|---|---|---|")
    base = fits[("every pool at 1 thread", "busy")]
    for label in ("defaults", "every pool at 1 thread"):
        a, b, c = (fits[(label, k)] for k in ("alone", "busy", "two"))
        report(f"| {label} | {a:.2f} s | {b:.2f} s | {c:.2f} s | {b / base:.2f} | "
               f"{c / fits[(label, 'alone')]:.2f} |")

    report.save({"isa": isa, "rows": args.rows,
                 "kernels_ms": {f"load{k[0]}_threads{k[1]}": v * 1e3
                                for k, v in kernels.items()},
                 "fit_s": {f"{k[0]}|{k[1]}": v for k, v in fits.items()}}, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
