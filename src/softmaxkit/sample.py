"""Sampling from softmax distributions.

:func:`categorical` draws class indices (tokens, labels) from logits with temperature,
top-k, top-p and min-p filtering; :func:`gumbel_softmax` is the differentiable relaxation
of such a draw, with :func:`gumbel_softmax_backward`. Every function takes a NumPy
``Generator`` or a seed as ``rng``, so draws are reproducible.

>>> from softmaxkit.sample import categorical
>>> categorical([0.0, 0.0, 50.0], rng=0)
array([2])
"""

from ._api.sampling import categorical, gumbel_softmax, gumbel_softmax_backward

__all__ = ["categorical", "gumbel_softmax", "gumbel_softmax_backward"]
