"""
Softmax against plain normalization: blurry and crisp
=====================================================

Dividing by the sum, x / sum(x), gives the same proportions whatever the scale: [1, 2] and
[10, 20] both become [1/3, 2/3]. Softmax depends on differences, so [10, 20] (a difference
of 10) is far more confident than [1, 2] (a difference of 1): the notes' "blurry" and
"crisp".
"""

import matplotlib.pyplot as plt

import softmaxkit as sk
from softmaxkit import plot

for x in ([1.0, 2.0], [10.0, 20.0]):
    print(x, "normalized:", sk.std_norm(x), "softmax:", sk.softmax(x))

fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
plot.softmax_vs_std_norm(ax=axes)

# %%
# Plain normalization also needs non-negative inputs; softmax takes any real numbers.
print(sk.softmax([-3.0, 0.0, 3.0]))
