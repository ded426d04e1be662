"""Hypothesis properties: kernels == reference, ranges, algebraic identities."""
from fractions import Fraction

import numpy as np
from hypothesis import given, strategies as st

import fxp
from fxp import _reference as ref
from strategies import OVERFLOWS, ROUNDINGS, float_arrays, formats, raw_arrays


@given(data=st.data(), fmt=formats(), rounding=st.sampled_from(ROUNDINGS),
       overflow=st.sampled_from(["saturate", "wrap"]), seed=st.integers(0, 2**64 - 1))
def test_quantize_equals_reference(data, fmt, rounding, overflow, seed):
    x = data.draw(float_arrays(fmt))
    if overflow == "wrap":
        x = np.where(np.isfinite(x), x, 0.0)
    got = fxp.asarray(x, fmt, rounding, overflow, rng=seed)
    expected, _ = ref.quantize(x, fmt, rounding, overflow, fxp.random.Xorshift(seed).random_raw())
    np.testing.assert_array_equal(got.raw, expected)
    assert got.raw.dtype == fmt.dtype
    assert ((got.raw >= fmt.min_raw) & (got.raw <= fmt.max_raw)).all()


@given(data=st.data(), fmt=formats(), rounding=st.sampled_from(ROUNDINGS))
def test_quantize_float32_equals_float64_path(data, fmt, rounding):
    with np.errstate(over="ignore"):
        x = data.draw(float_arrays(fmt)).astype(np.float32)
    got = fxp.asarray(x, fmt, rounding, rng=5)
    np.testing.assert_array_equal(got.raw, fxp.asarray(x.astype(np.float64), fmt, rounding, rng=5).raw)


@given(data=st.data(), fa=formats(), fb=formats(), fo=formats(),
       op=st.sampled_from(["add", "subtract", "multiply"]), rounding=st.sampled_from(ROUNDINGS),
       overflow=st.sampled_from(["saturate", "wrap"]))
def test_binary_equals_reference(data, fa, fb, fo, op, rounding, overflow):
    a = data.draw(raw_arrays(fa))
    b = data.draw(raw_arrays(fb, shape=a.shape[-1:] if a.ndim else ()))
    got = getattr(fxp, op)(fxp.from_raw(a, fa), fxp.from_raw(b, fb), out_format=fo,
                           rounding=rounding, overflow=overflow, rng=1)
    expected, _ = getattr(ref, op)(a.astype(object), fa.frac_bits, b.astype(object), fb.frac_bits,
                                   fo, rounding, overflow, fxp.random.Xorshift(1).random_raw())
    np.testing.assert_array_equal(got.raw, expected.reshape(got.shape))


@given(data=st.data(), fa=formats(), fo=formats(), rounding=st.sampled_from(ROUNDINGS),
       overflow=st.sampled_from(OVERFLOWS))
def test_requantize_equals_reference_or_raises(data, fa, fo, rounding, overflow):
    a = data.draw(raw_arrays(fa))
    expected, n_over = ref.requantize(a.astype(object), fa.frac_bits, fo, rounding,
                                      "saturate" if overflow == "raise" else overflow,
                                      fxp.random.Xorshift(2).random_raw())
    try:
        got = fxp.from_raw(a, fa).astype(fo, rounding, overflow, rng=2)
    except fxp.FxpOverflowError:
        assert overflow == "raise" and n_over > 0
        return
    np.testing.assert_array_equal(got.raw, expected)


@given(data=st.data(), fmt=formats(max_word=31))
def test_exact_identities(data, fmt):
    a = fxp.from_raw(data.draw(raw_arrays(fmt)), fmt)
    np.testing.assert_array_equal((a + a).to_float(), a.to_float() * 2)          # exact growth
    np.testing.assert_array_equal((a + fxp.zeros((), fmt)).to_float(), a.to_float())
    np.testing.assert_array_equal(fxp.add(a, a[::-1]).raw, fxp.add(a[::-1], a).raw)
    np.testing.assert_array_equal(fxp.asarray(a.to_float(), fmt).raw, a.raw)        # round trip
    np.testing.assert_array_equal(a.astype(fmt).raw, a.raw)
    try:
        wide = fxp.multiply(a, a)
    except ValueError:      # no format holds the squares: they lie beyond s32.-64's range
        assert max(fmt.min_raw ** 2, fmt.max_raw ** 2) * 2.0 ** (-2 * fmt.frac_bits) > fxp.Format(32, -64).max
        return
    if wide.fmt.frac_bits >= 2 * fmt.frac_bits:      # not trimmed to 32 bits / 64 fraction bits
        np.testing.assert_array_equal(wide.to_float(), a.to_float() ** 2)


@given(fmt=formats(), fo=formats(), rounding=st.sampled_from(ROUNDINGS[:4]), data=st.data())
def test_requantize_is_idempotent(fmt, fo, rounding, data):
    a = fxp.from_raw(data.draw(raw_arrays(fmt)), fmt)
    once = a.astype(fo, rounding)
    np.testing.assert_array_equal(once.astype(fo, rounding).raw, once.raw)


@given(data=st.data(), fa=formats(), fb=formats())
def test_values_comparisons_and_picks(data, fa, fb):
    """to_float and comparisons are exact; maximum / minimum and abs equal the exact result
    rounded into their formats (exact unless trimmed to 32 bits); same and mixed formats, 0-d."""
    ra = data.draw(raw_arrays(fa))
    fb = fa if data.draw(st.booleans()) else fb
    rb = data.draw(raw_arrays(fb, shape=ra.shape if data.draw(st.booleans()) else ()))
    a, b = fxp.from_raw(ra, fa), fxp.from_raw(rb, fb)
    exact_a, exact_b = (np.vectorize(lambda r, f=f: Fraction(int(r)) / Fraction(2) ** f, otypes=[object])(raw)
                        for raw, f in ((ra, fa.frac_bits), (rb, fb.frac_bits)))
    assert isinstance(a.to_float(), np.ndarray)
    np.testing.assert_array_equal(a.to_float(), exact_a.astype(np.float64))
    got = [a < b, a <= b, a == b, a != b, a > b, a >= b]
    for g, op in zip(got, (np.less, np.less_equal, np.equal, np.not_equal, np.greater, np.greater_equal)):
        np.testing.assert_array_equal(g, op(exact_a, exact_b).astype(bool))
        np.testing.assert_array_equal(op(a, b), g)   # the ufunc form
    for pick, exact in ((fxp.maximum, np.maximum), (fxp.minimum, np.minimum)):
        try:
            got = pick(a, b)
        except ValueError as exc:    # e.g. s32.-64 with u32.-64: no common format exists
            assert "no fixed-point format holds" in str(exc)
            continue
        assert got.shape == np.broadcast_shapes(ra.shape, rb.shape)
        expected = fxp.asarray(exact(exact_a, exact_b).astype(np.float64), got.fmt)
        np.testing.assert_array_equal(got.raw, expected.raw)
    np.testing.assert_array_equal(abs(a).raw, fxp.asarray(np.abs(exact_a).astype(np.float64), abs(a).fmt).raw)
