"""``user_script.py`` (what mypy checks against the annotations in CI) is a working program."""
import runpy
from pathlib import Path


def test_user_script_runs(capsys):
    runpy.run_path(str(Path(__file__).with_name("user_script.py")), run_name="__main__")
    assert capsys.readouterr().out.startswith("s16.12 (8,)")
