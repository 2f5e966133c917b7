"""``softmaxkit.jax``: the kernels under ``jit``, ``grad`` and ``vmap``."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import softmaxkit as sk

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
skj = pytest.importorskip("softmaxkit.jax")

from softmaxkit._frameworks import jax_ops  # noqa: E402

RNG = np.random.default_rng(3)
X = RNG.normal(scale=3, size=(4, 6)).astype(np.float32)
LABELS = np.array([0, 5, 2, 2])


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("axis", [0, -1, (0, 1)])
def test_values_jit_and_grad(name, axis):
    ours, numpy_fn = getattr(skj, name), getattr(sk, name)
    x = jnp.asarray(X)
    np.testing.assert_array_equal(np.asarray(ours(x, axis)), numpy_fn(X, axis=axis))
    np.testing.assert_array_equal(np.asarray(jax.jit(ours, static_argnums=1)(x, axis)),
                                  numpy_fn(X, axis=axis))
    w = jnp.asarray(RNG.normal(size=X.shape).astype(np.float32))
    got = jax.grad(lambda a: jnp.sum(ours(a, axis) * w))(x)
    ref = {"softmax": jax.nn.softmax, "log_softmax": jax.nn.log_softmax,
           "softmin": lambda a, axis: jax.nn.softmax(-a, axis)}[name]
    want = jax.grad(lambda a: jnp.sum(ref(a, axis=axis) * w))(x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-5, atol=2e-6)


def test_temperature():
    x = jnp.asarray(X)
    np.testing.assert_array_equal(np.asarray(skj.softmax(x, temperature=0.3)),
                                  sk.softmax(X, temperature=0.3))
    got = jax.grad(lambda a: skj.log_softmax(a, temperature=0.3)[1, 2])(x)
    want = jax.grad(lambda a: jax.nn.log_softmax(a / 0.3)[1, 2])(x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, False), (0, True)])
def test_logsumexp(axis, keepdims):
    x = jnp.asarray(X)
    got = skj.logsumexp(x, axis, keepdims=keepdims)
    np.testing.assert_array_equal(np.asarray(got), sk.logsumexp(X, axis=axis,
                                                                 keepdims=keepdims))
    g = jax.grad(lambda a: jnp.sum(skj.logsumexp(a, axis, keepdims=keepdims) ** 2))(x)
    w = jax.grad(lambda a: jnp.sum(jax.nn.logsumexp(a, axis, keepdims=keepdims) ** 2))(x)
    np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-5, atol=2e-6)


def test_vmap_keeps_the_axes():
    xs = jnp.asarray(RNG.normal(size=(3, 4, 6)).astype(np.float32))
    for fn, ref in [(lambda a: skj.softmax(a, 0), lambda a: sk.softmax(a, axis=1)),
                    (lambda a: skj.logsumexp(a, 1), lambda a: sk.logsumexp(a, axis=2))]:
        np.testing.assert_array_equal(np.asarray(jax.vmap(fn)(xs)), ref(np.asarray(xs)))
    # a loss reduces within each batch element, not across the batch
    ts = jnp.asarray(RNG.integers(0, 6, size=(3, 4)))
    got = jax.vmap(skj.cross_entropy)(xs, ts)
    want = [sk.cross_entropy(np.asarray(xs[i]), np.asarray(ts[i])) for i in range(3)]
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_and_its_gradient(reduction):
    x, t = jnp.asarray(X), jnp.asarray(LABELS)
    got = skj.cross_entropy(x, t, reduction=reduction)
    want = sk.cross_entropy(X, LABELS, reduction=reduction)
    np.testing.assert_array_equal(np.asarray(got), want)

    def theirs(a):
        per = -jnp.take_along_axis(jax.nn.log_softmax(a), t[:, None], axis=1)[:, 0]
        return per if reduction == "none" else (jnp.mean(per) if reduction == "mean"
                                                else jnp.sum(per))
    scale = jnp.arange(1.0, 5.0) if reduction == "none" else 1.0
    g = jax.jit(jax.grad(lambda a: jnp.sum(skj.cross_entropy(a, t, reduction=reduction)
                                           * scale)))(x)
    w = jax.grad(lambda a: jnp.sum(theirs(a) * scale))(x)
    np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-5, atol=2e-7)


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="'labels' must be class indices"):
        skj.cross_entropy(jnp.asarray(X), jnp.asarray(X))
    with pytest.raises(ValueError, match="'reduction' must be"):
        skj.cross_entropy(jnp.asarray(X), jnp.asarray(LABELS), reduction="avg")
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        skj.softmax(jnp.asarray(X), 2)


def test_docstring_examples():
    for module in (skj, jax_ops):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0


def test_the_plain_functions_under_jit_with_float64_enabled():
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        x = jnp.asarray(X)  # float32: computed in float64 on the array-API path
        for fn in (sk.softmax, sk.log_softmax, lambda a: sk.logsumexp(a, axis=1)):
            np.testing.assert_allclose(np.asarray(jax.jit(fn)(x)), fn(X), rtol=2e-7)
    finally:
        jax.config.update("jax_enable_x64", previous)


def test_out_must_be_writable():
    with pytest.raises(TypeError, match="'out' cannot be written in place"):
        sk.softmax(jnp.asarray(X), out=jnp.zeros_like(jnp.asarray(X)))


def test_every_public_name_has_an_example():
    for name in skj.__all__:
        doc = getattr(skj, name).__doc__
        assert doc and "Examples" in doc and ">>>" in doc, name
