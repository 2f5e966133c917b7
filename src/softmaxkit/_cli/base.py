"""What every command of ``softmaxkit`` shares: errors, the parser, argument types,
the readers of numbers (arguments, stdin, .npy, CSV) and the writers of results.

Numbers come from the command line, standard input, or a ``.npy``/``.csv`` file.
Bad input is one line on stderr and exit status 2, never a traceback; an output
file is written completely (to a temporary file, then renamed) or not at all.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import zipfile
from pathlib import Path

import numpy as np

from .._core.atomic import atomic_write
from .._core.validation import bfloat16_dtype, is_bfloat16
from . import _text
from .errors import UsageError
from .table import numbers, read_table

EXIT_USAGE = 2
DEFAULT_PRECISION = 8

# Tokens such as -1e5, -inf or -.5 are numbers, not options.
_NEGATIVE_NUMBER = re.compile(r"^-(\d|\.\d|inf(inity)?$|nan$)", re.IGNORECASE)


class Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message):  # one line, not argparse's usage + message
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------- input


def parse_rows(text: str, source: str, *, keep_2d: bool = False) -> np.ndarray:
    """Numbers separated by spaces or commas; one row per non-empty line.

    One row gives a 1-D array unless ``keep_2d`` (files keep their rows).
    """
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        tokens = re.split(r"\s*,\s*|\s+", line)
        row = []
        for col, tok in enumerate(tokens, 1):
            if not tok:
                raise UsageError(f"{source}: line {lineno}, column {col}: empty field")
            try:
                row.append(float(tok))
            except ValueError:
                raise UsageError(
                    f"{source}: line {lineno}, column {col}: {tok!r} is not a number"
                ) from None
        rows.append(row)
    if not rows:
        raise UsageError(f"{source}: no numbers found")
    width = len(rows[0])
    for i, row in enumerate(rows[1:], 2):
        if len(row) != width:
            raise UsageError(f"{source}: row {i} has {_numbers(len(row))} but row 1 has "
                             f"{_numbers(width)}")
    arr = np.array(rows, dtype=np.float64)
    return arr[0] if len(rows) == 1 and not keep_2d else arr


def _numbers(n: int) -> str:
    return "1 number" if n == 1 else f"{n} numbers"


def read_array(path: str) -> np.ndarray:
    """The array in a .npy, .csv or .txt file (UsageError naming the file otherwise)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".npy", ".csv", ".txt"):
        raise UsageError(
            f"{path}: unsupported input format {suffix!r} (use .npy, .csv or .txt)"
        )
    if suffix == ".csv":  # the CSV rules of every command (a header row is skipped)
        table = read_table(path)
        if not table.body:
            raise UsageError(f"{path}: no numbers found")
        return numbers(table)
    try:
        if suffix == ".txt":
            # utf-8-sig: spreadsheets start their text files with a byte-order mark
            return parse_rows(p.read_text(encoding="utf-8-sig"), path, keep_2d=True)
        arr = np.load(p, allow_pickle=False)
    except UsageError:
        raise
    except (OSError, ValueError, UnicodeDecodeError, EOFError, zipfile.BadZipFile) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"{path}: cannot read: {reason}") from None
    if not isinstance(arr, np.ndarray):  # an .npz archive under a .npy name
        if hasattr(arr, "close"):
            arr.close()
        raise UsageError(f"{path}: expected a single array, got a .npz archive")
    if arr.dtype.kind not in "biuf":
        raise UsageError(f"{path}: expected an array of real numbers, got dtype {arr.dtype}")
    return arr


def read_input(args) -> np.ndarray:
    """The numbers of a number command, in ``--dtype`` when it is given."""
    x = _read_input(args)
    name = getattr(args, "dtype", None)
    if name is None:
        return x
    if name == "bfloat16":
        try:
            dtype = bfloat16_dtype("--dtype")
        except ImportError as exc:
            raise UsageError(str(exc)) from None
    else:
        dtype = np.dtype(name)
    with np.errstate(over="ignore"):  # beyond the format's range: +-inf, as NumPy casts
        return np.asarray(x).astype(dtype)


def _read_input(args) -> np.ndarray:
    if args.input is not None:
        if args.numbers:
            raise UsageError("give numbers either as arguments or with --input, not both")
        return read_array(args.input)
    if args.numbers:
        return parse_rows(" ".join(args.numbers), "arguments")
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("no numbers given: pass them as arguments, on stdin, or with --input")
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UsageError(f"stdin: not UTF-8 text ({exc.reason} at byte {exc.start})") \
                from None
    return parse_rows(data, "stdin")


def parse_axis(text: str | None):
    if text is None or text.lower() == "none":
        return None
    try:
        parts = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise UsageError(
            f"--axis: expected an integer or a comma-separated list, got {text!r}") from None
    return parts[0] if len(parts) == 1 else parts


def arg_type(convert, ok, expected: str):
    """An argparse type: ``convert`` the text, then require ``ok(value)``."""
    what = "an integer" if convert is int else "a number"

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {expected}, got {text}")
        return value

    return parse


positive = arg_type(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
precision = arg_type(int, lambda v: 1 <= v <= 17, "between 1 and 17")
fraction = arg_type(float, lambda v: 0 < v < 1, "between 0 and 1")
count = arg_type(int, lambda v: v >= 1, ">= 1")
seed = arg_type(int, lambda v: 0 <= v < 2**63, "an integer >= 0")
number = arg_type(float, lambda v: not math.isnan(v), "a number (inf and -inf allowed)")


# -------------------------------------------------------------------------- output


def _format_row(row: np.ndarray, precision: int) -> str:
    text = np.array2string(
        np.atleast_1d(row),
        precision=precision,
        floatmode="maxprec",
        separator=" ",
        max_line_width=1 << 30,
        threshold=1 << 62,
    )
    return text.strip("[]").strip()


def _format(arr: np.ndarray, precision: int) -> str:
    """Rows as NumPy prints them (``floatmode="maxprec"``), each row's layout its own."""
    arr = np.asarray(arr)
    if arr.dtype in (np.float32, np.float64) and arr.size:
        width = arr.shape[-1] if arr.ndim else 1
        rows = np.ascontiguousarray(np.atleast_1d(arr).reshape(-1, width))
        return _text.format_rows(rows, rows.shape[0], rows.shape[1],
                                 arr.dtype == np.float32, precision)
    if arr.ndim <= 1:
        return _format_row(arr, precision)
    rows = arr.reshape(-1, arr.shape[-1])
    return "\n".join(_format_row(r, precision) for r in rows)


def _json_value(arr):
    """Nested lists of floats; non-finite values as the strings "inf", "-inf", "nan"."""
    if isinstance(arr, np.ndarray) and arr.ndim > 0:
        return [_json_value(a) for a in arr]
    f = float(arr)
    if math.isfinite(f):
        return f
    return "nan" if math.isnan(f) else ("inf" if f > 0 else "-inf")


def _write_atomic(path: str, arr: np.ndarray) -> None:
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".npy", ".csv"):
        raise UsageError(f"{path}: unsupported output format {suffix!r} (use .npy or .csv)")
    directory = p.parent if str(p.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"{path}: cannot write: directory {str(directory)!r} does not exist")
    try:
        with atomic_write(p) as fh:
            if suffix == ".npy":
                np.save(fh, arr, allow_pickle=False)
            else:
                digits = 9 if arr.dtype.itemsize <= 4 else 17
                np.savetxt(fh, np.atleast_2d(arr) if arr.ndim < 2 else arr.reshape(
                    -1, arr.shape[-1]), fmt=f"%.{digits}g", delimiter=",")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None


def emit(args, result, meta: dict) -> None:
    result = np.asarray(result)
    if is_bfloat16(result.dtype):
        # every bfloat16 is a float32: printed and written exactly (a .npy of float32,
        # which NumPy reads without ml_dtypes)
        result = result.astype(np.float32)
    if getattr(args, "dtype", None) is not None:
        meta = {**meta, "dtype": args.dtype}
    if getattr(args, "output", None) and args.json:
        raise UsageError("--json prints to stdout; it cannot be combined with --output")
    if getattr(args, "output", None) and args.precision is not None:
        raise UsageError("--precision sets the digits printed; --output files keep every "
                         "digit (leave --precision out)")
    if getattr(args, "output", None):
        _write_atomic(args.output, result)
        return
    if args.json:
        print(json.dumps({**meta, "result": _json_value(result)}))
    else:
        print(_format(result, DEFAULT_PRECISION if args.precision is None else args.precision))


def check_output_file(path: str, what: str = "cannot write") -> None:
    """Before any work: ``path`` can be written (its directory exists and is writable, and
    it is not a directory)."""
    p = Path(path)
    if not str(path).strip():
        raise UsageError("the output path is empty")
    directory = p.parent if str(p.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"{path}: {what}: directory {str(directory)!r} does not exist")
    if p.is_dir():
        raise UsageError(f"{path}: {what}: it is a directory")
    if not os.access(directory, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise UsageError(f"{path}: {what}: permission denied")


def add_number_options(p: argparse.ArgumentParser, default_axis: str) -> None:
    """The options of the number commands: input, output, axis, precision, JSON."""
    p.add_argument("numbers", nargs="*", help="the numbers (or give them on stdin or --input)")
    p.add_argument("--input", metavar="FILE", help="read an array from a .npy or .csv file")
    p.add_argument("--output", metavar="FILE", help="write the result to a .npy or .csv file")
    p.add_argument(
        "--axis", metavar="AXIS",
        help=f"axis, comma-separated axes, or none for all (default: {default_axis})"
    )
    p.add_argument(
        "--precision", type=precision, metavar="N",
        help=f"digits shown after the point (default: {DEFAULT_PRECISION}); not with --output"
    )
    p.add_argument("--json", action="store_true", help="print JSON with full precision")
    p.add_argument("--dtype", choices=("float16", "bfloat16", "float32", "float64"),
                   help="compute in this format (the input rounded to it first); "
                   "bfloat16 needs ml_dtypes")
