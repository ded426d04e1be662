"""Command line: ``python -m fxp_nn.energy mlp`` or ``fxp-energy topology.csv --scalesim``."""
from __future__ import annotations

import argparse
import os
import sys

from .hardware import Hardware
from .estimator import estimate
from .precision import PRESETS
from .scalesim import config_text, read_topology, topology_csv
from .sweep import DEFAULT_COMPARISON, compare, table
from .workload import NAMED, as_workload, named


def _parser():
    p = argparse.ArgumentParser(
        prog="fxp-energy", description="Per-layer energy/time estimate of a network on a "
        "systolic-array accelerator.",
        epilog="workloads: " + "; ".join(f"{k}: {v[0]}" for k, v in NAMED.items()))
    p.add_argument("workload", help="a named workload or a SCALE-Sim topology CSV")
    p.add_argument("--precision", default="fixed16_sr", choices=sorted(PRESETS))
    p.add_argument("--phase", default="training", choices=("training", "inference"))
    p.add_argument("--batch", type=int, default=64, help="batch size of named workloads")
    p.add_argument("--rows", type=int, default=32)
    p.add_argument("--cols", type=int, default=32)
    p.add_argument("--dataflow", default="os", choices=("os", "ws"))
    p.add_argument("--sram-kb", type=int, nargs=3, default=(64, 64, 64),
                   metavar=("IFMAP", "FILTER", "OFMAP"))
    p.add_argument("--dram-pj-per-bit", type=float, default=20.0)
    p.add_argument("--node", type=float, default=45, help="technology node in nm")
    p.add_argument("--scalesim", action="store_true",
                   help="SCALE-Sim 3.0.0 compatibility mode (1-byte words, its counts)")
    p.add_argument("--compare", action="store_true",
                   help="compare " + ", ".join(DEFAULT_COMPARISON) + " instead")
    p.add_argument("--explain", metavar="NAME", help="explain every number of one record")
    p.add_argument("--export", metavar="DIR",
                   help="write the GEMMs of --phase as SCALE-Sim topology.csv + scale.cfg into DIR")
    return p


def main(argv=None):
    """Entry point of ``fxp-energy`` / ``python -m fxp_nn.energy``."""
    args = _parser().parse_args(argv)
    try:
        if os.path.exists(args.workload):
            forward = read_topology(args.workload)
        else:
            forward = named(args.workload, args.batch)
        hw = Hardware(rows=args.rows, cols=args.cols, dataflow=args.dataflow,
                      ifmap_sram_bytes=1024 * args.sram_kb[0],
                      filter_sram_bytes=1024 * args.sram_kb[1],
                      ofmap_sram_bytes=1024 * args.sram_kb[2],
                      dram_pj_per_bit=args.dram_pj_per_bit, node_nm=args.node,
                      scalesim=args.scalesim)
        if args.export:
            os.makedirs(args.export, exist_ok=True)
            with open(os.path.join(args.export, "topology.csv"), "w") as fh:
                fh.write(topology_csv(as_workload(forward, args.phase)))
            with open(os.path.join(args.export, "scale.cfg"), "w") as fh:
                fh.write(config_text(hw))
            print(f"wrote {args.export}/topology.csv and {args.export}/scale.cfg")
            return 0
        if args.compare:
            rows = compare(forward, hardware=hw, phase=args.phase)
            print(table(rows, ["precision", "energy_uj", "energy_ratio", "time_ms", "pj_per_mac",
                               "tops_per_w", "dram_mb", "multiply_uj", "accumulate_uj",
                               "rounding_uj", "rng_uj", "registers_uj", "sram_uj", "dram_uj"]))
            return 0
        report = estimate(forward, hw, args.precision, phase=args.phase)
    except (ValueError, TypeError, OSError) as exc:
        print(f"fxp-energy: error: {exc}", file=sys.stderr)
        return 2
    print(report.table())
    print(report.summary())
    if args.explain:
        try:
            print(report.explain(args.explain))
        except KeyError as exc:
            print(f"fxp-energy: error: {exc.args[0]}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
