"""
Learning rate × regularization search, and weight templates on digits
=====================================================================

The notes tune the learning rate and the regularization strength on a validation set,
keep the best pair, and show each class's learned weights as an image: a linear classifier
scores an image by its dot product with one template per class, so the templates look
like blurred averages of their class.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

import softmaxkit as sk
from softmaxkit import plot

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=0,
                                                  stratify=y)
# 20 epochs per pair: a quick search, stopped before convergence on purpose
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    table = sk.softmax_grid_search(X_train, y_train, X_val, y_val,
                                   learning_rates=[1e-3, 1e-2, 1e-1],
                                   regularizations=[1e-4, 1e-2, 1.0], max_epochs=20)
best = table[table["val_accuracy"].argmax()]
print(f"best: learning rate {best['learning_rate']}, reg {best['reg']}, "
      f"validation accuracy {best['val_accuracy']:.3f}")

fig, ax = plt.subplots(figsize=(5, 4), layout="constrained")
plot.grid_search_heatmap(table, ax=ax)

# %%
# The classifier at the best pair (the search's ``reg`` is cs231n's: the loss holds
# ``reg * sum(W**2)``, which is ``alpha = 2 * reg``), and its ten templates.
clf = sk.SoftmaxClassifier(learning_rate=float(best["learning_rate"]),
                           alpha=2 * float(best["reg"]), max_epochs=200,
                           random_state=0).fit(X_train, y_train)
print("validation accuracy:", clf.score(X_val, y_val))
fig, axes = plt.subplots(2, 5, figsize=(8, 3.6), layout="constrained")
plot.weight_templates(clf, (8, 8), ax=axes.ravel())
