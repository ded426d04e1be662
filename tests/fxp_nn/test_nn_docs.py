"""docs/nn.md's Python examples run, in order, in one namespace (as a reader would paste them)."""
import re
from pathlib import Path

PAGE = Path(__file__).parents[2] / "docs" / "nn.md"


def test_nn_page_examples_run(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)           # the examples write run directories and model files
    namespace = {}
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), namespace)
    out = capsys.readouterr().out
    assert "policy: " in out and "pJ/MAC" in out and "0.5" in out
    assert (tmp_path / "run" / "best.npz").is_file() and (tmp_path / "model.npz").is_file()
