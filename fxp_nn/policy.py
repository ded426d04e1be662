"""Precision policies: the number format, rounding and overflow of every tensor role.

A policy is either all floating point (``float32``/``float64``, the baselines,
run by numpy) or all fixed point (run by ``fxp``); a model may give different
layers different policies, and a policy may be swapped between epochs.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

import fxp
from fxp import Accumulator  # re-exported as fxp_nn.Accumulator

from .serialization import DataclassConfig, serializable

ROLES = ("weights", "biases", "activations", "errors", "weight_grads", "updates")
GEMMS = ("forward", "input_grad", "weight_grad")

_FLOAT_DTYPES = ("float32", "float64")


@serializable
@dataclass(frozen=True)
class TensorPrecision(DataclassConfig):
    """How one tensor role is stored.

    Parameters
    ----------
    fmt : fxp.Format or str or None
        Fixed-point format; None stores the role as numpy ``float_dtype``.
    rounding : str or fxp.Rounding, default "nearest_even"
        Rounding applied whenever a value is written in this role.
    overflow : str or fxp.Overflow, default "saturate"
        What happens to values outside ``fmt``'s range.
    float_dtype : {"float32", "float64"}, default "float32"
        Storage when ``fmt`` is None.
    """

    fmt: fxp.Format | None = None
    rounding: str = "nearest_even"
    overflow: str = "saturate"
    float_dtype: str = "float32"

    def __post_init__(self):
        if isinstance(self.fmt, str):
            object.__setattr__(self, "fmt", fxp.Format.parse(self.fmt))
        if self.fmt is not None and not isinstance(self.fmt, fxp.Format):
            raise TypeError(f"fmt must be an fxp.Format, a format string or None, got {self.fmt!r}")
        object.__setattr__(self, "rounding", fxp.Rounding(getattr(self.rounding, "value", self.rounding)).value)
        object.__setattr__(self, "overflow", fxp.Overflow(getattr(self.overflow, "value", self.overflow)).value)
        if self.float_dtype not in _FLOAT_DTYPES:
            raise ValueError(f"float_dtype must be one of {_FLOAT_DTYPES}, got {self.float_dtype!r}")

    @property
    def is_float(self):
        """True when the role is stored as numpy floats."""
        return self.fmt is None

    @property
    def dtype(self):
        """numpy storage dtype (the format's integer dtype for fixed point)."""
        return np.dtype(self.float_dtype) if self.fmt is None else self.fmt.dtype

    def __str__(self):
        if self.fmt is None:
            return self.float_dtype
        return f"{self.fmt} {self.rounding} {self.overflow}"


@serializable
@dataclass(frozen=True)
class PrecisionPolicy(DataclassConfig):
    """Per-role precision plus accumulator settings for the three GEMMs of a layer.

    Attributes ``weights``, ``biases``, ``activations``, ``errors`` (back-propagated
    gradients), ``weight_grads`` and ``updates`` (the SGD step ``lr * grad``) are
    :class:`TensorPrecision` objects. ``acc_bits``/``acc_overflow`` set the
    accumulator of every GEMM; ``gemm_accumulators`` (:class:`fxp.Accumulator` objects)
    overrides it for ``"forward"``, ``"input_grad"`` or ``"weight_grad"``.

    Examples
    --------
    >>> p = PrecisionPolicy.gupta(frac_bits=10, rounding="nearest_even")
    >>> str(p.weights)
    's16.10 nearest_even saturate'
    >>> p.replace(updates=TensorPrecision("s24.20", "stochastic")).updates.fmt.word_bits
    24
    """

    weights: TensorPrecision = field(default_factory=TensorPrecision)
    biases: TensorPrecision = field(default_factory=TensorPrecision)
    activations: TensorPrecision = field(default_factory=TensorPrecision)
    errors: TensorPrecision = field(default_factory=TensorPrecision)
    weight_grads: TensorPrecision = field(default_factory=TensorPrecision)
    updates: TensorPrecision = field(default_factory=TensorPrecision)
    acc_bits: int | None = None
    acc_overflow: str = "saturate"
    gemm_accumulators: tuple = ()
    block_saturated_grads: bool = True
    name: str = ""

    def __post_init__(self):
        kinds = {self.role(r).is_float for r in ROLES}
        if len(kinds) > 1:
            raise ValueError(
                "a policy is either all floating point or all fixed point; give a layer its own "
                "policy (layer.policy = ...) to mix them across layers"
            )
        if len({self.role(r).float_dtype for r in ROLES}) > 1 and self.is_float:
            raise ValueError("a floating-point policy uses one float dtype for every role")
        gemm_accs = dict(self.gemm_accumulators)
        unknown = set(gemm_accs) - set(GEMMS)
        if unknown:
            raise ValueError(f"unknown GEMM name(s) {sorted(unknown)}; use {GEMMS}")
        object.__setattr__(self, "gemm_accumulators", tuple(sorted(gemm_accs.items())))
        object.__setattr__(self, "acc_overflow", fxp.Overflow(self.acc_overflow).value)

    @property
    def is_float(self):
        """True for the floating-point baselines."""
        return self.weights.is_float

    def role(self, name):
        """The :class:`TensorPrecision` of role ``name``."""
        if name not in ROLES:
            raise ValueError(f"unknown tensor role {name!r}; roles are {ROLES}")
        return getattr(self, name)

    def accumulator(self, gemm):
        """The :class:`fxp.Accumulator` used by GEMM ``gemm`` (forward, input_grad, weight_grad)."""
        if gemm not in GEMMS:
            raise ValueError(f"unknown GEMM {gemm!r}; use {GEMMS}")
        return dict(self.gemm_accumulators).get(gemm, Accumulator(self.acc_bits, self.acc_overflow))

    def replace(self, **changes):
        """A copy with some fields changed (roles, accumulators, name)."""
        return dataclasses.replace(self, **changes)

    def __str__(self):
        if self.name:
            return self.name
        return ", ".join(f"{r}={self.role(r)}" for r in ROLES)

    @classmethod
    def float32(cls):
        """Every tensor in numpy float32: the baseline."""
        return cls.floating("float32")

    @classmethod
    def float64(cls):
        """Every tensor in numpy float64 (for gradient checks)."""
        return cls.floating("float64")

    @classmethod
    def floating(cls, dtype):
        """Every tensor as numpy ``dtype`` ("float32" or "float64")."""
        role = TensorPrecision(None, float_dtype=dtype)
        return cls(**{r: role for r in ROLES}, name=dtype)

    @classmethod
    def fixed(cls, word_bits, frac_bits, rounding="stochastic", overflow="saturate", acc_bits=None):
        """One format ``<word_bits - frac_bits, frac_bits>`` and one rounding for every role."""
        role = TensorPrecision(fxp.Format(word_bits, frac_bits), rounding, overflow)
        short = {"stochastic": "SR", "nearest_even": "RN"}.get(role.rounding, role.rounding)
        return cls(**{r: role for r in ROLES}, acc_bits=acc_bits,
                   name=f"fixed WL={word_bits} FL={frac_bits} {short}")

    @classmethod
    def gupta(cls, word_bits=16, frac_bits=14, rounding="stochastic"):
        """Gupta et al. 2015: 16-bit words, FL=14, stochastic rounding, wide accumulators.

        Every GEMM accumulates exactly and rounds once per dot product.
        """
        return cls.fixed(word_bits, frac_bits, rounding, "saturate", acc_bits=None)
