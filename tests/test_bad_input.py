"""Every public function × bad input: the documented result or a clear exception that
names the argument; never a crash, and never a partly written ``out``.

The table this builds is ``docs/user_guide/bad-input.md``; the test fails when the file is out of
date. Regenerate it with ``python tests/test_bad_input.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import softmaxkit as sk

DOC = Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "bad-input.md"
X = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]])
LABELS = np.array([0, 2])

# name -> (call taking keyword overrides, the parameters it has)
FUNCTIONS = {
    "softmax": (lambda **k: sk.softmax(**{"x": X, **k}), "x axis temperature where out"),
    "log_softmax": (lambda **k: sk.log_softmax(**{"x": X, **k}), "x axis temperature where out"),
    "softmin": (lambda **k: sk.softmin(**{"x": X, **k}), "x axis temperature where out"),
    "logsumexp": (lambda **k: sk.logsumexp(**{"x": X, "axis": -1, **k}), "x axis where"),
    "smooth_max": (lambda **k: sk.smooth_max(**{"x": X, **k}), "x axis"),
    "hardmax": (lambda **k: sk.hardmax(**{"x": X, **k}), "x axis"),
    "std_norm": (lambda **k: sk.std_norm(**{"x": np.abs(X), **k}), "x axis"),
    "softmax_backward": (lambda **k: sk.softmax_backward(
        **{"y": sk.softmax(X), "dy": X, **_rename(k, "x", "dy")}), "x axis temperature"),
    "logsumexp_backward": (lambda **k: sk.logsumexp_backward(
        **{"x": X, "dy": np.ones(2), "axis": -1, **k}), "x axis where"),
    "log_softmax_backward": (lambda **k: sk.log_softmax_backward(
        **{"logp": sk.log_softmax(X), "dy": X, **_rename(k, "x", "dy")}), "x axis temperature"),
    "smooth_max_backward": (lambda **k: sk.smooth_max_backward(
        **{"x": X, "dy": np.ones(2), **k}), "x"),
    "softmax_temperature_grad": (lambda **k: sk.softmax_temperature_grad(
        **{"x": X, "dy": X, **k}), "x axis temperature"),
    "softmax_jacobian": (lambda **k: sk.softmax_jacobian(**{"x": X, **k}),
                         "x temperature"),
    "cross_entropy": (lambda **k: sk.cross_entropy(
        **{"logits": X, "target": LABELS, **_rename(k, "x", "logits")}), "x axis where"),
    "nll_loss": (lambda **k: sk.nll_loss(
        **{"log_probs": sk.log_softmax(X), "target": LABELS, **_rename(k, "x", "log_probs")}),
        "x axis"),
}


def _rename(kwargs, old, new):
    return {new if k == old else k: v for k, v in kwargs.items()}


def _overlapping():
    buf = np.arange(10.0)
    return buf[:6].reshape(2, 3), buf[4:].reshape(2, 3)


# case -> (the parameter it exercises, keyword arguments, or a callable giving them)
CASES = {
    "x = None": ("x", {"x": None}),
    "x = a string": ("x", {"x": "1 2 3"}),
    "x = bytes": ("x", {"x": b"\x00\x01"}),
    "x complex": ("x", {"x": X + 1j}),
    "x of objects": ("x", {"x": np.array([[1.0, "a", None]], dtype=object)}),
    "x structured": ("x", {"x": np.zeros(3, dtype=[("a", "f8"), ("b", "i4")])}),
    "x ragged list": ("x", {"x": [[1.0, 2.0], [3.0]]}),
    "x read-only": ("x", {"x": np.frombuffer(X.tobytes()).reshape(2, 3)}),
    "x 0-d": ("x", {"x": np.float64(2.0), "axis": None}),
    "axis repeated (1, 1)": ("axis", {"axis": (1, 1)}),
    "axis 2 (out of range)": ("axis", {"axis": 2}),
    "axis 1.5": ("axis", {"axis": 1.5}),
    "where of ints": ("where", {"where": np.ones((2, 3), dtype=int)}),
    "where of shape (4,)": ("where", {"where": np.ones(4, dtype=bool)}),
    "temperature NaN": ("temperature", {"temperature": float("nan")}),
    "temperature inf": ("temperature", {"temperature": float("inf")}),
    "temperature 0": ("temperature", {"temperature": 0.0}),
    "temperature -1": ("temperature", {"temperature": -1.0}),
    "temperature '2'": ("temperature", {"temperature": "2"}),
    "out float32 for float64": ("out", {"out": np.full((2, 3), 7.0, np.float32)}),
    "out of shape (3, 2)": ("out", {"out": np.full((3, 2), 7.0)}),
    "out read-only": ("out", {"out": np.frombuffer(np.full(6, 7.0).tobytes()).reshape(2, 3)}),
    "out a list": ("out", {"out": [[0.0] * 3] * 2}),
    "out overlaps x partly": ("out", _overlapping),
}


def outcome(name, case):
    """What the call gives: 'ok: …' or the exception and its message."""
    call, params = FUNCTIONS[name]
    param, kwargs = CASES[case]
    if param not in params.split():
        return None
    if callable(kwargs):
        x, out = kwargs()
        kwargs = {"x": x, "out": out}
        expected = np.asarray(call(x=x.copy()))
    out = kwargs.get("out")
    before = np.array(out, copy=True) if isinstance(out, np.ndarray) else None
    try:
        res = call(**kwargs)
    except (TypeError, ValueError) as exc:
        if before is not None:  # nothing written before the error
            np.testing.assert_array_equal(out, before)
        msg = str(exc).replace("|", "\\|")
        assert name in msg or name.removesuffix("_backward") in msg, msg  # names the function
        return f"{type(exc).__name__}: {msg}"
    if case == "out overlaps x partly":
        np.testing.assert_array_equal(res, expected)
        assert res is kwargs["out"]
        return "ok: the result of the original x (read before out is written)"
    res = np.asarray(res[0] if isinstance(res, tuple) else res)
    return f"ok: {res.dtype} result of shape {res.shape}"


def table() -> str:
    lines = ["# Bad input: what the public functions do", "",
             "Generated by `python tests/test_bad_input.py`, which `make test` checks against "
             "this file. Each cell is the result or the exception, with its message; "
             "\"—\" where the function has no such parameter. No case crashes, and no "
             "`out` is written when an error is raised.", ""]
    for name in FUNCTIONS:
        lines += [f"## `{name}`", "", "| input | outcome |", "|---|---|"]
        for case in CASES:
            got = outcome(name, case)
            lines.append(f"| {case} | {'—' if got is None else got} |")
        lines.append("")
    return "\n".join(lines)


APPLICABLE = [(n, c) for n in FUNCTIONS for c in CASES
              if CASES[c][0] in FUNCTIONS[n][1].split()]


@pytest.mark.parametrize("name, case", APPLICABLE)
def test_outcome(name, case):
    got = outcome(name, case)
    assert got.startswith(("ok:", "TypeError:", "ValueError:", "AxisError:")), got


def test_the_docs_table_is_current():
    assert DOC.read_text(encoding="utf-8") == table() + "\n", (
        "docs/user_guide/bad-input.md is out of date: run python tests/test_bad_input.py")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    DOC.write_text(table() + "\n", encoding="utf-8")
    print(f"wrote {DOC}")
