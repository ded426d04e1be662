"""SCALE-Sim 3.0.0 interoperability: topology CSV export/import, .cfg writing, reading its
reports, and the counts our compatibility mode predicts for them.

SCALE-Sim itself is not a dependency; run it in its own virtualenv (docs/energy-validation.md).
"""
from __future__ import annotations

import csv
import math
import os

from .dataflow import gemm_counts, gemm_dims
from .workload import Conv, Gemm

_GEMM_HEADER = "Layer, M, N, K,"
_CONV_HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                "Num Filter, Strides,")


def topology_csv(gemms, mode="auto"):
    """SCALE-Sim topology text for ``gemms``.

    ``mode="gemm"`` writes ``name, M, N, K,`` rows (SCALE-Sim ``-i gemm``); ``"conv"`` writes
    conv rows (padding folded into the input size; needs square strides; plain GEMMs become
    1 x K "images" with a 1 x K filter, which SCALE-Sim maps to the same M, N, K); ``"auto"`` picks
    conv if some GEMM comes from a convolution and every convolution has batch 1 (SCALE-Sim conv
    topologies have no batch), else gemm.
    """
    items = [g for g in gemms if isinstance(g, Gemm)]
    if mode == "auto":
        convs = [g for g in items if g.conv is not None]
        mode = "conv" if convs and all(g.m == math.prod(g.conv.out_hw) for g in convs) else "gemm"
    if mode not in ("gemm", "conv"):
        raise ValueError(f"mode must be 'gemm', 'conv' or 'auto', got {mode!r}")
    lines = [_GEMM_HEADER if mode == "gemm" else _CONV_HEADER]
    for g in items:
        name = g.name.replace(",", "_").replace(" ", "_")
        if mode == "gemm":
            d = gemm_dims(g)
            lines.append(f"{name}, {d.m}, {d.n}, {d.k},")
            continue
        cv = g.conv
        if cv is None:
            lines.append(f"{name}, {g.m}, {g.k}, 1, {g.k}, 1, {g.n}, 1,")
            continue
        (sh, sw), (ph, pw) = cv.stride, cv.padding
        if sh != sw:
            raise ValueError(f"SCALE-Sim conv topologies need equal strides; {g.name!r} has "
                             f"{cv.stride}")
        batch = g.m // (cv.out_hw[0] * cv.out_hw[1])
        if batch != 1:
            raise ValueError(f"SCALE-Sim conv topologies have no batch; export {g.name!r} "
                             f"(batch {batch}) with mode='gemm'")
        lines.append(f"{name}, {cv.h + 2 * ph}, {cv.w + 2 * pw}, {cv.r}, {cv.s}, {cv.c}, "
                     f"{cv.n}, {sh},")
    return "\n".join(lines) + "\n"


def _named_gemm(name, m, n, k, conv=None):
    """A GEMM whose phase and layer come from an exported name ("<layer>/input_grad", "<layer>/weight_grad")."""
    layer, _, phase = name.rpartition("/")
    if phase in ("input_grad", "weight_grad") and layer:
        return Gemm(name, m, n, k, layer, phase, conv=conv)
    return Gemm(name, m, n, k, conv=conv)


def read_topology(path):
    """GEMMs of a SCALE-Sim topology CSV (conv rows or ``name, M, N, K`` rows).

    Rows named ``<layer>/input_grad`` or ``<layer>/weight_grad`` (as :func:`topology_csv` writes
    a training step) are gradient GEMMs of that layer, so an exported training step reads back
    as the same workload instead of being expanded again.
    """
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh) if any(x.strip() for x in r)]
    if not rows:
        raise ValueError(f"{path}: empty topology file")
    gemms = []
    for lineno, row in enumerate(rows[1:], start=2):
        vals = [x.strip() for x in row if x.strip()]
        try:
            nums = [int(v) for v in vals[1:]]
        except ValueError:
            raise ValueError(f"{path}:{lineno}: non-integer field in {row!r}") from None
        if len(nums) == 3:
            gemms.append(_named_gemm(vals[0], *nums))
        elif len(nums) >= 7:
            h, w, r, s, c, n, stride = nums[:7]
            conv = Conv(h, w, c, r, s, n, (stride, stride))
            e, f = conv.out_hw
            if e < 1 or f < 1:
                raise ValueError(f"{path}:{lineno}: filter larger than the input")
            if r == 1 and c == 1 and s == w and stride == 1:   # a plain GEMM written as a 1 x K image
                gemms.append(_named_gemm(vals[0], h, n, w))
            else:
                gemms.append(_named_gemm(vals[0], e * f, n, r * s * c, conv))
        else:
            raise ValueError(f"{path}:{lineno}: expected 'name, M, N, K' or a conv row with 7 "
                             f"numbers, got {row!r}")
    return gemms


def config_text(hw, run_name="fxp_energy"):
    """A SCALE-Sim .cfg for ``hw`` (CALC bandwidth mode, no layout, no sparsity)."""
    kb = {op: hw.sram_bytes(op) // 1024 for op in ("ifmap", "filter", "ofmap")}
    if any(kb[op] * 1024 != hw.sram_bytes(op) for op in kb):
        raise ValueError("SCALE-Sim SRAM sizes are whole kB")
    return f"""[general]
run_name = {run_name}

[architecture_presets]
ArrayHeight: {hw.rows}
ArrayWidth: {hw.cols}
IfmapSramSzkB: {kb['ifmap']}
FilterSramSzkB: {kb['filter']}
OfmapSramSzkB: {kb['ofmap']}
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Bandwidth : 10
Dataflow : {hw.dataflow}
MemoryBanks: 1
ReadRequestBuffer: 512
WriteRequestBuffer: 512

[layout]
IfmapCustomLayout: False
FilterCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport: false

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


#: Report columns compared, as (our key, SCALE-Sim report file, column name).
COLUMNS = (
    ("compute_cycles", "COMPUTE_REPORT.csv", "Total Cycles"),
    ("sram_reads_ifmap", "DETAILED_ACCESS_REPORT.csv", "SRAM IFMAP Reads"),
    ("sram_reads_filter", "DETAILED_ACCESS_REPORT.csv", "SRAM Filter Reads"),
    ("sram_writes_ofmap", "DETAILED_ACCESS_REPORT.csv", "SRAM OFMAP Writes"),
    ("dram_reads_ifmap", "DETAILED_ACCESS_REPORT.csv", "DRAM IFMAP Reads"),
    ("dram_reads_filter", "DETAILED_ACCESS_REPORT.csv", "DRAM Filter Reads"),
    ("dram_writes_ofmap", "DETAILED_ACCESS_REPORT.csv", "DRAM OFMAP Writes"),
)


def read_reports(run_dir):
    """Per-layer counts from a SCALE-Sim run directory, as dicts keyed like ``COLUMNS``."""
    tables = {}
    for fname in {f for _, f, _ in COLUMNS}:
        path = os.path.join(run_dir, fname)
        with open(path, newline="") as fh:
            rows = [[x.strip() for x in r] for r in csv.reader(fh) if r]
        header = rows[0]
        tables[fname] = [dict(zip(header, r)) for r in rows[1:]]
    n = len(tables["COMPUTE_REPORT.csv"])
    return [{key: int(float(tables[f][i][col])) for key, f, col in COLUMNS} for i in range(n)]


def read_recorded_runs(path):
    """Per-layer counts of several SCALE-Sim runs recorded in one CSV (columns ``topology``,
    ``array``, ``dataflow``, ``sram_kb`` and the keys of ``COLUMNS``), grouped by run.

    Returns
    -------
    dict
        ``(topology, array, dataflow, sram_kb) -> [row dict per layer]``, runs in file order.
    """
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    runs = {}
    for r in rows:
        runs.setdefault((r["topology"], r["array"], r["dataflow"], r["sram_kb"]), []).append(r)
    return runs


def expected_counts(gemms, hw):
    """What SCALE-Sim reports per layer for ``gemms`` on ``hw`` (compatibility mode), as dicts
    keyed like ``COLUMNS``."""
    if not hw.scalesim:
        raise ValueError("expected_counts needs Hardware(..., scalesim=True)")
    out = []
    bits = dict.fromkeys(("ifmap", "filter", "ofmap", "acc"), 8)
    for g in gemms:
        c = gemm_counts(gemm_dims(g, scalesim=True), hw, bits)
        out.append({"compute_cycles": c.compute_cycles,
                    "sram_reads_ifmap": c.sram_reads["ifmap"],
                    "sram_reads_filter": c.sram_reads["filter"],
                    "sram_writes_ofmap": c.sram_writes["ofmap"],
                    "dram_reads_ifmap": c.dram_reads["ifmap"],
                    "dram_reads_filter": c.dram_reads["filter"],
                    "dram_writes_ofmap": c.dram_writes["ofmap"]})
    return out


def compare(gemms, hw, run_dir):
    """Side-by-side records (ours vs SCALE-Sim) for one run directory."""
    theirs = read_reports(run_dir)
    ours = expected_counts(gemms, hw)
    if len(theirs) != len(ours):
        raise ValueError(f"{run_dir}: {len(theirs)} layers in the reports, {len(ours)} GEMMs")
    records = []
    for g, o, t in zip(gemms, ours, theirs):
        for key, _, _ in COLUMNS:
            records.append({"array": f"{hw.rows}x{hw.cols}", "dataflow": hw.dataflow,
                            "layer": g.name, "quantity": key, "ours": o[key],
                            "scalesim": t[key],
                            "rel_diff": (o[key] - t[key]) / t[key] if t[key] else 0.0})
    return records
