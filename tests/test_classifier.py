"""SoftmaxClassifier: scikit-learn's estimator checks, accuracy against LogisticRegression,
and the estimator's own behaviour."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import softmaxkit as sk  # noqa: E402

SoftmaxClassifier = sk.SoftmaxClassifier


@parametrize_with_checks([SoftmaxClassifier(max_epochs=60),
                          SoftmaxClassifier(max_epochs=60, link="sparsemax")])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_the_epoch_limit_warns_and_convergence_does_not():
    from sklearn.datasets import load_iris
    from sklearn.exceptions import ConvergenceWarning

    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    with pytest.warns(ConvergenceWarning, match="max_epochs=2 before the training loss"):
        SoftmaxClassifier(max_epochs=2, random_state=0).fit(X, y)
    for data in (X, load_iris(return_X_y=True)[0]):  # standardized and raw
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the defaults converge on iris: no warning
            clf = SoftmaxClassifier(random_state=0).fit(data, y)
        assert clf.n_iter_ < clf.max_epochs
    with pytest.warns(ConvergenceWarning, match="validation accuracy"):
        SoftmaxClassifier(max_epochs=3, early_stopping=True, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # partial_fit is one epoch by design
        SoftmaxClassifier().partial_fit(X, y, classes=np.unique(y))


def _split(loader):
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    scaler = StandardScaler().fit(Xtr)
    return scaler.transform(Xtr), scaler.transform(Xte), ytr, yte


@pytest.mark.parametrize("loader", [load_iris, load_digits, load_wine, load_breast_cancer],
                         ids=lambda f: f.__name__[5:])
def test_default_accuracy_within_half_a_point_of_sklearn(loader):
    Xtr, Xte, ytr, yte = _split(loader)
    ours = SoftmaxClassifier(random_state=0).fit(Xtr, ytr).score(Xte, yte)
    theirs = LogisticRegression(max_iter=1000).fit(Xtr, ytr).score(Xte, yte)
    assert ours >= theirs - 0.005, (ours, theirs)


def test_multinomial_probabilities():
    Xtr, Xte, ytr, _ = _split(load_iris)
    clf = SoftmaxClassifier(random_state=0).fit(Xtr, ytr)
    p = clf.predict_proba(Xte)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_allclose(p, sk.softmax(Xte @ clf.coef_.T + clf.intercept_, axis=1))
    np.testing.assert_allclose(clf.predict_log_proba(Xte), np.log(p), rtol=1e-10)
    assert clf.coef_.shape == (3, 4) and clf.intercept_.shape == (3,)


def test_string_labels_and_float32_kept():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = SoftmaxClassifier(random_state=0).fit(X.astype(np.float32), names)
    assert clf.coef_.dtype == np.float32
    assert set(clf.predict(X.astype(np.float32))) <= set(names)
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]


def test_sparse_input_gives_the_dense_result():
    Xtr, Xte, ytr, _ = _split(load_digits)
    dense = SoftmaxClassifier(random_state=0, max_epochs=20).fit(Xtr, ytr)
    sparse = SoftmaxClassifier(random_state=0, max_epochs=20).fit(sp.csr_matrix(Xtr), ytr)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(sparse.predict(sp.csr_matrix(Xte)), dense.predict(Xte))


def test_partial_fit_and_warm_start():
    Xtr, Xte, ytr, yte = _split(load_wine)
    clf = SoftmaxClassifier(random_state=0)
    for _ in range(30):
        clf.partial_fit(Xtr, ytr, classes=np.unique(ytr))
    assert clf.n_iter_ == 30 and len(clf.loss_curve_) == 30
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.score(Xte, yte) > 0.9
    with pytest.raises(ValueError, match="not one of the classes"):
        clf.partial_fit(Xtr[:3], np.array([0, 1, 7]))
    with pytest.raises(ValueError, match="needs 'classes' on its first call"):
        SoftmaxClassifier().partial_fit(Xtr, ytr)
    warm = SoftmaxClassifier(random_state=0, max_epochs=5, warm_start=True).fit(Xtr, ytr)
    first = warm.coef_.copy()
    warm.fit(Xtr, ytr)
    assert len(warm.loss_curve_) > 5 and not np.array_equal(first, warm.coef_)


def test_early_stopping_keeps_the_best_epoch():
    Xtr, _, ytr, _ = _split(load_digits)
    clf = SoftmaxClassifier(random_state=0, early_stopping=True, n_iter_no_change=3).fit(Xtr, ytr)
    assert len(clf.validation_scores_) == clf.n_iter_ < 300
    assert clf.n_iter_ >= 4


def test_sample_and_class_weights():
    Xtr, Xte, ytr, _ = _split(load_iris)
    base = SoftmaxClassifier(random_state=0, max_epochs=50)
    w = np.where(ytr == 2, 10.0, 1.0)
    weighted = sk.SoftmaxClassifier(random_state=0, max_epochs=50).fit(Xtr, ytr, sample_weight=w)
    by_class = sk.SoftmaxClassifier(random_state=0, max_epochs=50,
                                    class_weight={0: 1.0, 1: 1.0, 2: 10.0}).fit(Xtr, ytr)
    np.testing.assert_allclose(weighted.coef_, by_class.coef_, rtol=1e-12)
    assert not np.allclose(weighted.coef_, base.fit(Xtr, ytr).coef_)
    SoftmaxClassifier(class_weight="balanced", max_epochs=5).fit(Xtr, ytr)


def test_verbose_shows_progress_on_stderr(capsys):
    Xtr, _, ytr, _ = _split(load_iris)
    SoftmaxClassifier(verbose=1, max_epochs=3, early_stopping=True, random_state=0).fit(Xtr, ytr)
    err = capsys.readouterr().err
    assert "epoch" in err and "loss" in err and "val" in err


def test_pipeline_grid_search_and_cross_validation():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier(random_state=0, max_epochs=100))
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.85
    grid = GridSearchCV(pipe, {"softmaxclassifier__alpha": ["auto", 1e-2]}, cv=3).fit(X, y)
    assert grid.best_score_ > 0.85


@pytest.mark.parametrize("X,y,match", [
    (np.array([[1.0, np.nan], [0.0, 1.0]]), [0, 1], "NaN"),
    (np.ones((3, 2)), [0, 1], "inconsistent numbers of samples"),
    (np.ones((3, 2)), [1, 1, 1], "at least 2 classes"),
])
def test_bad_training_data(X, y, match):
    with pytest.raises(ValueError, match=match):
        SoftmaxClassifier().fit(X, np.asarray(y))


def test_predict_errors():
    with pytest.raises(NotFittedError):
        SoftmaxClassifier().predict(np.ones((2, 2)))
    clf = SoftmaxClassifier(max_epochs=2).fit(np.eye(4), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(np.ones((2, 3)))


@pytest.mark.parametrize("param,value", [("learning_rate", 0), ("batch_size", 0),
                                         ("optimizer", "lbfgs"), ("momentum", 1.0),
                                         ("lr_schedule", "step"), ("validation_fraction", 1.5),
                                         ("link", "softmin")])
def test_bad_parameters(param, value):
    with pytest.raises(ValueError, match=f"'{param}' must be"):
        SoftmaxClassifier(**{param: value}).fit(np.eye(4), [0, 1, 0, 1])


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("schedule", ["constant", "invscaling", "cosine"])
def test_every_optimizer_and_schedule_learns(optimizer, schedule):
    Xtr, Xte, ytr, yte = _split(load_iris)
    # 32-row batches: several steps per epoch on iris's 112 training rows; plain SGD
    # needs a larger step than Adam (from 0.1, decaying, it is at 0.82 after 300 epochs)
    clf = SoftmaxClassifier(optimizer=optimizer, lr_schedule=schedule, batch_size=32,
                            learning_rate=0.5 if optimizer == "sgd" else 0.1,
                            random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) > 0.85


def test_grid_search_table():
    Xtr, Xte, ytr, yte = _split(load_iris)
    table = sk.softmax_grid_search(Xtr, ytr, Xte, yte, [0.01, 0.1], [1e-4, 0.5], max_epochs=40)
    assert table.shape == (4,)
    assert table["learning_rate"].tolist() == [0.01, 0.01, 0.1, 0.1]
    assert table["reg"].tolist() == [1e-4, 0.5, 1e-4, 0.5]
    assert np.all((table["val_accuracy"] > 0) & (table["val_accuracy"] <= 1))
    # strong regularization costs training accuracy
    assert table["train_accuracy"][2] > table["train_accuracy"][3]


def test_small_products_run_on_the_calling_thread():
    from threadpoolctl import threadpool_info, threadpool_limits

    from softmaxkit._estimators import training

    def blas():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    with threadpool_limits(limits=2, user_api="blas"):
        with training.blas_threads_for(256 * 784 * 10):
            assert set(blas()) == {1}
        assert set(blas()) == {2}
        with training.blas_threads_for(training.SMALL_PRODUCT):
            assert set(blas()) == {2}  # large products keep the pool
        # a fit leaves the user's setting as it found it
        X, y = load_iris(return_X_y=True)
        SoftmaxClassifier(max_epochs=300).fit(X, y)
        assert set(blas()) == {2}


@pytest.mark.parametrize("link, fn, loss", [("sparsemax", sk.sparsemax, sk.sparsemax_loss),
                                            ("entmax15", sk.entmax15, sk.entmax15_loss)])
def test_sparse_links_train_with_their_loss_and_give_sparse_probabilities(link, fn, loss):
    Xtr, Xte, ytr, yte = _split(load_digits)
    clf = SoftmaxClassifier(link=link, random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) > 0.93
    p = clf.predict_proba(Xte)
    z = clf.decision_function(Xte)
    np.testing.assert_array_equal(p, fn(z, axis=1))
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-12)
    assert (p == 0).mean() > 0.5  # most classes get an exact zero
    assert np.array_equal(clf.classes_[np.argmax(z, axis=1)], clf.predict(Xte))
    logp = clf.predict_log_proba(Xte)
    assert np.array_equal(np.isneginf(logp), p == 0)
    # the training loss is the map's Fenchel–Young loss (with the L2 penalty)
    ztr = clf.decision_function(Xtr)
    penalty = 0.5 / len(ytr) * np.sum(clf.coef_ ** 2)
    assert clf.loss_curve_[-1] == pytest.approx(float(loss(ztr, ytr)) + penalty, rel=0.05)
    # persisted with its link
    clone = sklearn.base.clone(clf)
    assert clone.get_params()["link"] == link


def test_sparse_links_refuse_dask_input():
    da = pytest.importorskip("dask.array")
    X = da.from_array(np.eye(4), chunks=2)
    with pytest.raises(ValueError, match="link='sparsemax' trains on NumPy arrays"):
        SoftmaxClassifier(link="sparsemax").fit(X, np.array([0, 1, 0, 1]))
