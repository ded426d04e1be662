"""Creation, arithmetic, reduction, joining and I/O functions on FxpArray."""
from __future__ import annotations

import contextlib
import math
import numbers
import os
import zipfile
import zlib

import numpy as np

from . import _raw, _rules
from ._array import FxpArray, coerce_operands
from ._context import resolve_modes
from ._format import FRAC_BITS_RANGE, Format, as_format
from ._modes import Rounding
from .random import draw_key


# --- creation ----------------------------------------------------------------------------

def asarray(x, fmt=None, rounding=None, overflow=None, rng=None):
    """Quantize ``x`` into an :class:`FxpArray` of format ``fmt``.

    Parameters
    ----------
    x : array_like or FxpArray
        Floats are rounded once; integers are converted exactly (then rounded only if
        ``fmt`` is coarser); an FxpArray is requantized (returned as is if ``fmt`` is None
        or equal).
    fmt : Format or str
        Target format, e.g. ``"s16.12"``.
    rounding, overflow : str or enum, optional
        Defaults from :class:`fxp.config` (nearest_even, saturate).
    rng : None, int, Xoroshiro128Plus or numpy Generator, optional
        Generator for stochastic rounding (one key drawn per call).

    Raises
    ------
    ValueError
        NaN input; +-inf under ``overflow="wrap"``.
    FxpOverflowError
        Out-of-range values (including +-inf) under ``overflow="raise"``.

    Examples
    --------
    >>> import fxp
    >>> fxp.asarray([0.1, -2.5, 100.0], "s8.4")
    FxpArray([ 0.125, -2.5  ,  7.9375], fmt='s8.4')
    """
    if isinstance(x, FxpArray):
        if fmt is None or as_format(fmt) == x.fmt:
            return x
        return x.astype(fmt, rounding, overflow, rng)
    if fmt is None:
        raise TypeError("fxp.asarray needs a format for non-FxpArray input, e.g. fmt='s16.12'")
    fmt = as_format(fmt)
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"cannot quantize {type(x).__name__} input: {exc}") from None
    kind = arr.dtype.kind
    if kind in "biu":
        raw = arr.astype(np.int8) if kind == "b" else arr
        return FxpArray(_raw.requantize(raw, 0, fmt, rounding, overflow, rng), fmt)
    if kind == "f":
        return FxpArray(_raw.quantize(arr, fmt, rounding, overflow, rng), fmt)
    if kind == "O":
        try:
            return asarray(arr.astype(np.float64), fmt, rounding, overflow, rng)
        except (TypeError, ValueError):
            pass
    raise TypeError(f"cannot quantize non-numeric input of dtype {arr.dtype} to {fmt}")


def from_raw(raw, fmt):
    """Wrap raw integers as an :class:`FxpArray` of ``fmt`` (no rounding; range checked).

    Raises
    ------
    TypeError
        Non-integer input.
    ValueError
        A raw value outside ``[fmt.min_raw, fmt.max_raw]``.
    """
    fmt = as_format(fmt)
    arr = np.asarray(raw)
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "O" and all(
            isinstance(v, numbers.Integral) for v in arr.ravel().tolist())):
        raise TypeError(f"from_raw needs integers, got dtype {arr.dtype}")
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < fmt.min_raw or hi > fmt.max_raw:
            bad = int(np.count_nonzero((arr < fmt.min_raw) | (arr > fmt.max_raw)))
            raise ValueError(f"{bad} raw values lie outside {fmt}'s range [{fmt.min_raw}, {fmt.max_raw}]")
    return FxpArray(np.asarray(arr, dtype=fmt.dtype), fmt)


def zeros(shape, fmt):
    """An array of zeros of ``fmt``."""
    fmt = as_format(fmt)
    return FxpArray(np.zeros(shape, dtype=fmt.dtype), fmt)


def full(shape, fmt, value, rounding=None, overflow=None):
    """An array filled with ``value`` quantized into ``fmt``."""
    fmt = as_format(fmt)
    one = asarray(np.asarray(value, dtype=np.float64).reshape(()), fmt, rounding, overflow)
    return FxpArray(np.full(shape, one.raw, dtype=fmt.dtype), fmt)


def ones(shape, fmt, rounding=None, overflow=None):
    """An array of ones of ``fmt`` (saturated to ``fmt.max`` when 1 is out of range)."""
    return full(shape, fmt, 1.0, rounding, overflow)


def arange(start, stop=None, step=1, fmt=None, rounding=None, overflow=None):
    """``numpy.arange(start, stop, step)`` quantized into ``fmt``."""
    if fmt is None:
        raise TypeError("fxp.arange needs fmt=")
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return asarray(values.astype(np.float64), fmt, rounding, overflow)


# --- arithmetic ---------------------------------------------------------------------------

def _exact_then_round(op, rule, a, b, out_format, rounding, overflow, rng):
    """``a op b`` (add, subtract, multiply) exact, rounded once into ``out_format`` (default:
    ``rule`` of the operand formats)."""
    a, b = coerce_operands(a, b)
    fmt = rule(a.fmt, b.fmt) if out_format is None else as_format(out_format)
    raw = _raw.arithmetic(op, a.raw, a.fmt.frac_bits, b.raw, b.fmt.frac_bits, fmt, rounding, overflow, rng)
    return FxpArray(raw, fmt)


def add(a, b, out_format=None, rounding=None, overflow=None, rng=None):
    """Exact ``a + b``, rounded once into ``out_format``.

    Parameters
    ----------
    a, b : FxpArray or numbers / arrays (broadcast as in numpy)
        Plain integers take their exact format; plain floats a best-precision format with
        the other operand's word length.
    out_format : Format or str, optional
        Default: the exact bit-growth format (one more integer bit, the finer fraction),
        trimmed to 32 bits (see ``docs/core.md``).
    rounding, overflow, rng
        As in :func:`asarray`.
    """
    return _exact_then_round("add", _rules.add_format, a, b, out_format, rounding, overflow, rng)


def subtract(a, b, out_format=None, rounding=None, overflow=None, rng=None):
    """Exact ``a - b``, rounded once into ``out_format`` (as :func:`add`)."""
    rule = lambda fa, fb: _rules.add_format(fa, fb, subtract=True)  # noqa: E731
    return _exact_then_round("subtract", rule, a, b, out_format, rounding, overflow, rng)


def multiply(a, b, out_format=None, rounding=None, overflow=None, rng=None):
    """Exact ``a * b``, rounded once into ``out_format``.

    The default format adds word and fraction bits (exact), trimmed to 32 bits.
    Other parameters as in :func:`add`.
    """
    return _exact_then_round("multiply", _rules.multiply_format, a, b, out_format, rounding, overflow, rng)


def negative(a, out_format=None, rounding=None, overflow=None, rng=None):
    """Exact ``-a``, rounded into ``out_format``.

    The default format is signed and holds [-max, -min]: one bit wider than a signed ``a``
    (for ``-min``) or an unsigned one (``u8.0 -> s9.0``).
    """
    fmt = _rules.negative_format(a.fmt) if out_format is None else as_format(out_format)
    zero = np.zeros(1, dtype=np.int8)
    return FxpArray(_raw.arithmetic("subtract", zero, a.fmt.frac_bits, a.raw, a.fmt.frac_bits, fmt,
                                rounding, overflow, rng), fmt)


def absolute(a, out_format=None, rounding=None, overflow=None, rng=None):
    """Exact ``|a|``, rounded into ``out_format``.

    The default format is unsigned with ``a``'s word and fraction bits (``s8.0 -> u8.0``:
    ``|-128|`` fits 8 unsigned bits).
    """
    if not a.fmt.signed:
        return a.copy() if out_format is None else a.astype(out_format, rounding, overflow, rng)
    fmt = _rules.absolute_format(a.fmt) if out_format is None else as_format(out_format)
    return FxpArray(_raw.arithmetic("multiply", np.sign(a.raw), 0, a.raw, a.fmt.frac_bits, fmt,
                                rounding, overflow, rng), fmt)


def ldexp(a, k, out_format=None, rounding=None, overflow=None, rng=None):
    """``a * 2**k`` (a shift by a power of two).

    Without ``out_format`` this is free and exact: the raw integers are kept and the
    fraction bits become ``frac_bits - k`` (an error if that leaves [-64, 64]).
    ``a << k`` and ``a >> k`` call this.
    """
    frac = a.fmt.frac_bits - int(k)
    lo, hi = FRAC_BITS_RANGE
    if not lo <= frac <= hi:
        raise ValueError(f"shifting {a.fmt} by {k} needs frac_bits {frac}, outside [{lo}, {hi}]; "
                         "pass out_format=")
    shifted = FxpArray(a.raw.copy(), Format(a.fmt.word_bits, frac, a.fmt.signed))
    return shifted if out_format is None else shifted.astype(out_format, rounding, overflow, rng)


def maximum(a, b):
    """Elementwise maximum in the common format of ``a`` and ``b`` (exact unless that format is
    trimmed to 32 bits, see ``docs/core.md``)."""
    return _pick(a, b, np.maximum)


def minimum(a, b):
    """Elementwise minimum in the common format of ``a`` and ``b`` (exact unless that format is
    trimmed to 32 bits, see ``docs/core.md``)."""
    return _pick(a, b, np.minimum)


def _pick(a, b, pick):
    a, b = coerce_operands(a, b)
    fmt = _rules.common_format([a.fmt, b.fmt])
    a, b = asarray(a, fmt), asarray(b, fmt)
    return FxpArray(np.asarray(pick(a.raw, b.raw)), fmt)   # numpy returns scalars for 0-d


# --- reductions ---------------------------------------------------------------------------

def _count(shape, axis):
    """Elements per output of a reduction over ``axis``.

    numpy checks ``axis`` with its own errors and rules (axis 0 of a 0-d array is allowed) on an
    empty array of the same rank, where the reduced axes come out as 1 and the others as 0.
    """
    if axis is None:
        return math.prod(shape)
    reduced = np.empty((0,) * len(shape), dtype=bool).sum(axis=axis, keepdims=True).shape
    return math.prod(n for n, r in zip(shape, reduced) if r)


def _exact_sum(raw, axis, keepdims, n):
    """The exact sum of ``n`` raws along ``axis``, accumulated in int32 when no partial sum can
    reach 2**31 (twice as fast as int64), else in int64."""
    fits32 = n.bit_length() + _raw.MAGNITUDE_BITS[raw.dtype] <= 31
    return np.asarray(raw.sum(axis=axis, dtype=np.int32 if fits32 else np.int64, keepdims=keepdims))


def sum(a, axis=None, out_format=None, rounding=None, overflow=None, keepdims=False, rng=None):
    """Exact sum along ``axis``, rounded once into ``out_format``.

    The default format grows by ``ceil(log2(n))`` integer bits for ``n`` summed elements
    (exact), trimmed to 32 bits.  Stochastic rounding draws one key from ``rng`` and follows
    the elementwise stream rule over the output.
    """
    n = _count(a.shape, axis)
    total = _exact_sum(a.raw, axis, keepdims, n)
    fmt = _rules.sum_format(a.fmt, n) if out_format is None else as_format(out_format)
    return FxpArray(_raw.requantize(np.asarray(total), a.fmt.frac_bits, fmt, rounding, overflow, rng), fmt)


def mean(a, axis=None, rounding=None, rng=None, keepdims=False):
    """Mean along ``axis`` in ``a``'s format: the exact sum divided by ``n``, rounded once.

    Stochastic rounding takes ``floor(mean + r * 2**-64)`` with the element's random word
    ``r`` (the elementwise stream rule over the output).
    """
    rounding, _ = resolve_modes(rounding, None)
    n = _count(a.shape, axis)
    if n == 0:
        raise ValueError("mean of an empty selection")
    total = _exact_sum(a.raw, axis, keepdims, n).astype(np.int64)
    q, rem = np.divmod(total, n)
    if rounding is Rounding.STOCHASTIC:
        from ._kernels._random import element_words
        words = element_words(draw_key(rng), 0, q.size).reshape(q.shape)
        # floor(q + rem/n + r/2**64) is q + 1 when r * n >= (n - rem) * 2**64, that is when the
        # high word of the 128-bit product r * n is at least n - rem (an integer)
        up = _mulhi_u64(words, n) >= (n - rem).astype(np.uint64)
        result = q + up
    elif rounding is Rounding.FLOOR:
        result = q
    elif rounding is Rounding.TOWARD_ZERO:
        result = q + ((rem != 0) & (q < 0))
    else:
        twice = 2 * rem
        tie_up = (q % 2 == 1) if rounding is Rounding.NEAREST_EVEN else (q >= 0)
        result = q + ((twice > n) | ((twice == n) & tie_up))
    return FxpArray(np.asarray(result).astype(a.fmt.dtype), a.fmt)


def _mulhi_u64(a, n):
    """High 64 bits of the exact products ``a * n`` (uint64 array ``a``, int ``0 <= n < 2**64``)."""
    low = np.uint64(0xFFFFFFFF)
    n0, n1 = np.uint64(n & 0xFFFFFFFF), np.uint64(n >> 32)
    a0, a1 = a & low, a >> np.uint64(32)
    t = a1 * n0 + ((a0 * n0) >> np.uint64(32))          # each step stays below 2**64
    mid = a0 * n1 + (t & low)
    return a1 * n1 + (t >> np.uint64(32)) + (mid >> np.uint64(32))


def max(a, axis=None, keepdims=False):
    """Largest element along ``axis`` (same format)."""
    return a.max(axis=axis, keepdims=keepdims)


def min(a, axis=None, keepdims=False):
    """Smallest element along ``axis`` (same format)."""
    return a.min(axis=axis, keepdims=keepdims)


def argmax(a, axis=None):
    """Index of the largest element along ``axis``."""
    return a.argmax(axis=axis)


def argmin(a, axis=None):
    """Index of the smallest element along ``axis``."""
    return a.argmin(axis=axis)


# --- joining ------------------------------------------------------------------------------

def _common(arrays):
    arrays = [a if isinstance(a, FxpArray) else None for a in arrays]
    if any(a is None for a in arrays) or not arrays:
        raise TypeError("concatenate / stack need a non-empty sequence of FxpArrays")
    fmt = _rules.common_format(a.fmt for a in arrays)
    return [asarray(a, fmt).raw for a in arrays], fmt


def concatenate(arrays, axis=0):
    """Join FxpArrays along an existing axis (converted exactly to their common format)."""
    raws, fmt = _common(list(arrays))
    return FxpArray(np.concatenate(raws, axis=axis), fmt)


def stack(arrays, axis=0):
    """Join FxpArrays along a new axis (converted exactly to their common format)."""
    raws, fmt = _common(list(arrays))
    return FxpArray(np.stack(raws, axis=axis), fmt)


# --- I/O ----------------------------------------------------------------------------------

_NPZ_KEYS = ("raw", "word_bits", "frac_bits", "signed")


def save(file, a):
    """Save an FxpArray to a ``.npz`` file (raw integers and the format)."""
    if not isinstance(a, FxpArray):
        raise TypeError(f"fxp.save stores FxpArrays, got {type(a).__name__}")
    np.savez(file, raw=a.raw, word_bits=a.fmt.word_bits, frac_bits=a.fmt.frac_bits,
             signed=a.fmt.signed)


def load(file):
    """Load an FxpArray saved by :func:`save`.

    Parameters
    ----------
    file : str, path-like or binary file object

    Raises
    ------
    OSError
        The file cannot be opened (``FileNotFoundError``, ...).
    ValueError
        The file is not an fxp ``.npz`` file or is damaged: not a zip archive, truncated, an
        entry missing, of the wrong dtype or shape, or holding pickled data (never unpickled).
        The message names the file and the problem.
    """
    if isinstance(file, (str, os.PathLike)):
        name = os.fspath(file)
        opened = open(name, "rb")
    else:
        name, opened = file, contextlib.nullcontext(file)
    with opened as fh:
        try:
            return _read_fxp(fh)
        except _DAMAGED as exc:
            raise ValueError(f"corrupt fxp file {name!r}: {exc}") from None


# what numpy's and zipfile's readers raise on damaged input
_DAMAGED = (ValueError, EOFError, OSError, NotImplementedError, RuntimeError, zipfile.BadZipFile,
            zlib.error)


def _read_fxp(fh):
    """The FxpArray in the open ``.npz`` file ``fh``, every entry checked."""
    data = np.load(fh, allow_pickle=False)
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"not an .npz archive but a single {type(data).__name__}")
    with data:
        missing = [k for k in _NPZ_KEYS if k not in data.files]
        if missing:
            raise ValueError(f"missing entries {missing}")
        fields = {k: data[k] for k in _NPZ_KEYS}
    for key, kinds in (("word_bits", "iu"), ("frac_bits", "iu"), ("signed", "b")):
        if fields[key].shape != () or fields[key].dtype.kind not in kinds:
            raise ValueError(f"{key} must be a scalar of kind {kinds!r}, got {fields[key].dtype} of "
                             f"shape {fields[key].shape}")
    fmt = Format(int(fields["word_bits"]), int(fields["frac_bits"]), bool(fields["signed"]))
    raw = fields["raw"]
    if raw.dtype != fmt.dtype:
        raise ValueError(f"raw dtype {raw.dtype} does not match {fmt} ({fmt.dtype})")
    return from_raw(raw, fmt)
