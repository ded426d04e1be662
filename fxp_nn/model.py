"""Sequential model and the two reference architectures (MLP and LeNet-style CNN)."""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from .layers import Conv2d, Flatten, Layer, Linear, MaxPool2d, ParameterList, ReLU
from .numerics import Numerics
from .policy import PrecisionPolicy
from .saturation import SaturationStats
from .schedules import active_policies
from .serialization import generator_from_state, generator_state, serializable


@serializable
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
    training : bool
        True in training mode (the default), False after :meth:`eval`; layers whose behaviour
        differs between the two (e.g. dropout) read their own ``training`` attribute.
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
        self.training = True

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

    # --- modes and inference ----------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode on the model and every layer; returns self."""
        self.training = bool(mode)
        for layer in self.layers:
            layer.training = self.training
        return self

    def eval(self):
        """Evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def predict(self, x, batch_size=1000):
        """Class labels (argmax of the logits) for inputs ``x``, in evaluation mode, saturation not recorded.

        The model's mode and saturation recording are restored afterwards.
        """
        if len(x) == 0:
            raise ValueError("predict needs at least one example, got an empty array")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        with self.inference():
            return np.concatenate([np.asarray(self.forward(x[i:i + batch_size]), dtype=np.float64).argmax(axis=1)
                                   for i in range(0, len(x), batch_size)])

    @contextmanager
    def inference(self):
        """Context manager: evaluation mode without saturation counting, both restored on exit."""
        saved = self.training, self.saturation_enabled
        self.eval()
        self.saturation_enabled = False
        try:
            yield self
        finally:
            self.train(saved[0])
            self.saturation_enabled = saved[1]

    # --- state --------------------------------------------------------------------------------
    def named_parameters(self):
        """``[(name, Param)]`` with names like ``"1.Linear.weight"`` (layer name and attribute)."""
        out = []
        for i, layer in enumerate(self.layers):
            attrs = {id(v): k for k, v in vars(layer).items()}
            for j, p in enumerate(layer.parameters()):
                out.append((f"{self.layer_name(i)}.{attrs.get(id(p), j)}", p))
        return out

    def state_dict(self):
        """Everything a trained model is, besides its architecture.

        Returns
        -------
        dict
            ``parameters``: ``{name: value}`` (numpy arrays or :class:`fxp.FxpArray`, which
            carry their format; not copied); ``policy``: the model's policy;
            ``layer_policies``: ``{layer name: policy or None}``; ``rng``: the state of the
            stochastic-rounding generator (None when ``model.rng`` is None).
        """
        return {
            "parameters": {name: p.value for name, p in self.named_parameters()},
            "policy": self.policy,
            "layer_policies": {self.layer_name(i): layer.policy for i, layer in enumerate(self.layers)},
            "rng": generator_state(self.rng),
        }

    def load_state_dict(self, state):
        """Restore :meth:`state_dict`'s parameters, policies and generator state.

        Raises
        ------
        KeyError
            ``state`` lacks an entry, or its parameter or layer names differ from the model's.
        ValueError
            A parameter's shape differs from the model's.
        """
        for key in ("parameters", "policy", "layer_policies", "rng"):
            if key not in state:
                raise KeyError(f"state dict has no {key!r} entry")
        params = dict(self.named_parameters())
        _same_names("parameter", params, state["parameters"])
        names = [self.layer_name(i) for i in range(len(self.layers))]
        _same_names("layer", dict.fromkeys(names), state["layer_policies"])
        for name, value in state["parameters"].items():
            if tuple(value.shape) != tuple(params[name].shape):
                raise ValueError(f"parameter {name}: shape {tuple(value.shape)} in the state dict, "
                                 f"{tuple(params[name].shape)} in the model")
        for name, value in state["parameters"].items():
            params[name].value = value
        self.policy = state["policy"]
        for name, layer in zip(names, self.layers):
            layer.policy = state["layer_policies"][name]
        self.rng = generator_from_state(state["rng"])

    def to_config(self):
        """The architecture: the layers (their own configs); parameters and policies are state."""
        return {"layers": self.layers}

    @classmethod
    def from_config(cls, config):
        """A model with the layers of :meth:`to_config` (freshly initialised parameters)."""
        return cls(*config["layers"])

    def policy_summary(self):
        """One line naming the policies in use: the model's, then each layer override (``"2.Linear: ..."``)."""
        return describe_policies(active_policies(self))

    def __repr__(self):
        lines = []
        for i, layer in enumerate(self.layers):
            own = f"  policy: {layer.policy}" if layer.policy is not None else ""
            lines.append(f"\n  ({i}) {layer!r}{own}")
        others = " (layers without their own)" if any(layer.policy is not None for layer in self.layers) else ""
        return f"Sequential({''.join(lines)}\n)  policy: {self.policy}{others}"


def describe_policies(policies):
    """One line for ``{"model": name, "<layer>": name, ...}`` (:func:`~fxp_nn.schedules.active_policies`)."""
    own = [f"{layer}: {name}" for layer, name in policies.items() if layer != "model"]
    return "; ".join([policies["model"], *own])


def _same_names(what, expected, given):
    missing, unexpected = sorted(set(expected) - set(given)), sorted(set(given) - set(expected))
    if missing or unexpected:
        raise KeyError(f"{what} names differ: missing {missing}, unexpected {unexpected}")


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
