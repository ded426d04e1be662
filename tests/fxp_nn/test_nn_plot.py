"""fxp-plot: legends name the policies a run used (its config.json); user errors are one line, exit status 2."""
import json
import tomllib
from pathlib import Path

from fxp_nn.cli import main as train_main
from fxp_nn.plot import main as plot_main
from fxp_nn.plot import run_label


def test_runs_are_labelled_by_the_policies_they_used(tmp_path, capsys):
    out = tmp_path / "run"
    assert train_main(["--hidden", "8", "--train-subset", "100", "--epochs", "1", "--logits-frac-bits", "10",
                       "--no-progress", "--threads", "1", "--out", str(out)]) == 0
    history = json.loads((out / "metrics.json").read_text())
    assert run_label(out, history) == ("fixed WL=16 FL=14 SR; 3.Linear: fixed WL=16 FL=14 SR, logits s16.10")
    assert run_label(out / "metrics.json", history) == run_label(out, history)
    for record in history:
        del record["policies"]
    assert run_label(out, history) == run_label(out / "metrics.json", history)   # from config.json
    (out / "config.json").unlink()
    assert run_label(out, history) == "fixed WL=16 FL=14 SR"      # older runs: the records' policy
    scheduled = [{"policies": {"model": "fixed WL=16 FL=14 SR"}}, {"policies": {"model": "fixed WL=16 FL=10 SR"}}]
    assert run_label(out, scheduled) == "fixed WL=16 FL=14 SR -> fixed WL=16 FL=10 SR"
    assert plot_main([str(out), "-o", str(tmp_path / "fig.png")]) == 0 and (tmp_path / "fig.png").exists()


def test_plot_errors_are_one_line(tmp_path, capsys):
    capsys.readouterr()
    assert plot_main([str(tmp_path / "missing"), "-o", str(tmp_path / "f.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fxp-plot: error: ") and "missing: no such file" in err[0]
    (tmp_path / "metrics.json").write_text("{not json")
    assert plot_main([str(tmp_path), "-o", str(tmp_path / "f.png")]) == 2
    assert "not a metrics file" in capsys.readouterr().err


def test_fxp_plot_is_a_console_script():
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["fxp-plot"] == "fxp_nn.plot:main"
