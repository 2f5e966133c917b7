"""Pages and sections the documentation generates from the package and the benchmarks.

- Each API page of a function in the capability table gets a "Backends" section: which
  backends compute it (``softmaxkit._backends.registry.CAPABILITIES``), so the reference
  can never disagree with what the dispatch does.
- ``generated/performance.md``: the tables and charts of the latest ``make bench`` run,
  from ``benchmarks/results/*.json`` (each file holds what its benchmark printed, the
  machine and the date).
- ``generated/cli.md``: every command's ``--help``, from the parser itself.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

from softmaxkit._backends import registry
from softmaxkit._cli.main import build_parser

DOCS = Path(__file__).resolve().parents[1]
RESULTS = DOCS.parent / "benchmarks" / "results"
GENERATED = DOCS / "generated"

# the benchmarks in the order of the Performance page (make bench's order)
BENCHMARKS = ["softmax", "accuracy", "losses", "half", "frameworks", "attention", "sparse",
              "sample", "classifier", "dask", "contention"]

# the section titles (each benchmark also records its own; these keep the anchors stable)
TITLES = {"softmax": "The softmax family", "accuracy": "Accuracy against mpmath",
          "losses": "Cross-entropy", "half": "float16 and bfloat16",
          "frameworks": "PyTorch and JAX", "attention": "Attention and streaming",
          "sparse": "Sparse maps", "sample": "Sampling",
          "classifier": "The classifier against scikit-learn", "dask": "Dask",
          "contention": "On a shared machine"}


def _script(name: str) -> str:
    return "benchmarks/accuracy.py" if name == "accuracy" else f"benchmarks/bench_{name}.py"


DISPATCHED = {"softmaxkit", "softmaxkit.sample", "softmaxkit.calibration"}

BACKEND_WORDS = {
    "native": "NumPy arrays, and CPU arrays of other libraries viewed as NumPy arrays: "
              "the C kernels",
    "reference": "NumPy arrays with ``set_backend(\"numpy\")``: the NumPy reference",
    "array_api": "other array libraries' arrays (CUDA tensors, CuPy, ...): the array-API "
                 "path",
    "dask": "Dask arrays, chunk by chunk",
}


def _backends_section(app, what, name, obj, options, lines):
    """Append the capability table's row for a public function of the family."""
    module, _, op = name.rpartition(".")
    # the dispatched functions only (softmaxkit.jax's and .torch's are their framework's)
    if what != "function" or module not in DISPATCHED or op not in registry.CAPABILITIES:
        return
    backends = registry.CAPABILITIES[op]
    lines += ["", ".. rubric:: Backends", "",
              f"``{op}`` is computed for (the :ref:`capability table <capability-table>`):",
              ""]
    lines += [f"- ``{b}``: {BACKEND_WORDS[b]}" for b in backends]
    missing = [b for b in registry.ALL if b not in backends]
    if missing:
        lines += ["", "Not for: " + ", ".join(f"``{b}``" for b in missing)
                  + " (a ``TypeError`` names the array's library)."]
    lines.append("")


def _markdown(report: str, depth: int) -> str:
    """A benchmark's printed markdown, its headings moved under the page's section (its
    levels, in order, become depth + 1, depth + 2, ...) and a blank line before every
    table (CommonMark needs one)."""
    levels = sorted({len(m) for m in re.findall(r"(?m)^(#+) ", report)})
    new_level = {lv: depth + 1 + i for i, lv in enumerate(levels)}
    out, in_table = [], False
    for line in report.splitlines():
        heading = re.match(r"(#+) ", line)
        if heading:
            line = "#" * new_level[len(heading.group(1))] + line[len(heading.group(1)):]
        is_row = line.startswith("|")
        if is_row and not in_table and out and out[-1].strip():
            out.append("")
        if not is_row and in_table and line.strip():
            out.append("")
        in_table = is_row
        out.append(line)
    return "\n".join(out)


def performance_page() -> str:
    lines = ["# Performance", "",
             "The tables of the latest full benchmark run (`make bench`), written by each "
             "benchmark into `benchmarks/results/<name>.json` with the machine and date; "
             "this page is generated from those files at build time. Times are medians of "
             "interleaved rounds (every implementation timed in turn, round after round, so "
             "the load of a shared machine falls on all alike); ratios compare "
             "implementations measured side by side in the same run.", ""]
    found = {p.stem: p for p in RESULTS.glob("*.json") if not p.stem.endswith("-quick")}
    for name in BENCHMARKS + sorted(set(found) - set(BENCHMARKS)):
        if name not in found:  # the section stays, so links to it always resolve
            lines += [f"## {TITLES.get(name, name)}", "",
                      f"No results: run `make bench` (or `python {_script(name)}`), then "
                      "`make docs`.", ""]
            continue
        data = json.loads(found[name].read_text(encoding="utf-8"))
        m = data.get("machine", {})
        lines += [f"## {TITLES.get(name, data.get('title', name))}", "",
                  f"`{_script(name)}` — run {data.get('date', '?')} on {m.get('cpu', '?')} "
                  f"({m.get('cores', '?')} cores, kernels' ISA {m.get('isa', '?')}; "
                  f"softmaxkit {m.get('softmaxkit', '?')}, NumPy {m.get('numpy', '?')}, "
                  f"PyTorch {m.get('torch') or 'absent'}).", ""]
        chart = found[name].with_suffix(".png")
        if chart.exists():
            GENERATED.mkdir(exist_ok=True)
            shutil.copyfile(chart, GENERATED / chart.name)
            lines += [f"![{data.get('title', name)}]({chart.name})", ""]
        lines += [_markdown(data.get("report", ""), 2), ""]
    return "\n".join(lines) + "\n"


def cli_page() -> str:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    lines = ["# Command-line reference", "",
             "Every command's `--help`, generated from the parser. The "
             "[command-line tutorial](../tutorials/command_line.md) shows them at work.",
             "", "```text", parser.format_help().rstrip(), "```", ""]
    for name, p in sub.choices.items():
        lines += [f"## `softmaxkit {name}`", "", "```text", p.format_help().rstrip(), "```",
                  ""]
    return "\n".join(lines)


def _write(path: Path, text: str) -> None:
    """Write only on change, so Sphinx does not rebuild pages that did not change."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _generate(app):
    GENERATED.mkdir(exist_ok=True)
    _write(GENERATED / "performance.md", performance_page())
    _write(GENERATED / "cli.md", re.sub(r"[ \t]+\n", "\n", cli_page()))


def setup(app):
    app.connect("builder-inited", _generate)
    # after numpydoc (priority 500) has turned the docstring into reStructuredText
    app.connect("autodoc-process-docstring", _backends_section, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
