"""
Accuracy where SciPy and PyTorch lose it
========================================

Errors are counted in ulps (units in the last place: the gap between a float and the next
one) against mpmath at 50 digits. Two kinds of rows break the usual max-shifted formulas:
a row where ``x - max`` is inexact (a small maximum among large-magnitude entries), and a
row whose dominant entry's log-probability is tiny, where ``x - max - log(sum)`` cancels.
softmaxkit stays within its contract (≤ 1.5 ulp for float32 softmax, ≤ 2 for float64,
see :doc:`/user_guide/numerics`).
"""

import matplotlib.pyplot as plt
import mpmath
import numpy as np
import scipy.special

import softmaxkit as sk

mpmath.mp.dps = 50


def exact_log_softmax(x):
    lse = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in x))
    return np.array([float(mpmath.mpf(float(v)) - lse) for v in x])


def ulps(got, want):
    return float(np.max(np.abs(got - want) / np.spacing(np.abs(want))))


rows = {
    "dominant entry (log p ≈ -6e-18)": np.array([0.0, -40.0, -41.0]),
    "inexact x - max": np.array([1e16 + 2.0, 3.0, 1e16, -1e16]),
    "random normal": np.random.default_rng(0).normal(size=64),
}
impls = {"softmaxkit": sk.log_softmax, "scipy.special": scipy.special.log_softmax}
try:
    import torch

    impls["torch"] = lambda x: torch.log_softmax(torch.from_numpy(x), -1).numpy()
except ImportError:
    pass

errors = {name: [] for name in impls}
for label, x in rows.items():
    want = exact_log_softmax(x)
    for name, fn in impls.items():
        errors[name].append(ulps(fn(x), want))
    print(f"{label:32s} " + "  ".join(f"{n}: {errors[n][-1]:.3g}" for n in impls))

# %%
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
width = 0.8 / len(impls)
for i, (name, errs) in enumerate(errors.items()):
    ax.bar(np.arange(len(rows)) + i * width, np.maximum(errs, 1e-2), width, label=name)
ax.set_yscale("log")
ax.set_xticks(np.arange(len(rows)) + width * (len(impls) - 1) / 2, list(rows), fontsize=8)
ax.set_ylabel("worst error, ulps (log scale)")
ax.set_title("log_softmax, float64, against mpmath")
ax.legend()
