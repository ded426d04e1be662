"""Exact Python-int arithmetic for operands the C kernels cannot hold.

The elementwise kernels hold sums of operands up to 2**126 and products below 2**127; the rare
operations beyond that (operand scales more than 94 bits apart, uint64 or Python-int raws) run
here instead, on numpy object arrays of Python ints, with the kernels' rounding, narrowing and
stochastic stream rules, so the results are the same as if a wide enough kernel had run.
"""
from __future__ import annotations

import numpy as np

from ._kernels._random import element_words
from ._modes import Overflow, Rounding


def arithmetic(op, a, fa, b, fb, fmt, rounding, overflow, key):
    """``op`` in add / subtract / multiply on integers ``a`` (scale ``2**-fa``) and ``b``
    (``2**-fb``), exact, rounded once into ``fmt``; numpy broadcasting.

    Returns ``(raw, n_over)``: raw values of ``fmt.dtype`` and the number that overflowed.
    """
    a, b = np.broadcast_arrays(np.asarray(a, dtype=object), np.asarray(b, dtype=object))
    x, y = a.ravel(), b.ravel()
    if op == "multiply":
        exact, scale = x * y, fa + fb
    else:
        scale = max(fa, fb)
        x, y = x << (scale - fa), y << (scale - fb)
        exact = x + y if op == "add" else x - y
    out, n_over = _round_and_narrow(exact, scale - fmt.frac_bits, fmt, rounding, overflow, key)
    return out.reshape(a.shape), n_over


def requantize(raw, src_frac, fmt, rounding, overflow, key):
    """Integers ``raw`` at scale ``2**-src_frac`` rounded once into ``fmt``: ``(raw, n_over)``."""
    raw = np.asarray(raw, dtype=object)
    out, n_over = _round_and_narrow(raw.ravel(), src_frac - fmt.frac_bits, fmt, rounding,
                                    overflow, key)
    return out.reshape(raw.shape), n_over


def _round_and_narrow(x, s, fmt, rounding, overflow, key):
    """The flat object array ``x`` divided by ``2**s`` (any sign of ``s``), rounded, then
    saturated or wrapped into ``fmt``."""
    if s <= 0:
        return _narrow(x << -s, fmt, overflow)
    if rounding is Rounding.STOCHASTIC:
        # floor(x / 2**s + r * 2**-64) with the element's random word r
        words = element_words(key, 0, x.size).astype(object)
        offset = words >> (64 - s) if s <= 64 else words << (s - 64)
        return _narrow((x + offset) >> s, fmt, overflow)
    q = x >> s
    if rounding is Rounding.FLOOR:
        return _narrow(q, fmt, overflow)
    rem = x & ((1 << s) - 1)
    if rounding is Rounding.TOWARD_ZERO:
        up = (rem != 0) & (q < 0)
    else:
        half = 1 << (s - 1)
        tie_up = (q & 1) == 1 if rounding is Rounding.NEAREST_EVEN else q >= 0
        up = (rem > half) | ((rem == half) & tie_up)
    return _narrow(q + up.astype(object), fmt, overflow)


def _narrow(v, fmt, overflow):
    """Saturate (``saturate`` / ``raise``) or wrap the flat object array ``v`` into ``fmt``."""
    lo, hi = fmt.min_raw, fmt.max_raw
    below, above = v < lo, v > hi
    n_over = int(np.count_nonzero(below | above))
    if n_over:
        if overflow is Overflow.WRAP:
            v = (v - lo) % (1 << fmt.word_bits) + lo
        else:
            v = np.where(below, lo, np.where(above, hi, v))
    return v.astype(fmt.dtype), n_over
