"""Estimate results: per-layer/phase records, totals, a printed table and explanations."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .hardware import Hardware
    from .precision import Precision
    from .tables import EnergyTable

#: the energy components of a :class:`Report`, in the order its tables and figures show them
#: (each record has an ``e_<component>_pj`` field)
COMPONENTS = ("multiply", "accumulate", "rounding", "rng", "registers", "sram", "dram")
_SUMMED = ("macs", "compute_cycles", "dram_cycles", "cycles", "memory_bound_cycles", "time_s",
           "rounding_events", "random_bits", "sram_reads_ifmap", "sram_reads_filter",
           "sram_reads_ofmap", "sram_writes_ofmap", "dram_reads_ifmap", "dram_reads_filter",
           "dram_reads_ofmap", "dram_writes_ofmap", "dram_bytes",
           *(f"e_{c}_pj" for c in COMPONENTS), "e_total_pj")


def _si(value, unit):
    """``value`` (in base units) with an n/u/m prefix that keeps 1 <= mantissa < 1000."""
    for scale, prefix in ((1, ""), (1e-3, "m"), (1e-6, "u"), (1e-9, "n"), (1e-12, "p")):
        if abs(value) >= scale:
            return f"{value / scale:.4g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


class Report:
    """Result of :func:`estimate`.

    Attributes
    ----------
    records : list of dict
        One per GEMM or weight update (keys: name, layer, phase, macs, compute_cycles,
        dram_cycles, cycles, memory_bound_cycles, utilization, time_s, SRAM/DRAM counts per
        operand, ``e_<component>_pj`` for multiply, accumulate, rounding, rng, registers, sram,
        dram, ``e_total_pj``, ``pj_per_mac``).
    totals : dict
        Sums over records, plus utilization, pJ/MAC and ops/s/W.
    hardware, precision, table
        What the estimate assumed.
    """

    def __init__(self, records: list[dict[str, Any]], explanations: dict[str, dict[str, str]],
                 hardware: Hardware, precision: Precision, table: EnergyTable) -> None:
        self.records = records
        self._explain = explanations
        self.hardware = hardware
        self.precision = precision
        self.table_used = table
        totals = {k: sum(r.get(k, 0) for r in records) for k in _SUMMED}
        macs, e = totals["macs"], totals["e_total_pj"]
        totals["utilization"] = macs / (totals["cycles"] * hardware.macs) if totals["cycles"] \
            else 0.0
        totals["pj_per_mac"] = e / macs if macs else float("nan")
        totals["ops_per_s_per_w"] = 2 * macs / (e * 1e-12) if e else float("nan")
        self.totals = totals

    @property
    def total_energy_j(self) -> float:
        """Total energy in joules."""
        return self.totals["e_total_pj"] * 1e-12

    @property
    def pj_per_mac(self) -> float:
        """Total energy per MAC (pJ), including the weight update."""
        return self.totals["pj_per_mac"]

    @property
    def time_s(self) -> float:
        """Total time in seconds (each item max(compute, DRAM) cycles / clock)."""
        return self.totals["time_s"]

    @property
    def macs(self) -> int:
        """Total MACs of all GEMMs."""
        return self.totals["macs"]

    @property
    def ops_per_s_per_w(self) -> float:
        """Operations (2 per MAC) per joule, i.e. ops/s per watt."""
        return self.totals["ops_per_s_per_w"]

    def energy_by_component(self) -> dict[str, float]:
        """Total energy (pJ) per component."""
        return {c: self.totals[f"e_{c}_pj"] for c in COMPONENTS}

    def to_records(self, **extra: Any) -> list[dict[str, Any]]:
        """Records (one dict per GEMM/update, ``extra`` keys added), ready for a DataFrame."""
        return [{**r, **extra} for r in self.records]

    def by_phase(self) -> dict[str, dict[str, float]]:
        """Totals per phase: {phase: {quantity: value}}."""
        out: dict[str, dict[str, float]] = {}
        for r in self.records:
            d = out.setdefault(r["phase"], dict.fromkeys(_SUMMED, 0))
            for k in _SUMMED:
                d[k] += r.get(k, 0)
        return out

    def explain(self, name: str, quantity: str | None = None) -> str:
        """How a number was obtained: formula, counts, table entry and source.

        ``name`` is a record's name (e.g. "fc1", "fc1/weight_grad", "fc1/update");
        ``quantity`` one of the explained keys (all of them if None).
        """
        if name not in self._explain:
            raise KeyError(f"no record named {name!r}; names: {list(self._explain)}")
        why = self._explain[name]
        if quantity is None:
            return "\n".join(f"{k}: {v}" for k, v in why.items())
        key = quantity[2:-3] if quantity.startswith("e_") and quantity.endswith("_pj") else quantity
        if key not in why:
            raise KeyError(f"{name!r} explains {list(why)}, not {quantity!r}")
        return why[key]

    def summary(self) -> str:
        """One line: energy, time, pJ/MAC, utilization, and the precision/hardware used."""
        hw = self.hardware
        return (f"{self.precision.label} on {hw.rows}x{hw.cols} {hw.dataflow.upper()} "
                f"@ {hw.clock_hz / 1e9:g} GHz: {_si(self.total_energy_j, 'J')}, "
                f"{_si(self.time_s, 's')}, {self.pj_per_mac:.2f} pJ/MAC, "
                f"{self.ops_per_s_per_w / 1e12:.3g} TOPS/W, "
                f"utilization {100 * self.totals['utilization']:.1f}%")

    def table(self) -> str:
        """Per-layer/phase table (energies in uJ) with a total row."""
        cols = [("name", "{}"), ("MACs", "{:,}"), ("cycles", "{:,.0f}"), ("util%", "{:.1f}"),
                ("mem-bound", "{:,.0f}"), ("DRAM kB", "{:,.1f}")] + \
               [(c, "{:.3f}") for c in ("mult", "acc", "round", "rng", "reg", "sram", "dram")] + \
               [("total uJ", "{:.3f}"), ("pJ/MAC", "{:.2f}")]
        keys = ["name", "macs", "cycles", "utilization", "memory_bound_cycles", "dram_bytes",
                *(f"e_{c}_pj" for c in COMPONENTS), "e_total_pj", "pj_per_mac"]
        total = {**self.totals, "name": "TOTAL"}
        rows = []
        for r in [*self.records, total]:
            row = []
            for (head, fmt), key in zip(cols, keys):
                v = r.get(key, 0)
                if key == "utilization":
                    v = 100 * v
                elif key == "dram_bytes":
                    v = v / 1024
                elif key.startswith("e_"):
                    v = v * 1e-6
                row.append("-" if isinstance(v, float) and math.isnan(v) else fmt.format(v))
            rows.append(row)
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, (h, _) in enumerate(cols)]
        line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                       for i, (c, w) in enumerate(zip(cells, widths)))
        out = [line([h for h, _ in cols]), line(["-" * w for w in widths])]
        out += [line(r) for r in rows[:-1]] + [line(["-" * w for w in widths]), line(rows[-1])]
        return "\n".join(out)

    def __repr__(self):
        return f"<Report {len(self.records)} records: {self.summary()}>"
