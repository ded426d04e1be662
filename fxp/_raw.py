"""Raw-level kernel calls: validation-free glue between FxpArray code and the C kernels.

Functions here take raw integer arrays plus fraction bits and a target :class:`Format`,
resolve modes, draw the stochastic key, pick the thread count, run one kernel, and report
overflows (count them, or raise under ``overflow="raise"``).  The rare operations the 128-bit
kernel cannot hold (operand scales more than 94 bits apart, uint64 raws) run in :mod:`fxp._wide`,
which follows the same rules.
"""
from __future__ import annotations

import numpy as np

from . import _wide
from ._context import counting, record_overflows, resolve_modes, threads_for
from ._kernels import _elementwise
from ._modes import FxpOverflowError, Overflow, Rounding
from .random import draw_key

ROUNDING_CODES = {mode: _elementwise.ROUNDING_CODES[mode.value] for mode in Rounding}
OVERFLOW_CODES = {mode: _elementwise.OVERFLOW_CODES[mode.value] for mode in Overflow}
KERNEL_DTYPES = frozenset(_elementwise.TYPE_CODES)
# |raw| <= 2**bits for each kernel dtype; the C kernel holds sums of operands up to 2**126 and
# products below 2**127 exactly (int64 when they fit, else __int128)
MAGNITUDE_BITS = _elementwise.MAGNITUDE_BITS


_TARGETS = {}     # (Format, Rounding, Overflow) -> its _elementwise.Target


def target(fmt, rounding, overflow):
    """The kernels' :class:`~fxp._kernels._elementwise.Target` of ``fmt`` under ``rounding`` and
    ``overflow`` (enums), built once."""
    key = (fmt, rounding, overflow)
    found = _TARGETS.get(key)
    if found is None:
        found = _TARGETS[key] = _elementwise.Target(
            fmt.dtype, lo=fmt.min_raw, hi=fmt.max_raw, w=fmt.word_bits,
            rounding=ROUNDING_CODES[rounding], overflow=OVERFLOW_CODES[overflow])
    return found


def _native(arr):
    """C-contiguous, native-byte-order copy of ``arr`` (no copy when it already is)."""
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr if arr.flags.c_contiguous else arr.copy(order="C")  # keeps 0-d arrays 0-d


def _report(n_over, size, fmt, overflow, what):
    if overflow is Overflow.RAISE and n_over:
        raise FxpOverflowError(
            f"{what}: {n_over} of {size} elements overflow {fmt} (range [{fmt.min}, {fmt.max}])"
        )
    record_overflows(n_over, size, overflow)


def _key(rounding, rng):
    return draw_key(rng) if rounding is Rounding.STOCHASTIC else 0


def quantize(x, fmt, rounding=None, overflow=None, rng=None):
    """Round floats ``x`` (any real dtype, shape, strides) into raw values of ``fmt``."""
    rounding, overflow = resolve_modes(rounding, overflow)
    if type(x) is not np.ndarray or not _elementwise.is_quantize_input(x):
        x = np.asarray(x)
        x = _native(x if x.dtype.char in "fd" else x.astype(np.float64))   # float32 or float64
    out, (n_over, n_nan, n_inf) = _elementwise.quantize(
        x, target(fmt, rounding, overflow), frac_bits=fmt.frac_bits, key=_key(rounding, rng),
        n_threads=threads_for(x.size))
    if n_nan:
        raise ValueError(f"cannot quantize NaN to {fmt}: {n_nan} of {x.size} elements are NaN")
    if n_inf and overflow is Overflow.WRAP:
        raise ValueError(f"cannot wrap infinity into {fmt}: {n_inf} elements are +-inf "
                         "(use overflow='saturate')")
    if n_over or counting():
        _report(n_over, x.size, fmt, overflow, "quantize")
    return out


def requantize(raw, src_frac, fmt, rounding=None, overflow=None, rng=None):
    """Integers ``raw`` at scale ``2**-src_frac`` into raw values of ``fmt`` (one rounding)."""
    rounding, overflow = resolve_modes(rounding, overflow)
    if type(raw) is not np.ndarray or not _elementwise.is_int_operand(raw):
        raw = _native(np.asarray(raw))
    if raw.dtype not in KERNEL_DTYPES:      # uint64 or Python ints
        out, n_over = _wide.requantize(raw, src_frac, fmt, rounding, overflow, _key(rounding, rng))
    else:
        out, n_over = _elementwise.int_op(
            "copy", raw, raw, target(fmt, rounding, overflow), s=src_frac - fmt.frac_bits,
            key=_key(rounding, rng), n_threads=threads_for(raw.size))
    if n_over or counting():
        _report(n_over, raw.size, fmt, overflow, "requantize")
    return out


def run_kernel(op, a, b, fmt, rounding, overflow, *, a_shift=0, b_shift=0, s=0, key=0,
               n_threads=1, out=None):
    """Core's elementwise kernel (``op`` of :data:`_elementwise.OPS`) into ``fmt`` with an
    explicit stochastic ``key`` and thread count, into ``out`` (default: a new array);
    returns ``(out, the number of outputs that overflowed fmt)``."""
    return _elementwise.int_op(op, a, b, target(fmt, rounding, overflow), out=out,
                               a_shift=a_shift, b_shift=b_shift, s=s, key=key, n_threads=n_threads)


def _operand(raw, shape):
    if raw.size == 1:
        return _native(raw.reshape(1))
    return _native(raw if raw.shape == shape else np.broadcast_to(raw, shape))


def arithmetic(op, a, fa, b, fb, fmt, rounding=None, overflow=None, rng=None):
    """``op`` in add / subtract / multiply on raws ``a`` (scale 2**-fa) and ``b`` (2**-fb),
    exact, then rounded once into ``fmt``; numpy broadcasting."""
    rounding, overflow = resolve_modes(rounding, overflow)
    if type(a) is not np.ndarray:
        a = np.asarray(a)
    if type(b) is not np.ndarray:
        b = np.asarray(b)
    same = a.shape == b.shape
    shape = a.shape if same else np.broadcast_shapes(a.shape, b.shape)
    bits_a, bits_b = MAGNITUDE_BITS.get(a.dtype, 999), MAGNITUDE_BITS.get(b.dtype, 999)
    if op == "multiply":
        scale, da, db = fa + fb, 0, 0
        fits = bits_a + bits_b <= 126
    else:
        scale = fa if fa > fb else fb
        da, db = scale - fa, scale - fb
        fits = bits_a + da <= 126 and bits_b + db <= 126
    if not fits:
        out, n_over = _wide.arithmetic(op, a, fa, b, fb, fmt, rounding, overflow,
                                       _key(rounding, rng))
    elif same and _elementwise.is_int_operand(a) and _elementwise.is_int_operand(b):
        out, n_over = _elementwise.int_op(
            op, a, b, target(fmt, rounding, overflow), a_shift=da, b_shift=db,
            s=scale - fmt.frac_bits, key=_key(rounding, rng), n_threads=threads_for(a.size))
    else:
        out = np.empty(shape, dtype=fmt.dtype)
        out, n_over = _elementwise.int_op(
            op, _operand(a, shape), _operand(b, shape), target(fmt, rounding, overflow), out=out,
            a_shift=da, b_shift=db, s=scale - fmt.frac_bits, key=_key(rounding, rng),
            n_threads=threads_for(out.size))
    if n_over or counting():
        _report(n_over, out.size, fmt, overflow, op)
    return out
