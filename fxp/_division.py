"""Division in fixed point: :func:`divide` and :func:`reciprocal` round the exact quotient
once into ``out_format`` in any rounding mode; :func:`floor_divide` is exact (an integer);
``a / 2**k`` is a free shift of the format."""
from __future__ import annotations

import math
import numbers

import numpy as np

from . import _raw, _rules
from ._array import FxpArray, negate, shift
from ._context import resolve_modes
from ._format import as_format
from ._kernels._random import element_words
from ._modes import Rounding
from ._reduce import mulhi_u64
from .random import draw_key


def power_of_two(d):
    """``(k, negative)`` when the plain number ``d`` is ``+-2**k``, else None."""
    if isinstance(d, (bool, np.bool_)) or not isinstance(d, numbers.Real) or isinstance(d, FxpArray):
        return None
    d = float(d)
    if d == 0 or not math.isfinite(d):
        return None
    mantissa, exponent = math.frexp(abs(d))
    return (exponent - 1, d < 0) if mantissa == 0.5 else None


def divide_by_power_of_two(a, d):
    """``a / d`` for ``d = +-2**k``: the raws kept, ``k`` more fraction bits (exact)."""
    k, negative = power_of_two(d)
    return shift(negate(a) if negative else a, -k)


def _operand(x, name, what):
    """``(raw, frac, lo_raw, hi_raw)`` of an FxpArray or plain integers: its raws and the range
    the default formats are computed from (the format's for FxpArrays, the values' for ints)."""
    if isinstance(x, FxpArray):
        return x.raw, x.fmt.frac_bits, x.fmt.min_raw, x.fmt.max_raw
    arr = np.asarray(x)
    if arr.dtype.kind not in "biu":
        raise TypeError(f"{what}: {name} must be an FxpArray or integers, got {arr.dtype} data; "
                        "quantize it first with fxp.asarray(x, fmt)")
    values = arr.astype(np.int64).ravel().tolist()
    return arr.astype(np.int64), 0, min(values, default=0), max(values, default=0)


#: numerators and divisors of at most this many bits divide in int64 (else in Python ints)
_INT64_BITS = 62


def _bits(x):
    return int(np.abs(x).max()).bit_length() if x.size else 0


def _floor_quotient(a, fa, b, fb, frac, what):
    """Exact ``floor(a / b * 2**frac)`` over raws and the remainder ``r`` of that floor against
    the positive divisor ``den``: the quotient is ``q + r / den`` with ``0 <= r < den``.  In
    int64 when the shifted operands fit, else in object arrays of Python ints (same result)."""
    num, den = np.broadcast_arrays(np.asarray(a), np.asarray(b))
    zeros = int(np.count_nonzero(den == 0))
    if zeros:
        raise ZeroDivisionError(f"{what}: {zeros} of {den.size} divisors are zero (fixed point "
                                "has no infinity)")
    s = frac + fb - fa
    narrow = _bits(num.astype(np.int64)) + max(s, 0) <= _INT64_BITS and \
        _bits(den.astype(np.int64)) + max(-s, 0) <= _INT64_BITS
    num, den = (x.astype(np.int64 if narrow else object) for x in (num, den))
    num, den = (num * (1 << s), den) if s >= 0 else (num, den * (1 << -s))
    flip = den < 0
    num, den = np.where(flip, -num, num), np.where(flip, -den, den)
    q = num // den
    return q, num - q * den, den


def _round_up(q, r, den, rounding, rng):
    """Whether the quotient ``q + r / den`` rounds to ``q + 1`` (``q`` is its floor)."""
    if rounding is Rounding.FLOOR:
        return np.zeros(q.shape, dtype=bool)
    if rounding is Rounding.TOWARD_ZERO:
        return (r != 0) & (q < 0)
    if rounding is Rounding.STOCHASTIC:
        # floor(q + r/den + w * 2**-64) with the element's random word w (the stream rule):
        # up when w * den >= (den - r) * 2**64, that is when the high word of w * den >= den - r
        words = element_words(draw_key(rng), 0, q.size).reshape(q.shape)
        if q.dtype == object:
            return words.astype(object) * den >= (den - r) * (1 << 64)
        return mulhi_u64(words, den.astype(np.uint64)) >= (den - r).astype(np.uint64)
    twice = 2 * r
    tie_up = (q % 2 == 1) if rounding is Rounding.NEAREST_EVEN else (q >= 0)
    return (twice > den) | ((twice == den) & tie_up)


def _narrow(q, fmt, overflow):
    """Integers ``q`` (raws of ``fmt``, already rounded) saturated / wrapped / raised into ``fmt``."""
    return FxpArray(_raw.requantize(np.asarray(q), fmt.frac_bits, fmt, Rounding.FLOOR, overflow), fmt)


def divide(a, b, out_format=None, rounding=None, overflow=None, rng=None):
    """``a / b`` rounded once into ``out_format`` (exact before that one rounding).

    Parameters
    ----------
    a, b : FxpArray or integers
        Broadcast as in numpy.  A zero divisor raises ``ZeroDivisionError``.
    out_format : Format or str
        Needed unless ``b`` is a plain ``+-2**k`` (then ``a / b`` is exact: the raws are kept
        with ``k`` more fraction bits, as ``a / 2**k`` is).
    rounding, overflow, rng
        As in :func:`fxp.asarray`; stochastic rounding follows the elementwise stream rule.

    Examples
    --------
    >>> import fxp
    >>> fxp.divide(fxp.asarray([1.0, -1.0], "s8.4"), 3, out_format="s8.6").to_float()
    array([ 0.328125, -0.328125])
    """
    if out_format is None:
        if power_of_two(b) is not None and isinstance(a, FxpArray):
            return divide_by_power_of_two(a, b)
        raise TypeError("fxp.divide needs out_format= (a quotient is exact only for a divisor "
                        "2**k); e.g. fxp.divide(a, b, out_format='s16.12')")
    fmt = as_format(out_format)
    rounding, overflow = resolve_modes(rounding, overflow)
    (ar, fa, _, _), (br, fb, _, _) = _operand(a, "a", "fxp.divide"), _operand(b, "b", "fxp.divide")
    q, r, den = _floor_quotient(ar, fa, br, fb, fmt.frac_bits, "fxp.divide")
    return _narrow(q + _round_up(q, r, den, rounding, rng), fmt, overflow)


def reciprocal(a, out_format, rounding=None, overflow=None, rng=None):
    """``1 / a`` rounded once into ``out_format`` (see :func:`divide`)."""
    return divide(1, a, out_format, rounding, overflow, rng)


def floor_divide_format(a_range, b_range):
    """The frac-0 format of every ``floor(a / b)`` for raws ``(lo, hi, frac)`` of ``a`` and of
    the nonzero ``b``: the extremes lie at the ends of ``a``'s range and at ``b``'s ends or +-1."""
    alo, ahi, fa = a_range
    blo, bhi, fb = b_range
    divisors = [d for d in {blo, bhi, 1, -1} if d and blo <= d <= bhi] or [1]
    scale = fb - fa
    quotients = [(x << scale if scale >= 0 else x) // (d if scale >= 0 else d << -scale)
                 for x in (alo, ahi) for d in divisors]
    return _rules.range_format(min(quotients), max(quotients), 0)


def floor_divide(a, b, out_format=None, overflow=None):
    """``floor(a / b)``, exact: an integer, in :func:`floor_divide_format` by default (``a // b``).

    Parameters
    ----------
    a, b : FxpArray or integers
        A zero divisor raises ``ZeroDivisionError``.
    out_format : Format or str, optional
        Default: the frac-0 format of every quotient of the operands' formats (of the values,
        for plain integers), trimmed to 32 bits as every rule.
    overflow : str or enum, optional
        For an ``out_format`` too narrow.
    """
    (ar, fa, alo, ahi), (br, fb, blo, bhi) = (_operand(a, "a", "fxp.floor_divide"),
                                              _operand(b, "b", "fxp.floor_divide"))
    q, _, _ = _floor_quotient(ar, fa, br, fb, 0, "fxp.floor_divide")
    if out_format is None:
        fmt = floor_divide_format((alo, ahi, fa), (blo, bhi, fb))
        return FxpArray(_raw.requantize(np.asarray(q), 0, fmt), fmt)
    fmt = as_format(out_format)
    return FxpArray(_raw.requantize(np.asarray(q), 0, fmt, Rounding.FLOOR, overflow), fmt)
