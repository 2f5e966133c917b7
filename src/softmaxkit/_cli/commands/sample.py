"""``softmaxkit sample``: draw indices from the softmax of numbers."""

from __future__ import annotations

import json

import numpy as np

from ..._api.sampling import categorical
from ..base import (
    UsageError,
    arg_type,
    count,
    emit,
    parse_axis,
    positive,
    read_input,
    seed,
)

unit = arg_type(float, lambda v: 0 < v <= 1, "in (0, 1]")
unit_closed = arg_type(float, lambda v: 0 <= v <= 1, "in [0, 1]")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sample",
        help="draw indices from the softmax of numbers",
        description="Draw indices from softmax(x / T) along an axis (each row by default), "
        "after top-k, top-p and min-p filtering (in that order); print them.",
        epilog="Example: softmaxkit sample --temperature 0.7 --top-p 0.9 --n 10 1 2 3",
    )
    p.add_argument("numbers", nargs="*", help="the logits (or give them on stdin or --input)")
    p.add_argument("--input", metavar="FILE", help="read an array from a .npy or .csv file")
    p.add_argument("--output", metavar="FILE", help="write the indices to a .npy or .csv file")
    p.add_argument("--axis", metavar="AXIS", help="the axis of the classes (default: -1)")
    p.add_argument("--temperature", type=positive, default=1.0, metavar="T",
                   help="temperature > 0 (default: 1)")
    p.add_argument("--top-k", type=count, metavar="K", help="keep the K most probable")
    p.add_argument("--top-p", type=unit, metavar="P",
                   help="keep the most probable entries whose mass reaches P")
    p.add_argument("--min-p", type=unit_closed, metavar="P",
                   help="keep entries at least P times as probable as the most probable")
    p.add_argument("--n", type=count, default=1, metavar="N",
                   help="draws per row (default: 1)")
    p.add_argument("--without-replacement", action="store_true",
                   help="N distinct indices per row")
    p.add_argument("--seed", type=seed, help="seed of the random numbers (default: fresh)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    x = read_input(args)
    axis = parse_axis(args.axis) if args.axis is not None else -1
    if not isinstance(axis, int):
        raise UsageError(f"--axis: sample draws along one axis, got {args.axis!r}")
    if args.output and args.json:
        raise UsageError("--json prints to stdout; it cannot be combined with --output")
    result = categorical(x, axis=axis, temperature=args.temperature, top_k=args.top_k,
                         top_p=args.top_p, min_p=args.min_p, num_samples=args.n,
                         replacement=not args.without_replacement, rng=args.seed)
    if args.json:
        print(json.dumps({"function": "sample", "axis": axis, "seed": args.seed,
                          "result": np.asarray(result).tolist()}))
    else:
        args.precision = None
        emit(args, np.asarray(result), {})
    return 0
