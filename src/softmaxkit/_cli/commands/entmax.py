"""``softmaxkit entmax``: alpha-entmax of numbers."""

from __future__ import annotations

import math

from ..._api.sparse import entmax
from ..base import add_number_options, arg_type, count, emit, parse_axis, read_input

alpha_type = arg_type(float, lambda v: math.isfinite(v) and v >= 1, "a finite number >= 1")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "entmax",
        help="alpha-entmax of numbers (1: softmax, 1.5: entmax15, 2: sparsemax)",
        description="Print alpha-entmax(x) along an axis: max((alpha - 1) x - tau, 0) ** "
                    "(1 / (alpha - 1)), summing to 1; larger alpha gives more exact zeros.",
        epilog="Examples: softmaxkit entmax --alpha 1.5 1 2 3 | softmaxkit entmax --alpha 3 1 2 3",
    )
    add_number_options(p, "-1, each row")
    p.add_argument("--alpha", type=alpha_type, default=1.5, metavar="A",
                   help="alpha >= 1 (default: 1.5)")
    p.add_argument("--n-iter", type=count, default=50, metavar="N",
                   help="bisection steps on the threshold (default: 50)")
    p.set_defaults(func=run)


def run(args) -> int:
    x = read_input(args)
    axis = parse_axis(args.axis) if args.axis is not None else -1
    result = entmax(x, args.alpha, axis=axis, n_iter=args.n_iter)
    emit(args, result, {"function": "entmax", "alpha": args.alpha, "axis": axis})
    return 0
