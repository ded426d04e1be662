"""fit(): data validation, a validation split, early stopping, the best checkpoint, and run directories."""
import json

import numpy as np
import pytest

import fxp.random
import fxp_nn
from fxp_nn import SGD, DataError, PrecisionPolicy, fit, load_dataset, mlp


@pytest.fixture(scope="module")
def digits():
    data = load_dataset("digits")
    data.x_train, data.y_train = data.x_train[:300], data.y_train[:300]
    return data


def _copy(data, **changes):
    fields = dict(name=data.name, x_train=data.x_train, y_train=data.y_train, x_test=data.x_test,
                  y_test=data.y_test, source=data.source)
    return fxp_nn.Dataset(**{**fields, **changes})


def _fit(data, epochs, lr=0.1, **kw):
    model = mlp([64, 16, 10], policy=PrecisionPolicy.gupta(16, 10), seed=0)
    model.rng = fxp.random.Xoroshiro128Plus(0)
    history = fit(model, SGD(model, lr, momentum=0.9), data, epochs, batch_size=50, progress=False, **kw)
    return model, history


@pytest.mark.parametrize("changes, message", [
    (lambda d: {"y_train": d.y_train.astype(float)}, "train labels must be a 1-D integer array"),
    (lambda d: {"x_test": d.x_test[:0], "y_test": d.y_test[:0]}, "the test set is empty"),
    (lambda d: {"y_test": np.where(np.arange(len(d.y_test)) == 3, 200, d.y_test)},
     r"test labels \[200\] are not training classes 0\.\.9"),
    (lambda d: {"y_train": d.y_train[:10]}, "300 train examples but 10 labels"),
    (lambda d: {"x_test": d.x_test[:, :, :4]}, "test examples have shape"),
    (lambda d: {"y_train": d.y_train - 1}, "train labels must be >= 0"),
])
def test_bad_data_is_refused_before_training(digits, changes, message):
    bad = _copy(digits, **changes(digits))
    with pytest.raises(DataError, match=message):
        _fit(bad, 1)


def test_validation_split_early_stopping_and_best_model(digits, tmp_path):
    _, history = _fit(digits, 3, validation=0.2)
    assert all({"val_loss", "val_error"} <= set(r) for r in history)
    # patience 1 with a learning rate so large that the validation loss rises after epoch 1
    _, stopped = _fit(digits, 8, lr=3.0, validation=0.2, early_stopping=1, keep_best=True, run_dir=tmp_path)
    losses = [r["val_loss"] for r in stopped]
    best = losses.index(min(losses))
    assert len(stopped) == best + 2 < 8
    best_model = fxp_nn.load(tmp_path / "best.npz")
    x_val, y_val = digits.x_train[-60:], digits.y_train[-60:]
    assert fxp_nn.evaluate(best_model, x_val, y_val)[0] == pytest.approx(min(losses), abs=0.02)
    csv_header = (tmp_path / "metrics.csv").read_text().splitlines()[0]
    assert csv_header.endswith("val_loss,val_error,lr")


def test_resumed_early_stopping_stops_where_the_straight_run_does(digits, tmp_path):
    _, straight = _fit(digits, 8, lr=3.0, validation=0.2, early_stopping=1)
    _fit(digits, 1, lr=3.0, validation=0.2, early_stopping=1, run_dir=tmp_path)
    _, resumed = _fit(digits, 8, lr=3.0, validation=0.2, early_stopping=1, run_dir=tmp_path, resume=True)
    strip = lambda h: [{k: v for k, v in r.items() if k != "time_s"} for r in h]  # noqa: E731
    assert strip(straight) == strip(resumed)


@pytest.mark.parametrize("kw, error, message", [
    ({"early_stopping": 2}, ValueError, "pass validation="),
    ({"validation": 1.5}, ValueError, r"fraction in \(0, 1\)"),
    ({"validation": 0.2, "keep_best": True}, ValueError, "pass run_dir="),
    ({"validation": 0.2, "monitor": "test_error"}, ValueError, "monitor must be one of"),
    ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
])
def test_bad_options_are_refused(digits, kw, error, message):
    model = mlp([64, 16, 10])
    kw = {"batch_size": 50, **kw}
    with pytest.raises(error, match=message):
        fit(model, SGD(model, 0.1), digits, 1, progress=False, **kw)


def test_a_run_directory_is_not_overwritten_and_records_its_policies(digits, tmp_path):
    model, _ = _fit(digits, 1, run_dir=tmp_path, config={"note": "first"})
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["note"] == "first" and config["policies"] == model.policy_summary()
    with pytest.raises(FileExistsError, match="already holds a run"):
        _fit(digits, 1, run_dir=tmp_path)
    _fit(digits, 1, run_dir=tmp_path, overwrite=True)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        _fit(digits, 0)
