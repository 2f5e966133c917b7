"""The numerics contract's comparison with SciPy and PyTorch (docs/user_guide/numerics.md),
checked against the libraries themselves.

PyTorch is optional: its tests skip when it is not installed (CI installs the CPU build).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as ss
from conftest import exact_softmax, ulp_errors

import softmaxkit as sk

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _torch(fn, x, dim):
    return fn(torch.from_numpy(np.ascontiguousarray(x)), dim=dim).numpy()


@needs_torch
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("dtype,rtol", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_agrees_with_torch_softmax_dim(dim, dtype, rtol, rng):
    # nn.Softmax(dim) of the notes is softmax(axis=dim).
    x = rng.normal(scale=3, size=(5, 7)).astype(dtype)
    np.testing.assert_allclose(sk.softmax(x, axis=dim), _torch(torch.softmax, x, dim), rtol=rtol)
    np.testing.assert_allclose(
        sk.log_softmax(x, axis=dim), _torch(torch.log_softmax, x, dim),
        rtol=rtol, atol=rtol * np.abs(x).max(),
    )


@needs_torch
def test_notes_tensor_example_matches_torch():
    a = np.array([1, 2, 4, 3, 5, 5], dtype=np.float32).reshape(3, 2)
    softmax = torch.nn.Softmax(dim=0)
    np.testing.assert_allclose(sk.softmax(a, axis=0), softmax(torch.from_numpy(a)).numpy(),
                               rtol=2e-7)


@needs_torch
def test_torch_gives_nan_where_softmaxkit_does_not():
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0]], dtype=np.float32)
    assert np.isnan(_torch(torch.softmax, x, -1)).any(axis=1).all()
    assert np.isnan(_torch(torch.log_softmax, x, -1)[0]).all()
    np.testing.assert_array_equal(sk.softmax(x), [[0, 0], [1, 0]])
    np.testing.assert_array_equal(sk.log_softmax(x), [[-np.inf, -np.inf], [0, -np.inf]])


def test_scipy_gives_nan_where_softmaxkit_does_not():
    with np.errstate(invalid="ignore"):
        assert np.isnan(ss.softmax([-np.inf, -np.inf])).all()
        assert np.isnan(ss.log_softmax([-np.inf, -np.inf])).all()
        assert np.isnan(ss.softmax([np.inf, 1.0])).all()
    np.testing.assert_array_equal(sk.softmax([-np.inf, -np.inf]), [0, 0])
    np.testing.assert_array_equal(sk.softmax([np.inf, 1.0]), [1, 0])


@needs_torch
def test_log_softmax_of_a_dominant_entry():
    x = np.array([0.0, -40.0])
    assert _torch(torch.log_softmax, x, -1)[0] == 0.0
    assert ss.log_softmax(x)[0] == 0.0
    assert sk.log_softmax(x)[0] == pytest.approx(-np.exp(-40.0), rel=1e-15)


def _hard_case(dtype, rng):
    # x - max is inexact: the maximum is small, the others large in magnitude.
    x = -rng.uniform(1.0, 80.0, size=300).astype(dtype)
    x[11] = dtype(0.37)
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scipy_loses_ulps_that_softmaxkit_keeps(dtype, rng):
    x = _hard_case(dtype, rng)
    exact = exact_softmax(x)
    assert ulp_errors(ss.softmax(x), exact, dtype).max() > 8
    assert ulp_errors(sk.softmax(x), exact, dtype).max() <= 2


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_torch_loses_ulps_that_softmaxkit_keeps(dtype, rng):
    x = _hard_case(dtype, rng)
    exact = exact_softmax(x)
    assert ulp_errors(_torch(torch.softmax, x, -1), exact, dtype).max() > 8
    assert ulp_errors(sk.softmax(x), exact, dtype).max() <= 2
