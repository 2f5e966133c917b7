"""Pages and sections the documentation generates from the package and the benchmarks.

- Each API page of a function in the capability table gets a "Backends" section: which
  backends compute it (``softmaxkit._backends.registry.CAPABILITIES``), so the reference
  can never disagree with what the dispatch does.
- ``generated/performance.md``: the tables and charts of the latest ``make bench`` run,
  from ``benchmarks/results/*.json`` (each file holds what its benchmark printed, the
  machine and the date).
- ``generated/cli.md``: every command's ``--help``, from the parser itself.
- The ``benchmark-table`` directive: one table of a benchmark's last run, where a page
  of the user guide discusses it (so its numbers are never pasted and never stale).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from softmaxkit._backends import registry
from softmaxkit._backends.native import ISAS
from softmaxkit._cli.main import build_parser

logger = logging.getLogger(__name__)
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
    """The command that writes ``benchmarks/results/<name>.json``."""
    base, _, isa = name.partition("-")
    script = "benchmarks/accuracy.py" if base == "accuracy" else f"benchmarks/bench_{base}.py"
    return f"SOFTMAXKIT_ISA={isa} python {script}" if isa else f"python {script}"


# the ISAs from narrow to wide, as the kernels' dispatch orders them
_ISA_RANK = {name: rank for rank, name in enumerate(ISAS)}


def _isa_absent(after: str, machine) -> str | None:
    """The ISA that ``after`` asks a table of, when the run's CPU could not run it (the
    AVX-512 tables of a run on an AVX2 machine); None when the table should be there."""
    best = _ISA_RANK.get(machine.get("cpu_isa"))
    wanted = next((i for i in _ISA_RANK if re.search(rf"\b{i}\b", after)), None)
    if best is None or wanted is None or _ISA_RANK[wanted] <= best:
        return None
    return wanted


def _cpu_isa(machine) -> str:
    """What the CPU itself has, where the run recorded it: AVX2 kernels on a CPU without
    AVX-512 are not the same figures as AVX2 kernels forced on one that has it."""
    best = machine.get("cpu_isa")
    return f", a CPU whose best ISA is {best}" if best else ""


def _title(name: str, data=None) -> str:
    base, _, isa = name.partition("-")
    title = TITLES.get(base, (data or {}).get("title", base))
    return f"{title}, {isa.upper()} kernels" if isa else title


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
    if "native" not in backends and "reference" in backends:
        lines += ["", "NumPy arrays always take the reference: there is no native kernel "
                  "for it."]
    if "array_api" not in backends:
        lines += ["", "Other array libraries' arrays that cannot be viewed as NumPy arrays "
                  "(GPU tensors, CuPy) get a ``TypeError`` naming their library."]
    if "dask" not in backends:
        lines += ["", "Dask arrays get a ``TypeError``: compute them first."]
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
    # each benchmark, then its runs on a narrower ISA (<name>-avx2.json)
    order = [n for b in BENCHMARKS for n in [b] + sorted(f for f in found
                                                          if f.startswith(b + "-"))]
    for name in order + sorted(set(found) - set(order)):
        if name not in found:  # the section stays, so links to it always resolve
            lines += [f"## {_title(name)}", "",
                      f"No results: run `make bench` (or `{_script(name)}`), then "
                      "`make docs`.", ""]
            continue
        data = json.loads(found[name].read_text(encoding="utf-8"))
        m = data.get("machine", {})
        lines += [f"## {_title(name, data)}", "",
                  f"`{_script(name)}` — run {data.get('date', '?')} on {m.get('cpu', '?')} "
                  f"({m.get('cores', '?')} cores, kernels' ISA {m.get('isa', '?')}"
                  f"{_cpu_isa(m)}; "
                  f"softmaxkit {m.get('softmaxkit', '?')}, NumPy {m.get('numpy', '?')}, "
                  f"PyTorch {m.get('torch') or 'absent'}).", ""]
        chart = found[name].with_suffix(".png")
        if chart.exists():
            GENERATED.mkdir(exist_ok=True)
            shutil.copyfile(chart, GENERATED / chart.name)
            lines += [f"![{data.get('title', name)}]({chart.name})", ""]
        lines += [_markdown(data.get("report", ""), 2), ""]
    return "\n".join(lines) + "\n"


def _table_after(report: str, text: str):
    """The first line holding ``text`` as its own words (not inside a longer name:
    "softmax, float32" is not found in "log_softmax, float32"), and the lines of the first
    markdown table after it (or starting there, when that line is a table's header)."""
    lines = report.splitlines()
    pattern = re.compile(r"(?<![\w.])" + re.escape(text))
    start = next((i for i, line in enumerate(lines) if pattern.search(line)), None)
    if start is None:
        return None, None
    table = []
    for line in lines[start if lines[start].startswith("|") else start + 1:]:
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    return lines[start], table or None


class BenchmarkTable(SphinxDirective):
    """``benchmark-table`` NAME, option ``:after: TEXT``: the first table after the line
    containing TEXT in ``benchmarks/results/NAME.json``'s report, with its run's date and
    machine. A missing table is an error (the text no longer matches the benchmark), but
    for a table of an ISA that the run's CPU lacks, which gets a line saying so. The
    table is parsed as MyST markdown, so the directive belongs in the ``.md`` pages."""

    required_arguments = 1
    option_spec = {"after": directives.unchanged_required}

    def run(self):
        name, after = self.arguments[0], self.options["after"]
        path = RESULTS / f"{name}.json"
        self.env.note_dependency(str(path))
        if not path.exists():
            # a warning, so that make docs (-W) fails on a page that would show no numbers
            logger.warning("benchmark-table: %s is missing (run %s)", path, _script(name),
                           location=self.get_location())
            lines = [f"*No results yet: run `{_script(name)}` (or `make bench`).*"]
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            found, table = _table_after(data.get("report", ""), after)
            m = data.get("machine", {})
            absent = _isa_absent(after, m) if table is None else None
            if absent is not None:
                lines = [f"*The last run of `{_script(name)}` ({data.get('date', '?')[:10]}, "
                         f"{m.get('cpu', '?')}) has no {absent} table: that CPU's best ISA "
                         f"is {m['cpu_isa']}.*"]
                return self._parse(lines, path)
            if table is None:
                raise self.error(f"{path.name}: no table after a line containing {after!r}")
            # the table's own ISA: a narrower run's file name, or its heading, or the run's
            isa = name.partition("-")[2] or next(
                (i for i in reversed(ISAS) if re.search(rf"\b{i}\b", found)),
                m.get("isa", "?"))
            threads = f", {m['threads']} threads" if m.get("threads") else ""
            lines = table + ["", f"*`{_script(name)}`, run {data.get('date', '?')[:10]} on "
                             f"{m.get('cpu', '?')}{_cpu_isa(m)}, {isa} kernels{threads}; "
                             "every table of "
                             "that run: {doc}`/generated/performance`.*"]
        return self._parse(lines, path)

    def _parse(self, lines, path):
        container = nodes.container(classes=["benchmark-table"])
        self.state.nested_parse(StringList(lines, source=str(path)), self.content_offset,
                                container)
        return [container]


def cli_page() -> str:
    # argparse wraps help to the terminal's width: a fixed one keeps the page reproducible
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"
    try:
        parser = build_parser()
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        lines = ["# Command-line reference", "",
                 "Every command's `--help`, generated from the parser. The "
                 "[command-line tutorial](../tutorials/command_line.md) shows them at work.",
                 "", "```text", parser.format_help().rstrip(), "```", ""]
        for name, p in sub.choices.items():
            lines += [f"## `softmaxkit {name}`", "", "```text", p.format_help().rstrip(),
                      "```", ""]
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
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
    app.add_directive("benchmark-table", BenchmarkTable)
    # after numpydoc (priority 500) has turned the docstring into reStructuredText
    app.connect("autodoc-process-docstring", _backends_section, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
