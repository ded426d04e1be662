"""Sphinx configuration: the essays of docs/ (markdown, myst-parser) and the API reference.

The API reference is generated from the packages' ``__all__`` on every build (``api_pages``
writes one page per package into ``docs/api/generated/``, autosummary one page per name), so
a public name added to a package appears without editing any page; a public name without a
docstring (or, for a constant, without a ``#:`` doc comment) is a warning, which ``-W`` turns
into a failed build.

Build: ``sphinx-build -W --keep-going -b html docs docs/_build/html``.
"""
import importlib
import inspect
import pkgutil
from pathlib import Path

from docutils import nodes
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging

import fxp

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

project = "fxp"
author = "the fxp developers"
copyright = "the fxp developers"
release = version = fxp.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "api/_templates"]
templates_path = ["api/_templates"]

# markdown: GitHub-style heading anchors so the essays' `page.md#section` links resolve
myst_heading_anchors = 4
myst_enable_extensions = ["dollarmath"]
suppress_warnings = ["myst.header"]   # essays open at '#', results pages sometimes skip a level

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "none"           # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False  # the class template lists members once, via autodoc
numpydoc_class_members_toctree = False

# doctest builder (sphinx-build -b doctest): the docstrings' Examples and the pages' '>>>' blocks
doctest_global_setup = "import numpy as np\nimport fxp\nimport fxp_nn"
doctest_test_doctest_blocks = "default"

intersphinx_mapping = {}             # offline build: no inventories fetched

html_theme = "pydata_sphinx_theme"
html_title = f"fxp {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "header_links_before_dropdown": 4,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []

# --- the API pages, generated from __all__ -------------------------------------------------------

PACKAGES = {
    "fxp": "Fixed-point arrays, their arithmetic and the bounded-accumulator GEMM.",
    "fxp.random": "The generator behind stochastic rounding and the stream rule.",
    "fxp.analysis": "Accumulator-width analysis and Sakr et al.'s variance retention ratio.",
    "fxp_nn": "Training networks with every tensor in fixed point.",
    "fxp_nn.energy": "What a systolic-array accelerator spends to train or run a network.",
}
SECTIONS = ("Classes", "Functions", "Constants")
logger = logging.getLogger("fxp.docs")


def section_of(obj):
    if inspect.isclass(obj):
        return "Classes"
    if callable(obj):
        return "Functions"
    return "Constants"


def public_names(package):
    """``package.__all__`` without its submodules (those have their own page)."""
    module = importlib.import_module(package)
    return [n for n in module.__all__ if not inspect.ismodule(getattr(module, n))]


def constant_comment(package, name):
    """The ``#:`` doc comment of constant ``name`` of ``package``, from the module defining it."""
    module = importlib.import_module(package)
    value = getattr(module, name)
    candidates = [module]
    if hasattr(module, "__path__"):
        candidates += [importlib.import_module(f"{package}.{m.name}") for m in pkgutil.iter_modules(module.__path__)]
    for candidate in candidates:
        if getattr(candidate, name, None) is not value:
            continue
        docs = ModuleAnalyzer.for_module(candidate.__name__).find_attr_docs()
        if ("", name) in docs:
            return list(docs[("", name)])
    return []


def own_docstring(obj):
    """The docstring ``obj`` itself carries (a class inheriting its base's does not count)."""
    if inspect.isclass(obj):
        return obj.__dict__.get("__doc__")
    return getattr(obj, "__doc__", None)


def undocumented_members(cls):
    """The public methods and properties ``cls`` defines itself without a docstring."""
    for member, value in vars(cls).items():
        if member.startswith("_") or not (inspect.isfunction(value) or isinstance(value, (property, classmethod, staticmethod))):
            continue
        if not (inspect.getdoc(getattr(cls, member)) or "").strip():   # an override inherits its doc
            yield member


def first_home(obj):
    """The first package of PACKAGES exporting ``obj``: its page documents it."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        if any(getattr(module, n) is obj for n in public_names(package)):
            return package


def documented_names(package):
    """The names of ``package`` documented on its own page (not re-exports of an earlier one)."""
    module = importlib.import_module(package)
    return [n for n in public_names(package) if first_home(getattr(module, n)) == package]


def api_page(package):
    module = importlib.import_module(package)
    by_section = {s: [] for s in SECTIONS}
    reexported = []
    for name in public_names(package):
        obj = getattr(module, name)
        home = first_home(obj)
        if home != package:
            reexported.append(f":{'class' if inspect.isclass(obj) else 'obj'}:`{name} <{home}.{name}>`")
        else:
            by_section[section_of(obj)].append(name)
    title = f"``{package}``"
    lines = [title, "=" * len(title), "", f".. automodule:: {package}", "   :no-members:", "",
             f".. currentmodule:: {package}", ""]
    subpackages = [n for n in module.__all__ if inspect.ismodule(getattr(module, n))]
    if subpackages:
        lines += ["Submodules: " + ", ".join(f":doc:`{package}.{n}`" for n in subpackages) + ".", ""]
    for section in SECTIONS:
        names = by_section[section]
        if not names:
            continue
        lines += [section, "-" * len(section), ""]
        if section == "Constants":
            for name in names:
                lines += [f".. autodata:: {name}", "   :no-value:", ""]
            continue
        template = "class.rst" if section == "Classes" else "base.rst"
        lines += [".. autosummary::", "   :toctree: .", f"   :template: {template}", ""]
        lines += [f"   {name}" for name in names] + [""]
    if reexported:
        lines += ["Also exported here", "-" * 18, "", ", ".join(reexported) + ".", ""]
    return "\n".join(lines)


def write_api_pages():
    """One page per package, rewritten only when it changes (so a second builder reuses the
    environment); autosummary's pages of names no longer public are removed."""
    out = DOCS / "api" / "generated"
    out.mkdir(parents=True, exist_ok=True)
    keep = set()
    for package in PACKAGES:
        page = out / f"{package}.rst"
        text = api_page(package)
        if not page.exists() or page.read_text() != text:
            page.write_text(text)
        keep |= {page.name, *(f"{package}.{n}.rst" for n in documented_names(package))}
    for stale in set(p.name for p in out.glob("*.rst")) - keep:
        (out / stale).unlink()


def check_documented(app):
    """Every public name has a docstring (constants: a ``#:`` comment where they are defined)."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in public_names(package):
            obj = getattr(module, name)
            if section_of(obj) == "Constants":
                if not constant_comment(package, name):
                    logger.warning(f"{package}.{name} is public but has no '#:' doc comment where it is defined")
            elif not (own_docstring(obj) or "").strip():
                logger.warning(f"{package}.{name} is public but has no docstring")
            if inspect.isclass(obj):
                for member in undocumented_members(obj):
                    logger.warning(f"{package}.{name}.{member} is public but has no docstring")


def constant_docstring(app, what, name, obj, options, lines):
    """autodata of a constant a package re-exports: the doc comment of the module defining it
    (autodoc only reads the comments of the module the directive names)."""
    package, _, attr = name.rpartition(".")
    if what == "data" and package in PACKAGES:
        lines[:] = constant_comment(package, attr)


write_api_pages()


def mark_page_doctests(app, doctree):
    """A markdown code block that starts with '>>> ' is a doctest, as a docstring's example is."""
    for node in doctree.findall(nodes.literal_block):
        if "testnodetype" not in node and node.astext().startswith(">>> "):
            node["testnodetype"] = "doctest"
            node["groups"] = ["default"]


def setup(app):
    app.connect("doctree-read", mark_page_doctests)
    app.connect("builder-inited", check_documented)
    app.connect("autodoc-process-docstring", constant_docstring, priority=400)
