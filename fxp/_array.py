"""FxpArray: a raw integer ndarray plus a Format, with numpy-like behaviour."""
from __future__ import annotations

import numbers

import numpy as np

from ._format import as_format


class FxpArray:
    """A fixed-point array: ``value = raw * 2**-fmt.frac_bits``.

    Build one with :func:`fxp.asarray` (quantize floats), :func:`fxp.from_raw`,
    :func:`fxp.zeros` / :func:`fxp.ones` / :func:`fxp.full` / :func:`fxp.arange`.

    Parameters
    ----------
    raw : numpy.ndarray
        Integers of dtype ``fmt.dtype`` (not copied; values must lie in the format's range).
    fmt : Format or str

    Notes
    -----
    Indexing follows numpy: basic slices are views of ``raw``, advanced indexing copies.
    Operators ``+ - *`` are exact and return the exact bit-growth format (``docs/core.md``);
    the function forms (``fxp.add`` ...) take ``out_format=``, ``rounding=``, ``overflow=``.
    ``np.asarray(a)`` gives float64 values.
    """

    __slots__ = ("_raw", "_fmt")
    __array_priority__ = 100

    def __init__(self, raw, fmt):
        fmt = as_format(fmt)
        if not isinstance(raw, np.ndarray) or raw.dtype != fmt.dtype:
            raise TypeError(f"raw must be a numpy array of {fmt.dtype} for {fmt}; use fxp.from_raw")
        self._raw = raw
        self._fmt = fmt

    # --- basic properties -------------------------------------------------------------
    @property
    def raw(self):
        """The raw integers (an ndarray of ``fmt.dtype``)."""
        return self._raw

    @property
    def fmt(self):
        """The :class:`Format`."""
        return self._fmt

    shape = property(lambda self: self._raw.shape, doc="Shape, as ndarray.shape.")
    ndim = property(lambda self: self._raw.ndim, doc="Number of dimensions.")
    size = property(lambda self: self._raw.size, doc="Number of elements.")

    @property
    def T(self):
        """Transposed view."""
        return FxpArray(self._raw.T, self._fmt)

    def __len__(self):
        return len(self._raw)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def to_float(self):
        """The values as a float64 ndarray (exact: raws have at most 32 bits)."""
        # a product with 2**-frac_bits is exact (|value| within [2**-64, 2**96]) and 7x
        # faster than np.ldexp
        return np.asarray(np.multiply(self._raw, 2.0 ** -self._fmt.frac_bits, dtype=np.float64))

    def __array__(self, dtype=None, copy=None):
        values = self.to_float()
        return values if dtype is None else values.astype(dtype, copy=False)

    def __float__(self):
        return float(self.to_float())

    def __bool__(self):
        return bool(self._raw)

    def __repr__(self):
        body = np.array2string(self.to_float(), separator=", ", floatmode="unique", prefix="FxpArray(")
        return f"FxpArray({body}, fmt='{self._fmt}')"

    def __str__(self):
        return f"{np.array2string(self.to_float(), floatmode='unique')} {self._fmt}"

    # --- shape manipulation (views where numpy gives views) ----------------------------
    def _wrap(self, raw):
        return FxpArray(np.asarray(raw), self._fmt)

    def reshape(self, *shape, order="C"):
        """Reshaped array (a view when possible), as ndarray.reshape."""
        return self._wrap(self._raw.reshape(*shape, order=order))

    def transpose(self, *axes):
        """Permuted axes (a view), as ndarray.transpose."""
        return self._wrap(self._raw.transpose(*axes))

    def swapaxes(self, axis1, axis2):
        """Two axes interchanged (a view)."""
        return self._wrap(self._raw.swapaxes(axis1, axis2))

    def ravel(self, order="C"):
        """Flattened array (a view when possible)."""
        return self._wrap(self._raw.ravel(order=order))

    def flatten(self, order="C"):
        """Flattened copy."""
        return self._wrap(self._raw.flatten(order=order))

    def squeeze(self, axis=None):
        """Length-1 axes removed."""
        return self._wrap(self._raw.squeeze(axis=axis))

    def copy(self):
        """A copy (raw copied)."""
        return self._wrap(self._raw.copy())

    # --- conversion ---------------------------------------------------------------------
    def astype(self, fmt, rounding=None, overflow=None, rng=None):
        """Requantize into ``fmt`` with one rounding (defaults from :func:`fxp.config`).

        Parameters
        ----------
        fmt : Format or str
        rounding, overflow : str or enum, optional
        rng : None, int or Xoroshiro128Plus, optional
            Generator for ``rounding="stochastic"``.
        """
        from ._raw import requantize
        fmt = as_format(fmt)
        if fmt == self._fmt:
            return self.copy()
        return FxpArray(requantize(self._raw, self._fmt.frac_bits, fmt, rounding, overflow, rng), fmt)

    # --- indexing -------------------------------------------------------------------------
    def __getitem__(self, index):
        return FxpArray(np.asarray(self._raw[_plain_index(index)]), self._fmt)

    def __setitem__(self, index, value):
        self._raw[_plain_index(index)] = _as_raw_of(value, self._fmt)

    # --- arithmetic -----------------------------------------------------------------------
    def __add__(self, other):
        return _operator_result("add", self, other)

    def __radd__(self, other):
        return _operator_result("add", other, self)

    def __sub__(self, other):
        return _operator_result("subtract", self, other)

    def __rsub__(self, other):
        return _operator_result("subtract", other, self)

    def __mul__(self, other):
        return _operator_result("multiply", self, other)

    def __rmul__(self, other):
        return _operator_result("multiply", other, self)

    def __iadd__(self, other):
        return self._inplace("add", other)

    def __isub__(self, other):
        return self._inplace("subtract", other)

    def __imul__(self, other):
        return self._inplace("multiply", other)

    def _inplace(self, op, other):
        if isinstance(other, FxpArray) and other.fmt != self._fmt:
            raise ValueError(
                f"in-place {op} needs operands of the same format, got {self._fmt} and "
                f"{other.fmt}; use fxp.{op}(a, b, out_format=a.fmt) and assign"
            )
        result = _operator_result(op, self, other, out_format=self._fmt)
        if result is NotImplemented:
            return NotImplemented
        if result.shape != self.shape:
            raise ValueError(f"in-place {op}: result shape {result.shape} does not "
                             f"match {self.shape}")
        self._raw[...] = result.raw
        return self

    def __matmul__(self, other):
        import fxp
        return fxp.matmul(self, other)

    def __rmatmul__(self, other):
        import fxp
        return fxp.matmul(other, self)

    def __neg__(self):
        from ._functions import negative
        return negative(self)

    def __pos__(self):
        return self.copy()

    def __abs__(self):
        from ._functions import absolute
        return absolute(self)

    def __lshift__(self, k):
        from ._functions import ldexp
        return ldexp(self, _shift_count(k))

    def __rshift__(self, k):
        from ._functions import ldexp
        return ldexp(self, -_shift_count(k))

    # --- comparisons (exact: values of <= 32-bit raws are exact float64) ----------------------
    def _compare(self, other, op):
        if not isinstance(other, FxpArray) and not _is_real(other):
            return NotImplemented
        return compare(op, self, other)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    __hash__ = None

    # --- reductions -----------------------------------------------------------------------
    def sum(self, axis=None, out_format=None, rounding=None, overflow=None, keepdims=False, rng=None):
        """Exact sum (see :func:`fxp.sum`)."""
        from ._functions import sum as fsum
        return fsum(self, axis, out_format=out_format, rounding=rounding, overflow=overflow,
                    keepdims=keepdims, rng=rng)

    def mean(self, axis=None, rounding=None, rng=None, keepdims=False):
        """Mean in this array's format (see :func:`fxp.mean`)."""
        from ._functions import mean
        return mean(self, axis, rounding=rounding, rng=rng, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        """Largest element (same format)."""
        return FxpArray(np.asarray(self._raw.max(axis=axis, keepdims=keepdims)), self._fmt)

    def min(self, axis=None, keepdims=False):
        """Smallest element (same format)."""
        return FxpArray(np.asarray(self._raw.min(axis=axis, keepdims=keepdims)), self._fmt)

    def argmax(self, axis=None):
        """Index of the largest element, as ndarray.argmax."""
        return self._raw.argmax(axis=axis)

    def argmin(self, axis=None):
        """Index of the smallest element, as ndarray.argmin."""
        return self._raw.argmin(axis=axis)

    # --- numpy protocols --------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from ._numpy import array_ufunc
        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from ._numpy import array_function
        return array_function(func, args, kwargs)


def compare(op, a, b):
    """``op`` (a numpy comparison ufunc) on the values of ``a`` and ``b`` (FxpArrays or real
    numbers / arrays), exactly: raws of one format directly, anything else as float64 values
    (exact: raws have at most 32 bits)."""
    if isinstance(a, FxpArray) and isinstance(b, FxpArray) and a.fmt == b.fmt:
        return op(a.raw, b.raw)
    return op(*(x.to_float() if isinstance(x, FxpArray) else np.asarray(x, dtype=np.float64) for x in (a, b)))


def _is_real(x):
    if isinstance(x, (numbers.Real, np.bool_)):
        return True
    return isinstance(x, np.ndarray) and x.dtype.kind in "biuf"


def _shift_count(k):
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
        raise TypeError(f"shift counts must be Python or numpy integers, got {k!r}")
    return int(k)


def _plain_index(index):
    """Reject FxpArray indices (values or raws? ambiguous); others pass through to numpy."""
    if isinstance(index, FxpArray):
        raise TypeError("an FxpArray cannot be used as an index; use a bool or int ndarray")
    return index


def _as_raw_of(value, fmt):
    """Raw values of ``fmt`` for assignment: FxpArrays are requantized, numbers quantized."""
    from ._functions import asarray
    return asarray(value, fmt).raw


def _operator_result(op, a, b, out_format=None):
    """Operator helper: coerce Python / numpy operands, then call ``fxp.<op>`` (add, subtract, multiply)."""
    from . import _functions   # imports this module, so imported late
    try:
        a, b = coerce_operands(a, b)
    except TypeError:
        return NotImplemented
    return getattr(_functions, op)(a, b, out_format=out_format)


def coerce_operands(a, b):
    """Make both operands FxpArrays; plain numbers take an exact or best-precision format.

    Integers (and integer arrays) take their exact integer format; floats take the
    best-precision format with the other operand's word length (MATLAB ``fi`` style),
    rounded to nearest even.

    Raises
    ------
    ValueError
        A float operand holds inf or NaN, or lies beyond every format's range.
    """
    like = a if isinstance(a, FxpArray) else b
    return _coerce(a, like.fmt), _coerce(b, like.fmt)


def _coerce(x, like_fmt):
    if isinstance(x, FxpArray):
        return x
    from ._functions import asarray
    from ._rules import float_scalar_format, integer_format
    if not _is_real(x) and not (isinstance(x, (list, tuple))):
        raise TypeError(f"cannot combine an FxpArray with {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind in "biu":
        return asarray(arr, integer_format(arr.ravel().tolist()))
    if arr.dtype.kind != "f":
        raise TypeError(f"cannot combine an FxpArray with {arr.dtype} data")
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        raise ValueError(f"cannot combine an FxpArray with non-finite floats ({bad} of {arr.size} "
                         "values are inf or NaN): fixed point has neither (comparisons with them work)")
    fmt = float_scalar_format(float(np.abs(arr).max()) if arr.size else 0.0, like_fmt.word_bits)
    return asarray(arr, fmt, rounding="nearest_even", overflow="saturate")


__all__ = ["FxpArray"]
