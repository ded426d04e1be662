"""Workloads: GEMMs (convolutions lowered by im2col), built from an fxp_nn model or given directly,
for inference or for a full training step (forward, input-gradient, weight-gradient GEMMs and the
weight update)."""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..float_conv import output_size
from ..layers import _pair
from .precision import as_precision

PHASES = ("forward", "input_grad", "weight_grad", "update")


@dataclass(frozen=True)
class Conv:
    """Convolution geometry (one image): input H x W x C, R x S kernel, N filters, stride, padding.
    Kept with the GEMM so the workload can be exported as a SCALE-Sim conv topology."""

    h: int
    w: int
    c: int
    r: int
    s: int
    n: int
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)

    @property
    def out_hw(self) -> tuple[int, int]:
        """Output height and width: floor((H + 2P - R) / S) + 1."""
        (sh, sw), (ph, pw) = self.stride, self.padding
        return (output_size(self.h, self.r, sh, ph), output_size(self.w, self.s, sw, pw))


@dataclass(frozen=True)
class Gemm:
    """C (M x N) = A (M x K) @ B (K x N). A streams through the array as the "ifmap", B is the
    "filter" operand, C the "ofmap". ``fmt`` (a GemmFormat) overrides the precision's formats;
    ``precision`` (a Precision: the layer's own policy) overrides the estimate's precision."""

    name: str
    m: int
    n: int
    k: int
    layer: str = ""
    phase: str = "forward"
    fmt: object = None
    conv: Conv | None = None
    precision: object = None

    def __post_init__(self):
        for dim in ("m", "n", "k"):
            v = getattr(self, dim)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"GEMM {self.name!r}: {dim.upper()} must be a positive integer, "
                                 f"got {v!r}")
        if self.phase not in PHASES[:3]:
            raise ValueError(f"GEMM {self.name!r}: unknown phase {self.phase!r}")
        if not self.layer:
            object.__setattr__(self, "layer", self.name)

    @property
    def macs(self) -> int:
        """Multiply-accumulates: M·N·K."""
        return self.m * self.n * self.k


@dataclass(frozen=True)
class Update:
    """SGD weight update of ``params`` parameters: w <- w - lr * g (read w, read g, write w);
    ``precision`` (the layer's own) overrides the estimate's."""

    layer: str
    params: int
    phase: str = "update"
    precision: object = None

    @property
    def name(self) -> str:
        """Record name, "<layer>/update"."""
        return f"{self.layer}/update"


def conv_gemm(name: str, conv: Conv, batch: int = 1, layer: str | None = None) -> Gemm:
    """Forward GEMM of a convolution by im2col: M = batch·E·F, N = filters, K = R·S·C."""
    e, f = conv.out_hw
    if e < 1 or f < 1:
        raise ValueError(f"layer {name!r}: kernel {conv.r}x{conv.s} larger than padded input "
                         f"{conv.h}x{conv.w}")
    return Gemm(name, batch * e * f, conv.n, conv.r * conv.s * conv.c, layer or name, "forward",
                conv=conv)


def training_step(forward: Sequence[Gemm], params: Mapping[str, int] | None = None,
                  skip_first_input_grad: bool = True) -> list[Gemm | Update]:
    """Expand forward GEMMs into a training step.

    For each forward GEMM C = A @ B (M, N, K): input gradient dA = dC @ B^T (M, K, N) (skipped
    for the first layer, whose input needs no gradient), weight gradient dB = A^T @ dC (K, N, M),
    then one ``Update`` per layer with ``params[layer]`` parameters (default K·N).
    For a convolution the input gradient is the im2col-space GEMM dcol = dY @ W^T (same MACs
    as the forward pass, any stride); the col2im summation that follows is not costed.
    """
    for g in forward:
        if g.phase != "forward":
            raise ValueError(f"training_step expects forward GEMMs, got {g.name!r} ({g.phase})")
    work: list[Gemm | Update]
    work, updated = list(forward), set()
    for i, g in enumerate(reversed(forward)):
        base, prec = g.layer, g.precision
        if not (skip_first_input_grad and i == len(forward) - 1):
            work.append(Gemm(f"{g.name}/input_grad", g.m, g.k, g.n, base, "input_grad", precision=prec))
        work.append(Gemm(f"{g.name}/weight_grad", g.k, g.n, g.m, base, "weight_grad", precision=prec))
        n_params = (params or {}).get(base, g.k * g.n)
        if n_params and base not in updated:      # one update per layer, none for a layer without parameters
            updated.add(base)
            work.append(Update(base, n_params, precision=prec))
    return work


def complete_training_step(items):
    """A training step read back from an exported topology: its items, with an ``Update`` after each
    layer's weight-gradient GEMM when the layer has none (K·N parameters, as :func:`training_step`
    assumes)."""
    updated = {u.layer for u in items if isinstance(u, Update)}
    work = []
    for g in items:
        work.append(g)
        if isinstance(g, Gemm) and g.phase == "weight_grad" and g.layer not in updated:
            work.append(Update(g.layer, g.m * g.n, precision=g.precision))
    return work


def _kind(layer):
    if hasattr(layer, "in_features") and hasattr(layer, "out_features"):
        return "linear"
    if hasattr(layer, "in_channels") and hasattr(layer, "out_channels"):
        return "conv"
    if callable(getattr(layer, "energy_gemms", None)):
        return "custom"
    name = type(layer).__name__
    if "Pool" in name:
        return "pool"
    if name == "Flatten":
        return "flatten"
    return None


def _custom_gemms(layer, name, shape, batch_size):
    """Forward GEMMs a layer declares with ``energy_gemms(input_shape, batch_size)``, named after it."""
    gemms = list(layer.energy_gemms(shape, batch_size))
    for g in gemms:
        if not isinstance(g, Gemm) or g.phase != "forward":
            raise TypeError(f"layer {name}: energy_gemms must return forward Gemm objects, got {g!r}")
    if len(gemms) == 1:
        return [Gemm(name, gemms[0].m, gemms[0].n, gemms[0].k, name, conv=gemms[0].conv)]
    return [Gemm(f"{name}/{g.name}", g.m, g.n, g.k, name, conv=g.conv) for g in gemms]


def _param_count(layer):
    return sum(math.prod(p.shape) for p in layer.parameters()) if hasattr(layer, "parameters") else 0


def model_gemms(model: Any, input_shape: tuple[int, ...],
                batch_size: int = 1) -> tuple[list[Gemm], dict[str, int]]:
    """Forward GEMMs of an fxp_nn model (duck-typed on the public layer attributes).

    Parameters
    ----------
    model : object with ``.layers`` (e.g. ``fxp_nn.Sequential``) or a list of layers
    input_shape : tuple
        One sample's shape: ``(features,)`` or ``(C, H, W)``.
    batch_size : int

    Returns
    -------
    (list of Gemm, dict layer name -> parameter count)
    """
    layers = getattr(model, "layers", model)
    try:
        layers = list(layers)
    except TypeError:
        raise TypeError(f"a model must have .layers or be a list of layers, got "
                        f"{type(model).__name__}") from None
    if input_shape is None:
        raise ValueError("estimating a model needs input_shape, e.g. (784,) or (1, 28, 28)")
    shape = tuple(int(d) for d in input_shape)
    if not shape or any(d < 1 for d in shape):
        raise ValueError(f"input_shape must be positive dimensions, got {input_shape!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    gemms, params = [], {}
    for i, layer in enumerate(layers):
        kind = _kind(layer)
        name = f"{i}.{type(layer).__name__}"
        has_bias = getattr(layer, "bias", None) is not None
        first = len(gemms)
        if kind is None:
            raise TypeError(
                f"layer {name}: the energy model cannot cost a {type(layer).__name__}; give the class an "
                "energy_gemms(input_shape, batch_size) method returning its forward GEMMs "
                "(fxp_nn.energy.Gemm objects; [] if it does no multiply-accumulates)")
        if kind == "custom":
            gemms += _custom_gemms(layer, name, shape, batch_size)
            if len(gemms) > first:
                params[name] = _param_count(layer)
            shape = tuple(layer.output_shape(shape))
        elif kind == "linear":
            fin, fout = int(layer.in_features), int(layer.out_features)
            if math.prod(shape) != fin:
                raise ValueError(f"layer {name} expects {fin} input features, gets shape {shape}")
            gemms.append(Gemm(name, batch_size, fout, fin, name))
            params[name] = fin * fout + (fout if has_bias else 0)
            shape = (fout,)
        elif kind == "conv":
            if len(shape) != 3:
                raise ValueError(f"layer {name} needs a (C, H, W) input, gets shape {shape}")
            c, h, w = shape
            if c != int(layer.in_channels):
                raise ValueError(f"layer {name} expects {layer.in_channels} channels, gets {c}")
            r, s = _pair(layer.kernel_size, "kernel_size")
            conv = Conv(h, w, c, r, s, int(layer.out_channels),
                        _pair(getattr(layer, "stride", 1), "stride"),
                        _pair(getattr(layer, "padding", 0), "padding"))
            gemms.append(conv_gemm(name, conv, batch_size))
            params[name] = r * s * c * conv.n + (conv.n if has_bias else 0)
            shape = (conv.n, *conv.out_hw)
        elif kind == "pool":
            if len(shape) != 3:
                raise ValueError(f"layer {name} needs a (C, H, W) input, gets shape {shape}")
            kh, kw = _pair(layer.kernel_size, "kernel_size")
            stride = getattr(layer, "stride", None)
            sh, sw = _pair(stride if stride is not None else (kh, kw), "stride")
            shape = (shape[0], output_size(shape[1], kh, sh, 0), output_size(shape[2], kw, sw, 0))
        elif kind == "flatten":
            shape = (math.prod(shape),)
        policy = getattr(layer, "policy", None)
        if policy is not None:
            own = as_precision(policy)
            gemms[first:] = [dataclasses.replace(g, precision=own) for g in gemms[first:]]
    if not gemms:
        raise ValueError("the model has no Linear or Conv2d layer to estimate")
    return gemms, params


def as_workload(work, phase, input_shape=None, batch_size=1):
    """Normalize ``work`` (a model, or a list of Gemm / Update) into a list for ``phase``
    ("inference" = forward GEMMs; "training" = forward + gradients + update)."""
    if phase not in ("inference", "training"):
        raise ValueError(f"phase must be 'inference' or 'training', got {phase!r}")
    items = list(work) if isinstance(work, (list, tuple)) else None
    if items and all(isinstance(g, (Gemm, Update)) for g in items):
        if all(g.phase == "forward" for g in items):
            return items if phase == "inference" else training_step(items)
        if phase == "inference":
            raise ValueError("the workload holds a training step (gradient GEMMs); estimate it with "
                             "phase='training'")
        return complete_training_step(items)
    gemms, params = model_gemms(work, input_shape, batch_size)
    return gemms if phase == "inference" else training_step(gemms, params)


def mlp_workload(sizes: Sequence[int], batch_size: int = 64) -> list[Gemm]:
    """Forward GEMMs of a fully connected network with layer widths ``sizes`` (the workload of
    ``fxp_nn.mlp(sizes)``, without building the model)."""
    return [Gemm(f"fc{i + 1}", batch_size, b, a) for i, (a, b) in enumerate(zip(sizes, sizes[1:]))]


def _lenet(batch):
    c1 = conv_gemm("conv1", Conv(28, 28, 1, 5, 5, 8), batch)
    c2 = conv_gemm("conv2", Conv(12, 12, 8, 5, 5, 16), batch)
    return [c1, c2, Gemm("fc", batch, 10, 256)]


#: Named workloads for the command line: name -> (description, builder(batch) -> forward GEMMs).
NAMED = {
    "mlp": ("MLP 784-1000-1000-10 (Gupta et al. 2015 MNIST)",
            lambda batch: mlp_workload([784, 1000, 1000, 10], batch)),
    "mlp-small": ("MLP 784-256-10", lambda batch: mlp_workload([784, 256, 10], batch)),
    "cnn": ("LeNet-like CNN on 28x28: conv5x5 1->8, pool 2, conv5x5 8->16, pool 2, fc 256->10",
            _lenet),
}


def named(name, batch_size=64):
    """Forward GEMMs of a named workload (see ``NAMED``)."""
    if name not in NAMED:
        raise ValueError(f"unknown workload {name!r}; choose one of {sorted(NAMED)} or give a "
                         f"SCALE-Sim topology CSV")
    return NAMED[name][1](batch_size)
