"""Integer-valued results: ``np.floor``, ``np.ceil``, ``np.trunc``, ``np.rint`` / ``np.round``
(half to even, as numpy) and ``np.sign``, exact, in the smallest frac-0 format that holds
every result of the input format."""
from __future__ import annotations

import numpy as np

from ._array import FxpArray
from ._format import Format
from ._rules import range_format

#: beyond this many fraction bits every value of a <= 32-bit raw lies in (-1, 1), where a
#: shift by 40 rounds as a shift by more does (and int64 still holds the raws shifted back)
_MAX_SHIFT = 40


def integer_format(fmt):
    """The frac-0 format of ``floor``, ``ceil``, ``trunc`` and ``rint`` of ``fmt``:
    ``[floor(min), ceil(max)]`` (``s8.4 -> s5.0``: ``ceil(7.9375) = 8``)."""
    f = fmt.frac_bits
    if f <= 0:
        return fmt
    return range_format(fmt.min_raw >> f, -(-fmt.max_raw >> f), 0)


def to_integer(a, mode):
    """``a`` rounded to integers by ``mode`` ("floor", "ceil", "trunc" or "rint"), exactly."""
    fmt = integer_format(a.fmt)
    f = a.fmt.frac_bits
    if f <= 0:
        return a.copy()
    s = min(f, _MAX_SHIFT)
    raw = np.asarray(a.raw, dtype=np.int64)
    floor = raw >> s
    if mode == "floor":
        q = floor
    elif mode == "ceil":
        q = -(-raw >> s)
    elif mode == "trunc":
        q = np.where(raw < 0, -(-raw >> s), floor)
    elif mode == "rint":
        rem, half = raw - (floor << s), 1 << (s - 1)
        q = floor + ((rem > half) | ((rem == half) & (floor % 2 == 1)))
    else:
        raise ValueError(f"unknown integer rounding {mode!r}")
    return FxpArray(np.asarray(q).astype(fmt.dtype), fmt)


def round_(a, decimals=0):
    """``np.round(a)``: half to even to integers; only ``decimals=0`` is exact in binary."""
    if decimals != 0:
        raise ValueError("only decimals=0 is exact in fixed point")
    return to_integer(a, "rint")


def sign(a):
    """``np.sign(a)``: -1, 0 or 1 in ``s2.0`` (``u1.0`` for unsigned formats)."""
    fmt = Format(2, 0, True) if a.fmt.signed else Format(1, 0, False)
    return FxpArray(np.sign(a.raw).astype(fmt.dtype), fmt)
