"""sparsemax, entmax15 and entmax: the contract of docs/user_guide/sparse.md, line by line.

Exactness against mpmath (the threshold solved at 60 digits), sums and exact zeros,
special values, gradients against central differences and against the ``entmax``
package (skipped where it is absent), the Fenchel–Young losses' defining properties.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from conftest import documented_contract_tests

import softmaxkit as sk

RNG = np.random.default_rng(20261202)
MAPS = {"sparsemax": sk.sparsemax, "entmax15": sk.entmax15}
ALPHA = {"sparsemax": 2, "entmax15": mpmath.mpf(3) / 2}


# ---------------------------------------------------------------- mpmath references


def mp_entmax(row, alpha):
    """α-entmax of one row at 60 digits: the threshold by bisection to far below any
    float's precision (the map is continuous in the threshold; the root is simple)."""
    with mpmath.workdps(60):
        a = mpmath.mpf(alpha)
        z = [mpmath.mpf(float(v)) * (a - 1) for v in row]
        beta = 1 / (a - 1)

        def mass(t):
            return mpmath.fsum(max(v - t, 0) ** beta for v in z)

        m = max(z)
        lo, hi = m - 1, m - mpmath.mpf(len(z)) ** (1 - a)
        for _ in range(220):
            mid = (lo + hi) / 2
            if mass(mid) >= 1:
                lo = mid
            else:
                hi = mid
        return [max(v - lo, 0) ** beta for v in z]


def ulps(got, exact, dtype):
    """|got - exact| in ulps of the exact value (of the smallest normal below it)."""
    info = np.finfo(dtype)
    out = []
    for g, e in zip(np.asarray(got, dtype=np.float64).ravel(), exact):
        e = mpmath.mpf(e)
        if e == 0:
            out.append(0.0 if g == 0 else math.inf)
            continue
        spacing = mpmath.mpf(2) ** (mpmath.floor(mpmath.log(abs(e), 2)) - info.nmant)
        spacing = max(spacing, mpmath.mpf(float(info.smallest_subnormal)))
        out.append(float(abs(mpmath.mpf(float(g)) - e) / spacing))
    return max(out)


def rows(n, scale, count=4):
    return [RNG.normal(size=n) * scale for _ in range(count)]


HARD = [
    np.array([1.0, 1.0, 1.0]),  # all tied
    np.array([0.5, 1.0, 1.2]),
    np.array([3.0, 3.0, 0.0, -1e-9]),  # ties at the top, one entry at the boundary
    np.array([1e8, 1e8 + 0.25, 1e8 - 0.5]),  # large magnitude, small differences
    np.array([1e-8, 2e-8, -3e-8, 0.0]),
    np.array([0.0, -0.999999, -1.0, -1.000001]),  # around sparsemax's boundary
    np.array([0.0, -1.999999, -2.0, -2.000001]),  # around 1.5-entmax's boundary
    np.arange(40.0) / 40,
]


@pytest.mark.parametrize("kind", list(MAPS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_outputs_are_within_a_few_ulps_of_mpmath(kind, dtype):
    # float64: the documented bounds; narrower: correctly rounded (rounded twice, from
    # float64, so up to 2**-29 ulp more where the float64 result lies near a tie)
    bound = {"sparsemax": 2.0, "entmax15": 3.0}[kind] if dtype == np.float64 else 0.5001
    cases = HARD + rows(7, 1.0) + rows(50, 0.1) + rows(33, 10.0)
    worst = 0.0
    for row in cases:
        if np.abs(row).max() > np.finfo(dtype).max:
            continue
        x = row.astype(dtype)
        got = MAPS[kind](x)
        assert got.dtype == dtype
        exact = mp_entmax(x, ALPHA[kind])
        worst = max(worst, ulps(got, exact, dtype))
    assert worst <= bound, worst


def test_entmax_bisection_is_within_its_tolerance_of_mpmath():
    for alpha in (1.1, 1.5, 2.0, 3.0):
        for row in rows(20, 2.0, 3):
            got = sk.entmax(row, alpha)
            exact = np.array([float(v) for v in mp_entmax(row, alpha)])
            np.testing.assert_allclose(got, exact, rtol=0, atol=1e-13)
            assert np.array_equal(got == 0, exact == 0)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("kind", ["sparsemax", "entmax15", "entmax"])
def test_slices_sum_to_one_and_zeros_are_exact_zeros(kind, dtype):
    x = (RNG.normal(size=(64, 200)) * 3).astype(dtype)
    fn = {"entmax": lambda a: sk.entmax(a, 1.7), **MAPS}[kind]
    p = fn(x)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(p.astype(np.float64).sum(axis=-1), 1, rtol=0,
                               atol=200 * eps)
    assert (p >= 0).all()
    assert (p == 0).sum() > 0  # sparse: some exact zeros
    # the zeros are the entries below the threshold: the largest zeroed entry is below the
    # smallest kept one
    for r in range(x.shape[0]):
        kept, zeroed = x[r][p[r] > 0], x[r][p[r] == 0]
        if zeroed.size:
            assert zeroed.max() <= kept.min()


@pytest.mark.parametrize("kind", ["sparsemax", "entmax15", "entmax"])
def test_special_values_follow_softmax(kind):
    fn = {"entmax": lambda a, **k: sk.entmax(a, 1.3, **k), **MAPS}[kind]
    inf, nan = np.inf, np.nan
    x = np.array([[1.0, nan, 2.0],
                  [inf, inf, 1.0],
                  [-inf, -inf, -inf],
                  [-inf, 0.0, -inf],
                  [3e38, -3e38, 0.0]])
    p = fn(x)
    assert np.isnan(p[0]).all()
    np.testing.assert_array_equal(p[1], [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(p[2], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(p[3], [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(p[4], [1.0, 0.0, 0.0])
    p32 = fn(x.astype(np.float32))
    np.testing.assert_array_equal(p32[4], [1.0, 0.0, 0.0])
    # fully masked and empty slices: zeros, never NaN
    masked = fn(np.ones((2, 3)), where=np.array([[False] * 3, [True, False, True]]))
    np.testing.assert_array_equal(masked, [[0, 0, 0], [0.5, 0, 0.5]])
    assert fn(np.ones((2, 0))).shape == (2, 0)
    # huge float64 magnitudes: x - max overflows to -inf, which is below the threshold
    np.testing.assert_array_equal(fn(np.array([1.7e308, -1.7e308, 1.7e308])), [0.5, 0, 0.5])


def test_ties_are_handled_together_and_deterministically():
    x = np.array([2.0, 1.0, 2.0, 1.0, -5.0])
    p = sk.sparsemax(x)
    assert p[0] == p[2] and p[1] == p[3]
    np.testing.assert_array_equal(p, sk.sparsemax(x[::-1])[::-1])


def test_axes_where_out_dtype_and_alpha_per_slice():
    x = RNG.normal(size=(3, 4, 5))
    for axis in (0, 1, (0, 2), None):
        p = sk.sparsemax(x, axis=axis)
        np.testing.assert_allclose(p.sum(axis=axis), 1, atol=1e-14)
    moved = np.moveaxis(x, 1, -1)
    np.testing.assert_array_equal(sk.entmax15(x, axis=1),
                                  np.moveaxis(sk.entmax15(moved), -1, 1))
    out = np.empty_like(x)
    assert sk.sparsemax(x, out=out) is out
    assert sk.entmax15(x, dtype=np.float32).dtype == np.float32
    alpha = np.array([1.0, 1.5, 2.0])[:, None, None]  # one α per slice of axis -1
    got = sk.entmax(x, alpha=alpha)
    np.testing.assert_allclose(got[0], sk.softmax(x[0]), rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(got[1], sk.entmax15(x[1]), atol=1e-14)
    np.testing.assert_allclose(got[2], sk.sparsemax(x[2]), atol=1e-14)
    assert (sk.entmax(x, alpha=1.0) == sk.softmax(x)).all()


@pytest.mark.parametrize("call, message", [
    (lambda: sk.entmax([1.0, 2.0], alpha=0.5),
     "entmax: 'alpha' must be a finite number >= 1, got 0.5"),
    (lambda: sk.entmax([1.0, 2.0], alpha=np.inf),
     "entmax: 'alpha' must be a finite number >= 1, got inf"),
    (lambda: sk.entmax(np.ones((2, 3)), alpha=np.ones(3)),
     "entmax: 'alpha' of shape (3,) does not broadcast to the slices' shape (2, 1)"),
    (lambda: sk.entmax([1.0, 2.0], n_iter=0),
     "entmax: 'n_iter' must be an int in [1, 200], got 0"),
    (lambda: sk.sparsemax([1.0, 2.0], axis=1),
     "sparsemax: axis 1 is out of bounds for an array of dimension 1"),
    (lambda: sk.entmax15(["a"]), None),
    (lambda: sk.sparsemax_backward([0.5, 0.5], [1.0]),
     "sparsemax_backward: 'y' has shape (2,) but 'dy' has shape (1,)"),
    (lambda: sk.sparsemax_loss(np.ones((2, 3)), [0, 3]),
     "sparsemax_loss: target 3 at position (1,) is not a class in [0, 3)"),
    (lambda: sk.entmax_loss(np.ones((2, 3)), [0, 1], alpha=np.ones(2)),
     "entmax_loss: 'alpha' of shape (2,) does not broadcast to the slices' shape ()"),
])
def test_bad_input_names_the_problem(call, message):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    if message is not None:
        assert str(info.value) == message


# ------------------------------------------------------------------------ gradients


@pytest.mark.parametrize("kind", ["sparsemax", "entmax15", "entmax"])
def test_backward_equals_central_differences(kind):
    fwd = {"sparsemax": sk.sparsemax, "entmax15": sk.entmax15,
           "entmax": lambda a: sk.entmax(a, 1.7, n_iter=100)}[kind]
    bwd = {"sparsemax": sk.sparsemax_backward, "entmax15": sk.entmax15_backward,
           "entmax": lambda y, d: sk.entmax_backward(y, d, 1.7)}[kind]
    x = RNG.normal(size=(3, 6))
    w = RNG.normal(size=x.shape)
    y = fwd(x)
    r = sk.check_grad(lambda z: (fwd(z) * w).sum(), x, eps=1e-6)
    # absolute: off the support the gradient is 0 and the differences leave ~1e-11
    np.testing.assert_allclose(bwd(y, w), r.numeric, rtol=1e-6, atol=1e-9)


def test_gradient_of_alpha_equals_central_differences():
    x = RNG.normal(size=(4, 7))
    w = RNG.normal(size=x.shape)
    for alpha in (1.3, 1.5, 2.4):
        y = sk.entmax(x, alpha, n_iter=120)
        _, da = sk.entmax_backward(y, w, alpha, return_alpha_grad=True)
        h = 1e-6
        f = [(sk.entmax(x, alpha + k * h, n_iter=120) * w).sum() for k in (-2, -1, 1, 2)]
        num = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h)
        assert abs(float(da) - num) <= 1e-6 * max(1.0, abs(num)), (alpha, da, num)
    # per slice: the gradient has alpha's shape
    alpha = np.array([[1.2], [1.6], [2.0], [3.0]])
    dx, da = sk.entmax_backward(sk.entmax(x, alpha), w, alpha, return_alpha_grad=True)
    assert da.shape == alpha.shape and dx.shape == x.shape
    for r in range(4):
        _, one = sk.entmax_backward(sk.entmax(x[r], float(alpha[r, 0])), w[r],
                                    float(alpha[r, 0]), return_alpha_grad=True)
        np.testing.assert_allclose(da[r, 0], one, rtol=1e-12)


def test_backward_is_finite_and_zero_off_the_support():
    y = sk.sparsemax(np.array([[1.0, -np.inf, 0.9, -3.0], [-np.inf] * 4]))
    dy = np.array([[1.0, np.inf, 2.0, 5.0], [1.0, 2.0, 3.0, 4.0]])
    for bwd in (sk.sparsemax_backward, sk.entmax15_backward,
                lambda a, b: sk.entmax_backward(a, b, 1.3)):
        dx = bwd(y, np.where(np.isinf(dy), 0.0, dy))
        assert np.isfinite(dx).all()
        assert dx[0, 1] == 0 and dx[0, 3] == 0 and (dx[1] == 0).all()


# --------------------------------------------------------------------------- losses


@pytest.mark.parametrize("loss, fwd", [(sk.sparsemax_loss, sk.sparsemax),
                                       (sk.entmax15_loss, sk.entmax15),
                                       (lambda *a, **k: sk.entmax_loss(*a, alpha=1.8, **k),
                                        lambda z: sk.entmax(z, 1.8))])
def test_fenchel_young_loss_properties(loss, fwd):
    z = RNG.normal(size=(5, 4)) * 2
    y = RNG.integers(0, 4, size=5)
    per, g = loss(z, y, reduction="none", return_grad=True)
    assert (per >= -1e-12).all()
    onehot = np.eye(4)[y]
    np.testing.assert_allclose(g, fwd(z) - onehot, atol=1e-14)
    # zero exactly when the map's output is the target
    p = fwd(z)
    np.testing.assert_allclose(loss(z, p, reduction="none"), 0, atol=1e-12)
    # the gradient of the mean, by central differences
    r = sk.check_grad(lambda a: loss(a, y), z, eps=1e-6)
    np.testing.assert_allclose(loss(z, y, return_grad=True)[1], r.numeric, rtol=1e-6,
                               atol=1e-9)


def test_loss_options_weight_ignore_index_and_smoothing():
    z = RNG.normal(size=(6, 5))
    y = np.array([0, 4, 2, -100, 1, 3])
    w = np.array([1.0, 2.0, 0.5, 3.0, 1.5])
    per = sk.sparsemax_loss(z, np.where(y < 0, 0, y), reduction="none")
    got = sk.sparsemax_loss(z, y, weight=w, ignore_index=-100)
    counted = y >= 0
    ws = w[np.where(counted, y, 0)] * counted
    np.testing.assert_allclose(got, (ws * per).sum() / ws.sum(), rtol=1e-14)
    _, g = sk.sparsemax_loss(z, y, ignore_index=-100, return_grad=True)
    assert (g[3] == 0).all()
    # label smoothing: the target (1 - ls) onehot + ls / C, as probabilities
    ls = 0.2
    soft = (1 - ls) * np.eye(5)[np.where(y < 0, 0, y)] + ls / 5
    np.testing.assert_allclose(sk.entmax15_loss(z, np.where(y < 0, 0, y), label_smoothing=ls,
                                                reduction="sum"),
                               sk.entmax15_loss(z, soft, reduction="sum"), rtol=1e-13)
    # alpha = 1 is cross-entropy for class indices
    np.testing.assert_allclose(sk.entmax_loss(z, np.where(y < 0, 0, y), alpha=1.0),
                               sk.cross_entropy(z, np.where(y < 0, 0, y)), rtol=1e-13)


def test_masked_classes_take_no_part_in_the_loss():
    z = RNG.normal(size=(3, 4))
    where = np.array([True, True, False, True])
    y = np.array([0, 1, 3])
    got = sk.sparsemax_loss(z, y, where=where, reduction="none")
    want = sk.sparsemax_loss(z[:, [0, 1, 3]], np.array([0, 1, 2]), reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-14)
    _, g = sk.sparsemax_loss(z, y, where=where, return_grad=True)
    assert (g[:, 2] == 0).all()
    with pytest.raises(ValueError, match="masked"):
        sk.sparsemax_loss(z, np.array([2, 0, 0]), where=where)


def test_loss_is_inf_not_nan_for_a_target_on_a_minus_inf_score():
    z = np.array([[0.0, -np.inf, 1.0]])
    assert sk.sparsemax_loss(z, np.array([1])) == np.inf
    _, g = sk.entmax15_loss(z, np.array([1]), return_grad=True)
    assert np.isfinite(g).all()


# -------------------------------------------------------------- the entmax package




@pytest.fixture
def ent():
    pytest.importorskip("torch")
    return pytest.importorskip("entmax")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maps_and_gradients_equal_the_entmax_package(ent, dtype):
    import torch

    x = (RNG.normal(size=(16, 30)) * 2).astype(dtype)
    dy = RNG.normal(size=x.shape).astype(dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    for ours, back, theirs in [
        (sk.sparsemax, sk.sparsemax_backward, ent.sparsemax),
        (sk.entmax15, sk.entmax15_backward, ent.entmax15),
        (lambda a: sk.entmax(a, 1.3), lambda y, d: sk.entmax_backward(y, d, 1.3),
         lambda t, dim: ent.entmax_bisect(t, 1.3, dim=dim)),
    ]:
        t = torch.tensor(x, requires_grad=True)
        p = theirs(t, dim=-1)
        p.backward(torch.tensor(dy))
        np.testing.assert_allclose(ours(x), p.detach().numpy(), atol=tol)
        np.testing.assert_allclose(back(ours(x), dy), t.grad.numpy(), atol=10 * tol)


def test_losses_equal_the_entmax_package(ent):
    import torch

    z = RNG.normal(size=(12, 7)) * 2
    y = RNG.integers(0, 7, size=12)
    y[3] = 0  # the package ignores only a class index (>= 0)
    for ours, theirs in [(sk.sparsemax_loss, ent.SparsemaxLoss),
                         (sk.entmax15_loss, ent.Entmax15Loss),
                         (lambda *a, **k: sk.entmax_loss(*a, alpha=1.6, **k),
                          lambda **k: ent.EntmaxBisectLoss(alpha=1.6, **k))]:
        tz = torch.tensor(z, requires_grad=True)
        want = theirs(ignore_index=0, reduction="sum")(tz, torch.tensor(y))
        want.backward()
        loss, g = ours(z, y, ignore_index=0, reduction="sum", return_grad=True)
        np.testing.assert_allclose(loss, want.item(), rtol=1e-10)
        np.testing.assert_allclose(g, tz.grad.numpy(), atol=1e-10)


def test_the_readme_contract_names_these_tests():
    named = documented_contract_tests("sparse", "sparse contract")
    here = {name for name in globals() if name.startswith("test_")}
    assert named <= here, named - here


# --------------------------------------------------- the native kernels and their oracle


@pytest.mark.parametrize("kind", ["sparsemax", "entmax15"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_native_kernels_equal_the_reference(kind, dtype):
    # the oracle is the NumPy reference; every ISA's build is held to it (CI runs the
    # suite with SOFTMAXKIT_ISA=avx2 and baseline too)
    fn, back = MAPS[kind], {"sparsemax": sk.sparsemax_backward,
                            "entmax15": sk.entmax15_backward}[kind]
    cases = [RNG.normal(size=(50, 7)), RNG.normal(size=(9, 1000)) * 4,
             RNG.normal(size=(3, 40000)), RNG.normal(size=(64, 3)) * 0.01,
             np.round(RNG.normal(size=(20, 30)) * 2) / 2,  # many ties
             RNG.normal(size=(4, 5, 6))]
    for x in cases:
        x = x.astype(dtype)
        for axis in (-1, 0) if x.ndim == 2 else ((0, 2), 1):
            got = fn(x, axis=axis)
            with sk.backend("numpy"):
                want = fn(x, axis=axis)
            assert np.array_equal(got == 0, want == 0)
            np.testing.assert_array_max_ulp(got, want, maxulp=1)
            dy = RNG.normal(size=x.shape).astype(dtype)
            g = back(got, dy, axis=axis)
            with sk.backend("numpy"):
                h = back(got, dy, axis=axis)
            np.testing.assert_allclose(g, h, rtol=1e-5 if dtype == np.float32 else 1e-12,
                                       atol=1e-6 if dtype == np.float32 else 1e-14)
    # in place: out may be the input
    x = RNG.normal(size=(8, 30)).astype(dtype)
    want = fn(x)
    assert fn(x, out=x) is x
    np.testing.assert_array_equal(x, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_native_bisection_equals_the_reference(dtype):
    x = (RNG.normal(size=(40, 300)) * 2).astype(dtype)
    alphas = [1.25, 1.5, 4 / 3, 1.7, 2.0, 3.5, RNG.uniform(1.05, 3.0, size=(40, 1))]
    for alpha in alphas:
        for n_iter in (10, 50):
            got = sk.entmax(x, alpha, n_iter=n_iter)
            with sk.backend("numpy"):
                want = sk.entmax(x, alpha, n_iter=n_iter)
            # the threshold within 2**-n_iter of the exact one on both sides (the kernel
            # finishes with Newton's steps where a pow is needed, the reference halves
            # on): outputs apart by at most beta = 1 / (alpha - 1) times that
            beta = float(np.max(1 / (np.asarray(alpha) - 1)))
            tol = 2.0**-n_iter * 4 * max(beta, 1) + (1e-6 if dtype == np.float32 else 1e-14)
            np.testing.assert_allclose(got, want, rtol=0, atol=tol)
            np.testing.assert_allclose(got.astype(np.float64).sum(axis=-1), 1,
                                       atol=300 * np.finfo(dtype).eps)
    got = sk.entmax(x, np.array([[1.0]] * 20 + [[1.5]] * 20))  # α = 1 rows: softmax
    np.testing.assert_allclose(got[:20], sk.softmax(x[:20]), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", [sk.sparsemax_loss, sk.entmax15_loss,
                                  lambda *a, **k: sk.entmax_loss(*a, alpha=1.3, **k),
                                  lambda *a, **k: sk.entmax_loss(*a, alpha=2.5, **k)],
                         ids=["sparsemax", "entmax15", "entmax1.3", "entmax2.5"])
def test_the_fused_loss_kernel_equals_the_reference(loss, dtype):
    z = (RNG.normal(size=(40, 9)) * 3).astype(dtype)
    z[3] = np.nan  # special rows: handed back to the reference by the kernel
    z[5, 2] = np.inf
    z[7] = -np.inf
    y = RNG.integers(0, 9, size=40)
    y[11] = -100
    w = RNG.uniform(0.5, 2, size=9).astype(dtype)
    for opts in [{}, {"reduction": "none"}, {"reduction": "sum", "weight": w},
                 {"ignore_index": -100, "weight": w}]:
        if opts.get("ignore_index") is None:
            yy = np.where(y < 0, 0, y)
        else:
            yy = y
        got = loss(z, yy, return_grad=True, **opts)
        with sk.backend("numpy"):
            want = loss(z, yy, return_grad=True, **opts)
        tol = dict(rtol=2e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-11,
                                                                          atol=1e-13)
        np.testing.assert_allclose(got[0], want[0], equal_nan=True, **tol)
        np.testing.assert_allclose(got[1], want[1], equal_nan=True, **tol)
    # the gradient may overwrite the logits' memory only through the API's own buffers
    assert np.isnan(z[3]).all()
