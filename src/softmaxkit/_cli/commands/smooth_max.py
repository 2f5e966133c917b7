"""``softmaxkit smooth-max``: the smooth maximum logsumexp(k x) / k."""

from __future__ import annotations

from ..._api.family import smooth_max
from ..base import add_number_options, emit, parse_axis, positive, read_input


def add_parser(sub) -> None:
    p = sub.add_parser(
        "smooth-max",
        help="smooth maximum logsumexp(k x) / k",
        description="Print the smooth maximum logsumexp(k*x)/k along an axis.",
        epilog="Example: softmaxkit smooth-max --k 10 1 2",
    )
    add_number_options(p, "-1, each row")
    p.add_argument("--k", type=positive, default=1.0, help="sharpness k > 0 (default: 1)")
    p.set_defaults(func=run)


def run(args) -> int:
    x = read_input(args)
    axis = parse_axis(args.axis) if args.axis is not None else -1
    result = smooth_max(x, axis=axis, k=args.k)
    emit(args, result, {"function": "smooth_max", "k": args.k, "axis": axis})
    return 0
