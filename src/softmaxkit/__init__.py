"""softmaxkit: the softmax family, exact to a few ulps, and the softmax classifier.

>>> import softmaxkit as sk
>>> sk.softmax([1.0, 2.0, 3.0])
array([0.09003057, 0.24472847, 0.66524096])
"""

from ._api.attention import attention_softmax, attention_softmax_backward
from ._api.cs231n import softmax_loss_naive, softmax_loss_vectorized
from ._api.family import hardmax, log_softmax, logsumexp, smooth_max, softmax, softmin, std_norm
from ._api.gradients import (
    GradCheck,
    check_grad,
    log_softmax_backward,
    logsumexp_backward,
    smooth_max_backward,
    softmax_backward,
    softmax_jacobian,
    softmax_temperature_grad,
)
from ._api.layers import (
    Entmax15,
    Entmax15Loss,
    EntmaxBisect,
    EntmaxLoss,
    Linear,
    LogSoftmax,
    Sequential,
    Softmax,
    SoftmaxCrossEntropy,
    Sparsemax,
    SparsemaxLoss,
)
from ._api.losses import cross_entropy, linear_cross_entropy, nll_loss
from ._api.segments import (
    segment_log_softmax,
    segment_log_softmax_backward,
    segment_logsumexp,
    segment_softmax,
    segment_softmax_backward,
)
from ._api.sparse import (
    entmax,
    entmax15,
    entmax15_backward,
    entmax15_loss,
    entmax_backward,
    entmax_loss,
    sparsemax,
    sparsemax_backward,
    sparsemax_loss,
)
from ._api.streaming import (
    LSEState,
    logcumsumexp,
    logcumsumexp_backward,
    lse_finalize,
    lse_merge,
    lse_state,
    softmax_merge,
)
from ._core import optional as _optional
from ._core.config import backend, get_backend, get_num_threads, set_backend, set_num_threads
from ._core.version import __version__


def __getattr__(name):
    # The classifier needs scikit-learn (the "sklearn" extra): loaded on first use only.
    if name in ("SoftmaxClassifier", "softmax_grid_search"):
        try:
            return getattr(_optional.classifier(), name)
        except ImportError as exc:
            raise ImportError(
                f"softmaxkit.{name} needs scikit-learn: pip install 'softmaxkit[sklearn]'"
            ) from exc
    raise AttributeError(f"module 'softmaxkit' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)

__all__ = [
    "__version__",
    "GradCheck",
    "Linear",
    "LogSoftmax",
    "Sequential",
    "SoftmaxClassifier",
    "Softmax",
    "SoftmaxCrossEntropy",
    "check_grad",
    "cross_entropy",
    "linear_cross_entropy",
    "log_softmax_backward",
    "logsumexp_backward",
    "nll_loss",
    "smooth_max_backward",
    "softmax_backward",
    "softmax_grid_search",
    "softmax_jacobian",
    "softmax_loss_naive",
    "softmax_loss_vectorized",
    "softmax_temperature_grad",
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
    "entmax",
    "entmax15",
    "entmax15_backward",
    "entmax15_loss",
    "entmax_backward",
    "entmax_loss",
    "sparsemax",
    "sparsemax_backward",
    "sparsemax_loss",
    "Entmax15",
    "Entmax15Loss",
    "EntmaxBisect",
    "EntmaxLoss",
    "Sparsemax",
    "SparsemaxLoss",
    "attention_softmax",
    "attention_softmax_backward",
    "LSEState",
    "logcumsumexp",
    "logcumsumexp_backward",
    "lse_finalize",
    "lse_merge",
    "lse_state",
    "softmax_merge",
    "segment_log_softmax",
    "segment_log_softmax_backward",
    "segment_logsumexp",
    "segment_softmax",
    "segment_softmax_backward",
]
