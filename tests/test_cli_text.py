"""The command line's text in and out: the C formatter against NumPy's array2string, the
CSV reader's fast and careful paths, and what a command imports before it prints."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softmaxkit._cli import _text
from softmaxkit._cli.base import _format
from softmaxkit._cli.errors import UsageError
from softmaxkit._cli.table import numbers, parse_table

NUMPY_2_3 = tuple(int(v) for v in np.__version__.split(".")[:2]) >= (2, 3)


def numpy_row(row: np.ndarray, precision: int) -> str:
    """What NumPy prints for one row, brackets and outer blanks removed: the oracle."""
    text = np.array2string(row, precision=precision, floatmode="maxprec", separator=" ",
                           max_line_width=1 << 30, threshold=1 << 62)
    return text.strip("[]").strip()


def numpy_text(arr: np.ndarray, precision: int) -> str:
    rows = np.atleast_1d(arr).reshape(-1, arr.shape[-1] if arr.ndim else 1)
    return "\n".join(numpy_row(r, precision) for r in rows)


# ------------------------------------------------------------------- the formatter

EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, 0.5, 0.1, 0.3, 2.5, 1e-4, 9.9999e-5,
         1e6, 999999.94, 1e8, 99999999.0, 1e-300, 5e-324, 2.0 ** -24, 2.0 ** 60,
         1.7976931348623157e308, 3.4028235e38, 1.17549435e-38, 1e-45]


def _row_values(dtype):
    info = np.finfo(dtype)
    floats = st.floats(width=info.bits, allow_nan=True, allow_infinity=True)
    powers_of_two = st.integers(-60, 60).map(lambda e: 2.0 ** e)
    scaled = st.tuples(st.floats(0.1, 10), st.integers(-12, 12)).map(
        lambda t: t[0] * 10.0 ** t[1])
    edges = st.sampled_from(EDGES)
    return st.one_of(floats, powers_of_two, scaled, edges)


@st.composite
def rows(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n = draw(st.integers(1, 6))
    with np.errstate(over="ignore"):
        row = np.array(draw(st.lists(_row_values(dtype), min_size=n, max_size=n)),
                       dtype=dtype)
    if dtype == np.float32 and not NUMPY_2_3:
        # NumPy before 2.3 switched float32 rows to scientific at 1e8, not 1e6
        big = np.isfinite(row) & (np.abs(row) >= 1e6)
        row[big] = np.float32(0.5)
    return row


@settings(max_examples=1500, deadline=None)
@given(row=rows(), precision=st.integers(1, 17))
def test_rows_print_as_numpy_prints_them(row, precision):
    assert _format(row, precision) == numpy_row(row, precision)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("precision", [1, 3, 8, 17])
def test_random_bit_patterns_print_as_numpy_prints_them(dtype, precision, rng):
    # every exponent and mantissa: subnormals, ties of the shortest digits, powers of two
    bits = np.uint32 if dtype == np.float32 else np.uint64
    x = rng.integers(0, np.iinfo(bits).max, size=(400, 3), dtype=bits, endpoint=True)
    x = x.view(dtype)
    assert _format(x, precision) == numpy_text(x, precision)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_probabilities_print_as_numpy_prints_them(dtype, rng):
    # the usual output: softmax rows, some positional, some scientific
    z = rng.normal(scale=rng.uniform(0.5, 4, size=(2000, 1)), size=(2000, 7))
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p = (p / p.sum(axis=1, keepdims=True)).astype(dtype)
    for precision in (2, 8, 12):
        assert _format(p, precision) == numpy_text(p, precision)


def test_shapes_are_rows_of_the_last_axis():
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7
    assert _format(x, 8) == numpy_text(x, 8)
    assert _format(np.float64(1 / 3), 4) == "0.3333"
    assert _format(np.array([0.25, 1.0]), 8) == "0.25 1."


def test_other_dtypes_fall_back_to_numpy():
    x = np.array([0.1, 1 / 3, 2.0], dtype=np.float16)
    assert _format(x, 8) == numpy_row(x, 8)
    big_endian = np.array([0.1, 2.5], dtype=">f8")
    assert _format(big_endian, 8) == "0.1 2.5"


def test_formatter_refuses_a_buffer_of_another_size():
    with pytest.raises(ValueError, match="rows x cols"):
        _text.format_rows(np.zeros(5), 2, 3, False, 8)
    with pytest.raises(ValueError, match="rows x cols"):
        _text.format_rows(np.zeros(6), 2, 3, False, 18)


# ---------------------------------------------------------------------- the reader


def test_csv_numbers_with_blank_lines_crlf_and_quotes():
    text = 'a,b\r\n1,2\r\n\r\n  \r\n"3",4.5\r\n'
    table = parse_table(text, "f.csv")
    assert table.header == ["a", "b"]
    np.testing.assert_array_equal(numbers(table), [[1, 2], [3, 4.5]])
    assert list(table.lines) == [2, 5]


@pytest.mark.parametrize("text, message", [
    ("1,2\n3,4,5\n", "line 2 (row 2) has 3 fields, line 1 2 fields"),
    ("1,2\n\n3\n", "line 3 (row 2) has 1 field, line 1 2 fields"),
    ("x,y\n1,2\n3,\n", "line 3, column 'y': empty field"),
    ("1,2\n3,abc\n", "line 2, column 2: 'abc' is not a number"),
    ("1,2\n   \n4,nan\n", None),
])
def test_csv_errors_name_the_line(text, message):
    table = parse_table(text, "f.csv")
    if message is None:  # whitespace-only lines are blank lines; nan is a number
        assert np.isnan(numbers(table)[1, 1])
        with pytest.raises(UsageError, match="line 3, column 2: 'nan' is not a finite"):
            numbers(table, finite=True)
        return
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        numbers(table)


def test_csv_spellings_python_reads_and_numpy_does_not():
    table = parse_table("1_000,2\n3,4\n", "f.csv")
    np.testing.assert_array_equal(numbers(table), [[1000, 2], [3, 4]])


def test_csv_text_column_next_to_numbers():
    table = parse_table("x,label\n1.5,cat\n2.5,dog\n", "f.csv")
    np.testing.assert_array_equal(numbers(table, [0]), [[1.5], [2.5]])
    assert table.column(1) == ["cat", "dog"]
    ragged = parse_table("x,label\n1.5,cat\n2.5,dog,extra\n", "f.csv")
    with pytest.raises(UsageError, match="line 3 .* has 3 fields"):
        numbers(ragged, [0])


# ------------------------------------------------------------------------ start-up


def test_a_number_command_does_not_import_the_heavy_optional_packages():
    # scikit-learn alone took 0.7 s to import: every command line paid it
    code = ("import sys; from softmaxkit._cli.main import main\n"
            "try:\n    main(['softmax', '1', '2', '3'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('sklearn', 'matplotlib', 'dask', 'scipy', 'torch')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["0.09003057 0.24472847 0.66524096", "[]"]
