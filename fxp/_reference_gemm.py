"""Normative sequential reference for the bounded-accumulator GEMM.

This is the specification the Cython/C kernel must reproduce bit for bit
(ruy's ``ReferenceMul`` role).  It is slow on purpose: one output element's
sum is formed in the order k = 0, 1, ..., K-1, and after *every* addition the
accumulator is clamped (``"saturate"``) or wrapped (``"wrap"``) to
``acc_bits`` two's-complement bits.  Only the loop over output elements is
vectorised (numpy over the M x N grid); the k loop is a Python loop.

Chunked accumulation (Sakr et al. 2019): with ``chunk=c`` the products
k in [j*c, (j+1)*c) are summed in a fresh accumulator each, and the chunk
sums are then added, in order, into the result accumulator with the same
per-addition rule.  ``chunk=None`` (or c >= K) is plain accumulation.

An output "hit the accumulator bound" when at least one of its additions
(at either level) was clamped or wrapped.
"""
from __future__ import annotations

import numpy as np

from ._rules import ACC_BITS_RANGE


def acc_limits(acc_bits):
    """Smallest and largest value of a signed ``acc_bits`` accumulator."""
    return -(1 << (acc_bits - 1)), (1 << (acc_bits - 1)) - 1


def _bounded_add(x, y, acc_bits, wrap):
    """Add, then clamp or wrap to ``acc_bits``; returns (result, overflowed mask)."""
    lo, hi = acc_limits(acc_bits)
    s = x + y
    over = (s < lo) | (s > hi)
    if wrap:
        if s.dtype == object:
            r = ((s - lo) % (1 << acc_bits)) + lo
        else:
            shift = 64 - acc_bits
            r = (s << shift) >> shift  # sign-extend the low acc_bits bits
    else:
        r = np.minimum(np.maximum(s, lo), hi)
    return r, over


def accumulate_reference(a_raw, b_raw, acc_bits=64, acc_overflow="saturate", chunk=None):
    """Sequential bounded accumulation of ``a_raw @ b_raw`` over raw integers.

    Parameters
    ----------
    a_raw : array_like of int, shape (M, K)
    b_raw : array_like of int, shape (K, N)
    acc_bits : int
        Accumulator width in bits, 2..64 (signed two's complement).
    acc_overflow : {"saturate", "wrap"}
        What happens after each addition that leaves the accumulator's range.
    chunk : int or None
        Chunk length for two-level accumulation, or None for one level.

    Returns
    -------
    acc : ndarray, shape (M, N)
        Accumulator values (int64; object only when ``acc_bits == 64``).
    hit : ndarray of bool, shape (M, N)
        Which outputs had at least one addition clamped or wrapped.
    """
    a = np.asarray(a_raw)
    b = np.asarray(b_raw)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"need (M, K) @ (K, N) operands, got {a.shape} and {b.shape}")
    lo_bits, hi_bits = ACC_BITS_RANGE
    if not lo_bits <= acc_bits <= hi_bits:
        raise ValueError(f"acc_bits must be in {lo_bits}..{hi_bits}, got {acc_bits}")
    if acc_overflow not in ("saturate", "wrap"):
        raise ValueError(f"acc_overflow must be 'saturate' or 'wrap', got {acc_overflow!r}")
    wrap = acc_overflow == "wrap"
    m, k = a.shape
    n = b.shape[1]
    # int64 cannot overflow below 64 bits: |acc| <= 2**62 and |a*b| <= 2**62.
    dtype = object if acc_bits == 64 else np.int64
    a = a.astype(dtype)
    b = b.astype(dtype)
    zeros = np.zeros((m, n), dtype=dtype)
    total = zeros.copy()
    part = zeros.copy()
    hit = np.zeros((m, n), dtype=bool)
    c = k if chunk is None or chunk >= k else int(chunk)
    for kk in range(k):
        part, over = _bounded_add(part, a[:, kk, None] * b[None, kk, :], acc_bits, wrap)
        hit |= over
        if (kk + 1) % c == 0 or kk + 1 == k:
            total, over = _bounded_add(total, part, acc_bits, wrap)
            hit |= over
            part = zeros.copy()
    return total, hit
