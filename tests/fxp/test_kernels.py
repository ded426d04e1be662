"""Cython/C kernels equal the plain-Python reference bit for bit."""
import numpy as np
import pytest

import fxp
from fxp import Format
from fxp import _context, _reference as ref, _wide
from fxp._kernels import _elementwise
from simd import SIMD_LEVELS

ROUNDINGS = ref.ROUNDINGS
OVERFLOWS = ref.OVERFLOWS
FORMATS = [Format(16, 12), Format(8, 8, False), Format(8, -3), Format(32, 40), Format(32, 0, False),
           Format(1, 0), Format(24, 64), Format(12, -10, False), Format(17, 5), Format(9, 3, False),
           Format(32, 20)]   # s16.12 -> s32.20: a widening copy in int32 lanes
RNG = np.random.default_rng(7)
KEY = 0x5EED


def _floats_for(fmt, n=300):
    res = fmt.resolution
    span = max(abs(fmt.min), abs(fmt.max))
    ties = (RNG.integers(-50, 50, size=40) + 0.5) * res
    edges = [fmt.min, fmt.max, fmt.min - res / 2, fmt.max + res / 2, fmt.max + res, fmt.min - res,
             0.0, -0.0, res / 2, -res / 2, res / 4, -res / 4, 5e-324, -5e-324, np.inf, -np.inf]
    return np.concatenate([RNG.uniform(-1.3 * span, 1.3 * span, n), ties, edges,
                           RNG.normal(size=40) * res * 3])


def _call(func, *args, **kwargs):
    """(result, error type)."""
    try:
        return func(*args, **kwargs), None
    except (ValueError, fxp.FxpOverflowError) as exc:
        return None, type(exc)


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_quantize_matches_reference(simd, fmt, rounding):
    x = _floats_for(fmt)
    for overflow in OVERFLOWS:
        finite = x[np.isfinite(x)] if overflow == "wrap" else x   # wrap raises on +-inf
        with fxp.count_overflows() as counted:
            got, err = _call(fxp.asarray, finite, fmt, rounding, overflow, rng=fxp.random.Xorshift(3))
        expected, n_over = ref.quantize(finite, fmt, rounding, "saturate" if overflow == "raise" else overflow,
                                        fxp.random.Xorshift(3).random_raw())
        if overflow == "raise":
            assert (err is fxp.FxpOverflowError) == (n_over > 0)
            continue
        np.testing.assert_array_equal(got.raw, expected)
        assert got.raw.dtype == fmt.dtype
        assert counted.total == n_over


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
@pytest.mark.parametrize("src", [Format(16, 12), Format(32, -20), Format(8, 7, False), Format(32, 64),
                                 Format(32, 20), Format(28, 31)], ids=str)   # int32 >> 0..31: int32 lanes
def test_requantize_matches_reference(simd, fmt, src):
    raw = np.concatenate([RNG.integers(src.min_raw, src.max_raw, size=300, endpoint=True),
                          [src.min_raw, src.max_raw, 0]]).astype(src.dtype)
    a = fxp.from_raw(raw, src)
    for rounding in ROUNDINGS:
        for overflow in ("saturate", "wrap"):
            got = a.astype(fmt, rounding, overflow, rng=11)
            expected, _ = ref.requantize(raw.astype(object), src.frac_bits, fmt, rounding, overflow,
                                         fxp.random.Xorshift(11).random_raw())
            np.testing.assert_array_equal(got.raw, expected)


BINARY_CASES = [
    (Format(16, 12), Format(16, 12), Format(16, 12)),
    (Format(8, 4), Format(16, 12), Format(8, 2)),
    (Format(32, 0), Format(32, 31), Format(32, 16)),
    (Format(32, 0, False), Format(16, 8), Format(20, 4, False)),
    (Format(32, 0, False), Format(32, 0, False), Format(32, 0, False)),   # u32*u32 (__int128 path)
    (Format(32, 30, False), Format(32, -2, False), Format(32, 60, False)),
    (Format(12, -30), Format(12, 30), Format(24, 0)),                     # align by 60 (__int128 path)
    (Format(32, -30), Format(32, 64), Format(32, 10)),                    # align by 94 (__int128 path)
    (Format(32, 64), Format(31, -31), Format(32, -20)),                   # 2**31 << 95 (__int128 path)
    (Format(32, 64), Format(32, -31, False), Format(32, -20)),            # 2**32 << 95 (reference path)
    (Format(32, 64, False), Format(32, -64), Format(32, -64)),
    (Format(8, 64), Format(8, 64), Format(16, 64)),
    (Format(1, 0), Format(3, 1, False), Format(2, -1)),
    (Format(16, 0), Format(16, 0), Format(16, -31)),                      # int32 lanes, s = 31
    (Format(16, 14), Format(8, 0, False), Format(12, 3, False)),          # int32 lanes, u8 << 14
    (Format(16, 0), Format(16, 14), Format(32, 7)),                       # int32 lanes, i16 << 14
    (Format(16, 0), Format(16, 15), Format(32, 7)),                       # i16 << 15: int64 lanes
    (Format(16, 14), Format(32, 36), Format(16, 14)),                     # i16 x i32 in int64 lanes
    (Format(8, 0, False), Format(32, 20), Format(8, 2, False)),           # u8 x i32, s = 18
    (Format(16, 0, False), Format(24, 31), Format(32, 0, False)),         # u16 x s24, u32 out
    (Format(32, 32), Format(32, 31), Format(16, 0)),                      # s = 63: min*min is a tie
    (Format(32, 0), Format(16, 0), Format(32, 0)),                        # s = 0: no rounding
    (Format(24, 5), Format(17, 3), Format(12, 1)),                        # odd widths, wrap at 12 bits
]


@pytest.mark.parametrize("fa, fb, fo", BINARY_CASES, ids=lambda f: str(f))
@pytest.mark.parametrize("op", ["add", "subtract", "multiply"])
def test_binary_matches_reference(simd, fa, fb, fo, op):
    a = np.concatenate([RNG.integers(fa.min_raw, fa.max_raw, 200, endpoint=True), [fa.min_raw, fa.max_raw, 0]])
    b = np.concatenate([RNG.integers(fb.min_raw, fb.max_raw, 200, endpoint=True), [fb.min_raw, fb.min_raw, fb.max_raw]])
    A, B = fxp.from_raw(a.astype(fa.dtype), fa), fxp.from_raw(b.astype(fb.dtype), fb)
    func = getattr(fxp, op)
    for rounding in ROUNDINGS:
        for overflow in ("saturate", "wrap"):
            got = func(A, B, out_format=fo, rounding=rounding, overflow=overflow, rng=5)
            expected, _ = getattr(ref, op)(a.astype(object), fa.frac_bits, b.astype(object), fb.frac_bits,
                                           fo, rounding, overflow, fxp.random.Xorshift(5).random_raw())
            np.testing.assert_array_equal(got.raw, expected, err_msg=f"{rounding} {overflow}")


def test_wide_ops_run_in_c(monkeypatch):
    """u32 x u32 products and sums aligned by up to 94 bits do not use the exact Python path."""
    monkeypatch.setattr(_wide, "arithmetic", None)
    big = fxp.from_raw(np.array([2**32 - 1, 3, 0], np.uint32), Format(32, 0, False))
    assert fxp.multiply(big, big, out_format=Format(32, -32, False)).raw.tolist() == [2**32 - 2, 0, 0]
    fine, coarse = fxp.from_raw(np.array([1, -1, 5], np.int32), "s32.64"), fxp.from_raw(np.array([1, 0, -1], np.int32), "s32.-30")
    assert fxp.add(fine, coarse, out_format="s32.-30", rounding="floor").raw.tolist() == [1, -1, -1]
    assert fxp.subtract(coarse, fine, out_format="s32.64", overflow="wrap").raw.tolist() == [-1, 1, -5]


@pytest.mark.parametrize("shapes", [((), ()), ((3, 1), (4,)), ((0,), (1,)), ((2, 5), (2, 5))], ids=str)
def test_wide_path_matches_reference(shapes):
    """fxp._wide, production's exact path beyond the kernels, equals the oracle (two independent
    implementations): sums aligned by more than 94 bits, products, uint64 requantization."""
    fa, fb = Format(32, 64), Format(32, -40, False)
    a = RNG.integers(fa.min_raw, fa.max_raw, shapes[0], endpoint=True).astype(object)
    b = RNG.integers(fb.min_raw, fb.max_raw, shapes[1], endpoint=True).astype(object)
    wide = RNG.integers(0, 2**64 - 1, 50, dtype=np.uint64, endpoint=True)
    for fmt in (Format(32, -20), Format(12, 50), Format(16, -64, False)):
        for rounding, overflow in zip(ROUNDINGS * 2, ("saturate",) * 5 + ("wrap",) * 5):
            modes = (fxp.Rounding(rounding), fxp.Overflow(overflow), KEY)
            for op in ("add", "subtract", "multiply"):
                got = _wide.arithmetic(op, a, fa.frac_bits, b, fb.frac_bits, fmt, *modes)
                want = getattr(ref, op)(a, fa.frac_bits, b, fb.frac_bits, fmt, rounding, overflow, KEY)
                np.testing.assert_array_equal(got[0], want[0], err_msg=f"{op} {rounding} {overflow}")
                assert got[0].dtype == want[0].dtype and got[1] == want[1]
            for src in (0, 70, -5):
                got = _wide.requantize(wide, src, fmt, *modes)
                want = ref.requantize(wide.astype(object), src, fmt, rounding, overflow, KEY)
                np.testing.assert_array_equal(got[0], want[0], err_msg=f"{src} {rounding} {overflow}")
                assert got[1] == want[1]


def test_default_result_formats_are_exact():
    a = fxp.from_raw(np.array([-32768, 32767, 5], np.int16), "s16.12")
    b = fxp.from_raw(np.array([-32768, -32768, 7], np.int16), "s16.12")
    for op, pyop in [(fxp.add, lambda x, y: x + y), (fxp.subtract, lambda x, y: x - y),
                     (fxp.multiply, lambda x, y: x * y)]:
        r = op(a, b)
        np.testing.assert_array_equal(r.to_float(), pyop(a.to_float(), b.to_float()))
    assert fxp.add(a, b).fmt == Format(17, 12)
    assert fxp.multiply(a, b).fmt == Format(32, 24)
    big = fxp.multiply(fxp.asarray([1.5], "s24.20"), fxp.asarray([2.25], "s24.20"))
    assert big.fmt.word_bits == 32 and big.to_float()[0] == 3.375


def test_broadcasting_scalars_strides_and_big_endian(simd):
    fmt = Format(16, 12)
    x = RNG.uniform(-4, 4, size=(6, 8))
    a = fxp.asarray(x, fmt)
    # strided / reversed / transposed inputs give what contiguous copies give
    for view in (x[::2, ::-3], x.T, x[:, 1:7]):
        np.testing.assert_array_equal(fxp.asarray(view, fmt).raw, fxp.asarray(view.copy(), fmt).raw)
    np.testing.assert_array_equal(fxp.asarray(x.astype(">f8"), fmt).raw, a.raw)
    np.testing.assert_array_equal(fxp.asarray(x.astype(np.float32), fmt).raw,
                                  fxp.asarray(x.astype(np.float32).astype(np.float64), fmt).raw)
    be = fxp.from_raw(a.raw.astype(">i2"), fmt)
    np.testing.assert_array_equal(fxp.add(be, a, out_format=fmt).raw, fxp.add(a, a, out_format=fmt).raw)
    row = a[0]
    col = a[:, :1]
    for other in (row, col, a[2, 3], a.T.T[::-1]):
        got = fxp.multiply(a, other, out_format=fmt)
        expected, _ = ref.multiply(a.raw.astype(object), 12, np.broadcast_to(other.raw, a.shape).astype(object), 12,
                                   fmt, "nearest_even", "saturate")
        np.testing.assert_array_equal(got.raw, expected)
    with pytest.raises(ValueError):
        fxp.add(a, a[:, :3])


def test_kernel_wrappers_check_dtypes_in_c():
    """The wrappers' C-level dtype checks accept exactly the native kernel dtypes."""
    a = np.arange(4, dtype=np.int16)
    target = _elementwise.Target(np.int16, lo=-9, hi=9, w=16, rounding=0, overflow=0)
    for bad in (a.astype(">i2"), a.astype(bool), a.astype(np.uint64), a.astype(np.float64)):
        with pytest.raises(ValueError, match="internal: bad"):
            _elementwise.int_op("add", bad, a, target, out=np.empty(4, np.int16))
        with pytest.raises(ValueError, match="internal: bad"):
            _elementwise.int_op("add", a, a, target, out=bad.copy())
    out = np.empty(4, np.int16)
    _elementwise.int_op("add", a.astype(np.longlong), a, target, out=out)
    np.testing.assert_array_equal(out, [0, 2, 4, 6])
    x = np.linspace(-1, 1, 4)
    for bad_x in (x.astype(">f8"), x.astype(np.float16), x[::2]):
        with pytest.raises(ValueError, match="internal: bad quantize input"):
            _elementwise.quantize(bad_x, target, frac_bits=4, out=np.empty(bad_x.size, np.int16))
    with pytest.raises(ValueError, match="internal: bad quantize output"):
        _elementwise.quantize(x, _elementwise.Target(np.int64, lo=-9, hi=9, w=16, rounding=0, overflow=0),
                              frac_bits=4)


def test_zero_size_and_zero_d():
    fmt = Format(8, 4)
    e = fxp.asarray(np.zeros((0, 3)), fmt)
    assert e.shape == (0, 3) and e.raw.dtype == np.int8
    assert fxp.add(e, e).shape == (0, 3)
    assert fxp.multiply(e, fxp.asarray(1.0, fmt)).shape == (0, 3)
    s = fxp.asarray(1.25, fmt)
    assert s.shape == () and float(s) == 1.25
    assert (s + s).shape == ()


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_one_and_two_threads_give_identical_bits(monkeypatch, rounding):
    monkeypatch.setattr(_context, "PARALLEL_THRESHOLD", 0)
    x = RNG.uniform(-10, 10, 50_001)
    fmt = Format(16, 12)
    results = []
    for n in (1, 2):
        with fxp.config(n_threads=n):
            q = fxp.asarray(x, fmt, rounding, rng=99)
            m = fxp.multiply(q, q[::-1], out_format=fmt, rounding=rounding, rng=98)
            results.append((q.raw, m.raw))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_simd_levels_agree_on_large_inputs():
    x = RNG.uniform(-10, 10, 20_000)
    outs = []
    for lvl in SIMD_LEVELS:
        _elementwise.simd_level(lvl)
        outs.append([fxp.asarray(x, "s16.12", r, rng=1).raw for r in ROUNDINGS])
    _elementwise.simd_level(-1)
    for other in outs[1:]:
        for a, b in zip(outs[0], other):
            np.testing.assert_array_equal(a, b)


def test_nan_and_inf_counts_agree_across_simd_levels():
    x = RNG.uniform(-10, 10, 5000)
    x[[3, 1030, 4999]] = np.nan
    x[[7, 2048, 2049, 4000, 100]] = [np.inf, np.inf, -np.inf, np.inf, -np.inf]
    finite = np.isfinite(x)
    for mode in range(len(ROUNDINGS)):
        for lvl in SIMD_LEVELS:
            _elementwise.simd_level(lvl)
            target = _elementwise.Target(np.int16, lo=-32768, hi=32767, w=16, rounding=mode, overflow=0)
            out, counts = _elementwise.quantize(x, target, frac_bits=12, key=KEY)
            assert counts[1:] == (3, 5)
            expected, n_over = ref.quantize(np.where(np.isnan(x), 0.0, x), Format(16, 12), ROUNDINGS[mode],
                                            "saturate", KEY)
            assert counts[0] == n_over
            np.testing.assert_array_equal(out[finite], expected[finite])
        _elementwise.simd_level(-1)


@pytest.mark.parametrize("offset", range(0, 40, 3))
def test_unaligned_starts_agree_across_simd_levels(offset):
    """The AVX-512 loops align their loads with a short first step; at every start offset every
    SIMD level equals the reference (and so the other levels)."""
    x = RNG.uniform(-10, 10, 3000)[offset:]
    a16 = fxp.asarray(RNG.uniform(-8, 8, 3000), "s16.12")[offset:]
    b8 = fxp.asarray(RNG.uniform(-8, 8, 3000), "s8.4")[offset:]
    c16 = fxp.asarray(RNG.uniform(-8, 8, 3000), "s16.12")[offset:]
    p32 = fxp.from_raw(RNG.integers(-2**31, 2**31, 3000).astype(np.int32), "s32.24")[offset:]
    key = fxp.random.Xorshift(4).random_raw()   # what rng=4 draws
    cases = []   # (run at the current level, reference raws)
    for rounding in ROUNDINGS:
        cases.append((lambda r=rounding: fxp.asarray(x, "s16.12", r, rng=4),
                      ref.quantize(x, Format(16, 12), rounding, "saturate", key)[0]))
        for op in ("add", "multiply"):
            for u, v, fo, ovf in ((a16, b8, "s16.10", "saturate"), (b8, a16[:1], "s8.2", "wrap"),
                                  (a16, c16, "s16.12", "saturate")):   # the last: int16 loops
                fo = Format.parse(fo)
                cases.append((lambda op=op, u=u, v=v, fo=fo, ovf=ovf, r=rounding:
                              getattr(fxp, op)(u, v, out_format=fo, rounding=r, overflow=ovf, rng=4),
                              getattr(ref, op)(u.raw.astype(object), u.fmt.frac_bits, v.raw.astype(object),
                                               v.fmt.frac_bits, fo, rounding, ovf, key)[0]))
        for src, fo, ovf in ((p32, "s16.8", "saturate"), (p32, "s8.2", "wrap"),   # int32 -> int16 / int8
                             (a16, "s32.20", "saturate")):                          # widening copy
            fo = Format.parse(fo)
            cases.append((lambda src=src, fo=fo, ovf=ovf, r=rounding: src.astype(fo, r, ovf, rng=4),
                          ref.requantize(src.raw.astype(object), src.fmt.frac_bits, fo, rounding, ovf, key)[0]))
    results = []
    for lvl in SIMD_LEVELS:
        _elementwise.simd_level(lvl)
        got = [run().raw for run, _ in cases]
        results.append(got)
        for g, (_, expected) in zip(got, cases):
            np.testing.assert_array_equal(g, np.asarray(expected).reshape(g.shape), err_msg=f"simd{lvl}")
    _elementwise.simd_level(-1)
    for other in results[1:]:
        for expected, got in zip(results[0], other):
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("n_threads", [1, 2])
def test_array_times_scalar_in_int64_lanes(monkeypatch, n_threads):
    """int16 x a 32-bit scalar (the SGD step's lr * grad) and a u8 array x the scalar: every SIMD
    level, rounding and overflow mode equals the reference, overflow counts included, for odd
    strides, partial last steps and edge values."""
    monkeypatch.setattr(_context, "PARALLEL_THRESHOLD", 0)
    fa, fb, fo = Format(16, 14), Format(32, 36), Format(16, 20)
    raw = RNG.integers(fa.min_raw, fa.max_raw, 6014, endpoint=True).astype(np.int16)
    raw[:4] = [fa.min_raw, fa.max_raw, 0, -1]
    u8 = fxp.from_raw(RNG.integers(0, 255, 1003, endpoint=True).astype(np.uint8), Format(8, 14, False))
    inputs = [fxp.from_raw(raw, fa)[1::3],   # odd stride, 2005 elements
              fxp.from_raw(np.array([2, -2, 6, -6, 32766, -32766, 1, -32768, 32767], np.int16), fa),  # ties at lr 2**28
              u8]
    for lr_raw in (fb.max_raw, fb.min_raw, 0x4D2F5A7B, -3, 1 << 28):
        lr = fxp.from_raw(np.array([lr_raw], np.int32), fb)
        for x in inputs:
            for rounding in ROUNDINGS:
                for overflow in OVERFLOWS:
                    expected, n_over = ref.multiply(x.raw.astype(object), x.fmt.frac_bits, lr.raw.astype(object),
                                                    fb.frac_bits, fo, rounding,
                                                    "saturate" if overflow == "raise" else overflow,
                                                    fxp.random.Xorshift(3).random_raw())
                    for lvl in SIMD_LEVELS:
                        _elementwise.simd_level(lvl)
                        with fxp.config(n_threads=n_threads), fxp.count_overflows() as counts:
                            got, error = _call(fxp.multiply, x, lr, out_format=fo, rounding=rounding,
                                               overflow=overflow, rng=3)
                        _elementwise.simd_level(-1)
                        msg = f"{x.fmt} lr {lr_raw} {rounding} {overflow} simd{lvl}"
                        if overflow == "raise" and n_over:
                            assert error is fxp.FxpOverflowError, msg
                            continue
                        np.testing.assert_array_equal(got.raw, expected, err_msg=msg)
                        assert counts.total == n_over, msg
