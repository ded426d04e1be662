"""The int16 -> int16 requantize family (issue: the AVX2 / AVX-512 int16 fast path ran its
multiply loop for a copy, squaring every element for n >= 2) against the exact reference, through
every public call that requantizes, at every SIMD level the tests run (simd.SIMD_LEVELS)."""
import numpy as np
import pytest

import fxp
from fxp import Format, _reference as ref
from fxp.random import Xorshift

ROUNDINGS = ref.ROUNDINGS
RNG = np.random.default_rng(1016)


def _raws(fmt, n):
    return RNG.integers(fmt.min_raw, fmt.max_raw + 1, size=n).astype(fmt.dtype)


def test_issue_examples(simd):
    a = fxp.asarray(np.linspace(-1.5, 1.5, 32), "s16.14")
    np.testing.assert_array_equal(fxp.asarray(a, "s16.12").raw, ref.requantize(a.raw, 14, Format(16, 12))[0])
    x = fxp.from_raw(np.array([-5, -1, 3]), Format(12, -3)).astype(Format(12, 6))
    np.testing.assert_array_equal(x.raw, [-2048, -512, 1536])
    np.testing.assert_array_equal(fxp.asarray(np.arange(-4, 4, dtype=np.int16), "s16.0").raw, np.arange(-4, 4))


@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
@pytest.mark.parametrize("src_bits,dst_bits", [(16, 16), (9, 16), (16, 9), (12, 12), (13, 15)])
def test_astype_int16_pairs(simd, rounding, overflow, src_bits, dst_bits):
    for n in (1, 2, 3, 16, 17, 33, 1000):
        for src_frac, dst_frac in [(12, 12), (14, 12), (10, 3), (-3, 6), (5, 9), (20, -20)]:
            src, dst = Format(src_bits, src_frac), Format(dst_bits, dst_frac)
            raw = _raws(src, n)
            got = fxp.from_raw(raw, src).astype(dst, rounding, overflow, rng=Xorshift(n))
            key = Xorshift(n).random_raw() if rounding == "stochastic" else 0
            want, _ = ref.requantize(raw, src_frac, dst, rounding, overflow, key)
            np.testing.assert_array_equal(got.raw, want, err_msg=f"{src} -> {dst}, n={n}")


def test_no_spurious_overflow_error(simd):
    a = fxp.asarray(np.linspace(-1, 1, 40), "s16.12")
    b = a.astype(Format(16, 13), overflow="raise")     # every value fits: must not raise
    np.testing.assert_array_equal(b.raw, a.raw.astype(np.int32) * 2)


def test_stochastic_astype_stays_between_neighbours(simd):
    a = fxp.asarray(np.linspace(-1.5, 1.5, 1000), "s16.14")
    b = a.astype(Format(16, 10), "stochastic", rng=3)
    floor = a.raw.astype(np.int64) >> 4
    assert set(np.unique(b.raw.astype(np.int64) - floor)) <= {0, 1}


def test_public_calls_that_requantize(simd):
    src = fxp.asarray(np.linspace(-1.5, 1.5, 32), "s16.14")
    exact = np.asarray(src)
    as12 = ref.requantize(src.raw, 14, Format(16, 12))[0]
    # slice assignment across formats
    dst = fxp.zeros(32, "s16.12")
    dst[:] = src
    np.testing.assert_array_equal(dst.raw, as12)
    # ldexp into an int16 format
    np.testing.assert_array_equal(fxp.ldexp(src, -1, out_format="s16.12").raw,
                                  ref.requantize(src.raw, 15, Format(16, 12))[0])
    # functions whose common format is int16
    other = fxp.asarray(np.linspace(1.5, -1.5, 32), "s15.12")
    np.testing.assert_array_equal(np.asarray(fxp.maximum(src, other)), np.maximum(exact, np.asarray(other)))
    np.testing.assert_array_equal(np.asarray(fxp.minimum(src, other)), np.minimum(exact, np.asarray(other)))
    both = np.concatenate([exact, np.asarray(other)])
    np.testing.assert_array_equal(np.asarray(fxp.concatenate([src, other])), both)
    np.testing.assert_array_equal(np.asarray(fxp.stack([src, other])), both.reshape(2, 32))
