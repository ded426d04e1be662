"""The public functions on FxpArrays besides the operators' (in :mod:`fxp._operators`): creation,
elementwise maximum / minimum, reductions, joining and I/O."""
from __future__ import annotations

import contextlib
import os
import zipfile
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, BinaryIO, ContextManager

import numpy as np

from . import _rules
from ._array import FxpArray, asarray, coerce_operands, from_raw
from ._format import Format, as_format

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

def _common(arrays):
    arrays = [a if isinstance(a, FxpArray) else None for a in arrays]
    if any(a is None for a in arrays) or not arrays:
        raise TypeError("concatenate / stack need a non-empty sequence of FxpArrays")
    fmt = _rules.common_format(a.fmt for a in arrays)
    return [asarray(a, fmt).raw for a in arrays], fmt


def concatenate(arrays: Sequence[FxpArray], axis: int | None = 0) -> FxpArray:
    """Join FxpArrays along an existing axis (converted exactly to their common format)."""
    raws, fmt = _common(list(arrays))
    return FxpArray(np.concatenate(raws, axis=axis), fmt)


def stack(arrays: Sequence[FxpArray], axis: int = 0) -> FxpArray:
    """Join FxpArrays along a new axis (converted exactly to their common format)."""
    raws, fmt = _common(list(arrays))
    return FxpArray(np.stack(raws, axis=axis), fmt)


# --- I/O ----------------------------------------------------------------------------------

_NPZ_KEYS = ("raw", "word_bits", "frac_bits", "signed")


def save(file: str | os.PathLike[str] | BinaryIO, a: FxpArray) -> None:
    """Save an FxpArray to a ``.npz`` file (raw integers and the format)."""
    if not isinstance(a, FxpArray):
        raise TypeError(f"fxp.save stores FxpArrays, got {type(a).__name__}")
    np.savez(file, raw=a.raw, word_bits=a.fmt.word_bits, frac_bits=a.fmt.frac_bits,
             signed=a.fmt.signed)


def load(file: str | os.PathLike[str] | BinaryIO) -> FxpArray:
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
    name: object = file
    opened: ContextManager[BinaryIO]
    if isinstance(file, (str, os.PathLike)):
        name = os.fspath(file)
        opened = open(name, "rb")
    else:
        opened = contextlib.nullcontext(file)
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
