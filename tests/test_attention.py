"""attention_softmax and the sink of the softmax family: the fused kernel against the
composition (reference), an independent float64 formula and PyTorch's attention."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import documented_contract_tests

import softmaxkit as sk

RNG = np.random.default_rng(7)


def _plain(scores, *, scale=1.0, mask=None, bias=None, causal=False, slopes=None, sink=None):
    """The definition in float64, written out (no softmaxkit)."""
    z = scale * scores.astype(np.float64)
    L, S = z.shape[-2:]
    off = S - L if causal == "bottom_right" else 0
    q = np.arange(L)[:, None] + off
    j = np.arange(S)[None, :]
    if bias is not None:
        z = z + bias
    if slopes is not None:
        z = z + np.asarray(slopes)[:, None, None] * (j - q)
    keep = np.ones(z.shape, bool)
    if mask is not None:
        keep &= mask
    if causal:
        keep &= j <= q
    z = np.where(keep, z, -np.inf)
    m = np.max(z, axis=-1, keepdims=True)
    if sink is not None:
        m = np.maximum(m, np.asarray(sink)[..., None])
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(z - m)
    tot = e.sum(-1, keepdims=True)
    if sink is not None:
        tot = tot + np.exp(np.asarray(sink)[..., None] - m)
    return np.divide(e, tot, out=np.zeros_like(e), where=tot > 0)


CASES = [dict(), dict(causal=True), dict(causal="bottom_right"), dict(scale=0.125),
         dict(bias=True), dict(mask=True), dict(slopes=True), dict(sink=True),
         dict(scale=0.3, bias=True, mask=True, slopes=True, sink=True, causal=True)]


def _args(case, shape):
    a = dict(case)
    B, H, L, S = shape
    if a.pop("bias", False):
        a["bias"] = RNG.normal(size=(L, S))
    if a.pop("mask", False):
        a["mask"] = RNG.random((B, 1, L, S)) > 0.3
    if a.pop("slopes", False):
        a["slopes"] = 2.0 ** -np.arange(1, H + 1)
    if a.pop("sink", False):
        a["sink"] = RNG.normal(size=(H, 1))
    return a


def _api(a):
    b = dict(a)
    if "slopes" in b:
        b["alibi_slopes"] = b.pop("slopes")
    return b


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (1, 2, 9, 4), (1, 4, 1, 40)])
def test_kernel_equals_the_composition_and_the_formula(case, dtype, shape):
    x = (RNG.normal(size=shape) * 4).astype(dtype)
    a = _args(case, shape)
    if "bias" in a:
        a["bias"] = a["bias"].astype(dtype)
    got = sk.attention_softmax(x, **_api(a))
    with sk.backend("numpy"):
        ref = sk.attention_softmax(x, **_api(a))
    assert got.dtype == dtype and got.shape == x.shape
    assert not np.isnan(got).any()
    eps = np.finfo(dtype).eps
    # the same formed scores: the softmax kernel's few ulps against the reference
    np.testing.assert_allclose(got, ref, rtol=4 * eps, atol=np.finfo(dtype).tiny)
    # the definition in float64 from the unrounded scores: the scores' one rounding
    want = _plain(x, **a)
    rtol, atol = {np.float16: (4e-2, 2e-3), np.float32: (2e-5, 1e-7),
                  np.float64: (1e-12, 1e-15)}[dtype]
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)



def _formed_rows(x, scale, bias, mask, slopes, off):
    """The scores as the composition forms them in x's type, one row at a time, each cut
    at its causal limit (no softmaxkit)."""
    t = x.dtype.type
    B, H, L, S = x.shape
    j = np.arange(S)
    for b, h, i in np.ndindex(B, H, L):
        z = t(scale) * x[b, h, i]
        z = z + bias[i]
        z = z + t(slopes[h]) * (j - (i + off)).astype(x.dtype)
        z = np.where(mask[b, 0, i], z, -np.inf).astype(x.dtype)
        yield (b, h, i), z[:max(0, min(S, i + off + 1))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("S", [5000, 40000])
@pytest.mark.parametrize("special", [None, np.inf, np.nan])
def test_long_rows_are_the_softmax_of_the_formed_scores_bit_for_bit(dtype, S, special):
    # rows formed a block at a time, longer than a block and than the split of a long
    # slice into parts, with the maximum (or an inf, a NaN) in a later block
    L = 3
    x = (RNG.normal(size=(1, 2, L, S)) * 4).astype(dtype)
    x[0, 1, :, S - 7] = 40
    if special is not None:
        x[0, 0, 1, S - 3] = special
    bias = RNG.normal(size=(L, S)).astype(dtype)
    mask = RNG.random((1, 1, L, S)) > 0.2
    slopes = 2.0 ** -np.arange(1, 3)
    sink = RNG.normal(size=(2, 1))
    for use_sink in (False, True):
        got = sk.attention_softmax(x, scale=0.3, bias=bias, mask=mask, alibi_slopes=slopes,
                                   causal="bottom_right", sink=sink if use_sink else None)
        for (b, h, i), z in _formed_rows(x, 0.3, bias, mask, slopes, S - L):
            if use_sink:
                want = sk.softmax(np.append(z, dtype(sink[h, 0])))[:-1]
            else:
                want = sk.softmax(z)
            np.testing.assert_array_equal(got[b, h, i, :len(z)], want)
            assert (got[b, h, i, len(z):] == 0).all()

def test_fully_masked_rows_give_zeros_and_a_finite_sink_takes_the_mass():
    x = np.zeros((2, 4))
    mask = np.array([[False] * 4, [True, False, True, False]])
    p = sk.attention_softmax(x, mask=mask)
    np.testing.assert_array_equal(p, [[0, 0, 0, 0], [0.5, 0, 0.5, 0]])
    p = sk.attention_softmax(x, mask=mask, sink=np.array([1.0, 0.0]))
    np.testing.assert_array_equal(p[0], 0)
    np.testing.assert_allclose(p[1], [1 / 3, 0, 1 / 3, 0], rtol=1e-15)
    # bottom-right alignment with more queries than keys: the first queries see nothing
    p = sk.attention_softmax(np.zeros((4, 2)), causal="bottom_right")
    np.testing.assert_array_equal(p[:2], 0)
    np.testing.assert_array_equal(p[3], [0.5, 0.5])


def test_out_and_in_place():
    x = RNG.normal(size=(3, 6, 6)).astype(np.float32)
    want = sk.attention_softmax(x, causal=True, scale=0.5)
    out = np.empty_like(x)
    assert sk.attention_softmax(x, causal=True, scale=0.5, out=out) is out
    np.testing.assert_array_equal(out, want)
    y = x.copy()
    sk.attention_softmax(y, causal=True, scale=0.5, out=y)
    np.testing.assert_array_equal(y, want)


def test_equals_pytorch_scaled_dot_product_attention_weights():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    B, H, L, S, D = 2, 3, 6, 6, 5
    q = torch.randn(B, H, L, D, dtype=torch.float64)
    k = torch.randn(B, H, S, D, dtype=torch.float64)
    eye = torch.eye(S, dtype=torch.float64).expand(B, H, S, S)
    scores = (q @ k.transpose(-1, -2)).numpy()
    scale = 1 / np.sqrt(D)
    # the weights come out of SDPA as its output when the values are the identity
    w = F.scaled_dot_product_attention(q, k, eye, is_causal=True).numpy()
    np.testing.assert_allclose(sk.attention_softmax(scores, scale=scale, causal=True), w,
                               rtol=1e-12, atol=1e-15)
    mask = torch.rand(B, 1, L, S) > 0.3
    mask[..., 0] = True  # PyTorch gives NaN for rows with nothing left
    w = F.scaled_dot_product_attention(q, k, eye, attn_mask=mask).numpy()
    np.testing.assert_allclose(sk.attention_softmax(scores, scale=scale, mask=mask.numpy()), w,
                               rtol=1e-12, atol=1e-15)
    bias = torch.randn(L, S, dtype=torch.float64)
    w = F.scaled_dot_product_attention(q, k, eye, attn_mask=bias).numpy()
    np.testing.assert_allclose(sk.attention_softmax(scores, scale=scale, bias=bias.numpy()),
                               w, rtol=1e-12, atol=1e-15)


def test_tensors_come_back_as_tensors():
    torch = pytest.importorskip("torch")
    x = torch.randn(2, 4, 4)
    got = sk.attention_softmax(x, causal=True, mask=torch.ones(4, 4, dtype=torch.bool))
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float32
    np.testing.assert_array_equal(got.numpy(), sk.attention_softmax(x.numpy(), causal=True))


@pytest.mark.parametrize("axis", [-1, 0, 1, (0, 2)])
@pytest.mark.parametrize("log", [False, True])
def test_sink_is_one_more_entry_that_is_not_returned(axis, log):
    x = RNG.normal(size=(3, 4, 5))
    axes = (axis,) if isinstance(axis, int) else axis
    reduced = tuple(s for i, s in enumerate(x.shape) if i not in [a % 3 for a in axes])
    sink = RNG.normal(size=reduced)
    fn = sk.log_softmax if log else sk.softmax
    got = fn(x, axis, sink=sink, temperature=0.7)
    lse = sk.logsumexp(x / 0.7, axis, sink=sink / 0.7, keepdims=True)
    want = x / 0.7 - lse if log else np.exp(x / 0.7 - lse)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    with sk.backend("numpy"):
        np.testing.assert_allclose(fn(x, axis, sink=sink, temperature=0.7), got, rtol=4e-16,
                                   atol=1e-300)


def test_sink_special_values():
    np.testing.assert_array_equal(sk.softmax([1.0, 2.0], sink=-np.inf), sk.softmax([1.0, 2.0]))
    np.testing.assert_array_equal(sk.softmax([-np.inf, -np.inf], sink=3.0), [0, 0])
    np.testing.assert_array_equal(sk.softmax([1.0, 2.0], sink=np.inf), [0, 0])
    assert np.isnan(sk.softmax([1.0, 2.0], sink=np.nan)).all()
    np.testing.assert_array_equal(sk.log_softmax([-np.inf], sink=0.0), [-np.inf])
    assert float(sk.logsumexp([-np.inf], sink=0.0)) == 0.0
    np.testing.assert_allclose(sk.softmax([0.0, 0.0], sink=0.0), [1 / 3, 1 / 3], rtol=1e-15)
    # far below the entries the sink changes them by its exact share
    np.testing.assert_allclose(sk.log_softmax([0.0], sink=-40.0), [-np.exp(-40.0)],
                               rtol=1e-15)


def test_sink_gradient_against_finite_differences():
    x, dy = RNG.normal(size=(4, 6)), RNG.normal(size=(4, 6))
    s = RNG.normal(size=4)
    for fwd, bwd in ((sk.softmax, sk.softmax_backward),
                     (sk.log_softmax, sk.log_softmax_backward)):
        _, ds = bwd(fwd(x, sink=s, temperature=1.5), dy, sink=s, temperature=1.5)
        h = 1e-6
        num = [(np.sum(fwd(x, sink=s + h * e, temperature=1.5) * dy)
                - np.sum(fwd(x, sink=s - h * e, temperature=1.5) * dy)) / (2 * h)
               for e in np.eye(4)]
        np.testing.assert_allclose(ds, num, rtol=1e-6, atol=1e-9)
    # a scalar sink gets the sum over the slices
    _, d1 = sk.softmax_backward(sk.softmax(x, sink=0.5), dy, sink=0.5)
    _, d4 = sk.softmax_backward(sk.softmax(x, sink=0.5), dy, sink=np.full(4, 0.5))
    assert np.ndim(d1) == 0 and np.isclose(d1, d4.sum())


@pytest.mark.parametrize("kwargs, message", [
    (dict(causal="left"), "'causal' must be False, True, 'top_left' or 'bottom_right'"),
    (dict(scale=np.inf), "'scale' must be a finite number"),
    (dict(alibi_slopes=[1.0, 2.0]), "'alibi_slopes' must have one entry per head"),
    (dict(axis=0), "'axis' must be the last axis"),
    (dict(mask=np.ones((3, 3), int)), "'mask' must be a boolean array"),
    (dict(bias=np.ones((2, 2))), "'bias' of shape (2, 2) does not broadcast"),
    (dict(sink=np.ones(5)), "'sink' of shape (5,) does not broadcast"),
])
def test_bad_input_names_the_problem(kwargs, message):
    with pytest.raises((ValueError, TypeError)) as info:
        sk.attention_softmax(np.zeros((3, 4, 4)), **kwargs)
    assert message in str(info.value)
    with pytest.raises(ValueError, match="'sink' of shape"):
        sk.softmax(np.zeros((2, 3)), sink=np.zeros(3))


def test_tensors_that_record_gradients_differentiate_through_the_sink():
    torch = pytest.importorskip("torch")
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    s = torch.randn(3, dtype=torch.float64, requires_grad=True)
    dy = torch.randn(3, 5, dtype=torch.float64)
    y = sk.softmax(x, sink=s)
    y.backward(dy)
    ref = torch.softmax(torch.cat([x, s[:, None]], dim=1), dim=1)[:, :5]
    np.testing.assert_allclose(y.detach().numpy(), ref.detach().numpy(), rtol=1e-14)
    gx, gs = torch.autograd.grad(ref, (x, s), dy)
    np.testing.assert_allclose(x.grad.numpy(), gx.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s.grad.numpy(), gs.numpy(), rtol=1e-12, atol=1e-15)
    _, ds = sk.softmax_backward(y.detach().numpy(), dy.numpy(), sink=s.detach().numpy())
    np.testing.assert_allclose(ds, gs.numpy(), rtol=1e-12, atol=1e-15)


def test_the_readme_contract_names_these_tests():
    import test_segments
    import test_streaming

    named = documented_contract_tests("attention", "attention contract")
    here = {name for module in (globals(), vars(test_streaming), vars(test_segments))
            for name in module if name.startswith("test_")}
    assert named <= here, named - here


@pytest.mark.parametrize("causal", [False, True, "bottom_right"])
def test_backward_equals_pytorchs_autograd_of_the_composition(causal):
    torch = pytest.importorskip("torch")
    B, H, L, S = 2, 3, 4, 6
    x = torch.from_numpy(RNG.normal(size=(B, H, L, S))).requires_grad_()
    bias = torch.from_numpy(RNG.normal(size=(L, S))).requires_grad_()
    slopes = torch.tensor([0.5, 0.25, 0.125], dtype=torch.float64, requires_grad=True)
    sink = torch.from_numpy(RNG.normal(size=(H, 1))).requires_grad_()
    off = S - L if causal == "bottom_right" else 0
    rel = (torch.arange(S)[None, :] - torch.arange(L)[:, None] - off).double()
    z = 0.3 * x + bias + slopes[:, None, None] * rel
    if causal:
        z = z.masked_fill(rel > 0, float("-inf"))
    full = torch.cat([z, sink.expand(B, H, L)[..., None]], -1)
    w = torch.softmax(full, -1)[..., :S]
    dy = torch.from_numpy(RNG.normal(size=(B, H, L, S)))
    want = torch.autograd.grad((w * dy).sum(), (x, bias, slopes, sink))
    weights = sk.attention_softmax(x.detach().numpy(), scale=0.3, bias=bias.detach().numpy(),
                                   causal=causal, alibi_slopes=slopes.detach().numpy(),
                                   sink=sink.detach().numpy())
    np.testing.assert_allclose(weights, w.detach().numpy(), rtol=1e-12, atol=1e-15)
    got = sk.attention_softmax_backward(weights, dy.numpy(), scale=0.3,
                                        bias=bias.detach().numpy(), causal=causal,
                                        alibi_slopes=slopes.detach().numpy(),
                                        sink=sink.detach().numpy())
    for g, r in zip(got, want):
        assert g.shape == tuple(r.shape)
        np.testing.assert_allclose(g, r.numpy(), rtol=1e-10, atol=1e-12)
    only = sk.attention_softmax_backward(weights, dy.numpy(), scale=0.3)
    np.testing.assert_array_equal(only, got[0])
