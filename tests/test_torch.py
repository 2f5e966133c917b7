"""``softmaxkit.torch``: the operators pass PyTorch's own checks, gradients are exact,
``torch.compile`` traces them, and the modules train a model as PyTorch's do."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import softmaxkit as sk

torch = pytest.importorskip("torch")
skt = pytest.importorskip("softmaxkit.torch")

F64 = torch.float64


def _randn(*shape, dtype=F64, grad=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, dtype=dtype, generator=g).requires_grad_(grad)


def _samples():
    """(operator name, args) samples: float64 and float32, contiguous and strided."""
    out = []
    for dtype in (F64, torch.float32):
        x = _randn(4, 6, dtype=dtype)
        xt = _randn(6, 4, dtype=dtype).detach().T.requires_grad_()  # strided
        y = torch.softmax(x, 1).detach().requires_grad_()
        logp = torch.log_softmax(x, 1).detach().requires_grad_()
        dy = _randn(4, 6, dtype=dtype, seed=1)
        t = torch.tensor([0, 5, 2, 2])
        w = _randn(3, 6, dtype=dtype, seed=2)
        b = _randn(3, dtype=dtype, seed=3)
        out += [
            ("softmax", (x, [1], 1.0)), ("softmax", (xt, [0], 0.25)),
            ("softmax", (x, [0, 1], 1.0)),
            ("softmax", (_randn(2, 3, 4, dtype=dtype), [0, 2], 1.0)),  # axes apart
            ("softmax_backward", (y, dy.detach().double().requires_grad_(), [1], 1.0)),
            ("log_softmax", (x, [1], 2.0)), ("log_softmax", (xt, [0], 1.0)),
            ("softmin", (x, [0], 1.0)),
            ("logsumexp", (x, [1], False)), ("logsumexp", (xt, [], True)),
            ("softmax_backward", (y, dy, [1], 1.0)),
            ("log_softmax_backward", (logp, dy, [1], 0.5)),
            ("cross_entropy", (x, t, 1, None, -100, 0.0, "mean")),
            ("cross_entropy", (xt, t, 1, None, -100, 0.0, "mean")),  # strided logits
            ("cross_entropy", (x, t, 1, torch.rand(6, dtype=dtype), 2, 0.1, "none")),
            ("cross_entropy", (x, torch.softmax(dy, 1).detach(), 1, None, None, 0.0, "sum")),
            ("linear_cross_entropy", (x, w, b, t % 3, -100, 0.0, "mean", 2)),
            ("linear_cross_entropy", (x, w, None, t % 3, None, 0.0, "sum", None)),
        ]
        alpha = torch.tensor(1.4, dtype=dtype, requires_grad=True)
        alphas = torch.tensor([[1.2], [1.5], [2.0], [2.5]], dtype=dtype, requires_grad=True)
        x3 = (x * 3).detach().requires_grad_()  # sparse outputs: some exact zeros
        sp = sk.sparsemax(x3.detach().numpy()) if dtype == F64 else \
            torch.from_numpy(sk.sparsemax(x3.detach().numpy()))
        sp = torch.as_tensor(sp).requires_grad_()
        out += [
            ("entmax", (x3, alpha, [1], "sparsemax", 50)),
            ("entmax", (xt, alpha, [0], "entmax15", 50)),
            ("entmax", (x3, alpha, [1], "entmax", 80)),
            ("entmax", (x3, alphas, [1], "entmax", 80)),
            # a backward operator: no derivative of its own, so its inputs record none
            ("entmax_backward", (sp.detach(), dy.detach(), alpha.detach(), [1],
                                 "sparsemax")),
            ("entmax_backward", (sp.detach(), dy.detach(), alpha.detach(), [1], "entmax")),
            ("fenchel_young", (x3, t, 1, "sparsemax", 2.0, 50, None, -100, 0.0, "mean")),
            ("fenchel_young", (x3, t, 1, "entmax", 1.3, 80, torch.rand(6, dtype=dtype), 2,
                               0.1, "none")),
            ("fenchel_young", (x, torch.softmax(dy, 1).detach(), 1, "entmax15", 1.5, 50,
                               None, None, 0.0, "sum")),
        ]
        scores = _randn(2, 3, 4, 5, dtype=dtype, seed=4).requires_grad_()
        bias = _randn(4, 5, dtype=dtype, seed=5).requires_grad_()
        slopes = torch.tensor([0.5, 0.25, 0.125], dtype=dtype, requires_grad=True)
        sinks = _randn(3, 1, dtype=dtype, seed=6).requires_grad_()
        keep = torch.rand(2, 1, 4, 5, generator=torch.Generator().manual_seed(7)) > 0.3
        out += [
            ("attention_softmax", (scores, 0.5, None, bias, 1, slopes, sinks)),
            ("attention_softmax", (scores, 1.0, keep, None, 2, None, None)),
            ("attention_softmax", (x, 0.7, None, None, 0, None,
                                   torch.tensor(0.3, dtype=dtype, requires_grad=True))),
        ]
        offsets = torch.tensor([0, 1, 1, 4])
        seg_y = torch.softmax(x[:, :1], 0).detach()
        out += [
            ("segment_softmax", (x, offsets, False)),
            ("segment_softmax", (xt, torch.tensor([0, 3, xt.shape[0]]), True)),
            ("segment_softmax_backward", (seg_y, dy[:, :1].detach(), offsets, False)),
            ("logcumsumexp", (x, 1, False)), ("logcumsumexp", (xt, 0, True)),
            ("logcumsumexp_backward", (x.detach(), dy.detach(), 1, False)),
            ("gumbel_softmax", (x, _randn(4, 6, dtype=dtype, seed=8), 0.5, False, 1)),
            ("gumbel_softmax", (xt, _randn(4, 6, dtype=dtype, seed=9).requires_grad_(),
                                2.0, False, 0)),
            # straight-through: the backward is the soft sample's, not the one-hot's
            # (zero) derivative, so only opcheck applies
            ("gumbel_softmax_hard", (x, _randn(4, 6, dtype=dtype, seed=8), 0.5, True, 1)),
        ]
    return out


SAMPLES = _samples()


def _op(name):
    return skt.OPERATORS[name.removesuffix("_hard")]


def test_every_operator_is_sampled():
    assert {name.removesuffix("_hard") for name, _ in SAMPLES} == set(skt.OPERATORS)


@pytest.mark.parametrize("name,args", SAMPLES, ids=[f"{n}-{i}" for i, (n, _) in
                                                    enumerate(SAMPLES)])
def test_opcheck(name, args):
    torch.library.opcheck(_op(name), args)


@pytest.mark.parametrize("name,args", [s for s in SAMPLES if s[1][0].dtype == F64],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_gradcheck(name, args):
    if name == "gumbel_softmax_hard":
        pytest.skip("the straight-through estimate is not the one-hot's derivative")
    if name in ("entmax_backward", "segment_softmax_backward", "logcumsumexp_backward"):
        pytest.skip("a backward operator without a derivative of its own (the sparse maps, "
                    "segments and the scan have no second derivative here)")
    op = skt.OPERATORS[name]
    first = (lambda *a: op(*a)[0]) if name in ("cross_entropy", "linear_cross_entropy",
                                                "fenchel_young") else op
    assert torch.autograd.gradcheck(first, args)


SECOND_ORDER = ["softmax", "log_softmax", "softmin", "logsumexp", "softmax_backward",
                "log_softmax_backward", "attention_softmax"]


@pytest.mark.parametrize("name,args", [s for s in SAMPLES if s[1][0].dtype == F64
                                       and s[0] in SECOND_ORDER],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_gradgradcheck(name, args):
    assert torch.autograd.gradgradcheck(skt.OPERATORS[name], args)


def test_the_fused_losses_refuse_a_second_derivative():
    x = _randn(3, 4)
    t = torch.tensor([0, 1, 3])
    (g,) = torch.autograd.grad(skt.cross_entropy(x, t), x)
    assert torch.isfinite(g).all()
    with pytest.raises(RuntimeError, match="no second derivative"):
        torch.autograd.grad(skt.cross_entropy(x, t), x, create_graph=True)
    # the operator's gradient output is a constant to autograd
    loss, grad = skt.OPERATORS["cross_entropy"](x, t, 1, None, -100, 0.0, "mean")
    assert loss.requires_grad and not grad.requires_grad


def test_a_direct_callers_gradient_output_is_left_alone():
    x = _randn(3, 4)
    loss, grad = skt.OPERATORS["cross_entropy"](x, torch.tensor([0, 1, 3]), 1, None, -100,
                                                0.0, "mean")
    kept = grad.clone()
    (loss * 5).backward()
    assert torch.equal(grad, kept)
    torch.testing.assert_close(x.grad, 5 * kept)


def test_values_are_those_of_the_numpy_functions():
    x = _randn(5, 9, dtype=torch.float32, grad=False)
    np.testing.assert_array_equal(skt.softmax(x, 0).numpy(), sk.softmax(x.numpy(), axis=0))
    np.testing.assert_array_equal(skt.log_softmax(x).numpy(), sk.log_softmax(x.numpy()))
    np.testing.assert_array_equal(skt.logsumexp(x, 1).numpy(),
                                  sk.logsumexp(x.numpy(), axis=1))
    t = torch.tensor([0, 8, 3, 3, 1])
    assert skt.cross_entropy(x, t).item() == float(sk.cross_entropy(x.numpy(), t.numpy(),
                                                                    axis=1))


def test_gradients_equal_pytorchs():
    x = _randn(6, 10)
    t = torch.tensor([0, 9, 3, -100, 1, 1])
    for ours, theirs in [
        (lambda a: (skt.softmax(a, 1) * torch.arange(10.0, dtype=F64)).sum(),
         lambda a: (torch.softmax(a, 1) * torch.arange(10.0, dtype=F64)).sum()),
        (lambda a: skt.log_softmax(a, 0)[2].sum(), lambda a: torch.log_softmax(a, 0)[2].sum()),
        (lambda a: skt.logsumexp(a, 1).sum(), lambda a: torch.logsumexp(a, 1).sum()),
        (lambda a: skt.cross_entropy(a, t, label_smoothing=0.2),
         lambda a: torch.nn.functional.cross_entropy(a, t, label_smoothing=0.2)),
    ]:
        (g1,) = torch.autograd.grad(ours(x), x)
        (g2,) = torch.autograd.grad(theirs(x), x)
        torch.testing.assert_close(g1, g2, rtol=1e-13, atol=1e-15)


def test_linear_cross_entropy_gradients_equal_the_unfused_ones():
    x, w, b = _randn(7, 5), _randn(4, 5, seed=1), _randn(4, seed=2)
    t = torch.tensor([0, 3, 1, 1, 2, 0, 3])
    ours = torch.autograd.grad(skt.linear_cross_entropy(x, w, b, t, chunk_size=3), (x, w, b))
    theirs = torch.autograd.grad(
        torch.nn.functional.cross_entropy(x @ w.T + b, t), (x, w, b))
    for g1, g2 in zip(ours, theirs):
        torch.testing.assert_close(g1, g2, rtol=1e-12, atol=1e-14)


def test_plain_calls_that_record_gradients_use_the_operators():
    x = _randn(3, 5)
    y = sk.softmax(x, axis=1)
    assert "softmaxkit" in type(y.grad_fn).__name__
    loss = sk.cross_entropy(x, torch.tensor([0, 4, 2]))
    assert "softmaxkit" in type(loss.grad_fn).__name__
    (g,) = torch.autograd.grad(loss, x)
    torch.testing.assert_close(g, torch.autograd.grad(
        torch.nn.functional.cross_entropy(x, torch.tensor([0, 4, 2])), x)[0])
    # an argument the operators do not take: PyTorch's own autograd on the array-API path
    masked = sk.softmax(x, where=torch.tensor([True, True, False, True, True]))
    assert masked.grad_fn is not None and "softmaxkit" not in type(masked.grad_fn).__name__


def test_a_fully_masked_row_gives_zeros_and_finite_gradients():
    x = torch.tensor([[0.0, 1.0], [-torch.inf, -torch.inf]], dtype=F64, requires_grad=True)
    y = skt.softmax(x, 1)
    assert torch.equal(y[1], torch.zeros(2, dtype=F64))  # torch.softmax gives NaN here
    assert torch.isnan(torch.softmax(x, 1)[1]).all()
    (g,) = torch.autograd.grad(y[:, 0].sum(), x)
    assert torch.isfinite(g).all()


def test_a_mean_over_no_counted_sample_is_zero():
    x = _randn(2, 3)
    t = torch.tensor([-100, -100])
    loss = skt.cross_entropy(x, t)
    assert loss.item() == 0.0  # PyTorch: NaN
    assert torch.isnan(torch.nn.functional.cross_entropy(x, t))
    (g,) = torch.autograd.grad(loss, x)
    assert torch.equal(g, torch.zeros_like(g))


# PyTorch's compiler itself touches its deprecated torch.jit.script_method
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_compile_fullgraph_gives_the_same_values():
    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(5, 4, dtype=F64)
            self.log_softmax = skt.LogSoftmax(1)

        def forward(self, a, t):
            z = self.linear(a)
            return (skt.cross_entropy(z, t) + skt.logsumexp(self.log_softmax(z), 1).mean()
                    + skt.softmax(z, 0).std())

    torch.manual_seed(0)
    model = Model()
    _compiled_matches_eager(model, lambda m: [m.linear.weight])


def _compiled_matches_eager(model, params):
    """``torch.compile(fullgraph=True)`` of ``model`` gives its eager values, and the
    same nonzero gradients of ``params(model)``."""
    compiled = torch.compile(model, fullgraph=True)
    a, t = _randn(8, 5, grad=False), torch.tensor([0, 1, 2, 3, 3, 2, 1, 0])
    eager = model(a, t)
    got = compiled(a, t)
    torch.testing.assert_close(got, eager, rtol=1e-14, atol=0)
    for g_got, g_eager in zip(torch.autograd.grad(got, params(model)),
                              torch.autograd.grad(eager, params(model))):
        torch.testing.assert_close(g_got, g_eager, rtol=1e-13, atol=1e-15)
        assert g_got.abs().sum() > 0


def _train(modules, steps=25):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x[:600] / 16.0, dtype=F64)
    y = torch.tensor(y[:600])
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32, dtype=F64), torch.nn.Tanh(),
                                torch.nn.Linear(32, 10, dtype=F64))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    loss_fn = modules.CrossEntropyLoss(label_smoothing=0.05)
    curve = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        curve.append(loss.item())
    return np.array(curve)


def test_a_model_trains_as_with_pytorchs_modules():
    pytest.importorskip("sklearn")
    ours, theirs = _train(skt), _train(torch.nn)
    assert theirs[-1] < 0.7 * theirs[0]  # it does learn
    np.testing.assert_allclose(ours, theirs, rtol=1e-11)


def test_zero_dimensional_input_as_pytorch_takes_it():
    x = torch.tensor(2.5, dtype=F64, requires_grad=True)
    assert skt.softmax(x, 0).item() == 1.0 and skt.log_softmax(x, -1).item() == 0.0
    assert skt.logsumexp(x, 0, keepdim=True).shape == ()
    (g,) = torch.autograd.grad(skt.logsumexp(x, 0), x)
    assert g.item() == 1.0
    with pytest.raises(IndexError, match="Dimension out of range"):
        skt.softmax(x, 1)


def test_modules_match_pytorchs():
    x = _randn(3, 4, grad=False)
    for ours, theirs in [(skt.Softmax(1), torch.nn.Softmax(1)),
                         (skt.LogSoftmax(0), torch.nn.LogSoftmax(0)),
                         (skt.Softmin(1), torch.nn.Softmin(1))]:
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-14, atol=1e-300)
        assert repr(ours).endswith(f"(dim={ours.dim})")
    w = torch.rand(4, dtype=F64)
    t = torch.tensor([1, 3, 0])
    torch.testing.assert_close(skt.CrossEntropyLoss(w, reduction="sum")(x, t),
                               torch.nn.CrossEntropyLoss(w, reduction="sum")(x, t))


def test_docstring_examples():
    result = doctest.testmod(skt, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_the_fused_losses_run_backward_twice_and_scale():
    x = _randn(4, 6)
    w, b = _randn(3, 6, seed=1), _randn(3, seed=2)
    t = torch.tensor([0, 5, 2, 2])
    for loss_fn, params in [(lambda: skt.cross_entropy(x, t), (x,)),
                            (lambda: skt.linear_cross_entropy(x, w, b, t % 3), (x, w, b))]:
        loss = loss_fn()
        once = torch.autograd.grad(loss, params, retain_graph=True)
        again = torch.autograd.grad(loss * 3.0, params)  # the kept gradient is used up
        for g1, g3 in zip(once, again):
            torch.testing.assert_close(g3, 3 * g1, rtol=1e-14, atol=1e-16)


def test_soft_targets_and_weights_that_record_gradients_get_them():
    x = _randn(3, 4)
    p = torch.softmax(_randn(3, 4, seed=5, grad=False), 1).requires_grad_()
    w = torch.rand(4, dtype=F64).requires_grad_()
    t = torch.tensor([0, 3, 1])
    ours = torch.autograd.grad(sk.cross_entropy(x, p, axis=1), (x, p))
    theirs = torch.autograd.grad(torch.nn.functional.cross_entropy(x, p), (x, p))
    for g1, g2 in zip(ours, theirs):
        torch.testing.assert_close(g1, g2, rtol=1e-12, atol=1e-14)
    ours = torch.autograd.grad(sk.cross_entropy(x, t, axis=1, weight=w), (x, w))
    # PyTorch's own loss does not differentiate its weights: the formula, written out
    nll = -torch.log_softmax(x, 1)[torch.arange(3), t]
    theirs = torch.autograd.grad((w[t] * nll).sum() / w[t].sum(), (x, w))
    for g1, g2 in zip(ours, theirs):
        torch.testing.assert_close(g1, g2, rtol=1e-12, atol=1e-14)


def test_plain_calls_that_record_gradients_check_their_arguments_as_numpy_does():
    x = _randn(3, 4)
    for call, error, message in [
        (lambda: sk.softmax(x, axis=True), TypeError, "'axis' must be an int"),
        (lambda: sk.softmax(x, axis=1.5), TypeError, "'axis' must be an int"),
        (lambda: sk.log_softmax(x, temperature="2"), ValueError, "'temperature' must be"),
        (lambda: sk.logsumexp(x, axis=2), Exception, "axis 2 is out of bounds"),
        (lambda: sk.softmax(x, 1, 2.0), TypeError, "positional"),
        (lambda: sk.hardmax(x, 1, 99), TypeError, "positional"),
    ]:
        with pytest.raises(error, match=message):
            call()
    # no axis at all: each entry is its own slice, as on NumPy
    torch.testing.assert_close(sk.logsumexp(x, axis=()), x)
    # a list target takes the array-API path and still differentiates
    (g,) = torch.autograd.grad(sk.cross_entropy(x, [0, 3, 1], axis=1), x)
    torch.testing.assert_close(g, torch.autograd.grad(
        torch.nn.functional.cross_entropy(x, torch.tensor([0, 3, 1])), x)[0])


def test_writing_out_tells_autograd():
    c = _randn(3)
    w = _randn(3, seed=1)
    saved = c * 1
    z = (w * saved).sum()  # saves `saved` for w's gradient
    sk.softmax(torch.randn(3, dtype=F64), out=saved.detach())
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


@pytest.mark.filterwarnings("ignore:`torch.jit.trace` is deprecated:DeprecationWarning")
def test_traced_calls_record_operations_not_constants():
    from torch.fx.experimental.proxy_tensor import make_fx

    x, other = torch.randn(2, 5), torch.randn(2, 5)
    graph = make_fx(lambda z: sk.softmax(z))(x)
    torch.testing.assert_close(graph(other), torch.softmax(other, -1))
    with pytest.warns(torch.jit.TracerWarning):  # shapes become constants, values do not
        traced = torch.jit.trace(lambda z: sk.log_softmax(z), (x,))
    torch.testing.assert_close(traced(other), torch.log_softmax(other, -1))


def test_functorch_transforms():
    x = torch.randn(3, 4, dtype=F64)
    torch.testing.assert_close(torch.func.vmap(sk.softmax)(x), torch.softmax(x, -1))
    torch.testing.assert_close(torch.func.grad(lambda r: sk.logsumexp(r))(x[0]),
                               torch.softmax(x[0], -1))


# ----------------------------------------------- PyTorch's own operator test samples


def _opinfo_samples():
    """(id, OpInfo name, sample) for PyTorch's samples of the functions this module
    replaces, float32 and float64 (empty when PyTorch's test helpers are not installed)."""
    try:
        from torch.testing._internal.common_methods_invocations import op_db
    except ImportError:  # they need the expecttest package
        return []
    wanted = {("softmax", ""), ("softmax", "with_dtype"), ("log_softmax", ""),
              ("log_softmax", "with_dtype"), ("nn.functional.softmin", ""),
              ("logsumexp", ""), ("nn.functional.cross_entropy", ""),
              ("masked.softmax", ""), ("masked.log_softmax", ""), ("masked.softmin", "")}
    out = []
    for op in op_db:
        if (op.name, op.variant_test_name) not in wanted:
            continue
        for dtype in (torch.float32, F64):
            for i, s in enumerate(op.sample_inputs("cpu", dtype, requires_grad=False)):
                out.append((f"{op.name}.{op.variant_test_name or 'default'}-{dtype}-{i}",
                            op.name, s))
    return out


OPINFO = _opinfo_samples()


def _ours(name, s):
    """softmaxkit.torch's (or softmaxkit's) call for one of PyTorch's samples."""
    x, args, kw = s.input, s.args, dict(s.kwargs)
    if name == "logsumexp":
        dims, keepdim = args[0], (args[1] if len(args) > 1 else kw.get("keepdim", False))
        return skt.logsumexp(x, tuple(dims) if isinstance(dims, (tuple, list)) else dims,
                             keepdim)
    if name == "nn.functional.cross_entropy":
        return skt.cross_entropy(x, args[0], **kw)
    fn = {"softmax": skt.softmax, "log_softmax": skt.log_softmax,
          "nn.functional.softmin": skt.softmin, "masked.softmax": sk.softmax,
          "masked.log_softmax": sk.log_softmax, "masked.softmin": sk.softmin}[name]
    dim = args[0] if args else kw.pop("dim")
    dtype = kw.pop("dtype", None)
    if dtype is not None:
        x = x.to(dtype)
    if name.startswith("masked."):
        if x.ndim == 0:  # NumPy's convention for the plain functions: no axis 0 here
            dim = None
        mask = kw.pop("mask", None)
        if mask is not None:
            mask = torch.broadcast_to(mask, x.shape)
        return fn(x, axis=dim, where=mask)
    return fn(x, dim)


@pytest.mark.skipif(not OPINFO, reason="PyTorch's test helpers need expecttest")
@pytest.mark.parametrize("name,sample", [(n, s) for _, n, s in OPINFO],
                         ids=[i for i, _, _ in OPINFO])
def test_pytorchs_own_samples(name, sample):
    from torch.testing._internal.common_methods_invocations import op_db

    op = next(o for o in op_db if o.name == name)
    with torch.no_grad():
        theirs = op(sample.input, *sample.args, **sample.kwargs)
        ours = _ours(name, sample)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    nan = torch.isnan(theirs)
    if name.startswith("masked.") or name == "nn.functional.cross_entropy":
        # where PyTorch gives NaN (a fully masked slice, a mean over no counted sample),
        # softmaxkit gives the empty slice's value: 0, or -inf in log space, or a 0 loss
        empty = -torch.inf if "log_softmax" in name else 0.0
        assert torch.all(ours[nan] == empty)
        ours, theirs = ours[~nan], theirs[~nan]
    eps = torch.finfo(theirs.dtype).eps
    torch.testing.assert_close(ours, theirs, rtol=8 * eps, atol=8 * eps, equal_nan=True)


def test_every_public_name_has_an_example():
    for name in skt.__all__:
        if name != "OPERATORS":
            doc = getattr(skt, name).__doc__
            assert doc and "Examples" in doc and ">>>" in doc, name


def test_sparse_maps_compile_fullgraph_and_learn_alpha():
    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(5, 4, dtype=F64)
            self.alpha = torch.nn.Parameter(torch.tensor(1.3, dtype=F64))
            self.sparse = skt.Sparsemax(1)
            self.loss = skt.Entmax15Loss()

        def forward(self, a, t):
            z = self.linear(a)
            return (self.loss(z, t) + skt.entmax_bisect(z, self.alpha, 1, 80).std()
                    + self.sparse(z).pow(2).mean())

    torch.manual_seed(0)
    model = Model()
    _compiled_matches_eager(model, lambda m: [m.linear.weight, m.alpha])


def test_sparse_modules_equal_the_entmax_package():
    entmax = pytest.importorskip("entmax")
    x = _randn(6, 9) * 2
    alpha = torch.tensor(1.6, dtype=F64, requires_grad=True)
    w = _randn(6, 9, grad=False, seed=4)
    for ours, theirs in [(skt.Sparsemax(), entmax.Sparsemax()),
                         (skt.Entmax15(), entmax.Entmax15()),
                         (skt.EntmaxBisect(alpha), lambda z: entmax.entmax_bisect(z, alpha))]:
        mine = torch.autograd.grad((ours(x) * w).sum(), [x, alpha], allow_unused=True)
        ref = torch.autograd.grad((theirs(x) * w).sum(), [x, alpha], allow_unused=True)
        torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=1e-13)
        for a, b in zip(mine, ref):
            if b is None:
                assert a is None or (a == 0).all()
            else:
                torch.testing.assert_close(a, b, rtol=0, atol=1e-10)
    t = torch.tensor([0, 3, 8, 1, 1, 2])
    for ours, theirs in [(skt.SparsemaxLoss(reduction="sum"),
                          entmax.SparsemaxLoss(reduction="sum")),
                         (skt.EntmaxBisectLoss(1.6, reduction="none"),
                          entmax.EntmaxBisectLoss(1.6, reduction="none"))]:
        mine, ref = ours(x, t), theirs(x, t)
        torch.testing.assert_close(mine, ref, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(torch.autograd.grad(mine.sum(), x)[0],
                                   torch.autograd.grad(ref.sum(), x)[0], rtol=0, atol=1e-10)


def test_attention_softmax_operator_equals_sdpa_and_its_gradients():
    F = torch.nn.functional
    B, H, L, S, D = 2, 3, 5, 5, 4
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(B, H, L, D, dtype=F64, generator=gen, requires_grad=True)
    k = torch.randn(B, H, S, D, dtype=F64, generator=gen, requires_grad=True)
    bias = torch.randn(L, S, dtype=F64, generator=gen, requires_grad=True)
    eye = torch.eye(S, dtype=F64).expand(B, H, S, S)
    ref = F.scaled_dot_product_attention(q, k, eye, attn_mask=bias)
    w = torch.randn(ref.shape, dtype=F64, generator=gen)
    want = torch.autograd.grad((ref * w).sum(), (q, k, bias))
    got_w = skt.attention_softmax(q @ k.transpose(-1, -2), scale=D ** -0.5, bias=bias)
    torch.testing.assert_close(got_w, ref)
    got = torch.autograd.grad((got_w * w).sum(), (q, k, bias))
    for g, r in zip(got, want):
        torch.testing.assert_close(g, r)
    # the plain call on tensors that record gradients takes the operator
    scores = (q @ k.transpose(-1, -2)).detach().requires_grad_()
    y = sk.attention_softmax(scores, causal=True, sink=0.5)
    assert "softmaxkit_attention_softmax" in y.grad_fn.name()
    y.backward(w)
    ref = torch.softmax(torch.cat([scores.masked_fill(torch.ones(L, S).triu(1).bool(),
                                                      float("-inf")),
                                   torch.full((B, H, L, 1), 0.5, dtype=F64)], -1), -1)
    torch.testing.assert_close(scores.grad, torch.autograd.grad(
        (ref[..., :S] * w).sum(), scores)[0])


def test_segments_and_the_scan_take_their_operators_with_gradients():
    x = torch.randn(7, 2, dtype=F64, requires_grad=True)
    offsets = torch.tensor([0, 3, 3, 7])
    y = sk.segment_softmax(x, offsets=offsets)
    assert "segment_softmax" in y.grad_fn.name()
    w = torch.randn(7, 2, dtype=F64)
    (gx,) = torch.autograd.grad((y * w).sum(), x)
    ref = torch.cat([torch.softmax(x[0:3], 0), torch.softmax(x[3:7], 0)])
    torch.testing.assert_close(y, ref)
    torch.testing.assert_close(gx, torch.autograd.grad((ref * w).sum(), x)[0])
    z = sk.logcumsumexp(x, axis=0, reverse=True)
    assert "logcumsumexp" in z.grad_fn.name()
    ref = torch.logcumsumexp(x.flip(0), 0).flip(0)
    torch.testing.assert_close(z, ref)
    torch.testing.assert_close(torch.autograd.grad((z * w).sum(), x)[0],
                               torch.autograd.grad((ref * w).sum(), x)[0])
