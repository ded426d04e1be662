"""Accelerator description: a rows x cols systolic MAC array, its dataflow, clock, per-operand
SRAM, DRAM energy and bandwidth, technology node and the per-operation energy table."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .tables import HOROWITZ_45NM, EnergyTable

DATAFLOWS = ("os", "ws")


@dataclass(frozen=True)
class Hardware:
    """A systolic-array accelerator.

    Parameters
    ----------
    rows, cols : int
        Array size; OS maps output rows (M) on rows and output columns (N) on columns, WS maps the
        reduction dimension (K) on rows and N on columns (SCALE-Sim's conventions).
    dataflow : {"os", "ws"}
        Output stationary or weight stationary.
    clock_hz : float
    ifmap_sram_bytes, filter_sram_bytes, ofmap_sram_bytes : int
        On-chip SRAM per operand. Capacity counts in words of each operand's width.
    active_fraction : float
        Share of each SRAM holding the working set (the rest is the prefetch half of the double
        buffer), 0.5 as in SCALE-Sim.
    dram_pj_per_bit : float
        DRAM access energy (20 pJ/bit: 640 pJ per 32-bit access [H6]; LPDDR4 ~8, HBM2 ~6.25).
    dram_bytes_per_cycle : float
        DRAM bandwidth.
    node_nm, vdd : float
        Technology node and supply for Stillmaker-Baas scaling of ``table`` (45 nm = as is).
    table : EnergyTable
        Energy per operation at 45 nm (default Horowitz ISSCC 2014).
    scalesim : bool
        SCALE-Sim 3.0.0 compatibility: 1-byte words, its buffer model and its counting quirks.
    """

    rows: int = 32
    cols: int = 32
    dataflow: str = "os"
    clock_hz: float = 1e9
    ifmap_sram_bytes: int = 64 * 1024
    filter_sram_bytes: int = 64 * 1024
    ofmap_sram_bytes: int = 64 * 1024
    active_fraction: float = 0.5
    dram_pj_per_bit: float = 20.0
    dram_bytes_per_cycle: float = 32.0
    node_nm: float = 45
    vdd: float = 0.8
    table: EnergyTable = field(default=HOROWITZ_45NM, repr=False)
    scalesim: bool = False

    def __post_init__(self):
        for name in ("rows", "cols", "ifmap_sram_bytes", "filter_sram_bytes", "ofmap_sram_bytes"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"Hardware.{name} must be a positive integer, got {v!r}")
        if self.dataflow not in DATAFLOWS:
            raise ValueError(f"unknown dataflow {self.dataflow!r}; choose one of {DATAFLOWS}")
        for name in ("clock_hz", "dram_pj_per_bit", "dram_bytes_per_cycle", "node_nm", "vdd"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"Hardware.{name} must be a positive finite number, got {v!r}")
        if not 0 < self.active_fraction <= 1:
            raise ValueError(f"active_fraction must be in (0, 1], got {self.active_fraction!r}")

    @classmethod
    def scalesim_config(cls, rows: int, cols: int, dataflow: str, ifmap_kb: int, filter_kb: int,
                        ofmap_kb: int, **kw: Any) -> Hardware:
        """Hardware matching a SCALE-Sim .cfg (SRAM sizes in kB), in compatibility mode."""
        return cls(rows=rows, cols=cols, dataflow=dataflow, ifmap_sram_bytes=1024 * ifmap_kb,
                   filter_sram_bytes=1024 * filter_kb, ofmap_sram_bytes=1024 * ofmap_kb,
                   scalesim=True, **kw)

    @property
    def energy_table(self) -> EnergyTable:
        """The energy table at this hardware's node."""
        if self.node_nm == 45:
            return self.table
        return self.table.scaled_to(self.node_nm, self.vdd)

    @property
    def macs(self) -> int:
        """Number of MAC units (rows x cols)."""
        return self.rows * self.cols

    def sram_bytes(self, operand: str) -> int:
        """SRAM capacity of ``operand`` ("ifmap", "filter", "ofmap") in bytes."""
        return getattr(self, f"{operand}_sram_bytes")
