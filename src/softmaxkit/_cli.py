"""The ``softmaxkit`` command: ``main(argv) -> int``.

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
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._atomic import atomic_write

EXIT_USAGE = 2

# Tokens such as -1e5, -inf or -.5 are numbers, not options.
_NEGATIVE_NUMBER = re.compile(r"^-(\d|\.\d|inf(inity)?$|nan$)", re.IGNORECASE)


class UsageError(Exception):
    """Bad input from the user: reported as one line on stderr with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message):  # one line, not argparse's usage + message
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------- input


def _parse_rows(text: str, source: str, *, keep_2d: bool = False) -> np.ndarray:
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
            raise UsageError(
                f"{source}: row {i} has {len(row)} numbers but row 1 has {width}"
            )
    arr = np.array(rows, dtype=np.float64)
    return arr[0] if len(rows) == 1 and not keep_2d else arr


def _read_file(path: str) -> np.ndarray:
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".npy", ".csv", ".txt"):
        raise UsageError(
            f"{path}: unsupported input format {suffix!r} (use .npy, .csv or .txt)"
        )
    try:
        if suffix != ".npy":
            # utf-8-sig: spreadsheets start their CSV files with a byte-order mark
            return _parse_rows(p.read_text(encoding="utf-8-sig"), path, keep_2d=True)
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


def _input(args) -> np.ndarray:
    if args.input is not None:
        if args.numbers:
            raise UsageError("give numbers either as arguments or with --input, not both")
        return _read_file(args.input)
    if args.numbers:
        return _parse_rows(" ".join(args.numbers), "arguments")
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("no numbers given: pass them as arguments, on stdin, or with --input")
    return _parse_rows(sys.stdin.read(), "stdin")


def _axis(text: str | None):
    if text is None or text.lower() == "none":
        return None
    try:
        parts = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise UsageError(
            f"--axis: expected an integer or a comma-separated list, got {text!r}") from None
    return parts[0] if len(parts) == 1 else parts


def _arg(convert, ok, expected: str):
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


_positive = _arg(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
_precision = _arg(int, lambda v: 1 <= v <= 17, "between 1 and 17")
_fraction = _arg(float, lambda v: 0 < v < 1, "between 0 and 1")
_count = _arg(int, lambda v: v >= 1, ">= 1")


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
    arr = np.asarray(arr)
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


def _emit(args, result, meta: dict) -> None:
    result = np.asarray(result)
    if getattr(args, "output", None) and args.json:
        raise UsageError("--json prints to stdout; it cannot be combined with --output")
    if getattr(args, "output", None):
        _write_atomic(args.output, result)
        return
    if args.json:
        print(json.dumps({**meta, "result": _json_value(result)}))
    else:
        print(_format(result, args.precision))


# ------------------------------------------------------------------------ commands


def _cmd_softmax(args) -> int:
    from . import _functions as F

    x = _input(args)
    axis = _axis(args.axis) if args.axis is not None else -1
    fn = F.log_softmax if args.log else F.softmax
    result = fn(x, axis=axis, temperature=args.temperature)
    meta = {"function": fn.__name__, "temperature": args.temperature, "axis": axis}
    _emit(args, result, meta)
    return 0


def _cmd_logsumexp(args) -> int:
    from . import _functions as F

    x = _input(args)
    axis = _axis(args.axis)
    _emit(args, F.logsumexp(x, axis=axis), {"function": "logsumexp", "axis": axis})
    return 0


def _cmd_smooth_max(args) -> int:
    from . import _functions as F

    x = _input(args)
    axis = _axis(args.axis) if args.axis is not None else -1
    result = F.smooth_max(x, axis=axis, k=args.k)
    _emit(args, result, {"function": "smooth_max", "k": args.k, "axis": axis})
    return 0


def _cmd_train(args) -> int:
    from ._train_cli import cmd_train

    return cmd_train(args)


def _cmd_predict(args) -> int:
    from ._train_cli import cmd_predict

    return cmd_predict(args)


def _cmd_demo(args) -> int:
    from ._demo import run

    return run(args)


def _add_number_options(p: argparse.ArgumentParser, default_axis: str) -> None:
    p.add_argument("numbers", nargs="*", help="the numbers (or give them on stdin or --input)")
    p.add_argument("--input", metavar="FILE", help="read an array from a .npy or .csv file")
    p.add_argument("--output", metavar="FILE", help="write the result to a .npy or .csv file")
    p.add_argument(
        "--axis", metavar="AXIS", help=f"axis or comma-separated axes (default: {default_axis})"
    )
    p.add_argument(
        "--precision", type=_precision, default=8, metavar="N", help="digits shown (default: 8)"
    )
    p.add_argument("--json", action="store_true", help="print JSON with full precision")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="softmaxkit",
        description="The softmax family on numbers from the command line, stdin or files.",
        epilog="Run 'softmaxkit COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"softmaxkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "softmax",
        help="softmax (or log-softmax) of numbers",
        description="Print softmax(x / T) along an axis.",
        epilog="Examples: softmaxkit softmax 1 2 3 | echo '1 2 3' | softmaxkit softmax --log",
    )
    _add_number_options(p, "-1")
    p.add_argument("--log", action="store_true", help="print log-probabilities")
    p.add_argument(
        "--temperature", type=_positive, default=1.0, metavar="T", help="temperature > 0"
    )
    p.set_defaults(func=_cmd_softmax)

    p = sub.add_parser(
        "logsumexp",
        help="log of the sum of exponentials",
        description="Print log(sum(exp(x))) over an axis (default: all of them).",
    )
    _add_number_options(p, "all axes")
    p.set_defaults(func=_cmd_logsumexp)

    p = sub.add_parser(
        "smooth-max",
        help="smooth maximum logsumexp(k x) / k",
        description="Print the smooth maximum logsumexp(k*x)/k along an axis.",
        epilog="Example: softmaxkit smooth-max --k 10 1 2",
    )
    _add_number_options(p, "-1")
    p.add_argument("--k", type=_positive, default=1.0, help="sharpness k > 0 (default: 1)")
    p.set_defaults(func=_cmd_smooth_max)

    p = sub.add_parser(
        "train",
        help="train a softmax classifier and report its accuracy",
        description="Train SoftmaxClassifier on a bundled dataset, Fashion-MNIST or a CSV "
        "file; print train/test accuracy, log loss and the confusion matrix.",
        epilog="Example: softmaxkit train --dataset digits --compare --save digits.skm",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset",
                        help="iris, digits, wine, breast_cancer, fashion-mnist or PATH.csv")
    source.add_argument("--data", metavar="PATH",
                        help="features as a .npy file or a Zarr store, read lazily with Dask "
                        "(larger than memory is fine; needs --labels)")
    p.add_argument("--labels", metavar="PATH", help="with --data: the labels (.npy or Zarr)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="train on a Dask cluster: a scheduler address, or local[:N] for a "
                   "local cluster of N worker processes (default N: the CPUs)")
    p.add_argument("--target", help="the CSV's target column (default: the last)")
    p.add_argument("--data-dir", help="where Fashion-MNIST's files are (default: Debian's)")
    p.add_argument("--test-size", type=_fraction, default=0.25, help="default: 0.25")
    p.add_argument("--epochs", type=_count, help="maximum epochs (default: the estimator's)")
    p.add_argument("--random-state", type=int, default=0, help="default: 0")
    p.add_argument("--save", metavar="FILE", help="write the model (softmaxkit predict reads it)")
    p.add_argument("--compare", action="store_true",
                   help="also fit scikit-learn's LogisticRegression on the same split")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "predict",
        help="predict with a saved model",
        description="Print the predicted class (or the class probabilities) of every row of "
        "a CSV or .npy file of raw features.",
    )
    p.add_argument("--model", required=True, metavar="FILE")
    p.add_argument("--input", required=True, metavar="FILE", help=".csv or .npy")
    p.add_argument("--proba", action="store_true",
                   help="print probabilities, one column per class")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser(
        "demo",
        help="the worked examples, the classifier and every figure, as a report",
        description="Print the worked examples of the notes (softmax of [1, 2, 3], softmax "
        "versus plain normalization, log-softmax, the smooth maximum, softmax over each axis "
        "of a 3x2 array), train the classifier on digits (and Fashion-MNIST when installed) "
        "next to scikit-learn, and write every figure and report.html to DIR.",
    )
    p.add_argument("--out", metavar="DIR", default="softmaxkit-demo",
                   help="where the figures and report.html go (default: ./softmaxkit-demo)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_demo)

    from ._plot_cli import add_parser

    add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return args.func(args)
    except UsageError as exc:
        print(f"softmaxkit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, TypeError) as exc:  # the library's own clear messages
        print(f"softmaxkit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("softmaxkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); exit quietly without a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
