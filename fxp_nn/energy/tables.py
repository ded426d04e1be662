"""Per-operation energy tables (pJ), their sources, bit-width rules and technology-node scaling.

The default table reproduces Horowitz (ISSCC 2014, 45 nm, 0.9 V) exactly at its published points.
Between and beyond those points the widely used scaling rules apply: integer adders scale linearly
with width, integer multipliers with the product of the operand widths, register and memory energy
with the number of bits moved. Node scaling follows Stillmaker & Baas (Integration 58, 2017).
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field, replace

#: Source tags used in every explanation. Keys appear in ``Entry.source``.
SOURCES = {
    "H1": "M. Horowitz, 'Computing's energy problem (and what we can do about it)', ISSCC 2014, "
          "45 nm, 0.9 V (values via secondary sources, see docs/energy.md)",
    "H6": "Han et al., EIE, arXiv:1602.01528: one 32-bit DRAM access ~640 pJ (20 pJ/bit)",
    "A4": "Accelergy hwcomponents-library, Aladdin register model at 45 nm: 0.083 pJ per 8-bit read",
    "SB": "A. Stillmaker, B. Baas, 'Scaling equations for the accurate prediction of CMOS device "
          "performance from 180 nm to 7 nm', Integration 58 (2017) 74-81",
    "SR": "assumption: stochastic rounding draws r random bits from an LFSR/xorshift per rounding "
          "unit (r flip-flop updates) and adds them to the r discarded bits (one r-bit add)",
    "BF": "assumption: bfloat16 multiply = fp16 multiply x (8/11)^2 (significand product rule); "
          "bfloat16 add = fp16 add",
    "WR": "assumption: SRAM write costs the same as a read of the same width",
}


@dataclass(frozen=True)
class Entry:
    """One table value: ``pj`` picojoules for the operation described by ``what``."""

    what: str
    pj: float
    source: str

    def __str__(self):
        return f"{self.what} = {self.pj:g} pJ [{self.source}]"


def _interp(points, x):
    """Piecewise-linear through ``points`` [(x, y), ...], proportional (y ∝ x) outside them."""
    xs = [p[0] for p in points]
    if x <= xs[0]:
        return points[0][1] * x / xs[0]
    if x >= xs[-1]:
        return points[-1][1] * x / xs[-1]
    i = bisect.bisect_right(xs, x)
    (x0, y0), (x1, y1) = points[i - 1], points[i]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _loglog(points, x):
    """Log-log interpolation through ``points``, extending the end segments' slopes."""
    if x <= points[0][0]:
        i = 1
    elif x >= points[-1][0]:
        i = len(points) - 1
    else:
        i = bisect.bisect_right([p[0] for p in points], x)
    (x0, y0), (x1, y1) = points[i - 1], points[i]
    slope = math.log(y1 / y0) / math.log(x1 / x0)
    return y0 * (x / x0) ** slope


@dataclass(frozen=True)
class EnergyTable:
    """Energy per operation at one technology node.

    Parameters
    ----------
    name : str
        Label shown in reports.
    int_add : tuple of (bits, pJ)
        Integer adder anchor points; linear in width between/beyond them.
    int_mult : tuple of (bits, pJ)
        Square integer multiplier anchors (bits x bits); energy ∝ product of widths.
    fp_add, fp_mult : dict
        Floating-point operation energy by format name ("float16", "bfloat16", "float32").
    register_pj_per_bit : float
        PE register / pipeline-latch energy per bit written.
    sram_64bit : tuple of (bytes, pJ)
        Energy of a 64-bit SRAM read by array capacity; log-log interpolated, ∝ bits accessed.
    scale : float
        Multiplier applied to every logic and SRAM value (node scaling); DRAM is not scaled.
    sources : dict
        Source tag for each group of values.
    """

    name: str
    int_add: tuple
    int_mult: tuple
    fp_add: dict
    fp_mult: dict
    register_pj_per_bit: float
    sram_64bit: tuple
    scale: float = 1.0
    sources: dict = field(default_factory=dict)

    def _entry(self, what, pj, group):
        source = self.sources.get(group, "?")
        if self.scale != 1:
            source += f", x{self.scale:.3g} node scaling SB"
        return Entry(what, pj * self.scale, source)

    def add(self, bits: int) -> Entry:
        """Integer (fixed-point) adder of ``bits`` bits."""
        _check_bits(bits)
        rule = "" if any(b == bits for b, _ in self.int_add) else " (linear in width)"
        return self._entry(f"int add {bits}b{rule}", _interp(self.int_add, bits), "int_add")

    def mult(self, a_bits: int, b_bits: int) -> Entry:
        """Integer multiplier ``a_bits`` x ``b_bits``: interpolated in the product of the widths."""
        _check_bits(a_bits)
        _check_bits(b_bits)
        points = [(b * b, pj) for b, pj in self.int_mult]
        exact = any(b == a_bits == b_bits for b, _ in self.int_mult)
        rule = "" if exact else " (∝ product of widths)"
        return self._entry(f"int mult {a_bits}x{b_bits}b{rule}",
                           _interp(points, a_bits * b_bits), "int_mult")

    def float_add(self, kind: str) -> Entry:
        """Floating-point add in format ``kind``."""
        return self._entry(f"{kind} add", _lookup(self.fp_add, kind), _fp_group(kind, "fp_add"))

    def float_mult(self, kind: str) -> Entry:
        """Floating-point multiply in format ``kind``."""
        return self._entry(f"{kind} mult", _lookup(self.fp_mult, kind),
                           _fp_group(kind, "fp_mult"))

    def register(self, bits: int) -> Entry:
        """Writing ``bits`` bits into PE registers."""
        return self._entry(f"register {bits}b", self.register_pj_per_bit * bits, "register")

    def sram(self, bits: int, capacity_bytes: float) -> Entry:
        """One SRAM access of ``bits`` bits in an array of ``capacity_bytes``."""
        if capacity_bytes <= 0:
            raise ValueError(f"SRAM capacity must be positive, got {capacity_bytes} bytes")
        pj64 = _loglog(self.sram_64bit, capacity_bytes)
        return self._entry(f"SRAM {bits}b access, {capacity_bytes / 1024:g} kB array",
                           pj64 * bits / 64, "sram")

    def scaled_to(self, node_nm: float, vdd: float = 0.8, from_nm: float = 45) -> EnergyTable:
        """Copy of this table scaled from ``from_nm`` to ``node_nm`` (Stillmaker-Baas)."""
        factor = node_energy_factor(node_nm, from_nm, vdd)
        return replace(self, name=f"{self.name} scaled to {node_nm:g} nm", scale=self.scale * factor)


def _check_bits(bits):
    if not isinstance(bits, int) or isinstance(bits, bool) or bits < 1 or bits > 128:
        raise ValueError(f"bit width must be an integer in [1, 128], got {bits!r}")


def _lookup(table, kind):
    try:
        return table[kind]
    except KeyError:
        raise ValueError(f"no floating-point energy for format {kind!r}; "
                         f"known: {sorted(table)}") from None


def _fp_group(kind, op):
    return "bfloat16" if kind == "bfloat16" else op


#: the default :class:`EnergyTable`: Horowitz (ISSCC 2014) 45 nm integer and floating-point
#: add/multiply and SRAM energies, with bfloat16 and register energies from the sources
#: named in ``sources``
HOROWITZ_45NM = EnergyTable(
    name="Horowitz ISSCC 2014, 45 nm",
    int_add=((8, 0.03), (16, 0.05), (32, 0.1)),
    int_mult=((8, 0.2), (32, 3.1)),
    fp_add={"float16": 0.4, "float32": 0.9, "bfloat16": 0.4},
    fp_mult={"float16": 1.1, "float32": 3.7, "bfloat16": 1.1 * (8 / 11) ** 2},
    register_pj_per_bit=0.083 / 8,
    sram_64bit=((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0)),
    sources={"int_add": "H1", "int_mult": "H1", "fp_add": "H1", "fp_mult": "H1",
             "bfloat16": "BF", "register": "A4", "sram": "H1"},
)

# Stillmaker-Baas energy coefficients (a, b, c): E ∝ a·Vdd² + b·Vdd + c per node [SB].
_SB_NODES = (130, 90, 65, 45, 32, 20, 16, 14, 10, 7)
_SB_COEF = ((7.171, -6.709, 2.904), (4.762, -4.781, 2.092), (3.755, -4.398, 1.975),
            (1.103, -0.362, 0.2767), (0.9559, -0.7823, 0.471), (0.373, -0.1582, 0.04104),
            (0.2958, -0.1241, 0.03024), (0.2363, -0.09675, 0.02239), (0.2068, -0.09311, 0.02375),
            (0.1776, -0.09097, 0.02447))


def _node_energy(node_nm, vdd):
    """Relative dynamic energy at ``node_nm``: linear interpolation between table nodes,
    ∝ sqrt(node) beyond the 130..7 nm range (as in Accelergy's encoding of [SB])."""
    extra = 1.0
    if node_nm > _SB_NODES[0]:
        extra, node_nm = math.sqrt(node_nm / _SB_NODES[0]), _SB_NODES[0]
    elif node_nm < _SB_NODES[-1]:
        extra, node_nm = math.sqrt(node_nm / _SB_NODES[-1]), _SB_NODES[-1]
    values = [a * vdd * vdd + b * vdd + c for a, b, c in _SB_COEF]
    for i in range(len(_SB_NODES) - 1):
        hi, lo = _SB_NODES[i], _SB_NODES[i + 1]
        if lo <= node_nm <= hi:
            t = (hi - node_nm) / (hi - lo)
            return extra * (values[i] * (1 - t) + values[i + 1] * t)
    raise AssertionError("unreachable")


def node_energy_factor(to_nm: float, from_nm: float = 45, vdd: float = 0.8) -> float:
    """Factor that scales logic/SRAM dynamic energy from ``from_nm`` to ``to_nm`` [SB].

    Exact at the paper's nodes (130, 90, 65, 45, 32, 20, 16, 14, 10, 7 nm); other nodes are
    linearly interpolated and therefore approximate. DRAM energy per bit is not scaled.
    """
    for v, name in ((to_nm, "node"), (from_nm, "node"), (vdd, "vdd")):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a positive number, got {v!r}")
    return _node_energy(to_nm, vdd) / _node_energy(from_nm, vdd)
