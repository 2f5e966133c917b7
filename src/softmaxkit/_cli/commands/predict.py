"""``softmaxkit predict``: predict with a saved model."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

from ..base import UsageError, read_array
from ..table import numbers, read_table
from ..training import classifier_class


def add_parser(sub) -> None:
    p = sub.add_parser(
        "predict",
        help="predict with a saved model",
        description="Print the predicted class (or the class probabilities) of every row of "
        "a CSV or .npy file of raw features.",
    )
    p.add_argument("--model", required=True, metavar="FILE",
                   help="a model written by 'softmaxkit train --save' (or SoftmaxClassifier.save)")
    p.add_argument("--input", required=True, metavar="FILE",
                   help="raw features: a .csv (matched to the model's columns by name when "
                   "both have them) or a .npy")
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
    X = _features(args.input, clf)
    with warnings.catch_warnings():
        # the columns were matched by name above; the array itself carries none
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        result = clf.predict_proba(X) if args.proba else clf.predict(X)
    out = sys.stdout
    if args.proba:
        print(",".join(str(c) for c in clf.classes_), file=out)
        for row in result:
            print(",".join(f"{v:.6g}" for v in row), file=out)
    else:
        for label in result:
            print(label, file=out)
    return 0


def _features(path: str, clf) -> np.ndarray:
    """The rows of raw features in the model's column order: a CSV with a header is
    matched by name when the model has names; otherwise by position."""
    names = getattr(clf, "feature_names_in_", None)
    if Path(path).suffix.lower() == ".npy":
        if names is not None:
            raise UsageError(f"{path}: the model was trained on named columns "
                             f"({', '.join(map(str, names))}); give a CSV whose header names "
                             "them, so they are matched by name")
        X = read_array(path)
        X = np.atleast_2d(X).astype(np.float64, copy=False)
        bad = ~np.isfinite(X)
        if bad.any():
            r, c = (int(i) for i in np.argwhere(bad)[0])
            raise UsageError(f"{path}: row {r + 1}, column {c + 1}: {float(X[r, c])!r} is not a "
                             "finite number")
    else:
        table = read_table(path)
        if names is not None:
            if table.header is None:
                raise UsageError(f"{path}: has no header row; the model was trained on named "
                                 f"columns ({', '.join(map(str, names))}) and matches them by "
                                 "name")
            missing = [n for n in names if n not in table.header]
            extra = [h for h in table.header if h not in set(names)]
            if missing or extra:
                parts = ([f"missing {', '.join(map(repr, missing))}"] if missing else []) + \
                    ([f"not in the model {', '.join(map(repr, extra))}"] if extra else [])
                raise UsageError(f"{path}: the columns do not match the model's: "
                                 + "; ".join(parts))
            X = numbers(table, [table.header.index(n) for n in names], finite=True)
        else:
            X = numbers(table, finite=True)
    if X.ndim != 2 or X.shape[1] != clf.n_features_in_:
        raise UsageError(f"{path}: {X.shape[-1]} features per row, the model takes "
                         f"{clf.n_features_in_}")
    return X
