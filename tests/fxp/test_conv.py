"""fxp.conv2d and its gradients: order-exact against a naive reference, adjoint identities."""
import functools
import itertools

import numpy as np
import pytest

import fxp
from fxp import _gemm as gemm_module
from fxp import _reference
from fxp._reference_gemm import accumulate_reference
from fxp.random import Xorshift, draw_key

GEOMETRIES = [  # (H, W, kh, kw, stride, padding, dilation)
    (5, 6, 3, 3, 1, 0, 1),
    (7, 7, 3, 2, 2, 1, 1),
    (8, 9, 3, 3, 2, 2, 2),
    (6, 5, 1, 1, 3, 0, 1),
    (9, 8, 2, 3, (2, 3), (1, 0), (1, 2)),
    (4, 4, 3, 3, 1, 4, 1),        # padding larger than the kernel's reach
]


def naive_columns(x, kh, kw, stride, padding, dilation):
    """im2col by explicit index arithmetic: rows (c, dy, dx), columns (n, y, x)."""
    (sh, sw), (ph, pw), (dh, dw) = [(v, v) if np.isscalar(v) else v for v in (stride, padding, dilation)]
    n, c, h, w = x.shape
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    cols = np.zeros((c * kh * kw, n * ho * wo), dtype=np.float64 if x.dtype.kind == "f" else np.int64)
    for ci, dy, dx in itertools.product(range(c), range(kh), range(kw)):
        for b, y, z in itertools.product(range(n), range(ho), range(wo)):
            yy, zz = y * sh - ph + dy * dh, z * sw - pw + dx * dw
            if 0 <= yy < h and 0 <= zz < w:
                cols[(ci * kh + dy) * kw + dx, (b * ho + y) * wo + z] = x[b, ci, yy, zz]
    return cols, ho, wo


def rand_fxp(rng, shape, fmt, scale=1):
    info = np.iinfo(fmt.dtype)
    return fxp.from_raw(rng.integers(info.min // scale, info.max // scale + 1, shape).astype(fmt.dtype), fmt)


@pytest.mark.parametrize("geom", GEOMETRIES)
def test_conv2d_matches_sequential_reference(geom):
    h, w, kh, kw, stride, padding, dilation = geom
    rng = np.random.default_rng(h * w)
    fx, fw, out = fxp.Format(8, 4), fxp.Format(8, 6), fxp.Format(16, 7)
    x = rand_fxp(rng, (2, 3, h, w), fx)
    wt = rand_fxp(rng, (4, 3, kh, kw), fw)
    for acc_bits, chunk in ((14, None), (16, 4), (32, None)):
        got = fxp.conv2d(x, wt, stride, padding, dilation, out_format=out, acc_bits=acc_bits,
                         chunk=chunk, rounding="nearest_away")
        cols, ho, wo = naive_columns(x.raw, kh, kw, stride, padding, dilation)
        acc, _ = accumulate_reference(wt.raw.reshape(4, -1), cols, acc_bits, "saturate", chunk)
        ref, _ = _reference.requantize(acc, fx.frac_bits + fw.frac_bits, out, "nearest_away")
        np.testing.assert_array_equal(got.raw, ref.reshape(4, 2, ho, wo).transpose(1, 0, 2, 3))


def naive_input_grad_columns(g, c_out, kh, kw, h, w, stride, padding, dilation):
    """Columns of the input gradient: rows (o, fy, fx) over the flipped kernel, columns
    (n, y, x) over the input; the entry is the grad_out value that meets w[o, :, kh-1-fy,
    kw-1-fx] at input (y, x), or 0 where the stride or the border leaves none."""
    (sh, sw), (ph, pw), (dh, dw) = [(v, v) if np.isscalar(v) else v for v in (stride, padding, dilation)]
    n, _, ho, wo = g.shape
    cols = np.zeros((c_out * kh * kw, n * h * w), dtype=np.int64)
    for o, fy, fx in itertools.product(range(c_out), range(kh), range(kw)):
        dy, dx = kh - 1 - fy, kw - 1 - fx
        for b, y, z in itertools.product(range(n), range(h), range(w)):
            ty, tz = y + ph - dy * dh, z + pw - dx * dw
            if ty % sh or tz % sw:
                continue
            yo, zo = ty // sh, tz // sw
            if 0 <= yo < ho and 0 <= zo < wo:
                cols[(o * kh + fy) * kw + fx, (b * h + y) * w + z] = g[b, o, yo, zo]
    return cols


GRAD_CASES = [  # (acc_bits, acc_overflow, chunk, rounding): narrow enough to saturate or wrap
    (16, "saturate", None, "nearest_even"),
    (15, "wrap", None, "floor"),
    (16, "saturate", 3, "stochastic"),
]


def assert_gemm_semantics(run, a, b, src_frac, layout):
    """``run(**gemm_kwargs)`` equals the sequential GEMM reference of ``a @ b`` rounded into
    s12.8, rearranged by ``layout``, for every case of GRAD_CASES."""
    out = fxp.Format(12, 8)
    for acc_bits, acc_overflow, chunk, rounding in GRAD_CASES:
        got = run(out_format=out, rounding=rounding, acc_bits=acc_bits, acc_overflow=acc_overflow,
                  chunk=chunk, rng=Xorshift(7))
        by_spec = run(out_format=out, rounding=rounding, rng=Xorshift(7),
                      acc=fxp.Accumulator(acc_bits, acc_overflow, chunk))
        np.testing.assert_array_equal(by_spec.raw, got.raw)
        acc, _ = accumulate_reference(a, b, acc_bits, acc_overflow, chunk)
        key = draw_key(Xorshift(7)) if rounding == "stochastic" else 0
        ref, _ = _reference.requantize(acc, src_frac, out, rounding, key=key)
        np.testing.assert_array_equal(got.raw, layout(ref))


@pytest.mark.parametrize("geom", GEOMETRIES)
def test_conv2d_input_grad_matches_sequential_reference(geom):
    h, w, kh, kw, stride, padding, dilation = geom
    rng = np.random.default_rng(3 * h + w)
    fg, fw = fxp.Format(8, 4), fxp.Format(8, 6)
    wt = rand_fxp(rng, (4, 3, kh, kw), fw)
    ho = fxp.conv2d(fxp.zeros((2, 3, h, w), fg), wt, stride, padding, dilation).shape[2:]
    g = rand_fxp(rng, (2, 4) + ho, fg)
    assert_gemm_semantics(
        functools.partial(fxp.conv2d_input_grad, g, wt, (2, 3, h, w), stride, padding, dilation),
        wt.raw[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(3, -1),
        naive_input_grad_columns(g.raw, 4, kh, kw, h, w, stride, padding, dilation),
        fg.frac_bits + fw.frac_bits, lambda ref: ref.reshape(3, 2, h, w).transpose(1, 0, 2, 3))


@pytest.mark.parametrize("geom", GEOMETRIES)
def test_conv2d_weight_grad_matches_sequential_reference(geom):
    h, w, kh, kw, stride, padding, dilation = geom
    rng = np.random.default_rng(5 * h + w)
    fx, fg = fxp.Format(8, 4), fxp.Format(8, 6)
    x = rand_fxp(rng, (2, 3, h, w), fx)
    cols, ho, wo = naive_columns(x.raw, kh, kw, stride, padding, dilation)
    g = rand_fxp(rng, (2, 4, ho, wo), fg)
    assert_gemm_semantics(
        functools.partial(fxp.conv2d_weight_grad, x, g, (4, 3, kh, kw), stride, padding, dilation),
        g.raw.transpose(1, 0, 2, 3).reshape(4, -1), cols.T, fx.frac_bits + fg.frac_bits,
        lambda ref: ref.reshape(4, 3, kh, kw))


@pytest.mark.parametrize("geom", GEOMETRIES)
def test_gradients_are_adjoints(geom):
    # exact formats and a wide accumulator: <conv(x, w), g> = <x, dX(g, w)> = <w, dW(x, g)>
    h, w, kh, kw, stride, padding, dilation = geom
    rng = np.random.default_rng(h + w)
    fmt = fxp.Format(8, 3)
    exact = fxp.Format(32, 6)
    x = rand_fxp(rng, (2, 3, h, w), fmt)
    wt = rand_fxp(rng, (5, 3, kh, kw), fmt)
    y = fxp.conv2d(x, wt, stride, padding, dilation, out_format=exact)
    g = rand_fxp(rng, y.shape, fmt)
    dx = fxp.conv2d_input_grad(g, wt, x.shape, stride, padding, dilation, out_format=exact)
    dw = fxp.conv2d_weight_grad(x, g, wt.shape, stride, padding, dilation, out_format=exact)
    assert dx.shape == x.shape and dw.shape == wt.shape
    inner = int((y.raw.astype(np.int64) * g.raw).sum())
    assert inner == int((x.raw.astype(np.int64) * dx.raw).sum())
    assert inner == int((wt.raw.astype(np.int64) * dw.raw).sum())
    # and against float64 (exact here), element by element
    np.testing.assert_array_equal(dw.to_float(), np.einsum(
        "ap,cp->ca", naive_columns(x.to_float(), kh, kw, stride, padding, dilation)[0],
        g.to_float().transpose(1, 0, 2, 3).reshape(5, -1)).reshape(wt.shape))


def test_conv2d_thread_invariant_with_stochastic_rounding(monkeypatch):
    monkeypatch.setattr(gemm_module, "PARALLEL_MACS", 0)   # every product on two threads
    rng = np.random.default_rng(1)
    fmt = fxp.Format(16, 12)
    x = rand_fxp(rng, (4, 8, 20, 20), fmt, 4)
    wt = rand_fxp(rng, (16, 8, 3, 3), fmt, 4)
    runs = [fxp.conv2d(x, wt, padding=1, rounding="stochastic", acc_bits=24, rng=3, n_threads=t)
            for t in (1, 2)]
    np.testing.assert_array_equal(runs[0].raw, runs[1].raw)


def test_conv_errors():
    fmt = fxp.Format(8, 4)
    x = fxp.zeros((1, 2, 5, 5), fmt)
    with pytest.raises(ValueError, match="channels"):
        fxp.conv2d(x, fxp.zeros((3, 4, 3, 3), fmt))
    with pytest.raises(ValueError, match="empty"):
        fxp.conv2d(x, fxp.zeros((3, 2, 7, 7), fmt))
    with pytest.raises(ValueError, match="4-D"):
        fxp.conv2d(x[0], fxp.zeros((3, 2, 3, 3), fmt))
    with pytest.raises(ValueError, match="stride"):
        fxp.conv2d(x, fxp.zeros((3, 2, 3, 3), fmt), stride=0)
    with pytest.raises(ValueError, match="input_shape"):
        fxp.conv2d_input_grad(fxp.zeros((1, 3, 3, 3), fmt), fxp.zeros((3, 2, 3, 3), fmt), (1, 5, 5, 5))
    with pytest.raises(ValueError, match="spatial shape"):
        fxp.conv2d_input_grad(fxp.zeros((1, 3, 2, 2), fmt), fxp.zeros((3, 2, 3, 3), fmt), (5, 5))
