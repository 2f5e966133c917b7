"""
The softmax formula on [1, 2, 3]
================================

softmax(x)_i = e^(x_i) / sum_j e^(x_j). Worked by hand on the notes' example and compared
with :func:`softmaxkit.softmax`.
"""

import matplotlib.pyplot as plt
import numpy as np

import softmaxkit as sk

x = np.array([1.0, 2.0, 3.0])
e = np.exp(x)
print("e^x       :", e)
print("sum       :", e.sum())
print("by hand   :", e / e.sum())
print("softmaxkit:", sk.softmax(x))
print("sums to   :", sk.softmax(x).sum())

# %%
# The outputs keep the order of the inputs, and the largest input takes two thirds of the
# mass although it is only 1 more than the next one: each unit of difference multiplies
# the share by e. Only differences count: [101, 102, 103] gives the same probabilities.
fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.bar([str(v) for v in x], sk.softmax(x), color="tab:blue")
for i, p in enumerate(sk.softmax(x)):
    ax.text(i, p, f"{p:.3f}", ha="center", va="bottom")
ax.set_xlabel("input x")
ax.set_ylabel("softmax(x)")
ax.set_title("softmax([1, 2, 3])")
