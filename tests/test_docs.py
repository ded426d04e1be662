"""The documentation's links and paths exist, and no page reads like a lab notebook.

Cheap checks only (no figure is rendered): every relative link in README.md and docs/**/*.md
points at a file of the repository, every ``docs/...`` path they mention exists, and no page
contains a machine path or session narrative.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
DOC_PATH = re.compile(r"(?<![\w/.-])(docs/[\w./-]*\w)")
FORBIDDEN = [
    re.compile(p, re.I) for p in (
        r"/work/", r"/tmp/", r"/home/", r"shared/reference", r"papers\.md",
        r"\bsession[ -]?\d", r"\b(this|that|next|previous|last|earlier) session\b", r"\bon branch\b",
        r"\bbranch (nn|gemm|core|avx2)\w*", r"\bthe lead\b", r"\blead's\b", r"\bhelper's\b",
        r"\b(the|other) engineers?\b", r"\bengineer's\b", r"load average", r"\b\d\d:\d\d UTC\b",
        r"\brerun on \d", r"\bquiet[- ]machine run\b", r"\b20\d\d-\d\d-\d\d\b",
    )
]


def _rel(path):
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_relative_links_exist(page):
    text = page.read_text()
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{_rel(page)} links to {target}, which does not exist"


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_mentioned_doc_paths_exist(page):
    for mention in DOC_PATH.findall(page.read_text()):
        assert (ROOT / mention).exists(), f"{_rel(page)} mentions {mention}, which does not exist"


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_no_machine_paths_or_session_narrative(page):
    for number, line in enumerate(page.read_text().splitlines(), 1):
        for pattern in FORBIDDEN:
            assert not pattern.search(line), f"{_rel(page)}:{number}: {pattern.pattern!r} in {line.strip()!r}"


def test_results_pages_start_with_their_command():
    """Every results page names, near its top, the command that regenerates it."""
    for page in sorted((ROOT / "docs" / "results").glob("*.md")):
        if page.name in {"README.md", "gupta_fashion-mnist_table.md", "c-coverage.md"}:
            continue
        head = "\n".join(page.read_text().splitlines()[:20])
        assert "```" in head or "`python" in head, f"{_rel(page)} does not start with its command"


def test_figure_scripts_save_without_metadata():
    """Every savefig in bench/ and fxp_nn/ drops the software version, so figures are reproducible."""
    for path in sorted([*(ROOT / "bench").glob("*.py"), *(ROOT / "fxp_nn").rglob("*.py")]):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ".savefig(" in line:
                assert "metadata=" in line and "dpi=" in line, f"{_rel(path)}:{number}: savefig without dpi= and metadata="
