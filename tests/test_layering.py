"""fxp_nn may use only the public API of fxp (names exported by fxp/__init__.py, plus fxp.random)."""
import ast
import sys
from pathlib import Path

import pytest

import fxp_nn

PACKAGE = Path(fxp_nn.__file__).parent


def _private_fxp_uses(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "fxp" and any(p.startswith("_") for p in parts[1:]):
                yield node.lineno, f"from {node.module} import ..."
            if node.module == "fxp":
                for alias in node.names:
                    if alias.name.startswith("_"):
                        yield node.lineno, f"from fxp import {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "fxp" and any(p.startswith("_") for p in parts[1:]):
                    yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
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
