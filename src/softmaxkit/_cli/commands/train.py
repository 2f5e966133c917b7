"""``softmaxkit train``: train the classifier and report it (on a Dask cluster with
``--scheduler`` or ``--data``)."""

from __future__ import annotations

from ..._api.family import softmax
from ..base import UsageError, check_output_file, count, fraction
from ..calibration import report
from ..dask_cluster import train_on_dask
from ..training import comparison_table, confusion, save, train


def add_parser(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a softmax classifier and report its accuracy",
        description="Train SoftmaxClassifier on a bundled dataset, Fashion-MNIST or a CSV "
        "file; print train/test accuracy, log loss and the confusion matrix.",
        epilog="Example: softmaxkit train --dataset digits --compare --save digits.skm",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset",
                        help="iris, digits, wine, breast_cancer, fashion-mnist or PATH.csv")
    source.add_argument("--data", metavar="PATH",
                        help="features as a .npy file or a Zarr store, read lazily with Dask "
                        "(larger than memory is fine; needs --labels)")
    p.add_argument("--labels", metavar="PATH", help="with --data: the labels (.npy or Zarr)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="train on a Dask cluster: a scheduler address, or local[:N] for a "
                   "local cluster of N worker processes (default N: the CPUs)")
    p.add_argument("--target", help="the CSV's target column (default: the last)")
    p.add_argument("--data-dir", help="where Fashion-MNIST's files are (default: Debian's)")
    p.add_argument("--test-size", type=fraction, default=0.25, help="default: 0.25")
    p.add_argument("--link", choices=("softmax", "sparsemax", "entmax15"), default="softmax",
                   help="the map to probabilities and its loss (default: softmax)")
    p.add_argument("--epochs", type=count, help="maximum epochs (default: the estimator's)")
    p.add_argument("--random-state", type=int, default=0, help="default: 0")
    p.add_argument("--save", metavar="FILE", help="write the model (softmaxkit predict reads it)")
    p.add_argument("--compare", action="store_true",
                   help="also fit scikit-learn's LogisticRegression on the same split")
    p.add_argument("--calibrate", action="store_true",
                   help="hold out 10%% of the training data, fit a temperature on it, and "
                   "report calibration on the test split before and after")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.save is not None:  # before minutes of training, not after
        check_output_file(args.save)
    if getattr(args, "data", None) is not None or getattr(args, "scheduler", None):
        if args.link != "softmax":
            raise UsageError(f"--link {args.link} trains in memory; --data and --scheduler "
                             "(Dask) train with softmax")
        if args.calibrate:
            raise UsageError("--calibrate fits in memory; with --data or --scheduler, save "
                             "the model and run 'softmaxkit calibrate' on held-out logits")
        return train_on_dask(args)
    if getattr(args, "labels", None) is not None:
        raise UsageError("--labels goes with --data")
    if args.calibrate and args.link != "softmax":
        raise UsageError(f"--calibrate fits a temperature to the softmax; --link {args.link} "
                         "has none")
    res = train(args)
    clf = res.clf
    print(f"{args.dataset}: {res.n_train} training and {len(res.y_test)} test samples, "
          f"{res.n_features} features, {len(clf.classes_)} classes")
    print()
    print(comparison_table(res.rows))
    print()
    print(confusion(res.y_test, clf.predict(res.X_test), clf.classes_))
    if args.calibrate:
        z = res.X_test @ clf.coef_.T + clf.intercept_
        print()
        print(f"temperature: {clf.temperature_:.6g} (fit on a held-out tenth of the "
              "training split); calibration on the test split:")
        print()
        print(report(res.y_test, softmax(z, axis=1), clf.predict_proba(res.X_test),
                     classes=clf.classes_))
    save(clf, args.save, res.feature_names)
    return 0


