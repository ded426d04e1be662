"""The bounded-accumulator GEMM on raw arrays, behind ``fxp.matmul`` and the convolutions.

Semantics (normative reference: ``fxp/_reference_gemm.py`` then
``fxp._reference.requantize``):

1. every product ``a[i,k] * b[k,j]`` is exact, with ``frac_a + frac_b`` fraction bits;
2. products are added in the order k = 0..K-1 into a signed accumulator of
   :class:`fxp.Accumulator` ``bits``, clamped (``Overflow.SATURATE``) or wrapped
   (``Overflow.WRAP``) after every addition; ``chunk=c`` sums each run of c products in its
   own accumulator and then adds the chunk sums with the same rule (Sakr et al. 2019);
3. the accumulator is rounded once into ``out_format`` (any rounding mode) and saturated,
   wrapped or raised on per ``overflow``.

The output rounding is core's elementwise requantize applied to the int64 accumulators:
stochastic rounding draws one key from ``rng`` and the output element with flat C-order
index i of the (batch..., M, N) result takes core's elementwise random word for index i,
so results are identical for any thread count and any blocking of the kernel.
"""
from __future__ import annotations

import math

import numpy as np

from ._accumulator import Accumulator
from ._context import PARALLEL_MACS, record_overflows, resolve_modes, threads_for
from ._format import as_format
from ._kernels import _gemm
from ._modes import FxpOverflowError, Overflow, Rounding, as_overflow
from ._raw import run_kernel
from ._rules import exact_acc_bits, matmul_format
from .random import draw_key


def kernel_operand(raw, fmt):
    """Raw operand ``raw`` of format ``fmt`` as the kernel takes it: the uint32 storage of
    u17..u31 (values below 2**31) is read as int32, the same bits, without a copy.

    Raises
    ------
    ValueError
        ``fmt`` is unsigned 32-bit.
    """
    if not fmt.signed and fmt.word_bits == 32:
        raise ValueError(f"matmul operands of format {fmt} are not supported: unsigned 32-bit "
                         "products do not fit a 64-bit accumulator; use at most u31")
    raw = np.asarray(raw)
    return raw.view(np.int32) if raw.dtype == np.uint32 else raw


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

    ``acc_overflow`` is an :class:`fxp.Overflow` (saturate or wrap) or its name.

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
    hits, path, is_int32 = _gemm.accumulate(
        a_view, b_view, a_off, b_off, acc, acc_bits=acc_bits,
        wrap=as_overflow(acc_overflow) is Overflow.WRAP, chunk=chunk or 0, n_threads=n_threads,
        isa=isa, force_row=force_row, allow_int32=True)
    if is_int32:
        acc = acc.reshape(-1).view(np.int32)[:m * n]
    return acc.reshape(bshape + (m, n)), hits, path


def round_accumulators(acc, src_frac, out_format, rounding, overflow, key, n_threads):
    """One rounding of integer accumulators at scale ``2**-src_frac`` into ``out_format``.

    Returns ``(raw, n_over)`` with ``raw`` of ``out_format.dtype`` and the shape of ``acc``.
    """
    # core's elementwise requantize: the same rounding code and stochastic stream rule
    # (the kernel saturates under "raise"; the caller raises on the count)
    acc = np.ascontiguousarray(acc)
    return run_kernel("copy", acc, acc, out_format, rounding, overflow,
                      s=src_frac - out_format.frac_bits, key=key, n_threads=n_threads)


def gemm_raw(a_raw, fa, b_raw, fb, out_format=None, rounding=None, overflow=None,
             acc=Accumulator(), rng=None, n_threads=None):
    """The whole fixed-point product on raw arrays (..., M, K) @ (..., K, N), accumulated in
    ``acc`` (an :class:`fxp.Accumulator`).

    Returns ``(raw, out_format, acc_hits, n_over)``; records both counts with
    :func:`fxp.count_overflows` and raises under ``overflow="raise"``.
    """
    fa, fb = as_format(fa), as_format(fb)
    a_raw, b_raw = kernel_operand(a_raw, fa), kernel_operand(b_raw, fb)
    a_shape, b_shape = np.shape(a_raw), np.shape(b_raw)
    k = a_shape[-1]
    out_format = matmul_format(fa, fb, k) if out_format is None else as_format(out_format)
    rounding, overflow = resolve_modes(rounding, overflow)
    acc_bits = exact_acc_bits(fa, fb, k) if acc.bits is None else acc.bits
    batch = () if len(a_shape) == len(b_shape) == 2 else \
        np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    size = math.prod(batch) * a_shape[-2] * b_shape[-1]
    threads = threads_for(size * max(k, 1), n_threads, PARALLEL_MACS)
    sums, hits, _ = accumulate_raw(a_raw, b_raw, acc_bits, acc.overflow, acc.chunk, threads)
    key = draw_key(rng) if rounding is Rounding.STOCHASTIC else 0
    raw, n_over = round_accumulators(sums, fa.frac_bits + fb.frac_bits, out_format, rounding,
                                     overflow, key, threads)
    record_overflows(hits, 0, acc.overflow)
    record_overflows(n_over, raw.size, overflow)
    if overflow is Overflow.RAISE and n_over:
        raise FxpOverflowError(f"matmul: {n_over} of {raw.size} outputs overflow {out_format}")
    return raw, out_format, hits, n_over
