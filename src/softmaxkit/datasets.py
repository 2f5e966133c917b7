"""Datasets that need no download: Fashion-MNIST from Debian's ``dataset-fashion-mnist``
package (IDX files, gzip), and scikit-learn's bundled iris, digits, wine, breast_cancer.
"""

from ._core.datasets import (
    CLASS_NAMES,
    DEFAULT_FASHION_MNIST_DIR,
    FashionMNIST,
    load_fashion_mnist,
)

__all__ = ["FashionMNIST", "load_fashion_mnist", "DEFAULT_FASHION_MNIST_DIR", "CLASS_NAMES"]
