"""``softmaxkit calibrate``: temperature scaling of saved logits."""

from __future__ import annotations

import json

import numpy as np

from ..._api.family import softmax
from ..._core.atomic import atomic_write
from ..base import UsageError, check_output_file, count, read_array
from ..calibration import labels_of, report, scaler_class


def add_parser(sub) -> None:
    p = sub.add_parser(
        "calibrate",
        help="fit a temperature to logits and labels",
        description="Find the temperature T that minimizes the negative log-likelihood of "
        "softmax(logits / T) on held-out logits and labels; print T and the expected "
        "calibration error, NLL and Brier score before and after.",
        epilog="Example: softmaxkit calibrate --logits val_logits.npy --labels val_y.npy "
        "--save T.json",
    )
    p.add_argument("--logits", required=True, metavar="FILE",
                   help="logits, one row per sample (.npy, .csv or .txt)")
    p.add_argument("--labels", required=True, metavar="FILE",
                   help="the true class of each row: a column index of the logits")
    p.add_argument("--bins", type=count, default=10, help="ECE bins (default: 10)")
    p.add_argument("--save", metavar="FILE.json", help="write the temperature as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.save is not None:
        check_output_file(args.save)
    TemperatureScaler = scaler_class()
    z = np.asarray(read_array(args.logits), dtype=np.float64)
    if z.ndim != 2 or z.shape[1] < 2 or z.shape[0] == 0:
        raise UsageError(f"{args.logits}: expected logits of shape (samples, classes >= 2), "
                         f"got {z.shape}")
    if not np.all(np.isfinite(z)):
        r, c = (int(i) for i in np.argwhere(~np.isfinite(z))[0])
        raise UsageError(f"{args.logits}: row {r + 1}, column {c + 1}: {z[r, c]!r} is not a "
                         "finite number")
    y = labels_of(args.labels, read_array(args.labels), z.shape[1])
    if y.shape[0] != z.shape[0]:
        raise UsageError(f"{args.labels}: {y.shape[0]} labels for {z.shape[0]} rows of logits")
    scaler = TemperatureScaler().fit(z, y)
    t = scaler.temperature_
    print(f"temperature: {t:.6g} ({z.shape[0]} samples, {z.shape[1]} classes)")
    print()
    print(report(y, softmax(z, axis=1), scaler.transform(z), n_bins=args.bins))
    if args.save is not None:
        text = json.dumps({"temperature": t, "n_classes": int(z.shape[1]),
                           "n_samples": int(z.shape[0])}, indent=2) + "\n"
        try:
            with atomic_write(args.save, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise UsageError(f"{args.save}: cannot write: {exc.strerror or exc}") from None
        print(f"\ntemperature saved to {args.save}")
    return 0
