"""SoftmaxClassifier against scikit-learn's LogisticRegression(max_iter=1000), same run.

Not a test: prints a markdown table and writes ``benchmarks/results/classifier.json``.
Fashion-MNIST (pixels / 255, the official split; needs Debian's dataset-fashion-mnist),
digits and iris (standardized, 25 % stratified test split, random_state=0).

    python benchmarks/bench_classifier.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time

from report import Report
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import softmaxkit as sk
from softmaxkit.datasets import load_fashion_mnist

report = Report("classifier", "The classifier against scikit-learn")


def datasets(quick):
    for name, loader in (("iris", load_iris), ("digits", load_digits)):
        X, y = loader(return_X_y=True)
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
        scaler = StandardScaler().fit(Xtr)
        yield name, scaler.transform(Xtr), scaler.transform(Xte), ytr, yte
    try:
        d = load_fashion_mnist()
    except FileNotFoundError as exc:
        report(f"(skipping Fashion-MNIST: {str(exc).split('.')[0]})")
        return
    if quick:  # a tenth of the training set: a smoke run, not the target
        yield "fashion-mnist (6000 train)", d.X_train[:6000], d.X_test, d.y_train[:6000], d.y_test
    else:
        yield "fashion-mnist", d.X_train, d.X_test, d.y_train, d.y_test


def measure(model, Xtr, Xte, ytr, yte):
    t0 = time.perf_counter()
    model.fit(Xtr, ytr)
    fit = time.perf_counter() - t0
    return {"accuracy": model.score(Xte, yte),
            "log_loss": log_loss(yte, model.predict_proba(Xte), labels=model.classes_),
            "fit_s": fit}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    sk.set_num_threads(2)
    rows = []
    report("| dataset | softmaxkit acc | sklearn acc | softmaxkit log loss | sklearn log loss |"
           " softmaxkit fit s | sklearn fit s | fit time ratio |")
    report("|---|---|---|---|---|---|---|---|")
    for name, Xtr, Xte, ytr, yte in datasets(args.quick):
        ours = measure(sk.SoftmaxClassifier(random_state=0), Xtr, Xte, ytr, yte)
        theirs = measure(LogisticRegression(max_iter=1000), Xtr, Xte, ytr, yte)
        rows.append({"dataset": name, "softmaxkit": ours, "sklearn": theirs})
        report(f"| {name} | {ours['accuracy']:.4f} | {theirs['accuracy']:.4f} | "
               f"{ours['log_loss']:.4f} | {theirs['log_loss']:.4f} | {ours['fit_s']:.2f} | "
               f"{theirs['fit_s']:.2f} | {theirs['fit_s'] / ours['fit_s']:.1f}× |")
        sys.stdout.flush()
    report.save(rows, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
