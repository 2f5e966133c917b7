"""
The fused loss and its memory
=============================

A classifier's last layer makes logits ``x @ W.T + b`` of shape (N, C). With a large
vocabulary C those logits, their softmax and their gradient are the largest arrays of the
step. :func:`softmaxkit.cross_entropy` computes the loss and its gradient in one pass
(no separate softmax array), and :func:`softmaxkit.linear_cross_entropy` goes further: it
forms the logits a chunk of rows at a time, so the full (N, C) array never exists.
"""

import tracemalloc

import matplotlib.pyplot as plt
import numpy as np

import softmaxkit as sk

rng = np.random.default_rng(0)
n, d, c = 2048, 64, 16384
x = rng.normal(size=(n, d)).astype(np.float32)
w = (rng.normal(size=(c, d)) * 0.05).astype(np.float32)
y = rng.integers(0, c, size=n)


def unfused():
    logits = x @ w.T
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    p[np.arange(n), y] -= 1
    return loss, (p / n).T @ x


def fused():
    loss, g = sk.cross_entropy(x @ w.T, y, return_grad=True)
    return loss, g.T @ x


def chunked():
    loss, (dx, dw, db) = sk.linear_cross_entropy(x, w, None, y, return_grad=True)
    return loss, dw


peaks, losses = {}, {}
for name, fn in {"NumPy, unfused": unfused, "cross_entropy": fused,
                 "linear_cross_entropy": chunked}.items():
    tracemalloc.start()
    losses[name], _ = fn()
    peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"{name:22s} loss {float(losses[name]):.6f}  peak {peaks[name]:7.1f} MiB")
print(f"one (N, C) float32 array: {n * c * 4 / 2**20:.0f} MiB")

# %%
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.barh(list(peaks), list(peaks.values()), color=["tab:gray", "tab:blue", "tab:green"])
ax.axvline(n * c * 4 / 2**20, color="black", ls="--", lw=0.8, label="one (N, C) array")
ax.set_xlabel("peak memory traced, MiB")
ax.legend()
