"""Stochastic rounding: unbiased, reproducible from a seed, the documented stream rule."""
import numpy as np
import pytest

import fxp
from fxp import _reference as ref


def test_unbiased_mean_of_many_draws():
    fmt = fxp.Format(16, 4)
    lsb = fmt.resolution
    for x in (0.3 * lsb, 1.0 + 0.7 * lsb, -2.0 - 0.125 * lsb, -0.01 * lsb):
        n = 200_000
        q = fxp.asarray(np.full(n, x), fmt, "stochastic", rng=123).to_float()
        p = (x - np.floor(x / lsb) * lsb) / lsb          # probability of rounding up
        sigma = lsb * np.sqrt(p * (1 - p) / n)
        assert abs(q.mean() - x) < 5 * sigma + 1e-15
        assert set(np.unique(q)) <= {np.floor(x / lsb) * lsb, np.floor(x / lsb) * lsb + lsb}


def test_requantize_and_products_are_unbiased():
    a = fxp.asarray(np.full(100_000, 0.337), "s16.12")
    b = fxp.multiply(a, a, out_format="s16.6", rounding="stochastic", rng=4)
    exact = a.to_float()[0] ** 2
    assert abs(b.to_float().mean() - exact) < 5 * 2**-6 / np.sqrt(100_000) * 0.5


def test_same_seed_same_bits_and_global_seed():
    x = np.random.default_rng(0).uniform(-3, 3, 5000)
    a = fxp.asarray(x, "s8.4", "stochastic", rng=fxp.random.Xorshift(42))
    b = fxp.asarray(x, "s8.4", "stochastic", rng=42)
    np.testing.assert_array_equal(a.raw, b.raw)
    fxp.random.seed(9)
    c = fxp.asarray(x, "s8.4", "stochastic")
    d = fxp.asarray(x, "s8.4", "stochastic")
    fxp.random.seed(9)
    np.testing.assert_array_equal(fxp.asarray(x, "s8.4", "stochastic").raw, c.raw)
    assert (c.raw != d.raw).any()   # each call draws a new key


def test_stream_rule_explicitly():
    """Element i rounds with word p//8 of stream (i//1024)*8 + p%8, p = i % 1024."""
    fmt = fxp.Format(16, 0)
    x = np.full(3000, 0.5)
    key = fxp.random.Xorshift(77).random_raw()
    got = fxp.asarray(x, fmt, "stochastic", rng=77).raw
    words = ref.element_words(key, 3000)
    expected = [1 if w >= 2**63 else 0 for w in words]   # floor(0.5 + w / 2**64)
    np.testing.assert_array_equal(got, expected)


def test_stochastic_mean_reduction_matches_definition():
    a = fxp.from_raw(np.array([[1, 2, 2], [3, 3, 4], [-1, -2, -2]], np.int16), "s16.0")
    m = fxp.mean(a, axis=1, rounding="stochastic", rng=3)
    key = fxp.random.Xorshift(3).random_raw()
    words = ref.element_words(key, 3)
    sums = [5, 10, -5]
    expected = [(s * 2**64 + w * 3) // (3 * 2**64) for s, w in zip(sums, words)]
    assert m.raw.tolist() == expected


@pytest.mark.parametrize("rng", [np.random.default_rng(5), np.random.PCG64(5)])
def test_numpy_generators_are_accepted(rng):
    q = fxp.asarray([0.5, 0.25], "s8.0", "stochastic", rng=rng)
    assert q.shape == (2,)
