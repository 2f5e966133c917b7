"""``softmaxkit logsumexp``: the log of the sum of exponentials."""

from __future__ import annotations

from ..._api.family import logsumexp
from ..base import add_number_options, emit, parse_axis, read_input


def add_parser(sub) -> None:
    p = sub.add_parser(
        "logsumexp",
        help="log of the sum of exponentials",
        description="Print log(sum(exp(x))) over an axis (default: all of them).",
    )
    add_number_options(p, "all axes")
    p.set_defaults(func=run)


def run(args) -> int:
    x = read_input(args)
    axis = parse_axis(args.axis)
    emit(args, logsumexp(x, axis=axis), {"function": "logsumexp", "axis": axis})
    return 0
