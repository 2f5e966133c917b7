"""
log-softmax and the max shift
=============================

e^x overflows float64 above x ≈ 709.78 (float32: 88.72), so the textbook formula gives
inf / inf = NaN on large scores. Subtracting the maximum first, softmax(x) = softmax(x - max),
keeps every exponent ≤ 0: nothing overflows and the largest term is exactly 1.
log-softmax is then x - max - log(sum(e^(x - max))), computed in log space: it keeps
log-probabilities that ``log(softmax(x))`` would turn into -inf. (softmaxkit also computes
that log as ``log1p`` of the sum minus its leading 1, which keeps a dominant entry's tiny
log-probability that the plain formula rounds to 0: see the accuracy example.)
"""

import matplotlib.pyplot as plt
import numpy as np

import softmaxkit as sk

x = np.array([1000.0, 1001.0, 1002.0])
with np.errstate(over="ignore", invalid="ignore"):
    print("textbook   :", np.exp(x) / np.exp(x).sum())
print("max-shifted:", np.exp(x - x.max()) / np.exp(x - x.max()).sum())
print("softmaxkit :", sk.softmax(x))

# %%
# Log space keeps what the probabilities lose: the probability of the second entry is
# e^-800, below the smallest float64, so its log is -inf after ``log(softmax)``, while
# log_softmax gives -800 exactly.
y = np.array([0.0, -800.0])
with np.errstate(divide="ignore"):
    print("log(softmax):", np.log(sk.softmax(y)))
print("log_softmax :", sk.log_softmax(y))

# %%
# The same on a sweep: the second score falls from 0 to -1000.
d = np.linspace(0, 1000, 400)
pairs = np.stack([np.zeros_like(d), -d], axis=1)
with np.errstate(divide="ignore"):
    naive = np.log(sk.softmax(pairs, axis=1))[:, 1]
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(d, -sk.log_softmax(pairs, axis=1)[:, 1], label="-log_softmax")
ax.plot(d, -np.where(np.isfinite(naive), naive, np.nan), "--", label="-log(softmax)")
ax.axvline(745, color="gray", lw=0.8)
ax.set_xlabel("gap between the scores")
ax.set_ylabel("-log p of the smaller score")
ax.set_title("log(softmax) stops at the smallest double (gap ≈ 745)")
ax.legend()
