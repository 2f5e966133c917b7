"""Worst error in ulps against mpmath: softmaxkit, SciPy and PyTorch on the same inputs.

Not a test: it prints a markdown table (and writes benchmarks/results/accuracy.json).
The inputs are those where plain implementations lose accuracy: ``x - max`` inexact
(a small maximum among large-magnitude entries) and a dominant entry whose
log-probability is tiny, plus ordinary random rows.

    python benchmarks/accuracy.py [--rows N]
"""

from __future__ import annotations

import argparse
import sys

import mpmath
import numpy as np
import scipy.special as ss
from report import Report

import softmaxkit as sk

try:
    import torch
except ImportError:
    torch = None

DIGITS = 40
report = Report("accuracy", "Accuracy against mpmath")


def exact(x, log):
    with mpmath.workdps(DIGITS):
        xs = [mpmath.mpf(float(v)) for v in x]
        m = max(xs)
        # log of the sum as log(c) + log1p(rest / c): at a fixed precision, log(1 + tiny)
        # would keep only DIGITS - |log10(tiny)| digits of the tiny part.
        c = sum(1 for v in xs if v == m)
        rest = mpmath.fsum(mpmath.exp(v - m) for v in xs if v != m)
        if log:
            lse = mpmath.log(c) + mpmath.log1p(rest / c)
            return [v - m - lse for v in xs]
        return [mpmath.exp(v - m) / (c + rest) for v in xs]


try:
    import ml_dtypes
    BF16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:
    ml_dtypes = BF16 = None


def _finfo(dtype):
    return ml_dtypes.finfo(dtype) if dtype == BF16 else np.finfo(dtype)


def ulps(got, ref, dtype):
    fi = _finfo(dtype)
    worst = 0.0
    with mpmath.workdps(DIGITS):
        for g, e in zip(np.asarray(got, dtype=np.float64), ref):
            if not fi.tiny <= abs(e) <= fi.max:
                continue
            ulp = mpmath.mpf(2) ** (mpmath.floor(mpmath.log(abs(e), 2)) - fi.nmant)
            worst = max(worst, float(abs(mpmath.mpf(float(g)) - e) / ulp))
    return worst


def rows(dtype, n_rows, rng):
    lim = 700.0 if dtype == np.float64 else 80.0
    for i in range(n_rows):
        kind = i % 3
        if kind == 0:
            x = rng.normal(scale=5, size=64)
        elif kind == 1:  # inexact shift
            x = -rng.uniform(1.0, lim, size=64)
            x[rng.integers(64)] = rng.uniform(0.01, 0.99)
        else:  # dominant entry
            x = np.concatenate([[0.25], -rng.uniform(20.0, 60.0, size=63)])
        yield x.astype(np.float32).astype(dtype)


def half_implementations(dtype):
    """(name, softmax, log_softmax) on float16 / bfloat16 rows, results as float64."""
    def ours(f):
        return lambda x: f(x).astype(np.float64)
    yield "softmaxkit", ours(sk.softmax), ours(sk.log_softmax)
    if dtype == np.float16:
        yield "scipy.special", ss.softmax, ss.log_softmax
    if torch is not None:
        tdt = torch.float16 if dtype == np.float16 else torch.bfloat16

        def tensor(x):
            return torch.from_numpy(x.astype(np.float32)).to(tdt)

        def tsm(x):
            return torch.softmax(tensor(x), -1).double().numpy()

        def tlsm(x):
            return torch.log_softmax(tensor(x), -1).double().numpy()

        yield f"torch {torch.__version__}", tsm, tlsm


def implementations():
    yield "softmaxkit", sk.softmax, sk.log_softmax
    yield "scipy.special", ss.softmax, ss.log_softmax
    if torch is not None:
        def tsm(x):
            return torch.softmax(torch.from_numpy(x), -1).numpy()

        def tlsm(x):
            return torch.log_softmax(torch.from_numpy(x), -1).numpy()

        yield f"torch {torch.__version__}", tsm, tlsm


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60, help="rows of 64 per dtype")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    results = {}
    for dtype in (np.float32, np.float64):
        data = list(rows(dtype, args.rows, rng))
        refs = {log: [exact(x, log) for x in data] for log in (False, True)}
        for name, fsm, flsm in implementations():
            for log, fn in ((False, fsm), (True, flsm)):
                worst = max(ulps(fn(x), r, dtype) for x, r in zip(data, refs[log]))
                key = (name, "log_softmax" if log else "softmax", np.dtype(dtype).name)
                results[key] = worst
    names = sorted({k[0] for k in results}, key=lambda s: (s != "softmaxkit", s))
    report(f"Worst error in ulps over {args.rows} rows of 64 per dtype (normal range)\n")
    report("| implementation | softmax f32 | softmax f64 | log_softmax f32 | log_softmax f64 |")
    report("|---|---|---|---|---|")
    for name in names:
        cells = [results[(name, f, d)] for f in ("softmax", "log_softmax")
                 for d in ("float32", "float64")]
        report(f"| {name} | " + " | ".join(f"{c:,.2f}" for c in cells) + " |")
    halves = [np.dtype(np.float16)] + ([BF16] if BF16 is not None else [])
    for dtype in halves:
        data = list(rows(dtype, args.rows, rng))
        refs = {log: [exact(x.astype(np.float64), log) for x in data] for log in (False, True)}
        for name, fsm, flsm in half_implementations(dtype):
            for log, fn in ((False, fsm), (True, flsm)):
                worst = max(ulps(fn(x), r, dtype) for x, r in zip(data, refs[log]))
                results[(name, "log_softmax" if log else "softmax", dtype.name)] = worst
    report("\nThe same rows in float16 and bfloat16 (ulps of the format)\n")
    cols = [(f, d.name) for f in ("softmax", "log_softmax") for d in halves]
    report("| implementation | " + " | ".join(f"{f} {d}" for f, d in cols) + " |")
    report("|---" * (len(cols) + 1) + "|")
    for name in sorted({k[0] for k in results if k[2] in {d.name for d in halves}},
                       key=lambda s: (s != "softmaxkit", s)):
        cells = [f"{results[(name, f, d)]:,.2f}" if (name, f, d) in results else "—"
                 for f, d in cols]
        report(f"| {name} | " + " | ".join(cells) + " |")
    report.save([{"implementation": k[0], "function": k[1], "dtype": k[2], "worst_ulps": v}
                 for k, v in results.items()], quick=args.rows < 60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
