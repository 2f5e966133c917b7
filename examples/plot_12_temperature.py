"""
Temperature
===========

softmax(z / T): a temperature T below 1 sharpens the distribution towards the arg-max
(T → 0 gives the one-hot :func:`softmaxkit.hardmax`), above 1 flattens it towards uniform.
The entropy in the legend measures how spread out each distribution is.
"""

import matplotlib.pyplot as plt

import softmaxkit as sk
from softmaxkit import plot

z = [1.0, 2.0, 3.0, 4.0]
for T in (0.25, 1.0, 4.0):
    print(f"T={T:<5} {sk.softmax(z, temperature=T).round(4)}")
print("hardmax   ", sk.hardmax(z))

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
plot.temperature_sweep(z, ax=ax)

# %%
# The gradient with respect to the temperature is what temperature scaling fits
# (see :class:`softmaxkit.calibration.TemperatureScaler`).
print(sk.softmax_temperature_grad(z, [0.0, 0.0, 0.0, 1.0], temperature=1.0))
