"""
The cs231n linear softmax classifier on iris
============================================

The notes' assignment: scores = X W, the softmax loss with L2 regularization, its gradient
written first with loops (naive) and then with matrix products (vectorized), and SGD on
minibatches. Both losses agree; :class:`softmaxkit.SoftmaxClassifier` is the same model,
trained with the fused kernel.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import softmaxkit as sk
from softmaxkit import plot

X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                    stratify=y)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# The naive and vectorized losses on the same weights: same loss, same gradient.
W = np.random.default_rng(0).normal(scale=1e-3, size=(4, 3))
for fn in (sk.softmax_loss_naive, sk.softmax_loss_vectorized):
    t0 = time.perf_counter()
    loss, dW = fn(W, X_train, y_train, 1e-3)
    print(f"{fn.__name__:24s} loss {loss:.6f}  |dW| {np.linalg.norm(dW):.6f}  "
          f"{(time.perf_counter() - t0) * 1e3:.2f} ms")

# %%
# SGD on minibatches, as in the notes, then the test accuracy.
clf = sk.SoftmaxClassifier(optimizer="sgd", learning_rate=0.1, batch_size=16, max_epochs=400,
                           random_state=0).fit(X_train, y_train)
print("test accuracy:", clf.score(X_test, y_test))

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
plot.loss_curve(clf, ax=ax)
