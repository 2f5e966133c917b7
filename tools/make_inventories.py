"""Write the intersphinx inventories the documentation links through, offline.

The documentation builds without a network, so it cannot download the ``objects.inv`` of
NumPy, SciPy, scikit-learn, PyTorch and Python. This writes an inventory for each (Sphinx's
format, version 2) into ``docs/_inventories/``, from the public names of the installed
libraries and the URL layout each project's site uses for its generated reference pages.
Only names that exist in the installed version are listed, so a cross-reference to a name
the library lacks stays unresolved (and ``make docs`` fails on it) instead of linking to a
page that does not exist.

    python tools/make_inventories.py        # rewrites docs/_inventories/*.inv
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import sys
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "docs" / "_inventories"

# project -> (version module, base URL, [(module, page pattern, include submodule names)])
# ``{name}`` is the full dotted name; the anchor is always ``#{name}``.
PROJECTS = {
    "numpy": ("numpy", "https://numpy.org/doc/stable/", [
        ("numpy", "reference/generated/{name}.html"),
        ("numpy.random.Generator", "reference/random/generated/{name}.html"),
        ("numpy.linalg", "reference/generated/{name}.html"),
        ("numpy.ndarray", "reference/generated/{name}.html"),
    ]),
    "scipy": ("scipy", "https://docs.scipy.org/doc/scipy/", [
        ("scipy.special", "reference/generated/{name}.html"),
        ("scipy.optimize", "reference/generated/{name}.html"),
        ("scipy.sparse", "reference/generated/{name}.html"),
        ("scipy.stats", "reference/generated/{name}.html"),
    ]),
    "sklearn": ("sklearn", "https://scikit-learn.org/stable/", [
        ("sklearn.linear_model", "modules/generated/{name}.html"),
        ("sklearn.model_selection", "modules/generated/{name}.html"),
        ("sklearn.pipeline", "modules/generated/{name}.html"),
        ("sklearn.preprocessing", "modules/generated/{name}.html"),
        ("sklearn.metrics", "modules/generated/{name}.html"),
        ("sklearn.datasets", "modules/generated/{name}.html"),
        ("sklearn.calibration", "modules/generated/{name}.html"),
        ("sklearn.base", "modules/generated/{name}.html"),
    ]),
    "torch": ("torch", "https://docs.pytorch.org/docs/stable/", [
        ("torch", "generated/{name}.html"),
        ("torch.nn", "generated/{name}.html"),
        ("torch.nn.functional", "generated/{name}.html"),
        ("torch.library", "library.html"),
        ("torch.autograd", "generated/{name}.html"),
    ]),
}


# Names whose page does not follow their project's pattern.
EXTRA = {
    "numpy": [("numpy.random.default_rng", "py:function",
               "reference/random/generator.html#numpy.random.default_rng")],
    "torch": [("torch.Tensor", "py:class", "tensors.html#torch.Tensor"),
              ("torch.dtype", "py:class", "tensor_attributes.html#torch.dtype")],
}


def _entries(module_name: str, page: str):
    """(name, role, uri) for the public functions and classes of ``module_name`` (or of
    the class it names, for its methods)."""
    parent, _, last = module_name.rpartition(".")
    try:
        obj = importlib.import_module(module_name)
        members = [n for n in getattr(obj, "__all__", dir(obj)) if not n.startswith("_")]
    except ImportError:  # a class such as numpy.ndarray: its methods
        obj = getattr(importlib.import_module(parent), last)
        members = [n for n in dir(obj) if not n.startswith("_")]
        yield module_name, "py:class", page.format(name=module_name)
    for n in sorted(set(members)):
        try:
            member = getattr(obj, n, None)
        except ImportError:  # scikit-learn's experimental names need an opt-in import
            continue
        if member is None or inspect.ismodule(member):
            continue
        name = f"{module_name}.{n}"
        if inspect.isclass(member):
            role = "py:class"
        elif callable(member):
            role = "py:method" if inspect.isclass(obj) else "py:function"
        else:
            continue
        yield name, role, page.format(name=name)


def _python_entries():
    """Python's builtin types, functions and exceptions (docs.python.org's layout)."""
    for n in dir(builtins):
        obj = getattr(builtins, n)
        if n.startswith("_"):
            continue
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            yield n, "py:exception", f"library/exceptions.html#{n}"
        elif inspect.isclass(obj):
            yield n, "py:class", f"library/functions.html#{n}"
        elif callable(obj):
            yield n, "py:function", f"library/functions.html#{n}"
    for n in ("Iterator", "Sequence", "Mapping", "Callable", "Iterable"):
        yield f"collections.abc.{n}", "py:class", \
            f"library/collections.abc.html#collections.abc.{n}"
    yield "pathlib.Path", "py:class", "library/pathlib.html#pathlib.Path"
    yield "os.PathLike", "py:class", "library/os.html#os.PathLike"


def write_inventory(path: Path, project: str, version: str, entries) -> int:
    """Write Sphinx's inventory format 2: a text header, then zlib-compressed lines of
    ``name domain:role priority uri dispname`` (``$`` in the uri stands for the name)."""
    lines, seen = [], set()
    for name, role, uri in entries:
        if name in seen:
            continue
        seen.add(name)
        anchor = "" if "#" in uri else "#$"
        uri = uri.replace(f"#{name}", "#$") if uri.endswith(f"#{name}") else uri + anchor
        lines.append(f"{name} {role} 1 {uri} -")
    header = (f"# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
              "# The remainder of this file is compressed using zlib.\n").encode()
    body = zlib.compress(("\n".join(sorted(lines)) + "\n").encode())
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(header + body)
    tmp.replace(path)
    return len(lines)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for project, (module, _base, sources) in PROJECTS.items():
        version = importlib.import_module(module).__version__.split("+")[0]
        entries = EXTRA.get(project, []) + [e for mod, page in sources
                                            for e in _entries(mod, page)]
        n = write_inventory(OUT / f"{project}.inv", project, version, entries)
        print(f"{project} {version}: {n} names")
    n = write_inventory(OUT / "python.inv", "Python", sys.version.split()[0],
                        _python_entries())
    print(f"python: {n} names")
    return 0


if __name__ == "__main__":
    sys.exit(main())
