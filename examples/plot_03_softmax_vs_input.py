"""
Outputs against inputs, on linear and log axes
==============================================

The notes draw softmax of 25 random integers in [-5, 15) against the integers. On a linear
y-axis the curve is the exponential's; on a log y-axis it is a straight line (of slope 1 in
natural-log units),
because log softmax(z)_i = z_i - logsumexp(z): the log-probabilities are the inputs shifted
by one constant.
"""

import matplotlib.pyplot as plt
import numpy as np

import softmaxkit as sk
from softmaxkit import plot

z = np.random.default_rng(0).integers(-5, 15, size=25).astype(float)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
plot.softmax_vs_input(z, ax=axes)

# %%
# The shift is the same for every entry: log-probability minus input is -logsumexp(z).
print(np.unique(np.round(sk.log_softmax(z) - z, 12)), -sk.logsumexp(z))

# %%
# softmaxkit against an independent implementation (PyTorch's ``nn.Softmax`` when it is
# installed, SciPy's otherwise): the points lie on the diagonal.
fig, ax = plt.subplots(figsize=(4, 4), layout="constrained")
plot.agreement(z, ax=ax)
