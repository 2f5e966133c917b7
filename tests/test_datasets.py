"""load_fashion_mnist: the real files when Debian's package is installed, and clear errors
for missing, truncated, corrupted or foreign files (written here)."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from softmaxkit.datasets import DEFAULT_FASHION_MNIST_DIR, load_fashion_mnist

installed = pytest.mark.skipif(not (DEFAULT_FASHION_MNIST_DIR / "t10k-images-idx3-ubyte.gz")
                               .is_file(), reason="dataset-fashion-mnist is not installed")


def _write(directory, n_train=6, n_test=4, images=None):
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("t10k", n_test)):
        img = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        with gzip.open(directory / f"{split}-images-idx3-ubyte.gz", "wb") as fh:
            fh.write(struct.pack(">HBB3I", 0, 8, 3, n, 28, 28) + img.tobytes())
        with gzip.open(directory / f"{split}-labels-idx1-ubyte.gz", "wb") as fh:
            fh.write(struct.pack(">HBBI", 0, 8, 1, n) + (np.arange(n) % 10).astype(np.uint8)
                     .tobytes())


@installed
def test_the_installed_dataset():
    d = load_fashion_mnist()
    assert d.X_train.shape == (60000, 784) and d.X_test.shape == (10000, 784)
    assert d.X_train.dtype == np.float32 and 0 <= d.X_train.min() and d.X_train.max() <= 1
    assert np.bincount(d.y_train).tolist() == [6000] * 10
    assert len(d.class_names) == 10


def test_a_directory_of_files_and_dtypes(tmp_path):
    _write(tmp_path)
    d = load_fashion_mnist(tmp_path, dtype=np.uint8)
    assert d.X_train.shape == (6, 784) and d.X_train.dtype == np.uint8
    assert d.y_test.tolist() == [0, 1, 2, 3]
    f = load_fashion_mnist(tmp_path, dtype=np.float64)
    np.testing.assert_array_equal(f.X_train, d.X_train / 255.0)


def test_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist(tmp_path)


def test_truncated_file(tmp_path):
    _write(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(data[:-100]))
    with pytest.raises(ValueError, match="the header promises 4704 bytes"):
        load_fashion_mnist(tmp_path)


def test_corrupted_and_foreign_files(tmp_path):
    _write(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="not a readable gzip file"):
        load_fashion_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"PK\x03\x04zipzipzip"))
    with pytest.raises(ValueError, match="not an unsigned-byte IDX file"):
        load_fashion_mnist(tmp_path)


def test_bad_dtype(tmp_path):
    with pytest.raises(TypeError, match="'dtype' must be uint8, float32 or float64"):
        load_fashion_mnist(tmp_path, dtype=np.int16)
