"""numpy protocol support: which ufuncs / functions keep fixed point, the rest go to float."""
from __future__ import annotations

import numpy as np

from . import _functions as F
from ._array import FxpArray, compare
from ._operators import absolute, add, multiply, negative, subtract

_COMPARISONS = {np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal}
_BINARY = {np.add: add, np.subtract: subtract, np.multiply: multiply,
           np.maximum: F.maximum, np.minimum: F.minimum}
_UNARY = {np.negative: negative, np.absolute: absolute, np.positive: lambda a: a.copy()}
_REDUCE = {np.add: F.sum, np.maximum: F.max, np.minimum: F.min}


def _to_float(x):
    if isinstance(x, FxpArray):
        return x.to_float()
    if isinstance(x, (list, tuple)):
        return type(x)(_to_float(v) for v in x)
    return x


def array_ufunc(ufunc, method, inputs, kwargs):
    """``FxpArray.__array_ufunc__``: fixed-point results for + - * max min neg abs and the
    ``add/maximum/minimum.reduce`` reductions; bool arrays for comparisons; ``out=`` an
    FxpArray for + - *; other ufuncs run on the float64 values and return plain ndarrays."""
    if any(isinstance(o, FxpArray) for o in kwargs.get("out", ()) or ()):
        return _into_out(ufunc, method, inputs, kwargs)
    plain = not kwargs
    if method == "__call__" and plain:
        if ufunc in _BINARY and len(inputs) == 2:
            return _BINARY[ufunc](*inputs)
        if ufunc in _UNARY:
            return _UNARY[ufunc](inputs[0])
        if ufunc in _COMPARISONS and len(inputs) == 2:
            return compare(ufunc, *inputs)
    if method == "reduce" and ufunc in _REDUCE and set(kwargs) <= {"axis", "keepdims"}:
        return _REDUCE[ufunc](inputs[0], **kwargs)
    return getattr(ufunc, method)(*_to_float(list(inputs)), **kwargs)


_INTO_OUT = {np.add: add, np.subtract: subtract, np.multiply: multiply}


def _into_out(ufunc, method, inputs, kwargs):
    """``np.add / np.subtract / np.multiply(a, b, out=c)`` with an FxpArray ``c``: the exact
    result rounded once into ``c.fmt`` with the current modes, written into ``c``."""
    out = kwargs["out"]
    if (method != "__call__" or ufunc not in _INTO_OUT or len(inputs) != 2 or len(out) != 1
            or set(kwargs) != {"out"}):
        raise TypeError(
            f"out= with an FxpArray is supported for np.add, np.subtract and np.multiply(a, b, out=c) "
            f"only (got {ufunc.__name__}.{method} with {len(inputs)} inputs, {len(out)} outputs and "
            f"keywords {sorted(kwargs)}); use the fxp function forms with out_format=")
    target = out[0]
    result = _INTO_OUT[ufunc](*inputs, out_format=target.fmt)
    try:
        fits = np.broadcast_shapes(result.shape, target.shape) == target.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{ufunc.__name__}: result of shape {result.shape} does not fit out= of "
                         f"shape {target.shape}")
    target.raw[...] = result.raw
    return target


def _sum(a, axis=None, dtype=None, out=None, keepdims=False, **_):
    return F.sum(a, axis=axis, keepdims=keepdims)


def _mean(a, axis=None, dtype=None, out=None, keepdims=False, **_):
    return F.mean(a, axis=axis, keepdims=keepdims)


def _max(a, axis=None, out=None, keepdims=False, **_):
    return a.max(axis=axis, keepdims=keepdims)


def _min(a, axis=None, out=None, keepdims=False, **_):
    return a.min(axis=axis, keepdims=keepdims)


_FUNCTIONS = {
    np.sum: _sum,
    np.mean: _mean,
    np.max: _max,
    np.amax: _max,
    np.min: _min,
    np.amin: _min,
    np.argmax: lambda a, axis=None, **_: a.argmax(axis=axis),
    np.argmin: lambda a, axis=None, **_: a.argmin(axis=axis),
    np.concatenate: lambda arrays, axis=0, **_: F.concatenate(arrays, axis=axis),
    np.stack: lambda arrays, axis=0, **_: F.stack(arrays, axis=axis),
    np.reshape: lambda a, *args, **kw: FxpArray(np.reshape(a.raw, *args, **kw), a.fmt),
    np.transpose: lambda a, axes=None: a.transpose(axes) if axes is not None else a.transpose(),
    np.swapaxes: lambda a, axis1, axis2: a.swapaxes(axis1, axis2),
    np.ravel: lambda a, order="C": a.ravel(order),
    np.squeeze: lambda a, axis=None: a.squeeze(axis),
    np.copy: lambda a, **_: a.copy(),
    np.shape: lambda a: a.shape,
    np.ndim: lambda a: a.ndim,
    np.size: lambda a, axis=None: np.size(a.raw, axis),
    np.expand_dims: lambda a, axis: FxpArray(np.expand_dims(a.raw, axis), a.fmt),
    np.broadcast_to: lambda a, shape, **_: FxpArray(np.broadcast_to(a.raw, shape), a.fmt),
}


def array_function(func, args, kwargs):
    """``FxpArray.__array_function__``: fixed-point versions of the common functions,
    float64 values for everything else."""
    impl = _FUNCTIONS.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    return func(*_to_float(list(args)), **{k: _to_float(v) for k, v in kwargs.items()})
