"""Saving and loading SoftmaxClassifier models: a safe, documented format.

A model file is a zip archive (NumPy's ``.npz`` layout) of ``.npy`` members:
``header`` (UTF-8 JSON as uint8), ``coef`` (C × D float32/float64), ``intercept`` (C),
``classes`` (C numbers or strings). The JSON holds ``format`` ("softmaxkit.SoftmaxClassifier"),
``version``, the estimator's parameters and its learned scalars. Loading never unpickles
(``allow_pickle=False``) and checks every member's own header against its stored size
before reading it, so no file can execute code or make the loader allocate more than
the file holds. Saving writes a temporary file in the target directory and renames it.
"""

from __future__ import annotations

import json
import os
import tokenize
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .._core.atomic import atomic_write

FORMAT = "softmaxkit.SoftmaxClassifier"
VERSION = 1
_MEMBERS = ("header.npy", "coef.npy", "intercept.npy", "classes.npy")
_MAX_HEADER = 1 << 20


def _jsonable_params(params: dict[str, Any]) -> dict[str, Any]:
    out = dict(params)
    rs = out.get("random_state")
    if rs is not None and not isinstance(rs, (int, np.integer)):
        out["random_state"] = None  # generators are not data: a loaded model does not refit
    elif rs is not None:
        out["random_state"] = int(rs)
    cw = out.get("class_weight")
    if isinstance(cw, dict):
        out["class_weight"] = {"__pairs__": [[_scalar(k), float(v)] for k, v in cw.items()]}
    return out


def _scalar(value):
    return value.item() if isinstance(value, np.generic) else value


def save_model(clf, path: str | os.PathLike) -> None:
    """Write ``clf`` to ``path`` atomically (see the module docstring for the format)."""
    classes = np.asarray(clf.classes_)
    if classes.dtype.kind not in "biufU":
        classes = classes.astype(str) if all(isinstance(c, str) for c in classes) else classes
        if classes.dtype.kind not in "biufU":
            raise ValueError("save: classes must be numbers or strings to be saved safely, got "
                             f"dtype {classes.dtype}")
    header = {
        "format": FORMAT, "version": VERSION,
        "params": _jsonable_params(clf.get_params()),
        "n_features_in": int(clf.n_features_in_),
        "feature_names_in": (list(map(str, clf.feature_names_in_))
                             if hasattr(clf, "feature_names_in_") else None),
        "n_iter": int(getattr(clf, "n_iter_", 0)),
        "loss_curve": [float(v) for v in getattr(clf, "loss_curve_", [])],
        "validation_scores": [float(v) for v in getattr(clf, "validation_scores_", [])],
        "temperature": float(getattr(clf, "temperature_", 1.0)),
    }
    raw = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    with atomic_write(path) as fh:
        np.savez(fh, header=raw, coef=clf.coef_, intercept=clf.intercept_, classes=classes)


def _read_member(zf: zipfile.ZipFile, name: str, path) -> np.ndarray:
    info = zf.getinfo(name)
    # Models are written stored (np.savez): refusing compression leaves no way to declare
    # a small member that inflates to gigabytes, nor an unsupported method
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
        raise ValueError(f"{path}: member {name} is compressed or encrypted; softmaxkit "
                         "models are stored uncompressed")
    if info.compress_size != info.file_size:
        raise ValueError(f"{path}: member {name} declares {info.file_size} bytes but stores "
                         f"{info.compress_size}")
    with zf.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        readers = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}
        if version not in readers:
            raise ValueError(f"{path}: member {name} has .npy format version {version}")
        try:
            shape, fortran, dtype = readers[version](fh)
        except (tokenize.TokenError, SyntaxError, TypeError, ValueError) as exc:
            # numpy parses the header as a Python literal: a mangled one raises these
            # (found by tools/fuzz_atheris.py model: tokenize.TokenError escaped)
            raise ValueError(f"{path}: member {name} has a malformed .npy header "
                             f"({type(exc).__name__})") from None
        if dtype.hasobject or dtype.kind not in "biufU":
            raise ValueError(f"{path}: member {name} has dtype {dtype}, not numbers or strings")
        if len(shape) > 2:
            raise ValueError(f"{path}: member {name} has {len(shape)} dimensions")
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if nbytes != info.file_size - fh.tell():
            raise ValueError(f"{path}: member {name} declares shape {shape} ({nbytes} bytes) "
                             f"but holds {info.file_size - fh.tell()} bytes")
        data = fh.read(nbytes)
    order = "F" if fortran else "C"
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order).copy()


def load_model(cls, path: str | os.PathLike):
    """Read a model written by :func:`save_model`; ValueError for anything else."""
    p = Path(path)
    try:
        with zipfile.ZipFile(p) as zf:
            names = set(zf.namelist())
            if names != set(_MEMBERS):
                raise ValueError(f"{p}: not a softmaxkit model (members {sorted(names)})")
            if zf.getinfo("header.npy").file_size > _MAX_HEADER:
                raise ValueError(f"{p}: the model header is too large")
            arrays = {n[:-4]: _read_member(zf, n, p) for n in _MEMBERS}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, NotImplementedError,
            RuntimeError) as exc:  # the last two: zipfile on unknown methods, encryption
        raise ValueError(f"{p}: not a readable softmaxkit model ({exc})") from None
    except ValueError as exc:
        if str(exc).startswith(str(p)):
            raise
        raise ValueError(f"{p}: not a readable softmaxkit model ({exc})") from None
    try:
        header = json.loads(bytes(arrays["header"].astype(np.uint8)).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{p}: the model header is not JSON ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{p}: not a softmaxkit model (format {header.get('format')!r})"
                         if isinstance(header, dict) else f"{p}: malformed model header")
    if header.get("version") != VERSION:
        raise ValueError(f"{p}: model format version {header.get('version')!r}; this "
                         f"softmaxkit reads version {VERSION}")
    coef, intercept, classes = arrays["coef"], arrays["intercept"], arrays["classes"]
    try:
        d = int(header["n_features_in"])
        params = dict(header["params"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{p}: the model header lacks its parameters") from None
    k = classes.shape[0] if classes.ndim == 1 else -1
    if (coef.dtype.kind != "f" or coef.shape != (k, d) or intercept.shape != (k,)
            or intercept.dtype != coef.dtype or k < 2):
        raise ValueError(f"{p}: inconsistent model arrays: coef {coef.shape}, intercept "
                         f"{intercept.shape}, {k} classes, {d} features")
    if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
        raise ValueError(f"{p}: the model weights are not finite")
    cw = params.get("class_weight")
    if isinstance(cw, dict) and "__pairs__" in cw:
        params["class_weight"] = {k_: v for k_, v in cw["__pairs__"]}
    try:
        clf = cls(**params)
    except TypeError as exc:
        raise ValueError(f"{p}: unknown model parameters ({exc})") from None
    clf.coef_, clf.intercept_, clf.classes_ = coef, intercept, classes
    clf.n_features_in_ = d
    if header.get("feature_names_in") is not None:
        clf.feature_names_in_ = np.asarray(header["feature_names_in"], dtype=object)
    clf.n_iter_ = int(header.get("n_iter", 0))
    clf.loss_curve_ = list(header.get("loss_curve", []))
    clf.validation_scores_ = list(header.get("validation_scores", []))
    temperature = header.get("temperature", 1.0)  # absent: saved before calibration
    if not (isinstance(temperature, (int, float)) and 0 < temperature < float("inf")):
        raise ValueError(f"{p}: the model's temperature must be a finite number > 0, got "
                         f"{temperature!r}")
    clf.temperature_ = float(temperature)
    return clf


__all__ = ["save_model", "load_model", "FORMAT", "VERSION"]
