"""``fxp.matmul``: fixed-point matrix products with a bounded accumulator.

Semantics (normative reference: ``fxp/_reference_gemm.py`` then
``fxp._reference.requantize``):

1. every product ``a[i,k] * b[k,j]`` is exact, with ``frac_a + frac_b`` fraction bits;
2. products are added in the order k = 0..K-1 into a signed ``acc_bits`` accumulator,
   clamped (``acc_overflow="saturate"``) or wrapped (``"wrap"``) after every addition;
   ``chunk=c`` sums each run of c products in its own accumulator and then adds the chunk
   sums with the same rule (Sakr et al. 2019);
3. the accumulator is rounded once into ``out_format`` (any rounding mode) and saturated,
   wrapped or raised on per ``overflow``.

The output rounding is core's elementwise requantize applied to the int64 accumulators:
stochastic rounding draws one key from ``rng`` and the output element with flat C-order
index i of the (batch..., M, N) result takes core's elementwise random word for index i,
so results are identical for any thread count and any blocking of the kernel.
"""
from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from ._array import FxpArray
from ._context import PARALLEL_MACS, record_overflows, resolve_modes, threads_for
from ._format import Format, as_format
from ._kernels import _gemm
from ._modes import FxpOverflowError, Overflow, Rounding
from ._ops import run_kernel
from ._reference_gemm import ACC_BITS_RANGE
from .analysis import worst_case_acc_bits
from .random import draw_key


def default_out_format(fa, fb):
    """Result format when ``out_format`` is None: the wider word and the finer scale."""
    return Format(max(fa.word_bits, fb.word_bits), max(fa.frac_bits, fb.frac_bits),
                  fa.signed or fb.signed)


def _check_operand_format(fmt):
    if not fmt.signed and fmt.word_bits == 32:
        raise ValueError(f"matmul operands of format {fmt} are not supported: unsigned 32-bit "
                         "products do not fit a 64-bit accumulator; use at most u31")


def _validate_acc(acc_bits, acc_overflow, chunk):
    lo, hi = ACC_BITS_RANGE
    if acc_bits is not None:
        if isinstance(acc_bits, bool) or not isinstance(acc_bits, numbers.Integral):
            raise TypeError(f"acc_bits must be an integer, got {acc_bits!r}")
        if not lo <= acc_bits <= hi:
            raise ValueError(f"acc_bits must be in {lo}..{hi}, got {acc_bits}")
    if acc_overflow not in ("saturate", "wrap"):
        raise ValueError(f"acc_overflow must be 'saturate' or 'wrap', got {acc_overflow!r}")
    if chunk is not None:
        if isinstance(chunk, bool) or not isinstance(chunk, numbers.Integral) or chunk < 1:
            raise ValueError(f"chunk must be a positive integer or None, got {chunk!r}")


_NO_OFFSET = np.zeros(1, dtype=np.intp)
_NO_OFFSET.flags.writeable = False


def _batch_view(raw, bshape):
    """Broadcast ``raw`` to ``bshape + raw.shape[-2:]`` (a view) and its per-item offsets."""
    if not bshape:
        return raw, _NO_OFFSET
    view = np.broadcast_to(raw, bshape + raw.shape[-2:])
    steps = np.array(view.strides[:-2], dtype=np.intp) // view.itemsize
    index = np.indices(bshape, dtype=np.intp).reshape(len(bshape), -1)
    return view, np.ascontiguousarray((index * steps[:, None]).sum(axis=0), dtype=np.intp)


def accumulate_raw(a_raw, b_raw, acc_bits, acc_overflow="saturate", chunk=None, n_threads=1,
                   isa=-1, force_row=False):
    """Bounded accumulation of raw operands of shapes (..., M, K) @ (..., K, N).

    Returns ``(acc, hits, path)``: accumulators of the broadcast shape (..., M, N)
    (int64, or int32 when the int32 kernel's results need no widening), the number
    of outputs that hit the accumulator bound, and the kernel path used (for tests
    and benchmarks).
    """
    a_raw = np.asarray(a_raw)
    b_raw = np.asarray(b_raw)
    if a_raw.shape[-1] != b_raw.shape[-2]:
        raise ValueError(f"matmul: inner dimensions differ: {a_raw.shape} @ {b_raw.shape}")
    bshape = () if a_raw.ndim == b_raw.ndim == 2 else \
        np.broadcast_shapes(a_raw.shape[:-2], b_raw.shape[:-2])
    a_view, a_off = _batch_view(a_raw, bshape)
    b_view, b_off = _batch_view(b_raw, bshape)
    m, n = a_raw.shape[-2], b_raw.shape[-1]
    n_batch = math.prod(bshape)
    acc = np.empty((n_batch, m, n), dtype=np.int64)
    if n_batch == 0:
        return acc.reshape(bshape + (m, n)), 0, "none"
    hits, path, is_int32 = _gemm.accumulate(a_view, b_view, a_off, b_off, acc, acc_bits,
                                            acc_overflow == "wrap", chunk or 0, n_threads,
                                            isa, force_row, True)
    if is_int32:
        acc = acc.reshape(-1).view(np.int32)[:m * n]
    return acc.reshape(bshape + (m, n)), hits, path


def round_accumulators(acc, src_frac, out_format, rounding, overflow, key, n_threads):
    """One rounding of integer accumulators at scale ``2**-src_frac`` into ``out_format``.

    Returns ``(raw, n_over)`` with ``raw`` of ``out_format.dtype`` and the shape of ``acc``.
    """
    out = np.empty(acc.shape, dtype=out_format.dtype)
    # core's elementwise requantize: the same rounding code and stochastic stream rule
    # (the kernel saturates under "raise"; the caller raises on the count)
    acc = np.ascontiguousarray(acc)
    n_over = run_kernel("copy", acc, 0, acc, 0, out, src_frac - out_format.frac_bits, out_format,
                        rounding, overflow, key, n_threads)
    return out, n_over


@functools.lru_cache(maxsize=256)
def _exact_acc_bits(fa, fb, k):
    """The default accumulator: nothing can overflow (capped at 64 bits)."""
    lo, hi = ACC_BITS_RANGE
    return min(hi, max(lo, worst_case_acc_bits(fa, fb, k)))


def gemm_raw(a_raw, fa, b_raw, fb, out_format=None, rounding=None, overflow=None, acc_bits=None,
             acc_overflow="saturate", chunk=None, rng=None, n_threads=None):
    """The whole fixed-point product on raw arrays (..., M, K) @ (..., K, N).

    Returns ``(raw, out_format, acc_hits, n_over)``; records both counts with
    :func:`fxp.count_overflows` and raises under ``overflow="raise"``.
    """
    fa, fb = as_format(fa), as_format(fb)
    _check_operand_format(fa)
    _check_operand_format(fb)
    _validate_acc(acc_bits, acc_overflow, chunk)
    out_format = default_out_format(fa, fb) if out_format is None else as_format(out_format)
    rounding, overflow = resolve_modes(rounding, overflow)
    a_shape, b_shape = np.shape(a_raw), np.shape(b_raw)
    k = a_shape[-1]
    if acc_bits is None:
        acc_bits = _exact_acc_bits(fa, fb, k)
    batch = () if len(a_shape) == len(b_shape) == 2 else \
        np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    size = math.prod(batch) * a_shape[-2] * b_shape[-1]
    threads = threads_for(size * max(k, 1), n_threads, PARALLEL_MACS)
    acc, hits, _ = accumulate_raw(a_raw, b_raw, acc_bits, acc_overflow, chunk, threads)
    key = draw_key(rng) if rounding is Rounding.STOCHASTIC else 0
    raw, n_over = round_accumulators(acc, fa.frac_bits + fb.frac_bits, out_format, rounding,
                                     overflow, key, threads)
    record_overflows(hits, 0, Overflow.WRAP if acc_overflow == "wrap" else Overflow.SATURATE)
    record_overflows(n_over, raw.size, overflow)
    if overflow is Overflow.RAISE and n_over:
        raise FxpOverflowError(f"matmul: {n_over} of {raw.size} outputs overflow {out_format}")
    return raw, out_format, hits, n_over


def _as_fxp(x, name):
    if not isinstance(x, FxpArray):
        raise TypeError(f"fxp.matmul: {name} must be an FxpArray, got {type(x).__name__}; "
                        "quantize it first with fxp.asarray(x, fmt)")
    return x


def matmul(a, b, out_format=None, rounding=None, overflow=None, acc_bits=None,
           acc_overflow="saturate", chunk=None, rng=None, n_threads=None):
    """Fixed-point matrix product with a bounded accumulator (``a @ b``).

    Shapes follow :func:`numpy.matmul`: 1-D operands are promoted to a row
    (``a``) or a column (``b``) and the added axis is removed afterwards;
    leading batch dimensions broadcast.

    Parameters
    ----------
    a, b : FxpArray
        Operands; any formats except unsigned 32-bit.
    out_format : Format or str, optional
        Result format; default: the wider word and finer scale of the operands.
    rounding, overflow : str or enum, optional
        Output rounding and overflow (defaults from :class:`fxp.config`).
    acc_bits : int, optional
        Accumulator width, 2..64; default: wide enough that no sum of K products
        can overflow (capped at 64).
    acc_overflow : {"saturate", "wrap"}
        Applied after every addition into the accumulator, in the order k = 0..K-1.
    chunk : int, optional
        Chunked accumulation: runs of ``chunk`` products get their own accumulator.
    rng : None, int, Xorshift or numpy Generator, optional
        For stochastic rounding (one key drawn per call).
    n_threads : int, optional
        Most kernel threads (default from :class:`fxp.config`); products of fewer than
        ``2**22`` multiply-adds run on one.  Results never depend on it.

    Returns
    -------
    FxpArray

    Notes
    -----
    Outputs whose accumulation hit the accumulator bound are added to an active
    :func:`fxp.count_overflows` block (as saturated or wrapped, per ``acc_overflow``,
    without adding to its element count); output-format overflows are counted too.

    Examples
    --------
    >>> import fxp
    >>> a = fxp.asarray([[7.0] * 64], "s8.4")
    >>> b = fxp.asarray([[7.0]] * 64, "s8.4")
    >>> fxp.matmul(a, b, out_format="s16.8", acc_bits=16).to_float()  # 64 * 49 clamped
    array([[127.99609375]])
    """
    a = _as_fxp(a, "a")
    b = _as_fxp(b, "b")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("fxp.matmul: operands must have at least one dimension (use multiply)")
    a_raw = a.raw[None, :] if a.ndim == 1 else a.raw
    b_raw = b.raw[:, None] if b.ndim == 1 else b.raw
    if a_raw.shape[-1] != b_raw.shape[-2]:
        raise ValueError(f"fxp.matmul: shape mismatch: {a.shape} @ {b.shape} "
                         f"(inner dimensions {a_raw.shape[-1]} != {b_raw.shape[-2]})")
    raw, fmt, _, _ = gemm_raw(a_raw, a.fmt, b_raw, b.fmt, out_format, rounding, overflow,
                              acc_bits, acc_overflow, chunk, rng, n_threads)
    if b.ndim == 1:
        raw = raw[..., 0]
    if a.ndim == 1:
        raw = raw[..., 0, :] if b.ndim > 1 else raw[..., 0]
    return FxpArray(raw, fmt)
