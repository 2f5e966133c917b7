"""
The cross-entropy gradient p − onehot, and a gradient check
===========================================================

For logits z and a true class y, the loss -log softmax(z)_y has the gradient
softmax(z) - onehot(y): the predicted probabilities, minus one at the true class. The
notes derive it through the softmax layer's backward; here it is checked against central
differences with :func:`softmaxkit.check_grad`.
"""

import matplotlib.pyplot as plt
import numpy as np

import softmaxkit as sk

z = np.array([[2.0, 1.0, 0.1]])
y = np.array([0])
loss, grad = sk.cross_entropy(z, y, return_grad=True)
p = sk.softmax(z)
print("loss            :", loss)
print("softmax(z)      :", p)
print("p - onehot      :", p - np.eye(3)[y])
print("fused gradient  :", grad)

# %%
# Central differences of the loss agree with the analytic gradient to about 1e-10.
r = sk.check_grad(lambda v: sk.cross_entropy(v, y), z, analytic=grad)
print("max relative error:", r.max_rel_error)

# %%
# The same check on the notes' vectorized softmax loss of a linear classifier, whose
# gradient with respect to the weights is X.T @ (P - onehot) / N + 2 reg W.
rng = np.random.default_rng(0)
W, X, yy = rng.normal(size=(5, 3)) * 0.1, rng.normal(size=(20, 5)), rng.integers(0, 3, 20)
loss, dW = sk.softmax_loss_vectorized(W, X, yy, 0.1)
r = sk.check_grad(lambda w: sk.softmax_loss_vectorized(w, X, yy, 0.1)[0], W, analytic=dW)
print("linear classifier, max relative error:", r.max_rel_error)

fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.bar(np.arange(3) - 0.2, p[0], 0.4, label="softmax(z)")
ax.bar(np.arange(3) + 0.2, grad[0], 0.4, label="gradient p - onehot")
ax.axhline(0, color="black", lw=0.8)
ax.set_xticks(range(3), ["class 0 (true)", "class 1", "class 2"])
ax.legend()
