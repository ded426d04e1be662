"""The cost model: counts x per-operation energies for every GEMM and weight update."""
from __future__ import annotations

from typing import Any, Literal

from .dataflow import gemm_counts, gemm_dims
from .hardware import Hardware
from .precision import NumberFormat, as_precision
from .report import Report
from .tables import SOURCES
from .workload import Gemm, Update, as_workload

_MANTISSA = {"float16": 10, "bfloat16": 7, "float32": 23}


def _significand(fmt):
    return fmt.bits if not fmt.is_float else _MANTISSA[fmt.kind] + 1


def _mult(table, a, b):
    if a.is_float:
        return table.float_mult(a.kind if a.bits >= b.bits else b.kind)
    return table.mult(a.bits, b.bits)


def _add(table, fmt):
    return table.float_add(fmt.kind) if fmt.is_float else table.add(fmt.bits)


def _float_discarded(acc, out):
    return max(_MANTISSA.get(acc.kind, 0) - _MANTISSA.get(out.kind, 0), 0)


def _rounding_cost(table, rounding, out, dropped):
    """(pJ of the rounding logic, pJ of the random bits, explanation) per rounding event.

    floor drops bits for free; nearest and toward-zero add one increment of the output width;
    stochastic adds the r random bits to the r discarded bits (r-bit add), then the increment,
    and draws r bits from an LFSR/xorshift (r flip-flop updates) [SR assumption].
    """
    if dropped == 0 or rounding == "floor":
        return 0.0, 0.0, "no rounding logic (exact, or floor = drop bits)"
    inc = table.add(_significand(out))
    if rounding != "stochastic":
        return inc.pj, 0.0, f"{rounding}: one increment {inc}"
    add = table.add(dropped)
    rng = table.register(dropped)
    return (add.pj + inc.pj, rng.pj,
            f"stochastic, r={dropped}: {add} + {inc}; RNG r flip-flops {rng} [SR]")


def _gemm_record(g, hw, table, precision):
    fmt = g.fmt or precision.gemm(g.phase)
    dims = gemm_dims(g, hw.scalesim)
    acc = fmt.accumulator(dims.k)
    bits = {"ifmap": fmt.a.bits, "filter": fmt.b.bits, "ofmap": fmt.out.bits, "acc": acc.bits}
    c = gemm_counts(dims, hw, bits)
    if hw.scalesim:
        bits = dict.fromkeys(bits, 8)
    macs = dims.m * dims.n * dims.k
    e_mult, e_add = _mult(table, fmt.a, fmt.b), _add(table, acc)
    if fmt.site == "accumulate":
        events = macs
        r = fmt.discarded_bits(dims.k)
    else:
        events = dims.m * dims.n
        r = _float_discarded(acc, fmt.out) if fmt.out.is_float else fmt.discarded_bits(dims.k)
    round_pj, rng_pj, round_why = _rounding_cost(table, fmt.rounding, fmt.out, r)
    if not round_pj and not rng_pj:
        events = 0 if r == 0 else events
    reg_bits = fmt.a.bits + acc.bits + (fmt.b.bits if hw.dataflow == "os" else 0)
    reg_loads = 0 if hw.dataflow == "os" else c.sram_reads["filter"] * fmt.b.bits
    e_reg = table.register(1).pj * (macs * reg_bits + reg_loads)

    sram = {op: table.sram(bits[op], hw.sram_bytes(op)) for op in ("ifmap", "filter")}
    psum_sram = table.sram(bits["acc"], hw.ofmap_sram_bytes)
    out_sram = table.sram(bits["ofmap"], hw.ofmap_sram_bytes)
    ofmap_writes = c.sram_writes["ofmap"]
    final_writes = min(ofmap_writes, dims.m * dims.n)
    e_sram = (c.sram_reads["ifmap"] * sram["ifmap"].pj + c.sram_reads["filter"] * sram["filter"].pj
              + (ofmap_writes - final_writes + c.sram_reads["ofmap"]) * psum_sram.pj
              + final_writes * out_sram.pj)
    dram_bits = {"ifmap": c.dram_reads["ifmap"] * bits["ifmap"],
                 "filter": c.dram_reads["filter"] * bits["filter"],
                 "ofmap": (c.dram_writes["ofmap"] - c.psum_dram_words) * bits["ofmap"]
                 + (c.psum_dram_words + c.dram_reads["ofmap"]) * bits["acc"]}
    total_dram_bits = sum(dram_bits.values())
    energy = {"multiply": macs * e_mult.pj, "accumulate": macs * e_add.pj,
              "rounding": events * round_pj, "rng": events * rng_pj, "registers": e_reg,
              "sram": e_sram, "dram": total_dram_bits * hw.dram_pj_per_bit}
    dram_cycles = total_dram_bits / 8 / hw.dram_bytes_per_cycle
    rec = _base(g.name, g.layer, g.phase, hw, c.compute_cycles, dram_cycles, macs, energy)
    rec.update(m=dims.m, n=dims.n, k=dims.k, folds=c.row_fold * c.col_fold,
               a_bits=bits["ifmap"], b_bits=bits["filter"], out_bits=bits["ofmap"],
               acc_bits=acc.bits, rounding=fmt.rounding, rounding_site=fmt.site,
               rounding_events=events, random_bits=events * r if fmt.rounding == "stochastic"
               else 0,
               sram_reads_ifmap=c.sram_reads["ifmap"], sram_reads_filter=c.sram_reads["filter"],
               sram_reads_ofmap=c.sram_reads["ofmap"], sram_writes_ofmap=ofmap_writes,
               dram_reads_ifmap=c.dram_reads["ifmap"], dram_reads_filter=c.dram_reads["filter"],
               dram_reads_ofmap=c.dram_reads["ofmap"], dram_writes_ofmap=c.dram_writes["ofmap"],
               dram_bytes=total_dram_bits / 8)
    f = c.formulas
    why = {
        "macs": f"M·N·K = {dims.m}·{dims.n}·{dims.k}",
        "compute_cycles": f"{f['compute_cycles']} with R={hw.rows}, C={hw.cols}, row_fold="
                          f"{c.row_fold}, col_fold={c.col_fold} ({hw.dataflow.upper()})",
        "dram_cycles": f"DRAM bytes / {hw.dram_bytes_per_cycle:g} B per cycle",
        "multiply": f"MACs x {e_mult} = {macs} x {e_mult.pj:.4g} pJ",
        "accumulate": f"MACs x {e_add} (accumulator {acc}) = {macs} x {e_add.pj:.4g} pJ",
        "rounding": f"{events} events ({fmt.site}) x {round_pj:.4g} pJ; {round_why}",
        "rng": f"{events} events x {rng_pj:.4g} pJ ({r} random bits each) [SR]",
        "registers": f"(MACs·{reg_bits} bits" + (" + weight loads" if reg_loads else "")
                     + f") x {table.register(1)}",
        "sram": f"ifmap {f['sram_reads_ifmap']}={c.sram_reads['ifmap']} x {sram['ifmap']}; "
                f"filter {f['sram_reads_filter']}={c.sram_reads['filter']} x {sram['filter']}; "
                f"ofmap writes {f['sram_writes_ofmap']}={ofmap_writes}: {final_writes} outputs x "
                f"{out_sram} + {ofmap_writes - final_writes} writes and {c.sram_reads['ofmap']} "
                f"reads of partial sums x {psum_sram} [{SOURCES['WR']}]",
        "dram": f"{total_dram_bits:.0f} bits x {hw.dram_pj_per_bit:g} pJ/bit; ifmap "
                f"{f['dram_reads_ifmap']}; {f['dram_reads_filter']}; ofmap "
                f"{f['dram_writes_ofmap']}",
    }
    return rec, why


def _update_record(u, hw, table, precision):
    w, g = precision.weights, precision.weight_grads
    p = u.params
    e_mult, e_add = _mult(table, g, w), _add(table, w)
    r = _float_discarded(NumberFormat("float32", 32), w) if w.is_float else g.frac_bits
    round_pj, rng_pj, round_why = _rounding_cost(table, precision.update_rounding, w, r)
    events = p if (round_pj or rng_pj) else 0
    dram_bits = p * (2 * w.bits + g.bits)
    energy = {"multiply": p * e_mult.pj, "accumulate": p * e_add.pj,
              "rounding": events * round_pj, "rng": events * rng_pj,
              "registers": p * (2 * w.bits + g.bits) * table.register(1).pj, "sram": 0.0,
              "dram": dram_bits * hw.dram_pj_per_bit}
    compute_cycles = -(-p // hw.cols)
    rec = _base(u.name, u.layer, "update", hw, compute_cycles,
                dram_bits / 8 / hw.dram_bytes_per_cycle, 0, energy)
    rec.update(params=p, rounding=precision.update_rounding, rounding_site="update",
               rounding_events=events, random_bits=events * r
               if precision.update_rounding == "stochastic" else 0, dram_bytes=dram_bits / 8,
               dram_reads_filter=2 * p, dram_writes_ofmap=p, a_bits=g.bits, b_bits=w.bits,
               out_bits=w.bits)
    why = {"multiply": f"params x {e_mult} (lr·g) = {p} x {e_mult.pj:.4g} pJ",
           "accumulate": f"params x {e_add} (w - lr·g)",
           "rounding": f"{events} events (at the weight update) x {round_pj:.4g} pJ; {round_why}",
           "rng": f"{events} events x {rng_pj:.4g} pJ ({r} random bits each) [SR]",
           "registers": f"params·(2·{w.bits} + {g.bits}) bits x {table.register(1)}",
           "sram": "streamed from DRAM through the array's columns (no SRAM reuse)",
           "dram": f"read w, read g, write w: {p}·(2·{w.bits} + {g.bits}) bits x "
                   f"{hw.dram_pj_per_bit:g} pJ/bit",
           "compute_cycles": f"ceil(params / C) = ceil({p} / {hw.cols})"}
    return rec, why


def _base(name, layer, phase, hw, compute_cycles, dram_cycles, macs, energy):
    cycles = max(compute_cycles, dram_cycles)
    total = sum(energy.values())
    rec = {"name": name, "layer": layer, "phase": phase, "dataflow": hw.dataflow,
           "array": f"{hw.rows}x{hw.cols}", "macs": macs, "compute_cycles": compute_cycles,
           "dram_cycles": dram_cycles, "cycles": cycles,
           "memory_bound_cycles": max(dram_cycles - compute_cycles, 0),
           "utilization": macs / (cycles * hw.macs) if cycles else 0.0,
           "time_s": cycles / hw.clock_hz}
    rec.update({f"e_{k}_pj": v for k, v in energy.items()})
    rec["e_total_pj"] = total
    rec["pj_per_mac"] = total / macs if macs else float("nan")
    return rec


def estimate(workload_or_model: Any, hardware: Hardware | None = None, precision: Any = None,
             phase: Literal["training", "inference"] = "training",
             input_shape: tuple[int, ...] | None = None, batch_size: int = 1) -> Report:
    """Energy and time of running a workload on an accelerator.

    Parameters
    ----------
    workload_or_model : fxp_nn model (``.layers``), list of layers, or list of ``Gemm``/``Update``
        A list of forward GEMMs is expanded into a training step when ``phase="training"``.
    hardware : Hardware, optional
        Default: 32x32 output-stationary array, 64 kB per operand, Horowitz 45 nm table.
    precision : Precision, preset name ("float32", "bfloat16", "float16", "fixed16_sr", "int8"),
        or an ``fxp_nn.PrecisionPolicy``; default: the model's ``.policy``, else float32. A layer
        with its own ``.policy`` is costed in that policy.
    phase : {"training", "inference"}
    input_shape : tuple
        One sample's shape for a model: ``(features,)`` or ``(C, H, W)``.
    batch_size : int

    Returns
    -------
    Report
        Per-layer/phase records, totals, ``.table()``, ``.explain()``, ``.to_records()``.
    """
    hw = Hardware() if hardware is None else hardware
    if not isinstance(hw, Hardware):
        raise TypeError(f"hardware must be a Hardware, got {type(hw).__name__}")
    if precision is None:
        precision = getattr(workload_or_model, "policy", None)
    prec = as_precision(precision)
    items = as_workload(workload_or_model, phase, input_shape, batch_size)
    table = hw.energy_table
    records, explain = [], {}
    for item in items:
        if isinstance(item, Gemm):
            rec, why = _gemm_record(item, hw, table, item.precision or prec)
        elif isinstance(item, Update):
            rec, why = _update_record(item, hw, table, item.precision or prec)
        else:
            raise TypeError(f"workload items must be Gemm or Update, got {type(item).__name__}")
        why["time_s"] = (f"max(compute {rec['compute_cycles']:,}, DRAM {rec['dram_cycles']:,.0f}) "
                         f"cycles / {hw.clock_hz:g} Hz")
        records.append(rec)
        explain[item.name] = why
    return Report(records, explain, hw, prec, table)
