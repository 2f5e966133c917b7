"""
Masked entries and fully masked rows
====================================

Attention and padded batches mask some scores out. With ``where=`` the masked entries get
probability 0 and take no part in the sum; a row with every entry masked (or every score
-inf) is all zeros, where the textbook formula gives 0/0 = NaN and PyTorch's softmax NaN.
:func:`softmaxkit.attention_softmax` builds the causal mask, ALiBi bias and a sink in one
pass.
"""

import matplotlib.pyplot as plt
import numpy as np

import softmaxkit as sk
from softmaxkit import plot

x = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
mask = np.array([[True, False, True], [False, False, False]])
print(sk.softmax(x, where=mask))
print(sk.softmax([[-np.inf, -np.inf]]))
with np.errstate(invalid="ignore"):
    e = np.exp(np.array([-np.inf, -np.inf]))
    print("textbook:", e / e.sum())

# %%
# A causal mask with ALiBi and a sink: each query row attends to itself and earlier keys,
# nearer ones weighted more, and the sink takes the rest of the mass.
fig, axes = plt.subplots(1, 4, figsize=(12, 3.2), layout="constrained")
plot.attention_weights(10, slope=0.5, sink=1.0, ax=axes)
