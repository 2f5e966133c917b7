"""``softmaxkit train`` and ``softmaxkit predict`` through a real subprocess."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from conftest import assert_usage_error, run_cli  # noqa: E402

run = run_cli


def test_train_compare_save_then_predict(tmp_path):
    from sklearn.datasets import load_iris

    model = tmp_path / "iris.skm"
    r = run("train", "--dataset", "iris", "--compare", "--save", model, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "| softmaxkit |" in r.stdout and "| scikit-learn LogisticRegression |" in r.stdout
    assert "confusion matrix" in r.stdout
    acc = float(r.stdout.split("| softmaxkit |")[1].split("|")[1])  # test accuracy
    assert acc > 0.9
    X, y = load_iris(return_X_y=True)
    np.savetxt(tmp_path / "x.csv", X, delimiter=",")
    p = run("predict", "--model", model, "--input", tmp_path / "x.csv")
    assert p.returncode == 0, p.stderr
    predicted = np.array(p.stdout.split(), dtype=int)
    assert np.mean(predicted == y) > 0.9  # raw features: the scaling is in the weights
    proba = run("predict", "--model", model, "--input", tmp_path / "x.csv", "--proba")
    rows = proba.stdout.strip().splitlines()
    assert rows[0] == "0,1,2"
    np.testing.assert_allclose(np.loadtxt(rows[1:], delimiter=",").sum(axis=1), 1, rtol=1e-5)


def test_train_on_a_csv_with_string_labels(tmp_path):
    rng = np.random.default_rng(0)
    lines = ["x1,x2,animal"]
    for i in range(80):
        label = ("cat", "dog")[i % 2]
        lines.append(f"{rng.normal() + 3 * (i % 2)},{rng.normal()},{label}")
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    r = run("train", "--dataset", tmp_path / "d.csv", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "cat" in r.stdout and "dog" in r.stdout


@pytest.mark.parametrize("args,fragments", [
    (["train", "--dataset", "nope"], ["'nope' is not one of"]),
    (["train", "--dataset", "iris", "--test-size", "2"], ["between 0 and 1"]),
    (["train", "--dataset", "iris", "--epochs", "0"], ["must be >= 1"]),
    (["train", "--dataset", "missing.csv"], ["missing.csv", "cannot read"]),
    (["predict", "--model", "missing.skm", "--input", "x.csv"], ["missing.skm"]),
])
def test_bad_input(tmp_path, args, fragments):
    assert_usage_error(run(*args, cwd=tmp_path), *fragments)


def test_csv_errors(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,label\n1,2,x\n3,oops,y\n")
    assert_usage_error(run("train", "--dataset", "d.csv", "--target", "nope", cwd=tmp_path),
                       "no column 'nope'", "columns: a, b, label")
    assert_usage_error(run("train", "--dataset", "d.csv", cwd=tmp_path),
                       "line 3, column 'b'", "'oops' is not a number")
    (tmp_path / "one.csv").write_text("a,label\n1,x\n2,x\n")
    assert_usage_error(run("train", "--dataset", "one.csv", cwd=tmp_path),
                       "fewer than 2 classes")


def test_predict_checks_the_model_and_the_features(tmp_path):
    model = tmp_path / "m.skm"
    assert run("train", "--dataset", "iris", "--save", model, "--quiet").returncode == 0
    np.savetxt(tmp_path / "x.csv", np.ones((3, 5)), delimiter=",")
    assert_usage_error(run("predict", "--model", model, "--input", tmp_path / "x.csv"),
                       "5 features per row, the model takes 4")
    (tmp_path / "fake.skm").write_text("not a model")
    assert_usage_error(run("predict", "--model", tmp_path / "fake.skm", "--input",
                           tmp_path / "x.csv"), "not a readable softmaxkit model")
