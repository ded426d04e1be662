"""fxp-train: every user error is one line ``fxp-train: error: ...`` with exit status 2, never a traceback."""
import json
import subprocess
import sys

import pytest

from fxp_nn.cli import main

FAST = ["--hidden", "8", "--train-subset", "100", "--epochs", "1", "--batch-size", "50", "--no-progress",
        "--threads", "1"]


@pytest.fixture
def error(cli_error):
    return lambda argv: cli_error(main, argv, "fxp-train")


@pytest.mark.parametrize("argv, message", [
    (["--batch-size", "0"], "--batch-size: must be a positive integer, got 0"),
    (["--batch-size", "ten"], "--batch-size: must be a positive integer, got 'ten'"),
    (["--epochs", "0"], "--epochs: must be a positive integer, got 0"),
    (["--word-bits", "40"], "word_bits must be in 1..32, got 40"),
    (["--frac-bits", "16"], "--frac-bits 16 leaves no integer bits in a 16-bit word"),
    (["--logits-frac-bits", "20"], "--logits-frac-bits 20 leaves no integer bits"),
    (["--acc-bits", "80"], "must be in 2..64, got 80"),
    (["--lr", "0"], "--lr: must be positive"),
    (["--momentum", "1"], "--momentum must be in [0, 1)"),
    (["--weight-decay", "-1"], "--weight-decay must be >= 0"),
    (["--hidden", "8,x"], "--hidden must be positive integers"),
    (["--validation", "1"], "--validation must be a fraction"),
    (["--patience", "2"], "watch a validation set"),
    (["--validation", "0.2", "--keep-best"], "--keep-best writes OUT/best.npz: add --out"),
    (["--resume"], "--resume needs --out"),
    (["--model", "resnet9000"], "invalid choice: 'resnet9000'"),
    (["--dataset", "mnist", "--data-dir", "{tmp}/none"], "dataset 'mnist' not found"),
    (["--out", "{tmp}/nothing", "--resume"], "cannot resume: no checkpoint.npz in"),
])
def test_user_errors_are_one_line(error, capsys, tmp_path, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert message in error(FAST + argv)


def test_wide_fraction_bits_need_the_flag(capsys, tmp_path):
    assert main(FAST + ["--frac-bits", "16", "--allow-wide-frac"]) == 0
    assert "test error" in capsys.readouterr().out


def test_run_directory_overwrite_resume_and_config(error, capsys, tmp_path):
    out = str(tmp_path / "run")
    assert main(FAST + ["--out", out]) == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["policies"] == "fixed WL=16 FL=14 SR" and config["lr"] == 0.01
    assert "already holds a run: --resume continues it, --force overwrites it" in error(FAST + ["--out", out])
    line = error(FAST + ["--out", out, "--resume", "--epochs", "2", "--lr", "0.1", "--frac-bits", "12"])
    assert "differ from the checkpoint's: --frac-bits 12 (checkpoint: 14), --lr 0.1 (checkpoint: 0.01)" in line
    assert main(FAST + ["--out", out, "--resume", "--epochs", "2", "--lr", "0.1", "--force"]) == 0
    assert len(json.loads((tmp_path / "run" / "metrics.json").read_text())) == 2
    assert main(FAST + ["--out", out, "--force"]) == 0        # starts over
    assert len(json.loads((tmp_path / "run" / "metrics.json").read_text())) == 1
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "checkpoint.pkl").write_bytes(b"\x80\x04")
    assert "checkpoint.pkl is a pickle, which fxp_nn no longer loads" in error(
        FAST + ["--out", str(tmp_path / "old"), "--resume"])
    (tmp_path / "run" / "checkpoint.npz").write_bytes(b"PK\x03\x04 truncated")
    assert "checkpoint.npz: truncated or corrupt" in error(FAST + ["--out", out, "--resume"])


def test_early_stopping_and_best_checkpoint_from_the_cli(capsys, tmp_path):
    out = tmp_path / "run"
    argv = FAST + ["--epochs", "6", "--lr", "3", "--validation", "0.2", "--patience", "1", "--keep-best",
                   "--out", str(out)]
    assert main(argv) == 0
    history = json.loads((out / "metrics.json").read_text())
    assert len(history) < 6 and "stopped early" in capsys.readouterr().out
    assert (out / "best.npz").is_file()


def test_help_shows_defaults_and_a_process_never_prints_a_traceback(tmp_path):
    help_text = subprocess.run([sys.executable, "-m", "fxp_nn.cli", "--help"], capture_output=True,
                               text=True, check=True).stdout
    assert "(default: 100)" in help_text and "(default: stochastic)" in help_text
    proc = subprocess.run([sys.executable, "-m", "fxp_nn.cli", "--word-bits", "40"], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
