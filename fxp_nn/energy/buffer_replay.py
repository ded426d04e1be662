"""Exact replay of SCALE-Sim's estimate-bandwidth read buffer on a convolution's ifmap address
stream (compatibility mode only).

SCALE-Sim (read_buffer_estimate_bw) groups newly fetched addresses into sets and forgets all of
them once ``words`` new addresses have been fetched; an im2col stream re-reads input pixels at
distances that straddle those flushes, so its DRAM count needs the actual address order. The
order is its demand matrix's: per fold, array row ``i`` consumes stream element ``t`` at cycle
``t + i`` (the systolic skew), folds column-fold outer and row-fold inner.
"""
from __future__ import annotations

import numpy as np


def im2col_addresses(conv, e, f, batch=1):
    """SCALE-Sim's ifmap address matrix (M x K, -1 where a window leaves the input) for output
    size ``e x f``; the input is the padded one, addresses are (row·W + col)·C + channel."""
    (sh, sw), (ph, pw) = conv.stride, conv.padding
    h, w, c = conv.h + 2 * ph, conv.w + 2 * pw, conv.c
    p = np.arange(batch * e * f)[:, None]
    j = np.arange(conv.r * conv.s * c)[None, :]
    b, p = np.divmod(p, e * f)
    i_row, i_col = (p // f) * sh, (p % f) * sw
    c_row, rest = np.divmod(j, conv.s * c)
    c_col, ch = np.divmod(rest, c)
    valid = (c_row + i_row < h) & (c_col + i_col < w)
    addr = ((i_row + c_row) * w + i_col + c_col) * c + ch + b * (h * w * c)
    return np.where(valid, addr, -1)


def _skewed(block):
    """Elements of ``block`` (stream length x array rows) in skewed demand order."""
    s, rows = block.shape
    t = np.arange(s)[:, None] + np.arange(rows)[None, :]
    order = np.argsort((t * rows + np.arange(rows)[None, :]).ravel(), kind="stable")
    flat = block.ravel()[order]
    return flat[flat >= 0]


def ifmap_stream(addr, dataflow, rows, cols, n):
    """The ifmap address stream SCALE-Sim's demand matrices issue for a GEMM whose ifmap
    address matrix is ``addr`` (M x K) with ``n`` output columns."""
    m, k = addr.shape
    col_fold = -(-n // cols)
    if dataflow == "os":
        blocks = [addr[r0:r0 + rows, :].T for r0 in range(0, m, rows)]
    else:
        blocks = [addr[:, r0:r0 + rows] for r0 in range(0, k, rows)]
    one_pass = np.concatenate([_skewed(b) for b in blocks])
    return np.tile(one_pass, col_fold)


def flush_misses(stream, words):
    """Fetches of a buffer that keeps every address fetched since its last flush and flushes
    after ``words`` fetches (SCALE-Sim's 50 active sets)."""
    n, pos, misses = len(stream), 0, 0
    while pos < n:
        span = 4 * words
        while True:
            uniq, first = np.unique(stream[pos:pos + span], return_index=True)
            if len(uniq) >= words:
                misses += words
                pos += int(np.sort(first)[words - 1]) + 1
                break
            if pos + span >= n:
                return misses + len(uniq)
            span *= 2
    return misses
