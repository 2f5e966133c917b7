"""float16 and bfloat16 storage: softmax with ``out=`` on the softmax benchmark's large
last-axis shapes against softmaxkit's float32 and ``torch.softmax`` on float16 / bfloat16
tensors, and cross-entropy forward + gradient on bfloat16 logits (fresh gradients) against
PyTorch's and softmaxkit's on the same values in float32.

Not a test: prints markdown tables and writes ``benchmarks/results/half.json``. Times are
medians of interleaved rounds in one process (milliseconds).

    python benchmarks/bench_half.py [--quick] [--threads N] [--repeat R]
"""

from __future__ import annotations

import argparse
import sys

import ml_dtypes
import numpy as np
from report import Report
from timing import medians

import softmaxkit as sk
from softmaxkit._backends import native as _native

try:
    import torch
except ImportError:
    torch = None

report = Report("half", "float16 and bfloat16")
BF16 = np.dtype(ml_dtypes.bfloat16)
SHAPES = [(1000000, 10), (500000, 37), (262144, 128), (16384, 4096), (2048, 32768)]
QUICK = [(20000, 10), (4096, 128), (256, 4096)]


def bench_softmax(shape, repeat):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    h, b = x.astype(np.float16), x.astype(BF16)
    o32, o16, ob = np.empty_like(x), np.empty_like(h), np.empty_like(b)
    impls = [("sk float32", lambda: sk.softmax(x, out=o32)),
             ("sk float16", lambda: sk.softmax(h, out=o16)),
             ("sk bfloat16", lambda: sk.softmax(b, out=ob))]
    if torch is not None:
        th, tb = torch.from_numpy(h), torch.from_numpy(x).to(torch.bfloat16)
        oh, obt = torch.empty_like(th), torch.empty_like(tb)
        impls += [("torch float16", lambda: torch.softmax(th, -1, out=oh)),
                  ("torch bfloat16", lambda: torch.softmax(tb, -1, out=obt))]
    return {k: v * 1e3 for k, v in medians(impls, repeat).items()}


def bench_xent(rows, classes, repeat):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(rows, classes)).astype(BF16)
    y = rng.integers(0, classes, size=rows)
    z32 = _native.from_half(z)
    impls = [("sk bfloat16", lambda: sk.cross_entropy(z, y, return_grad=True)),
             ("sk float32", lambda: sk.cross_entropy(z32, y, return_grad=True))]
    if torch is not None:
        zt = torch.from_numpy(z.astype(np.float32)).to(torch.bfloat16)
        yt = torch.from_numpy(y)

        def torch_xent():
            t = zt.detach().requires_grad_()
            loss = torch.nn.functional.cross_entropy(t, yt)
            loss.backward()
            return loss, t.grad
        impls.append(("torch bfloat16", torch_xent))
    return {k: v * 1e3 for k, v in medians(impls, repeat).items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, 3 rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    sk.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    repeat = 3 if args.quick else args.repeat
    report(f"# float16 and bfloat16, {args.threads} threads, ISA {_native.isa()}, median of "
           f"{repeat} interleaved rounds, ms")
    report("\n## softmax along the last axis, out= (target: ≥ 1.6× faster than float32, "
           "≥ 2× than torch)")
    report("| shape | sk float32 | sk float16 | sk bfloat16 | torch float16 | torch bfloat16 |"
           " float32 / float16 | float32 / bfloat16 |")
    report("|---|---|---|---|---|---|---|---|")
    results = {"isa": _native.isa(), "threads": args.threads, "softmax": []}
    for shape in QUICK if args.quick else SHAPES:
        ms = bench_softmax(shape, repeat)
        results["softmax"].append({"shape": list(shape), "ms": ms})
        t = [f"{ms[k]:.1f}" if k in ms else "—" for k in
             ("sk float32", "sk float16", "sk bfloat16", "torch float16", "torch bfloat16")]
        report(f"| {'×'.join(map(str, shape))} | " + " | ".join(t) +
               f" | {ms['sk float32'] / ms['sk float16']:.2f}× | "
               f"{ms['sk float32'] / ms['sk bfloat16']:.2f}× |")
    rows, classes = (4096, 1000) if args.quick else (65536, 1000)
    xm = bench_xent(rows, classes, repeat)
    results["cross_entropy"] = {"shape": [rows, classes], "ms": xm}
    report(f"\n## cross_entropy forward + gradient, bfloat16 logits {rows} × {classes} "
           "(target: ≥ 5× torch)")
    report("| implementation | ms | torch bfloat16 / it |")
    report("|---|---|---|")
    for k, v in xm.items():
        ratio = f"{xm['torch bfloat16'] / v:.2f}×" if "torch bfloat16" in xm else "—"
        report(f"| {k} | {v:.1f} | {ratio} |")
    report.save(results, quick=args.quick, threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
