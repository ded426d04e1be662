"""fxp: fixed-point arrays with exact, Cython-accelerated kernels.

The public API is what this module exports (plus ``fxp.random``); everything under
``fxp._*`` is private.
"""
from . import analysis, random
from ._accumulator import Accumulator
from ._array import FxpArray, asarray, from_raw
from ._context import OverflowCount, Settings, config, count_overflows, get_config
from ._conv import conv2d, conv2d_input_grad, conv2d_weight_grad
from ._division import divide, floor_divide, reciprocal
from ._fallback import FxpFloatFallbackWarning
from ._format import Format
from ._functions import (
    arange,
    argmax,
    argmin,
    concatenate,
    full,
    max,
    maximum,
    mean,
    min,
    minimum,
    ones,
    stack,
    sum,
    zeros,
)
from ._io import load, save
from ._modes import FxpOverflowError, Overflow, Rounding
from ._operators import absolute, add, ldexp, matmul, multiply, negative, subtract
from ._version import __version__


__all__ = [
    "Accumulator",
    "Format",
    "FxpArray",
    "FxpFloatFallbackWarning",
    "FxpOverflowError",
    "Overflow",
    "OverflowCount",
    "Rounding",
    "Settings",
    "absolute",
    "analysis",
    "add",
    "arange",
    "argmax",
    "argmin",
    "asarray",
    "concatenate",
    "conv2d",
    "conv2d_input_grad",
    "conv2d_weight_grad",
    "config",
    "count_overflows",
    "divide",
    "floor_divide",
    "from_raw",
    "full",
    "get_config",
    "ldexp",
    "load",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "multiply",
    "negative",
    "ones",
    "random",
    "reciprocal",
    "save",
    "stack",
    "subtract",
    "sum",
    "zeros",
]
