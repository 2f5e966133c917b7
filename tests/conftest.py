"""Shared test helpers: exact references in mpmath, ulp errors, input generators.

The worst ulp error each accuracy test measures is recorded with :func:`record_ulps`
and printed at the end of the run, per function and dtype.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import mpmath
import numpy as np
import pytest

MP_DIGITS = 60

_WORST: dict[tuple[str, str], float] = defaultdict(float)


# ----------------------------------------------------------------- exact references


def _mp(values):
    return [mpmath.mpf(float(v)) for v in np.asarray(values, dtype=np.float64).ravel()]


def exact_softmax(x, temperature=1.0, log=False):
    """Exact softmax (or log-softmax) of a 1-D float array, as a list of mpf."""
    with mpmath.workdps(MP_DIGITS):
        t = mpmath.mpf(float(temperature))
        xs = [v / t for v in _mp(x)]
        m = max(xs)
        # log(c) + log1p(rest / c): log(1 + tiny) at a fixed precision would keep only
        # MP_DIGITS - |log10(tiny)| digits of the tiny part.
        c = sum(1 for v in xs if v == m)
        rest = mpmath.fsum(mpmath.exp(v - m) for v in xs if v != m)
        if log:
            lse = mpmath.log(c) + mpmath.log1p(rest / c)
            return [v - m - lse for v in xs]
        return [mpmath.exp(v - m) / (c + rest) for v in xs]


def exact_logsumexp(x, b=None):
    """Exact log(sum(b * exp(x))) of a 1-D float array, as an mpf (of the absolute value)."""
    with mpmath.workdps(MP_DIGITS):
        xs = _mp(x)
        bs = [mpmath.mpf(1)] * len(xs) if b is None else _mp(b)
        m = max(xs)
        top = mpmath.fsum(bi for v, bi in zip(xs, bs) if v == m)
        rest = mpmath.fsum(bi * mpmath.exp(v - m) for v, bi in zip(xs, bs) if v != m)
        if top == 0:
            return m + mpmath.log(abs(rest))
        return m + mpmath.log(abs(top)) + mpmath.log1p(rest / top)


def exact_smooth_max(x, k):
    with mpmath.workdps(MP_DIGITS):
        kk = mpmath.mpf(float(k))
        xs = [kk * v for v in _mp(x)]
        m = max(xs)
        c = sum(1 for v in xs if v == m)
        rest = mpmath.fsum(mpmath.exp(v - m) for v in xs if v != m)
        return (m + mpmath.log(c) + mpmath.log1p(rest / c)) / kk


# ---------------------------------------------------------------------- ulp errors


def ulp_errors(computed, exact, dtype):
    """|computed - exact| in units of the last place of ``dtype`` at the exact value.

    Only results whose exact value lies in the normal range of ``dtype`` count (the
    contract's accuracy bound is stated there); others get error 0.
    """
    dtype = np.dtype(dtype)
    fi = np.finfo(dtype)
    computed = np.asarray(computed).ravel()
    out = np.zeros(len(exact))
    with mpmath.workdps(MP_DIGITS):
        for i, (c, e) in enumerate(zip(computed, exact)):
            mag = abs(e)
            if mag < fi.tiny or mag > fi.max:
                continue
            # ulp of the exact value: 2**(exponent - mantissa bits)
            ulp = mpmath.mpf(2) ** (mpmath.floor(mpmath.log(mag, 2)) - fi.nmant)
            out[i] = float(abs(mpmath.mpf(float(c)) - e) / ulp)
    return out


def record_ulps(name: str, dtype, errors) -> float:
    """Remember the worst error of ``name`` in ``dtype``; return this batch's worst."""
    worst = float(np.max(errors)) if len(errors) else 0.0
    key = (name, np.dtype(dtype).name)
    _WORST[key] = max(_WORST[key], worst)
    return worst


# differential fuzz cases run in this session (tests/test_fuzz.py)
FUZZ_COUNT = [0]


def pytest_terminal_summary(terminalreporter):
    if FUZZ_COUNT[0]:
        terminalreporter.section("differential fuzzing")
        terminalreporter.write_line(f"{FUZZ_COUNT[0]} cases: native kernels against the "
                                    "NumPy reference")
    if not _WORST:
        return
    tr = terminalreporter
    tr.section("worst error against mpmath (ulps, normal range)")
    names = sorted({k[0] for k in _WORST})
    tr.write_line(f"{'function':<28}{'float32':>10}{'float64':>10}")
    for name in names:
        cells = []
        for dt in ("float32", "float64"):
            v = _WORST.get((name, dt))
            cells.append(f"{v:>10.3f}" if v is not None else f"{'-':>10}")
        tr.write_line(f"{name:<28}" + "".join(cells))


# ---------------------------------------------------------------------- generators


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)


SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-310, -1e-310, 1e300, -1e300])


def variants(x):
    """The same values as C-order, Fortran-order, non-contiguous, reversed and byte-swapped
    arrays: every layout must give identical results."""
    x = np.asarray(x)
    yield "C", np.ascontiguousarray(x)
    yield "F", np.asfortranarray(x)
    big = np.zeros(x.shape[:-1] + (2 * x.shape[-1],) if x.ndim else (), dtype=x.dtype)
    if x.ndim:
        big[..., ::2] = x
        yield "strided", big[..., ::2]
        rev = np.ascontiguousarray(x[..., ::-1])
        yield "negative-stride", rev[..., ::-1]
    yield "byteswapped", x.astype(x.dtype.newbyteorder(">" if x.dtype.byteorder != ">" else "<"))


# ----------------------------------------------------------------- the command line


def run_cli(*args, input=None, cwd=None, timeout=300, **kwargs) -> subprocess.CompletedProcess:
    """``softmaxkit ARGS`` in a subprocess; stdin is /dev/null unless ``input`` is given."""
    if input is None:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run([sys.executable, "-m", "softmaxkit", *map(str, args)], input=input,
                          cwd=cwd, capture_output=True, text=True, timeout=timeout, **kwargs)


def assert_usage_error(r: subprocess.CompletedProcess, *fragments: str) -> None:
    """Exit status 2, nothing on stdout, exactly one line on stderr naming the problem."""
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    message, end = r.stderr.split("\n", 1) if "\n" in r.stderr else (r.stderr, None)
    assert end == "", f"stderr is not exactly one line: {r.stderr!r}"
    assert message.startswith("softmaxkit: error: "), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def pytest_configure(config):
    # PyTorch's inductor imports its own torch.utils.mkldnn, which defines TorchScript
    # modules and so warns that torch.jit.script_method is deprecated: PyTorch's warning
    # about PyTorch's code, raised (once) by whichever compile test runs first
    config.addinivalue_line("filterwarnings",
                            "ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
    # Many tests fit on purpose for a few epochs (interrupts, persistence, plots): the
    # ConvergenceWarning that says so is tested where it is the subject
    # (test_classifier.py) and let through everywhere else; every other warning is an
    # error (pyproject.toml).
    try:
        import sklearn.exceptions  # noqa: F401
    except ImportError:
        return
    config.addinivalue_line("filterwarnings",
                            "ignore::sklearn.exceptions.ConvergenceWarning")


GUIDE = Path(__file__).resolve().parents[1] / "docs" / "user_guide"

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Chromium as a test browser on a machine with no network: no background services
CHROMIUM_ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def guide_page(name: str) -> str:
    """The text of the user guide's page ``docs/user_guide/<name>.md``."""
    return (GUIDE / f"{name}.md").read_text(encoding="utf-8")


def documented_contract_tests(page: str, marker: str) -> set[str]:
    """The test names the user guide's contract list after ``<!-- marker -->`` on ``page``
    names (each line must name at least one)."""
    block = guide_page(page).split(f"<!-- {marker} -->")[1].split("\n\n")[0].strip()
    named = set()
    for line in block.splitlines():
        assert line.startswith("- "), line
        tests = [t for t in line.split("`") if t.startswith("test_")]
        assert tests, f"a contract line names no test: {line}"
        named.update(tests)
    return named
