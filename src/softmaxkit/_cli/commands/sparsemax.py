"""``softmaxkit sparsemax``: sparsemax (or 1.5-entmax) of numbers."""

from __future__ import annotations

from ..._api.sparse import entmax15, sparsemax
from ..base import add_number_options, emit, parse_axis, read_input


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sparsemax",
        help="sparsemax of numbers: probabilities with exact zeros",
        description="Print sparsemax(x) along an axis: the Euclidean projection onto the "
                    "simplex, max(x - tau, 0) summing to 1.",
        epilog="Examples: softmaxkit sparsemax 1 2 3 | softmaxkit sparsemax --entmax15 0.5 1 1.2",
    )
    add_number_options(p, "-1, each row")
    p.add_argument("--entmax15", action="store_true",
                   help="1.5-entmax instead: sparse, but smoother than sparsemax")
    p.set_defaults(func=run)


def run(args) -> int:
    x = read_input(args)
    axis = parse_axis(args.axis) if args.axis is not None else -1
    fn = entmax15 if args.entmax15 else sparsemax
    emit(args, fn(x, axis=axis), {"function": fn.__name__, "axis": axis})
    return 0
