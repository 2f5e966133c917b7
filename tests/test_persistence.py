"""Model files: round trips give identical predictions; nothing else loads, nothing runs."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.datasets import load_iris  # noqa: E402

import softmaxkit as sk  # noqa: E402


@pytest.fixture(scope="module")
def fitted():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    return sk.SoftmaxClassifier(random_state=0, max_epochs=30).fit(X, names), X


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_gives_identical_predictions(tmp_path, dtype):
    X, y = load_iris(return_X_y=True)
    clf = sk.SoftmaxClassifier(random_state=0, max_epochs=20, class_weight="balanced").fit(
        X.astype(dtype), y)
    clf.save(tmp_path / "m.skm")
    back = sk.SoftmaxClassifier.load(tmp_path / "m.skm")
    np.testing.assert_array_equal(back.predict_proba(X.astype(dtype)),
                                  clf.predict_proba(X.astype(dtype)))
    assert back.get_params() == clf.get_params()
    assert back.coef_.dtype == dtype and back.loss_curve_ == clf.loss_curve_
    assert os.listdir(tmp_path) == ["m.skm"]  # no temporary file left


def test_string_classes_survive(tmp_path, fitted):
    clf, X = fitted
    clf.save(tmp_path / "m.skm")
    back = sk.SoftmaxClassifier.load(tmp_path / "m.skm")
    assert back.predict(X).tolist() == clf.predict(X).tolist()


def _rewrite(path, **members):
    """Replace members of a saved model (raw .npy bytes or arrays)."""
    with zipfile.ZipFile(path) as zf:
        data = {n: zf.read(n) for n in zf.namelist()}
    for name, value in members.items():
        if isinstance(value, np.ndarray):
            buf = io.BytesIO()
            np.save(buf, value)
            value = buf.getvalue()
        data[name + ".npy"] = value
    with zipfile.ZipFile(path, "w") as zf:
        for name, raw in data.items():
            zf.writestr(name, raw)


def _header(path):
    with zipfile.ZipFile(path) as zf:
        raw = np.load(io.BytesIO(zf.read("header.npy")))
    return json.loads(bytes(raw).decode())


def _encode(header):
    return np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)


@pytest.fixture
def saved(tmp_path, fitted):
    path = tmp_path / "m.skm"
    fitted[0].save(path)
    return path


def test_truncated(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a readable softmaxkit model"):
        sk.SoftmaxClassifier.load(saved)


def test_bit_flips_never_crash(saved):
    data = bytearray(saved.read_bytes())
    rng = np.random.default_rng(0)
    for _ in range(60):
        flipped = bytearray(data)
        i = int(rng.integers(len(flipped)))
        flipped[i] ^= 1 << int(rng.integers(8))
        saved.write_bytes(bytes(flipped))
        try:
            sk.SoftmaxClassifier.load(saved)  # a flip in the weights can still load
        except ValueError:
            pass


def test_wrong_version_and_format(saved):
    h = _header(saved)
    _rewrite(saved, header=_encode({**h, "version": 99}))
    with pytest.raises(ValueError, match="format version 99"):
        sk.SoftmaxClassifier.load(saved)
    _rewrite(saved, header=_encode({**h, "format": "other"}))
    with pytest.raises(ValueError, match="not a softmaxkit model"):
        sk.SoftmaxClassifier.load(saved)


def test_absurd_shapes_do_not_allocate(saved):
    # a .npy member whose header claims 10**12 elements but holds a few bytes
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }"
    header += b" " * (118 - len(header)) + b"\n"
    _rewrite(saved, coef=b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header +
             b"\x00" * 64)
    with pytest.raises(ValueError, match="declares shape"):
        sk.SoftmaxClassifier.load(saved)


def test_inconsistent_arrays(saved):
    _rewrite(saved, coef=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="inconsistent model arrays"):
        sk.SoftmaxClassifier.load(saved)


def test_a_pickle_disguised_as_a_model_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "executed"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.skm"
    path.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ValueError):
        sk.SoftmaxClassifier.load(path)
    # and inside the archive, as an object array member
    good = tmp_path / "good.skm"
    sk.SoftmaxClassifier(max_epochs=2).fit(np.eye(4), [0, 1, 0, 1]).save(good)
    buf = io.BytesIO()
    np.save(buf, np.array([Payload()], dtype=object), allow_pickle=True)
    _rewrite(good, classes=buf.getvalue())
    with pytest.raises(ValueError, match="dtype object"):
        sk.SoftmaxClassifier.load(good)
    assert not marker.exists()


def test_foreign_files(tmp_path):
    npz = tmp_path / "other.npz"
    np.savez(npz, a=np.zeros(3))
    with pytest.raises(ValueError, match="not a softmaxkit model"):
        sk.SoftmaxClassifier.load(npz)
    text = tmp_path / "model.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a readable softmaxkit model"):
        sk.SoftmaxClassifier.load(text)
    with pytest.raises(FileNotFoundError):
        sk.SoftmaxClassifier.load(tmp_path / "missing.skm")


def test_save_before_fit_and_into_a_missing_directory(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        sk.SoftmaxClassifier().save(tmp_path / "m.skm")
    clf = sk.SoftmaxClassifier(max_epochs=2).fit(np.eye(4), [0, 1, 0, 1])
    with pytest.raises(FileNotFoundError):
        clf.save(tmp_path / "no" / "such" / "m.skm")


def _recompress(src, dst, compress_type):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compress_type) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, zin.read(item.filename))


def test_compressed_or_unknown_methods_are_refused(saved, tmp_path):
    # found by tools/fuzz_atheris.py model: a member whose compression method zipfile
    # does not know raised NotImplementedError instead of ValueError
    data = bytearray(saved.read_bytes())
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # local headers and the central directory
        start = 0
        while (i := data.find(sig, start)) >= 0:
            off = 8 if sig == b"PK\x03\x04" else 10  # the method field
            data[i + off:i + off + 2] = (99).to_bytes(2, "little")
            start = i + 4
    saved.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="compressed or encrypted"):
        sk.SoftmaxClassifier.load(saved)
    # a deflated copy of a valid model: could inflate to anything, so refused too
    fresh = tmp_path / "fresh.skm"
    sk.SoftmaxClassifier(max_epochs=2).fit(np.eye(3), [0, 1, 0]).save(fresh)
    _recompress(fresh, tmp_path / "deflated.skm", zipfile.ZIP_DEFLATED)
    with pytest.raises(ValueError, match="stored uncompressed"):
        sk.SoftmaxClassifier.load(tmp_path / "deflated.skm")


def test_a_mangled_npy_header_is_a_value_error(saved, tmp_path):
    # found by tools/fuzz_atheris.py model: numpy's header parser raised
    # tokenize.TokenError for an unbalanced header literal
    with zipfile.ZipFile(saved) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    raw = bytearray(members["coef.npy"])
    start = raw.index(b"{")
    raw[start:start + 1] = b"("  # an unclosed parenthesis: EOF in multi-line statement
    members["coef.npy"] = bytes(raw)
    with zipfile.ZipFile(tmp_path / "bad.skm", "w") as zout:
        for name, data in members.items():
            zout.writestr(name, data)
    with pytest.raises(ValueError, match="malformed .npy header"):
        sk.SoftmaxClassifier.load(tmp_path / "bad.skm")
