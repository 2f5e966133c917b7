"""Coverage-guided fuzzing (atheris) of the extension's entry points and the model loader.

    python tools/fuzz_atheris.py kernels [-max_total_time=60] [corpus_dir]
    python tools/fuzz_atheris.py model   [-max_total_time=60] [corpus_dir]

``kernels`` turns the fuzzer's bytes into an array (dtype, shape, layout, values), axes,
a temperature and a mask, and calls the public functions, which reach every kernel entry
point; a crash, a hang or any exception other than the documented TypeError/ValueError
is a finding. Results are also checked against the NumPy reference.
``model`` writes the bytes as a model file (half the time a valid model mutated) and
loads it: anything but a loaded model or ValueError is a finding, and so is a load that
takes more than a second or allocates gigabytes.

A crash input libFuzzer writes (``crash-*``) becomes a test: add it to
tests/test_fuzz.py (for kernels) or tests/test_persistence.py (for models).
``make fuzz`` runs both for a set time.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import atheris

with atheris.instrument_imports():
    import numpy as np

    import softmaxkit as sk
    from softmaxkit._estimators.classifier import SoftmaxClassifier

DTYPES = [np.float16, np.float32, np.float64, np.dtype(">f4"), np.int32, np.bool_]
SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3e38, -3e38, 1e308, -1e308]


def _array(fdp):
    dtype = np.dtype(DTYPES[fdp.ConsumeIntInRange(0, len(DTYPES) - 1)])
    ndim = fdp.ConsumeIntInRange(0, 4)
    shape = tuple(fdp.ConsumeIntInRange(0, 40 if ndim <= 2 else 5) for _ in range(ndim))
    size = int(np.prod(shape, dtype=np.int64))
    values = []
    for _ in range(size):
        if fdp.ConsumeBool():
            values.append(SPECIALS[fdp.ConsumeIntInRange(0, len(SPECIALS) - 1)])
        else:
            values.append(fdp.ConsumeFloatInRange(-100.0, 100.0))
    with np.errstate(all="ignore"):
        x = np.array(values, dtype=np.float64).reshape(shape).astype(dtype)
    layout = fdp.ConsumeIntInRange(0, 2)
    if layout == 1:
        x = np.asfortranarray(x)
    elif layout == 2 and ndim:
        x = x[..., ::-1]
    return x


def kernels(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    x = _array(fdp)
    axis = None
    if x.ndim and fdp.ConsumeBool():
        axis = tuple(sorted({fdp.ConsumeIntInRange(0, x.ndim - 1)
                             for _ in range(fdp.ConsumeIntInRange(1, x.ndim))}))
    t = 10.0 ** fdp.ConsumeFloatInRange(-30, 30)
    where = (np.frombuffer(fdp.ConsumeBytes(x.size).ljust(x.size, b"\0"), np.uint8)[:x.size]
             .reshape(x.shape) % 2).astype(bool) if fdp.ConsumeBool() else None
    for fn in (sk.softmax, sk.log_softmax, sk.softmin):
        try:
            got = fn(x, axis=axis, temperature=t, where=where)
        except (TypeError, ValueError):
            continue
        with sk.backend("numpy"):
            ref = fn(x, axis=axis, temperature=t, where=where)
        if not np.array_equal(np.isnan(got), np.isnan(ref)):
            raise AssertionError(f"{fn.__name__}: NaN pattern differs from the reference")
    try:
        sk.logsumexp(x, axis=axis, where=where)
        if x.ndim >= 1 and x.shape[-1]:
            labels = np.zeros(x.shape[:-1], dtype=np.int64)
            sk.cross_entropy(x, labels, return_grad=True)
    except (TypeError, ValueError):
        pass


_VALID = None


def _valid_model() -> bytes:
    global _VALID
    if _VALID is None:
        clf = SoftmaxClassifier(max_epochs=2).fit(np.eye(4), [0, 1, 2, 0])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.skm")
            clf.save(path)
            with open(path, "rb") as fh:
                _VALID = fh.read()
    return _VALID


def model(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeBool():
        blob = bytearray(_valid_model())
        for _ in range(fdp.ConsumeIntInRange(1, 8)):
            if not blob:
                break
            pos = fdp.ConsumeIntInRange(0, len(blob) - 1)
            blob[pos] = fdp.ConsumeIntInRange(0, 255)
        if fdp.ConsumeBool():
            blob = blob[:fdp.ConsumeIntInRange(0, len(blob))]
        raw = bytes(blob)
    else:
        raw = fdp.ConsumeBytes(fdp.remaining_bytes())
    fd, path = tempfile.mkstemp(suffix=".skm")
    try:
        with open(fd, "wb") as fh:
            fh.write(raw)
        start = time.perf_counter()
        try:
            SoftmaxClassifier.load(path)
        except ValueError:
            pass
        if time.perf_counter() - start > 1.0:
            raise AssertionError("loading took more than a second")
    finally:
        os.unlink(path)


def main() -> None:
    target = {"kernels": kernels, "model": model}.get(sys.argv[1] if len(sys.argv) > 1 else "")
    if target is None:
        sys.exit("usage: fuzz_atheris.py kernels|model [libFuzzer options]")
    atheris.Setup([sys.argv[0]] + sys.argv[2:], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
