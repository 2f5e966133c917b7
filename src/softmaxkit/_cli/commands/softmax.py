"""``softmaxkit softmax``: softmax (or log-softmax) of numbers."""

from __future__ import annotations

from ..._api.family import log_softmax, softmax
from ..base import add_number_options, emit, number, parse_axis, positive, read_input


def add_parser(sub) -> None:
    p = sub.add_parser(
        "softmax",
        help="softmax (or log-softmax) of numbers",
        description="Print softmax(x / T) along an axis.",
        epilog="Examples: softmaxkit softmax 1 2 3 | echo '1 2 3' | softmaxkit softmax --log "
        "| softmaxkit softmax --sink 0 1 2 3",
    )
    add_number_options(p, "-1, each row")
    p.add_argument("--log", action="store_true", help="print log-probabilities")
    p.add_argument(
        "--temperature", type=positive, default=1.0, metavar="T", help="temperature > 0"
    )
    p.add_argument("--sink", type=number, default=None, metavar="S",
                   help="a logit in each normalizer only (0: softmax1); rows sum to less than 1")
    p.set_defaults(func=run)


def run(args) -> int:
    x = read_input(args)
    axis = parse_axis(args.axis) if args.axis is not None else -1
    fn = log_softmax if args.log else softmax
    result = fn(x, axis=axis, temperature=args.temperature, sink=args.sink)
    meta = {"function": fn.__name__, "temperature": args.temperature, "axis": axis}
    if args.sink is not None:
        meta["sink"] = args.sink
    emit(args, result, meta)
    return 0
