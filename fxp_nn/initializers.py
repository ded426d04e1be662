"""Weight initializers: float64 arrays, quantized into the weight format at the first forward pass."""
from __future__ import annotations

import numpy as np

INITIALIZERS = ("he_normal", "glorot_uniform", "normal", "zeros")


def initialize(name, shape, fan_in, fan_out, rng, std=0.01):
    """Draw an initial tensor.

    Parameters
    ----------
    name : {"he_normal", "glorot_uniform", "normal", "zeros"}
        ``he_normal``: N(0, 2/fan_in) (for ReLU nets); ``glorot_uniform``:
        U(+-sqrt(6/(fan_in+fan_out))); ``normal``: N(0, std**2) (Gupta et al.'s
        "zero-mean Gaussian with small std"); ``zeros``.
    shape : tuple of int
    fan_in, fan_out : int
        Inputs and outputs feeding one unit.
    rng : numpy.random.Generator
    std : float, default 0.01
        Standard deviation for ``normal``.
    """
    if name == "he_normal":
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
    if name == "glorot_uniform":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape)
    if name == "normal":
        return rng.normal(0.0, std, shape)
    if name == "zeros":
        return np.zeros(shape)
    raise ValueError(f"unknown initializer {name!r}; choose one of {INITIALIZERS}")
