import pickle

import numpy as np
import pytest
from hypothesis import given, strategies as st

from fxp import Format, Overflow, Rounding
from fxp._modes import as_overflow, as_rounding


def test_s16_12_properties():
    fmt = Format(16, 12)
    assert fmt.int_bits == 4
    assert (fmt.min_raw, fmt.max_raw) == (-32768, 32767)
    assert fmt.min == -8.0
    assert fmt.max == 8.0 - 2.0**-12
    assert fmt.resolution == 2.0**-12
    assert fmt.dtype == np.int16


def test_unsigned_and_storage_widths():
    assert Format(8, 8, signed=False).dtype == np.uint8
    assert Format(9, 0).dtype == np.int16
    assert Format(17, 0).dtype == np.int32
    assert Format(32, 0, False).max_raw == 2**32 - 1
    assert Format(1, 0).min_raw == -1 and Format(1, 0).max_raw == 0


def test_extreme_frac_bits():
    assert Format(8, -64).resolution == 2.0**64
    assert Format(8, 64).max == 127 * 2.0**-64
    assert Format(4, 10).int_bits == -6


@pytest.mark.parametrize(
    "args, error, words",
    [
        ((0, 0), ValueError, "word_bits"),
        ((33, 0), ValueError, "word_bits"),
        ((16, 65), ValueError, "frac_bits"),
        ((16, -65), ValueError, "frac_bits"),
        ((16.0, 12), TypeError, "word_bits"),
        ((16, 12.5), TypeError, "frac_bits"),
        ((True, 0), TypeError, "word_bits"),
    ],
)
def test_invalid_formats_name_the_problem(args, error, words):
    with pytest.raises(error, match=words):
        Format(*args)


def test_il_fl_and_strings():
    assert Format.from_il_fl(2, 14) == Format(16, 14)
    assert Format.parse("s16.12") == Format(16, 12)
    assert Format.parse("u8.8") == Format(8, 8, False)
    assert Format.parse("Q3.12") == Format(16, 12)
    assert Format.parse("UQ4.12") == Format(16, 12, False)
    assert Format.parse("s8.-3") == Format(8, -3)
    assert str(Format(16, 12)) == "s16.12"
    with pytest.raises(ValueError, match="cannot read format"):
        Format.parse("16 bits")


@given(st.integers(1, 32), st.integers(-64, 64), st.booleans())
def test_roundtrips(word, frac, signed):
    fmt = Format(word, frac, signed)
    assert Format.parse(str(fmt)) == fmt
    assert pickle.loads(pickle.dumps(fmt)) == fmt
    assert fmt.max_raw - fmt.min_raw == 2**word - 1
    info = np.iinfo(fmt.dtype)
    assert info.min <= fmt.min_raw and fmt.max_raw <= info.max


def test_mode_names():
    assert as_rounding("stochastic") is Rounding.STOCHASTIC
    assert as_overflow(Overflow.WRAP) is Overflow.WRAP
    with pytest.raises(ValueError, match="unknown rounding mode 'round'.*nearest_even"):
        as_rounding("round")
    with pytest.raises(ValueError, match="unknown overflow mode"):
        as_overflow("clip")
