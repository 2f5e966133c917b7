"""cross_entropy and nll_loss against torch.nn.functional and against check_grad."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import softmaxkit as sk

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def torch_ce(z, y, axis=-1, **kw):
    """PyTorch's loss and gradient, with the class axis moved to dimension 1."""
    zt = torch.tensor(np.moveaxis(z, axis, 1) if z.ndim > 1 else z, requires_grad=True)
    yt = torch.tensor(np.moveaxis(y, axis, 1) if y.dtype.kind == "f" and y.ndim > 1 else y)
    if "ignore_index" in kw and kw["ignore_index"] is None:
        kw.pop("ignore_index")
    if "weight" in kw and kw["weight"] is not None:
        kw["weight"] = torch.tensor(kw["weight"])
    loss = TF.cross_entropy(zt, yt, **kw)
    loss.sum().backward()
    g = zt.grad.numpy()
    return loss.detach().numpy(), (np.moveaxis(g, 1, axis) if z.ndim > 1 else g)


OPTIONS = list(itertools.product(
    [None, "weight"],                 # weight
    [None, 2],                        # ignore_index
    [0.0, 0.1, 1.0],                  # label_smoothing
    ["mean", "sum", "none"],          # reduction
))


@needs_torch
@pytest.mark.parametrize("weight,ignore,ls,reduction", OPTIONS)
@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_class_indices_match_torch(weight, ignore, ls, reduction, dtype, rtol, rng):
    z = rng.normal(scale=3, size=(9, 5)).astype(dtype)
    y = rng.integers(0, 5, size=9)
    y[[1, 4]] = 2  # some ignored when ignore_index=2
    w = rng.uniform(0.2, 3.0, size=5).astype(dtype) if weight else None
    kw = dict(weight=w, ignore_index=ignore, label_smoothing=ls, reduction=reduction)
    loss, grad = sk.cross_entropy(z, y, return_grad=True, **kw)
    tl, tg = torch_ce(z, y, **kw)
    np.testing.assert_allclose(loss, tl, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(grad, tg, rtol=rtol, atol=rtol)
    assert grad.dtype == dtype


@needs_torch
@pytest.mark.parametrize("weight,ls,reduction", list(itertools.product(
    [None, "weight"], [0.0, 0.25], ["mean", "sum", "none"])))
def test_probability_targets_match_torch(weight, ls, reduction, rng):
    z = rng.normal(size=(6, 4))
    t = rng.dirichlet(np.ones(4), size=6)
    w = rng.uniform(0.5, 2.0, size=4) if weight else None
    kw = dict(weight=w, label_smoothing=ls, reduction=reduction)
    loss, grad = sk.cross_entropy(z, t, return_grad=True, **kw)
    tl, tg = torch_ce(z, t, **kw)
    np.testing.assert_allclose(loss, tl, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad, tg, rtol=1e-12, atol=1e-14)


@needs_torch
def test_class_axis_and_extra_dimensions_match_torch(rng):
    z = rng.normal(size=(3, 4, 5, 2))  # classes on axis 1, as PyTorch expects them
    y = rng.integers(0, 4, size=(3, 5, 2))
    loss, grad = sk.cross_entropy(z, y, axis=1, return_grad=True, label_smoothing=0.1)
    zt = torch.tensor(z, requires_grad=True)
    tl = TF.cross_entropy(zt, torch.tensor(y), label_smoothing=0.1)
    tl.backward()
    np.testing.assert_allclose(loss, tl.item(), rtol=1e-12)
    np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-12, atol=1e-15)


@needs_torch
def test_nll_loss_matches_torch(rng):
    lp = sk.log_softmax(rng.normal(size=(7, 3)))
    y = rng.integers(0, 3, size=7)
    w = rng.uniform(0.5, 2, size=3)
    for kw in (dict(), dict(weight=w), dict(ignore_index=1), dict(reduction="none")):
        loss, grad = sk.nll_loss(lp, y, return_grad=True, **kw)
        lt = torch.tensor(lp, requires_grad=True)
        tkw = {k: torch.tensor(val) if k == "weight" else val for k, val in kw.items()}
        tl = TF.nll_loss(lt, torch.tensor(y), **tkw)
        tl.sum().backward()
        np.testing.assert_allclose(loss, tl.detach().numpy(), rtol=1e-13)
        np.testing.assert_allclose(grad, lt.grad.numpy(), rtol=1e-13)


@pytest.mark.parametrize("ls", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_matches_finite_differences(ls, weighted, rng):
    z = rng.normal(size=(4, 6))
    y = rng.integers(0, 6, size=4)
    w = rng.uniform(0.5, 2.0, size=6) if weighted else None
    _, grad = sk.cross_entropy(z, y, weight=w, label_smoothing=ls, return_grad=True)
    r = sk.check_grad(lambda a: sk.cross_entropy(a, y, weight=w, label_smoothing=ls), z,
                      analytic=grad)
    # finite differences resolve ~1e-10 absolute here; small components need an atol
    np.testing.assert_allclose(r.analytic, r.numeric, rtol=1e-7, atol=1e-10)


def test_loss_is_logsumexp_minus_the_target_logit():
    # A confident, correct prediction: -log(softmax) would round the loss to 0.
    z = np.array([[0.0, -40.0, -45.0]])
    loss = sk.cross_entropy(z, np.array([0]))
    assert loss == pytest.approx(np.exp(-40.0) + np.exp(-45.0), rel=1e-14)


def test_all_ignored_mean_is_zero_not_nan():
    z = np.random.default_rng(0).normal(size=(3, 4))
    loss, grad = sk.cross_entropy(z, np.array([-100, -100, -100]), ignore_index=-100,
                                  return_grad=True)
    assert loss == 0.0 and np.all(grad == 0)
    if torch is not None:
        assert np.isnan(TF.cross_entropy(torch.tensor(z), torch.full((3,), -100)).item())


def test_minus_inf_logits_and_masks_give_finite_gradients():
    z = np.array([[0.0, -np.inf, 1.0], [2.0, 1.0, 0.5]])
    loss, grad = sk.cross_entropy(z, np.array([2, 0]), return_grad=True)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert grad[0, 1] == 0
    mask = np.array([[True, False, True], [True, True, False]])
    loss_m, grad_m = sk.cross_entropy(np.where(mask, z, np.nan), np.array([2, 0]),
                                      where=mask, return_grad=True)
    assert np.isfinite(loss_m) and np.all(grad_m[~mask] == 0)
    np.testing.assert_allclose(grad_m[0], grad[0], rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("backend", ["native", "numpy"])
def test_a_row_of_minus_inf_logits_has_infinite_loss_and_minus_onehot_gradient(dtype,
                                                                               backend):
    # its softmax is all 0s, so p - onehot is -1 at the target (docs: gradients guide)
    z = np.array([[-np.inf] * 4, [1.0, 2.0, 3.0, 4.0]], dtype)
    with sk.backend(backend):
        loss, grad = sk.cross_entropy(z, np.array([1, 2]), reduction="none", return_grad=True)
    assert loss[0] == np.inf and np.isfinite(loss[1])
    np.testing.assert_array_equal(grad[0], [0, -1, 0, 0])
    np.testing.assert_allclose(grad[1], sk.softmax(z[1]) - np.eye(4)[2], rtol=1e-6)

def test_grad_out_may_be_the_logits(rng):
    z = rng.normal(size=(50, 7)).astype(np.float32)
    y = rng.integers(0, 7, size=50)
    expected_loss, expected_grad = sk.cross_entropy(z.copy(), y, return_grad=True)
    loss, grad = sk.cross_entropy(z, y, grad_out=z)
    assert grad is z
    assert loss == expected_loss
    np.testing.assert_array_equal(z, expected_grad)


def test_grad_out_on_another_axis(rng):
    z = rng.normal(size=(4, 3, 5))
    y = rng.integers(0, 3, size=(4, 5))
    out = np.empty_like(z)
    _, g = sk.cross_entropy(z, y, axis=1, grad_out=out)
    assert g is out
    np.testing.assert_allclose(out, sk.cross_entropy(z, y, axis=1, return_grad=True)[1])


def test_binary_problems_use_two_classes(rng):
    z = rng.normal(size=(8, 2))
    y = rng.integers(0, 2, size=8)
    logistic = np.mean(np.logaddexp(0, -(z[:, 1] - z[:, 0]) * (2 * y - 1)))
    assert sk.cross_entropy(z, y) == pytest.approx(logistic, rel=1e-13)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(target=np.array([0, 5, 1])), ValueError,
         r"target 5 at position \(1,\) is not a class"),
        (dict(target=np.array([0, -1, 1])), ValueError, r"target -1 at position \(1,\)"),
        (dict(target=np.array([0, 1])), ValueError, r"\(3,\); got \(2,\) \(logits: \(3, 4\)\)"),
        (dict(target=np.zeros((3, 5))), ValueError, r"logits' shape \(3, 4\), got \(3, 5\)"),
        (dict(target=np.array([True, False, True])), TypeError, "dtype bool"),
        (dict(weight=np.ones(3)), ValueError, r"'weight' must have shape \(4,\)"),
        (dict(weight=np.array([1, np.nan, 1, 1])), ValueError, "'weight' must be finite"),
        (dict(label_smoothing=1.5), ValueError, "'label_smoothing' must be a number in"),
        (dict(reduction="avg"), ValueError, "'reduction' must be one of"),
        (dict(ignore_index=1.5), TypeError, "'ignore_index' must be an int"),
        (dict(axis=(0, 1)), TypeError, "single int"),
        (dict(grad_out=np.empty((3, 4), np.float32)), ValueError, "'grad_out' must have"),
    ],
)
def test_bad_input(kwargs, exc, match):
    z = np.zeros((3, 4))
    args = dict(target=np.array([0, 1, 2]))
    args.update(kwargs)
    target = args.pop("target")
    with pytest.raises(exc, match=match):
        sk.cross_entropy(z, target, **args)


def test_ignore_index_rejects_probability_targets():
    with pytest.raises(ValueError, match="class-index targets only"):
        sk.cross_entropy(np.zeros((2, 3)), np.full((2, 3), 1 / 3), ignore_index=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_kernel_matches_the_reference_path(dtype, rng):
    z = rng.normal(scale=5, size=(300, 37)).astype(dtype)
    z[3, 5] = np.nan
    z[4, :] = -np.inf
    z[5, 7] = np.inf
    y = rng.integers(0, 37, size=300)
    y_ignored = y.copy()
    y_ignored[6] = -1
    w = rng.uniform(0.5, 2, size=37).astype(dtype)
    for kw in (dict(), dict(weight=w, ignore_index=-1), dict(reduction="none"),
               dict(reduction="sum", ignore_index=-1)):
        labels = y_ignored if "ignore_index" in kw else y
        loss, grad = sk.cross_entropy(z, labels, return_grad=True, **kw)
        with sk.backend("numpy"):
            rloss, rgrad = sk.cross_entropy(z, labels, return_grad=True, **kw)
        np.testing.assert_allclose(loss, rloss, rtol=2e-6 if dtype == np.float32 else 1e-13)
        np.testing.assert_allclose(grad, rgrad, rtol=2e-6 if dtype == np.float32 else 1e-13,
                                   atol=1e-7 if dtype == np.float32 else 1e-16)


@pytest.mark.parametrize("backend", ["native", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_confident_rows_keep_the_target_entry(backend, dtype):
    # p[y] within an ulp of 1: w * (p[y] - 1) formed as written cancels to 0 (PyTorch
    # gives 0); it is -w * (sum of the other probabilities), a tiny number, to an ulp
    import mpmath
    z = np.array([[20.0, 0.0, 1.0, -3.0], [0.0, 45.0, 2.0, 1.0], [3.0, 1.0, 2.0, 0.5],
                  [30.0, 30.0, 0.0, 1.0]], dtype=dtype)
    y = np.array([0, 1, 0, 0])
    w = np.array([2.0, 0.5, 1.0, 1.0], dtype=dtype)
    with sk.backend(backend):
        _, g = sk.cross_entropy(z, y, weight=w, reduction="sum", return_grad=True)
    with mpmath.workdps(50):
        for i, row in enumerate(z.astype(np.float64)):
            e = [mpmath.exp(mpmath.mpf(float(v)) - max(row)) for v in row]
            want = [float(w[y[i]] * (ej / mpmath.fsum(e) - (j == y[i])))
                    for j, ej in enumerate(e)]
            np.testing.assert_allclose(g[i], want, rtol=4 * np.finfo(dtype).eps, atol=0)
    assert g[0, 0] < 0 and g[1, 1] < 0  # -2e-9 and -1e-19, not 0


def test_in_place_gradient_needs_only_per_row_memory(rng):
    import tracemalloc

    rows, classes = 20_000, 500
    z = rng.normal(size=(rows, classes)).astype(np.float32)
    y = rng.integers(0, classes, size=rows)
    tracemalloc.start()
    try:
        sk.cross_entropy(z, y, grad_out=z)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 8 * rows  # a few arrays of one number per row, not rows x classes
    assert z.nbytes > 50 * peak


@needs_torch
@pytest.mark.parametrize("chunk", [1, 7, 64, None])
@pytest.mark.parametrize("kw", [dict(), dict(reduction="sum", label_smoothing=0.1),
                                dict(ignore_index=0, class_weight="w"), dict(reduction="none")])
def test_linear_cross_entropy_matches_torch(chunk, kw, rng):
    n, d, c = 23, 6, 9
    x, w, b = rng.normal(size=(n, d)), rng.normal(size=(c, d)), rng.normal(size=c)
    y = rng.integers(0, c, size=n)
    kw = dict(kw)
    cw = rng.uniform(0.5, 2, size=c) if kw.get("class_weight") == "w" else None
    kw.pop("class_weight", None)
    loss, (dx, dw, db) = sk.linear_cross_entropy(x, w, b, y, chunk_size=chunk, class_weight=cw,
                                                 return_grad=True, **kw)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tkw = dict(kw)
    if cw is not None:
        tkw["weight"] = torch.tensor(cw)
    tl = TF.cross_entropy(xt @ wt.T + bt, torch.tensor(y), **tkw)
    tl.sum().backward()
    np.testing.assert_allclose(loss, tl.detach().numpy(), rtol=1e-12)
    for ours, theirs in ((dx, xt), (dw, wt), (db, bt)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-11, atol=1e-14)


def test_linear_cross_entropy_never_forms_all_logits(rng):
    import tracemalloc

    n, d, c = 4096, 64, 2048
    x = rng.normal(size=(n, d)).astype(np.float32)
    w = rng.normal(scale=0.1, size=(c, d)).astype(np.float32)
    y = rng.integers(0, c, size=n)
    tracemalloc.start()
    try:
        sk.linear_cross_entropy(x, w, None, y, chunk_size=256, return_grad=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    full_logits = n * c * 4
    # one chunk of logits and the gradients of x and weight, not N x C
    assert peak < full_logits / 4, (peak, full_logits)


def test_linear_cross_entropy_bad_input(rng):
    x, w = np.zeros((3, 4)), np.zeros((5, 4))
    with pytest.raises(ValueError, match=r"'x' must be \(\.\.\., D\) and 'weight' \(C, D\)"):
        sk.linear_cross_entropy(x, np.zeros((5, 3)), None, np.zeros(3, int))
    with pytest.raises(ValueError, match=r"'bias' must have shape \(5,\)"):
        sk.linear_cross_entropy(x, w, np.zeros(4), np.zeros(3, int))
    with pytest.raises(ValueError, match="'chunk_size' must be an integer >= 1"):
        sk.linear_cross_entropy(x, w, None, np.zeros(3, int), chunk_size=0)
    with pytest.raises(ValueError, match=r"target 7 at position \(1,\)"):
        sk.linear_cross_entropy(x, w, None, np.array([0, 7, 1]))


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_linear_cross_entropy_takes_what_torch_takes(reduction, rng):
    """An unbatched sample, probability targets (PyTorch's F.linear_cross_entropy), and
    leading batch dimensions (flattened into rows: PyTorch 2.13 refuses them)."""
    d, c = 6, 9
    w, b = rng.normal(size=(c, d)), rng.normal(size=c)
    p = sk.softmax(rng.normal(size=(4, c)))
    cases = [(rng.normal(size=d), np.int64(3)),                       # one sample, an index
             (rng.normal(size=d), p[0]),                              # one sample, probs
             (rng.normal(size=(4, d)), p)]                            # a batch, probs
    for x, y in cases:
        loss, (dx, dw, db) = sk.linear_cross_entropy(x, w, b, y, chunk_size=3,
                                                     reduction=reduction, return_grad=True)
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        tl = TF.linear_cross_entropy(xt, wt, torch.tensor(y), linear_bias=bt,
                                     reduction=reduction)
        tl.sum().backward()
        assert np.shape(loss) == tuple(tl.shape) and dx.shape == x.shape
        np.testing.assert_allclose(loss, tl.detach().numpy(), rtol=1e-12)
        for ours, theirs in ((dx, xt), (dw, wt), (db, bt)):
            np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-11, atol=1e-14)
    x = rng.normal(size=(2, 5, d))
    y = rng.integers(0, c, size=(2, 5))
    loss, (dx, _, _) = sk.linear_cross_entropy(x, w, b, y, reduction=reduction,
                                               return_grad=True)
    flat, (dflat, _, _) = sk.linear_cross_entropy(x.reshape(10, d), w, b, y.reshape(10),
                                                  reduction=reduction, return_grad=True)
    np.testing.assert_array_equal(np.ravel(loss), np.ravel(flat))
    assert np.shape(loss) == ((2, 5) if reduction == "none" else ())
    np.testing.assert_array_equal(dx, dflat.reshape(2, 5, d))
    with pytest.raises(ValueError, match="'target' must be class indices of shape \\(2, 5\\)"):
        sk.linear_cross_entropy(x, w, b, y.reshape(10))
