"""logsumexp: SciPy's results and semantics for SciPy's arguments, plus ``where``."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as ss

import softmaxkit as sk


def assert_same(got, expected, rtol=1e-14):
    """Same values (NaN where NaN), shapes, and dtypes as SciPy."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=0)


AXES = [None, 0, 1, -1, (0, 1), (0, 2), ()]


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_matches_scipy_axes_and_keepdims(axis, keepdims, rng):
    x = rng.normal(scale=5, size=(3, 4, 5))
    assert_same(sk.logsumexp(x, axis=axis, keepdims=keepdims),
                ss.logsumexp(x, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
@pytest.mark.parametrize("return_sign", [False, True])
def test_matches_scipy_with_weights(axis, return_sign, rng):
    x = rng.normal(scale=3, size=(4, 6))
    b = rng.normal(size=(4, 6))  # mixed signs: some sums are negative
    b[0, 2] = 0.0
    got = sk.logsumexp(x, axis=axis, b=b, return_sign=return_sign)
    exp = ss.logsumexp(x, axis=axis, b=b, return_sign=return_sign)
    if return_sign:
        assert_same(got[0], exp[0], rtol=1e-12)
        assert_same(got[1], exp[1])
    else:
        assert_same(got, exp, rtol=1e-12)


def test_weights_broadcast_like_scipy(rng):
    x = rng.normal(size=(3, 1))
    b = rng.uniform(size=(1, 4))
    assert_same(sk.logsumexp(x, b=b, axis=0), ss.logsumexp(x, b=b, axis=0))
    assert_same(sk.logsumexp(x, b=b), ss.logsumexp(x, b=b))
    with pytest.raises(ValueError, match=r"'b' of shape \(2,\) does not broadcast with x"):
        sk.logsumexp(np.ones(3), b=np.ones(2))


@pytest.mark.parametrize(
    "a,b",
    [
        ([1.0, 2.0], None),
        ([1.0, 2.0], [1.0, -1.0]),
        ([2.0, 2.0], [1.0, -1.0]),  # the sum cancels exactly
        ([1.0, np.inf], None),
        ([np.inf, np.inf], [1.0, -1.0]),  # inf - inf
        ([np.inf, 1.0], [-1.0, 1.0]),
        ([-np.inf, -np.inf], None),
        ([np.nan, 1.0], None),
        ([np.nan, 1.0], [0.0, 1.0]),  # zero weight ignores NaN
        ([np.inf, 1.0], [0.0, 1.0]),  # and inf
        ([1.0, 2.0], [0.0, 0.0]),
        ([5.0], None),
        (5.0, None),
        ([0.0, 0.0, 0.0], [1.0, 1.0, -2.0]),
    ],
)
@pytest.mark.parametrize("return_sign", [False, True])
def test_special_cases_match_scipy(a, b, return_sign):
    a = np.asarray(a)
    b = None if b is None else np.asarray(b)
    with np.errstate(all="ignore"):
        exp = ss.logsumexp(a, b=b, return_sign=return_sign)
    got = sk.logsumexp(a, b=b, return_sign=return_sign)
    if return_sign:
        assert_same(got[0], exp[0], rtol=1e-15)
        np.testing.assert_array_equal(got[1], exp[1])
    else:
        assert_same(got, exp, rtol=1e-15)


def test_scalar_results_like_scipy():
    assert np.isscalar(sk.logsumexp([1.0, 2.0]))
    assert isinstance(sk.logsumexp([1.0, 2.0]), np.float64)
    assert isinstance(sk.logsumexp(np.float32([1, 2])), np.float32)
    assert sk.logsumexp(np.ones((2, 3)), axis=1).shape == (2,)


@pytest.mark.parametrize("dtype,expected", [(np.float16, np.float16), (np.float32, np.float32),
                                            (np.float64, np.float64), (np.int32, np.float64),
                                            (np.bool_, np.float64)])
def test_result_dtype(dtype, expected):
    x = np.array([0, 1, 1], dtype=dtype)
    assert sk.logsumexp(x).dtype == expected
    assert sk.logsumexp(x).dtype == ss.logsumexp(x).dtype


def test_weights_promote_like_scipy():
    x = np.float32([1, 2])
    assert sk.logsumexp(x, b=np.float64([1, 1])).dtype == np.float64
    assert sk.logsumexp(x, b=np.float32([1, 1])).dtype == np.float32


def test_accurate_where_scipy_is_accurate_too():
    # terms far below the maximum still count: log1p of their sum
    assert sk.logsumexp([0.0, -40.0]) == pytest.approx(np.exp(-40.0), rel=1e-15)


# ------------------------------------------------------------------ documented differences


def test_empty_sum_has_sign_zero():
    # SciPy gives sign -1 for an empty axis but 0 for an all -inf one; the sum is 0
    # in both cases, so softmaxkit gives 0 in both.
    assert sk.logsumexp([], return_sign=True) == (-np.inf, 0.0)
    assert sk.logsumexp([-np.inf], return_sign=True) == (-np.inf, 0.0)
    assert ss.logsumexp([], return_sign=True)[1] == -1.0


def test_empty_axis_is_minus_inf():
    np.testing.assert_array_equal(sk.logsumexp(np.ones((3, 0)), axis=1), [-np.inf] * 3)
    assert sk.logsumexp(np.ones((0, 3)), axis=1).shape == (0,)


def test_complex_is_refused():
    with pytest.raises(TypeError, match="logsumexp: 'x' must be real, got complex"):
        sk.logsumexp([1 + 1j])
    with pytest.raises(TypeError, match="logsumexp: 'b' must be real"):
        sk.logsumexp([1.0], b=[1j])


# ------------------------------------------------------------------------------- where


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_where_equals_zero_weights(axis, rng):
    x = rng.normal(size=(4, 5))
    keep = rng.uniform(size=(4, 5)) > 0.4
    keep[0] = False  # one all-masked row
    x[~keep] = np.where(rng.uniform(size=(~keep).sum()) > 0.5, np.nan, np.inf)
    got = sk.logsumexp(x, axis=axis, where=keep)
    with np.errstate(invalid="ignore"):
        expected = ss.logsumexp(x, axis=axis, b=keep.astype(float))
    # SciPy's zero weights ignore NaN and inf, except when every weight of the slice
    # is zero: then it returns NaN. Nothing takes part, so softmaxkit gives -inf.
    none = np.atleast_1d(~keep.any(axis=axis))
    got, expected = np.atleast_1d(got), np.atleast_1d(expected)
    if axis == 1:
        assert none[0]  # row 0 is all masked
    np.testing.assert_array_equal(got[none], -np.inf)
    assert np.all(np.isnan(expected[none]))
    got, expected = got[~none], expected[~none]
    assert_same(got, expected)


def test_where_with_weights_and_sign():
    x = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, -1.0, np.nan])
    got = sk.logsumexp(x, b=b, where=np.array([True, True, False]), return_sign=True)
    assert got == ss.logsumexp(x[:2], b=b[:2], return_sign=True)


def test_all_masked_is_minus_inf():
    assert sk.logsumexp([1.0, 2.0], where=np.array([False, False])) == -np.inf


def test_where_errors():
    with pytest.raises(TypeError, match="logsumexp: 'where' must be a boolean array"):
        sk.logsumexp([1.0, 2.0], where=[1, 0])
    with pytest.raises(ValueError, match="does not broadcast"):
        sk.logsumexp([1.0, 2.0], where=np.ones(3, dtype=bool))


@pytest.mark.parametrize("name", ["keepdims", "return_sign"])
def test_flags_must_be_bool(name):
    with pytest.raises(TypeError, match=f"'{name}' must be True or False"):
        sk.logsumexp([1.0], **{name: 1})


def test_a_maximum_tied_five_times_cancelling_its_log():
    # max(x) + log(sum) cancels: -2 + log(5 + exp(-13.45...)) = -0.39...; log(5) rounded
    # to double alone put the result 3 ulps off on the build without FMA (found by the
    # fuzz tests). The exact value is from mpmath at 200 bits.
    x = np.array([-15.451171875, -2.0, -2.0, -2.0, -2.0, -2.0])
    exact = -0.3905617996536037474767065
    for layout in (x, x[:, None], np.tile(x, (9, 1))):
        got = np.ravel(sk.logsumexp(layout, axis=0 if layout.ndim < 2 or layout.shape[1] == 1
                                    else 1))
        assert np.all(np.abs(got - exact) <= np.spacing(0.39)), got - exact
