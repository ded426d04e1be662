"""Floating-point NCHW convolution by im2col + BLAS, for the float baselines.

The fixed-point path uses ``fxp.conv2d`` and its gradient convolutions; these
are their numpy float twins (same argument conventions, dilation 1).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def output_size(size, kernel, stride, padding):
    """Output length of a convolution or pooling along one axis."""
    return (size + 2 * padding - kernel) // stride + 1


def _columns(x, kernel, stride, padding):
    """im2col: (N*OH*OW, C*kh*kw) patches of ``x`` and the output spatial shape."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    n, c, oh, ow = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw), (oh, ow)


def conv2d(x, w, stride, padding):
    """Cross-correlate ``x`` (N, C, H, W) with ``w`` (O, C, kh, kw)."""
    cols, (oh, ow) = _columns(x, w.shape[2:], stride, padding)
    out = cols @ w.reshape(w.shape[0], -1).T
    return out.reshape(x.shape[0], oh, ow, w.shape[0]).transpose(0, 3, 1, 2)


def conv2d_weight_grad(x, grad, weight_shape, stride, padding):
    """d(loss)/dw given ``grad`` = d(loss)/d(conv2d(x, w))."""
    cols, _ = _columns(x, weight_shape[2:], stride, padding)
    g = grad.transpose(0, 2, 3, 1).reshape(-1, weight_shape[0])
    return (g.T @ cols).reshape(weight_shape)


def conv2d_input_grad(grad, w, input_shape, stride, padding):
    """d(loss)/dx given ``grad`` = d(loss)/d(conv2d(x, w)) (col2im of grad @ w)."""
    n, c, h, wd = input_shape
    o, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    oh, ow = grad.shape[2:]
    dcols = grad.transpose(0, 2, 3, 1).reshape(-1, o) @ w.reshape(o, -1)
    dcols = dcols.reshape(n, oh, ow, c, kh, kw)
    dx = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dx[:, :, ph:ph + h, pw:pw + wd]
