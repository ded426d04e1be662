"""Result-format rules: the format an operation returns when ``out_format`` is not given.

Exact bit growth (as apytypes and MATLAB ``fi`` FullPrecision): the result format holds
every possible exact result, so nothing rounds or overflows.  When that format would be
wider than 32 bits, the 32 most significant bits are kept (MATLAB's KeepMSB): the fraction
is shortened and the result rounds once with the current rounding mode, but never
overflows.  Fraction bits are kept within [-64, 64] the same way.
"""
from __future__ import annotations

import math

from ._format import FRAC_BITS_RANGE, MAX_WORD_BITS, Format


def fit_format(word_bits, frac_bits, signed):
    """The exact format ``(word_bits, frac_bits)`` trimmed to at most 32 bits (MSBs kept)."""
    lo, hi = FRAC_BITS_RANGE
    if word_bits > MAX_WORD_BITS:
        frac_bits -= word_bits - MAX_WORD_BITS
        word_bits = MAX_WORD_BITS
    if frac_bits > hi:
        word_bits = max(word_bits - (frac_bits - hi), 1)
        frac_bits = hi
    if frac_bits < lo:   # coarser than the finest representable scale: keep the range, lose LSBs
        frac_bits = lo
    return Format(word_bits, frac_bits, signed)


def _int_bits_as_signed(fmt):
    """Integer bits (sign included) a signed format needs to hold every value of ``fmt``."""
    return fmt.int_bits + (0 if fmt.signed else 1)


def add_format(fa, fb, subtract=False):
    """Exact format of ``a + b`` (or ``a - b``): one more integer bit, the finer fraction."""
    frac = max(fa.frac_bits, fb.frac_bits)
    signed = fa.signed or fb.signed or subtract
    if signed:
        int_bits = max(_int_bits_as_signed(fa), _int_bits_as_signed(fb)) + 1
    else:
        int_bits = max(fa.int_bits, fb.int_bits) + 1
    return fit_format(int_bits + frac, frac, signed)


def multiply_format(fa, fb):
    """Exact format of ``a * b``: word bits and fraction bits add."""
    return fit_format(fa.word_bits + fb.word_bits, fa.frac_bits + fb.frac_bits, fa.signed or fb.signed)


def negative_format(fmt):
    """Exact format of ``-a`` (and ``abs(a)``): signed, one more bit (``-min`` needs it)."""
    return fit_format(fmt.word_bits + 1, fmt.frac_bits, True)


def sum_format(fmt, n):
    """Exact format of a sum of ``n`` elements: ``ceil(log2(n))`` more integer bits."""
    grow = math.ceil(math.log2(n)) if n > 1 else 0
    return fit_format(fmt.word_bits + grow, fmt.frac_bits, fmt.signed)


def common_format(formats):
    """Smallest format holding every value of each of ``formats`` (for concatenate / stack)."""
    formats = list(formats)
    frac = max(f.frac_bits for f in formats)
    signed = any(f.signed for f in formats)
    int_bits = max(_int_bits_as_signed(f) if signed else f.int_bits for f in formats)
    return fit_format(int_bits + frac, frac, signed)


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
