"""The fixed-point path against its float64 twin, with tolerances derived from the formats."""
import numpy as np
import pytest

import fxp
import fxp.random
from fxp_nn import (SGD, Accumulator, Conv2d, Linear, MaxPool2d, PrecisionPolicy, ReLU, Sequential,
                    TensorPrecision, fit, lenet, load_dataset, mlp)
from fxp_nn.numerics import Numerics
from fxp_nn.saturation import SaturationStats

FL = 12
RN = PrecisionPolicy.fixed(16, FL, "nearest_even")
SR = PrecisionPolicy.fixed(16, FL, "stochastic")
F64 = Numerics(PrecisionPolicy.float64())
EPS = 2.0 ** -FL


def _grid(shape, scale, seed):
    """Random values already on the s16.12 grid (so only the layer's own roundings differ)."""
    values = np.random.default_rng(seed).normal(0, scale, shape)
    return np.round(values / EPS) * EPS


def _twin(layer_fixed, layer_float, scale=0.3):
    for p, q in zip(layer_fixed.parameters(), layer_float.parameters()):
        q.value = p.value = _grid(p.shape, scale, 1)


def _assert_one_rounding(fixed_out, exact, policy):
    # round-to-nearest is off by at most half an LSB, stochastic rounding by less than one
    bound = EPS / 2 if policy.activations.rounding == "nearest_even" else EPS
    assert np.abs(np.asarray(fixed_out) - exact).max() <= bound


@pytest.mark.parametrize("policy", [RN, SR], ids=["RN", "SR"])
@pytest.mark.parametrize("make", [lambda: Linear(6, 5), lambda: Conv2d(2, 3, 3, stride=2, padding=1)],
                         ids=["linear", "conv"])
def test_layer_rounds_once_per_dot_product(policy, make):
    fixed_layer, float_layer = make(), make()
    _twin(fixed_layer, float_layer)
    shape = (4, 6) if isinstance(fixed_layer, Linear) else (2, 2, 5, 5)
    x = _grid(shape, 0.5, 2)
    num = Numerics(policy, rng=fxp.random.Xorshift(3))
    y = fixed_layer.forward(x, num)
    _assert_one_rounding(y, float_layer.forward(x, F64), policy)
    g = _grid(y.shape, 0.2, 4)
    dx = fixed_layer.backward(g, num)
    _assert_one_rounding(dx, float_layer.backward(g, F64), policy)
    for p, q in zip(fixed_layer.parameters(), float_layer.parameters()):
        _assert_one_rounding(p.grad, q.grad, policy)


def test_pooling_and_relu_are_exact():
    x = _grid((2, 3, 6, 6), 1.0, 5)
    num = Numerics(RN)
    for layer, twin in ((ReLU(), ReLU()), (MaxPool2d(2), MaxPool2d(2)), (MaxPool2d(3, 1), MaxPool2d(3, 1))):
        y = layer.forward(x, num)
        np.testing.assert_array_equal(np.asarray(y), twin.forward(x, F64))
        g = _grid(y.shape, 0.5, 6)
        np.testing.assert_array_equal(np.asarray(layer.backward(g, num)), twin.backward(g, F64))


def test_mlp_forward_within_propagated_bound():
    """Each layer adds at most eps/2 and multiplies the incoming error by its weights' inf-norm."""
    fixed_model, float_model = mlp([20, 30, 30, 5], policy=RN), mlp([20, 30, 30, 5], policy=PrecisionPolicy.float64())
    bound = 0.0
    for lf, lq in zip(fixed_model.layers, float_model.layers):
        if isinstance(lf, Linear):
            _twin(lf, lq, scale=0.1)
            bound = bound * np.abs(lq.weight.value).sum(axis=0).max() + EPS / 2
    x = _grid((8, 20), 0.5, 7)
    error = np.abs(np.asarray(fixed_model.forward(x)) - float_model.forward(x)).max()
    assert 0 < error <= bound


def test_sgd_update_is_rounded_once_into_the_updates_role():
    policy = RN.replace(updates=TensorPrecision(fxp.Format(24, 20), "nearest_even"))
    model = Sequential(Linear(3, 2), policy=policy)
    model.forward(_grid((4, 3), 0.5, 8))
    model.backward(_grid((4, 2), 0.1, 9))
    w = np.asarray(model.layers[0].weight.value)
    g = np.asarray(model.layers[0].weight.grad)
    SGD(model, lr=3 * 2.0**-7).step()       # exactly representable, so the product is exact
    update = np.round(3 * 2.0**-7 * g * 2**20) / 2**20
    expected = np.round((w - update) / EPS) * EPS
    np.testing.assert_array_equal(np.asarray(model.layers[0].weight.value), expected)


def test_round_to_nearest_loses_small_updates_stochastic_keeps_them():
    """Gupta et al.'s point: lr * grad below half an LSB vanishes under RN, not under SR (in mean)."""
    for policy, moves in ((PrecisionPolicy.fixed(16, 8, "nearest_even"), False),
                          (PrecisionPolicy.fixed(16, 8, "stochastic"), True)):
        model = Sequential(Linear(50, 50), policy=policy)
        model.rng = fxp.random.Xorshift(0)
        model.forward(np.full((1, 50), 0.5))
        before = np.asarray(model.layers[0].weight.value).copy()
        model.backward(np.full((1, 50), 0.25))      # grad 0.125, lr * grad = 1/8 LSB
        SGD(model, lr=2.0 ** -8).step()
        change = before - np.asarray(model.layers[0].weight.value)
        assert (np.abs(change).sum() > 0) == moves
        if moves:  # unbiased: mean change ~ lr * grad = 2**-11
            assert abs(change.mean() - 2.0 ** -11) < 4 * 2.0 ** -8 / np.sqrt(change.size)


def test_saturation_report_counts_logits_beyond_two():
    policy = PrecisionPolicy.gupta(16, 14, "nearest_even")
    model = Sequential(Linear(4, 3, bias=False), policy=policy)
    model.layers[0].weight.value = np.array([[1.5, -0.5, 0.1]] * 4)
    x = fxp.asarray([[1.0, 1.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]], policy.activations.fmt)
    model.forward(x)   # logits [3, -1, .2] and [1.5, -.5, .1]: one of six beyond [-2, 2)
    assert model.saturation.report()["0.Linear"]["activations"] == pytest.approx(1 / 6)
    assert "0.Linear" in model.saturation.table()


def test_policy_switch_and_per_layer_policy():
    model = mlp([6, 5, 3], policy=PrecisionPolicy.gupta())
    model.rng = fxp.random.Xorshift(1)
    x = _grid((4, 6), 0.5, 10)
    model.forward(x)
    assert model.layers[1].weight.value.fmt == fxp.Format(16, 14)
    model.policy = PrecisionPolicy.gupta(16, 10)
    model.layers[3].policy = PrecisionPolicy.float32()
    logits = model.forward(x)
    assert model.layers[1].weight.value.fmt == fxp.Format(16, 10)
    assert model.layers[3].weight.value.dtype == np.float32 and logits.dtype == np.float32
    model.backward(np.ones((4, 3)) / 4)
    assert model.layers[1].weight.grad.fmt == fxp.Format(16, 10)


def test_accumulator_settings_reach_the_gemm():
    narrow = RN.replace(gemm_accumulators={"forward": Accumulator(bits=20, overflow="saturate")})
    layer = Linear(64, 2, bias=False)
    layer.weight.value = np.full((64, 2), 0.9)
    x = np.full((1, 64), 0.9)
    y = layer.forward(x, Numerics(narrow))
    expected = fxp.matmul(fxp.asarray(x, RN.activations.fmt), layer.weight.value,
                          out_format=RN.activations.fmt, rounding="nearest_even", acc_bits=20)
    np.testing.assert_array_equal(y.raw, expected.raw)
    assert np.asarray(y).max() < 64 * 0.81  # the 20-bit accumulator (24 fraction bits) clamps at 2**-5


def test_fixed_training_decreases_loss_and_resumes_exactly(tmp_path):
    data = load_dataset("digits")
    data.x_train, data.y_train = data.x_train[:300], data.y_train[:300]

    def run(epochs, resume=False, run_dir=None):
        model = mlp([64, 32, 10], policy=PrecisionPolicy.gupta(), seed=0)
        model.rng = fxp.random.Xorshift(0)
        history = fit(model, SGD(model, 0.03, momentum=0.9), data, epochs, batch_size=25, seed=0,
                        run_dir=run_dir, resume=resume, progress=False)
        return model, history

    straight, history = run(3)
    assert history[-1]["loss"] < 0.7 * history[0]["loss"]
    run(2, run_dir=tmp_path)
    resumed, resumed_history = run(3, resume=True, run_dir=tmp_path)
    for p, q in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p.value.raw, q.value.raw)
    assert resumed_history[-1]["test_error"] == history[-1]["test_error"]


def test_saturated_outputs_block_outward_gradients_only():
    policy = PrecisionPolicy.gupta(16, 14, "nearest_even")
    layer = Linear(1, 4, bias=False)
    layer.weight.value = np.array([[1.5, 1.5, -1.5, 0.5]])
    num = Numerics(policy)
    layer.forward(np.full((1, 1), 1.5), num)       # outputs 2.25, 2.25, -2.25 saturate; 0.75 fits
    layer.backward(np.array([[-1.0, 1.0, -1.0, -1.0]]), num)
    # only the gradients that would push a saturated output further out are dropped
    np.testing.assert_array_equal(np.asarray(layer.weight.grad), [[0.0, 1.5, -1.5, -1.5]])
    num = Numerics(policy.replace(block_saturated_grads=False))
    layer.forward(np.full((1, 1), 1.5), num)
    layer.backward(np.array([[-1.0, 1.0, -1.0, -1.0]]), num)
    np.testing.assert_array_equal(np.asarray(layer.weight.grad), [[-1.5, 1.5, -1.5, -1.5]])


def test_lenet_fixed_point_step_tracks_float64_twin():
    """Smoke test of the whole CNN path (conv, pool, flatten, linear) in fixed point."""
    fixed_model = lenet((1, 16, 16), 4, policy=RN, seed=0)
    float_model = lenet((1, 16, 16), 4, policy=PrecisionPolicy.float64(), seed=0)
    for p, q in zip(fixed_model.parameters(), float_model.parameters()):
        p.value = q.value = _grid(p.shape, 0.1, 11)
    x = np.clip(_grid((3, 1, 16, 16), 0.5, 12), 0, 1)
    y_fixed, y_float = np.asarray(fixed_model.forward(x)), float_model.forward(x)
    assert np.abs(y_fixed - y_float).max() < 20 * EPS
    g = _grid(y_float.shape, 0.1, 13)
    fixed_model.backward(g)
    float_model.backward(g)
    # rounding may move a max-pool choice or a ReLU edge, which re-routes some gradient:
    # the convolution gradients agree in direction; the last layer's to a few LSBs
    for p, q in zip(fixed_model.parameters(), float_model.parameters()):
        assert p.grad.fmt == RN.weight_grads.fmt
        assert np.corrcoef(np.asarray(p.grad).ravel(), q.grad.ravel())[0, 1] > 0.9
    last = fixed_model.layers[-1].weight
    assert np.abs(np.asarray(last.grad) - float_model.layers[-1].weight.grad).max() < 20 * EPS


@pytest.mark.parametrize("shape", [(1, 33), (7, 33), (300, 33), (3, 33, 4, 5)])
def test_bias_gradient_sum_equals_its_gemm_definition(shape):
    """bias_grad takes fxp.sum when the accumulator is wide: same bits, counts and key as ones @ rows."""
    policy = PrecisionPolicy.gupta(16, 14).replace(weight_grads=TensorPrecision("s12.10", "stochastic"))
    raw = np.random.default_rng(len(shape) + shape[0]).integers(-2**15, 2**15, shape, dtype=np.int16)
    raw[:, 0] = 2**15 - 1                   # a channel whose sum saturates s12.10
    g = fxp.from_raw(raw, policy.errors.fmt)
    rows = g if g.ndim == 2 else g.transpose(0, 2, 3, 1).reshape(-1, shape[1])
    results = []
    for fast in (True, False):
        num = Numerics(policy, rng=fxp.random.Xorshift(9), stats=SaturationStats(), layer="L")
        ones = fxp.ones((1, rows.shape[0]), fxp.Format(2, 0))
        out = num.bias_grad(g, "weight_grads") if fast else \
            num.matmul(ones, rows, "weight_grads", "weight_grad").reshape(shape[1])
        results.append((out.fmt, out.raw.tolist(), num.stats.report(), fxp.random.draw_key(num.rng)))
    assert results[0] == results[1]
    assert results[0][2]["L"]["weight_grads"] > 0
