"""Figures of the notes and of the classifier, drawn with object-oriented matplotlib.

Design: matplotlib is imported on the first call, never at ``import softmaxkit``; no
function touches pyplot's global state or calls ``matplotlib.use()``. Each function takes
``ax=None``: given Axes, it draws there; otherwise it makes a new ``Figure`` of its own
(not registered with pyplot, so it is freed with its last reference). One-panel figures
return their Axes, several-panel figures a NumPy array of Axes; ``ax.figure`` saves it.
The numbers drawn are computed by softmaxkit itself, so every figure is also a check.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .._api.attention import attention_softmax
from .._api.calibration import expected_calibration_error
from .._api.family import smooth_max, softmax, std_norm
from .._api.sparse import entmax15, sparsemax
from .._core.atomic import atomic_write
from .._core.validation import as_float_array as real_array

__all__ = [
    "agreement",
    "attention_weights",
    "axis_heatmaps",
    "confusion_matrix",
    "exp_curve",
    "expected_calibration_error",
    "grid_search_heatmap",
    "loss_curve",
    "output_range",
    "reliability_diagram",
    "save_figure",
    "smooth_max_vs_max",
    "softmax_vs_input",
    "softmax_vs_std_norm",
    "sparsemax_vs_softmax",
    "temperature_scaling",
    "temperature_sweep",
    "weight_templates",
]

# the notes' random integers: np.random.randint(-5, high=15, size=25)
_Z_LOW, _Z_HIGH, _Z_SIZE = -5, 15, 25


def _figure(figsize):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "softmaxkit.plot needs matplotlib: pip install 'softmaxkit[plot]'"
        ) from None
    return Figure(figsize=figsize, layout="constrained")


def _axes(fname: str, ax, n: int, figsize):
    """``n`` Axes: those given, or new ones on a new Figure (one row)."""
    if ax is None:
        axes = _figure(figsize).subplots(1, n, squeeze=False)[0]
        return axes[0] if n == 1 else axes
    if n == 1:
        if not hasattr(ax, "plot"):
            raise TypeError(f"{fname}: 'ax' must be a matplotlib Axes, got {type(ax).__name__}")
        return ax
    axes = np.asarray(ax, dtype=object).ravel()
    if axes.size != n or not all(hasattr(a, "plot") for a in axes):
        raise TypeError(f"{fname}: 'ax' must be a sequence of {n} matplotlib Axes")
    return axes


def _random_z(seed):
    return np.random.default_rng(seed).integers(_Z_LOW, _Z_HIGH, size=_Z_SIZE).astype(float)


_MAX_SPAN = 1e300
_MAX_POINTS = 100_000


def _vector(fname, z, seed, name="z"):
    z = _random_z(seed) if z is None else real_array(fname, z, name)
    if z.ndim != 1 or z.size == 0:
        raise ValueError(f"{fname}: '{name}' must be a non-empty 1-D array, got shape "
                         f"{z.shape}")
    if not np.all(np.isfinite(z)):
        raise ValueError(f"{fname}: '{name}' must be finite")
    with np.errstate(over="ignore"):
        span = float(np.max(z)) - float(np.min(z))
    # an axis from -1e308 to 1e308 is wider than a float: matplotlib cannot draw it
    if not np.isfinite(span) or span > _MAX_SPAN:
        raise ValueError(f"{fname}: '{name}' spans {span:.3g}; a figure's axis can show at "
                         f"most {_MAX_SPAN:.0e}")
    if z.size > _MAX_POINTS:
        raise ValueError(f"{fname}: '{name}' has {z.size} numbers; a figure shows at most "
                         f"{_MAX_POINTS}")
    return z


def _temperatures(fname, temperatures):
    """A non-empty 1-D array of finite temperatures > 0 (named in the error otherwise)."""
    ts = np.atleast_1d(real_array(fname, temperatures, "temperatures"))
    if ts.ndim != 1 or ts.size == 0 or not np.all(np.isfinite(ts) & (ts > 0)):
        raise ValueError(f"{fname}: 'temperatures' must be finite numbers > 0, got "
                         f"{ts.tolist()!r}")
    return ts


def _entropy(p):
    """Entropy in nats; 0 log 0 = 0."""
    p = np.asarray(p, dtype=float)
    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])))


# ------------------------------------------------------------------ figures of the notes


def exp_curve(x=None, *, ax=None):
    """Plot eˣ: it grows fast and is never negative, which is why softmax uses it.

    Parameters
    ----------
    x : array_like, optional
        Where to draw the curve (default: 400 points on [-4, 4]).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new Figure).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from softmaxkit import plot
    >>> ax = plot.exp_curve()
    >>> ax.get_title()
    '$e^x$ grows fast and is never negative'
    """
    x = np.linspace(-4.0, 4.0, 400) if x is None else _vector("exp_curve", x, None, "x")
    ax = _axes("exp_curve", ax, 1, (6, 4))
    ax.plot(x, np.exp(x), color="C0", label="$e^x$")
    ax.plot(x, x, color="0.6", linestyle="--", label="$x$ (can be negative)")
    ax.axhline(0.0, color="k", linewidth=0.8)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("$e^x$ grows fast and is never negative")
    ax.legend(loc="upper left")
    return ax


def softmax_vs_input(z=None, *, seed=0, ax=None):
    """Softmax of random integers against the integers, on a linear and a log y-axis.

    On the log axis the points fall on one straight line: log σᵢ = zᵢ − logsumexp(z).

    Parameters
    ----------
    z : array_like, optional
        The numbers (default: 25 random integers in [-5, 15), as in the notes).
    seed : int, optional
        Seed of the random integers when ``z`` is not given.
    ax : pair of matplotlib.axes.Axes, optional

    Returns
    -------
    numpy.ndarray of two Axes
        Linear y-axis, then log y-axis; Σσ is in the titles.

    Examples
    --------
    >>> from softmaxkit import plot
    >>> lin, log = plot.softmax_vs_input([1, 2, 3])
    >>> log.get_yscale()
    'log'
    """
    z = _vector("softmax_vs_input", z, seed)
    sigma = softmax(z)
    axes = _axes("softmax_vs_input", ax, 2, (10, 4))
    for a, scale in zip(axes, ("linear", "log")):
        a.plot(z, sigma, "ko")
        a.set_yscale(scale)
        a.set_xlabel("original number z")
        a.set_ylabel(r"softmaxified $\sigma$" + (" (log scale)" if scale == "log" else ""))
        a.set_title(rf"$\sum\sigma$ = {float(np.sum(sigma)):.6g}")
    axes[1].text(0.02, 0.95, r"log $\sigma_i$ = $z_i$ - logsumexp(z): a straight line",
                 transform=axes[1].transAxes, va="top", fontsize=8)
    return axes


def _independent_softmax(z):
    """(name, softmax of z) from an implementation that is not softmaxkit's."""
    try:
        import torch

        return "PyTorch nn.Softmax", torch.nn.Softmax(dim=0)(
            torch.as_tensor(z, dtype=torch.float64)).numpy()
    except ImportError:
        pass
    try:
        from scipy.special import softmax as sp_softmax

        return "SciPy special.softmax", sp_softmax(z)
    except ImportError:
        e = np.exp(z - np.max(z))  # the notes' "manual" softmax
        return "manual exp(z) / sum(exp(z))", e / np.sum(e)


def agreement(z=None, *, seed=0, ax=None):
    """softmaxkit's softmax against an independent implementation, with the correlation.

    The independent one is PyTorch's ``nn.Softmax`` when installed, else SciPy's, else
    the notes' manual ``exp(z) / sum(exp(z))``.

    Parameters
    ----------
    z : array_like, optional
        The numbers (default: 25 random integers, as in the notes).
    seed : int, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from softmaxkit import plot
    >>> ax = plot.agreement([1, 2, 3])
    >>> ax.get_title().startswith('The two methods correlate at r = 1')
    True
    """
    z = _vector("agreement", z, seed)
    ours = softmax(z)
    name, theirs = _independent_softmax(z)
    err = float(np.max(np.abs(ours - theirs)))
    if np.ptp(ours) > 0 and np.ptp(theirs) > 0:
        r = f"{float(np.corrcoef(ours, theirs)[0, 1]):.12g}"
    elif z.size == 1 or err == 0:  # equal constants: a correlation of 1 by continuity
        r = "1"
    else:
        r = "undefined (constant outputs)"
    ax = _axes("agreement", ax, 1, (5, 5))
    lo, hi = float(min(ours.min(), theirs.min())), float(max(ours.max(), theirs.max()))
    ax.plot([lo, hi], [lo, hi], color="0.7", linewidth=1, zorder=0)
    ax.plot(ours, theirs, "ko")
    ax.set_xlabel("softmaxkit.softmax")
    ax.set_ylabel(name)
    ax.set_title(f"The two methods correlate at r = {r}\nlargest difference {err:.2g}")
    return ax


def output_range(ns=(2, 5, 10, 20, 50, 100, 200, 500, 1000), *, seed=0, ax=None):
    """How softmax outputs shrink as the number of inputs N grows while their sum stays 1.

    For each N, softmax of N standard-normal numbers: the smallest, the largest and the
    mean output (1/N) on log-log axes.

    Parameters
    ----------
    ns : sequence of int
        The numbers of inputs, each ≥ 1.
    seed : int, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from softmaxkit import plot
    >>> ax = plot.output_range([2, 10, 100])
    >>> [line.get_label() for line in ax.get_lines()][:3]
    ['largest output', 'mean output = 1/N', 'smallest output']
    """
    ns = np.asarray(ns)
    if ns.ndim != 1 or ns.size == 0 or ns.dtype.kind not in "iu" or np.any(ns < 1) \
            or np.any(ns > _MAX_POINTS * 100) or ns.size > 1000:
        shown = repr(ns.tolist())
        raise ValueError(f"output_range: 'ns' must be a non-empty sequence of integers >= 1 "
                         f"(at most 1000 of them, each <= {_MAX_POINTS * 100}: each draws "
                         f"that many numbers), got {shown[:200]}")
    rng = np.random.default_rng(seed)
    lo, hi, sums = [], [], []
    for n in ns:
        s = softmax(rng.standard_normal(int(n)))
        lo.append(s.min())
        hi.append(s.max())
        sums.append(float(np.sum(s)))
    ax = _axes("output_range", ax, 1, (6, 4))
    ax.plot(ns, hi, "o-", label="largest output")
    ax.plot(ns, 1.0 / ns, "k--", label="mean output = 1/N")
    ax.plot(ns, lo, "o-", label="smallest output")
    ax.fill_between(ns, lo, hi, alpha=0.15)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of inputs N")
    ax.set_ylabel("softmax output")
    worst = max(abs(s - 1.0) for s in sums)
    ax.set_title(f"Outputs shrink as N grows; every sum is 1 (within {worst:.1g})")
    ax.legend()
    return ax


def softmax_vs_std_norm(*, ax=None):
    """The notes' "blurry" [1, 2] and "crisp" [10, 20]: plain normalization and softmax.

    x / sum(x) gives [1/3, 2/3] for both; softmax sees that 10 and 20 are far apart.

    Parameters
    ----------
    ax : pair of matplotlib.axes.Axes, optional

    Returns
    -------
    numpy.ndarray of two Axes

    Examples
    --------
    >>> from softmaxkit import plot
    >>> blurry, crisp = plot.softmax_vs_std_norm()
    >>> crisp.get_title()
    'crisp: x = [10, 20]'
    """
    axes = _axes("softmax_vs_std_norm", ax, 2, (9, 4))
    width = 0.38
    for a, (label, x) in zip(axes, (("blurry", [1.0, 2.0]), ("crisp", [10.0, 20.0]))):
        idx = np.arange(len(x))
        for shift, (name, values) in zip((-width / 2, width / 2),
                                         (("x / sum(x)", std_norm(x)),
                                          ("softmax(x)", softmax(x)))):
            bars = a.bar(idx + shift, values, width, label=name)
            a.bar_label(bars, fmt="%.4f", fontsize=8)
        a.set_xticks(idx, [f"x[{i}] = {v:g}" for i, v in enumerate(x)])
        a.set_ylim(0, 1.1)
        a.set_ylabel("probability")
        a.set_title(f"{label}: x = [{x[0]:g}, {x[1]:g}]")
        a.legend(loc="upper left")
    return axes


def smooth_max_vs_max(ks=range(1, 11), *, c=3.0, x=None, ax=None):
    """log(eᵏˣ + eᵏᶜ)/k for several sharpness values k, against max(x, c).

    The smooth maximum lies above the maximum by at most log(2)/k and approaches it as
    k grows.

    Parameters
    ----------
    ks : sequence of float
        Sharpness values, each a finite number > 0.
    c : float, optional
        The second argument of the maximum (the notes use 3).
    x : array_like, optional
        Where to draw (default: 600 points on [c - 1, c + 1]).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from softmaxkit import plot
    >>> ax = plot.smooth_max_vs_max([1, 10])
    >>> [line.get_label() for line in ax.get_lines()]
    ['k = 1', 'k = 10', 'max(x, 3)']
    """
    ks = np.atleast_1d(np.asarray(ks, dtype=float))
    if ks.ndim != 1 or ks.size == 0 or not np.all(np.isfinite(ks) & (ks > 0)):
        raise ValueError("smooth_max_vs_max: 'ks' must be finite numbers > 0, "
                         f"got {ks.tolist()!r}")
    c = float(c)
    if not math.isfinite(c):
        raise ValueError(f"smooth_max_vs_max: 'c' must be finite, got {c}")
    x = np.linspace(c - 1, c + 1, 600) if x is None else _vector("smooth_max_vs_max", x, None,
                                                                  "x")
    pairs = np.stack([x, np.full_like(x, c)], axis=-1)  # (n, 2)
    ax = _axes("smooth_max_vs_max", ax, 1, (7, 5))
    colors = _colormap("viridis")(np.linspace(0, 0.9, ks.size))
    for k, color in zip(ks, colors):
        ax.plot(x, smooth_max(pairs, k=k), color=color, label=f"k = {k:g}")
    ax.plot(x, np.maximum(x, c), "k", linewidth=2, label=f"max(x, {c:g})")
    ax.set_xlabel("x")
    ax.set_ylabel("maximum")
    ax.set_title(f"log(e$^{{kx}}$ + e$^{{{c:g}k}}$) / k approaches max(x, {c:g}) as k grows")
    ax.legend(fontsize=8, ncol=2, loc="upper left")
    _smooth_max_zoom(ax, ks, colors, c)
    return ax


def _smooth_max_zoom(ax, ks, colors, c):
    """An inset around x = c, where the curves of the sharper half of ``ks`` are log(2)/k
    above the maximum and too close to tell apart at full scale; each is labelled on its
    line, the labels alternating sides so that neighbours never overlap."""
    sharp = ks >= np.median(ks)
    if sharp.sum() < 2:
        return
    half = float(np.log(2) / ks[sharp].min())  # the widest gap shown
    zx = np.linspace(c - half, c + half, 200)
    pairs = np.stack([zx, np.full_like(zx, c)], axis=-1)
    ins = ax.inset_axes([0.56, 0.06, 0.4, 0.4])
    for i, (k, color) in enumerate(zip(ks[sharp], colors[sharp])):
        ins.plot(zx, smooth_max(pairs, k=k), color=color)
        left = i % 2 == 0
        ins.text(c - 0.03 * half if left else c + 0.03 * half, c + np.log(2) / k,
                 f"k = {k:g}", ha="right" if left else "left", va="center", fontsize=7,
                 color=color, gid="k-label")
    ins.plot(zx, np.maximum(zx, c), "k", linewidth=1.5)
    ins.set_xlim(c - half, c + half)
    ins.set_ylim(c, c + 1.15 * half)
    ins.tick_params(labelsize=6)
    ins.set_title(f"near x = {c:g}: max + log(2)/k", fontsize=7)


def _colormap(name):
    from matplotlib import colormaps

    return colormaps[name]


def temperature_sweep(z=(1.0, 2.0, 3.0, 4.0), temperatures=(0.25, 0.5, 1.0, 2.0, 4.0, 16.0),
                      *, ax=None):
    """softmax(z / T) as the temperature T moves from sharp (small T) to flat (large T).

    One line per temperature over the entries of ``z``, labelled with its entropy
    (0 for a one-hot, log n for the uniform distribution).

    Parameters
    ----------
    z : array_like
        The logits.
    temperatures : sequence of float
        Each a finite number > 0.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from softmaxkit import plot
    >>> ax = plot.temperature_sweep([1, 2], [1.0])
    >>> ax.get_lines()[0].get_label()
    'T = 1: entropy 0.582 nats'
    """
    z = _vector("temperature_sweep", z, None)
    ts = _temperatures("temperature_sweep", temperatures)
    ax = _axes("temperature_sweep", ax, 1, (7, 4.5))
    colors = _colormap("coolwarm")(np.linspace(0, 1, ts.size))
    idx = np.arange(z.size)
    for t, color in zip(ts, colors):
        p = softmax(z, temperature=t)
        ax.plot(idx, p, "o-", color=color, label=f"T = {t:g}: entropy {_entropy(p):.3g} nats")
    ax.axhline(1.0 / z.size, color="0.5", linestyle=":", linewidth=1)
    ax.set_xticks(idx, [f"{v:g}" for v in z])
    ax.set_xlabel("logit z")
    ax.set_ylabel("softmax(z / T)")
    ax.set_title(f"Temperature: sharp to flat (uniform entropy log {z.size} = "
                 f"{math.log(z.size):.3g} nats)")
    ax.legend(fontsize=8)
    return ax


def axis_heatmaps(x=((1.0, 2.0), (4.0, 3.0), (5.0, 5.0)), *, ax=None):
    """A 2-D array softmaxed over axis 0 and over axis 1, side by side.

    Each cell shows its value; the sums that equal 1 (per column for axis 0, per row for
    axis 1: ``nn.Softmax(dim)``'s dim) are marked along the edge.

    Parameters
    ----------
    x : array_like, 2-D
        Default: the notes' 3 x 2 example.
    ax : pair of matplotlib.axes.Axes, optional

    Returns
    -------
    numpy.ndarray of two Axes

    Examples
    --------
    >>> from softmaxkit import plot
    >>> ax0, ax1 = plot.axis_heatmaps()
    >>> ax0.get_title().splitlines()
    ['softmax(x, axis=0)', 'each column sums to 1']
    """
    x = real_array("axis_heatmaps", x, "x")
    if x.ndim != 2 or x.size == 0:
        raise ValueError(f"axis_heatmaps: 'x' must be a non-empty 2-D array, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("axis_heatmaps: 'x' must be finite")
    rows, cols = x.shape
    axes = _axes("axis_heatmaps", ax, 2, (4 + 1.2 * cols, 1.5 + 0.9 * rows))
    for a, axis in zip(axes, (0, 1)):
        s = softmax(x, axis=axis)
        a.imshow(s, cmap="Blues", vmin=0.0, vmax=1.0)
        for (i, j), v in np.ndenumerate(s):
            a.text(j, i, f"{v:.3f}", ha="center", va="center",
                   color="white" if v > 0.6 else "black", fontsize=9)
        sums = s.sum(axis=axis)
        if axis == 0:  # one sum per column, above it (below is the axis label's place)
            for j, total in enumerate(sums):
                a.text(j, -0.5 - 0.12, f"Σ = {total:.3g}", ha="center", va="bottom",
                       color="C3", fontsize=9, gid="sum")
            a.set_title("softmax(x, axis=0)\neach column sums to 1", pad=22)
        else:  # one sum per row, to its right
            for i, total in enumerate(sums):
                a.text(cols - 0.5 + 0.1, i, f"Σ = {total:.3g}", ha="left", va="center",
                       color="C3", fontsize=9, gid="sum")
            a.set_title("softmax(x, axis=1)\neach row sums to 1")
        a.set_xticks(range(cols))
        a.set_yticks(range(rows))
        a.set_xlabel("axis 1 (columns)")
        a.set_ylabel("axis 0 (rows)")
    return axes


def sparsemax_vs_softmax(z=(1.0, 1.5, 2.0, 3.0), temperatures=None, *, ax=None):
    """Sparsemax beside softmax: the two maps on a 2-D input, and a temperature sweep.

    Left: the first probability of ``[t, 0]`` against ``t``: softmax's logistic curve is
    never 0 or 1, sparsemax's clipped line ``(t + 1) / 2`` reaches them at ``|t| = 1``,
    1.5-entmax lies between. Right: every entry of ``sparsemax(z / T)`` (solid) and
    ``softmax(z / T)`` (dashed) as the temperature ``T`` grows; a dot marks the
    temperature where a sparsemax entry leaves 0 (below it, the entry is exactly 0).

    Parameters
    ----------
    z : array_like
        The logits of the sweep (at most 10).
    temperatures : array_like, optional
        Each a finite number > 0; default 200 from 0.05 to 20, log-spaced.
    ax : pair of matplotlib.axes.Axes, optional

    Returns
    -------
    numpy.ndarray of two Axes

    Examples
    --------
    >>> from softmaxkit import plot
    >>> left, right = plot.sparsemax_vs_softmax()
    >>> [line.get_label() for line in left.get_lines()]
    ['softmax', 'sparsemax', '1.5-entmax']
    """
    fname = "sparsemax_vs_softmax"
    z = _vector(fname, z, None)
    if z.size > 10:
        raise ValueError(f"{fname}: 'z' has {z.size} logits; the sweep shows at most 10")
    ts = np.sort(_temperatures(fname, np.geomspace(0.05, 20, 200) if temperatures is None
                               else temperatures))
    left, right = _axes(fname, ax, 2, (11, 4.5))
    t = np.linspace(-3, 3, 301)
    pair = np.stack([t, np.zeros_like(t)], axis=1)
    for fn, label, style in ((softmax, "softmax", "--"), (sparsemax, "sparsemax", "-"),
                             (entmax15, "1.5-entmax", ":")):
        left.plot(t, fn(pair, axis=1)[:, 0], style, label=label)
    left.set_xlabel("t")
    left.set_ylabel("first probability of [t, 0]")
    left.set_title("Two classes: sparsemax reaches 0 and 1")
    left.legend(fontsize=8)
    scaled = z[None, :] / ts[:, None]
    sp, sm = sparsemax(scaled, axis=1), softmax(scaled, axis=1)
    colors = _colormap("viridis")(np.linspace(0, 0.9, z.size))
    for i, color in enumerate(colors):
        right.plot(ts, sp[:, i], "-", color=color, label=f"z = {z[i]:g}")
        right.plot(ts, sm[:, i], "--", color=color, linewidth=1, alpha=0.7)
        leaves = np.flatnonzero((sp[:-1, i] == 0) & (sp[1:, i] > 0))
        if leaves.size:
            right.plot(ts[leaves[0] + 1], 0.0, "o", color=color, gid="leaves-zero")
    right.set_xscale("log")
    right.set_xlabel("temperature T")
    right.set_ylabel("probability")
    right.set_title("sparsemax(z / T) (solid) and softmax(z / T) (dashed)")
    right.legend(fontsize=8)
    return np.array([left, right], dtype=object)


# -------------------------------------------------------------------- classifier figures


def _fitted(fname, clf, attr):
    if not hasattr(clf, attr):
        raise ValueError(f"{fname}: 'clf' must be a fitted classifier with {attr}")
    return getattr(clf, attr)


def loss_curve(clf, *, ax=None):
    """The training loss per epoch of a fitted SoftmaxClassifier (and validation accuracy).

    Parameters
    ----------
    clf : SoftmaxClassifier
        Fitted; its ``loss_curve_`` is drawn, and ``validation_scores_`` on a second y-axis
        when early stopping recorded them.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> import softmaxkit as sk
    >>> from softmaxkit import plot
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = sk.SoftmaxClassifier(max_epochs=5).fit(X, y)
    >>> len(plot.loss_curve(clf).get_lines()[0].get_ydata())
    5
    """
    losses = np.asarray(_fitted("loss_curve", clf, "loss_curve_"), dtype=float)
    if losses.size == 0:
        raise ValueError("loss_curve: the classifier has no recorded epochs")
    ax = _axes("loss_curve", ax, 1, (6, 4))
    epochs = np.arange(1, losses.size + 1)
    ax.plot(epochs, losses, color="C0", label="training loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (cross-entropy + L2)", color="C0")
    scores = np.asarray(getattr(clf, "validation_scores_", []) or [], dtype=float)
    if scores.size:
        ax2 = ax.twinx()
        ax2.plot(np.arange(1, scores.size + 1), scores, color="C1", label="validation accuracy")
        ax2.set_ylabel("validation accuracy", color="C1")
    ax.set_title(f"Training: {losses.size} epochs, final loss {losses[-1]:.4f}")
    return ax


def weight_templates(clf, image_shape, *, class_names=None, scale=None, ax=None):
    """Each class's weight vector shown as an image (cs231n's "templates").

    Parameters
    ----------
    clf : SoftmaxClassifier
        Fitted on flattened images of ``image_shape``.
    image_shape : tuple of int
        (height, width), with height * width = the number of features.
    class_names : sequence of str, optional
        Titles (default: the classes).
    scale : array_like, optional
        Multiplies each feature's weights: the features' standard deviations show the
        weights a model fitted on standardized features learned.
    ax : sequence of matplotlib.axes.Axes, optional
        One per class.

    Returns
    -------
    numpy.ndarray of Axes
        One per class, in the order of ``clf.classes_``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> import softmaxkit as sk
    >>> from softmaxkit import plot
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = sk.SoftmaxClassifier(max_epochs=3).fit(X / 16, y)
    >>> len(plot.weight_templates(clf, (8, 8)))
    10
    """
    W = np.asarray(_fitted("weight_templates", clf, "coef_"), dtype=float)
    if scale is not None:
        scale = real_array("weight_templates", scale, "scale")
        if scale.shape != (W.shape[1],):
            raise ValueError(f"weight_templates: 'scale' must have one entry per feature "
                             f"({W.shape[1]}), got shape {scale.shape}")
        W = W * scale
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 2 or shape[0] * shape[1] != W.shape[1]:
        raise ValueError(f"weight_templates: 'image_shape' {shape} does not hold the "
                         f"{W.shape[1]} features")
    names = list(clf.classes_ if class_names is None else class_names)
    if len(names) != W.shape[0]:
        raise ValueError(f"weight_templates: 'class_names' has {len(names)} names for "
                         f"{W.shape[0]} classes")
    k = W.shape[0]
    if ax is None:
        cols = min(k, 5)
        nrows = -(-k // cols)
        fig = _figure((2.2 * cols, 2.4 * nrows))
        grid = fig.subplots(nrows, cols, squeeze=False).ravel()
        for extra in grid[k:]:
            extra.remove()
        axes = grid[:k]
    else:
        axes = _axes("weight_templates", ax, k, None)
    # one color scale for all, so the templates compare across classes; the 99th
    # percentile, so that a few large weights on rarely-lit pixels do not wash it out
    vmax = float(np.quantile(np.abs(W), 0.99)) or 1.0
    for a, w, name in zip(axes, W, names):
        a.imshow(w.reshape(shape), cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        a.set_title(str(name), fontsize=9)
        a.set_xticks([])
        a.set_yticks([])
    axes[0].figure.suptitle("Weights of each class as an image (red: evidence for, "
                            "blue: against)")
    return axes


def confusion_matrix(y_true, y_pred, *, labels=None, names=None, normalize=False, ax=None):
    """The confusion matrix: rows are true classes, columns predicted ones.

    Parameters
    ----------
    y_true, y_pred : array_like, 1-D
    labels : sequence, optional
        The classes, in order (default: the sorted union of both).
    names : sequence of str, optional
        What to call each class on the axes, in the order of ``labels`` (default: the
        labels themselves).
    normalize : bool, optional
        Show each row as fractions of that class's samples.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from softmaxkit import plot
    >>> ax = plot.confusion_matrix([0, 1, 1], [0, 1, 0])
    >>> ax.get_images()[0].get_array().tolist()
    [[1, 0], [1, 1]]
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape:
        raise ValueError(f"confusion_matrix: 'y_true' and 'y_pred' must be 1-D of one length, "
                         f"got shapes {y_true.shape} and {y_pred.shape}")
    labels = np.unique(np.concatenate([y_true, y_pred])) if labels is None else np.asarray(
        labels)
    index = {label: i for i, label in enumerate(labels.tolist())}
    unknown = set(y_true.tolist()) | set(y_pred.tolist())
    unknown -= set(index)
    if unknown:
        raise ValueError(f"confusion_matrix: labels {sorted(unknown)!r} are not in 'labels'")
    m = np.zeros((len(labels), len(labels)), dtype=np.int64)
    np.add.at(m, ([index[t] for t in y_true.tolist()], [index[p] for p in y_pred.tolist()]), 1)
    shown = m / np.maximum(m.sum(axis=1, keepdims=True), 1) if normalize else m
    ax = _axes("confusion_matrix", ax, 1, (1.5 + 0.55 * len(labels),) * 2)
    ax.imshow(shown, cmap="Blues")
    top = float(shown.max()) or 1.0
    for (i, j), v in np.ndenumerate(shown):
        ax.text(j, i, f"{v:.2f}" if normalize else str(v), ha="center", va="center",
                fontsize=8, color="white" if v > 0.6 * top else "black")
    if names is not None and len(names) != len(labels):
        raise ValueError(f"confusion_matrix: 'names' must name the {len(labels)} labels, got "
                         f"{len(names)} names")
    ticks = [str(label) for label in (labels if names is None else names)]
    ax.set_xticks(range(len(labels)), ticks, rotation=45 if max(map(len, ticks)) > 2 else 0,
                  ha="right" if max(map(len, ticks)) > 2 else "center")
    ax.set_yticks(range(len(labels)), ticks)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    acc = np.trace(m) / max(m.sum(), 1)
    ax.set_title(f"Confusion matrix (accuracy {acc:.4f})")
    return ax


def reliability_diagram(y, proba, *, n_bins=10, classes=None, ax=None):
    """Accuracy against confidence per bin, with the expected calibration error.

    A calibrated classifier's bars follow the diagonal. The bins and the ECE are those of
    :func:`softmaxkit.calibration.expected_calibration_error` (equal-width, top-label).

    Parameters
    ----------
    y, proba, n_bins, classes
        As for :func:`softmaxkit.calibration.expected_calibration_error`.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from softmaxkit import plot
    >>> ax = plot.reliability_diagram([0, 1], [[0.9, 0.1], [0.2, 0.8]], n_bins=5)
    >>> ax.get_title()
    'Reliability diagram: ECE = 0.1500'
    """
    ax = _axes("reliability_diagram", ax, 1, (5, 6.2))
    ece = _reliability(ax, y, proba, n_bins, classes)
    ax.set_title(f"Reliability diagram: ECE = {ece:.4f}")
    return ax


def _reliability(ax, y, proba, n_bins, classes):
    """Draw the reliability diagram's bars, points and diagonal on ``ax``; its ECE."""
    ece, table = expected_calibration_error(y, proba, n_bins=n_bins, classes=classes,
                                            return_table=True)
    ax.bar(table["lower"], table["accuracy"], width=1.0 / n_bins, align="edge",
           edgecolor="k", color="C0", label="accuracy", gid="accuracy")
    ax.plot(table["confidence"], table["accuracy"], "o", color="C1",
            label="accuracy at the bin's mean confidence")
    ax.plot([0, 1], [0, 1], "k--", linewidth=1, label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (largest predicted probability)")
    ax.set_ylabel("accuracy")
    # below the axes, where it can cover no bar or point
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, fontsize=8,
              frameon=False)
    return ece


def temperature_scaling(y, logits, temperature, *, n_bins=10, classes=None, ax=None):
    """Reliability diagrams of ``softmax(logits)`` and of ``softmax(logits / T)``.

    Temperature scaling (:class:`softmaxkit.calibration.TemperatureScaler`) divides the
    logits by one number fit on held-out data: the bars move toward the diagonal while
    the predicted classes, and so the accuracy, stay the same.

    Parameters
    ----------
    y : array_like, (n_samples,)
        True labels.
    logits : array_like, (n_samples, n_classes)
    temperature : float
    n_bins, classes
        As for :func:`reliability_diagram`.
    ax : two matplotlib Axes, optional

    Returns
    -------
    ndarray of two matplotlib.axes.Axes

    Examples
    --------
    >>> from softmaxkit import plot
    >>> axes = plot.temperature_scaling([0, 1, 1], [[2.0, 0.0], [0.0, 3.0], [1.0, 0.0]], 2.0)
    >>> axes[1].get_title()
    'After, T = 2: ECE = 0.3579'
    """
    z = real_array("temperature_scaling", logits, "logits")
    if z.ndim != 2:
        raise ValueError(f"temperature_scaling: 'logits' must be (n_samples, n_classes), got "
                         f"shape {z.shape}")
    axes = _axes("temperature_scaling", ax, 2, (10, 6.2))
    for a, t, label in ((axes[0], 1.0, "Before"), (axes[1], temperature, None)):
        ece = _reliability(a, y, softmax(z, axis=1, temperature=t), n_bins, classes)
        a.set_title(f"{label or f'After, T = {t:.3g}'}: ECE = {ece:.4f}")
    return axes


def grid_search_heatmap(results, *, ax=None):
    """Validation accuracy over the learning-rate × regularization grid.

    Parameters
    ----------
    results : numpy structured array
        What :func:`softmaxkit.softmax_grid_search` returns: fields ``learning_rate``,
        ``reg`` and ``val_accuracy``.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The image holds the accuracies, rows the learning rates, columns the
        regularization strengths (both ascending); the best cell is outlined.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxkit import plot
    >>> r = np.array([(0.1, 0.0, 0.9, 0.8), (0.1, 1.0, 0.8, 0.7)],
    ...              dtype=[("learning_rate", "f8"), ("reg", "f8"),
    ...                     ("train_accuracy", "f8"), ("val_accuracy", "f8")])
    >>> plot.grid_search_heatmap(r).get_images()[0].get_array().tolist()
    [[0.8, 0.7]]
    """
    results = np.asarray(results)
    names = results.dtype.names or ()
    if results.ndim != 1 or results.size == 0 or not {"learning_rate", "reg",
                                                      "val_accuracy"} <= set(names):
        raise ValueError("grid_search_heatmap: 'results' must be softmax_grid_search's table "
                         "(fields learning_rate, reg, val_accuracy)")
    lrs, regs = np.unique(results["learning_rate"]), np.unique(results["reg"])
    acc = np.full((lrs.size, regs.size), np.nan)
    for row in results:
        acc[np.searchsorted(lrs, row["learning_rate"]), np.searchsorted(regs, row["reg"])] = \
            row["val_accuracy"]
    ax = _axes("grid_search_heatmap", ax, 1, (2 + 1.1 * regs.size, 1.5 + 0.7 * lrs.size))
    ax.imshow(acc, cmap="viridis")
    for (i, j), v in np.ndenumerate(acc):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.3f}", ha="center", va="center", fontsize=9,
                    color="black" if v >= np.nanmean(acc) else "white")
    best = np.unravel_index(np.nanargmax(acc), acc.shape)
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((best[1] - 0.5, best[0] - 0.5), 1, 1, fill=False, edgecolor="red",
                           linewidth=2.5))
    ax.set_xticks(range(regs.size), [f"{r:.0e}" if r else "0" for r in regs])
    ax.set_yticks(range(lrs.size), [f"{r:.0e}" for r in lrs])
    ax.set_xlabel("regularization strength (cs231n reg)")
    ax.set_ylabel("learning rate")
    ax.set_title(f"Validation accuracy; best {acc[best]:.4f} at lr {lrs[best[0]]:g}, "
                 f"reg {regs[best[1]]:g}")
    return ax


# ------------------------------------------------------------------------------ saving


def save_figure(fig, path, *, dpi=110):
    """Write a Figure (or the Figure of an Axes) to ``path`` completely or not at all.

    The format follows the suffix: ``.png``, ``.svg`` or ``.pdf``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure or Axes or array of Axes
    path : str or os.PathLike
    dpi : int, optional

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        An unsupported suffix.
    OSError
        The file cannot be written (nothing is left behind).
    """
    if isinstance(fig, np.ndarray):
        fig = fig.ravel()[0]
    fig = getattr(fig, "figure", fig)
    while getattr(fig, "figure", None) not in (None, fig):  # a subfigure's root
        fig = fig.figure
    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"save_figure: {str(p)!r}: unsupported format {p.suffix!r} "
                         "(use .png, .svg or .pdf)")
    with atomic_write(p) as fh:
        fig.savefig(fh, format=fmt, dpi=dpi)
    return p


def attention_weights(length=10, *, slope=0.5, sink=1.0, seed=0, ax=None):
    """Attention weights of one head, as the pieces of :func:`softmaxkit.attention_softmax`
    are added: plain softmax over random scores, a causal mask, ALiBi, then a sink.

    Each panel is a heatmap of the weights (query rows, key columns); each panel's title
    gives the smallest row sum (1 without the sink; with it, what the sink leaves to the
    keys).

    Parameters
    ----------
    length : int, optional
        Queries and keys (2 to 64). Default 10.
    slope : float, optional
        The ALiBi slope: a key ``d`` positions back loses ``slope * d``. Default 0.5.
    sink : float, optional
        The sink logit of the last panel. Default 1.
    seed : int, optional
        The random scores' seed (standard normal). Default 0.
    ax : sequence of four matplotlib.axes.Axes, optional

    Returns
    -------
    numpy.ndarray of four Axes

    Examples
    --------
    >>> from softmaxkit import plot
    >>> axes = plot.attention_weights(6)
    >>> [a.get_title().split(":")[0] for a in axes]
    ['softmax', 'causal', 'causal + ALiBi', 'causal + ALiBi + sink']
    """
    fname = "attention_weights"
    if isinstance(length, (bool, np.bool_)) or not isinstance(length, (int, np.integer)) \
            or not 2 <= length <= 64:
        raise ValueError(f"{fname}: 'length' must be an int in [2, 64], got {length!r}")
    for name, value in (("slope", slope), ("sink", sink)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
                or not math.isfinite(float(value)):
            raise ValueError(f"{fname}: '{name}' must be a finite number, got {value!r}")
    scores = np.random.default_rng(seed).normal(size=(1, length, length))
    panels = (("softmax", {}), ("causal", {"causal": True}),
              ("causal + ALiBi", {"causal": True, "alibi_slopes": [float(slope)]}),
              ("causal + ALiBi + sink", {"causal": True, "alibi_slopes": [float(slope)],
                                         "sink": float(sink)}))
    axes = _axes(fname, ax, 4, (15, 4.2))
    for a, (title, kwargs) in zip(axes, panels):
        w = attention_softmax(scores, **kwargs)[0]
        a.imshow(w, cmap="Blues", vmin=0.0, vmax=1.0)
        a.set_title(f"{title}: rows sum ≥ {w.sum(axis=1).min():.2f}", fontsize=10)
        a.set_xlabel("key j")
        a.set_ylabel("query i")
    return np.asarray(axes, dtype=object)
