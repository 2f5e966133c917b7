"""CPU arrays of other libraries as NumPy views, and results back as the library's arrays.

A PyTorch CPU tensor, a JAX CPU array or any array that exports DLPack on the CPU shares
its memory with a NumPy view made without a copy, so the native kernels compute on it
directly. :func:`host_views` makes the views of a call's arguments (or says why it
cannot), :func:`back` turns the results into arrays of the input's library, again
without a copy. Arrays that cannot be viewed (on a GPU, of a dtype NumPy lacks such as
bfloat16 without ml_dtypes, or a PyTorch tensor that records gradients) keep the
array-API path.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .arrays import library

_KDL_CPU = 1  # DLPack's device type for host memory

# PyTorch dtypes by name -> NumPy dtypes; bfloat16 has ml_dtypes' (when installed), others
# (complex32, quantized) no NumPy twin: they keep the array-API path
_TORCH_DTYPES = {f"torch.{n}": np.dtype(n) for n in (
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")}


class NotHost(Exception):
    """An argument has no NumPy view on the CPU."""


class RecordsGradient(NotHost):
    """An array that its library's autograd is recording: that library's operators with a
    backward apply (``_api.dispatch``'s gradient routes)."""

    def __init__(self, library: str):
        super().__init__(f"a {library} array records gradients")
        self.library = library


def _torch():
    """PyTorch itself: loaded already, since one of its tensors is at hand (an import
    statement per call would cost a microsecond on small calls)."""
    return sys.modules["torch"]


def _torch_from_numpy(a):
    return _torch().from_numpy(a)


def _torch_traced(t) -> bool:
    """Whether PyTorch is recording operations on ``t`` rather than running them (a
    tracer, the compiler, a dispatch mode, functorch's transforms): the kernels' results
    would be baked in as constants, so the array-API path's operations are recorded."""
    torch = _torch()
    return (torch.jit.is_tracing() or torch.compiler.is_compiling()
            or torch._C._len_torch_dispatch_stack() > 0
            or torch._C._functorch.is_functorch_wrapped_tensor(t))


def _torch_view(t) -> np.ndarray:
    if _torch_traced(t):
        raise NotHost("traced")
    if t.requires_grad:
        if _torch().is_grad_enabled():
            raise RecordsGradient("torch")
        t = t.detach()  # under no_grad nothing is recorded: compute on its memory
    bfloat16 = str(t.dtype) == "torch.bfloat16" and _bfloat16() is not None
    if not t.is_cpu or (str(t.dtype) not in _TORCH_DTYPES and not bfloat16):
        raise NotHost("not a CPU tensor of a NumPy dtype")
    if t.is_conj() or t.is_neg():
        raise NotHost("lazy conjugate or negation")
    try:
        if bfloat16:  # ml_dtypes' bfloat16 over the same bits
            return t.view(_torch().int16).numpy().view(_bfloat16())
        return t.numpy()  # shares the tensor's memory, strides included
    except (RuntimeError, TypeError) as exc:  # sparse and other layouts
        raise NotHost(str(exc)) from None


def _bfloat16():
    """ml_dtypes' bfloat16 when it is installed (the bfloat16 extra), else None."""
    try:
        import ml_dtypes
    except ImportError:
        return None
    return np.dtype(ml_dtypes.bfloat16)


def _torch_written(t) -> None:
    """Tell autograd that ``t`` was written in place (as its own in-place operations do),
    so that a backward that saved it raises instead of using the new values."""
    if not t.is_inference():
        _torch().autograd.graph.increment_version(t)


def _writable(name: str, a, v: np.ndarray) -> None:
    """Outputs must be writable as the library itself would allow."""
    if not v.flags.writeable:
        raise NotHost(f"{name!r} is read-only")
    if type(a).__module__ == "torch" and a.is_inference():
        if not _torch().is_inference_mode_enabled():
            raise NotHost(f"{name!r} is an inference tensor")


def view(a) -> np.ndarray:
    """A NumPy array sharing ``a``'s memory; NotHost when there is none."""
    lib = type(a).__module__.split(".", 1)[0]
    if lib == "torch":
        return _torch_view(a)
    if lib == "dask":
        raise NotHost("Dask arrays are lazy")
    device = getattr(a, "__dlpack_device__", None)
    if device is None:
        raise NotHost("no DLPack")
    try:
        if device()[0] != _KDL_CPU:
            raise NotHost("not on the CPU")
        return np.from_dlpack(a)
    except (BufferError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise NotHost(str(exc)) from None


def _dtype(d):
    """A dtype argument of the input's library as a NumPy dtype (None stays None)."""
    if d is None or isinstance(d, (np.dtype, type, str)):
        return d
    if type(d).__module__.split(".", 1)[0] == "torch":
        try:
            return _TORCH_DTYPES[str(d)]
        except KeyError:
            raise NotHost(f"no NumPy dtype for {d}") from None
    return d


# arguments that hold indices or a mask, not numbers to compute with: their integer or
# bool arrays are viewed as they are (an integer array elsewhere is promoted by the
# library's own rules, which only the array-API path follows)
INDEX_ARGS = frozenset({"target", "where", "mask", "offsets", "segment_ids"})
# arguments written in place
OUTPUT_ARGS = frozenset({"out", "grad_out"})


# argument types that are never arrays: passed on without a look (the common case)
_PLAIN = frozenset({type(None), int, float, bool, str, tuple, list})


def host_views(names: tuple[str, ...], args: tuple, kwargs: dict):
    """The call's arguments with every foreign array replaced by its NumPy view.

    ``names`` are the function's parameter names, in order. Returns the new positional
    and keyword arguments and a map from ``id`` of each view to the array it views (so
    that ``out=`` comes back as the caller's own array). NotHost when an array has no
    view, an array that is computed with is not floating, or arrays of two libraries
    (NumPy included) are mixed (that call raises the mixing error on the array-API path).
    """
    originals: dict[int, Any] = {}
    seen = [None]  # the one library of the call
    new_args = tuple([_host_view(n, a, seen, originals) for n, a in zip(names, args)])
    new_kwargs = ({k: _host_view(k, a, seen, originals) for k, a in kwargs.items()}
                  if kwargs else kwargs)
    return new_args, new_kwargs, originals


def _host_view(name: str, a, seen: list, originals: dict[int, Any]):
    """Argument ``name`` as :func:`host_views` passes it on; ``seen[0]`` is the call's
    library so far, ``originals`` collects the views' arrays."""
    kind = type(a)
    if kind in _PLAIN:
        return a
    if kind.__name__ == "Tensor" and kind.__module__ == "torch" and seen[0] in (None,
                                                                            "torch"):
        seen[0] = "torch"
        v = _torch_view(a)
    else:
        if name == "dtype":
            return _dtype(a)
        if isinstance(a, np.ndarray):
            raise NotHost("a NumPy array among the arguments")
        lib = library(a)
        if lib is None:
            return a
        if seen[0] is None:
            seen[0] = lib
        elif seen[0] != lib:
            raise NotHost("arrays of two libraries")
        v = view(a)
    if v.dtype.kind != "f" and name not in INDEX_ARGS and v.dtype.name != "bfloat16":
        raise NotHost(f"{name!r} is not floating: the library's promotion applies")
    if name in OUTPUT_ARGS:
        _writable(name, a, v)
    originals[id(v)] = a
    return v


def back(res, like, originals: dict[int, Any]):
    """``res`` (NumPy arrays and scalars, possibly in tuples) as arrays of ``like``'s library."""
    if type(res) is tuple:
        return tuple([back(r, like, originals) for r in res])
    if type(res) is np.ndarray:
        if id(res) in originals:  # out=: the caller's own array, written in place
            written = originals[id(res)]
            if type(written).__module__ == "torch":
                _torch_written(written)
            return written
    elif not isinstance(res, (np.ndarray, np.generic)):
        return res
    if type(like).__module__ == "torch":
        res = np.asarray(res)
        if not res.flags.writeable:  # torch warns on read-only memory: give it its own
            res = res.copy()
        if res.dtype.itemsize == 2 and res.dtype.name == "bfloat16":
            return _torch_from_numpy(res.view(np.int16)).view(_torch().bfloat16)
        return _torch_from_numpy(res)
    arr = np.asarray(res)
    import array_api_compat

    xp = array_api_compat.array_namespace(like)
    out = xp.from_dlpack(arr)
    where = array_api_compat.device(like)
    if array_api_compat.device(out) != where:  # another CPU "device" of the library
        out = xp.asarray(out, device=where)
    return out
