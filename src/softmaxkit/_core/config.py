"""Run-time settings: which implementation computes, and how many threads it may use.

The backend is held in a context variable, so ``with softmaxkit.backend("numpy"):``
affects only the current thread (or task) and nests correctly.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import warnings
from collections.abc import Iterator

BACKENDS = ("native", "numpy")

_backend: contextvars.ContextVar[str] = contextvars.ContextVar("softmaxkit_backend",
                                                               default="native")


def _threads_from_env() -> int:
    default = os.cpu_count() or 1
    raw = os.environ.get("SOFTMAXKIT_NUM_THREADS")
    if raw is None:
        return default
    try:
        n = int(raw)
        if n < 1:
            raise ValueError
    except ValueError:
        warnings.warn(
            f"SOFTMAXKIT_NUM_THREADS must be a positive integer, got {raw!r}; using {default}",
            RuntimeWarning,
            stacklevel=2,
        )
        return default
    return n


_num_threads = _threads_from_env()


# libgomp's threads spin after each parallel region before they sleep: by default
# 300000 iterations, which kept a second core busy between kernel calls 2 ms apart (the
# gaps of a training step), a core another process may need. 1000 (libgomp's own value
# when threads outnumber cores) freed it (1.07 cores busy instead of 1.99) at no cost to
# back-to-back calls.
GOMP_SPINCOUNT = "1000"


@contextlib.contextmanager
def quiet_openmp_waits() -> Iterator[None]:
    """Load the kernels' OpenMP runtime with ``GOMP_SPINCOUNT`` = 1000 unless the user
    set ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``. libgomp reads it once, when it is
    loaded; the variable is removed afterwards, so child processes do not inherit it."""
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        yield
        return
    os.environ["GOMP_SPINCOUNT"] = GOMP_SPINCOUNT
    try:
        yield
    finally:
        os.environ.pop("GOMP_SPINCOUNT", None)


def set_backend(name: str) -> None:
    """Compute with ``"native"`` kernels (the default) or the ``"numpy"`` reference.

    Parameters
    ----------
    name : {"native", "numpy"}
        The backend for NumPy input in this thread (and threads started from it).

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.set_backend("numpy"); sk.get_backend()
    'numpy'
    >>> sk.set_backend("native")
    """
    if name not in BACKENDS:
        raise ValueError(f"set_backend: 'name' must be one of {BACKENDS}, got {name!r}")
    _backend.set(name)


def get_backend() -> str:
    """Return the backend in use.

    Returns
    -------
    str
        ``"native"`` or ``"numpy"``.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.get_backend()
    'native'
    """
    return _backend.get()


@contextlib.contextmanager
def backend(name: str) -> Iterator[None]:
    """Use a backend inside a ``with`` block (this thread only).

    Parameters
    ----------
    name : {"native", "numpy"}
        The backend for NumPy input, as in :func:`set_backend`.

    Yields
    ------
    None
        The block runs with ``name`` selected; the previous choice is restored after it.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> with sk.backend("numpy"):
    ...     p = sk.softmax([1.0, 2.0, 3.0])
    >>> p
    array([0.09003057, 0.24472847, 0.66524096])
    """
    if name not in BACKENDS:
        raise ValueError(f"backend: 'name' must be one of {BACKENDS}, got {name!r}")
    token = _backend.set(name)
    try:
        yield
    finally:
        _backend.reset(token)


def set_num_threads(n: int) -> None:
    """Use at most ``n`` threads in the native kernels (default: all cores, or the
    environment variable ``SOFTMAXKIT_NUM_THREADS``). OpenMP's own limit, which
    threadpoolctl and ``OMP_NUM_THREADS`` set, also applies.

    Parameters
    ----------
    n : int
        The number of threads, at least 1.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> before = sk.get_num_threads()
    >>> sk.set_num_threads(1); sk.get_num_threads()
    1
    >>> sk.set_num_threads(before)
    """
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: 'n' must be an integer >= 1, got {n!r}")
    _num_threads = n


def get_num_threads() -> int:
    """Return the most threads the native kernels will use.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> import softmaxkit as sk
    >>> sk.get_num_threads() >= 1
    True
    """
    return _num_threads
