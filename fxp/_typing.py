"""The types the public signatures name (annotations only: imported under ``TYPE_CHECKING``)."""
from __future__ import annotations

import numbers
from typing import TypeAlias, Union

import numpy as np
import numpy.typing as npt

from ._accumulator import Accumulator
from ._array import FxpArray
from ._format import Format
from ._kernels._random import Xoroshiro128Plus
from ._modes import Overflow, Rounding

#: a format or its string form ("s16.12", "Q3.12", "u8.8")
FormatLike: TypeAlias = Union[Format, str]
#: a rounding mode or its name; None takes the mode of ``fxp.config``
RoundingLike: TypeAlias = Union[Rounding, str, None]
#: an overflow mode or its name; None takes the mode of ``fxp.config``
OverflowLike: TypeAlias = Union[Overflow, str, None]
#: what ``rng=`` takes (``fxp.random.as_bit_generator``)
RngLike: TypeAlias = Union[None, int, numbers.Integral, np.random.BitGenerator, np.random.Generator]
#: an FxpArray or the numbers an FxpArray operation quantizes
ArrayOrFxp: TypeAlias = Union[FxpArray, npt.ArrayLike]
#: ``axis=`` of a reduction
Axis: TypeAlias = Union[int, tuple[int, ...], None]
#: a 2-D stride, padding or dilation: one int for both axes or (height, width)
Pair: TypeAlias = Union[int, tuple[int, int]]
#: a shape
Shape: TypeAlias = Union[int, tuple[int, ...]]

__all__ = ["Accumulator", "ArrayOrFxp", "Axis", "FormatLike", "FxpArray", "OverflowLike", "Pair", "RngLike",
           "RoundingLike", "Shape", "Xoroshiro128Plus"]
