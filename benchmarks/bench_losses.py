"""Cross-entropy (loss + gradient) and linear cross-entropy: softmaxkit against PyTorch.

Not a test: prints markdown tables and writes ``benchmarks/results/losses.json``. Times
are medians of interleaved rounds in one process; peak memory is measured per
implementation in a fresh process (``ru_maxrss`` above what the inputs already use), so
that one implementation's allocations cannot hide another's.

    python benchmarks/bench_losses.py [--quick] [--threads N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys

import numpy as np
from report import Report
from timing import medians

import softmaxkit as sk

try:
    import torch
    import torch.nn.functional as TF
except ImportError:
    torch = None

CE_SHAPES = [(65_536, 1000), (4096, 32_768), (512, 131_072)]
LINEAR_SHAPES = [(8192, 1024, 32_768), (4096, 512, 131_072)]
report = Report("losses", "Cross-entropy")


def ce_impls(z, y):
    """(label, setup, run) for mean cross-entropy + gradient of logits z (float32)."""
    pristine = z.copy()
    impls = [
        ("softmaxkit", None, lambda: sk.cross_entropy(z, y, return_grad=True)),
        ("softmaxkit in place", lambda: np.copyto(z, pristine),
         lambda: sk.cross_entropy(z, y, grad_out=z)),
    ]
    if torch is not None:
        yt = torch.from_numpy(y)

        def torch_ce():
            zt = torch.from_numpy(pristine).requires_grad_(True)
            TF.cross_entropy(zt, yt).backward()
            return zt.grad

        impls.append(("torch", None, torch_ce))
    return impls


def linear_impls(x, w, y):
    impls = [("softmaxkit chunked",
              None, lambda: sk.linear_cross_entropy(x, w, None, y, return_grad=True))]
    if torch is not None:
        xt, wt, yt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(y)

        def unfused():
            a, b = xt.clone().requires_grad_(True), wt.clone().requires_grad_(True)
            TF.cross_entropy(a @ b.T, yt).backward()

        def fused():
            a, b = xt.clone().requires_grad_(True), wt.clone().requires_grad_(True)
            TF.linear_cross_entropy(a, b, yt).backward()

        impls += [("torch unfused", None, unfused), ("torch linear_cross_entropy", None, fused)]
    return impls


def timed(impls, repeat):
    """Median milliseconds of each ``(label, setup, run)``."""
    return {k: v * 1e3 for k, v in medians(impls, repeat).items()}


def make_inputs(kind, shape):
    rng = np.random.default_rng(0)
    if kind == "ce":
        n, c = shape
        return (rng.normal(size=(n, c)).astype(np.float32), rng.integers(0, c, size=n))
    n, d, c = shape
    return (rng.normal(size=(n, d)).astype(np.float32),
            (rng.normal(size=(c, d)) / np.sqrt(d)).astype(np.float32), rng.integers(0, c, size=n))


def peak_child(kind, shape, label, threads):
    """Run one implementation once in this (fresh) process; print its extra peak MiB."""
    sk.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    inputs = make_inputs(kind, shape)
    impls = ce_impls(*inputs) if kind == "ce" else linear_impls(*inputs)
    setup, run = next((s, r) for lb, s, r in impls if lb == label)
    if setup:
        setup()
    base = _reset_peak()
    run()
    print((_status_kib("VmHWM") - base) / 1024)


def _status_kib(field):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field + ":"))


def _reset_peak():
    """Current resident KiB, with the peak reset to it (Linux: clear_refs 5), so the peak
    after a call is what the call added, not what building its inputs once took."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return _status_kib("VmRSS")


def peak_mib(kind, shape, label, threads):
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, json.dumps(shape), label, str(threads)],
        capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, 3 rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, shape, label, threads = args.child
        peak_child(kind, tuple(json.loads(shape)), label, int(threads))
        return 0
    sk.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    repeat = 3 if args.quick else max(args.repeat, 7)
    scale = 16 if args.quick else 1
    results = []
    report(f"# cross-entropy, mean loss + gradient, float32, int64 labels, {args.threads} threads,"
           f" median of {repeat} interleaved rounds; peak = extra resident memory, MiB")
    report("\n| shape | logits MiB | " + " | ".join(
         f"{lb} ms | {lb} peak" for lb, _, _ in ce_impls(*make_inputs("ce", (2, 2)))) + " |")
    report("|---|---|" + "---|---|" * len(ce_impls(*make_inputs("ce", (2, 2)))))
    for n, c in CE_SHAPES:
        shape = (max(n // scale, 1), c)
        z, y = make_inputs("ce", shape)
        impls = ce_impls(z, y)
        ms = timed(impls, repeat)
        peaks = {lb: peak_mib("ce", shape, lb, args.threads) for lb, _, _ in impls}
        results.append({"kind": "cross_entropy", "shape": shape, "ms": ms, "peak_mib": peaks})
        report(f"| {shape[0]}×{shape[1]} | {z.nbytes / 2**20:.0f} | " + " | ".join(
             f"{ms[lb]:.1f} | {peaks[lb]:.0f}" for lb, _, _ in impls) + " |")
    report("\n# linear cross-entropy (N × D → C), float32, loss + gradients of x and weight")
    labels = [lb for lb, _, _ in linear_impls(*make_inputs("linear", (2, 2, 2)))]
    report("\n| N × D × C | full logits MiB | " + " | ".join(f"{lb} ms | {lb} peak"
                                                             for lb in labels) + " |")
    report("|---|---|" + "---|---|" * len(labels))
    for n, d, c in LINEAR_SHAPES:
        shape = (max(n // scale, 1), d, c)
        x, w, y = make_inputs("linear", shape)
        impls = linear_impls(x, w, y)
        ms = timed(impls, max(3, repeat // 2))
        peaks = {lb: peak_mib("linear", shape, lb, args.threads) for lb, _, _ in impls}
        results.append({"kind": "linear_cross_entropy", "shape": shape, "ms": ms,
                        "peak_mib": peaks})
        report(f"| {shape[0]}×{shape[1]}×{shape[2]} | {shape[0] * shape[2] * 4 / 2**20:.0f} | "
               + " | ".join(f"{ms[lb]:.0f} | {peaks[lb]:.0f}" for lb in labels) + " |")
    report.save(results, quick=args.quick, threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
