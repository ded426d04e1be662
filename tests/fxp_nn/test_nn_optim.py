"""Optimizers against plain numpy references of PyTorch's documented update rules, and their state roles."""
import doctest

import numpy as np
import pytest

import fxp
import fxp.random
from fxp_nn import SGD, Adam, AdamW, OptimizerPrecision, PrecisionPolicy, TensorPrecision, mlp, optim

F64 = PrecisionPolicy.float64()


def test_doctests():
    assert doctest.testmod(optim).failed == 0


def _grads(model, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 0.1, p.shape) for p in model.parameters()]


def _run(model, optimizer, steps=4):
    """Step ``optimizer`` with seeded gradients; returns the gradients used."""
    used = []
    for s in range(steps):
        grads = _grads(model, s)
        for p, g in zip(model.parameters(), grads):
            p.grad = g
        optimizer.step()
        used.append(grads)
    return used


def _torch_sgd(w, grads, lr, momentum, weight_decay, nesterov):
    """torch.optim.SGD's documented rule (dampening 0)."""
    w, buf = w.copy(), None
    for g in grads:
        g = g + weight_decay * w
        if momentum:
            buf = g if buf is None else momentum * buf + g
            g = g + momentum * buf if nesterov else buf
        w = w - lr * g
    return w


def _torch_adam(w, grads, lr, betas, eps, weight_decay, decoupled):
    """torch.optim.Adam / AdamW's documented rule (amsgrad off)."""
    w, m, v = w.copy(), np.zeros_like(w), np.zeros_like(w)
    b1, b2 = betas
    for t, g in enumerate(grads, start=1):
        if decoupled:
            w = w * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return w


@pytest.mark.parametrize("momentum,weight_decay,nesterov", [
    (0.0, 0.0, False), (0.9, 0.0, False), (0.0, 1e-2, False), (0.9, 1e-2, False), (0.8, 1e-3, True)])
def test_sgd_matches_torch_rule_in_float64(momentum, weight_decay, nesterov):
    model = mlp([5, 4, 3], policy=F64, seed=1)
    start = [p.value.copy() for p in model.parameters()]
    used = _run(model, SGD(model.parameters(), 0.1, momentum, weight_decay, nesterov))
    for k, p in enumerate(model.parameters()):
        expected = _torch_sgd(start[k], [g[k] for g in used], 0.1, momentum, weight_decay, nesterov)
        np.testing.assert_allclose(p.value, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("cls,weight_decay", [(Adam, 0.0), (Adam, 1e-2), (AdamW, 1e-2)])
def test_adam_matches_torch_rule_in_float64(cls, weight_decay):
    model = mlp([5, 4, 3], policy=F64, seed=2)
    start = [p.value.copy() for p in model.parameters()]
    used = _run(model, cls(model.parameters(), 0.01, (0.8, 0.99), 1e-8, weight_decay))
    for k, p in enumerate(model.parameters()):
        expected = _torch_adam(start[k], [g[k] for g in used], 0.01, (0.8, 0.99), 1e-8, weight_decay,
                               cls is AdamW)
        np.testing.assert_allclose(p.value, expected, rtol=1e-12, atol=1e-15)


def _round(x, fmt):
    """Round half to even into ``fmt`` and saturate: the reference of a nearest_even write."""
    raw = np.clip(np.round(x * 2.0 ** fmt.frac_bits), fmt.min_raw, fmt.max_raw)
    return raw / 2.0 ** fmt.frac_bits


def test_sgd_velocity_role_in_fixed_point_matches_reference():
    policy = PrecisionPolicy.gupta(16, 12, "nearest_even")
    vel = TensorPrecision("s24.20", "nearest_even")
    model = mlp([5, 4, 3], policy=policy, seed=3)
    model.rng = fxp.random.Xorshift(0)
    for layer in model.layers:
        for p in layer.parameters():
            p.value = fxp.asarray(p.value, policy.weights.fmt, rounding="nearest_even")
    start = [np.asarray(p.value, dtype=np.float64) for p in model.parameters()]
    opt = SGD(model.parameters(), 0.05, momentum=0.9, precision=OptimizerPrecision(velocity=vel))
    grads = [[_round(g, policy.weight_grads.fmt) for g in _grads(model, s)] for s in range(3)]
    w, u = [s.copy() for s in start], [None] * len(start)
    for step_grads in grads:
        for k, (p, g) in enumerate(zip(model.parameters(), step_grads)):
            p.grad = fxp.asarray(g, policy.weight_grads.fmt, rounding="nearest_even")
            raw = 0.05 * g if u[k] is None else 0.05 * g + 0.9 * u[k]
            u[k] = _round(raw, vel.fmt)
            w[k] = _round(w[k] - _round(u[k], policy.updates.fmt), policy.weights.fmt)
        opt.step()
    for k, p in enumerate(model.parameters()):
        assert opt.velocity[k].fmt == vel.fmt
        np.testing.assert_array_equal(np.asarray(opt.velocity[k], dtype=np.float64), u[k])
        np.testing.assert_array_equal(np.asarray(p.value, dtype=np.float64), w[k])
    assert "velocity" in model.saturation.report()["1.Linear"]


def test_adam_moment_roles_in_fixed_point_match_reference():
    policy = PrecisionPolicy.gupta(16, 12, "nearest_even")
    m_spec, v_spec = TensorPrecision("s16.14", "nearest_even"), TensorPrecision("u16.16", "nearest_even")
    model = mlp([4, 3], policy=policy, seed=4)
    lin = model.layers[1]
    lin.weight.value = fxp.asarray(lin.weight.value, policy.weights.fmt, rounding="nearest_even")
    lin.bias.value = fxp.asarray(lin.bias.value, policy.biases.fmt)
    w, m, v = np.asarray(lin.weight.value, dtype=np.float64), 0.0, 0.0
    opt = Adam(model, 0.01, precision=OptimizerPrecision(exp_avg=m_spec, exp_avg_sq=v_spec))
    for t in range(1, 4):
        g = _round(np.random.default_rng(t).normal(0, 0.1, w.shape), policy.weight_grads.fmt)
        lin.weight.grad = fxp.asarray(g, policy.weight_grads.fmt)
        opt.step()
        m = _round(0.9 * m + (1 - 0.9) * g, m_spec.fmt)
        v = _round(0.999 * v + (1 - 0.999) * (g * g), v_spec.fmt)
        u = _round(0.01 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8), policy.updates.fmt)
        w = _round(w - u, policy.weights.fmt)
    assert opt.state["exp_avg"][0].fmt == m_spec.fmt and opt.state["exp_avg_sq"][0].fmt == v_spec.fmt
    np.testing.assert_array_equal(np.asarray(opt.state["exp_avg_sq"][0], dtype=np.float64), v)
    np.testing.assert_array_equal(np.asarray(lin.weight.value, dtype=np.float64), w)


def test_float_state_baseline_under_a_fixed_point_model():
    model = mlp([5, 4, 3], policy=PrecisionPolicy.gupta(16, 12), seed=5)
    model.rng = fxp.random.Xorshift(1)
    opt = AdamW(model.parameters(), 0.01, precision=OptimizerPrecision.floating())
    model.forward(np.ones((2, 5)))          # writes the parameters in their fixed-point roles
    _run(model, opt, 2)
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float64 for v in opt.state["exp_avg"].values())
    assert all(isinstance(p.value, fxp.FxpArray) for p in model.parameters())


def test_model_and_its_parameters_give_identical_steps():
    def run(arg):
        model = mlp([6, 5, 3], policy=PrecisionPolicy.gupta(16, 10), seed=6)
        model.rng = fxp.random.Xorshift(2)
        model.forward(np.ones((2, 6)))
        opt = SGD(model if arg == "model" else model.parameters(), 0.1, momentum=0.5, weight_decay=1e-3)
        _run(model, opt, 3)
        return [np.asarray(p.value.raw) for p in model.parameters()], model.rng.state

    (a, ka), (b, kb) = run("model"), run("parameters")
    assert ka == kb and all(np.array_equal(x, y) for x, y in zip(a, b))


def test_state_dict_round_trip_continues_identically():
    def fresh():
        model = mlp([5, 4, 3], policy=F64, seed=7)
        return model, Adam(model.parameters(), 0.01)

    model, opt = fresh()
    _run(model, opt, 2)
    model2, opt2 = fresh()
    for p, q in zip(model.parameters(), model2.parameters()):
        q.value = p.value.copy()
    opt2.load_state_dict(opt.state_dict())
    assert opt2.step_count == 2
    _run(model, opt, 1)
    _run(model2, opt2, 1)
    for p, q in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(p.value, q.value)


def test_plain_list_of_float_parameters():
    model = mlp([3, 2], policy=F64)
    params = list(model.parameters())
    before = params[0].value.copy()
    params[0].grad = np.ones_like(before)
    SGD(params, 0.5).step()
    np.testing.assert_array_equal(params[0].value, before - 0.5)


@pytest.mark.parametrize("make,match", [
    (lambda m: SGD(m, 0), "lr must be a number in"),
    (lambda m: SGD(m, 0.1, momentum=1.0), "momentum must be a number in"),
    (lambda m: SGD(m, 0.1, nesterov=True), "nesterov needs a momentum"),
    (lambda m: SGD(m, 0.1, weight_decay=-1), "weight_decay must be"),
    (lambda m: Adam(m, betas=(0.9,)), "betas must be a pair"),
    (lambda m: Adam(m, betas=(0.9, 1.0)), "each beta must be"),
    (lambda m: Adam(m, eps=0), "eps must be"),
    (lambda m: SGD([1, 2], 0.1), "optimizers take Param objects"),
    (lambda m: SGD(m, 0.1, precision="s16.8"), "precision must be an OptimizerPrecision"),
    (lambda m: OptimizerPrecision(velocity="s16.8"), "must be a TensorPrecision"),
])
def test_bad_arguments_are_refused(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make(mlp([3, 2], policy=F64))


def test_fixed_point_parameters_without_their_model_are_refused():
    model = mlp([3, 2], policy=PrecisionPolicy.gupta())
    model.forward(np.ones((1, 3)))
    with pytest.raises(TypeError, match="needs its layer's policy"):
        SGD(list(model.parameters()), 0.1)
