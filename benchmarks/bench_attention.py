"""Softmax as attention and streaming use it: ``attention_softmax`` against the unfused
PyTorch composition and plain softmax, ``segment_softmax`` against PyG-style scatter and
NumPy ``reduceat`` compositions, ``logcumsumexp`` against ``torch.logcumsumexp`` and a chain
of ``numpy.logaddexp`` (speed and accuracy), and ``lse_merge`` against a NumPy pass over
the states.

Not a test: prints markdown tables and writes ``benchmarks/results/attention.json``. Times
are medians of interleaved rounds in one process, float32 unless a row says otherwise.

    python benchmarks/bench_attention.py [--quick] [--threads N] [--repeat R]
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
    import torch
except ImportError:
    torch = None

report = Report("attention", "Attention and streaming")


def _alibi(heads):
    return 2.0 ** (-8.0 * np.arange(1, heads + 1) / heads)


def _attention_impls(x, causal):
    """(label, call) of each implementation on scores ``x`` (B, H, L, S)."""
    B, H, L, S = x.shape
    slopes = _alibi(H)
    scale = 1 / np.sqrt(128)
    out = np.empty_like(x)
    # the same scores formed beforehand: the softmax's cost depends on the data (ALiBi and
    # the mask spread each row's range), so this is the like-for-like comparison
    off = S - L if causal == "bottom_right" else 0
    rel = (np.arange(S)[None, :] - np.arange(L)[:, None] - off).astype(np.float32)
    z = x * np.float32(scale) + slopes.astype(np.float32)[:, None, None] * rel
    z[..., rel > 0] = -np.inf
    impls = [
        ("sk fused out=", lambda: sk.attention_softmax(
            x, scale=scale, causal=causal, alibi_slopes=slopes, out=out)),
        ("sk fused", lambda: sk.attention_softmax(
            x, scale=scale, causal=causal, alibi_slopes=slopes)),
        ("sk softmax out=", lambda: sk.softmax(x, out=out)),
        ("sk softmax of formed out=", lambda: sk.softmax(z, out=out)),
    ]
    if torch is not None:
        t = torch.from_numpy(x)
        off = S - L if causal == "bottom_right" else 0
        q = torch.arange(L)[:, None] + off
        j = torch.arange(S)[None, :]
        # the composition's constant parts are built once, outside the timing
        bias = (torch.from_numpy(slopes.astype(np.float32))[:, None, None]
                * (j - q).float()).expand(H, L, S)
        blocked = j > q

        def composed():
            z = t * scale + bias
            return torch.softmax(z.masked_fill(blocked, float("-inf")), dim=-1)
        impls.append(("torch unfused", composed))
    return impls


def attention_rows(quick, repeat):
    """The attention shapes' medians (ms per implementation)."""
    shapes = [((8, 32, 1024, 1024), True), ((1, 32, 1, 32768), "bottom_right")]
    if quick:
        shapes = [((1, 8, 256, 256), True), ((1, 8, 1, 4096), "bottom_right")]
    rng = np.random.default_rng(0)
    rows = []
    for shape, causal in shapes:
        x = rng.normal(size=shape).astype(np.float32)
        # a decoding call takes under a millisecond: each round averages calls over 50 ms
        # (every implementation alike), so that one call's cache misses do not decide
        ms = {k: v * 1e3 for k, v in medians(_attention_impls(x, causal), repeat,
                                             min_seconds=0.05 if x.size < 2**23 else 0).items()}
        rows.append({"shape": list(shape), "causal": str(causal), "ms": ms})
    return rows


def segment_rows(quick, repeat):
    n, segs = (10**5, 10**4) if quick else (10**6, 10**5)
    rng = np.random.default_rng(1)
    ids = np.sort(rng.integers(0, segs, size=n))
    x = rng.normal(size=n).astype(np.float32)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=segs))])

    def numpy_reduceat():
        # empty segments' reduceat entries are never read (no id points at them)
        starts = np.minimum(offsets[:-1], n - 1)
        m = np.maximum.reduceat(x, starts)
        e = np.exp(x - m[ids])
        return e / np.add.reduceat(e, starts)[ids]

    impls = [("sk offsets", lambda: sk.segment_softmax(x, offsets=offsets)),
             ("sk sorted ids", lambda: sk.segment_softmax(x, segment_ids=ids)),
             ("numpy reduceat", numpy_reduceat)]
    if torch is not None:
        t, ti = torch.from_numpy(x), torch.from_numpy(ids)

        def scatter():  # PyG's utils.softmax, written with torch's own scatter ops
            m = torch.full((segs,), float("-inf")).scatter_reduce(0, ti, t, "amax")
            e = (t - m[ti]).exp()
            return e / torch.zeros(segs).index_add(0, ti, e)[ti]
        impls.append(("torch scatter", scatter))
    ms = {k: v * 1e3 for k, v in medians(impls, repeat).items()}
    return {"entries": n, "segments": segs, "ms": ms}


def _ulps(got, want):
    return float(np.max(np.abs(got - want) / np.spacing(np.maximum(np.abs(want), 1.0))))


def scan_rows(quick, repeat):
    n = 10**5 if quick else 10**6
    rng = np.random.default_rng(2)
    out = []
    for dtype in (np.float64, np.float32):
        x = (rng.normal(size=n) * 30).astype(dtype)
        with sk.backend("numpy"):  # the long-double tree scan: the accuracy reference
            want = sk.logcumsumexp(x.astype(np.float64))
        impls = [("sk", lambda x=x: sk.logcumsumexp(x)),
                 ("numpy logaddexp chain", lambda x=x: np.logaddexp.accumulate(x))]
        errs = {"sk": _ulps(sk.logcumsumexp(x).astype(np.float64), want),
                "numpy logaddexp chain": _ulps(np.logaddexp.accumulate(x).astype(np.float64),
                                               want)}
        if torch is not None:
            t = torch.from_numpy(x)
            impls.append(("torch", lambda t=t: torch.logcumsumexp(t, 0)))
            errs["torch"] = _ulps(torch.logcumsumexp(t, 0).numpy().astype(np.float64), want)
        if dtype == np.float32:
            errs = {k: v * float(np.finfo(np.float64).eps / np.finfo(np.float32).eps)
                    for k, v in errs.items()}
        ms = {k: v * 1e3 for k, v in medians(impls, repeat).items()}
        out.append({"n": n, "dtype": np.dtype(dtype).name, "ms": ms, "ulps": errs})
    return out


def merge_row(quick, repeat):
    n = 10**5 if quick else 10**6
    x = np.random.default_rng(3).normal(size=(n, 8)).astype(np.float32)
    a, b = sk.lse_state(x[:, :4]), sk.lse_state(x[:, 4:])

    def one_pass():  # reads both states and writes a new one, as lse_merge does
        return np.maximum(a.max, b.max), a.sum + b.sum, a.sum_lo + b.sum_lo
    ms = {k: v * 1e3 for k, v in medians([("lse_merge", lambda: sk.lse_merge(a, b)),
                                          ("numpy pass", one_pass)], repeat).items()}
    return {"states": n, "ms": ms}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, 3 rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    sk.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    repeat = 3 if args.quick else max(args.repeat, 3)
    report(f"# attention and streaming, {args.threads} threads, ISA {_native.isa()}, median of "
           f"{repeat} interleaved rounds (ms)")
    if torch is None:
        report("\n(PyTorch is not installed: no torch columns)")
    results = {"isa": _native.isa(), "threads": args.threads}

    att = attention_rows(args.quick, repeat)
    report("\n## attention_softmax: scale, causal, ALiBi (target: ≥ 2× the unfused PyTorch "
           "composition, within 1.3× of plain softmax)\n")
    report("| shape (causal) | sk fused out= | sk fused | sk softmax out= | sk softmax of the "
           "formed scores out= | torch unfused | fused / softmax | fused / softmax of the same "
           "scores | torch / sk fused |")
    report("|---|---|---|---|---|---|---|---|---|")
    for r in att:
        ms = r["ms"]
        tt, fused = ms.get("torch unfused"), ms["sk fused"]
        f = (lambda t: f"{t:.3f}") if ms["sk fused"] < 10 else (lambda t: f"{t:.1f}")
        report(f"| {'×'.join(map(str, r['shape']))} ({r['causal']}) | {f(ms['sk fused out='])} | "
               f"{f(ms['sk fused'])} | {f(ms['sk softmax out='])} | "
               f"{f(ms['sk softmax of formed out='])} | "
               f"{'—' if tt is None else f(tt)} | "
               f"{ms['sk fused out='] / ms['sk softmax out=']:.2f}× | "
               f"{ms['sk fused out='] / ms['sk softmax of formed out=']:.2f}× | "
               f"{'—' if tt is None else f'{tt / fused:.1f}×'} |")
    results["attention"] = att

    seg = segment_rows(args.quick, repeat)
    ms = seg["ms"]
    report(f"\n## segment_softmax: {seg['entries']} entries in {seg['segments']} segments "
           "(target: ≥ 3× torch scatter, or the NumPy composition)\n")
    report("| implementation | ms | / sk offsets |")
    report("|---|---|---|")
    for k, v in ms.items():
        report(f"| {k} | {v:.2f} | {v / ms['sk offsets']:.1f}× |")
    results["segments"] = seg

    scans = scan_rows(args.quick, repeat)
    report("\n## logcumsumexp of one long row (x ~ 30·N(0, 1)): time and worst error (ulps of "
           "max(|y|, 1) against a long-double scan)\n")
    report("| n | dtype | implementation | ms | worst ulps |")
    report("|---|---|---|---|---|")
    for r in scans:
        for k, v in r["ms"].items():
            report(f"| {r['n']} | {r['dtype']} | {k} | {v:.2f} | {r['ulps'][k]:.1f} |")
    results["logcumsumexp"] = scans

    mg = merge_row(args.quick, repeat)
    report(f"\n## lse_merge of two states of {mg['states']} slices (target: no more than a "
           "pass over the states)\n")
    report("| implementation | ms |")
    report("|---|---|")
    for k, v in mg["ms"].items():
        report(f"| {k} | {v:.2f} |")
    results["merge"] = mg

    report.save(results, quick=args.quick, threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
