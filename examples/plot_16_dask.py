"""
Bigger than memory: Dask
========================

The same functions take Dask arrays: a softmax over rows runs chunk by chunk through the
native kernels, and a reduction along a chunked axis merges per-chunk statistics (the
maximum, the sum of the other exponentials) as exactly as one pass in memory would.
:class:`softmaxkit.SoftmaxClassifier` trains data-parallel on a Dask array: each step takes
a minibatch from each worker's rows and sums their gradients. Here on a small array, on the
threaded scheduler; the :doc:`/tutorials/dask` tutorial goes to arrays on disk.
"""

import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np

import softmaxkit as sk

dask.config.set(scheduler="threads")
x = da.random.default_rng(0).normal(size=(100_000, 10), chunks=(25_000, 10))
p = sk.softmax(x, axis=1)
print(type(p).__name__, p.chunks[0])
print("every row sums to 1:", bool(da.allclose(p.sum(axis=1), 1.0).compute()))

# %%
# Along the chunked axis: four chunks of 25,000 give the log-sum-exp of the whole column.
lse = sk.logsumexp(x[:, 0]).compute()
print(lse, sk.logsumexp(x[:, 0].compute()))

# %%
# The classifier on a Dask array.
rng = np.random.default_rng(0)
centers = rng.normal(scale=3, size=(3, 10))
labels = rng.integers(0, 3, size=60_000)
X = da.from_array(centers[labels] + rng.normal(size=(60_000, 10)), chunks=(15_000, 10))
Y = da.from_array(labels, chunks=15_000)
clf = sk.SoftmaxClassifier(max_epochs=50, random_state=0).fit(X, Y)
print("training accuracy:", clf.score(X.compute(), labels))

fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.plot(np.arange(1, len(clf.loss_curve_) + 1), clf.loss_curve_, marker="o")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title("SoftmaxClassifier on a Dask array")
