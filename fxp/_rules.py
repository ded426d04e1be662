"""Result-format rules: the format an operation returns when ``out_format`` is not given.

Exact bit growth (as apytypes and MATLAB ``fi`` FullPrecision): the result format is the
smallest one, at the finest fraction the exact result needs, whose range holds every
possible exact result of the operand formats, so nothing rounds or overflows.  When that
format would be wider than 32 bits, the 32 most significant bits are kept (MATLAB's
KeepMSB): the fraction is shortened and the result rounds once with the current rounding
mode, but never overflows (the trimmed format has room for the rounding carry).  Fraction
bits are kept within [-64, 64] the same way; a result coarser than 2**64 takes a wider word
at frac -64 instead, and when no format holds it the rule raises ValueError.

Products (``fxp.matmul``, ``a @ b`` and the convolutions) follow the same rule: the result holds
every sum of K products exactly (trimmed to 32 bits as above), and the default accumulator is
the narrowest that no sum of K products can overflow.
"""
from __future__ import annotations

import math
import numbers
from functools import lru_cache
from typing import TYPE_CHECKING

from ._format import FRAC_BITS_RANGE, MAX_WORD_BITS, Format, as_format

if TYPE_CHECKING:
    from ._typing import FormatLike

#: accumulator widths the bounded-accumulator GEMM emulates (signed two's complement)
ACC_BITS_RANGE = (2, 64)


def _word_bits(lo_raw, hi_raw, signed):
    if signed:
        return max((-lo_raw - 1).bit_length(), hi_raw.bit_length()) + 1
    return max(hi_raw.bit_length(), 1)


def range_format(lo_raw, hi_raw, frac_bits):
    """Smallest format holding every raw integer in [lo_raw, hi_raw] at scale ``2**-frac_bits``.

    When that needs more than 32 bits or more than 64 fraction bits, the format drops the fewest
    low bits with which every value of the range, rounded in any mode, still fits: the 32 most
    significant bits, with room for the rounding carry.  A range coarser than frac -64 is held
    at frac -64 in a wider word.

    Raises
    ------
    ValueError
        No format holds the range (32 bits at frac -64 are not enough).
    """
    lo, hi = FRAC_BITS_RANGE
    signed = lo_raw < 0
    if frac_bits < lo:
        lo_raw, hi_raw, frac_bits = lo_raw << (lo - frac_bits), hi_raw << (lo - frac_bits), lo
    shift = max(frac_bits - hi, 0)
    # any rounding of a value of the range by `shift` bits lies between its floor and its ceiling
    while (word := _word_bits(lo_raw >> shift, -(-hi_raw >> shift), signed)) > MAX_WORD_BITS:
        shift += word - MAX_WORD_BITS     # never too far: dropping d bits saves at most d bits
    if frac_bits - shift < lo:
        raise ValueError(
            f"no fixed-point format holds the exact result (values up to about 2**"
            f"{max(-lo_raw, hi_raw).bit_length() - frac_bits}; the widest formats, s32.{lo} and "
            f"u32.{lo}, stop below 2**95 and 2**96): pass out_format=, or convert the operands first")
    return Format(word, frac_bits - shift, signed)


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
    """Exact format of ``-a``: signed, [-max, -min] (``-min`` needs one more bit when signed)."""
    return range_format(-fmt.max_raw, -fmt.min_raw, fmt.frac_bits)


@lru_cache(maxsize=1024)
def absolute_format(fmt):
    """Exact format of ``abs(a)``: unsigned, [0, max(-min, max)] (``s8.0 -> u8.0``)."""
    return range_format(0, max(-fmt.min_raw, fmt.max_raw), fmt.frac_bits)


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
    """Best-precision signed format of ``word_bits`` bits for the finite float ``value``: the finest
    scale (at most frac 64) at which ``value`` rounded to nearest fits; one coarser than that of
    ``value``'s exponent when rounding carries (0.99999999 -> 1.0).  Below frac -64 the word grows
    instead.

    Raises
    ------
    ValueError
        ``value`` lies beyond every format's range (``|value| >= 2**95``, about).
    """
    if value == 0:
        return Format(word_bits, word_bits - 1)
    lo, hi = FRAC_BITS_RANGE
    magnitude = abs(value)
    frac = min(word_bits - 1 - math.frexp(magnitude)[1], hi)      # magnitude < 2**exponent
    if round(math.ldexp(magnitude, frac)) >> (word_bits - 1):        # rounds up to 2**exponent
        frac -= 1
    if frac >= lo:
        return Format(word_bits, frac)
    word = round(math.ldexp(magnitude, lo)).bit_length() + 1
    if word > MAX_WORD_BITS:
        raise ValueError(f"the float {value!r} lies beyond the range of every fixed-point format "
                         f"(the widest, s{MAX_WORD_BITS}.{lo}, stops below 2**95)")
    return Format(word, lo)



# --- products -------------------------------------------------------------------------------

@lru_cache(maxsize=1024)
def matmul_format(fa, fb, k):
    """Exact format of a product with ``k`` terms per output (``fxp.matmul``, ``a @ b``, the
    convolutions) when ``out_format`` is None: ``frac_a + frac_b`` fraction bits and the range of
    every sum of ``k`` products, trimmed to 32 bits like every other rule."""
    corners = [x * y for x in (fa.min_raw, fa.max_raw) for y in (fb.min_raw, fb.max_raw)]
    k = max(k, 1)
    return range_format(k * min(corners), k * max(corners), fa.frac_bits + fb.frac_bits)


def positive_int(value, name, allow_zero=False):
    """``value`` as an int, checked to be >= 1 (>= 0 with ``allow_zero``).

    Raises
    ------
    TypeError
        ``value`` is not an integer (bools are not).
    ValueError
        ``value`` is too small.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < (0 if allow_zero else 1):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '>= 1'}, got {value}")
    return int(value)


def worst_case_acc_bits(fmt_a: FormatLike, fmt_b: FormatLike, k: int) -> int:
    """Smallest signed accumulator width that holds every sum of ``k`` products exactly.

    Parameters
    ----------
    fmt_a, fmt_b : Format or str
        Operand formats; the accumulator has ``frac_a + frac_b`` fraction bits.
    k : int
        Accumulation length (number of products).

    Returns
    -------
    int
        Word bits; with these bits, saturation and wrapping can never happen,
        whatever the data and the order.

    Examples
    --------
    >>> fxp.analysis.worst_case_acc_bits("s16.12", "s16.12", 1024)   # 2**30 * 1024 = 2**40 needs 42 bits
    42
    """
    fa, fb = as_format(fmt_a), as_format(fmt_b)
    k = positive_int(k, "k", allow_zero=True)
    products = [x * y for x in (fa.min_raw, fa.max_raw) for y in (fb.min_raw, fb.max_raw)]
    hi, lo = k * max(products), k * min(products)
    bits = 1
    while not (-(1 << (bits - 1)) <= lo and hi <= (1 << (bits - 1)) - 1):
        bits += 1
    return bits


@lru_cache(maxsize=256)
def exact_acc_bits(fa, fb, k):
    """The default accumulator of a product of ``k`` terms: nothing can overflow (capped at 64
    bits)."""
    lo, hi = ACC_BITS_RANGE
    return min(hi, max(lo, worst_case_acc_bits(fa, fb, k)))
