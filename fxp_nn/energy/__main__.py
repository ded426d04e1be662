"""Command line: ``fxp-energy mlp`` (``python -m fxp_nn.energy``), a topology CSV or a saved fxp_nn model.

A user's mistake is answered with one line ``fxp-energy: error: ...`` and exit status 2.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
from dataclasses import replace

from .._argparse import OneLineParser, positive_float, positive_int
from ..checkpoint import load_model
from ..serialization import SerializationError
from .estimator import estimate
from .hardware import Hardware
from .precision import PRESETS, ROLES, ROUNDING_SITES, ROUNDINGS, NumberFormat, Precision, fixed
from .report import COMPONENTS
from .scalesim import config_text, read_topology, topology_csv
from .sweep import DEFAULT_COMPARISON, compare, table
from .workload import NAMED, as_workload, named

COMPARE_COLUMNS = ["precision", "energy_uj", "energy_ratio", "time_ms", "pj_per_mac", "tops_per_w", "dram_mb",
                   *(f"{c}_uj" for c in COMPONENTS)]
OUTPUTS = ("table", "csv", "json")
#: The GEMM phase that writes each role (its rounding is that GEMM's).
GEMM_OF_ROLE = {"activations": "forward", "errors": "input_grad", "weight_grads": "weight_grad"}
GEMM_WRITES = tuple(GEMM_OF_ROLE.values())


def _parser():
    p = OneLineParser(
        prog="fxp-energy", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Per-layer energy/time estimate of a network on a systolic-array accelerator.",
        epilog="workloads: " + "; ".join(f"{k}: {v[0]}" for k, v in NAMED.items())
        + "; a SCALE-Sim topology CSV; or a model saved with fxp_nn.save (needs --input-shape)")
    p.add_argument("workload", help="a named workload, a SCALE-Sim topology CSV or an fxp_nn model file (.npz)")
    p.add_argument("--phase", default="training", choices=("training", "inference"), help="what to cost")
    p.add_argument("--batch", type=positive_int, default=64, help="batch size of named workloads and models")
    p.add_argument("--input-shape", help="one example's shape for a model file, e.g. 784 or 1,28,28")

    prec = p.add_argument_group("precision (a preset, or formats; a model file uses its own policies)")
    prec.add_argument("--precision", choices=sorted(PRESETS),
                      help="preset (default fixed16_sr; a model file: its policies)")
    prec.add_argument("--word-bits", type=positive_int, help="fixed-point word length of every role")
    prec.add_argument("--frac-bits", type=int, help="fraction bits of every role (default: word bits - 2)")
    prec.add_argument("--acc-bits", type=positive_int, help="accumulator width (default: exact)")
    prec.add_argument("--rounding", choices=ROUNDINGS, help="rounding of every GEMM output (default stochastic)")
    prec.add_argument("--update-rounding", choices=ROUNDINGS, help="rounding of the weight update "
                      "(default: --rounding)")
    prec.add_argument("--site", choices=ROUNDING_SITES, default="writeback", help="where GEMMs round")
    prec.add_argument("--role", action="append", default=[], metavar="ROLE=FORMAT[:ROUNDING]",
                      help=f"format of one role ({', '.join(ROLES)}): an fxp format (s8.6, Q1.14) or "
                      "float32/bfloat16/float16, and optionally the rounding of the GEMM that writes it; "
                      "repeatable")
    prec.add_argument("--gemm-acc", action="append", default=[], metavar="PHASE=BITS",
                      help=f"accumulator width of one GEMM phase ({', '.join(GEMM_WRITES)}); repeatable")

    hw = p.add_argument_group("hardware")
    hw.add_argument("--rows", type=positive_int, default=32, help="array rows")
    hw.add_argument("--cols", type=positive_int, default=32, help="array columns")
    hw.add_argument("--dataflow", default="os", choices=("os", "ws"), help="output or weight stationary")
    hw.add_argument("--sram-kb", type=positive_int, nargs=3, default=(64, 64, 64),
                    metavar=("IFMAP", "FILTER", "OFMAP"), help="SRAM per operand in kB")
    hw.add_argument("--dram-pj-per-bit", type=positive_float, default=20.0, help="DRAM energy")
    hw.add_argument("--node", type=positive_float, default=45, help="technology node in nm")
    hw.add_argument("--scalesim", action="store_true",
                    help="SCALE-Sim 3.0.0 compatibility mode (1-byte words, its counts)")

    out = p.add_argument_group("output")
    out.add_argument("--compare", action="store_true",
                     help="compare " + ", ".join(DEFAULT_COMPARISON) + " instead")
    out.add_argument("--output-format", choices=OUTPUTS, default="table",
                     help="table for reading; csv or json: every record and column, for tools")
    out.add_argument("--explain", metavar="NAME", help="explain every number of one record")
    out.add_argument("--export", metavar="DIR",
                     help="write the GEMMs of --phase as SCALE-Sim topology.csv + scale.cfg into DIR")
    return p


class _UsageError(ValueError):
    """A command-line mistake found after parsing."""


def precision_from_args(args):
    """The Precision chosen by ``--precision`` / ``--word-bits`` / ``--role`` ..., or None (the model's own)."""
    custom = any(v is not None for v in (args.word_bits, args.frac_bits, args.acc_bits, args.rounding,
                                          args.update_rounding)) or args.role or args.gemm_acc \
        or args.site != "writeback"
    if args.precision and custom:
        raise _UsageError("give either --precision or formats (--word-bits, --frac-bits, --acc-bits, "
                          "--rounding, --role, --site), not both")
    if not custom:
        return PRESETS[args.precision]() if args.precision else None
    bits = args.word_bits or 16
    if args.frac_bits is not None and args.word_bits is None:
        raise _UsageError("--frac-bits needs --word-bits")
    base = Precision.fixed(bits, args.frac_bits, args.rounding or "stochastic", args.acc_bits, args.site)
    roles, rounding, labels = {}, {}, []
    for item in args.role:
        role, sep, spec = item.partition("=")
        if not sep or role not in ROLES:
            raise _UsageError(f"--role takes ROLE=FORMAT[:ROUNDING] with ROLE one of {', '.join(ROLES)}, "
                              f"got {item!r}")
        spec, _, mode = spec.partition(":")
        roles[role] = NumberFormat.of(spec)
        labels.append(f"{role}={roles[role]}" + (f" {mode}" if mode else ""))
        if mode:
            if mode not in ROUNDINGS:
                raise _UsageError(f"--role {item}: unknown rounding {mode!r}; choose one of {', '.join(ROUNDINGS)}")
            if role == "weights":
                raise _UsageError("--role weights: the weights are written by the update; use --update-rounding")
            rounding[GEMM_OF_ROLE[role]] = mode
    gemm_acc = {}
    for item in args.gemm_acc:
        phase, sep, width = item.partition("=")
        if not sep or phase not in GEMM_WRITES or not width.isdigit() or int(width) < 2:
            raise _UsageError(f"--gemm-acc takes PHASE=BITS with PHASE one of {', '.join(GEMM_WRITES)} and "
                              f"BITS >= 2, got {item!r}")
        gemm_acc[phase] = int(width)
        labels.append(f"{phase} acc{width}")
    fmt = fixed(bits, args.frac_bits)
    name = ", ".join([f"fixed{bits}.{fmt.frac_bits} {base.rounding}"]
                     + ([f"acc{args.acc_bits}"] if args.acc_bits else []) + labels)
    return replace(base, **roles, update_rounding=args.update_rounding or base.rounding, name=name,
                   gemm_rounding=tuple(rounding.items()), gemm_acc=tuple(gemm_acc.items()))


def _workload(args):
    if args.workload.endswith(".npz"):
        if not args.input_shape:
            raise _UsageError("a model file needs --input-shape (one example's shape, e.g. 784 or 1,28,28)")
        try:
            shape = tuple(int(d) for d in args.input_shape.split(","))
        except ValueError:
            raise _UsageError(f"--input-shape must be integers separated by commas, got {args.input_shape!r}") \
                from None
        return load_model(args.workload), shape
    if os.path.exists(args.workload):
        return read_topology(args.workload), None
    return named(args.workload, args.batch), None


def _emit(rows, columns, output):
    """``rows`` (dicts) as a text table, CSV (every column) or JSON."""
    if output == "json":
        return json.dumps([{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                           for r in rows], indent=1)
    if output == "csv":
        keys = list(dict.fromkeys(k for r in rows for k in r))
        buf = io.StringIO()
        writer = csv.DictWriter(buf, keys, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")
    return table(rows, columns)


def main(argv=None):
    """Entry point of ``fxp-energy`` / ``python -m fxp_nn.energy``; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except (ValueError, TypeError, KeyError, OSError, SerializationError) as exc:
        return parser.fail(exc.args[0] if isinstance(exc, KeyError) else exc)


def _run(args):
    chosen = precision_from_args(args)
    work, input_shape = _workload(args)
    # a model file is costed in its own policies unless a precision is chosen
    precision = chosen if chosen is not None or input_shape is not None else PRESETS["fixed16_sr"]()
    hw = Hardware(rows=args.rows, cols=args.cols, dataflow=args.dataflow,
                  ifmap_sram_bytes=1024 * args.sram_kb[0], filter_sram_bytes=1024 * args.sram_kb[1],
                  ofmap_sram_bytes=1024 * args.sram_kb[2], dram_pj_per_bit=args.dram_pj_per_bit,
                  node_nm=args.node, scalesim=args.scalesim)
    if args.export:
        os.makedirs(args.export, exist_ok=True)
        items = as_workload(work, args.phase, input_shape, args.batch)
        with open(os.path.join(args.export, "topology.csv"), "w") as fh:
            fh.write(topology_csv(items))
        with open(os.path.join(args.export, "scale.cfg"), "w") as fh:
            fh.write(config_text(hw))
        print(f"wrote {args.export}/topology.csv and {args.export}/scale.cfg")
        return 0
    kw = dict(hardware=hw, phase=args.phase, input_shape=input_shape, batch_size=args.batch)
    if args.compare:
        presets = list(DEFAULT_COMPARISON) + ([chosen] if chosen is not None else [])
        print(_emit(compare(work, presets, **kw), COMPARE_COLUMNS, args.output_format))
        return 0
    report = estimate(work, precision=precision, **kw)
    if args.explain:
        explanation = report.explain(args.explain)
    if args.output_format == "table":
        print(report.table())
        print(report.summary())
    else:
        rows = report.to_records() + [{**report.totals, "name": "TOTAL", "layer": "", "phase": "total"}]
        print(_emit(rows, None, args.output_format))
    if args.explain:
        print(explanation)
    return 0


if __name__ == "__main__":
    sys.exit(main())
