"""The family for JAX: ``jax.custom_vjp`` functions whose forward and backward run the
native kernels on the host through ``jax.pure_callback``.

Why a callback and not XLA's FFI: the callback needs no build against jaxlib's headers
(one wheel serves every JAX version), and on the CPU its cost is one copy of the operands
each way, small next to the exact kernels' own time (the table in
docs/user_guide/frameworks.md). Under ``vmap`` the kernels take the batch as one more
leading dimension (the axes are counted from the end, so they stay the same axes); the
losses, whose reduction would mix the batch, are called once per batch element.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .._api import family, gradients, losses
from .._core import numerics as nm
from .._core.docstrings import with_parameters

__all__ = ["softmax", "log_softmax", "softmin", "logsumexp", "cross_entropy"]


# the parameters of the public functions (jax.nn's names)
_PARAMETERS = {
    "x": "x : jax.Array\n    The scores, of a floating dtype.",
    "axis": "axis : int or tuple of ints, optional\n    The axis (or axes) of one slice, "
            "counted from the end under ``vmap``.\n    Default -1.",
    "temperature": "temperature : float, optional\n    Divides ``x`` first; a finite number "
                   "> 0. Default 1.",
    "keepdims": "keepdims : bool, optional\n    Keep the reduced axes, with size 1. "
                "Default False.",
    "logits": "logits : jax.Array\n    Unnormalized scores; the classes lie along ``axis``.",
    "labels": "labels : jax.Array of int\n    Class indices, ``logits``' shape without "
              "``axis``.",
    "reduction": "reduction : {'mean', 'sum', 'none'}, optional\n    How the per-sample "
                 "losses combine. Default 'mean'.",
}
_MAP = "jax.Array\n    ``x``'s shape and dtype."


def _axes(axis, ndim: int) -> tuple[int, ...]:
    """``axis`` (int, tuple or None) as negative axes, so that a batch dimension added in
    front (``vmap``) leaves them on the same data."""
    if axis is None:
        return tuple(range(-ndim, 0))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(a - ndim if a >= 0 else a)
    return tuple(out)


def _host(fn, like, *args, vmap_method="broadcast_all"):
    """``fn`` on NumPy views of ``args``, on the host; a result like ``like``."""
    def call(*arrays):
        return np.asarray(fn(*(np.asarray(a) for a in arrays)), dtype=like.dtype)
    return jax.pure_callback(call, like, *args, vmap_method=vmap_method)


def _float(x):
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


# ----------------------------------------------------------------- softmax and its kin


def _family_call(kind: str, x, axes, temperature):
    fn = {"softmax": family.softmax, "log_softmax": family.log_softmax,
          "softmin": family.softmin}[kind]
    like = jax.ShapeDtypeStruct(x.shape, x.dtype)
    return _host(lambda a: fn(a, axes, temperature=temperature), like, x)


def _backward_call(log: bool, y, dy, axes, temperature):
    fn = gradients.log_softmax_backward if log else gradients.softmax_backward
    like = jax.ShapeDtypeStruct(y.shape, y.dtype)
    return _host(lambda a, b: fn(a, b, axes, temperature=temperature), like, y, dy)


@partial(jax.custom_vjp, nondiff_argnums=(0, 2, 3))
def _family(kind, x, axes, temperature):
    return _family_call(kind, x, axes, temperature)


def _family_fwd(kind, x, axes, temperature):
    y = _family_call(kind, x, axes, temperature)
    return y, y


def _family_bwd(kind, axes, temperature, y, g):
    dx = _backward_call(kind == "log_softmax", y, g.astype(y.dtype), axes, temperature)
    return (-dx if kind == "softmin" else dx,)


_family.defvjp(_family_fwd, _family_bwd)


def _apply(kind: str, x, axis, temperature):
    """The public functions' common body: ``x`` as a float array, the axes from the end."""
    x = _float(x)
    return _family(kind, x, _axes(axis, x.ndim), float(temperature))


@with_parameters(_PARAMETERS, returns=_MAP)
def softmax(x, axis=-1, *, temperature: float = 1.0):
    """:func:`softmaxkit.softmax` for JAX arrays, under ``jit``, ``grad`` and ``vmap``.

    The forward and the backward (:func:`softmaxkit.softmax_backward`) run the native
    kernels on the host. First derivatives only.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> import softmaxkit.jax as skj
    >>> skj.softmax(jnp.array([1.0, 2.0, 3.0], dtype=jnp.float32))
    Array([0.09003057, 0.24472848, 0.66524094], dtype=float32)
    >>> jax.grad(lambda x: skj.softmax(x)[2])(jnp.array([1.0, 2.0, 3.0], jnp.float32))
    Array([-0.05989202, -0.1628034 ,  0.22269543], dtype=float32)
    """
    return _apply("softmax", x, axis, temperature)


@with_parameters(_PARAMETERS, returns=_MAP)
def log_softmax(x, axis=-1, *, temperature: float = 1.0):
    """:func:`softmaxkit.log_softmax` for JAX arrays (see :func:`softmax`).

    Examples
    --------
    >>> import jax.numpy as jnp, softmaxkit.jax as skj
    >>> skj.log_softmax(jnp.array([0.0, -40.0], dtype=jnp.float32))[0]
    Array(-4.248354e-18, dtype=float32)
    """
    return _apply("log_softmax", x, axis, temperature)


@with_parameters(_PARAMETERS, returns=_MAP)
def softmin(x, axis=-1, *, temperature: float = 1.0):
    """:func:`softmaxkit.softmin` for JAX arrays (see :func:`softmax`).

    Examples
    --------
    >>> import jax.numpy as jnp, softmaxkit.jax as skj
    >>> skj.softmin(jnp.array([0.0, 200.0], dtype=jnp.float32))
    Array([1., 0.], dtype=float32)
    """
    return _apply("softmin", x, axis, temperature)


# ------------------------------------------------------------------------ logsumexp


def _lse_call(x, axes, keepdims):
    like = jax.ShapeDtypeStruct(nm.reduced_shape(x.shape, axes, keepdims), x.dtype)
    # under vmap the batch is one more leading dimension: keepdims=True keeps it in front
    return _host(lambda a: family.logsumexp(a, axes, keepdims=keepdims), like, x)


@partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _logsumexp(x, axes, keepdims):
    return _lse_call(x, axes, keepdims)


def _lse_fwd(x, axes, keepdims):
    return _lse_call(x, axes, keepdims), x


def _lse_bwd(axes, keepdims, x, g):
    if not keepdims:
        g = jnp.expand_dims(g, tuple(sorted(a % x.ndim for a in axes)))
    return (_family_call("softmax", x, axes, 1.0) * g.astype(x.dtype),)


_logsumexp.defvjp(_lse_fwd, _lse_bwd)


@with_parameters(_PARAMETERS, returns="jax.Array\n    The log-sum-exp over ``axis``.",
                 axis="axis : int, tuple of ints or None, optional\n    The axes to reduce; "
                      "None: all of them. Default None.")
def logsumexp(x, axis=None, *, keepdims: bool = False):
    """:func:`softmaxkit.logsumexp` for JAX arrays; its gradient is the softmax.

    Examples
    --------
    >>> import jax.numpy as jnp, softmaxkit.jax as skj
    >>> skj.logsumexp(jnp.array([1000.0, 1000.0], dtype=jnp.float32))
    Array(1000.6932, dtype=float32)
    """
    x = _float(x)
    return _logsumexp(x, _axes(axis, x.ndim), bool(keepdims))


# --------------------------------------------------------------------- cross-entropy


def _xent_call(logits, labels, axis, reduction):
    rows = tuple(s for d, s in enumerate(logits.shape) if d != axis % logits.ndim)
    like = (jax.ShapeDtypeStruct(rows if reduction == "none" else (), logits.dtype),
            jax.ShapeDtypeStruct(logits.shape, logits.dtype))

    def call(z, t):
        loss, grad = losses.cross_entropy(np.asarray(z), np.asarray(t), axis,
                                          reduction=reduction, return_grad=True)
        return np.asarray(loss, dtype=z.dtype), np.asarray(grad, dtype=z.dtype)

    # the reduction runs over the whole call: once per batch element under vmap
    return jax.pure_callback(call, like, logits, labels, vmap_method="sequential")


@partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _cross_entropy(logits, labels, axis, reduction):
    return _xent_call(logits, labels, axis, reduction)[0]


def _xent_fwd(logits, labels, axis, reduction):
    loss, grad = _xent_call(logits, labels, axis, reduction)
    return loss, grad


def _xent_bwd(axis, reduction, grad, g):
    if reduction == "none":
        g = jnp.expand_dims(g, axis % grad.ndim)
    return grad * g.astype(grad.dtype), None


_cross_entropy.defvjp(_xent_fwd, _xent_bwd)


@with_parameters(_PARAMETERS, returns="jax.Array\n    The loss, reduced as ``reduction`` says.",
                 axis="axis : int, optional\n    The class axis. Default -1.")
def cross_entropy(logits, labels, axis: int = -1, *, reduction: str = "mean"):
    """:func:`softmaxkit.cross_entropy` of class-index ``labels`` for JAX arrays: the loss
    and its gradient in one pass of the fused kernel; the gradient is saved for the
    backward (first derivatives only).

    Examples
    --------
    >>> import jax, jax.numpy as jnp, softmaxkit.jax as skj
    >>> z = jnp.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], dtype=jnp.float32)
    >>> skj.cross_entropy(z, jnp.array([0, 1]))
    Array(0.31853977, dtype=float32)
    >>> jax.grad(skj.cross_entropy)(z, jnp.array([0, 1]))[0]
    Array([-0.17049943,  0.12121649,  0.04928295], dtype=float32)
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"cross_entropy: 'reduction' must be 'mean', 'sum' or 'none', got "
                         f"{reduction!r}")
    logits = _float(logits)
    labels = jnp.asarray(labels)
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise TypeError(f"cross_entropy: 'labels' must be class indices (integers), got "
                        f"dtype {labels.dtype}")
    ax = _axes(axis, logits.ndim)[0]
    return _cross_entropy(logits, labels, ax, reduction)
