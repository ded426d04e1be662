"""Number formats per tensor role and per GEMM, as the energy model sees them (bit widths,
float or fixed, rounding mode and where rounding happens).

The energy model speaks the vocabulary of ``fxp`` and ``fxp_nn``: a role's format may be given as
an ``fxp.Format`` (or its string, ``"s16.14"``), an ``fxp_nn.TensorPrecision``, or a float name,
an accumulator as an ``fxp.Accumulator`` or a width, and a whole precision as an
``fxp_nn.PrecisionPolicy``. :class:`NumberFormat` is only the normalised form they are read into
(a word width, fraction bits, fixed or which float), derived by :meth:`NumberFormat.of`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import fxp

ROUNDINGS = tuple(mode.value for mode in fxp.Rounding)
ROLES = ("weights", "activations", "errors", "weight_grads")
ROUNDING_SITES = ("writeback", "accumulate")
FLOAT_BITS = {"float16": 16, "bfloat16": 16, "float32": 32}


@dataclass(frozen=True)
class NumberFormat:
    """A word format: ``kind`` is "fixed" (any width) or a float name ("float16", "bfloat16",
    "float32"); ``frac_bits`` matters only for fixed point (where rounding discards bits)."""

    kind: str
    bits: int
    frac_bits: int = 0

    def __post_init__(self):
        if self.kind == "fixed":
            if not isinstance(self.bits, int) or not 1 <= self.bits <= 64:
                raise ValueError(f"fixed-point word length must be in [1, 64], got {self.bits!r}")
            if not isinstance(self.frac_bits, int) or not 0 <= self.frac_bits <= 128:
                raise ValueError(f"frac_bits must be in [0, 128], got {self.frac_bits!r}")
        elif self.kind in FLOAT_BITS:
            if self.bits != FLOAT_BITS[self.kind]:
                raise ValueError(f"{self.kind} has {FLOAT_BITS[self.kind]} bits, not {self.bits}")
        else:
            raise ValueError(f"unknown number format kind {self.kind!r}; "
                             f"use 'fixed' or one of {sorted(FLOAT_BITS)}")

    @property
    def is_float(self) -> bool:
        """True for the floating-point formats."""
        return self.kind != "fixed"

    @classmethod
    def of(cls, spec):
        """The ``NumberFormat`` of ``spec``: an ``fxp.Format``, a format string (``"s16.14"``,
        ``"Q1.14"``), a float name (``"float32"``, ``"bfloat16"``, ``"float16"``), an
        ``fxp_nn.TensorPrecision`` (duck-typed on ``.fmt``/``.float_dtype``) or a NumberFormat.

        Raises
        ------
        ValueError, TypeError
            ``spec`` names no format the energy table can cost.
        """
        if isinstance(spec, cls):
            return spec
        if isinstance(spec, fxp.Format):
            return cls("fixed", int(spec.word_bits), int(spec.frac_bits))
        if isinstance(spec, str):
            if spec in FLOAT_BITS:
                return floating(spec)
            try:
                return cls.of(fxp.Format.parse(spec))
            except ValueError:
                raise ValueError(f"unknown number format {spec!r}; use an fxp format such as 's16.14' "
                                 f"or one of {sorted(FLOAT_BITS)}") from None
        if hasattr(spec, "fmt"):
            return _role_format(spec)
        raise TypeError(f"a number format must be an fxp.Format, a format string, a float name or a "
                        f"TensorPrecision, got {type(spec).__name__}")

    def __str__(self):
        return f"fixed{self.bits}.{self.frac_bits}" if self.kind == "fixed" else self.kind


def fixed(bits: int, frac_bits: int | None = None) -> NumberFormat:
    """Fixed-point ``NumberFormat``; ``frac_bits`` defaults to ``bits - 2`` (Gupta's <2, n-2>)."""
    return NumberFormat("fixed", bits, max(bits - 2, 0) if frac_bits is None else frac_bits)


def floating(kind: str) -> NumberFormat:
    """Floating-point ``NumberFormat`` named ``kind``."""
    return NumberFormat(kind, FLOAT_BITS.get(kind, -1))


def _check_rounding(rounding):
    rounding = getattr(rounding, "value", rounding)
    if rounding not in ROUNDINGS:
        raise ValueError(f"unknown rounding mode {rounding!r}; choose one of {ROUNDINGS}")
    return rounding


@dataclass(frozen=True)
class GemmFormat:
    """Formats of one GEMM C = A @ B: operand A ("ifmap"), operand B ("filter"), the result C
    (each anything :meth:`NumberFormat.of` reads), the accumulator (an ``fxp.Accumulator``, a
    width, or None = exact width a + b + ceil(log2 K) for fixed point, float32 for floats), the rounding mode and its site ("writeback": once per output as it leaves the
    array; "accumulate": after every MAC, into an accumulator as narrow as C)."""

    a: NumberFormat
    b: NumberFormat
    out: NumberFormat
    acc: NumberFormat | None = None
    rounding: str = "nearest_even"
    site: str = "writeback"
    sr_bits: int | None = None

    def __post_init__(self):
        for operand in ("a", "b", "out"):
            object.__setattr__(self, operand, NumberFormat.of(getattr(self, operand)))
        if self.acc is not None and not isinstance(self.acc, NumberFormat):
            object.__setattr__(self, "acc", _acc_format(getattr(self.acc, "bits", self.acc),
                                                        {"activations": self.a, "weights": self.b}))
        object.__setattr__(self, "rounding", _check_rounding(self.rounding))
        if self.site not in ROUNDING_SITES:
            raise ValueError(f"unknown rounding site {self.site!r}; choose one of {ROUNDING_SITES}")
        if self.a.is_float != self.b.is_float:
            raise ValueError(f"GEMM operands must both be fixed or both float, got {self.a} and "
                             f"{self.b}")
        if self.sr_bits is not None and not (isinstance(self.sr_bits, int) and self.sr_bits > 0):
            raise ValueError(f"sr_bits must be a positive integer or None, got {self.sr_bits!r}")

    def accumulator(self, k: int) -> NumberFormat:
        """Accumulator format for a K-term dot product."""
        if self.site == "accumulate":
            return self.out
        if self.acc is not None:
            return self.acc
        if self.a.is_float:
            return floating("float32")
        bits = self.a.bits + self.b.bits + max(math.ceil(math.log2(k)), 0) if k > 1 else \
            self.a.bits + self.b.bits
        return NumberFormat("fixed", min(bits, 64), self.a.frac_bits + self.b.frac_bits)

    def discarded_bits(self, k: int) -> int:
        """Bits dropped when the accumulator value is rounded to the output format (fixed point);
        the number of random bits stochastic rounding needs unless ``sr_bits`` caps it."""
        if self.out.is_float:
            return 0
        frac = self.a.frac_bits + self.b.frac_bits if self.site == "accumulate" else \
            self.accumulator(k).frac_bits
        dropped = max(frac - self.out.frac_bits, 0)
        return dropped if self.sr_bits is None else min(dropped, self.sr_bits)


@dataclass(frozen=True)
class Precision:
    """Formats per tensor role, the accumulator, the rounding mode and its site.

    Roles: ``weights``, ``activations``, ``errors`` (back-propagated gradients), ``weight_grads``,
    each an ``fxp.Format``, a format string, a float name or a ``TensorPrecision`` (read into a
    :class:`NumberFormat`). ``acc`` is an ``fxp.Accumulator``, a width or None (exact).
    ``gemm_acc`` and ``gemm_rounding`` ((phase, value) pairs) override the accumulator and the
    rounding mode of one GEMM phase.
    GEMM operands by phase: forward = activations @ weights -> activations;
    input gradient = errors @ weights^T -> errors; weight gradient = activations^T @ errors ->
    weight_grads. The weight update rounds once per parameter with ``update_rounding``.
    """

    weights: NumberFormat
    activations: NumberFormat
    errors: NumberFormat
    weight_grads: NumberFormat
    acc: NumberFormat | None = None
    rounding: str = "nearest_even"
    site: str = "writeback"
    update_rounding: str | None = None
    sr_bits: int | None = None
    name: str = ""
    gemm_acc: tuple = ()
    gemm_rounding: tuple = ()

    def __post_init__(self):
        for role in ROLES:
            object.__setattr__(self, role, NumberFormat.of(getattr(self, role)))
        object.__setattr__(self, "acc", self._accumulator(self.acc))
        object.__setattr__(self, "gemm_acc", tuple((phase, self._accumulator(a)) for phase, a in self.gemm_acc))
        object.__setattr__(self, "rounding", _check_rounding(self.rounding))
        object.__setattr__(self, "update_rounding",
                           _check_rounding(self.update_rounding or self.rounding))

    def _accumulator(self, acc):
        """``acc`` as a NumberFormat: an ``fxp.Accumulator`` or a width is fixed point with the
        products' fraction bits (as ``fxp.matmul`` accumulates); None stays None (exact)."""
        if acc is None or isinstance(acc, NumberFormat):
            return acc
        bits = getattr(acc, "bits", acc)
        if bits is None:
            return None
        return _acc_format(bits, {"activations": self.activations, "weights": self.weights})

    @classmethod
    def from_policy(cls, policy):
        """The energy model's reading of an ``fxp_nn.PrecisionPolicy`` (see :func:`precision_from_policy`)."""
        return precision_from_policy(policy)

    def gemm(self, phase: str) -> GemmFormat:
        """The ``GemmFormat`` of a GEMM in ``phase`` ("forward", "input_grad", "weight_grad")."""
        roles = {"forward": (self.activations, self.weights, self.activations),
                 "input_grad": (self.errors, self.weights, self.errors),
                 "weight_grad": (self.activations, self.errors, self.weight_grads)}
        if phase not in roles:
            raise ValueError(f"unknown GEMM phase {phase!r}; choose one of {sorted(roles)}")
        a, b, out = roles[phase]
        acc = dict(self.gemm_acc).get(phase, self.acc)
        rounding = dict(self.gemm_rounding).get(phase, self.rounding)
        return GemmFormat(a, b, out, acc, rounding, self.site, self.sr_bits)

    @property
    def label(self) -> str:
        """Name shown in reports and comparison tables."""
        return self.name or f"{self.weights} {self.rounding}"

    def with_word_length(self, bits: int, frac_bits: int | None = None, rounding: str | None = None) -> Precision:
        """Copy with every fixed-point role set to ``bits`` (for word-length sweeps)."""
        f = fixed(bits, frac_bits)
        return replace(self, weights=f, activations=f, errors=f, weight_grads=f,
                       rounding=rounding or self.rounding,
                       update_rounding=rounding or self.update_rounding,
                       name=f"fixed{bits} {rounding or self.rounding}")

    def with_accumulator(self, bits: int, rounding: str | None = None) -> Precision:
        """Copy with a ``bits``-wide fixed-point accumulator (fraction bits of the products)."""
        if self.weights.is_float:
            raise ValueError("with_accumulator needs fixed-point roles")
        acc = NumberFormat("fixed", bits, self.activations.frac_bits + self.weights.frac_bits)
        rounding = rounding or self.rounding
        return replace(self, acc=acc, gemm_acc=(), rounding=rounding,
                       update_rounding=rounding, name=f"{self.weights} acc{bits} {rounding}")

    # presets -----------------------------------------------------------------------------
    @classmethod
    def uniform(cls, fmt: NumberFormat, rounding: str = "nearest_even", acc: NumberFormat | None = None,
                site: str = "writeback", name: str = "") -> Precision:
        """Every role in ``fmt``."""
        return cls(fmt, fmt, fmt, fmt, acc, rounding, site, None, None, name or str(fmt))

    @classmethod
    def float32(cls) -> Precision:
        """Every role and the accumulator in float32."""
        return cls.uniform(floating("float32"), name="float32")

    @classmethod
    def float16(cls) -> Precision:
        """float16 operands, float32 accumulation (mixed precision)."""
        return cls.uniform(floating("float16"), acc=floating("float32"), name="float16")

    @classmethod
    def bfloat16(cls) -> Precision:
        """bfloat16 operands, float32 accumulation (mixed precision)."""
        return cls.uniform(floating("bfloat16"), acc=floating("float32"), name="bfloat16")

    @classmethod
    def fixed(cls, bits: int = 16, frac_bits: int | None = None, rounding: str = "stochastic",
              acc_bits: int | None = None, site: str = "writeback") -> Precision:
        """Every role in fixed point with ``bits`` bits (Gupta et al.: 16 bits, <2,14>, SR)."""
        acc = None if acc_bits is None else NumberFormat("fixed", acc_bits,
                                                         2 * fixed(bits, frac_bits).frac_bits)
        return cls.uniform(fixed(bits, frac_bits), rounding, acc, site,
                           name=f"fixed{bits} {rounding}")

    @classmethod
    def int8(cls) -> Precision:
        """8-bit operands, 32-bit accumulator, round to nearest (inference-style int8)."""
        return cls.fixed(8, 6, "nearest_even", acc_bits=32)


PRESETS = {"float32": Precision.float32, "bfloat16": Precision.bfloat16,
           "float16": Precision.float16, "fixed16_sr": Precision.fixed, "int8": Precision.int8}


def as_precision(precision):
    """Accept a ``Precision``, a preset name, an fxp_nn ``PrecisionPolicy`` (duck-typed) or None
    (float32)."""
    if precision is None:
        return Precision.float32()
    if isinstance(precision, Precision):
        return precision
    if isinstance(precision, str):
        if precision not in PRESETS:
            raise ValueError(f"unknown precision preset {precision!r}; choose one of "
                             f"{sorted(PRESETS)}")
        return PRESETS[precision]()
    if hasattr(precision, "weights") and hasattr(getattr(precision, "weights"), "fmt"):
        return precision_from_policy(precision)
    raise TypeError(f"precision must be a Precision, a preset name or a PrecisionPolicy, "
                    f"got {type(precision).__name__}")


def _role_format(role):
    fmt = getattr(role, "fmt", None)
    if fmt is None:
        kind = getattr(role, "float_dtype", "float32")
        if kind not in FLOAT_BITS:
            raise ValueError(f"the energy table has no {kind} operations; use float32, "
                             f"bfloat16, float16 or fixed point")
        return floating(kind)
    return NumberFormat("fixed", int(fmt.word_bits), int(fmt.frac_bits))


def _acc_format(bits, fmts):
    if bits is None or fmts["activations"].is_float:
        return None
    return NumberFormat("fixed", int(bits), fmts["activations"].frac_bits + fmts["weights"].frac_bits)


def precision_from_policy(policy: Any) -> Precision:
    """Energy-model ``Precision`` of an ``fxp_nn.PrecisionPolicy`` (roles with ``.fmt``,
    ``.rounding``; ``.acc_bits`` and per-GEMM ``.gemm_accumulators``). A role whose ``fmt`` is
    None is its ``float_dtype`` (float32). GEMMs round once per output (exact products, as
    fxp.matmul does) in the mode of the role they write (activations, errors, weight_grads);
    the weight update uses the ``updates`` mode."""
    roles = {r: getattr(policy, r) for r in ROLES}
    fmts = {r: NumberFormat.of(v) for r, v in roles.items()}
    acc = getattr(policy, "acc_bits", None)
    gemm_acc = tuple(getattr(policy, "gemm_accumulators", ()))

    def _mode(role):
        r = getattr(role, "rounding", None) if role is not None else None
        return getattr(r, "value", r) or "nearest_even"

    updates = getattr(policy, "updates", None)
    name = getattr(policy, "name", "") or f"{fmts['weights']} {_mode(roles['activations'])}"
    gemm_rounding = (("input_grad", _mode(roles["errors"])),
                     ("weight_grad", _mode(roles["weight_grads"])))
    return Precision(fmts["weights"], fmts["activations"], fmts["errors"], fmts["weight_grads"],
                     acc, _mode(roles["activations"]), "writeback",
                     _mode(updates) if updates is not None else None, None, name, gemm_acc,
                     gemm_rounding)
