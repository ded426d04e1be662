"""The fixed-point implementations behind numpy's functions against plain references over the
raw integers (Python ints, Fraction): division in every rounding mode, powers, products,
cumulative sums, differences, rounding to integers and the products of the GEMM.  Small
formats are enumerated exhaustively; the default formats are checked to hold every result."""
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

import fxp
from fxp._reference import ROUNDINGS, Xoroshiro128Plus, element_words, narrow, requantize, round_rational


def _all(fmt):
    fmt = fxp.Format.parse(fmt) if isinstance(fmt, str) else fmt
    return fxp.from_raw(np.arange(fmt.min_raw, fmt.max_raw + 1), fmt)


def _value(raw, frac):
    return Fraction(int(raw)) / Fraction(2) ** frac


def _grid(a, b):
    """All pairs of the elements of ``a`` and ``b`` as two broadcast FxpArrays."""
    return a.reshape(-1, 1), b.reshape(1, -1)


@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
@pytest.mark.parametrize("out", ["s8.3", "u6.4", "s12.8"])
def test_divide_is_the_rounded_exact_quotient(rounding, overflow, out):
    nonzero = _all("s4.1")
    nonzero = nonzero[nonzero.raw != 0]
    for a, b in [_grid(_all("s5.2"), nonzero), _grid(_all("u3.0"), fxp.asarray([3, -7, 1], "s4.0"))]:
        got = fxp.divide(a, b, out_format=out, rounding=rounding, overflow=overflow, rng=3)
        fmt = got.fmt
        pairs = list(itertools.product(a.raw.ravel().tolist(), b.raw.ravel().tolist()))
        words = element_words(Xoroshiro128Plus.seeded(3).next(), len(pairs))
        expected = [narrow(round_rational(_value(x, a.fmt.frac_bits) / _value(y, b.fmt.frac_bits)
                                          * 2 ** fmt.frac_bits, rounding, r), fmt, overflow)[0]
                    for (x, y), r in zip(pairs, words)]
        assert got.raw.ravel().tolist() == expected


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_reciprocal_and_integer_divisors(rounding):
    b = _all("s5.2")
    b = b[b.raw != 0]
    got = fxp.reciprocal(b, "s10.6", rounding=rounding, rng=9)
    words = element_words(Xoroshiro128Plus.seeded(9).next(), b.size)
    assert got.raw.tolist() == [narrow(round_rational(64 / _value(x, 2), rounding, r), got.fmt, "saturate")[0]
                                for x, r in zip(b.raw.tolist(), words)]
    a = _all("s6.2")
    got = fxp.divide(a, 5, out_format="s8.5", rounding=rounding, rng=2)
    words = element_words(Xoroshiro128Plus.seeded(2).next(), a.size)
    assert got.raw.tolist() == [narrow(round_rational(_value(x, 2) / 5 * 32, rounding, r), got.fmt, "saturate")[0]
                                for x, r in zip(a.raw.tolist(), words)]


@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize("out", ["s32.31", "s32.40", "s16.-8"])     # int64 and Python-int paths
def test_divide_of_wide_operands(rounding, out):
    rng = np.random.default_rng(6)
    a = fxp.from_raw(rng.integers(-2**31, 2**31, size=300).astype(np.int32), "s32.8")
    raw_b = rng.integers(-2**31, 2**31, size=300).astype(np.int32)
    raw_b[:100] = rng.integers(-3, 4, size=100)
    raw_b[raw_b == 0] = 1
    b = fxp.from_raw(raw_b, "s32.8")
    got = fxp.divide(a, b, out_format=out, rounding=rounding, overflow="wrap", rng=4)
    words = element_words(Xoroshiro128Plus.seeded(4).next(), a.size)
    assert got.raw.tolist() == [narrow(round_rational(Fraction(int(x), int(y)) * 2 ** got.fmt.frac_bits,
                                                      rounding, r), got.fmt, "wrap")[0]
                                for x, y, r in zip(a.raw.tolist(), b.raw.tolist(), words)]


def test_divide_by_powers_of_two_is_a_free_shift():
    a = _all("s6.2")
    for d, frac in [(4, 4), (0.5, 1), (2.0 ** -3, -1), (1, 2)]:
        got = a / d
        assert got.fmt == fxp.Format(6, frac) and got.raw.tolist() == a.raw.tolist()
    got = a / -2
    assert got.to_float().tolist() == (a.to_float() / -2).tolist() and got.fmt == fxp.Format(7, 3)
    assert fxp.divide(a, 8).fmt == fxp.Format(6, 5)


def test_division_errors_name_the_problem():
    a = fxp.asarray([1.0, 2.0], "s8.4")
    with pytest.raises(ZeroDivisionError, match="1 of 2 divisors are zero"):
        fxp.divide(a, fxp.asarray([1.0, 0.0], "s8.4"), out_format="s8.4")
    with pytest.raises(ZeroDivisionError):
        a // 0
    with pytest.raises(TypeError, match="out_format"):
        fxp.divide(a, 3)
    with pytest.raises(TypeError, match="FxpArray or integers"):
        fxp.divide(a, 0.3, out_format="s8.4")
    with pytest.raises(fxp.FxpOverflowError):
        fxp.divide(a, 1, out_format="s4.2", overflow="raise")


@pytest.mark.parametrize("fa, fb", [("s5.2", "s4.1"), ("u4.2", "s3.-1"), ("s4.0", "u3.2")])
def test_floor_divide_is_exact_and_its_format_holds_every_quotient(fa, fb):
    b = _all(fb)
    b = b[b.raw != 0]
    a, b = _grid(_all(fa), b)
    with fxp.config(overflow="raise"):
        got = a // b
    expected = [math.floor(_value(x, a.fmt.frac_bits) / _value(y, b.fmt.frac_bits))
                for x, y in itertools.product(a.raw.ravel().tolist(), b.raw.ravel().tolist())]
    assert got.fmt.frac_bits == 0 and got.raw.ravel().tolist() == expected
    smaller = fxp.Format(got.fmt.word_bits - 1, 0, got.fmt.signed)           # no wider than needed
    assert not smaller.min_raw <= min(expected) <= max(expected) <= smaller.max_raw


@pytest.mark.parametrize("fmt", ["s5.2", "u4.1", "s3.-2", "s6.6"])
def test_integer_powers_are_exact_in_a_format_that_holds_them(fmt):
    a = _all(fmt)
    for n in range(6):
        with fxp.config(overflow="raise"):
            got = a ** n
        assert got.fmt.frac_bits == n * a.fmt.frac_bits
        assert got.raw.tolist() == [x ** n for x in a.raw.tolist()]
        assert {got.fmt.min_raw, got.fmt.max_raw} & {x ** n for x in a.raw.tolist()}
    assert (np.square(a).raw == (a ** 2).raw).all()


def test_wide_powers_and_products_round_once():
    a = fxp.from_raw(np.array([-32768, 32767, -12345, 7], dtype=np.int16), "s16.12")
    cube = a ** 3                         # 48 bits: trimmed to 32, rounded once (nearest_even)
    assert cube.fmt.word_bits == 32
    expected, _ = requantize(np.array([x ** 3 for x in a.raw.tolist()], dtype=object), 36, cube.fmt)
    assert cube.raw.tolist() == expected.tolist()
    product = np.prod(a)                  # 4 factors: 64 bits of exact product, one rounding
    expected, _ = requantize(np.array(math.prod(a.raw.tolist()), dtype=object), 48, product.fmt)
    assert product.raw.tolist() == expected.tolist()


def test_prod_cumsum_diff_ptp_match_python_ints():
    rng = np.random.default_rng(3)
    raw = rng.integers(-8, 8, size=(3, 4, 5)).astype(np.int8)
    a = fxp.from_raw(raw, "s4.1")
    ints = raw.astype(object)
    for axis in (0, 2):
        assert np.prod(a, axis=axis).raw.tolist() == np.asarray(ints.prod(axis=axis)).tolist()
    with pytest.raises(ValueError, match="no fixed-point format"):      # 8**60 is beyond every format
        np.prod(a)
    for axis in (None, 0, 2):
        assert np.ptp(a, axis=axis).raw.tolist() == np.asarray(np.ptp(ints.astype(int), axis=axis)).tolist()
        assert np.cumsum(a, axis=axis).raw.tolist() == np.cumsum(ints, axis=axis).tolist()
    for n, axis in [(1, -1), (2, 0), (3, 2)]:
        got = np.diff(a, n=n, axis=axis)
        assert got.raw.tolist() == np.diff(ints, n=n, axis=axis).tolist() and got.fmt.frac_bits == 1


def test_growth_formats_hold_the_extremes():
    fmt = fxp.Format(8, 3)
    extremes = fxp.from_raw(np.array([fmt.min_raw, fmt.max_raw] * 4, dtype=np.int8), fmt)
    with fxp.config(overflow="raise"):
        for got, want in [(np.cumsum(extremes), np.cumsum(extremes.raw.astype(object))),
                          (np.diff(extremes, n=3), np.diff(extremes.raw.astype(object), n=3)),
                          (np.ptp(extremes), [255]), (np.prod(extremes[:3]), [-128 * 127 * -128])]:
            assert np.ravel(got.raw).tolist() == np.ravel(want).tolist()


@pytest.mark.parametrize("fmt", ["s8.4", "u8.3", "s6.-1", "s16.12", "s12.45"])
def test_rounding_to_integers_matches_fractions(fmt):
    a = _all(fmt)
    values = [_value(x, a.fmt.frac_bits) for x in a.raw.tolist()]
    with fxp.config(overflow="raise"):
        for func, ref in [(np.floor, math.floor), (np.ceil, math.ceil), (np.trunc, math.trunc),
                          (np.rint, round), (np.round, round), (np.fix, math.trunc)]:
            got = func(a)
            assert got.fmt.frac_bits == min(a.fmt.frac_bits, 0)
            assert got.to_float().tolist() == [float(ref(v)) for v in values], func
    assert np.sign(a).raw.tolist() == [(x > 0) - (x < 0) for x in a.raw.tolist()]


def test_products_match_python_int_sums():
    rng = np.random.default_rng(8)
    a = fxp.from_raw(rng.integers(-128, 128, size=(2, 3, 4)).astype(np.int8), "s8.4")
    b = fxp.from_raw(rng.integers(-32, 32, size=(4, 5)).astype(np.int8), "s6.2")
    c = fxp.from_raw(rng.integers(-32, 32, size=(2, 5, 4)).astype(np.int8), "s6.2")
    A, B, C = (x.raw.astype(object) for x in (a, b, c))
    ct, Ct = c.transpose(0, 2, 1), C.transpose(0, 2, 1)
    cases = [(np.dot(a, b), np.dot(A, B), 6), (np.dot(a, ct), np.dot(A, Ct), 6),
             (np.einsum("bij,jk->bik", a, b), np.einsum("bij,jk->bik", A, B), 6),
             (np.einsum("bij,bkj->bik", a, c), np.einsum("bij,bkj->bik", A, C), 6),
             (np.einsum("bij,bkj->kbi", a, c), np.einsum("bij,bkj->kbi", A, C), 6),
             (np.einsum("bij,bij->bi", a, a), np.einsum("bij,bij->bi", A, A), 8),
             (np.einsum("bij,kl->ik", a, b), np.einsum("bij,kl->ik", A, B), 6),
             (np.einsum("bij->jb", a), np.einsum("bij->jb", A), 4),
             (np.inner(a, c), np.inner(A, C), 6), (np.vdot(a, a), np.vdot(A, A), 8),
             (np.outer(a[0, 0], b[0]), np.outer(A[0, 0], B[0]), 6)]
    for got, want, frac in cases:
        assert got.shape == np.shape(want) and got.fmt.frac_bits == frac
        assert np.ravel(got.raw).tolist() == np.ravel(want).tolist()


def test_matmul_default_holds_the_worst_case():
    fmt = fxp.Format(8, 4)
    a = fxp.from_raw(np.full((2, 64), fmt.min_raw, dtype=np.int8), fmt)
    with fxp.config(overflow="raise"):
        c = a @ a.T
    assert c.fmt == fxp.Format(22, 8) and c.raw.tolist() == [[64 * 128 * 128] * 2] * 2


def test_mean_of_a_power_of_two_count_is_exact():
    raw = np.random.default_rng(1).integers(-2**15, 2**15, size=(3, 8)).astype(np.int16)
    a = fxp.from_raw(raw, "s16.12")
    got = np.mean(a, axis=1)
    assert [Fraction(int(r), 2 ** got.fmt.frac_bits) for r in got.raw] == \
        [Fraction(int(sum(row.tolist())), 8 * 2 ** 12) for row in raw]
