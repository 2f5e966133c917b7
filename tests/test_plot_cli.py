"""``softmaxkit plot NAME --out FILE`` through a real subprocess."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from conftest import assert_usage_error, run_cli  # noqa: E402
from matplotlib.image import imread  # noqa: E402

from softmaxkit._cli.figures import FIGURES  # noqa: E402

NOTES = [name for name, spec in FIGURES.items() if not spec.classifier]


def run(*args, cwd=None):
    return run_cli("plot", *args, cwd=cwd)


def assert_png(path):
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert np.ptp(img[..., :3]) > 0.5  # something drawn, not a blank page


def test_the_figure_list_covers_the_notes_and_the_classifier():
    assert set(FIGURES) == {
        "exp-curve", "softmax-vs-input", "agreement", "output-range", "softmax-vs-std-norm",
        "smooth-max-vs-max", "temperature-sweep", "sparsemax-vs-softmax", "attention-weights",
        "axis-heatmaps", "loss-curve",
        "weight-templates", "confusion-matrix", "reliability-diagram", "grid-search-heatmap"}
    for spec in FIGURES.values():
        assert spec.title and spec.caption.endswith(".")


@pytest.mark.parametrize("name", NOTES)
def test_each_figure_of_the_notes(tmp_path, name):
    r = run(name, "--out", tmp_path / "f.png")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout == f"{name}: written to {tmp_path / 'f.png'}\n"
    assert_png(tmp_path / "f.png")
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]


def test_options_reach_the_figure(tmp_path):
    r = run("smooth_max_vs_max", "--ks", "1,2,5", "--out", tmp_path / "s.svg")
    assert r.returncode == 0, r.stderr
    svg = (tmp_path / "s.svg").read_text()
    assert "k = 5" in svg and "k = 6" not in svg
    r = run("axis-heatmaps", "--values", "1,2,3;4,5,6", "--out", tmp_path / "h.pdf")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "h.pdf").read_bytes().startswith(b"%PDF")
    r = run("temperature-sweep", "--values", "0 -1 2", "--temperatures", "0.5,3",
            "--out", tmp_path / "t.svg")
    assert r.returncode == 0, r.stderr
    svg = (tmp_path / "t.svg").read_text()
    assert "T = 0.5" in svg and "T = 3" in svg and "T = 16" not in svg


@pytest.mark.parametrize("name", ["weight-templates", "grid-search-heatmap"])
def test_classifier_figures(tmp_path, name):
    pytest.importorskip("sklearn")
    r = run(name, "--dataset", "digits", "--epochs", "5", "--quiet", "--out", tmp_path / "c.png")
    assert r.returncode == 0, r.stderr
    assert_png(tmp_path / "c.png")


@pytest.mark.parametrize("args, fragments", [
    (["softmax-curve", "--out", "x.png"], ["unknown figure 'softmax-curve'", "exp-curve"]),
    (["exp-curve", "--out", "x.jpg"], ["unsupported figure format '.jpg'"]),
    (["exp-curve", "--out", "missing/x.png"], ["cannot write", "does not exist"]),
    (["exp-curve", "--out", "afile/x.png"], ["cannot write", "does not exist"]),
    (["exp-curve", "--out", "adir.png"], ["cannot write: it is a directory"]),
    (["exp-curve"], ["--out"]),
    (["exp-curve", "--ks", "1", "--out", "x.png"], ["--ks does not apply to the exp-curve"]),
    (["softmax-vs-input", "--values", "1,a", "--out", "x.png"], ["'a' is not a number"]),
    (["softmax-vs-input", "--values", "1;2", "--out", "x.png"], ["one row of numbers"]),
    (["output-range", "--ns", "0,5", "--out", "x.png"], ["'ns' must be"]),
    (["output-range", "--ns", "2.5", "--out", "x.png"], ["--ns: expected integers"]),
    (["smooth-max-vs-max", "--ks", "-1", "--out", "x.png"], ["'ks' must be finite numbers > 0"]),
    (["agreement", "--values", "1,inf", "--out", "x.png"], ["'z' must be finite"]),
    (["weight-templates", "--dataset", "iris", "--out", "x.png"], ["needs images"]),
    (["loss-curve", "--dataset", "nope", "--out", "x.png"], ["--dataset: 'nope'"]),
    (["loss-curve", "--epochs", "0", "--out", "x.png"], ["--epochs"]),
])
def test_bad_input(tmp_path, args, fragments):
    (tmp_path / "afile").write_text("")
    (tmp_path / "adir.png").mkdir()
    r = run(*args, cwd=tmp_path)
    assert_usage_error(r, *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir.png", "afile"]


@pytest.mark.parametrize("args,fragments", [
    (["output-range", "--ns", "1e15"], ["--ns", "integers from 1 to 10000000"]),
    (["output-range", "--ns", "2,1e9"], ["--ns", "integers from 1 to 10000000"]),
    (["softmax-vs-input", "--values", "1e308,-1e308,0"], ["spans", "at most"]),
    (["agreement", "--values", "inf,1"], ["must be finite"]),
    (["smooth-max-vs-max", "--ks", "nan"], ["'ks' must be finite numbers > 0"]),
    (["softmax-vs-input", "--seed", "-1"], ["--seed", "an integer >= 0", "-1"]),
    (["loss-curve", "--dataset", "iris", "--target", "y"], ["--target", "PATH.csv"]),
])
def test_sizes_and_values_are_bounded(tmp_path, args, fragments):
    r = run(*args, "--out", tmp_path / "f.png")
    assert_usage_error(r, *fragments)
    assert not (tmp_path / "f.png").exists()


def test_constant_values_draw_without_warnings(tmp_path):
    r = run("agreement", "--values", "1e308,1e308", "--out", tmp_path / "f.png")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert_png(tmp_path / "f.png")


def test_classifier_figures_from_a_csv_with_a_target(tmp_path):
    rng = np.random.default_rng(0)
    lines = ["label,x1,x2"] + [f"{i % 2},{rng.normal() + 3 * (i % 2)},{rng.normal()}"
                               for i in range(60)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    r = run("confusion-matrix", "--dataset", tmp_path / "d.csv", "--target", "label",
            "--quiet", "--out", tmp_path / "f.png")
    assert r.returncode == 0, r.stderr
    assert_png(tmp_path / "f.png")
