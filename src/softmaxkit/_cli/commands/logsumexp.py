"""``softmaxkit logsumexp``: the log of the sum of exponentials."""

from __future__ import annotations

from ..._api.family import logsumexp
from ..base import add_number_options, emit, parse_axis, read_input


def add_parser(sub) -> None:
    p = sub.add_parser(
        "logsumexp",
        help="log of the sum of exponentials",
        description="Print log(sum(exp(x))) along an axis: by default one number per row, "
        "as every number command works on rows (--axis none reduces everything).",
    )
    add_number_options(p, "-1, each row")
    p.set_defaults(func=run)


def run(args) -> int:
    x = read_input(args)
    axis = parse_axis(args.axis) if args.axis is not None else -1
    emit(args, logsumexp(x, axis=axis), {"function": "logsumexp", "axis": axis})
    return 0
