"""numpy protocol support (``__array_ufunc__``, ``__array_function__``): which numpy calls keep
fixed point, and the float64 fallback, with :class:`fxp.FxpFloatFallbackWarning`, for the rest.

``docs/numpy.md`` tabulates the result of each common function; ``tests/fxp/test_numpy_table.py``
runs every row of that table.
"""
from __future__ import annotations

import functools
import numbers

import numpy as np

from . import _division, _growth, _products, _reduce, _rounding, _shape
from . import _functions as F
from ._array import FxpArray, asarray, compare, magnitude, negate, product, shift
from ._fallback import float_call, to_float
from ._operators import add, multiply, subtract

# --- ufuncs ---------------------------------------------------------------------------------


def _integer(k):
    return isinstance(k, (numbers.Integral, np.integer)) and not isinstance(k, (bool, np.bool_))


def _true_divide(a, b):
    if isinstance(a, FxpArray) and _division.power_of_two(b) is not None:
        return _division.divide_by_power_of_two(a, b)
    return None


def _power(a, n):
    if isinstance(a, FxpArray) and _integer(n) and n >= 0:
        return _growth.power(a, n)
    return None


def _shifter(sign):
    def impl(a, k):
        return shift(a, sign * int(k)) if isinstance(a, FxpArray) and _integer(k) else None
    return impl


def _constant(value):
    return lambda a: np.full(a.shape, value)


_COMPARISONS = (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal)

#: ufunc -> fixed-point implementation of its call (None from it: no exact result here)
_CALL = {
    np.add: add, np.subtract: subtract, np.multiply: multiply, np.matmul: product,
    np.maximum: F.maximum, np.minimum: F.minimum, np.fmax: F.maximum, np.fmin: F.minimum,
    np.negative: negate, np.positive: lambda a: a.copy(), np.absolute: magnitude,
    np.fabs: magnitude, np.square: lambda a: _growth.power(a, 2), np.power: _power,
    np.sign: _rounding.sign, np.floor_divide: _division.floor_divide, np.true_divide: _true_divide,
    np.left_shift: _shifter(1), np.right_shift: _shifter(-1), np.ldexp: _shifter(1),
    np.isfinite: _constant(True), np.isnan: _constant(False), np.isinf: _constant(False),
    np.signbit: lambda a: a.raw < 0,
    **{u: functools.partial(compare, u) for u in _COMPARISONS},
    **{u: functools.partial(_rounding.to_integer, mode=m)
       for u, m in ((np.floor, "floor"), (np.ceil, "ceil"), (np.trunc, "trunc"), (np.rint, "rint"))},
}
_REDUCE = {np.add: F.sum, np.multiply: _growth.prod, np.maximum: F.max, np.minimum: F.min,
           np.fmax: F.max, np.fmin: F.min}
_ACCUMULATE = {np.add: _growth.cumsum,
               np.maximum: lambda a, axis: FxpArray(np.maximum.accumulate(a.raw, axis=axis), a.fmt),
               np.minimum: lambda a, axis: FxpArray(np.minimum.accumulate(a.raw, axis=axis), a.fmt)}
_OUT_FORMAT = {np.add: add, np.subtract: subtract, np.multiply: multiply}


def _refuse(name, kwargs, allowed=()):
    extra = sorted(k for k in kwargs if k not in allowed)
    if extra:
        raise TypeError(f"{name}: the keyword(s) {extra} are not supported with FxpArrays")


def array_ufunc(ufunc, method, inputs, kwargs):
    """``FxpArray.__array_ufunc__``: the exact ufuncs of ``_CALL`` and their ``reduce``,
    ``accumulate`` and ``outer`` with numpy's defaults, ``out=`` FxpArrays or ndarrays;
    ``at`` and ``reduceat`` raise; everything else runs on float64 values with a warning."""
    name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    out = kwargs.pop("out", None)
    if not any(isinstance(x, FxpArray) for x in inputs):      # only out= is an FxpArray
        return store(getattr(ufunc, method)(*inputs, **kwargs), out, name)
    if method == "__call__":
        if isinstance(out, tuple) and len(out) == 1 and isinstance(out[0], FxpArray) \
                and ufunc in _OUT_FORMAT and len(inputs) == 2:
            _refuse(name, kwargs)
            return store(_OUT_FORMAT[ufunc](*inputs, out_format=out[0].fmt), out, name)
        if ufunc in _CALL:
            _refuse(name, kwargs)
        result = _CALL[ufunc](*inputs) if ufunc in _CALL else None
    elif method == "reduce" and ufunc in _REDUCE:
        _refuse(name, kwargs, ("axis", "keepdims", "dtype"))
        if kwargs.pop("dtype", None) is not None:
            raise TypeError(f"{name}: dtype= is not supported with FxpArrays")
        axis = kwargs.pop("axis", 0)
        result = _REDUCE[ufunc](inputs[0], axis=axis, **kwargs)
    elif method == "accumulate" and ufunc in _ACCUMULATE:
        _refuse(name, kwargs, ("axis",))
        result = _ACCUMULATE[ufunc](inputs[0], axis=kwargs.get("axis", 0))
    elif method == "outer" and ufunc in _CALL and not kwargs:
        a, b = inputs
        a_col = a.reshape(np.shape(a) + (1,) * np.ndim(b)) if isinstance(a, FxpArray) else \
            np.reshape(a, np.shape(a) + (1,) * np.ndim(b))
        result = _CALL[ufunc](a_col, b)
    elif method in ("at", "reduceat"):
        raise NotImplementedError(f"{name} is not supported on FxpArrays; index and assign "
                                  "(a[idx] = ...) or use the reduction functions instead")
    else:
        result = None
    if result is None:
        hint = " (fxp.divide(a, b, out_format=...) gives a fixed-point quotient)" \
            if ufunc in (np.true_divide, np.reciprocal) else ""
        result = float_call(getattr(ufunc, method), name, inputs, kwargs, hint)
    return store(result, out, name)


def store(result, out, name):
    """Write ``result`` into ``out`` (an FxpArray: requantized with the current modes; an
    ndarray: the values) and return ``out``; without ``out``, return ``result``."""
    if out is None:
        return result
    if isinstance(out, tuple):
        if len(out) != 1:
            raise TypeError(f"{name}: one out= array expected, got {len(out)}")
        out = out[0]
    if not isinstance(out, (FxpArray, np.ndarray)):
        raise TypeError(f"{name}: out= must be an FxpArray or an ndarray, got {type(out).__name__}")
    shape = np.shape(result)
    try:
        fits = np.broadcast_shapes(shape, out.shape) == out.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: result of shape {shape} does not fit out= of shape {out.shape}")
    if isinstance(out, FxpArray):
        out.raw[...] = asarray(result, out.fmt).raw
    else:
        out[...] = result.to_float() if isinstance(result, FxpArray) else result
    return out


# --- functions ------------------------------------------------------------------------------


def _on_values(func):
    """A function whose result (indices, bools) is exact on the float64 values (the values of
    <= 32-bit raws are exact float64)."""
    return lambda *args, **kwargs: func(*to_float(list(args)), **to_float(kwargs))


def _reduction(func, name, allowed=("keepdims",)):
    def impl(a, axis=None, **kwargs):
        if kwargs.pop("dtype", None) is not None:
            raise TypeError(f"{name}: dtype= is not supported with FxpArrays")
        _refuse(name, kwargs, allowed)
        return func(a, axis=axis, **kwargs)
    return impl


def _mean(a, axis=None, dtype=None, keepdims=False, **kwargs):
    """``np.mean``: exact (a shift of the exact sum) when the count is a power of two."""
    _refuse("np.mean", kwargs)
    n = _reduce.count(a.shape, axis)
    if dtype is None and n > 0 and n & (n - 1) == 0:
        total = F.sum(a, axis=axis, keepdims=keepdims)
        try:
            return shift(total, -(n.bit_length() - 1))
        except ValueError:
            pass
    return float_call(np.mean, "np.mean", (a,), dict(axis=axis, dtype=dtype, keepdims=keepdims),
                      " (the count is not a power of two; fxp.mean rounds into the input format)")


def _round(a, decimals=0):
    if decimals == 0:
        return _rounding.round_(a)
    return float_call(np.round, "np.round", (a, decimals), {}, " (only decimals=0 is exact)")


def _diff(a, n=1, axis=-1, **kwargs):
    _refuse("np.diff", kwargs)
    return _growth.diff(a, n, axis)


def _clip(a, a_min=None, a_max=None, **kwargs):
    a_min = kwargs.pop("min", a_min)
    a_max = kwargs.pop("max", a_max)
    return _shape.clip(a, a_min, a_max, **kwargs)


def _trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    if dtype is not None:
        raise TypeError("np.trace: dtype= is not supported with FxpArrays")
    return F.sum(FxpArray(np.diagonal(a.raw, offset, axis1, axis2), a.fmt), axis=-1)


_SAME_FORMAT = (np.reshape, np.transpose, np.swapaxes, np.moveaxis, np.rollaxis, np.squeeze,
                np.expand_dims, np.broadcast_to, np.ravel, np.flip, np.fliplr, np.flipud, np.rot90,
                np.roll, np.tile, np.repeat, np.take, np.take_along_axis, np.diagonal, np.diag,
                np.tril, np.triu, np.sort, np.partition, np.copy, np.resize, np.delete, np.split,
                np.array_split, np.hsplit, np.vsplit, np.dsplit, np.trim_zeros)
_JOINS = (np.concatenate, np.stack, np.vstack, np.hstack, np.dstack, np.column_stack)
_ON_VALUES = (np.argsort, np.argmax, np.argmin, np.argpartition, np.nonzero, np.count_nonzero,
              np.flatnonzero, np.argwhere, np.any, np.all, np.array_equal, np.array_equiv)

#: numpy function -> fixed-point implementation (``out=`` is taken off before the call)
_FUNCTIONS = {
    **{f: _shape.on_raw(f) for f in _SAME_FORMAT},
    **{f: _shape.joining(f) for f in _JOINS},
    **{f: _on_values(f) for f in _ON_VALUES},
    **{f: _shape.atleast(f) for f in (np.atleast_1d, np.atleast_2d, np.atleast_3d)},
    **{getattr(np, f"{k}_like"): _shape.like(k) for k in ("zeros", "ones", "empty", "full")},
    np.shape: lambda a: a.shape, np.ndim: lambda a: a.ndim,
    np.size: lambda a, axis=None: np.size(a.raw, axis),
    np.unique: _shape.unique, np.append: _shape.append, np.where: _shape.where,
    np.clip: _clip, np.pad: _shape.pad, np.searchsorted: _shape.searchsorted,
    np.sum: _reduction(F.sum, "np.sum"), np.prod: _reduction(_growth.prod, "np.prod"),
    np.max: _reduction(F.max, "np.max"), np.amax: _reduction(F.max, "np.amax"),
    np.min: _reduction(F.min, "np.min"), np.amin: _reduction(F.min, "np.amin"),
    np.ptp: _reduction(_growth.ptp, "np.ptp"), np.mean: _mean, np.trace: _trace,
    np.cumsum: _reduction(_growth.cumsum, "np.cumsum", ()), np.diff: _diff,
    np.round: _round, np.around: _round, np.fix: functools.partial(_rounding.to_integer, mode="trunc"),
    np.dot: _products.dot, np.vdot: _products.vdot, np.inner: _products.inner,
    np.outer: _products.outer, np.einsum: _products.einsum,
}


def array_function(func, args, kwargs):
    """``FxpArray.__array_function__``: the fixed-point implementations of ``_FUNCTIONS``; every
    other numpy function runs on float64 values with an :class:`fxp.FxpFloatFallbackWarning`."""
    name = f"np.{func.__name__}"
    out = kwargs.pop("out", None)
    impl = _FUNCTIONS.get(func)
    if impl is None:
        result = float_call(func, name, args, kwargs)
    else:
        result = impl(*args, **kwargs)
    return store(result, out, name)
