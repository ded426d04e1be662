"""The inline rounding / narrowing primitives (fxp_round.h) against the Python reference."""
from fractions import Fraction

import numpy as np
import pytest

from fxp import Format
from fxp._kernels import _primitives as prim
from fxp._reference import ROUNDINGS, OVERFLOWS, narrow, round_rational, round_shift

RNG = np.random.default_rng(2024)


def _edge_int64s():
    specials = [0, 1, -1, 2, -2, 3, -3, 2**62, -2**62, 2**63 - 1, -2**63, 2**31, -2**31 - 1]
    rand = RNG.integers(-2**63, 2**63 - 1, size=200, endpoint=True).tolist()
    small = RNG.integers(-5000, 5000, size=200).tolist()
    # exact ties and near-ties at several positions
    ties = [sgn * ((2 * k + 1) << (s - 1)) + d for s in (1, 4, 12, 30) for k in (0, 1, 2, 7)
            for sgn in (1, -1) for d in (-1, 0, 1)]
    return np.array(specials + rand + small + ties, dtype=np.int64)


SHIFTS = [-70, -64, -40, -3, -1, 0, 1, 2, 5, 12, 31, 32, 62, 63, 64, 65, 100, 130]


@pytest.mark.parametrize("mode", range(5))
def test_shr_round_i64_matches_reference(mode):
    x = _edge_int64s()
    r = RNG.integers(0, 2**64, size=x.size, dtype=np.uint64)
    r[:4] = [0, 2**64 - 1, 2**63, 1]
    for s in [s for s in SHIFTS if s >= 0]:
        got = prim.shr_round_i64(x, s, mode, r)
        expected = [round_shift(xi, s, ROUNDINGS[mode], ri) for xi, ri in zip(x.tolist(), r.tolist())]
        assert got.tolist() == expected, s


@pytest.mark.parametrize("mode", range(5))
@pytest.mark.parametrize("ovf", range(3))
@pytest.mark.parametrize("fmt", [Format(16, 0), Format(8, 0, signed=False), Format(32, 0), Format(1, 0)])
def test_requantize_i64_matches_reference(mode, ovf, fmt):
    x = _edge_int64s()
    r = RNG.integers(0, 2**64, size=x.size, dtype=np.uint64)
    rounding, overflow = ROUNDINGS[mode], OVERFLOWS[ovf]
    for s in SHIFTS:
        got, n_over = prim.requantize_i64(x, s, mode, r, fmt.min_raw, fmt.max_raw, fmt.word_bits, ovf)
        expected, exp_over = [], 0
        for xi, ri in zip(x.tolist(), r.tolist()):
            v = round_shift(xi, s, rounding, ri) if s >= 0 else xi << -s
            v, over = narrow(v, fmt, overflow)
            expected.append(v)
            exp_over += over
        assert got.tolist() == expected, (s, rounding, overflow)
        assert n_over == exp_over


@pytest.mark.parametrize("mode", range(5))
def test_shr_round_i128_matches_reference(mode):
    fmt = Format(32, 0)
    vals = [0, 1, -1, 2**100 + 3, -(2**100) - 5, 2**127 - 1, -2**127, 3 << 90, -(3 << 90)]
    vals += [int(v) << 40 for v in RNG.integers(-2**62, 2**62, size=100)]
    hi = np.array([v >> 64 for v in vals], dtype=np.int64)
    lo = np.array([v & (2**64 - 1) for v in vals], dtype=np.uint64)
    r = RNG.integers(0, 2**64, size=len(vals), dtype=np.uint64)
    for s in [0, 1, 40, 63, 64, 65, 100, 126, 127, 128, 140]:
        got, _ = prim.shr_round_narrow_i128(hi, lo, s, mode, r, fmt.min_raw, fmt.max_raw, 32, 1)
        expected = [narrow(round_shift(v, s, ROUNDINGS[mode], ri), fmt, "wrap")[0]
                    for v, ri in zip(vals, r.tolist())]
        assert got.tolist() == expected, s


@pytest.mark.parametrize("mode", range(5))
def test_round_double_matches_reference(mode):
    y = np.concatenate([
        [0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, -1.0, -0.75, 0.25, 2.0**52 + 1, -2.0**60,
         5e-324, -5e-324, -2.0**-70, 1 - 2.0**-53, -(1 - 2.0**-53), np.nextafter(0.5, 0), -np.nextafter(0.5, 0)],
        RNG.normal(scale=10, size=300),
        RNG.integers(-100, 100, size=100) / 4.0,
    ])
    r = RNG.integers(0, 2**64, size=y.size, dtype=np.uint64)
    r[:4] = [0, 2**64 - 1, 2**63, 1]
    got = prim.round_double(y, mode, r)
    expected = [round_rational(Fraction(v), ROUNDINGS[mode], ri) for v, ri in zip(y.tolist(), r.tolist())]
    assert got.tolist() == [float(e) for e in expected]


def test_each_mode_name_reaches_the_c_code_that_behaves_like_it():
    """The codes the Python layer passes for each Rounding / Overflow (read from the C enums)
    make the C primitives round and narrow as the reference does for that mode's name."""
    from fxp import Format, Overflow, Rounding, _raw
    from fxp._reference import narrow, round_shift

    fmt = Format(4, 0)
    x = np.arange(-64, 64, dtype=np.int64)        # every remainder of a shift by 2, ties included
    r = RNG.integers(0, 2**64, size=x.size, dtype=np.uint64)
    for rounding in Rounding:
        for overflow in (Overflow.SATURATE, Overflow.WRAP):
            got, _ = prim.requantize_i64(x, 2, _raw.ROUNDING_CODES[rounding], r, fmt.min_raw, fmt.max_raw,
                                         fmt.word_bits, _raw.OVERFLOW_CODES[overflow])
            want = [narrow(round_shift(int(v), 2, rounding.value, int(ri)), fmt, overflow.value)[0]
                    for v, ri in zip(x, r)]
            assert got.tolist() == want, (rounding, overflow)
