"""``softmaxkit predict``: predict with a saved model."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from ..base import UsageError
from ..training import classifier_class


def add_parser(sub) -> None:
    p = sub.add_parser(
        "predict",
        help="predict with a saved model",
        description="Print the predicted class (or the class probabilities) of every row of "
        "a CSV or .npy file of raw features.",
    )
    p.add_argument("--model", required=True, metavar="FILE")
    p.add_argument("--input", required=True, metavar="FILE", help=".csv or .npy")
    p.add_argument("--proba", action="store_true",
                   help="print probabilities, one column per class")
    p.set_defaults(func=run)


def run(args) -> int:
    SoftmaxClassifier = classifier_class()

    try:
        clf = SoftmaxClassifier.load(args.model)
    except FileNotFoundError:
        raise UsageError(f"{args.model}: no such file") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    p = Path(args.input)
    if p.suffix.lower() == ".npy":
        try:
            X = np.load(p, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise UsageError(f"{args.input}: cannot read: {exc}") from None
    else:
        try:
            with open(p, newline="", encoding="utf-8-sig") as fh:
                rows = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
        except OSError as exc:
            raise UsageError(f"{args.input}: cannot read: {exc.strerror or exc}") from None
        try:
            X = np.array([[float(c) for c in r] for r in rows], dtype=np.float64)
        except ValueError:
            try:  # a header row
                X = np.array([[float(c) for c in r] for r in rows[1:]], dtype=np.float64)
            except ValueError as exc:
                raise UsageError(f"{args.input}: not numeric CSV ({exc})") from None
    X = np.atleast_2d(X)
    if X.ndim != 2 or X.shape[1] != clf.n_features_in_:
        raise UsageError(f"{args.input}: {X.shape[-1]} features per row, the model takes "
                         f"{clf.n_features_in_}")
    out = sys.stdout
    if args.proba:
        P = clf.predict_proba(X)
        print(",".join(str(c) for c in clf.classes_), file=out)
        for row in P:
            print(",".join(f"{v:.6g}" for v in row), file=out)
    else:
        for label in clf.predict(X):
            print(label, file=out)
    return 0
