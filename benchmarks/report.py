"""What a benchmark prints, kept with its numbers: ``benchmarks/results/<name>.json``.

Each benchmark prints markdown tables as it goes (``report(...)`` instead of ``print``)
and ends with ``report.save(results)``. The file holds the machine, the date, the
printed tables and the raw results; the documentation's Performance page is built
from these files, so the tables there are the ones a run printed, never pasted.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
from pathlib import Path

import numpy as np

import softmaxkit as sk
from softmaxkit._backends import native as _native

RESULTS = Path(__file__).resolve().parent / "results"


def machine(threads=None):
    """The CPU, its core count, the kernels' ISA, the CPU's best ISA and the library
    versions of this run."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if "model name" in line)
    except (OSError, StopIteration):
        pass
    # cpu_isa tells a CPU without AVX-512 from AVX2 kernels forced on one that has it
    info = {"cpu": cpu, "cores": os.cpu_count(), "threads": threads, "isa": _native.isa(),
            "cpu_isa": _native.cpu_isa(),
            "python": platform.python_version(), "numpy": np.__version__,
            "softmaxkit": sk.__version__}
    for name in ("scipy", "torch", "jax"):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            info[name] = None
    return info


class Report:
    """Prints markdown as a benchmark runs and saves it beside the results."""

    def __init__(self, name, title):
        self.name, self.title, self.parts = name, title, []

    def __call__(self, text=""):
        print(text, flush=True)
        self.parts.append(str(text))

    def save(self, results, *, quick=False, threads=None):
        """Write ``<name>.json`` atomically: ``<name>-<isa>.json`` when ``SOFTMAXKIT_ISA``
        chose the kernels (a second run on a narrower ISA), ``-quick`` for a smoke run."""
        RESULTS.mkdir(exist_ok=True)
        isa = os.environ.get("SOFTMAXKIT_ISA")
        name = self.name + (f"-{isa}" if isa else "") + ("-quick" if quick else "")
        path = RESULTS / f"{name}.json"
        payload = {"benchmark": self.name, "title": self.title, "quick": quick,
                   "date": datetime.datetime.now(datetime.UTC).isoformat(
                       timespec="seconds"),
                   "machine": machine(threads), "report": "\n".join(self.parts),
                   "results": results}
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path
