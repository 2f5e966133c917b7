"""softmaxkit: the softmax family, exact to a few ulps, and the softmax classifier.

>>> import softmaxkit as sk
>>> sk.softmax([1.0, 2.0, 3.0])
array([0.09003057, 0.24472847, 0.66524096])
"""

from importlib.metadata import PackageNotFoundError, version

from ._config import backend, get_backend, get_num_threads, set_backend, set_num_threads
from ._functions import hardmax, log_softmax, logsumexp, smooth_max, softmax, softmin, std_norm

try:
    __version__ = version("softmaxkit")
except PackageNotFoundError:  # imported from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "backend",
    "get_backend",
    "get_num_threads",
    "set_backend",
    "set_num_threads",
    "hardmax",
    "log_softmax",
    "logsumexp",
    "smooth_max",
    "softmax",
    "softmin",
    "std_norm",
]
