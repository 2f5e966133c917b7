"""
e^x, and why softmax uses it
============================

Softmax turns scores into probabilities with the exponential. e^x is positive for every
real x, so every probability is positive however negative a score is (in floating point,
until it underflows to 0: e^-746 is below the smallest double), and it grows fast,
so a larger score gets a disproportionately larger share: the largest score dominates
("soft" arg-max). It also turns differences into ratios, e^(a - b) = e^a / e^b, which is
why adding a constant to every score changes nothing.
"""

import matplotlib.pyplot as plt
import numpy as np

import softmaxkit as sk
from softmaxkit import plot

fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
plot.exp_curve(ax=ax)

# %%
# Adding a constant to every score leaves softmax unchanged: the constant's e^c cancels
# between the numerator and the sum.
z = np.array([1.0, 2.0, 3.0])
print(sk.softmax(z))
print(sk.softmax(z + 100.0))
