"""Sampling from logits: ``softmaxkit.sample.categorical`` (temperature, top-p) against
PyTorch's compositions (``torch.multinomial(torch.softmax(...))``, the nucleus filter as
language-model samplers write it, and the Gumbel-max trick), and ``gumbel_softmax`` against
``torch.nn.functional.gumbel_softmax``.

Not a test: prints markdown tables and writes ``benchmarks/results/sample.json``. Times are
medians of interleaved rounds in one process (milliseconds), float32.

    python benchmarks/bench_sample.py [--quick] [--threads N] [--repeat R]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from report import Report
from timing import medians

import softmaxkit as sk
from softmaxkit._backends import native as _native
from softmaxkit.sample import categorical, gumbel_softmax

try:
    import torch
except ImportError:
    torch = None

report = Report("sample", "Sampling")


def _torch_nucleus(z, top_p):
    """The nucleus filter as samplers write it: sort, cumulative probability, mask the
    tail (always keeping the first), scatter back."""
    sz, si = torch.sort(z, descending=True, dim=-1)
    p = torch.softmax(sz, -1)
    remove = p.cumsum(-1) - p >= top_p
    sz = sz.masked_fill(remove, float("-inf"))
    return torch.full_like(z, float("-inf")).scatter(-1, si, sz)


def _torch_impls(x, temperature, top_p):
    t = torch.from_numpy(x)
    gen = torch.Generator().manual_seed(0)

    def multinomial():
        return torch.multinomial(torch.softmax(t / temperature, -1), 1, generator=gen)

    def nucleus_multinomial():
        z = _torch_nucleus(t / temperature, top_p)
        return torch.multinomial(torch.softmax(z, -1), 1, generator=gen)

    def nucleus_gumbel():
        z = _torch_nucleus(t / temperature, top_p)
        g = -torch.empty_like(z).exponential_(generator=gen).log()
        return torch.argmax(z + g, -1)

    return [("torch multinomial(softmax)", multinomial),
            ("torch top-p + multinomial", nucleus_multinomial),
            ("torch top-p + Gumbel-max", nucleus_gumbel)]


def bench_categorical(rows, vocab, repeat):
    x = (np.random.default_rng(0).normal(size=(rows, vocab)) * 3).astype(np.float32)
    rng = np.random.default_rng(1)
    impls = [
        ("sk top-p", lambda: categorical(x, temperature=0.7, top_p=0.9, rng=rng)),
        ("sk", lambda: categorical(x, temperature=0.7, rng=rng)),
        ("sk top-k 50 + top-p", lambda: categorical(x, temperature=0.7, top_k=50,
                                                    top_p=0.9, rng=rng)),
        ("sk softmax (for scale)", lambda: sk.softmax(x, temperature=0.7)),
    ]
    if torch is not None:
        impls += _torch_impls(x, 0.7, 0.9)
    return {k: v * 1e3 for k, v in medians(impls, repeat).items()}


def bench_gumbel(rows, classes, repeat):
    x = (np.random.default_rng(2).normal(size=(rows, classes))).astype(np.float32)
    rng = np.random.default_rng(3)
    impls = [("sk gumbel_softmax hard", lambda: gumbel_softmax(x, tau=0.5, hard=True,
                                                                rng=rng))]
    if torch is not None:
        t = torch.from_numpy(x)
        impls.append(("torch F.gumbel_softmax hard",
                      lambda: torch.nn.functional.gumbel_softmax(t, tau=0.5, hard=True)))
    return {k: v * 1e3 for k, v in medians(impls, repeat).items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, 3 rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    sk.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    repeat = 3 if args.quick else args.repeat
    rows, vocab = (4, 8192) if args.quick else (16, 131072)
    report(f"# sampling, {args.threads} threads, ISA {_native.isa()}, median of {repeat} "
           "interleaved rounds, ms")
    if torch is None:
        report("\n(PyTorch is not installed: no torch rows)")
    ms = bench_categorical(rows, vocab, repeat)
    report(f"\n## one token from {rows} × {vocab} float32 logits, temperature 0.7, top-p 0.9 "
           "(target: ≥ 5× PyTorch's compositions)")
    report("| implementation | ms | / sk top-p |")
    report("|---|---|---|")
    for k, v in ms.items():
        report(f"| {k} | {v:.2f} | {v / ms['sk top-p']:.1f}× |")
    g_rows, g_classes = (256, 100) if args.quick else (4096, 1000)
    gm = bench_gumbel(g_rows, g_classes, repeat)
    report(f"\n## gumbel_softmax, hard, {g_rows} × {g_classes} float32")
    report("| implementation | ms |")
    report("|---|---|")
    for k, v in gm.items():
        report(f"| {k} | {v:.2f} |")
    results = {"isa": _native.isa(), "threads": args.threads, "quick": args.quick,
               "categorical": {"shape": [rows, vocab], "ms": ms},
               "gumbel_softmax": {"shape": [g_rows, g_classes], "ms": gm}}
    report.save(results, quick=args.quick, threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
