"""The public functions on FxpArrays besides the operators' (in :mod:`fxp._operators`): creation,
elementwise maximum / minimum, reductions and joining."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from . import _rules
from ._array import FxpArray, asarray, coerce_operands
from ._format import as_format
from ._join import join

if TYPE_CHECKING:
    from ._typing import ArrayOrFxp, Axis, FormatLike, OverflowLike, RngLike, RoundingLike, Shape


# --- creation ----------------------------------------------------------------------------

def zeros(shape: Shape, fmt: FormatLike) -> FxpArray:
    """An array of zeros of ``fmt``."""
    fmt = as_format(fmt)
    return FxpArray(np.zeros(shape, dtype=fmt.dtype), fmt)


def full(shape: Shape, fmt: FormatLike, value: float, rounding: RoundingLike = None,
         overflow: OverflowLike = None) -> FxpArray:
    """An array filled with ``value`` quantized into ``fmt``."""
    fmt = as_format(fmt)
    one = asarray(np.asarray(value, dtype=np.float64).reshape(()), fmt, rounding, overflow)
    return FxpArray(np.full(shape, one.raw, dtype=fmt.dtype), fmt)


def ones(shape: Shape, fmt: FormatLike, rounding: RoundingLike = None, overflow: OverflowLike = None) -> FxpArray:
    """An array of ones of ``fmt`` (saturated to ``fmt.max`` when 1 is out of range)."""
    return full(shape, fmt, 1.0, rounding, overflow)


def arange(start: float, stop: float | None = None, step: float = 1, fmt: FormatLike | None = None,
           rounding: RoundingLike = None, overflow: OverflowLike = None) -> FxpArray:
    """``numpy.arange(start, stop, step)`` quantized into ``fmt``."""
    if fmt is None:
        raise TypeError("fxp.arange needs fmt=")
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return asarray(values.astype(np.float64), fmt, rounding, overflow)


# --- elementwise --------------------------------------------------------------------------

def maximum(a: ArrayOrFxp, b: ArrayOrFxp) -> FxpArray:
    """Elementwise maximum in the common format of ``a`` and ``b`` (exact unless that format is
    trimmed to 32 bits, see ``docs/core.md``)."""
    return _pick(a, b, np.maximum)


def minimum(a: ArrayOrFxp, b: ArrayOrFxp) -> FxpArray:
    """Elementwise minimum in the common format of ``a`` and ``b`` (exact unless that format is
    trimmed to 32 bits, see ``docs/core.md``)."""
    return _pick(a, b, np.minimum)


def _pick(a, b, pick):
    a, b = coerce_operands(a, b)
    fmt = _rules.common_format([a.fmt, b.fmt])
    a, b = asarray(a, fmt), asarray(b, fmt)
    return FxpArray(np.asarray(pick(a.raw, b.raw)), fmt)   # numpy returns scalars for 0-d


# --- reductions ---------------------------------------------------------------------------

def sum(a: FxpArray, axis: Axis = None, out_format: FormatLike | None = None, rounding: RoundingLike = None,
        overflow: OverflowLike = None, keepdims: bool = False, rng: RngLike = None) -> FxpArray:
    """Exact sum along ``axis``, rounded once into ``out_format``.

    The default format grows by ``ceil(log2(n))`` integer bits for ``n`` summed elements
    (exact), trimmed to 32 bits.  Stochastic rounding draws one key from ``rng`` and follows
    the elementwise stream rule over the output.
    """
    return a.sum(axis, out_format=out_format, rounding=rounding, overflow=overflow,
                 keepdims=keepdims, rng=rng)


def mean(a: FxpArray, axis: Axis = None, rounding: RoundingLike = None, rng: RngLike = None,
         keepdims: bool = False) -> FxpArray:
    """Mean along ``axis`` in ``a``'s format: the exact sum divided by ``n``, rounded once.

    Stochastic rounding takes ``floor(mean + r * 2**-64)`` with the element's random word
    ``r`` (the elementwise stream rule over the output).
    """
    return a.mean(axis, rounding=rounding, rng=rng, keepdims=keepdims)


def max(a: FxpArray, axis: Axis = None, keepdims: bool = False) -> FxpArray:
    """Largest element along ``axis`` (same format)."""
    return a.max(axis=axis, keepdims=keepdims)


def min(a: FxpArray, axis: Axis = None, keepdims: bool = False) -> FxpArray:
    """Smallest element along ``axis`` (same format)."""
    return a.min(axis=axis, keepdims=keepdims)


def argmax(a: FxpArray, axis: int | None = None) -> np.intp | np.ndarray:
    """Index of the largest element along ``axis``."""
    return a.argmax(axis=axis)


def argmin(a: FxpArray, axis: int | None = None) -> np.intp | np.ndarray:
    """Index of the smallest element along ``axis``."""
    return a.argmin(axis=axis)


# --- joining ------------------------------------------------------------------------------

def concatenate(arrays: Sequence[ArrayOrFxp], axis: int | None = 0) -> FxpArray:
    """Join arrays along an existing axis, in their common format (the join rule,
    ``docs/numpy.md``: FxpArrays and integers exactly; floats only when exactly representable)."""
    return join(arrays, "fxp.concatenate", np.concatenate, axis=axis)


def stack(arrays: Sequence[ArrayOrFxp], axis: int = 0) -> FxpArray:
    """Join arrays along a new axis, in their common format (as :func:`concatenate`)."""
    return join(arrays, "fxp.stack", np.stack, axis=axis)
