"""Rounding and overflow modes, and their validation."""
from __future__ import annotations

import enum


class Rounding(enum.Enum):
    """How a value between two representable neighbours is rounded.

    ``NEAREST_EVEN`` ties to even; ``NEAREST_AWAY`` ties away from zero;
    ``FLOOR`` toward minus infinity (what masking off low bits does in two's
    complement); ``TOWARD_ZERO`` truncates the magnitude; ``STOCHASTIC``
    rounds up with probability equal to the discarded fraction (Gupta et al.
    2015), so it is unbiased.
    """

    NEAREST_EVEN = "nearest_even"
    NEAREST_AWAY = "nearest_away"
    FLOOR = "floor"
    TOWARD_ZERO = "toward_zero"
    STOCHASTIC = "stochastic"

    # members compare by identity; Enum's own __hash__ runs Python code on every kernel call's
    # dict lookups, object's is C
    __hash__ = object.__hash__


class Overflow(enum.Enum):
    """What happens to a value outside the format's range.

    ``SATURATE`` clamps to min/max, ``WRAP`` keeps the low ``word_bits`` bits
    (two's complement modulo), ``RAISE`` raises :class:`FxpOverflowError`.
    """

    SATURATE = "saturate"
    WRAP = "wrap"
    RAISE = "raise"

    __hash__ = object.__hash__   # as in Rounding


class FxpOverflowError(ArithmeticError):
    """Raised under ``overflow="raise"``; the message says how many elements overflowed."""


def _parse(enum_cls, value, what):
    try:
        return enum_cls(value)
    except ValueError:
        names = ", ".join(repr(m.value) for m in enum_cls)
        raise ValueError(f"unknown {what} mode {value!r}; choose one of {names}") from None


# each member and each member's name, to the member: one dict lookup on every call with modes
_ROUNDINGS = {**{m: m for m in Rounding}, **{m.value: m for m in Rounding}}
_OVERFLOWS = {**{m: m for m in Overflow}, **{m.value: m for m in Overflow}}


def as_rounding(value):
    """Return ``value`` (a :class:`Rounding` or its name) as a :class:`Rounding`."""
    try:
        return _ROUNDINGS[value]
    except (KeyError, TypeError):        # not a name (or unhashable): Rounding() says why
        return _parse(Rounding, value, "rounding")


def as_overflow(value):
    """Return ``value`` (an :class:`Overflow` or its name) as an :class:`Overflow`."""
    try:
        return _OVERFLOWS[value]
    except (KeyError, TypeError):
        return _parse(Overflow, value, "overflow")
