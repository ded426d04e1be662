"""The float64 fallback: numpy calls with no exact fixed-point result run on the values as
float64 and say so with :class:`FxpFloatFallbackWarning`."""
from __future__ import annotations

import os
import sys
import warnings

from ._array import FxpArray

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class FxpFloatFallbackWarning(UserWarning):
    """A numpy function or ufunc ran on the float64 values of FxpArrays and returned float64,
    because its result is not exact in fixed point (``np.sqrt``, ``np.std``, ``a / 3`` ...).

    Filter it (``warnings.simplefilter("ignore", fxp.FxpFloatFallbackWarning)``) or turn it
    into an error (``"error"``) to find where a model leaves fixed point.
    """


def to_float(x):
    """``x`` with every FxpArray, also inside lists, tuples and dicts, as its float64 values."""
    if isinstance(x, FxpArray):
        return x.to_float()
    if isinstance(x, (list, tuple)):
        return type(x)(to_float(v) for v in x)
    if isinstance(x, dict):
        return {k: to_float(v) for k, v in x.items()}
    return x


def float_call(func, name, args, kwargs, hint=""):
    """``func(*args, **kwargs)`` on float64 values, with a :class:`FxpFloatFallbackWarning`
    naming ``name`` (attributed to the caller of the numpy function)."""
    warnings.warn(f"{name} has no exact fixed-point result: computed on float64 values{hint}",
                  FxpFloatFallbackWarning, stacklevel=_outside_fxp())
    return func(*to_float(list(args)), **to_float(kwargs))


def _outside_fxp():
    """The ``stacklevel`` of the first caller outside this package (numpy's C frames do not
    count), so the warning points at the user's line."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level
