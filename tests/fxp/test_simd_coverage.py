"""Kernel paths the rest of the suite left unexecuted or under-exercised (tools/c_coverage.py,
docs/results/c-coverage.md), each against the exact reference (fxp/_reference.py,
fxp/_reference_gemm.py) at every SIMD level the tests run: the quantize loops for every
rounding x storage type x overflow mode from float64 and float32, non-finite inputs, the
__int128 path with shifts of 64 bits and more, the OpenMP drivers on two threads, and the
GEMM's packers, bound pass and row driver for every operand type pair and layout."""
import itertools

import numpy as np
import pytest

import fxp
from fxp import Format, _reference as ref
from fxp._gemm import accumulate_raw
from fxp._kernels import _elementwise
from fxp._modes import Overflow, Rounding
from fxp._raw import run_kernel, target
from fxp._reference_gemm import accumulate_reference
from fxp.random import Xorshift
from simd import GEMM_ISAS

ROUNDINGS = ref.ROUNDINGS
RNG = np.random.default_rng(2026)
KEY = 0x5DEECE66D_1234
# two formats per storage type: scales below 1 (frac_bits < 0) take the loops with the underflow
# fix of floor / stochastic, the others the loops without it
STORAGE = [Format(8, 3), Format(8, -2), Format(8, 5, False), Format(8, -2, False), Format(16, 11),
           Format(16, -3), Format(16, 1, False), Format(16, -1, False), Format(32, 7), Format(32, -4),
           Format(32, 24, False), Format(32, -6, False)]


def _quantize_kernel(x, fmt, rounding, overflow, n_threads=1):
    """The quantize kernel on contiguous ``x``: (raw, (out-of-range, NaN, inf counts))."""
    return _elementwise.quantize(x, target(fmt, Rounding(rounding), Overflow(overflow)),
                                 frac_bits=fmt.frac_bits, key=KEY, n_threads=n_threads)


def _pool(fmt, n, wrap):
    """Values on ties, range edges, tiny, and (wrap) far out of range, then uniform, shuffled."""
    res, span = fmt.resolution, max(abs(fmt.min), fmt.max)
    special = [fmt.min, fmt.max, fmt.max + res / 2, fmt.min - res / 2, -res / 2, res / 2, -0.3 * res,
               5e-324, -5e-324, 0.0, -0.0, 3 * span, -3 * span]
    if wrap:   # integers beyond int64 and products that overflow to inf: their low bits are 0
        special += [1e300, -1e300, 1.7e308, -1.7e308, 2.0**70 + 2.0**20, -(2.0**62) - 3 * 2.0**10]
    ties = (RNG.integers(-200, 200, 20) + 0.5) * res
    x = np.concatenate([special, ties, RNG.uniform(-1.5 * span, 1.5 * span, n - len(special) - len(ties))])
    return RNG.permutation(x)


@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_quantize_every_loop_from_float64_and_float32(simd, rounding, overflow):
    """Every (rounding, storage type) loop, saturate (the SIMD variants' own loops) and wrap
    (the shared one), from float64 and from float32 (widened exactly per chunk)."""
    for fmt in STORAGE:
        x64 = _pool(fmt, 53, overflow == "wrap")
        for x in (x64, x64[np.abs(x64) < 1e38].astype(np.float32)):
            exact = x.astype(np.float64)
            want, n_over = ref.quantize(exact, fmt, rounding, overflow, KEY)
            got, counts = _quantize_kernel(x, fmt, rounding, overflow)
            msg = f"{fmt} {rounding} {overflow} {x.dtype} simd{simd}"
            np.testing.assert_array_equal(got, want, err_msg=msg)
            assert counts == (n_over, 0, 0), msg


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_quantize_counts_nan_and_inf(simd, dtype):
    """NaN and +-inf anywhere in a chunk (a 16-element step and the tail) are counted exactly;
    the public call raises on NaN (any mode) and on inf under wrap, and saturates inf otherwise."""
    fmt = Format(16, 8)
    x = RNG.uniform(-100, 100, 1024 + 37).astype(dtype)
    nan_at, inf_at = [3, 700, 1024 + 35], [0, 17, 1024 + 36]
    x[nan_at] = np.nan
    x[inf_at] = [np.inf, -np.inf, np.inf]
    finite = np.where(np.isnan(x), 0.0, x).astype(np.float64)
    for rounding in ROUNDINGS:
        want, n_over = ref.quantize(finite, fmt, rounding, "saturate", KEY)
        got, counts = _quantize_kernel(x, fmt, rounding, "saturate")
        assert counts == (n_over, len(nan_at), len(inf_at)), rounding
        ok = ~np.isnan(x)   # a NaN element's output is unspecified
        np.testing.assert_array_equal(got[ok], want[ok], err_msg=rounding)
        assert _quantize_kernel(x, fmt, rounding, "wrap")[1][1:] == (len(nan_at), len(inf_at))
    with pytest.raises(ValueError, match="NaN"):
        fxp.asarray(x, fmt)
    only_inf = np.where(np.isnan(x), 1.0, x)
    with pytest.raises(ValueError, match="infinity"):
        fxp.asarray(only_inf, fmt, overflow="wrap")
    np.testing.assert_array_equal(fxp.asarray(only_inf, fmt).raw,
                                  ref.quantize(only_inf.astype(np.float64), fmt)[0])


@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
def test_quantize_two_threads(simd, overflow):
    """The OpenMP driver of quantize: two threads over several chunks equal the reference."""
    fmt = Format(8, 2)
    x = _pool(fmt, 3 * 1024 + 5, overflow == "wrap")
    for rounding in ("nearest_even", "stochastic"):
        want, n_over = ref.quantize(x, fmt, rounding, overflow, KEY)
        got, counts = _quantize_kernel(x, fmt, rounding, overflow, n_threads=2)
        np.testing.assert_array_equal(got, want, err_msg=rounding)
        assert counts == (n_over, 0, 0)


def _raws(fmt, n):
    raw = RNG.integers(fmt.min_raw, fmt.max_raw, n, endpoint=True)
    ends = (fmt.max_raw, fmt.min_raw)[:n]
    raw[:len(ends)] = ends
    return raw.astype(fmt.dtype)


# (op, a format, b format, out formats): exact results that do not fit int64 go through __int128
# (unsigned 32 x 32-bit products; sums aligned by more than 30 bits), and the out formats give
# shifts s of 0, 1..63, 64..127, 128 and more, and left shifts (s < 0); the third case fits
# int64 and takes its left shifts through the rare path of the int64 loop
WIDE_CASES = [
    ("multiply", Format(32, 32, False), Format(32, 32, False),
     [Format(32, 64, False), Format(32, 63, False), Format(32, 0, False), Format(16, -1), Format(32, -64)]),
    ("multiply", Format(32, 64, False), Format(32, 64, False), [Format(32, -64, False), Format(8, -60)]),
    ("multiply", Format(32, 10, False), Format(32, -8), [Format(32, 10), Format(8, 50)]),
    ("add", Format(32, -40), Format(16, 0), [Format(32, 10), Format(16, -5), Format(32, -60, False)]),
    ("subtract", Format(32, 30, False), Format(32, -40), [Format(32, 0), Format(8, -64)]),
]


@pytest.mark.parametrize("op, fa, fb, outs", WIDE_CASES, ids=lambda c: str(c))
def test_int128_path_every_shift_and_mode(simd, op, fa, fb, outs):
    a, b = _raws(fa, 40), _raws(fb, 40)
    A, B = fxp.from_raw(a, fa), fxp.from_raw(b, fb)
    for fo, rounding, overflow in itertools.product(outs, ROUNDINGS, ("saturate", "wrap")):
        want, n_over = getattr(ref, op)(a.astype(object), fa.frac_bits, b.astype(object), fb.frac_bits, fo,
                                        rounding, overflow, Xorshift(3).random_raw())
        with fxp.count_overflows() as counts:
            got = getattr(fxp, op)(A, B, out_format=fo, rounding=rounding, overflow=overflow, rng=Xorshift(3))
        msg = f"{op} {fa} {fb} -> {fo} {rounding} {overflow}"
        np.testing.assert_array_equal(got.raw, want, err_msg=msg)
        assert counts.total == n_over, msg


# (op, a format, b format, out format): the int32-lane loops (8/16-bit operands), the int64 one
# and the __int128 one, each on two threads over several chunks
THREAD_CASES = [("add", Format(16, 8), Format(16, 8), Format(16, 6)),
                ("multiply", Format(8, 3), Format(16, 9, False), Format(16, 4)),
                ("subtract", Format(32, 20), Format(32, 4), Format(32, 10)),
                ("multiply", Format(32, 16, False), Format(32, 16, False), Format(32, 8, False))]


@pytest.mark.parametrize("op, fa, fb, fo", THREAD_CASES, ids=str)
def test_int_op_two_threads(simd, op, fa, fb, fo):
    n = 2 * 1024 + 9
    a, b = _raws(fa, n), _raws(fb, n)
    scale = fa.frac_bits + fb.frac_bits if op == "multiply" else max(fa.frac_bits, fb.frac_bits)
    shifts = (0, 0) if op == "multiply" else (scale - fa.frac_bits, scale - fb.frac_bits)
    for rounding, overflow in (("nearest_even", Overflow.SATURATE), ("stochastic", Overflow.WRAP)):
        want, n_over = getattr(ref, op)(a.astype(object), fa.frac_bits, b.astype(object), fb.frac_bits, fo,
                                        rounding, overflow.value, KEY)
        out, got_over = run_kernel(op, a, b, fo, Rounding(rounding), overflow, a_shift=shifts[0],
                                   b_shift=shifts[1], s=scale - fo.frac_bits, key=KEY, n_threads=2)
        np.testing.assert_array_equal(out, want, err_msg=f"{op} {rounding}")
        assert got_over == n_over


# (op, a format, b format, broadcast): the int32-lane loops of their own (contiguous int16
# add / subtract / multiply into int16, int32 requantized into int16; a copy's b is its a) and
# the shared one (8-bit operands; a broadcast operand: b, or a copy's one operand)
LANE_CASES = [("add", Format(16, 6), Format(16, 6), False), ("subtract", Format(16, 6), Format(16, 6), False),
              ("multiply", Format(16, 3), Format(16, 3), False), ("copy", Format(32, 6), Format(32, 6), False),
              ("add", Format(8, 6), Format(8, 6, False), False), ("multiply", Format(16, 3), Format(8, 3), True),
              ("subtract", Format(16, 6), Format(16, 6), True), ("copy", Format(32, 6), Format(32, 6), True)]


@pytest.mark.parametrize("op, fa, fb, broadcast", LANE_CASES, ids=str)
def test_int32_lane_loops_every_mode(simd, op, fa, fb, broadcast):
    """Each specialised loop at every rounding and s == 0 (no rounding), saturating and
    wrapping into int16, on whole 16-element steps, a tail, and both."""
    scale = fa.frac_bits + fb.frac_bits if op == "multiply" else max(fa.frac_bits, fb.frac_bits)
    for n, s, rounding, overflow in itertools.product((5, 16, 37), (0, 3), ROUNDINGS, Overflow):
        fo = Format(16, scale - s)
        a = _raws(fa, 1 if broadcast and op == "copy" else n)
        b = a if op == "copy" else _raws(fb, 1 if broadcast else n)
        exact_a, exact_b = (np.broadcast_to(x.astype(object), n) for x in (a, b))
        if op == "copy":
            want, n_over = ref.requantize(exact_a, fa.frac_bits, fo, rounding, overflow.value, KEY)
        else:
            want, n_over = getattr(ref, op)(exact_a, fa.frac_bits, exact_b, fb.frac_bits, fo, rounding,
                                            overflow.value, KEY)
        out, got_over = run_kernel(op, a, b, fo, Rounding(rounding), overflow, s=s, key=KEY,
                                   out=np.empty(n, fo.dtype))
        msg = f"n={n} s={s} {rounding} {overflow}"
        np.testing.assert_array_equal(out, want, err_msg=msg)
        assert got_over == n_over, msg


GEMM_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32]


def _layouts(x):
    """x as C order, Fortran order, and a view with no unit stride (every bound-pass loop)."""
    big = np.zeros((2 * x.shape[0], 3 * x.shape[1]), x.dtype)
    big[::2, ::3] = x
    return [x, np.asfortranarray(x), big[::2, ::3]]


def _gemm_operand(dtype, shape, hi=None):
    """Random values of ``dtype`` in [-hi, hi] (default: its whole range)."""
    info = np.iinfo(dtype)
    hi = info.max if hi is None else hi
    return RNG.integers(max(info.min, -hi), hi, shape, endpoint=True).astype(dtype)


# (acc_bits, overflow, chunk, force_row): BLIS with the bound proven / with checkpoints (small
# values), and the row driver's plain, clamping (sat/satf) and wrapping (wrapc/wrapf) loops in
# int32 and int64 lanes, with and without chunks
GEMM_MODES = [(32, "saturate", None, False), (20, "saturate", None, False), (12, "saturate", None, True),
              (32, "saturate", None, True), (14, "wrap", 4, True), (32, "wrap", None, True),
              (40, "saturate", 3, True), (64, "saturate", None, True), (48, "wrap", None, True),
              (64, "wrap", 5, True)]


@pytest.mark.parametrize("isa", GEMM_ISAS)
@pytest.mark.parametrize("dt_a, dt_b", list(itertools.product(GEMM_DTYPES, GEMM_DTYPES)), ids=str)
def test_gemm_every_type_pair_layout_and_accumulator(isa, dt_a, dt_b):
    """7 x 13 @ 13 x 19 (edge tiles, an odd K): every packer and bound-pass loop of the type
    pair, over every layout pair and accumulator mode of the ISA's kernels."""
    for hi in (3, None):
        a0, b0 = _gemm_operand(dt_a, (7, 13), hi), _gemm_operand(dt_b, (13, 19), hi)
        for (a, b), (acc_bits, overflow, chunk, force_row) in itertools.product(
                itertools.product(_layouts(a0), _layouts(b0)), GEMM_MODES):
            want, hit = accumulate_reference(a0, b0, acc_bits, overflow, chunk)
            got, hits, _ = accumulate_raw(a, b, acc_bits, overflow, chunk, isa=isa, force_row=force_row)
            msg = f"{acc_bits} {overflow} chunk={chunk} row={force_row} {a.strides} {b.strides}"
            np.testing.assert_array_equal(got, want.astype(np.int64), err_msg=msg)
            assert hits == int(hit.sum()), msg


@pytest.mark.parametrize("isa", GEMM_ISAS)
def test_gemm_two_threads_and_k_blocks(isa):
    """Two threads sharing the B packing (few columns) and several K blocks of the BLIS loops
    (K > 2 * 192 pairs), through the proven and the checkpointed paths and the row driver."""
    a = _gemm_operand(np.int16, (50, 801), 60)   # 16-bit sums: checkpoints every 4 products
    b = _gemm_operand(np.int8, (801, 40), 60)
    for acc_bits, force_row in ((32, False), (16, False), (16, True)):
        want, hit = accumulate_reference(a, b, acc_bits)
        got, hits, _ = accumulate_raw(a, b, acc_bits, isa=isa, force_row=force_row, n_threads=2)
        np.testing.assert_array_equal(got, want.astype(np.int64), err_msg=f"{acc_bits} {force_row}")
        assert hits == int(hit.sum())
