"""Reductions of raw integer arrays: element counts, exact sums and rounded means."""
from __future__ import annotations

import math

import numpy as np

from ._context import resolve_modes
from ._kernels._random import element_words
from ._modes import Rounding
from ._raw import MAGNITUDE_BITS
from .random import draw_key


def count(shape, axis):
    """Elements per output of a reduction over ``axis``.

    numpy checks ``axis`` with its own errors and rules (axis 0 of a 0-d array is allowed) on an
    empty array of the same rank, where the reduced axes come out as 1 and the others as 0.
    """
    if axis is None:
        return math.prod(shape)
    reduced = np.empty((0,) * len(shape), dtype=bool).sum(axis=axis, keepdims=True).shape
    return math.prod(n for n, r in zip(shape, reduced) if r)


def exact_sum(raw, axis, keepdims, n):
    """The exact sum of ``n`` raws along ``axis``, accumulated in int32 when no partial sum can
    reach 2**31 (twice as fast as int64), else in int64."""
    fits32 = n.bit_length() + MAGNITUDE_BITS[raw.dtype] <= 31
    return np.asarray(raw.sum(axis=axis, dtype=np.int32 if fits32 else np.int64, keepdims=keepdims))


def mean(raw, axis, keepdims, rounding, rng):
    """The mean of ``raw`` along ``axis`` at the same scale: the exact sum divided by ``n``,
    rounded once (an int64 array).

    Stochastic rounding takes ``floor(mean + r * 2**-64)`` with the element's random word
    ``r`` (the elementwise stream rule over the output).
    """
    rounding, _ = resolve_modes(rounding, None)
    n = count(raw.shape, axis)
    if n == 0:
        raise ValueError("mean of an empty selection")
    total = exact_sum(raw, axis, keepdims, n).astype(np.int64)
    q, rem = np.divmod(total, n)
    if rounding is Rounding.STOCHASTIC:
        words = element_words(draw_key(rng), 0, q.size).reshape(q.shape)
        # floor(q + rem/n + r/2**64) is q + 1 when r * n >= (n - rem) * 2**64, that is when the
        # high word of the 128-bit product r * n is at least n - rem (an integer)
        up = mulhi_u64(words, n) >= (n - rem).astype(np.uint64)
        return q + up
    if rounding is Rounding.FLOOR:
        return q
    if rounding is Rounding.TOWARD_ZERO:
        return q + ((rem != 0) & (q < 0))
    twice = 2 * rem
    tie_up = (q % 2 == 1) if rounding is Rounding.NEAREST_EVEN else (q >= 0)
    return q + ((twice > n) | ((twice == n) & tie_up))


def mulhi_u64(a, n):
    """High 64 bits of the exact products ``a * n`` (uint64 array ``a``, int ``0 <= n < 2**64``)."""
    low = np.uint64(0xFFFFFFFF)
    n0, n1 = np.uint64(n & 0xFFFFFFFF), np.uint64(n >> 32)
    a0, a1 = a & low, a >> np.uint64(32)
    t = a1 * n0 + ((a0 * n0) >> np.uint64(32))          # each step stays below 2**64
    mid = a0 * n1 + (t & low)
    return a1 * n1 + (t >> np.uint64(32)) + (mid >> np.uint64(32))
