"""Every example in the docstrings, the README and the documentation's pages runs and prints
what it shows."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest

import softmaxkit
from softmaxkit._api import family as _functions
from softmaxkit._api import gradients as _gradients
from softmaxkit._api import layers as _layers
from softmaxkit._api import losses as _losses
from softmaxkit._api import sparse as _sparse
from softmaxkit._core import atomic as _atomic
from softmaxkit._core import config as _config

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


MODULES = [softmaxkit, _functions, _config, _gradients, _layers, _losses, _sparse, _atomic]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module):
    with np.printoptions(legacy=False):
        result = doctest.testmod(module, optionflags=FLAGS, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


def test_every_public_function_has_an_example():
    for name in softmaxkit.__all__:
        if name.startswith("__"):
            continue
        doc = getattr(softmaxkit, name).__doc__
        assert doc and "Examples" in doc and ">>>" in doc, name


# The README, the user guide and the tutorials: every page with examples (the plotting
# pages need matplotlib and scikit-learn, which the test extra has).
PAGES = [p for p in [README, *sorted((ROOT / "docs").glob("*/*.md"))]
         if ">>> " in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_examples(page):
    with np.printoptions(legacy=False):
        result = doctest.testfile(str(page), module_relative=False, optionflags=FLAGS)
    assert result.attempted > 0
    assert result.failed == 0


def _framework_blocks(library):
    """The ```python blocks (not doctests) of the PyTorch and JAX page that import
    ``library``."""
    text = (ROOT / "docs" / "user_guide" / "frameworks.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    return [b for b in blocks if not b.lstrip().startswith(">>>") and
            f"import {library}" in b]


# PyTorch's compiler itself touches its deprecated torch.jit.script_method
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("library", ["torch", "jax"])
def test_framework_examples_run(library):
    pytest.importorskip(library)
    blocks = _framework_blocks(library)
    assert blocks, f"no example for {library}"
    for block in blocks:
        exec(compile(block, f"frameworks.md ({library})", "exec"), {})


@pytest.mark.parametrize("name", ["softmaxkit.plot", "softmaxkit._plotting.figures"])
def test_plot_examples(name):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    import importlib

    with np.printoptions(legacy=False):
        result = doctest.testmod(importlib.import_module(name), optionflags=FLAGS)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("name", ["softmaxkit.calibration", "softmaxkit._api.calibration",
                                  "softmaxkit._estimators.calibration",
                                  "softmaxkit._api.attention", "softmaxkit._api.streaming",
                                  "softmaxkit._api.segments"])
def test_module_examples(name):
    import importlib

    if name.startswith("softmaxkit._estimators"):
        pytest.importorskip("sklearn")
    with np.printoptions(legacy=False):
        result = doctest.testmod(importlib.import_module(name), optionflags=FLAGS)
    assert result.attempted > 0
    assert result.failed == 0


# ------------------------------------------------------- shared Parameters sections

SHARED = ["log_softmax", "softmin", "entmax15", "entmax15_backward"]


@pytest.mark.parametrize("name", SHARED)
def test_shared_parameter_sections_match_the_signature(name):
    import inspect

    from softmaxkit._core.docstrings import parameter_entries

    fn = getattr(softmaxkit, name)
    documented = [names for names, _ in parameter_entries(fn.__doc__)]
    assert documented == list(inspect.signature(fn).parameters)
    assert "{parameters}" not in fn.__doc__


def test_parameters_of_fills_only_a_placeholder():
    from softmaxkit._core.docstrings import parameters_of

    def source(a, b):
        """Source.

        Parameters
        ----------
        a : int
            First.
        b : int
            Second.
        """

    def target(a):
        """Target.

        {parameters}
        """

    def no_placeholder(a):
        """Nothing to fill."""

    filled = parameters_of(source, drop=("b",))(target)
    assert "a : int\n            First." in filled.__doc__ and "b : int" not in filled.__doc__
    with pytest.raises(ValueError, match="no {parameters}"):
        parameters_of(source)(no_placeholder)


def test_with_parameters_builds_the_section_from_the_signature():
    from softmaxkit._core.docstrings import with_parameters

    table = {"a": "a : int\n    First.", "b": "b : int\n    Second."}

    def f(a, b):
        """Sum.

        Examples
        --------
        >>> 1
        1
        """

    def g(a, c):
        """No entry for c."""

    doc = with_parameters(table, returns="int\n    The sum.")(f).__doc__
    assert doc.index("a : int") < doc.index("b : int") < doc.index("Returns") \
        < doc.index("Examples")
    with pytest.raises(ValueError, match=r"no documentation for \['c'\]"):
        with_parameters(table)(g)
