"""The accumulator spec of the fixed-point products (``fxp.matmul`` and the convolutions)."""
from __future__ import annotations

import numbers
from dataclasses import dataclass

from ._modes import Overflow, as_overflow
from ._rules import ACC_BITS_RANGE


@dataclass(frozen=True)
class Accumulator:
    """The accumulator of a fixed-point product: its width, overflow rule and chunking.

    ``fxp.matmul`` and the convolutions take one as ``acc=``; their keywords ``acc_bits=``,
    ``acc_overflow=`` and ``chunk=`` are shorthands for its three fields.

    Parameters
    ----------
    bits : int or None, default None
        Signed accumulator width, 2..64.  None: exact, wide enough that no sum of the K
        products can overflow (capped at 64 bits).
    overflow : Overflow or {"saturate", "wrap"}, default "saturate"
        Applied after every addition into the accumulator, in the order k = 0..K-1
        (kept as an :class:`fxp.Overflow`; ``"raise"`` is not an accumulator mode).
    chunk : int or None, default None
        Chunked accumulation (Sakr et al. 2019): every run of ``chunk`` products is summed in
        its own accumulator, then the chunk sums are added with the same rule.

    Raises
    ------
    TypeError
        ``bits`` is not an integer.
    ValueError
        ``bits`` outside 2..64, ``overflow`` neither saturate nor wrap, ``chunk`` not a
        positive integer.

    Examples
    --------
    >>> import fxp
    >>> fxp.Accumulator(16, "wrap")
    Accumulator(bits=16, overflow=<Overflow.WRAP: 'wrap'>, chunk=None)
    """

    bits: int | None = None
    overflow: Overflow | str = Overflow.SATURATE   # a name is kept as its Overflow
    chunk: int | None = None

    def __post_init__(self) -> None:
        lo, hi = ACC_BITS_RANGE
        bits = self.bits
        if bits is not None:
            if isinstance(bits, bool) or not isinstance(bits, numbers.Integral):
                raise TypeError(f"accumulator bits (acc_bits) must be an integer, got {bits!r}")
            if not lo <= bits <= hi:
                raise ValueError(f"accumulator bits (acc_bits) must be in {lo}..{hi}, got {bits}")
        try:
            overflow = as_overflow(self.overflow)
        except ValueError:
            overflow = None
        if overflow not in (Overflow.SATURATE, Overflow.WRAP):
            raise ValueError("accumulator overflow (acc_overflow) must be 'saturate' or 'wrap', "
                             f"got {self.overflow!r}")
        object.__setattr__(self, "overflow", overflow)
        if self.chunk is not None and (isinstance(self.chunk, bool) or not isinstance(
                self.chunk, numbers.Integral) or self.chunk < 1):
            raise ValueError(f"chunk must be a positive integer or None, got {self.chunk!r}")


_EXACT = Accumulator()


def as_accumulator(acc, acc_bits, acc_overflow, chunk):
    """The :class:`Accumulator` of a product call: ``acc`` or the shorthand keywords.

    ``acc_overflow=None`` means "saturate".

    Raises
    ------
    TypeError
        Both ``acc`` and a shorthand are given, or ``acc`` is not an Accumulator.
    """
    if acc is None:
        if acc_bits is None and acc_overflow is None and chunk is None:
            return _EXACT      # the common call builds no object (an Accumulator is immutable)
        return Accumulator(acc_bits, Overflow.SATURATE if acc_overflow is None else acc_overflow,
                           chunk)
    if not isinstance(acc, Accumulator):
        raise TypeError(f"acc must be an fxp.Accumulator, got {acc!r}")
    if not (acc_bits is None and acc_overflow is None and chunk is None):
        raise TypeError("pass either acc= or the shorthands acc_bits= / acc_overflow= / chunk=, "
                        "not both")
    return acc
