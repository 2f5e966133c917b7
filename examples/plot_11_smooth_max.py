"""
log-sum-exp as a smooth maximum, with sharpness k
=================================================

log(e^(k x) + e^(k c)) / k is a smooth version of max(x, c): never below the maximum and at
most log(2) / k above it (log(n) / k for n terms), so it approaches the maximum as the
sharpness k grows. Its gradient is softmax(k x): the smooth maximum's derivative is the
"soft" arg-max.
"""

import matplotlib.pyplot as plt
import numpy as np

import softmaxkit as sk
from softmaxkit import plot

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
plot.smooth_max_vs_max(ks=range(1, 11), c=3.0, ax=ax)

# %%
x = np.array([1.0, 2.0, 3.0])
for k in (1, 5, 25):
    print(f"k={k:2d}  smooth_max={sk.smooth_max(x, k=k):.6f}  "
          f"bound max + log(3)/k = {x.max() + np.log(3) / k:.6f}")

# %%
# The gradient is softmax(k x), checked by central differences.
k = 5.0
g = sk.smooth_max_backward(x, 1.0, k=k)
print("gradient   :", g)
print("softmax(kx):", sk.softmax(k * x))
print("check_grad :", sk.check_grad(lambda v: sk.smooth_max(v, k=k), x,
                                    analytic=g).max_rel_error)
