"""Comparisons and sweeps as records (pandas-ready dicts), printed tables and matplotlib plots."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from .._optional import require
from .estimator import estimate
from .precision import Precision, as_precision
from .report import COMPONENTS

if TYPE_CHECKING:
    from .hardware import Hardware

DEFAULT_COMPARISON = ("float32", "bfloat16", "float16", "fixed16_sr", "int8")


def _row(report, **keys):
    t = report.totals
    row = {**keys, "energy_uj": report.total_energy_j * 1e6, "time_ms": report.time_s * 1e3,
           "macs": report.macs, "pj_per_mac": report.pj_per_mac,
           "tops_per_w": report.ops_per_s_per_w / 1e12, "utilization": t["utilization"],
           "dram_mb": t["dram_bytes"] / 2 ** 20, "cycles": t["cycles"]}
    row.update({f"{c}_uj": t[f"e_{c}_pj"] * 1e-6 for c in COMPONENTS})
    return row


def compare(workload: Any, precisions: Iterable[Precision | str] = DEFAULT_COMPARISON,
            hardware: Hardware | None = None, baseline: int = 0, **kw: Any) -> list[dict[str, Any]]:
    """One record per precision (totals, energy per component, ratios to ``baseline``).

    ``precisions`` are ``Precision`` objects or preset names; ``baseline`` indexes the one the
    ``energy_ratio`` and ``<component>_ratio`` columns divide by (nan where the baseline's
    component is zero). Extra keywords go to :func:`estimate`.
    """
    rows = []
    for p in precisions:
        prec = as_precision(p)
        rows.append(_row(estimate(workload, hardware, prec, **kw), precision=prec.label))
    base = dict(rows[baseline])
    for r in rows:
        r["energy_ratio"] = r["energy_uj"] / base["energy_uj"]
        for c in COMPONENTS:
            b = base[f"{c}_uj"]
            r[f"{c}_ratio"] = r[f"{c}_uj"] / b if b else float("nan")
    return rows


def sweep_word_length(workload: Any, bits: Iterable[int] = range(4, 33),
                      roundings: Iterable[str] = ("nearest_even", "stochastic", "floor"),
                      hardware: Hardware | None = None, base: Precision | None = None,
                      target: Literal["operands", "accumulator"] = "operands",
                      **kw: Any) -> list[dict[str, Any]]:
    """Records of estimates for every fixed-point word length in ``bits`` and rounding mode.

    ``target="operands"`` sets every tensor role to ``bits`` (fraction bits = word - 2);
    ``target="accumulator"`` keeps the operands and sets the accumulator width (a bounded
    accumulator; products keep their fraction bits). ``base`` (a Precision, default
    ``Precision.fixed(16)``) supplies everything else.
    """
    if target not in ("operands", "accumulator"):
        raise ValueError(f"target must be 'operands' or 'accumulator', got {target!r}")
    base = base or Precision.fixed(16)
    rows = []
    for rounding in roundings:
        for b in bits:
            prec = base.with_word_length(b, rounding=rounding) if target == "operands" else \
                base.with_accumulator(b, rounding=rounding)
            rows.append(_row(estimate(workload, hardware, prec, **kw), bits=b,
                             rounding=rounding))
    return rows


def table(rows: Sequence[Mapping[str, Any]], columns: Iterable[str] | None = None,
          floatfmt: str = "{:.4g}") -> str:
    """Plain-text table of records (all keys of the first record unless ``columns``)."""
    if not rows:
        return "(no rows)"
    columns = list(columns or rows[0])
    cells = [[floatfmt.format(v) if isinstance(v, float) else str(v)
              for v in (r.get(c, "") for c in columns)] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def plot_breakdown(rows: Sequence[Mapping[str, Any]], label: str = "precision", ax: Any = None) -> Any:
    """Stacked bars of energy per component (uJ), one bar per record; returns the Axes."""
    plt = require("matplotlib.pyplot", "plot")

    ax = ax or plt.subplots(figsize=(7, 4))[1]
    bottom = [0.0] * len(rows)
    names = [str(r[label]) for r in rows]
    for c in COMPONENTS:
        vals = [r[f"{c}_uj"] for r in rows]
        ax.bar(names, vals, bottom=bottom, label=c)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.tick_params(axis="x", labelrotation=20)
    ax.set_ylabel("energy (uJ)")
    ax.legend(fontsize="small")
    return ax


def plot_word_length(rows: Sequence[Mapping[str, Any]], y: str = "energy_uj", ax: Any = None,
                     log: bool = True) -> Any:
    """``y`` (a record key, default total energy) against word length, one line per rounding
    mode; returns the Axes."""
    plt = require("matplotlib.pyplot", "plot")

    ax = ax or plt.subplots(figsize=(7, 4))[1]
    for rounding in dict.fromkeys(r["rounding"] for r in rows):
        pts = [(r["bits"], r[y]) for r in rows if r["rounding"] == rounding]
        ax.plot(*zip(*pts), marker="o", ms=3, label=rounding)
    ax.set_xlabel("word length (bits)")
    ax.set_ylabel("energy (uJ)" if y == "energy_uj" else y.replace("_uj", " (uJ)"))
    if log:
        ax.set_yscale("log")
    ax.legend()
    return ax
