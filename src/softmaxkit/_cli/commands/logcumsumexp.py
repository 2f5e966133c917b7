"""``softmaxkit logcumsumexp``: the cumulative log-sum-exp of numbers."""

from __future__ import annotations

from ..._api.streaming import logcumsumexp
from ..base import UsageError, add_number_options, emit, parse_axis, read_input


def add_parser(sub) -> None:
    p = sub.add_parser(
        "logcumsumexp",
        help="cumulative log-sum-exp of numbers",
        description="Print log(cumsum(exp(x))) along an axis (each row by default), "
        "exact to a few ulps over any length.",
        epilog="Examples: softmaxkit logcumsumexp 0 0 0 | softmaxkit logcumsumexp --reverse 1 2 3",
    )
    add_number_options(p, "-1, along each row")
    p.add_argument("--reverse", action="store_true", help="sum from the end")
    p.set_defaults(func=run)


def run(args) -> int:
    x = read_input(args)
    axis = parse_axis(args.axis) if args.axis is not None else -1
    if not isinstance(axis, int):
        raise UsageError("--axis: logcumsumexp scans one axis, got "
                         f"{'none' if axis is None else args.axis!r}")
    result = logcumsumexp(x, axis=axis, reverse=args.reverse)
    emit(args, result, {"function": "logcumsumexp", "axis": axis, "reverse": args.reverse})
    return 0
