"""Sequential model and the two reference architectures (MLP and LeNet-style CNN)."""
from __future__ import annotations

import numpy as np

from .layers import Conv2d, Flatten, Layer, Linear, MaxPool2d, ParameterList, ReLU
from .numerics import Numerics
from .policy import PrecisionPolicy
from .saturation import SaturationStats


class Sequential:
    """Layers applied in order, with one precision policy (per-layer overrides allowed).

    Parameters
    ----------
    *layers : Layer
    policy : PrecisionPolicy, default float32
        The model's policy; ``layer.policy`` (when not None) overrides it for
        that layer. Both may be changed at any time, e.g. between epochs; the
        parameters are re-quantized at the next forward pass.

    Attributes
    ----------
    layers : list of Layer
    rng : fxp.random.Xoroshiro128Plus or None
        Generator for stochastic rounding (None uses fxp's global one).
    saturation : SaturationStats
        Saturation counts since the last ``saturation.reset()``.
    saturation_enabled : bool
        Whether fixed-point operations are counted (counting costs a little time).
    n_threads : int or None
        Threads for the fixed-point GEMMs.
    """

    def __init__(self, *layers, policy=None):
        for layer in layers:
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential takes layers, got {layer!r}")
        self.layers = list(layers)
        self.policy = policy if policy is not None else PrecisionPolicy.float32()
        self.rng = None
        self.saturation = SaturationStats()
        self.saturation_enabled = True
        self.n_threads = None

    def layer_name(self, index):
        """Name of layer ``index`` in reports, e.g. ``"0.Linear"``."""
        return f"{index}.{type(self.layers[index]).__name__}"

    def numerics(self, index):
        """The :class:`Numerics` of layer ``index`` under its effective policy."""
        layer = self.layers[index]
        policy = layer.policy if layer.policy is not None else self.policy
        stats = self.saturation if self.saturation_enabled else None
        return Numerics(policy, self.rng, stats, self.layer_name(index), self.n_threads)

    def parameters(self):
        """All trainable parameters, layer by layer (a :class:`~fxp_nn.layers.ParameterList`)."""
        return ParameterList(self, [(i, p) for i, layer in enumerate(self.layers) for p in layer.parameters()])

    def reset_parameters(self, seed):
        """Re-draw every layer's initial parameters from one seed."""
        rng = np.random.default_rng(seed)
        for layer in self.layers:
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters(rng)

    def forward(self, x):
        """Logits for a batch ``x`` (floats or an FxpArray), in the last layer's activations role."""
        for i, layer in enumerate(self.layers):
            x = layer.forward(x, self.numerics(i))
        return x

    __call__ = forward

    def backward(self, grad):
        """Back-propagate d(loss)/d(logits), filling every parameter's ``grad``.

        Stops at the first layer with parameters: the input gradient of that layer is not
        computed (nothing before it learns), but its rounding key is still drawn so that the
        stochastic-rounding stream is the same as when it was computed.
        """
        first = next((i for i, layer in enumerate(self.layers) if layer.parameters()), len(self.layers))
        for i in range(len(self.layers) - 1, first - 1, -1):
            grad = self.layers[i].backward(grad, self.numerics(i), need_input_grad=i > first)
        if 0 < first < len(self.layers):
            self.numerics(first).skip_write("errors")

    def output_shape(self, input_shape):
        """Shape of one output example given one input example's shape."""
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    def __repr__(self):
        body = "".join(f"\n  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({body}\n)  policy: {self.policy}"


def mlp(sizes, policy=None, seed=0):
    """MLP with ReLU between Linear layers, e.g. ``mlp([784, 1000, 1000, 10])``; input (N, C, H, W) or (N, F)."""
    if len(sizes) < 2:
        raise ValueError(f"an MLP needs at least input and output sizes, got {sizes!r}")
    rng = np.random.default_rng(seed)
    layers = [Flatten()]
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, rng=rng))
        if i < len(sizes) - 2:
            layers.append(ReLU())
    return Sequential(*layers, policy=policy)


def lenet(input_shape=(1, 28, 28), n_classes=10, policy=None, seed=0):
    """Gupta et al.'s LeNet-style CNN: conv 5x5x8, pool, conv 5x5x16, pool, fc 128, fc n_classes."""
    rng = np.random.default_rng(seed)
    c = input_shape[0]
    layers = [Conv2d(c, 8, 5, rng=rng), ReLU(), MaxPool2d(2),
              Conv2d(8, 16, 5, rng=rng), ReLU(), MaxPool2d(2), Flatten()]
    flat = Sequential(*layers).output_shape(input_shape)[0]
    layers += [Linear(flat, 128, rng=rng), ReLU(), Linear(128, n_classes, rng=rng)]
    return Sequential(*layers, policy=policy)
