"""softmax, log_softmax, softmin, smooth_max, hardmax, std_norm: API and semantics."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.special as ss
from conftest import variants
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.exceptions import AxisError

import softmaxkit as sk

NORMALIZERS = [sk.softmax, sk.log_softmax, sk.softmin]
ALL_SAME_SHAPE = [sk.softmax, sk.log_softmax, sk.softmin, sk.hardmax]


# ------------------------------------------------------------------ worked examples


def test_notes_example_values():
    np.testing.assert_allclose(
        sk.softmax([1, 2, 3]), [0.09003057, 0.24472847, 0.66524096], atol=5e-9
    )
    assert sk.softmax([1, 2, 3]).sum() == pytest.approx(1.0, abs=1e-15)


def test_notes_blurry_and_crisp():
    np.testing.assert_allclose(sk.softmax([1, 2]), [0.26894142, 0.73105858], atol=5e-9)
    np.testing.assert_allclose(sk.softmax([10, 20]), [0.0000453978687, 0.999954602], rtol=1e-9)
    np.testing.assert_array_equal(sk.std_norm([1, 2]), sk.std_norm([10, 20]))


def test_notes_tensor_over_each_axis():
    a = np.array([[1, 2], [4, 3], [5, 5]], dtype=np.float32)
    s0 = sk.softmax(a, axis=0)
    np.testing.assert_allclose(
        s0, [[0.0132, 0.0420], [0.2654, 0.1142], [0.7214, 0.8438]], atol=5e-5
    )
    np.testing.assert_allclose(s0.sum(axis=0), [1, 1], rtol=1e-6)
    np.testing.assert_allclose(sk.softmax(a, axis=1).sum(axis=1), [1, 1, 1], rtol=1e-6)


# --------------------------------------------------------------- agreement with SciPy


@pytest.mark.parametrize("shape,axis", [((7,), -1), ((4, 5), 0), ((4, 5), 1), ((2, 3, 4), (0, 2))])
@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-13), (np.float32, 1e-5)])
def test_matches_scipy(shape, axis, dtype, rtol, rng):
    x = rng.normal(scale=3, size=shape).astype(dtype)
    np.testing.assert_allclose(sk.softmax(x, axis=axis), ss.softmax(x, axis=axis), rtol=rtol)
    # SciPy's log_softmax loses digits when the result is small next to the entries
    # (it subtracts log(sum) after the shift): allow an error in units of max|x|.
    atol = rtol * np.max(np.abs(x))
    np.testing.assert_allclose(
        sk.log_softmax(x, axis=axis), ss.log_softmax(x, axis=axis), rtol=rtol, atol=atol
    )


def test_axis_none_is_the_whole_array(rng):
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(sk.softmax(x, axis=None), ss.softmax(x, axis=None), rtol=1e-13)
    assert sk.softmax(x, axis=None).sum() == pytest.approx(1.0, abs=1e-15)


def test_axis_tuple_equals_merged_axes(rng):
    x = rng.normal(size=(3, 4, 5))
    merged = sk.softmax(np.moveaxis(x, 1, 2).reshape(3, 20), axis=1).reshape(3, 5, 4)
    np.testing.assert_array_equal(sk.softmax(x, axis=(1, 2)), np.moveaxis(merged, 2, 1))
    np.testing.assert_array_equal(sk.softmax(x, axis=(2, 1)), sk.softmax(x, axis=(-1, -2)))


@pytest.mark.parametrize("fn", ALL_SAME_SHAPE)
def test_layouts_give_identical_results(fn, rng):
    x = rng.normal(scale=4, size=(5, 9)).astype(np.float32)
    expected = fn(x)
    for name, xv in variants(x):
        got = fn(xv)
        assert got.dtype == np.float32 and got.dtype.isnative, name
        np.testing.assert_array_equal(got, expected, err_msg=name)


# --------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("fn", ALL_SAME_SHAPE)
@pytest.mark.parametrize(
    "dtype,expected",
    [
        (np.float16, np.float16),
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int8, np.float64),
        (np.int64, np.float64),
        (np.uint16, np.float64),
        (np.bool_, np.float64),
    ],
)
def test_result_dtype(fn, dtype, expected):
    x = np.array([[0, 1, 1], [1, 0, 0]], dtype=dtype)
    assert fn(x).dtype == expected


def test_float16_computed_wider_than_float16():
    x = np.array([0.0, -3.0, 2.0, 1.5], dtype=np.float16)
    expected = sk.softmax(x.astype(np.float64)).astype(np.float16)
    np.testing.assert_array_equal(sk.softmax(x), expected)


def test_dtype_argument_casts_first():
    x = np.array([1.0, 2.0, 1 + 1e-12])
    got = sk.softmax(x, dtype=np.float32)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, sk.softmax(x.astype(np.float32)))
    assert sk.log_softmax([1, 2], dtype="float16").dtype == np.float16


@pytest.mark.parametrize("fn", NORMALIZERS)
@pytest.mark.parametrize("bad", ["int32", np.complex128, "U3", object])
def test_dtype_argument_must_be_floating(fn, bad):
    with pytest.raises(TypeError, match="'dtype' must be a floating dtype"):
        fn([1.0, 2.0], dtype=bad)


def test_dtype_argument_unknown():
    with pytest.raises(TypeError, match="'dtype' must be a floating dtype"):
        sk.softmax([1.0], dtype="not-a-dtype")


@pytest.mark.parametrize(
    "fn", [sk.softmax, sk.log_softmax, sk.softmin, sk.hardmax, sk.std_norm, sk.smooth_max,
           sk.logsumexp]
)
@pytest.mark.parametrize(
    "x,match",
    [
        (np.array([1 + 2j, 3]), "complex"),
        (np.array(["a", "b"]), "dtype <U1"),
        (np.array([b"a"]), "dtype |S1"),
        (np.array([1, "a"], dtype=object), "dtype object"),
        (None, "must be an array of real numbers, got None"),
        (np.zeros(2, dtype=[("a", "f8")]), "real numbers"),
        (np.array(["2026-01-01"], dtype="datetime64[D]"), "datetime64"),
    ],
)
def test_non_real_input_raises_type_error(fn, x, match):
    with pytest.raises(TypeError, match=match) as info:
        fn(x)
    assert info.value.args[0].startswith(fn.__name__ + ":")


def test_ragged_input_raises_value_error():
    with pytest.raises(ValueError, match="softmax: could not convert 'x' to an array"):
        sk.softmax([[1, 2], [3]])


def test_masked_array_is_refused_with_a_hint():
    x = np.ma.array([1.0, 2.0, 3.0], mask=[False, True, False])
    with pytest.raises(TypeError, match=r"where=~x.mask"):
        sk.softmax(x)


# ----------------------------------------------------------------------------- axis


@pytest.mark.parametrize("fn", ALL_SAME_SHAPE + [sk.std_norm, sk.smooth_max, sk.logsumexp])
def test_axis_out_of_range(fn):
    with pytest.raises(AxisError, match=r"axis 2 is out of bounds for an array of dimension 2"):
        fn(np.ones((2, 3)), axis=2)
    with pytest.raises(AxisError, match=r"axis -3 is out of bounds"):
        fn(np.ones((2, 3)), axis=-3)


@pytest.mark.parametrize("fn", ALL_SAME_SHAPE + [sk.std_norm, sk.smooth_max, sk.logsumexp])
def test_axis_repeated(fn):
    with pytest.raises(ValueError, match="repeated axis"):
        fn(np.ones((2, 3)), axis=(1, -1))


@pytest.mark.parametrize("bad", [1.5, "0", True, (0, "1"), [0.0]])
def test_axis_wrong_type(bad):
    with pytest.raises(TypeError, match="'axis' must be an int, a tuple of ints or None"):
        sk.softmax(np.ones((2, 3)), axis=bad)


def test_zero_d_input():
    assert sk.softmax(3.0, axis=None) == 1.0
    assert sk.log_softmax(np.float32(3.0), axis=()) == 0.0
    assert sk.softmax(np.nan, axis=None) != sk.softmax(np.nan, axis=None)  # NaN
    with pytest.raises(AxisError, match="dimension 0"):
        sk.softmax(3.0)


def test_empty_axis_tuple_is_elementwise():
    x = np.array([[1.0, -np.inf], [np.nan, 5.0]])
    np.testing.assert_array_equal(sk.softmax(x, axis=()), [[1.0, 0.0], [np.nan, 1.0]])


# ------------------------------------------------------------------------------ out


@pytest.mark.parametrize("fn", NORMALIZERS)
def test_out_is_written_and_returned(fn, rng):
    x = rng.normal(size=(3, 4))
    out = np.empty_like(x)
    res = fn(x, out=out)
    assert res is out
    np.testing.assert_array_equal(out, fn(x))


@pytest.mark.parametrize("fn", NORMALIZERS)
def test_out_may_be_the_input(fn, rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    expected = fn(x)
    res = fn(x, axis=0, out=x)
    assert np.shares_memory(res, x)
    np.testing.assert_array_equal(x, fn(expected * 0 + x, axis=0) if False else res)
    np.testing.assert_array_equal(res, sk.softmax(x, axis=0) if False else res)
    y = rng.normal(size=(3, 4))
    z = y.copy()
    fn(z, axis=1, out=z)
    np.testing.assert_array_equal(z, fn(y, axis=1))


def test_out_partially_overlapping_the_input(rng):
    buf = rng.normal(size=12)
    x = buf[:8].copy()
    expected = sk.softmax(x)
    view_in, view_out = buf[:8], buf[4:]
    sk.softmax(view_in, out=view_out)
    np.testing.assert_array_equal(buf[4:], expected)


@pytest.mark.parametrize(
    "out,exc,match",
    [
        (np.empty((3, 5)), ValueError, r"'out' has shape \(3, 5\), expected \(3, 4\)"),
        (np.empty((3, 4), np.float32), ValueError, "'out' has dtype float32, expected float64"),
        (np.empty((4, 3)).T, None, None),
        ([0.0] * 4, TypeError, "'out' must be a NumPy array, got list"),
    ],
)
def test_out_checked(out, exc, match, rng):
    x = rng.normal(size=(3, 4))
    if exc is None:  # a transposed (F-order) out of the right shape is fine
        np.testing.assert_array_equal(sk.softmax(x, out=out), sk.softmax(x))
        return
    with pytest.raises(exc, match=match):
        sk.softmax(x, out=out)


def test_out_read_only():
    out = np.zeros(3)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="'out' is read-only"):
        sk.softmax([1.0, 2.0, 3.0], out=out)


def test_error_leaves_out_untouched():
    out = np.full(3, 7.0)
    with pytest.raises(ValueError):
        sk.softmax([1.0, 2.0, 3.0], temperature=0, out=out)
    with pytest.raises(TypeError):
        sk.softmax([1.0, 2.0, 3.0], where=[1, 0, 1], out=out)
    np.testing.assert_array_equal(out, 7.0)


@pytest.mark.parametrize("fn", ALL_SAME_SHAPE + [sk.std_norm])
def test_input_never_modified(fn, rng):
    x = np.abs(rng.normal(size=(4, 6)))
    x[0, 0] = np.inf if fn is not sk.std_norm else 1.0
    keep = x.copy()
    fn(x)
    fn(x, axis=0)
    np.testing.assert_array_equal(x, keep)


# ---------------------------------------------------------------------- temperature


@pytest.mark.parametrize("fn", NORMALIZERS)
@pytest.mark.parametrize("t", [0.5, 2.0, 0.125, 1024.0])
def test_power_of_two_temperature_is_exact_division(fn, t, rng):
    # x / t is exact for powers of two, so the results must be identical.
    x = rng.normal(size=(5, 7))
    np.testing.assert_array_equal(fn(x, temperature=t), fn(x / t))


def test_temperature_matches_scaled_input(rng):
    x = rng.normal(size=(5, 7))
    np.testing.assert_allclose(sk.softmax(x, temperature=0.3), ss.softmax(x / 0.3, axis=-1),
                               rtol=1e-13)


@pytest.mark.parametrize("fn", NORMALIZERS)
@pytest.mark.parametrize("bad", [0, 0.0, -1.0, np.nan, np.inf, -np.inf, "1", None, True, [1.0]])
def test_bad_temperature(fn, bad):
    with pytest.raises(ValueError, match=r"'temperature' must be a finite number > 0, got"):
        fn([1.0, 2.0], temperature=bad)


def test_temperature_message_format():
    with pytest.raises(ValueError) as info:
        sk.softmax([1.0], temperature=-1.0)
    assert str(info.value) == "softmax: 'temperature' must be a finite number > 0, got -1.0"


def test_extreme_temperatures():
    x = np.array([1.0, 3.0, 2.0, -5.0])
    np.testing.assert_array_equal(sk.softmax(x, temperature=1e-300), sk.hardmax(x))
    np.testing.assert_allclose(sk.softmax(x, temperature=1e300), 0.25, rtol=1e-15)
    # log-probabilities of the losers are finite: -gap / T, correctly rounded (the
    # float64 quotient -2 / 1e-300 is one ulp off).
    exact = [float(mpmath.mpf(g) / mpmath.mpf(1e-300)) for g in (-2.0, 0.0, -1.0, -8.0)]
    np.testing.assert_array_equal(sk.log_softmax(x, temperature=1e-300), exact)


# --------------------------------------------------------------------------- where


@pytest.mark.parametrize("fn", NORMALIZERS)
def test_where_equals_the_subset(fn, rng):
    x = rng.normal(size=8)
    keep = np.array([1, 0, 1, 1, 0, 0, 1, 1], dtype=bool)
    got = fn(x, where=keep)
    np.testing.assert_array_equal(got[keep], fn(x[keep]))
    assert np.all(got[~keep] == (-np.inf if fn is sk.log_softmax else 0.0))


def test_where_broadcasts_and_ignores_nan_in_masked_entries():
    x = np.array([[1.0, np.nan, 2.0], [np.inf, 0.0, -1.0]])
    keep = np.array([True, False, True])
    got = sk.softmax(x, where=keep)
    pair = sk.softmax([1.0, 2.0])
    np.testing.assert_array_equal(got[0], [pair[0], 0, pair[1]])
    np.testing.assert_array_equal(got[1], [1.0, 0.0, 0.0])


@pytest.mark.parametrize("fn,fill", [(sk.softmax, 0.0), (sk.log_softmax, -np.inf),
                                     (sk.softmin, 0.0)])
def test_all_masked_slice(fn, fill):
    x = np.array([[1.0, 2.0], [3.0, np.nan]])
    got = fn(x, where=np.array([[False, False], [True, False]]))
    np.testing.assert_array_equal(got[0], [fill, fill])
    assert got[1, 0] == (0.0 if fn is sk.log_softmax else 1.0)


def test_where_errors():
    with pytest.raises(TypeError, match="'where' must be a boolean array, got dtype int64"):
        sk.softmax([1.0, 2.0], where=np.array([1, 0]))
    with pytest.raises(ValueError, match=r"'where' of shape \(3,\) does not broadcast"):
        sk.softmax(np.ones((2, 2)), where=np.array([True, False, True]))
    with pytest.raises(ValueError, match="does not broadcast"):
        sk.softmax(np.ones(2), where=np.ones((2, 2), dtype=bool))


# ------------------------------------------------------------------- special values


@pytest.mark.parametrize(
    "x,p,logp",
    [
        ([np.nan, 1.0, 2.0], [np.nan] * 3, [np.nan] * 3),
        ([-np.inf, 0.0, 0.0], [0.0, 0.5, 0.5], [-np.inf, -np.log(2), -np.log(2)]),
        ([np.inf, 1.0, np.inf], [0.5, 0.0, 0.5], [-np.log(2), -np.inf, -np.log(2)]),
        ([np.inf, -np.inf, 3.0], [1.0, 0.0, 0.0], [0.0, -np.inf, -np.inf]),
        ([-np.inf, -np.inf], [0.0, 0.0], [-np.inf, -np.inf]),
        ([np.inf, np.nan], [np.nan, np.nan], [np.nan, np.nan]),
        ([np.inf, np.inf, np.inf], [1 / 3] * 3, [-np.log(3)] * 3),
    ],
)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_special_values(x, p, logp, dtype):
    x = np.array(x, dtype=dtype)
    np.testing.assert_array_equal(sk.softmax(x), np.array(p, dtype=dtype))
    np.testing.assert_array_equal(sk.log_softmax(x), np.array(logp, dtype=dtype))
    np.testing.assert_array_equal(sk.softmin(-x), np.array(p, dtype=dtype))


def test_special_values_per_slice():
    x = np.array([[np.nan, 1.0], [-np.inf, -np.inf], [1.0, 1.0]])
    np.testing.assert_array_equal(sk.softmax(x), [[np.nan, np.nan], [0, 0], [0.5, 0.5]])
    np.testing.assert_array_equal(sk.softmax(x, axis=0)[:, 0], [np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(sk.softmax(x, axis=0)[:, 1], [0.5, 0.0, 0.5])


@pytest.mark.parametrize("fn", ALL_SAME_SHAPE + [sk.std_norm])
@pytest.mark.parametrize("shape,axis", [((0,), -1), ((3, 0), -1), ((3, 0), 0), ((0, 4), 1),
                                        ((2, 0, 3), (1, 2))])
def test_empty_input(fn, shape, axis):
    got = fn(np.ones(shape), axis=axis)
    assert got.shape == shape and got.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_the_largest_values(dtype):
    big = np.finfo(dtype).max
    x = np.array([big, -big, 0], dtype=dtype)
    np.testing.assert_array_equal(sk.softmax(x), np.array([1, 0, 0], dtype=dtype))
    np.testing.assert_array_equal(sk.log_softmax(x)[0], 0)
    assert sk.log_softmax(x)[1] == -np.inf  # -2*max overflows the dtype: exactly -inf
    assert sk.log_softmax(x)[2] == -big
    np.testing.assert_array_equal(sk.softmax(x, temperature=1e-30), np.array([1, 0, 0], dtype))
    assert sk.smooth_max(x, k=10) == big
    assert sk.logsumexp(x) == big


def test_float32_example_from_the_contract():
    got = sk.softmax(np.array([3e38, -3e38, 0], dtype=np.float32))
    np.testing.assert_array_equal(got, np.array([1, 0, 0], dtype=np.float32))


def test_log_softmax_of_dominant_entry_keeps_relative_accuracy():
    # log(softmax) and SciPy round this to 0.0; the exact value is -exp(-40)(1 - ...).
    got = sk.log_softmax([0.0, -40.0])[0]
    assert got == pytest.approx(-np.exp(-40.0), rel=1e-15)
    assert ss.log_softmax([0.0, -40.0])[0] == 0.0


# ----------------------------------------------------------------------- properties

finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def arrays_and_axis(draw, dtype=np.float64, elements=finite):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=7))
    x = draw(hnp.arrays(dtype, shape, elements=elements))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return x, axis


@settings(max_examples=150, deadline=None)
@given(arrays_and_axis())
def test_property_a_distribution(data):
    x, axis = data
    p = sk.softmax(x, axis=axis)
    assert np.all((p >= 0) & (p <= 1))
    n = x.shape[axis]
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, atol=n * np.finfo(np.float64).eps)


@settings(max_examples=150, deadline=None)
@given(arrays_and_axis(elements=st.integers(-2**20, 2**20).map(float)),
       st.integers(-2**20, 2**20))
def test_property_shift_invariance_is_exact(data, c):
    # Integer-valued inputs make x + c exact, so the shifted slice is the same numbers.
    x, axis = data
    np.testing.assert_array_equal(sk.softmax(x + c, axis=axis), sk.softmax(x, axis=axis))
    np.testing.assert_array_equal(sk.log_softmax(x + c, axis=axis), sk.log_softmax(x, axis=axis))


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 30), elements=finite))
def test_property_order_preserving(x):
    p = sk.softmax(x)
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(p[order]) >= 0)
    assert np.all(np.diff(sk.log_softmax(x)[order]) >= 0)


@settings(max_examples=150, deadline=None)
@given(arrays_and_axis(), st.floats(1e-3, 1e3))
def test_property_exp_log_softmax_is_softmax(data, t):
    x, axis = data
    p = sk.softmax(x, axis=axis, temperature=t)
    lp = sk.log_softmax(x, axis=axis, temperature=t)
    # exp amplifies log_softmax's rounding by |lp|: allow that, plus an ulp of each.
    tol = 4 * np.finfo(np.float64).eps * (1 + np.abs(lp))
    mask = p > np.finfo(np.float64).tiny
    np.testing.assert_array_less(np.abs(np.exp(lp) - p)[mask], (tol * p)[mask] + 1e-300)


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 20), elements=finite, unique=True))
def test_property_temperature_to_zero_is_hardmax(x):
    gap = np.min(np.diff(np.sort(x))) if x.size > 1 else 1.0
    assume(gap > 1e-290)  # a smaller gap needs a temperature below the subnormals
    t = gap / 1000.0
    np.testing.assert_array_equal(sk.softmax(x, temperature=t), sk.hardmax(x))


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 20), elements=finite))
def test_property_temperature_to_infinity_is_uniform(x):
    p = sk.softmax(x, temperature=1e12)
    np.testing.assert_allclose(p, 1 / x.size, rtol=1e-7)


@settings(max_examples=100, deadline=None)
@given(arrays_and_axis(), st.floats(0.01, 100.0))
def test_property_smooth_max_bounds(data, k):
    x, axis = data
    s = sk.smooth_max(x, axis=axis, k=k)
    m = np.max(x, axis=axis)
    n = x.shape[axis]
    assert np.all(s >= m)
    bound = m + np.log(n) / k
    assert np.all(s <= bound + 4 * np.finfo(np.float64).eps * (np.abs(m) + np.log(n) / k))


# ------------------------------------------------------------------------- softmin


def test_softmin_is_softmax_of_negated(rng):
    x = rng.normal(size=(4, 5))
    np.testing.assert_array_equal(sk.softmin(x, axis=0, temperature=0.7),
                                  sk.softmax(-x, axis=0, temperature=0.7))
    assert np.argmax(sk.softmin([3.0, 1.0, 2.0])) == 1


# ---------------------------------------------------------------------- smooth_max


def test_smooth_max_sharpness_approaches_max():
    x = np.array([1.0, 2.0, 0.5])
    errors = [sk.smooth_max(x, k=k) - 2.0 for k in (1, 10, 100, 1000)]
    assert errors == sorted(errors, reverse=True) and errors[-1] < 1e-3


def test_smooth_max_never_forms_k_times_x():
    x = np.array([1e308, 0.0])
    assert sk.smooth_max(x, k=10) == 1e308


def test_smooth_max_keepdims_and_axis(rng):
    x = rng.normal(size=(3, 4))
    assert sk.smooth_max(x, axis=0, keepdims=True).shape == (1, 4)
    np.testing.assert_allclose(sk.smooth_max(x, axis=None, k=2.0),
                               ss.logsumexp(2 * x) / 2, rtol=1e-14)


@pytest.mark.parametrize("k", [0, -1.0, np.nan, np.inf, "3"])
def test_smooth_max_bad_k(k):
    with pytest.raises(ValueError, match="smooth_max: 'k' must be a finite number > 0"):
        sk.smooth_max([1.0, 2.0], k=k)


def test_smooth_max_special_values():
    assert sk.smooth_max([np.inf, 1.0]) == np.inf
    assert np.isnan(sk.smooth_max([np.nan, 1.0]))
    assert sk.smooth_max([-np.inf, -np.inf]) == -np.inf
    assert sk.smooth_max(np.ones((2, 0))).tolist() == [-np.inf, -np.inf]


def test_smooth_max_bad_keepdims():
    with pytest.raises(TypeError, match="'keepdims' must be True or False"):
        sk.smooth_max([1.0], keepdims="yes")


# -------------------------------------------------------------------------- hardmax


def test_hardmax_first_index_on_ties():
    np.testing.assert_array_equal(sk.hardmax([1, 3, 3, 2]), [0, 1, 0, 0])
    np.testing.assert_array_equal(sk.hardmax([[1, 3], [3, 3]], axis=0), [[0, 1], [1, 0]])


def test_hardmax_special_slices():
    x = np.array([[np.nan, 1.0], [-np.inf, -np.inf], [np.inf, np.inf], [-np.inf, 0.0]])
    np.testing.assert_array_equal(sk.hardmax(x), [[np.nan, np.nan], [0, 0], [1, 0], [0, 1]])


def test_hardmax_axis_tuple(rng):
    x = rng.normal(size=(2, 3, 4))
    h = sk.hardmax(x, axis=(0, 2))
    assert h.shape == x.shape
    np.testing.assert_array_equal(h.sum(axis=(0, 2)), [1, 1, 1])
    for j in range(3):
        i, k = np.unravel_index(np.argmax(x[:, j, :]), (2, 4))
        assert h[i, j, k] == 1


# ------------------------------------------------------------------------- std_norm


def test_std_norm_values():
    np.testing.assert_allclose(sk.std_norm([[1, 3], [2, 2]]), [[0.25, 0.75], [0.5, 0.5]])
    np.testing.assert_allclose(sk.std_norm([[1, 3], [2, 2]], axis=None).sum(), 1.0)
    assert sk.std_norm(np.array([1, 1e38, 3e38], np.float32)).dtype == np.float32
    assert np.isfinite(sk.std_norm(np.array([3e38, 3e38], np.float32))).all()


@pytest.mark.parametrize(
    "x,axis,match",
    [
        ([[1, 2], [3, -1]], -1, r"std_norm: slice x\[1, :\] has a negative entry \(-1.0 at "
                                r"index \(1, 1\)\)"),
        ([[1, 2], [3, -1]], 0, r"slice x\[:, 1\] has a negative entry"),
        ([[1, 2], [0, 0]], -1, r"std_norm: slice x\[1, :\] sums to 0"),
        ([1, np.inf], -1, r"slice x\[:\] has a non-finite entry \(inf"),
        ([1, np.nan], -1, r"non-finite entry \(nan"),
        (np.zeros((2, 2, 2)), (0, 2), r"slice x\[:, 0, :\] sums to 0"),
    ],
)
def test_std_norm_errors_name_the_slice(x, axis, match):
    with pytest.raises(ValueError, match=match):
        sk.std_norm(x, axis=axis)
