"""Closed-form systolic-array counts per GEMM: folds, compute cycles, SRAM accesses per operand
and DRAM traffic given SRAM capacity in words.

Mapping (SCALE-Sim's): output stationary puts M (output rows) on array rows and N on columns and
streams K; weight stationary puts K on rows and N on columns and streams M. Folds run column fold
outer, row fold inner. Each fold costs the streamed length plus the pipeline fill and drain:

* OS: ``folds · (K + R + C - 2)`` cycles; reads ifmap ``col_fold·M·K``, filter ``row_fold·K·N``;
  writes ``M·N`` outputs.
* WS: ``folds · (2R + C + M - 2)`` cycles; reads ifmap ``col_fold·M·K``, filter ``K·N``; writes
  ``row_fold·M·N`` partial sums and reads back ``(row_fold - 1)·M·N`` of them to accumulate.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from .buffer_replay import flush_misses, ifmap_stream, im2col_addresses


@dataclass(frozen=True)
class Dims:
    """GEMM dimensions as the array sees them, and the ifmap's distinct-element footprint
    (smaller than M·K for a convolution, whose im2col matrix repeats input pixels)."""

    m: int
    n: int
    k: int
    ifmap_footprint: int
    conv: object = None
    out_hw: tuple = (0, 0)


def gemm_dims(gemm, scalesim=False):
    """``Dims`` of ``gemm``; in SCALE-Sim mode a convolution's output size uses SCALE-Sim's
    ``ceil((H - R + stride) / stride)`` (one more row/column than the true size when the stride
    does not divide ``H - R``), with padding folded into the input size."""
    conv = gemm.conv
    if conv is None:
        return Dims(gemm.m, gemm.n, gemm.k, gemm.m * gemm.k)
    (sh, sw), (ph, pw) = conv.stride, conv.padding
    e, f = conv.out_hw
    batch = gemm.m // (e * f)
    h, w = conv.h + 2 * ph, conv.w + 2 * pw
    if scalesim:
        e, f = math.ceil((h - conv.r + sh) / sh), math.ceil((w - conv.s + sw) / sw)
    rows = min(conv.h, (e - 1) * sh + conv.r)
    cols = min(conv.w, (f - 1) * sw + conv.s)
    return Dims(batch * e * f, gemm.n, gemm.k, batch * rows * cols * conv.c, conv, (e, f))


def buffer_words(capacity_bytes, word_bits, active_fraction, scalesim=False):
    """Words of the working-set half of a double-buffered SRAM.

    SCALE-Sim (read_buffer_estimate_bw) splits the buffer into 100 sets of
    ``floor(bytes / 100)`` one-byte words and keeps 50 of them active.
    """
    if scalesim:
        return 50 * (capacity_bytes // 100)
    return int(capacity_bytes * 8 * active_fraction // word_bits)


def _passes_flush(size, repeats, words, fill):
    """Misses of ``repeats`` identical passes over ``size`` distinct addresses in SCALE-Sim's
    estimate-bandwidth read buffer, which forgets everything each time ``words`` new addresses
    have been fetched. ``fill`` = addresses fetched since the last flush; returns (misses, fill)."""
    misses, cached = 0, 0          # cached: length of this block's suffix still in the buffer
    for _ in range(repeats):
        if cached >= size:
            break
        if fill + size - cached < words:
            misses += size - cached
            fill += size - cached
            cached = size
        else:                      # the buffer flushes inside the pass: the rest all misses
            misses += size
            fill = (fill + size) % words
            cached = min(fill, size)
    return misses, fill


def stream_reads(blocks, words, scalesim=False):
    """DRAM reads of an operand streamed as ``blocks`` [(distinct size, repeats), ...].

    Our model: a block that fits in ``words`` is fetched once, otherwise once per repeat.
    SCALE-Sim mode replays its flush-on-full buffer exactly for distinct-address blocks.
    """
    if scalesim:
        if words <= 0:      # fewer than 100 bytes: SCALE-Sim never closes a set, never refetches
            return sum(size for size, _ in blocks)
        total, fill = 0, 0
        for size, repeats in blocks:
            misses, fill = _passes_flush(size, repeats, words, fill)
            total += misses
        return total
    return sum(size if size <= words else size * repeats for size, repeats in blocks)


@functools.lru_cache(maxsize=256)
def _replayed_ifmap_reads(dims, dataflow, rows, cols, words):
    """SCALE-Sim's ifmap DRAM reads of a convolution, replayed on its address stream."""
    addr = im2col_addresses(dims.conv, *dims.out_hw, batch=dims.m // math.prod(dims.out_hw))
    return flush_misses(ifmap_stream(addr, dataflow, rows, cols, dims.n), words)


def _ifmap_blocks(dims, hw, row_fold, col_fold, words):
    """How the ifmap streams: [(distinct words, repeats), ...].

    OS re-reads the whole ifmap once per column fold. WS reads, per fold, the im2col columns
    of R window positions for all M rows; when the ifmap does not fit, every fold's
    ``min(M·R, footprint)`` words come from DRAM again (a convolution's kernel positions reuse
    the same pixels only a whole channel sweep later).
    """
    footprint = dims.ifmap_footprint
    if hw.dataflow == "os" or footprint <= words:
        return [(footprint, col_fold)]
    last = dims.k - (row_fold - 1) * hw.rows
    per_pass = [(min(dims.m * hw.rows, footprint), 1)] * (row_fold - 1) + \
               [(min(dims.m * last, footprint), 1)]
    return per_pass * col_fold


@dataclass
class Counts:
    """Access and cycle counts of one GEMM (words are of each operand's own width)."""

    row_fold: int
    col_fold: int
    compute_cycles: int
    sram_reads: dict
    sram_writes: dict
    dram_reads: dict
    dram_writes: dict
    psum_dram_words: int     # ofmap DRAM writes/reads that are spilled partial sums
    formulas: dict


def gemm_counts(dims, hw, bits):
    """Cycle and access counts of a GEMM with ``dims`` on ``hw``.

    ``bits`` maps "ifmap", "filter", "ofmap", "acc" to word widths (capacity in words follows
    from them; SCALE-Sim mode uses 1-byte words).
    """
    m, n, k = dims.m, dims.n, dims.k
    r, c = hw.rows, hw.cols
    ss = hw.scalesim
    if ss:
        bits = dict.fromkeys(bits, 8)
    words = {op: buffer_words(hw.sram_bytes(op), bits[op], hw.active_fraction, ss)
             for op in ("ifmap", "filter")}
    if hw.dataflow == "os":
        row_fold, col_fold = math.ceil(m / r), math.ceil(n / c)
        per_fold, fold_f = k + r + c - 2, "K + R + C - 2"
        sram_reads = {"ifmap": col_fold * m * k, "filter": row_fold * k * n, "ofmap": 0}
        ofmap_writes = m * n
        last_cols = n - (col_fold - 1) * c
        filter_blocks = [(k * c, row_fold)] * (col_fold - 1) + [(k * last_cols, row_fold)]
        formulas = {"sram_reads_ifmap": "col_fold·M·K", "sram_reads_filter": "row_fold·K·N",
                    "sram_writes_ofmap": "M·N"}
        if ss:       # SCALE-Sim adds R + C to the write count of every fold (its OS quirk)
            ofmap_writes += row_fold * col_fold * (r + c)
            formulas["sram_writes_ofmap"] = "M·N + folds·(R + C)  [SCALE-Sim OS count]"
        psum_dram = 0
    else:
        row_fold, col_fold = math.ceil(k / r), math.ceil(n / c)
        per_fold, fold_f = 2 * r + c + m - 2, "2R + C + M - 2"
        psum = (row_fold - 1) * m * n
        sram_reads = {"ifmap": col_fold * m * k, "filter": k * n, "ofmap": 0 if ss else psum}
        ofmap_writes = row_fold * m * n
        filter_blocks = [(k * n, 1)]
        formulas = {"sram_reads_ifmap": "col_fold·M·K", "sram_reads_filter": "K·N",
                    "sram_writes_ofmap": "row_fold·M·N (partial sums)",
                    "sram_reads_ofmap": "(row_fold - 1)·M·N partial sums read back"}
        psum_cap = buffer_words(hw.ofmap_sram_bytes, bits["acc"], hw.active_fraction, ss)
        psum_dram = psum if (ss or m * min(n, c) > psum_cap) else 0
        if ss:
            formulas["sram_reads_ofmap"] = "0  [SCALE-Sim counts no partial-sum reads]"
    folds = row_fold * col_fold
    cycles = folds * per_fold - (1 if ss else 0)
    formulas["compute_cycles"] = f"row_fold·col_fold·({fold_f})" + (
        " - 1  [SCALE-Sim reports the last cycle's index]" if ss else "")
    if ss and dims.conv is not None and dims.ifmap_footprint > words["ifmap"]:
        ifmap_dram = _replayed_ifmap_reads(dims, hw.dataflow, r, c, words["ifmap"])
    else:
        ifmap_dram = stream_reads(_ifmap_blocks(dims, hw, row_fold, col_fold, words["ifmap"]),
                                  words["ifmap"], ss)
    filter_dram = stream_reads(filter_blocks, words["filter"], ss)
    formulas["dram_reads_ifmap"] = (f"ifmap footprint {dims.ifmap_footprint} words, "
                                    f"{col_fold} column-fold passes, buffer {words['ifmap']} "
                                    f"words ({hw.dataflow.upper()} reuse rule)")
    formulas["dram_reads_filter"] = f"filter {k}x{n} words, buffer {words['filter']} words"
    dram_writes = {"ofmap": m * n + psum_dram}
    dram_reads = {"ifmap": ifmap_dram, "filter": filter_dram, "ofmap": 0 if ss else psum_dram}
    formulas["dram_writes_ofmap"] = "M·N" + (" + (row_fold - 1)·M·N spilled partial sums"
                                             if psum_dram else "")
    return Counts(row_fold, col_fold, cycles, sram_reads, {"ofmap": ofmap_writes},
                  dram_reads, dram_writes, psum_dram, formulas)
