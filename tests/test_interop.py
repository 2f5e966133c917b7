"""CPU arrays of other libraries on the native kernels, through views of their memory.

PyTorch CPU tensors (and any array that exports DLPack on the CPU) compute exactly as
their NumPy views do, come back as the library's arrays in its dtype, and keep the
array-API path where no view exists (bfloat16, tensors that record gradients without an
operator, ``backend("numpy")``).
"""

from __future__ import annotations

import numpy as np
import pytest

import softmaxkit as sk
from softmaxkit._core import interop

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
X = RNG.normal(scale=3, size=(5, 7))
DY = RNG.normal(size=(5, 7))
LABELS = np.array([0, 6, 3, 3, 1])

CALLS = {
    "softmax": lambda a: sk.softmax(a(X), axis=0, temperature=0.3),
    "log_softmax": lambda a: sk.log_softmax(a(X)),
    "softmin": lambda a: sk.softmin(a(X), axis=(0, 1)),
    "logsumexp": lambda a: sk.logsumexp(a(X), axis=1, keepdims=True),
    "smooth_max": lambda a: sk.smooth_max(a(X), k=4.0),
    "hardmax": lambda a: sk.hardmax(a(X)),
    "std_norm": lambda a: sk.std_norm(a(np.abs(X))),
    "softmax_backward": lambda a: sk.softmax_backward(a(sk.softmax(X)), a(DY)),
    "log_softmax_backward": lambda a: sk.log_softmax_backward(a(sk.log_softmax(X)), a(DY)),
    "logsumexp_backward": lambda a: sk.logsumexp_backward(a(X), a(DY[:, 0]), axis=1),
    "cross_entropy": lambda a: sk.cross_entropy(a(X), a(LABELS), return_grad=True),
    "nll_loss": lambda a: sk.nll_loss(a(sk.log_softmax(X)), a(LABELS), reduction="none"),
    "linear_cross_entropy": lambda a: sk.linear_cross_entropy(
        a(X), a(X[:4].copy()), None, a(LABELS % 4), return_grad=True)[1][1],
}


def _as_tensor(dtype):
    def make(a):
        a = np.asarray(a)
        return torch.from_numpy(a.astype(dtype) if a.dtype.kind == "f" else a)
    return make


def _flat(res):
    return res if isinstance(res, tuple) else (res,)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("op", list(CALLS))
def test_tensors_give_the_bits_of_their_numpy_views(op, dtype):
    got = CALLS[op](_as_tensor(dtype))
    want = CALLS[op](lambda a: np.asarray(a).astype(dtype) if np.asarray(a).dtype.kind == "f"
                     else np.asarray(a))
    for g, w in zip(_flat(got), _flat(want)):
        assert isinstance(g, torch.Tensor), type(g)
        assert g.dtype == getattr(torch, np.asarray(w).dtype.name)
        np.testing.assert_array_equal(g.numpy(), w)


def test_out_is_the_callers_tensor_written_in_place():
    x = torch.from_numpy(X.copy())
    out = torch.empty_like(x)
    assert sk.softmax(x, out=out) is out
    np.testing.assert_array_equal(out.numpy(), sk.softmax(X))
    assert sk.log_softmax(x, out=x) is x  # the input's own memory is reached
    np.testing.assert_array_equal(x.numpy(), sk.log_softmax(X))


@pytest.mark.parametrize("make", [
    lambda t: t.T,
    lambda t: t[::2, 1::3],
    lambda t: t.unsqueeze(1).expand(5, 3, 7),
], ids=["transposed", "stepped", "broadcast"])
def test_strided_tensors(make):
    x = make(torch.from_numpy(X.copy()))
    np.testing.assert_array_equal(sk.softmax(x).numpy(), sk.softmax(x.numpy()))
    np.testing.assert_array_equal(sk.logsumexp(x, axis=0).numpy(),
                                  sk.logsumexp(x.numpy(), axis=0))


def test_the_input_is_not_written():
    x = torch.from_numpy(X.copy())
    before = x.clone()
    sk.softmax(x)
    sk.cross_entropy(x, torch.from_numpy(LABELS), return_grad=True)
    assert torch.equal(x, before)


def test_a_dtype_argument_of_the_library():
    x = torch.from_numpy(X.astype(np.float32))
    got = sk.softmax(x, dtype=torch.float64)
    assert got.dtype == torch.float64
    np.testing.assert_array_equal(got.numpy(), sk.softmax(X.astype(np.float32), dtype=np.float64))


def test_bfloat16_keeps_the_array_api_path():
    x = torch.from_numpy(X).to(torch.bfloat16)
    got = sk.softmax(x)
    assert got.dtype == torch.bfloat16
    np.testing.assert_allclose(got.float().numpy(), sk.softmax(x.float().numpy()), rtol=1e-2)


def test_integer_tensors_follow_the_librarys_promotion():
    # NumPy would promote int64 to float64; PyTorch's default floating dtype is float32
    got = sk.softmax(torch.tensor([1, 2, 3]))
    assert got.dtype == torch.get_default_dtype()


def test_the_numpy_setting_keeps_the_array_api_path(monkeypatch):
    def no_view(*args):
        raise AssertionError("viewed")
    monkeypatch.setattr(interop, "host_views", no_view)
    x = torch.from_numpy(X)
    with sk.backend("numpy"):
        got = sk.softmax(x)
    np.testing.assert_allclose(got.numpy(), sk.softmax(X), rtol=1e-15)
    with pytest.raises(AssertionError, match="viewed"):
        sk.softmax(x)


def test_no_grad_computes_on_the_tensors_memory():
    x = torch.from_numpy(X.copy()).requires_grad_()
    with torch.no_grad():
        got = sk.softmax(x)
    assert not got.requires_grad
    np.testing.assert_array_equal(got.numpy(), sk.softmax(X))


def test_arrays_on_another_cpu_device_come_back_there():
    xp = pytest.importorskip("array_api_strict")
    device = xp.Device("device1")
    x = xp.asarray(X, device=device)
    got = sk.log_softmax(x)
    assert got.device == device
    np.testing.assert_array_equal(np.asarray(got.to_device(xp.Device("CPU_DEVICE"))),
                                  sk.log_softmax(X))


def test_jax_arrays():
    jnp = pytest.importorskip("jax.numpy")
    x = jnp.asarray(X.astype(np.float32))
    got = sk.softmax(x)
    assert type(got).__module__.startswith("jax")
    np.testing.assert_array_equal(np.asarray(got), sk.softmax(X.astype(np.float32)))
