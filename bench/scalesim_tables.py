"""Print the side-by-side tables of docs/results/energy-validation.md (computed, not timed).

Run from the repository root::

    python bench/scalesim_tables.py

SCALE-Sim 3.0.0's counts come from ``tests/fxp_nn/energy/data/scalesim_3.0.0_reference.csv`` (recorded
from real SCALE-Sim runs; docs/energy-validation.md says how to repeat them); ours are computed by
``fxp_nn.energy.scalesim.expected_counts`` in compatibility mode.
"""
from pathlib import Path

from fxp_nn.energy import Hardware
from fxp_nn.energy.scalesim import expected_counts, read_recorded_runs, read_topology

DATA = Path(__file__).resolve().parent.parent / "tests" / "fxp_nn" / "energy" / "data"
EXACT = ("compute_cycles", "sram_reads_ifmap", "sram_reads_filter", "sram_writes_ofmap")
DRAM = ("dram_reads_ifmap", "dram_reads_filter", "dram_writes_ofmap")


def ours(run):
    topology, array, dataflow, sram_kb = run
    rows, cols = map(int, array.split("x"))
    hw = Hardware.scalesim_config(rows, cols, dataflow, *map(int, sram_kb.split(",")))
    return expected_counts(read_topology(DATA / f"{topology}.csv"), hw)


def exact(o, ref):
    return f"{ref:,} =" if o == ref else f"{o:,} / {ref:,}"


def pair(o, ref):
    return f"{o:,} / {ref:,}" + ("" if o == ref else f" ({100 * (o - ref) / ref:+.2f}%)")


def main():
    grouped = read_recorded_runs(DATA / "scalesim_3.0.0_reference.csv")
    print("| workload | array | df | layer | compute cycles | SRAM ifmap reads | SRAM filter reads "
          "| SRAM ofmap writes | DRAM ifmap reads ours / SCALE-Sim | DRAM filter reads ours / SCALE-Sim "
          "| DRAM ofmap writes ours / SCALE-Sim |")
    print("|---|---|---|---|" + "---:|" * 7)
    totals = []
    for run, refs in grouped.items():
        mine = ours(run)
        for o, r in zip(mine, refs):
            cells = [exact(o[k], int(r[k])) for k in EXACT] + [pair(o[k], int(r[k])) for k in DRAM]
            print(f"| {run[0]} | {run[1]} | {run[2].upper()} | {r['layer']} | " + " | ".join(cells) + " |")
        a = sum(o[k] for o in mine for k in DRAM)
        b = sum(int(r[k]) for r in refs for k in DRAM)
        totals.append((run, a, b))
    print("\nDRAM totals per run (words):\n")
    print("| workload | array | dataflow | SRAM kB (ifmap, filter, ofmap) | DRAM ours | DRAM SCALE-Sim | difference |")
    print("|---|---|---|---|---:|---:|---:|")
    for (topology, array, dataflow, sram_kb), a, b in totals:
        print(f"| {topology} | {array} | {dataflow.upper()} | {sram_kb.replace(',', ', ')} | {a:,} | {b:,} "
              f"| {100 * (a - b) / b:+.3f}% |")


if __name__ == "__main__":
    main()
