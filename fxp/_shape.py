"""numpy functions that move, select or compare values without changing them: the result
keeps the format (or, for several operands, takes the join rule's format, :mod:`fxp._join`)."""
from __future__ import annotations

import numpy as np

from . import _functions as F
from ._array import FxpArray
from ._join import join, unify


def _wrap(result, fmt):
    """numpy's result on raws back as FxpArrays of ``fmt`` (lists and tuples element by element)."""
    if isinstance(result, (list, tuple)):
        return type(result)(_wrap(r, fmt) for r in result)
    return FxpArray(np.asarray(result), fmt)


def on_raw(func):
    """``func`` (a numpy function whose first argument is the array) applied to the raws, the
    result(s) in the same format."""
    def impl(a, *args, **kwargs):
        return _wrap(func(a.raw, *args, **kwargs), a.fmt)
    impl.__name__ = func.__name__
    return impl


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, **kwargs):
    """``np.unique``: the values keep the format; indices and counts are plain."""
    result = np.unique(ar.raw, return_index, return_inverse, return_counts, axis=axis, **kwargs)
    if isinstance(result, tuple):
        return (FxpArray(result[0], ar.fmt),) + result[1:]
    return FxpArray(result, ar.fmt)


def atleast(func):
    """``np.atleast_1d/2d/3d``: each array keeps its format."""
    def impl(*arys):
        out = [FxpArray(func(a.raw), a.fmt) if isinstance(a, FxpArray) else func(a) for a in arys]
        return out[0] if len(out) == 1 else tuple(out)
    impl.__name__ = func.__name__
    return impl


def joining(func):
    """A function of a sequence of arrays (``np.concatenate``, ``np.vstack`` ...) on the raws
    in the join rule's format."""
    def impl(arrays, *args, dtype=None, casting="same_kind", **kwargs):
        if dtype is not None:
            raise TypeError(f"np.{func.__name__}: dtype= is not supported with FxpArrays")
        return join(arrays, f"np.{func.__name__}", func, *args, **kwargs)
    impl.__name__ = func.__name__
    return impl


def append(arr, values, axis=None):
    """``np.append`` under the join rule."""
    return join([arr, values], "np.append", lambda raws: np.append(*raws, axis=axis))


def where(condition, x=None, y=None):
    """``np.where``: the picks of ``x`` and ``y`` in their joined format; one argument: the
    indices of the nonzero elements."""
    cond = condition.raw if isinstance(condition, FxpArray) else condition
    if x is None and y is None:
        return np.nonzero(cond)
    if x is None or y is None:
        raise ValueError("np.where: either both or neither of x and y should be given")
    return join([x, y], "np.where", lambda raws: np.where(cond, *raws))


def clip(a, a_min=None, a_max=None, **kwargs):
    """``np.clip`` under the join rule (bounds of None are open)."""
    if kwargs:
        raise TypeError(f"np.clip: {sorted(kwargs)} not supported with FxpArrays")
    bounds = [b for b in (a_min, a_max) if b is not None]
    if not bounds:
        raise ValueError("np.clip: one of a_min and a_max must be given")
    raws, fmt = unify([a] + bounds, "np.clip")
    lo = raws[1] if a_min is not None else None
    hi = raws[-1] if a_max is not None else None
    return FxpArray(np.asarray(np.clip(raws[0], lo, hi)), fmt)


_VALUE_PADS = {"constant", "edge", "reflect", "symmetric", "wrap", "empty", "maximum", "minimum"}


def pad(array, pad_width, mode="constant", **kwargs):
    """``np.pad`` for the modes that copy values (constant under the join rule)."""
    if mode not in _VALUE_PADS:
        raise ValueError(f"np.pad mode {mode!r} computes new values; fxp pads with {sorted(_VALUE_PADS)}")
    if mode == "constant":
        raws, fmt = unify([array, np.asarray(kwargs.pop("constant_values", 0))], "np.pad")
        return FxpArray(np.pad(raws[0], pad_width, mode, constant_values=raws[1], **kwargs), fmt)
    return FxpArray(np.pad(array.raw, pad_width, mode, **kwargs), array.fmt)


def like(kind):
    """``np.zeros_like`` / ``ones_like`` / ``empty_like`` / ``full_like``: the format of the
    prototype (plain ndarrays for an explicit ``dtype``)."""
    def impl(a, *args, dtype=None, order="K", subok=True, shape=None, **kwargs):
        if dtype is not None:
            return getattr(np, f"{kind}_like")(a.to_float(), *args, dtype=dtype, shape=shape, **kwargs)
        shape = a.shape if shape is None else shape
        if kind == "full":
            return F.full(shape, a.fmt, *args, **kwargs)
        return F.ones(shape, a.fmt) if kind == "ones" else F.zeros(shape, a.fmt)
    impl.__name__ = f"{kind}_like"
    return impl


def searchsorted(a, v, side="left", sorter=None):
    """``np.searchsorted`` on the values (exact: ``<=32``-bit raws are exact float64)."""
    values = [x.to_float() if isinstance(x, FxpArray) else x for x in (a, v)]
    return np.searchsorted(*values, side=side, sorter=sorter)
