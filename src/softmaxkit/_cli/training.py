"""The classifier from the command line: datasets, the split, the fit, the comparison.

Features are standardized for training (Fashion-MNIST: pixels / 255) and the scaling is
then folded into the weights (``W / sigma``, ``b - W mu / sigma``), so a saved model
takes raw features. Errors are raised as UsageError (one line on stderr, exit 2).
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

import numpy as np

from .._core import optional
from .._core.datasets import load_fashion_mnist
from .base import UsageError
from .table import numbers, one_column_hint, read_table

BUNDLED = ("iris", "digits", "wine", "breast_cancer")


def classifier_class():
    """SoftmaxClassifier, or a UsageError saying scikit-learn is needed."""
    try:
        return optional.classifier().SoftmaxClassifier
    except ImportError:
        raise UsageError(
            "train and predict need scikit-learn: pip install 'softmaxkit[sklearn]'") from None


def read_csv(path: str, target: str | None):
    """(X, y, feature names or None) from a CSV file (:mod:`.table`'s rules): the target
    is the column named ``target`` (default: the last) and may hold strings; every other
    column must hold finite numbers."""
    table = read_table(path)
    if not table.body:
        raise UsageError(f"{path}: no data rows")
    if table.width < 2:
        raise UsageError(one_column_hint(table))
    if target is None:
        col = table.width - 1
    elif table.header is None:
        raise UsageError(f"--target: {path} has no header row to name columns by (its first "
                         "row is numbers); leave --target out to use the last column")
    elif target in table.header:
        col = table.header.index(target)
    else:
        raise UsageError(f"{path}: no column {target!r} (columns: {', '.join(table.header)})")
    features = [j for j in range(table.width) if j != col]
    X = numbers(table, features, finite=True)
    y = np.array(table.column(col))
    try:
        y = y.astype(np.int64)
    except ValueError:
        pass
    names = None if table.header is None else [table.header[j] for j in features]
    return X, y, names


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
    labels, counts = np.unique(y, return_counts=True)
    if len(labels) < 2:
        raise UsageError(f"{args.dataset}: the target has fewer than 2 classes")
    if counts.min() < 2:
        lonely = [str(c) for c in labels[counts < 2]]
        shown = ", ".join(lonely[:5]) + (f" and {len(lonely) - 5} more" if len(lonely) > 5
                                         else "")
        raise UsageError(f"{args.dataset}: {len(lonely)} of {len(labels)} classes have a single "
                         f"sample ({shown}); the stratified split needs 2 of each")
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
    feature_names: list | None  # the CSV's column names, saved with the model


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
    kwargs = {"random_state": args.random_state, "verbose": 0 if args.quiet else 1,
              "link": getattr(args, "link", "softmax"),
              "calibrate": "temperature" if getattr(args, "calibrate", False) else None}
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
    return TrainResult(clf, Xte, yte, rows, len(ytr), Xtr.shape[1], sd, names)


def comparison_table(rows) -> str:
    """The rows of :class:`TrainResult` as a Markdown table."""
    lines = ["| model | train accuracy | test accuracy | test log loss | fit s | epochs/iters |",
             "|---|---|---|---|---|---|"]
    for name, a, b, ll, t, it in rows:
        lines.append(f"| {name} | {a:.4f} | {b:.4f} | {ll:.4f} | {t:.2f} | {it} |")
    return "\n".join(lines)


def save(clf, path, feature_names=None) -> None:
    """``--save``: write the model, or say why not (UsageError). ``feature_names`` (a
    CSV's columns) go into the model, so predict matches columns by name."""
    if not path:
        return
    clf.set_params(verbose=0)  # the progress bar was for this run, not the model's users
    if feature_names is not None:
        clf.feature_names_in_ = np.asarray(feature_names, dtype=object)
    try:
        clf.save(path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    print(f"\nmodel saved to {path}")


