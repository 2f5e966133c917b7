"""softmaxkit.sample: the draws' distribution against the exact (filtered) probabilities by
chi-square tests at fixed seeds, the kernel against the NumPy reference draw for draw,
special values and errors, the Gumbel-softmax and its backward, the torch operator and
``softmaxkit sample``."""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest

import softmaxkit as sk
from softmaxkit.sample import categorical, gumbel_softmax, gumbel_softmax_backward

stats = pytest.importorskip("scipy.stats")

from conftest import assert_usage_error, documented_contract_tests, run_cli  # noqa: E402

# ---------------------------------------------------------------- exact probabilities


def exact_filtered(logits, temperature=1.0, top_k=None, top_p=None, min_p=None,
                   where=None):
    """The filtered, renormalized distribution of one row, from the definitions, with
    mpmath probabilities (60 digits) and plain Python sorting."""
    with mpmath.workdps(60):
        z = [mpmath.mpf(float(v)) / mpmath.mpf(temperature) for v in logits]
        alive = [where is None or bool(where[i]) for i in range(len(z))]
        m = max(v for v, a in zip(z, alive) if a)
        w = [mpmath.exp(v - m) if a else mpmath.mpf(0) for v, a in zip(z, alive)]
        total = mpmath.fsum(w)
        p = [wi / total for wi in w]
        keep = [pi > 0 for pi in p]
        if top_k is not None:
            kth = sorted(p, reverse=True)[top_k - 1]
            keep = [k and pi >= kth for k, pi in zip(keep, p)]
        if top_p is not None:
            mass = mpmath.fsum(pi for pi, k in zip(p, keep) if k)
            order = sorted((pi for pi, k in zip(p, keep) if k), reverse=True)
            run, tau = mpmath.mpf(0), order[-1]
            for pi in order:
                run += pi
                if run >= top_p * mass:
                    tau = pi
                    break
            keep = [k and pi >= tau for k, pi in zip(keep, p)]
        if min_p is not None:
            top = max(p)
            keep = [k and pi >= min_p * top for k, pi in zip(keep, p)]
        kept = mpmath.fsum(pi for pi, k in zip(p, keep) if k)
        return np.array([float(pi / kept) if k else 0.0 for pi, k in zip(p, keep)])


def chi_square_p(draws, probs):
    """p-value of the draws' counts against ``probs`` (classes of tiny expected count
    pooled, as the test needs)."""
    n = draws.size
    counts = np.bincount(draws.ravel(), minlength=probs.size).astype(float)
    assert np.all(counts[probs == 0] == 0), "an entry of probability 0 was drawn"
    expected = probs * n
    big = expected >= 5
    obs = np.append(counts[big], counts[~big].sum())
    exp = np.append(expected[big], expected[~big].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    if obs.size == 1:  # one possible outcome: every draw must be it
        return 1.0 if obs[0] == n else 0.0
    return stats.chisquare(obs, exp).pvalue


CASES = [
    dict(),
    dict(temperature=0.5),
    dict(temperature=2.0, top_k=3),
    dict(top_p=0.8),
    dict(top_p=0.3, temperature=0.7),
    dict(min_p=0.2),
    dict(top_k=5, top_p=0.9, min_p=0.05, temperature=1.3),
]


@pytest.mark.parametrize("backend", ["native", "numpy"])
@pytest.mark.parametrize("options", CASES, ids=lambda o: ",".join(o) or "plain")
def test_draws_follow_the_exact_filtered_distribution(backend, options):
    rng = np.random.default_rng(1234)
    logits = rng.normal(size=12) * 1.5
    probs = exact_filtered(logits, **options)
    with sk.backend(backend):
        draws = categorical(logits, num_samples=200_000, rng=5, **options)
    assert draws.shape == (200_000,) and draws.dtype == np.int64
    assert chi_square_p(draws, probs) > 1e-4


def test_masks_are_never_drawn_and_ties_share():
    logits = np.array([3.0, 3.0, 3.0, -1.0, 0.5])
    where = np.array([True, False, True, True, True])
    probs = exact_filtered(logits, where=where)
    draws = categorical(logits, where=where, num_samples=100_000, rng=2)
    assert chi_square_p(draws, probs) > 1e-4
    # top_k=1 with a tie keeps both tied entries
    draws = categorical(logits, where=where, top_k=1, num_samples=20_000, rng=3)
    assert set(draws.tolist()) == {0, 2}
    # -inf entries are masked too; a +inf entry takes all the mass
    assert set(categorical([0.0, -np.inf, 1.0], num_samples=1000, rng=0).tolist()) == {0, 2}
    assert set(categorical([0.0, np.inf, 1.0, np.inf], num_samples=1000,
                           rng=0).tolist()) == {1, 3}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", CASES, ids=lambda o: ",".join(o) or "plain")
def test_the_kernel_draws_what_the_reference_draws(dtype, options):
    # the same uniforms, the same draws (the kernel's block sums and the reference's
    # running sum differ only in rounding; no draw here lands within it)
    rng = np.random.default_rng(7)
    x = (rng.normal(size=(6, 3, 997)) * 3).astype(dtype)
    native = categorical(x, num_samples=50, rng=11, **options)
    with sk.backend("numpy"):
        ref = categorical(x, num_samples=50, rng=11, **options)
    assert native.shape == (6, 3, 50)
    np.testing.assert_array_equal(native, ref)
    # another axis: the same draws as the moved array's
    moved = categorical(np.moveaxis(x, -1, 1), axis=1, num_samples=50, rng=11, **options)
    np.testing.assert_array_equal(moved, native)


def test_long_rows_and_threads_do_not_change_draws():
    x = np.random.default_rng(3).normal(size=(5, 140_000)).astype(np.float32) * 4
    before = sk.get_num_threads()
    try:
        sk.set_num_threads(1)
        one = categorical(x, top_p=0.9, temperature=0.8, num_samples=3, rng=9)
        sk.set_num_threads(2)
        two = categorical(x, top_p=0.9, temperature=0.8, num_samples=3, rng=9)
    finally:
        sk.set_num_threads(before)
    np.testing.assert_array_equal(one, two)
    with sk.backend("numpy"):
        ref = categorical(x, top_p=0.9, temperature=0.8, num_samples=3, rng=9)
    np.testing.assert_array_equal(one, ref)


def test_seeds_and_generators_reproduce():
    x = np.random.default_rng(0).normal(size=(4, 50))
    a = categorical(x, num_samples=5, rng=42)
    np.testing.assert_array_equal(a, categorical(x, num_samples=5, rng=42))
    np.testing.assert_array_equal(a, categorical(x, num_samples=5,
                                                 rng=np.random.default_rng(42)))
    gen = np.random.default_rng(1)
    assert not np.array_equal(categorical(x, num_samples=5, rng=gen),
                              categorical(x, num_samples=5, rng=gen))


def test_without_replacement_draws_distinct_entries_in_sequential_order():
    logits = np.log(np.array([0.4, 0.3, 0.2, 0.1]))
    draws = categorical(logits, num_samples=2, replacement=False, rng=0)
    assert draws.shape == (2,)
    many = categorical(np.tile(logits, (40_000, 1)), num_samples=2, replacement=False,
                       rng=1)
    assert np.all(many[:, 0] != many[:, 1])
    p = np.exp(logits)
    # the first draw follows p; the pair (i, j) follows p_i p_j / (1 - p_i)
    assert chi_square_p(many[:, 0], p) > 1e-4
    pair = many[:, 0] * 4 + many[:, 1]
    exact = np.array([p[i] * p[j] / (1 - p[i]) if i != j else 0.0
                      for i in range(4) for j in range(4)])
    assert chi_square_p(pair, exact) > 1e-4
    # all of them: a permutation
    perm = categorical(logits, num_samples=4, replacement=False, rng=2)
    assert sorted(perm.tolist()) == [0, 1, 2, 3]


@pytest.mark.parametrize("call, error, fragment", [
    (lambda: categorical([0.0, np.nan]), ValueError, "a NaN in the logits"),
    (lambda: categorical([[0.0, 1.0], [-np.inf, -np.inf]]), ValueError,
     "nothing to draw in row (1,)"),
    (lambda: categorical([0.0, 1.0], where=[False, False]), ValueError, "nothing to draw"),
    (lambda: categorical(np.zeros((2, 0))), ValueError, "nothing to draw"),
    (lambda: categorical([0.0, 1.0], top_p=0.0), ValueError, "'top_p' must be"),
    (lambda: categorical([0.0, 1.0], top_p=1.5), ValueError, "'top_p' must be"),
    (lambda: categorical([0.0, 1.0], min_p=-0.1), ValueError, "'min_p' must be"),
    (lambda: categorical([0.0, 1.0], top_k=0), ValueError, "'top_k' must be"),
    (lambda: categorical([0.0, 1.0], top_k=2.5), ValueError, "'top_k' must be"),
    (lambda: categorical([0.0, 1.0], num_samples=0), ValueError, "'num_samples'"),
    (lambda: categorical([0.0, 1.0], temperature=0.0), ValueError, "'temperature'"),
    (lambda: categorical([0.0, 1.0], rng="seed"), TypeError, "'rng'"),
    (lambda: categorical([0.0, 1.0], rng=-3), TypeError, "'rng'"),
    (lambda: categorical(1.0), ValueError, "at least 1 dimension"),
    (lambda: categorical([0.0, 1.0], axis=1), ValueError, "axis"),
    (lambda: categorical([0.0, 1.0], where=[True, False, True]), ValueError,
     "does not broadcast"),
    (lambda: categorical([0.0, 1.0, 2.0], top_k=1, num_samples=2, replacement=False),
     ValueError, "1 entries to draw from"),
    (lambda: gumbel_softmax([0.0, 1.0], tau=-1.0), ValueError, "'tau'"),
])
def test_bad_input_names_the_problem(call, error, fragment):
    with pytest.raises(error) as info:
        call()
    assert fragment in str(info.value)


# ---------------------------------------------------------------- Gumbel-softmax


def test_gumbel_softmax_argmax_is_a_categorical_draw():
    logits = np.log(np.array([0.1, 0.6, 0.3]))
    y = gumbel_softmax(np.tile(logits, (60_000, 1)), tau=0.3, hard=True, rng=4)
    assert set(np.unique(y)) == {0.0, 1.0} and np.all(y.sum(axis=1) == 1)
    assert chi_square_p(y.argmax(axis=1), np.exp(logits)) > 1e-4
    soft = gumbel_softmax(np.tile(logits, (3, 1)), tau=0.3, rng=4)
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, rtol=1e-12)
    # the noise is Gumbel: the soft sample is softmax((logits + g) / tau)
    g = np.random.default_rng(4).gumbel(size=(3, 3))
    np.testing.assert_allclose(soft, sk.softmax((np.tile(logits, (3, 1)) + g) / 0.3, axis=1),
                               rtol=1e-13)
    assert gumbel_softmax(np.float32([1, 2]), rng=0).dtype == np.float32


def test_gumbel_softmax_backward_is_the_soft_samples_gradient():
    x = np.array([[0.3, -1.0, 2.0, 0.5]])
    dy = np.array([[1.0, -2.0, 0.5, 0.25]])
    tau = 0.7
    y, soft = gumbel_softmax(x, tau=tau, rng=8, return_soft=True)
    grad = gumbel_softmax_backward(soft, dy, tau=tau)
    # central differences with the same noise (the same seed)
    h = 1e-6
    fd = np.zeros_like(x)
    for j in range(x.shape[1]):
        e = np.zeros_like(x)
        e[0, j] = h
        up = np.sum(dy * gumbel_softmax(x + e, tau=tau, rng=8))
        down = np.sum(dy * gumbel_softmax(x - e, tau=tau, rng=8))
        fd[0, j] = (up - down) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)
    # hard: the straight-through estimate is the same expression
    yh, soft_h = gumbel_softmax(x, tau=tau, hard=True, rng=8, return_soft=True)
    np.testing.assert_array_equal(soft_h, soft)
    np.testing.assert_allclose(gumbel_softmax_backward(soft_h, dy, tau=tau), grad)


def test_torch_operator_gradient_equals_pytorchs_gumbel_softmax():
    torch = pytest.importorskip("torch")
    import softmaxkit.torch as skt

    x = torch.randn(5, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for hard in (False, True):
        ours = x.clone().requires_grad_()
        ref = x.clone().requires_grad_()
        y = skt.gumbel_softmax(ours, tau=0.5, hard=hard,
                               generator=torch.Generator().manual_seed(3))
        # F.gumbel_softmax's composition, with the noise drawn as the operator draws it
        gen = torch.Generator().manual_seed(3)
        noise = -torch.empty_like(x).exponential_(generator=gen).log()
        soft = torch.softmax((ref + noise) / 0.5, -1)
        y_ref = soft
        if hard:
            y_ref = torch.zeros_like(soft).scatter_(-1, soft.argmax(-1, keepdim=True), 1.0)
            y_ref = y_ref - soft.detach() + soft
        torch.testing.assert_close(y, y_ref, rtol=1e-12, atol=1e-15)
        w = torch.randn(5, 7, dtype=torch.float64)
        (y * w).sum().backward()
        (y_ref * w).sum().backward()
        torch.testing.assert_close(ours.grad, ref.grad, rtol=1e-10, atol=1e-13)
    # the public function on tensors that record gradients: the operator, the NumPy noise
    t = x.clone().requires_grad_()
    y, soft = gumbel_softmax(t, tau=0.5, rng=6, return_soft=True)
    assert isinstance(y, torch.Tensor) and y.requires_grad
    np.testing.assert_allclose(soft.detach().numpy(),
                               gumbel_softmax(x.numpy(), tau=0.5, rng=6), rtol=1e-14)


def test_torch_tensors_draw_as_numpy_does():
    torch = pytest.importorskip("torch")
    x = torch.randn(3, 40, generator=torch.Generator().manual_seed(1))
    draws = categorical(x, top_p=0.9, num_samples=4, rng=0)
    assert isinstance(draws, torch.Tensor) and draws.dtype == torch.int64
    np.testing.assert_array_equal(draws.numpy(),
                                  categorical(x.numpy(), top_p=0.9, num_samples=4, rng=0))


# ---------------------------------------------------------------- command line


def test_sample_command():
    r = run_cli("sample", "--temperature", "0.7", "--top-p", "0.9", "--n", "10", "--seed",
                "1", "1", "2", "3")
    assert r.returncode == 0, r.stderr
    got = [int(v) for v in r.stdout.split()]
    expected = categorical([1.0, 2.0, 3.0], temperature=0.7, top_p=0.9, num_samples=10,
                           rng=1)
    assert got == expected.tolist()
    r = run_cli("sample", "--n", "3", "--json", "--seed", "5", "--without-replacement",
                "0", "0", "0")
    assert r.returncode == 0, r.stderr
    assert sorted(json.loads(r.stdout)["result"]) == [0, 1, 2]
    r = run_cli("sample", "--seed", "0", input="0 100\n100 0\n")
    assert r.stdout.split() == ["1", "0"]


@pytest.mark.parametrize("args, fragments", [
    (("--top-p", "1.5", "1", "2"), ("--top-p", "(0, 1]")),
    (("--top-k", "0", "1", "2"), ("--top-k",)),
    (("--n", "3", "--without-replacement", "1", "2"), ("fewer than num_samples=3",)),
    (("--axis", "0,1", "1", "2"), ("--axis",)),
    (("1", "nan"), ("a NaN",)),
])
def test_sample_command_bad_input(args, fragments):
    assert_usage_error(run_cli("sample", *args), *fragments)


def test_the_readme_contract_names_these_tests():
    named = documented_contract_tests("calibration", "sampling contract")
    here = {name for name in globals() if name.startswith("test_")}
    assert named <= here, named - here
