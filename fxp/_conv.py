"""2-D convolution (NCHW) and its two gradients, as im2col + the bounded-accumulator GEMM.

Every output element is ONE dot product of the GEMM, so it gets exactly the semantics of
:func:`fxp.matmul` (exact products, ``acc_bits`` accumulator clamped or wrapped after every
addition, optional chunks, one output rounding).  The order of the additions is part of
the result under saturation; it is:

* ``conv2d``: k = (c, dy, dx) in C order (input channel, kernel row, kernel column);
* ``conv2d_input_grad``: k = (o, dy, dx) over output channels and the *flipped* kernel,
  i.e. the transposed convolution written as a direct one over the zero-stuffed gradient
  (the zeros of the stuffing add nothing, whatever the accumulator);
* ``conv2d_weight_grad``: k = (n, y, x) over the batch and the output positions.

Stochastic rounding follows the GEMM rule on the GEMM's output layout: (C_out, N*H*W) for
``conv2d``, (C_in, N*H*W) for ``conv2d_input_grad`` (channels first), (C_out, C_in*kh*kw) for
the weight gradient; so results never depend on the thread count.
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np

from ._accumulator import as_accumulator
from ._array import FxpArray
from ._gemm import gemm_raw

if TYPE_CHECKING:
    from ._typing import Accumulator, FormatLike, OverflowLike, Pair, RngLike, RoundingLike


def _pair(value, name, minimum):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value), int(value))
    try:
        pair = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}") from None
    if len(pair) != 2 or min(pair) < minimum:
        raise ValueError(f"{name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return pair


def _geometry(stride, padding, dilation):
    return _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)


def _out_size(padded, k, s, d):
    """Output length of a kernel of ``k`` taps, stride ``s``, dilation ``d`` over ``padded``."""
    return (padded - d * (k - 1) - 1) // s + 1


def _fxp4(x, name):
    if not isinstance(x, FxpArray):
        raise TypeError(f"{name} must be an FxpArray, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D (NCHW / OIHW), got shape {x.shape}")
    return x


def im2col(x_raw, kernel, stride, pads, dilation):
    """Columns of (N, C, H, W) ``x_raw``: shape (C*kh*kw, N*Ho*Wo), rows in (c, dy, dx) order.

    ``pads`` = (top, bottom, left, right) zero padding; returns ``(cols, (Ho, Wo))``.
    """
    n, c, h, w = x_raw.shape
    kh, kw = kernel
    (sh, sw), (dh, dw) = stride, dilation
    top, bottom, left, right = pads
    ho = _out_size(h + top + bottom, kh, sh, dh)
    wo = _out_size(w + left + right, kw, sw, dw)
    if ho < 1 or wo < 1:
        raise ValueError(f"convolution output would be empty: input {h}x{w}, kernel {kh}x{kw}, "
                         f"stride {stride}, padding {pads}, dilation {dilation}")
    xp = np.pad(x_raw, ((0, 0), (0, 0), (top, bottom), (left, right)))
    cols = np.empty((c, kh, kw, n, ho, wo), dtype=x_raw.dtype)
    for dy in range(kh):
        for dx in range(kw):
            patch = xp[:, :, dy * dh: dy * dh + sh * (ho - 1) + 1: sh,
                       dx * dw: dx * dw + sw * (wo - 1) + 1: sw]
            cols[:, dy, dx] = patch.transpose(1, 0, 2, 3)
    return cols.reshape(c * kh * kw, n * ho * wo), (ho, wo)


def _conv_raw(x_raw, x_fmt, w_raw, w_fmt, stride, pads, dilation, gemm_kwargs):
    """Direct convolution of raw arrays; returns an FxpArray (N, C_out, Ho, Wo)."""
    c_out, c_in, kh, kw = w_raw.shape
    if x_raw.shape[1] != c_in:
        raise ValueError(f"conv2d: input has {x_raw.shape[1]} channels, weight expects {c_in}")
    cols, (ho, wo) = im2col(x_raw, (kh, kw), stride, pads, dilation)
    raw, fmt, _, _ = gemm_raw(w_raw.reshape(c_out, c_in * kh * kw), w_fmt, cols, x_fmt,
                              **gemm_kwargs)
    n = x_raw.shape[0]
    out = np.ascontiguousarray(raw.reshape(c_out, n, ho, wo).transpose(1, 0, 2, 3))
    return FxpArray(out, fmt)


def conv2d(x: FxpArray, w: FxpArray, stride: Pair = 1, padding: Pair = 0, dilation: Pair = 1,
           out_format: FormatLike | None = None, rounding: RoundingLike = None, overflow: OverflowLike = None,
           acc_bits: int | None = None, acc_overflow: OverflowLike = None, chunk: int | None = None,
           rng: RngLike = None, n_threads: int | None = None, *, acc: Accumulator | None = None) -> FxpArray:
    """2-D cross-correlation (deep-learning "convolution") of NCHW ``x`` with OIHW ``w``.

    Parameters
    ----------
    x : FxpArray, shape (N, C_in, H, W)
    w : FxpArray, shape (C_out, C_in, kh, kw)
    stride, padding, dilation : int or (int, int)
        As in ``torch.nn.functional.conv2d`` (zero padding on both sides).
    out_format, rounding, overflow, acc_bits, acc_overflow, chunk, rng, n_threads, acc
        As in :func:`fxp.matmul`; the accumulation length is C_in*kh*kw, in (c, dy, dx) order.

    Returns
    -------
    FxpArray, shape (N, C_out, Ho, Wo)
    """
    x, w = _fxp4(x, "x"), _fxp4(w, "w")
    stride, (ph, pw), dilation = _geometry(stride, padding, dilation)
    kwargs = dict(out_format=out_format, rounding=rounding, overflow=overflow,
                  acc=as_accumulator(acc, acc_bits, acc_overflow, chunk), rng=rng, n_threads=n_threads)
    return _conv_raw(x.raw, x.fmt, w.raw, w.fmt, stride, (ph, ph, pw, pw), dilation, kwargs)


def conv2d_input_grad(grad_out: FxpArray, w: FxpArray, input_shape: tuple[int, ...],
                      stride: Pair = 1, padding: Pair = 0, dilation: Pair = 1,
                      out_format: FormatLike | None = None, rounding: RoundingLike = None, overflow: OverflowLike = None,
                      acc_bits: int | None = None, acc_overflow: OverflowLike = None, chunk: int | None = None,
                      rng: RngLike = None, n_threads: int | None = None, *, acc: Accumulator | None = None) -> FxpArray:
    """Gradient of :func:`conv2d` with respect to its input (a transposed convolution).

    Parameters
    ----------
    grad_out : FxpArray, shape (N, C_out, Ho, Wo)
    w : FxpArray, shape (C_out, C_in, kh, kw)
    input_shape : tuple
        (N, C_in, H, W) or (H, W) of the forward input.
    stride, padding, dilation
        Those of the forward convolution.
    out_format, rounding, overflow, acc_bits, acc_overflow, chunk, rng, n_threads, acc
        As in :func:`fxp.matmul`; accumulation length C_out*kh*kw (only the products that
        the stride does not zero out are nonzero).

    Returns
    -------
    FxpArray, shape (N, C_in, H, W)
    """
    grad_out, w = _fxp4(grad_out, "grad_out"), _fxp4(w, "w")
    (sh, sw), (ph, pw), (dh, dw) = _geometry(stride, padding, dilation)
    h, wd = tuple(input_shape)[-2:]
    c_out, c_in, kh, kw = w.shape
    if len(tuple(input_shape)) == 4 and tuple(input_shape)[:2] != (grad_out.shape[0], c_in):
        raise ValueError(f"conv2d_input_grad: input_shape {tuple(input_shape)} does not match "
                         f"batch {grad_out.shape[0]} and weight channels {c_in}")
    n, go_c, ho, wo = grad_out.shape
    if go_c != c_out:
        raise ValueError(f"conv2d_input_grad: grad_out has {go_c} channels, weight has {c_out}")
    if (ho, wo) != (_out_size(h + 2 * ph, kh, sh, dh), _out_size(wd + 2 * pw, kw, sw, dw)):
        raise ValueError(f"conv2d_input_grad: grad_out spatial shape {(ho, wo)} does not match "
                         f"input {(h, wd)} with this kernel/stride/padding/dilation")
    # zero-stuff by the stride, then pad (or crop) so a stride-1 direct convolution with
    # the flipped, channel-swapped kernel gives exactly H x W outputs
    stuffed = np.zeros((n, c_out, (ho - 1) * sh + 1, (wo - 1) * sw + 1), dtype=grad_out.raw.dtype)
    stuffed[:, :, ::sh, ::sw] = grad_out.raw
    pads = []
    for size, out_len, k, p, d in ((h, stuffed.shape[2], kh, ph, dh), (wd, stuffed.shape[3], kw, pw, dw)):
        pads += [d * (k - 1) - p, size + p - out_len]
    top, bottom, left, right = pads
    stuffed = stuffed[:, :, max(0, -top): stuffed.shape[2] - max(0, -bottom),
                      max(0, -left): stuffed.shape[3] - max(0, -right)]
    w_t = np.ascontiguousarray(w.raw[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    kwargs = dict(out_format=out_format, rounding=rounding, overflow=overflow,
                  acc=as_accumulator(acc, acc_bits, acc_overflow, chunk), rng=rng, n_threads=n_threads)
    return _conv_raw(stuffed, grad_out.fmt, w_t, w.fmt, (1, 1),
                     (max(0, top), max(0, bottom), max(0, left), max(0, right)), (dh, dw), kwargs)


def conv2d_weight_grad(x: FxpArray, grad_out: FxpArray, weight_shape: tuple[int, ...],
                       stride: Pair = 1, padding: Pair = 0, dilation: Pair = 1,
                       out_format: FormatLike | None = None, rounding: RoundingLike = None, overflow: OverflowLike = None,
                       acc_bits: int | None = None, acc_overflow: OverflowLike = None, chunk: int | None = None,
                       rng: RngLike = None, n_threads: int | None = None, *, acc: Accumulator | None = None) -> FxpArray:
    """Gradient of :func:`conv2d` with respect to its weight.

    Parameters
    ----------
    x : FxpArray, shape (N, C_in, H, W)
        The forward input.
    grad_out : FxpArray, shape (N, C_out, Ho, Wo)
    weight_shape : tuple
        (C_out, C_in, kh, kw) or (kh, kw).
    stride, padding, dilation
        Those of the forward convolution.
    out_format, rounding, overflow, acc_bits, acc_overflow, chunk, rng, n_threads, acc
        As in :func:`fxp.matmul`; accumulation length N*Ho*Wo (Sakr et al.'s GRAD GEMM,
        the longest of the three), in (n, y, x) order.

    Returns
    -------
    FxpArray, shape (C_out, C_in, kh, kw)
    """
    x, grad_out = _fxp4(x, "x"), _fxp4(grad_out, "grad_out")
    stride, (ph, pw), dilation = _geometry(stride, padding, dilation)
    kh, kw = tuple(weight_shape)[-2:]
    n, c_in = x.shape[:2]
    c_out = grad_out.shape[1]
    if grad_out.shape[0] != n:
        raise ValueError(f"conv2d_weight_grad: batch sizes differ: x {n}, grad_out {grad_out.shape[0]}")
    cols, (ho, wo) = im2col(x.raw, (kh, kw), stride, (ph, ph, pw, pw), dilation)
    if grad_out.shape[2:] != (ho, wo):
        raise ValueError(f"conv2d_weight_grad: grad_out spatial shape {grad_out.shape[2:]} does "
                         f"not match the forward output {(ho, wo)}")
    g = grad_out.raw.transpose(1, 0, 2, 3).reshape(c_out, n * ho * wo)
    raw, fmt, _, _ = gemm_raw(g, grad_out.fmt, cols.T, x.fmt, out_format, rounding, overflow,
                              as_accumulator(acc, acc_bits, acc_overflow, chunk), rng, n_threads)
    return FxpArray(np.ascontiguousarray(raw.reshape(c_out, c_in, kh, kw)), fmt)
