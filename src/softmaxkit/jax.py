"""softmaxkit for JAX: the family with ``jax.custom_vjp``, on the native kernels.

``softmax``, ``log_softmax``, ``softmin``, ``logsumexp`` and ``cross_entropy`` take JAX
arrays and work under ``jax.jit``, ``jax.grad`` (first derivatives) and ``jax.vmap``;
forward and backward run the exact kernels on the host (``jax.pure_callback``). Plain
``softmaxkit.softmax(jax_array)`` outside ``jit`` also computes on the kernels, through a
view of the array's memory.

Examples
--------
>>> import jax, jax.numpy as jnp
>>> import softmaxkit.jax as skj
>>> f = jax.jit(lambda x: skj.logsumexp(x, axis=1))
>>> f(jnp.array([[0.0, 0.0], [1e4, 1e4]], dtype=jnp.float32))
Array([6.9314718e-01, 1.0000693e+04], dtype=float32)
"""

from ._frameworks.jax_ops import cross_entropy, log_softmax, logsumexp, softmax, softmin

__all__ = ["softmax", "log_softmax", "softmin", "logsumexp", "cross_entropy"]
