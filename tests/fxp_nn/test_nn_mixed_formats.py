"""Training with per-layer formats that differ: the fixed-point gradients equal those of a float64
twin of the model within the error the formats imply.

The twin holds the same parameter values, quantized independently (numpy round-half-even into
the layer's weight format), and runs every tensor in float64.  Rounding the errors role (the
loss gradient is about 1/batch per logit) to FL=12 bits moves the weight gradients by about 1.5 %
of their scale here; the tolerance is 5 % of the twin's largest gradient plus four units in the
last place of the gradient format.  Requantizing between formats that differ (the logits' s16.10
into the errors' s16.12, parameters from FL=12 to FL=10 after a schedule step or a resume) is the
path where the int16 -> int16 requantize used to square its input at SIMD levels 1 and 2 (the
last layer's weight gradient came out hundreds of times too large).
"""
import copy

import numpy as np
import pytest

import fxp_nn
from fxp_nn import SGD, PrecisionPolicy, SoftmaxCrossEntropy, TensorPrecision, checkpoint

F64 = PrecisionPolicy.float64()
FL12 = PrecisionPolicy.fixed(16, 12, "nearest_even")
FL10 = PrecisionPolicy.fixed(16, 10, "nearest_even")


@pytest.fixture(scope="module")
def batch():
    data = fxp_nn.load_dataset("digits")
    return data.x_train[:64], data.y_train[:64]


def _mlp(policy):
    return fxp_nn.mlp([64, 32, 10], policy=policy)


def _quantize(values, fmt):
    """``values`` rounded half-even into ``fmt`` and saturated, as float64 (numpy only)."""
    scale = 2.0 ** fmt.frac_bits
    return np.clip(np.rint(np.asarray(values, np.float64) * scale), fmt.min_raw, fmt.max_raw) / scale


def _gradients(model, x, y):
    loss = SoftmaxCrossEntropy()
    loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    return [np.asarray(p.grad, dtype=np.float64) for p in model.parameters()]


def _weight_formats(model):
    return [model.numerics(i).policy.weights.fmt for i, layer in enumerate(model.layers)
            for _ in layer.parameters()]


def _check_against_twin(model, x, y):
    """Gradients of ``model`` (fixed point) against its float64 twin, parameter by parameter."""
    values = [np.asarray(p.value, dtype=np.float64) for p in model.parameters()]
    twin = copy.deepcopy(model)
    twin.policy = F64
    for layer in twin.layers:
        layer.policy = None
    for p, v, fmt in zip(twin.parameters(), values, _weight_formats(model)):
        p.value = _quantize(v, fmt)
    got = _gradients(model, x, y)
    assert not any(v for roles in model.saturation.report().values() for v in roles.values()), \
        "a saturated tensor: the twin does not clamp"
    want = _gradients(twin, x, y)
    for i, (g, g64) in enumerate(zip(got, want)):
        lsb = 2.0 ** -model.numerics(0).policy.weight_grads.fmt.frac_bits
        tolerance = 0.05 * np.abs(g64).max() + 4 * lsb
        assert np.abs(g - g64).max() <= tolerance, f"parameter {i}: {np.abs(g - g64).max()} > {tolerance}"


def test_logits_in_their_own_format(batch):
    model = _mlp(FL12)
    model.layers[-1].policy = FL12.replace(activations=TensorPrecision("s16.10"))
    _check_against_twin(model, *batch)


def test_precision_schedule_between_steps(batch):
    model = _mlp(FL12)
    opt = SGD(model, lr=0.1)
    _gradients(model, *batch)
    opt.step()
    model.policy = FL10            # the parameters move from s16.12 to s16.10 at the next forward
    _check_against_twin(model, *batch)


def test_resume_with_a_new_format(batch, tmp_path):
    model = _mlp(FL12)
    opt = SGD(model, lr=0.1, momentum=0.9)
    _gradients(model, *batch)
    opt.step()
    shuffle = np.random.default_rng(0)
    checkpoint.save(tmp_path / "checkpoint.pkl", model, opt, shuffle, [], {})
    resumed = _mlp(FL10)
    checkpoint.load(tmp_path / "checkpoint.pkl", resumed, SGD(resumed, lr=0.1, momentum=0.9), shuffle)
    _check_against_twin(resumed, *batch)
