"""FxpArray: a raw integer ndarray plus a Format, with numpy-like behaviour.

This module holds the class, its construction (:func:`asarray`, :func:`from_raw`), the
coercion of plain operands and the arithmetic its operators compute (``+ - * @``, ``-a``,
``abs(a)``, ``<<``, ``>>``), all over the raw-level modules; the public function forms of
that arithmetic, with their documentation, are in :mod:`fxp._operators`.  Its one lazy
import is the numpy protocol (``__array_ufunc__`` / ``__array_function__`` import
:mod:`fxp._numpy`, which maps numpy's functions onto the function modules, and so imports
this one).
"""
from __future__ import annotations

import numbers

import numpy as np

from . import _gemm, _raw, _reduce, _rules
from ._accumulator import Accumulator
from ._format import FRAC_BITS_RANGE, Format, as_format
from ._methods import NdarrayMethods


class FxpArray(NdarrayMethods):
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
    the function forms (``fxp.add`` ..., :mod:`fxp._operators`) take ``out_format=``, ``rounding=``, ``overflow=``.
    ``np.asarray(a)`` gives float64 values, and ``a.dtype`` says so (``float64``); the storage
    is ``a.raw.dtype`` (``a.fmt.dtype``).  ndarray's other methods are numpy's functions
    (:class:`fxp._methods.NdarrayMethods`; ``docs/numpy.md`` has what each returns).
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
    dtype = property(lambda self: np.dtype(np.float64),
                     doc="float64: the dtype of ``np.asarray(a)``; the storage is ``raw.dtype``.")

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
        """Requantize into ``fmt`` with one rounding (defaults from :func:`fxp.config`), or
        convert the values to a numpy dtype (``a.astype(np.float32)``: a plain ndarray).

        Parameters
        ----------
        fmt : Format, format string, or numpy dtype / scalar type
        rounding, overflow : str or enum, optional
        rng : None, int or Xoroshiro128Plus, optional
            Generator for ``rounding="stochastic"``.
        """
        if isinstance(fmt, (type, np.dtype)):
            return self.to_float().astype(fmt)
        fmt = as_format(fmt)
        if fmt == self._fmt:
            return self.copy()
        return _result(_raw.requantize(self._raw, self._fmt.frac_bits, fmt, rounding, overflow, rng), fmt)

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
        return product(self, other)

    def __rmatmul__(self, other):
        return product(other, self)

    def __neg__(self):
        return negate(self)

    def __pos__(self):
        return self.copy()

    def __abs__(self):
        return magnitude(self)

    def __lshift__(self, k):
        return shift(self, _shift_count(k))

    def __rshift__(self, k):
        return shift(self, -_shift_count(k))

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
        n = _reduce.count(self.shape, axis)
        total = _reduce.exact_sum(self._raw, axis, keepdims, n)
        fmt = _rules.sum_format(self._fmt, n) if out_format is None else as_format(out_format)
        return FxpArray(_raw.requantize(total, self._fmt.frac_bits, fmt, rounding, overflow, rng), fmt)

    def mean(self, axis=None, rounding=None, rng=None, keepdims=False):
        """Mean in this array's format (see :func:`fxp.mean`)."""
        result = _reduce.mean(self._raw, axis, keepdims, rounding, rng)
        return FxpArray(np.asarray(result).astype(self._fmt.dtype), self._fmt)

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


_new_object = object.__new__


def _result(raw, fmt):
    """The FxpArray of ``raw``, an ndarray of ``fmt.dtype`` that a kernel produced, without
    the constructor's checks (they cost more than an 8-element kernel call)."""
    arr = _new_object(FxpArray)
    arr._raw = raw
    arr._fmt = fmt
    return arr


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
    return asarray(value, fmt).raw


def _operator_result(op, a, b, out_format=None):
    """``a + b``, ``a - b``, ``a * b`` (``op``): plain operands coerced, ``NotImplemented`` for
    operands that cannot be."""
    try:
        a, b = coerce_operands(a, b)
    except TypeError:
        return NotImplemented
    return arithmetic(op, a, b, out_format)


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
    if isinstance(a, FxpArray) and isinstance(b, FxpArray):
        return a, b
    like = a if isinstance(a, FxpArray) else b
    return _coerce(a, like.fmt), _coerce(b, like.fmt)


def _coerce(x, like_fmt):
    if isinstance(x, FxpArray):
        return x
    if not _is_real(x) and not (isinstance(x, (list, tuple))):
        raise TypeError(f"cannot combine an FxpArray with {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind in "biu":
        return asarray(arr, _rules.integer_format(arr.ravel().tolist()))
    if arr.dtype.kind != "f":
        raise TypeError(f"cannot combine an FxpArray with {arr.dtype} data")
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        raise ValueError(f"cannot combine an FxpArray with non-finite floats ({bad} of {arr.size} "
                         "values are inf or NaN): fixed point has neither (comparisons with them work)")
    fmt = _rules.float_scalar_format(float(np.abs(arr).max()) if arr.size else 0.0, like_fmt.word_bits)
    return asarray(arr, fmt, rounding="nearest_even", overflow="saturate")


# --- construction ----------------------------------------------------------------------

def asarray(x, fmt=None, rounding=None, overflow=None, rng=None):
    """Quantize ``x`` into an :class:`FxpArray` of format ``fmt``.

    Parameters
    ----------
    x : array_like or FxpArray
        Floats are rounded once; integers are converted exactly (then rounded only if
        ``fmt`` is coarser); an FxpArray is requantized (returned as is if ``fmt`` is None
        or equal).
    fmt : Format or str
        Target format, e.g. ``"s16.12"``.
    rounding, overflow : str or enum, optional
        Defaults from :class:`fxp.config` (nearest_even, saturate).
    rng : None, int, Xoroshiro128Plus or numpy Generator, optional
        Generator for stochastic rounding (one key drawn per call).

    Raises
    ------
    ValueError
        NaN input; +-inf under ``overflow="wrap"``.
    FxpOverflowError
        Out-of-range values (including +-inf) under ``overflow="raise"``.

    Examples
    --------
    >>> import fxp
    >>> fxp.asarray([0.1, -2.5, 100.0], "s8.4")
    FxpArray([ 0.125, -2.5  ,  7.9375], fmt='s8.4')
    """
    if isinstance(x, FxpArray):
        if fmt is None or as_format(fmt) == x.fmt:
            return x
        return x.astype(fmt, rounding, overflow, rng)
    if fmt is None:
        raise TypeError("fxp.asarray needs a format for non-FxpArray input, e.g. fmt='s16.12'")
    fmt = as_format(fmt)
    if type(x) is np.ndarray:
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"cannot quantize {type(x).__name__} input: {exc}") from None
    kind = arr.dtype.kind
    if kind == "f":
        return _result(_raw.quantize(arr, fmt, rounding, overflow, rng), fmt)
    if kind in "biu":
        raw = arr.astype(np.int8) if kind == "b" else arr
        return _result(_raw.requantize(raw, 0, fmt, rounding, overflow, rng), fmt)
    if kind == "O":
        try:
            return asarray(arr.astype(np.float64), fmt, rounding, overflow, rng)
        except (TypeError, ValueError):
            pass
    raise TypeError(f"cannot quantize non-numeric input of dtype {arr.dtype} to {fmt}")


def from_raw(raw, fmt):
    """Wrap raw integers as an :class:`FxpArray` of ``fmt`` (no rounding; range checked).

    Raises
    ------
    TypeError
        Non-integer input.
    ValueError
        A raw value outside ``[fmt.min_raw, fmt.max_raw]``.
    """
    fmt = as_format(fmt)
    arr = np.asarray(raw)
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "O" and all(
            isinstance(v, numbers.Integral) for v in arr.ravel().tolist())):
        raise TypeError(f"from_raw needs integers, got dtype {arr.dtype}")
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < fmt.min_raw or hi > fmt.max_raw:
            bad = int(np.count_nonzero((arr < fmt.min_raw) | (arr > fmt.max_raw)))
            raise ValueError(f"{bad} raw values lie outside {fmt}'s range [{fmt.min_raw}, {fmt.max_raw}]")
    return FxpArray(np.asarray(arr, dtype=fmt.dtype), fmt)


# --- the arithmetic the operators compute (public forms: fxp._operators) ------------------

def _subtract_format(fa, fb):
    return _rules.add_format(fa, fb, subtract=True)


_FORMAT_RULES = {"add": _rules.add_format, "subtract": _subtract_format,
                 "multiply": _rules.multiply_format}


def arithmetic(op, a, b, out_format=None, rounding=None, overflow=None, rng=None):
    """FxpArrays ``a op b`` (add, subtract, multiply) exact, rounded once into ``out_format``
    (default: the exact bit-growth format of ``op``)."""
    fa, fb = a._fmt, b._fmt
    fmt = _FORMAT_RULES[op](fa, fb) if out_format is None else as_format(out_format)
    return _result(_raw.arithmetic(op, a._raw, fa.frac_bits, b._raw, fb.frac_bits, fmt, rounding,
                                   overflow, rng), fmt)


def negate(a, out_format=None, rounding=None, overflow=None, rng=None):
    """Exact ``-a`` rounded into ``out_format`` (default :func:`fxp._rules.negative_format`)."""
    fmt = _rules.negative_format(a.fmt) if out_format is None else as_format(out_format)
    zero = np.zeros(1, dtype=np.int8)
    return _result(_raw.arithmetic("subtract", zero, a.fmt.frac_bits, a.raw, a.fmt.frac_bits, fmt,
                                   rounding, overflow, rng), fmt)


def magnitude(a, out_format=None, rounding=None, overflow=None, rng=None):
    """Exact ``|a|`` rounded into ``out_format`` (default :func:`fxp._rules.absolute_format`)."""
    if not a.fmt.signed:
        return a.copy() if out_format is None else a.astype(out_format, rounding, overflow, rng)
    fmt = _rules.absolute_format(a.fmt) if out_format is None else as_format(out_format)
    return _result(_raw.arithmetic("multiply", np.sign(a.raw), 0, a.raw, a.fmt.frac_bits, fmt,
                                   rounding, overflow, rng), fmt)


def shift(a, k, out_format=None, rounding=None, overflow=None, rng=None):
    """``a * 2**k``: the raws kept at ``frac_bits - k`` (exact), then ``out_format`` if given."""
    frac = a.fmt.frac_bits - int(k)
    lo, hi = FRAC_BITS_RANGE
    if not lo <= frac <= hi:
        raise ValueError(f"shifting {a.fmt} by {k} needs frac_bits {frac}, outside [{lo}, {hi}]; "
                         "pass out_format=")
    shifted = FxpArray(a.raw.copy(), Format(a.fmt.word_bits, frac, a.fmt.signed))
    return shifted if out_format is None else shifted.astype(out_format, rounding, overflow, rng)


def _matmul_operand(x, name):
    if not isinstance(x, FxpArray):
        raise TypeError(f"fxp.matmul: {name} must be an FxpArray, got {type(x).__name__}; "
                        "quantize it first with fxp.asarray(x, fmt)")
    return x


_EXACT = Accumulator()


def product(a, b, out_format=None, rounding=None, overflow=None, acc=_EXACT, rng=None, n_threads=None):
    """The matrix product ``a @ b`` of :func:`fxp.matmul` in the accumulator ``acc`` (an
    :class:`fxp.Accumulator`): operands checked, 1-D ones promoted as numpy does."""
    a = _matmul_operand(a, "a")
    b = _matmul_operand(b, "b")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("fxp.matmul: operands must have at least one dimension (use multiply)")
    a_raw = a.raw[None, :] if a.ndim == 1 else a.raw
    b_raw = b.raw[:, None] if b.ndim == 1 else b.raw
    if a_raw.shape[-1] != b_raw.shape[-2]:
        raise ValueError(f"fxp.matmul: shape mismatch: {a.shape} @ {b.shape} "
                         f"(inner dimensions {a_raw.shape[-1]} != {b_raw.shape[-2]})")
    raw, fmt, _, _ = _gemm.gemm_raw(a_raw, a.fmt, b_raw, b.fmt, out_format, rounding, overflow,
                                    acc, rng, n_threads)
    if b.ndim == 1:
        raw = raw[..., 0]
    if a.ndim == 1:
        raw = raw[..., 0, :] if b.ndim > 1 else raw[..., 0]
    return _result(raw, fmt)
