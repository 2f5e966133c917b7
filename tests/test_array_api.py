"""Arrays of other libraries: the same kind out, the same numbers and special values.

Every case runs under array-api-strict, PyTorch (CPU) and Dask (when installed): the
pure array-API path is compared with the NumPy path (the native kernels), which the
rest of the suite holds to mpmath, and directly with mpmath for accuracy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import exact_softmax, ulp_errors

import softmaxkit as sk

pytest.importorskip("array_api_compat")


def _strict():
    xp = pytest.importorskip("array_api_strict")
    return xp, xp.asarray, lambda a: np.from_dlpack(a), type(xp.asarray(0.0))


def _torch():
    torch = pytest.importorskip("torch")
    return torch, torch.asarray, lambda a: a.numpy(), torch.Tensor


def _dask():
    da = pytest.importorskip("dask.array")
    return da, lambda a: da.from_array(np.asarray(a), chunks=2), lambda a: a.compute(), da.Array


def _jax():
    jnp = pytest.importorskip("jax.numpy")
    import jax

    jax.config.update("jax_enable_x64", True)  # float64 as the other libraries have it
    return jnp, jnp.asarray, lambda a: np.asarray(a), jax.Array


def _cupy():
    cp = pytest.importorskip("cupy")
    return cp, cp.asarray, lambda a: cp.asnumpy(a), cp.ndarray


# JAX and CuPy run when installed (CuPy needs a GPU); the others always in CI
LIBS = {"array_api_strict": _strict, "torch": _torch, "dask": _dask, "jax": _jax,
        "cupy": _cupy}


# CPU arrays of these libraries reach the native kernels through views of their memory;
# "-pure" runs them with backend("numpy"), on the array-API path (what GPU arrays take)
PARAMS = list(LIBS) + [f"{name}-pure" for name in LIBS if name != "dask"]


@pytest.fixture(params=PARAMS)
def lib(request):
    name, _, pure = request.param.partition("-")
    made = LIBS[name]()
    if not pure:
        yield made
        return
    with sk.backend("numpy"):
        yield made


def back(lib, a):
    out = lib[2](a)
    return np.asarray(out)


FAMILY = [
    ("softmax", lambda f, x, **k: sk.softmax(f(x), **k)),
    ("log_softmax", lambda f, x, **k: sk.log_softmax(f(x), **k)),
    ("softmin", lambda f, x, **k: sk.softmin(f(x), **k)),
    ("logsumexp", lambda f, x, **k: sk.logsumexp(f(x), **k)),
    ("smooth_max", lambda f, x, **k: sk.smooth_max(f(x), **k)),
    ("hardmax", lambda f, x, **k: sk.hardmax(f(x), **k)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, call", FAMILY, ids=[n for n, _ in FAMILY])
@pytest.mark.parametrize("shape, axis", [((7,), -1), ((3, 5), 0), ((4, 3, 6), (0, 2)),
                                         ((2, 3, 4), None)])
def test_same_kind_and_numbers_as_numpy(lib, name, call, dtype, shape, axis):
    x = np.random.default_rng(0).normal(scale=5, size=shape).astype(dtype)
    got = call(lib[1], x, axis=axis)
    assert isinstance(got, lib[3]), type(got)
    expected = call(np.asarray, x, axis=axis)
    out = back(lib, got)
    assert out.dtype == dtype and out.shape == np.shape(expected)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(out, expected, rtol=4 * eps, atol=4 * np.finfo(dtype).tiny)


def test_integers_promote_to_the_default_float(lib):
    # the library's own default floating dtype: float32 for PyTorch, float64 elsewhere
    default = np.float32 if lib[0].__name__ == "torch" else np.float64
    got = back(lib, sk.softmax(lib[1](np.array([1, 2, 3]))))
    assert got.dtype == default
    np.testing.assert_allclose(got, sk.softmax(np.array([1.0, 2.0, 3.0], default)),
                               rtol=2 * np.finfo(default).eps)


SPECIAL = [
    [1.0, np.nan, 2.0],
    [-np.inf, 1.0, 2.0],
    [np.inf, 1.0, np.inf],
    [-np.inf, -np.inf, -np.inf],
    [3e300, -3e300, 0.0],
    [0.0, -40.0, -745.0],
    [1000.0, 1000.0, 1.0],
]


@pytest.mark.parametrize("row", SPECIAL, ids=str)
@pytest.mark.parametrize("fn", [sk.softmax, sk.log_softmax, sk.logsumexp])
def test_special_values_follow_the_contract(lib, row, fn):
    x = np.array(row)
    with np.errstate(all="ignore"):
        expected = np.asarray(fn(x))
    got = back(lib, fn(lib[1](x)))
    if lib[0].__name__ == "jax.numpy" and sk.get_backend() == "numpy":
        # XLA's CPU arithmetic flushes subnormal results to zero (exp(-745) here)
        expected = np.where(np.abs(expected) < np.finfo(expected.dtype).tiny, 0.0, expected)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=4e-16, atol=0, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("fn", [sk.softmax, sk.log_softmax, sk.logsumexp])
def test_special_values_of_narrow_dtypes(lib, fn, dtype):
    # narrower input is computed in float64 with plain passes on the array-API path
    if dtype == np.float16 and lib[0].__name__ == "array_api_strict":
        pytest.skip("the array API standard has no float16")
    rows = np.array([[1.0, np.nan, 2.0], [-np.inf, 1.0, 2.0], [np.inf, 1.0, np.inf],
                     [-np.inf, -np.inf, -np.inf], [0.0, -9.0, -17.0], [60.0, 60.0, 1.0],
                     [0.0, -30.0, -60.0]], dtype=dtype)
    with np.errstate(all="ignore"):
        expected = np.asarray(fn(rows, axis=1))
        got = back(lib, fn(lib[1](rows), axis=1))
    assert got.dtype == dtype
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=2 * np.finfo(dtype).eps, atol=0,
                               equal_nan=True)


def test_masks_and_fully_masked_slices(lib):
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.inf, 2.0]])
    where = np.array([[True, False, True], [False, False, False]])
    for fn, empty in ((sk.softmax, 0.0), (sk.log_softmax, -np.inf)):
        got = back(lib, fn(lib[1](x), where=lib[1](where)))
        np.testing.assert_allclose(got, fn(x, where=where), rtol=4e-16)
        assert np.all(got[1] == empty)  # fully masked: no NaN
    got = back(lib, sk.logsumexp(lib[1](x), axis=1, where=lib[1](where)))
    np.testing.assert_array_equal(got, sk.logsumexp(x, axis=1, where=where))


def test_empty_inputs(lib):
    x = np.zeros((3, 0))
    assert back(lib, sk.softmax(lib[1](x))).shape == (3, 0)
    got = back(lib, sk.logsumexp(lib[1](x), axis=1))
    np.testing.assert_array_equal(got, [-np.inf] * 3)


def test_temperature_and_accuracy_against_mpmath(lib):
    rng = np.random.default_rng(1)
    # CPU arrays on the native route have the kernels' contract (float32 softmax within
    # 1.5 ulp on every ISA); the array-API path computes float32 in float64 (1 ulp)
    native = sk.get_backend() == "native" and lib[0].__name__ != "dask.array"
    for dtype, limit in ((np.float64, 2.0), (np.float32, 1.5 if native else 1.0)):
        x = rng.normal(scale=20, size=(6, 40)).astype(dtype)
        for t in (1.0, 0.37, 3e5):
            for log in (False, True):
                fn = sk.log_softmax if log else sk.softmax
                got = back(lib, fn(lib[1](x), temperature=t))
                exact = [e for r in x for e in exact_softmax(r, temperature=t, log=log)]
                worst = np.max(ulp_errors(got, exact, dtype))
                assert worst <= limit, (dtype, t, log, worst)


def test_logsumexp_b_and_return_sign(lib):
    a = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, -1.0]])
    b = np.array([[1.0, -1.0, 0.5], [2.0, -2.0, 0.0]])
    res, sgn = sk.logsumexp(lib[1](a), axis=1, b=lib[1](b), return_sign=True)
    exp_res, exp_sgn = sk.logsumexp(a, axis=1, b=b, return_sign=True)
    np.testing.assert_allclose(back(lib, res), exp_res, rtol=4e-16)
    np.testing.assert_array_equal(back(lib, sgn), exp_sgn)


def test_std_norm(lib):
    x = np.array([[1.0, 2.0], [10.0, 20.0]])
    np.testing.assert_allclose(back(lib, sk.std_norm(lib[1](x))), sk.std_norm(x), rtol=1e-15)
    with pytest.raises(ValueError, match="std_norm"):
        back(lib, sk.std_norm(lib[1](np.array([1.0, -1.0]))))  # Dask checks when computed


def test_backward_functions(lib):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 5))
    g = rng.normal(size=(3, 5))
    y, logp = sk.softmax(x), sk.log_softmax(x)
    f = lib[1]
    for got, want in (
        (sk.softmax_backward(f(y), f(g)), sk.softmax_backward(y, g)),
        (sk.log_softmax_backward(f(logp), f(g), temperature=2.0),
         sk.log_softmax_backward(logp, g, temperature=2.0)),
        (sk.logsumexp_backward(f(x), f(g[:, 0]), axis=1), sk.logsumexp_backward(x, g[:, 0],
                                                                               axis=1)),
        (sk.smooth_max_backward(f(x), f(g[:, 0]), k=3.0), sk.smooth_max_backward(x, g[:, 0],
                                                                                 k=3.0)),
    ):
        assert isinstance(got, lib[3])
        np.testing.assert_allclose(back(lib, got), want, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("options", [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"ignore_index": 2},
    {"weight": [1.0, 2.0, 0.5, 1.0]}, {"label_smoothing": 0.1},
    {"weight": [1.0, 2.0, 0.5, 1.0], "ignore_index": 0, "label_smoothing": 0.2},
], ids=str)
def test_cross_entropy_and_its_gradient(lib, options):
    rng = np.random.default_rng(3)
    z = rng.normal(scale=3, size=(6, 4))
    y = np.array([0, 2, 1, 3, 2, 2])
    kwargs = dict(options)
    if "weight" in kwargs:
        kwargs["weight"] = lib[1](np.array(kwargs["weight"]))
    loss, grad = sk.cross_entropy(lib[1](z), lib[1](y), return_grad=True, **kwargs)
    want_loss, want_grad = sk.cross_entropy(z, y, return_grad=True, **options)
    # small losses and gradients are p - 1 and lse - z[y]: their error is absolute, an
    # ulp or two of the logits' scale
    np.testing.assert_allclose(back(lib, loss), want_loss, rtol=1e-13, atol=2e-15)
    np.testing.assert_allclose(back(lib, grad), want_grad, rtol=1e-12, atol=2e-16)
    if not options:  # probability targets
        p = sk.softmax(rng.normal(size=(6, 4)))
        got = sk.cross_entropy(lib[1](z), lib[1](p))
        np.testing.assert_allclose(back(lib, got), sk.cross_entropy(z, p), rtol=1e-13)


def test_cross_entropy_bad_labels(lib):
    z = lib[1](np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"not a class in \[0, 3\)"):
        out = sk.cross_entropy(z, lib[1](np.array([0, 3])))
        back(lib, out)  # Dask checks when computed


def test_mixing_libraries_is_a_type_error(lib):
    x = lib[1](np.array([1.0, 2.0]))
    if lib[0].__name__ == "dask.array":  # Dask takes NumPy operands as they are
        got = sk.softmax(x, where=np.array([True, False]))
        np.testing.assert_array_equal(got.compute(), [1.0, 0.0])
    else:
        with pytest.raises(TypeError, match=r"softmax: cannot mix array libraries in one "
                                            r"call: 'x' is a .* and 'where' is a "
                                            r"numpy.ndarray"):
            sk.softmax(x, where=np.array([True, False]))
    other = _torch if lib[0].__name__ != "torch" else _strict
    y = other()[1](np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="cross_entropy: cannot mix array libraries"):
        sk.cross_entropy(x[None, :] if hasattr(x, "shape") else x, y)


def test_lists_and_numbers_still_take_the_numpy_path():
    assert isinstance(sk.softmax([1.0, 2.0]), np.ndarray)
    assert isinstance(sk.softmax(np.array([1.0, 2.0]), where=[True, False]), np.ndarray)


def test_torch_out_and_float16():
    torch = pytest.importorskip("torch")
    x = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    out = torch.empty_like(x)
    assert sk.softmax(x, out=out) is out
    np.testing.assert_allclose(out.numpy(), sk.softmax(x.numpy()), rtol=4e-16)
    with pytest.raises(ValueError, match="'out' has dtype"):
        sk.softmax(x, out=torch.empty_like(x, dtype=torch.float32))
    h = sk.softmax(x.to(torch.float16))
    assert h.dtype == torch.float16
    np.testing.assert_allclose(h.numpy(), sk.softmax(x.numpy().astype(np.float16)),
                               rtol=np.finfo(np.float16).eps)


def test_torch_matches_torch_where_torch_is_right():
    torch = pytest.importorskip("torch")
    x = torch.randn(5, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(sk.log_softmax(x, axis=1).numpy(),
                               torch.log_softmax(x, dim=1).numpy(), rtol=1e-14)
    assert math.isclose(float(sk.logsumexp(x)), float(torch.logsumexp(x.reshape(-1), 0)),
                        rel_tol=1e-15)
