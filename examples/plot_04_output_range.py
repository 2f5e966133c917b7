"""
How the output range shrinks with N
===================================

The outputs always sum to 1, so as the number of inputs N grows each output shrinks,
roughly like 1/N for inputs of the same spread: softmax of 1000 scores is a distribution
over 1000 outcomes, and no single one keeps much mass unless its score stands far apart.
"""

import matplotlib.pyplot as plt
import numpy as np

import softmaxkit as sk
from softmaxkit import plot

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
plot.output_range(ax=ax)

# %%
rng = np.random.default_rng(0)
for n in (10, 100, 1000):
    p = sk.softmax(rng.normal(size=n))
    print(f"N={n:5d}  max={p.max():.4f}  min={p.min():.6f}  sum={p.sum():.15f}")
