"""The ndarray methods and operators of FxpArray that are numpy functions and ufuncs
(``a.clip(...)`` is ``np.clip(a, ...)``, ``a / b`` is ``np.true_divide(a, b)``): each calls numpy,
whose protocol brings it back to :mod:`fxp._numpy`; conversions to Python numbers."""
from __future__ import annotations

import numpy as np


class NdarrayMethods:
    """Mixin of :class:`fxp.FxpArray`: ndarray's methods through numpy's functions."""

    __slots__ = ()

    def clip(self, min=None, max=None):
        """``np.clip(a, min, max)``: the join rule's format (see ``docs/numpy.md``)."""
        return np.clip(self, min, max)

    def round(self, decimals=0):
        """``np.round(a)``: half to even to integers, exact (frac-0 format)."""
        return np.round(self, decimals)

    def cumsum(self, axis=None):
        """``np.cumsum(a, axis)``: exact growth."""
        return np.cumsum(self, axis=axis)

    def prod(self, axis=None, keepdims=False):
        """``np.prod(a, axis)``: exact growth."""
        return np.prod(self, axis=axis, keepdims=keepdims)

    def dot(self, b):
        """``np.dot(a, b)``: the exact default format of ``a @ b``."""
        return np.dot(self, b)

    def repeat(self, repeats, axis=None):
        """``np.repeat(a, repeats, axis)``, same format."""
        return np.repeat(self, repeats, axis)

    def take(self, indices, axis=None):
        """``np.take(a, indices, axis)``, same format."""
        return np.take(self, indices, axis)

    def argsort(self, axis=-1):
        """``np.argsort(a, axis)``."""
        return np.argsort(self, axis=axis)

    def sort(self, axis=-1):
        """Sort in place along ``axis``, as ndarray.sort."""
        self.raw.sort(axis=axis)

    def nonzero(self):
        """``np.nonzero(a)``."""
        return np.nonzero(self.raw)

    def any(self, axis=None, keepdims=False):
        """Whether any element is nonzero, as ndarray.any."""
        return np.any(self.raw, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        """Whether every element is nonzero, as ndarray.all."""
        return np.all(self.raw, axis=axis, keepdims=keepdims)

    def std(self, axis=None, keepdims=False):
        """``np.std``: float64, with an :class:`fxp.FxpFloatFallbackWarning`."""
        return np.std(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims=False):
        """``np.var``: float64, with an :class:`fxp.FxpFloatFallbackWarning`."""
        return np.var(self, axis=axis, keepdims=keepdims)

    # --- Python numbers -------------------------------------------------------------------
    def tolist(self):
        """The values as (nested lists of) Python floats (exact)."""
        return self.to_float().tolist()

    def item(self, *args):
        """One value as a Python float, as ndarray.item."""
        return self.to_float().item(*args)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __format__(self, spec):
        if self.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string {spec!r} for an FxpArray of shape "
                            f"{self.shape}: only 0-d arrays take a format spec")
        return str(self)

    # --- operators that are ufuncs ------------------------------------------------------------
    def __truediv__(self, other):
        return np.true_divide(self, other)

    def __rtruediv__(self, other):
        return np.true_divide(other, self)

    def __floordiv__(self, other):
        return np.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return np.floor_divide(other, self)

    def __mod__(self, other):
        return np.remainder(self, other)

    def __rmod__(self, other):
        return np.remainder(other, self)

    def __pow__(self, other):
        return np.power(self, other)

    def __rpow__(self, other):
        return np.power(other, self)
