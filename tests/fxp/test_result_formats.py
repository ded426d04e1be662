"""Default (exact-growth) result formats hold every result, are as small as they can be, and
raise when no format can hold the result (docs/core.md, "Result formats")."""
import itertools

import numpy as np
import pytest

import fxp
from fxp import Format
from fxp import _reference as ref
from fxp.random import Xorshift, draw_key

SEED = 11
# the extremes of every storage (int8 .. uint32), 1-bit words and both ends of the fraction range
FORMATS = [Format(*spec) for spec in [
    (1, 0), (1, 5, False), (8, -64), (8, 64, False), (9, -64), (16, 12), (16, -30, False),
    (8, -40), (31, 5), (32, 3), (32, -64), (32, -64, False), (32, 64), (32, 0, False), (17, -40),
    (31, 64, False)]]
# the widest formats: every format's range lies inside one of these two
WIDEST = {True: Format(32, -64), False: Format(32, -64, False)}


def extremes(fmt):
    """Raw values at the ends of ``fmt``'s range (where every extreme result is reached)."""
    return sorted({fmt.min_raw, fmt.max_raw, 0, min(fmt.min_raw + 1, 0), max(fmt.max_raw - 1, 0)})


def holds(fmt, lo, hi, frac):
    """Whether ``fmt`` holds every value of [lo, hi] * 2**-frac rounded in any mode."""
    shift = frac - fmt.frac_bits
    if shift < 0:
        lo, hi, shift = lo << -shift, hi << -shift, 0
    return fmt.min_raw <= lo >> shift and -(-hi >> shift) <= fmt.max_raw


def check_default_format(fmt, exact, frac):
    """``fmt`` holds the exact results ``exact`` (ints at scale 2**-frac), it is the smallest such
    format, and it keeps every fraction bit the 32-bit word and the range [-64, 64] allow."""
    lo, hi = min(exact), max(exact)
    assert holds(fmt, lo, hi, frac), f"{fmt} cannot hold [{lo}, {hi}] * 2**{-frac}"
    assert fmt.signed == (lo < 0)
    if fmt.word_bits > 1:
        assert not holds(Format(fmt.word_bits - 1, fmt.frac_bits, fmt.signed), lo, hi, frac)
    if fmt.frac_bits < min(frac, 64):            # trimmed: one more fraction bit does not fit
        assert fmt.word_bits == 32
        assert not holds(Format(32, fmt.frac_bits + 1, fmt.signed), lo, hi, frac)
    else:
        assert fmt.frac_bits == min(max(frac, -64), 64)


def check_unrepresentable(exact, frac):
    """No format at all holds the exact results (ints at scale 2**-frac)."""
    lo, hi = min(exact), max(exact)
    assert not holds(WIDEST[lo < 0], lo, hi, frac)


def check_rounded(got, exact, frac, rounding):
    """``got`` is the exact results rounded once into its format (the reference, no overflow)."""
    expected, n_over = ref.requantize(np.array(exact, dtype=object).reshape(got.shape), frac, got.fmt,
                                      rounding, "saturate", draw_key(Xorshift(SEED)))
    assert n_over == 0
    np.testing.assert_array_equal(got.raw, expected)


def _operands(fa, fb):
    a, b = np.meshgrid(extremes(fa), extremes(fb), indexing="ij")
    return a.ravel().tolist(), b.ravel().tolist()


BINARY = {
    "add": (lambda a, fa, b, fb, s: (a << (s - fa)) + (b << (s - fb)), lambda fa, fb: max(fa, fb)),
    "subtract": (lambda a, fa, b, fb, s: (a << (s - fa)) - (b << (s - fb)), lambda fa, fb: max(fa, fb)),
    "multiply": (lambda a, fa, b, fb, s: a * b, lambda fa, fb: fa + fb),
}


def _run(func, exact, frac):
    """Run ``func(rounding)`` in every rounding mode under overflow="raise" and check the result,
    or check that no format holds ``exact`` when the default format cannot be made."""
    try:
        fmt = func("nearest_even").fmt
    except ValueError as exc:
        assert "out_format=" in str(exc)
        check_unrepresentable(exact, frac)
        return
    check_default_format(fmt, exact, frac)
    for rounding in ref.ROUNDINGS:
        check_rounded(func(rounding), exact, frac, rounding)


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_default_formats_hold_every_result(simd, op):
    exact_op, frac_rule = BINARY[op]
    for fa, fb in itertools.product(FORMATS, FORMATS):
        ra, rb = _operands(fa, fb)
        a = fxp.from_raw(np.array(ra, fa.dtype), fa)
        b = fxp.from_raw(np.array(rb, fb.dtype), fb)
        frac = frac_rule(fa.frac_bits, fb.frac_bits)
        exact = [exact_op(x, fa.frac_bits, y, fb.frac_bits, frac) for x, y in zip(ra, rb)]
        _run(lambda rounding: getattr(fxp, op)(a, b, rounding=rounding, overflow="raise", rng=Xorshift(SEED)),
             exact, frac)


@pytest.mark.parametrize("n", [1, 2, 3, 1000])
def test_sum_default_formats_hold_every_result(simd, n):
    for fmt in FORMATS:
        rows = np.array([[v] * n for v in extremes(fmt)] + [[fmt.min_raw, fmt.max_raw] * (n // 2) + [0] * (n % 2)])
        a = fxp.from_raw(rows.astype(fmt.dtype), fmt)
        exact = [sum(row) for row in rows.tolist()]
        _run(lambda rounding: fxp.sum(a, axis=1, rounding=rounding, overflow="raise", rng=Xorshift(SEED)),
             exact, fmt.frac_bits)


@pytest.mark.parametrize("op", ["negative", "absolute"])
def test_unary_default_formats_hold_every_result(simd, op):
    for fmt in FORMATS:
        raw = extremes(fmt)
        a = fxp.from_raw(np.array(raw, fmt.dtype), fmt)
        exact = [-v if op == "negative" else abs(v) for v in raw]
        _run(lambda rounding: getattr(fxp, op)(a, rounding=rounding, overflow="raise", rng=Xorshift(SEED)),
             exact, fmt.frac_bits)


def test_common_formats_hold_every_value():
    """maximum, minimum, concatenate and stack use the common format: it holds both operands'
    values (rounded once when trimmed), or no format can."""
    for fa, fb in itertools.product(FORMATS, FORMATS):
        ra, rb = extremes(fa), extremes(fb)
        a, b = fxp.from_raw(np.array(ra, fa.dtype), fa), fxp.from_raw(np.array(rb, fb.dtype), fb)
        frac = max(fa.frac_bits, fb.frac_bits)
        values = [v << (frac - fa.frac_bits) for v in ra] + [v << (frac - fb.frac_bits) for v in rb]
        try:
            fmt = fxp.concatenate([a, b]).fmt
        except ValueError as exc:
            assert "out_format=" in str(exc)
            check_unrepresentable(values, frac)
            for call in (lambda: fxp.stack([a[:1], b[:1]]), lambda: fxp.maximum(a, b[:1]),
                         lambda: fxp.minimum(a, b[:1])):
                with pytest.raises(ValueError, match="no fixed-point format holds"):
                    call()
            continue
        check_default_format(fmt, values, frac)
        for rounding in ref.ROUNDINGS[:4]:           # (stochastic: one key per operand)
            with fxp.config(rounding=rounding, overflow="raise"):
                joined = fxp.concatenate([a, b])
                check_rounded(joined, values, frac, rounding)
                ja, jb = joined.raw[:len(ra), None], joined.raw[None, len(ra):]
                assert fxp.stack([a[:1], b[:1]]).raw.ravel().tolist() == [ja[0, 0], jb[0, 0]]
                assert fxp.maximum(a[:, None], b[None, :]).raw.tolist() == np.maximum(ja, jb).tolist()
                assert fxp.minimum(a[:, None], b[None, :]).raw.tolist() == np.minimum(ja, jb).tolist()


def test_issue_examples_coarse_scales():
    """The exact format of a result coarser than 2**64 grows the word (exact), or raises when even
    32 bits at scale 2**64 cannot hold it."""
    x = fxp.from_raw(np.array([100], np.int16), "s9.-64")
    with pytest.raises(ValueError, match="no fixed-point format holds"):
        x * x                                   # 3.4e42, beyond the 2**95 of s32.-64
    y = fxp.from_raw(np.array([-128, 127], np.int8), "s8.-40")
    z = fxp.from_raw(np.array([-128, 127], np.int8), "s8.-30")
    p = y * z                                   # exact s16.-70: the same values as s22.-64
    assert p.fmt == Format(22, -64)
    assert p.raw.tolist() == [(-128 * -128) << 6, (127 * 127) << 6]
    s = fxp.from_raw(np.array([2**30, 2**30], np.int32), "s32.-64")
    with pytest.raises(ValueError, match="no fixed-point format holds"):
        fxp.sum(s)
    assert fxp.sum(s, out_format="s32.-64", overflow="saturate").raw == 2**31 - 1
    u = fxp.from_raw(np.array([2**32 - 1], np.uint32), "u32.-64")
    with pytest.raises(ValueError, match="no fixed-point format holds"):
        u + u


def test_issue_example_trimmed_difference_has_room_for_the_carry(simd):
    """s32.3 - s32.3 needs 33 bits; the trimmed format keeps one more integer bit so that the
    rounding carry of 2**31 - 1/8 fits (docs: a trimmed result never overflows)."""
    a = fxp.from_raw(np.array([2**31 - 1], np.int32), "s32.3")
    b = fxp.from_raw(np.array([-2**31], np.int32), "s32.3")
    for overflow in ("wrap", "raise", "saturate"):
        d = fxp.subtract(a, b, overflow=overflow)
        assert d.fmt == Format(32, 1)
        assert d.to_float().tolist() == [536870912.0]      # exact 536870911.875, rounded to even


def test_negative_and_absolute_are_minimal():
    """-a ranges over [-max, -min] and |a| over [0, max(-min, max)]: u1 negates into s1, s8 has an
    absolute value in u8 (one bit less than the old s9)."""
    assert fxp.negative(fxp.zeros(1, "u1.0")).fmt == Format(1, 0)
    assert fxp.negative(fxp.zeros(1, "u8.3")).fmt == Format(9, 3)
    assert fxp.negative(fxp.zeros(1, "s8.3")).fmt == Format(9, 3)
    assert fxp.absolute(fxp.zeros(1, "s8.3")).fmt == Format(8, 3, False)
    assert fxp.absolute(fxp.zeros(1, "u8.3")).fmt == Format(8, 3, False)
    assert fxp.subtract(fxp.zeros(1, "u8.0"), fxp.zeros(1, "u8.0")).fmt == Format(9, 0)
    m = fxp.from_raw(np.array([-128, 127, 0], np.int8), "s8.0")
    assert abs(m).raw.tolist() == [128, 127, 0] and (-m).raw.tolist() == [128, -127, 0]
