"""sparsemax, 1.5-entmax and α-entmax: softmaxkit against the ``entmax`` package (its
PyTorch implementation) and against softmaxkit's own softmax on the same shapes.

Not a test: prints a markdown table and writes ``benchmarks/results/sparse.json``. Times are
medians of interleaved rounds in one process (float32, rows along the last axis).

    python benchmarks/bench_sparse.py [--quick] [--threads N] [--repeat R]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from report import Report
from timing import medians

import softmaxkit as sk
from softmaxkit._backends import native as _native

try:
    import entmax
    import torch
except ImportError:
    torch = entmax = None

report = Report("sparse", "Sparse maps")
SHAPES = [(65_536, 1000), (4096, 32_768), (16_384, 128)]


def _package_loss(loss_cls, t, y):
    def run():
        tt = t.detach().requires_grad_(True)
        loss_cls()(tt, y).backward()
    return run


def calls(x, t, labels):
    """name -> (softmaxkit's call, the entmax package's call or None)."""
    theirs = torch is not None
    yt = torch.from_numpy(labels) if theirs else None
    return {
        "sparsemax": (lambda: sk.sparsemax(x),
                      (lambda: entmax.sparsemax(t, dim=-1)) if theirs else None),
        "entmax15": (lambda: sk.entmax15(x),
                     (lambda: entmax.entmax15(t, dim=-1)) if theirs else None),
        "entmax α=1.5 (bisection)": (lambda: sk.entmax(x, 1.5),
                                     (lambda: entmax.entmax_bisect(t, 1.5, dim=-1))
                                     if theirs else None),
        # 1 / (α - 1) not an integer: a pow per candidate and halving
        "entmax α=1.3 (bisection)": (lambda: sk.entmax(x, 1.3),
                                     (lambda: entmax.entmax_bisect(t, 1.3, dim=-1))
                                     if theirs else None),
        "sparsemax_loss + gradient": (
            lambda: sk.sparsemax_loss(x, labels, return_grad=True),
            _package_loss(entmax.SparsemaxLoss, t, yt) if theirs else None),
        "entmax15_loss + gradient": (
            lambda: sk.entmax15_loss(x, labels, return_grad=True),
            _package_loss(entmax.Entmax15Loss, t, yt) if theirs else None),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, 3 rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", metavar="TEXT", help="the functions whose name contains it")
    args = parser.parse_args(argv)
    sk.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    repeat = 3 if args.quick else max(args.repeat, 3)
    report(f"# sparse maps, float32, {args.threads} threads, ISA {_native.isa()}, median of "
           f"{repeat} interleaved rounds (ms; target: ≥ 5× the entmax package for sparsemax "
           "and entmax15, ≥ 3× for bisection, sparsemax within 2× of softmax)")
    if torch is None:
        report("\n(the entmax package or PyTorch is not installed: softmaxkit alone)")
    report("\n| shape | function | softmaxkit ms | entmax package ms | package / softmaxkit | "
           "softmaxkit softmax ms | sparse / softmax |")
    report("|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    results = []
    for n, c in SHAPES:
        if args.quick:
            n = max(n // 64, 16)
        x = rng.normal(size=(n, c)).astype(np.float32)
        t = torch.from_numpy(x) if torch is not None else None
        labels = rng.integers(0, c, size=n)
        for name, (ours, theirs) in calls(x, t, labels).items():
            if args.only and args.only not in name:
                continue
            impls = [("sk", ours), ("softmax", lambda x=x: sk.softmax(x))]
            if theirs is not None:
                impls.append(("entmax", theirs))
            ms = {k: v * 1e3 for k, v in medians(impls, repeat).items()}
            results.append({"shape": [n, c], "function": name, "ms": ms})
            pkg = ms.get("entmax")
            pkg_cells = (f"{pkg:.1f} | {pkg / ms['sk']:.2f}×" if pkg is not None
                         else "— | —")
            report(f"| {n}×{c} | {name} | {ms['sk']:.1f} | {pkg_cells} | {ms['softmax']:.1f} | "
                   f"{ms['sk'] / ms['softmax']:.1f}× |")
    report.save(results, quick=args.quick, threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
