"""The join rule: the one format for FxpArrays and plain values that meet in one result
(``np.concatenate``, ``np.where``, ``np.clip``, ``np.pad``'s constant ...).

FxpArrays keep their values exactly in their common format; plain integers (and bools) join
with their exact integer format; plain floats join only when every value is exactly
representable in the format the others give, else the call raises ``ValueError``: fixed point
never rounds a float silently on the way into a join.
"""
from __future__ import annotations

import numpy as np

from . import _rules
from ._array import FxpArray, asarray


def _plain(x, what):
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what}: cannot join {type(x).__name__} with FxpArrays: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what}: cannot join {arr.dtype} data with FxpArrays")
    return arr


def unify(operands, what):
    """The raws of ``operands`` (FxpArrays and array_likes) in one format, and that format.

    Raises
    ------
    ValueError
        A float value is not exactly representable in the joined format (or not finite).
    TypeError
        An operand is not numeric.
    """
    fxps = [x for x in operands if isinstance(x, FxpArray)]
    plain = {i: _plain(x, what) for i, x in enumerate(operands) if not isinstance(x, FxpArray)}
    formats = [x.fmt for x in fxps]
    formats += [_rules.integer_format(arr.astype(np.int64).ravel().tolist())
                for arr in plain.values() if arr.dtype.kind in "biu" and arr.size]
    if not formats:
        raise TypeError(f"{what}: needs an FxpArray or an integer operand to take a format from")
    fmt = _rules.common_format(formats)
    raws = []
    for i, x in enumerate(operands):
        arr = plain.get(i)
        if arr is None:
            raws.append(asarray(x, fmt).raw)
        elif arr.dtype.kind in "biu":
            raws.append(asarray(arr.astype(np.int64) if arr.dtype.kind == "b" else arr, fmt).raw)
        else:
            raws.append(_exact_floats(arr, fmt, what))
    return raws, fmt


def _exact_floats(arr, fmt, what):
    finite = np.isfinite(arr)
    if finite.all():
        q = asarray(arr, fmt, rounding="nearest_even", overflow="saturate")
        inexact = q.to_float() != arr
        if not inexact.any():
            return q.raw
        bad = arr[inexact].ravel()[0]
    else:
        bad = arr[~finite].ravel()[0]
    raise ValueError(f"{what}: the float {bad!r} is not exactly representable in {fmt}, the "
                     f"format of the FxpArrays it joins; quantize it first with "
                     f"fxp.asarray(x, fmt) to say how it rounds")


def join(operands, what, func, *args, **kwargs):
    """``func(raws, *args, **kwargs)`` on the unified raws of ``operands``, as an FxpArray."""
    raws, fmt = unify(list(operands), what)
    return FxpArray(np.asarray(func(raws, *args, **kwargs)), fmt)
