"""Forward/backward layers: the notes' ``nn.Softmax(dim)`` and cs231n's modular layers.

Each layer's ``forward`` (also ``__call__``) caches what its ``backward`` needs;
``backward(dout)`` returns the gradient with respect to the input and, for layers with
parameters, stores the parameters' gradients in ``grads`` (same keys as ``params``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._core import validation as v
from . import family as F
from . import gradients as G
from . import losses as L
from . import sparse as S

__all__ = ["Linear", "Softmax", "LogSoftmax", "SoftmaxCrossEntropy", "Sequential",
           "Sparsemax", "Entmax15", "EntmaxBisect", "SparsemaxLoss", "Entmax15Loss",
           "EntmaxLoss"]


class _Layer:
    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # the docstrings the maps' layers inherit (Sphinx and help() show them)
    def forward(self, x: ArrayLike) -> np.ndarray:
        """Apply the layer's map along ``axis`` and keep its output for :meth:`backward`.

        Parameters
        ----------
        x : array_like
            Input scores.

        Returns
        -------
        numpy.ndarray
            The map's output, the shape of ``x``.
        """
        raise NotImplementedError

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """Return the vector-Jacobian product of the last forward.

        Parameters
        ----------
        dout : array_like
            The gradient of the loss with respect to the last forward's output.

        Returns
        -------
        numpy.ndarray
            The gradient with respect to the last forward's input.
        """
        raise NotImplementedError

    def _cached(self, name: str):
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return value


def _documented_as_layer(method):
    """Give a map layer's ``forward`` or ``backward`` the docstring of :class:`_Layer`'s."""
    method.__doc__ = getattr(_Layer, method.__name__).__doc__
    return method


class Linear(_Layer):
    r"""Affine layer ``y = x @ weight.T + bias``, PyTorch's layout (weight: out × in).

    Parameters
    ----------
    in_features, out_features : int
    rng : numpy.random.Generator or int, optional
        Initializes ``weight`` and ``bias`` uniformly in ``±1/sqrt(in_features)``, as
        PyTorch does.
    dtype : dtype, optional
        float64 (default) or float32.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> layer = sk.Linear(4, 3, rng=0)
    >>> y = layer(np.ones((2, 4)))
    >>> dx = layer.backward(np.ones_like(y))
    >>> y.shape, dx.shape, layer.grads["weight"].shape
    ((2, 3), (2, 4), (3, 4))
    """

    def __init__(self, in_features: int, out_features: int, *, rng: Any = None,
                 dtype: Any = np.float64) -> None:
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"Linear: {name!r} must be an integer >= 1, got {n!r}")
        dt = v.float_dtype("Linear", dtype)
        gen = np.random.default_rng(rng)
        bound = 1.0 / np.sqrt(in_features)
        self.params = {
            "weight": gen.uniform(-bound, bound, (out_features, in_features)).astype(dt),
            "bias": gen.uniform(-bound, bound, out_features).astype(dt),
        }
        self.grads = {k: np.zeros_like(p) for k, p in self.params.items()}
        self._x: np.ndarray | None = None

    def forward(self, x: ArrayLike) -> np.ndarray:
        """Apply ``x @ weight.T + bias`` and keep ``x`` for :meth:`backward`.

        Parameters
        ----------
        x : array_like
            Input whose last axis holds ``in_features`` features.

        Returns
        -------
        numpy.ndarray
            The output, with ``out_features`` features on the last axis.
        """
        w = self.params["weight"]
        xx = v.as_float_array("Linear.forward", x).astype(w.dtype, copy=False)
        if xx.ndim < 1 or xx.shape[-1] != w.shape[1]:
            raise ValueError(
                f"Linear.forward: 'x' must end with {w.shape[1]} features, got shape {xx.shape}"
            )
        self._x = xx
        return xx @ w.T + self.params["bias"]

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """Store the gradients of ``weight`` and ``bias`` in ``grads``; return that of ``x``.

        Parameters
        ----------
        dout : array_like
            The gradient of the loss with respect to the last forward's output.

        Returns
        -------
        numpy.ndarray
            The gradient with respect to the last forward's input.
        """
        x = self._cached("_x")
        d = np.asarray(dout, dtype=x.dtype)
        x2 = x.reshape(-1, x.shape[-1])
        d2 = d.reshape(-1, d.shape[-1])
        self.grads["weight"] = d2.T @ x2
        self.grads["bias"] = d2.sum(axis=0)
        return d @ self.params["weight"]


class Softmax(_Layer):
    r"""``softmax`` along ``axis`` as a layer (the notes' ``nn.Softmax(dim)``).

    Parameters
    ----------
    axis : int, tuple of ints or None, optional
        The axis or axes of one slice, as in :func:`softmax`. Default -1.
    temperature : float, optional
        Divides the input first, as in :func:`softmax`. Default 1.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> s = sk.Softmax(axis=0)
    >>> s(np.array([[1.0, 2.0], [4.0, 3.0], [5.0, 5.0]])).sum(axis=0)
    array([1., 1.])
    """

    _forward = staticmethod(F.softmax)
    _backward = staticmethod(G.softmax_backward)

    def __init__(self, axis: F.Axis = -1, *, temperature: float = 1.0) -> None:
        self.axis = axis
        self.temperature = v.positive_number(type(self).__name__, temperature, "temperature")
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._y: np.ndarray | None = None

    @_documented_as_layer
    def forward(self, x: ArrayLike) -> np.ndarray:
        self._y = self._forward(x, self.axis, temperature=self.temperature)
        return self._y

    @_documented_as_layer
    def backward(self, dout: ArrayLike) -> np.ndarray:
        return self._backward(self._cached("_y"), dout, self.axis, temperature=self.temperature)


class LogSoftmax(Softmax):
    r"""``log_softmax`` along ``axis`` as a layer.

    Parameters
    ----------
    axis : int, tuple of ints or None, optional
        The axis or axes of one slice, as in :func:`log_softmax`. Default -1.
    temperature : float, optional
        Divides the input first, as in :func:`log_softmax`. Default 1.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.LogSoftmax()([0.0, 0.0])
    array([-0.69314718, -0.69314718])
    """

    _forward = staticmethod(F.log_softmax)
    _backward = staticmethod(G.log_softmax_backward)


class Sparsemax(_Layer):
    r"""``sparsemax`` along ``axis`` as a layer; ``backward`` from the cached output.

    Parameters
    ----------
    axis : int, tuple of ints or None, optional
        The axis or axes of one slice, as in :func:`sparsemax`. Default -1.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> layer = sk.Sparsemax()
    >>> layer(np.array([0.5, 1.0, 1.2]))
    array([0. , 0.4, 0.6])
    >>> layer.backward(np.array([1.0, 2.0, 4.0]))
    array([ 0., -1.,  1.])
    """

    _forward = staticmethod(S.sparsemax)
    _backward = staticmethod(S.sparsemax_backward)

    def __init__(self, axis: F.Axis = -1) -> None:
        self.axis = axis
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._y: np.ndarray | None = None

    @_documented_as_layer
    def forward(self, x: ArrayLike) -> np.ndarray:
        self._y = self._forward(x, self.axis)
        return self._y

    @_documented_as_layer
    def backward(self, dout: ArrayLike) -> np.ndarray:
        return self._backward(self._cached("_y"), dout, self.axis)


class Entmax15(Sparsemax):
    r"""``entmax15`` along ``axis`` as a layer.

    Parameters
    ----------
    axis : int, tuple of ints or None, optional
        The axis or axes of one slice, as in :func:`entmax15`. Default -1.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.Entmax15()([1.0, 2.0, 3.0])
    array([0.        , 0.16928109, 0.83071891])
    """

    _forward = staticmethod(S.entmax15)
    _backward = staticmethod(S.entmax15_backward)


class EntmaxBisect(_Layer):
    r"""``entmax`` with α as a learnable parameter (``params["alpha"]``): ``backward``
    returns the input's gradient and stores α's in ``grads["alpha"]``.

    Parameters
    ----------
    alpha : float or array_like, optional
        α >= 1, a number or one per slice (see :func:`entmax`). Default 1.5.
    axis : int, tuple of ints or None, optional
    n_iter : int, optional
        Bisection steps. Default 50.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> layer = sk.EntmaxBisect(alpha=1.5)
    >>> layer(np.array([1.0, 2.0, 3.0]))
    array([0.        , 0.16928109, 0.83071891])
    >>> dx = layer.backward(np.array([0.0, 0.0, 1.0]))
    >>> round(float(layer.grads["alpha"]), 6)
    0.248462
    """

    def __init__(self, alpha: float | ArrayLike = 1.5, axis: F.Axis = -1, *,
                 n_iter: int = 50) -> None:
        self.axis = axis
        self.n_iter = n_iter
        self.params = {"alpha": np.asarray(alpha, dtype=np.float64)}
        self.grads = {"alpha": np.zeros_like(self.params["alpha"])}
        self._y: np.ndarray | None = None

    def _alpha(self):
        a = self.params["alpha"]
        return float(a) if a.ndim == 0 else a

    def forward(self, x: ArrayLike) -> np.ndarray:
        """Apply entmax with the layer's ``alpha`` and keep its output for :meth:`backward`.

        Parameters
        ----------
        x : array_like
            Input scores.

        Returns
        -------
        numpy.ndarray
            The map's output, the shape of ``x``.
        """
        self._y = S.entmax(x, self._alpha(), self.axis, n_iter=self.n_iter)
        return self._y

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """Store the gradient of ``alpha`` in ``grads``; return that of the input.

        Parameters
        ----------
        dout : array_like
            The gradient of the loss with respect to the last forward's output.

        Returns
        -------
        numpy.ndarray
            The gradient with respect to the last forward's input.
        """
        dx, da = S.entmax_backward(self._cached("_y"), dout, self._alpha(), self.axis,
                                   return_alpha_grad=True)
        self.grads["alpha"] = np.asarray(da, dtype=np.float64)
        return dx


class SoftmaxCrossEntropy(_Layer):
    r"""Softmax followed by cross-entropy, fused: ``backward`` returns ``p - onehot``.

    Parameters
    ----------
    axis : int, optional
        The class axis. Default -1.
    **options
        ``weight``, ``ignore_index``, ``label_smoothing`` and ``reduction``, as
        in :func:`cross_entropy`.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> ce = sk.SoftmaxCrossEntropy()
    >>> round(float(ce(np.array([[2.0, 1.0, 0.1]]), np.array([0]))), 6)
    0.41703
    >>> ce.backward()
    array([[-0.34099886,  0.24243297,  0.09856589]])
    """

    _loss = staticmethod(L.cross_entropy)
    _OPTIONS = frozenset({"weight", "ignore_index", "label_smoothing", "reduction"})

    def __init__(self, axis: int = -1, **options: Any) -> None:
        unknown = set(options) - self._OPTIONS
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown option(s) {sorted(unknown)}")
        self.axis = axis
        self.options = options
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._grad: np.ndarray | None = None

    def forward(self, logits: ArrayLike, target: ArrayLike) -> Any:
        """Compute the loss and keep its gradient for :meth:`backward`.

        Parameters
        ----------
        logits : array_like
            Unnormalized scores, classes along ``axis``.
        target : array_like
            Class indices (or probabilities, for the softmax loss) as in
            :func:`cross_entropy`.

        Returns
        -------
        float or numpy.ndarray
            The loss, reduced as the layer's ``reduction`` says.
        """
        loss, self._grad = self._loss(logits, target, axis=self.axis, return_grad=True,
                                      **self.options)
        return loss

    def backward(self, dout: ArrayLike = 1.0) -> np.ndarray:
        """Return the gradient of the loss with respect to the logits, scaled by ``dout``.

        Parameters
        ----------
        dout : array_like, default 1.0
            The upstream gradient: a scalar, or one value per sample with
            ``reduction="none"``.

        Returns
        -------
        numpy.ndarray
            The gradient with respect to the logits of the last forward.
        """
        g = self._cached("_grad")
        d = np.asarray(dout, dtype=g.dtype)
        if d.ndim == 0:
            return g * d
        # reduction "none": one upstream gradient per sample
        return g * np.expand_dims(d, v.axes_tuple(type(self).__name__, self.axis, g.ndim))


class SparsemaxLoss(SoftmaxCrossEntropy):
    r"""The sparsemax loss as a layer: ``backward`` returns ``sparsemax(z) - onehot``.

    Parameters
    ----------
    axis : int, optional
        The class axis. Default -1.
    **options
        ``weight``, ``ignore_index``, ``label_smoothing`` and ``reduction``, as
        in :func:`sparsemax_loss`.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> loss = sk.SparsemaxLoss()
    >>> round(float(loss(np.array([[0.5, 1.0, 1.2]]), np.array([2]))), 6)
    0.16
    >>> loss.backward()
    array([[ 0. ,  0.4, -0.4]])
    """

    _loss = staticmethod(S.sparsemax_loss)


class Entmax15Loss(SoftmaxCrossEntropy):
    r"""The 1.5-entmax loss as a layer (see :func:`entmax15_loss`).

    Parameters
    ----------
    axis : int, optional
        The class axis. Default -1.
    **options
        ``weight``, ``ignore_index``, ``label_smoothing`` and ``reduction``, as
        in :func:`entmax15_loss`.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> round(float(sk.Entmax15Loss()(np.array([[1.0, 2.0, 3.0]]), np.array([2]))), 6)
    0.061656
    """

    _loss = staticmethod(S.entmax15_loss)


class EntmaxLoss(SoftmaxCrossEntropy):
    r"""The α-entmax loss as a layer (see :func:`entmax_loss`).

    Parameters
    ----------
    axis : int, optional
        The class axis. Default -1.
    **options
        ``alpha`` and ``n_iter``, and ``weight``, ``ignore_index``,
        ``label_smoothing`` and ``reduction``, as in :func:`entmax_loss`.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> round(float(sk.EntmaxLoss(alpha=1.5)(np.array([[1.0, 2.0, 3.0]]), np.array([2]))), 6)
    0.061656
    """

    _loss = staticmethod(S.entmax_loss)
    _OPTIONS = SoftmaxCrossEntropy._OPTIONS | {"alpha", "n_iter"}


class Sequential(_Layer):
    r"""Layers applied in order; ``backward`` runs them in reverse.

    Parameters
    ----------
    *layers : layer
        The layers, each with ``forward``, ``backward``, ``params`` and ``grads``.

    Examples
    --------
    >>> import numpy as np
    >>> import softmaxkit as sk
    >>> net = sk.Sequential(sk.Linear(4, 8, rng=0), sk.Linear(8, 3, rng=1), sk.LogSoftmax())
    >>> net(np.ones((5, 4))).shape
    (5, 3)
    >>> sorted(net.params)
    ['0.bias', '0.weight', '1.bias', '1.weight']
    """

    def __init__(self, *layers: _Layer) -> None:
        self.layers = list(layers)

    @property
    def params(self) -> dict[str, np.ndarray]:  # type: ignore[override]
        """Every layer's parameters, named ``"<layer index>.<name>"``."""
        return {f"{i}.{k}": p for i, layer in enumerate(self.layers)
                for k, p in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:  # type: ignore[override]
        """Every layer's gradients from the last backward, named as :attr:`params`."""
        return {f"{i}.{k}": g for i, layer in enumerate(self.layers)
                for k, g in layer.grads.items()}

    def forward(self, x: ArrayLike) -> Any:
        """Run the layers in order.

        Parameters
        ----------
        x : array_like
            The first layer's input.

        Returns
        -------
        numpy.ndarray
            The last layer's output.
        """
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """Run the layers' backward in reverse order.

        Parameters
        ----------
        dout : array_like
            The gradient of the loss with respect to the last forward's output.

        Returns
        -------
        numpy.ndarray
            The gradient with respect to the last forward's input.
        """
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return np.asarray(dout)
