"""The native kernels against the NumPy reference, on every instruction set this CPU runs.

The reference rounds once from the exact value (``test_accuracy``), so the native
result must lie within the contract's 2 ulp of it, plus the reference's half ulp.
Special values must match exactly.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import softmaxkit as sk
from softmaxkit._backends import native as _native

ISAS = [isa for isa in _native.ISAS if _native.ISAS.index(isa) <= _native.ISAS.index(
    _native.cpu_isa())]
ULPS = 2.5


@pytest.fixture(params=ISAS)
def isa(request):
    before = _native.isa()
    assert _native.set_isa(request.param) == request.param
    yield request.param
    _native.set_isa(before)


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    before = sk.get_num_threads()
    sk.set_num_threads(request.param)
    yield request.param
    sk.set_num_threads(before)


def reference(fn, *args, **kwargs):
    with sk.backend("numpy"):
        return fn(*args, **kwargs)


def assert_close(got, ref):
    """Within ULPS of the reference where finite; identical NaN/inf/zero pattern."""
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.dtype == ref.dtype and got.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    both = np.isfinite(ref)
    np.testing.assert_array_equal(got[~both & ~np.isnan(ref)], ref[~both & ~np.isnan(ref)])
    g = got[both].astype(np.float64)
    r = ref[both].astype(np.float64)
    tiny = np.finfo(ref.dtype).tiny
    ulp = np.spacing(np.abs(ref[both])).astype(np.float64)
    # below the normal range the contract is absolute: a few ulps of the smallest normal
    err = np.abs(g - r) / np.maximum(ulp, np.spacing(ref.dtype.type(tiny)))
    assert err.size == 0 or err.max() <= ULPS, (err.max(), g[np.argmax(err)], r[np.argmax(err)])


FUNCS = {
    "softmax": sk.softmax,
    "log_softmax": sk.log_softmax,
    "softmin": sk.softmin,
}


# ----------------------------------------------------------------- lengths and widths

# around the vector widths (4, 8, 16 lanes) and the threaded split of long slices
LENGTHS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257]


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lengths_around_vector_widths(isa, name, dtype, rng):
    for n in LENGTHS:
        x = rng.normal(scale=8, size=(3, n)).astype(dtype)
        assert_close(FUNCS[name](x), reference(FUNCS[name], x))
        assert_close(FUNCS[name](x, temperature=0.37), reference(FUNCS[name], x, temperature=0.37))


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_short_rows_through_transposed_tiles(isa, name, dtype, rng):
    # many short rows go VL at a time through a transposed tile: a last, partial tile
    # (37 rows), rows with NaN or an infinite maximum among ordinary ones, rows strided
    # apart in memory, and the output written over the input
    fn = FUNCS[name]
    # (the lengths span each type's and ISA's tile limits, kernels_common.inc)
    for n in [1, 3, 7, 8, 9, 12, 13, 15, 16, 17, 24, 25, 31, 32, 33, 40, 41, 47, 48, 49, 63, 64,
              65, 95, 97, 127, 128, 129, 191, 255, 256, 257, 385]:
        x = rng.normal(scale=6, size=(37, n)).astype(dtype)
        x[5, 0] = np.nan
        x[18, -1] = np.inf
        x[20] = -np.inf
        x[30, : (n + 1) // 2] = np.inf
        ref = reference(fn, x)
        assert_close(fn(x), ref)
        wide = np.zeros((37, 2 * n + 3), dtype=dtype)
        wide[:, 1 : n + 1] = x
        assert_close(fn(wide[:, 1 : n + 1]), ref)
        inplace = x.copy()
        fn(inplace, out=inplace)
        assert_close(inplace, ref)


@pytest.mark.parametrize("name", [*FUNCS, "logsumexp"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_panels_and_tiles_in_every_mode(isa, name, dtype, rng):
    # panels and tiles pick their arithmetic from the lanes' maxima and minima: all below 0
    # (Fast2Sum on x), all within the maximum's magnitude (Fast2Sum on -m), mixed signs
    # (two-sum), a range wide enough that exponentials round to 0 (dead lanes), and a
    # range of exactly the clamp around the maximum
    fn = FUNCS.get(name, sk.logsumexp)
    clamp = 104.0 if dtype == np.float32 else 746.0
    cases = {
        "below 0": -30 + rng.uniform(-20, 0, size=(57, 21)),
        "within |m|": 300 + rng.uniform(-20, 20, size=(57, 21)),
        "mixed": rng.uniform(-20, 20, size=(57, 21)),
        "dead": rng.uniform(-2 * clamp, 0, size=(57, 21)),
        "at the clamp": np.where(rng.random((57, 21)) < 0.5, -clamp + 1, 0.0),
    }
    for label, x in cases.items():
        x = x.astype(dtype)
        for axis, arr in [(0, x), (1, x.T.copy()), (0, x[:, :5]), (1, x[:3].T.copy())]:
            assert_close(fn(arr, axis=axis), reference(fn, arr, axis=axis))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_lengths(isa, dtype, rng):
    for n in LENGTHS:
        x = rng.normal(scale=8, size=(3, n)).astype(dtype)
        assert_close(sk.logsumexp(x, axis=1), reference(sk.logsumexp, x, axis=1))


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_temperature_with_differences_near_overflow(isa, name, dtype):
    # (x - max) / T with |x - max| near the largest float: the remainder of the division,
    # computed without FMA on the baseline ISA, once overflowed there (inf/NaN output)
    big = np.finfo(dtype).max
    for t in [2.0, 6.2e17, 6.7e14, 3e37]:
        for x in ([0, big], [-big, 0], [big, -1, 0.5], [0.0, big, big / 3]):
            x = np.array(x, dtype=dtype)
            assert_close(FUNCS[name](x, temperature=t), reference(FUNCS[name], x, temperature=t))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_terms_that_underflow_alone_still_add_up(isa, dtype):
    # log(1 + rest) ~ rest: 14 terms of exp(-105) in float32 (each below the smallest
    # subnormal) give log_softmax -3.6e-45 at the maximum, which was returned as 0
    q = -105.0 if dtype == np.float32 else -747.0
    for k in (14, 40, 100):
        x = np.array([0.0] + [q] * k, dtype=dtype)
        rows = np.tile(x, (20, 1))
        for got, ref in [
            (sk.log_softmax(x), reference(sk.log_softmax, x)),
            (sk.log_softmax(rows), reference(sk.log_softmax, rows)),  # tiles or rows
            (sk.log_softmax(rows.T, axis=0), reference(sk.log_softmax, rows.T, axis=0)),
            (sk.logsumexp(rows, axis=1), reference(sk.logsumexp, rows, axis=1)),
            (sk.log_softmax(x * 2, temperature=2.0), reference(sk.log_softmax, x * 2,
                                                               temperature=2.0)),
        ]:
            assert got.flat[0] != 0
            assert_close(got, ref)


def test_subnormal_probabilities_in_every_layout(isa):
    # [Note: subnormal results]: probabilities down to 2**-149 (x - m from 0 to -104) are
    # formed apart from the plain product; each subnormal is within its spacing of the
    # exact value (the others within the contract's 2 ulps), and the row, register, panel and parts forms give the same bits
    import mpmath
    q = np.linspace(0.0, -104.0, 700).astype(np.float32)
    rows = np.stack([np.roll(q, 3 * k) for k in range(9)])
    got = sk.softmax(rows)
    spacing = 2.0 ** -149
    with mpmath.workdps(40):
        for r, g in zip(rows[:3], got[:3]):
            e = [mpmath.exp(mpmath.mpf(float(v)) - mpmath.mpf(float(r.max()))) for v in r]
            total = mpmath.fsum(e)
            for ej, gj in zip(e, g):
                exact = ej / total
                # the contract: 2 ulps; a subnormal: its spacing, once rounded
                bound = spacing if exact < 2.0 ** -126 else \
                    2 * float(np.spacing(np.float32(float(exact))))
                assert abs(float(gj) - exact) <= bound, (float(gj), float(exact))
    tiny = np.finfo(np.float32).tiny
    assert np.count_nonzero((got > 0) & (got < tiny)) > 500
    np.testing.assert_array_equal(sk.softmax(rows.T, axis=0).T, got)  # panels
    for k in range(9):  # a row alone; short rows (registers) keep the same terms
        np.testing.assert_array_equal(sk.softmax(rows[k]), got[k])
    short = rows[:, ::7][:, :100]
    np.testing.assert_array_equal(sk.softmax(short.T, axis=0).T, sk.softmax(short))
    long = np.tile(q, 100)  # 70000 entries: the parts of a long slice
    p_long = sk.softmax(long)
    assert np.count_nonzero((p_long > 0) & (p_long < tiny)) > 0
    np.testing.assert_array_equal(p_long, sk.softmax(long[None, :])[0])


@pytest.mark.parametrize("k", [2, 3, 5])
def test_subnormal_probabilities_on_a_short_axis(isa, k):
    # a k-long axis with a long inner dimension (N x C x H x W) goes through the panels,
    # which ask of every lane at once whether its terms can fall below the subnormal
    # bound ([Note: subnormal results]); columns whose range reaches it (one in 7 here,
    # probabilities from 2**-125 to 2**-137) are within the contract's 2 ulps, a
    # subnormal's ulp being its spacing 2**-149, and within one spacing below 2**-130
    # (where the float32 working precision is far finer than that spacing); contiguous
    # rows agree
    rng = np.random.default_rng(k)
    x = rng.normal(size=(4, k, 20000)).astype(np.float32)
    x[:, -1, ::7] = -87.0 - rng.uniform(0, 8, size=x[:, -1, ::7].shape).astype(np.float32)
    got = sk.softmax(x, axis=1)
    tiny = np.finfo(np.float32).tiny
    assert np.count_nonzero((got > 0) & (got < tiny)) > 1000
    x64 = x.astype(np.float64)  # exact to 1e-16 here, far below the bounds asked
    e = np.exp(x64 - x64.max(axis=1, keepdims=True))
    exact = e / e.sum(axis=1, keepdims=True)
    ulps = np.abs(got - exact) / np.spacing(exact.astype(np.float32)).astype(np.float64)
    assert ulps.max() <= 2
    assert ulps[exact < 2.0 ** -130].max() <= 1
    rows = np.ascontiguousarray(np.moveaxis(x, 1, -1))
    np.testing.assert_array_equal(np.moveaxis(got, 1, -1), sk.softmax(rows))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rest_far_below_the_maximum_keeps_its_precision(isa, dtype):
    # every term below the maximum under an ulp of the maximum's: log_softmax at the
    # maximum is -log1p(rest) ~ -rest, as precise as the sum of the rest (it came out 4
    # ulps off when that sum was kept in T's precision alone)
    q = -40.0 if dtype == np.float64 else -20.0
    for n in [2, 5, 13, 40, 100, 300, 5000]:
        x = np.full(n, q, dtype=dtype)
        x[n // 3] = 0
        for rows in (x[None], np.tile(x, (7, 1)), np.tile(x, (40, 1))):
            assert_close(sk.log_softmax(rows), reference(sk.log_softmax, rows))
            assert_close(sk.logsumexp(rows, axis=1), reference(sk.logsumexp, rows, axis=1))


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_long_slices_split_across_threads(isa, threads, log, dtype, rng):
    fn = sk.log_softmax if log else sk.softmax
    x = rng.normal(scale=3, size=(1, 100_003)).astype(dtype)
    assert_close(fn(x), reference(fn, x))
    x[0, 5000] = np.nan
    assert np.isnan(fn(x)).all()
    x[0, 5000] = np.inf
    x[0, 90000] = np.inf
    expected = np.zeros_like(x) if not log else np.full_like(x, -np.inf)
    expected[0, [5000, 90000]] = 0.5 if not log else -np.log(2)
    np.testing.assert_array_equal(fn(x), expected.astype(dtype))
    y = np.full((2, 70_000), -np.inf, dtype=dtype)
    np.testing.assert_array_equal(fn(y), 0 if not log else -np.inf)


@pytest.mark.parametrize("call", [
    lambda x: sk.softmax(x), lambda x: sk.log_softmax(x),
    lambda x: sk.softmin(x, temperature=0.3), lambda x: sk.log_softmax(x, temperature=7.0),
], ids=["softmax", "log_softmax", "softmin T", "log_softmax T"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_long_slices_do_not_depend_on_the_thread_count(isa, call, dtype, rng):
    # [Note: long slices]: one slice, or as many as threads, or more; bit for bit
    before = sk.get_num_threads()
    try:
        for shape in ((1, 2**20 + 3), (2, 2**16 + 5), (5, 2**15)):
            x = rng.normal(scale=6, size=shape).astype(dtype)
            results = []
            for n in (1, 2, 3, 4):
                sk.set_num_threads(n)
                results.append(call(x))
            for r in results[1:]:
                np.testing.assert_array_equal(r, results[0])
    finally:
        sk.set_num_threads(before)


def test_many_slices_with_threads(threads, rng):
    x = rng.normal(size=(5000, 37)).astype(np.float32)
    assert_close(sk.softmax(x), reference(sk.softmax, x))
    assert_close(sk.logsumexp(x, axis=1), reference(sk.logsumexp, x, axis=1))


# ---------------------------------------------------------------------- hypothesis

values = st.one_of(
    st.floats(-50, 50, width=32),
    st.sampled_from([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 3e38, -3e38]),
)


@st.composite
def cases(draw):
    dtype = draw(st.sampled_from([np.float16, np.float32, np.float64]))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=9))
    elements = st.floats(-30, 30, width=16) if dtype == np.float16 else values
    specials = draw(st.booleans())
    x = draw(hnp.arrays(dtype, shape, elements=elements if specials else st.floats(
        -60, 60, width=16 if dtype == np.float16 else 32)))
    ndim = len(shape)
    axis = draw(st.one_of(
        st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple),
    ))
    layout = draw(st.sampled_from(["C", "F", "reversed", "strided", "transposed"]))
    if layout == "F":
        x = np.asfortranarray(x)
    elif layout == "reversed":
        x = x[..., ::-1]
    elif layout == "strided":
        big = np.zeros(shape[:-1] + (2 * shape[-1],), dtype=dtype)
        big[..., ::2] = x
        x = big[..., ::2]
    elif layout == "transposed":
        x = np.ascontiguousarray(x.T).T
    t = draw(st.sampled_from([1.0, 1.0, 0.5, 0.37, 3.3, 1e-3, 1e3]))
    masked = draw(st.booleans())
    where = draw(hnp.arrays(np.bool_, shape)) if masked else None
    return x, axis, t, where


@pytest.mark.parametrize("name", FUNCS)
@settings(max_examples=250, deadline=None)
@given(case=cases())
def test_native_matches_reference(name, case):
    x, axis, t, where = case
    keep = x.copy()
    got = FUNCS[name](x, axis=axis, temperature=t, where=where)
    assert_close(got, reference(FUNCS[name], x, axis=axis, temperature=t, where=where))
    np.testing.assert_array_equal(x, keep)  # the input is never modified


@settings(max_examples=250, deadline=None)
@given(case=cases(), keepdims=st.booleans())
def test_native_logsumexp_matches_reference(case, keepdims):
    x, axis, _, where = case
    got = sk.logsumexp(x, axis=axis, where=where, keepdims=keepdims)
    assert_close(got, reference(sk.logsumexp, x, axis=axis, where=where, keepdims=keepdims))


@pytest.mark.parametrize("name", FUNCS)
def test_every_isa_gives_the_same_contract(name, rng):
    x = np.concatenate([rng.normal(scale=20, size=(4, 33)),
                        np.full((1, 33), -np.inf)]).astype(np.float32)
    x[2, 3] = np.inf
    ref = reference(FUNCS[name], x, axis=1)
    before = _native.isa()
    try:
        for isa in ISAS:
            _native.set_isa(isa)
            assert_close(FUNCS[name](x, axis=1), ref)
    finally:
        _native.set_isa(before)


# ----------------------------------------------------------------------- out and memory


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_out_in_place_uses_the_same_memory(name, dtype, rng):
    x = rng.normal(size=(6, 50)).astype(dtype)
    expected = FUNCS[name](x)
    res = FUNCS[name](x, out=x)
    assert res is x
    np.testing.assert_array_equal(x, expected)


def test_out_strided_view(rng):
    x = rng.normal(size=(5, 40))
    buf = np.zeros((5, 80))
    out = buf[:, ::2]
    res = sk.softmax(x, out=out)
    assert res is out and np.shares_memory(res, buf)
    np.testing.assert_array_equal(out, sk.softmax(x))
    assert np.all(buf[:, 1::2] == 0)


def test_partially_overlapping_out_reads_a_copy(rng):
    buf = rng.normal(size=200)
    x = buf[:150]
    expected = sk.softmax(x.copy())
    sk.softmax(x, out=buf[50:])
    np.testing.assert_array_equal(buf[50:], expected)


def test_fresh_output_keeps_the_input_layout(rng):
    x = np.asfortranarray(rng.normal(size=(30, 40)))
    assert sk.softmax(x, axis=0).flags.f_contiguous


# ---------------------------------------------------------------------- settings


def test_backend_context_is_restored_and_nested():
    assert sk.get_backend() == "native"
    with sk.backend("numpy"):
        assert sk.get_backend() == "numpy"
        with sk.backend("native"):
            assert sk.get_backend() == "native"
        assert sk.get_backend() == "numpy"
    assert sk.get_backend() == "native"
    with pytest.raises(ValueError, match="must be one of"):
        sk.set_backend("cuda")
    with pytest.raises(ValueError, match="must be one of"):
        with sk.backend("fast"):
            pass


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_set_num_threads_rejects(bad):
    with pytest.raises(ValueError, match="'n' must be an integer >= 1"):
        sk.set_num_threads(bad)


def test_set_isa_rejects_unknown():
    with pytest.raises(ValueError, match="must be one of"):
        _native.set_isa("sse9")


def _run(code, **env):
    full = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full, timeout=120)


def test_environment_variables():
    r = _run("import softmaxkit as sk; from softmaxkit._backends import native as _native; "
             "print(sk.get_num_threads(), _native.isa())",
             SOFTMAXKIT_NUM_THREADS="3", SOFTMAXKIT_ISA="baseline")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["3", "baseline"]
    r = _run("import softmaxkit as sk; print(sk.get_num_threads())",
             SOFTMAXKIT_NUM_THREADS="many")
    assert r.returncode == 0 and "SOFTMAXKIT_NUM_THREADS must be a positive integer" in r.stderr


def test_threadpoolctl_sees_and_limits_the_pool():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from softmaxkit._kernels import _ext

    sk.softmax(np.ones((4, 100_000), np.float32))  # the OpenMP runtime is loaded
    info = threadpoolctl.threadpool_info()
    assert any(p["user_api"] == "openmp" for p in info)
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert _ext.max_threads() == 1
        x = np.random.default_rng(1).normal(size=(3, 50_000)).astype(np.float32)
        assert_close(sk.softmax(x), reference(sk.softmax, x))
    assert _ext.max_threads() >= 1


# ------------------------------------------------------------ [Note: long sums]

PATTERN = np.arange(7, dtype=np.float32) * np.float32(0.75) - np.float32(2.0)


def _exact(n):
    """(probability of each pattern value, logsumexp) for n entries of the pattern."""
    counts = [n // 7 + (1 if r < n % 7 else 0) for r in range(7)]
    total = math.fsum(c * math.exp(float(v)) for c, v in zip(counts, PATTERN))
    return np.array([math.exp(float(v)) / total for v in PATTERN]), math.log(total)


def _ulps(got, want, dtype=np.float32):
    return np.max(np.abs(np.asarray(got, np.float64) - want) /
                  np.spacing(np.abs(np.asarray(want, dtype))).astype(np.float64))


def test_long_sums_keep_their_accuracy(isa):
    # before the sums were carried in double-double, float32 softmax of 2**26 entries was
    # 4.7 ulp off, and over 2**20 rows of a non-last axis 23 ulp
    n = 7 * 2**21
    x = np.tile(PATTERN, n // 7)
    probs, lse_row = _exact(n)
    assert _ulps(sk.softmax(x)[:7], probs) <= 1.5
    assert _ulps(sk.log_softmax(x)[:7], np.log(probs)) <= 1.5
    assert _ulps(sk.logsumexp(x), lse_row) <= 1.0
    rows = 7 * 2**17  # panels: one lane per column sums all the rows
    cols = np.repeat(np.tile(PATTERN, rows // 7)[:, None], 16, axis=1)
    probs, lse = _exact(rows)
    assert _ulps(sk.softmax(cols, axis=0)[:7], probs[:, None]) <= 1.5
    assert _ulps(sk.logsumexp(cols, axis=0), lse) <= 1.0
    # the backward's sum and the fused cross-entropy's normalizer
    y = sk.softmax(x)
    dx = sk.softmax_backward(y, x)
    y64, x64 = y.astype(np.float64), x.astype(np.float64)
    want = y64 * (x64 - math.fsum((y64 * x64).tolist()))
    assert np.max(np.abs(dx[:7] - want[:7]) / np.abs(y64[:7])) < 4e-7
    loss = sk.cross_entropy(x[None, :], np.array([3]), reduction="sum")
    assert float(loss) == pytest.approx(lse_row - float(PATTERN[3]), rel=2e-7)


def test_the_python_wrapper_is_generated_from_the_kernel_list():
    # [Note: the kernel list] in softmax.h: every kernel there is a method of _ext whose
    # signature lists the same parameters, in order
    import re
    from pathlib import Path

    from softmaxkit._kernels import _ext

    header = (Path(__file__).resolve().parents[1] / "src/softmaxkit/_kernels/softmax.h")
    text = header.read_text(encoding="utf-8")
    kernels = re.findall(r"X\((\w+), (SK_\w+_PARAMS),", text)
    assert [k for k, _ in kernels] == ["softmax", "logsumexp", "xent", "softmax_backward",
                                      "sparse", "sparse_backward", "entmax_bisect", "fy",
                                      "attention", "segments", "logcumsumexp", "lse_state",
                                      "lse_merge", "sample", "half",
                                      "half_in", "half_out", "xent_half"]
    for name, macro in kernels:
        body = text.split(f"#define {macro}(P, T)")[1].split("\n\n")[0]
        params = re.findall(r"P\(\w+, [^,]+, (\w+)\)", body)
        doc = getattr(_ext, name).__doc__
        assert doc.startswith(f"{name}(f64, " + ", ".join(params) + ", nthreads)"), doc


@pytest.mark.parametrize("extra", [(), (1, 2)])
def test_the_wrapper_counts_its_arguments(extra):
    from softmaxkit._kernels import _ext

    x = np.zeros(4)
    args = (True, x.ctypes.data, 1, 4, 1, 4, 1, 1, x.ctypes.data, 4, 1, 1, 1.0, 0)
    if extra:
        with pytest.raises(TypeError, match="too many arguments"):
            _ext.softmax(*args, 1, *extra)
    else:
        with pytest.raises(TypeError, match="too few arguments"):
            _ext.softmax(*args)


def test_the_extension_refuses_a_read_only_output():
    from softmaxkit._kernels import _ext

    x = np.ones((1, 4))
    y = np.empty_like(x)
    y.flags.writeable = False
    with pytest.raises((BufferError, ValueError)):
        _ext.softmax(True, x, 1, 4, 1, 4, 1, 1, y, 4, 1, 1, 1.0, 0, 1)
    assert not y.flags.writeable
