"""Random bits for stochastic rounding: the :class:`Xoroshiro128Plus` generator and fxp's global one.

Every stochastic operation draws one 64-bit key from the generator given as ``rng=``
(``None``: the global generator, seeded by :func:`seed`; an ``int``: a fresh
``Xoroshiro128Plus(int)``; a :class:`Xoroshiro128Plus`, any numpy ``BitGenerator`` or
``Generator``).  ``Xorshift`` is an alias of :class:`Xoroshiro128Plus`, its earlier name.
The rounding bits of each output element then come from a sub-stream fixed by that key and
the element's position (``docs/core.md``), so results never depend on the thread count.
"""
from __future__ import annotations

import numbers
import threading
from typing import TYPE_CHECKING

import numpy as np

from ._kernels._random import Xoroshiro128Plus

if TYPE_CHECKING:
    from ._typing import RngLike

Xorshift = Xoroshiro128Plus

__all__ = ["Xoroshiro128Plus", "Xorshift", "seed", "get_generator", "as_bit_generator", "draw_key"]

_lock = threading.Lock()
_global = Xoroshiro128Plus()


def seed(s: int | np.random.SeedSequence | None = None) -> None:
    """Reseed fxp's global generator (``None``: from OS entropy)."""
    global _global
    with _lock:
        _global = Xoroshiro128Plus(s)


def get_generator() -> Xoroshiro128Plus:
    """fxp's global :class:`Xoroshiro128Plus` (what ``rng=None`` uses)."""
    return _global


def as_bit_generator(rng: RngLike = None) -> np.random.BitGenerator:
    """Normalise an ``rng=`` argument to a numpy ``BitGenerator``.

    Parameters
    ----------
    rng : None, int, Xoroshiro128Plus, numpy.random.BitGenerator or numpy.random.Generator
        ``None`` is the global generator; an ``int`` seeds a new :class:`Xoroshiro128Plus`.
    """
    if rng is None:
        return _global
    if isinstance(rng, np.random.BitGenerator):
        return rng
    if isinstance(rng, np.random.Generator):
        return rng.bit_generator
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return Xoroshiro128Plus(int(rng))
    raise TypeError(
        f"rng must be None, an int seed, an fxp.random.Xoroshiro128Plus or a numpy Generator, got {rng!r}"
    )


def draw_key(rng: RngLike = None) -> int:
    """Draw the one 64-bit key of a stochastic operation from ``rng`` (see :func:`as_bit_generator`)."""
    return int(as_bit_generator(rng).random_raw())
