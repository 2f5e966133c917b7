"""
Accuracy where SciPy and PyTorch lose it
========================================

Errors are counted in ulps (units in the last place: the gap between a float and the next
one) against mpmath at 50 digits, in float64. Two kinds of rows break the usual max-shifted
formulas:

- **an inexact shift** (softmax): a small maximum among large negative entries, so
  ``x - max`` is rounded, and ``exp`` of a rounded difference carries that rounding error,
  relative, into the probability;
- **a dominant entry** (log_softmax): the others' share ``r`` of the sum is so small that
  ``1 + r`` rounds to 1, so ``log(sum)`` is 0 and the dominant entry's log-probability
  ``-log(1 + r) ≈ -r`` comes out as 0.

softmaxkit carries the lost low part of ``x - max`` into the exponential and computes the
log of the sum as ``log1p(r)``, so it stays within its contract: 2 ulp
(see :doc:`/user_guide/numerics`).
"""

import matplotlib.pyplot as plt
import mpmath
import numpy as np
import scipy.special

import softmaxkit as sk

mpmath.mp.dps = 50


def exact(x, log):
    """softmax(x) or log_softmax(x) at 50 digits, rounded to float64."""
    m = [mpmath.mpf(float(v)) for v in x]
    lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in m))
    return np.array([float(v - lse) if log else float(mpmath.exp(v - lse)) for v in m])


def ulps(got, want):
    return float(np.max(np.abs(got - want) / np.spacing(np.abs(want))))


rng = np.random.default_rng(1)
inexact = -rng.uniform(1.0, 700.0, size=64)
inexact[5] = 0.3
cases = {  # label: (row, log?)
    "inexact shift, softmax": (inexact, False),
    "dominant entry, log_softmax": (np.array([0.0, -40.0, -41.0]), True),
    "random normal, softmax": (rng.normal(size=64), False),
}
impls = {"softmaxkit": (sk.softmax, sk.log_softmax),
         "scipy.special": (scipy.special.softmax, scipy.special.log_softmax)}
try:
    import torch

    impls["torch"] = (lambda x: torch.softmax(torch.from_numpy(x), -1).numpy(),
                      lambda x: torch.log_softmax(torch.from_numpy(x), -1).numpy())
except ImportError:
    pass

errors = {name: [] for name in impls}
for label, (x, log) in cases.items():
    want = exact(x, log)
    for name, fns in impls.items():
        errors[name].append(ulps(fns[log](x), want))
    print(f"{label:28s} " + "  ".join(f"{n}: {errors[n][-1]:.3g}" for n in impls))

# %%
# On the dominant-entry row the others' log-probabilities are fine everywhere; the first
# entry's is where the 0 appears:
row = cases["dominant entry, log_softmax"][0]
print("exact     :", exact(row, True)[0])
print("softmaxkit:", sk.log_softmax(row)[0])
print("scipy     :", scipy.special.log_softmax(row)[0])

# %%
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
width = 0.8 / len(impls)
for i, (name, errs) in enumerate(errors.items()):
    ax.bar(np.arange(len(cases)) + i * width, np.maximum(errs, 1e-2), width, label=name)
ax.set_yscale("log")
ax.set_xticks(np.arange(len(cases)) + width * (len(impls) - 1) / 2, list(cases), fontsize=8)
ax.set_ylabel("worst error, ulps (log scale)")
ax.set_title("float64, against mpmath")
ax.legend()
