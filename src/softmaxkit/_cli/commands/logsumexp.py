"""``softmaxkit logsumexp``: the log of the sum of exponentials."""

from __future__ import annotations

from ..._api.family import logsumexp
from ..base import add_number_options, emit, number, parse_axis, read_input


def add_parser(sub) -> None:
    p = sub.add_parser(
        "logsumexp",
        help="log of the sum of exponentials",
        description="Print log(sum(exp(x))) along an axis: by default one number per row, "
        "as every number command works on rows (--axis none reduces everything).",
    )
    add_number_options(p, "-1, each row")
    p.add_argument("--sink", type=number, default=None, metavar="S",
                   help="add exp(S) to each sum")
    p.set_defaults(func=run)


def run(args) -> int:
    x = read_input(args)
    axis = parse_axis(args.axis) if args.axis is not None else -1
    meta = {"function": "logsumexp", "axis": axis}
    if args.sink is not None:
        meta["sink"] = args.sink
    emit(args, logsumexp(x, axis=axis, sink=args.sink), meta)
    return 0
