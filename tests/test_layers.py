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


def test_sparse_map_layers_backward(rng):
    x = rng.normal(size=(3, 5)) * 2
    dy = rng.normal(size=(3, 5))
    for layer, fn in ((sk.Sparsemax(axis=0), sk.sparsemax), (sk.Entmax15(axis=0), sk.entmax15),
                      (sk.EntmaxBisect(1.7, axis=0, n_iter=100),
                       lambda a, ax: sk.entmax(a, 1.7, ax, n_iter=100))):
        layer(x)
        r = sk.check_grad(lambda a, fn=fn: np.sum(fn(a, 0) * dy), x, eps=1e-6)
        np.testing.assert_allclose(layer.backward(dy), r.numeric, rtol=1e-6, atol=1e-9)


def test_entmax_bisect_layer_learns_alpha(rng):
    # the gradient stored for alpha is that of the loss through the map
    x = rng.normal(size=(4, 6))
    dy = rng.normal(size=(4, 6))
    layer = sk.EntmaxBisect(alpha=1.4, n_iter=100)
    layer(x)
    layer.backward(dy)
    r = sk.check_grad(lambda a: np.sum(sk.entmax(x, float(a), n_iter=100) * dy),
                      np.array(1.4), eps=1e-6)
    np.testing.assert_allclose(layer.grads["alpha"], r.numeric, rtol=1e-6)


@pytest.mark.parametrize("layer, loss", [
    (sk.SparsemaxLoss(label_smoothing=0.1), lambda z, y: sk.sparsemax_loss(
        z, y, label_smoothing=0.1)),
    (sk.Entmax15Loss(reduction="sum"), lambda z, y: sk.entmax15_loss(z, y, reduction="sum")),
    (sk.EntmaxLoss(alpha=1.3), lambda z, y: sk.entmax_loss(z, y, alpha=1.3)),
])
def test_sparse_loss_layers_train_a_linear_classifier(rng, layer, loss):
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    y = rng.integers(0, 3, size=120)
    x = centers[y] + rng.normal(scale=0.5, size=(120, 2))
    lin = sk.Linear(2, 3, rng=0)
    z = lin(x)
    np.testing.assert_allclose(layer(z, y), loss(z, y), rtol=1e-14)
    losses = []
    for _ in range(60):
        losses.append(float(layer(lin(x), y)))
        lin.backward(layer.backward())
        for k, p in lin.params.items():
            p -= 0.5 / (120 if layer.options.get("reduction") == "sum" else 1) * lin.grads[k]
    assert losses[-1] < 0.25 * losses[0]
    assert np.mean(np.argmax(lin(x), axis=1) == y) > 0.95


def test_sparse_loss_layers_reject_unknown_options():
    with pytest.raises(TypeError, match="SparsemaxLoss: unknown option"):
        sk.SparsemaxLoss(alpha=1.5)
