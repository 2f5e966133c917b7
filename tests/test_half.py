"""float16 and bfloat16 storage: results within 1 ulp of the format (and almost always
correctly rounded) against mpmath, the format's special values and limits, the half
kernel against the conversion path, and the functions that compute bfloat16 on float32
copies (the backward functions, the losses)."""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest
from conftest import MP_DIGITS, exact_logsumexp, exact_softmax, run_cli

import softmaxkit as sk

ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)
F16 = np.dtype(np.float16)
# dtype, significand bits after the point, smallest normal exponent, largest exponent
FORMATS = {"float16": (F16, 10, -14, 15), "bfloat16": (BF16, 7, -126, 127)}


def format_ulps(computed, exact, fmt):
    """|computed - exact| in ulps of the format at the exact value (subnormals: the
    smallest subnormal's spacing), per entry."""
    _, bits, emin, emax = FORMATS[fmt]
    # at or beyond the largest finite value plus half its ulp, the result is +-inf
    overflow = mpmath.mpf(2) ** (emax + 1) - mpmath.mpf(2) ** (emax - bits - 1)
    out = []
    with mpmath.workdps(MP_DIGITS):
        for c, e in zip(np.asarray(computed, dtype=np.float64).ravel(), exact):
            if not mpmath.isfinite(e) or abs(e) >= overflow:
                out.append(0.0 if np.sign(float(e)) * np.inf == c else np.inf)
                continue
            mag = abs(e)
            exponent = max(int(mpmath.floor(mpmath.log(mag, 2))), emin) if mag else emin
            ulp = mpmath.mpf(2) ** (exponent - bits)
            out.append(float(abs(mpmath.mpf(float(c)) - e) / ulp))
    return np.array(out)


def rows(dtype, rng):
    """Rows that exercise the range: small and large spreads, long rows, entries near the
    format's largest finite values (as float32 then rounded to the format)."""
    big = 60000.0 if dtype == F16 else 3e38
    out = [rng.normal(size=(8, 37)) * s for s in (0.5, 4.0, 30.0)]
    out.append(rng.normal(size=(2, 3000)) * 3.0)
    out.append(rng.normal(size=(4, 100)) * 40.0)  # wide: bfloat16's subnormal results
    out.append(np.array([[big, big / 2, -big, 0.0, 1.0]]))
    return [r.astype(np.float32).astype(dtype) for r in out]


@pytest.mark.parametrize("fmt", ["float16", "bfloat16"])
@pytest.mark.parametrize("backend", ["native", "numpy"])
def test_results_within_one_ulp_of_the_format(fmt, backend):
    dtype = FORMATS[fmt][0]
    rng = np.random.default_rng(3)
    worst = {"softmax": 0.0, "log_softmax": 0.0, "logsumexp": 0.0}
    exact_count = total = 0
    for x in rows(dtype, rng):
        with sk.backend(backend):
            p, lp, lse = sk.softmax(x), sk.log_softmax(x), sk.logsumexp(x, axis=-1)
        assert p.dtype == lp.dtype == lse.dtype == dtype
        for r in range(x.shape[0]):
            row = x[r].astype(np.float64)
            e_p, e_lp = exact_softmax(row), exact_softmax(row, log=True)
            e_lse = [exact_logsumexp(row)]
            for name, got, exact in (("softmax", p[r], e_p), ("log_softmax", lp[r], e_lp),
                                     ("logsumexp", [lse[r]], e_lse)):
                err = format_ulps(got, exact, fmt)
                worst[name] = max(worst[name], float(err.max()))
                exact_count += int(np.sum(err <= 0.5))
                total += err.size
    assert max(worst.values()) <= 1.0, worst
    assert exact_count >= 0.99 * total  # correctly rounded almost everywhere


@pytest.mark.parametrize("fmt", ["float16", "bfloat16"])
def test_special_values_and_masked_rows(fmt):
    dtype = FORMATS[fmt][0]
    ninf, inf = -np.inf, np.inf
    x = np.array([[ninf, ninf, ninf], [1.0, inf, inf], [0.0, np.nan, 1.0],
                  [0.0, 0.0, 0.0]], dtype=np.float32).astype(dtype)
    p = sk.softmax(x).astype(np.float64)
    np.testing.assert_array_equal(p[0], [0, 0, 0])
    np.testing.assert_array_equal(p[1], [0, 0.5, 0.5])
    assert np.all(np.isnan(p[2]))
    np.testing.assert_array_equal(sk.log_softmax(x)[0].astype(np.float64), [ninf] * 3)
    np.testing.assert_array_equal(sk.logsumexp(x, axis=-1)[[0, 1]].astype(np.float64),
                                  [ninf, inf])
    # a fully masked row gives zeros, never NaN
    where = np.array([[False] * 3, [True] * 3, [True] * 3, [True, False, True]])
    pm = sk.softmax(x, where=where).astype(np.float64)
    np.testing.assert_array_equal(pm[0], [0, 0, 0])
    np.testing.assert_array_equal(pm[3], [0.5, 0, 0.5])


@pytest.mark.parametrize("n", [13, 70])
@pytest.mark.parametrize("fmt", ["float16", "bfloat16"])
def test_fast_rows_special_values_and_tiny_terms(fmt, n):
    # rows for the short rows' tiles (13) and the fast rows (70) ([Note: fast half
    # rows]) on every ISA: the special values are the family's (the rows go to the
    # accurate kernels), masked entries weigh nothing, and terms down to bfloat16's
    # subnormals are kept
    dtype = FORMATS[fmt][0]
    x = np.zeros((6, n), dtype=np.float32)
    x[0] = -np.inf
    x[1, [3, n - 2]] = np.inf
    x[2, 7] = np.nan
    x[3, ::2] = -np.inf
    x[4] = np.linspace(-1.0, 1.0, n)
    x[4, 5:n - 5] = -np.inf
    x[5] = -91.0 - np.arange(n) / 8.0  # exp(-91) / sum: bfloat16 subnormals
    x[5, 0] = 0.0
    x = x.astype(dtype)
    for f in (sk.softmax, sk.log_softmax):
        got = f(x).astype(np.float64)
        want = f(x.astype(np.float32)).astype(dtype).astype(np.float64)
        np.testing.assert_array_equal(got[:5], want[:5])
        row = x[5].astype(np.float64)
        err = format_ulps(got[5], exact_softmax(row, log=f is sk.log_softmax), fmt)
        assert err.max() <= 1.0
    if fmt == "bfloat16":
        assert np.count_nonzero(sk.softmax(x)[5]) > 1  # subnormal results, not zeros
    lse = sk.logsumexp(x, axis=-1).astype(np.float64)
    np.testing.assert_array_equal(
        lse[:5], sk.logsumexp(x.astype(np.float32), axis=-1)[:5].astype(dtype).astype(np.float64))
    # in place, and with a temperature
    y = x[4:].copy()
    assert sk.softmax(y, out=y, temperature=0.3) is y
    np.testing.assert_array_equal(y.astype(np.float64),
                                  sk.softmax(x[4:], temperature=0.3).astype(np.float64))


@pytest.mark.parametrize("fmt", ["float16", "bfloat16"])
def test_fast_rows_every_tail_and_group_in_place(fmt):
    # lengths 2..65 (the short rows' tiles and the fast rows) give every remainder
    # modulo the vector widths (8 and 16), and 11 rows a short last group or tile: in
    # place equals out of place bit for bit (AVX2's fast-row tail stores overlap the
    # row's last whole vector) and within 1 ulp of mpmath
    dtype = FORMATS[fmt][0]
    rng = np.random.default_rng(11)
    for n in range(2, 66):
        x = (rng.normal(size=(11, n)) * 3.0).astype(np.float32).astype(dtype)
        for f in (sk.softmax, sk.log_softmax):
            want = f(x)
            y = x.copy()
            assert f(y, out=y) is y
            np.testing.assert_array_equal(y.view(np.uint16), want.view(np.uint16))
            row = x[-1].astype(np.float64)
            err = format_ulps(want[-1], exact_softmax(row, log=f is sk.log_softmax), fmt)
            assert err.max() <= 1.0, (n, f.__name__, err.max())


@pytest.mark.parametrize("fmt", ["float16", "bfloat16"])
def test_logsumexp_near_zero(fmt):
    # the log-sum-exp of log-probabilities is near 0: the maximum (< 0) and the
    # logarithm of the sum cancel, so the sum's relative error becomes the result's
    dtype = FORMATS[fmt][0]
    rng = np.random.default_rng(5)
    worst = 0.0
    for _ in range(150):
        x = rng.normal(size=int(rng.integers(64, 200))) * 2.0 - 1.0
        x = x - (np.log(np.sum(np.exp(x - x.max()))) + x.max()) + rng.normal() * 1e-3
        h = x.astype(np.float32).astype(dtype)
        got = sk.logsumexp(h[None, :], axis=-1)
        err = format_ulps(got, [exact_logsumexp(h.astype(np.float64))], fmt)
        worst = max(worst, float(err.max()))
    assert worst <= 1.0


def test_float16_beyond_its_exp_range():
    # exp overflows float16 above 11.09, and 12 - 11 is exact: the softmax is that of
    # [1, 0], correctly rounded, where exp in float16 would give inf / inf
    x = np.array([12.0, 11.0, -65504.0], dtype=np.float16)
    want = np.array(sk.softmax(np.array([1.0, 0.0, -np.inf]))).astype(np.float16)
    np.testing.assert_array_equal(sk.softmax(x), want)
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(np.exp(x) / np.exp(x).sum()).any()  # the naive formula
    # a log-sum-exp of entries whose exp overflows float16: 11.5 + log(8)
    assert sk.logsumexp(np.full(8, 11.5, dtype=np.float16)) == np.float16(11.5 + np.log(8))


@pytest.mark.parametrize("fmt", ["float16", "bfloat16"])
def test_row_sums_and_the_kernel_against_the_conversion_path(fmt):
    dtype = FORMATS[fmt][0]
    bits = FORMATS[fmt][1]
    rng = np.random.default_rng(4)
    for n in (5, 37, 1500, 40000):
        x = (rng.normal(size=(3, n)) * 5).astype(np.float32).astype(dtype)
        p = sk.softmax(x, temperature=0.8)
        sums = p.astype(np.float64).sum(axis=1)
        assert np.all(np.abs(sums - 1) <= n * 2.0 ** -bits)
        # the half kernel (last axis, contiguous rows) against the float32 route (another
        # axis): both round the same float32 results once
        t = sk.softmax(np.ascontiguousarray(x.T), axis=0, temperature=0.8).T
        np.testing.assert_array_equal(p.astype(np.float64), t.astype(np.float64))
        out = np.empty_like(x)
        assert sk.log_softmax(x, out=out) is out


def exact_xent(row, y, rs):
    """Exact per-row loss and gradient rs * (softmax - onehot(y)) of one row, as mpf; the
    target's entry is -rs * (1 - p[y]) summed from the other classes (no cancellation)."""
    with mpmath.workdps(MP_DIGITS):
        p = exact_softmax(row)
        grad = [rs * pj for pj in p]
        grad[y] = -rs * mpmath.fsum(pj for j, pj in enumerate(p) if j != y)
        loss = -exact_softmax(row, log=True)[y]
    return loss, grad


@pytest.mark.parametrize("fmt", ["float16", "bfloat16"])
def test_fused_cross_entropy_against_mpmath(fmt):
    # the fused half kernel: class-index targets, a gradient asked for. Rows of at least 32
    # classes take the fast rows on x86 ([Note: fast half cross-entropy]), shorter ones
    # (and every row on the baseline) the float32 row in a buffer
    dtype = FORMATS[fmt][0]
    rng = np.random.default_rng(11)
    worst_loss = worst_grad = 0.0
    for n, spread, confident in [(7, 2.0, 0.0), (33, 5.0, 8.0), (64, 1.0, 30.0),
                                 (1000, 3.0, 0.0), (300, 2.0, 12.0)]:
        x = rng.normal(size=(12, n)) * spread
        y = rng.integers(0, n, size=12)
        x[np.arange(12), y] += confident  # confident, correct rows: losses down to 1e-13
        x[3, :] = np.round(x[3, :])  # ties, also at the maximum
        x[3, y[3]] = x[3].max()
        z = x.astype(np.float32).astype(dtype)
        w = rng.uniform(0.5, 2.0, size=n)
        loss, grad = sk.cross_entropy(z, y, weight=w, reduction="none", return_grad=True)
        mean, gmean = sk.cross_entropy(z, y, weight=w, return_grad=True)
        assert loss.dtype == np.float32 and grad.dtype == dtype and mean.dtype == np.float32
        wy = np.float32(w)[y].astype(np.float64)
        assert mean == pytest.approx(float(np.sum(loss.astype(np.float64)) / np.sum(wy)),
                                     rel=1e-6)
        for i in range(12):
            lx, gx = exact_xent(z[i].astype(np.float64), y[i], wy[i])
            lx *= wy[i]  # "none": each sample's loss times its class weight
            ulp32 = float(np.spacing(np.float32(float(lx))))
            worst_loss = max(worst_loss, float(abs(mpmath.mpf(float(loss[i])) - lx)) / ulp32)
            # "mean": the gradient's scale is w[y] / sum(w[y])
            gm = [g / np.sum(wy) for g in gx]
            worst_grad = max(worst_grad, format_ulps(grad[i], gx, fmt).max(),
                             format_ulps(gmean[i], gm, fmt).max())
    assert worst_grad <= 1.0, worst_grad
    assert worst_loss <= 4.0, worst_loss  # a few parts in 10**7 (measured: 1.6 ulps)
    # grad_out may be the logits themselves
    loss, grad = sk.cross_entropy(z, y, weight=w, reduction="none", return_grad=True)
    zc = z.copy()
    _, g_in_place = sk.cross_entropy(zc, y, weight=w, reduction="none", grad_out=zc)
    assert g_in_place is zc
    np.testing.assert_array_equal(zc.view(np.uint16), grad.view(np.uint16))


@pytest.mark.parametrize("fmt", ["float16", "bfloat16"])
def test_fused_cross_entropy_layouts_and_special_rows(fmt):
    dtype = FORMATS[fmt][0]
    rng = np.random.default_rng(12)
    x = (rng.normal(size=(9, 70)) * 3).astype(np.float32).astype(dtype)
    x[1, 5] = np.nan
    x[2, 7] = np.inf
    x[3, :] = -np.inf
    y = rng.integers(0, 70, size=9)
    y[0] = -100
    loss, grad = sk.cross_entropy(x, y, reduction="none", ignore_index=-100, return_grad=True)
    # the special rows are the float32 kernel's, rounded: through a float32 copy
    l32, g32 = sk.cross_entropy(x.astype(np.float32), y, reduction="none", ignore_index=-100,
                                return_grad=True)
    for i in (0, 1, 2, 3):
        np.testing.assert_array_equal(loss[i], l32[i])
        np.testing.assert_array_equal(grad[i].astype(np.float32), g32[i].astype(dtype))
    assert loss[0] == 0 and not grad[0].any()  # the ignored row
    assert np.isnan(loss[1]) and np.isnan(grad[1]).all()
    # classes on another axis and strided rows: the same values as the contiguous rows
    xt = np.ascontiguousarray(x[4:].T)
    lt, gt = sk.cross_entropy(xt, y[4:], axis=0, reduction="none", return_grad=True)
    np.testing.assert_array_equal(lt, loss[4:])
    np.testing.assert_array_equal(gt.T.view(np.uint16), grad[4:].view(np.uint16))
    wide = np.zeros((5, 140), dtype)
    wide[:, ::2] = x[4:]
    ls, gs = sk.cross_entropy(wide[:, ::2], y[4:], reduction="none", return_grad=True)
    np.testing.assert_array_equal(ls, loss[4:])
    np.testing.assert_array_equal(gs.view(np.uint16), grad[4:].view(np.uint16))
    for reduction in ("mean", "none"):  # no rows: the loss is float32 all the same
        le, ge = sk.cross_entropy(x[:0], y[:0], reduction=reduction, return_grad=True)
        assert le.dtype == np.float32 and ge.dtype == dtype and ge.shape == (0, 70)


def test_bfloat16_dtype_argument_and_other_functions():
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]], dtype=np.float32)
    p = sk.softmax(x, dtype="bfloat16")
    assert p.dtype == BF16
    np.testing.assert_array_equal(p, sk.softmax(x.astype(BF16)))
    assert sk.softmax(x, dtype=ml_dtypes.bfloat16).dtype == BF16
    xb = x.astype(BF16)
    # three classes: the float32 kernel's row in a buffer, its results rounded once
    y = np.array([2, 0])
    loss, grad = sk.cross_entropy(xb, y, return_grad=True)
    loss32, grad32 = sk.cross_entropy(xb.astype(np.float32), y, return_grad=True)
    assert loss.dtype == np.float32 and loss == loss32
    assert grad.dtype == BF16
    np.testing.assert_array_equal(grad, grad32.astype(BF16))
    g = np.empty_like(xb)
    _, g2 = sk.cross_entropy(xb, y, grad_out=g)
    assert g2 is g
    np.testing.assert_array_equal(g, grad)
    dx = sk.softmax_backward(sk.softmax(xb), xb)
    assert dx.dtype == BF16
    np.testing.assert_array_equal(
        dx, sk.softmax_backward(sk.softmax(xb).astype(np.float32),
                                xb.astype(np.float32)).astype(BF16))
    assert sk.softmin(xb).dtype == BF16 and sk.smooth_max(xb, k=2.0).dtype == BF16
    with sk.backend("numpy"):
        np.testing.assert_array_equal(sk.softmax(xb), sk.softmax(x.astype(BF16)))
    with pytest.raises(TypeError, match="bfloat16"):
        sk.lse_state(xb)


def test_command_line_dtype():
    for name, dtype in (("float16", F16), ("bfloat16", BF16)):
        r = run_cli("softmax", "--dtype", name, "--json", "1", "2", "3")
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        assert got["dtype"] == name
        want = sk.softmax(np.array([1.0, 2.0, 3.0]).astype(dtype)).astype(np.float64)
        assert got["result"] == want.tolist()
    r = run_cli("logsumexp", "--dtype", "float16", "11.5", "11.5")
    assert r.returncode == 0 and float(r.stdout) == pytest.approx(12.195, abs=1e-3)


def test_torch_half_tensors_take_the_kernels():
    torch = pytest.importorskip("torch")
    x32 = torch.randn(6, 50, generator=torch.Generator().manual_seed(0)) * 4
    for tdt, dtype in ((torch.bfloat16, BF16), (torch.float16, F16)):
        x = x32.to(tdt)
        p = sk.softmax(x)
        assert isinstance(p, torch.Tensor) and p.dtype == tdt
        # the NumPy array over the same bits gives the same bits
        xn = x.view(torch.int16).numpy().view(dtype)
        np.testing.assert_array_equal(p.view(torch.int16).numpy(),
                                      sk.softmax(xn).view(np.int16))
        # correctly rounded where PyTorch's float64 softmax rounded to the format agrees
        ref = torch.softmax(x.double(), -1).to(tdt)
        assert (p == ref).float().mean() > 0.99
        loss, grad = sk.cross_entropy(x, torch.tensor([0, 1, 2, 3, 4, 5]), return_grad=True)
        assert loss.dtype == torch.float32 and grad.dtype == tdt
        xr = x.clone().requires_grad_()
        sk.log_softmax(xr)[:, 0].sum().backward()
        assert xr.grad.dtype == tdt
