"""Edge paths of the hand-written SIMD loops (csrc/fxp_elementwise_avx2.inc, _avx512.inc): every
tail length, start offset, storage type and rounding mode equals the reference at every SIMD
level the CPU has, overflow counts included."""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

import fxp
from fxp import Format, _reference as ref
from simd import SIMD_LEVELS, at_levels
from strategies import float_arrays, formats, raw_arrays

ROUNDINGS = ref.ROUNDINGS
RNG = np.random.default_rng(11)
SEED = 21
KEY = fxp.random.Xorshift(SEED).random_raw()
# one format per storage type; scales below 1 exercise the underflow fix of floor / stochastic
STORAGE = [Format(8, 4), Format(8, -3, False), Format(16, 12), Format(16, 0, False), Format(32, -5),
           Format(32, 20, False)]
TAIL_LENGTHS = list(range(32)) + [1024 + 17]   # every tail; a whole chunk and a tail


def _pool(fmt, n=1100):
    """Floats on ties, saturation edges, in (-1 lsb, 0), tiny and infinite, shuffled."""
    res = fmt.resolution
    special = [fmt.min, fmt.max, fmt.min - res / 2, fmt.max + res / 2, fmt.max + res, fmt.min - res,
               fmt.max + 0.75 * res, -res / 2, res / 2, -res / 4, -0.999 * res, -2**-60 * res, 0.0, -0.0,
               5e-324, -5e-324, 1e-300, -1e-300, np.inf, -np.inf]
    ties = (RNG.integers(-300, 300, 60) + 0.5) * res
    span = max(abs(fmt.min), abs(fmt.max))
    x = np.concatenate([special, ties, RNG.uniform(-1.2 * span, 1.2 * span, n - len(special) - len(ties))])
    return RNG.permutation(x)


@pytest.mark.parametrize("fmt", STORAGE, ids=str)
def test_quantize_tails_offsets_and_storage_types(fmt):
    pool = _pool(fmt)
    for rounding in ROUNDINGS:
        for length in TAIL_LENGTHS:
            for offset in (0, 1, 5):
                x = pool[offset:offset + length]
                expected, n_over = ref.quantize(x, fmt, rounding, "saturate", KEY)

                def run():
                    with fxp.count_overflows() as counts:
                        got = fxp.asarray(x, fmt, rounding, "saturate", rng=SEED)
                    return got.raw, counts.total
                for lvl, (got, total) in zip(SIMD_LEVELS, at_levels(run)):
                    msg = f"{fmt} {rounding} n={length} offset={offset} simd{lvl}"
                    np.testing.assert_array_equal(got, expected, err_msg=msg)
                    assert total == n_over, msg


# (a format, b format, out format, b broadcast): int16 loops, 8-bit operands and outputs, and
# broadcast operands (first and second) whose padding lanes would overflow if they were counted
BINARY_CASES = [(Format(16, 12), Format(16, 12), Format(16, 12), False),
                (Format(8, 4), Format(8, 3, False), Format(8, 2, False), False),
                (Format(8, 0, False), Format(16, 10), Format(32, 9), False),
                (Format(16, 8), Format(8, 0), Format(8, 4), True),
                (Format(16, 4), Format(8, 0, False), Format(16, 0, False), True)]


def _check_binary(a, fa, b, fb, fo, msg):
    A, B = fxp.from_raw(a, fa), fxp.from_raw(b, fb)
    for op in ("add", "subtract", "multiply"):
        for rounding in ROUNDINGS:
            for overflow in ("saturate", "wrap"):
                expected, n_over = getattr(ref, op)(a.astype(object), fa.frac_bits, b.astype(object), fb.frac_bits,
                                                    fo, rounding, overflow, KEY)

                def run():
                    with fxp.count_overflows() as counts:
                        got = getattr(fxp, op)(A, B, out_format=fo, rounding=rounding, overflow=overflow, rng=SEED)
                    return got.raw, counts.total
                for lvl, (got, total) in zip(SIMD_LEVELS, at_levels(run)):
                    where = f"{op} {rounding} {overflow} {msg} simd{lvl}"
                    np.testing.assert_array_equal(got, expected, err_msg=where)
                    assert total == n_over, where


@pytest.mark.parametrize("fa, fb, fo, broadcast", BINARY_CASES, ids=str)
def test_binary_tails_offsets_and_broadcasts(fa, fb, fo, broadcast):
    a_pool = RNG.integers(fa.min_raw, fa.max_raw, 64, endpoint=True).astype(fa.dtype)
    b_pool = RNG.integers(fb.min_raw, fb.max_raw, 64, endpoint=True).astype(fb.dtype)
    a_pool[:3], b_pool[:3] = [fa.min_raw, fa.max_raw, 0], [fb.max_raw, fb.min_raw, 0]
    for length in range(32):
        for offset in (0, 3):
            a = a_pool[offset:offset + length]
            if not broadcast:
                _check_binary(a, fa, b_pool[offset + 1:offset + 1 + length], fb, fo, f"n={length} offset={offset}")
                continue
            scalar = b_pool[:1]   # fb.max_raw
            _check_binary(a, fa, scalar, fb, fo, f"n={length} offset={offset} b broadcast")
            _check_binary(scalar, fb, a, fa, fo, f"n={length} offset={offset} a broadcast")


def test_stochastic_carry_boundary_is_exact():
    """Where r + floor(frac(y) * 2**64) is exactly 2**64 the element rounds up, one below it
    rounds down: for y in [0, 1) (positive fractions with all 64 bits) and y in (-1, 0)."""
    n = 40_000
    words = ref.element_words(KEY, n)
    x = RNG.uniform(-3, 3, n)
    chosen = {}
    for i, r in enumerate(words):
        up = i % 2 == 0   # alternately exactly at the boundary and one below it
        if r > 2**64 - 2**53:                       # F = 2**64 - r (- 1) fits a double in [0, 1)
            x[i] = Fraction(2**64 - r - (not up), 2**64)
        elif 0 < r < 2**53:                          # y = -c / 2**64: carries iff r >= c
            x[i] = -Fraction(r + (not up), 2**64)
        else:
            continue
        chosen[i] = up
    assert len(chosen) > 20
    fmt = Format(16, 0)
    for lvl, got in zip(SIMD_LEVELS, at_levels(lambda: fxp.asarray(x, fmt, "stochastic", rng=SEED).raw)):
        for i, up in chosen.items():
            expected = ref.round_rational(Fraction(x[i]), "stochastic", words[i])
            assert expected == np.floor(x[i]) + up
            assert got[i] == expected, f"element {i} simd{lvl}"
        np.testing.assert_array_equal(got, fxp.asarray(x, fmt, "stochastic", rng=SEED).raw)


@pytest.mark.parametrize("level", SIMD_LEVELS, ids=lambda lvl: f"simd{lvl}")
@given(data=st.data(), fmt=formats(), rounding=st.sampled_from(ROUNDINGS), seed=st.integers(0, 2**64 - 1))
def test_quantize_small_arrays_equal_reference(level, data, fmt, rounding, seed):
    x = data.draw(float_arrays(fmt))
    got, = at_levels(lambda: fxp.asarray(x, fmt, rounding, "saturate", rng=seed).raw, [level])
    expected, _ = ref.quantize(x, fmt, rounding, "saturate", fxp.random.Xorshift(seed).random_raw())
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("level", SIMD_LEVELS, ids=lambda lvl: f"simd{lvl}")
@given(data=st.data(), fa=formats(16), fb=formats(16), fo=formats(),
       op=st.sampled_from(["add", "subtract", "multiply"]), rounding=st.sampled_from(ROUNDINGS),
       overflow=st.sampled_from(["saturate", "wrap"]))
def test_binary_small_arrays_equal_reference(level, data, fa, fb, fo, op, rounding, overflow):
    a = data.draw(raw_arrays(fa))
    b = data.draw(raw_arrays(fb, shape=a.shape[-1:] if a.ndim else ()))
    got, = at_levels(lambda: getattr(fxp, op)(fxp.from_raw(a, fa), fxp.from_raw(b, fb), out_format=fo,
                                               rounding=rounding, overflow=overflow, rng=1).raw, [level])
    expected, _ = getattr(ref, op)(a.astype(object), fa.frac_bits, b.astype(object), fb.frac_bits,
                                   fo, rounding, overflow, fxp.random.Xorshift(1).random_raw())
    np.testing.assert_array_equal(got, expected)
