"""The fixed-point number format: word length, fraction bits, signedness."""
from __future__ import annotations

import numbers
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

MAX_WORD_BITS = 32
FRAC_BITS_RANGE = (-64, 64)

_COMPACT = re.compile(r"^\s*([su])(\d+)\.(-?\d+)\s*$", re.IGNORECASE)
_QNOTATION = re.compile(r"^\s*(U?)Q(-?\d+)\.(-?\d+)\s*$", re.IGNORECASE)


def _as_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    return int(value)


@dataclass(frozen=True)
class Format:
    """A binary fixed-point format: ``value = raw * 2**-frac_bits``.

    Parameters
    ----------
    word_bits : int
        Total bits of an element, 1..32, sign bit included.
    frac_bits : int
        Fraction bits, any integer in [-64, 64]; negative values and values
        above ``word_bits`` are allowed (coarse or purely fractional scales).
    signed : bool, default True
        Two's complement when True, unsigned otherwise.

    Notes
    -----
    ``int_bits = word_bits - frac_bits`` counts the sign bit, as Gupta et
    al.'s <IL, FL> does, so ``Format.from_il_fl(2, 14)`` is 16 bits wide.
    ``str(fmt)`` gives the compact form ``s16.12`` (signedness, word bits,
    fraction bits); :meth:`parse` also reads ARM Q-notation, where ``Q3.12``
    means 3 integer bits *plus* a sign bit (16 bits) and ``UQ4.12`` is an
    unsigned 16-bit word.

    Examples
    --------
    >>> fmt = Format(16, 12)
    >>> fmt.min, fmt.max, fmt.resolution
    (-8.0, 7.999755859375, 0.000244140625)
    >>> Format.parse("Q3.12") == fmt
    True
    """

    word_bits: int
    frac_bits: int
    signed: bool = True

    def __post_init__(self):
        word_bits = _as_int(self.word_bits, "word_bits")
        frac_bits = _as_int(self.frac_bits, "frac_bits")
        if not 1 <= word_bits <= MAX_WORD_BITS:
            raise ValueError(f"word_bits must be in 1..{MAX_WORD_BITS}, got {word_bits}")
        lo, hi = FRAC_BITS_RANGE
        if not lo <= frac_bits <= hi:
            raise ValueError(f"frac_bits must be in [{lo}, {hi}], got {frac_bits}")
        if not isinstance(self.signed, (bool, np.bool_)):
            raise TypeError(f"signed must be a bool, got {self.signed!r}")
        object.__setattr__(self, "word_bits", word_bits)
        object.__setattr__(self, "frac_bits", frac_bits)
        object.__setattr__(self, "signed", bool(self.signed))

    @classmethod
    def from_il_fl(cls, il, fl, signed=True):
        """Build a format from Gupta et al.'s <IL, FL> (IL counts the sign bit)."""
        return cls(_as_int(il, "il") + _as_int(fl, "fl"), fl, signed)

    @classmethod
    def parse(cls, text):
        """Read ``"s16.12"``/``"u8.8"`` (word.frac) or ``"Q3.12"``/``"UQ4.12"`` (ARM Q)."""
        if isinstance(text, Format):
            return text
        if not isinstance(text, str):
            raise TypeError(f"a format string is needed, got {text!r}")
        match = _COMPACT.match(text)
        if match:
            sign, word, frac = match.groups()
            return cls(int(word), int(frac), sign.lower() == "s")
        match = _QNOTATION.match(text)
        if match:
            unsigned, integer, frac = match.groups()
            signed = not unsigned
            return cls(int(integer) + int(frac) + int(signed), int(frac), signed)
        raise ValueError(
            f"cannot read format {text!r}: use 's16.12' / 'u8.8' (word bits . fraction bits) "
            "or ARM Q-notation 'Q3.12' / 'UQ4.12'"
        )

    @property
    def int_bits(self):
        """Integer bits, sign bit included (may be negative)."""
        return self.word_bits - self.frac_bits

    @cached_property
    def min_raw(self):
        """Smallest raw integer."""
        return -(1 << (self.word_bits - 1)) if self.signed else 0

    @cached_property
    def max_raw(self):
        """Largest raw integer."""
        return (1 << (self.word_bits - int(self.signed))) - 1

    @property
    def resolution(self):
        """Value of one LSB, ``2**-frac_bits``."""
        return float(np.ldexp(1.0, -self.frac_bits))

    @property
    def min(self):
        """Smallest representable value."""
        return float(np.ldexp(float(self.min_raw), -self.frac_bits))

    @property
    def max(self):
        """Largest representable value."""
        return float(np.ldexp(float(self.max_raw), -self.frac_bits))

    @cached_property
    def dtype(self):
        """Storage dtype: the smallest of (u)int8/16/32 holding ``word_bits``."""
        for bits in (8, 16, 32):
            if self.word_bits <= bits:
                return np.dtype(f"{'' if self.signed else 'u'}int{bits}")
        raise AssertionError("unreachable: word_bits is validated")

    def __str__(self):
        return f"{'s' if self.signed else 'u'}{self.word_bits}.{self.frac_bits}"


def as_format(fmt):
    """Return ``fmt`` as a :class:`Format` (accepts a Format or a format string)."""
    if isinstance(fmt, Format):
        return fmt
    if isinstance(fmt, str):
        return Format.parse(fmt)
    raise TypeError(f"expected an fxp.Format or a format string like 's16.12', got {fmt!r}")
