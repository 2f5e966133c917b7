"""``softmaxkit demo``: the worked examples, the classifier and every figure, as a report."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
from pathlib import Path

import numpy as np

from ..._api.family import log_softmax, logsumexp, smooth_max, softmax, std_norm
from ..._core.datasets import DEFAULT_FASHION_MNIST_DIR
from ..._core.version import __version__
from ..._plotting import report
from ..._plotting.report import ReportFigure, ReportSection, ReportTable
from ..base import UsageError
from ..figures import FIGURES, IMAGE_SHAPES, save, train
from ..training import comparison_table


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


SKLEARN_HINT = "needs scikit-learn: pip install 'softmaxkit[sklearn]'"
PLOT_HINT = "figures need matplotlib: pip install 'softmaxkit[plot]'"
TABLE_COLUMNS = ["model", "train accuracy", "test accuracy", "test log loss", "fit s",
                 "epochs/iters"]


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _prepare(directory: str) -> Path:
    if not directory.strip():
        raise UsageError("--out: the directory name is empty")
    out = Path(directory)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"--out: {directory}: exists and is not a directory") from None
    except OSError as exc:
        raise UsageError(f"--out: {directory}: cannot create: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise UsageError(f"--out: {directory}: not writable")
    return out


def _fashion_mnist_available() -> bool:

    return Path(DEFAULT_FASHION_MNIST_DIR).is_dir()


def _table(rows) -> list[list[str]]:
    return [[name, f"{a:.4f}", f"{b:.4f}", f"{ll:.4f}", f"{t:.2f}", str(it)]
            for name, a, b, ll, t, it in rows]


class _Figures:
    """Draws specs into the output directory and collects them for the report."""

    def __init__(self, out: Path, args):
        self.out, self.args, self.written = out, args, []

    def draw(self, name: str, trained=None, *, prefix: str = "", title: str = ""):

        spec = FIGURES[name]
        file = f"{prefix}{name}.png"
        save(spec.draw(self.args, trained), self.out / file)
        self.written.append(file)
        return ReportFigure(file, title or spec.title, spec.caption)


def _classifier_section(figures: _Figures, dataset: str, title: str, *, compare: bool,
                        quiet: bool, grid: bool) -> ReportSection:

    _title(title)
    trained = train(dataset, quiet=quiet, compare=compare)
    print(f"{len(trained.y_test)} test samples, {len(trained.clf.classes_)} classes")
    print(comparison_table(trained.rows))
    section = ReportSection(title, tables=[ReportTable(
        (f"{dataset}: both models on the same split and the same standardized features"
         if compare else
         f"{dataset}: softmaxkit on the official split, pixels / 255"
         if dataset == "fashion-mnist" else
         f"{dataset}: softmaxkit on a 25 % stratified split, standardized features"),
        TABLE_COLUMNS, _table(trained.rows),
        "" if compare else "scikit-learn's LogisticRegression (lbfgs) takes over a minute "
        "here; make bench measures it next to softmaxkit.")])
    if figures is None:
        return section
    figures.args.dataset = dataset
    prefix = f"{dataset}-"
    names = ["loss-curve", "confusion-matrix", "reliability-diagram"]
    if dataset in IMAGE_SHAPES:
        names.insert(1, "weight-templates")
    if grid:
        names.append("grid-search-heatmap")
    section.figures += [figures.draw(n, trained, prefix=prefix) for n in names]
    return section


def run(args) -> int:
    """Entry point of ``softmaxkit demo``."""
    have_plot = _has("matplotlib")
    # the folder is made only when there is something to write into it
    out = _prepare(args.out) if have_plot else None
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        worked_examples()
    print("softmaxkit demo: the worked examples of the notes")
    print(buffer.getvalue(), end="")
    figures = None
    sections = [ReportSection("Worked examples", "Each number below is computed by "
                              "softmaxkit.", preformatted=buffer.getvalue().strip("\n"))]
    if have_plot:

        figures = _Figures(out, argparse.Namespace(
            values=None, seed=None, ns=None, ks=None, temperatures=None, dataset=None,
            epochs=None, random_state=0, quiet=args.quiet))
        notes = ReportSection("Figures of the notes")
        notes.figures = [figures.draw(s.name) for s in FIGURES.values() if not s.classifier]
        sections.append(notes)
    else:
        print(f"\n({PLOT_HINT})")
    if _has("sklearn"):
        sections.append(_classifier_section(
            figures, "digits", "6. A linear softmax classifier: digits, next to scikit-learn",
            compare=True, quiet=args.quiet, grid=True))
        if _fashion_mnist_available():
            sections.append(_classifier_section(
                figures, "fashion-mnist", "7. Fashion-MNIST: 60,000 images of 784 pixels",
                compare=False, quiet=args.quiet, grid=False))
        else:
            print("\n(Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist)")
    else:
        print(f"\n(the classifier {SKLEARN_HINT})")
    if figures is None:
        return 0

    path = report.write(out, "softmaxkit demo",
                        "The worked examples of the softmax notes, their figures, and the "
                        "softmax classifier next to scikit-learn, all computed by softmaxkit "
                        f"{__version__}.", sections)
    print(f"\n{len(figures.written)} figures and the report written to {out}/")
    print(f"report: {path}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="the worked examples, the classifier and every figure, as a report",
        description="Print the worked examples of the notes (softmax of [1, 2, 3], softmax "
        "versus plain normalization, log-softmax, the smooth maximum, softmax over each axis "
        "of a 3x2 array), train the classifier on digits (and Fashion-MNIST when installed) "
        "next to scikit-learn, and write every figure and report.html to DIR.",
    )
    p.add_argument("--out", metavar="DIR", default="softmaxkit-demo",
                   help="where the figures and report.html go (default: ./softmaxkit-demo)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)
