"""Softmax, log_softmax and logsumexp: softmaxkit against PyTorch, SciPy, NumPy and the
bandwidth bound, side by side in one run.

Not a test: it prints markdown tables and writes ``benchmarks/results/softmax.json``
and ``softmax.png``. Every implementation is timed in turn, round after round
(interleaved, so a noisy neighbour hurts them alike), and the median of the rounds is
reported; ratios are computed within the run.

    python benchmarks/bench_softmax.py [--quick] [--threads N] [--repeat R]

Columns: ``copy`` is a multithreaded copy of the same bytes (read the input once, write
the output once), the floor for any softmax that writes a fresh result; ``fresh``
allocates the result (through NumPy, or PyTorch for torch), ``out=`` writes into a
preallocated array.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

import numpy as np
import scipy.special as ss
from report import Report, machine
from timing import interleaved

import softmaxkit as sk
from softmaxkit._backends import native as _native
from softmaxkit._kernels import _ext

try:
    import torch
except ImportError:
    torch = None

SHAPES = [
    ((1_000_000, 10), -1),
    ((500_000, 37), -1),
    ((262_144, 128), -1),
    ((16_384, 4096), -1),
    ((2048, 32_768), -1),
    ((32, 262_144), -1),
    ((4096, 4096), 0),
    # short non-last axes: per-pixel class scores (N, C, H*W) and RGB channels
    ((64, 3, 50_021), 1),
    ((8, 21, 262_144), 1),
    ((32, 1000, 49), 1),
]
LARGE_LAST_AXIS = {(262_144, 128), (16_384, 4096), (2048, 32_768), (32, 262_144)}
report = Report("softmax", "The softmax family")


def numpy_plain(name, x, axis):
    """The textbook formulas in NumPy."""
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    s = np.sum(e, axis=axis, keepdims=True)
    if name == "softmax":
        return e / s
    if name == "log_softmax":
        return x - m - np.log(s)
    return np.squeeze(m + np.log(s), axis=axis)


def implementations(name, x, axis, threads):
    """(label, callable) for every implementation of ``name`` on ``x``."""
    fn = getattr(sk, name)
    impls = []
    out = np.empty_like(x) if name != "logsumexp" else None
    dst = np.empty_like(x)
    impls.append(("copy", lambda: _ext.copy(dst.ctypes.data, x.ctypes.data, x.nbytes, threads)))
    impls.append(("softmaxkit", lambda: fn(x, axis=axis)))
    if out is not None:
        impls.append(("softmaxkit out=", lambda: fn(x, axis=axis, out=out)))
    if torch is not None:
        xt = torch.from_numpy(x)
        tfn = getattr(torch, name)
        impls.append(("torch", lambda: tfn(xt, axis)))
        if out is not None:
            ot = torch.empty_like(xt)
            impls.append(("torch out=", lambda: tfn(xt, axis, out=ot)))
    sfn = getattr(ss, name)
    impls.append(("scipy.special", lambda: sfn(x, axis=axis)))
    impls.append(("numpy", lambda: numpy_plain(name, x, axis)))
    return impls


def ratio(a, b):
    return a / b if a and b else float("nan")


def fmt(v):
    return "–" if v is None or v != v else (f"{v:.1f}" if v >= 10 else f"{v:.2f}")


def table(rows, name, dtype, isa):
    labels = ["copy", "softmaxkit", "softmaxkit out=", "torch", "torch out=", "scipy.special",
              "numpy"]
    has_out = name != "logsumexp"
    head = ["ISA", "shape (axis)"] + [lb for lb in labels if has_out or "out=" not in lb]
    head += ["torch / sk", "torch out= / sk out=", "sk out= / copy", "scipy / sk"] if has_out \
        else ["torch / sk", "scipy / sk"]
    lines = [f"\n### {name}, {dtype}, {isa} (median ms)\n", "| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for r in rows:
        med = r["median_ms"]
        cells = [isa, f"{'×'.join(map(str, r['shape']))} ({r['axis']})"]
        cells += [fmt(med.get(lb)) for lb in labels if has_out or "out=" not in lb]
        sk_ms = med.get("softmaxkit")
        cells.append(fmt(ratio(med.get("torch"), sk_ms)) + "×")
        if has_out:
            cells.append(fmt(ratio(med.get("torch out="), med.get("softmaxkit out="))) + "×")
            cells.append(fmt(ratio(med.get("softmaxkit out="), med.get("copy"))) + "×")
        cells.append(fmt(ratio(med.get("scipy.special"), sk_ms)) + "×")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(results, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no chart; pip install 'softmaxkit[bench]')")
        return
    isas = list(dict.fromkeys(r["isa"] for r in results))
    groups = [(i, n, d) for i in isas for n in ("softmax", "log_softmax", "logsumexp")
              for d in ("float32", "float64")
              if any(r["isa"] == i and r["function"] == n and r["dtype"] == d
                     for r in results)]
    fig, axes = plt.subplots(len(groups), 1, figsize=(11, 3.2 * len(groups)), squeeze=False)
    for ax, (isa, name, dtype) in zip(axes[:, 0], groups):
        rows = [r for r in results
                if r["isa"] == isa and r["function"] == name and r["dtype"] == dtype]
        labels = [lb for lb in ("copy", "softmaxkit", "softmaxkit out=", "torch", "torch out=",
                                "scipy.special") if any(lb in r["median_ms"] for r in rows)]
        width = 0.8 / len(labels)
        for k, lb in enumerate(labels):
            vals = [r["median_ms"].get(lb, np.nan) for r in rows]
            ax.bar(np.arange(len(rows)) + k * width, vals, width, label=lb)
        ax.set_xticks(np.arange(len(rows)) + 0.4 - width / 2)
        ax.set_xticklabels([f"{'×'.join(map(str, r['shape']))} ({r['axis']})" for r in rows],
                           fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("median ms (log)")
        ax.set_title(f"{name}, {dtype}, {isa}")
        ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"chart: {path}")


def quick_shape(shape, axis):
    """About a sixteenth of the elements: rows for the last axis, the other dimensions
    (a 2-D array: both) for another."""
    if axis == -1:
        return (max(shape[0] // 16, 1),) + tuple(shape[1:])
    if len(shape) == 2:
        return (shape[0] // 4, shape[1] // 4)
    return tuple(s if d == axis else max(s // 4, 1) for d, s in enumerate(shape))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="shapes 1/16 the size and 3 rounds: a smoke run, not for figures")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=7, help="rounds (median reported)")
    parser.add_argument("--functions", default="softmax,log_softmax,logsumexp")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--isas", default=None,
                        help="comma-separated (default: avx2 and up, as far as this CPU "
                             "goes, or SOFTMAXKIT_ISA when set)")
    args = parser.parse_args(argv)
    if args.isas:
        isas = args.isas.split(",")
    elif os.environ.get("SOFTMAXKIT_ISA"):
        isas = [_native.isa()]
    else:
        top = _native.ISAS.index(_native.cpu_isa())
        isas = [i for i in _native.ISAS[1:top + 1]] or [_native.cpu_isa()]
    repeat = 3 if args.quick else max(args.repeat, 7)
    sk.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    info = machine(args.threads)
    report(f"# softmaxkit benchmark: {info['cpu']}, {args.threads} threads, ISAs "
           f"{', '.join(isas)}, "
           f"torch {info['torch']}, scipy {info['scipy']}, numpy {info['numpy']}; "
           f"median of {repeat} interleaved rounds{' (quick)' if args.quick else ''}")
    results = []
    for isa in isas:
        _native.set_isa(isa)
        for name in args.functions.split(","):
            for dtype in args.dtypes.split(","):
                rows = []
                for shape, axis in SHAPES:
                    if args.quick:
                        shape = quick_shape(shape, axis)
                    x = rng.normal(scale=4, size=shape).astype(dtype)
                    times = interleaved(implementations(name, x, axis, args.threads),
                                             repeat)
                    row = {"isa": isa, "function": name, "dtype": dtype, "shape": list(shape),
                           "axis": axis,
                           "median_ms": {k: statistics.median(v) * 1e3
                                         for k, v in times.items()},
                           "times_ms": {k: [t * 1e3 for t in v] for k, v in times.items()}}
                    rows.append(row)
                    del x
                results.extend(rows)
                report(table(rows, name, dtype, isa))
                sys.stdout.flush()
    path = report.save({"repeat": repeat, "results": results}, quick=args.quick,
                       threads=args.threads)
    plot(results, path.with_suffix(".png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
