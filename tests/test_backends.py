"""Every public function on every backend the capability table claims for it.

The ``backend`` fixture makes arrays of one backend's kind (NumPy through the native
kernels, NumPy through the reference, array-api-strict and PyTorch CPU arrays through the
native kernels by their NumPy views and, with ``backend("numpy")``, through the array-API
backend, Dask); each test runs a function there, checks the result is of the input's kind
and equals the NumPy reference, and that bad input raises the same message everywhere.
Regression tests for the defects of the five paths' copies are at the end.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from conftest import guide_page

import softmaxkit as sk
from softmaxkit import sample
from softmaxkit._backends import registry


class Backend:
    """How to make and read back arrays of one backend."""

    def __init__(self, name, kind, module=None):
        self.name, self.kind, self.module = name, kind, module
        # the capability-table column that computes: CPU arrays of other libraries take
        # the native backend through views of their memory ("host")
        self.column = "native" if kind == "host" else kind

    def asarray(self, a):
        a = np.asarray(a)
        if self.kind in ("native", "reference"):
            return a
        if self.name == "torch":
            return self.module.asarray(a)
        if self.name == "dask":
            return self.module.from_array(a, chunks=tuple(max(1, s // 2) for s in a.shape))
        return self.module.asarray(a)

    def to_numpy(self, a):
        if isinstance(a, tuple):
            return tuple(self.to_numpy(b) for b in a)
        if self.name == "dask":
            a = a.compute()
        if self.name == "torch":
            return a.detach().numpy()
        return np.asarray(a)

    def is_own(self, a):
        if isinstance(a, tuple):
            return all(self.is_own(b) for b in a if b is not None)
        if self.kind in ("native", "reference"):
            return isinstance(a, (np.ndarray, np.generic))
        mod = {"torch": "torch", "dask": "dask", "strict": "array_api_strict"}[self.name]
        return type(a).__module__.split(".")[0] == mod

    def run(self, fn, *args, **kwargs):
        if self.kind in ("reference", "array_api"):
            with sk.backend("numpy"):
                return fn(*args, **kwargs)
        return fn(*args, **kwargs)


def _backends():
    out = [Backend("native", "native"), Backend("reference", "reference")]
    for name, modname, kind in (("strict", "array_api_strict", "host"),
                                ("strict", "array_api_strict", "array_api"),
                                ("torch", "torch", "host"),
                                ("torch", "torch", "array_api"),
                                ("dask", "dask.array", "dask")):
        try:
            pytest.importorskip("array_api_compat")
            module = importlib.import_module(modname)
        except (ImportError, pytest.skip.Exception):
            module = None
        ident = name if kind != "array_api" else f"{name}-pure"
        out.append(pytest.param(Backend(name, kind, module), id=ident,
                                marks=pytest.mark.skipif(module is None,
                                                         reason=f"{modname} not installed")))
    out[0] = pytest.param(out[0], id="native")
    out[1] = pytest.param(out[1], id="reference")
    return out


@pytest.fixture(params=_backends())
def backend(request):
    return request.param


RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 6))
Y = sk.softmax(X)
DY = RNG.normal(size=(4, 6))
LABELS = np.array([0, 5, 2, 1])
SPARSE = sk.sparsemax(X * 3)
ENT = sk.entmax(X, 1.3)

# name -> (call with an array maker, what to compare it with on NumPy)
CALLS = {
    "softmax": lambda a: sk.softmax(a(X), axis=1, temperature=0.7),
    "log_softmax": lambda a: sk.log_softmax(a(X), axis=0),
    "softmin": lambda a: sk.softmin(a(X)),
    "logsumexp": lambda a: sk.logsumexp(a(X), axis=1),
    "smooth_max": lambda a: sk.smooth_max(a(X), k=3.0),
    "hardmax": lambda a: sk.hardmax(a(X)),
    "std_norm": lambda a: sk.std_norm(a(np.abs(X))),
    "softmax_backward": lambda a: sk.softmax_backward(a(Y), a(DY)),
    "log_softmax_backward": lambda a: sk.log_softmax_backward(a(np.log(Y)), a(DY)),
    "logsumexp_backward": lambda a: sk.logsumexp_backward(a(X), a(DY[:, 0]), axis=1),
    "smooth_max_backward": lambda a: sk.smooth_max_backward(a(X), a(DY[:, 0]), k=2.0),
    "softmax_temperature_grad": lambda a: sk.softmax_temperature_grad(a(X), a(DY),
                                                                      temperature=2.0),
    "softmax_jacobian": lambda a: sk.softmax_jacobian(a(X)),
    "cross_entropy": lambda a: sk.cross_entropy(a(X), a(LABELS), return_grad=True),
    "nll_loss": lambda a: sk.nll_loss(a(np.log(Y)), a(LABELS), return_grad=True),
    "linear_cross_entropy": lambda a: sk.linear_cross_entropy(
        a(X), a(X[:3]), None, a(np.array([0, 1, 2, 0])), return_grad=True)[1][0],
    "sparsemax": lambda a: sk.sparsemax(a(X * 3), axis=0),
    "entmax15": lambda a: sk.entmax15(a(X * 3)),
    "entmax": lambda a: sk.entmax(a(X), 1.3),
    "sparsemax_backward": lambda a: sk.sparsemax_backward(a(SPARSE), a(DY)),
    "entmax15_backward": lambda a: sk.entmax15_backward(a(SPARSE), a(DY)),
    "entmax_backward": lambda a: sk.entmax_backward(a(ENT), a(DY), 1.3),
    "sparsemax_loss": lambda a: sk.sparsemax_loss(a(X), a(LABELS), return_grad=True),
    "entmax15_loss": lambda a: sk.entmax15_loss(a(X), a(LABELS), reduction="none"),
    "entmax_loss": lambda a: sk.entmax_loss(a(X), a(LABELS), alpha=1.7, return_grad=True),
    "attention_softmax": lambda a: sk.attention_softmax(
        a(X[None, :, :4]), scale=0.5, causal=True, bias=a(DY[:, :4]),
        alibi_slopes=a(np.array([0.25])), sink=a(X[:, :1].T)),
    "attention_softmax_backward": lambda a: sk.attention_softmax_backward(
        a(Y[None, :, :4] / 2), a(DY[None, :, :4]), scale=0.5, causal=True,
        bias=a(DY[:, :4]), alibi_slopes=a(np.array([0.25])), sink=a(X[:, :1].T)),
    "logcumsumexp": lambda a: sk.logcumsumexp(a(X * 20), axis=0, reverse=True),
    "logcumsumexp_backward": lambda a: sk.logcumsumexp_backward(a(X), a(DY)),
    "lse_state": lambda a: tuple(sk.lse_state(a(X), axis=1)),
    "lse_merge": lambda a: tuple(sk.lse_merge(sk.lse_state(a(X[:, :2])),
                                              sk.lse_state(a(X[:, 2:])))),
    "lse_finalize": lambda a: sk.lse_finalize(sk.lse_state(a(X), axis=0)),
    "softmax_merge": lambda a: sk.softmax_merge(
        [(sk.softmax(a(X[:, :3])) @ a(DY.T[:3]), sk.lse_state(a(X[:, :3]))),
         (sk.softmax(a(X[:, 3:])) @ a(DY.T[3:]), sk.lse_state(a(X[:, 3:])))])[0],
    "categorical": lambda a: sample.categorical(a(X), top_p=0.9, num_samples=3, rng=0),
    "gumbel_softmax": lambda a: sample.gumbel_softmax(a(X), tau=0.5, rng=0),
    "segment_softmax": lambda a: sk.segment_softmax(a(X), segment_ids=a(np.array([1, 0, 1, 1]))),
    "segment_log_softmax": lambda a: sk.segment_log_softmax(a(X), offsets=a(np.array([0, 3, 4]))),
    "segment_logsumexp": lambda a: sk.segment_logsumexp(a(X), offsets=a(np.array([0, 0, 4]))),
    "segment_softmax_backward": lambda a: sk.segment_softmax_backward(
        a(Y), a(DY), offsets=a(np.array([0, 1, 4]))),
    "segment_log_softmax_backward": lambda a: sk.segment_log_softmax_backward(
        a(np.log(Y)), a(DY), segment_ids=a(np.array([2, 0, 2, 1]))),
}


def test_every_operation_of_the_table_is_called_here():
    assert set(CALLS) == set(registry.CAPABILITIES)


def test_every_backend_module_has_the_operations_it_claims():
    # the family's three variants and the composed gradients share one entry point each
    entry = {"log_softmax": "softmax", "softmin": "softmax", "softmax_backward": "softmax_vjp",
             "log_softmax_backward": "softmax_vjp", "cross_entropy": "cross_entropy_nd",
             "sparsemax": "entmax", "entmax15": "entmax", "sparsemax_backward": "entmax_vjp",
             "entmax15_backward": "entmax_vjp", "entmax_backward": "entmax_vjp",
             "sparsemax_loss": "fenchel_young", "entmax15_loss": "fenchel_young",
             "entmax_loss": "fenchel_young"}
    composed = {"logsumexp_backward": "logsumexp", "smooth_max_backward": "softmax",
                "attention_softmax": "attention", "logcumsumexp_backward": "logcumsumexp",
                "attention_softmax_backward": "softmax_vjp",
                "lse_state": "lse_state", "lse_merge": "lse_merge", "lse_finalize": None,
                "softmax_merge": "lse_merge", "segment_softmax": "segments",
                "segment_log_softmax": "segments", "segment_logsumexp": "segments",
                "segment_softmax_backward": None, "segment_log_softmax_backward": None,
                "softmax_temperature_grad": "softmax_vjp", "softmax_jacobian": "softmax",
                "nll_loss": None, "linear_cross_entropy": "cross_entropy_nd",
                "gumbel_softmax": "softmax"}
    for op, names in registry.CAPABILITIES.items():
        for name in names:
            needed = composed.get(op, entry.get(op, op))
            if needed is not None:
                assert hasattr(registry.BACKENDS[name], needed), (op, name)


def _computes(backend, op) -> bool:
    """Whether ``op`` runs for the backend's arrays (see ``registry.resolve``): where the
    table has no native backend, NumPy input takes the reference, and other libraries'
    CPU arrays their array-API path."""
    names = registry.CAPABILITIES[op]
    if backend.column == "native" and "native" not in names:
        return ("reference" if backend.kind == "native" else "array_api") in names
    return backend.column in names


@pytest.mark.parametrize("op", list(CALLS))
def test_result_is_of_the_input_kind_and_equals_numpy(backend, op):
    if not _computes(backend, op):
        with pytest.raises(TypeError, match=f"{op}: .* arrays are not supported"):
            backend.run(CALLS[op], backend.asarray)
        return
    got = backend.run(CALLS[op], backend.asarray)
    want = CALLS[op](np.asarray)
    assert backend.is_own(got), type(got)
    got, want = backend.to_numpy(got), want
    if not isinstance(want, tuple):
        got, want = (got,), (want,)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g, dtype=np.float64),
                                   np.asarray(w, dtype=np.float64), rtol=2e-6, atol=1e-12)


BAD = {
    "softmax": (lambda a: sk.softmax(a(X), temperature=-1.0),
                "softmax: 'temperature' must be a finite number > 0, got -1.0"),
    "std_norm": (lambda a: sk.std_norm(a(np.array([[1.0, -2.0, 3.0]]))),
                 "std_norm: slice x[0, :] has a negative entry (-2.0 at index (0, 1)); plain "
                 "normalization needs finite entries >= 0"),
    "cross_entropy": (lambda a: sk.cross_entropy(a(X), a(np.array([0, 1, 7, 2]))),
                      "cross_entropy: target 7 at position (2,) is not a class in [0, 6)"),
    "nll_loss": (lambda a: sk.nll_loss(a(X), a(np.array([0, -3, 1, 2]))),
                 "nll_loss: target -3 at position (1,) is not a class in [0, 6)"),
    "softmax_backward": (lambda a: sk.softmax_backward(a(Y), a(DY[:2])),
                         "softmax_backward: 'y' has shape (4, 6) but 'dy' has shape (2, 6)"),
    "logsumexp_backward": (lambda a: sk.logsumexp_backward(a(X), a(DY), axis=1),
                           "logsumexp_backward: 'dy' has shape (4, 6), expected (4,)"),
    "softmax_jacobian": (lambda a: sk.softmax_jacobian(a(X), axis=(0, 1)),
                         "softmax_jacobian: 'axis' must be a single int, got (0, 1)"),
    "log_softmax": (lambda a: sk.log_softmax(a(X), axis=2),
                    "log_softmax: axis 2 is out of bounds for an array of dimension 2"),
}


@pytest.mark.parametrize("op", list(BAD))
def test_the_same_bad_input_gives_the_same_message_everywhere(backend, op):
    call, message = BAD[op]
    with pytest.raises((ValueError, TypeError)) as info:
        result = backend.run(call, backend.asarray)
        if backend.kind == "dask":  # checked where the data is: when computed
            backend.to_numpy(result)
    if backend.kind == "dask" and op == "cross_entropy":
        # checked lazily, block by block: the position is the one within its block
        message = message.replace("position (2,)", "position (0,)")
    assert str(info.value) == message


def test_documented_backend_table_matches_the_capability_table():
    section = guide_page("architecture").split("<!-- capability table -->")[1]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = tuple(
                name for name, cell in zip(registry.ALL, cells[1:]) if cell == "yes")
        elif rows and not line.startswith("|"):
            break
    assert rows == dict(registry.CAPABILITIES)


# ------------------------------------------------------ the defects of the five copies


def test_composed_functions_return_the_input_library():
    torch = pytest.importorskip("torch")
    t = torch.tensor([[1.0, 2.0, 3.0]])
    assert isinstance(sk.softmax_temperature_grad(t, t, temperature=2.0), torch.Tensor)
    assert isinstance(sk.softmax_jacobian(t), torch.Tensor)
    assert isinstance(sk.nll_loss(sk.log_softmax(t), torch.tensor([0])), torch.Tensor)


def test_dask_weighted_logsumexp_of_a_negative_sum_is_nan_as_in_memory():
    da = pytest.importorskip("dask.array")
    a = np.array([3.06409428, 0.37251854, 3.87471931])
    b = np.array([1.88190708, 2.84174795, -3.85016884])
    assert np.isnan(sk.logsumexp(a, b=b))
    lazy = sk.logsumexp(da.from_array(a, chunks=2), b=da.from_array(b, chunks=2))
    assert np.isnan(lazy.compute())
    res, sgn = sk.logsumexp(da.from_array(a, chunks=2), b=da.from_array(b, chunks=2),
                            return_sign=True)
    assert sgn.compute() == -1 and np.isfinite(res.compute())


def test_float32_on_a_device_without_float64():
    xp = pytest.importorskip("array_api_strict")
    device = xp.Device("no_float64")
    x = xp.asarray([1.0, 2.0, 3.0, -40.0], dtype=xp.float32, device=device)
    for fn in (sk.softmax, sk.log_softmax, sk.logsumexp, sk.smooth_max):
        got = fn(x)
        assert got.dtype == xp.float32 and got.device == device
        want = fn(np.array([1.0, 2.0, 3.0, -40.0], dtype=np.float32))
        got = np.asarray(got.to_device(xp.Device("CPU_DEVICE")))
        np.testing.assert_allclose(got, want, rtol=2 * 2.0**-23)


def test_promotion_follows_the_library_not_its_default_dtype():
    torch = pytest.importorskip("torch")
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        res = sk.logsumexp(torch.tensor([1.0, 2.0], dtype=torch.float32),
                           b=torch.tensor([1, 2]))
    finally:
        torch.set_default_dtype(before)
    assert res.dtype == torch.float32


@pytest.mark.parametrize("kwargs", [{}, {"axis": 0}, {"keepdims": True}])
def test_logsumexp_backward_of_a_0d_input_has_its_shape(kwargs):
    assert np.shape(sk.logsumexp_backward(2.5, 1.0, **kwargs)) == ()
    np.testing.assert_allclose(sk.logsumexp_backward(np.ones((3,)), 1.0), np.full(3, 1 / 3),
                               rtol=1e-15)
