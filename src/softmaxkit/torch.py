"""softmaxkit for PyTorch: the family as custom operators with autograd, and modules.

Importing this module registers the operators ``torch.ops.softmaxkit.softmax``,
``log_softmax``, ``softmin``, ``logsumexp``, ``softmax_backward``,
``log_softmax_backward``, ``cross_entropy`` (loss and gradient in one pass) and
``linear_cross_entropy`` (chunked, gradients of x, weight and bias). CPU tensors compute
on the native kernels without a copy, backward included; tensors on other devices take
the array-API path. The operators work under ``torch.compile(fullgraph=True)``.

The functions below take PyTorch's argument names; the modules are drop-in
replacements for ``torch.nn``'s. Where the semantics differ from PyTorch's, they are
those of the rest of softmaxkit: a fully masked (all ``-inf``) slice gives zeros, not
NaN, with a finite gradient; a mean cross-entropy over no counted sample is 0, not NaN.

Examples
--------
>>> import torch
>>> import softmaxkit.torch as skt
>>> x = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
>>> y = skt.softmax(x, dim=-1)
>>> y.detach(), y.grad_fn is not None
(tensor([[0.0900, 0.2447, 0.6652]]), True)
>>> loss = skt.cross_entropy(x, torch.tensor([2]))
>>> loss.backward()
>>> x.grad
tensor([[ 0.0900,  0.2447, -0.3348]])
"""

from __future__ import annotations

import torch
from torch import Tensor, is_floating_point, nn

from ._api import attention as _att
from ._core.docstrings import parameter_entries, with_parameters
from ._frameworks import torch_ops as _ops
from ._frameworks.torch_ops import OPERATORS

__all__ = ["OPERATORS", "softmax", "log_softmax", "softmin", "logsumexp", "cross_entropy",
           "linear_cross_entropy", "Softmax", "LogSoftmax", "Softmin", "CrossEntropyLoss",
           "sparsemax", "entmax15", "entmax_bisect", "sparsemax_loss", "entmax15_loss",
           "entmax_bisect_loss", "Sparsemax", "Entmax15", "EntmaxBisect", "SparsemaxLoss",
           "Entmax15Loss", "EntmaxBisectLoss", "attention_softmax", "segment_softmax",
           "logcumsumexp", "gumbel_softmax"]


_dims = _ops._dims

# the parameters of this module's functions and modules: PyTorch's names and meanings
_PARAMETERS = {
    "input": "input : Tensor\n    The scores, of a floating dtype (CPU tensors run on the native "
             "kernels).",
    "dim": "dim : int or tuple of ints, optional\n    The dimension (or dimensions) of one "
           "slice. Default -1.",
    "temperature": "temperature : float, optional\n    Divides ``input`` first; a finite "
                   "number > 0. Default 1.",
    "keepdim": "keepdim : bool, optional\n    Keep the reduced dimensions, with size 1. "
               "Default False.",
    "target": "target : Tensor\n    Class indices (``input``'s shape without the class "
              "dimension) or class\n    probabilities (``input``'s shape), as for "
              "``F.cross_entropy``.",
    "weight": "weight : Tensor, optional\n    A weight per class, as for "
              "``F.cross_entropy``.",
    "ignore_index": "ignore_index : int, optional\n    Class-index targets equal to it "
                    "count for nothing. Default -100.",
    "reduction": "reduction : {'mean', 'sum', 'none'}, optional\n    As for "
                 "``F.cross_entropy``; a mean over no counted sample is 0. Default 'mean'.",
    "label_smoothing": "label_smoothing : float, optional\n    In [0, 1], as for "
                       "``F.cross_entropy``. Default 0.",
    "alpha": "alpha : float or Tensor, optional\n    α, a number >= 1 (a tensor gives one "
             "per slice, and can be learned).\n    Default 1.5.",
    "n_iter": "n_iter : int, optional\n    Bisection steps. Default 50.",
}
# attention_softmax's are the NumPy function's, on tensors
_ATTENTION = {name: text.replace("array_like", "Tensor")
              for name, text in parameter_entries(_att.attention_softmax.__doc__ or "")}
_LOSS = "Tensor\n    The loss, reduced as ``reduction`` says."
_REDUCED = ("Tensor\n    The log-sum-exp, without the reduced dimensions (kept, with size 1, "
            "with\n    ``keepdim``).")
_ALL_DIMS = ("dim : int, tuple of ints or None, optional\n    The dimensions to reduce; "
             "None: all of them. Default None.")
_ONE_DIM = "dim : int, optional\n    The dimension to accumulate along. Default -1."
_REVERSE = "reverse : bool, optional\n    Accumulate from the end. Default False."
_LINEAR = {**_PARAMETERS,
           "input": "input : Tensor\n    The features, (N, D).",
           "weight": "weight : Tensor\n    The classes' weights, (C, D).",
           "bias": "bias : Tensor or None\n    The classes' biases, (C,), or None.",
           "target": "target : Tensor\n    Class indices, (N,).",
           "reduction": "reduction : {'mean', 'sum'}, optional\n    Default 'mean'.",
           "chunk_size": "chunk_size : int, optional\n    Rows of logits formed at a time "
                         "(default: chosen from the sizes)."}
_SEGMENTS = {"input": "input : Tensor\n    The entries of all segments, one after another "
                      "(1-D).",
             "offsets": "offsets : Tensor\n    CSR offsets: segment ``i`` is "
                        "``input[offsets[i]:offsets[i + 1]]``.",
             "log": "log : bool, optional\n    Log-probabilities instead. Default False."}
_GUMBEL = {"logits": "logits : Tensor\n    Unnormalized log-probabilities.",
           "tau": "tau : float, optional\n    The temperature, > 0. Default 1.",
           "hard": "hard : bool, optional\n    A one-hot sample whose gradient is the soft "
                   "sample's\n    (straight-through). Default False.",
           "dim": "dim : int, optional\n    The class dimension. Default -1.",
           "generator": "generator : torch.Generator, optional\n    The source of the Gumbel "
                        "noise."}
_SAMPLE = ("Tensor\n    The sample, ``logits``' shape and dtype (one-hot with ``hard``).")
_MAP = "Tensor\n    ``input``'s shape and dtype."


def _on_scalar(input: Tensor, dim, call):
    """PyTorch lets a 0-d tensor be reduced over dimension 0 (or -1, or all): ``call`` on
    it as one entry of a 1-d tensor, the result back to 0-d."""
    dims = _dims(dim)
    if any(d not in (0, -1) for d in dims):
        raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but "
                         f"got {dims[0] if len(dims) == 1 else dims})")
    return call(input.reshape(1), [0]).reshape(())


@with_parameters(_PARAMETERS, returns=_MAP)
def softmax(input: Tensor, dim: int | tuple[int, ...] = -1, *,
            temperature: float = 1.0) -> Tensor:
    """Softmax of ``input / temperature`` over ``dim`` (``torch.ops.softmaxkit.softmax``).

    Exact to a few ulps (see :func:`softmaxkit.softmax`); an all ``-inf`` slice gives
    zeros where ``torch.softmax`` gives NaN.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.softmax(torch.tensor([0.0, float("-inf")]), dim=0)
    tensor([1., 0.])
    """
    if input.ndim == 0:
        return _on_scalar(input, dim, lambda x, d: _ops.softmax(x, d, float(temperature)))
    return _ops.softmax(input, _dims(dim), float(temperature))


@with_parameters(_PARAMETERS, returns=_MAP)
def log_softmax(input: Tensor, dim: int | tuple[int, ...] = -1, *,
                temperature: float = 1.0) -> Tensor:
    """Log-softmax over ``dim`` (``torch.ops.softmaxkit.log_softmax``); see
    :func:`softmaxkit.log_softmax`.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.log_softmax(torch.tensor([0.0, -40.0], dtype=torch.float64), dim=0)[0].item()
    -4.248354255291589e-18
    """
    if input.ndim == 0:
        return _on_scalar(input, dim, lambda x, d: _ops.log_softmax(x, d, float(temperature)))
    return _ops.log_softmax(input, _dims(dim), float(temperature))


@with_parameters(_PARAMETERS, returns=_MAP)
def softmin(input: Tensor, dim: int | tuple[int, ...] = -1, *,
            temperature: float = 1.0) -> Tensor:
    """Softmax of ``-input / temperature`` over ``dim`` (``torch.ops.softmaxkit.softmin``).

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.softmin(torch.tensor([0.0, 200.0]), dim=0)
    tensor([1., 0.])
    """
    if input.ndim == 0:
        return _on_scalar(input, dim, lambda x, d: _ops.softmin(x, d, float(temperature)))
    return _ops.softmin(input, _dims(dim), float(temperature))


@with_parameters(_PARAMETERS, returns=_REDUCED, dim=_ALL_DIMS)
def logsumexp(input: Tensor, dim: int | tuple[int, ...] | None = None,
              keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input)))`` over ``dim`` (all dimensions when None); its gradient is
    the softmax (``torch.ops.softmaxkit.logsumexp``).

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.logsumexp(torch.tensor([1000.0, 1000.0], dtype=torch.float64), dim=0).item()
    1000.6931471805599
    """
    if input.ndim == 0:
        return _on_scalar(input, dim, lambda x, d: _ops.logsumexp(x, d, False))
    return _ops.logsumexp(input, _dims(dim), bool(keepdim))


@with_parameters(_PARAMETERS, returns=_LOSS)
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """``torch.nn.functional.cross_entropy``'s arguments, computed by the fused kernel:
    the loss and its gradient in one pass over the logits, the gradient saved for the
    backward. The classes are along dimension 1 (0 for 1-D input), as in PyTorch.

    A mean over no counted sample (every target ``ignore_index``) is 0 with a zero
    gradient, where PyTorch gives NaN. There is no second derivative.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> z = torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    >>> skt.cross_entropy(z, torch.tensor([0, 1]))
    tensor(0.3185)
    """
    dim = 1 if input.ndim >= 2 else 0
    # as in PyTorch, ignore_index applies to class indices only
    ignore = int(ignore_index) if not is_floating_point(target) else None
    return _ops.cross_entropy(input, target, dim, weight, ignore, float(label_smoothing),
                              reduction, True)[0]


@with_parameters(_LINEAR, returns=_LOSS)
def linear_cross_entropy(input: Tensor, weight: Tensor, bias: Tensor | None, target: Tensor,
                         *, ignore_index: int = -100, reduction: str = "mean",
                         label_smoothing: float = 0.0, chunk_size: int | None = None) -> Tensor:
    """Cross-entropy of ``input @ weight.T + bias`` without forming all the logits
    (``torch.ops.softmaxkit.linear_cross_entropy``; see
    :func:`softmaxkit.linear_cross_entropy`). The gradients of ``input``, ``weight`` and
    ``bias`` come from the forward's chunks; ``reduction`` is "mean" or "sum".

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> x, w = torch.eye(2, 3), torch.ones(4, 3)
    >>> skt.linear_cross_entropy(x, w, None, torch.tensor([0, 3]))
    tensor(1.3863)
    """
    return _ops.linear_cross_entropy(input, weight, bias, target, int(ignore_index),
                                     float(label_smoothing), reduction, chunk_size, True)[0]


class _Dim(nn.Module):
    _fn = None

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    @with_parameters(_PARAMETERS, returns=_MAP)
    def forward(self, input: Tensor) -> Tensor:
        """The map along ``self.dim`` (call the module rather than this method)."""
        return type(self)._fn(input, self.dim)

    def extra_repr(self) -> str:
        """The module's settings in its ``repr``: ``dim=...``."""
        return f"dim={self.dim}"


@with_parameters(_PARAMETERS)
class Softmax(_Dim):
    """``torch.nn.Softmax(dim)`` on :func:`softmax` (``dim`` defaults to -1).

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.Softmax(dim=1)(torch.zeros(1, 4))
    tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    _fn = staticmethod(softmax)


@with_parameters(_PARAMETERS)
class LogSoftmax(_Dim):
    """``torch.nn.LogSoftmax(dim)`` on :func:`log_softmax` (``dim`` defaults to -1).

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.LogSoftmax(dim=0)(torch.tensor([0.0, -torch.inf]))
    tensor([0., -inf])
    """

    _fn = staticmethod(log_softmax)


@with_parameters(_PARAMETERS)
class Softmin(_Dim):
    """``torch.nn.Softmin(dim)`` on :func:`softmin` (``dim`` defaults to -1).

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.Softmin(dim=1)(torch.tensor([[0.0, 0.0]]))
    tensor([[0.5000, 0.5000]])
    """

    _fn = staticmethod(softmin)


@with_parameters(_PARAMETERS)
class CrossEntropyLoss(nn.Module):
    """``torch.nn.CrossEntropyLoss`` with PyTorch's arguments, on :func:`cross_entropy`.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.CrossEntropyLoss()(torch.zeros(2, 4), torch.tensor([0, 3]))
    tensor(1.3863)
    """

    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.register_buffer("weight", weight)
        self.ignore_index, self.reduction = ignore_index, reduction
        self.label_smoothing = label_smoothing

    @with_parameters(_PARAMETERS, returns=_LOSS)
    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of ``input`` against ``target`` (call the module rather than this)."""
        return cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                             self.label_smoothing)



# ---------------------------------------------------------------------- sparse maps


def _map(kind: str, input: Tensor, dim, alpha=None, n_iter: int = 50) -> Tensor:
    a = alpha if isinstance(alpha, Tensor) else \
        torch.tensor(1.5 if alpha is None else float(alpha), dtype=input.dtype)
    if input.ndim == 0:
        return _on_scalar(input, dim, lambda x, d: _ops.entmax(x, a, d, kind, n_iter))
    return _ops.entmax(input, a, _dims(dim), kind, int(n_iter))


@with_parameters(_PARAMETERS, returns=_MAP)
def sparsemax(input: Tensor, dim: int | tuple[int, ...] = -1) -> Tensor:
    """Sparsemax over ``dim`` (``torch.ops.softmaxkit.entmax``, see
    :func:`softmaxkit.sparsemax`), with autograd.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.sparsemax(torch.tensor([0.5, 1.0, 1.2], dtype=torch.float64))
    tensor([0.0000, 0.4000, 0.6000], dtype=torch.float64)
    """
    return _map("sparsemax", input, dim)


@with_parameters(_PARAMETERS, returns=_MAP)
def entmax15(input: Tensor, dim: int | tuple[int, ...] = -1) -> Tensor:
    """1.5-entmax over ``dim`` (see :func:`softmaxkit.entmax15`), with autograd.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.entmax15(torch.tensor([1.0, 2.0, 3.0]))
    tensor([0.0000, 0.1693, 0.8307])
    """
    return _map("entmax15", input, dim)


@with_parameters(_PARAMETERS, returns=_MAP)
def entmax_bisect(input: Tensor, alpha: float | Tensor = 1.5,
                  dim: int | tuple[int, ...] = -1, n_iter: int = 50) -> Tensor:
    """α-entmax over ``dim`` by bisection (see :func:`softmaxkit.entmax`), with autograd
    for ``input`` and for ``alpha`` when it is a tensor that requires grad (a number, or
    one per slice: the input's shape with ``dim`` as 1).

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> alpha = torch.tensor(1.5, requires_grad=True)
    >>> skt.entmax_bisect(torch.tensor([1.0, 2.0, 3.0]), alpha)[2].backward()
    >>> round(alpha.grad.item(), 4)
    0.2485
    """
    return _map("entmax", input, dim, alpha, n_iter)


def _fy(kind, input, target, alpha, n_iter, weight, ignore_index, reduction,
        label_smoothing):
    dim = 1 if input.ndim >= 2 else 0
    ignore = int(ignore_index) if not is_floating_point(target) else None
    return _ops.fenchel_young(input, target, dim, kind, float(alpha), int(n_iter), weight,
                              ignore, float(label_smoothing), reduction)[0]


@with_parameters(_PARAMETERS, returns=_LOSS)
def sparsemax_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                   ignore_index: int = -100, reduction: str = "mean",
                   label_smoothing: float = 0.0) -> Tensor:
    """The sparsemax loss with :func:`cross_entropy`'s arguments (classes along
    dimension 1); see :func:`softmaxkit.sparsemax_loss`.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.sparsemax_loss(torch.tensor([[0.5, 1.0, 1.2]]), torch.tensor([2]))
    tensor(0.1600)
    """
    return _fy("sparsemax", input, target, 2.0, 50, weight, ignore_index, reduction,
               label_smoothing)


@with_parameters(_PARAMETERS, returns=_LOSS)
def entmax15_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """The 1.5-entmax loss (see :func:`sparsemax_loss`).

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.entmax15_loss(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([2]))
    tensor(0.0617)
    """
    return _fy("entmax15", input, target, 1.5, 50, weight, ignore_index, reduction,
               label_smoothing)


@with_parameters(_PARAMETERS, returns=_LOSS)
def entmax_bisect_loss(input: Tensor, target: Tensor, alpha: float = 1.5,
                       weight: Tensor | None = None, ignore_index: int = -100,
                       reduction: str = "mean", label_smoothing: float = 0.0,
                       n_iter: int = 50) -> Tensor:
    """The α-entmax loss (see :func:`sparsemax_loss`); ``alpha`` a number >= 1.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.entmax_bisect_loss(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([2]), 1.5)
    tensor(0.0617)
    """
    return _fy("entmax", input, target, alpha, n_iter, weight, ignore_index, reduction,
               label_smoothing)


@with_parameters(_PARAMETERS)
class Sparsemax(_Dim):
    """:func:`sparsemax` over ``dim`` as a module (``entmax.Sparsemax``'s role).

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.Sparsemax(dim=1)(torch.tensor([[3.0, 1.0]]))
    tensor([[1., 0.]])
    """

    _fn = staticmethod(sparsemax)


@with_parameters(_PARAMETERS)
class Entmax15(_Dim):
    """:func:`entmax15` over ``dim`` as a module.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.Entmax15()(torch.tensor([0.0, 0.0]))
    tensor([0.5000, 0.5000])
    """

    _fn = staticmethod(entmax15)


@with_parameters(_PARAMETERS)
class EntmaxBisect(nn.Module):
    """:func:`entmax_bisect` as a module; pass ``alpha`` as an ``nn.Parameter`` to learn it.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.EntmaxBisect(alpha=2.0)(torch.tensor([3.0, 1.0]))
    tensor([1., 0.])
    """

    def __init__(self, alpha: float | Tensor = 1.5, dim: int = -1, n_iter: int = 50) -> None:
        super().__init__()
        self.alpha, self.dim, self.n_iter = alpha, dim, n_iter

    @with_parameters(_PARAMETERS, returns=_MAP)
    def forward(self, input: Tensor) -> Tensor:
        """entmax with ``self.alpha`` along ``self.dim`` (call the module rather than this)."""
        return entmax_bisect(input, self.alpha, self.dim, self.n_iter)


@with_parameters(_PARAMETERS)
class SparsemaxLoss(CrossEntropyLoss):
    """:func:`sparsemax_loss` as a module, with ``CrossEntropyLoss``'s arguments.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.SparsemaxLoss()(torch.tensor([[3.0, 1.0]]), torch.tensor([0]))
    tensor(0.)
    """

    _kind, _alpha = "sparsemax", 2.0

    @with_parameters(_PARAMETERS, returns=_LOSS)
    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of ``input`` against ``target`` (call the module rather than this)."""
        return _fy(self._kind, input, target, self._alpha, 50, self.weight,
                   self.ignore_index, self.reduction, self.label_smoothing)


@with_parameters(_PARAMETERS)
class Entmax15Loss(SparsemaxLoss):
    """:func:`entmax15_loss` as a module.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.Entmax15Loss()(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([2]))
    tensor(0.0617)
    """

    _kind, _alpha = "entmax15", 1.5


@with_parameters(_PARAMETERS)
class EntmaxBisectLoss(SparsemaxLoss):
    """:func:`entmax_bisect_loss` as a module (``alpha`` a number >= 1).

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.EntmaxBisectLoss(alpha=1.5)(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([2]))
    tensor(0.0617)
    """

    _kind = "entmax"

    def __init__(self, alpha: float = 1.5, weight: Tensor | None = None,
                 ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0, n_iter: int = 50) -> None:
        super().__init__(weight, ignore_index, reduction, label_smoothing)
        self._alpha, self.n_iter = float(alpha), n_iter

    @with_parameters(_PARAMETERS, returns=_LOSS)
    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of ``input`` against ``target`` (call the module rather than this)."""
        return _fy(self._kind, input, target, self._alpha, self.n_iter, self.weight,
                   self.ignore_index, self.reduction, self.label_smoothing)


# ------------------------------------------------------------------ attention scores


@with_parameters(_ATTENTION, returns=_MAP.replace("input", "scores"))
def attention_softmax(scores: Tensor, *, scale: float = 1.0, mask: Tensor | None = None,
                      bias: Tensor | None = None, causal: bool | str = False,
                      alibi_slopes: Tensor | None = None,
                      sink: float | Tensor | None = None) -> Tensor:
    """The attention weights (``torch.ops.softmaxkit.attention_softmax``, see
    :func:`softmaxkit.attention_softmax`), with autograd for the scores, ``bias``,
    ``alibi_slopes`` and ``sink`` (gpt-oss's learned sinks).

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.attention_softmax(torch.zeros(3, 3), causal=True)
    tensor([[1.0000, 0.0000, 0.0000],
            [0.5000, 0.5000, 0.0000],
            [0.3333, 0.3333, 0.3333]])
    """
    mode = _att.causal_mode("attention_softmax", causal)
    if sink is not None and not isinstance(sink, Tensor):
        sink = torch.tensor(float(sink), dtype=scores.dtype)
    return _ops.attention_softmax(scores, _att.scale_value("attention_softmax", scale), mask,
                                  bias, mode, alibi_slopes, sink)


@with_parameters(_SEGMENTS, returns=_MAP)
def segment_softmax(input: Tensor, offsets: Tensor, *, log: bool = False) -> Tensor:
    """Softmax (``log``: log-softmax) within the CSR segments ``offsets`` of the first
    dimension (``torch.ops.softmaxkit.segment_softmax``, see
    :func:`softmaxkit.segment_softmax`), with autograd.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.segment_softmax(torch.tensor([0.0, 0.0, 3.0]), torch.tensor([0, 2, 3]))
    tensor([0.5000, 0.5000, 1.0000])
    """
    return _ops.segment_softmax(input, offsets, bool(log))


@with_parameters(_PARAMETERS, returns=_MAP, dim=_ONE_DIM, reverse=_REVERSE)
def logcumsumexp(input: Tensor, dim: int = -1, *, reverse: bool = False) -> Tensor:
    """The cumulative log-sum-exp along ``dim`` (``torch.ops.softmaxkit.logcumsumexp``, see
    :func:`softmaxkit.logcumsumexp`), with autograd.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> skt.logcumsumexp(torch.zeros(3, dtype=torch.float64))
    tensor([0.0000, 0.6931, 1.0986], dtype=torch.float64)
    """
    return _ops.logcumsumexp(input, int(dim), bool(reverse))


@with_parameters(_GUMBEL, returns=_SAMPLE)
def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, dim: int = -1, *,
                   generator: torch.Generator | None = None) -> Tensor:
    """A Gumbel-softmax sample (``torch.ops.softmaxkit.gumbel_softmax``, see
    :func:`softmaxkit.sample.gumbel_softmax`), with autograd: with ``hard=True`` the
    one-hot sample, whose gradient is the soft sample's (straight-through), as
    ``torch.nn.functional.gumbel_softmax``. The noise is PyTorch's, from ``generator``.

    Examples
    --------
    >>> import torch, softmaxkit.torch as skt
    >>> x = torch.tensor([1.0, 2.0, 30.0], requires_grad=True)
    >>> gen = torch.Generator().manual_seed(0)
    >>> y = skt.gumbel_softmax(x, tau=0.5, hard=True, generator=gen)
    >>> y.detach()
    tensor([0., 0., 1.])
    >>> y[2].backward()
    >>> x.grad.abs().sum() > 0  # the soft sample's gradient
    tensor(True)
    """
    noise = -torch.empty_like(logits).exponential_(generator=generator).log()
    return _ops.gumbel_softmax(logits, noise, float(tau), bool(hard), int(dim))[0]
