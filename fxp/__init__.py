"""fxp: fixed-point arrays with exact, Cython-accelerated kernels.

The public API is what this module exports; everything under ``fxp._*`` is private.
"""
from ._format import Format
from ._modes import FxpOverflowError, Overflow, Rounding

__version__ = "0.1.0"

__all__ = ["Format", "FxpOverflowError", "Overflow", "Rounding"]
