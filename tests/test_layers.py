"""Layers: forward/backward against torch.autograd and check_grad; composing them trains."""

from __future__ import annotations

import numpy as np
import pytest

import softmaxkit as sk

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


@needs_torch
def test_linear_matches_torch(rng):
    layer = sk.Linear(5, 3, rng=1)
    x = rng.normal(size=(4, 5))
    dout = rng.normal(size=(4, 3))
    tl = torch.nn.Linear(5, 3).double()
    with torch.no_grad():
        tl.weight.copy_(torch.tensor(layer.params["weight"]))
        tl.bias.copy_(torch.tensor(layer.params["bias"]))
    xt = torch.tensor(x, requires_grad=True)
    yt = tl(xt)
    yt.backward(torch.tensor(dout))
    np.testing.assert_allclose(layer(x), yt.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(layer.grads["weight"], tl.weight.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(layer.grads["bias"], tl.bias.grad.numpy(), rtol=1e-13)


def test_network_gradient_matches_check_grad(rng):
    net = sk.Sequential(sk.Linear(4, 6, rng=0), sk.Linear(6, 3, rng=1))
    ce = sk.SoftmaxCrossEntropy(label_smoothing=0.1)
    x = rng.normal(size=(5, 4))
    y = rng.integers(0, 3, size=5)
    ce(net(x), y)
    net.backward(ce.backward())
    for name, p in net.params.items():
        def loss_of(value, p=p):
            saved = p.copy()
            p[...] = value
            try:
                return ce(net(x), y)
            finally:
                p[...] = saved
        r = sk.check_grad(loss_of, p.copy(), analytic=net.grads[name])
        np.testing.assert_allclose(r.analytic, r.numeric, rtol=1e-6, atol=1e-9, err_msg=name)


def test_softmax_layers_backward(rng):
    x = rng.normal(size=(3, 4))
    dy = rng.normal(size=(3, 4))
    for layer, fn in ((sk.Softmax(axis=0), sk.softmax), (sk.LogSoftmax(axis=0), sk.log_softmax)):
        layer(x)
        r = sk.check_grad(lambda a, fn=fn: np.sum(fn(a, 0) * dy), x,
                          analytic=layer.backward(dy))
        np.testing.assert_allclose(r.analytic, r.numeric, rtol=1e-8, atol=1e-10)


def test_training_a_linear_softmax_classifier_reduces_the_loss(rng):
    # three separable blobs: a few steps of SGD must drive the loss down
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    y = rng.integers(0, 3, size=120)
    x = centers[y] + rng.normal(scale=0.5, size=(120, 2))
    layer, ce = sk.Linear(2, 3, rng=0), sk.SoftmaxCrossEntropy()
    losses = []
    for _ in range(60):
        losses.append(float(ce(layer(x), y)))
        layer.backward(ce.backward())
        for k, p in layer.params.items():
            p -= 0.5 * layer.grads[k]
    assert losses[-1] < 0.25 * losses[0]
    assert np.mean(np.argmax(layer(x), axis=1) == y) > 0.95


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="backward called before forward"):
        sk.Softmax().backward(np.ones(3))


@pytest.mark.parametrize("args,match", [((0, 3), "'in_features' must be an integer >= 1"),
                                        ((3, 2.5), "'out_features' must be an integer")])
def test_linear_bad_sizes(args, match):
    with pytest.raises(ValueError, match=match):
        sk.Linear(*args)


def test_linear_wrong_feature_count():
    with pytest.raises(ValueError, match="must end with 4 features, got shape"):
        sk.Linear(4, 2, rng=0)(np.ones((3, 5)))


def test_cross_entropy_layer_rejects_unknown_options():
    with pytest.raises(TypeError, match="unknown option"):
        sk.SoftmaxCrossEntropy(smoothing=0.1)
