"""Training loop: loss decreases, resume equals an uninterrupted run, divergence stops the run."""
import json

import numpy as np
import pytest

from fxp_nn import SGD, PrecisionPolicy, TrainingDiverged, fit, load_dataset, mlp
from fxp_nn.plot import plot_runs
from fxp_nn.cli import main as train_main


@pytest.fixture(scope="module")
def digits():
    data = load_dataset("digits")
    data.x_train, data.y_train = data.x_train[:400], data.y_train[:400]
    return data


def _run(data, policy, epochs, run_dir=None, resume=False, seed=0):
    model = mlp([64, 32, 10], policy=policy, seed=seed)
    if not policy.is_float:
        import fxp.random
        model.rng = fxp.random.Xorshift(seed)
    optimizer = SGD(model, 0.1, momentum=0.9)
    history = fit(model, optimizer, data, epochs, batch_size=25, seed=seed, run_dir=run_dir,
                    resume=resume, progress=False)
    return model, history


def test_loss_decreases_float32(digits):
    _, history = _run(digits, PrecisionPolicy.float32(), 3)
    assert history[-1]["loss"] < 0.3 * history[0]["loss"]
    assert history[-1]["test_error"] < 0.2


def test_resume_equals_uninterrupted(digits, tmp_path):
    policy = PrecisionPolicy.float32()
    straight, history = _run(digits, policy, 3)
    _run(digits, policy, 1, run_dir=tmp_path)
    resumed, resumed_history = _run(digits, policy, 3, run_dir=tmp_path, resume=True)
    for a, b in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(np.asarray(a.value), np.asarray(b.value))
    strip = [{k: v for k, v in r.items() if k != "time_s"} for r in history]
    assert strip == [{k: v for k, v in r.items() if k != "time_s"} for r in resumed_history]
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert [r["epoch"] for r in saved] == [1, 2, 3]
    assert (tmp_path / "metrics.csv").read_text().startswith("epoch,policy,loss")


def test_nan_loss_stops_with_a_message(digits):
    model = mlp([64, 32, 10], policy=PrecisionPolicy.float32())
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged, match="training diverged"):
        fit(model, SGD(model, 1e30), digits, 2, batch_size=50, progress=False)


def test_cli_writes_metrics_and_plot(tmp_path, capsys):
    out = tmp_path / "run"
    assert train_main(["--precision", "float32", "--hidden", "16", "--epochs", "1", "--train-subset", "200",
                       "--lr", "0.1", "--out", str(out), "--no-progress"]) == 0
    assert "test error" in capsys.readouterr().out
    assert plot_runs([out, out], tmp_path / "fig.png", labels=["a", "b"]).exists()


def test_cli_fixed_point_resume_matches_straight_run(tmp_path):
    common = ["--hidden", "16", "--train-subset", "200", "--frac-bits", "10", "--rounding", "stochastic",
              "--lr", "0.1", "--batch-size", "50", "--threads", "1", "--no-progress"]
    assert train_main(common + ["--epochs", "2", "--out", str(tmp_path / "straight")]) == 0
    assert train_main(common + ["--epochs", "1", "--out", str(tmp_path / "resumed")]) == 0
    assert train_main(common + ["--epochs", "2", "--out", str(tmp_path / "resumed"), "--resume"]) == 0
    straight = json.loads((tmp_path / "straight" / "metrics.json").read_text())
    resumed = json.loads((tmp_path / "resumed" / "metrics.json").read_text())
    for a, b in zip(straight, resumed):
        assert (a["loss"], a["test_error"], a["saturation"]) == (b["loss"], b["test_error"], b["saturation"])


def test_cli_module_does_not_shadow_fit():
    import fxp_nn
    import fxp_nn.cli  # noqa: F401  (the CLI module; importing it must not replace an API name)

    assert callable(fxp_nn.fit) and "fit" in fxp_nn.__all__ and "train" not in fxp_nn.__all__
