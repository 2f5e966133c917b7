"""``softmaxkit demo``: the worked examples of the notes, computed by the library."""

from __future__ import annotations

import numpy as np

from ._functions import log_softmax, logsumexp, smooth_max, softmax, std_norm


def _title(text: str) -> None:
    print()
    print(text)
    print("-" * len(text))


def worked_examples() -> None:
    """Print the notes' worked examples, each computed by softmaxkit."""
    with np.printoptions(precision=8, suppress=False):
        _title("1. softmax(z) = exp(z) / sum(exp(z))")
        z = np.array([1.0, 2.0, 3.0])
        sigma = softmax(z)
        print(f"z              = {z}")
        print(f"softmax(z)     = {sigma}")
        print(f"sum            = {float(sigma.sum())!r}")
        print("Every output is positive and they sum to 1: a probability distribution.")

        _title("2. softmax versus plain normalization x / sum(x)")
        for label, x in (("blurry", [1.0, 2.0]), ("crisp", [10.0, 20.0])):
            print(f"{label:6s} {x!s:12s} std_norm = {std_norm(x)}   softmax = {softmax(x)}")
        print("Plain normalization ignores scale; softmax grows certain as differences grow.")

        _title("3. log-softmax stays in log space")
        x = np.array([1000.0, 1.0])
        print(f"x = {x}:  log_softmax(x) = {log_softmax(x)}")
        print("(log(softmax(x)) would give -inf for the second entry: exp(-999) underflows.)")
        print(f"log_softmax([0, -40])[0] = {float(log_softmax([0.0, -40.0])[0])!r}  (= -exp(-40))")

        _title("4. log-sum-exp is a smooth maximum; sharpness k makes it harder")
        for k in (1, 10):
            print(f"smooth_max((1, 2), k={k:<2d}) = {float(smooth_max([1.0, 2.0], k=k))!r}")
        print("Exact: 2.31326168751822283... and 2.00000453988992168...; the naive")
        print("log(exp(1) + exp(2)) in float64 gives 2.3132616875182226, one ulp low.")
        print(f"logsumexp([1, 2, 3]) = {float(logsumexp([1.0, 2.0, 3.0]))!r}  (max is 3)")

        _title("5. softmax along an axis of a 3x2 array (nn.Softmax(dim))")
        a = np.array([[1.0, 2.0], [4.0, 3.0], [5.0, 5.0]])
        print(f"a =\n{a}")
        for axis, what in ((0, "down each column"), (1, "along each row")):
            s = softmax(a, axis=axis)
            print(f"\nsoftmax(a, axis={axis})  ({what}):\n{s}")
            print(f"sum over axis 0: {s.sum(axis=0)}   sum over axis 1: {s.sum(axis=1)}")
        print("\nThe sums equal to 1 are those over the axis the softmax was taken along.")


def classifier_comparison() -> None:
    """Train the softmax classifier on digits next to scikit-learn's LogisticRegression."""
    _title("6. A linear softmax classifier: digits, next to scikit-learn")
    try:
        from argparse import Namespace

        from ._train_cli import cmd_train
    except ImportError:  # pragma: no cover - scikit-learn is an optional extra
        print("(needs scikit-learn: pip install 'softmaxkit[sklearn]')")
        return
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("(needs scikit-learn: pip install 'softmaxkit[sklearn]')")
        return
    cmd_train(Namespace(dataset="digits", target=None, data_dir=None, test_size=0.25,
                        epochs=None, random_state=0, save=None, compare=True, quiet=False))


def run(args) -> int:
    """Entry point of ``softmaxkit demo``."""
    print("softmaxkit demo: the worked examples of the notes")
    worked_examples()
    classifier_comparison()
    return 0
