"""cs231n's softmax classifier losses, as a library: W is (D, C), X is (N, D).

``softmax_loss_naive`` is the explicit double loop of the assignment, kept readable
(and stable: the scores are shifted by their maximum); ``softmax_loss_vectorized`` is
the same loss from the fused cross-entropy. Both include ``reg * sum(W**2)`` and return
``(loss, dW)``; the tests hold them equal to each other and to ``check_grad``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._core import validation as v
from .losses import cross_entropy

__all__ = ["softmax_loss_naive", "softmax_loss_vectorized"]


def _inputs(fname, W, X, y, reg):
    W = v.as_float_array(fname, W, "W")
    X = v.as_float_array(fname, X, "X")
    y = np.asarray(y)
    if W.ndim != 2 or X.ndim != 2 or X.shape[1] != W.shape[0]:
        raise ValueError(f"{fname}: 'W' must be (D, C) and 'X' (N, D); got {W.shape} and "
                         f"{X.shape}")
    if y.shape != (X.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError(f"{fname}: 'y' must be {X.shape[0]} class indices, got {y.shape} "
                         f"{y.dtype}")
    if np.any((y < 0) | (y >= W.shape[1])):
        i = int(np.argmax((y < 0) | (y >= W.shape[1])))
        raise ValueError(f"{fname}: label {int(y[i])} at position {i} is not in [0, "
                         f"{W.shape[1]})")
    reg = v.positive_number(fname, reg, "reg") if reg != 0 else 0.0
    dt = np.result_type(W.dtype, X.dtype)
    return W.astype(dt, copy=False), X.astype(dt, copy=False), y, reg


def softmax_loss_naive(W: ArrayLike, X: ArrayLike, y: ArrayLike, reg: float):
    r"""Softmax loss and gradient with explicit loops (cs231n's ``softmax_loss_naive``).

    Parameters
    ----------
    W : array_like, shape (D, C)
    X : array_like, shape (N, D)
    y : array_like of int, shape (N,)
    reg : float
        L2 strength: the loss includes ``reg * sum(W**2)``.

    Returns
    -------
    loss : float
        Mean cross-entropy plus the penalty.
    dW : ndarray, shape (D, C)

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> W = np.zeros((3, 2)); X = np.ones((4, 3)); y = np.array([0, 1, 0, 1])
    >>> loss, dW = sk.softmax_loss_naive(W, X, y, 0.0)
    >>> round(loss, 6)  # log 2: uniform scores
    0.693147
    """
    W, X, y, reg = _inputs("softmax_loss_naive", W, X, y, reg)
    n, c = X.shape[0], W.shape[1]
    loss = 0.0
    dW = np.zeros_like(W)
    for i in range(n):
        scores = X[i] @ W
        scores = scores - np.max(scores)  # shift: exp cannot overflow
        total = 0.0
        for j in range(c):
            total += np.exp(scores[j])
        loss += np.log(total) - scores[y[i]]
        for j in range(c):
            p = np.exp(scores[j]) / total
            dW[:, j] += (p - (j == y[i])) * X[i]
    loss = loss / n + reg * float(np.sum(W * W))
    return float(loss), dW / n + 2 * reg * W


def softmax_loss_vectorized(W: ArrayLike, X: ArrayLike, y: ArrayLike, reg: float):
    r"""The same loss and gradient with no loop, from the fused cross-entropy.

    Parameters
    ----------
    W : array_like, shape (D, C)
        The weights, one column per class.
    X : array_like, shape (N, D)
        The samples.
    y : array_like of int, shape (N,)
        Their classes, in ``range(C)``.
    reg : float
        L2 strength: the loss includes ``reg * sum(W**2)``.

    Returns
    -------
    loss : float
        Mean cross-entropy plus the penalty.
    dW : ndarray, shape (D, C)
        Its gradient with respect to ``W``.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> rng = np.random.default_rng(0)
    >>> W, X, y = rng.normal(size=(5, 3)), rng.normal(size=(8, 5)), rng.integers(0, 3, 8)
    >>> a, b = sk.softmax_loss_naive(W, X, y, 0.1), sk.softmax_loss_vectorized(W, X, y, 0.1)
    >>> bool(np.isclose(a[0], b[0]) and np.allclose(a[1], b[1]))
    True
    """
    W, X, y, reg = _inputs("softmax_loss_vectorized", W, X, y, reg)
    loss, g = cross_entropy(X @ W, y, return_grad=True)  # g = (p - onehot) / N
    return float(loss) + reg * float(np.sum(W * W)), X.T @ g + 2 * reg * W
