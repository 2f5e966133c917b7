"""The family as PyTorch custom operators (``torch.ops.softmaxkit.*``), with autograd.

Each operator's implementation is the public function on the operator's tensors: a CPU
tensor reaches the native kernels through a view of its memory (``_api.dispatch``), a
tensor on another device takes the array-API path. ``register_fake`` gives the output
shapes, so ``torch.compile`` traces the operators without running them, and
``register_autograd`` gives the backward, itself made of operators with their own
backward where a second derivative is defined (the family and its backward functions).
The fused losses keep the gradient their forward computed and hand it to the backward
scaled in place (computed again if the graph is run backward twice); differentiating that
gradient again raises.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .._api import (
    attention,
    dispatch,
    family,
    gradients,
    losses,
    sampling,
    segments,
    sparse,
    streaming,
)
from .._core import numerics as nm
from .._core import sparsemaps as sm
from .._core import validation as v

__all__ = ["softmax", "log_softmax", "softmin", "logsumexp", "softmax_backward",
           "log_softmax_backward", "cross_entropy", "linear_cross_entropy", "entmax",
           "entmax_backward", "fenchel_young", "attention_softmax", "segment_softmax",
           "logcumsumexp", "gumbel_softmax", "OPERATORS"]

_NS = "softmaxkit"


def _axes(dim: list[int]):
    return tuple(dim) if dim else None


def _like(res: Tensor, ref: Tensor, dtype=None) -> Tensor:
    """``res`` laid out as ``torch.empty_like(ref)`` (what the fake kernels say the
    operators return): the kernels' results of strided or permuted input can be laid out
    otherwise, and ``torch.compile`` relies on the fake kernels' strides."""
    out = torch.empty_like(ref, dtype=res.dtype if dtype is None else dtype)
    if out.stride() == res.stride():
        return res
    return out.copy_(res)


# ------------------------------------------------------------------- the family


@torch.library.custom_op(f"{_NS}::softmax", mutates_args=())
def softmax(x: Tensor, dim: list[int], temperature: float = 1.0) -> Tensor:
    return _like(family.softmax(x, _axes(dim), temperature=temperature), x)


@torch.library.custom_op(f"{_NS}::log_softmax", mutates_args=())
def log_softmax(x: Tensor, dim: list[int], temperature: float = 1.0) -> Tensor:
    return _like(family.log_softmax(x, _axes(dim), temperature=temperature), x)


@torch.library.custom_op(f"{_NS}::softmin", mutates_args=())
def softmin(x: Tensor, dim: list[int], temperature: float = 1.0) -> Tensor:
    return _like(family.softmin(x, _axes(dim), temperature=temperature), x)


@torch.library.custom_op(f"{_NS}::logsumexp", mutates_args=())
def logsumexp(x: Tensor, dim: list[int], keepdim: bool = False) -> Tensor:
    return family.logsumexp(x, _axes(dim), keepdims=keepdim)


@torch.library.custom_op(f"{_NS}::softmax_backward", mutates_args=())
def softmax_backward(y: Tensor, dy: Tensor, dim: list[int], temperature: float = 1.0) -> Tensor:
    return _like(gradients.softmax_backward(y, dy, _axes(dim), temperature=temperature), y)


@torch.library.custom_op(f"{_NS}::log_softmax_backward", mutates_args=())
def log_softmax_backward(logp: Tensor, dy: Tensor, dim: list[int],
                         temperature: float = 1.0) -> Tensor:
    return _like(gradients.log_softmax_backward(logp, dy, _axes(dim),
                                                temperature=temperature), logp)


for _op in (softmax, log_softmax, softmin):
    _op.register_fake(lambda x, dim, temperature=1.0: torch.empty_like(x))
for _op in (softmax_backward, log_softmax_backward):
    _op.register_fake(lambda y, dy, dim, temperature=1.0:
                      torch.empty_like(y, dtype=torch.result_type(y, dy)))


@logsumexp.register_fake
def _(x, dim, keepdim=False):
    return x.new_empty(nm.reduced_shape(x.shape, dim or range(x.ndim), keepdim))


def _sum(a, dim):
    return a.sum(dim=dim if dim else None, keepdim=True)


def _save_output(ctx, inputs, output):
    ctx.dim, ctx.temperature = inputs[1], inputs[2]
    ctx.save_for_backward(output)


def _softmax_grad(ctx, g):
    (y,) = ctx.saved_tensors
    return softmax_backward(y, g, ctx.dim, ctx.temperature), None, None


def _softmin_grad(ctx, g):
    (y,) = ctx.saved_tensors
    return -softmax_backward(y, g, ctx.dim, ctx.temperature), None, None


def _log_softmax_grad(ctx, g):
    (logp,) = ctx.saved_tensors
    return log_softmax_backward(logp, g, ctx.dim, ctx.temperature), None, None


softmax.register_autograd(_softmax_grad, setup_context=_save_output)
softmin.register_autograd(_softmin_grad, setup_context=_save_output)
log_softmax.register_autograd(_log_softmax_grad, setup_context=_save_output)


def _lse_setup(ctx, inputs, output):
    ctx.dim, ctx.keepdim = inputs[1], inputs[2]
    ctx.save_for_backward(inputs[0])


def _lse_grad(ctx, g):
    (x,) = ctx.saved_tensors
    dims = sorted({d % x.ndim for d in ctx.dim}) if ctx.dim else list(range(x.ndim))
    if not ctx.keepdim:
        for d in dims:
            g = g.unsqueeze(d)
    # the gradient of log-sum-exp is the softmax over the same axes
    return softmax(x, ctx.dim, 1.0) * g, None, None


logsumexp.register_autograd(_lse_grad, setup_context=_lse_setup)


def _vjp_setup(ctx, inputs, output):
    ctx.dim, ctx.temperature = inputs[2], inputs[3]
    ctx.save_for_backward(inputs[0], inputs[1])


def _softmax_backward_grad(ctx, gg):
    # dx = y * (dy - sum(y * dy)) / T: linear in dy, and in y with the product rule
    y, dy = ctx.saved_tensors
    t = ctx.temperature
    grad_dy = softmax_backward(y, gg, ctx.dim, t)
    grad_y = (gg * (dy - _sum(y * dy, ctx.dim)) - dy * _sum(gg * y, ctx.dim)) / t
    return grad_y, grad_dy, None, None


def _log_softmax_backward_grad(ctx, gg):
    # dx = (dy - exp(logp) * sum(dy)) / T
    logp, dy = ctx.saved_tensors
    t = ctx.temperature
    p = torch.exp(logp)
    grad_dy = (gg - _sum(gg * p, ctx.dim)) / t
    grad_logp = -gg * p * _sum(dy, ctx.dim) / t
    return grad_logp, grad_dy, None, None


softmax_backward.register_autograd(_softmax_backward_grad, setup_context=_vjp_setup)
log_softmax_backward.register_autograd(_log_softmax_backward_grad, setup_context=_vjp_setup)


# ------------------------------------------------------------------- fused losses


def _no_second_derivative(name: str):
    if torch.is_grad_enabled():
        raise RuntimeError(f"softmaxkit.torch.{name}: the fused loss has no second "
                           "derivative (its backward reuses the gradient of the forward)")


@torch.library.custom_op(f"{_NS}::cross_entropy", mutates_args=())
def cross_entropy(logits: Tensor, target: Tensor, dim: int, weight: Tensor | None,
                  ignore_index: int | None, label_smoothing: float, reduction: str,
                  consume_grad: bool = False) -> tuple[Tensor, Tensor]:
    """The loss and its gradient. With ``consume_grad`` (the callers that drop the
    gradient output: ``softmaxkit.torch.cross_entropy``) the backward scales that tensor in
    place instead of making a second one of the logits' size."""
    loss, grad = losses.cross_entropy(logits, target, dim, weight=weight,
                                      ignore_index=ignore_index,
                                      label_smoothing=label_smoothing, reduction=reduction,
                                      return_grad=True)
    return loss, _like(grad, logits)


@cross_entropy.register_fake
def _(logits, target, dim, weight, ignore_index, label_smoothing, reduction,
      consume_grad=False):
    if reduction != "none":
        shape = []
    else:
        shape = [s for d, s in enumerate(logits.shape) if d != dim % logits.ndim]
    return logits.new_empty(shape), torch.empty_like(logits)


def _scaled(grad, g, in_place: bool):
    """``grad * g``; in place on the forward's own gradient (no second array of its size)
    when no caller holds it and running eagerly (``torch.compile`` works on functional
    copies of the tensors)."""
    if not in_place or type(grad) is not Tensor or torch.compiler.is_compiling():
        return grad * g
    return grad.mul_(g)


def _xent_setup(ctx, inputs, output):
    ctx.inputs = inputs[1:7]
    ctx.in_place = inputs[7] if len(inputs) > 7 else False
    ctx.set_materialize_grads(False)
    ctx.mark_non_differentiable(output[1])  # the gradient output: a constant to autograd
    ctx.save_for_backward(inputs[0])
    # the forward's gradient, handed out once (detached: no reference back to the graph)
    ctx.grad = output[1].detach()


def _xent_grad(ctx, g_loss, g_grad):
    _no_second_derivative("cross_entropy")
    target, dim, weight, ignore_index, smoothing, reduction = ctx.inputs
    if g_loss is None:
        return (None,) * 8
    grad, ctx.grad = ctx.grad, None
    if grad is None:  # a second backward through the graph (retain_graph=True)
        (logits,) = ctx.saved_tensors
        grad = cross_entropy(logits, target, dim, weight, ignore_index, smoothing,
                             reduction)[1]
    if reduction == "none":
        g_loss = g_loss.unsqueeze(dim % grad.ndim)
    return _scaled(grad, g_loss, ctx.in_place), None, None, None, None, None, None, None


cross_entropy.register_autograd(_xent_grad, setup_context=_xent_setup)


@torch.library.custom_op(f"{_NS}::linear_cross_entropy", mutates_args=())
def linear_cross_entropy(x: Tensor, weight: Tensor, bias: Tensor | None, target: Tensor,
                         ignore_index: int | None, label_smoothing: float, reduction: str,
                         chunk_size: int | None, consume_grad: bool = False
                         ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The loss and the gradients of x, weight and bias (an empty tensor without bias);
    ``consume_grad`` as for :func:`cross_entropy`."""
    if reduction == "none":
        raise ValueError("softmaxkit.torch.linear_cross_entropy: reduction='none' has no "
                         "fused gradient; use 'mean' or 'sum'")
    loss, (dx, dw, db) = losses.linear_cross_entropy(
        x, weight, bias, target, chunk_size=chunk_size, ignore_index=ignore_index,
        label_smoothing=label_smoothing, reduction=reduction, return_grad=True)
    db = _like(db, bias) if db is not None else weight.new_empty(0)
    return loss, _like(dx, x), _like(dw, weight), db


@linear_cross_entropy.register_fake
def _(x, weight, bias, target, ignore_index, label_smoothing, reduction, chunk_size,
      consume_grad=False):
    db = torch.empty_like(bias) if bias is not None else weight.new_empty(0)
    return x.new_empty([]), torch.empty_like(x), torch.empty_like(weight), db


def _linear_setup(ctx, inputs, output):
    ctx.inputs = inputs[2:8]
    ctx.in_place = inputs[8] if len(inputs) > 8 else False
    ctx.set_materialize_grads(False)
    ctx.mark_non_differentiable(*output[1:])  # the gradient outputs: constants to autograd
    ctx.save_for_backward(inputs[0], inputs[1])
    ctx.grads = [g.detach() for g in output[1:]]  # handed out once, as cross_entropy's


def _linear_grad(ctx, g_loss, *g_grads):
    _no_second_derivative("linear_cross_entropy")
    if g_loss is None:
        return (None,) * 9
    grads, ctx.grads = ctx.grads, None
    if grads is None:  # a second backward through the graph (retain_graph=True)
        grads = linear_cross_entropy(*ctx.saved_tensors, *ctx.inputs)[1:]
    dx, dw, db = grads
    has_bias = ctx.inputs[0] is not None
    inplace = ctx.in_place
    return (_scaled(dx, g_loss, inplace), _scaled(dw, g_loss, inplace),
            _scaled(db, g_loss, inplace) if has_bias else None,
            None, None, None, None, None, None)


linear_cross_entropy.register_autograd(_linear_grad, setup_context=_linear_setup)

# ------------------------------------------------------------------ sparse maps


def _alpha_arg(alpha: Tensor):
    return float(alpha) if alpha.ndim == 0 else alpha


_MAPS = {"sparsemax": lambda x, d, a, n: sparse.sparsemax(x, d),
         "entmax15": lambda x, d, a, n: sparse.entmax15(x, d),
         "entmax": lambda x, d, a, n: sparse.entmax(x, _alpha_arg(a), d, n_iter=n)}


@torch.library.custom_op(f"{_NS}::entmax", mutates_args=())
def entmax(x: Tensor, alpha: Tensor, dim: list[int], kind: str, n_iter: int = 50) -> Tensor:
    """sparsemax, entmax15 or entmax (``kind``); ``alpha`` (a tensor: it may be learned)
    is used by "entmax" only."""
    if kind not in _MAPS:
        raise ValueError(f"softmaxkit::entmax: unknown kind {kind!r}")
    return _like(_MAPS[kind](x, _axes(dim), alpha.detach(), n_iter), x)


@torch.library.custom_op(f"{_NS}::entmax_backward", mutates_args=())
def entmax_backward(y: Tensor, dy: Tensor, alpha: Tensor, dim: list[int],
                    kind: str) -> tuple[Tensor, Tensor]:
    """The gradients of the input and of ``alpha`` (zeros for the exact maps)."""
    a = sm.EXACT_ALPHA.get(kind)
    if a is not None:
        dx = sparse.entmax_backward(y, dy, a, _axes(dim))
        return _like(dx, y), torch.zeros_like(alpha)
    dx, da = sparse.entmax_backward(y, dy, _alpha_arg(alpha), _axes(dim),
                                    return_alpha_grad=True)
    return _like(dx, y), da.to(alpha.dtype).reshape(alpha.shape)


entmax.register_fake(lambda x, alpha, dim, kind, n_iter=50: torch.empty_like(x))
entmax_backward.register_fake(lambda y, dy, alpha, dim, kind:
                              (torch.empty_like(y), torch.empty_like(alpha)))


def _entmax_setup(ctx, inputs, output):
    ctx.dim, ctx.kind = inputs[2], inputs[3]
    ctx.save_for_backward(output, inputs[1])


def _entmax_grad(ctx, g):
    y, alpha = ctx.saved_tensors
    dx, da = entmax_backward(y, g, alpha, ctx.dim, ctx.kind)
    return dx, (da if ctx.kind == "entmax" else None), None, None, None


entmax.register_autograd(_entmax_grad, setup_context=_entmax_setup)


@torch.library.custom_op(f"{_NS}::fenchel_young", mutates_args=())
def fenchel_young(logits: Tensor, target: Tensor, dim: int, kind: str, alpha: float,
                  n_iter: int, weight: Tensor | None, ignore_index: int | None,
                  label_smoothing: float, reduction: str) -> tuple[Tensor, Tensor]:
    """The Fenchel–Young loss of ``kind`` and its gradient (``p - y``)."""
    fn = {"sparsemax": sparse.sparsemax_loss, "entmax15": sparse.entmax15_loss}.get(kind)
    opts = dict(weight=weight, ignore_index=ignore_index, label_smoothing=label_smoothing,
                reduction=reduction, return_grad=True)
    if fn is None:
        loss, grad = sparse.entmax_loss(logits, target, alpha, dim, n_iter=n_iter, **opts)
    else:
        loss, grad = fn(logits, target, dim, **opts)
    return loss, _like(grad, logits)


@fenchel_young.register_fake
def _(logits, target, dim, kind, alpha, n_iter, weight, ignore_index, label_smoothing,
      reduction):
    shape = [] if reduction != "none" else \
        [s for d, s in enumerate(logits.shape) if d != dim % logits.ndim]
    return logits.new_empty(shape), torch.empty_like(logits)


def _fy_setup(ctx, inputs, output):
    ctx.dim, ctx.reduction = inputs[2], inputs[9]
    ctx.mark_non_differentiable(output[1])
    ctx.save_for_backward(output[1])


def _fy_grad(ctx, g_loss, g_grad):
    _no_second_derivative("fenchel_young")
    (grad,) = ctx.saved_tensors
    if ctx.reduction == "none":
        g_loss = g_loss.unsqueeze(ctx.dim % grad.ndim)
    return (grad * g_loss,) + (None,) * 9


fenchel_young.register_autograd(_fy_grad, setup_context=_fy_setup)

#: name -> operator, every operator this module registers
# ----------------------------------------------------------- attention scores


_CAUSAL = {0: False, 1: True, 2: "bottom_right"}


@torch.library.custom_op(f"{_NS}::attention_softmax", mutates_args=())
def attention_softmax(scores: Tensor, scale: float, mask: Tensor | None, bias: Tensor | None,
                      causal: int, alibi_slopes: Tensor | None,
                      sink: Tensor | None) -> Tensor:
    """:func:`softmaxkit.attention_softmax` (``causal``: 0 none, 1 top-left, 2
    bottom-right); differentiable in the scores, ``bias``, ``alibi_slopes`` and ``sink``."""
    if causal not in _CAUSAL:
        raise ValueError(f"softmaxkit::attention_softmax: causal must be 0, 1 or 2, got "
                         f"{causal!r}")
    return _like(attention.attention_softmax(
        scores, scale=scale, mask=mask, bias=bias, causal=_CAUSAL[causal],
        alibi_slopes=alibi_slopes, sink=sink), scores)


attention_softmax.register_fake(
    lambda scores, scale, mask, bias, causal, alibi_slopes, sink: torch.empty_like(scores))


def _attention_setup(ctx, inputs, output):
    scores, ctx.scale, _, bias, ctx.causal, slopes, sink = inputs
    ctx.bias_shape = None if bias is None else bias.shape
    ctx.slopes_shape = None if slopes is None else slopes.shape
    ctx.sink_shape = None if sink is None else sink.shape
    ctx.save_for_backward(output)


def _sum_to(g: Tensor, shape) -> Tensor:
    """``g`` summed down to ``shape``, which broadcasts to it."""
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(dim=tuple(range(extra)))
    dims = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return (g.sum(dim=dims, keepdim=True) if dims else g).reshape(shape)


def _attention_grad(ctx, g):
    (y,) = ctx.saved_tensors
    gz = softmax_backward(y, g, [-1], 1.0)  # the gradient of the formed scores
    need = ctx.needs_input_grad
    d_scores = gz * ctx.scale if need[0] else None
    d_bias = _sum_to(gz, ctx.bias_shape) if need[3] else None
    d_slopes = None
    if need[5]:
        L, S = (y.shape[-2] if y.ndim >= 2 else 1), y.shape[-1]
        off = S - L if ctx.causal == 2 else 0
        rel = (torch.arange(S, device=y.device)[None, :]
               - torch.arange(L, device=y.device)[:, None] - off).to(y.dtype)
        per = (gz * rel).reshape(y.shape)
        per = per.sum(dim=tuple(i for i in range(y.ndim) if i != y.ndim - 3)) \
            if y.ndim >= 3 else per.sum().reshape(1)
        d_slopes = _sum_to(per, ctx.slopes_shape)
    d_sink = None
    if need[6]:
        # d p_ij / d sink = -p_ij * p_sink, p_sink = 1 - sum_j p_ij
        d = -(1 - y.sum(-1)).clamp(min=0) * (g * y).sum(-1)
        d_sink = _sum_to(d, ctx.sink_shape)
    return d_scores, None, None, d_bias, None, d_slopes, d_sink


attention_softmax.register_autograd(_attention_grad, setup_context=_attention_setup)


# ------------------------------------------------------- segments and the scan


@torch.library.custom_op(f"{_NS}::segment_softmax", mutates_args=())
def segment_softmax(x: Tensor, offsets: Tensor, log: bool = False) -> Tensor:
    """:func:`softmaxkit.segment_softmax` (``log``: :func:`segment_log_softmax`) over the
    CSR ``offsets`` of the first dimension."""
    fn = segments.segment_log_softmax if log else segments.segment_softmax
    return _like(fn(x, offsets=offsets), x)


@torch.library.custom_op(f"{_NS}::segment_softmax_backward", mutates_args=())
def segment_softmax_backward(y: Tensor, dy: Tensor, offsets: Tensor,
                             log: bool = False) -> Tensor:
    fn = segments.segment_log_softmax_backward if log else segments.segment_softmax_backward
    return _like(fn(y, dy, offsets=offsets), y)


segment_softmax.register_fake(lambda x, offsets, log=False: torch.empty_like(x))
segment_softmax_backward.register_fake(lambda y, dy, offsets, log=False: torch.empty_like(y))


def _segment_setup(ctx, inputs, output):
    ctx.log = inputs[2]
    ctx.save_for_backward(output, inputs[1])


def _segment_grad(ctx, g):
    y, offsets = ctx.saved_tensors
    return segment_softmax_backward(y, g, offsets, ctx.log), None, None


# the backward operators have no derivative of their own (as entmax_backward)
segment_softmax.register_autograd(_segment_grad, setup_context=_segment_setup)


@torch.library.custom_op(f"{_NS}::logcumsumexp", mutates_args=())
def logcumsumexp(x: Tensor, dim: int, reverse: bool = False) -> Tensor:
    """:func:`softmaxkit.logcumsumexp` along ``dim``."""
    return _like(streaming.logcumsumexp(x, dim, reverse=reverse), x)


@torch.library.custom_op(f"{_NS}::logcumsumexp_backward", mutates_args=())
def logcumsumexp_backward(x: Tensor, dy: Tensor, dim: int, reverse: bool = False) -> Tensor:
    return _like(streaming.logcumsumexp_backward(x, dy, dim, reverse=reverse), x)


logcumsumexp.register_fake(lambda x, dim, reverse=False: torch.empty_like(x))
logcumsumexp_backward.register_fake(lambda x, dy, dim, reverse=False: torch.empty_like(x))


def _lcse_setup(ctx, inputs, output):
    ctx.dim, ctx.reverse = inputs[1], inputs[2]
    ctx.save_for_backward(inputs[0])


def _lcse_grad(ctx, g):
    (x,) = ctx.saved_tensors
    return logcumsumexp_backward(x, g, ctx.dim, ctx.reverse), None, None


logcumsumexp.register_autograd(_lcse_grad, setup_context=_lcse_setup)


@torch.library.custom_op(f"{_NS}::gumbel_softmax", mutates_args=())
def gumbel_softmax(x: Tensor, noise: Tensor, tau: float, hard: bool, dim: int
                   ) -> tuple[Tensor, Tensor]:
    """The sample of :func:`softmaxkit.sample.gumbel_softmax` from given Gumbel ``noise``,
    and the soft sample (equal to the sample unless ``hard``)."""
    soft = _like(family.softmax(x + noise, dim, temperature=tau), x)
    if hard:
        y = torch.zeros_like(soft).scatter_(dim, soft.argmax(dim, keepdim=True), 1.0)
    else:
        y = soft.clone()
    return y, soft


gumbel_softmax.register_fake(
    lambda x, noise, tau, hard, dim: (torch.empty_like(x), torch.empty_like(x)))


def _gumbel_setup(ctx, inputs, output):
    ctx.tau, ctx.dim = inputs[2], inputs[4]
    ctx.save_for_backward(output[1])


def _gumbel_grad(ctx, g_y, g_soft):
    # straight-through for hard samples: the one-hot's gradient taken as the soft one's
    (soft,) = ctx.saved_tensors
    dy = g_y if g_soft is None else (g_soft if g_y is None else g_y + g_soft)
    dx = softmax_backward(soft, dy.contiguous(), [ctx.dim], ctx.tau)
    return dx, dx, None, None, None


gumbel_softmax.register_autograd(_gumbel_grad, setup_context=_gumbel_setup)


OPERATORS = {op._name: op for op in (
    softmax, log_softmax, softmin, logsumexp, softmax_backward, log_softmax_backward,
    cross_entropy, linear_cross_entropy, entmax, entmax_backward, fenchel_young,
    attention_softmax, segment_softmax, segment_softmax_backward, logcumsumexp,
    logcumsumexp_backward, gumbel_softmax)}


# ------------------------------------- the public functions' calls that record gradients


def _dims(axis) -> list[int]:
    if axis is None:
        return []
    return [int(a) for a in axis] if isinstance(axis, (tuple, list)) else [int(axis)]


def _family(op, a):
    x = a["x"]
    axes = v.axes_tuple(op._name, a.get("axis", -1), x.ndim)  # the NumPy path's checks
    t = v.positive_number(op._name, a.get("temperature", 1.0), "temperature")
    return op(x, list(axes), t)


def _lse(a):
    x = a["x"]
    axes = v.axes_tuple("logsumexp", a.get("axis"), x.ndim)
    keepdims = v.flag("logsumexp", a.get("keepdims", False), "keepdims")
    return logsumexp(x, list(axes), keepdims)


def _xent(a):
    logits, target, weight = a["logits"], a["target"], a.get("weight")
    if not isinstance(target, Tensor) or not (weight is None or isinstance(weight, Tensor)):
        return NotImplemented  # lists and the like: the array-API path converts them
    if target.requires_grad or (weight is not None and weight.requires_grad):
        return NotImplemented  # the operator differentiates the logits only
    (axis,) = v.axes_tuple("cross_entropy", a.get("axis", -1), logits.ndim)
    return cross_entropy(logits, target, axis, weight, a.get("ignore_index"),
                         float(a.get("label_smoothing", 0.0)), a.get("reduction", "mean"),
                         True)[0]


def _attention(a):
    scores = a["scores"]
    args = {}
    for name in ("mask", "bias", "alibi_slopes", "sink"):
        value = a.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and name == "sink":
            value = torch.tensor(float(value), dtype=scores.dtype)
        if value is not None and not isinstance(value, Tensor):
            return NotImplemented  # lists and the like: the array-API path converts them
        args[name] = value
    causal = attention.causal_mode("attention_softmax", a.get("causal", False))
    scale = attention.scale_value("attention_softmax", a.get("scale", 1.0))
    if args["mask"] is not None and args["mask"].dtype != torch.bool:
        return NotImplemented  # the array-API path raises the dtype error
    return attention_softmax(scores, scale, args["mask"], args["bias"], causal,
                             args["alibi_slopes"], args["sink"])


def _segments(log):
    def call(a):
        offsets = a.get("offsets")
        if not isinstance(offsets, Tensor) or a.get("segment_ids") is not None or \
                a.get("num_segments") is not None:
            return NotImplemented  # ids and lists: the NumPy path (which raises for them)
        return segment_softmax(a["x"], offsets, log)
    return call


def _lcse(a):
    axis = a.get("axis", -1)
    if isinstance(axis, (tuple, list)) or axis is None:
        return NotImplemented  # the array-API path raises the error
    (axis,) = v.axes_tuple("logcumsumexp", axis, a["x"].ndim)
    return logcumsumexp(a["x"], axis, bool(a.get("reverse", False)))


def _gumbel(a):
    x = a["logits"]
    (axis,) = v.axes_tuple("gumbel_softmax", a.get("axis", -1), x.ndim)
    tau = v.positive_number("gumbel_softmax", a.get("tau", 1.0), "tau")
    hard = v.flag("gumbel_softmax", a.get("hard", False), "hard")
    # the noise the NumPy path draws from the same rng
    noise = sampling.generator("gumbel_softmax", a.get("rng")).gumbel(size=tuple(x.shape))
    y, soft = gumbel_softmax(x, torch.as_tensor(noise, dtype=x.dtype), tau, hard, axis)
    return (y, soft) if a.get("return_soft", False) else y


# operation -> (the operator's call from the bound arguments, the arguments that must
# keep their defaults for the operator to apply)
_AUTOGRAD = {
    "softmax": (lambda a: _family(softmax, a),
                {"where": None, "out": None, "dtype": None, "sink": None}),
    "log_softmax": (lambda a: _family(log_softmax, a),
                    {"where": None, "out": None, "dtype": None, "sink": None}),
    "softmin": (lambda a: _family(softmin, a), {"where": None, "out": None, "dtype": None}),
    "logsumexp": (_lse, {"b": None, "where": None, "return_sign": False, "sink": None}),
    "cross_entropy": (_xent, {"where": None, "return_grad": False, "grad_out": None}),
    "attention_softmax": (_attention, {"out": None, "axis": -1}),
    "segment_softmax": (_segments(False), {}),
    "segment_log_softmax": (_segments(True), {}),
    "logcumsumexp": (_lcse, {"out": None, "dtype": None}),
    "gumbel_softmax": (_gumbel, {}),
}


def autograd_call(op: str, bound: dict):
    """The public function ``op`` on tensors that record gradients, through its operator
    (so that the backward is the native one); NotImplemented where no operator applies
    (the array-API path then computes with PyTorch's own autograd). ``bound`` holds the
    call's arguments by name, as the function's signature binds them."""
    entry = _AUTOGRAD.get(op)
    if entry is None:
        return NotImplemented
    call, defaults = entry
    if any(k in bound and bound[k] is not d for k, d in defaults.items()):
        return NotImplemented
    if bound.get("axis", -1) == ():  # no axis: nothing to normalize over
        return NotImplemented
    return call(bound)


dispatch.register_gradient_route("torch", autograd_call)
