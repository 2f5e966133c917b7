"""Datasets that need no download: Fashion-MNIST from Debian's ``dataset-fashion-mnist``
package (IDX files, gzip), and scikit-learn's bundled iris, digits, wine, breast_cancer.
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["FashionMNIST", "load_fashion_mnist", "DEFAULT_FASHION_MNIST_DIR", "CLASS_NAMES"]

DEFAULT_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")
_FILES = {
    "X_train": ("train-images-idx3-ubyte.gz", 3),
    "y_train": ("train-labels-idx1-ubyte.gz", 1),
    "X_test": ("t10k-images-idx3-ubyte.gz", 3),
    "y_test": ("t10k-labels-idx1-ubyte.gz", 1),
}


class FashionMNIST(NamedTuple):
    """The official split: 60,000 training and 10,000 test images of 28 × 28 pixels.

    Parameters
    ----------
    X_train : ndarray of shape (60000, 784)
        The training images, one row of pixels each.
    y_train : ndarray of shape (60000,)
        The training labels, 0-9.
    X_test : ndarray of shape (10000, 784)
        The test images.
    y_test : ndarray of shape (10000,)
        The test labels.
    class_names : tuple of str
        The ten class names, indexed by label.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]


# the fields' own docstrings (Python's default is "Alias for field number N")
FashionMNIST.X_train.__doc__ = "The 60,000 training images, one row of 784 pixels each."
FashionMNIST.y_train.__doc__ = "The training labels, 0-9."
FashionMNIST.X_test.__doc__ = "The 10,000 test images, one row of 784 pixels each."
FashionMNIST.y_test.__doc__ = "The test labels, 0-9."
FashionMNIST.class_names.__doc__ = "The ten class names, indexed by label."


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    """An unsigned-byte IDX array (gzip), checked against its own header."""
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable gzip file ({exc})") from None
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    zero, dtype_code, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08 or dims != ndim:
        raise ValueError(f"{path}: not an unsigned-byte IDX file with {ndim} dimension(s) "
                         f"(magic {data[:4].hex()})")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    body = data[4 + 4 * ndim:]
    if len(body) != int(np.prod(shape)):
        raise ValueError(f"{path}: the header promises {int(np.prod(shape))} bytes of data "
                         f"for shape {shape}, the file has {len(body)}")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def load_fashion_mnist(data_dir: str | os.PathLike | None = None, *,
                       dtype=np.float32) -> FashionMNIST:
    """Load Fashion-MNIST from ``data_dir`` (default: Debian's package location).

    Parameters
    ----------
    data_dir : path, optional
        A directory holding ``train-images-idx3-ubyte.gz`` and the three other files of
        the official release. Default: ``/usr/share/datasets/fashion-mnist``, where
        Debian's ``dataset-fashion-mnist`` package puts them.
    dtype : dtype, optional
        float32 (default) or float64: pixels scaled to [0, 1]; uint8: the raw bytes.

    Returns
    -------
    FashionMNIST
        ``X_*`` of shape (n, 784), ``y_*`` of shape (n,) with labels 0-9, and the class
        names.

    Raises
    ------
    FileNotFoundError
        Saying how to get the files when they are missing.
    ValueError
        A file that is truncated, corrupted or not an IDX file, naming it.

    Examples
    --------
    >>> from softmaxkit.datasets import load_fashion_mnist
    >>> data = load_fashion_mnist()  # doctest: +SKIP
    >>> data.X_train.shape, data.y_test.shape  # doctest: +SKIP
    ((60000, 784), (10000,))
    """
    directory = Path(data_dir) if data_dir is not None else DEFAULT_FASHION_MNIST_DIR
    dt = np.dtype(dtype)
    if dt not in (np.uint8, np.float32, np.float64):
        raise TypeError(f"load_fashion_mnist: 'dtype' must be uint8, float32 or float64, got {dt}")
    arrays = {}
    for key, (name, ndim) in _FILES.items():
        path = directory / name
        if not path.is_file():
            raise FileNotFoundError(
                f"Fashion-MNIST is not at {path}. On Debian or Ubuntu: "
                "sudo apt-get install dataset-fashion-mnist; or pass data_dir= a directory "
                "holding the four files of the official release (train-/t10k-images-idx3-"
                "ubyte.gz, train-/t10k-labels-idx1-ubyte.gz)."
            )
        arrays[key] = _read_idx(path, ndim)
    for split in ("train", "test"):
        X, y = arrays[f"X_{split}"], arrays[f"y_{split}"]
        if X.shape[0] != y.shape[0] or X.shape[1:] != (28, 28):
            raise ValueError(f"{directory}: {split} images {X.shape} and labels {y.shape} do "
                             "not match Fashion-MNIST's 28 x 28 images with one label each")
        if y.max(initial=0) > 9:
            raise ValueError(f"{directory}: {split} labels go up to {int(y.max())}, not 0-9")
        X = X.reshape(X.shape[0], -1)
        arrays[f"X_{split}"] = X if dt == np.uint8 else X.astype(dt) / dt.type(255)
    return FashionMNIST(arrays["X_train"], arrays["y_train"], arrays["X_test"],
                        arrays["y_test"], CLASS_NAMES)
