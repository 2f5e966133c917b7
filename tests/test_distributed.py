"""A real ``distributed.LocalCluster`` (worker processes on loopback): the softmax family,
the classifier and the command line, checked against NumPy; and an on-disk array larger
than every worker's memory limit."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import numpy as np
import pytest

import softmaxkit as sk

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
pytest.importorskip("sklearn")
import dask  # noqa: E402

WORKER_LIMIT = 256 * 2**20


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None,
                                       memory_limit=WORKER_LIMIT)
    with cluster, distributed.Client(cluster) as c:
        yield c


def _reset_peak_rss():
    # Linux: writing 5 to clear_refs resets the peak resident size (VmHWM) to the current
    # one, so a worker started by fork does not report the parent's peak
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _peak_rss():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_family_on_the_cluster_matches_numpy(client):
    x = np.random.default_rng(0).normal(scale=10, size=(64, 300))
    dx = da.from_array(x, chunks=(16, 70))
    got = dask.compute(sk.softmax(dx, axis=1), sk.log_softmax(dx, axis=0),
                       sk.logsumexp(dx, axis=1), sk.logsumexp(dx))
    want = (sk.softmax(x, axis=1), sk.log_softmax(x, axis=0), sk.logsumexp(x, axis=1),
            sk.logsumexp(x))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=4e-16, atol=1e-300)


def test_classifier_trains_data_parallel(client):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1)
    train, test = np.arange(len(y)) % 4 != 0, np.arange(len(y)) % 4 == 0
    dX = da.from_array(X[train], chunks=(200, 64))
    dy = da.from_array(y[train], chunks=200)
    clf = sk.SoftmaxClassifier(max_epochs=40, random_state=0).fit(dX, dy)
    assert clf.coef_.shape == (10, 64) and len(clf.loss_curve_) == clf.n_iter_
    assert clf.loss_curve_[-1] < clf.loss_curve_[0] / 5
    assert clf.score(X[test], y[test]) > 0.93
    # prediction maps over blocks lazily and agrees with the in-memory model
    proba = clf.predict_proba(da.from_array(X[test], chunks=100))
    assert isinstance(proba, da.Array)
    np.testing.assert_allclose(proba.compute(), clf.predict_proba(X[test]), rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(da.from_array(X[test], chunks=100)).compute(),
                                  clf.predict(X[test]))


def test_classifier_on_dask_refuses_what_it_cannot_do(client):
    dX = da.zeros((10, 3), chunks=5)
    dy = da.from_array(np.arange(10) % 2, chunks=5)
    with pytest.raises(ValueError, match="early_stopping"):
        sk.SoftmaxClassifier(early_stopping=True).fit(dX, dy)
    with pytest.raises(TypeError, match="partial_fit takes NumPy arrays"):
        sk.SoftmaxClassifier().partial_fit(dX, dy, classes=[0, 1])
    with pytest.raises(ValueError, match="y must have 10 labels"):
        sk.SoftmaxClassifier().fit(dX, dy[:5])


def test_cli_trains_on_a_local_cluster_from_npy(tmp_path):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))
    np.save(tmp_path / "X.npy", X[order])
    np.save(tmp_path / "y.npy", y[order])
    r = subprocess.run([sys.executable, "-m", "softmaxkit", "train", "--data",
                        tmp_path / "X.npy", "--labels", tmp_path / "y.npy", "--scheduler",
                        "local:2", "--epochs", "60", "--quiet", "--save", tmp_path / "m.skm"],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert "trained on 2 Dask workers" in r.stdout
    acc = float(r.stdout.split("| softmaxkit |")[1].split("|")[0])
    assert acc > 0.85
    clf = sk.SoftmaxClassifier.load(tmp_path / "m.skm")
    assert clf.score(X, y) > 0.85


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "local:0", "--dataset", "iris"], "expected local:N with N >= 1"),
    (["--scheduler", "tcp://127.0.0.1:9", "--dataset", "iris"], "cannot connect"),
    (["--data", "missing.npy", "--labels", "y.npy"], "missing.npy: cannot read"),
    (["--data", "X.npy"], "--data needs --labels"),
    (["--data", "X.npy", "--labels", "short.npy"], "expected 20 labels"),
    (["--dataset", "iris", "--labels", "y.npy"], "--labels goes with --data"),
    (["--data", "X.npy", "--dataset", "iris"], "not allowed with argument"),
])
def test_cli_bad_input(tmp_path, args, message):
    np.save(tmp_path / "X.npy", np.zeros((20, 3)))
    np.save(tmp_path / "short.npy", np.zeros(5, dtype=np.int64))
    np.save(tmp_path / "y.npy", np.arange(20) % 2)
    r = subprocess.run([sys.executable, "-m", "softmaxkit", "train", *args, "--quiet"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("softmaxkit: error:") and message in line, line


def test_on_disk_array_larger_than_the_workers_memory(client, tmp_path):
    """1 GiB of float32 on disk, 256 MiB per worker: softmax over rows (each block
    through the native kernel) and logsumexp down the columns (across every block)."""
    from softmaxkit._core.lazy_io import open_array

    rows, cols = 2**18, 1024  # 1 GiB
    path = tmp_path / "big.npy"
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, cols))
    rng = np.random.default_rng(0)
    for start in range(0, rows, 2**15):
        mm[start:start + 2**15] = rng.normal(scale=4, size=(2**15, cols)).astype(np.float32)
    mm.flush()
    del mm
    assert path.stat().st_size > 4 * WORKER_LIMIT

    pids = client.run(os.getpid)
    client.run(_reset_peak_rss)
    x = open_array(path, chunk_bytes=16 << 20)
    row_sums = sk.softmax(x, axis=1).sum(axis=1, dtype=np.float64)
    worst = abs(row_sums - 1).max()
    lse = sk.logsumexp(x, axis=0)
    worst, lse = dask.compute(worst, lse)

    assert worst < cols * np.finfo(np.float32).eps
    on_disk = np.load(path, mmap_mode="r")
    np.testing.assert_allclose(lse, sk.logsumexp(on_disk, axis=0), rtol=4e-7)
    assert client.run(os.getpid) == pids, "a worker was restarted"
    peaks = client.run(_peak_rss)
    assert max(peaks.values()) < WORKER_LIMIT, peaks


def test_zarr_input_and_the_lazy_npy_reader(tmp_path):
    zarr = pytest.importorskip("zarr")
    import pickle

    from softmaxkit._core.lazy_io import NpyFile, open_array

    x = np.random.default_rng(7).normal(size=(300, 40)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    src = NpyFile(tmp_path / "x.npy")
    assert len(pickle.dumps(src)) < 500  # the path travels, not the data
    np.testing.assert_array_equal(src[10:20, 3:5], x[10:20, 3:5])
    z = zarr.create_array(store=str(tmp_path / "x.zarr"), shape=x.shape, chunks=(64, 40),
                          dtype="float32")
    z[...] = x
    for path in (tmp_path / "x.npy", tmp_path / "x.zarr"):
        dx = open_array(path)
        np.testing.assert_allclose(sk.log_softmax(dx, axis=0).compute(),
                                   sk.log_softmax(x, axis=0), rtol=2e-7, atol=1e-30)
    with pytest.raises(ValueError, match="expected a .npy file or a Zarr store"):
        open_array(tmp_path / "x.csv")
