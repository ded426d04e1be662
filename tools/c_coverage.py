"""C line coverage of fxp/_kernels/csrc by the test suite, per SIMD level, measured with gcov.

Builds a gcov-instrumented copy of the working tree (``FXP_COVERAGE=1``, see setup.py) in a
temporary directory, runs the test suite there once per SIMD level the CPU has
(``FXP_SIMD_LEVEL=0``, ``1``, ``2``), collects gcov's counts after each run and prints Markdown
tables per level: lines executed and branch arcs taken per source file of csrc (the ``.h`` files
are textually included; gcov counts their lines where they are written), and lines and basic
blocks of the functions compiled once per instruction set, per variant.  A line counts once
however many specialised copies the compiler made of it (macros, always_inline functions
inlined with constant arguments); the arcs and blocks count every copy.  The developer's own
build and tree are not touched.

Run from anywhere in the repository, with the package's build requirements (setuptools >= 77,
Cython >= 3, numpy) and test requirements installed::

    python tools/c_coverage.py [--missing] [--levels 0 1] [-- PYTEST ARGS]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

CSRC = "fxp/_kernels/csrc"
LEVEL_NAMES = {0: "portable", 1: "AVX2", 2: "AVX-512"}
# the instruction set of a function compiled once per level, from its name's suffix
VARIANT = re.compile(r"_(portable|avx2|avx512|vnni)\d*$")
VARIANT_LEVEL = {"portable": 0, "avx2": 1, "avx512": 2, "vnni": 2}
# a definition at column 0 in C: a function's name before its "(", or a macro's name
DEFINITION = re.compile(r"^(?:#define\s+(\w+)|(?!typedef|static_assert)[A-Za-z_][\w\s\*]*?\b(\w+)\s*\()")


def run(cmd, cwd, env=None, log=None):
    """Run ``cmd`` in ``cwd``; its output goes to ``log`` (a path) or is returned.

    Parameters
    ----------
    cmd : list of str
        The command and its arguments.
    cwd : path-like
        Working directory.
    env : dict, optional
        Environment (default: this process's).
    log : path-like, optional
        File that receives stdout and stderr; without it, stdout is returned.

    Returns
    -------
    subprocess.CompletedProcess
        The finished process (``stdout`` is None when ``log`` is given).
    """
    if log is None:
        return subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with open(log, "w") as fh:
        return subprocess.run(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT, text=True)


def copy_tree(repo, dest):
    """Copy the working-tree versions of the files git knows or would add (tracked, and
    untracked but not ignored) from ``repo`` into ``dest``.

    Parameters
    ----------
    repo : Path
        Top of the git working tree.
    dest : Path
        An empty directory.
    """
    names = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], repo).stdout
    for name in filter(None, names.split("\0")):
        src = repo / name
        if src.is_file():   # tracked files deleted in the working tree are skipped
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def build(tree):
    """Build the extensions of ``tree`` in place with gcov instrumentation.

    Parameters
    ----------
    tree : Path
        A copy of the repository (copy_tree).

    Returns
    -------
    Path
        The directory holding the objects (and the ``.gcno`` / ``.gcda`` files) of csrc.
    """
    env = dict(os.environ, FXP_COVERAGE="1")
    proc = run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], tree, env, tree / "build.log")
    if proc.returncode:
        sys.exit("build failed:\n" + (tree / "build.log").read_text()[-4000:])
    objdirs = {p.parent for p in (tree / "build").rglob("*.gcno") if p.parent.name == "csrc"}
    if len(objdirs) != 1:
        sys.exit(f"expected one csrc object directory with .gcno files, found {sorted(objdirs)}")
    return objdirs.pop()


def _tree_env(tree, level=None):
    """The environment that imports fxp from ``tree`` at SIMD level ``level`` (None: unset)."""
    env = {k: v for k, v in os.environ.items() if k != "FXP_SIMD_LEVEL"}
    env["PYTHONPATH"] = os.pathsep.join([str(tree)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    if level is not None:
        env["FXP_SIMD_LEVEL"] = str(level)
    return env


def cpu_level(tree):
    """The best SIMD level of this CPU, asked of the instrumented build.

    Parameters
    ----------
    tree : Path
        The instrumented copy; the check fails unless its environment imports fxp from it.

    Returns
    -------
    int
        0 portable, 1 AVX2, 2 AVX-512.
    """
    probe = ("import fxp; from fxp._kernels import _elementwise as e; "
             "print(fxp.__file__); print(max(e.simd_level(v) for v in (0, 1, 2)))")
    proc = run([sys.executable, "-c", probe], tree, _tree_env(tree))
    if proc.returncode:
        sys.exit("cannot import the instrumented build:\n" + proc.stderr)
    where, level = proc.stdout.split()
    if not Path(where).resolve().is_relative_to(tree.resolve()):
        sys.exit(f"the tests would import fxp from {where}, not from the instrumented copy")
    return int(level)


def collect(tree, objdir):
    """gcov's counts of csrc's ``.c`` files after a run.

    Parameters
    ----------
    tree : Path
        The instrumented copy.
    objdir : Path
        Its csrc object directory (build).

    Returns
    -------
    dict
        ``lines``: {(file, line): count} (all function instances of a line summed);
        ``arcs``: {(file, line, function, i): count} of the line's i-th branch arc (one line
        of a macro or of an inlined specialised function holds the arcs of all its copies);
        ``by_function``: {(file, line, function): count} for lines gcov places in a function
        (lines of always_inline code count in their caller and carry no function);
        ``blocks``: {(file, function): (basic blocks, executed blocks)}.
    """
    lines, arcs, by_function, blocks = defaultdict(int), {}, defaultdict(int), {}
    for source in sorted((tree / CSRC).glob("*.c")):
        proc = run(["gcov", "-t", "-j", "-b", "-o", str(objdir), str(source.relative_to(tree))], tree)
        if proc.returncode:
            sys.exit(f"gcov failed on {source.name}:\n{proc.stderr}")
        for doc in proc.stdout.splitlines():
            for entry in json.loads(doc)["files"]:
                name = entry["file"]
                if not name.startswith(CSRC + "/"):
                    continue   # system headers (the intrinsics)
                name = name[len(CSRC) + 1:]
                for ln in entry["lines"]:
                    number, function = ln["line_number"], ln.get("function_name", "")
                    lines[name, number] += ln["count"]
                    if function:
                        by_function[name, number, function] += ln["count"]
                    for i, arc in enumerate(ln["branches"]):
                        arcs[name, number, function, i] = arc["count"]
                for fn in entry["functions"]:
                    blocks[name, fn["name"]] = (fn["blocks"], fn["blocks_executed"])
    return {"lines": dict(lines), "arcs": arcs, "by_function": dict(by_function), "blocks": blocks}


def run_level(tree, objdir, level, pytest_args):
    """Run the tests at one SIMD level on fresh counters.

    Parameters
    ----------
    tree, objdir : Path
        The instrumented copy and its csrc object directory (build).
    level : int
        The ``FXP_SIMD_LEVEL`` of the run.
    pytest_args : list of str
        Extra pytest arguments (test selection).

    Returns
    -------
    tuple
        (collect()'s counts, the pytest exit code, the pytest summary line).
    """
    for gcda in (tree / "build").rglob("*.gcda"):
        gcda.unlink()
    log = tree / f"pytest-level{level}.log"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"] + pytest_args
    proc = run(cmd, tree, _tree_env(tree, level), log)
    text = log.read_text().rstrip().splitlines()
    return collect(tree, objdir), proc.returncode, text[-1] if text else ""


def _fraction(executed, total):
    """'executed/total (p %)'."""
    return f"{executed}/{total} ({100.0 * executed / total:.1f} %)" if total else "-"


def file_table(results, levels_run, skipped, kind):
    """The Markdown table of what ran per csrc file and level, with the union over the levels.

    Parameters
    ----------
    results : dict
        {level: collect()'s counts} of the levels run.
    levels_run : list of int
        The levels run, in order.
    skipped : dict
        {level: the text its cells show} for the levels not run.
    kind : {"lines", "arcs"}
        Executed lines or taken branch arcs (see collect).

    Returns
    -------
    str
        The table.
    """
    units = sorted({key for r in results.values() for key in r[kind]})
    files = sorted({key[0] for key in units})
    head = [f"level {lvl} ({LEVEL_NAMES[lvl]})" for lvl in sorted(LEVEL_NAMES)] + ["union"]
    rows = ["| file | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
    for f in files + ["all"]:
        keys = [k for k in units if f in ("all", k[0])]
        cells = []
        for lvl in sorted(LEVEL_NAMES):
            if lvl in skipped:
                cells.append(skipped[lvl])
            else:
                cells.append(_fraction(sum(results[lvl][kind].get(k, 0) > 0 for k in keys), len(keys)))
        union = sum(any(results[lvl][kind].get(k, 0) > 0 for lvl in levels_run) for k in keys)
        cells.append(_fraction(union, len(keys)))
        rows.append(f"| {'**all**' if f == 'all' else f} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _variant_of(function):
    """The SIMD level of a function compiled once per instruction set (from its name), or None."""
    m = VARIANT.search(function)
    return None if m is None else VARIANT_LEVEL[m.group(1)]


def variant_table(results, skipped):
    """The Markdown table of the functions compiled once per instruction set, per file and
    variant: the lines gcov places in them and their basic blocks (which count every
    specialised copy of inlined code and macro-generated bodies), executed per level.

    Parameters
    ----------
    results, skipped : dict
        As for file_table.

    Returns
    -------
    str
        The table.
    """
    any_result = next(iter(results.values()))
    groups = defaultdict(lambda: {"lines": set(), "functions": set()})
    for f, line, fn in any_result["by_function"]:
        if _variant_of(fn) is not None:
            groups[f, _variant_of(fn)]["lines"].add((f, line, fn))
    for f, fn in any_result["blocks"]:
        if _variant_of(fn) is not None:
            groups[f, _variant_of(fn)]["functions"].add((f, fn))
    head = [f"level {lvl}" for lvl in sorted(LEVEL_NAMES)]
    rows = ["| file [variant]: lines; basic blocks | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
    for (f, var), g in sorted(groups.items()):
        cells = []
        for lvl in sorted(LEVEL_NAMES):
            if lvl in skipped:
                cells.append(skipped[lvl])
                continue
            r = results[lvl]
            done = sum(r["by_function"].get(k, 0) > 0 for k in g["lines"])
            total_b = sum(r["blocks"][k][0] for k in g["functions"])
            done_b = sum(r["blocks"][k][1] for k in g["functions"])
            cells.append(f"{_fraction(done, len(g['lines']))}; {_fraction(done_b, total_b)}")
        rows.append(f"| {f} [{LEVEL_NAMES[var]}] | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _enclosing_definitions(text):
    """{line number: name of the function or macro defined at or before it} for C source
    ``text`` (the nearest definition starting at column 0)."""
    names, current = {}, "(file scope)"
    for number, line in enumerate(text.splitlines(), 1):
        m = DEFINITION.match(line)
        if m and not line.rstrip().endswith(";"):
            current = m.group(1) or m.group(2)
        names[number] = current
    return names


def missing_lines(tree, results, levels_run):
    """The unexecuted lines at each level run, per file and function.

    Parameters
    ----------
    tree : Path
        The instrumented copy (for the source text).
    results, levels_run
        As for file_table.

    Returns
    -------
    str
        Markdown: per level, per file, per function (gcov's, or for always_inline code the
        definition enclosing the line), ``file:line  text``; executed lines with branch arcs
        never taken are listed too, marked ``[taken/arcs]``.
    """
    out = []
    for lvl in levels_run:
        out.append(f"\n### Not executed at level {lvl} ({LEVEL_NAMES[lvl]})\n")
        counts = results[lvl]
        functions, arcs = defaultdict(set), defaultdict(lambda: [0, 0])
        for f, line, fn in counts["by_function"]:
            functions[f, line].add(fn)
        for (f, line, _, _), c in counts["arcs"].items():
            arcs[f, line][0] += c > 0
            arcs[f, line][1] += 1
        for f in sorted({f for f, _ in counts["lines"]}):
            source = (tree / CSRC / f).read_text().splitlines()
            enclosing = _enclosing_definitions("\n".join(source))
            grouped = defaultdict(list)
            for (g, line), c in sorted(counts["lines"].items()):
                taken, total = arcs[g, line]
                if g == f and (c == 0 or taken < total):
                    mark = f" [{taken}/{total} arcs]" if c else ""
                    grouped[", ".join(sorted(functions[f, line])) or enclosing[line]].append((line, mark))
            if not grouped:
                continue
            out.append(f"\n#### {f}\n")
            for fn, entries in sorted(grouped.items(), key=lambda item: item[1][0]):
                out.append(f"- `{fn}`")
                out.extend(f"  - `{f}:{n}`{mark}  `{source[n - 1].strip()}`" for n, mark in entries)
    return "\n".join(out)


def main(argv=None):
    """Command line entry point: build, run the tests per level, print the tables.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``); those after ``--`` go to pytest.

    Returns
    -------
    int
        0, or 1 when the tests failed at some level.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", type=int, nargs="+", choices=sorted(LEVEL_NAMES),
                        default=sorted(LEVEL_NAMES), help="SIMD levels to measure (default: all the CPU has)")
    parser.add_argument("--missing", action="store_true", help="list the unexecuted lines, grouped by function")
    parser.add_argument("--keep", action="store_true", help="keep the instrumented copy (its path is printed)")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest after -- (default: the whole suite)")
    args = parser.parse_args(argv)
    if shutil.which("gcov") is None:
        sys.exit("gcov not found (it comes with gcc)")
    repo = Path(run(["git", "rev-parse", "--show-toplevel"], Path(__file__).parent).stdout.strip())
    tree = Path(tempfile.mkdtemp(prefix="fxp-c-coverage-"))
    failed = False
    try:
        copy_tree(repo, tree)
        objdir = build(tree)
        best = cpu_level(tree)
        skipped = {lvl: f"not run (CPU has no {LEVEL_NAMES[lvl]})" for lvl in LEVEL_NAMES if lvl > best}
        skipped.update({lvl: "not requested" for lvl in LEVEL_NAMES if lvl <= best and lvl not in args.levels})
        levels_run = [lvl for lvl in sorted(LEVEL_NAMES) if lvl not in skipped]
        results = {}
        for lvl in levels_run:
            results[lvl], code, summary = run_level(tree, objdir, lvl, args.pytest_args)
            print(f"level {lvl}: pytest {summary}", file=sys.stderr)
            failed |= code != 0
        print("## Lines executed per file\n")
        print(file_table(results, levels_run, skipped, "lines"))
        print("\n## Branch arcs taken per file\n")
        print(file_table(results, levels_run, skipped, "arcs"))
        print("\n## Functions compiled once per instruction set\n")
        print(variant_table(results, skipped))
        if args.missing:
            print(missing_lines(tree, results, levels_run))
        if failed:
            print(f"\ntests failed at some level: logs in {tree} (kept)", file=sys.stderr)
    finally:
        if args.keep or failed:
            print(f"instrumented copy: {tree}", file=sys.stderr)
        else:
            shutil.rmtree(tree)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
