"""The fixed-point number format: word length, fraction bits, signedness."""
from __future__ import annotations

import numbers
import re
from dataclasses import FrozenInstanceError

import numpy as np

MAX_WORD_BITS = 32
FRAC_BITS_RANGE = (-64, 64)

_COMPACT = re.compile(r"^\s*([su])(\d+)\.(-?\d+)\s*$", re.IGNORECASE)
_QNOTATION = re.compile(r"^\s*(U?)Q(-?\d+)\.(-?\d+)\s*$", re.IGNORECASE)
# the Format object of each (class, word_bits, frac_bits, signed), and of each format string read
_INTERNED = {}
_PARSED = {}
_MAX_PARSED = 4096     # format strings remembered (any number of spellings of a format exist)


def _as_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    return int(value)


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

    Attributes
    ----------
    word_bits, frac_bits, signed
        The parameters (``signed`` a bool).
    min_raw, max_raw : int
        Smallest and largest raw integer.
    dtype : numpy.dtype
        Storage dtype: the smallest of (u)int8/16/32 holding ``word_bits``.

    Formats are immutable and interned: there is one object per (word bits, fraction bits,
    signedness), so ``Format(16, 12) is Format(16, 12)``, and equality and hashing are those
    of the object (as fast as for ``None``; every array operation looks formats up).

    Examples
    --------
    >>> fmt = Format(16, 12)
    >>> fmt.min, fmt.max, fmt.resolution
    (-8.0, 7.999755859375, 0.000244140625)
    >>> Format.parse("Q3.12") == fmt
    True
    """

    __slots__ = ("word_bits", "frac_bits", "signed", "min_raw", "max_raw", "dtype", "_text")

    def __new__(cls, word_bits, frac_bits, signed=True):
        if type(word_bits) is int and type(frac_bits) is int and type(signed) is bool:
            fmt = _INTERNED.get((cls, word_bits, frac_bits, signed))
            if fmt is not None:
                return fmt
        word_bits = _as_int(word_bits, "word_bits")
        frac_bits = _as_int(frac_bits, "frac_bits")
        if not 1 <= word_bits <= MAX_WORD_BITS:
            raise ValueError(f"word_bits must be in 1..{MAX_WORD_BITS}, got {word_bits}")
        lo, hi = FRAC_BITS_RANGE
        if not lo <= frac_bits <= hi:
            raise ValueError(f"frac_bits must be in [{lo}, {hi}], got {frac_bits}")
        if not isinstance(signed, (bool, np.bool_)):
            raise TypeError(f"signed must be a bool, got {signed!r}")
        key = (cls, word_bits, frac_bits, bool(signed))
        fmt = _INTERNED.get(key)
        if fmt is None:       # at most 32 * 129 * 2 formats exist
            fmt = _INTERNED[key] = object.__new__(cls)
            fmt._init(word_bits, frac_bits, bool(signed))
        return fmt

    def _init(self, word_bits, frac_bits, signed):
        set_field = object.__setattr__
        set_field(self, "word_bits", word_bits)
        set_field(self, "frac_bits", frac_bits)
        set_field(self, "signed", signed)
        set_field(self, "min_raw", -(1 << (word_bits - 1)) if signed else 0)
        set_field(self, "max_raw", (1 << (word_bits - int(signed))) - 1)
        storage = next(bits for bits in (8, 16, 32) if word_bits <= bits)
        set_field(self, "dtype", np.dtype(f"{'' if signed else 'u'}int{storage}"))
        set_field(self, "_text", f"{'s' if signed else 'u'}{word_bits}.{frac_bits}")

    def __setattr__(self, name, value):
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name):
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self):      # pickle and copy go through __new__: the interned object
        return type(self), (self.word_bits, self.frac_bits, self.signed)

    def __repr__(self):
        return (f"{type(self).__name__}(word_bits={self.word_bits}, frac_bits={self.frac_bits}, "
                f"signed={self.signed})")

    @classmethod
    def from_il_fl(cls, il, fl, signed=True):
        """Build a format from Gupta et al.'s <IL, FL> (IL counts the sign bit)."""
        return cls(_as_int(il, "il") + _as_int(fl, "fl"), fl, signed)

    @classmethod
    def parse(cls, text):
        """Read ``"s16.12"``/``"u8.8"`` (word.frac) or ``"Q3.12"``/``"UQ4.12"`` (ARM Q).

        Strings already read are looked up, not parsed again.
        """
        if isinstance(text, Format):
            return text
        if not isinstance(text, str):
            raise TypeError(f"a format string is needed, got {text!r}")
        fmt = _PARSED.get(text) if cls is Format else None
        if fmt is None:
            fmt = cls._read(text)
            if cls is Format and len(_PARSED) < _MAX_PARSED:
                _PARSED[text] = fmt
        return fmt

    @classmethod
    def _read(cls, text):
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

    def __str__(self):
        return self._text


def as_format(fmt):
    """Return ``fmt`` as a :class:`Format` (accepts a Format or a format string)."""
    if isinstance(fmt, Format):
        return fmt
    if isinstance(fmt, str):
        return _PARSED.get(fmt) or Format.parse(fmt)
    raise TypeError(f"expected an fxp.Format or a format string like 's16.12', got {fmt!r}")
