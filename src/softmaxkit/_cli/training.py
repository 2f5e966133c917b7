"""The classifier from the command line: datasets, the split, the fit, the comparison.

Features are standardized for training (Fashion-MNIST: pixels / 255) and the scaling is
then folded into the weights (``W / sigma``, ``b - W mu / sigma``), so a saved model
takes raw features. Errors are raised as UsageError (one line on stderr, exit 2).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .._core import optional
from .._core.datasets import load_fashion_mnist
from .base import UsageError

BUNDLED = ("iris", "digits", "wine", "breast_cancer")


def classifier_class():
    """SoftmaxClassifier, or a UsageError saying scikit-learn is needed."""
    try:
        return optional.classifier().SoftmaxClassifier
    except ImportError:
        raise UsageError(
            "train and predict need scikit-learn: pip install 'softmaxkit[sklearn]'") from None


def read_csv(path: str, target: str | None):
    """(X, y, feature names) from a CSV with a header row; the target column is ``target``
    (default: the last column) and may hold strings; every other column must be numeric."""
    p = Path(path)
    try:
        with open(p, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason})") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise UsageError(f"{path}: needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    col = len(header) - 1 if target is None else (header.index(target) if target in header
                                                  else None)
    if col is None:
        raise UsageError(f"{path}: no column {target!r} (columns: {', '.join(header)})")
    X, y = [], []
    for lineno, row in enumerate(rows[1:], 2):
        if len(row) != len(header):
            raise UsageError(f"{path}: line {lineno} has {len(row)} fields, the header "
                             f"{len(header)}")
        feats = []
        for j, cell in enumerate(row):
            if j == col:
                continue
            try:
                feats.append(float(cell))
            except ValueError:
                raise UsageError(f"{path}: line {lineno}, column {header[j]!r}: {cell!r} is "
                                 "not a number") from None
        X.append(feats)
        y.append(row[col].strip())
    yarr = np.array(y)
    try:
        yarr = yarr.astype(np.int64)
    except ValueError:
        pass
    return np.array(X, dtype=np.float64), yarr, [h for j, h in enumerate(header) if j != col]


def load_split(args):
    """(X_train, X_test, y_train, y_test, standardize, names)."""
    from sklearn.model_selection import train_test_split

    if args.dataset == "fashion-mnist":
        try:
            d = load_fashion_mnist(args.data_dir)
        except (FileNotFoundError, ValueError) as exc:
            raise UsageError(str(exc)) from None
        return d.X_train, d.X_test, d.y_train, d.y_test, False, None
    if args.dataset in BUNDLED:
        import sklearn.datasets as ds

        X, y = getattr(ds, f"load_{args.dataset}")(return_X_y=True)
        names = None
    elif args.dataset.lower().endswith(".csv"):
        X, y, names = read_csv(args.dataset, args.target)
    else:
        raise UsageError(f"--dataset: {args.dataset!r} is not one of {', '.join(BUNDLED)}, "
                         "fashion-mnist or a .csv file")
    if len(np.unique(y)) < 2:
        raise UsageError(f"{args.dataset}: the target has fewer than 2 classes")
    try:
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=args.test_size, stratify=y,
                                              random_state=args.random_state)
    except ValueError as exc:
        raise UsageError(f"{args.dataset}: cannot split: {exc}") from None
    return Xtr, Xte, ytr, yte, True, names


def confusion(y_true, y_pred, classes):
    idx = {c: i for i, c in enumerate(classes)}
    m = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        m[idx[t], idx[p]] += 1
    width = max(6, max(len(str(c)) for c in classes) + 1, len(str(m.max())) + 1)
    lines = ["confusion matrix (rows: true, columns: predicted)",
             " " * width + "".join(f"{str(c):>{width}}" for c in classes)]
    for c, row in zip(classes, m):
        lines.append(f"{str(c):>{width}}" + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)


class TrainResult(NamedTuple):
    """A fitted model (taking raw features) with its test split and comparison rows."""

    clf: Any
    X_test: np.ndarray
    y_test: np.ndarray
    rows: list  # (model, train accuracy, test accuracy, test log loss, fit s, epochs/iters)
    n_train: int
    n_features: int
    feature_scale: np.ndarray  # the standard deviations the weights were divided by


def train(args) -> TrainResult:
    """Fit SoftmaxClassifier as ``args`` says (and LogisticRegression with ``compare``)."""
    SoftmaxClassifier = classifier_class()
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    Xtr, Xte, ytr, yte, standardize, names = load_split(args)
    mu = Xtr.mean(axis=0) if standardize else np.zeros(Xtr.shape[1])
    sd = Xtr.std(axis=0) if standardize else np.ones(Xtr.shape[1])
    sd = np.where(sd > 0, sd, 1.0)
    Ztr, Zte = (Xtr - mu) / sd, (Xte - mu) / sd
    kwargs = {"random_state": args.random_state, "verbose": 0 if args.quiet else 1}
    if args.epochs is not None:
        kwargs["max_epochs"] = args.epochs
    clf = SoftmaxClassifier(**kwargs)
    t0 = time.perf_counter()
    clf.fit(Ztr, ytr)
    fit_time = time.perf_counter() - t0
    # fold the standardization into the weights: the model takes raw features
    clf.coef_ = (clf.coef_ / sd).astype(clf.coef_.dtype)
    clf.intercept_ = (clf.intercept_ - clf.coef_ @ mu).astype(clf.coef_.dtype)
    rows = [("softmaxkit", clf.score(Xtr, ytr), clf.score(Xte, yte),
             log_loss(yte, clf.predict_proba(Xte), labels=clf.classes_), fit_time, clf.n_iter_)]
    if args.compare:
        lr = LogisticRegression(max_iter=1000)
        t0 = time.perf_counter()
        lr.fit(Ztr, ytr)
        lr_time = time.perf_counter() - t0
        rows.append(("scikit-learn LogisticRegression", lr.score(Ztr, ytr), lr.score(Zte, yte),
                     log_loss(yte, lr.predict_proba(Zte), labels=lr.classes_), lr_time,
                     int(np.max(lr.n_iter_))))
    return TrainResult(clf, Xte, yte, rows, len(ytr), Xtr.shape[1], sd)


def comparison_table(rows) -> str:
    """The rows of :class:`TrainResult` as a Markdown table."""
    lines = ["| model | train accuracy | test accuracy | test log loss | fit s | epochs/iters |",
             "|---|---|---|---|---|---|"]
    for name, a, b, ll, t, it in rows:
        lines.append(f"| {name} | {a:.4f} | {b:.4f} | {ll:.4f} | {t:.2f} | {it} |")
    return "\n".join(lines)


def save(clf, path) -> None:
    """``--save``: write the model, or say why not (UsageError)."""
    if not path:
        return
    try:
        clf.save(path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    print(f"\nmodel saved to {path}")


