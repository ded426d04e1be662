"""Plain-Python reference of every core kernel (normative; the Cython kernels must match it bit for bit).

Everything here is exact: raw values are Python ints (object arrays), floats are turned into
exact rationals, and the random bits come from a pure-Python twin of ``csrc/fxp_rng.h``.
It is slow on purpose and is the tests' oracle only: production never imports it (its exact
path for operands the kernels cannot hold, :mod:`fxp._wide`, is a separate implementation that
the tests compare with this one).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

MASK64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15
RNG_BLOCK = 1024
RNG_LANES = 8

ROUNDINGS = ("nearest_even", "nearest_away", "floor", "toward_zero", "stochastic")
OVERFLOWS = ("saturate", "wrap", "raise")


# --- random bits -------------------------------------------------------------------------

def mix64(z):
    """splitmix64's output function."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


class Xoroshiro128Plus:
    """Pure-Python xoroshiro128+ 1.0 (a=24, b=16, c=37)."""

    def __init__(self, s0, s1):
        if s0 == 0 and s1 == 0:
            raise ValueError("all-zero state")
        self.s0, self.s1 = s0, s1

    @classmethod
    def from_splitmix(cls, z):
        """State = two consecutive splitmix64 outputs starting from state ``z``."""
        z = (z + GAMMA) & MASK64
        s0 = mix64(z)
        z = (z + GAMMA) & MASK64
        return cls(s0, mix64(z))

    @classmethod
    def seeded(cls, seed):
        """What ``fxp.random.Xoroshiro128Plus(seed)`` starts from."""
        return cls.from_splitmix(seed & MASK64)

    @classmethod
    def stream(cls, key, index):
        """Sub-stream ``index`` of an operation keyed by ``key``."""
        return cls.from_splitmix(mix64(key) ^ index)

    def next(self):
        s0, s1 = self.s0, self.s1
        result = (s0 + s1) & MASK64
        s1 ^= s0
        self.s0 = (_rotl(s0, 24) ^ s1 ^ (s1 << 16)) & MASK64
        self.s1 = _rotl(s1, 37)
        return result


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK64


def element_words(key, n):
    """Random words of flat output elements 0..n-1 of the operation keyed by ``key``.

    Element ``i`` lies in block ``b = i // 1024`` at position ``p``; it takes word
    ``p // 8`` of stream ``b * 8 + p % 8``.
    """
    words = []
    for block_start in range(0, n, RNG_BLOCK):
        b = block_start // RNG_BLOCK
        streams = [Xoroshiro128Plus.stream(key, b * RNG_LANES + lane) for lane in range(RNG_LANES)]
        for p in range(min(RNG_BLOCK, n - block_start)):
            words.append(streams[p % RNG_LANES].next())
    return words


# --- rounding and narrowing -----------------------------------------------------------------

def round_shift(x, s, rounding, r=0):
    """Round the integer ``x / 2**s`` (s >= 0); stochastic adds floor(r * 2**(s-64)) then floors."""
    if s == 0:
        return x
    q, rem = divmod(x, 1 << s)
    half = 1 << (s - 1)
    if rounding == "floor":
        return q
    if rounding == "nearest_even":
        return q + (rem > half or (rem == half and q % 2 == 1))
    if rounding == "nearest_away":
        return q + (rem > half or (rem == half and q >= 0))
    if rounding == "toward_zero":
        return q + (rem != 0 and q < 0)
    if rounding == "stochastic":
        offset = r >> (64 - s) if s <= 64 else r << (s - 64)
        return (x + offset) >> s
    raise ValueError(rounding)


def round_rational(y, rounding, r=0):
    """Round the exact rational ``y`` to an integer; stochastic is floor(y + r * 2**-64)."""
    fl = math.floor(y)
    frac = y - fl
    if rounding == "floor":
        return fl
    if rounding == "toward_zero":
        return fl + (frac != 0 and fl < 0)
    if rounding == "nearest_even":
        return fl + (frac > Fraction(1, 2) or (frac == Fraction(1, 2) and fl % 2 == 1))
    if rounding == "nearest_away":
        return fl + (frac > Fraction(1, 2) or (frac == Fraction(1, 2) and fl >= 0))
    if rounding == "stochastic":
        return math.floor(y + Fraction(r, 1 << 64))
    raise ValueError(rounding)


def narrow(v, fmt, overflow):
    """Saturate (saturate/raise) or wrap ``v`` into ``fmt``; returns (value, overflowed)."""
    if fmt.min_raw <= v <= fmt.max_raw:
        return v, False
    if overflow == "wrap":
        u = v & ((1 << fmt.word_bits) - 1)
        if fmt.signed and u >> (fmt.word_bits - 1):
            u -= 1 << fmt.word_bits
        return u, True
    return (fmt.min_raw if v < fmt.min_raw else fmt.max_raw), True


def _finish(values, shape, fmt, overflow):
    out, n_over = [], 0
    for v in values:
        w, over = narrow(v, fmt, overflow)
        out.append(w)
        n_over += over
    return np.array(out, dtype=np.int64).reshape(shape).astype(fmt.dtype), n_over


def _words(rounding, key, n):
    return element_words(key, n) if rounding == "stochastic" else [0] * n


# --- kernels ----------------------------------------------------------------------------

def quantize(x, fmt, rounding="nearest_even", overflow="saturate", key=0):
    """Float array -> (raw array of ``fmt.dtype``, overflow count).

    NaN raises ValueError; +-inf saturates (and counts) under saturate/raise and raises
    ValueError under wrap.
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.ravel()
    if np.isnan(flat).any():
        raise ValueError("cannot quantize NaN")
    if overflow == "wrap" and np.isinf(flat).any():
        raise ValueError("cannot wrap infinity")
    values = []
    for xi, r in zip(flat.tolist(), _words(rounding, key, flat.size)):
        if math.isinf(xi):
            values.append(fmt.max_raw + 1 if xi > 0 else fmt.min_raw - 1)
        else:
            values.append(round_rational(Fraction(xi) * Fraction(2) ** fmt.frac_bits, rounding, r))
    return _finish(values, x.shape, fmt, overflow)


def requantize(raw, src_frac, fmt, rounding="nearest_even", overflow="saturate", key=0):
    """Integers at scale ``2**-src_frac`` -> (raw array of ``fmt``, overflow count)."""
    raw = np.asarray(raw)
    s = src_frac - fmt.frac_bits
    values = []
    for x, r in zip(raw.ravel().tolist(), _words(rounding, key, raw.size)):
        values.append(round_shift(x, s, rounding, r) if s >= 0 else x << -s)
    return _finish(values, raw.shape, fmt, overflow)


def _exact_then_requantize(op, a, fa, b, fb, fmt, rounding, overflow, key):
    a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
    if op == "multiply":
        exact = [x * y for x, y in zip(a.ravel().tolist(), b.ravel().tolist())]
        scale = fa + fb
    else:
        scale = max(fa, fb)
        sign = 1 if op == "add" else -1
        exact = [(x << (scale - fa)) + sign * (y << (scale - fb))
                 for x, y in zip(a.ravel().tolist(), b.ravel().tolist())]
    return requantize(np.array(exact, dtype=object).reshape(a.shape), scale, fmt, rounding, overflow, key)


def add(a, fa, b, fb, fmt, rounding="nearest_even", overflow="saturate", key=0):
    """Exact ``a*2**-fa + b*2**-fb`` rounded once into ``fmt``: (raw, overflow count)."""
    return _exact_then_requantize("add", a, fa, b, fb, fmt, rounding, overflow, key)


def subtract(a, fa, b, fb, fmt, rounding="nearest_even", overflow="saturate", key=0):
    """Exact ``a*2**-fa - b*2**-fb`` rounded once into ``fmt``: (raw, overflow count)."""
    return _exact_then_requantize("subtract", a, fa, b, fb, fmt, rounding, overflow, key)


def multiply(a, fa, b, fb, fmt, rounding="nearest_even", overflow="saturate", key=0):
    """Exact ``(a*2**-fa) * (b*2**-fb)`` rounded once into ``fmt``: (raw, overflow count)."""
    return _exact_then_requantize("multiply", a, fa, b, fb, fmt, rounding, overflow, key)
