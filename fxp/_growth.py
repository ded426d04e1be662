"""Exact results that grow: ``cumsum``, ``diff``, ``prod``, ``ptp`` and integer powers, each
in the smallest format that holds every result of the input format (trimmed to 32 bits and
rounded once, as every result-format rule)."""
from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from . import _raw, _reduce, _rules
from ._array import FxpArray
from ._raw import MAGNITUDE_BITS

#: an int64 holds an exact result of at most this many magnitude bits
_INT64_BITS = 62


def _exact(values, frac, fmt):
    """Exact integers ``values`` at scale ``2**-frac`` rounded once into ``fmt``."""
    return FxpArray(_raw.requantize(np.asarray(values), frac, fmt), fmt)


def cumsum(a, axis=None):
    """Cumulative sums, exact: the format of a sum of ``n`` elements along ``axis``."""
    raw = a.raw.ravel() if axis is None else a.raw
    axis = 0 if axis is None else normalize_axis_index(axis, raw.ndim)
    n = raw.shape[axis]
    fmt = _rules.sum_format(a.fmt, n)
    return _exact(np.cumsum(raw, axis=axis, dtype=np.int64), a.fmt.frac_bits, fmt)


def diff(a, n=1, axis=-1):
    """``n``-th differences, exact: ``2**(n-1) * [min - max, max - min]``."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"diff: order must be a non-negative integer, got {n!r}")
    if n == 0:
        return a.copy()
    if n > _INT64_BITS - 33:
        raise ValueError(f"diff: order {n} is beyond the {_INT64_BITS - 33} that are exact here")
    scale = 1 << (n - 1)
    lo, hi = a.fmt.min_raw, a.fmt.max_raw
    fmt = _rules.range_format(scale * (lo - hi), scale * (hi - lo), a.fmt.frac_bits)
    return _exact(np.diff(a.raw.astype(np.int64), n=int(n), axis=axis), a.fmt.frac_bits, fmt)


def ptp(a, axis=None, keepdims=False):
    """``max - min`` along ``axis``, exact (unsigned: ``[0, max - min]`` of the format)."""
    fmt = _rules.range_format(0, a.fmt.max_raw - a.fmt.min_raw, a.fmt.frac_bits)
    raw = a.raw.astype(np.int64)
    return _exact(np.ptp(raw, axis=axis, keepdims=keepdims), a.fmt.frac_bits, fmt)


def product_format(fmt, n):
    """Exact format of a product of ``n`` elements of ``fmt``: frac ``n * frac``; the extremes
    are products of ``k`` minima and ``n - k`` maxima with k in {0, 1, n - 1, n}."""
    lo, hi = fmt.min_raw, fmt.max_raw
    corners = [lo ** k * hi ** (n - k) for k in {0, 1, n - 1, n} if 0 <= k <= n]
    return _rules.range_format(min(corners), max(corners), n * fmt.frac_bits)


def power_format(fmt, n):
    """Exact format of ``a ** n``: frac ``n * frac``; ``min**n``, ``max**n`` and 0 bound it."""
    lo, hi = fmt.min_raw, fmt.max_raw
    corners = [lo ** n, hi ** n] + ([0] if lo <= 0 <= hi and n else [])
    return _rules.range_format(min(corners), max(corners), n * fmt.frac_bits)


def _wide_enough(fmt, n):
    return n * MAGNITUDE_BITS[fmt.dtype] <= _INT64_BITS


def prod(a, axis=None, keepdims=False):
    """Product along ``axis``, exact before the one rounding into :func:`product_format`."""
    n = _reduce.count(a.shape, axis)
    raw = a.raw.astype(np.int64 if _wide_enough(a.fmt, n) else object)
    return _exact(np.asarray(raw.prod(axis=axis, keepdims=keepdims)), n * a.fmt.frac_bits,
                  product_format(a.fmt, n))


def power(a, n):
    """``a ** n`` for an integer ``n >= 0``, exact before the one rounding into
    :func:`power_format`."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"only non-negative integer powers are exact, got {n!r}")
    n = int(n)
    raw = a.raw.astype(np.int64 if _wide_enough(a.fmt, n) else object)
    return _exact(raw ** n, n * a.fmt.frac_bits, power_format(a.fmt, n))
