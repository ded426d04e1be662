"""Layers: Linear, Conv2d, MaxPool2d, ReLU, Flatten.

Each layer has ``forward(x, num)`` and ``backward(grad, num)``, where ``num``
is the :class:`~fxp_nn.numerics.Numerics` of the layer's effective policy.
Inputs are written in the ``activations`` role and incoming gradients in the
``errors`` role on entry, so consecutive layers may use different policies.
Parameters are re-written in their role at every forward pass, which is a no-op
unless the policy changed (then they are re-quantized once).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .float_conv import output_size
from .initializers import initialize
from .serialization import serializable


def _pair(value, name):
    pair = (value, value) if np.isscalar(value) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 0 for v in pair):
        raise ValueError(f"{name} must be a non-negative int or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


class Param:
    """A trainable tensor: ``value``, its gradient ``grad`` and its role (weights or biases)."""

    def __init__(self, value, role):
        self.value = value
        self.grad = None
        self.role = role

    @property
    def shape(self):
        """Shape of the tensor."""
        return self.value.shape


class ParameterList(list):
    """The parameters of a model, in order, each knowing which of the model's layers holds it.

    Returned by ``Sequential.parameters()``; an optimizer given one writes each parameter's
    update in the policy of the layer that holds it.

    Parameters
    ----------
    model : Sequential
    owned : list of (int, Param)
        Layer index and parameter, in order.
    """

    def __init__(self, model, owned):
        super().__init__(p for _, p in owned)
        self.model = model
        self.layer_indices = [i for i, _ in owned]


class Layer:
    """Base class of layers; ``policy`` (None = the model's) overrides the precision policy.

    The protocol a layer implements (see docs/nn.md, "Custom layers"): ``forward(x, num)`` and
    ``backward(grad, num, need_input_grad=True)`` doing their arithmetic through ``num`` (a
    :class:`~fxp_nn.numerics.Numerics`), ``parameters()``, ``output_shape(input_shape)``, and
    ``to_config()``/``from_config(config)`` to be saved (registered with
    :func:`fxp_nn.serializable`). The base class has no parameters, and its ``to_config`` works
    only for classes without constructor arguments.
    """

    policy = None
    training = True

    def to_config(self):
        """Constructor arguments that rebuild this layer (JSON values)."""
        if type(self).__init__ is not object.__init__:
            raise NotImplementedError(
                f"{type(self).__name__} has constructor arguments: implement to_config() (and register "
                "the class with fxp_nn.serializable) to save it")
        return {}

    @classmethod
    def from_config(cls, config):
        """The layer ``cls(**config)`` (its parameters are loaded separately)."""
        return cls(**config)

    def parameters(self):
        """Trainable :class:`Param` objects, in a fixed order."""
        return []

    def output_shape(self, input_shape):
        """Shape of one output example given one input example's shape."""
        return tuple(input_shape)

    def __repr__(self):
        return f"{type(self).__name__}()"


class _Weighted(Layer):
    """A layer with a weight tensor and an optional bias vector (one entry per output)."""

    def _setup(self, bias, init, rng):
        self.init = init
        self.weight = Param(None, "weights")
        self.bias = Param(None, "biases") if bias else None
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None):
        """Draw new initial weights and zero the bias."""
        shape, fan_in, fan_out, n_out = self._weight_layout()
        self.weight.value = initialize(self.init, shape, fan_in, fan_out, np.random.default_rng(rng))
        if self.bias is not None:
            self.bias.value = np.zeros(n_out)

    def parameters(self):
        return [self.weight] + ([self.bias] if self.bias is not None else [])

    def _write_parameters(self, num):
        for p in self.parameters():
            p.value = num.to_role(p.value, p.role)


@serializable
class Linear(_Weighted):
    """Fully connected layer ``y = x @ W + b`` with ``W`` stored as (in_features, out_features).

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True
    init : str, default "he_normal"
        Weight initializer (see :func:`fxp_nn.initializers.initialize`); biases start at zero.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights.
    """

    def __init__(self, in_features, out_features, bias=True, init="he_normal", rng=None):
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self._setup(bias, init, rng)

    def _weight_layout(self):
        return (self.in_features, self.out_features), self.in_features, self.out_features, self.out_features

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.in_features,):
            raise ValueError(f"{self!r} expects input shape ({self.in_features},), got {tuple(input_shape)}")
        return (self.out_features,)

    def forward(self, x, num):
        x = num.to_role(x, "activations")
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"{self!r} expects input of shape (batch, {self.in_features}), got {x.shape}")
        self._write_parameters(num)
        y = num.matmul(x, self.weight.value, "activations", "forward")
        if self.bias is not None:
            y = num.add(y, self.bias.value, "activations")
        self._x, self._y = x, y
        return y

    def backward(self, grad, num, need_input_grad=True):
        g = num.block_outward(num.to_role(grad, "errors"), self._y)
        self.weight.grad = num.matmul(self._x.T, g, "weight_grads", "weight_grad")
        if self.bias is not None:
            self.bias.grad = num.bias_grad(g, "weight_grads")
        return num.matmul(g, self.weight.value.T, "errors", "input_grad") if need_input_grad else None

    def to_config(self):
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None, "init": self.init}

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features}, bias={self.bias is not None})"


@serializable
class Conv2d(_Weighted):
    """2-D convolution (NCHW, cross-correlation) with weights (out, in, kh, kw).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding : int or (int, int)
    bias : bool, default True
    init : str, default "he_normal"
    rng : numpy.random.Generator or int, optional
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 init="he_normal", rng=None):
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        if min(self.kernel_size) < 1 or min(self.stride) < 1:
            raise ValueError(f"kernel_size and stride must be >= 1, got {kernel_size!r}, {stride!r}")
        self._setup(bias, init, rng)

    def _weight_layout(self):
        kh, kw = self.kernel_size
        shape = (self.out_channels, self.in_channels, kh, kw)
        return shape, self.in_channels * kh * kw, self.out_channels * kh * kw, self.out_channels

    def output_shape(self, input_shape):
        c, h, w = input_shape
        if c != self.in_channels:
            raise ValueError(f"{self!r} expects {self.in_channels} input channels, got {c}")
        oh, ow = (output_size(s, k, st, p) for s, k, st, p in
                  zip((h, w), self.kernel_size, self.stride, self.padding))
        if oh < 1 or ow < 1:
            raise ValueError(f"{self!r}: input {h}x{w} is smaller than the kernel")
        return (self.out_channels, oh, ow)

    def forward(self, x, num):
        x = num.to_role(x, "activations")
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r} expects input (batch, {self.in_channels}, H, W), got {x.shape}")
        self._write_parameters(num)
        y = num.conv2d(x, self.weight.value, self.stride, self.padding, "activations")
        if self.bias is not None:
            y = num.add(y, self.bias.value.reshape(1, self.out_channels, 1, 1), "activations")
        self._x, self._y = x, y
        return y

    def backward(self, grad, num, need_input_grad=True):
        g = num.block_outward(num.to_role(grad, "errors"), self._y)
        w = self.weight.value
        self.weight.grad = num.conv2d_weight_grad(self._x, g, w.shape, self.stride, self.padding, "weight_grads")
        if self.bias is not None:
            self.bias.grad = num.bias_grad(g, "weight_grads")
        if not need_input_grad:
            return None
        return num.conv2d_input_grad(g, w, self._x.shape, self.stride, self.padding, "errors")

    def to_config(self):
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding,
                "bias": self.bias is not None, "init": self.init}

    def __repr__(self):
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding})")


@serializable
class MaxPool2d(Layer):
    """Max pooling over ``kernel_size`` windows (stride defaults to the kernel size), no padding.

    Works on the stored values (raw integers in fixed point), so it never rounds.
    """

    def __init__(self, kernel_size, stride=None):
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride if stride is not None else kernel_size, "stride")
        if min(self.kernel_size) < 1 or min(self.stride) < 1:
            raise ValueError(f"kernel_size and stride must be >= 1, got {kernel_size!r}, {stride!r}")

    def output_shape(self, input_shape):
        c, h, w = input_shape
        oh, ow = (output_size(s, k, st, 0) for s, k, st in zip((h, w), self.kernel_size, self.stride))
        if oh < 1 or ow < 1:
            raise ValueError(f"{self!r}: input {h}x{w} is smaller than the pooling window")
        return (c, oh, ow)

    def forward(self, x, num):
        x = num.to_role(x, "activations")
        v = num.values(x)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        win = sliding_window_view(v, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
        win = win.reshape(win.shape[:4] + (kh * kw,))
        self._argmax = win.argmax(axis=-1)
        self._in_shape = v.shape
        out = np.take_along_axis(win, self._argmax[..., None], axis=-1)[..., 0]
        return num.like(x, np.ascontiguousarray(out))

    def backward(self, grad, num, need_input_grad=True):
        g = num.to_role(grad, "errors")
        gv = num.values(g)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        n, c, oh, ow = gv.shape
        i, j = np.divmod(self._argmax, kw)
        rows = np.arange(oh)[:, None] * sh + i
        cols = np.arange(ow)[None, :] * sw + j
        if sh >= kh and sw >= kw:  # windows do not overlap: each position gets at most one gradient
            dx = np.zeros(self._in_shape, dtype=gv.dtype)
            nn, cc = np.ogrid[:n, :c]
            dx[nn[..., None, None], cc[..., None, None], rows, cols] = gv
            return num.like(g, dx)
        # overlapping windows: a position may collect several gradients, so sum exactly
        # in float64 and write the sums back in the errors role (saturating if needed)
        dx = np.zeros(self._in_shape)
        nn, cc = np.ogrid[:n, :c]
        np.add.at(dx, (nn[..., None, None], cc[..., None, None], rows, cols), num.to_float(g))
        return num.to_role(dx, "errors")

    def to_config(self):
        return {"kernel_size": self.kernel_size, "stride": self.stride}

    def __repr__(self):
        return f"MaxPool2d(kernel_size={self.kernel_size}, stride={self.stride})"


@serializable
class ReLU(Layer):
    """``max(x, 0)``, applied to the stored values (exact in fixed point)."""

    def energy_gemms(self, input_shape, batch_size):
        """No multiply-accumulates (the energy model's custom-layer protocol)."""
        return []

    def forward(self, x, num):
        x = num.to_role(x, "activations")
        v = num.values(x)
        self._mask = v > 0
        return num.like(x, v * self._mask)

    def backward(self, grad, num, need_input_grad=True):
        g = num.to_role(grad, "errors")
        return num.like(g, num.values(g) * self._mask)


@serializable
class Flatten(Layer):
    """Reshape (N, C, H, W) to (N, C*H*W)."""

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, num):
        self._in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad, num, need_input_grad=True):
        return grad.reshape(self._in_shape)
