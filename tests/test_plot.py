"""softmaxkit.plot: every figure renders with Agg and draws the right numbers.

The data on the Axes (line y values, bar heights, image arrays, texts) is read back and
compared with independent computations (SciPy, scikit-learn, plain NumPy), not with the
plotting code's own arithmetic.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats

import softmaxkit as sk

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

from softmaxkit import plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    """Every figure a test makes is cleared when it ends (none is left in pyplot)."""
    import softmaxkit._plotting.figures as impl

    made, original = [], impl._figure

    def tracking(figsize):
        fig = original(figsize)
        made.append(fig)
        return fig

    impl._figure = tracking
    yield made
    impl._figure = original
    for fig in made:
        fig.clear()


def points(line):
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def bar_heights(ax, label):
    (container,) = [c for c in ax.containers if c.get_label() == label]
    return np.array([r.get_height() for r in container])


# --------------------------------------------------------------------- figures of notes


def test_exp_curve_draws_exp_and_is_never_negative():
    ax = plot.exp_curve()
    x, y = points(ax.get_lines()[0])
    np.testing.assert_allclose(y, np.exp(x), rtol=1e-15)
    assert x.min() < 0 < x.max() and np.all(y > 0)
    assert ax.get_xlabel() == "x" and ax.get_title()


def test_softmax_vs_input_plots_softmax_on_linear_and_log_axes():
    z = [12, -3, 8, -1, 11, 1, 12, 1, 4, 6, 2, 9, 0]
    lin, log = plot.softmax_vs_input(z)
    assert lin.get_yscale() == "linear" and log.get_yscale() == "log"
    for ax in (lin, log):
        x, y = points(ax.get_lines()[0])
        np.testing.assert_array_equal(x, z)
        np.testing.assert_allclose(y, sp.softmax(np.array(z, float)), rtol=1e-14)
        total = float(re.search(r"= ([0-9.e+-]+)$", ax.get_title()).group(1))
        assert total == pytest.approx(1.0, abs=1e-6)
    # on the log axis: log(sigma) - z is one constant (a straight line)
    _, y = points(log.get_lines()[0])
    assert np.ptp(np.log(y) - np.array(z)) < 1e-12


def test_softmax_vs_input_default_is_the_notes_random_integers():
    lin, _ = plot.softmax_vs_input(seed=3)
    x, y = points(lin.get_lines()[0])
    assert x.size == 25 and np.all(x == np.round(x)) and x.min() >= -5 and x.max() < 15
    np.testing.assert_allclose(y, sp.softmax(x), rtol=1e-14)
    lin2, _ = plot.softmax_vs_input(seed=3)
    np.testing.assert_array_equal(points(lin2.get_lines()[0])[0], x)


def test_agreement_compares_with_an_independent_softmax():
    z = np.array([3.0, -1.0, 0.5, 7.0, 2.0])
    ax = plot.agreement(z)
    x, y = points(ax.get_lines()[1])
    np.testing.assert_allclose(x, sk.softmax(z), rtol=0)
    np.testing.assert_allclose(y, sp.softmax(z), rtol=1e-14)
    r = float(re.search(r"r = ([0-9.e+-]+)", ax.get_title()).group(1))
    assert r == pytest.approx(np.corrcoef(sp.softmax(z), sp.softmax(z))[0, 1], abs=1e-12)
    assert ax.get_ylabel() in ("PyTorch nn.Softmax", "SciPy special.softmax")


def test_output_range_shows_shrinking_outputs_whose_sum_is_one():
    ns = [2, 10, 100, 1000]
    ax = plot.output_range(ns, seed=5)
    by_label = {line.get_label(): points(line) for line in ax.get_lines()}
    rng = np.random.default_rng(5)
    expected = [sp.softmax(rng.standard_normal(n)) for n in ns]
    np.testing.assert_allclose(by_label["largest output"][1], [e.max() for e in expected],
                               rtol=1e-13)
    np.testing.assert_allclose(by_label["smallest output"][1], [e.min() for e in expected],
                               rtol=1e-13)
    np.testing.assert_allclose(by_label["mean output = 1/N"][1], 1 / np.array(ns), rtol=0)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "every sum is 1" in ax.get_title()


def test_softmax_vs_std_norm_bars():
    blurry, crisp = plot.softmax_vs_std_norm()
    for ax, x in ((blurry, np.array([1.0, 2.0])), (crisp, np.array([10.0, 20.0]))):
        np.testing.assert_allclose(bar_heights(ax, "x / sum(x)"), x / x.sum(), rtol=1e-15)
        np.testing.assert_allclose(bar_heights(ax, "softmax(x)"), sp.softmax(x), rtol=1e-14)
    # plain normalization cannot tell them apart; softmax can
    assert np.allclose(bar_heights(blurry, "x / sum(x)"), bar_heights(crisp, "x / sum(x)"))
    assert bar_heights(crisp, "softmax(x)")[1] > 0.9999 > bar_heights(blurry, "softmax(x)")[1]


def test_smooth_max_vs_max_curves_and_bounds():
    ks = [1, 2.5, 10]
    ax = plot.smooth_max_vs_max(ks, c=3.0)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["k = 1", "k = 2.5", "k = 10", "max(x, 3)"]
    x, hard = points(lines[-1])
    np.testing.assert_array_equal(hard, np.maximum(x, 3.0))
    for k, line in zip(ks, lines):
        xs, y = points(line)
        np.testing.assert_allclose(y, np.logaddexp(k * xs, 3.0 * k) / k, rtol=1e-15)
        gap = y - np.maximum(xs, 3.0)
        assert np.all(gap >= 0) and np.all(gap <= math.log(2) / k * (1 + 1e-12))


def test_temperature_sweep_lines_and_entropies():
    z, ts = np.array([1.0, 2.0, 3.0, 4.0]), [0.1, 1.0, 100.0]
    ax = plot.temperature_sweep(z, ts)
    for t, line in zip(ts, ax.get_lines()):
        p = sp.softmax(z / t)
        np.testing.assert_allclose(points(line)[1], p, rtol=1e-13, atol=1e-300)
        shown = float(re.search(r"entropy ([0-9.e+-]+) nats", line.get_label()).group(1))
        assert shown == pytest.approx(scipy.stats.entropy(p), rel=1e-2, abs=1e-3)
    entropies = [scipy.stats.entropy(sp.softmax(z / t)) for t in ts]
    assert entropies[0] < 0.01 and abs(entropies[-1] - math.log(4)) < 1e-3


def test_axis_heatmaps_show_both_axes_and_the_sums():
    x = np.array([[1.0, 2.0, 0.5], [4.0, 3.0, -1.0]])
    ax0, ax1 = plot.axis_heatmaps(x)
    for ax, axis in ((ax0, 0), (ax1, 1)):
        (image,) = ax.get_images()
        np.testing.assert_allclose(image.get_array(), sp.softmax(x, axis=axis), rtol=1e-14)
        sums = [t.get_text() for t in ax.texts if t.get_gid() == "sum"]
        assert sums == ["Σ = 1"] * x.shape[1 - axis]
        cells = [t for t in ax.texts if t.get_gid() != "sum"]
        assert len(cells) == x.size
        shown = np.array([float(t.get_text()) for t in cells]).reshape(x.shape)
        np.testing.assert_allclose(shown, sp.softmax(x, axis=axis), atol=5e-4)
    assert "column" in ax0.get_title() and "row" in ax1.get_title()


# ------------------------------------------------------------------- classifier figures


@pytest.fixture(scope="module")
def digits_model():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    clf = sk.SoftmaxClassifier(max_epochs=8, early_stopping=True, random_state=0).fit(X, y)
    return clf, X, y


def test_loss_curve_draws_the_recorded_losses(digits_model):
    clf, _, _ = digits_model
    ax = plot.loss_curve(clf)
    epochs, losses = points(ax.get_lines()[0])
    np.testing.assert_array_equal(losses, clf.loss_curve_)
    np.testing.assert_array_equal(epochs, np.arange(1, len(clf.loss_curve_) + 1))
    (twin,) = [a for a in ax.figure.axes if a is not ax]  # validation accuracy
    np.testing.assert_array_equal(points(twin.get_lines()[0])[1], clf.validation_scores_)


def test_weight_templates_are_the_rows_of_coef(digits_model):
    clf, _, _ = digits_model
    axes = plot.weight_templates(clf, (8, 8), class_names=[f"digit {c}" for c in range(10)])
    assert len(axes) == 10
    for k, ax in enumerate(axes):
        np.testing.assert_array_equal(ax.get_images()[0].get_array(),
                                      clf.coef_[k].reshape(8, 8))
        assert ax.get_title() == f"digit {k}"
    scale = np.linspace(1, 2, 64)
    scaled = plot.weight_templates(clf, (8, 8), scale=scale)
    np.testing.assert_allclose(scaled[3].get_images()[0].get_array(),
                               (clf.coef_[3] * scale).reshape(8, 8), rtol=1e-15)


def test_confusion_matrix_matches_scikit_learn(digits_model):
    from sklearn.metrics import confusion_matrix

    clf, X, y = digits_model
    pred = clf.predict(X)
    ax = plot.confusion_matrix(y, pred)
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), confusion_matrix(y, pred))
    ax = plot.confusion_matrix(y, pred, normalize=True)
    np.testing.assert_allclose(ax.get_images()[0].get_array(),
                               confusion_matrix(y, pred, normalize="true"), rtol=1e-15)
    acc = float(re.search(r"accuracy ([0-9.]+)", ax.get_title()).group(1))
    assert acc == pytest.approx(np.mean(pred == y), abs=1e-4)


def ece_by_loop(y, proba, n_bins):
    """Expected calibration error written out sample by sample."""
    bins = [[] for _ in range(n_bins)]
    for label, p in zip(y, proba):
        conf = max(p)
        b = min(max(math.ceil(conf * n_bins) - 1, 0), n_bins - 1)
        bins[b].append((conf, int(np.argmax(p)) == label))
    total = 0.0
    for members in bins:
        if members:
            conf = sum(c for c, _ in members) / len(members)
            acc = sum(ok for _, ok in members) / len(members)
            total += len(members) * abs(acc - conf)
    return total / len(y)


def test_reliability_diagram_and_expected_calibration_error(digits_model):
    clf, X, y = digits_model
    proba = clf.predict_proba(X)
    ece = plot.expected_calibration_error(y, proba, classes=clf.classes_)
    assert ece == pytest.approx(ece_by_loop(y, proba, 10), rel=1e-12)
    ax = plot.reliability_diagram(y, proba, classes=clf.classes_)
    assert f"ECE = {ece:.4f}" in ax.get_title()
    (bars,) = [c for c in ax.containers if c.get_label() == "accuracy"]
    conf, correct = proba.max(axis=1), proba.argmax(axis=1) == y
    for rect in bars:
        lo = rect.get_x()
        members = (conf > lo + 1e-12) & (conf <= lo + 0.1 + 1e-12)
        assert rect.get_height() == pytest.approx(correct[members].mean(), abs=1e-12)
    # a perfectly confident, always right model is calibrated
    assert plot.expected_calibration_error([0, 1], np.eye(2)) == 0.0


def test_grid_search_heatmap_pivots_the_table():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    table = sk.softmax_grid_search(X[::2], y[::2], X[1::2], y[1::2], [0.1, 0.01],
                                   [1e-3, 1e-1, 0.0], max_epochs=5)
    ax = plot.grid_search_heatmap(table)
    img = np.asarray(ax.get_images()[0].get_array())
    assert img.shape == (2, 3)
    for row in table:
        i = [0.01, 0.1].index(row["learning_rate"])
        j = [0.0, 1e-3, 1e-1].index(row["reg"])
        assert img[i, j] == row["val_accuracy"]
    (box,) = ax.patches
    bi, bj = np.unravel_index(np.argmax(img), img.shape)
    assert box.get_xy() == (bj - 0.5, bi - 0.5)


# ------------------------------------------------------------------------ conventions


def test_drawing_on_given_axes():
    fig = Figure()
    ax = fig.add_subplot()
    assert plot.exp_curve(ax=ax) is ax
    a, b = Figure().subplots(1, 2)
    got = plot.axis_heatmaps(ax=[a, b])
    assert got[0] is a and got[1] is b
    with pytest.raises(TypeError, match="axis_heatmaps: 'ax' must be a sequence of 2"):
        plot.axis_heatmaps(ax=a)
    with pytest.raises(TypeError, match="exp_curve: 'ax' must be a matplotlib Axes"):
        plot.exp_curve(ax="left")


@pytest.mark.parametrize("call, message", [
    (lambda: plot.softmax_vs_input([[1, 2]]), "'z' must be a non-empty 1-D array"),
    (lambda: plot.softmax_vs_input([]), "'z' must be a non-empty 1-D array"),
    (lambda: plot.agreement([1, np.nan]), "'z' must be finite"),
    (lambda: plot.softmax_vs_input(["a", "b"]), "must hold real numbers"),
    (lambda: plot.output_range([0, 5]), "'ns' must be a non-empty sequence of integers >= 1"),
    (lambda: plot.output_range([2.5]), "'ns' must be"),
    (lambda: plot.smooth_max_vs_max([1, -2]), "'ks' must be finite numbers > 0"),
    (lambda: plot.smooth_max_vs_max([1], c=np.inf), "'c' must be finite"),
    (lambda: plot.temperature_sweep([1, 2], [0.0]), "'temperatures' must be finite numbers > 0"),
    (lambda: plot.axis_heatmaps([1, 2]), "'x' must be a non-empty 2-D array"),
    (lambda: plot.confusion_matrix([0, 1], [0]), "must be 1-D of one length"),
    (lambda: plot.confusion_matrix([0, 1], [0, 2], labels=[0, 1]), "labels [2] are not in"),
    (lambda: plot.reliability_diagram([0], [[0.5, 1.5]]), "probabilities in [0, 1]"),
    (lambda: plot.reliability_diagram([0, 1], [[1.0, 0.0]]), "'proba' must be"),
    (lambda: plot.reliability_diagram([0], [[1.0, 0.0]], n_bins=0), "'n_bins' must be"),
    (lambda: plot.grid_search_heatmap(np.zeros(3)), "softmax_grid_search's table"),
    (lambda: plot.loss_curve(object()), "'clf' must be a fitted classifier"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert message in str(info.value)


def test_weight_templates_checks_the_image_shape(digits_model):
    clf, _, _ = digits_model
    with pytest.raises(ValueError, match=r"'image_shape' \(7, 8\) does not hold the 64"):
        plot.weight_templates(clf, (7, 8))
    with pytest.raises(ValueError, match="'class_names' has 2 names for 10 classes"):
        plot.weight_templates(clf, (8, 8), class_names=["a", "b"])


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"),
                                           (".pdf", b"%PDF")])
def test_save_figure_formats(tmp_path, suffix, magic):
    path = plot.save_figure(plot.softmax_vs_std_norm(), tmp_path / f"f{suffix}")
    assert path.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [f"f{suffix}"]


def test_save_figure_refuses_and_leaves_nothing(tmp_path):
    ax = plot.exp_curve()
    with pytest.raises(ValueError, match="unsupported format '.jpgx'"):
        plot.save_figure(ax, tmp_path / "f.jpgx")
    with pytest.raises(OSError):
        plot.save_figure(ax, tmp_path / "missing" / "f.png")
    (tmp_path / "f.png").write_bytes(b"old")
    # a failure while drawing keeps the old file and removes the temporary one
    ax.figure.savefig = None
    with pytest.raises(TypeError):
        plot.save_figure(ax, tmp_path / "f.png")
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]
    assert (tmp_path / "f.png").read_bytes() == b"old"


def test_no_pyplot_and_lazy_import():
    code = ("import sys, softmaxkit\n"
            "assert 'matplotlib' not in sys.modules\n"
            "from softmaxkit import plot\n"
            "assert 'matplotlib' not in sys.modules\n"
            "for f in (plot.exp_curve, plot.softmax_vs_std_norm, plot.axis_heatmaps):\n"
            "    f()\n"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
            "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and r.stdout == "ok\n", r.stderr


# ------------------------------------- layout: what a reader saw overlap, now kept apart


def _boxes(fig, artists):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # positions as drawn (constrained layout applied)
    canvas.draw()
    renderer = canvas.get_renderer()
    return [a.get_window_extent(renderer) for a in artists]


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_axis_heatmaps_sum_labels_clear_the_axis_labels_and_titles():
    axes = plot.axis_heatmaps()
    fig = axes[0].figure
    for ax in axes:
        sums = [t for t in ax.texts if t.get_gid() == "sum"]
        others = [ax.xaxis.label, ax.yaxis.label, ax.title, *ax.get_xticklabels(),
                  *ax.get_yticklabels()]
        boxes_sums, boxes_others = _boxes(fig, sums), _boxes(fig, others)
        for s in boxes_sums:
            assert not any(_overlap(s, o) for o in boxes_others if o.width > 0)


def test_reliability_legend_covers_no_bar_or_point():
    rng = np.random.default_rng(0)
    proba = sp.softmax(rng.normal(size=(400, 3)) * 2, axis=1)
    y = rng.integers(0, 3, 400)
    ax = plot.reliability_diagram(y, proba)
    (legend_box, axes_box) = _boxes(ax.figure, [ax.get_legend(), ax])
    assert not _overlap(legend_box, axes_box)  # outside the data area altogether


def test_temperature_scaling_draws_before_and_after():
    from softmaxkit.calibration import expected_calibration_error

    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 600)
    logits = 3.0 * (rng.normal(size=(600, 3)) + 2.0 * np.eye(3)[y])  # overconfident
    before, after = plot.temperature_scaling(y, logits, 1.5)
    for ax, t in ((before, 1.0), (after, 1.5)):
        proba = sp.softmax(logits / t, axis=1)
        ece, table = expected_calibration_error(y, proba, return_table=True)
        assert ax.get_title().endswith(f"ECE = {ece:.4f}")
        (bars,) = [c for c in ax.containers if c.get_label() == "accuracy"]
        assert [r.get_height() for r in bars] == pytest.approx(table["accuracy"].tolist())
    assert after.get_title().startswith("After, T = 1.5")
    # scaling by T > 1 lowers the confidences of an overconfident model: a smaller ECE
    assert float(after.get_title().rsplit("= ", 1)[1]) < float(
        before.get_title().rsplit("= ", 1)[1])
    with pytest.raises(ValueError, match="'logits' must be"):
        plot.temperature_scaling(y, logits[:, 0], 1.5)


def test_smooth_max_curves_are_labelled_where_they_can_be_told_apart():
    ax = plot.smooth_max_vs_max()
    (inset,) = ax.child_axes
    labels = [t for t in inset.texts if t.get_gid() == "k-label"]
    # the sharper half of k = 1..10, where log(2)/k are closest together
    assert [t.get_text() for t in labels] == [f"k = {k}" for k in range(6, 11)]
    for t in labels:  # each label sits at its curve's value at x = c: c + log(2) / k
        k = float(t.get_text().split("= ")[1])
        assert t.get_position()[1] == pytest.approx(3 + math.log(2) / k)
    boxes = _boxes(ax.figure, labels)
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    inset_box, main_box = _boxes(ax.figure, [inset, ax])
    assert main_box.contains(inset_box.x0, inset_box.y0)


def test_confusion_matrix_names_the_classes():
    ax = plot.confusion_matrix([0, 1, 2, 1], [0, 2, 2, 1], labels=[0, 1, 2],
                               names=["setosa", "versicolor", "virginica"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["setosa", "versicolor",
                                                             "virginica"]
    with pytest.raises(ValueError, match="'names' must name the 3 labels"):
        plot.confusion_matrix([0, 1], [0, 1], labels=[0, 1, 2], names=["a", "b"])


def test_sparsemax_vs_softmax_shows_exact_zeros_and_where_entries_leave_them():
    left, right = plot.sparsemax_vs_softmax([1.0, 2.0, 4.0], [0.1, 0.5, 1.0, 3.0, 10.0])
    soft, sparse, ent = left.get_lines()
    t = sparse.get_xdata()
    np.testing.assert_allclose(sparse.get_ydata(), np.clip((t + 1) / 2, 0, 1), atol=1e-15)
    assert (soft.get_ydata() > 0).all() and (soft.get_ydata() < 1).all()
    assert sparse.get_ydata().min() == 0 and sparse.get_ydata().max() == 1
    # the sweep: a solid and a dashed line per logit, drawn from the library's values
    lines = [ln for ln in right.get_lines() if ln.get_gid() != "leaves-zero"]
    assert len(lines) == 6
    ts = np.array([0.1, 0.5, 1.0, 3.0, 10.0])
    np.testing.assert_array_equal(lines[0].get_ydata(),
                                  sk.sparsemax(np.array([1.0, 2.0, 4.0]) / ts[:, None])[:, 0])
    dots = [ln for ln in right.get_lines() if ln.get_gid() == "leaves-zero"]
    assert dots and all(ln.get_ydata()[0] == 0 for ln in dots)
    with pytest.raises(ValueError, match="'temperatures' must be finite numbers > 0"):
        plot.sparsemax_vs_softmax([1, 2], [0.0])


def test_attention_weights_draws_the_library_weights_as_the_pieces_are_added():
    axes = plot.attention_weights(7, slope=0.25, sink=0.5, seed=3)
    scores = np.random.default_rng(3).normal(size=(1, 7, 7))
    imgs = [a.get_images()[0].get_array() for a in axes]
    np.testing.assert_array_equal(imgs[0], sk.attention_softmax(scores)[0])
    np.testing.assert_array_equal(imgs[3], sk.attention_softmax(
        scores, causal=True, alibi_slopes=[0.25], sink=0.5)[0])
    for img in imgs[1:]:
        assert np.all(np.triu(img, 1) == 0)  # no key after its query
    np.testing.assert_allclose(imgs[2].sum(axis=1), 1, rtol=1e-12)
    assert np.all(imgs[3].sum(axis=1) < 1)
    assert "rows sum" in axes[3].get_title()
    with pytest.raises(ValueError, match="'length' must be an int in \\[2, 64\\]"):
        plot.attention_weights(1)
    with pytest.raises(ValueError, match="'sink' must be a finite number"):
        plot.attention_weights(sink=np.inf)
