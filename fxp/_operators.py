"""The public function forms of FxpArray's operators: :func:`add`, :func:`subtract`,
:func:`multiply` (``+ - *``), :func:`negative` (``-a``), :func:`absolute` (``abs(a)``),
:func:`ldexp` (``<<``, ``>>``) and :func:`matmul` (``@``), with ``out_format=``, the modes and
the accumulator; the arithmetic itself is in :mod:`fxp._array`, next to the operators."""
from __future__ import annotations

from ._accumulator import as_accumulator
from ._array import arithmetic, coerce_operands, magnitude, negate, product, shift


def add(a, b, out_format=None, rounding=None, overflow=None, rng=None):
    """Exact ``a + b``, rounded once into ``out_format``.

    Parameters
    ----------
    a, b : FxpArray or numbers / arrays (broadcast as in numpy)
        Plain integers take their exact format; plain floats a best-precision format with
        the other operand's word length.
    out_format : Format or str, optional
        Default: the exact bit-growth format (one more integer bit, the finer fraction),
        trimmed to 32 bits (see ``docs/core.md``).
    rounding, overflow, rng
        As in :func:`asarray`.
    """
    a, b = coerce_operands(a, b)
    return arithmetic("add", a, b, out_format, rounding, overflow, rng)


def subtract(a, b, out_format=None, rounding=None, overflow=None, rng=None):
    """Exact ``a - b``, rounded once into ``out_format`` (as :func:`add`)."""
    a, b = coerce_operands(a, b)
    return arithmetic("subtract", a, b, out_format, rounding, overflow, rng)


def multiply(a, b, out_format=None, rounding=None, overflow=None, rng=None):
    """Exact ``a * b``, rounded once into ``out_format``.

    The default format adds word and fraction bits (exact), trimmed to 32 bits.
    Other parameters as in :func:`add`.
    """
    a, b = coerce_operands(a, b)
    return arithmetic("multiply", a, b, out_format, rounding, overflow, rng)


def negative(a, out_format=None, rounding=None, overflow=None, rng=None):
    """Exact ``-a``, rounded into ``out_format``.

    The default format is signed and holds [-max, -min]: one bit wider than a signed ``a``
    (for ``-min``) or an unsigned one (``u8.0 -> s9.0``).
    """
    return negate(a, out_format, rounding, overflow, rng)


def absolute(a, out_format=None, rounding=None, overflow=None, rng=None):
    """Exact ``|a|``, rounded into ``out_format``.

    The default format is unsigned with ``a``'s word and fraction bits (``s8.0 -> u8.0``:
    ``|-128|`` fits 8 unsigned bits).
    """
    return magnitude(a, out_format, rounding, overflow, rng)


def ldexp(a, k, out_format=None, rounding=None, overflow=None, rng=None):
    """``a * 2**k`` (a shift by a power of two).

    Without ``out_format`` this is free and exact: the raw integers are kept and the
    fraction bits become ``frac_bits - k`` (an error if that leaves [-64, 64]).
    ``a << k`` and ``a >> k`` call this.
    """
    return shift(a, k, out_format, rounding, overflow, rng)


def matmul(a, b, out_format=None, rounding=None, overflow=None, acc_bits=None,
           acc_overflow=None, chunk=None, rng=None, n_threads=None, *, acc=None):
    """Fixed-point matrix product with a bounded accumulator (``a @ b``).

    Shapes follow :func:`numpy.matmul`: 1-D operands are promoted to a row
    (``a``) or a column (``b``) and the added axis is removed afterwards;
    leading batch dimensions broadcast.

    Parameters
    ----------
    a, b : FxpArray
        Operands; any formats except unsigned 32-bit.
    out_format : Format or str, optional
        Result format; default: the exact one, as for ``+`` and ``*``: ``frac_a + frac_b``
        fraction bits and the range of every sum of K products, trimmed to 32 bits
        (``docs/core.md``).
    rounding, overflow : str or enum, optional
        Output rounding and overflow (defaults from :class:`fxp.config`).
    acc_bits, acc_overflow, chunk : optional
        Shorthands for ``acc=fxp.Accumulator(acc_bits, acc_overflow, chunk)`` (not together
        with ``acc=``): the accumulator width, 2..64 (default: wide enough that no sum of K
        products can overflow, capped at 64); :class:`fxp.Overflow` ``"saturate"`` (default)
        or ``"wrap"``, applied after every addition, in the order k = 0..K-1; runs of
        ``chunk`` products summed in their own accumulator.
    rng : None, int, Xoroshiro128Plus or numpy Generator, optional
        For stochastic rounding (one key drawn per call).
    n_threads : int, optional
        Most kernel threads (default from :class:`fxp.config`); products of fewer than
        ``2**22`` multiply-adds run on one.  Results never depend on it.
    acc : Accumulator, optional
        The accumulator (default ``fxp.Accumulator()``: exact); see :class:`fxp.Accumulator`.

    Returns
    -------
    FxpArray

    Notes
    -----
    Outputs whose accumulation hit the accumulator bound are added to an active
    :func:`fxp.count_overflows` block (as saturated or wrapped, per the accumulator's overflow,
    without adding to its element count); output-format overflows are counted too.

    Examples
    --------
    >>> import fxp
    >>> a = fxp.asarray([[7.0] * 64], "s8.4")
    >>> b = fxp.asarray([[7.0]] * 64, "s8.4")
    >>> fxp.matmul(a, b, out_format="s16.8", acc_bits=16).to_float()  # 64 * 49 clamped
    array([[127.99609375]])
    >>> fxp.matmul(a, b, out_format="s16.8", acc=fxp.Accumulator(16)).to_float()
    array([[127.99609375]])
    """
    return product(a, b, out_format, rounding, overflow, as_accumulator(acc, acc_bits, acc_overflow, chunk),
                   rng, n_threads)
