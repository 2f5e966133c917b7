"""Differential fuzzing: the native kernels against the NumPy reference, on inputs drawn
to be awkward: dtypes (float16, byte-swapped float32, integers, bools), 0-d to 8-d shapes
with empty, unit, prime and vector-width sides, axis tuples, C/F order, sliced and
negative-stride views, masks, temperatures from 1e-30 to 1e30 and the special values
(±0, subnormals, ±max, ±inf, NaN).

CI runs a fixed budget of examples; ``make fuzz`` sets SOFTMAXKIT_FUZZ_EXAMPLES higher
and the terminal summary says how many cases ran.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import FUZZ_COUNT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import softmaxkit as sk

EXAMPLES = int(os.environ.get("SOFTMAXKIT_FUZZ_EXAMPLES", "300"))
SIDES = st.sampled_from([0, 1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 31, 32, 33, 64, 65])
DTYPES = [np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64),
          np.dtype(">f4"), np.dtype(">f8"), np.dtype(np.int32), np.dtype(np.int64),
          np.dtype(np.uint8), np.dtype(np.bool_)]


def special_values(dtype):
    fi = np.finfo(dtype if dtype.kind == "f" else np.float64)
    return [0.0, -0.0, float(fi.tiny), -float(fi.tiny), float(fi.smallest_subnormal),
            float(fi.max), -float(fi.max), np.inf, -np.inf, np.nan, 1.0, -1.0]


@st.composite
def inputs(draw):
    dtype = draw(st.sampled_from(DTYPES))
    ndim = draw(st.integers(0, 8))
    # keep the element count small: many dimensions, short sides
    sides = [draw(SIDES if ndim <= 2 else st.sampled_from([0, 1, 2, 3])) for _ in range(ndim)]
    shape = tuple(sides)
    if dtype.kind == "f":
        finite = st.floats(-60, 60, width=16 if dtype.itemsize == 2 else 32)
        elements = st.one_of(finite, st.sampled_from(special_values(dtype))) \
            if draw(st.booleans()) else finite
        x = draw(hnp.arrays(dtype.newbyteorder("="), shape, elements=elements))
        x = x.astype(dtype)  # byte-swapped where the dtype says so
    elif dtype.kind == "b":
        x = draw(hnp.arrays(dtype, shape))
    else:
        info = np.iinfo(dtype)
        x = draw(hnp.arrays(dtype, shape, elements=st.integers(max(info.min, -1000),
                                                                min(info.max, 1000))))
    layout = draw(st.sampled_from(["C", "F", "negative", "sliced", "transposed"]))
    if layout == "F":
        x = np.asfortranarray(x)
    elif layout == "negative" and ndim:
        x = x[..., ::-1]
    elif layout == "sliced" and ndim:
        big = np.zeros(shape[:-1] + (2 * shape[-1] + 1,), dtype=x.dtype)
        big[..., 1::2] = x
        x = big[..., 1::2]
    elif layout == "transposed" and ndim:
        x = np.ascontiguousarray(x.T).T
    if ndim == 0:
        axis = draw(st.sampled_from([None, ()]))
    else:
        axis = draw(st.one_of(
            st.none(), st.integers(-ndim, ndim - 1),
            st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                     unique=True).map(tuple)))
    t = draw(st.one_of(st.just(1.0), st.sampled_from([1e-30, 1e-8, 0.37, 3.3, 1e8, 1e30]),
                       st.floats(1e-30, 1e30)))
    where = draw(hnp.arrays(np.bool_, shape)) if draw(st.booleans()) else None
    return x, axis, t, where


def same(got, ref, dtype):
    """Within a few ulps of the reference where finite, the same NaN/±inf pattern."""
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.dtype == ref.dtype and got.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    special = ~np.isfinite(ref) & ~np.isnan(ref)
    np.testing.assert_array_equal(got[special], ref[special])
    finite = np.isfinite(ref)
    assert np.all(np.isfinite(got[finite]))
    g, r = got[finite].astype(np.float64), ref[finite].astype(np.float64)
    tiny = np.finfo(ref.dtype).tiny
    rf = np.abs(ref[finite])
    ulp = np.abs(rf - np.nextafter(rf, rf.dtype.type(0))).astype(np.float64)  # no overflow
    scale = np.maximum(ulp, float(np.spacing(ref.dtype.type(tiny))))
    # float16 goes through float32 and rounds twice
    limit = 3.0 if ref.dtype != np.float16 else 4.0
    assert np.all(np.abs(g - r) <= limit * scale), np.max(np.abs(g - r) / scale)


def reference(fn, *args, **kwargs):
    with sk.backend("numpy"):
        return fn(*args, **kwargs)


FAMILY = {"softmax": sk.softmax, "log_softmax": sk.log_softmax, "softmin": sk.softmin}


@pytest.mark.parametrize("name", list(FAMILY))
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=inputs())
def test_family_native_equals_reference(name, case):
    FUZZ_COUNT[0] += 1
    x, axis, t, where = case
    keep = x.copy()
    fn = FAMILY[name]
    got = fn(x, axis=axis, temperature=t, where=where)  # a warning fails (filterwarnings)
    same(got, reference(fn, x, axis=axis, temperature=t, where=where), np.asarray(got).dtype)
    np.testing.assert_array_equal(x, keep)  # never modified


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=inputs(), keepdims=st.booleans())
def test_logsumexp_native_equals_reference(case, keepdims):
    FUZZ_COUNT[0] += 1
    x, axis, _, where = case
    got = sk.logsumexp(x, axis=axis, where=where, keepdims=keepdims)
    same(got, reference(sk.logsumexp, x, axis=axis, where=where, keepdims=keepdims),
         np.asarray(got).dtype)


# ------------------------------------------------------------- what the fuzzer found


@pytest.mark.parametrize("shape, axis", [((2, 0), None), ((1, 2, 0), None), ((0, 3), (0, 1)),
                                         ((2, 0, 3), 1)])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_empty_arrays_whose_strides_do_not_merge(shape, axis, dtype):
    # found by test_family_native_equals_reference: the native path recursed without end
    # (softmax) or failed to unpack (logsumexp) on empty arrays reduced over all axes
    # a slice of a wider array: strides (8, 4) for (2, 0) float32, where a fresh empty
    # array has (0, 0)
    big = np.zeros(shape[:-1] + (2 * shape[-1] + 1,), dtype=dtype)
    x = big[..., 1::2]
    assert x.shape == shape
    for fn in (sk.softmax, sk.log_softmax, sk.softmin):
        got = fn(x, axis=axis)
        assert got.shape == shape and got.dtype == dtype
    for keepdims in (False, True):
        got = np.asarray(sk.logsumexp(x, axis=axis, keepdims=keepdims))
        want = np.asarray(reference(sk.logsumexp, x, axis=axis, keepdims=keepdims))
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
