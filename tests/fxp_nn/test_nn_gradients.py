"""Every layer's backward pass against central differences, under the float64 policy."""
import numpy as np
import pytest

from fxp_nn import Conv2d, Flatten, Linear, MaxPool2d, PrecisionPolicy, ReLU, Sequential, SoftmaxCrossEntropy
from fxp_nn.numerics import Numerics

F64 = PrecisionPolicy.float64()


def _numerical_grad(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def _check_layer(layer, x, seed=0):
    num = Numerics(F64)
    probe = np.random.default_rng(seed).normal(size=layer.forward(x, num).shape)

    def objective():
        return float((layer.forward(x, num) * probe).sum())

    layer.forward(x, num)
    dx = layer.backward(probe, num)
    np.testing.assert_allclose(dx, _numerical_grad(objective, x), rtol=1e-6, atol=1e-8)
    for p in layer.parameters():
        layer.forward(x, num)
        layer.backward(probe, num)
        analytic = p.grad
        np.testing.assert_allclose(analytic, _numerical_grad(objective, p.value), rtol=1e-6, atol=1e-8)


def test_linear():
    _check_layer(Linear(5, 3, rng=1), np.random.default_rng(2).normal(size=(4, 5)))


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((1, 2), (2, 0))])
def test_conv2d(stride, padding):
    layer = Conv2d(2, 3, (3, 2), stride=stride, padding=padding, rng=3)
    _check_layer(layer, np.random.default_rng(4).normal(size=(2, 2, 6, 5)))


@pytest.mark.parametrize("kernel,stride", [(2, None), (3, 2), (2, 3)])
def test_maxpool(kernel, stride):
    # distinct values keep the max away from ties, where the gradient is not defined
    x = np.random.default_rng(5).permutation(2 * 3 * 7 * 7).reshape(2, 3, 7, 7) / 10.0
    _check_layer(MaxPool2d(kernel, stride), x)


def test_relu_and_flatten():
    x = np.random.default_rng(6).normal(size=(3, 2, 4, 4))
    x[np.abs(x) < 1e-3] = 0.5
    _check_layer(ReLU(), x)
    _check_layer(Flatten(), x)


def test_whole_model_with_loss():
    model = Sequential(Conv2d(1, 2, 3, padding=1, rng=0), ReLU(), MaxPool2d(2), Flatten(),
                       Linear(2 * 3 * 3, 4, rng=1), policy=F64)
    x = np.random.default_rng(7).normal(size=(3, 1, 6, 6))
    labels = np.array([0, 3, 1])
    loss_fn = SoftmaxCrossEntropy()
    loss_fn.forward(model.forward(x), labels)
    model.backward(loss_fn.backward())
    for p in model.parameters():
        numerical = _numerical_grad(lambda: loss_fn.forward(model.forward(x), labels), p.value)
        np.testing.assert_allclose(p.grad, numerical, rtol=1e-5, atol=1e-8)


def test_softmax_cross_entropy_gradient():
    logits = np.random.default_rng(8).normal(size=(4, 5))
    labels = np.array([4, 0, 2, 2])
    loss_fn = SoftmaxCrossEntropy()
    loss_fn.forward(logits, labels)
    analytic = loss_fn.backward()
    np.testing.assert_allclose(analytic, _numerical_grad(lambda: loss_fn.forward(logits, labels), logits),
                               rtol=1e-6, atol=1e-9)


def test_output_shapes_match_forward():
    model = Sequential(Conv2d(3, 4, 5, stride=2, padding=2), ReLU(), MaxPool2d(2), Flatten(), Linear(64, 7))
    out = model.forward(np.zeros((2, 3, 16, 16)))
    assert out.shape[1:] == model.output_shape((3, 16, 16)) == (7,)
