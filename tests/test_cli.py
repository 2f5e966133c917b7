"""The ``softmaxkit`` command, run for real: ``python -m softmaxkit ...`` in a subprocess.

Numbers printed by the command are parsed back and compared with SciPy or with the
library itself; files written by it are loaded and compared exactly (``.npy``) or to
float64 round-off (``.csv``). Bad input must give exit status 2, one line on stderr
starting with ``softmaxkit: error:``, nothing on stdout and never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.special as sp
from conftest import assert_usage_error, guide_page, run_cli

import softmaxkit as sk

TIMEOUT = 60
X = np.array([1.0, 2.0, 3.0])


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return run_cli(*args, timeout=TIMEOUT, **kwargs)


def ok(r: subprocess.CompletedProcess) -> str:
    """The stdout of a successful run (exit 0, nothing on stderr)."""
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return r.stdout


def floats(text: str) -> list[float]:
    return [float(t) for t in text.split()]


def lines(text: str) -> list[list[float]]:
    assert text.endswith("\n")
    return [floats(line) for line in text[:-1].split("\n")]


def fraction_digits(token: str) -> int:
    mantissa = token.lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def encode(arr):
    """What ``--json`` must print for ``arr``: nested lists, non-finite values as strings."""
    arr = np.asarray(arr)
    if arr.ndim:
        return [encode(a) for a in arr]
    f = float(arr)
    if np.isnan(f):
        return "nan"
    if np.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f


# ------------------------------------------------------------------ numbers as arguments


PRINTED = [
        (["softmax", 1, 2, 3], sp.softmax(X), 8),
        (["softmax", "--log", 1, 2, 3], sp.log_softmax(X), 8),
        (["softmax", "--temperature", 2, 1, 2, 3], sp.softmax(X / 2), 8),
        (["softmax", "--log", "--temperature", 2, 1, 2, 3], sp.log_softmax(X / 2), 8),
        (["softmax", "--precision", 3, 1, 2, 3], sp.softmax(X), 3),
        (["softmax", "--precision", 17, 1, 2, 3], sp.softmax(X), 17),
        (["logsumexp", 1, 2, 3], [sp.logsumexp(X)], 8),
        (["logsumexp", "--precision", 12, 1, 2, 3], [sp.logsumexp(X)], 12),
        (["smooth-max", "--k", 10, 1, 2], [sp.logsumexp([10.0, 20.0]) / 10], 8),
        (["smooth-max", 1, 2], [sp.logsumexp([1.0, 2.0])], 8),
]


@pytest.mark.parametrize(
    "args, expected, digits", PRINTED, ids=[" ".join(map(str, c[0])) for c in PRINTED]
)
def test_printed_numbers_match_scipy(args, expected, digits):
    out = ok(run(*args))
    assert out.count("\n") == 1
    tokens = out.split()
    assert len(tokens) == len(expected)
    # --precision N shows at most N digits after the point (NumPy's meaning), rounded.
    assert all(fraction_digits(t) <= digits for t in tokens), tokens
    np.testing.assert_allclose(floats(out), expected, rtol=1e-15, atol=0.5 * 10.0**-digits)


def test_default_precision_is_eight_digits_after_the_point():
    assert ok(run("softmax", 1, 2, 3)) == "0.09003057 0.24472847 0.66524096\n"
    assert ok(run("smooth-max", "--k", 10, 1, 2)) == "2.00000454\n"


@pytest.mark.parametrize(
    "args, function, meta",
    [
        (["softmax", 1, 2, 3], lambda: sk.softmax(X), {"function": "softmax", "axis": -1}),
        (["softmax", "--log", 1, 2, 3], lambda: sk.log_softmax(X), {"function": "log_softmax"}),
        (
            ["softmax", "--temperature", 2, 1, 2, 3],
            lambda: sk.softmax(X, temperature=2.0),
            {"temperature": 2.0},
        ),
        (["logsumexp", 1, 2, 3], lambda: sk.logsumexp(X), {"function": "logsumexp", "axis": -1}),
        (
            ["smooth-max", "--k", 10, 1, 2],
            lambda: sk.smooth_max([1.0, 2.0], k=10),
            {"function": "smooth_max", "k": 10.0},
        ),
    ],
    ids=["softmax", "log", "temperature", "logsumexp", "smooth-max"],
)
def test_json_is_full_precision(args, function, meta):
    doc = json.loads(ok(run(*args, "--json")))
    assert doc["result"] == encode(function())  # exactly, not approximately
    for key, value in meta.items():
        assert doc[key] == value


def test_json_smooth_max_value():
    doc = json.loads(ok(run("smooth-max", "--k", 10, "--json", 1, 2)))
    assert doc["result"] == 2.0000045398899218


@pytest.mark.parametrize(
    "args",
    [
        ["softmax", "--log", "-inf", "0"],
        ["softmax", "nan", "0"],
        ["softmax", "--log", "inf", "0"],
        ["logsumexp", "inf", "1"],
        ["logsumexp", "-inf", "-inf"],
        ["smooth-max", "-inf", "nan"],
    ],
    ids=" ".join,
)
def test_json_non_finite_values_are_strings(args):
    command, *numbers = args
    x = np.array([float(t) for t in numbers if not t.startswith("--")])
    function = {
        "softmax": sk.log_softmax if "--log" in args else sk.softmax,
        "logsumexp": sk.logsumexp,
        "smooth-max": sk.smooth_max,
    }[command]
    out = ok(run(*args, "--json"))
    assert "NaN" not in out and "Infinity" not in out  # strict JSON
    result = json.loads(out)["result"]
    assert result == encode(function(x))
    assert any(isinstance(v, str) for v in np.atleast_1d(np.array(result, dtype=object)))


@pytest.mark.parametrize(
    "numbers",
    [["-1e5", "0"], ["-inf", "0"], ["-Infinity", "1"], ["-.5", "0.5"], ["-1", "-2", "-3"],
     ["3", "-1E-3"], ["-nan", "0"]],
    ids=" ".join,
)
def test_negative_numbers_are_numbers_not_options(numbers):
    x = np.array([float(t) for t in numbers])
    without = ok(run("softmax", "--json", *numbers))
    with_dashes = ok(run("softmax", "--json", "--", *numbers))
    assert without == with_dashes
    assert json.loads(without)["result"] == encode(sk.softmax(x))


def test_option_value_may_look_negative():
    # '-1' is the value of --temperature here, and is rejected as a temperature.
    assert_usage_error(run("softmax", "--temperature", "-1", "1", "2"), "--temperature", "-1")


# ------------------------------------------------------------------------------- stdin


def test_stdin_one_line_is_one_row():
    out = ok(run("softmax", input="1 2 3\n"))
    assert out == ok(run("softmax", 1, 2, 3))
    np.testing.assert_allclose(lines(out), [sp.softmax(X)], atol=0.5e-8)


def test_stdin_without_final_newline():
    assert ok(run("logsumexp", "--json", input="1 2 3")) == ok(run("logsumexp", "--json", 1, 2, 3))


def test_stdin_lines_are_rows_softmaxed_one_by_one():
    text = "1 2 3\n\n4 5 7\n  -1 0 10  \n"
    x = np.array([[1.0, 2, 3], [4, 5, 7], [-1, 0, 10]])
    out = ok(run("softmax", input=text))
    assert out.count("\n") == 3
    np.testing.assert_allclose(lines(out), sp.softmax(x, axis=1), rtol=1e-8, atol=0.5e-8)
    doc = json.loads(ok(run("softmax", "--json", input=text)))
    assert doc["result"] == encode(sk.softmax(x, axis=-1))


@pytest.mark.parametrize("text", ["1,2,3\n4,5,6\n", "1, 2, 3\r\n4 ,5 ,6\r\n", "1,2 3\n4 5,6"])
def test_stdin_comma_separated(text):
    x = np.array([[1.0, 2, 3], [4, 5, 6]])
    doc = json.loads(ok(run("softmax", "--json", input=text)))
    assert doc["result"] == encode(sk.softmax(x, axis=-1))


def test_stdin_axis_0_and_logsumexp_over_all():
    text = "1 2\n4 3\n5 5\n"
    a = np.array([[1.0, 2], [4, 3], [5, 5]])
    doc = json.loads(ok(run("softmax", "--axis", 0, "--json", input=text)))
    assert doc["axis"] == 0 and doc["result"] == encode(sk.softmax(a, axis=0))
    doc = json.loads(ok(run("logsumexp", "--axis", "none", "--json", input=text)))
    assert doc["result"] == float(sk.logsumexp(a))
    np.testing.assert_allclose(doc["result"], sp.logsumexp(a), rtol=1e-15)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_terminal_on_stdin_is_not_waited_for():
    master, slave = os.openpty()
    try:
        r = run("softmax", stdin=slave)
    finally:
        os.close(slave)
        os.close(master)
    assert_usage_error(r, "no numbers given")


# ------------------------------------------------------------------------------- files


@pytest.fixture
def x2d(rng):
    x = rng.standard_normal((4, 5)) * 10
    x[1, 2] = -np.inf
    return x


def save(path: Path, x: np.ndarray) -> Path:
    if path.suffix == ".npy":
        np.save(path, x)
    else:
        np.savetxt(path, x, fmt="%.17g", delimiter=",")
    return path


def load(path: Path) -> np.ndarray:
    if path.suffix == ".npy":
        return np.load(path)
    return np.loadtxt(path, delimiter=",", ndmin=2)


@pytest.mark.parametrize("out_ext", [".npy", ".csv"])
@pytest.mark.parametrize("in_ext", [".npy", ".csv"])
def test_file_in_file_out(tmp_path, x2d, in_ext, out_ext):
    src, dst = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    dst.mkdir()
    infile = save(src / f"x{in_ext}", x2d)
    outfile = dst / f"probs{out_ext}"
    assert ok(run("softmax", "--input", infile, "--axis", 1, "--output", outfile)) == ""
    expected = sk.softmax(x2d, axis=1)
    got = load(outfile)
    if out_ext == ".npy":
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
    assert sorted(os.listdir(dst)) == [outfile.name]  # no temporary files left
    assert sorted(os.listdir(src)) == [infile.name]


def test_float32_npy_keeps_its_dtype(tmp_path, x2d):
    x = x2d.astype(np.float32)
    save(tmp_path / "x.npy", x)
    ok(run("softmax", "--input", "x.npy", "--output", "p.npy", "--axis", 1, cwd=tmp_path))
    got = np.load(tmp_path / "p.npy")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, sk.softmax(x, axis=1))
    # and the CSV of a float32 result holds enough digits to give it back exactly
    ok(run("softmax", "--input", "x.npy", "--output", "p.csv", "--axis", 1, cwd=tmp_path))
    back = np.loadtxt(tmp_path / "p.csv", delimiter=",").astype(np.float32)
    np.testing.assert_array_equal(back, sk.softmax(x, axis=1))
    doc = json.loads(ok(run("softmax", "--input", "x.npy", "--json", cwd=tmp_path)))
    assert doc["result"] == encode(sk.softmax(x, axis=-1))


@pytest.mark.parametrize(
    "args, axis",
    [(["softmax"], (0, 1)), (["softmax", "--log"], (0, 1)), (["logsumexp"], (0,)),
     (["smooth-max", "--k", 3], (1, 0))],
    ids=["softmax", "log_softmax", "logsumexp", "smooth-max"],
)
def test_axis_list_from_file(tmp_path, x2d, args, axis):
    save(tmp_path / "x.npy", x2d)
    text = ",".join(map(str, axis))
    doc = json.loads(ok(run(*args, "--input", "x.npy", "--axis", text, "--json", cwd=tmp_path)))
    function = {
        "softmax": sk.log_softmax if "--log" in args else sk.softmax,
        "logsumexp": sk.logsumexp,
        "smooth-max": lambda x, axis: sk.smooth_max(x, axis=axis, k=3.0),
    }[args[0]]
    ax = axis[0] if len(axis) == 1 else axis
    assert doc["axis"] == (list(axis) if len(axis) > 1 else axis[0])
    assert doc["result"] == encode(function(x2d, axis=ax))


def test_printed_2d_file_is_one_line_per_row(tmp_path, x2d):
    save(tmp_path / "x.csv", x2d)
    out = ok(run("softmax", "--input", "x.csv", cwd=tmp_path))
    got = lines(out)
    assert len(got) == x2d.shape[0]
    np.testing.assert_allclose(got, sk.softmax(x2d, axis=-1), rtol=1e-7, atol=0.5e-8)


# ------------------------------------------------------------------- version and help


def test_version():
    assert ok(run("--version")) == f"softmaxkit {sk.__version__}\n"


@pytest.mark.parametrize("command", [[], ["softmax"], ["logsumexp"], ["smooth-max"],
                                     ["sparsemax"], ["entmax"], ["logcumsumexp"], ["demo"]],
                         ids=lambda c: " ".join(c) or "top")
def test_help(command):
    out = ok(run(*command, "--help"))
    assert out.startswith(" ".join(["usage: softmaxkit", *command]))
    if command and command != ["demo"]:
        assert "--input" in out and "--axis" in out and "--json" in out


def test_no_command_shows_usage_and_fails():
    r = run()
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("usage: softmaxkit")
    assert "Traceback" not in r.stderr


# ------------------------------------------------------------------------- bad input


@pytest.fixture
def bad_files(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(6.0).reshape(2, 3))
    (tmp_path / "garbage.npy").write_bytes(b"\x00\x01 this is not an array \xff\xfe")
    (tmp_path / "short.npy").write_bytes((tmp_path / "x.npy").read_bytes()[:-5])
    np.save(tmp_path / "strings.npy", np.array(["a", "b"]))
    np.save(tmp_path / "complex.npy", np.array([1 + 2j]))
    np.save(tmp_path / "objects.npy", np.array([1, None], dtype=object), allow_pickle=True)
    np.save(tmp_path / "scalar.npy", np.float64(3.0))
    (tmp_path / "latin1.csv").write_bytes(b"1,2\xe9\n")
    (tmp_path / "word.csv").write_text("1,2,3\n4,five,6\n")
    (tmp_path / "ragged.csv").write_text("1,2,3\n4,5\n")
    (tmp_path / "x.json").write_text("[1, 2, 3]")
    (tmp_path / "dir.npy").mkdir()
    (tmp_path / "dir.csv").mkdir()
    return tmp_path


BAD = {
    # name: (args, stdin, fragments the message must contain)
    "word argument": (
        ["softmax", 1, "x", 3], None, ["arguments", "column 2", "'x' is not a number"],
    ),
    "word on stdin": (["logsumexp"], "1 2\n3 y\n", ["stdin", "line 2, column 2", "'y'"]),
    "word in csv": (["softmax", "--input", "word.csv"], None, ["word.csv", "line 2", "'five'"]),
    "no numbers": (["softmax"], None, ["no numbers"]),
    "blank stdin": (["smooth-max"], "\n  \n\n", ["stdin", "no numbers"]),
    "empty field": (["softmax"], "1,,3\n", ["stdin", "line 1, column 2", "empty field"]),
    "missing npy": (["softmax", "--input", "missing.npy"], None, ["missing.npy", "No such file"]),
    "missing csv": (["softmax", "--input", "missing.csv"], None, ["missing.csv", "No such file"]),
    "directory npy": (["softmax", "--input", "dir.npy"], None, ["dir.npy", "cannot read"]),
    "directory csv": (["softmax", "--input", "dir.csv"], None, ["dir.csv", "cannot read"]),
    "garbage npy": (["softmax", "--input", "garbage.npy"], None, ["garbage.npy", "cannot read"]),
    "truncated npy": (["softmax", "--input", "short.npy"], None, ["short.npy", "cannot read"]),
    "string npy": (["softmax", "--input", "strings.npy"], None, ["strings.npy", "real numbers"]),
    "complex npy": (["softmax", "--input", "complex.npy"], None, ["complex.npy", "complex"]),
    "object npy": (["softmax", "--input", "objects.npy"], None, ["objects.npy"]),
    "0-d npy": (["softmax", "--input", "scalar.npy"], None, ["axis -1", "dimension 0"]),
    "not utf-8 csv": (["softmax", "--input", "latin1.csv"], None, ["latin1.csv", "cannot read"]),
    "input extension": (
        ["softmax", "--input", "x.json"], None, ["x.json", "unsupported input format"],
    ),
    "output extension": (
        ["softmax", "--input", "x.npy", "--output", "p.json"], None,
        ["p.json", "unsupported output format"],
    ),
    "output no extension": (
        ["softmax", "1", "--output", "p"], None, ["unsupported output format"],
    ),
    "output missing directory": (
        ["softmax", "--input", "x.npy", "--output", "nowhere/p.npy"], None,
        ["nowhere/p.npy", "does not exist"],
    ),
    "output is a directory": (
        ["softmax", "--input", "x.npy", "--output", "dir.npy"], None, ["dir.npy", "cannot write"],
    ),
    "axis out of range": (["softmax", "--axis", 1, 1, 2], None, ["axis 1", "out of bounds"]),
    "axis out of range 2-D": (
        ["logsumexp", "--input", "x.npy", "--axis", "-3"], None, ["axis -3", "out of bounds"],
    ),
    "axis list out of range": (
        ["softmax", "--input", "x.npy", "--axis", "0,2"], None, ["out of bounds"],
    ),
    "axis repeated": (["softmax", "--input", "x.npy", "--axis", "1,1"], None, ["repeated"]),
    "axis foo": (["softmax", "--axis", "foo", 1, 2], None, ["--axis", "'foo'"]),
    "axis trailing comma": (["smooth-max", "--axis", "0,", 1, 2], None, ["--axis", "'0,'"]),
    "axis float": (["logsumexp", "--axis", "0.5", 1, 2], None, ["--axis", "'0.5'"]),
    "temperature 0": (["softmax", "--temperature", 0, 1, 2], None, ["--temperature", "> 0"]),
    "temperature -1": (["softmax", "--temperature", -1, 1, 2], None, ["--temperature", "-1"]),
    "temperature nan": (["softmax", "--temperature", "nan", 1], None, ["--temperature", "nan"]),
    "temperature inf": (["softmax", "--temperature", "inf", 1], None, ["--temperature", "finite"]),
    "temperature word": (["softmax", "--temperature", "hot", 1], None, ["--temperature", "'hot'"]),
    "temperature missing": (["softmax", "--temperature"], None, ["--temperature"]),
    "k 0": (["smooth-max", "--k", 0, 1, 2], None, ["--k", "> 0"]),
    "alpha below 1": (["entmax", "--alpha", 0.5, 1, 2], None, ["--alpha", ">= 1", "0.5"]),
    "alpha nan": (["entmax", "--alpha", "nan", 1, 2], None, ["--alpha", "nan"]),
    "n-iter 0": (["entmax", "--n-iter", 0, 1, 2], None, ["--n-iter", ">= 1"]),
    "sparsemax axis": (["sparsemax", "--axis", 1, 1, 2], None, ["axis 1", "out of bounds"]),
    "sink nan": (["softmax", "--sink", "nan", 1, 2], None, ["--sink", "nan"]),
    "sink word": (["logsumexp", "--sink", "big", 1, 2], None, ["--sink", "'big'"]),
    "logcumsumexp two axes": (["logcumsumexp", "--axis", "0,1", 1, 2], None,
                              ["--axis", "one axis"]),
    "link on dask": (["train", "--data", "x.npy", "--link", "sparsemax"], None,
                     ["--link sparsemax", "Dask"]),
    "k -2": (["smooth-max", "--k", -2, 1, 2], None, ["--k", "-2"]),
    "precision 0": (["softmax", "--precision", 0, 1], None, ["--precision", "between 1 and 17"]),
    "precision 18": (["softmax", "--precision", 18, 1], None, ["--precision", "between 1 and 17"]),
    "precision word": (["softmax", "--precision", "x", 1], None, ["--precision", "'x'"]),
    "ragged stdin": (
        ["softmax"], "1 2 3\n4 5\n", ["stdin", "row 2 has 2 numbers but row 1 has 3"],
    ),
    "ragged csv": (["softmax", "--input", "ragged.csv"], None, ["ragged.csv", "row 2"]),
    "unknown command": (["softmin", 1, 2], None, ["invalid choice", "'softmin'"]),
    "unknown option": (["softmax", "--lgo", 1, 2], None, ["unrecognized arguments", "--lgo"]),
    "options on demo": (["demo", "--json"], None, ["unrecognized arguments"]),
    "arguments and --input": (
        ["softmax", "--input", "x.npy", 1, 2], None, ["either as arguments or with --input"],
    ),
}


@pytest.mark.parametrize("args, stdin, fragments", BAD.values(), ids=BAD.keys())
def test_bad_input_is_one_line_and_status_2(bad_files, args, stdin, fragments):
    assert_usage_error(run(*args, input=stdin, cwd=bad_files), *fragments)
    leftovers = [n for n in os.listdir(bad_files) if n.startswith(".")]
    assert leftovers == []


def test_npz_data_in_a_npy_file(tmp_path):
    with open(tmp_path / "z.npy", "wb") as fh:
        np.savez(fh, a=np.arange(3.0))
    assert_usage_error(run("softmax", "--input", "z.npy", cwd=tmp_path), "z.npy")


def test_npy_file_with_zip_magic_but_garbage(tmp_path):
    (tmp_path / "pk.npy").write_bytes(b"PK\x03\x04 not really a zip file")
    assert_usage_error(run("softmax", "--input", "pk.npy", cwd=tmp_path), "pk.npy", "cannot read")


# ---------------------------------------------------------------------- atomic output


@pytest.fixture
def outdir(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    np.save(tmp_path / "x.npy", np.arange(6.0).reshape(2, 3))
    (tmp_path / "bad.csv").write_text("1,2\n3,oops\n")
    return d


FAILURES = {
    "bad token": ["softmax", 1, "x", 3],
    "bad token in file": ["softmax", "--input", "../bad.csv"],
    "axis out of range": ["softmax", "--input", "../x.npy", "--axis", 2],
    "bad temperature": ["softmax", "--input", "../x.npy", "--temperature", 0],
}


@pytest.mark.parametrize("ext", [".npy", ".csv"])
@pytest.mark.parametrize("args", FAILURES.values(), ids=FAILURES.keys())
def test_failure_leaves_existing_output_untouched(outdir, args, ext):
    target = outdir / f"p{ext}"
    target.write_bytes(b"precious old contents\n")
    r = run(*args, "--output", target.name, cwd=outdir)
    assert_usage_error(r)
    assert target.read_bytes() == b"precious old contents\n"
    assert os.listdir(outdir) == [target.name]


@pytest.mark.parametrize("ext", [".npy", ".csv"])
def test_success_replaces_output_and_leaves_only_it(outdir, ext):
    target = outdir / f"p{ext}"
    target.write_bytes(b"old\n")
    assert ok(run("softmax", "--input", "../x.npy", "--output", target.name, cwd=outdir)) == ""
    np.testing.assert_allclose(
        load(target), sk.softmax(np.arange(6.0).reshape(2, 3)), rtol=1e-15, atol=0
    )
    assert os.listdir(outdir) == [target.name]


def test_success_into_empty_directory_from_stdin(outdir):
    ok(run("logsumexp", "--output", "lse.npy", input="1 2 3\n", cwd=outdir))
    assert os.listdir(outdir) == ["lse.npy"]
    got = np.load(outdir / "lse.npy")
    assert got.shape == () and got == sk.logsumexp(X)


def test_failed_rename_leaves_no_temporary_file(outdir):
    (outdir / "p.npy").mkdir()  # os.replace(file, directory) fails
    assert_usage_error(run("softmax", 1, 2, "--output", "p.npy", cwd=outdir), "cannot write")
    assert os.listdir(outdir) == ["p.npy"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("existing", [False, True], ids=["new", "overwrite"])
def test_output_file_mode_follows_umask(outdir, existing):
    target = outdir / "p.npy"
    if existing:
        target.write_bytes(b"old")
        target.chmod(0o644)
    ok(run("softmax", 1, 2, "--output", target.name, cwd=outdir, umask=0o022))
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


# ------------------------------------------------------------------------- broken pipe


@pytest.fixture
def big(tmp_path):
    # ~2 MB of printed output: far more than a pipe buffer, so the write must fail.
    np.save(tmp_path / "big.npy", np.random.default_rng(1).standard_normal((2000, 100)))
    return tmp_path


@pytest.mark.skipif(shutil.which("head") is None, reason="needs head")
def test_broken_pipe_in_shell_pipeline(big):
    cmd = f"{shlex.quote(sys.executable)} -m softmaxkit softmax --input big.npy | head -c 10"
    r = subprocess.run(
        cmd, shell=True, cwd=big, capture_output=True, text=True, timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 0  # head's status
    assert len(r.stdout) == 10
    assert r.stderr == "", r.stderr


def test_broken_pipe_reader_closes_early(big):
    p = subprocess.Popen(
        [sys.executable, "-m", "softmaxkit", "softmax", "--input", "big.npy"],
        cwd=big, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        first = p.stdout.read(10)
        p.stdout.close()
        err = p.stderr.read().decode()
        status = p.wait(timeout=TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stderr.close()
    assert len(first) == 10
    assert "Traceback" not in err and "BrokenPipeError" not in err and err == "", err
    assert status != 0  # did not finish its output, so it does not claim success


# ------------------------------------------------------- the user guide's examples


def _documented_examples():
    """The ``$ softmaxkit ...`` lines of the ```sh blocks of the command-line page, the
    README and the command-line tutorial, with the output each shows."""
    root = Path(__file__).resolve().parents[1]
    texts = [guide_page("cli"), (root / "README.md").read_text(encoding="utf-8"),
             (root / "docs" / "tutorials" / "command_line.md").read_text(encoding="utf-8")]
    blocks = [b for text in texts for b in re.findall(r"```sh\n(\$ .*?)```", text, re.DOTALL)]
    examples, current = [], None
    for line in "\n".join(b.rstrip("\n") for b in blocks).splitlines():
        if line.startswith("$ "):
            current = [line[2:], []]
            examples.append(current)
        elif current is not None:
            current[1].append(line)
    return [(cmd, "\n".join(out)) for cmd, out in examples if "--output" not in cmd]




@pytest.mark.parametrize(
    "command, expected",
    [
        pytest.param(cmd, out, id=cmd) for cmd, out in _documented_examples()
    ],
)
def test_documented_command_line_examples(command, expected):
    stdin = None
    if command.startswith("echo "):
        echo, command = command.split(" | ", 1)
        stdin = shlex.split(echo)[1] + "\n"
    elif command.startswith("printf "):
        printf, command = command.split(" | ", 1)
        stdin = shlex.split(printf)[1].replace("\\n", "\n")
    argv = shlex.split(command)
    assert argv[0] == "softmaxkit"
    r = run(*argv[1:], input=stdin)
    assert (r.stdout + r.stderr).rstrip("\n") == expected


# ------------------------------------------------------------ what a new user found


def test_non_utf8_stdin_is_named_not_shown_as_escapes():
    r = subprocess.run([sys.executable, "-m", "softmaxkit", "softmax"], input=b"\xff\xfe1\n",
                       capture_output=True, timeout=TIMEOUT)
    assert r.returncode == 2 and b"Traceback" not in r.stderr
    message = r.stderr.decode()
    assert "stdin: not UTF-8 text" in message and "udcff" not in message


def test_row_lengths_are_counted_in_english():
    assert_usage_error(run("softmax", input="1 2\n3\n"),
                       "row 2 has 1 number but row 1 has 2 numbers")


def test_an_unknown_option_points_to_the_commands_help():
    assert_usage_error(run("softmax", 1, 2, 3, "--bogus"), "--bogus",
                       "see 'softmaxkit softmax --help'")


def test_precision_with_output_is_an_error_not_ignored(tmp_path):
    assert_usage_error(run("softmax", "--precision", 3, "--output", tmp_path / "p.csv", 1, 2),
                       "--precision")
    assert not (tmp_path / "p.csv").exists()


def test_every_number_command_works_on_rows_by_default():
    rows = "1 2 3\n4 5 9\n"
    lse = floats(ok(run("logsumexp", input=rows)))
    smax = floats(ok(run("smooth-max", input=rows)))
    assert len(lse) == len(smax) == 2  # one number per row from both
    np.testing.assert_allclose(lse, sp.logsumexp([[1, 2, 3], [4, 5, 9]], axis=1), rtol=1e-8)
    (total,) = floats(ok(run("logsumexp", "--axis", "none", input=rows)))
    np.testing.assert_allclose(total, sp.logsumexp([1, 2, 3, 4, 5, 9]), rtol=1e-8)
    assert "each row" in ok(run("logsumexp", "--help"))


def test_a_csv_header_is_read_the_same_everywhere(tmp_path):
    (tmp_path / "h.csv").write_text("a;b;c\n1;2;3\n4;5;6\n")
    out = lines(ok(run("softmax", "--input", tmp_path / "h.csv")))
    np.testing.assert_allclose(out, sp.softmax([[1, 2, 3], [4, 5, 6]], axis=1), rtol=1e-7)


def test_dir_shows_the_public_names_only():
    names = dir(sk)
    assert "softmax" in names and "SoftmaxClassifier" in names
    assert "version" not in names and "PackageNotFoundError" not in names


def test_demo_refuses_an_empty_out():
    assert_usage_error(run("demo", "--out", ""), "--out", "empty")


def test_demo_without_matplotlib_makes_no_folder(tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None; "
            "from softmaxkit._cli.main import main; sys.exit(main(sys.argv[1:]))")
    r = subprocess.run([sys.executable, "-c", code, "demo", "--out", str(tmp_path / "d"),
                        "--quiet"], capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert "matplotlib" in r.stdout and not (tmp_path / "d").exists()


def test_sink_and_logcumsumexp_commands_print_the_library_values():
    rows = "0.5 1 1.2\n3 1 -2\n"
    x = np.array([[0.5, 1, 1.2], [3, 1, -2]])
    got = lines(ok(run("softmax", "--sink", 0.5, "--precision", 17, input=rows)))
    np.testing.assert_allclose(got, sk.softmax(x, sink=0.5), rtol=1e-15, atol=0)
    got = lines(ok(run("softmax", "--log", "--sink", "-inf", "--precision", 17, input=rows)))
    np.testing.assert_allclose(got, sk.log_softmax(x), rtol=1e-15, atol=0)
    out = json.loads(ok(run("logsumexp", "--sink", 2, "--json", 1, 2, 3)))
    assert out["sink"] == 2 and out["result"] == sk.logsumexp(X, sink=2.0)
    got = lines(ok(run("logcumsumexp", "--axis", 0, "--precision", 17, input=rows)))
    np.testing.assert_allclose(got, sk.logcumsumexp(x, axis=0), rtol=1e-15, atol=0)
    out = json.loads(ok(run("logcumsumexp", "--reverse", "--json", 1, 2, 3)))
    assert out["reverse"] is True
    np.testing.assert_array_equal(out["result"], sk.logcumsumexp(X, reverse=True))


def test_sparse_map_commands_print_the_library_values():
    rows = "0.5 1 1.2\n3 1 -2\n"
    x = np.array([[0.5, 1, 1.2], [3, 1, -2]])
    got = lines(ok(run("sparsemax", "--precision", 17, input=rows)))
    np.testing.assert_allclose(got, sk.sparsemax(x), rtol=1e-15, atol=0)
    assert got[1] == [1.0, 0.0, 0.0]  # an exact zero prints as zero
    got = floats(ok(run("sparsemax", "--entmax15", "--precision", 17, 1, 2, 3)))
    np.testing.assert_allclose(got, sk.entmax15(X), rtol=1e-15, atol=0)
    for alpha in (1, 1.5, 3):
        out = json.loads(ok(run("entmax", "--alpha", alpha, "--json", 1, 2, 3)))
        assert out["alpha"] == alpha and out["function"] == "entmax"
        np.testing.assert_array_equal(out["result"], sk.entmax(X, float(alpha)))
