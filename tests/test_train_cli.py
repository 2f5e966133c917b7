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


# ------------------------------------------------ what a new user found (CSV columns etc.)


def _named_csv(path, columns, rows):
    path.write_text(",".join(columns) + "\n" + "\n".join(",".join(map(str, r)) for r in rows)
                    + "\n")


@pytest.fixture(scope="module")
def named_model(tmp_path_factory):
    """A model trained on a CSV whose columns a, b, c carry different information."""
    d = tmp_path_factory.mktemp("named")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(120):
        label = i % 3
        rows.append([rng.normal() + 4 * label, rng.normal(), rng.normal() - 4 * label, label])
    _named_csv(d / "train.csv", ["a", "b", "c", "label"], rows)
    model = d / "m.skm"
    r = run("train", "--dataset", d / "train.csv", "--save", model, "--quiet")
    assert r.returncode == 0, r.stderr
    return model, np.array(rows)


def test_predict_matches_csv_columns_by_name(tmp_path, named_model):
    model, rows = named_model
    X, y = rows[:, :3], rows[:, 3].astype(int)
    _named_csv(tmp_path / "same.csv", ["a", "b", "c"], X)
    _named_csv(tmp_path / "shuffled.csv", ["c", "a", "b"], X[:, [2, 0, 1]])
    same = run("predict", "--model", model, "--input", tmp_path / "same.csv")
    shuffled = run("predict", "--model", model, "--input", tmp_path / "shuffled.csv")
    assert same.returncode == 0 and shuffled.returncode == 0, shuffled.stderr
    assert same.stdout == shuffled.stdout  # reordered by name, not taken by position
    assert np.mean(np.array(same.stdout.split(), dtype=int) == y) > 0.9
    assert same.stderr == ""  # no scikit-learn feature-name warning leaks


def test_predict_refuses_columns_that_do_not_match(tmp_path, named_model):
    model, rows = named_model
    _named_csv(tmp_path / "missing.csv", ["a", "b"], rows[:, :2])
    assert_usage_error(run("predict", "--model", model, "--input", tmp_path / "missing.csv"),
                       "missing 'c'")
    _named_csv(tmp_path / "extra.csv", ["a", "b", "c", "d"], rows)
    assert_usage_error(run("predict", "--model", model, "--input", tmp_path / "extra.csv"),
                       "not in the model 'd'")
    np.savetxt(tmp_path / "plain.csv", rows[:, :3], delimiter=",")
    assert_usage_error(run("predict", "--model", model, "--input", tmp_path / "plain.csv"),
                       "no header row", "a, b, c")


def test_saved_models_keep_their_columns_and_no_progress_bar(named_model):
    model, _ = named_model
    clf = __import__("softmaxkit").SoftmaxClassifier.load(model)
    assert list(clf.feature_names_in_) == ["a", "b", "c"] and clf.verbose == 0


def test_nan_in_a_csv_names_file_row_and_column(tmp_path, named_model):
    model, rows = named_model
    lines = ["a,b,c,label"] + [",".join(map(str, r)) for r in rows[:30]]
    lines[5] = "1.0,nan,2.0,1"
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    assert_usage_error(run("train", "--dataset", tmp_path / "t.csv"),
                       "t.csv: line 6, column 'b'", "'nan' is not a finite number")
    (tmp_path / "p.csv").write_text("a,b,c\n1,2,3\n4,inf,6\n")
    assert_usage_error(run("predict", "--model", model, "--input", tmp_path / "p.csv"),
                       "p.csv: line 3, column 'b'", "'inf' is not a finite number")


def test_semicolons_tabs_and_headerless_files_train(tmp_path):
    rng = np.random.default_rng(1)
    rows = [[rng.normal() + 3 * (i % 2), rng.normal(), i % 2] for i in range(60)]
    for name, sep, header in (("semi.csv", ";", True), ("tab.csv", "\t", True),
                              ("plain.csv", ",", False)):
        text = (sep.join(["x", "y", "label"]) + "\n" if header else "") + \
            "\n".join(sep.join(map(str, r)) for r in rows) + "\n"
        (tmp_path / name).write_text(text)
        r = run("train", "--dataset", tmp_path / name, "--quiet")
        assert r.returncode == 0, (name, r.stderr)
        # every row is a sample: the headerless file loses none to a header
        assert "45 training and 15 test samples" in r.stdout, (name, r.stdout)
    (tmp_path / "one.csv").write_text("x|y|label\n" + "\n".join("1|2|0" for _ in range(9)))
    r = run("train", "--dataset", tmp_path / "one.csv")
    assert_usage_error(r, "found 1 column", "comma, semicolon, tab")
    assert len(r.stderr) < 300


def test_unwritable_save_path_fails_before_training(tmp_path):
    r = run("train", "--dataset", "digits", "--save", tmp_path / "no" / "such" / "m.skm")
    assert_usage_error(r, "m.skm", "does not exist")
    assert r.stdout == ""  # nothing trained or printed


def test_epoch_limit_warning_is_one_line(tmp_path):
    r = run("train", "--dataset", "iris", "--epochs", "2", "--quiet")
    assert r.returncode == 0
    warning = [line for line in r.stderr.splitlines() if "warning" in line]
    assert len(warning) == 1 and warning[0].startswith("softmaxkit: warning:")
    assert "max_epochs=2" in warning[0] and "Traceback" not in r.stderr


def test_predict_names_a_non_finite_npy_entry(tmp_path):
    model = tmp_path / "m.skm"
    assert run("train", "--dataset", "iris", "--save", model, "--quiet").returncode == 0
    X = np.ones((3, 4))
    X[1, 0] = np.nan
    np.save(tmp_path / "x.npy", X)
    assert_usage_error(run("predict", "--model", model, "--input", tmp_path / "x.npy"),
                       "x.npy: row 2, column 1: nan is not a finite number")
    with open(tmp_path / "z.npy", "wb") as fh:  # an archive under a .npy name
        np.savez(fh, a=X)
    assert_usage_error(run("predict", "--model", model, "--input", tmp_path / "z.npy"),
                       "z.npy", "expected a single array, got a .npz archive")
