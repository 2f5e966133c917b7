"""softmaxkit on PyTorch tensors and JAX arrays: against the same call on NumPy, and
against the libraries' own functions.

Not a test: prints markdown tables and writes ``benchmarks/results/frameworks.json``.
Times are medians of interleaved rounds in one process, each round timing enough calls
to take a few milliseconds (so that 1 KiB inputs are measured, not the clock).

    python benchmarks/bench_frameworks.py [--quick] [--threads N] [--repeat R]
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
    import torch.nn.functional as TF

    import softmaxkit.torch as skt
except ImportError:
    torch = None
try:
    import jax
    import jax.numpy as jnp

    import softmaxkit.jax as skj
except ImportError:
    jax = None

report = Report("frameworks", "PyTorch and JAX")
# (label, bytes of float32 input): rows of 256 classes
SIZES = [("1 KiB", 2**10), ("64 KiB", 2**16), ("4 MiB", 2**22), ("64 MiB", 2**26),
         ("512 MiB", 2**29)]
CE_SHAPES = [(65_536, 1000), (4096, 32_768), (512, 131_072)]


def timed(impls, repeat):
    """Median seconds per call of each ``(label, run)``, a few milliseconds per round."""
    return medians(impls, repeat, min_seconds=0.004)


def _ms(s):
    return f"{s * 1e3:.3f}" if s < 0.01 else f"{s * 1e3:.1f}"


def family_calls():
    """name -> call(args of one library): the family, the backward functions and the
    fused cross-entropy."""
    return {
        "softmax": lambda a: sk.softmax(a["x"]),
        "softmax out=": lambda a: sk.softmax(a["x"], out=a["out"]),
        "log_softmax": lambda a: sk.log_softmax(a["x"]),
        "softmin": lambda a: sk.softmin(a["x"]),
        "logsumexp": lambda a: sk.logsumexp(a["x"], axis=-1),
        "softmax_backward": lambda a: sk.softmax_backward(a["y"], a["dy"]),
        "log_softmax_backward": lambda a: sk.log_softmax_backward(a["logp"], a["dy"]),
        "cross_entropy + grad": lambda a: sk.cross_entropy(a["x"], a["labels"],
                                                           return_grad=True),
    }


def torch_own(a):
    return {
        "softmax": lambda: torch.softmax(a["x"], -1),
        "softmax out=": lambda: torch.softmax(a["x"], -1, out=a["out"]),
        "log_softmax": lambda: torch.log_softmax(a["x"], -1),
        "softmin": lambda: TF.softmin(a["x"], -1),
        "logsumexp": lambda: torch.logsumexp(a["x"], -1),
        "softmax_backward": lambda: torch._softmax_backward_data(a["dy"], a["y"], -1,
                                                                 torch.float32),
        "log_softmax_backward": lambda: torch._log_softmax_backward_data(
            a["dy"], a["logp"], -1, torch.float32),
    }


def table_views(sizes, repeat, results):
    report("\n## CPU tensors against their NumPy views (float32, rows of 256; target: "
           "tensor / view ≤ 1.15)")
    report("\n| function | size | NumPy view ms | tensor ms | tensor / view | torch's own ms |")
    report("|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for size_label, nbytes in sizes:
        rows = max(nbytes // 4 // 256, 1)
        x = rng.normal(size=(rows, 256)).astype(np.float32)
        y = sk.softmax(x)
        arrays = {"x": x, "y": y, "dy": rng.normal(size=x.shape).astype(np.float32),
                  "logp": sk.log_softmax(x), "labels": rng.integers(0, 256, size=rows),
                  "out": np.empty_like(x)}
        tensors = {k: torch.from_numpy(v) for k, v in arrays.items()}
        own = torch_own(tensors)
        for name, call in family_calls().items():
            impls = [("view", lambda c=call, a=arrays: c(a)),
                     ("tensor", lambda c=call, a=tensors: c(a))]
            if name in own:
                impls.append(("torch", own[name]))
            t = timed(impls, repeat)
            ratio = t["tensor"] / t["view"]
            results.append({"table": "views", "function": name, "size": size_label,
                            **{k: v * 1e3 for k, v in t.items()}})
            torch_ms = _ms(t["torch"]) if "torch" in t else "—"
            report(f"| {name} | {size_label} | {_ms(t['view'])} | {_ms(t['tensor'])} | "
                   f"{ratio:.2f} | {torch_ms} |")
    labels = [label for label, _ in sizes]
    report("\ntensor / NumPy view, by input size:\n")
    report("| function | " + " | ".join(labels) + " |")
    report("|---|" + "---|" * len(labels))
    for name in family_calls():
        row = {r["size"]: r["tensor"] / r["view"] for r in results
               if r.get("table") == "views" and r["function"] == name}
        report(f"| {name} | " + " | ".join(f"{row[label]:.2f}" for label in labels) + " |")


def table_cross_entropy(shapes, repeat, results):
    report("\n## cross-entropy on torch tensors, mean loss + gradient of the logits (float32;"
           " target: ≥ 5× F.cross_entropy + backward)")
    report("\n| shape | F.cross_entropy + backward ms | sk.cross_entropy(return_grad) ms | "
           "× | softmaxkit.torch.cross_entropy + backward ms | × |")
    report("|---|---|---|---|---|---|")
    rng = np.random.default_rng(1)
    for n, c in shapes:
        z = torch.from_numpy(rng.normal(size=(n, c)).astype(np.float32))
        t = torch.from_numpy(rng.integers(0, c, size=n))

        def theirs(z=z, t=t):
            zz = z.detach().requires_grad_(True)
            TF.cross_entropy(zz, t).backward()

        def autograd(z=z, t=t):
            zz = z.detach().requires_grad_(True)
            skt.cross_entropy(zz, t).backward()

        times = timed([("torch", theirs),
                       ("sk", lambda z=z, t=t: sk.cross_entropy(z, t, return_grad=True)),
                       ("skt", autograd)], repeat)
        results.append({"table": "cross_entropy", "shape": [n, c],
                        **{k: v * 1e3 for k, v in times.items()}})
        report(f"| {n}×{c} | {_ms(times['torch'])} | {_ms(times['sk'])} | "
               f"{times['torch'] / times['sk']:.1f}× | {_ms(times['skt'])} | "
               f"{times['torch'] / times['skt']:.1f}× |")


def _pair_row(results, table, name, shape, first, second, repeat):
    """Time two ``(label, run)`` side by side; record them and print a row with their
    ratio (first / second)."""
    t = timed([first, second], repeat)
    results.append({"table": table, "function": name, "shape": list(shape),
                    **{k: v * 1e3 for k, v in t.items()}})
    a, b = t[first[0]], t[second[0]]
    report(f"| {name} | {shape[0]}×{shape[1]} | {_ms(a)} | {_ms(b)} | {a / b:.2f} |")


def table_autograd(repeat, results, quick):
    report("\n## autograd: forward + backward of sum(f(x) * w) over the last axis (float32)")
    report("\n| function | shape | torch ms | softmaxkit.torch ms | torch / softmaxkit |")
    report("|---|---|---|---|---|")
    rng = np.random.default_rng(2)
    for shape in ([(256, 1000)] if quick else [(1024, 1024), (16384, 1024)]):
        x = torch.from_numpy(rng.normal(size=shape).astype(np.float32))
        w = torch.from_numpy(rng.normal(size=shape).astype(np.float32))
        for name, ours, theirs in [("softmax", skt.softmax, torch.softmax),
                                   ("log_softmax", skt.log_softmax, torch.log_softmax)]:
            def run(fn, x=x, w=w):
                xx = x.detach().requires_grad_(True)
                (fn(xx, -1) * w).sum().backward()
            _pair_row(results, "autograd", name, shape, ("torch", lambda f=theirs: run(f)),
                      ("skt", lambda f=ours: run(f)), repeat)


def table_pure(repeat, results):
    report("\n## the array-API path (`backend(\"numpy\")` forces it on CPU tensors) against "
           "torch's own, 1024×1024 float32 (target: ≤ 8×)")
    report("\n| function | torch ms | array-API path ms | × torch | native route ms |")
    report("|---|---|---|---|---|")
    rng = np.random.default_rng(3)
    x = torch.from_numpy(rng.normal(size=(1024, 1024)).astype(np.float32))
    t = torch.from_numpy(rng.integers(0, 1024, size=1024))
    calls = [("softmax", lambda: sk.softmax(x), lambda: torch.softmax(x, -1)),
             ("log_softmax", lambda: sk.log_softmax(x), lambda: torch.log_softmax(x, -1)),
             ("logsumexp", lambda: sk.logsumexp(x, axis=-1), lambda: torch.logsumexp(x, -1)),
             ("cross_entropy", lambda: sk.cross_entropy(x, t), lambda: TF.cross_entropy(x, t))]
    for name, ours, theirs in calls:
        def pure(f=ours):
            with sk.backend("numpy"):
                f()
        times = timed([("torch", theirs), ("pure", pure), ("native", ours)], repeat)
        results.append({"table": "pure", "function": name,
                        **{k: v * 1e3 for k, v in times.items()}})
        report(f"| {name} | {_ms(times['torch'])} | {_ms(times['pure'])} | "
               f"{times['pure'] / times['torch']:.1f}× | {_ms(times['native'])} |")


def table_jax(repeat, results, quick):
    report("\n## JAX (CPU), jitted, float32")
    report("\n| call | shape | jax.nn ms | softmaxkit.jax ms | jax.nn / softmaxkit |")
    report("|---|---|---|---|---|")
    rng = np.random.default_rng(4)
    for shape in ([(256, 1000)] if quick else [(1024, 1024), (16384, 1024)]):
        x = jnp.asarray(rng.normal(size=shape).astype(np.float32))
        t = jnp.asarray(rng.integers(0, shape[1], size=shape[0]))

        def nll(z, t=t):
            return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(z), t[:, None], 1))

        calls = [
            ("softmax", jax.jit(jax.nn.softmax), jax.jit(skj.softmax)),
            ("logsumexp", jax.jit(lambda z: jax.nn.logsumexp(z, -1)),
             jax.jit(lambda z: skj.logsumexp(z, -1))),
            ("grad of cross-entropy", jax.jit(jax.grad(nll)),
             jax.jit(jax.grad(lambda z, t=t: skj.cross_entropy(z, t)))),
        ]
        for name, theirs, ours in calls:
            _pair_row(results, "jax", name, shape,
                      ("jax", lambda f=theirs, x=x: f(x).block_until_ready()),
                      ("skj", lambda f=ours, x=x: f(x).block_until_ready()), repeat)


def table_mlp(repeat, results):
    from sklearn.datasets import load_digits

    report("\n## an MLP on digits (1797×64 → 256 → 10, float32, full-batch SGD step)")
    xd, yd = load_digits(return_X_y=True)
    x = torch.tensor(xd / 16.0, dtype=torch.float32)
    y = torch.tensor(yd)

    def trainer(modules):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(),
                                    torch.nn.Linear(256, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loss_fn = modules.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        return step

    times = timed([("torch.nn", trainer(torch.nn)), ("softmaxkit.torch", trainer(skt))],
                  repeat)
    results.append({"table": "mlp", **{k: v * 1e3 for k, v in times.items()}})
    report("\n| modules | ms per step |\n|---|---|")
    for k, v in times.items():
        report(f"| {k} | {_ms(v)} |")
    report(f"\ntorch.nn / softmaxkit.torch: {times['torch.nn'] / times['softmaxkit.torch']:.2f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 3 rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    if torch is None:
        report("PyTorch is not installed: nothing to compare (pip install 'softmaxkit[torch]')")
        return 0
    sk.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    repeat = 3 if args.quick else max(args.repeat, 5)
    report(f"# softmaxkit with PyTorch and JAX: {args.threads} threads, ISA "
           f"{_native.isa()}, median of {repeat} interleaved rounds")
    results = []
    table_views(SIZES[:3] if args.quick else SIZES, repeat, results)
    shapes = [(n // 16, c) for n, c in CE_SHAPES] if args.quick else CE_SHAPES
    table_cross_entropy(shapes, repeat, results)
    table_autograd(repeat, results, args.quick)
    table_pure(repeat, results)
    table_mlp(repeat, results)
    if jax is not None:
        table_jax(repeat, results, args.quick)
    report.save(results, quick=args.quick, threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
