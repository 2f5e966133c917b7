"""Arrays on disk as lazy Dask arrays: ``.npy`` files and Zarr stores.

A ``.npy`` file becomes a Dask array whose tasks carry the file's path, not its data:
each task memory-maps the file where it runs and copies out only its block's rows, so
a file larger than any worker's memory is read a block at a time, and the graph pickles
in a few bytes (a ``np.memmap`` in the graph would pickle all its data).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class NpyFile:
    """A ``.npy`` file as an array-like that reads only the part it is indexed with."""

    def __init__(self, path):
        self.path = os.fspath(path)
        arr = np.load(self.path, mmap_mode="r", allow_pickle=False)
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"{self.path}: expected a single array, got a .npz archive")
        self.shape, self.dtype, self.ndim = arr.shape, arr.dtype, arr.ndim
        del arr

    def __getitem__(self, index):
        arr = np.load(self.path, mmap_mode="r", allow_pickle=False)
        return np.array(arr[index])  # a copy: the map is closed when arr goes

    def __reduce__(self):
        return NpyFile, (self.path,)

    def __repr__(self):
        return f"NpyFile({self.path!r}, shape={self.shape}, dtype={self.dtype})"


def open_array(path, *, chunk_bytes: int = 64 << 20):
    """A lazy Dask array of a ``.npy`` file or a Zarr store (a directory), chunked by rows
    into blocks of about ``chunk_bytes`` (Zarr keeps its own chunks).

    Raises
    ------
    ValueError
        The path is neither, or cannot be read; the message names it.
    """
    import dask.array as da
    from dask.base import tokenize

    p = Path(path)
    if p.suffix.lower() == ".npy":
        try:
            src = NpyFile(p)
        except (OSError, ValueError, EOFError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ValueError(f"{path}: cannot read: {reason}") from None
        if src.dtype.kind not in "biuf" or src.dtype.fields is not None:
            raise ValueError(f"{path}: expected real numbers, got dtype {src.dtype}")
        row = max(1, int(np.prod(src.shape[1:], dtype=np.int64)) * src.dtype.itemsize)
        rows = max(1, min(src.shape[0] if src.shape else 1, chunk_bytes // row))
        chunks = (rows,) + tuple(-1 for _ in src.shape[1:]) if src.shape else ()
        # name from the path and the file's size and time: the same file, the same keys
        st = p.stat()
        name = "npy-" + tokenize(str(p.resolve()), st.st_size, st.st_mtime_ns)
        return da.from_array(src, chunks=chunks, asarray=False, fancy=False, name=name,
                             meta=np.empty((0,) * src.ndim, dtype=src.dtype))
    if p.is_dir() or p.suffix.lower() == ".zarr":
        try:
            return da.from_zarr(str(p))
        except Exception as exc:  # zarr raises many kinds for a path that is not a store
            raise ValueError(f"{path}: cannot read as a Zarr array: {exc}") from None
    raise ValueError(f"{path}: expected a .npy file or a Zarr store (a directory)")
