"""Sphinx configuration of softmaxkit's documentation (``make docs``).

The build is offline: intersphinx reads the inventories in ``_inventories/`` (written by
``tools/make_inventories.py``), the gallery runs the scripts in ``../examples``, and the
Performance page is written from ``../benchmarks/results/*.json`` by ``_ext/``.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import matplotlib

import softmaxkit

matplotlib.use("Agg")  # the gallery draws without a display

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

project = "softmaxkit"
author = "the softmaxkit developers"
copyright = "softmaxkit developers"  # noqa: A001 - Sphinx's name for it
release = version = softmaxkit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "softmaxkit_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_inventories", "**/README.md", "_ext"]
templates_path = ["_templates"]

# ---------------------------------------------------------------- API reference
autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
autodoc_typehints = "none"  # numpydoc's Parameters sections say it, in words
numpydoc_show_class_members = True
# a torch Module's or an estimator's page lists its own methods, not its base class's
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Checked on every public docstring the reference renders: each object has a docstring,
# a summary line ending in a period, every parameter documented (and none that does not
# exist) in the signature's order, well-formed types and sections, a Returns section for
# what returns and a Yields section for generators.
numpydoc_validation_checks = {"GL02", "GL06", "GL07", "GL08", "GL09", "GL10", "SS01", "SS03",
                              "SS04", "PR01", "PR02", "PR03", "PR06", "PR09", "PR10", "RT01",
                              "RT02", "YD01", "SA02", "SA03"}
# inherited from other libraries (scikit-learn's and PyTorch's base classes)
numpydoc_validation_exclude = {r"\.set_\w+_request$", r"\.get_metadata_routing$",
                               r"\.set_output$", r"\.get_params$", r"\.set_params$",
                               r"\.score$", r"\.fit_transform$", r"\.__init__$"}

# ---------------------------------------------------------------- cross-references
intersphinx_mapping = {
    name: (url, str(HERE / "_inventories" / f"{name}.inv"))
    for name, url in {
        "python": "https://docs.python.org/3/",
        "numpy": "https://numpy.org/doc/stable/",
        "scipy": "https://docs.scipy.org/doc/scipy/",
        "sklearn": "https://scikit-learn.org/stable/",
        "torch": "https://docs.pytorch.org/docs/stable/",
    }.items()
}
intersphinx_timeout = 1
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]

# ---------------------------------------------------------------- gallery
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": re.escape(os.sep) + "plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "show_memory": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "backreferences_dir": None,
    "abort_on_example_error": True,
    "capture_repr": (),  # the output blocks show what the scripts print, not return values
    # its timing pages load a table library from a CDN; the site fetches nothing
    "write_computation_times": False,
    "only_warn_on_example_error": False,
}

# ---------------------------------------------------------------- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"softmaxkit {release}"
html_static_path = ["_static"]
# a favicon of its own: browsers ask for one, and a missing one is a 404 in the console
html_favicon = "_static/favicon.svg"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    # nothing fetched at run time: no version switcher, no analytics, no external icons
    "icon_links": [],
    "use_edit_page_button": False,
}
# the theme's light/dark switch starts in light mode (unset, its script logs an error)
html_context = {"default_mode": "light"}
html_show_sourcelink = False
html_copy_source = False
