"""Hypothesis strategies shared by the fxp tests."""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fxp import Format

ROUNDINGS = ["nearest_even", "nearest_away", "floor", "toward_zero", "stochastic"]
OVERFLOWS = ["saturate", "wrap", "raise"]


@st.composite
def formats(draw, max_word=32):
    word = draw(st.integers(1, max_word))
    frac = draw(st.integers(-64, 64))
    return Format(word, frac, draw(st.booleans()))


@st.composite
def raw_arrays(draw, fmt, shape=None):
    """Raw integer arrays of ``fmt`` (edge values over-represented)."""
    shape = draw(hnp.array_shapes(max_dims=2, max_side=6)) if shape is None else shape
    edges = st.sampled_from([fmt.min_raw, fmt.max_raw, 0, min(1, fmt.max_raw), max(-1, fmt.min_raw)])
    elems = st.one_of(edges, st.integers(fmt.min_raw, fmt.max_raw))
    return draw(hnp.arrays(fmt.dtype, shape, elements=elems))


def floats_near(fmt):
    """Floats around the format's range and on its rounding ties."""
    scale = 2.0 ** -fmt.frac_bits
    lim = max(abs(fmt.min), abs(fmt.max)) * 1.5 + scale
    ties = st.integers(-2**20, 2**20).map(lambda k: (k + 0.5) * scale)
    return st.one_of(st.floats(-lim, lim, allow_nan=False), ties,
                     st.floats(allow_nan=False, allow_infinity=False, width=64))


def float_arrays(fmt):
    return hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=6), elements=floats_near(fmt))
