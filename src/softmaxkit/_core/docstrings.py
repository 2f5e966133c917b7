"""Docstring sections shared by functions that take the same parameters.

A function whose parameters are another's writes ``{parameters}`` where its Parameters
section goes and is decorated with ``@parameters_of(other)``: the section is copied from
``other``'s docstring when the module is imported (as SciPy's ``doccer`` fills its
templates), so help() and the reference show every parameter on every page while the text
is written once. Functions that share a vocabulary of parameters (the framework wrappers,
whose arguments are PyTorch's or JAX's) build their section from one table with
``@with_parameters(table)``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import TypeVar

F = TypeVar("F", bound=Callable)

# a numpydoc Parameters section, up to the next section's header (same indentation)
_PARAMETERS = re.compile(
    r"\n(?P<indent>[ ]*)Parameters\n(?P=indent)-+\n(?P<body>.*?)"
    r"(?=\n\n(?P=indent)[A-Z][A-Za-z ]*\n(?P=indent)-+\n|\Z)", re.S)


def parameter_entries(doc: str) -> list[tuple[str, str]]:
    """The entries of ``doc``'s Parameters section as ``(names, text)`` pairs, in order;
    ``names`` is the part before the colon ("x", "y, dy"), ``text`` the entry without the
    section's indentation."""
    match = _PARAMETERS.search(doc)
    if match is None:
        raise ValueError("the docstring has no Parameters section")
    indent = match.group("indent")
    entries: list[list] = []
    for line in match.group("body").split("\n"):
        line = line[len(indent):] if line.startswith(indent) else line.lstrip()
        if line.strip() and not line.startswith(" "):
            entries.append([line, []])
        elif entries:
            entries[-1][1].append(line)
    return [(head.split(":")[0].strip(), "\n".join([head, *body]).rstrip())
            for head, body in entries]


def parameters_of(source: Callable, *, drop: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Fill the decorated function's ``{parameters}`` with ``source``'s Parameters
    section, without the entries named in ``drop``."""

    def decorate(fn: F) -> F:
        if fn.__doc__ is None or source.__doc__ is None:  # python -OO
            return fn
        placeholder = re.search(r"^([ ]*)\{parameters\}", fn.__doc__, re.M)
        if placeholder is None:
            raise ValueError(f"{fn.__name__}'s docstring has no {{parameters}} to fill")
        indent = placeholder.group(1)
        kept = [text for names, text in parameter_entries(source.__doc__)
                if names not in drop]
        lines = ["Parameters", "-" * 10, *"\n".join(kept).split("\n")]
        section = "\n".join(indent + line if line else line for line in lines)
        fn.__doc__ = fn.__doc__.replace(placeholder.group(0), section, 1)
        return fn

    return decorate


def with_parameters(table: Mapping[str, str], *, returns: str | None = None,
                    **overrides: str) -> Callable[[F], F]:
    """Give the decorated function (or class: its ``__init__``'s) a Parameters section
    built from its signature, each entry from ``overrides`` or else ``table`` (an entry is
    ``"name : type\\n    description"``), and a Returns section from ``returns``; both go
    before its Examples section. A parameter with no entry is an error, so the section
    cannot fall behind the signature."""

    def decorate(obj: F) -> F:
        if obj.__doc__ is None:  # python -OO
            return obj
        target = obj.__init__ if inspect.isclass(obj) else obj
        names = [p.name for p in inspect.signature(target).parameters.values()
                 if p.name != "self"]
        missing = [n for n in names if n not in overrides and n not in table]
        if missing:
            raise ValueError(f"{obj.__name__}: no documentation for {missing}")
        examples = re.search(r"^([ ]*)Examples\n[ ]*-+\n", obj.__doc__, re.M)
        # the docstring's own indentation: a method's is one level deeper
        indent = examples.group(1) if examples else "    " * (obj.__qualname__.count(".") + 1)
        lines = ["Parameters", "-" * 10]
        for name in names:
            lines += overrides.get(name, table.get(name)).split("\n")
        if returns is not None:
            lines += ["", "Returns", "-" * 7, *returns.split("\n")]
        section = "\n".join(indent + line if line else line for line in lines) + "\n\n"
        if examples:
            obj.__doc__ = (obj.__doc__[:examples.start()] + section
                           + obj.__doc__[examples.start():])
        else:
            obj.__doc__ = obj.__doc__.rstrip() + "\n\n" + section.rstrip("\n") + "\n" + indent
        return obj

    return decorate
