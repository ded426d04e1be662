"""Result-format rules: the format an operation returns when ``out_format`` is not given.

Exact bit growth (as apytypes and MATLAB ``fi`` FullPrecision): the result format is the
smallest one, at the finest fraction the exact result needs, whose range holds every
possible exact result of the operand formats, so nothing rounds or overflows.  When that format would be
wider than 32 bits, the 32 most significant bits are kept (MATLAB's KeepMSB): the fraction
is shortened and the result rounds once with the current rounding mode, but never
overflows.  Fraction bits are kept within [-64, 64] the same way; a result coarser than
2**64 takes a wider word at frac -64 instead, and when no format holds it the rule raises
ValueError.
"""
from __future__ import annotations

import math
from functools import lru_cache

from ._format import FRAC_BITS_RANGE, MAX_WORD_BITS, Format


@lru_cache(maxsize=1024)
def fit_format(word_bits, frac_bits, signed):
    """The exact format ``(word_bits, frac_bits)`` trimmed to at most 32 bits (MSBs kept)."""
    lo, hi = FRAC_BITS_RANGE
    if frac_bits < lo:   # coarser than the coarsest scale: the same values at 2**-lo, in a wider word
        word_bits += lo - frac_bits
        frac_bits = lo
    if word_bits > MAX_WORD_BITS:
        frac_bits -= word_bits - MAX_WORD_BITS
        word_bits = MAX_WORD_BITS
        if frac_bits < lo:
            raise ValueError("no fixed-point format holds the exact result: it needs more than "
                             f"{MAX_WORD_BITS} bits at frac_bits {lo}; pass out_format=")
    if frac_bits > hi:
        word_bits = max(word_bits - (frac_bits - hi), 1)
        frac_bits = hi
    return Format(word_bits, frac_bits, signed)


def range_format(lo_raw, hi_raw, frac_bits):
    """Smallest format at ``frac_bits`` holding every raw integer in [lo_raw, hi_raw], trimmed."""
    if lo_raw < 0:
        word = max((-lo_raw - 1).bit_length(), hi_raw.bit_length()) + 1
        return fit_format(word, frac_bits, True)
    return fit_format(max(hi_raw.bit_length(), 1), frac_bits, False)


def _raw_range(fmt, frac_bits):
    shift = frac_bits - fmt.frac_bits
    return fmt.min_raw << shift, fmt.max_raw << shift


@lru_cache(maxsize=1024)
def add_format(fa, fb, subtract=False):
    """Exact format of ``a + b`` (or ``a - b``): the finer fraction, the range of all results."""
    frac = max(fa.frac_bits, fb.frac_bits)
    (alo, ahi), (blo, bhi) = _raw_range(fa, frac), _raw_range(fb, frac)
    if subtract:
        return range_format(alo - bhi, ahi - blo, frac)
    return range_format(alo + blo, ahi + bhi, frac)


@lru_cache(maxsize=1024)
def multiply_format(fa, fb):
    """Exact format of ``a * b``: fraction bits add; the range of all products."""
    corners = [x * y for x in (fa.min_raw, fa.max_raw) for y in (fb.min_raw, fb.max_raw)]
    return range_format(min(corners), max(corners), fa.frac_bits + fb.frac_bits)


@lru_cache(maxsize=1024)
def negative_format(fmt):
    """Exact format of ``-a`` and ``abs(a)`` (``-min`` needs one more bit when signed)."""
    return range_format(-fmt.max_raw, max(-fmt.min_raw, fmt.max_raw), fmt.frac_bits)


@lru_cache(maxsize=1024)
def sum_format(fmt, n):
    """Exact format of a sum of ``n`` elements (about ``log2(n)`` more integer bits)."""
    n = max(n, 1)
    return range_format(n * fmt.min_raw, n * fmt.max_raw, fmt.frac_bits)


def common_format(formats):
    """Smallest format holding every value of each of ``formats`` (for concatenate / stack)."""
    formats = list(formats)
    frac = max(f.frac_bits for f in formats)
    ranges = [_raw_range(f, frac) for f in formats]
    return range_format(min(lo for lo, _ in ranges), max(hi for _, hi in ranges), frac)


def integer_format(values):
    """Exact format of Python/numpy integers: frac 0 (or negative for trailing zeros)."""
    values = [int(v) for v in values]
    lo, hi = min(values, default=0), max(values, default=0)
    nonzero = [v for v in values if v]
    zeros = min(((v & -v).bit_length() - 1 for v in nonzero), default=0)
    zeros = min(zeros, -FRAC_BITS_RANGE[0])
    signed = lo < 0
    bits = max((lo >> zeros).bit_length(), (hi >> zeros).bit_length(), 1) + int(signed)
    if bits > MAX_WORD_BITS:
        raise ValueError(f"integer {hi if abs(hi) >= abs(lo) else lo} needs {bits} bits; "
                         f"fixed-point words have at most {MAX_WORD_BITS}")
    return Format(bits, -zeros, signed)


def float_scalar_format(value, word_bits):
    """Best-precision signed format of ``word_bits`` bits for the float ``value``."""
    if value == 0 or not math.isfinite(value):
        return Format(word_bits, word_bits - 1)
    exponent = math.frexp(abs(value))[1]          # |value| < 2**exponent
    lo, hi = FRAC_BITS_RANGE
    return Format(word_bits, min(max(word_bits - 1 - exponent, lo), hi))
