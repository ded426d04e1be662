"""Layering: fxp_nn uses only the public API of fxp (names exported by fxp/__init__.py, plus
fxp.random), and fxp's own modules import each other without circles."""
import ast
import sys
from pathlib import Path

import pytest

import fxp
import fxp_nn

PACKAGE = Path(fxp_nn.__file__).parent
FXP = Path(fxp.__file__).parent
#: the test oracle: production never imports it
ORACLE = {"fxp._reference", "fxp._reference_gemm"}
#: the only imports of fxp modules inside functions: FxpArray.__array_ufunc__ and
#: __array_function__ import the numpy protocol module, which maps numpy's functions onto the
#: function modules (and so imports fxp._array)
LAZY_EDGES = {("fxp._array", "fxp._numpy")}


def _private(name):
    """``_name`` is private; a dunder such as ``__version__`` is public by Python's convention."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_fxp_uses(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "fxp" and any(p.startswith("_") for p in parts[1:]):
                yield node.lineno, f"from {node.module} import ..."
            if node.module == "fxp":
                for alias in node.names:
                    if _private(alias.name):
                        yield node.lineno, f"from fxp import {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "fxp" and any(p.startswith("_") for p in parts[1:]):
                    yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            if isinstance(base, ast.Name) and base.id == "fxp":
                yield node.lineno, f"fxp.{node.attr}"
            if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name) and base.value.id == "fxp":
                yield node.lineno, f"fxp.{base.attr}.{node.attr}"


def test_fxp_nn_uses_only_public_fxp_names():
    files = sorted(PACKAGE.rglob("*.py"))
    assert files
    offences = [f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
                for path in files
                for line, what in _private_fxp_uses(ast.parse(path.read_text(), str(path)))]
    assert not offences, "fxp_nn reaches into private fxp names:\n" + "\n".join(offences)


def test_checker_catches_private_imports():
    code = "import fxp._kernels\nfrom fxp._format import as_format\nfrom fxp import _modes\nfxp._reference.add\n"
    assert len(list(_private_fxp_uses(ast.parse(code)))) == 4
    assert not list(_private_fxp_uses(ast.parse("from fxp import __version__\nfxp.__version__\n")))


def test_import_needs_only_numpy():
    """``import fxp`` and ``import fxp_nn`` load none of the optional dependencies (the extras
    analysis, nn and plot bring them; each is imported where it is used)."""
    import subprocess

    probe = ("import sys, fxp, fxp_nn, fxp_nn.energy; "
             "print(sorted(m for m in ('scipy', 'sklearn', 'matplotlib', 'tqdm') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_missing_optional_dependency_names_its_extra(monkeypatch):
    from fxp_nn._optional import require

    monkeypatch.setitem(sys.modules, "tqdm", None)   # makes "import tqdm" fail
    with pytest.raises(ModuleNotFoundError, match=r'pip install "fxp\[nn\]"'):
        require("tqdm", "nn")


TYPE_ONLY = "type checking only"


def _module_name(path):
    parts = path.relative_to(FXP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _fxp_imports(tree, module, is_package=False):
    """``(target, lineno, in_function, absolute)`` for every import of ``fxp`` or one of its
    modules in ``tree`` (the code of ``module``); ``from . import x`` names module ``x``.
    ``in_function`` is TYPE_ONLY under ``if TYPE_CHECKING:`` (read by type checkers, never run)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    in_function, type_only = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            in_function.update(id(n) for n in ast.walk(node) if n is not node)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            type_only.update(id(n) for n in ast.walk(node) if n is not node)
    for node in ast.walk(tree):
        lazy = TYPE_ONLY if id(node) in type_only else id(node) in in_function
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "fxp":
                    yield alias.name, node.lineno, lazy, True
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join(base + (node.module.split(".") if node.module else []))
            if target.split(".")[0] != "fxp":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (sub if sub in _FXP_MODULES or node.module is None else target), node.lineno, \
                    lazy, node.level == 0


_FXP_FILES = {_module_name(p): p for p in sorted(FXP.rglob("*.py"))}
# the compiled modules: their .pyx in a source tree, their .pyi stubs in a source tree or a wheel
_FXP_MODULES = set(_FXP_FILES) | {f"fxp._kernels.{p.stem}" for p in FXP.glob("_kernels/*.py[xi]")}
_IMPORTS = {name: list(_fxp_imports(ast.parse(path.read_text(), str(path)), name,
                                    path.name == "__init__.py"))
            for name, path in _FXP_FILES.items()}


def test_fxp_module_import_graph_has_no_cycle():
    graph = {name: {t for t, _, lazy, _ in imports if not lazy and t != name}
             for name, imports in _IMPORTS.items()}
    done, path = set(), []

    def visit(name):
        if name in path:
            raise AssertionError("module-level import cycle: " + " -> ".join(path[path.index(name):] + [name]))
        if name in done:
            return
        path.append(name)
        for target in sorted(graph.get(name, ())):
            visit(target)
        path.pop()
        done.add(name)

    assert len(graph) > 10
    for name in sorted(graph):
        visit(name)


def test_function_level_imports_only_at_the_documented_edges():
    lazy = {(name, t) for name, imports in _IMPORTS.items() for t, _, is_lazy, _ in imports if is_lazy is True}
    assert lazy == LAZY_EDGES


def test_production_never_imports_the_oracle():
    offences = [f"{name}:{line}: {t}" for name, imports in _IMPORTS.items() if name not in ORACLE
                for t, line, _, _ in imports if t in ORACLE]
    assert not offences, "production imports the test oracle:\n" + "\n".join(offences)


def test_no_import_fxp_inside_fxp():
    offences = [f"{name}:{line}: {t}" for name, imports in _IMPORTS.items()
                for t, line, _, absolute in imports if absolute]
    assert not offences, "absolute imports of fxp inside fxp:\n" + "\n".join(offences)


def test_import_checker_resolves_relative_and_lazy_imports():
    code = ("from . import _raw, _rules\nfrom ._format import Format\nimport fxp\n"
            "def f():\n    from ._numpy import array_ufunc\n")
    found = [(t, lazy, absolute) for t, _, lazy, absolute in _fxp_imports(ast.parse(code), "fxp._array")]
    assert found == [("fxp._raw", False, False), ("fxp._rules", False, False),
                     ("fxp._format", False, False), ("fxp", False, True), ("fxp._numpy", True, False)]
