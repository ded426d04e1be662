"""Learning-rate and precision schedules: values, validation, and their application by ``fit``."""
import doctest
import json
import math

import numpy as np
import pytest

import fxp.random
from fxp_nn import SGD, PrecisionPolicy, fit, load_dataset, mlp, schedules
from fxp_nn.schedules import Constant, Cosine, PrecisionSchedule, Sequence, Step, Warmup


def test_doctests():
    assert doctest.testmod(schedules).failed == 0


def test_step_and_cosine_follow_their_formulas():
    step = Step(0.1, step_size=3, gamma=0.5)
    assert [step(e) for e in range(1, 8)] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]
    cos = Cosine(0.2, epochs=4, min_lr=0.02)
    expected = [0.02 + 0.18 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    assert [cos(e) for e in range(1, 6)] == pytest.approx(expected, rel=1e-15)
    assert cos(9) == pytest.approx(0.02)   # stays at min_lr after the annealing


def test_warmup_and_sequence_compose():
    warm = Warmup(Step(0.4, 2), epochs=4)
    assert [warm(e) for e in range(1, 6)] == pytest.approx([0.1, 0.2, 0.03, 0.04, 0.004])
    seq = Sequence([(2, 0.3), (None, Cosine(0.1, 2))])
    assert [seq(e) for e in range(1, 6)] == pytest.approx([0.3, 0.3, 0.1, 0.05, 0.0])
    bounded = Sequence([(1, 0.3), (2, Constant(0.2))])
    assert [bounded(e) for e in (1, 2, 3, 4)] == [0.3, 0.2, 0.2, 0.2]


@pytest.mark.parametrize("make,match", [
    (lambda: Step(0.1, 0), "step_size must be a positive int"),
    (lambda: Constant(-1), "lr must be a positive finite number"),
    (lambda: Constant(float("nan")), "lr must be a positive finite number"),
    (lambda: Cosine(0.1, 5, min_lr=0.2), "min_lr must be in"),
    (lambda: Sequence([]), "at least one schedule"),
    (lambda: Sequence([(None, 0.1), (None, 0.2)]), "every schedule but the last"),
    (lambda: Constant(0.1)(0), "epochs count from 1"),
    (lambda: PrecisionSchedule.table({2: PrecisionPolicy.float32()}), "starting at 1"),
    (lambda: PrecisionSchedule(lambda e: "s16.8").policies(1), "not a PrecisionPolicy|expected a PrecisionPolicy"),
])
def test_bad_arguments_are_refused(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_precision_table_sets_model_and_layer_policies():
    model = mlp([4, 3, 2])
    fl10, fl12, f32 = PrecisionPolicy.gupta(16, 10), PrecisionPolicy.gupta(16, 12), PrecisionPolicy.float32()
    schedule = PrecisionSchedule.table({1: fl10, 3: {None: fl12, 1: f32}})
    assert schedule.apply(2, model) == {"model": str(fl10)}
    assert schedule.apply(5, model) == {"model": str(fl12), "1.Linear": "float32"}
    assert model.policy is fl12 and model.layers[1].policy is f32


def test_fit_applies_and_records_schedules(tmp_path):
    data = load_dataset("digits")
    data.x_train, data.y_train = data.x_train[:200], data.y_train[:200]
    model = mlp([64, 16, 10], policy=PrecisionPolicy.gupta(16, 8), seed=0)
    model.rng = fxp.random.Xorshift(0)
    ramp = PrecisionSchedule.stepped(lambda fl: PrecisionPolicy.gupta(16, fl), [8, 12], every=1)
    history = fit(model, SGD(model, 1.0), data, 3, batch_size=50, progress=False, run_dir=tmp_path,
                  lr_schedule=Step(0.1, 2), precision_schedule=ramp)
    assert [r["lr"] for r in history] == pytest.approx([0.1, 0.1, 0.01])
    assert [r["policies"]["model"] for r in history] == ["fixed WL=16 FL=8 SR"] + ["fixed WL=16 FL=12 SR"] * 2
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert [r["lr"] for r in saved] == [r["lr"] for r in history]
    assert model.layers[1].weight.value.fmt.frac_bits == 12
