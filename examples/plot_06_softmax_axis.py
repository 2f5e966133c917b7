"""
``nn.Softmax(dim)``: which axis sums to 1
=========================================

On an n-d array softmax runs along one axis: every slice along it becomes a distribution.
The notes' tensor ``[[1, 2], [4, 3], [5, 5]]`` with ``nn.Softmax(dim=0)`` normalizes each
column (down the rows), so ``sum(dim=0)`` is all ones; ``dim=1`` normalizes each row.
softmaxkit's ``axis`` is PyTorch's ``dim``; :class:`softmaxkit.Softmax` is the layer.
"""

import matplotlib.pyplot as plt
import numpy as np

import softmaxkit as sk
from softmaxkit import plot

a = np.array([[1.0, 2.0], [4.0, 3.0], [5.0, 5.0]])
p0 = sk.Softmax(axis=0)(a)
print(np.round(p0, 4))
print("sum over axis 0:", p0.sum(axis=0))
print("sum over axis 1:", sk.softmax(a, axis=1).sum(axis=1))

fig, axes = plt.subplots(1, 2, figsize=(7, 3.5), layout="constrained")
plot.axis_heatmaps(a, ax=axes)

# %%
# A tuple of axes makes one distribution over all of them together.
print(sk.softmax(a, axis=(0, 1)).sum())
