"""The package's layers, read from its source: imports only go downward.

core, kernels -> backends -> api -> estimators -> plotting -> cli -> the public modules.
Inside the command line, the commands use the shared base, never the other way round.
Each rule is checked on the import graph built from the source with ``ast``, so a cycle or
an import that goes up a layer fails here before it fails a user.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import softmaxkit

SRC = Path(softmaxkit.__file__).parent

# rank of each layer: a module may import modules of its own rank or lower
LAYERS = {
    "_core": 0,
    "_kernels": 0,
    "_backends": 1,
    "_api": 2,
    "_estimators": 3,
    "_frameworks": 3,
    "_plotting": 4,
    "_cli": 5,
    "_cli.commands": 6,
}
PUBLIC_RANK = 7  # softmaxkit, .plot, .datasets, .calibration, .torch, .jax, .__main__


def module_name(path: Path) -> str:
    parts = ["softmaxkit", *path.relative_to(SRC).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def rank(module: str) -> float:
    parts = module.split(".")[1:]
    for depth in (2, 1):
        key = ".".join(parts[:depth])
        if len(parts) >= depth and key in LAYERS:
            return LAYERS[key]
    return PUBLIC_RANK


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """The package modules an ``ImportFrom`` names (submodules where they exist)."""
    if node.level:
        base = module.split(".")
        if not is_package:
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not target.startswith("softmaxkit"):
        return []
    found = []
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        found.append(sub if sub in MODULES else target)
    return found


def imports(module: str, path: Path):
    """(imported module, line, inside a function) for every import of the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                      ast.Lambda))
            if isinstance(child, ast.ImportFrom):
                for target in resolve(module, is_package, child):
                    out.append((target, child.lineno, in_function))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("softmaxkit"):
                        out.append((alias.name, child.lineno, in_function))
            visit(child, inner)

    visit(tree, False)
    return out


GRAPH = {m: imports(m, p) for m, p in MODULES.items()}


def test_every_module_is_in_a_layer():
    assert {m for m in MODULES if rank(m) == PUBLIC_RANK} == {
        "softmaxkit", "softmaxkit.plot", "softmaxkit.datasets", "softmaxkit.__main__",
        "softmaxkit.torch", "softmaxkit.jax", "softmaxkit.calibration",
        "softmaxkit.sample"}


def test_no_import_goes_up_a_layer():
    upward = [f"{m}:{line} imports {t}" for m, edges in GRAPH.items()
              for t, line, _ in edges if rank(t) > rank(m)]
    assert not upward, "\n".join(upward)


def test_no_package_import_inside_a_function():
    # deferred imports held the old cycles together; optional third-party packages
    # (scikit-learn, Dask, matplotlib) may still be imported on first use
    inside = [f"{m}:{line} imports {t}" for m, edges in GRAPH.items()
              for t, line, in_function in edges if in_function]
    assert not inside, "\n".join(inside)


def test_no_import_cycle():
    edges = {m: {t for t, _, _ in e if t in MODULES and t != m} for m, e in GRAPH.items()}
    # a module imports its package's __init__ implicitly; the __init__ files hold no
    # imports of their own subpackage's modules except the public surface, so they are
    # part of the graph as written
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def strongconnect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in edges:
        if v not in index:
            strongconnect(v)
    assert not cycles, cycles


@pytest.mark.parametrize("package", sorted(m for m, p in MODULES.items()
                                           if p.name == "__init__.py" and m != "softmaxkit"))
def test_private_packages_import_nothing_on_their_own(package):
    # importing softmaxkit._backends.native must not pull in the API layer through an
    # __init__: a private package's __init__ is only its docstring
    assert GRAPH[package] == [], GRAPH[package]
