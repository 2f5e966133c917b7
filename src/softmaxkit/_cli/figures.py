"""Every figure of :mod:`softmaxkit.plot` by name, for ``softmaxkit plot`` and the demo.

Each entry of ``FIGURES`` knows its title, the sentence that explains it, the options it
takes and how to draw it from parsed options (and a trained model, for the classifier's).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._core import optional
from .._core.datasets import CLASS_NAMES
from .._plotting import figures as plot
from .._plotting.figures import save_figure
from .base import UsageError, parse_rows
from .calibration import scaler_class
from .training import BUNDLED, load_split
from .training import train as fit

FORMATS = (".png", ".svg", ".pdf")
MAX_N = 10_000_000  # output-range: each N draws N numbers (80 MB at this bound)
IMAGE_SHAPES = {"digits": (8, 8), "fashion-mnist": (28, 28)}
# the demo's grid: learning rates x cs231n-style regularization strengths
GRID_LEARNING_RATES = (1e-3, 1e-2, 1e-1)
GRID_REGULARIZATIONS = (1e-4, 1e-3, 1e-2, 1e-1)


@dataclass(frozen=True)
class FigureSpec:
    name: str
    title: str
    caption: str
    draw: Callable[[argparse.Namespace, Any], Any]  # (options, trained model or None)
    options: tuple[str, ...] = ()
    classifier: bool = False


def _values(args, *, two_d=False):
    if args.values is None:
        return None
    arr = parse_rows(args.values.replace(";", "\n"), "--values", keep_2d=two_d)
    if not two_d and arr.ndim != 1:
        raise UsageError("--values: expected one row of numbers (rows are for axis-heatmaps)")
    return arr


def _numbers(text, option, *, integer=False, high=None):
    """A list of at most 1000 numbers (integers up to ``high`` with ``integer``); the
    figure itself checks the rest (finite, > 0) and says so in its own words."""
    arr = np.atleast_1d(parse_rows(text.replace(";", " "), option))
    if arr.ndim != 1:
        raise UsageError(f"{option}: expected one list of numbers")
    if arr.size > 1000:
        raise UsageError(f"{option}: at most 1000 values, got {arr.size}")
    if integer:
        with np.errstate(invalid="ignore"):
            whole = np.all(np.isfinite(arr) & (arr == np.round(arr)))
        if not whole or (high is not None and np.any(arr > high)):
            raise UsageError(f"{option}: expected integers from 1 to {high}, got {text!r}")
        return arr.astype(np.int64)
    return arr


def _kwargs(args, **names):
    """Keyword arguments for the options the user gave (the library's defaults otherwise)."""
    return {k: v(getattr(args, opt)) for k, (opt, v) in names.items()
            if getattr(args, opt) is not None}


def _grid(args, trained):
    clf, data = trained.clf, trained.grid_data
    search = optional.classifier().softmax_grid_search
    results = search(*data, GRID_LEARNING_RATES, GRID_REGULARIZATIONS,
                     max_epochs=30, random_state=args.random_state,
                     verbose=0 if args.quiet else 1,
                     batch_size=getattr(clf, "batch_size", 256))
    return plot.grid_search_heatmap(results)


FIGURES = {spec.name: spec for spec in (
    FigureSpec(
        "exp-curve", "The exponential",
        "Softmax exponentiates its inputs: eˣ is positive for every x, so every input gets "
        "a positive weight, and it grows fast, so a larger input takes a much larger share.",
        lambda a, _: plot.exp_curve()),
    FigureSpec(
        "softmax-vs-input", "Softmax against its input",
        "softmax of 25 random integers against the integers. The outputs sum to 1 (title); "
        "on the log axis they lie on one straight line, because log σᵢ = zᵢ − logsumexp(z).",
        lambda a, _: plot.softmax_vs_input(_values(a), **_kwargs(a, seed=("seed", int))),
        ("values", "seed")),
    FigureSpec(
        "agreement", "Agreement with an independent implementation",
        "softmaxkit's softmax against PyTorch's nn.Softmax (SciPy's softmax when PyTorch is "
        "not installed) on the same numbers: the points lie on the diagonal, r = 1.",
        lambda a, _: plot.agreement(_values(a), **_kwargs(a, seed=("seed", int))),
        ("values", "seed")),
    FigureSpec(
        "output-range", "Outputs shrink as N grows",
        "With N inputs the outputs average 1/N: the largest and smallest outputs of softmax "
        "over N random numbers fall as N grows, while every sum stays 1.",
        lambda a, _: plot.output_range(
            **_kwargs(a, ns=("ns", lambda t: _numbers(t, "--ns", integer=True,
                                                      high=MAX_N)),
                      seed=("seed", int))),
        ("ns", "seed")),
    FigureSpec(
        "softmax-vs-std-norm", "Softmax versus plain normalization",
        "x / sum(x) gives [1/3, 2/3] for both [1, 2] and [10, 20]; softmax depends on the "
        "differences, so it is unsure of [1, 2] and almost certain of [10, 20].",
        lambda a, _: plot.softmax_vs_std_norm()),
    FigureSpec(
        "smooth-max-vs-max", "Log-sum-exp is a smooth maximum",
        "log(eᵏˣ + e³ᵏ)/k for k = 1 … 10 against max(x, 3): it is never below the maximum, "
        "at most log(2)/k above it, and sharpens into it as k grows.",
        lambda a, _: plot.smooth_max_vs_max(
            **_kwargs(a, ks=("ks", lambda t: _numbers(t, "--ks")))),
        ("ks",)),
    FigureSpec(
        "temperature-sweep", "Temperature",
        "softmax(z / T): a small temperature sharpens the distribution towards the argmax "
        "(entropy near 0), a large one flattens it towards uniform (entropy near log n).",
        lambda a, _: plot.temperature_sweep(
            *(() if a.values is None else (_values(a),)),
            **_kwargs(a, temperatures=("temperatures",
                                       lambda t: _numbers(t, "--temperatures")))),
        ("values", "temperatures")),
    FigureSpec(
        "sparsemax-vs-softmax", "Sparsemax: probabilities with exact zeros",
        "Sparsemax projects the logits onto the simplex: on two classes it is a clipped "
        "line that reaches 0 and 1 where softmax's curve never does; as the temperature "
        "falls, sparsemax's entries drop to exactly 0 one by one, softmax's only shrink.",
        lambda a, _: plot.sparsemax_vs_softmax(
            *(() if a.values is None else (_values(a),)),
            **_kwargs(a, temperatures=("temperatures",
                                       lambda t: _numbers(t, "--temperatures")))),
        ("values", "temperatures")),
    FigureSpec(
        "attention-weights", "Attention weights: causal mask, ALiBi and a sink",
        "One head's softmax over random scores (queries in rows, keys in columns): the "
        "causal mask removes the keys after each query, ALiBi fades distant keys, and a "
        "sink takes part of each row's mass, so the rows sum to less than 1.",
        lambda a, _: plot.attention_weights()),
    FigureSpec(
        "axis-heatmaps", "The axis of a softmax",
        "The same 3 × 2 array softmaxed over axis 0 (each column sums to 1) and over axis 1 "
        "(each row sums to 1): nn.Softmax(dim) normalizes along dim, not across it.",
        lambda a, _: plot.axis_heatmaps(
            *(() if a.values is None else (_values(a, two_d=True),))),
        ("values",)),
    FigureSpec(
        "loss-curve", "Training loss",
        "The classifier's mean cross-entropy (plus the L2 penalty) per epoch of minibatch "
        "training with Adam. It falls fast, then levels off; where it rises for a few "
        "epochs, Adam's step overshoots until the adaptive schedule divides it by 5.",
        lambda a, t: plot.loss_curve(t.clf), classifier=True),
    FigureSpec(
        "weight-templates", "What each class looks for",
        "Each row of the weight matrix W drawn as an image, one weight per pixel of the "
        "input: a linear classifier scores a class by matching the input against this "
        "template.",
        lambda a, t: plot.weight_templates(t.clf, IMAGE_SHAPES[a.dataset],
                                              class_names=t.class_names,
                                              scale=t.feature_scale), classifier=True),
    FigureSpec(
        "confusion-matrix", "Confusion matrix",
        "Test samples by true class (rows) and predicted class (columns); the diagonal holds "
        "the correct predictions, the rest shows which classes are confused.",
        lambda a, t: plot.confusion_matrix(t.y_test, t.clf.predict(t.X_test),
                                              labels=t.clf.classes_, names=t.class_names),
        classifier=True),
    FigureSpec(
        "reliability-diagram", "Calibration, before and after temperature scaling",
        "Test accuracy against the predicted probability of the chosen class, in 10 bins: a "
        "calibrated classifier follows the diagonal; the expected calibration error is "
        "the weighted gap. Right: the logits divided by the temperature that temperature "
        "scaling fits on the other half of the test samples; the predicted classes do not "
        "change.",
        lambda a, t: _temperature_scaling(t), classifier=True),
    FigureSpec(
        "grid-search-heatmap", "Learning rate × regularization",
        "cs231n's search: validation accuracy of a classifier trained for 30 epochs at each "
        "learning rate and regularization strength; the best pair is outlined.",
        _grid, classifier=True),
)}
CLASSIFIER_OPTIONS = ("dataset", "target", "epochs", "random_state")


def _temperature_scaling(t):
    """The reliability diagrams of every other test sample before and after temperature
    scaling, the temperature fit on the rest (samples the classifier never saw)."""
    z = t.X_test @ t.clf.coef_.T + t.clf.intercept_
    columns = np.searchsorted(t.clf.classes_, t.y_test)
    scaler = scaler_class()().fit(z[::2], columns[::2])
    return plot.temperature_scaling(t.y_test[1::2], z[1::2], scaler.temperature_,
                                    classes=t.clf.classes_)


@dataclass
class Trained:
    """A trained classifier and what its figures need."""

    clf: Any
    X_test: np.ndarray
    y_test: np.ndarray
    feature_scale: np.ndarray
    class_names: list | None
    grid_data: tuple  # (X_train, y_train, X_val, y_val), standardized
    rows: list


def _class_names(dataset, classes):
    """What to call the classes in figures: the dataset's own names (Fashion-MNIST's
    garments, iris's species, ...), else the labels themselves."""
    if dataset == "fashion-mnist":
        return [CLASS_NAMES[c] for c in classes]
    if dataset in BUNDLED:
        import sklearn.datasets as ds

        names = getattr(ds, f"load_{dataset}")().target_names
        return [str(names[c]) for c in classes]
    return [str(c) for c in classes]


def train(dataset: str, *, epochs=None, random_state=0, quiet=False, compare=False,
          target=None) -> Trained:
    """Train on a bundled dataset, Fashion-MNIST or a CSV as ``softmaxkit train`` does."""
    ns = argparse.Namespace(dataset=dataset, target=target, data_dir=None, test_size=0.25,
                            epochs=epochs, random_state=random_state, save=None,
                            compare=compare, quiet=quiet)
    res = fit(ns)
    class_names = _class_names(dataset, res.clf.classes_)
    if dataset == "fashion-mnist":
        grid = None
    else:
        Xtr, _, ytr, _, _, _ = load_split(ns)
        mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
        Z = (Xtr - mu) / np.where(sd > 0, sd, 1.0)
        # the validation set: every fifth training sample (the test set stays unseen)
        val = np.zeros(len(ytr), dtype=bool)
        val[::5] = True
        grid = (Z[~val], ytr[~val], Z[val], ytr[val])
    return Trained(res.clf, res.X_test, res.y_test, res.feature_scale, class_names, grid,
                   res.rows)


def check_output(path: str) -> Path:
    """The output path, if a figure can be written there (UsageError otherwise)."""
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise UsageError(f"{path}: unsupported figure format {p.suffix!r} (use .png, .svg "
                         "or .pdf)")
    directory = p.parent if str(p.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"{path}: cannot write: directory {str(directory)!r} does not exist")
    if p.is_dir():
        raise UsageError(f"{path}: cannot write: it is a directory")
    return p


def save(result, path: Path) -> None:
    """Save a figure drawn by a spec and close it (its Figure is freed)."""
    try:
        save_figure(result, path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        fig = np.ravel(np.asarray(result, dtype=object))[0].figure
        fig.clear()
